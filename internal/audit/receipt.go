package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth"
)

// Receipt proves that one event is in the audit log: anyone holding the
// log's verifier key can check it without trusting Hearth's database, so a
// person can keep it and later show that the record of an access to their
// data was not changed or removed. Field names are stable: receipts are kept
// outside Hearth.
type Receipt struct {
	Event      Event    `json:"event"`
	LeafIndex  int64    `json:"leaf_index"`
	LeafHash   string   `json:"leaf_hash"`  // hex RFC 6962 leaf hash of the event's canonical JSON
	Checkpoint string   `json:"checkpoint"` // the signed note of the tree head the proof leads to
	Proof      []string `json:"proof"`      // hex hashes of the inclusion proof, as tlog.ProveRecord gives them
	// VerifierKey is the key the checkpoint was signed with, for reference.
	// A checker must use a key it obtained from the provider, not this one.
	VerifierKey string `json:"verifier_key"`
}

// Receipt returns a receipt for a sealed event against the latest signed
// checkpoint. An event not sealed yet gets a KindUnavailable error: the
// sealer will place it in a moment.
func (l *Log) Receipt(ctx context.Context, eventID string) (Receipt, error) {
	if !hearth.ValidID(eventID) {
		return Receipt{}, hearth.NotFound("The audit event")
	}
	var leaf sql.NullInt64
	row := l.db.QueryRow(ctx, `SELECT `+eventColumns+`, leaf_index FROM audit_events
		LEFT JOIN audit_leaves ON event_id = id WHERE id = ?`, eventID)
	ev, err := scanEvent(row, &leaf)
	if errors.Is(err, sql.ErrNoRows) {
		return Receipt{}, hearth.NotFound("The audit event")
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("audit: receipt: %w", err)
	}
	if !leaf.Valid {
		return Receipt{}, hearth.Errorf(hearth.KindUnavailable, "This event is not sealed yet, try again in a moment")
	}
	// Read after the leaf: the seal that placed it committed its checkpoint
	// in the same transaction, so this one covers the leaf.
	var size int64
	var signed string
	if err := l.db.QueryRow(ctx, `SELECT tree_size, signed FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).
		Scan(&size, &signed); err != nil {
		return Receipt{}, fmt.Errorf("audit: receipt: read checkpoint: %w", err)
	}
	if size <= leaf.Int64 {
		return Receipt{}, fmt.Errorf("audit: receipt for event %s: %w", eventID, errDamaged)
	}
	proof, err := tlog.ProveRecord(size, leaf.Int64, &hashStore{ctx: ctx, q: l.db, cache: map[int64]tlog.Hash{}})
	if err != nil {
		return Receipt{}, fmt.Errorf("audit: receipt for event %s: prove inclusion: %w", eventID, err)
	}
	leafHash := tlog.RecordHash(ev.Canonical())
	r := Receipt{
		Event:       ev,
		LeafIndex:   leaf.Int64,
		LeafHash:    hex.EncodeToString(leafHash[:]),
		Checkpoint:  signed,
		Proof:       make([]string, len(proof)),
		VerifierKey: l.keys.VerifierKey,
	}
	for i, h := range proof {
		r.Proof[i] = hex.EncodeToString(h[:])
	}
	// Never hand out a receipt that does not verify: it would mean the
	// stored hashes were tampered with, and the person would find out first.
	if err := VerifyReceipt(r, l.keys.VerifierKey); err != nil {
		return Receipt{}, fmt.Errorf("audit: receipt for event %s: %w: %w", eventID, errDamaged, err)
	}
	return r, nil
}

// VerifyReceipt checks r on its own, with the verifier key the checker
// trusts (not the one in the receipt): the checkpoint's signature, that the
// event hashes to the leaf hash, and that the proof leads from that leaf to
// the signed root. The error says which step failed.
func VerifyReceipt(r Receipt, verifierKey string) error {
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return fmt.Errorf("receipt: the verifier key is not valid: %w", err)
	}
	n, err := note.Open([]byte(r.Checkpoint), note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("receipt: the checkpoint signature is not valid for this key: %w", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return fmt.Errorf("receipt: the checkpoint is signed but is not a tree head: %w", err)
	}
	if r.LeafIndex < 0 || r.LeafIndex >= tree.N {
		return fmt.Errorf("receipt: the event's position %d is outside the checkpoint's tree of %d events", r.LeafIndex, tree.N)
	}
	leaf := tlog.RecordHash(r.Event.Canonical())
	if hex.EncodeToString(leaf[:]) != r.LeafHash {
		return errors.New("receipt: the event does not match its leaf hash: the event was changed")
	}
	proof := make(tlog.RecordProof, len(r.Proof))
	for i, s := range r.Proof {
		h, err := parseHash(s)
		if err != nil {
			return fmt.Errorf("receipt: proof hash %d: %w", i, err)
		}
		proof[i] = h
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, r.LeafIndex, leaf); err != nil {
		return fmt.Errorf("receipt: the inclusion proof does not lead from the event to the checkpoint's root: the proof or the position was changed: %w", err)
	}
	return nil
}
