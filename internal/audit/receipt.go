package audit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth"
)

// Receipt proves that one event is in the audit log: anyone holding the
// log's verifier key can check it without trusting Hearth's database, so a
// person can keep it and later show that the record of an access to their
// data was not changed or removed. Field names are stable: receipts are kept
// outside Hearth. docs/audit-leaf.md describes a receipt exactly.
//
// A receipt for an event in leaf format 2 (Format 2) shows only the fields
// the person may see and carries Private, the leaf's commitment to the rest:
// no client address, request ID or account ID, and for a refused access no
// name and no text. Receipts made before format 2 (Format 1, written with no
// "format" field) hold the whole event, and still verify.
type Receipt struct {
	Format int // the leaf format: LeafV1 or LeafV2
	// Event holds the fields the receipt shows; the others are empty (see
	// Shows).
	Event      Event
	Private    string   // format 2: hex SHA-256 commitment to the fields not shown and the event's salt
	LeafIndex  int64    // the event's position in the tree
	LeafHash   string   // hex RFC 6962 leaf hash of the event's leaf
	Checkpoint string   // the signed note of the tree head the proof leads to
	Proof      []string // hex hashes of the inclusion proof, as tlog.ProveRecord gives them
	// VerifierKey is the key the checkpoint was signed with, for reference.
	// A checker must use a key it obtained from the provider, not this one.
	VerifierKey string

	shown fieldSet // format 2: the fields in Event that the leaf shows
}

// Shows reports whether the receipt shows the named field ("actor_name",
// "detail", ...): every field of a format 1 receipt, and in format 2 those
// the person may see.
func (r Receipt) Shows(name string) bool {
	if r.Format != LeafV2 {
		return true
	}
	for f := range numFields {
		if fieldNames[f] == name {
			return r.shown.has(f)
		}
	}
	return false
}

// Hidden lists the fields the receipt commits to without showing them, in
// leaf order: none in format 1.
func (r Receipt) Hidden() []string {
	var out []string
	for f := range numFields {
		if r.Format == LeafV2 && !r.shown.has(f) {
			out = append(out, fieldNames[f])
		}
	}
	return out
}

// Receipt returns a receipt for a sealed event against the latest signed
// checkpoint. An event not sealed yet gets a KindUnavailable error: the
// sealer will place it in a moment. An event from before leaf format 2 gets
// a KindConflict error: it has no receipt that would not show what the
// person may not see.
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
	if ev.LeafFormat == LeafV1 {
		// Its leaf is the whole event, so any receipt that verifies would
		// show the member of staff's address and Hearth's request ID.
		return Receipt{}, hearth.Errorf(hearth.KindConflict, "This access was recorded before Hearth kept staff details out of receipts, "+
			"so there is no receipt for it. It is still in the signed log: the information governance lead can check the whole log")
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
	private := ev.private()
	r := Receipt{
		Format:      LeafV2,
		Event:       ev.without(private),
		Private:     ev.privateHash(private),
		shown:       allFields &^ private,
		LeafIndex:   leaf.Int64,
		Checkpoint:  signed,
		Proof:       make([]string, len(proof)),
		VerifierKey: l.keys.VerifierKey,
	}
	for i, h := range proof {
		r.Proof[i] = hex.EncodeToString(h[:])
	}
	leafHash := tlog.RecordHash(ev.Leaf())
	r.LeafHash = hex.EncodeToString(leafHash[:])
	// Never hand out a receipt that does not verify: it would mean the
	// stored hashes were tampered with, and the person would find out first.
	if err := VerifyReceipt(r, l.keys.VerifierKey); err != nil {
		return Receipt{}, fmt.Errorf("audit: receipt for event %s: %w: %w", eventID, errDamaged, err)
	}
	return r, nil
}

// VerifyReceipt checks r on its own, with the verifier key the checker
// trusts (not the one in the receipt): the checkpoint's signature, that the
// leaf rebuilt from the receipt's event hashes to the leaf hash, and that
// the proof leads from that leaf to the signed root. The error says which
// step failed.
func VerifyReceipt(r Receipt, verifierKey string) error {
	return VerifyReceiptKeys(r, verifierKey)
}

