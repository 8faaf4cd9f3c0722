package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ProblemKind says what happened to the log at a Problem.
type ProblemKind int

// The ways an audit log can be tampered with that Verify tells apart.
const (
	Edited        ProblemKind = iota + 1 // an event's content (or its stored hash) was changed
	Deleted                              // an event, or its place in the tree, was removed
	Inserted                             // an event Hearth never wrote was added
	Reordered                            // an event was moved to another position
	BadCheckpoint                        // a signed checkpoint is forged, or no longer matches the events
	RolledBack                           // the log is shorter than, or differs from, a checkpoint the witness holds
	Unwitnessed                          // the log has signed checkpoints but its witness file is gone
)

func (k ProblemKind) String() string {
	switch k {
	case Edited:
		return "edited"
	case Deleted:
		return "deleted"
	case Inserted:
		return "inserted"
	case Reordered:
		return "reordered"
	case BadCheckpoint:
		return "bad checkpoint"
	case RolledBack:
		return "rolled back"
	case Unwitnessed:
		return "not witnessed"
	}
	return fmt.Sprintf("problem(%d)", int(k))
}

// MarshalText writes the kind as its word, so a JSON report reads plainly.
func (k ProblemKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Problem is one piece of tampering found by Verify, in words an
// information governance lead can act on.
type Problem struct {
	Kind    ProblemKind `json:"kind"`
	Leaf    int64       `json:"leaf"`               // position in the tree, or -1 for events not yet sealed
	EventID string      `json:"event_id,omitempty"` // the event concerned, when it is known
	Message string      `json:"message"`
}

// Report is the outcome of Verify.
type Report struct {
	Events      int64     `json:"events"`            // events examined: sealed plus pending
	Sealed      int64     `json:"sealed"`            // leaves walked
	Pending     int64     `json:"pending"`           // events not yet sealed
	Checkpoints int       `json:"checkpoints"`       // signed checkpoints checked
	TreeSize    int64     `json:"tree_size"`         // size of the latest checkpoint with a good signature
	Witness     string    `json:"witness,omitempty"` // the witness file checked against, if any
	Witnessed   int       `json:"witnessed"`         // checkpoints read from the witness file
	WitnessSize int64     `json:"witness_size"`      // the largest tree the witness holds a checkpoint for
	Problems    []Problem `json:"problems"`          // the first few problems, earliest position first
}

// OK reports whether the log verified with no problems.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// First returns the earliest problem, or nil when there is none.
func (r Report) First() *Problem {
	if len(r.Problems) == 0 {
		return nil
	}
	return &r.Problems[0]
}

// maxProblems bounds the report: the first problem is what someone
// investigates, and one edit must not bury it under thousands of echoes.
const maxProblems = 20

// verifyChunk is how many leaves Verify reads per query: memory stays flat
// however large the log, and no statement holds a read snapshot for long.
const verifyChunk = 2000

// Verify recomputes the whole log from the events themselves, trusting no
// stored hash: each event's MAC, each leaf hash against the stored one, the
// leaf positions, and every signed checkpoint's signature and root. It then
// checks that every event not yet sealed carries a valid MAC and is queued
// for sealing. progress, when not nil, is called as leaves are walked.
//
// Verify checks the log as it stood when it began: events sealed while it
// runs are checked next time. Memory is O(log n) in the number of events
// (plus one chunk of rows).
//
// When the log has a witness (WithWitness), every checkpoint in the witness
// file must be signed with one of the log's keys (otherwise Verify refuses,
// returning a *WitnessError), and the log must be at least as long as each
// and hash to the same root at its size: a log cut back or rewritten after a
// checkpoint was witnessed is reported as RolledBack.
func (l *Log) Verify(ctx context.Context, progress func(done, total int64)) (Report, error) {
	v := &verifyRun{l: l, ctx: ctx, verifiers: l.keys.Verifiers()}
	// The witness is read first: everything it holds was committed before
	// the tree's size is read below, so a seal running meanwhile can never
	// look like a rollback.
	noWitness := false
	if l.witness != nil {
		v.rep.Witness = l.witness.Path()
		ws, err := l.witness.Read(v.verifiers)
		switch {
		case errors.Is(err, ErrNoWitness):
			noWitness = true
		case err != nil:
			return Report{}, fmt.Errorf("audit: verify: %w", err)
		}
		v.witnessed = sortWitnessed(ws)
		v.rep.Witnessed = len(ws)
		if len(v.witnessed) > 0 {
			v.rep.WitnessSize = v.witnessed[len(v.witnessed)-1].Tree.N
		}
	}
	// Read the latest checkpoint before the last leaf: a seal committing in
	// between then adds leaves beyond the checkpoint (harmless) rather than
	// a checkpoint beyond the leaves (which would look like deletion).
	var cpMax, leafMax sql.NullInt64
	if err := l.db.QueryRow(ctx, `SELECT MAX(tree_size) FROM audit_checkpoints`).Scan(&cpMax); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	if err := l.db.QueryRow(ctx, `SELECT MAX(leaf_index) FROM audit_leaves`).Scan(&leafMax); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	v.cpBound = cpMax.Int64
	if noWitness && cpMax.Int64 > 0 {
		v.problem(Problem{Kind: Unwitnessed, Leaf: -1, Message: fmt.Sprintf(
			"there is no witness file at %s, yet the log has signed checkpoints: every checkpoint is also written there, so it was deleted or moved, "+
				"or --witness-file names the wrong place, and a rollback of the log could not be seen "+
				"(a log sealed before Hearth kept a witness gets one the next time hearth serve starts)", l.witness.Path())})
	}
	last := int64(-1)
	if leafMax.Valid {
		last = leafMax.Int64
	}
	v.last = last
	total := last + 1
	if progress != nil {
		progress(0, total)
	}
	if err := v.walk(last, func(done int64) {
		if progress != nil {
			progress(done, total)
		}
	}); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	if err := v.finishCheckpoints(); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	v.finishWitnessed()
	if err := v.unsealed(last); err != nil {
		return Report{}, fmt.Errorf("audit: verify: %w", err)
	}
	v.rep.Events = v.rep.Sealed + v.rep.Pending
	return v.rep, nil
}

// verifyRun is the state of one Verify walk.
type verifyRun struct {
	l         *Log
	ctx       context.Context
	verifiers note.Verifiers
	rep       Report

	tree    compactRange // the tree recomputed from event content
	next    int64        // the leaf index the walk expects next
	cpBound int64        // the latest checkpoint when Verify began
	last    int64        // the last leaf index when Verify began

	// shift records an insertion (-1) or a deletion closed up by
	// renumbering (+k) already reported: from there on the event at
	// position n is expected to hash to the stored leaf n+shift, so one
	// tampering is reported once, not once for every later event.
	shift int64
	// diverged is set once a problem has been reported that changes the
	// recomputed tree: later checkpoint roots cannot match and comparing
	// them would only repeat it.
	diverged bool
	lastGood int64 // size of the last checkpoint whose root matched

	// checkpoints are paged in tree_size order alongside the leaves.
	cps     []checkpointRow
	cpAfter int64
	cpDone  bool

	stored map[int64]string // stored hashes for the current chunk, by index

	// witnessed are the witness file's checkpoints in tree-size order,
	// compared with the recomputed tree as the walk reaches each size.
	witnessed  []Witnessed
	witnessBad bool // a witnessed root differed: reported once
}

type checkpointRow struct {
	size   int64
	root   string
	signed string
}

// leafRow is one leaf with its event, which may be missing.
type leafRow struct {
	index   int64
	eventID string
	present bool
	ev      Event
	content tlog.Hash // the hash of the event's leaf bytes
	macOK   bool      // the event's stored MAC matches its leaf bytes
}

func (v *verifyRun) problem(p Problem) {
	if len(v.rep.Problems) < maxProblems {
		v.rep.Problems = append(v.rep.Problems, p)
	}
}

func (v *verifyRun) full() bool { return len(v.rep.Problems) >= maxProblems }

// walk streams the leaves in order, a chunk at a time: a page of leaves by
// primary key, then their events by primary key (see eventsByID), then the
// stored leaf hashes for the page by one range of audit_hashes.
//
// Reading and decoding a chunk and hashing and MAC-checking its events is
// most of the work, and each chunk's is independent of the others', so
// readers on every core claim chunks in order and do it in parallel
// (readChunks); only the comparison with the stored hashes and the fold
// into the recomputed tree, which need the leaves in order, run here on one
// goroutine, taking the chunks in the order they were claimed.
func (v *verifyRun) walk(last int64, progress func(int64)) error {
	ctx, cancel := context.WithCancel(v.ctx)
	defer cancel()
	results := v.readChunks(ctx, last)
	for seq := 0; ; seq++ {
		c, ok := results.take(ctx, seq)
		if !ok {
			return ctx.Err()
		}
		if c.err != nil {
			return c.err
		}
		if c.end {
			return nil
		}
		if len(c.rows) == 0 {
			results.done()
			continue
		}
		first, lastInChunk := c.rows[0].index, c.rows[len(c.rows)-1].index
		// The stored leaf hashes for this chunk, widened by the current
		// shift and one position beyond, for the look-ahead classification.
		// The reader fetched them for no shift, which is the usual case.
		lo, hi := max(0, first+min(0, v.shift)), lastInChunk+max(0, v.shift)+1
		if lo == c.storedLo && hi == c.storedHi {
			v.stored = c.stored
		} else if err := v.loadStored(lo, hi); err != nil {
			return err
		}
		for _, r := range c.rows {
			if err := v.leaf(r); err != nil {
				return err
			}
		}
		results.done()
		progress(v.rep.Sealed)
	}
}

// chunk is one page of leaves, read, decoded and hashed by a reader.
type chunk struct {
	rows               []leafRow
	stored             map[int64]string // stored hashes storedLo..storedHi
	storedLo, storedHi int64
	nextLeaf           int64 // for an empty range: the next leaf there is, or -1
	end                bool  // no leaves beyond: the walk is over
	err                error
}

// chunkQueue hands the readers' chunks to the walk in the order the
// readers claimed them, holding at most a few in memory.
type chunkQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	ready  map[int]chunk
	tokens chan struct{} // one per chunk claimed and not yet folded
}

