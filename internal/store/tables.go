package store

// What a backup needs from the store without knowing any domain: the
// tables, their columns as engine-neutral types, their keys and the tables
// each refers to (so that rows load in dependency order), migrating only as
// far as a given version, and loading rows wholesale in one transaction.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ColumnType is a column's type in terms both engines share.
type ColumnType string

const (
	TypeText  ColumnType = "text"
	TypeInt   ColumnType = "int"
	TypeFloat ColumnType = "float"
	TypeBool  ColumnType = "bool"
	TypeTime  ColumnType = "time" // TIMESTAMPTZ: an instant, to the microsecond
	TypeDate  ColumnType = "date" // DATE: a calendar day
	TypeBytes ColumnType = "bytes"
)

// Column is one column of a table.
type Column struct {
	Name string     `json:"name"`
	Type ColumnType `json:"type"`
}

// Table is one table: its columns in order, its primary key and the other
// tables its foreign keys refer to.
type Table struct {
	Name       string   `json:"name"`
	Columns    []Column `json:"columns"`
	Key        []string `json:"key,omitempty"`
	References []string `json:"references,omitempty"`
}

// neutralType maps a declared type (SQLite's declaration as migrated, or
// PostgreSQL's information_schema data_type) to a ColumnType.
func neutralType(declared string) ColumnType {
	d := strings.ToUpper(declared)
	switch {
	case strings.Contains(d, "BOOL"):
		return TypeBool
	case strings.Contains(d, "INT"):
		return TypeInt
	case strings.Contains(d, "TIMESTAMP"), strings.Contains(d, "DATETIME"):
		return TypeTime
	case strings.Contains(d, "DATE"):
		return TypeDate
	case strings.Contains(d, "DOUBLE"), strings.Contains(d, "REAL"), strings.Contains(d, "FLOAT"), strings.Contains(d, "NUMERIC"):
		return TypeFloat
	case strings.Contains(d, "BLOB"), strings.Contains(d, "BYTEA"):
		return TypeBytes
	}
	return TypeText
}

