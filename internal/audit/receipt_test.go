package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store/storetest"
)

func TestAReceiptForASealedEventVerifiesWithTheLogsKey(t *testing.T) {
	fx := newTamperFixture(t)
	for _, pos := range []int{v1Events, 13, 19, 20, 29} {
		r, err := fx.log.Receipt(context.Background(), fx.at[pos])
		if err != nil {
			t.Fatalf("receipt for position %d: %v", pos, err)
		}
		if r.LeafIndex != int64(pos) || r.Event.ID != fx.at[pos] {
			t.Errorf("receipt names event %s at %d, want %s at %d", r.Event.ID, r.LeafIndex, fx.at[pos], pos)
		}
		// The person keeps the JSON; it must verify after a round trip.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back audit.Receipt
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := audit.VerifyReceipt(back, fx.log.Keys().VerifierKey); err != nil {
			t.Errorf("receipt for position %d does not verify: %v", pos, err)
		}
	}
}

func TestAReceiptKeepsItsStableFieldNames(t *testing.T) {
	fx := newTamperFixture(t)
	r, err := fx.log.Receipt(context.Background(), fx.at[13])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"format", "event", "private", "leaf_index", "leaf_hash", "checkpoint", "proof", "verifier_key"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("receipt JSON has no %q field: %s", name, b)
		}
	}
	if len(fields) != 8 {
		t.Errorf("receipt JSON has %d fields, want 8: %s", len(fields), b)
	}
	var event map[string]json.RawMessage
	if err := json.Unmarshal(fields["event"], &event); err != nil {
		t.Fatal(err)
	}
	// A permitted access shows everything but the account ID, the address
	// and the request ID, under the names format 1 receipts used.
	want := []string{"id", "at", "actor_name", "actor_role", "actor_kind", "action", "resource_type", "resource_id",
		"person_id", "purpose", "decision", "reason", "reason_text", "basis_id", "break_glass", "special_basis", "outcome", "detail"}
	for _, name := range want {
		if _, ok := event[name]; !ok {
			t.Errorf("the receipt's event has no %q: %s", name, fields["event"])
		}
	}
	if len(event) != len(want) {
		t.Errorf("the receipt's event has %d fields, want %d: %s", len(event), len(want), fields["event"])
	}
}

// refusedEvent is a member of staff without the permission asking for
// emergency access, with the reason they typed.
func refusedEvent() audit.Event {
	return audit.Event{
		ActorID: "user-9", ActorName: "Pat Doyle", ActorRole: "administrator", ActorKind: "staff",
		Action: "break-glass", ResourceType: "Patient", ResourceID: "person-1", PersonID: "person-1", Purpose: "emergency",
		Decision: "deny", Reason: "no-permission", ReasonText: "Denied: this role does not allow this action.",
		Outcome: audit.OutcomeDenied, Detail: "emergency access: she owes me money",
		ClientAddr: "198.51.100.77", RequestID: "req-refused",
	}
}

func TestAReceiptShowsNeitherTheRequestNorWhoWasRefusedNorWhatTheyTypedAndStillVerifies(t *testing.T) {
	l, _ := newTestLog(t)
	appendEvents(t, l, 0, 3)
	refused, err := l.AppendNow(context.Background(), refusedEvent())
	if err != nil {
		t.Fatal(err)
	}
	allowed, err := l.AppendNow(context.Background(), readEvent(3))
	if err != nil {
		t.Fatal(err)
	}
	seal(t, l, 5)
	tests := []struct {
		name   string
		event  audit.Event
		hidden []string // field names the receipt must not show
		shown  []string
		absent []string // values that must appear nowhere in the receipt
	}{
		{"a refused attempt shows its role, action and reason code but not who, what they typed or the request", refused,
			[]string{"actor_id", "actor_name", "reason_text", "detail", "client_addr", "request_id"},
			[]string{"id", "at", "actor_role", "action", "decision", "reason", "outcome"},
			[]string{"Pat Doyle", "user-9", "owes me money", "198.51.100.77", "req-refused", "this role does not allow"}},
		{"an allowed access shows who and why but not the account ID or the request", allowed,
			[]string{"actor_id", "client_addr", "request_id"},
			[]string{"actor_name", "reason_text", "detail"},
			[]string{"user-1", "192.0.2.10", "req-3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := l.Receipt(context.Background(), tt.event.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range append(tt.absent, tt.event.Salt) {
				if v != "" && strings.Contains(string(b), v) {
					t.Errorf("the receipt holds %q: %s", v, b)
				}
			}
			if tt.event.Salt == "" {
				t.Fatal("the appended event has no salt")
			}
			var back audit.Receipt
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			for _, name := range tt.hidden {
				if back.Shows(name) {
					t.Errorf("the receipt shows %s", name)
				}
			}
			for _, name := range tt.shown {
				if !back.Shows(name) {
					t.Errorf("the receipt does not show %s", name)
				}
			}
			if err := audit.VerifyReceipt(back, l.Keys().VerifierKey); err != nil {
				t.Fatalf("the receipt does not verify: %v", err)
			}
		})
	}
}

