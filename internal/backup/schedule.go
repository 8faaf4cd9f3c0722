package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// FileSuffix ends every backup file's name; Prune removes nothing else.
const FileSuffix = ".hearth-backup.age"

// FileName is the name of a backup taken at t: its time in UTC, so names
// sort in the order they were taken.
func FileName(t time.Time) string {
	return "hearth-" + t.UTC().Format("20060102T150405Z") + FileSuffix
}

// ToFile takes a backup into path, writing a temporary file beside it and
// renaming it into place once it is complete and on disk, so a file with
// the name is always a whole backup; then it records the audit event
// "backup".
func ToFile(ctx context.Context, db *store.DB, log *audit.Log, path string, recipients []age.Recipient, now time.Time, progress Progress) (Summary, error) {
	if _, err := os.Stat(path); err == nil {
		return Summary{}, hearth.Invalid("file", path+" already exists: Hearth never overwrites a backup")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hearth-backup-*")
	if err != nil {
		return Summary{}, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	sum, err := Write(ctx, db, tmp, recipients, now, progress)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return sum, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return sum, fmt.Errorf("backup: %w", err)
	}
	detail := fmt.Sprintf("backup %s: %d tables, %d rows, audit tree size %d", filepath.Base(path), len(sum.Manifest.Tables),
		sum.Manifest.Rows(), sum.Manifest.Audit.Size)
	if err := Record(ctx, log, now, "backup", detail); err != nil {
		return sum, fmt.Errorf("backup: written to %s, but recording it in the audit log failed: %w", path, err)
	}
	return sum, nil
}

// Prune removes the oldest backups in dir beyond the newest keep, and
// returns the names it removed. Only files named as Hearth names its
// backups are touched.
func Prune(dir string, keep int) ([]string, error) {
	if keep < 1 {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), "hearth-") && strings.HasSuffix(e.Name(), FileSuffix) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) <= keep {
		return nil, nil
	}
	old := names[:len(names)-keep]
	for _, n := range old {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return nil, err
		}
	}
	return old, nil
}

// Schedule is serve's backups: into Dir every Every, keeping the newest Keep.
type Schedule struct {
	Dir        string
	Every      time.Duration
	Keep       int
	Recipients []age.Recipient
}

// Run takes a backup now and then every s.Every until ctx ends, pruning
// after each. A failure is logged and tried again at the next tick: the
// server goes on serving.
func (s Schedule) Run(ctx context.Context, db *store.DB, log *audit.Log, clock hearth.Clock, logger *slog.Logger) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	every := s.Every
	if every <= 0 {
		every = 24 * time.Hour
	}
	for {
		now := clock()
		path := filepath.Join(s.Dir, FileName(now))
		sum, err := ToFile(ctx, db, log, path, s.Recipients, now, nil)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			logger.Error("scheduled backup failed", "err", err, "dir", s.Dir)
		default:
			logger.Info("backup taken", "file", path, "rows", sum.Manifest.Rows(), "seconds", sum.Elapsed.Seconds())
			if removed, err := Prune(s.Dir, s.Keep); err != nil {
				logger.Error("pruning old backups failed", "err", err, "dir", s.Dir)
			} else if len(removed) > 0 {
				logger.Info("old backups removed", "files", strings.Join(removed, ", "), "kept", s.Keep)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}
