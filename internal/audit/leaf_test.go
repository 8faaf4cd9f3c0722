package audit_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/audit"
)

// leafVector is one entry of testdata/leaf-v2-vector.json, which was made
// by an implementation of docs/audit-leaf.md written apart from this
// package (in Python): Hearth must build the very same bytes.
type leafVector struct {
	Name            string                     `json:"name"`
	Event           audit.Event                `json:"event"`
	Salt            string                     `json:"salt"`
	PrivateFields   []string                   `json:"private_fields"`
	PrivatePreimage string                     `json:"private_preimage"`
	Private         string                     `json:"private"`
	ReceiptEvent    map[string]json.RawMessage `json:"receipt_event"`
	Leaf            string                     `json:"leaf"`
	LeafHex         string                     `json:"leaf_hex"`
	LeafHash        string                     `json:"leaf_hash"`
}

func TestFormat2LeavesMatchTheTestVectorByteForByte(t *testing.T) {
	text, err := os.ReadFile("testdata/leaf-v2-vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []leafVector `json:"vectors"`
	}
	if err := json.Unmarshal(text, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) < 2 {
		t.Fatalf("%d vectors, want an allowed and a refused access", len(file.Vectors))
	}
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if hex.EncodeToString([]byte(v.Leaf)) != v.LeafHex {
				t.Fatal("the vector's leaf text and hex differ")
			}
			// From the event as stored, as Hearth seals it.
			ev := v.Event
			ev.LeafFormat, ev.Salt = audit.LeafV2, v.Salt
			leaf := ev.Leaf()
			if got := hex.EncodeToString(leaf); got != v.LeafHex {
				t.Errorf("leaf from the stored event:\n got %q\nwant %q", leaf, v.Leaf)
			}
			if h := tlog.RecordHash(leaf); hex.EncodeToString(h[:]) != v.LeafHash {
				t.Errorf("leaf hash %x, want %s", h, v.LeafHash)
			}

			// From the receipt alone, as a person's verifier rebuilds it.
			receipt, _ := json.Marshal(map[string]any{"format": 2, "event": v.ReceiptEvent, "private": v.Private,
				"leaf_index": 0, "leaf_hash": v.LeafHash, "checkpoint": "", "proof": []string{}, "verifier_key": ""})
			var r audit.Receipt
			if err := json.Unmarshal(receipt, &r); err != nil {
				t.Fatal(err)
			}
			rebuilt, err := r.Leaf()
			if err != nil {
				t.Fatal(err)
			}
			if string(rebuilt) != v.Leaf {
				t.Errorf("leaf from the receipt:\n got %q\nwant %q", rebuilt, v.Leaf)
			}

			// What Hearth keeps private is what the vector keeps private.
			var hidden []string
			for _, name := range []string{"id", "at", "actor_id", "actor_name", "actor_role", "actor_kind", "action",
				"resource_type", "resource_id", "person_id", "purpose", "decision", "reason", "reason_text", "basis_id",
				"break_glass", "special_basis", "outcome", "detail", "client_addr", "request_id"} {
				if !r.Shows(name) {
					hidden = append(hidden, name)
				}
			}
			if !slices.Equal(hidden, v.PrivateFields) {
				t.Errorf("the receipt hides %v, want %v", hidden, v.PrivateFields)
			}
			// And Hearth writes the receipt's event as the vector does.
			ours, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var got, want struct {
				Event map[string]any `json:"event"`
			}
			want.Event = map[string]any{}
			for k, raw := range v.ReceiptEvent {
				var x any
				if err := json.Unmarshal(raw, &x); err != nil {
					t.Fatal(err)
				}
				want.Event[k] = x
			}
			if err := json.Unmarshal(ours, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Event, want.Event) {
				t.Errorf("receipt event:\n got %v\nwant %v", got.Event, want.Event)
			}
		})
	}
}
