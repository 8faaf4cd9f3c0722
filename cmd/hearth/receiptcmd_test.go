package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/app"
	"hearth/internal/audit"
	"hearth/internal/store/storetest"
)

func TestVerifyReceiptChecksAReceiptWithTheVerifierKeyAloneAndSaysWhereATamperedOneFails(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "audit.key")
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	var id, refusedID string
	for i := range 8 {
		ev, err := a.Audit.AppendNow(ctx, audit.Event{At: time.Date(2026, 3, 3, 10, i, 0, 0, time.UTC), ActorID: "u1", ActorName: "Amy Carter",
			ActorRole: "care_worker", ActorKind: "staff", Action: "read-record", PersonID: "p1", Purpose: "direct-care",
			Decision: "permit", Reason: "care-team", ReasonText: "Allowed: on this person's care team.", Outcome: "success",
			ClientAddr: "192.0.2.44", RequestID: "req-amy"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			id = ev.ID
		}
	}
	refused, err := a.Audit.AppendNow(ctx, audit.Event{ActorID: "u9", ActorName: "Pat Doyle", ActorRole: "administrator", ActorKind: "staff",
		Action: "break-glass", PersonID: "p1", Purpose: "emergency", Decision: "deny", Reason: "no-permission",
		ReasonText: "Denied: this role does not allow this action.", Outcome: "denied", Detail: "emergency access: she owes me money",
		ClientAddr: "198.51.100.77", RequestID: "req-pat"})
	if err != nil {
		t.Fatal(err)
	}
	refusedID = refused.ID
	if _, err := a.Audit.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := a.Audit.Receipt(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := a.Audit.Receipt(ctx, refusedID)
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, r audit.Receipt) string {
		b, _ := json.Marshal(r)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", r)
	code, out, errOut := runHearth(t, "audit", "verify-receipt", "--audit-key-file", key, good)
	if code != 0 || !strings.Contains(out, "The receipt verifies: event "+id) {
		t.Fatalf("a true receipt: %d\n%s\n%s", code, out, errOut)
	}
	// The verifier key alone, as a provider would publish it.
	code, out, _ = runHearth(t, "audit", "verify-receipt", "--verifier-key", r.VerifierKey, good)
	if code != 0 {
		t.Fatalf("with --verifier-key: %d\n%s", code, out)
	}

	code, out, _ = runHearth(t, "audit", "verify-receipt", "--audit-key-file", key, write("refused.json", rr))
	if code != 0 || !strings.Contains(out, "by someone the receipt does not name, administrator") ||
		!strings.Contains(out, "Committed to but not shown: actor_id, actor_name, reason_text, detail, client_addr, request_id.") ||
		strings.Contains(out, "Pat Doyle") || strings.Contains(out, "owes me money") {
		t.Fatalf("a receipt for a refused attempt: %d\n%s", code, out)
	}
	// A receipt made before leaf format 2, as a person may have kept one.
	old := filepath.Join("..", "..", "internal", "audit", "testdata", "receipt-v1.json")
	var kept audit.Receipt
	if text, err := os.ReadFile(old); err != nil || json.Unmarshal(text, &kept) != nil {
		t.Fatalf("read %s: %v", old, err)
	}
	code, out, _ = runHearth(t, "audit", "verify-receipt", "--verifier-key", kept.VerifierKey, old)
	if code != 0 || !strings.Contains(out, "by Siân Llewelyn") || strings.Contains(out, "Committed to but not shown") {
		t.Fatalf("a receipt made before format 2: %d\n%s", code, out)
	}

	edited := r
	edited.Event.Detail = "nothing to see"
	code, out, _ = runHearth(t, "audit", "verify-receipt", "--audit-key-file", key, write("edited.json", edited))
	if code != 1 || !strings.Contains(out, "DOES NOT VERIFY") || !strings.Contains(out, "the event was changed") {
		t.Fatalf("an edited event: %d\n%s", code, out)
	}
	_, otherKey, err := audit.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = runHearth(t, "audit", "verify-receipt", "--verifier-key", otherKey, good)
	if code != 1 || !strings.Contains(out, "signature") {
		t.Fatalf("someone else's key: %d\n%s", code, out)
	}
	if code, _, errOut := runHearth(t, "audit", "verify-receipt", "--audit-key-file", key); code != 2 || !strings.Contains(errOut, "give the receipt file") {
		t.Fatalf("no file: %d %s", code, errOut)
	}
	if code, out, _ := runHearth(t, "audit", "--help"); code != 0 || !strings.Contains(out, "verify-receipt") {
		t.Errorf("help does not mention verify-receipt:\n%s", out)
	}
}