func TestAnAccessRecordedBeforeFormat2HasNoReceiptButVerifies(t *testing.T) {
	fx := newTamperFixture(t)
	_, err := fx.log.Receipt(context.Background(), fx.at[2])
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "recorded before") {
		t.Fatalf("receipt for a format 1 event: %v, want a conflict saying it was recorded before", err)
	}
	if rep := verify(t, fx.log); !rep.OK() || rep.Sealed != 30 {
		t.Fatalf("the log with both formats: %+v", rep)
	}
}

// testdata/receipt-v1.json is a receipt made by Hearth before leaf format 2
// (its own verifier key stands in for the one the provider published).
func TestAReceiptMadeBeforeFormat2StillVerifies(t *testing.T) {
	text, err := os.ReadFile("testdata/receipt-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	var r audit.Receipt
	if err := json.Unmarshal(text, &r); err != nil {
		t.Fatal(err)
	}
	if r.Format != audit.LeafV1 || r.Event.ActorName != "Siân Llewelyn" || r.Event.Detail != "read care plan <b>&</b>" {
		t.Fatalf("read as %+v", r)
	}
	if err := audit.VerifyReceipt(r, r.VerifierKey); err != nil {
		t.Fatalf("an old receipt no longer verifies: %v", err)
	}
	again, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(again), `"format"`) {
		t.Errorf("a format 1 receipt written again gained a format field: %s", again)
	}
	var back audit.Receipt
	if err := json.Unmarshal(again, &back); err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyReceipt(back, r.VerifierKey); err != nil {
		t.Fatalf("an old receipt written again no longer verifies: %v", err)
	}
	r.Event.ClientAddr = "192.0.2.99"
	if err := audit.VerifyReceipt(r, r.VerifierKey); err == nil || !strings.Contains(err.Error(), "the event does not match its leaf hash") {
		t.Fatalf("an old receipt with its address changed: %v", err)
	}
}

