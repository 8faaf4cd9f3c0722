package audit

// Bulk loading is for synthetic scale data only (`hearth gen`, which
// refuses a database that holds a provider): events that never happened,
// written straight into a sealed log so that benchmarks and `hearth audit
// verify` run against ten million events without ten million requests.
// Every event is made exactly as Append makes it (leaf format 2, a fresh
// salt, the MAC under the log's key) and becomes the next leaf of the tree
// exactly as Seal would place it, with a signed checkpoint after each
// batch, so the result verifies like any log Hearth wrote itself.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/store"
)

// Prepared is an event made ready for a bulk load: its leaf format, salt
// and MAC set, and its leaf hash computed. Preparing is the costly part
// (three SHA-256 passes and an HMAC) and needs no database, so callers
// spread it over the cores.
type Prepared struct {
	ev   Event
	mac  string
	hash tlog.Hash
}

// Event returns the prepared event.
func (p Prepared) Event() Event { return p.ev }

// Prepare makes ev ready for Bulk.Write as Append would write it: its ID
// and time filled when empty, text made valid UTF-8, leaf format 2 with a
// fresh salt, and the MAC over its leaf.
func (l *Log) Prepare(ev Event) (Prepared, error) {
	if ev.ID == "" {
		ev.ID = hearth.NewID()
	}
	if ev.At.IsZero() {
		ev.At = l.clock()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	if ev.Action == "" {
		return Prepared{}, fmt.Errorf("audit: event without an action")
	}
	for f := range numFields {
		if p := ev.str(f); p != nil && !utf8.ValidString(*p) {
			*p = strings.ToValidUTF8(*p, "\uFFFD")
		}
	}
	salt, err := newSalt()
	if err != nil {
		return Prepared{}, err
	}
	ev.LeafFormat, ev.Salt = LeafV2, salt
	leaf := ev.Leaf()
	return Prepared{ev: ev, mac: hex.EncodeToString(l.macOf(leaf)), hash: tlog.RecordHash(leaf)}, nil
}

// Bulk appends prepared events to the end of the sealed tree.
type Bulk struct {
	l    *Log
	size int64
	// frontier holds the stored hashes the next leaves are built on: the
	// roots of the perfect subtrees of the tree so far, O(log n) of them,
	// plus whatever the current batch has computed.
	frontier map[int64]tlog.Hash
}

// NewBulk starts a bulk load after the log's last sealed leaf. It refuses
// while events are waiting to be sealed (seal them first), so that every
// event in the log is either sealed or bulk-loaded, never both or neither.
func (l *Log) NewBulk(ctx context.Context, tx *store.Tx) (*Bulk, error) {
	var pending int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_pending`).Scan(&pending); err != nil {
		return nil, fmt.Errorf("audit: bulk: %w", err)
	}
	if pending > 0 {
		return nil, errors.New("audit: bulk: events are waiting to be sealed; seal them first")
	}
	hashes := &hashStore{ctx: ctx, q: tx, cache: map[int64]tlog.Hash{}}
	size, err := sealedSize(ctx, tx, hashes)
	if err != nil {
		return nil, fmt.Errorf("audit: bulk: %w", err)
	}
	b := &Bulk{l: l, size: size, frontier: map[int64]tlog.Hash{}}
	for _, idx := range frontierIndexes(size) {
		hs, err := hashes.ReadHashes([]int64{idx})
		if err != nil {
			return nil, fmt.Errorf("audit: bulk: %w", err)
		}
		b.frontier[idx] = hs[0]
	}
	return b, nil
}

// Size is the number of leaves in the tree so far.
func (b *Bulk) Size() int64 { return b.size }

// Write inserts events in tx as the next leaves of the tree, in the order
// given, and signs a checkpoint over the new tree: committed, the log is
// sealed to its end, as after Seal. The checkpoint is not witnessed until
// the caller, after committing, calls PublishLatest.
func (b *Bulk) Write(ctx context.Context, tx *store.Tx, events []Prepared) error {
	if len(events) == 0 {
		return nil
	}
	eventRows := make([][]any, 0, len(events))
	leafRows := make([][]any, 0, len(events))
	hashRows := make([][]any, 0, 2*len(events))
	for i := range events {
		p := &events[i]
		ev := p.ev
		n := b.size + int64(i)
		hs, err := tlog.StoredHashesForRecordHash(n, p.hash, b)
		if err != nil {
			return fmt.Errorf("audit: bulk: hash leaf %d: %w", n, err)
		}
		base := tlog.StoredHashIndex(0, n)
		for j, h := range hs {
			b.frontier[base+int64(j)] = h
			hashRows = append(hashRows, []any{base + int64(j), hex.EncodeToString(h[:])})
		}
		eventRows = append(eventRows, []any{ev.ID, ev.At, ev.ActorID, ev.ActorName, ev.ActorRole, ev.ActorKind, ev.Action,
			ev.ResourceType, ev.ResourceID, ev.PersonID, ev.Purpose, ev.Decision, ev.Reason, ev.ReasonText, ev.BasisID,
			ev.BreakGlass, ev.SpecialBasis, ev.Outcome, ev.Detail, ev.ClientAddr, ev.RequestID, ev.LeafFormat, ev.Salt, p.mac})
		leafRows = append(leafRows, []any{n, ev.ID})
	}
	newSize := b.size + int64(len(events))
	root, err := tlog.TreeHash(newSize, b)
	if err != nil {
		return fmt.Errorf("audit: bulk: hash tree of %d: %w", newSize, err)
	}
	signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: newSize, Hash: root}))}, b.l.keys.Signer)
	if err != nil {
		return fmt.Errorf("audit: bulk: sign checkpoint: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT INTO audit_events (id, at, actor_id, actor_name, actor_role, actor_kind, action,
		resource_type, resource_id, person_id, purpose, decision, reason, reason_text, basis_id, break_glass,
		special_basis, outcome, detail, client_addr, request_id, leaf_format, leaf_salt, mac) VALUES `, eventRows); err != nil {
		return fmt.Errorf("audit: bulk: store events: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT INTO audit_leaves (leaf_index, event_id) VALUES `, leafRows); err != nil {
		return fmt.Errorf("audit: bulk: store leaves: %w", err)
	}
	if err := insertRows(ctx, tx, `INSERT INTO audit_hashes (idx, hash) VALUES `, hashRows); err != nil {
		return fmt.Errorf("audit: bulk: store hashes: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, signed, created_at) VALUES (?, ?, ?, ?)`,
		newSize, hex.EncodeToString(root[:]), string(signed), b.l.clock().UTC()); err != nil {
		return fmt.Errorf("audit: bulk: store checkpoint: %w", err)
	}
	b.size = newSize
	// Keep only what the next leaves are built on.
	keep := map[int64]tlog.Hash{}
	for _, idx := range frontierIndexes(newSize) {
		keep[idx] = b.frontier[idx]
	}
	b.frontier = keep
	return nil
}

// ReadHashes serves tlog from the frontier (tlog.HashReader).
func (b *Bulk) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := b.frontier[idx]
		if !ok {
			return nil, fmt.Errorf("stored hash %d is not on the frontier", idx)
		}
		out[i] = h
	}
	return out, nil
}

// frontierIndexes are the stored-hash indexes of the perfect subtrees that
// make up a tree of size leaves, largest first: every later leaf hash and
// every later root is computed from these alone.
func frontierIndexes(size int64) []int64 {
	var out []int64
	for level := 62; level >= 0; level-- {
		if size&(1<<level) == 0 {
			continue
		}
		// The subtree at this level covering leaves [start, start+2^level).
		start := size &^ (1<<(level+1) - 1)
		out = append(out, tlog.StoredHashIndex(level, start>>level))
	}
	return out
}
