package portal_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"hearth/internal/audit"
	"hearth/internal/portal"
)

// FuzzReceipt: whatever is pasted or uploaded as a receipt, checking it
// never panics and always says where it failed; and nothing but the one
// real receipt the fuzzer starts from verifies, whatever is changed in it:
// a receipt that verifies says exactly what the real one says.
func FuzzReceipt(f *testing.F) {
	real, err := os.ReadFile("../audit/testdata/receipt-v1.json")
	if err != nil {
		f.Fatal(err)
	}
	var want audit.Receipt
	if err := json.Unmarshal(real, &want); err != nil {
		f.Fatal(err)
	}
	key := want.VerifierKey
	if got := portal.VerifyReceiptJSON(real, key); !got.OK {
		f.Fatalf("the real receipt does not verify: %s", got.Problem)
	}
	f.Add(real)
	f.Add([]byte(strings.Replace(string(real), `"leaf_index": 3`, `"leaf_index": 4`, 1)))
	f.Add([]byte(strings.Replace(string(real), "Siân", "Sian", 1)))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"event": null, "proof": ["zz"], "checkpoint": "go.sum database tree\n-1\n\n"}`))
	f.Add([]byte(`not json`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, text []byte) {
		got := portal.VerifyReceiptJSON(text, key)
		if !got.OK {
			if got.Problem == "" {
				t.Fatal("a refused receipt says nothing about why")
			}
			return
		}
		if !reflect.DeepEqual(got.Receipt.Event, want.Event) || got.Receipt.LeafIndex != want.LeafIndex ||
			got.Receipt.Checkpoint != want.Checkpoint {
			t.Fatalf("a receipt that is not the real one verified:\n%s", text)
		}
	})
}