func (q *chunkQueue) put(seq int, c chunk) {
	q.mu.Lock()
	q.ready[seq] = c
	q.mu.Unlock()
	q.cond.Broadcast()
}

// take waits for chunk seq; false when ctx ends first.
func (q *chunkQueue) take(ctx context.Context, seq int) (chunk, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if c, ok := q.ready[seq]; ok {
			delete(q.ready, seq)
			return c, true
		}
		if ctx.Err() != nil {
			return chunk{}, false
		}
		q.cond.Wait()
	}
}

// done frees the place of a chunk the walk has folded.
func (q *chunkQueue) done() { <-q.tokens }

// readChunks starts one reader per core. Readers claim the next range of
// leaf indexes under a lock, so claims are numbered in leaf order; a range
// that turns out empty (a hole: tampering) moves the shared cursor to the
// next leaf there is, so a hole of any width costs one query.
func (v *verifyRun) readChunks(ctx context.Context, last int64) *chunkQueue {
	readers := max(2, runtime.GOMAXPROCS(0))
	q := &chunkQueue{ready: map[int]chunk{}, tokens: make(chan struct{}, 2*readers)}
	q.cond = sync.NewCond(&q.mu)
	context.AfterFunc(ctx, q.cond.Broadcast)
	var claim sync.Mutex
	after, seq := int64(-1), 0
	next := func() (int, int64, int64, bool) {
		claim.Lock()
		defer claim.Unlock()
		if after >= last {
			return seq, 0, 0, false
		}
		lo, hi := after, min(last, after+verifyChunk)
		after = hi
		seq++
		return seq - 1, lo, hi, true
	}
	skipTo := func(leaf int64) {
		claim.Lock()
		defer claim.Unlock()
		if leaf < 0 {
			after = last // nothing beyond the hole
		} else {
			after = max(after, leaf-1)
		}
	}
	var ended sync.Once
	for range readers {
		go func() {
			for {
				select {
				case q.tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
				n, lo, hi, ok := next()
				if !ok {
					// The first reader to run out says so, under the
					// sequence number after the last claimed chunk.
					ended.Do(func() { q.put(n, chunk{end: true}) })
					<-q.tokens
					return
				}
				c := v.readChunk(ctx, lo, hi, last)
				if c.err == nil && len(c.rows) == 0 {
					skipTo(c.nextLeaf) // past the hole
				}
				q.put(n, c)
				if c.err != nil {
					return
				}
			}
		}()
	}
	return q
}

// readChunk reads the leaves after lo up to hi with their events and stored
// hashes, and hashes and MAC-checks each event. For an empty range it
// returns no rows and the next leaf index there is.
func (v *verifyRun) readChunk(ctx context.Context, lo, hi, last int64) chunk {
	db := v.l.db
	// A bounded range, not ORDER BY ... LIMIT: each page then costs the
	// same however much of the log lies beyond it, whatever the planner
	// believes about the table.
	rows, err := db.Query(ctx, `SELECT leaf_index, event_id FROM audit_leaves
		WHERE leaf_index > ? AND leaf_index <= ? ORDER BY leaf_index`, lo, hi)
	if err != nil {
		return chunk{err: fmt.Errorf("read leaves: %w", err)}
	}
	out := make([]leafRow, 0, verifyChunk)
	ids := make([]string, 0, verifyChunk)
	for rows.Next() {
		var r leafRow
		if err := rows.Scan(&r.index, &r.eventID); err != nil {
			rows.Close()
			return chunk{err: fmt.Errorf("read leaf: %w", err)}
		}
		out = append(out, r)
		ids = append(ids, r.eventID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return chunk{err: fmt.Errorf("read leaves: %w", err)}
	}
	if len(out) == 0 {
		var next sql.NullInt64
		if err := db.QueryRow(ctx, `SELECT MIN(leaf_index) FROM audit_leaves WHERE leaf_index > ? AND leaf_index <= ?`,
			hi, last).Scan(&next); err != nil {
			return chunk{err: fmt.Errorf("read leaves: %w", err)}
		}
		if !next.Valid {
			return chunk{nextLeaf: -1}
		}
		return chunk{nextLeaf: next.Int64}
	}
	events, err := eventsByID(ctx, db, ids)
	if err != nil {
		return chunk{err: err}
	}
	for i := range out {
		r := &out[i]
		ev, ok := events[r.eventID]
		if !ok {
			continue
		}
		r.present, r.ev = true, ev.Event
		leaf := r.ev.Leaf()
		r.content = tlog.RecordHash(leaf)
		r.macOK = v.l.macOK(leaf, ev.mac)
	}
	c := chunk{rows: out, storedLo: out[0].index, storedHi: out[len(out)-1].index + 1}
	if c.stored, err = readStored(ctx, db, c.storedLo, c.storedHi); err != nil {
		return chunk{err: err}
	}
	return c
}

// loadStored reads the stored leaf hashes for leaves lo..hi into the walk.
func (v *verifyRun) loadStored(lo, hi int64) error {
	stored, err := readStored(v.ctx, v.l.db, lo, hi)
	v.stored = stored
	return err
}

// readStored reads the stored leaf hashes for leaves lo..hi (the interior
// hashes between them come along in the same index range and are ignored).
func readStored(ctx context.Context, q querier, lo, hi int64) (map[int64]string, error) {
	stored := make(map[int64]string, 2*(hi-lo+1))
	rows, err := q.Query(ctx, `SELECT idx, hash FROM audit_hashes WHERE idx >= ? AND idx <= ?`,
		tlog.StoredHashIndex(0, lo), tlog.StoredHashIndex(0, hi))
	if err != nil {
		return nil, fmt.Errorf("read stored hashes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var h string
		if err := rows.Scan(&idx, &h); err != nil {
			return nil, fmt.Errorf("read stored hash: %w", err)
		}
		stored[idx] = h
	}
	return stored, rows.Err()
}

// storedLeaf returns the stored hash of leaf n, from the chunk when it is
// there and otherwise by one query. A stored hash that is not valid hex
// comes back as a hash that matches nothing.
func (v *verifyRun) storedLeaf(n int64) (tlog.Hash, bool, error) {
	if n < 0 {
		return tlog.Hash{}, false, nil
	}
	idx := tlog.StoredHashIndex(0, n)
	text, ok := v.stored[idx]
	if !ok {
		err := v.l.db.QueryRow(v.ctx, `SELECT hash FROM audit_hashes WHERE idx = ?`, idx).Scan(&text)
		if errors.Is(err, sql.ErrNoRows) {
			return tlog.Hash{}, false, nil
		}
		if err != nil {
			return tlog.Hash{}, false, fmt.Errorf("read stored hash: %w", err)
		}
	}
	h, _ := parseHash(text)
	return h, true, nil
}

// leaf checks one leaf and folds its recomputed hash into the tree.
func (v *verifyRun) leaf(r leafRow) error {
	n := r.index
	v.rep.Sealed++
	if n > v.next {
		// A hole in the leaf numbering: the leaf rows (and usually their
		// events) were deleted without closing the gap.
		msg := fmt.Sprintf("position %d is missing: the event sealed there was deleted", v.next)
		if n-v.next > 1 {
			msg = fmt.Sprintf("positions %d to %d are missing: the events sealed there were deleted", v.next, n-1)
		}
		v.problem(Problem{Kind: Deleted, Leaf: v.next, Message: msg})
		v.diverged = true
	}
	v.next = n + 1
	if !r.present {
		v.problem(Problem{Kind: Deleted, Leaf: n, EventID: r.eventID,
			Message: fmt.Sprintf("event %s at position %d was deleted: the tree still holds its place but the event is gone", r.eventID, n)})
		v.diverged = true
		return v.checkpointsUpTo()
	}
	v.tree.append(r.content)

	if !v.full() {
		if err := v.classify(n, r.ev, r.content, r.macOK); err != nil {
			return err
		}
	}
	return v.checkpointsUpTo()
}

// classify compares leaf n's recomputed hash with the stored one and, on a
// mismatch, works out the simplest story that explains it. The heuristics
// only choose the words of the report: any mismatch at all is a problem, and
// the signed checkpoints catch whatever the per-leaf checks cannot.
func (v *verifyRun) classify(n int64, ev Event, content tlog.Hash, macOK bool) error {
	expected, hasExpected, err := v.storedLeaf(n + v.shift)
	if err != nil {
		return err
	}
	if macOK && hasExpected && content == expected {
		return nil
	}
	if v.shift != 0 && macOK {
		// Back in step after an insertion or deletion reported earlier?
		if s, ok, err := v.storedLeaf(n); err != nil {
			return err
		} else if ok && s == content {
			v.shift = 0
			return nil
		}
	}
	v.diverged = true

	if !macOK {
		switch {
		case !hasExpected:
			// No sealed position expects anything here.
			v.problem(Problem{Kind: Inserted, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
				"event %s at position %d was inserted behind Hearth's back: Hearth never sealed it and its MAC is not valid", ev.ID, n)})
		case content == expected:
			// The content and the stored hash were rewritten together,
			// but without the key the MAC could not be.
			v.problem(Problem{Kind: Edited, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
				"event %s at position %d was edited: its content no longer matches its seal (its content and stored hash were rewritten together, or its MAC was)", ev.ID, n)})
		default:
			// Either this event was edited in place, or a forged event was
			// slipped in here and the later ones moved down: in that case
			// the next leaf holds the content sealed at this position.
			next, ok, err := v.contentAt(n + 1)
			if err != nil {
				return err
			}
			if ok && next == expected {
				v.problem(Problem{Kind: Inserted, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
					"event %s at position %d was inserted behind Hearth's back: its MAC is not valid and the events after it were moved down one place", ev.ID, n)})
				v.shift--
			} else {
				v.problem(Problem{Kind: Edited, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
					"event %s at position %d was edited: its content no longer matches its seal", ev.ID, n)})
			}
		}
		return nil
	}

	// Hearth wrote this event (its MAC is good) but it is not the one
	// sealed at this position. Was it sealed somewhere else?
	at, found, err := v.findLeaf(content, n+v.shift)
	if err != nil {
		return err
	}
	switch {
	case found && at > n+v.shift:
		// It was sealed later in the log. If the next leaf is displaced by
		// the same distance, events were deleted and the rest moved up to
		// close the gap; otherwise two events swapped places.
		k := at - (n + v.shift)
		next, ok, err := v.contentAt(n + 1)
		if err != nil {
			return err
		}
		after, _, err := v.storedLeaf(n + 1 + v.shift + k)
		if err != nil {
			return err
		}
		if !ok || next == after {
			from, to := n+v.shift, at-1
			msg := fmt.Sprintf("the event at position %d was deleted and the later events moved up to hide the gap: event %s now at position %d was sealed at position %d", from, ev.ID, n, at)
			if k > 1 {
				msg = fmt.Sprintf("the events at positions %d to %d were deleted and the later events moved up to hide the gap: event %s now at position %d was sealed at position %d", from, to, ev.ID, n, at)
			}
			v.problem(Problem{Kind: Deleted, Leaf: n, Message: msg})
			v.shift += k
			return nil
		}
		fallthrough
	case found:
		v.problem(Problem{Kind: Reordered, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
			"event %s at position %d belongs at position %d: the log was reordered", ev.ID, n, at)})
	case !hasExpected:
		v.problem(Problem{Kind: Inserted, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
			"event %s was placed at position %d behind Hearth's back: Hearth wrote the event but never sealed it there", ev.ID, n)})
	default:
		v.problem(Problem{Kind: Edited, Leaf: n, EventID: ev.ID, Message: fmt.Sprintf(
			"the stored hash for event %s at position %d was rewritten: the event itself is intact, but proofs about it will not verify", ev.ID, n)})
	}
	return nil
}

