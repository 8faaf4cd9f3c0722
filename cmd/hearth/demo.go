package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/gen"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("demo", "Create (once) a plausible demo provider in its own database, print the demo accounts, and serve it.", stderr)
	sf := addServeFlags(f, "hearth-demo.db", "127.0.0.1:8080")
	seedOnly := f.Bool("seed-only", false, "create the demo data, print the accounts and exit without serving")
	scale := f.Float64("scale", 0, "instead of the small demo, generate a synthetic provider at this scale (1: a large local authority) into a new database, as `hearth gen` does")
	if err := f.Parse(args); err != nil {
		return err
	}
	log := sf.logger(stderr)
	a, err := app.Open(ctx, sf.config(log))
	if err != nil {
		return err
	}
	defer a.Close()
	if *scale > 0 {
		if p, err := a.People.Provider(ctx); err == nil {
			if p.Name != gen.ProviderName {
				return fmt.Errorf("demo: this database already holds %q; use a new file for generated data", p.Name)
			}
			fmt.Fprintf(stdout, "Using the generated provider already in %s.\n", *sf.db)
			return serve(ctx, a, sf, log)
		}
		days, seed := 180, 2026
		res, err := generate(ctx, a, genFlags{scale: scale, days: &days, seed: &seed}, isTerminal(stderr), stdout, stderr)
		if err != nil {
			return err
		}
		printGenerated(stdout, res)
		if *seedOnly {
			return nil
		}
		return serve(ctx, a, sf, log)
	}
	res, err := demo.Seed(ctx, a)
	if err != nil {
		return err
	}
	if _, err := a.Audit.Seal(ctx); err != nil {
		return err
	}
	printDemo(stdout, res, *sf.addr)
	if *seedOnly {
		return nil
	}
	return serve(ctx, a, sf, log)
}

func printDemo(w io.Writer, res demo.Result, addr string) {
	if res.Created {
		fmt.Fprintf(w, "Created the demo provider: %d people at %d locations.\n\n", res.People, len(res.Locations))
	} else {
		fmt.Fprintf(w, "Using the existing demo provider: %d people at %d locations.\n\n", res.People, len(res.Locations))
	}
	fmt.Fprintf(w, "Open http://%s and sign in. Every demo account's password is: %s\n", addr, demo.Password)
	fmt.Fprintln(w, "Hearth always asks for a code from an authenticator app. Add the secret to one, or print the current code with:")
	fmt.Fprintln(w, "  go run ./cmd/hearth totp SECRET")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tTOTP SECRET")
	for _, a := range res.Accounts {
		role := a.Role.Title()
		if a.Portal != "" {
			role = a.Portal
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Username, a.Name, role, a.TOTPSecret)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
