package store_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func providers(t *testing.T, db *store.DB) map[string]bool {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT name FROM providers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[n] = true
	}
	return out
}

func addProvider(ctx context.Context, tx *store.Tx, name string) error {
	_, err := tx.Exec(ctx, `INSERT INTO providers (id, name, created_at) VALUES (?, ?, CURRENT_TIMESTAMP)`, name, name)
	return err
}

// Many requests writing at once share commits, and a request that fails
// takes back only its own work: the others in its batch are committed and
// acknowledged, and the failed one leaves nothing behind.
func TestAFailedWriteRollsBackOnlyItsOwnWorkWhenWritesShareACommit(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	bad := errors.New("bad input")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range 40 {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx *store.Tx) error {
				if err := addProvider(ctx, tx, fmt.Sprintf("p%02d", i)); err != nil {
					return err
				}
				if i%4 == 0 {
					// Half done, then refused: the insert above must go.
					return bad
				}
				return nil
			})
		})
	}
	wg.Wait()
	got := providers(t, db)
	for i, err := range errs {
		name := fmt.Sprintf("p%02d", i)
		switch {
		case i%4 == 0 && !errors.Is(err, bad):
			t.Errorf("%s: want its own error, got %v", name, err)
		case i%4 == 0 && got[name]:
			t.Errorf("%s failed but its insert was committed", name)
		case i%4 != 0 && err != nil:
			t.Errorf("%s: %v", name, err)
		case i%4 != 0 && !got[name]:
			t.Errorf("%s was acknowledged but is not in the database", name)
		}
	}
	if len(got) != 30 {
		t.Errorf("%d providers committed, want 30", len(got))
	}
}

// A statement that fails inside a request (here a duplicate key) is the
// request's failure, not its batch's: on PostgreSQL an error aborts the
// whole transaction unless it is rolled back to a savepoint.
func TestAFailingStatementDoesNotAbortTheOtherWritesInItsBatch(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if err := db.Write(ctx, func(tx *store.Tx) error { return addProvider(ctx, tx, "taken") }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx *store.Tx) error {
				if i%2 == 0 {
					return addProvider(ctx, tx, "taken")
				}
				return addProvider(ctx, tx, fmt.Sprintf("q%02d", i))
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && !store.IsUniqueViolation(err) {
			t.Errorf("request %d: want a unique violation, got %v", i, err)
		}
		if i%2 == 1 && err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if got := providers(t, db); len(got) != 11 {
		t.Errorf("%d providers, want 11: %v", len(got), got)
	}
}

// A request that has already given up (its context ended) before its turn
// does nothing at all.
func TestARequestThatGaveUpBeforeItsTurnWritesNothing(t *testing.T) {
	db := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.Write(ctx, func(tx *store.Tx) error { return addProvider(context.Background(), tx, "late") })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if providers(t, db)["late"] {
		t.Fatal("a request cancelled before its turn was written")
	}
}

// A write asked for from inside a write would wait for itself for ever on
// SQLite; it is refused instead.
func TestAWriteFromInsideAWriteIsRefusedNotDeadlocked(t *testing.T) {
	if storetest.Engine() != "sqlite" {
		t.Skip("PostgreSQL runs each write in its own transaction")
	}
	ctx := context.Background()
	db := storetest.Open(t)
	err := db.Write(ctx, func(tx *store.Tx) error {
		return db.Write(ctx, func(tx *store.Tx) error { return nil })
	})
	if !errors.Is(err, store.ErrNestedWrite) {
		t.Fatalf("want ErrNestedWrite, got %v", err)
	}
}

// Writes that arrive together share a commit (a count of commits, not a
// timing): forty writes queued behind one share one fsync.
func TestWritesThatArriveTogetherShareCommits(t *testing.T) {
	if storetest.Engine() != "sqlite" {
		t.Skip("PostgreSQL groups its own WAL flushes")
	}
	ctx := context.Background()
	db := storetest.Open(t)
	release := make(chan struct{})
	started := make(chan struct{})
	var wg sync.WaitGroup
	// The first write holds the writer until the rest are queued.
	wg.Go(func() {
		_ = db.Write(ctx, func(tx *store.Tx) error {
			close(started)
			<-release
			return addProvider(ctx, tx, "first")
		})
	})
	<-started
	for i := range 40 {
		wg.Go(func() {
			if err := db.Write(ctx, func(tx *store.Tx) error { return addProvider(ctx, tx, fmt.Sprintf("r%02d", i)) }); err != nil {
				t.Error(err)
			}
		})
	}
	for store.Queued(db) < 40 { // wait until all forty are in the queue
		runtime.Gosched()
	}
	c0, _ := db.WriteStats()
	close(release)
	wg.Wait()
	c1, w1 := db.WriteStats()
	if w1 < 41 {
		t.Fatalf("%d writes acknowledged, want 41", w1)
	}
	// The one holding the writer, then the forty that queued behind it.
	if c1-c0 != 2 {
		t.Fatalf("41 writes took %d commits, want 2: the forty queued together did not share one", c1-c0)
	}
}