// contentAt recomputes the leaf hash of the event at position n, if any.
// Used only to classify a mismatch, so one query each time is fine.
func (v *verifyRun) contentAt(n int64) (tlog.Hash, bool, error) {
	row := v.l.db.QueryRow(v.ctx, `SELECT `+eventColumns+` FROM audit_leaves JOIN audit_events ON id = event_id WHERE leaf_index = ?`, n)
	ev, err := scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return tlog.Hash{}, false, nil
	}
	if err != nil {
		return tlog.Hash{}, false, fmt.Errorf("read leaf %d: %w", n, err)
	}
	return tlog.RecordHash(ev.Leaf()), true, nil
}

// findLeaf looks for a stored leaf hash equal to h at a position other than
// not. audit_hashes has no index on hash, so this scans the table; it runs
// only on a mismatch, at most maxProblems times.
func (v *verifyRun) findLeaf(h tlog.Hash, not int64) (int64, bool, error) {
	rows, err := v.l.db.Query(v.ctx, `SELECT idx FROM audit_hashes WHERE hash = ?`, hex.EncodeToString(h[:]))
	if err != nil {
		return 0, false, fmt.Errorf("look up stored hash: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		if err := rows.Scan(&idx); err != nil {
			return 0, false, fmt.Errorf("look up stored hash: %w", err)
		}
		// Rows planted outside the tree's index range are ignored: they
		// are no position, and tlog's index arithmetic expects sane input.
		if idx < 0 || idx > tlog.StoredHashIndex(0, v.last+1) {
			continue
		}
		if level, n := tlog.SplitStoredHashIndex(idx); level == 0 && n != not {
			return n, true, nil
		}
	}
	return 0, false, rows.Err()
}