// VerifyReceiptKeys is VerifyReceipt with every verifier key the checker
// trusts: after a key rotation, receipts signed before it verify with the
// retired key (Keys.VerifierKeys).
func VerifyReceiptKeys(r Receipt, verifierKeys ...string) error {
	vs := make([]note.Verifier, 0, len(verifierKeys))
	for _, k := range verifierKeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return fmt.Errorf("receipt: the verifier key is not valid: %w", err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open([]byte(r.Checkpoint), note.VerifierList(vs...))
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
	leafBytes, err := r.Leaf()
	if err != nil {
		return err
	}
	leaf := tlog.RecordHash(leafBytes)
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

// Leaf rebuilds the bytes of the event's leaf from the receipt alone: in
// format 2 the shown fields and the commitment to the rest, in format 1 the
// whole event.
func (r Receipt) Leaf() ([]byte, error) {
	switch r.Format {
	case LeafV1:
		return r.Event.canonicalV1(), nil
	case LeafV2:
		if _, err := parseHash(r.Private); err != nil || strings.ToLower(r.Private) != r.Private {
			return nil, errors.New("receipt: the commitment to the fields not shown is not a lowercase hex SHA-256 hash")
		}
		return r.Event.leafV2(r.shown, r.Private), nil
	}
	return nil, fmt.Errorf("receipt: leaf format %d is not one this version of Hearth knows", r.Format)
}

// without returns the event with the fields in private emptied, so that
// what leaves Hearth in a receipt cannot hold them by mistake.
func (e Event) without(private fieldSet) Event {
	for f := range numFields {
		if !private.has(f) {
			continue
		}
		switch f {
		case fAt:
			e.At = time.Time{}
		case fBreakGlass:
			e.BreakGlass = false
		case fSpecialBasis:
			e.SpecialBasis = false
		default:
			*e.str(f) = ""
		}
	}
	e.Salt = ""
	return e
}

// receiptJSON is a receipt as stored by the person: the field names are
// stable, and "format" is left out of format 1 receipts, which never had it.
type receiptJSON struct {
	Format      int             `json:"format,omitempty"`
	Event       json.RawMessage `json:"event"`
	Private     string          `json:"private,omitempty"`
	LeafIndex   int64           `json:"leaf_index"`
	LeafHash    string          `json:"leaf_hash"`
	Checkpoint  string          `json:"checkpoint"`
	Proof       []string        `json:"proof"`
	VerifierKey string          `json:"verifier_key"`
}

// MarshalJSON writes a format 2 receipt's event with only the fields it
// shows, in leaf order, each as the leaf writes it (the time with six
// fractional digits, booleans as JSON booleans); a format 1 receipt's event
// as format 1 wrote it.
func (r Receipt) MarshalJSON() ([]byte, error) {
	out := receiptJSON{LeafIndex: r.LeafIndex, LeafHash: r.LeafHash, Checkpoint: r.Checkpoint, Proof: r.Proof,
		VerifierKey: r.VerifierKey}
	var err error
	if r.Format == LeafV2 {
		out.Format, out.Private = LeafV2, r.Private
		b := []byte{'{'}
		for f := range numFields {
			if !r.shown.has(f) {
				continue
			}
			if len(b) > 1 {
				b = append(b, ',')
			}
			name, _ := json.Marshal(fieldNames[f])
			b = append(append(b, name...), ':')
			var v []byte
			switch f {
			case fBreakGlass, fSpecialBasis:
				v = []byte(r.Event.text(f))
			default:
				if v, err = json.Marshal(r.Event.text(f)); err != nil {
					return nil, err
				}
			}
			b = append(b, v...)
		}
		out.Event = append(b, '}')
	} else if out.Event, err = json.Marshal(r.Event.toV1()); err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a receipt of either format, refusing fields no
// receipt has: a receipt is checked exactly as it was issued.
func (r *Receipt) UnmarshalJSON(b []byte) error {
	var in receiptJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	*r = Receipt{Format: in.Format, Private: in.Private, LeafIndex: in.LeafIndex, LeafHash: in.LeafHash,
		Checkpoint: in.Checkpoint, Proof: in.Proof, VerifierKey: in.VerifierKey}
	switch in.Format {
	case 0, LeafV1:
		r.Format = LeafV1
		var v1 eventV1
		dec := json.NewDecoder(bytes.NewReader(in.Event))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v1); err != nil {
			return fmt.Errorf("the receipt's event: %w", err)
		}
		r.Event = v1.event()
		return nil
	case LeafV2:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(in.Event, &fields); err != nil {
			return fmt.Errorf("the receipt's event: %w", err)
		}
		r.Event.LeafFormat = LeafV2
		for name, raw := range fields {
			f, ok := fieldNamed(name)
			if !ok {
				return fmt.Errorf("the receipt's event has a field no receipt has: %q", name)
			}
			if err := r.Event.setJSON(f, raw); err != nil {
				return fmt.Errorf("the receipt's event: %s: %w", name, err)
			}
			r.shown |= 1 << f
		}
		return nil
	}
	return fmt.Errorf("receipt format %d is not one this version of Hearth knows", in.Format)
}

func fieldNamed(name string) (field, bool) {
	for f := range numFields {
		if fieldNames[f] == name {
			return f, true
		}
	}
	return 0, false
}

// setJSON sets field f from its JSON value in a format 2 receipt. The time
// must be written exactly as the leaf writes it, so that a verifier in any
// language can copy the string into the leaf as it is.
func (e *Event) setJSON(f field, raw json.RawMessage) error {
	switch f {
	case fBreakGlass:
		return json.Unmarshal(raw, &e.BreakGlass)
	case fSpecialBasis:
		return json.Unmarshal(raw, &e.SpecialBasis)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	if f != fAt {
		*e.str(f) = s
		return nil
	}
	t, err := time.Parse(timeLayoutV2, s)
	if err != nil || t.Format(timeLayoutV2) != s {
		return fmt.Errorf("%q is not a UTC time written as 2006-01-02T15:04:05.000000Z", s)
	}
	e.At = t
	return nil
}
