package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"hearth"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/audit"
	"hearth/internal/store"
)

const auditKeyUsage = `Manage the key that signs the audit log's checkpoints and MACs its events.
The key file lives outside the database (--audit-key-file, or beside the
SQLite file, or ./hearth-audit.key for PostgreSQL). Hearth never replaces it
silently: a database whose log has events will not start without the key
that signed them.

Usage:
  hearth audit key show     say which keys the file holds and which the log expects
  hearth audit key new      make the key for a log with no events yet (hearth serve and
                            hearth demo do this themselves for a brand-new database)
  hearth audit key new --replace-lost-key
                            make a new key for a log whose key is lost: recorded in
                            the log; what was signed with the lost key can no longer
                            be checked by hearth audit verify
  hearth audit key rotate   sign with a new key from now on; the old key stays in the
                            file as a verifier, so old checkpoints and receipts verify

After rotate, copy the key file to every serve node and restart them.
`

func cmdAuditKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, auditKeyUsage)
		if len(args) == 0 {
			return exitError{2, "audit key: say which: show, new or rotate"}
		}
		return nil
	}
	sub := args[0]
	f := newFlags("audit key "+sub, "Manage the audit log's signing key.", stderr)
	c := addCommon(f, "hearth.db")
	replaceLost := f.Bool("replace-lost-key", false, "new: make a new key although the log has events, because the key that signed them is lost (recorded in the log)")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	cfg := c.appConfig(stderr)
	switch sub {
	case "show":
		return auditKeyShow(ctx, cfg, stdout)
	case "new":
		return auditKeyNew(ctx, cfg, *replaceLost, stdout)
	case "rotate":
		return auditKeyRotate(ctx, cfg, stdout)
	}
	return exitError{2, fmt.Sprintf("audit key: unknown command %q: show, new or rotate", sub)}
}

// keyPaths fills in the default key and witness files as app.Open would.
func keyPaths(cfg app.Config) (keyFile, witnessFile string) {
	keyFile = cfg.AuditKeyFile
	if keyFile == "" {
		keyFile = app.DefaultAuditKeyFile(cfg.DB)
	}
	witnessFile = cfg.WitnessFile
	if witnessFile == "" {
		witnessFile = app.DefaultWitnessFile(keyFile)
	}
	return keyFile, audit.NewWitness(witnessFile).Path()
}

// openStore opens and migrates the database alone, for the commands that
// must run when app.Open refuses to (no key that matches the log).
func openStore(ctx context.Context, cfg app.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DB, cfg.Log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func auditKeyShow(ctx context.Context, cfg app.Config, stdout io.Writer) error {
	keyFile, witness := keyPaths(cfg)
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	has, err := audit.LogHasEvents(ctx, db)
	if err != nil {
		return err
	}
	if has {
		expect, err := audit.ExpectedKey(ctx, db)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "The audit log has events; its latest checkpoint is signed with %s.\n", expect)
	} else {
		fmt.Fprintln(stdout, "The audit log has no events yet.")
	}
	k, err := audit.LoadKeys(keyFile)
	if err != nil {
		fmt.Fprintf(stdout, "No usable key file at %s: %v\n", keyFile, err)
	} else {
		ids := k.IDs()
		fmt.Fprintf(stdout, "The key file %s signs with %s", keyFile, ids[0])
		if len(ids) > 1 {
			fmt.Fprintf(stdout, " and keeps %s as verifiers", strings.Join(ids[1:], ", "))
		}
		fmt.Fprintf(stdout, ".\nVerifier key (publish it, so that anyone can check receipts and checkpoints): %s\n", k.VerifierKey)
	}
	fmt.Fprintf(stdout, "Witness file: %s\n", witness)
	return nil
}

func auditKeyNew(ctx context.Context, cfg app.Config, replaceLost bool, stdout io.Writer) error {
	keyFile, witness := keyPaths(cfg)
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if old, err := audit.LoadKeys(keyFile); err == nil {
		return exitError{1, fmt.Sprintf("audit key new: the key file %s already holds key %s, and a key file is never overwritten; "+
			"to sign with a new key, run hearth audit key rotate", keyFile, old.ID())}
	}
	has, err := audit.LogHasEvents(ctx, db)
	if err != nil {
		return err
	}
	expect := ""
	if has {
		if expect, err = audit.ExpectedKey(ctx, db); err != nil {
			return err
		}
		if !replaceLost {
			return exitError{1, fmt.Sprintf("audit key new: the audit log in this database has events signed with %s; a new key would leave them unverifiable. "+
				"Find that key file and name it with --audit-key-file. If it is truly lost, run again with --replace-lost-key, which records the replacement in the log", expect)}
		}
	}
	keys, err := audit.CreateKeyFile(keyFile)
	if err != nil {
		return err
	}
	log := audit.New(db, keys, hearth.SystemClock, cfg.Log).WithWitness(audit.NewWitness(witness))
	detail := fmt.Sprintf("new audit key %s for a log with no events", keys.ID())
	if has {
		detail = fmt.Sprintf("new audit key %s replaces the lost key (the log expected %s): what the lost key signed and MACed can no longer be checked", keys.ID(), expect)
	}
	if _, err := log.AppendNow(ctx, audit.Event{ActorName: operatorName(), ActorKind: accounts.OperatorKind, Action: "audit-key-new",
		Outcome: audit.OutcomeSuccess, Detail: detail}); err != nil {
		return err
	}
	if _, err := log.Seal(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the audit key file %s: key %s signs from now on.\n", keyFile, keys.ID())
	fmt.Fprintf(stdout, "Keep a copy of it somewhere safe, apart from the database and its backups.\nVerifier key (publish it): %s\n", keys.VerifierKey)
	if has {
		fmt.Fprintln(stdout, "The replacement is recorded in the audit log. hearth audit verify will report the events and checkpoints from before it:")
		fmt.Fprintln(stdout, "they were signed and MACed with the lost key and cannot be checked without it.")
	}
	return nil
}

func auditKeyRotate(ctx context.Context, cfg app.Config, stdout io.Writer) error {
	// Opening checks the key file matches the log: only the right key is
	// rotated.
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	// What is pending now is sealed under the old key, so the last
	// checkpoint it signs covers everything written before the rotation.
	if _, err := a.Audit.Seal(ctx); err != nil {
		return err
	}
	old, rotated, err := audit.RotateKeyFile(a.Config.AuditKeyFile)
	if err != nil {
		return err
	}
	log := audit.New(a.DB, rotated, a.Config.Clock, a.Config.Log).WithWitness(audit.NewWitness(a.Config.WitnessFile))
	if _, err := log.AppendNow(ctx, audit.Event{ActorName: operatorName(), ActorKind: accounts.OperatorKind, Action: "audit-key-rotate",
		Outcome: audit.OutcomeSuccess, Detail: fmt.Sprintf("the audit key was rotated: %s signs from now on; %s stays as a verifier", rotated.ID(), old.ID())}); err != nil {
		return err
	}
	if _, err := log.Seal(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rotated the audit key in %s: %s signs from now on; %s stays in the file as a verifier, so what it signed still verifies.\n",
		a.Config.AuditKeyFile, rotated.ID(), old.ID())
	fmt.Fprintf(stdout, "New verifier key (publish it beside the old one): %s\n", rotated.VerifierKey)
	fmt.Fprintln(stdout, "Copy the key file to every serve node and restart them: until then they sign with the old key, which still verifies.")
	return nil
}
