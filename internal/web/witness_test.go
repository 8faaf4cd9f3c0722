package web_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/apptest"
	"hearth/internal/audit"
)

// An outside witness, signed in nowhere, follows the log: it fetches each
// new checkpoint, checks its signature with the provider's published
// verifier key, and checks that each extends the one before with a
// consistency proof, using only the roots it holds in signed checkpoints.
func TestTheAuditEndpointsGiveCheckpointsAndProofsAnOutsideWitnessCanCheck(t *testing.T) {
	a := apptest.New(t)
	srv := a.Server()
	c := a.Client(srv.URL)
	ctx := context.Background()
	verifier, err := note.NewVerifier(a.Audit.Keys().VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Get("/audit/checkpoint"); r.Status != http.StatusNotFound {
		t.Fatalf("before anything is sealed: %d, want 404\n%s", r.Status, r.Body)
	}
	var trees []tlog.Tree
	for i := range 4 {
		for j := range 3 + i*5 {
			if _, err := a.Audit.AppendNow(ctx, audit.Event{ActorName: "test", ActorKind: "operator", Action: "test-event",
				Outcome: audit.OutcomeSuccess, Detail: fmt.Sprintf("event %d.%d", i, j)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := a.Audit.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		r := c.Get("/audit/checkpoint")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("checkpoint: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		n, err := note.Open([]byte(r.Body), note.VerifierList(verifier))
		if err != nil {
			t.Fatalf("the checkpoint does not verify with the published key: %v\n%s", err, r.Body)
		}
		tree, err := tlog.ParseTree([]byte(n.Text))
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, tree)
	}
	for i := range trees {
		for j := i; j < len(trees); j++ {
			old, cur := trees[i], trees[j]
			r := c.Get(fmt.Sprintf("/audit/consistency?old=%d&new=%d", old.N, cur.N))
			if r.Status != http.StatusOK {
				t.Fatalf("consistency %d..%d: %d\n%s", old.N, cur.N, r.Status, r.Body)
			}
			var got struct {
				Old, New int64
				Proof    []string
			}
			if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
				t.Fatal(err)
			}
			proof := make(tlog.TreeProof, len(got.Proof))
			for k, h := range got.Proof {
				b, err := hex.DecodeString(h)
				if err != nil || len(b) != len(tlog.Hash{}) {
					t.Fatalf("proof hash %q", h)
				}
				copy(proof[k][:], b)
			}
			if err := tlog.CheckTree(proof, cur.N, cur.Hash, old.N, old.Hash); err != nil {
				t.Errorf("the proof that %d extends %d does not check against the signed roots: %v", cur.N, old.N, err)
			}
			if i != j {
				// And it proves nothing about another root.
				wrong := old.Hash
				wrong[0] ^= 1
				if tlog.CheckTree(proof, cur.N, cur.Hash, old.N, wrong) == nil {
					t.Errorf("the proof %d..%d checks against a root it was not made for", old.N, cur.N)
				}
			}
		}
	}
	last := trees[len(trees)-1].N
	for _, bad := range []struct{ query, field string }{
		{"old=abc&new=5", "old"},
		{"old=3", "new"},
		{"old=0&new=5", "old"},
		{"old=6&new=5", "new"},
		{fmt.Sprintf("old=1&new=%d", last+1), "new"},
	} {
		r := c.Get("/audit/consistency?" + bad.query)
		if r.Status != http.StatusUnprocessableEntity || !strings.HasPrefix(r.Body, bad.field+": ") {
			t.Errorf("?%s: %d %q, want 422 naming %s", bad.query, r.Status, r.Body, bad.field)
		}
	}
}
