package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"hearth"
)

// The one place store errors are sorted (STYLE.md, "Errors"): an error
// that means the database cannot serve right now becomes a KindUnavailable
// hearth.Error carrying hearth.ErrStoreUnavailable, so every adapter answers
// "try again shortly" (HTTP 503 with Retry-After, an OperationOutcome, a
// plain line at the command line) instead of a fault. Everything else is
// left as it is.

// msgUnavailable is what a person is told when the store cannot serve. The
// web interface words it for the page (saving, opening, signing in).
const msgUnavailable = "Hearth cannot reach its records just now. Nothing was changed. Try again in a minute."

// msgOutcomeUnknown is for a commit whose answer never came.
const msgOutcomeUnknown = "Hearth cannot tell whether this was saved: its database stopped answering while saving."

// Unavailable reports whether err means the database cannot serve right
// now and may again soon:
//
//   - SQLite: the disk or database is full (SQLITE_FULL), the file is
//     read-only (SQLITE_READONLY), another writer held the lock past the
//     busy timeout (SQLITE_BUSY, SQLITE_LOCKED), the disk failed
//     (SQLITE_IOERR, SQLITE_CANTOPEN), or a statement was interrupted at
//     the request's deadline (SQLITE_INTERRUPT);
//   - PostgreSQL: a connection that could not be made or broke (connection
//     errors, SQLSTATE class 08), insufficient resources such as a full
//     disk or too many connections (class 53), an operator intervention
//     such as a shutdown or a failover (57P01-57P05), a statement or lock
//     timeout (57014, 55P03), and a read-only server, as a standby is after
//     a failover (25006);
//   - either: the request's deadline passed (context.DeadlineExceeded), or
//     the network failed.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, hearth.ErrStoreUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") || strings.HasPrefix(c, "57P") ||
			c == "57014" || c == "55P03" || c == "25006" || c == "58030"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_INTERRUPT:
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// classify wraps err as KindUnavailable when Unavailable says so. Hearth's
// own errors are left alone: a service that already said what went wrong
// has the last word.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var herr *hearth.Error
	if errors.As(err, &herr) || !Unavailable(err) {
		return err
	}
	return &hearth.Error{Kind: hearth.KindUnavailable, Message: msgUnavailable, Err: joinCause(hearth.ErrStoreUnavailable, err)}
}

// commitFailed is the error for a COMMIT that did not answer "committed".
// When PostgreSQL itself refused the commit (an error with a SQLSTATE), it
// rolled back and the outcome is known; any other failure (the connection
// broke, the deadline passed mid-commit) leaves it unknown, and the caller
// must find out before telling anyone it failed.
func commitFailed(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return classify(err)
	}
	return &hearth.Error{Kind: hearth.KindUnavailable, Message: msgOutcomeUnknown,
		Err: joinCause(hearth.ErrOutcomeUnknown, joinCause(hearth.ErrStoreUnavailable, err))}
}

// joinCause is "sentinel: cause", matching both with errors.Is and errors.As.
func joinCause(sentinel, cause error) error { return &causeError{sentinel, cause} }

type causeError struct{ sentinel, cause error }

func (e *causeError) Error() string   { return e.sentinel.Error() + ": " + e.cause.Error() }
func (e *causeError) Unwrap() []error { return []error{e.sentinel, e.cause} }

// Row is the result of QueryRow: its Scan error is sorted like every other.
type Row struct{ row *sql.Row }

// Scan copies the row's columns into dest; sql.ErrNoRows when there was none.
func (r *Row) Scan(dest ...any) error { return classify(r.row.Scan(dest...)) }

// Err is the error, if any, of running the query.
func (r *Row) Err() error { return classify(r.row.Err()) }
