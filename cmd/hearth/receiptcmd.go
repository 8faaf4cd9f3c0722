package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"hearth/internal/app"
	"hearth/internal/portal"
)

// cmdVerifyReceipt checks a receipt a person downloaded from the portal,
// without the database: only the receipt and the log's verifier key (from
// --verifier-key, or the second line of the audit key file).
func cmdVerifyReceipt(args []string, stdout, stderr io.Writer) error {
	f := newFlags("audit verify-receipt", "Check a receipt for one access against the audit log's verifier key.", stderr)
	db := f.String("db", "hearth.db", "SQLite file, or postgres:// DSN (only to find the default key file)")
	keyFile := f.String("audit-key-file", "", "the audit key file whose second line is the verifier key (default: beside the SQLite file, or ./hearth-audit.key)")
	key := f.String("verifier-key", "", "the verifier key itself, as published by the provider")
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
	if *key == "" {
		path := *keyFile
		if path == "" {
			path = app.DefaultAuditKeyFile(*db)
		}
		if *key, err = verifierKeyFromFile(path); err != nil {
			return exitError{2, "audit verify-receipt: " + err.Error()}
		}
	}
	res := portal.VerifyReceiptJSON(text, *key)
	if !res.OK {
		fmt.Fprintln(stdout, "THE RECEIPT DOES NOT VERIFY.")
		fmt.Fprintln(stdout, res.Problem)
		return exitError{1, "audit verify-receipt: " + res.Problem}
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
	return nil
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
