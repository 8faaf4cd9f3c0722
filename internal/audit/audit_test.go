package audit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// newTestLog returns a Log over a fresh database, with fresh keys.
func newTestLog(t testing.TB) (*audit.Log, *store.DB) {
	t.Helper()
	db := storetest.Open(t)
	return audit.New(db, newKeys(t), hearth.SystemClock, nil), db
}

func newKeys(t testing.TB) *audit.Keys {
	t.Helper()
	skey, vkey, err := audit.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.ParseKeys(skey, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// readEvent is the kind of event most of the log is made of: a care worker
// reading part of a person's record.
func readEvent(i int) audit.Event {
	return audit.Event{
		ActorID: "user-1", ActorName: "Amara Okafor", ActorRole: "care_worker", ActorKind: "staff",
		Action: "read", ResourceType: "CarePlan", ResourceID: fmt.Sprintf("plan-%d", i),
		PersonID: fmt.Sprintf("person-%d", i%7), Purpose: "care", Decision: "permit",
		Reason: "care-team", ReasonText: "On the person's care team", Outcome: audit.OutcomeSuccess,
		Detail: fmt.Sprintf("read care plan %d", i), ClientAddr: "192.0.2.10", RequestID: fmt.Sprintf("req-%d", i),
	}
}

func appendEvents(t testing.TB, l *audit.Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := l.AppendNow(context.Background(), readEvent(i)); err != nil {
			t.Fatalf("append event %d: %v", i, err)
		}
	}
}

// appendEventsV1 appends events as Hearth did before leaf format 2.
func appendEventsV1(t testing.TB, l *audit.Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := l.AppendV1Now(context.Background(), readEvent(i)); err != nil {
			t.Fatalf("append format 1 event %d: %v", i, err)
		}
	}
}

func seal(t testing.TB, l *audit.Log, want int) {
	t.Helper()
	n, err := l.Seal(context.Background())
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	if n != want {
		t.Fatalf("sealed %d events, want %d", n, want)
	}
}

