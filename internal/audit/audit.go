// Package audit is Hearth's tamper-evident log of every access to personal
// data (DESIGN.md invariant 4). Events are appended in the same transaction
// as the data they concern, so a read is never served and a write never
// acknowledged without its event being durable. Appends take no global lock:
// each is a plain INSERT plus a row in audit_pending. A sealer then places
// pending events as leaves of an RFC 6962 Merkle tree (stored as
// golang.org/x/mod/sumdb/tlog does) and signs a checkpoint with Ed25519.
//
// A leaf commits to an event in one of two formats (docs/audit-leaf.md):
// format 2, for every event written now, shows the fields the person may
// see and commits to the rest (and a random salt) by hash, so that a
// receipt proves an access without revealing a member of staff's address,
// Hearth's request ID or what someone refused typed; format 1, the whole
// event as JSON, stays for events sealed before format 2 existed.
//
// Every event also carries a MAC under the server's audit key, over its
// leaf and so over every field, so a row inserted or edited behind
// Hearth's back is caught even before it is sealed. Verify recomputes
// everything and names the first event edited, deleted, inserted or
// reordered.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/store"
)

// Event is one audited happening: who, in what role, did what to which
// resource of which person, why, what was decided and why, when, from where.
// Shaped to map onto FHIR AuditEvent under IHE BALP: one person per event.
type Event struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	ActorID      string    `json:"actor_id"`
	ActorName    string    `json:"actor_name"`
	ActorRole    string    `json:"actor_role"`
	ActorKind    string    `json:"actor_kind"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	PersonID     string    `json:"person_id"`
	Purpose      string    `json:"purpose"`
	Decision     string    `json:"decision"`
	Reason       string    `json:"reason"`
	ReasonText   string    `json:"reason_text"`
	BasisID      string    `json:"basis_id"`
	BreakGlass   bool      `json:"break_glass"`
	SpecialBasis bool      `json:"special_basis"`
	Outcome      string    `json:"outcome"`
	Detail       string    `json:"detail"`
	ClientAddr   string    `json:"client_addr"`
	RequestID    string    `json:"request_id"`

	// LeafFormat is how the event's leaf of the tree is encoded (LeafV1 or
	// LeafV2); Append sets it. Salt is format 2's random salt, in hex: it
	// is never shown to the person or put in a receipt.
	LeafFormat int    `json:"-"`
	Salt       string `json:"-"`
}

// Outcomes of the audited operation.
const (
	OutcomeSuccess  = "success"
	OutcomeDenied   = "denied"
	OutcomeInvalid  = "invalid"
	OutcomeNotFound = "not-found"
	OutcomeFailed   = "failed"
)

// Log appends, seals and verifies audit events.
type Log struct {
	db    *store.DB
	keys  *Keys
	clock hearth.Clock
	log   *slog.Logger

	// sealMu keeps two Seal calls in one process from queueing on the
	// database lock. Append never takes it: appends wait only for what the
	// engine forces.
	sealMu sync.Mutex

	// witness, when set, is where every checkpoint is also published.
	witness *Witness
}

// New returns a Log over db, sealing with keys.
func New(db *store.DB, keys *Keys, clock hearth.Clock, log *slog.Logger) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Log{db: db, keys: keys, clock: clock, log: log}
}

// Keys returns the log's keys (the verifier key is published in receipts).
func (l *Log) Keys() *Keys { return l.keys }

// The MAC is over the event's leaf. A format 1 leaf is the whole event; a
// format 2 leaf commits to the fields it does not show, and to the salt, by
// their hash, so in either format the MAC covers every field: an edit to a
// field the person never sees is caught as surely as any other.
func (l *Log) mac(ev Event) string {
	return hex.EncodeToString(l.macOf(ev.Leaf()))
}

func (l *Log) macOf(leaf []byte) []byte { return macWith(l.keys.macKey, leaf) }

func macWith(key, leaf []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(leaf)
	return m.Sum(nil)
}

// macOK reports whether stored is the MAC of an event with this leaf, in
// constant time: only Hearth, holding the key, can make one. After a key
// rotation an event MACed under a retired key still checks.
func (l *Log) macOK(leaf []byte, stored string) bool {
	got, err := hex.DecodeString(stored)
	if err != nil {
		return false
	}
	if hmac.Equal(got, l.macOf(leaf)) {
		return true
	}
	for _, k := range l.keys.macKeys()[1:] {
		if hmac.Equal(got, macWith(k, leaf)) {
			return true
		}
	}
	return false
}

// Append writes ev in tx, filling its ID and time when empty, in leaf
// format 2 with a fresh salt. The event is durable exactly when tx commits:
// callers append in the same transaction as the data change, and commit
// before answering a read.
func (l *Log) Append(ctx context.Context, tx *store.Tx, ev Event) (Event, error) {
	if ev.ID == "" {
		ev.ID = hearth.NewID()
	}
	if ev.At.IsZero() {
		ev.At = l.clock()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	if ev.Action == "" {
		return ev, fmt.Errorf("audit: event without an action")
	}
	// A receipt carries the event as JSON, which holds only valid UTF-8:
	// text that is not (a form can send any bytes) is stored as JSON
	// would carry it, or the receipt could never verify.
	for f := range numFields {
		if p := ev.str(f); p != nil && !utf8.ValidString(*p) {
			*p = strings.ToValidUTF8(*p, "\uFFFD")
		}
	}
	salt, err := newSalt()
	if err != nil {
		return ev, err
	}
	ev.LeafFormat, ev.Salt = LeafV2, salt
	_, err = tx.Exec(ctx, `INSERT INTO audit_events (id, at, actor_id, actor_name, actor_role, actor_kind, action,
		resource_type, resource_id, person_id, purpose, decision, reason, reason_text, basis_id, break_glass,
		special_basis, outcome, detail, client_addr, request_id, leaf_format, leaf_salt, mac)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.At, ev.ActorID, ev.ActorName, ev.ActorRole, ev.ActorKind, ev.Action,
		ev.ResourceType, ev.ResourceID, ev.PersonID, ev.Purpose, ev.Decision, ev.Reason, ev.ReasonText, ev.BasisID,
		ev.BreakGlass, ev.SpecialBasis, ev.Outcome, ev.Detail, ev.ClientAddr, ev.RequestID, ev.LeafFormat, ev.Salt, l.mac(ev))
	if err != nil {
		return ev, fmt.Errorf("audit: append: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_pending (event_id) VALUES (?)`, ev.ID); err != nil {
		return ev, fmt.Errorf("audit: queue for sealing: %w", err)
	}
	return ev, nil
}

