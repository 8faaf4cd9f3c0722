package audit_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// witnessedLog is a log of 40 sealed events in three batches (checkpoints
// at 20, 30 and 40), each checkpoint also written to a witness file.
func witnessedLog(t *testing.T) (*audit.Log, *store.DB, *audit.Witness) {
	t.Helper()
	l, db := newTestLog(t)
	w := audit.NewWitness(filepath.Join(t.TempDir(), "audit.witness"))
	l.WithWitness(w)
	appendEvents(t, l, 0, 20)
	seal(t, l, 20)
	appendEvents(t, l, 20, 10)
	seal(t, l, 10)
	appendEvents(t, l, 30, 10)
	seal(t, l, 10)
	return l, db, w
}

// cutBackTo removes the events sealed at positions size and after, their
// leaves and stored hashes, and whatever was waiting to be sealed: the log
// as it stood at the checkpoint for size events.
func cutBackTo(t *testing.T, db *store.DB, size int) {
	t.Helper()
	storetest.Tamper(t, db, `DELETE FROM audit_pending`)
	storetest.Tamper(t, db, `DELETE FROM audit_leaves WHERE leaf_index >= ?`, size)
	storetest.Tamper(t, db, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, int64(size)))
	storetest.Tamper(t, db, `DELETE FROM audit_events WHERE id NOT IN (SELECT event_id FROM audit_leaves)`)
}

func TestVerifyCatchesARollbackThatOnlyTheWitnessFileRemembers(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *store.DB)
		want   string
		// alone is whether Verify without the witness sees it (the
		// database's own later checkpoints still vouch for what is gone).
		alone bool
	}{
		{"the log cut back to an earlier checkpoint, the later checkpoints left", func(t *testing.T, db *store.DB) {
			cutBackTo(t, db, 20)
		}, "the witness file holds a signed checkpoint for 40 events", true},
		{"the log cut back to an earlier checkpoint and the later checkpoints deleted", func(t *testing.T, db *store.DB) {
			cutBackTo(t, db, 20)
			storetest.Tamper(t, db, `DELETE FROM audit_checkpoints WHERE tree_size > 20`)
		}, "the witness file holds a signed checkpoint for 40 events with root", false},
		{"the log wiped: every audit table emptied", func(t *testing.T, db *store.DB) {
			for _, table := range []string{"audit_pending", "audit_leaves", "audit_hashes", "audit_checkpoints", "audit_events"} {
				storetest.Tamper(t, db, `DELETE FROM `+table)
			}
		}, "the database's log is empty", false},
		{"the log cut back and new events sealed over the gap", func(t *testing.T, db *store.DB) {
			cutBackTo(t, db, 20)
			storetest.Tamper(t, db, `DELETE FROM audit_checkpoints WHERE tree_size > 20`)
		}, "the database's first 30 events hash to", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, db, w := witnessedLog(t)
			ctx := context.Background()
			if rep, err := l.Verify(ctx, nil); err != nil || !rep.OK() || rep.Witnessed != 3 || rep.WitnessSize != 40 {
				t.Fatalf("before: %+v, %v", rep, err)
			}
			tt.tamper(t, db)
			if strings.Contains(tt.name, "new events sealed") {
				// Hearth carries on over the rolled-back log.
				appendEvents(t, l, 100, 15)
				seal(t, l, 15)
			}
			alone := audit.New(db, l.Keys(), hearth.SystemClock, nil)
			repAlone, err := alone.Verify(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if repAlone.OK() == tt.alone {
				t.Errorf("without the witness, verify OK = %v; this case is meant to be one it %s", repAlone.OK(),
					map[bool]string{true: "catches anyway", false: "misses"}[tt.alone])
			}
			rep, err := l.Verify(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("verify with the witness %s says the log is intact", w.Path())
			}
			var found *audit.Problem
			for i, p := range rep.Problems {
				if p.Kind == audit.RolledBack {
					found = &rep.Problems[i]
					break
				}
			}
			if found == nil || !strings.Contains(found.Message, tt.want) {
				t.Fatalf("problems %+v, want a rollback saying %q", rep.Problems, tt.want)
			}
		})
	}
}

