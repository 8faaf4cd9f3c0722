package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"hearth/internal/app"
	"hearth/internal/bench"
	"hearth/internal/demo"
)

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("bench", "Drive Hearth over HTTP with realistic mixes and report every figure as a ratio to the machine's limits,\n"+
		"measured in the same run. Either name databases made by `hearth gen` (--data) and bench serves each in turn,\n"+
		"or point it at a running server (--url) and the database behind it (--db).", stderr)
	data := f.String("data", "", "data sets to serve and drive, as LABEL=DB pairs: 1x=scale-0.1.db,10x=scale-1.db")
	urlFlag := f.String("url", "", "a running server to drive instead (with --db naming its database, for the limits)")
	dbFlag := f.String("db", "", "the database behind --url")
	label := f.String("label", "1x", "the data set's label, with --url")
	mixes := f.String("mix", "point-of-care,person-page,notes,portal-history,api", "mixes to run: point-of-care, person-page, notes, portal-history, api")
	clients := f.String("clients", "1,8,64", "closed-loop concurrencies")
	rates := f.String("rates", "", "open-loop rates in requests a second (empty: none)")
	duration := f.Duration("duration", 15*time.Second, "how long each run lasts")
	sessions := f.Int("sessions", 8, "how many accounts of each kind to sign in as")
	outDir := f.String("out", "", "write results.json and the SVG plots into this directory")
	docFile := f.String("doc", "", "write the whole benchmarks document (docs/benchmarks.md) here; its plots go in --out")
	previous := f.String("previous", "", "an earlier results.json, for what changed (default: --out's results.json before this run)")
	decisions := f.String("decisions", "", "JSON from tools/openfgabench (access.Decide beside OpenFGA), for the document")
	verify := f.Bool("verify", false, "also time `audit verify` on each data set against the machine's hashing limit")
	notes := f.String("notes", "", "a Markdown file saying what changed in Hearth since the last report, put after the load figures")
	keep := f.String("keep", "", "a Markdown file of earlier go test -bench figures to include at the end of the document")
	from := f.String("from", "", "write the plots and document from earlier results.json files (comma-separated, merged) instead of running")
	profile := f.String("cpu-profile", "", "write a CPU profile of the whole run (client and, with --data, server) to this file")
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
	cfg := bench.Config{Duration: *duration, Sessions: *sessions, Password: demo.Password, Secret: demo.Secret, Progress: stderr}
	for _, m := range strings.Split(*mixes, ",") {
		if m = strings.TrimSpace(m); m != "" {
			cfg.Mixes = append(cfg.Mixes, m)
		}
	}
	var err error
	if cfg.Clients, err = intList(*clients); err != nil {
		return exitError{2, "bench: --clients: " + err.Error()}
	}
	if cfg.Rates, err = floatList(*rates); err != nil {
		return exitError{2, "bench: --rates: " + err.Error()}
	}
	// Account names follow hearth gen's: cw0001..., person00001...
	for i := 1; i <= 200; i++ {
		cfg.Staff = append(cfg.Staff, fmt.Sprintf("cw%04d", i))
		cfg.Portal = append(cfg.Portal, fmt.Sprintf("person%05d", i))
	}
	var prev *bench.Report
	prevPath := *previous
	if prevPath == "" && *outDir != "" {
		prevPath = filepath.Join(*outDir, "results.json")
	}
	if prevPath != "" {
		if p, err := bench.Load(prevPath); err == nil {
			prev = &p
		}
	}

	var rep bench.Report
	switch {
	case *from != "":
		var reps []bench.Report
		for _, path := range strings.Split(*from, ",") {
			r, err := bench.Load(path)
			if err != nil {
				return err
			}
			reps = append(reps, r)
		}
		rep = bench.Merge(reps...)
		prev = nil
		if *previous != "" {
			if p, err := bench.Load(*previous); err == nil {
				prev = &p
			}
		}
	case *urlFlag != "":
		if *dbFlag == "" {
			return exitError{2, "bench: --url needs --db naming the server's database"}
		}
		cfg.Targets = []bench.Target{{Label: *label, URL: strings.TrimSuffix(*urlFlag, "/"), DSN: *dbFlag}}
		if rep, err = bench.Run(ctx, cfg); err != nil {
			return err
		}
	case *data != "":
		for _, pair := range strings.Split(*data, ",") {
			lab, db, ok := strings.Cut(pair, "=")
			if !ok {
				return exitError{2, "bench: --data wants LABEL=DB pairs"}
			}
			one, v, err := benchServed(ctx, cfg, lab, db, *verify, stderr)
			if err != nil {
				return err
			}
			if v != nil {
				one.Verify = append(one.Verify, *v)
			}
			if rep.Started.IsZero() {
				rep = one
			} else {
				rep = bench.Merge(rep, one)
			}
		}
	default:
		return exitError{2, "bench: say what to drive: --data LABEL=DB,... or --url URL --db DB"}
	}

	var plots []string
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		if plots, err = bench.Plots(rep, *outDir); err != nil {
			return err
		}
		if err := bench.Save(rep, filepath.Join(*outDir, "results.json")); err != nil {
			return err
		}
	}
	plotDir := *outDir
	if *docFile != "" && *outDir != "" {
		if rel, err := filepath.Rel(filepath.Dir(*docFile), *outDir); err == nil {
			plotDir = rel
		}
	}
	section := bench.Markdown(rep, prev, plotDir, plots)
	if *docFile == "" {
		fmt.Fprint(stdout, section)
		return nil
	}
	doc, err := benchDocument(section, *decisions, rep.Verify, *notes, *keep)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*docFile, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s and %d plots.\n", *docFile, len(plots))
	return nil
}

// benchServed serves the database at db on a loopback port for the length
// of one data set's runs.
func benchServed(ctx context.Context, cfg bench.Config, label, db string, verify bool, stderr io.Writer) (bench.Report, *bench.Verify, error) {
	a, err := app.Open(ctx, app.Config{DB: db})
	if err != nil {
		return bench.Report{}, nil, err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return bench.Report{}, nil, err
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	sealCtx, stopSealer := context.WithCancel(ctx)
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		a.Audit.RunSealer(sealCtx, 500*time.Millisecond)
	}()
	defer func() {
		stopSealer()
		<-sealed
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	cfg.Targets = []bench.Target{{Label: label, URL: "http://" + ln.Addr().String(), DSN: db, Stats: a.DB.WriteStats}}
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		return rep, nil, err
	}
	if !verify {
		return rep, nil, nil
	}
	v, err := timeVerify(ctx, a, label, stderr)
	return rep, v, err
}

func intList(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, errors.New("want whole numbers from 1, separated by commas")
		}
		out = append(out, n)
	}
	return out, nil
}

func floatList(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || n <= 0 {
			return nil, errors.New("want numbers above 0, separated by commas")
		}
		out = append(out, n)
	}
	return out, nil
}
