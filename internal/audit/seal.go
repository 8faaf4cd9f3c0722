package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth/internal/store"
)

// sealBatch is how many pending events one Seal places in the tree. It bounds
// how long the seal transaction holds SQLite's single writer lock, so appends
// queue behind a seal for milliseconds rather than seconds.
const sealBatch = 5000

// Seal places pending events as the next leaves of the tree, in event-id
// (time) order, and signs a checkpoint over the new tree. It returns how many
// events it sealed; zero means nothing was pending.
//
// An event whose MAC does not match its content was not written by Hearth:
// Seal logs it and leaves it pending rather than vouching for it, and Verify
// reports it as inserted.
//
// Several processes may seal the same database: on PostgreSQL they take an
// advisory lock scoped to the schema, and on SQLite the write transaction is
// already exclusive.
func (l *Log) Seal(ctx context.Context) (int, error) {
	n, _, err := l.seal(ctx)
	return n, err
}

// RunSealer seals every interval until ctx is done, and again at once after
// a full batch so that a burst of appends is not sealed one batch per tick.
// Errors are logged, not returned: appends stay safe (durable and MACed)
// while the sealer is failing, and the next tick tries again. Events still
// pending when ctx ends are sealed by the next sealer to run.
func (l *Log) RunSealer(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Second
	}
	timer := time.NewTimer(every)
	defer timer.Stop()
	for {
		_, more, err := l.seal(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Error("audit: sealing failed", "err", err)
			more = false
		}
		if ctx.Err() != nil {
			return
		}
		if more {
			continue
		}
		timer.Reset(every)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// seal seals one batch, reporting whether the batch was full (so more events
// are probably waiting).
func (l *Log) seal(ctx context.Context) (sealed int, more bool, err error) {
	l.sealMu.Lock()
	defer l.sealMu.Unlock()
	var published string
	err = l.db.Tx(ctx, func(tx *store.Tx) error {
		sealed, more, published = 0, false, ""
		if tx.Dialect() == store.Postgres {
			// Scoped to the schema so that parallel test schemas (and
			// separate Hearth databases in one cluster) never wait on
			// each other.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext(current_schema()))`); err != nil {
				return fmt.Errorf("take the seal lock: %w", err)
			}
		}
		hashes := &hashStore{ctx: ctx, q: tx, cache: map[int64]tlog.Hash{}}
		size, err := sealedSize(ctx, tx, hashes)
		if err != nil {
			return err
		}
		events, leaves, full, err := l.pendingBatch(ctx, tx)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}

		leafRows := make([][]any, 0, len(events))
		hashRows := make([][]any, 0, 2*len(events))
		ids := make([]any, 0, len(events))
		for i, ev := range events {
			n := size + int64(i)
			hs, err := tlog.StoredHashes(n, leaves[i], hashes)
			if err != nil {
				return fmt.Errorf("hash leaf %d: %w", n, err)
			}
			base := tlog.StoredHashIndex(0, n)
			for j, h := range hs {
				hashes.cache[base+int64(j)] = h
				hashRows = append(hashRows, []any{base + int64(j), hex.EncodeToString(h[:])})
			}
			leafRows = append(leafRows, []any{n, ev.ID})
			ids = append(ids, ev.ID)
		}
		newSize := size + int64(len(events))
		root, err := tlog.TreeHash(newSize, hashes)
		if err != nil {
			return fmt.Errorf("hash tree of %d: %w", newSize, err)
		}
		signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: newSize, Hash: root}))}, l.keys.Signer)
		if err != nil {
			return fmt.Errorf("sign checkpoint: %w", err)
		}

		if err := insertRows(ctx, tx, `INSERT INTO audit_leaves (leaf_index, event_id) VALUES `, leafRows); err != nil {
			return fmt.Errorf("store leaves: %w", err)
		}
		if err := insertRows(ctx, tx, `INSERT INTO audit_hashes (idx, hash) VALUES `, hashRows); err != nil {
			return fmt.Errorf("store hashes: %w", err)
		}
		for start := 0; start < len(ids); start += 500 {
			part := ids[start:min(start+500, len(ids))]
			q := `DELETE FROM audit_pending WHERE event_id IN (` + placeholders(len(part)) + `)`
			if _, err := tx.Exec(ctx, q, part...); err != nil {
				return fmt.Errorf("clear pending: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, signed, created_at) VALUES (?, ?, ?, ?)`,
			newSize, hex.EncodeToString(root[:]), string(signed), l.clock().UTC()); err != nil {
			return fmt.Errorf("store checkpoint: %w", err)
		}
		sealed, more, published = len(events), full, string(signed)
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("audit: seal: %w", err)
	}
	if published != "" {
		// The events are sealed whether or not the witness takes the
		// checkpoint: a failure is logged, and the next checkpoint
		// (which covers this one) is published next time.
		_ = l.publish(published)
	}
	return sealed, more, nil
}

// errDamaged means the stored tree no longer agrees with its own signed
// checkpoints; Seal refuses to build on it so that it never signs over
// tampering. The events stay pending (and MACed) until someone runs
// "hearth audit verify" and repairs the log.
var errDamaged = errors.New("the sealed audit log is damaged: run hearth audit verify")

