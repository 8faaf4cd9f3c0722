package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"hearth"
	"hearth/internal/app"
	"hearth/internal/backup"
	"hearth/internal/store"
)

const backupUsage = `Take, check and restore encrypted backups (docs/backup.md).

Usage:
  hearth backup [--out FILE | --dir DIR] --recipient KEY    take a backup now, while Hearth runs
  hearth backup keygen --identity FILE    make an age identity; prints its recipient key
  hearth backup verify --file FILE --identity FILE [--scratch DIR|postgres://...]
                                          restore into a scratch database and compare
  hearth restore --file FILE --identity FILE --db TARGET
                                          restore into an empty database (either engine)
`

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, backupUsage)
			return nil
		case "keygen":
			return cmdBackupKeygen(args[1:], stdout, stderr)
		case "verify":
			return cmdBackupVerify(ctx, args[1:], stdout, stderr)
		}
	}
	f := newFlags("backup", "Take an encrypted backup of the whole database now, while Hearth runs.", stderr)
	c := addCommon(f, "hearth.db")
	recipient := f.String("recipient", "", "the age recipient key backups are encrypted to (age1...), or a file of them")
	out := f.String("out", "", "the file to write (default: a new file named by the time in --dir)")
	dir := f.String("dir", ".", "the directory for the backup file when --out is not given")
	quiet := f.Bool("quiet", false, "no progress on the terminal")
	if err := f.Parse(args); err != nil {
		return err
	}
	rs, err := backup.ParseRecipients([]string{*recipient})
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	now := a.Config.Clock()
	path := *out
	if path == "" {
		path = filepath.Join(*dir, backup.FileName(now))
	}
	bar, progress := progressFor("rows", !*quiet && isTerminal(stderr), stderr)
	sum, err := backup.ToFile(ctx, a.DB, a.Audit, path, rs, now, progress)
	bar.done()
	if err != nil {
		return err
	}
	size := fileSize(path)
	fmt.Fprintf(stdout, "Backup written to %s: %d tables, %d rows, %d audit events (tree size %d), from %s.\n",
		path, len(sum.Manifest.Tables), sum.Manifest.Rows(), sum.Manifest.Audit.Events, sum.Manifest.Audit.Size, sum.Manifest.Engine)
	fmt.Fprintf(stdout, "%s of data, %s on disk, in %s (%.1f MB/s of data).\n", mb(sum.Data), mb(size),
		sum.Elapsed.Round(time.Millisecond), float64(sum.Data)/1e6/sum.Elapsed.Seconds())
	fmt.Fprintln(stdout, "It holds neither the audit key nor the secrets key: keep those, and the age identity, apart from it (docs/backup.md).")
	return nil
}

