package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func TestTheEngineUnderTestOpensAndMigratesOnceAndOnlyOnce(t *testing.T) {
	db := storetest.Open(t) // opened and migrated
	if got := db.Dialect().String(); got != storetest.Engine() {
		t.Fatalf("dialect %s, want %s", got, storetest.Engine())
	}
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		t.Fatalf("migrations recorded: %d, %v", n, err)
	}
	// Every table the migrations made is there to use.
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM people`).Scan(&n); err != nil {
		t.Fatalf("people: %v", err)
	}
	again, err := db.Migrate(context.Background())
	if err != nil || again != 0 {
		t.Fatalf("migrating a migrated database applied %d (%v), want none", again, err)
	}
}

func TestADSNNamesPostgreSQLOnlyByItsScheme(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want bool
	}{
		{"postgres://hearth@db/hearth", true},
		{"postgresql://hearth@db/hearth?sslmode=require", true},
		{"hearth.db", false},
		{"/var/lib/hearth/postgres.db", false},
		{"file:hearth.db", false},
	} {
		if got := store.IsPostgres(c.dsn); got != c.want {
			t.Errorf("IsPostgres(%q) = %t, want %t", c.dsn, got, c.want)
		}
	}
}

func TestPlaceholdersAreNumberedOnlyForPostgreSQL(t *testing.T) {
	for _, c := range []struct {
		name, query, postgres string
	}{
		{"no placeholders stay as written", `SELECT 1`, `SELECT 1`},
		{"one placeholder becomes $1", `SELECT * FROM people WHERE id = ?`, `SELECT * FROM people WHERE id = $1`},
		{"placeholders are numbered in order", `INSERT INTO t (a, b, c) VALUES (?, ?, ?)`, `INSERT INTO t (a, b, c) VALUES ($1, $2, $3)`},
		{"ten and more keep counting", `?,?,?,?,?,?,?,?,?,?,?`, `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := store.RebindFor(store.Postgres, c.query); got != c.postgres {
				t.Errorf("PostgreSQL: %q, want %q", got, c.postgres)
			}
			if got := store.RebindFor(store.SQLite, c.query); got != c.query {
				t.Errorf("SQLite: %q, want it unchanged", got)
			}
		})
	}
	// And the engine under test accepts what its Rebind makes.
	db := storetest.Open(t)
	var sum int
	if err := db.QueryRow(context.Background(), `SELECT CAST(? AS INTEGER) + CAST(? AS INTEGER)`, 2, 3).Scan(&sum); err != nil || sum != 5 {
		t.Fatalf("rebound query: %d, %v", sum, err)
	}
}

// things is a table with a primary key, a unique column and a NOT NULL
// column, made for the test in its own database.
func things(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	if _, err := db.Exec(context.Background(), `CREATE TABLE store_test_things (id INTEGER PRIMARY KEY,
		code TEXT NOT NULL UNIQUE, note TEXT)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO store_test_things (id, code) VALUES (1, 'a')`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestAUniqueViolationIsKnownByTheEnginesErrorCode(t *testing.T) {
	db := things(t)
	ctx := context.Background()
	insert := func(query string) error {
		_, err := db.Exec(ctx, query)
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"a second row with the same unique value", insert(`INSERT INTO store_test_things (id, code) VALUES (2, 'a')`), true},
		{"a second row with the same primary key", insert(`INSERT INTO store_test_things (id, code) VALUES (1, 'b')`), true},
		{"the same, wrapped by a caller", fmt.Errorf("save thing: %w", insert(`INSERT INTO store_test_things (id, code) VALUES (3, 'a')`)), true},
		{"a missing NOT NULL value", insert(`INSERT INTO store_test_things (id, code) VALUES (4, NULL)`), false},
		{"a syntax error", insert(`INSERT INTO store_test_things VALUES (`), false},
		{"a missing table", insert(`INSERT INTO store_test_nothing (id) VALUES (1)`), false},
		{"an error that only says so in words", errors.New("UNIQUE constraint failed: store_test_things.code (SQLSTATE 23505)"), false},
		{"no error", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.want && c.err == nil {
				t.Fatal("the statement did not fail")
			}
			if got := store.IsUniqueViolation(c.err); got != c.want {
				t.Errorf("IsUniqueViolation(%v) = %t, want %t", c.err, got, c.want)
			}
		})
	}
	if n := count(t, db); n != 1 {
		t.Errorf("%d rows after the failed inserts, want the first only", n)
	}
}

func TestAFailedTransactionLeavesNothingBehind(t *testing.T) {
	db := things(t)
	ctx := context.Background()
	refused := errors.New("the request was refused")
	for _, c := range []struct {
		name string
		fn   func(tx *store.Tx) error
		want error
	}{
		{"work refused after two writes", func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code) VALUES (?, ?)`, 10, "x"); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE store_test_things SET note = ? WHERE id = ?`, "changed", 1); err != nil {
				return err
			}
			return refused
		}, refused},
		{"a statement that fails after a write", func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code) VALUES (?, ?)`, 11, "y"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code) VALUES (?, ?)`, 12, "a")
			return err
		}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := db.Tx(ctx, c.fn)
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("Tx returned %v, want the work's error", err)
			}
			var note *string
			if err := db.QueryRow(ctx, `SELECT note FROM store_test_things WHERE id = 1`).Scan(&note); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db); n != 1 || note != nil {
				t.Errorf("after the failed transaction: %d rows, note %v; want the first row only, unchanged", n, note)
			}
		})
	}
	if err := db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO store_test_things (id, code) VALUES (?, ?)`, 20, "z")
		return err
	}); err != nil || count(t, db) != 2 {
		t.Fatalf("a transaction that succeeds is kept: %v, %d rows", err, count(t, db))
	}
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM store_test_things`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestZeroValuesAreStoredAsNull(t *testing.T) {
	london := time.FixedZone("BST", 60*60)
	at := time.Date(2026, 6, 1, 9, 30, 0, 0, london)
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"an empty string", store.Null(""), nil},
		{"a string", store.Null("note"), "note"},
		{"zero", store.Null(0), nil},
		{"a number", store.Null(7), 7},
		{"the zero time", store.NullTime(time.Time{}), nil},
		{"a time, in UTC", store.NullTime(at), time.Date(2026, 6, 1, 8, 30, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
	// And NULL is what the engine stores.
	db := things(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `INSERT INTO store_test_things (id, code, note) VALUES (?, ?, ?)`, 2, "b", store.Null("")); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM store_test_things WHERE id = 2 AND note IS NULL`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("an empty note stored as NULL: %d, %v", n, err)
	}
}
