package audit_test

import (
	"context"
	"testing"

	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func bulkWrite(t *testing.T, l *audit.Log, db *store.DB, from, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		b, err := l.NewBulk(ctx, tx)
		if err != nil {
			return err
		}
		var batch []audit.Prepared
		for i := from; i < from+n; i++ {
			p, err := l.Prepare(readEvent(i))
			if err != nil {
				return err
			}
			batch = append(batch, p)
			if len(batch) == 37 { // batches that end mid-subtree
				if err := b.Write(ctx, tx, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return b.Write(ctx, tx, batch)
	})
	if err != nil {
		t.Fatalf("bulk write: %v", err)
	}
}

// Bulk-loaded events must be indistinguishable from appended and sealed
// ones: the whole log verifies, whichever way each stretch was written.
func TestBulkLoadedEventsVerifyBesideSealedOnes(t *testing.T) {
	ctx := context.Background()
	l, db := newTestLog(t)
	appendEvents(t, l, 0, 5)
	if _, err := l.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	bulkWrite(t, l, db, 5, 200)
	appendEvents(t, l, 205, 3)
	if _, err := l.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	bulkWrite(t, l, db, 208, 64)
	rep, err := l.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Sealed != 272 || rep.Pending != 0 {
		t.Fatalf("report: %+v", rep)
	}
}

func TestBulkLoadRefusesWhileEventsWaitToBeSealed(t *testing.T) {
	ctx := context.Background()
	l, db := newTestLog(t)
	appendEvents(t, l, 0, 1)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := l.NewBulk(ctx, tx)
		return err
	})
	if err == nil {
		t.Fatal("a bulk load started with an event waiting to be sealed")
	}
}

// A bulk-loaded event tampered with afterwards is caught like any other.
func TestBulkLoadedEventEditedIsCaught(t *testing.T) {
	ctx := context.Background()
	l, db := newTestLog(t)
	bulkWrite(t, l, db, 0, 50)
	storetest.Tamper(t, db, `UPDATE audit_events SET actor_name = 'Someone Else' WHERE id = (SELECT event_id FROM audit_leaves WHERE leaf_index = 17)`)
	rep, err := l.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.First(); p == nil || p.Kind != audit.Edited || p.Leaf != 17 {
		t.Fatalf("want an edit at leaf 17, got %+v", rep.Problems)
	}
}