// nextCheckpoint returns the next checkpoint in tree_size order (among
// those that existed when Verify began), paging them in.
func (v *verifyRun) nextCheckpoint() (*checkpointRow, error) {
	if len(v.cps) == 0 && !v.cpDone {
		rows, err := v.l.db.Query(v.ctx, `SELECT tree_size, root_hash, signed FROM audit_checkpoints
			WHERE tree_size > ? AND tree_size <= ? ORDER BY tree_size LIMIT 1000`, v.cpAfter, v.cpBound)
		if err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		for rows.Next() {
			var c checkpointRow
			if err := rows.Scan(&c.size, &c.root, &c.signed); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read checkpoint: %w", err)
			}
			v.cps = append(v.cps, c)
			v.cpAfter = c.size
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read checkpoints: %w", err)
		}
		v.cpDone = len(v.cps) == 0
	}
	if len(v.cps) == 0 {
		return nil, nil
	}
	return &v.cps[0], nil
}

// checkpointsUpTo checks every checkpoint the walk has now reached.
func (v *verifyRun) checkpointsUpTo() error {
	v.witnessedUpTo()
	for {
		c, err := v.nextCheckpoint()
		if err != nil || c == nil || c.size > v.tree.size {
			return err
		}
		var root *tlog.Hash
		if c.size == v.tree.size && !v.diverged {
			r := v.tree.root()
			root = &r
		}
		v.checkpoint(*c, root)
		v.cps = v.cps[1:]
	}
}

