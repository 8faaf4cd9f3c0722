package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered SQL files, applied in order, once each, forward
// only. A file named NNNN_name.sql serves both engines; where the engines
// truly differ a pair NNNN_name.sqlite.sql and NNNN_name.postgres.sql is used.
// Number ranges keep features apart: 0001-0099 the spine, 0100s the care
// record, 0200s consent, 0300s technology, 0400s the portal, 0500s on later.
//
// Portable files are written for PostgreSQL; for SQLite the only rewrite is
// TIMESTAMPTZ -> TIMESTAMP (the type name the SQLite driver reads back as a
// time) and BYTEA -> BLOB.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[int]migration{}
	for _, e := range entries {
		name := e.Name()
		base := strings.TrimSuffix(name, ".sql")
		switch {
		case strings.HasSuffix(base, ".sqlite"):
			if db.dialect != SQLite {
				continue
			}
			base = strings.TrimSuffix(base, ".sqlite")
		case strings.HasSuffix(base, ".postgres"):
			if db.dialect != Postgres {
				continue
			}
			base = strings.TrimSuffix(base, ".postgres")
		}
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and an underscore", name)
		}
		if prev, dup := byVersion[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev.name, name, v)
		}
		body, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		text := string(body)
		if db.dialect == SQLite {
			text = strings.NewReplacer("TIMESTAMPTZ", "TIMESTAMP", "BYTEA", "BLOB").Replace(text)
		}
		byVersion[v] = migration{version: v, name: base, sql: text}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and reports how many it applied. It never drops or rewrites
// people's records: migrations only add.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	return db.MigrateTo(ctx, int(^uint(0)>>1))
}

// MigrateTo is Migrate, stopping after version: a restore brings a database
// to the backup's version, loads its rows, then migrates the rest.
func (db *DB) MigrateTo(ctx context.Context, version int) (int, error) {
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	all, err := db.migrations()
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range all {
		if m.version > version {
			break
		}
		err := db.Tx(ctx, func(tx *Tx) error {
			if db.dialect == Postgres {
				// A migration may build an index over millions of rows,
				// and a second node starting waits for the first to
				// finish: neither is held to the server's timeouts.
				for _, stmt := range []string{`SET LOCAL statement_timeout = 0`, `SET LOCAL lock_timeout = 0`} {
					if _, err := tx.Exec(ctx, stmt); err != nil {
						return err
					}
				}
				// Two nodes starting together must not both migrate.
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(4242001)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range splitStatements(m.sql) {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %04d %s: %w\n%s", m.version, m.name, err, stmt)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UTC()); err != nil {
				return err
			}
			applied++
			db.log.Info("migration applied", "version", m.version, "name", m.name)
			return nil
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// splitStatements splits a migration on semicolons at line ends. Migrations
// hold no procedural code, so this is enough and keeps one runner for both
// engines.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
