package audit

import (
	"context"
	"fmt"
	"time"

	"hearth"
	"hearth/internal/store"
)

// AppendV1 appends ev exactly as Hearth did before leaf format 2: it names
// none of the columns migration 0002 added, so the row takes the defaults
// every event already in a database took (format 1, no salt), and its MAC
// is over the whole event as JSON.
func (l *Log) AppendV1(ctx context.Context, tx *store.Tx, ev Event) (Event, error) {
	if ev.ID == "" {
		ev.ID = hearth.NewID()
	}
	if ev.At.IsZero() {
		ev.At = l.clock()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	ev.LeafFormat, ev.Salt = LeafV1, ""
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (id, at, actor_id, actor_name, actor_role, actor_kind, action,
		resource_type, resource_id, person_id, purpose, decision, reason, reason_text, basis_id, break_glass,
		special_basis, outcome, detail, client_addr, request_id, mac)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.At, ev.ActorID, ev.ActorName, ev.ActorRole, ev.ActorKind, ev.Action,
		ev.ResourceType, ev.ResourceID, ev.PersonID, ev.Purpose, ev.Decision, ev.Reason, ev.ReasonText, ev.BasisID,
		ev.BreakGlass, ev.SpecialBasis, ev.Outcome, ev.Detail, ev.ClientAddr, ev.RequestID, l.mac(ev))
	if err != nil {
		return ev, fmt.Errorf("audit: append v1: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_pending (event_id) VALUES (?)`, ev.ID); err != nil {
		return ev, err
	}
	return ev, nil
}

// AppendV1Now is AppendV1 in its own transaction.
func (l *Log) AppendV1Now(ctx context.Context, ev Event) (Event, error) {
	var out Event
	err := l.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = l.AppendV1(ctx, tx, ev)
		return err
	})
	return out, err
}
