// Package storetest gives each test a fresh, migrated database: a new SQLite
// file by default, or a new PostgreSQL schema when HEARTH_TEST_ENGINE is
// "postgres" (the DSN comes from HEARTH_TEST_POSTGRES). scripts/test runs the
// whole suite once per engine. No test mocks the database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/store"
)

// Engine reports which engine tests run on: "sqlite" or "postgres".
func Engine() string {
	if os.Getenv("HEARTH_TEST_ENGINE") == "postgres" {
		return "postgres"
	}
	return "sqlite"
}

// DSN returns a DSN for a fresh, empty database for t, dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	if Engine() != "postgres" {
		return filepath.Join(t.TempDir(), "hearth.db")
	}
	base := os.Getenv("HEARTH_TEST_POSTGRES")
	if base == "" {
		t.Fatal("HEARTH_TEST_ENGINE=postgres needs HEARTH_TEST_POSTGRES to hold a DSN")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := store.Open(context.Background(), base, nil)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("HEARTH_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh migrated database for t, closed when t ends.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Tamper runs raw SQL against the database behind the application's back,
// as an attacker with database access would.
func Tamper(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.SQL().Exec(db.Rebind(query), args...); err != nil {
		t.Fatalf("tamper %q: %v", strings.TrimSpace(query), err)
	}
}

// OnEveryConnection runs stmt on every connection in db's pool (SQLite
// settings such as PRAGMA query_only are per connection): it holds as many
// connections as the pool allows at once, so each is reached, then gives
// them back.
func OnEveryConnection(t testing.TB, db *store.DB, stmt string) {
	t.Helper()
	ctx := context.Background()
	n := db.SQL().Stats().MaxOpenConnections
	if n <= 0 {
		t.Fatal("OnEveryConnection needs a pool with a maximum size")
	}
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := db.SQL().Conn(ctx)
		if err != nil {
			t.Fatalf("hold a connection: %v", err)
		}
		conns = append(conns, c)
		if _, err := c.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}
