// Package store opens Hearth's database (an embedded SQLite file by default,
// PostgreSQL when the DSN says so), applies the embedded migrations and runs
// transactions. It knows no domain: the packages named after the nouns of
// care own their SQL and call Tx.
//
// One portable SQL dialect is written everywhere, with '?' placeholders that
// are rebound to $1, $2 ... for PostgreSQL. Times are stored in UTC
// (TIMESTAMPTZ on PostgreSQL, TIMESTAMP text on SQLite), to the microsecond.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite" // registers the cgo-free "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the storage engine behind a DB.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is an open Hearth database.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	log     *slog.Logger
	writer  *groupWriter // SQLite's group-commit writer (writer.go); nil on PostgreSQL
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Timeouts bound every wait on the database, so that a database that is
// stalled, locked or unreachable turns into a prompt "try again shortly"
// rather than a request that hangs for as long as it does. Zero fields
// leave the engine's own behaviour (no limit), which the command-line
// tools want for long jobs; the server sets them all (app.DefaultTimeouts).
type Timeouts struct {
	Connect   time.Duration // making a PostgreSQL connection
	Statement time.Duration // one PostgreSQL statement (statement_timeout)
	Lock      time.Duration // waiting for a PostgreSQL row or table lock (lock_timeout)
	// IdleInTransaction ends a PostgreSQL session that holds a transaction
	// open without using it (idle_in_transaction_session_timeout): a
	// client that vanished mid-transaction must not hold a person's row
	// lock for ever.
	IdleInTransaction time.Duration
}

// Open connects to dsn: a postgres:// URL, or else the path of a SQLite file
// (created if missing), with no timeouts of its own. It does not migrate;
// call Migrate.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, dsn, Timeouts{}, log)
}

// OpenWith is Open with timeouts. SQLite's busy timeout (10 s) is always
// set; the request's own deadline bounds the rest of its waits.
func OpenWith(ctx context.Context, dsn string, limits Timeouts, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{log: log}
	var err error
	if IsPostgres(dsn) {
		db.dialect = Postgres
		var cfg *pgx.ConnConfig
		cfg, err = pgx.ParseConfig(dsn)
		if err == nil {
			if limits.Connect > 0 && (cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > limits.Connect) {
				cfg.ConnectTimeout = limits.Connect
			}
			setMillis := func(name string, d time.Duration) {
				if _, given := cfg.RuntimeParams[name]; !given && d > 0 {
					cfg.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10)
				}
			}
			setMillis("statement_timeout", limits.Statement)
			setMillis("lock_timeout", limits.Lock)
			setMillis("idle_in_transaction_session_timeout", limits.IdleInTransaction)
			db.sql = stdlib.OpenDB(*cfg)
			db.sql.SetMaxOpenConns(32)
			db.sql.SetMaxIdleConns(16)
			db.sql.SetConnMaxIdleTime(5 * time.Minute)
		}
	} else {
		db.dialect = SQLite
		// Through the statement cache (stmtcache.go): the driver itself
		// parses every statement afresh.
		db.sql = sql.OpenDB(cachingConnector{dsn: sqliteDSN(dsn), drv: &sqlite.Driver{}})
		{
			// WAL lets readers run beside the one writer; writers queue on
			// the busy timeout because every transaction begins IMMEDIATE.
			db.sql.SetMaxOpenConns(8)
			db.sql.SetMaxIdleConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.sql.PingContext(pingCtx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to %s database: %w", db.dialect, classify(err))
	}
	if db.dialect == SQLite {
		db.writer = newGroupWriter(db)
	}
	return db, nil
}

// sqliteDSN turns a file path into a modernc.org/sqlite DSN with the settings
// Hearth relies on: WAL, foreign keys, a busy timeout, full fsync on commit
// (a write is acknowledged only once durable) and IMMEDIATE transactions so
// that writers queue instead of failing on lock upgrade. The database is
// also mapped into memory, so that reading a page already in the
// operating system's cache costs no system call: at ten million audit
// events a page of history touches many pages, and every connection keeps
// only a small cache of its own.
func sqliteDSN(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(FULL)", "mmap_size(17179869184)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

// Dialect reports the storage engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close stops the writer, refusing work still queued, and closes the
// database.
func (db *DB) Close() error {
	if db.writer != nil {
		db.writer.close()
	}
	return db.sql.Close()
}

// SQL exposes the pool for the few callers that need it (benchmarks,
// migrations, tests that tamper with the audit log on purpose).
func (db *DB) SQL() *sql.DB { return db.sql }

// Rebind turns '?' placeholders into the engine's own. Queries are written
// without '?' inside string literals.
func (db *DB) Rebind(query string) string { return rebind(db.dialect, query) }

func rebind(d Dialect, query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Exec runs a statement outside a transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.sql.ExecContext(ctx, db.Rebind(query), args...)
	return res, classify(err)
}

// Query runs a query outside a transaction.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := db.sql.QueryContext(ctx, db.Rebind(query), args...)
	return rows, classify(err)
}

// QueryRow runs a query that returns at most one row, outside a transaction.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{db.sql.QueryRowContext(ctx, db.Rebind(query), args...)}
}

// Tx is one database transaction.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
}

// Dialect reports the storage engine.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, rebind(tx.dialect, query), args...)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, rebind(tx.dialect, query), args...)
}

// QueryRow runs a query that returns at most one row in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return &Row{tx.tx.QueryRowContext(ctx, rebind(tx.dialect, query), args...)}
}

// Tx runs fn in one transaction and commits when fn returns nil; any error
// rolls everything back, so a failed request leaves no partial write. The
// commit is durable (fsync) before Tx returns.
//
// Errors that mean the database cannot serve are KindUnavailable (see
// Unavailable). A commit whose answer never came carries
// hearth.ErrOutcomeUnknown: the write may be durable, and only a later
// look can tell (the door does; docs/architecture.md, "When the database
// fails").
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", classify(err))
	}
	tx := &Tx{tx: sqlTx, dialect: db.dialect}
	if err := fn(tx); err != nil {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) && !Unavailable(rbErr) {
			db.log.Error("rollback failed", "err", rbErr)
		}
		return classify(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", commitFailed(err))
	}
	return nil
}

// ReadTx runs fn in a read-only transaction that sees one snapshot of the
// database: on SQLite a deferred transaction, which never takes the write
// lock (WAL lets it read beside the writer); on PostgreSQL REPEATABLE READ,
// READ ONLY. It always rolls back: a read has nothing to commit.
func (db *DB) ReadTx(ctx context.Context, fn func(tx *Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer func() {
		if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			db.log.Error("end read failed", "err", rbErr)
		}
	}()
	return fn(&Tx{tx: sqlTx, dialect: db.dialect})
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either engine, so callers can turn it into a clear conflict message. It
// reads the engine's error code (SQLSTATE 23505; SQLITE_CONSTRAINT_UNIQUE or
// _PRIMARYKEY), never the message text, which drivers are free to reword.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		code := sqliteErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Null returns nil for the zero value so optional columns stay NULL.
func Null[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// NullTime returns nil for the zero time so optional time columns stay NULL.
func NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Ready reports whether the database answers a read and accepts a write,
// for a load balancer's readiness check (/readyz): the read is outside any
// transaction, the write (one row of the heartbeat table) in its own.
// Both are bounded by ctx.
func (db *DB) Ready(ctx context.Context, now time.Time) error {
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM heartbeat`).Scan(&n); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE heartbeat SET at = ? WHERE id = 1`, now.UTC()); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	})
}