// finishCheckpoints checks the checkpoints the walk never reached and
// whether the log now ends before its latest checkpoint says it should.
func (v *verifyRun) finishCheckpoints() error {
	for {
		c, err := v.nextCheckpoint()
		if err != nil {
			return err
		}
		if c == nil {
			break
		}
		v.checkpoint(*c, nil)
		v.cps = v.cps[1:]
	}
	// Where the log ends, counting any insertion or closed-up deletion
	// already reported.
	end := v.next + v.shift
	if end < v.cpBound {
		msg := fmt.Sprintf("position %d is missing from the end of the log: the checkpoint for the first %d events vouches for it", end, v.cpBound)
		if v.cpBound-end > 1 {
			msg = fmt.Sprintf("positions %d to %d are missing from the end of the log: the checkpoint for the first %d events vouches for them", end, v.cpBound-1, v.cpBound)
		}
		v.problem(Problem{Kind: Deleted, Leaf: end, Message: msg})
		return nil
	}
	if v.next > v.cpBound {
		// Leaves beyond the latest checkpoint: either a seal committed
		// while Verify began, or checkpoints were deleted. Ask again.
		var now sql.NullInt64
		if err := v.l.db.QueryRow(v.ctx, `SELECT MAX(tree_size) FROM audit_checkpoints`).Scan(&now); err != nil {
			return fmt.Errorf("read checkpoints: %w", err)
		}
		if now.Int64 < v.next+v.shift && !v.diverged {
			v.problem(Problem{Kind: BadCheckpoint, Leaf: now.Int64, Message: fmt.Sprintf(
				"positions %d to %d are sealed but no signed checkpoint vouches for them: checkpoints were deleted or leaves added", now.Int64, v.next-1)})
		}
	}
	return nil
}