// Tables lists the database's tables as seen by q (a transaction, so that a
// backup reads the schema of its own snapshot), each after the tables it
// refers to. schema_migrations is left out: a restore migrates.
func Tables(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (*sql.Rows, error)
	Dialect() Dialect
}) ([]Table, error) {
	listQuery := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if q.Dialect() == Postgres {
		listQuery = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	names, err := strings1(ctx, q, listQuery)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	byName := map[string]*Table{}
	for _, name := range names {
		if name == "schema_migrations" {
			continue
		}
		t := &Table{Name: name}
		if err := describe(ctx, q, t); err != nil {
			return nil, fmt.Errorf("describe %s: %w", name, err)
		}
		byName[name] = t
	}
	return dependencyOrder(byName)
}

func describe(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (*sql.Rows, error)
	Dialect() Dialect
}, t *Table) error {
	if q.Dialect() == SQLite {
		rows, err := q.Query(ctx, `SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid`, t.Name)
		if err != nil {
			return err
		}
		type keyed struct {
			name string
			pos  int
		}
		var keys []keyed
		for rows.Next() {
			var c Column
			var declared string
			var pk int
			if err := rows.Scan(&c.Name, &declared, &pk); err != nil {
				rows.Close()
				return err
			}
			c.Type = neutralType(declared)
			t.Columns = append(t.Columns, c)
			if pk > 0 {
				keys = append(keys, keyed{c.Name, pk})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].pos < keys[j].pos })
		for _, k := range keys {
			t.Key = append(t.Key, k.name)
		}
		t.References, err = strings1(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, t.Name)
		return err
	}
	rows, err := q.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, t.Name)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c Column
		var declared string
		if err := rows.Scan(&c.Name, &declared); err != nil {
			rows.Close()
			return err
		}
		c.Type = neutralType(declared)
		t.Columns = append(t.Columns, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	const rel = `(quote_ident(current_schema()) || '.' || quote_ident(?))::regclass`
	t.Key, err = strings1(ctx, q, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = `+rel+` AND i.indisprimary
		ORDER BY array_position(i.indkey::smallint[], a.attnum)`, t.Name)
	if err != nil {
		return err
	}
	t.References, err = strings1(ctx, q, `SELECT DISTINCT cl.relname FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.confrelid
		WHERE c.contype = 'f' AND c.conrelid = `+rel, t.Name)
	return err
}

func strings1(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// dependencyOrder sorts tables so each follows those it refers to,
// alphabetically among equals so that the order is stable. A table's
// references to itself need no order: Load checks foreign keys at the end
// (SQLite defers them; PostgreSQL checks a COPY when it ends).
func dependencyOrder(byName map[string]*Table) ([]Table, error) {
	names := make([]string, 0, len(byName))
	for n, t := range byName {
		names = append(names, n)
		sort.Strings(t.References)
	}
	sort.Strings(names)
	var out []Table
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("tables refer to each other in a cycle through %s", n)
		case 2:
			return nil
		}
		state[n] = 1
		t := byName[n]
		for _, r := range t.References {
			if r == n || byName[r] == nil {
				continue
			}
			if err := visit(r); err != nil {
				return err
			}
		}
		state[n] = 2
		out = append(out, *t)
		return nil
	}
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// QuoteIdent quotes a table or column name for either engine.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// AppliedMigrations lists the versions recorded in schema_migrations.
func (db *DB) AppliedMigrations(ctx context.Context) ([]int, error) {
	rows, err := db.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// KnownMigrations lists the versions this build carries.
func (db *DB) KnownMigrations() ([]int, error) {
	all, err := db.migrations()
	if err != nil {
		return nil, err
	}
	out := make([]int, len(all))
	for i, m := range all {
		out[i] = m.version
	}
	return out, nil
}

// Loader loads rows wholesale inside one transaction (Load).
type Loader struct {
	ctx     context.Context
	dialect Dialect
	sqlTx   *sql.Tx // SQLite
	pgTx    pgx.Tx  // PostgreSQL
}

// Load runs fn in one write transaction for loading whole tables (a
// restore): either every row is loaded or, on any error, none. On
// PostgreSQL rows go in with COPY; on SQLite foreign keys are checked at
// commit, so that the order rows arrive in within a table does not matter.
func (db *DB) Load(ctx context.Context, fn func(l *Loader) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("load: %w", classify(err))
	}
	defer conn.Close()
	if db.dialect == SQLite {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("load: begin: %w", classify(err))
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			tx.Rollback()
			return fmt.Errorf("load: %w", err)
		}
		if err := fn(&Loader{ctx: ctx, dialect: SQLite, sqlTx: tx}); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("load: commit: %w", err)
		}
		return nil
	}
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("load: not a pgx connection")
		}
		tx, err := sc.Conn().Begin(ctx)
		if err != nil {
			return fmt.Errorf("load: begin: %w", classify(err))
		}
		// A restore may run for minutes: the server's statement limits
		// are not for it.
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("load: %w", err)
		}
		if err := fn(&Loader{ctx: ctx, dialect: Postgres, pgTx: tx}); err != nil {
			tx.Rollback(ctx)
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("load: commit: %w", err)
		}
		return nil
	})
}

// Count returns how many rows table holds, inside the load's transaction.
func (l *Loader) Count(table string) (int64, error) {
	var n int64
	q := `SELECT COUNT(*) FROM ` + QuoteIdent(table)
	if l.dialect == SQLite {
		return n, l.sqlTx.QueryRowContext(l.ctx, q).Scan(&n)
	}
	return n, l.pgTx.QueryRow(l.ctx, q).Scan(&n)
}

// Copy loads rows into table's columns, taking each from next until it
// returns nil, and reports how many it loaded.
func (l *Loader) Copy(table string, columns []string, next func() ([]any, error)) (int64, error) {
	if l.dialect == Postgres {
		src := &copySource{next: next}
		n, err := l.pgTx.CopyFrom(l.ctx, pgx.Identifier{table}, columns, src)
		if src.err != nil {
			return n, src.err
		}
		if err != nil {
			return n, fmt.Errorf("load %s: %w", table, err)
		}
		return n, nil
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = QuoteIdent(c)
	}
	stmt, err := l.sqlTx.PrepareContext(l.ctx, `INSERT INTO `+QuoteIdent(table)+` (`+strings.Join(quoted, ", ")+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ")+`)`)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", table, err)
	}
	defer stmt.Close()
	var n int64
	for {
		row, err := next()
		if err != nil {
			return n, err
		}
		if row == nil {
			return n, nil
		}
		if _, err := stmt.ExecContext(l.ctx, row...); err != nil {
			return n, fmt.Errorf("load %s: %w", table, err)
		}
		n++
	}
}

type copySource struct {
	next func() ([]any, error)
	row  []any
	err  error
}

func (s *copySource) Next() bool {
	s.row, s.err = s.next()
	return s.err == nil && s.row != nil
}
func (s *copySource) Values() ([]any, error) { return s.row, nil }
func (s *copySource) Err() error             { return s.err }