func cmdBackupKeygen(args []string, stdout, stderr io.Writer) error {
	f := newFlags("backup keygen", "Make an age identity for backups and contingency packs, and print its recipient key.", stderr)
	identity := f.String("identity", "", "where to write the identity (a new file; keep it off the server)")
	if err := f.Parse(args); err != nil {
		return err
	}
	r, err := backup.Keygen(*identity, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Identity written to %s. Keep it safe and away from the server: it opens every backup.\n", *identity)
	fmt.Fprintf(stdout, "Recipient key (give it to hearth backup --recipient, or set HEARTH_RECIPIENT):\n%s\n", r)
	return nil
}

func cmdBackupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("backup verify", "Restore a backup into a scratch database, compare every table and the audit tree head with it, and record the check in the audit log.", stderr)
	c := addCommon(f, "hearth.db")
	file := f.String("file", "", "the backup file")
	identity := f.String("identity", "", "the age identity file that opens it")
	scratch := f.String("scratch", "", "where to restore: a directory for a temporary SQLite file (default: the system's), or a postgres:// DSN for a scratch schema")
	record := f.Bool("record", true, "record the passed check (audit action backup-verify) in the database given by --db")
	quiet := f.Bool("quiet", false, "no progress on the terminal")
	if err := f.Parse(args); err != nil {
		return err
	}
	ids, err := backup.ReadIdentities(*identity)
	if err != nil {
		return err
	}
	in, err := openBackup(*file)
	if err != nil {
		return err
	}
	defer in.Close()
	bar, progress := progressFor("rows", !*quiet && isTerminal(stderr), stderr)
	rep, err := backup.Verify(ctx, in, ids, *scratch, progress)
	bar.done()
	if err != nil {
		return err
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, p)
		}
		return exitError{1, fmt.Sprintf("backup verify: the restored copy of %s does not match it", *file)}
	}
	fmt.Fprintf(stdout, "The backup restores: %d tables and %d rows match, and the audit tree head (%d events sealed, root %s) matches.\n",
		rep.Tables, rep.Rows, rep.Manifest.Audit.Size, short(rep.Manifest.Audit.RootHash))
	fmt.Fprintf(stdout, "Restored %s in %s (%.1f MB/s of data).\n", mb(rep.Restore.Data), rep.Restore.Elapsed.Round(time.Millisecond),
		float64(rep.Restore.Data)/1e6/rep.Restore.Elapsed.Seconds())
	if *record {
		a, err := app.Open(ctx, c.appConfig(stderr))
		if err != nil {
			return fmt.Errorf("the backup verified, but recording it failed: %w", err)
		}
		defer a.Close()
		detail := fmt.Sprintf("backup %s taken %s verified: %d tables, %d rows, audit tree size %d", filepath.Base(*file),
			rep.Manifest.TakenAt.Format(time.RFC3339), rep.Tables, rep.Rows, rep.Manifest.Audit.Size)
		if err := backup.Record(ctx, a.Audit, a.Config.Clock(), "backup-verify", detail); err != nil {
			return fmt.Errorf("the backup verified, but recording it failed: %w", err)
		}
	}
	return nil
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("restore", "Restore a backup into an empty database, on either engine. It migrates the database, loads every table and checks each against the backup.", stderr)
	db := f.String("db", "", "the EMPTY database to restore into: a SQLite file (created) or a postgres:// DSN")
	file := f.String("file", "", "the backup file")
	identity := f.String("identity", "", "the age identity file that opens it")
	quiet := f.Bool("quiet", false, "no progress on the terminal")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return hearth.Invalid("db", "Name the empty database to restore into")
	}
	ids, err := backup.ReadIdentities(*identity)
	if err != nil {
		return err
	}
	in, err := openBackup(*file)
	if err != nil {
		return err
	}
	defer in.Close()
	target, err := store.Open(ctx, *db, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer target.Close()
	bar, progress := progressFor("rows", !*quiet && isTerminal(stderr), stderr)
	sum, err := backup.Restore(ctx, target, in, ids, progress)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %d tables and %d rows from a %s backup taken %s into %s, in %s (%.1f MB/s of data).\n",
		len(sum.Manifest.Tables), sum.Manifest.Rows(), sum.Manifest.Engine, sum.Manifest.TakenAt.Format(time.RFC3339),
		target.Dialect(), sum.Elapsed.Round(time.Millisecond), float64(sum.Data)/1e6/sum.Elapsed.Seconds())
	fmt.Fprintln(stdout, "Before serving it, put the audit key file and the secrets key file beside it (or name them with --audit-key-file and --secrets-key-file): the backup carries neither. Then run hearth audit verify.")
	return nil
}

func openBackup(path string) (*os.File, error) {
	if path == "" {
		return nil, hearth.Invalid("file", "Name the backup file")
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, hearth.Invalid("file", path+" does not exist")
	}
	return f, err
}

// bar is a progress bar made once the total is known.
type bar struct{ b *progressbar.ProgressBar }

func (b *bar) done() {
	if b.b != nil {
		_ = b.b.Finish()
	}
}

// progressFor is a progress bar on stderr when show, and its callback.
func progressFor(what string, show bool, stderr io.Writer) (*bar, backup.Progress) {
	out := &bar{}
	if !show {
		return out, nil
	}
	return out, func(done, total int64) {
		if out.b == nil {
			out.b = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(what),
				progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth(),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
		}
		_ = out.b.Set64(done)
	}
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "..."
	}
	return strings.TrimSpace(h)
}
