package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"hearth"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// A database that cannot serve (full, read-only, unreachable, stalled,
// slower than allowed) gives a KindUnavailable error carrying
// hearth.ErrStoreUnavailable, never a fault, and never a hang; a broken
// COMMIT says its outcome is unknown; and the store serves again by itself
// once the database is back (issue 12 item 5).

// mustBeUnavailable fails unless err is the store's "try again shortly".
func mustBeUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	if hearth.KindOf(err) != hearth.KindUnavailable || !errors.Is(err, hearth.ErrStoreUnavailable) || !store.Unavailable(err) {
		t.Fatalf("%s: %v (kind %d), want KindUnavailable carrying ErrStoreUnavailable", what, err, hearth.KindOf(err))
	}
}

func insertThing(ctx context.Context, db *store.DB, id int) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code, note) VALUES (?, ?, ?)`, id, "code"+strconv.Itoa(id), "n")
		return err
	})
}

func TestASQLiteDatabaseThatIsReadOnlyOrFullIsUnavailableAndServesAgainWhenItIsNot(t *testing.T) {
	if storetest.Engine() != "sqlite" {
		t.Skip("SQLite's own errors")
	}
	ctx := context.Background()
	db := things(t)

	storetest.OnEveryConnection(t, db, `PRAGMA query_only = 1`)
	mustBeUnavailable(t, "a write to a read-only database", insertThing(ctx, db, 2))
	mustBeUnavailable(t, "readiness of a read-only database", db.Ready(ctx, time.Now()))
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM store_test_things`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("a read-only database still reads: %d, %v", n, err)
	}
	storetest.OnEveryConnection(t, db, `PRAGMA query_only = 0`)
	if err := insertThing(ctx, db, 2); err != nil {
		t.Fatalf("writable again: %v", err)
	}

	// Full: no page may be added beyond those the file has now.
	var pages int
	if err := db.QueryRow(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	storetest.OnEveryConnection(t, db, `PRAGMA max_page_count = `+strconv.Itoa(pages))
	var err error
	for i := 3; i < 2000 && err == nil; i++ {
		err = db.Tx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code, note) VALUES (?, ?, ?)`, i, "code"+strconv.Itoa(i), strings.Repeat("a full disk ", 200))
			return err
		})
	}
	mustBeUnavailable(t, "a write to a full database", err)
	storetest.OnEveryConnection(t, db, `PRAGMA max_page_count = 1073741823`)
	if err := insertThing(ctx, db, 5000); err != nil {
		t.Fatalf("room again: %v", err)
	}
	if err := db.Ready(ctx, time.Now()); err != nil {
		t.Fatalf("ready again: %v", err)
	}
}

func TestOtherErrorsAreNotCalledUnavailable(t *testing.T) {
	ctx := context.Background()
	db := things(t)
	err := insertThing(ctx, db, 1)
	if err == nil || store.Unavailable(err) || hearth.KindOf(err) == hearth.KindUnavailable || !store.IsUniqueViolation(err) {
		t.Fatalf("a unique violation: %v, want it left as it is", err)
	}
	if _, err := db.Exec(ctx, `SELECT no_such_column FROM store_test_things`); err == nil || store.Unavailable(err) {
		t.Fatalf("a bad query: %v, want it left as it is", err)
	}
	mine := hearth.Invalid("Name", "Name is needed")
	if err := db.Tx(ctx, func(*store.Tx) error { return mine }); !errors.Is(err, mine) {
		t.Fatalf("a service's own error: %v, want it returned as it is", err)
	}
}

// proxied opens a migrated PostgreSQL database reached through a fault
// proxy, with the given timeouts.
func proxied(t *testing.T, limits store.Timeouts) (*store.DB, *storetest.Proxy) {
	t.Helper()
	if storetest.Engine() != "postgres" {
		t.Skip("a network between Hearth and PostgreSQL")
	}
	direct := storetest.DSN(t)
	setup, err := store.Open(context.Background(), direct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	if _, err := setup.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Exec(context.Background(), `CREATE TABLE store_test_things (id INTEGER PRIMARY KEY,
		code TEXT NOT NULL UNIQUE, note TEXT)`); err != nil {
		t.Fatal(err)
	}
	dsn, proxy := storetest.Through(t, direct)
	db, err := store.OpenWith(context.Background(), dsn, limits, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, proxy
}

func TestAPostgreSQLServerThatIsCutOffIsUnavailableAndServesAgainWhenItIsBack(t *testing.T) {
	db, proxy := proxied(t, store.Timeouts{Connect: 2 * time.Second})
	ctx := context.Background()
	if err := insertThing(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	proxy.Cut()
	mustBeUnavailable(t, "a write with the server cut off", insertThing(ctx, db, 2))
	var n int
	mustBeUnavailable(t, "a read with the server cut off", db.QueryRow(ctx, `SELECT COUNT(*) FROM store_test_things`).Scan(&n))
	mustBeUnavailable(t, "readiness with the server cut off", db.Ready(ctx, time.Now()))
	proxy.Restore()
	if err := insertThing(ctx, db, 2); err != nil {
		t.Fatalf("after the server came back: %v", err)
	}
	if err := db.Ready(ctx, time.Now()); err != nil {
		t.Fatalf("ready again: %v", err)
	}
}

func TestAStalledPostgreSQLServerIsUnavailableAtTheDeadlineInsteadOfHanging(t *testing.T) {
	db, proxy := proxied(t, store.Timeouts{Connect: time.Second})
	if err := insertThing(context.Background(), db, 1); err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	mustBeUnavailable(t, "a write with the server stalled", insertThing(ctx, db, 2))
	proxy.Restore()
	if err := insertThing(context.Background(), db, 3); err != nil {
		t.Fatalf("after the stall: %v", err)
	}
}

func TestAPostgreSQLStatementPastItsTimeoutIsUnavailable(t *testing.T) {
	db, _ := proxied(t, store.Timeouts{Statement: 500 * time.Millisecond})
	_, err := db.Exec(context.Background(), `SELECT pg_sleep(10)`)
	mustBeUnavailable(t, "a statement past statement_timeout", err)
}

func TestAPostgreSQLWriteWaitingOnALockPastItsTimeoutIsUnavailable(t *testing.T) {
	db, _ := proxied(t, store.Timeouts{Lock: 300 * time.Millisecond})
	ctx := context.Background()
	if err := insertThing(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT id FROM store_test_things WHERE id = 1 FOR UPDATE`); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE store_test_things SET note = 'waited' WHERE id = 1`)
		return err
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mustBeUnavailable(t, "a write waiting on a lock past lock_timeout", err)
}

func TestAReadOnlyPostgreSQLServerIsUnavailable(t *testing.T) {
	db, _ := proxied(t, store.Timeouts{})
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		// As a standby is: every transaction read-only.
		if _, err := tx.Exec(ctx, `SET TRANSACTION READ ONLY`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code) VALUES (2, 'b')`)
		return err
	})
	mustBeUnavailable(t, "a write to a read-only server", err)
}

