package portal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/people"
)

// History is who has seen a person's record: every audited access about
// them, newest first, this visit included, a page at a time, each as the
// person may see it (audit.Event.ForPerson).
type History struct {
	Person people.Person
	Events []audit.PersonEvent
	Offset int // how many newer events come before this page
	Total  int // every event about the person, this visit's included
}

// History reads a page of the person's access history (ReadAccessLog):
// limit events from offset, newest first. The first page starts with this
// visit's own events.
func (s *Service) History(ctx context.Context, actor door.Actor, personID string, offset, limit int) (History, error) {
	var h History
	// A read (door.Read); a representative's runs as a write, ordered
	// with any withdrawal of their authority.
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		h = History{}
		if _, err := sc.Allow(door.Request{Action: access.ReadAccessLog, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "AuditEvent", Detail: "who has seen my record"}); err != nil {
			return err
		}
		var err error
		if h.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		pending := sc.Pending()
		h.Offset = max(offset, 0)
		from := max(h.Offset-len(pending), 0)
		past, total, err := sc.AccessHistory(personID, from, limit)
		if err != nil {
			return err
		}
		h.Total = total + len(pending)
		events := past
		if h.Offset < len(pending) {
			events = append(pending[h.Offset:], past...)
			events = events[:min(len(events), limit)]
		}
		h.Events = forPerson(events, actor.ID)
		return nil
	})
	return h, err
}

// Receipt returns a receipt for one event about the person: a read of the
// access log, decided and audited. An event about someone else, or no
// event, is the same not-found.
func (s *Service) Receipt(ctx context.Context, actor door.Actor, personID, eventID string) (audit.Receipt, error) {
	var r audit.Receipt
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadAccessLog, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "AuditEvent", ResourceID: eventID, Detail: "receipt downloaded"}); err != nil {
			return err
		}
		var about string
		err := sc.QueryRow(`SELECT person_id FROM audit_events WHERE id = ?`, eventID).Scan(&about)
		if errors.Is(err, sql.ErrNoRows) || !hearth.ValidID(eventID) || (err == nil && about != personID) {
			return hearth.NotFound("That access")
		}
		if err != nil {
			return err
		}
		r, err = s.door.Audit().Receipt(ctx, eventID)
		return err
	})
	return r, err
}

// forPerson is events as the person, or their representative, may see them.
func forPerson(events []audit.Event, viewer string) []audit.PersonEvent {
	out := make([]audit.PersonEvent, len(events))
	for i, e := range events {
		out[i] = e.ForPerson(viewer)
	}
	return out
}

// CheckedReceipt is the outcome of checking a receipt.
type CheckedReceipt struct {
	Receipt audit.Receipt
	// Line is the receipt's event as the history shows it, from what the
	// receipt itself shows (set when the receipt was checked on a page).
	Line    audit.PersonEvent
	OK      bool
	Problem string // where it failed, in words
}

// CheckReceipt checks a receipt someone pasted or uploaded against this
// Hearth's verifier keys, on a page about personID (decided and audited as a
// read of their access log). The receipt stands on its own; then today's
// log must prove it still extends the receipt's checkpoint, so a log cut
// back or rewritten since the receipt was issued fails the check.
func (s *Service) CheckReceipt(ctx context.Context, actor door.Actor, personID string, text []byte) (CheckedReceipt, error) {
	var out CheckedReceipt
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ReadAccessLog, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "AuditEvent", Detail: "receipt checked"})
		if err != nil {
			return err
		}
		out = VerifyReceiptJSON(text, s.door.Audit().Keys().VerifierKeys()...)
		if out.OK {
			// The receipt stands on its own; today's log must still
			// extend the tree it was signed over, or the log was cut
			// back or rewritten since: the person's receipt shows it.
			if err := s.door.Audit().CheckConsistent(ctx, out.Receipt.Checkpoint); hearth.KindOf(err) == hearth.KindConflict {
				var herr *hearth.Error
				errors.As(err, &herr)
				out.OK, out.Problem = false, herr.Message
			} else if err != nil {
				return err
			}
		}
		out.Line = out.Receipt.Event.ForPerson(actor.ID)
		a.ResourceID = out.Receipt.Event.ID
		if out.OK {
			a.Detail = "receipt checked: verified"
		} else {
			a.Detail = "receipt checked: failed: " + out.Problem
		}
		return nil
	})
	return out, err
}

// VerifyReceiptJSON reads a receipt and verifies it with the verifier key,
// saying where it failed. The CLI and the page both use it.
func VerifyReceiptJSON(text []byte, verifierKeys ...string) CheckedReceipt {
	var out CheckedReceipt
	if len(text) == 0 {
		out.Problem = "The receipt is empty: paste the receipt or choose the file you downloaded"
		return out
	}
	// Receipt's own decoding refuses fields no receipt has.
	if err := json.Unmarshal(text, &out.Receipt); err != nil {
		out.Problem = fmt.Sprintf("This is not a Hearth receipt: %v", err)
		return out
	}
	if err := audit.VerifyReceiptKeys(out.Receipt, verifierKeys...); err != nil {
		out.Problem = err.Error()
		return out
	}
	out.OK = true
	return out
}
