package store

// A statement cache for SQLite. database/sql prepares, runs and finalizes
// every statement that is not an explicit *sql.Stmt, so SQLite parses and
// plans the same SQL again on every call: in a profile of the person page
// under load that was a tenth to a third of the CPU. Each connection here
// keeps the statements it has prepared, by their SQL text, and reuses them;
// SQLite re-prepares a cached statement itself if the schema changes.
//
// PostgreSQL needs none of this: pgx already caches prepared statements per
// connection (its default query exec mode).

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
)

// maxCachedStatements bounds each connection's cache. Hearth's queries are
// a few hundred distinct texts; lists with a variable number of
// placeholders make more, and past the bound they are simply prepared
// each time as before.
const maxCachedStatements = 512

// maxCachedText leaves out statements too long to be worth keeping (bulk
// inserts with thousands of placeholders, which gen shapes to repeat).
const maxCachedText = 64 << 10

type cachingConnector struct {
	dsn string
	drv driver.Driver
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// cachingConn is one SQLite connection and its statements. database/sql
// never uses a connection from two goroutines at once, so it needs no lock.
type cachingConn struct {
	conn  driver.Conn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	ds   driver.Stmt
	busy bool // rows from it are still open: a second use prepares afresh
}

// the interfaces the wrapped modernc connection implements
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

var _ sqliteConn = (*cachingConn)(nil)

func (c *cachingConn) inner() sqliteConn { return c.conn.(sqliteConn) }

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner().PrepareContext(ctx, query)
}
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner().BeginTx(context.Background(), driver.TxOptions{})
}
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner().BeginTx(ctx, opts)
}
func (c *cachingConn) Ping(ctx context.Context) error         { return c.inner().Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner().ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.inner().IsValid() }

func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.ds.Close())
		delete(c.stmts, q)
	}
	return errors.Join(append(errs, c.conn.Close())...)
}

// stmt returns a prepared statement for query and whether it belongs to
// the cache (the caller closes one that does not).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, bool, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		return s, true, nil
	}
	ds, err := c.inner().PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	s := &cachedStmt{ds: ds}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= maxCachedStatements || len(query) > maxCachedText {
		return s, false, nil
	}
	c.stmts[query] = s
	return s, true, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, cached, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := s.ds.(driver.StmtExecContext).ExecContext(ctx, args)
	if !cached {
		err = errors.Join(err, s.ds.Close())
	}
	return res, err
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, cached, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.ds.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		if !cached {
			s.ds.Close()
		}
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s, cached: cached}, nil
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	driver.Rows
	s      *cachedStmt
	cached bool
	closed bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.s.busy = false
	if !r.cached {
		err = errors.Join(err, r.s.ds.Close())
	}
	return err
}

func (r *cachedRows) Next(dest []driver.Value) error {
	err := r.Rows.Next(dest)
	if err == io.EOF {
		return io.EOF // unwrapped: database/sql compares it directly
	}
	return err
}