// When the connection breaks after COMMIT is sent, the server has
// committed but Hearth never hears so: the error must say the outcome is
// unknown, not that nothing was saved.
func TestACommitWhoseAnswerNeverComesHasAnUnknownOutcome(t *testing.T) {
	db, proxy := proxied(t, store.Timeouts{Connect: 2 * time.Second})
	ctx := context.Background()
	proxy.DropAtCommit("", false)
	err := insertThing(ctx, db, 7)
	mustBeUnavailable(t, "a commit whose answer was lost", err)
	if !errors.Is(err, hearth.ErrOutcomeUnknown) {
		t.Fatalf("%v: want ErrOutcomeUnknown", err)
	}
	if proxy.Dropped() != 1 {
		t.Fatalf("%d commits dropped, want 1", proxy.Dropped())
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM store_test_things WHERE id = 7`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the server committed: %d rows, %v; want 1", n, err)
	}
}

func TestASQLiteWriterKeptWaitingPastTheDeadlineIsUnavailable(t *testing.T) {
	if storetest.Engine() != "sqlite" {
		t.Skip("SQLite's one writer")
	}
	ctx := context.Background()
	db := things(t)
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE store_test_things SET note = 'held' WHERE id = 1`); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	waiting, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err := insertThing(waiting, db, 2)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mustBeUnavailable(t, "a writer queued behind another past its deadline", err)
	if err := insertThing(ctx, db, 3); err != nil {
		t.Fatalf("once the other writer is done: %v", err)
	}
}

// The PostgreSQL error classes that mean "not now" rather than "wrong".
func TestPostgreSQLErrorCodesAreSortedByWhatTheyMean(t *testing.T) {
	for code, want := range map[string]bool{
		"08006": true,  // connection failure
		"08001": true,  // cannot connect
		"53100": true,  // disk full
		"53300": true,  // too many connections
		"57P01": true,  // admin shutdown (a failover)
		"57P03": true,  // cannot connect now (starting up)
		"57014": true,  // statement timeout
		"55P03": true,  // lock timeout
		"25006": true,  // read-only transaction (a standby)
		"23505": false, // unique violation: a conflict, not an outage
		"23503": false, // foreign key
		"42P01": false, // no such table: a fault
		"40001": false, // serialization failure
		"22P02": false, // bad input syntax
	} {
		err := fmt.Errorf("query: %w", &pgconn.PgError{Code: code, Message: "test"})
		if got := store.Unavailable(err); got != want {
			t.Errorf("SQLSTATE %s: unavailable %t, want %t", code, got, want)
		}
	}
}