// checkpoint checks one signed checkpoint: its signature under this log's
// key, that it signs the tree size and root stored beside it, and, when root
// is given, that the events walked so far hash to the same root.
func (v *verifyRun) checkpoint(c checkpointRow, root *tlog.Hash) {
	v.rep.Checkpoints++
	bad := func(format string, args ...any) {
		v.problem(Problem{Kind: BadCheckpoint, Leaf: c.size - 1, Message: fmt.Sprintf(format, args...)})
		v.diverged = true
	}
	n, err := note.Open([]byte(c.signed), v.verifiers)
	if err != nil {
		bad("the checkpoint for the first %d events is not signed with this log's key: it was forged or altered", c.size)
		return
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		bad("the checkpoint for the first %d events is signed but is not a tree head", c.size)
		return
	}
	v.rep.TreeSize = max(v.rep.TreeSize, tree.N)
	if tree.N != c.size {
		bad("the checkpoint stored for the first %d events signs a tree of %d: it was moved", c.size, tree.N)
		return
	}
	if hex.EncodeToString(tree.Hash[:]) != c.root {
		bad("the root hash stored beside the checkpoint for the first %d events differs from the one it signs: it was rewritten", c.size)
		return
	}
	if root == nil {
		return
	}
	if *root != tree.Hash {
		bad("the events at positions %d to %d no longer hash to the root signed in the checkpoint for the first %d events: "+
			"events in that range were reordered or rewritten and the stored hashes were rewritten to match", v.lastGood, c.size-1, c.size)
		return
	}
	v.lastGood = c.size
}