func verify(t testing.TB, l *audit.Log) audit.Report {
	t.Helper()
	rep, err := l.Verify(context.Background(), nil)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// leafOrder returns the event ids in tree order.
func leafOrder(t testing.TB, db *store.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT event_id FROM audit_leaves ORDER BY leaf_index`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestEventsAppendedConcurrentlyWhileTheSealerRunsAreAllSealedAndVerify(t *testing.T) {
	l, db := newTestLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	sealerDone := make(chan struct{})
	go func() {
		defer close(sealerDone)
		l.RunSealer(ctx, 5*time.Millisecond)
	}()

	const writers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := l.AppendNow(context.Background(), readEvent(w*each+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	cancel()
	<-sealerDone
	close(errs)
	for err := range errs {
		t.Fatalf("append: %v", err)
	}
	for {
		n, err := l.Seal(context.Background())
		if err != nil {
			t.Fatalf("seal: %v", err)
		}
		if n == 0 {
			break
		}
	}

	rep := verify(t, l)
	if !rep.OK() {
		t.Fatalf("verify found problems: %+v", rep.Problems)
	}
	if rep.Events != writers*each || rep.Sealed != writers*each || rep.Pending != 0 || rep.TreeSize != writers*each {
		t.Errorf("report = %+v, want %d events, all sealed, none pending", rep, writers*each)
	}
	if rep.Checkpoints < 1 {
		t.Errorf("no checkpoints checked")
	}
	if got := len(leafOrder(t, db)); got != writers*each {
		t.Errorf("%d leaves, want %d", got, writers*each)
	}
}

func TestAnUntouchedLogVerifiesWithItsCounts(t *testing.T) {
	l, _ := newTestLog(t)
	if rep := verify(t, l); !rep.OK() || rep.Events != 0 || rep.Checkpoints != 0 {
		t.Fatalf("empty log: %+v", rep)
	}
	appendEvents(t, l, 0, 20)
	seal(t, l, 20)
	appendEvents(t, l, 20, 10)
	seal(t, l, 10)
	appendEvents(t, l, 30, 3) // waiting for the sealer

	var calls int
	var lastDone, lastTotal int64
	rep, err := l.Verify(context.Background(), func(done, total int64) { calls, lastDone, lastTotal = calls+1, done, total })
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.First() != nil {
		t.Fatalf("untouched log has problems: %+v", rep.Problems)
	}
	want := audit.Report{Events: 33, Sealed: 30, Pending: 3, Checkpoints: 2, TreeSize: 30}
	if rep.Events != want.Events || rep.Sealed != want.Sealed || rep.Pending != want.Pending ||
		rep.Checkpoints != want.Checkpoints || rep.TreeSize != want.TreeSize {
		t.Errorf("report = %+v, want %+v", rep, want)
	}
	if calls == 0 || lastDone != 30 || lastTotal != 30 {
		t.Errorf("progress: %d calls, last %d of %d; want the walk reported through to 30 of 30", calls, lastDone, lastTotal)
	}
}

func TestSealingWithNothingPendingSealsNothing(t *testing.T) {
	l, _ := newTestLog(t)
	seal(t, l, 0)
	appendEvents(t, l, 0, 2)
	seal(t, l, 2)
	seal(t, l, 0)
	if rep := verify(t, l); !rep.OK() || rep.Checkpoints != 1 {
		t.Fatalf("report = %+v, want one checkpoint and no problems", rep)
	}
}

func TestAnEventWithABadMACIsNeverSealedAndIsReportedAsInserted(t *testing.T) {
	l, db := newTestLog(t)
	appendEvents(t, l, 0, 5)
	forged := hearth.NewID()
	storetest.Tamper(t, db, `INSERT INTO audit_events (id, at, action, detail, mac) VALUES (?, ?, 'read', 'forged', ?)`,
		forged, time.Now().UTC().Truncate(time.Microsecond), strings.Repeat("ab", 32))
	storetest.Tamper(t, db, `INSERT INTO audit_pending (event_id) VALUES (?)`, forged)
	appendEvents(t, l, 5, 5)

	seal(t, l, 10)
	for _, id := range leafOrder(t, db) {
		if id == forged {
			t.Fatalf("the forged event %s was sealed", forged)
		}
	}
	rep := verify(t, l)
	if p := rep.First(); p == nil || p.Kind != audit.Inserted || p.EventID != forged || !strings.Contains(p.Message, forged) {
		t.Fatalf("first problem = %+v, want the forged event %s reported as inserted", p, forged)
	}
	if rep.Pending != 1 {
		t.Errorf("pending = %d, want the forged event still pending", rep.Pending)
	}
}

func TestSealRefusesToExtendATreeWhoseStoredHashesNoLongerMatchItsCheckpoint(t *testing.T) {
	l, db := newTestLog(t)
	appendEvents(t, l, 0, 8)
	seal(t, l, 8)
	// The hash of the whole tree of 8: the one a new seal builds on.
	storetest.Tamper(t, db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, strings.Repeat("00", 32), tlog.StoredHashIndex(3, 0))
	appendEvents(t, l, 8, 1)
	if _, err := l.Seal(context.Background()); err == nil || !strings.Contains(err.Error(), "hearth audit verify") {
		t.Fatalf("seal over rewritten hashes: err = %v, want a refusal that points at verify", err)
	}
}

func TestSealRefusesToExtendATreeThatLostItsNewestLeaves(t *testing.T) {
	l, db := newTestLog(t)
	appendEvents(t, l, 0, 8)
	seal(t, l, 8)
	storetest.Tamper(t, db, `DELETE FROM audit_leaves WHERE leaf_index = 7`)
	appendEvents(t, l, 8, 1)
	if _, err := l.Seal(context.Background()); err == nil {
		t.Fatal("seal after the newest leaf was deleted succeeded, want a refusal")
	}
}

func TestProblemKindsReadAsWords(t *testing.T) {
	for kind, want := range map[audit.ProblemKind]string{
		audit.Edited: "edited", audit.Deleted: "deleted", audit.Inserted: "inserted",
		audit.Reordered: "reordered", audit.BadCheckpoint: "bad checkpoint",
	} {
		if kind.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(kind), kind.String(), want)
		}
	}
}
