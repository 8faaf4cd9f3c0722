package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/audit"
)

const auditUsage = `Check the tamper-evident audit log.

Usage:
  hearth audit verify    recompute every seal and signature; name the first event
                         that was edited, deleted, inserted or reordered, and check
                         the log against every checkpoint in the witness file
  hearth audit seal      seal pending events now (the server does this continually)
  hearth audit verify-receipt FILE   check one access's receipt with the verifier key,
                         and that today's log still extends the receipt's checkpoint
  hearth audit key show  say which keys the key file holds and which the log expects
  hearth audit key new   make the first audit key for a log with no events
                         (--replace-lost-key: for a log whose key is lost; recorded in the log)
  hearth audit key rotate  sign with a new key from now on; the old one stays as a verifier
`

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, auditUsage)
		if len(args) == 0 {
			return exitError{2, "audit: say which: verify or seal"}
		}
		return nil
	}
	sub := args[0]
	if sub == "verify-receipt" {
		return cmdVerifyReceipt(ctx, args[1:], stdout, stderr)
	}
	if sub == "key" {
		return cmdAuditKey(ctx, args[1:], stdout, stderr)
	}
	f := newFlags("audit "+sub, "Check the tamper-evident audit log.", stderr)
	c := addCommon(f, "hearth.db")
	quiet := f.Bool("quiet", false, "no progress on the terminal")
	if err := f.Parse(args[1:]); err != nil {
		return err
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "seal":
		n, err := a.Audit.Seal(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Sealed %d events.\n", n)
		return nil
	case "verify":
		start := time.Now()
		var progress func(done, total int64)
		if !*quiet && isTerminal(stderr) {
			progress = func(done, total int64) {
				fmt.Fprintf(stderr, "\rVerifying %d of %d events...", done, total)
			}
		}
		rep, err := a.Audit.Verify(ctx, progress)
		if progress != nil {
			fmt.Fprintln(stderr)
		}
		if err != nil {
			return err
		}
		took := time.Since(start)
		fmt.Fprintf(stdout, "%d events, %d sealed in a tree of %d with %d signed checkpoints, %d waiting to be sealed. Checked in %s.\n",
			rep.Events, rep.Sealed, rep.TreeSize, rep.Checkpoints, rep.Pending, took.Round(time.Millisecond))
		if rep.Witness != "" {
			fmt.Fprintf(stdout, "Witness file %s: %d signed checkpoints, the largest for %d events.\n", rep.Witness, rep.Witnessed, rep.WitnessSize)
		}
		if rep.OK() {
			fmt.Fprintln(stdout, "The audit log is intact.")
			// The evidence report reads these: when the log was last
			// checked and found whole.
			if _, err := a.Audit.AppendNow(ctx, audit.Event{ActorName: operatorName(), ActorKind: accounts.OperatorKind,
				Action: "audit-verify", Outcome: audit.OutcomeSuccess, Detail: fmt.Sprintf(
					"the audit log verified: %d events, tree of %d, %d signed checkpoints, %d witnessed checkpoints (the largest for %d events)",
					rep.Events, rep.TreeSize, rep.Checkpoints, rep.Witnessed, rep.WitnessSize)}); err != nil {
				return fmt.Errorf("record that the audit log verified: %w", err)
			}
			return nil
		}
		if _, err := a.Audit.AppendNow(ctx, audit.Event{ActorName: operatorName(), ActorKind: accounts.OperatorKind,
			Action: "audit-verify", Outcome: audit.OutcomeFailed, Detail: "the audit log did not verify: " + rep.First().Message}); err != nil {
			fmt.Fprintf(stderr, "hearth: could not record the failed check in the log: %v\n", err)
		}
		fmt.Fprintln(stdout, "THE AUDIT LOG HAS BEEN TAMPERED WITH.")
		for _, p := range rep.Problems {
			fmt.Fprintf(stdout, "- %s: %s\n", p.Kind, p.Message)
		}
		return exitError{1, "audit verify: " + rep.First().Message}
	}
	return exitError{2, fmt.Sprintf("audit: unknown command %q (verify, seal)", sub)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