// sealedSize returns the number of leaves in the tree, after checking that
// the leaves and stored hashes still match the latest signed checkpoint.
// The check costs O(log n) reads, so it runs on every seal.
func sealedSize(ctx context.Context, tx *store.Tx, hashes *hashStore) (int64, error) {
	var maxLeaf sql.NullInt64
	if err := tx.QueryRow(ctx, `SELECT MAX(leaf_index) FROM audit_leaves`).Scan(&maxLeaf); err != nil {
		return 0, fmt.Errorf("read tree size: %w", err)
	}
	size := int64(0)
	if maxLeaf.Valid {
		size = maxLeaf.Int64 + 1
	}
	var cpSize int64
	var cpRoot string
	err := tx.QueryRow(ctx, `SELECT tree_size, root_hash FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&cpSize, &cpRoot)
	if errors.Is(err, sql.ErrNoRows) {
		cpSize, err = 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read latest checkpoint: %w", err)
	}
	if cpSize != size {
		return 0, fmt.Errorf("%w (the tree has %d leaves but the latest checkpoint covers %d)", errDamaged, size, cpSize)
	}
	if size == 0 {
		return 0, nil
	}
	root, err := tlog.TreeHash(size, hashes)
	if err != nil {
		return 0, fmt.Errorf("%w (%v)", errDamaged, err)
	}
	if hex.EncodeToString(root[:]) != cpRoot {
		return 0, fmt.Errorf("%w (the stored hashes no longer match the checkpoint for %d events)", errDamaged, size)
	}
	return size, nil
}

// pendingBatch reads up to sealBatch pending events whose MAC is good, in
// event-id order, with their leaves (the bytes each commits to, in its own
// leaf format). Events with a bad MAC are logged and skipped (paging past
// them, so that a pile of forged rows can never stall sealing). full
// reports that the batch was filled.
func (l *Log) pendingBatch(ctx context.Context, tx *store.Tx) (events []Event, leaves [][]byte, full bool, err error) {
	after := ""
	var forged []string
	for len(events) < sealBatch {
		rows, err := tx.Query(ctx, `SELECT event_id FROM audit_pending WHERE event_id > ? ORDER BY event_id LIMIT ?`, after, sealBatch)
		if err != nil {
			return nil, nil, false, fmt.Errorf("read pending events: %w", err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, false, fmt.Errorf("read pending events: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, false, fmt.Errorf("read pending events: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		byID, err := eventsByID(ctx, tx, ids)
		if err != nil {
			return nil, nil, false, err
		}
		for _, id := range ids {
			ev, ok := byID[id]
			if !ok {
				// The foreign key makes this impossible short of tampering.
				forged = append(forged, id)
				continue
			}
			c := ev.Leaf()
			if !l.macOK(c, ev.mac) {
				forged = append(forged, id)
				continue
			}
			if len(events) < sealBatch {
				events = append(events, ev.Event)
				leaves = append(leaves, c)
			}
		}
		if len(ids) < sealBatch {
			break
		}
	}
	if len(forged) > 0 {
		l.log.Error("audit: events with a bad MAC were not sealed: they were not written by Hearth; run hearth audit verify",
			"count", len(forged), "first", forged[0])
	}
	return events, leaves, len(events) == sealBatch, nil
}

// insertRows inserts rows with multi-row VALUES lists, a few hundred rows a
// statement, to keep PostgreSQL round trips per seal low.
func insertRows(ctx context.Context, tx *store.Tx, prefix string, rows [][]any) error {
	const perStatement = 400
	for start := 0; start < len(rows); start += perStatement {
		part := rows[start:min(start+perStatement, len(rows))]
		var b strings.Builder
		b.WriteString(prefix)
		args := make([]any, 0, len(part)*len(part[0]))
		for i, r := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(r)) + ")")
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// querier is what both a transaction and the pool offer, so hashes can be
// read inside the seal transaction or, for receipts, outside any.
type querier interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// hashStore reads the tree's stored hashes (tlog.HashReader) from
// audit_hashes, preferring hashes already computed in this batch.
type hashStore struct {
	ctx   context.Context
	q     querier
	cache map[int64]tlog.Hash
}

func (s *hashStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []any
	for _, idx := range indexes {
		if _, ok := s.cache[idx]; !ok {
			missing = append(missing, idx)
		}
	}
	for start := 0; start < len(missing); start += 500 {
		part := missing[start:min(start+500, len(missing))]
		rows, err := s.q.Query(s.ctx, `SELECT idx, hash FROM audit_hashes WHERE idx IN (`+placeholders(len(part))+`)`, part...)
		if err != nil {
			return nil, fmt.Errorf("read stored hashes: %w", err)
		}
		for rows.Next() {
			var idx int64
			var text string
			if err := rows.Scan(&idx, &text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored hash: %w", err)
			}
			h, err := parseHash(text)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("stored hash %d: %w", idx, err)
			}
			s.cache[idx] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored hashes: %w", err)
		}
	}
	for i, idx := range indexes {
		h, ok := s.cache[idx]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is missing", idx)
		}
		out[i] = h
	}
	return out, nil
}

// parseHash decodes a hash stored as hex.
func parseHash(text string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := hex.DecodeString(text)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("not a hex SHA-256 hash: %q", text)
	}
	copy(h[:], b)
	return h, nil
}

// macedEvent is an event as stored, with the MAC Hearth wrote beside it.
type macedEvent struct {
	Event
	mac string
}

// eventsByID reads the events with these ids, by primary key. Seal and
// Verify first page through the small table (pending ids, leaves) and then
// fetch the events this way, rather than joining: a join's plan depends on
// table statistics, and on a freshly loaded PostgreSQL table the planner
// may hash the whole events table for every page, which at ten million
// events is the difference between minutes and days.
func eventsByID(ctx context.Context, q querier, ids []string) (map[string]macedEvent, error) {
	out := make(map[string]macedEvent, len(ids))
	for start := 0; start < len(ids); start += 1000 {
		part := ids[start:min(start+1000, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := q.Query(ctx, `SELECT `+eventColumns+`, mac FROM audit_events WHERE id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		for rows.Next() {
			var e macedEvent
			e.Event, err = scanEvent(rows, &e.mac)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read event: %w", err)
			}
			out[e.ID] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
	}
	return out, nil
}