// AppendNow appends ev in its own transaction: for events that go with no
// data change (a denial, a failed sign-in).
func (l *Log) AppendNow(ctx context.Context, ev Event) (Event, error) {
	var out Event
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = l.Append(ctx, tx, ev)
		return err
	})
	return out, err
}

const eventColumns = `id, at, actor_id, actor_name, actor_role, actor_kind, action, resource_type, resource_id,
	person_id, purpose, decision, reason, reason_text, basis_id, break_glass, special_basis, outcome, detail,
	client_addr, request_id, leaf_format, leaf_salt`

type scanner interface{ Scan(dest ...any) error }

func scanEvent(s scanner, extra ...any) (Event, error) {
	var e Event
	dest := []any{&e.ID, &e.At, &e.ActorID, &e.ActorName, &e.ActorRole, &e.ActorKind, &e.Action, &e.ResourceType,
		&e.ResourceID, &e.PersonID, &e.Purpose, &e.Decision, &e.Reason, &e.ReasonText, &e.BasisID, &e.BreakGlass,
		&e.SpecialBasis, &e.Outcome, &e.Detail, &e.ClientAddr, &e.RequestID, &e.LeafFormat, &e.Salt}
	err := s.Scan(append(dest, extra...)...)
	e.At = e.At.UTC()
	return e, err
}

// PersonHistory returns the events about one person, newest first, from
// offset for up to limit events (all when limit <= 0), and how many there
// are in all: who has seen
// or changed their record, when, what and why. It reads inside tx so that
// the caller's own access (decided and appended in the same transaction) is
// part of what it sees. Callers reach it through the door, which checks that
// reading the person's access log was permitted.
func (l *Log) PersonHistory(ctx context.Context, tx *store.Tx, personID string, offset, limit int) ([]Event, int, error) {
	var total int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE person_id = ?`, personID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: person history: %w", err)
	}
	if limit <= 0 {
		limit = total
	}
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE person_id = ? ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
		personID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, fmt.Errorf("audit: person history: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// ByRequest returns the events written for one HTTP request, oldest first.
func (l *Log) ByRequest(ctx context.Context, requestID string) ([]Event, error) {
	rows, err := l.db.Query(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
