package audit_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store/storetest"
)

func TestAReceiptForASealedEventVerifiesWithTheLogsKey(t *testing.T) {
	fx := newTamperFixture(t)
	for _, pos := range []int{0, 7, 19, 20, 29} {
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
	r, err := fx.log.Receipt(context.Background(), fx.at[3])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"event", "leaf_index", "leaf_hash", "checkpoint", "proof", "verifier_key"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("receipt JSON has no %q field: %s", name, b)
		}
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
				r.LeafHash = leafHashOf(r.Event)
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
func leafHashOf(ev audit.Event) string {
	h := tlog.RecordHash(ev.Canonical())
	return hex.EncodeToString(h[:])
}
