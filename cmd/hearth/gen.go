package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/schollz/progressbar/v3"

	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/gen"
)

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("gen", "Generate a synthetic provider for benchmarks into a new, empty database: at --scale 1 the size of a large\n"+
		"local authority's care services (50,000 people, 2,000 staff, 10 million audit events). Never run it on a provider's database:\n"+
		"it refuses one that already holds a provider.", stderr)
	c := addCommon(f, "hearth-scale.db")
	g := addGenFlags(f)
	quiet := f.Bool("quiet", false, "no progress bar")
	profile := f.String("cpu-profile", "", "write a CPU profile of the generation to this file")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *profile != "" {
		pf, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	a, err := app.Open(ctx, app.Config{DB: *c.db, AuditKeyFile: *c.auditKey, Log: c.logger(stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := generate(ctx, a, g, !*quiet, stdout, stderr)
	if err != nil {
		return err
	}
	printGenerated(stdout, res)
	return nil
}

type genFlags struct {
	scale *float64
	days  *int
	seed  *int
}

func addGenFlags(f flags) genFlags {
	return genFlags{
		scale: f.Float64("scale", 1, "size: 1 is a large local authority (50,000 people); 0.01 a small provider"),
		days:  f.Int("days", 180, "days of history to generate, ending today"),
		seed:  f.Int("seed", 2026, "the same seed generates the same provider"),
	}
}

// generate runs the generator with a progress bar on stderr.
func generate(ctx context.Context, a *app.App, g genFlags, progress bool, stdout, stderr io.Writer) (gen.Result, error) {
	counts := gen.CountsFor(*g.scale)
	fmt.Fprintf(stdout, "Generating %d people, %d staff, %d daily notes, %d observations, %d medicine administrations and %d audit events over %d days.\n",
		counts.People, counts.Staff, counts.Notes, counts.Observations, counts.Doses, counts.Events, *g.days)
	var bar *progressbar.ProgressBar
	opt := gen.Options{Scale: *g.scale, Days: *g.days, Seed: uint64(*g.seed), Now: a.Config.Clock(),
		Password: demo.Password, Secret: demo.Secret}
	if progress {
		bar = progressbar.NewOptions64(counts.Total(), progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("rows"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionFullWidth(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(stderr) }))
		opt.Progress = func(done, total int64) { _ = bar.Set64(done) }
	}
	start := time.Now()
	res, err := gen.Run(ctx, a.DB, a.Audit, opt)
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		return res, err
	}
	// The bulk load signed its checkpoints inside its own transactions:
	// the latest is witnessed now that they are committed.
	if err := a.Audit.PublishLatest(ctx); err != nil {
		return res, err
	}
	fmt.Fprintf(stdout, "Generated in %s.\n", time.Since(start).Round(time.Second))
	return res, nil
}

func printGenerated(w io.Writer, res gen.Result) {
	fmt.Fprintf(w, "%s: %d people at %d locations, %d staff, %d people with portal accounts.\n",
		res.ProviderName, res.People, res.Locations, res.Staff, res.PortalAccounts)
	fmt.Fprintf(w, "Every account's password is %s and its TOTP secret is derived from its username as for `hearth demo`:\n", demo.Password)
	show := func(what string, names []string) {
		if len(names) == 0 {
			return
		}
		fmt.Fprintf(w, "  %-20s %s ... %s (%d), e.g. %s: TOTP secret %s\n", what, names[0], names[len(names)-1], len(names), names[0], demo.Secret(names[0]))
	}
	show("care workers", res.CareWorkers)
	show("senior carers", res.SeniorCarers)
	show("nurses", res.Nurses)
	show("registered managers", res.Managers)
	show("IG leads", res.IGLeads)
	show("portal accounts", res.Portal)
}