// unsealed checks every event not (yet) in the tree: Hearth wrote it (its
// MAC is good) and it is queued for sealing. Events sealed after Verify
// began (leaf beyond last) are left for the next run.
func (v *verifyRun) unsealed(last int64) error {
	rows, err := v.l.db.Query(v.ctx, `SELECT `+eventColumns+`, mac,
		CASE WHEN audit_pending.event_id IS NULL THEN 0 ELSE 1 END,
		CASE WHEN audit_leaves.event_id IS NULL THEN 0 ELSE 1 END
		FROM audit_events
		LEFT JOIN audit_leaves ON audit_leaves.event_id = id
		LEFT JOIN audit_pending ON audit_pending.event_id = id
		WHERE audit_leaves.event_id IS NULL OR audit_leaves.leaf_index > ?
		ORDER BY id`, last)
	if err != nil {
		return fmt.Errorf("read unsealed events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mac string
		var pending, sealedSince int64
		ev, err := scanEvent(rows, &mac, &pending, &sealedSince)
		if err != nil {
			return fmt.Errorf("read unsealed event: %w", err)
		}
		if sealedSince == 1 {
			continue
		}
		v.rep.Pending++
		switch {
		case !v.l.macOK(ev.Leaf(), mac):
			v.problem(Problem{Kind: Inserted, Leaf: -1, EventID: ev.ID, Message: fmt.Sprintf(
				"event %s was inserted behind Hearth's back: its MAC is not valid, so Hearth did not write it (it is not sealed)", ev.ID)})
		case pending == 0:
			v.problem(Problem{Kind: Deleted, Leaf: -1, EventID: ev.ID, Message: fmt.Sprintf(
				"event %s is neither sealed nor waiting to be sealed: it was taken out of the log behind Hearth's back", ev.ID)})
		}
	}
	return rows.Err()
}

// compactRange is an RFC 6962 tree being built leaf by leaf, kept as the
// stack of its perfect subtrees (sizes are the binary digits of the leaf
// count): O(log n) hashes for any number of leaves.
type compactRange struct {
	size   int64
	hashes []tlog.Hash
	sizes  []int64
}

func (c *compactRange) append(h tlog.Hash) {
	c.size++
	c.hashes = append(c.hashes, h)
	c.sizes = append(c.sizes, 1)
	for k := len(c.sizes); k >= 2 && c.sizes[k-1] == c.sizes[k-2]; k = len(c.sizes) {
		c.hashes[k-2] = tlog.NodeHash(c.hashes[k-2], c.hashes[k-1])
		c.sizes[k-2] *= 2
		c.hashes, c.sizes = c.hashes[:k-1], c.sizes[:k-1]
	}
}

// root folds the subtrees right to left, as RFC 6962 section 2.1 splits a
// tree at its largest power of two.
func (c *compactRange) root() tlog.Hash {
	if len(c.hashes) == 0 {
		return tlog.Hash{} // never compared: Seal never signs an empty tree
	}
	h := c.hashes[len(c.hashes)-1]
	for i := len(c.hashes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(c.hashes[i], h)
	}
	return h
}
