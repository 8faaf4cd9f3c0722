package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"filippo.io/age"

	"hearth"
	"hearth/internal/app"
	"hearth/internal/backup"
	"hearth/internal/contingency"
)

func cmdContingency(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("contingency", "Write the contingency pack now: for each location, an encrypted, printable page per person in care there, for when Hearth is down (README, \"When Hearth is down\").", stderr)
	c := addCommon(f, "hearth.db")
	recipient := f.String("recipient", "", "the age recipient key the pack is encrypted to (age1...), or a file of them")
	dir := f.String("dir", ".", "the directory to write the packs into")
	keep := f.Int("keep", 0, "keep only the newest N packs of each location in --dir (0: keep all)")
	if err := f.Parse(args); err != nil {
		return err
	}
	rs, err := backup.ParseRecipients([]string{*recipient})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return hearth.Invalid("dir", "The directory cannot be made: "+err.Error())
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	files, err := writeContingency(ctx, a, *dir, rs, *keep)
	if err != nil {
		return err
	}
	for _, p := range files {
		fmt.Fprintf(stdout, "Wrote %s\n", p)
	}
	fmt.Fprintln(stdout, "Open a pack with: age --decrypt -i IDENTITY-FILE -o pack.html FILE, then open pack.html in a browser and print it.")
	return nil
}

func writeContingency(ctx context.Context, a *app.App, dir string, rs []age.Recipient, keep int) ([]string, error) {
	locs, err := a.People.Locations(ctx)
	if err != nil {
		return nil, err
	}
	return contingency.Write(ctx, a.Door, locs, dir, rs, keep)
}

// scheduleFlags are serve's scheduled backups and contingency packs.
type scheduleFlags struct {
	recipient        *string
	backupDir        *string
	backupEvery      *time.Duration
	backupKeep       *int
	contingencyDir   *string
	contingencyEvery *time.Duration
	contingencyKeep  *int
}

func addScheduleFlags(f flags) scheduleFlags {
	return scheduleFlags{
		recipient:        f.String("recipient", "", "the age recipient key (age1...) scheduled backups and contingency packs are encrypted to, or a file of them"),
		backupDir:        f.String("backup-dir", "", "take scheduled backups into this directory (empty: no scheduled backups)"),
		backupEvery:      f.Duration("backup-every", 24*time.Hour, "how often to take a scheduled backup"),
		backupKeep:       f.Int("backup-keep", 14, "how many scheduled backups to keep; older ones are removed"),
		contingencyDir:   f.String("contingency-dir", "", "write contingency packs into this directory (empty: none)"),
		contingencyEvery: f.Duration("contingency-every", 6*time.Hour, "how often to write the contingency packs"),
		contingencyKeep:  f.Int("contingency-keep", 4, "how many packs of each location to keep"),
	}
}

// startSchedules starts serve's scheduled backups and contingency packs,
// if configured; the function it returns stops them and waits.
func startSchedules(ctx context.Context, a *app.App, s scheduleFlags, log *slog.Logger) (stop func(), err error) {
	if *s.backupDir == "" && *s.contingencyDir == "" {
		return func() {}, nil
	}
	rs, err := backup.ParseRecipients([]string{*s.recipient})
	if err != nil {
		return nil, err
	}
	var stops []func()
	if *s.backupDir != "" {
		if err := os.MkdirAll(*s.backupDir, 0o700); err != nil {
			return nil, hearth.Invalid("backup-dir", "The directory cannot be made: "+err.Error())
		}
		sched := backup.Schedule{Dir: *s.backupDir, Every: *s.backupEvery, Keep: *s.backupKeep, Recipients: rs}
		stops = append(stops, background(ctx, func(ctx context.Context) { sched.Run(ctx, a.DB, a.Audit, a.Config.Clock, log) }))
	}
	if *s.contingencyDir != "" {
		if err := os.MkdirAll(*s.contingencyDir, 0o700); err != nil {
			return nil, hearth.Invalid("contingency-dir", "The directory cannot be made: "+err.Error())
		}
		every := *s.contingencyEvery
		stops = append(stops, background(ctx, func(ctx context.Context) {
			for {
				files, err := writeContingency(ctx, a, *s.contingencyDir, rs, *s.contingencyKeep)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					log.Error("contingency pack failed", "err", err)
				} else {
					log.Info("contingency packs written", "files", len(files), "dir", *s.contingencyDir)
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(every):
				}
			}
		}))
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}, nil
}