func TestVerifyRefusesAWitnessFileThatIsNotThisLogsSignedCheckpoints(t *testing.T) {
	other := newKeys(t)
	tests := []struct {
		name  string
		write func(t *testing.T, good string) string
		want  string
	}{
		{"signed with another key", func(t *testing.T, good string) string {
			text, _, _ := strings.Cut(good, "\n\n")
			forged, err := note.Sign(&note.Note{Text: text + "\n"}, other.Signer)
			if err != nil {
				t.Fatal(err)
			}
			return good + string(forged) + "\n"
		}, "is signed with key " + other.ID() + ", which is not one of this log's keys"},
		{"garbage", func(t *testing.T, good string) string {
			return good + "this is not a checkpoint\nat all\n"
		}, "line 7 is not a signed checkpoint"},
		{"a root altered after signing", func(t *testing.T, good string) string {
			lines := strings.Split(good, "\n")
			h := []byte(lines[2])
			h[3] ^= 1
			lines[2] = string(h)
			return strings.Join(lines, "\n")
		}, "line 1 has a signature that does not verify: it was altered after it was signed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newTestLog(t)
			path := filepath.Join(t.TempDir(), "audit.witness")
			l.WithWitness(audit.NewWitness(path))
			appendEvents(t, l, 0, 5)
			seal(t, l, 5)
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.write(t, string(good))), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = l.Verify(context.Background(), nil)
			var werr *audit.WitnessError
			if !errors.As(err, &werr) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("verify: %v, want the witness file %s refused saying %q", err, path, tt.want)
			}
		})
	}
}

func TestVerifySaysSoWhenTheWitnessFileIsGone(t *testing.T) {
	l, _, w := witnessedLog(t)
	if err := os.Remove(w.Path()); err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.First(); p == nil || p.Kind != audit.Unwitnessed || !strings.Contains(p.Message, w.Path()) {
		t.Fatalf("problems %+v, want the missing witness file named", rep.Problems)
	}
	// Publishing the latest checkpoint again (what hearth serve does on
	// start) makes it whole; it never writes a smaller one over a larger.
	if err := l.PublishLatest(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.PublishLatest(context.Background()); err != nil {
		t.Fatal(err)
	}
	rep, err = l.Verify(context.Background(), nil)
	if err != nil || !rep.OK() || rep.Witnessed != 1 || rep.WitnessSize != 40 {
		t.Fatalf("after publishing: %+v, %v", rep, err)
	}
}

func TestConsistencyProofsAndReceiptsExposeARollback(t *testing.T) {
	l, db, _ := witnessedLog(t)
	ctx := context.Background()
	ids := leafOrder(t, db)
	r, err := l.Receipt(ctx, ids[35])
	if err != nil {
		t.Fatal(err)
	}
	early, err := l.Receipt(ctx, ids[5])
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CheckConsistent(ctx, r.Checkpoint); err != nil {
		t.Fatalf("before the rollback: %v", err)
	}
	// A proof between any two sizes checks against the roots tlog computes.
	for _, sizes := range [][2]int64{{1, 40}, {20, 30}, {7, 33}, {40, 40}} {
		c, err := l.ConsistencyProof(ctx, sizes[0], sizes[1])
		if err != nil {
			t.Fatal(err)
		}
		proof := make(tlog.TreeProof, len(c.Proof))
		for i, h := range c.Proof {
			proof[i] = mustHash(t, h)
		}
		if err := tlog.CheckTree(proof, c.New, mustHash(t, c.NewRoot), c.Old, mustHash(t, c.OldRoot)); err != nil {
			t.Errorf("proof %v: %v", sizes, err)
		}
	}
	for _, bad := range [][2]int64{{0, 10}, {11, 10}, {1, 41}} {
		if _, err := l.ConsistencyProof(ctx, bad[0], bad[1]); hearth.KindOf(err) != hearth.KindInvalid {
			t.Errorf("proof %v: %v, want invalid", bad, err)
		}
	}

	cutBackTo(t, db, 30)
	storetest.Tamper(t, db, `DELETE FROM audit_checkpoints WHERE tree_size > 30`)
	err = l.CheckConsistent(ctx, r.Checkpoint)
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "cut back") {
		t.Fatalf("a receipt from before the rollback: %v, want it to show the log was cut back", err)
	}
	// Hearth carries on: new events fill positions 30 onward again.
	appendEvents(t, l, 200, 12)
	seal(t, l, 12)
	err = l.CheckConsistent(ctx, r.Checkpoint)
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("a receipt from before the rollback, the log grown again: %v, want it to show the log was rewritten", err)
	}
	// A receipt for an event before the cut is still consistent if its
	// checkpoint is: this one was signed at 40, so it is not.
	if err := l.CheckConsistent(ctx, early.Checkpoint); err == nil {
		t.Error("a receipt signed over the 40-event tree still checks against a rewritten log")
	}
}

func mustHash(t *testing.T, s string) tlog.Hash {
	t.Helper()
	var h tlog.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		t.Fatalf("not a hash: %q", s)
	}
	copy(h[:], b)
	return h
}