func TestAReceiptThatShowsMoreOrLessThanItWasIssuedWithFails(t *testing.T) {
	l, _ := newTestLog(t)
	ev, err := l.AppendNow(context.Background(), refusedEvent())
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, l, 0, 2)
	seal(t, l, 3)
	r, err := l.Receipt(context.Background(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(r)
	key := l.Keys().VerifierKey
	tests := []struct {
		name   string
		change func(receipt, event map[string]any)
		want   string
	}{
		{"a receipt given the text it did not show fails at the event",
			func(_, e map[string]any) { e["detail"] = "emergency access: she owes me money" }, "the event does not match its leaf hash"},
		{"a receipt given the address it did not show fails at the event",
			func(_, e map[string]any) { e["client_addr"] = "198.51.100.77" }, "the event does not match its leaf hash"},
		{"a receipt with a field taken out fails at the event",
			func(_, e map[string]any) { delete(e, "reason") }, "the event does not match its leaf hash"},
		{"a receipt whose commitment to the fields not shown was changed fails at the event",
			func(r, _ map[string]any) { r["private"] = strings.Repeat("ab", 32) }, "the event does not match its leaf hash"},
		{"a receipt whose commitment is not a hash says so",
			func(r, _ map[string]any) { r["private"] = "not a hash" }, "not a lowercase hex SHA-256 hash"},
		{"a receipt with its time written another way is not read",
			func(_, e map[string]any) { e["at"] = strings.Replace(e["at"].(string), "Z", "+00:00", 1) }, "is not a UTC time"},
		{"a receipt with a field no receipt has is not read",
			func(_, e map[string]any) { e["salt"] = "00" }, "a field no receipt has"},
		{"a receipt of a format Hearth does not know is not read",
			func(r, _ map[string]any) { r["format"] = 3 }, "receipt format 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rm map[string]any
			if err := json.Unmarshal(good, &rm); err != nil {
				t.Fatal(err)
			}
			tt.change(rm, rm["event"].(map[string]any))
			b, _ := json.Marshal(rm)
			var c audit.Receipt
			err := json.Unmarshal(b, &c)
			if err == nil {
				err = audit.VerifyReceipt(c, key)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	var c audit.Receipt
	if err := json.Unmarshal(good, &c); err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyReceipt(c, key); err != nil {
		t.Fatalf("the untouched receipt no longer verifies: %v", err)
	}
}

func TestATamperedReceiptFailsAndSaysWhere(t *testing.T) {
	fx := newTamperFixture(t)
	good, err := fx.log.Receipt(context.Background(), fx.at[12])
	if err != nil {
		t.Fatal(err)
	}
	otherKey := newKeys(t).VerifierKey
	tests := []struct {
		name   string
		change func(r *audit.Receipt) (key string)
		want   string
	}{
		{
			name:   "a receipt whose event detail was changed fails at the event",
			change: func(r *audit.Receipt) string { r.Event.Detail = "a different story"; return "" },
			want:   "the event does not match its leaf hash",
		},
		{
			name: "a receipt whose event and leaf hash were both changed fails at the proof",
			change: func(r *audit.Receipt) string {
				r.Event.Reason = "break-glass"
				return "recompute-leaf"
			},
			want: "the inclusion proof does not lead",
		},
		{
			name: "a receipt with a changed proof hash fails at the proof",
			change: func(r *audit.Receipt) string {
				r.Proof = append([]string(nil), r.Proof...)
				r.Proof[0] = strings.Repeat("00", 32)
				return ""
			},
			want: "the inclusion proof does not lead",
		},
		{
			name:   "a receipt moved to another position fails at the proof",
			change: func(r *audit.Receipt) string { r.LeafIndex = 13; return "" },
			want:   "the inclusion proof does not lead",
		},
		{
			name:   "a receipt checked with a different verifier key fails at the signature",
			change: func(r *audit.Receipt) string { return otherKey },
			want:   "the checkpoint signature is not valid for this key",
		},
		{
			name: "a receipt whose checkpoint was tampered with fails at the signature",
			change: func(r *audit.Receipt) string {
				r.Checkpoint = strings.Replace(r.Checkpoint, "tree\n30\n", "tree\n31\n", 1)
				return ""
			},
			want: "the checkpoint signature is not valid for this key",
		},
		{
			name: "a receipt whose position lies outside its checkpoint fails",
			change: func(r *audit.Receipt) string {
				r.LeafIndex = 30
				return ""
			},
			want: "outside the checkpoint",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			r.Proof = append([]string(nil), good.Proof...)
			key := tt.change(&r)
			if key == "recompute-leaf" {
				r.LeafHash = leafHashOf(t, r)
				key = ""
			}
			if key == "" {
				key = fx.log.Keys().VerifierKey
			}
			err := audit.VerifyReceipt(r, key)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifyReceipt = %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if err := audit.VerifyReceipt(good, fx.log.Keys().VerifierKey); err != nil {
		t.Fatalf("the untouched receipt no longer verifies: %v", err)
	}
}

func TestAnEventNotYetSealedHasNoReceiptYet(t *testing.T) {
	l, _ := newTestLog(t)
	ev, err := l.AppendNow(context.Background(), readEvent(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Receipt(context.Background(), ev.ID)
	if hearth.KindOf(err) != hearth.KindUnavailable || !strings.Contains(err.Error(), "not sealed yet") {
		t.Fatalf("receipt before sealing: %v, want unavailable, not sealed yet", err)
	}
	seal(t, l, 1)
	if _, err := l.Receipt(context.Background(), ev.ID); err != nil {
		t.Fatalf("receipt after sealing: %v", err)
	}
}

func TestAReceiptForAnUnknownEventIsNotFound(t *testing.T) {
	l, _ := newTestLog(t)
	for _, id := range []string{hearth.NewID(), "not-an-id"} {
		if _, err := l.Receipt(context.Background(), id); hearth.KindOf(err) != hearth.KindNotFound {
			t.Errorf("receipt for %q: %v, want not found", id, err)
		}
	}
}

func TestHearthRefusesToIssueAReceiptFromRewrittenHashes(t *testing.T) {
	fx := newTamperFixture(t)
	// A proof for position 12 in a tree of 30 uses the hash of leaf 13.
	storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, strings.Repeat("00", 32), leafHashIndex(13))
	if _, err := fx.log.Receipt(context.Background(), fx.at[12]); err == nil || !strings.Contains(err.Error(), "hearth audit verify") {
		t.Fatalf("receipt over rewritten hashes: %v, want a refusal pointing at verify", err)
	}
}

// leafHashOf is what a forger would compute to make a changed event match
// its receipt's leaf hash.
func leafHashOf(t *testing.T, r audit.Receipt) string {
	t.Helper()
	b, err := r.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	h := tlog.RecordHash(b)
	return hex.EncodeToString(h[:])
}
