package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"hearth/internal/accounts"
	"hearth/internal/app"
)

const secretsUsage = `Manage the key that seals second factors at rest (TOTP secrets and recovery
codes). The key file lives outside the database (--secrets-key-file, or beside
the audit key file); keep a copy of it somewhere safe, apart from the
database's backups: without it no one can give a code.

Usage:
  hearth secrets rotate    make a new key, seal everything again under it, then
                           retire the old key from the key file
  hearth secrets status    say which keys the file holds and which the database uses

With several serve nodes, each with its own copy of the key file, copy the new
file to every node before retiring the old key: run rotate with --keep-old,
copy the file, then run rotate again with --retire-only.
`

func cmdSecrets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, secretsUsage)
		if len(args) == 0 {
			return exitError{2, "secrets: say which: rotate or status"}
		}
		return nil
	}
	sub := args[0]
	f := newFlags("secrets "+sub, "Manage the key that seals second factors at rest.", stderr)
	c := addCommon(f, "hearth.db")
	keepOld := f.Bool("keep-old", false, "rotate: seal under a new key but keep the old one in the file (for copying to other nodes first)")
	retireOnly := f.Bool("retire-only", false, "rotate: only retire keys nothing is sealed under any more")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "status":
		used, err := accounts.SealedKeyIDs(ctx, a.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Key file %s holds %v; %s seals.\nThe database has values sealed under %v.\n",
			a.Secrets.Path(), a.Secrets.IDs(), a.Secrets.CurrentID(), used)
		return nil
	case "rotate":
		if !*retireOnly {
			id, err := a.Secrets.AddKey()
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Added key %s to %s; the old keys stay until everything is sealed again.\n", id, a.Secrets.Path())
			n, err := a.Accounts.Reseal(ctx, accounts.Operator(operatorName()), accounts.Meta{ClientAddr: "command line"})
			if err != nil {
				return fmt.Errorf("sealing again under key %s (the old keys are still in the file, so nothing is lost; run it again): %w", id, err)
			}
			fmt.Fprintf(stdout, "Sealed %d values again under key %s.\n", n, id)
			if *keepOld {
				fmt.Fprintln(stdout, "Kept the old keys: copy the key file to every node, then run 'hearth secrets rotate --retire-only'.")
				return nil
			}
		}
		used, err := accounts.SealedKeyIDs(ctx, a.DB)
		if err != nil {
			return err
		}
		if len(used) > 1 || (len(used) == 1 && used[0] != a.Secrets.CurrentID()) {
			return exitError{1, fmt.Sprintf("secrets: values are still sealed under %v; nothing was retired", used)}
		}
		old := slices.Clone(a.Secrets.IDs()[1:])
		if err := a.Secrets.RetireOthers(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Retired %v; %s now holds only key %s.\n", old, a.Secrets.Path(), a.Secrets.CurrentID())
		return nil
	}
	return exitError{2, fmt.Sprintf("secrets: unknown command %q: rotate or status", sub)}
}
