package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"hearth"
	"hearth/internal/app"
	"hearth/internal/audit"
	"hearth/internal/portal"
	"hearth/internal/store"
)

// cmdVerifyReceipt checks a receipt a person downloaded from the portal:
// first on its own, with only the log's verifier key (from --verifier-key,
// or the audit key file, which also holds the keys retired by rotation);
// then, when the database is there, that today's log still extends the
// receipt's checkpoint, so a receipt exposes a log cut back since.
func cmdVerifyReceipt(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("audit verify-receipt", "Check a receipt for one access against the audit log's verifier key, and against today's log.", stderr)
	c := addCommon(f, "hearth.db")
	db, keyFile := c.db, c.auditKey
	key := f.String("verifier-key", "", "the verifier key itself, as published by the provider")
	offline := f.Bool("offline", false, "check the receipt alone, without asking the database whether today's log still extends its checkpoint")
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return exitError{2, "audit verify-receipt: give the receipt file: hearth audit verify-receipt FILE"}
	}
	text, err := os.ReadFile(f.Arg(0))
	if err != nil {
		return exitError{2, fmt.Sprintf("audit verify-receipt: %v", err)}
	}
	keys := []string{*key}
	if *key == "" {
		path := *keyFile
		if path == "" {
			path = app.DefaultAuditKeyFile(*db)
		}
		if k, err := audit.LoadKeys(path); err == nil {
			keys = k.VerifierKeys()
		} else if keys[0], err = verifierKeyFromFile(path); err != nil {
			return exitError{2, "audit verify-receipt: " + err.Error()}
		}
	}
	res := portal.VerifyReceiptJSON(text, keys...)
	if !res.OK {
		fmt.Fprintln(stdout, "THE RECEIPT DOES NOT VERIFY.")
		fmt.Fprintln(stdout, res.Problem)
		return exitError{1, "audit verify-receipt: " + res.Problem}
	}
	checked := false
	if !*offline && databaseThere(*db) {
		a, err := app.Open(ctx, c.appConfig(stderr))
		if err != nil {
			return err
		}
		defer a.Close()
		if err := a.Audit.CheckConsistent(ctx, res.Receipt.Checkpoint); hearth.KindOf(err) == hearth.KindConflict {
			fmt.Fprintln(stdout, "THE RECEIPT VERIFIES, BUT TODAY'S AUDIT LOG NO LONGER HOLDS WHAT IT VOUCHES FOR.")
			fmt.Fprintln(stdout, err.Error())
			return exitError{1, "audit verify-receipt: " + err.Error()}
		} else if err != nil {
			return err
		}
		checked = true
	}
	e := res.Receipt.Event
	who := e.ActorName
	if !res.Receipt.Shows("actor_name") {
		who = "someone the receipt does not name"
	}
	fmt.Fprintf(stdout, "The receipt verifies: event %s (%s by %s, %s, %s) is entry %d of the signed log.\n",
		e.ID, e.Action, who, e.ActorRole, e.At.UTC().Format("2006-01-02T15:04:05Z"), res.Receipt.LeafIndex)
	if hidden := res.Receipt.Hidden(); len(hidden) > 0 {
		fmt.Fprintf(stdout, "Committed to but not shown: %s.\n", strings.Join(hidden, ", "))
	}
	if checked {
		fmt.Fprintln(stdout, "Today's audit log still holds it: the log extends the receipt's checkpoint.")
	} else {
		fmt.Fprintln(stdout, "Not checked against today's log (no database given, or --offline).")
	}
	return nil
}

// databaseThere reports whether dsn names a database that exists: a
// PostgreSQL DSN, or a SQLite file that is there (opening one that is not
// would create it, empty).
func databaseThere(dsn string) bool {
	if store.IsPostgres(dsn) {
		return true
	}
	_, err := os.Stat(dsn)
	return err == nil
}

func verifierKeyFromFile(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the verifier key: %w (or give --verifier-key)", err)
	}
	defer fh.Close()
	var lines []string
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		return "", fmt.Errorf("%s has no verifier key on its second line", path)
	}
	return lines[1], nil
}
