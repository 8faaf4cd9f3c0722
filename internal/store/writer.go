package store

// Group commit for SQLite (DESIGN.md, "Storage"; docs/architecture.md,
// "Group commit"). SQLite has one writer at a time, so Hearth has one: a
// goroutine that owns the write transaction. Requests submit their work to
// it; it runs every piece of work that is waiting, one after another, each
// inside its own SAVEPOINT of one transaction, then commits them all with
// one fsync and only then tells each request how its work went. A piece
// of work that fails is rolled back to its savepoint alone; the others in
// the batch are untouched. Nothing is acknowledged before the commit that
// made it durable, and a commit that fails fails every piece in it.
//
// Before, every request began its own IMMEDIATE transaction and the ones
// that found the lock taken slept in SQLite's busy handler and retried:
// under load most connections were asleep, and every request paid for a
// whole fsync of its own.
//
// Work runs in submission order, so writes to one person happen in order
// (docs/architecture.md, "Writes to one person happen in order") exactly as
// when each request queued on the lock. PostgreSQL keeps a transaction per
// request: many connections write at once there, each holding its person's
// row lock, and PostgreSQL itself shares one WAL flush among the commits
// that arrive together.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// maxBatch bounds how many requests share one commit, so the first in a
// batch is not kept waiting behind an unbounded queue.
const maxBatch = 128

type writeJob struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error
}

type groupWriter struct {
	db   *DB
	jobs chan *writeJob
	stop chan struct{}
	wg   sync.WaitGroup

	goid int64 // the writer goroutine, to refuse a write asked for from inside a write

	commits atomic.Int64 // batches committed
	writes  atomic.Int64 // pieces of work acknowledged
}

// WriteStats reports how many group commits there have been and how many
// pieces of work they made durable: writes per commit is writes per fsync.
func (db *DB) WriteStats() (commits, writes int64) {
	if db.writer == nil {
		return 0, 0
	}
	return db.writer.commits.Load(), db.writer.writes.Load()
}

// ErrNestedWrite is a programming error: work running in the writer asked
// the writer for more work, which would wait for itself for ever.
var ErrNestedWrite = errors.New("store: a write submitted from inside a write (it would wait for itself)")

// Write runs fn in a transaction, like Tx, and returns once what fn did is
// durable. On SQLite fn runs in the group-commit writer, inside a savepoint
// of a transaction shared with whatever other work is waiting; on
// PostgreSQL in a transaction of its own. Either way fn's error rolls back
// exactly what fn did, and a nil return means it has been committed.
func (db *DB) Write(ctx context.Context, fn func(tx *Tx) error) error {
	if db.writer == nil {
		return db.Tx(ctx, fn)
	}
	if goid() == atomic.LoadInt64(&db.writer.goid) {
		return ErrNestedWrite
	}
	j := &writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.writer.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-db.writer.stop:
		return errors.New("store: the database is closed")
	}
	// Once submitted, wait for the outcome whatever ctx does: the work may
	// already be committed, and the caller must not be told otherwise.
	return <-j.done
}

func newGroupWriter(db *DB) *groupWriter {
	w := &groupWriter{db: db, jobs: make(chan *writeJob, 1024), stop: make(chan struct{})}
	w.wg.Add(1)
	go w.loop()
	return w
}

func (w *groupWriter) close() {
	close(w.stop)
	w.wg.Wait()
}

func (w *groupWriter) loop() {
	defer w.wg.Done()
	atomic.StoreInt64(&w.goid, goid())
	batch := make([]*writeJob, 0, maxBatch)
	for {
		var first *writeJob
		select {
		case first = <-w.jobs:
		case <-w.stop:
			// Whatever is still queued is refused, not dropped silently.
			for {
				select {
				case j := <-w.jobs:
					j.done <- errors.New("store: the database is closed")
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case j := <-w.jobs:
				batch = append(batch, j)
			default:
				break drain
			}
		}
		w.run(batch)
	}
}

// run executes one batch in one transaction and acknowledges each piece of
// work once the transaction is durable.
func (w *groupWriter) run(batch []*writeJob) {
	results := make([]error, len(batch))
	fail := func(err error) {
		err = classify(err) // a full disk or a read-only file: unavailable, not a fault
		for i := range batch {
			batch[i].done <- err
		}
	}
	sqlTx, err := w.db.sql.BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("begin transaction: %w", err))
		return
	}
	tx := &Tx{tx: sqlTx, dialect: w.db.dialect}
	ran := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err // given up before it began: nothing done
			continue
		}
		if _, err := sqlTx.Exec("SAVEPOINT hearth_work"); err != nil {
			w.abort(sqlTx, batch, fmt.Errorf("savepoint: %w", err))
			return
		}
		err := call(j.fn, tx)
		if err != nil {
			// This piece alone is undone; the batch goes on.
			if _, rbErr := sqlTx.Exec("ROLLBACK TO SAVEPOINT hearth_work"); rbErr != nil {
				// SQLite may already have rolled the whole transaction back
				// (a full disk, an I/O error): the cause comes first, so it
				// is what the error is classified by.
				w.abort(sqlTx, batch, fmt.Errorf("%w; then rolling back one request's work failed: %w", err, rbErr))
				return
			}
			results[i] = classify(err)
		} else {
			ran++
		}
		if _, err := sqlTx.Exec("RELEASE SAVEPOINT hearth_work"); err != nil {
			w.abort(sqlTx, batch, fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		fail(fmt.Errorf("commit: %w", err))
		return
	}
	w.commits.Add(1)
	w.writes.Add(int64(ran))
	for i, j := range batch {
		j.done <- results[i]
	}
}

// abort rolls the whole batch back after the transaction itself broke (a
// savepoint could not be taken or undone) and fails every piece in it.
func (w *groupWriter) abort(sqlTx *sql.Tx, batch []*writeJob, err error) {
	if rbErr := sqlTx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
		w.db.log.Error("rollback failed", "err", rbErr)
	}
	w.db.log.Error("group commit: batch rolled back", "err", err, "requests", len(batch))
	err = classify(err)
	for _, j := range batch {
		j.done <- err
	}
}

// goid is the running goroutine's number, from the first line of its
// stack ("goroutine 42 [running]:"). Only Write asks, once a request, to
// tell the writer's own goroutine from everyone else's.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// call runs fn, turning a panic into an error: one request's bug must not
// take the writer, and every later request, down with it.
func call(fn func(tx *Tx) error, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: panic in a write: %v", r)
		}
	}()
	return fn(tx)
}
