// Package door is the one way to personal data (DESIGN.md invariant 1). A
// domain service opens a Scope, asks Allow for each thing it is about to
// read or change, and does its SQL in the Scope's transaction. The door
// loads the facts (care team, location role, break-glass, and whatever the
// registered FactSources add: consent, proxy authority, inspection grants),
// asks access.Decide, and appends one audit event per decision in the same
// transaction, so an audited read is durable before it is answered and a
// write is never acknowledged without its event.
//
// When the work fails (a denial, bad input, a conflict) the transaction
// rolls back and the door appends the attempt's events again in a fresh
// transaction with the failure as their outcome: every attempt is audited,
// and a failed request changes nothing else.
package door

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// Actor is who is acting, with the request they act through.
type Actor struct {
	access.Subject
	Name       string
	ClientAddr string
	RequestID  string
}

// RoleName is the actor's role as audited: the staff role, or the kind of
// account for people, representatives and inspectors.
func (a Actor) RoleName() string {
	if a.Kind == access.KindStaff {
		return a.Role.String()
	}
	return a.Kind.String()
}

// Request is one thing an actor wants to do.
type Request struct {
	Action       access.Action
	Purpose      access.Purpose
	PersonID     string // the person concerned; empty for provider-level actions
	LocationID   string // for registering a new person: the location they join
	ResourceType string // what is touched, in FHIR terms ("Patient", "AuditEvent", ...)
	ResourceID   string
	Recipient    string // for sharing: who the data goes to
	Detail       string // a note for the audit log, such as a break-glass reason
}

// FactQuery is what a FactSource is asked about.
type FactQuery struct {
	Actor     Actor
	PersonID  string
	Action    access.Action
	Purpose   access.Purpose
	Recipient string
}

// FactSource adds facts from another part of Hearth (consent, proxy
// authority, inspection grants) before a decision. It reads in the door's
// transaction, so the decision and the data agree.
type FactSource interface {
	LoadFacts(ctx context.Context, tx *store.Tx, q FactQuery, f *access.Facts) error
}

// Door decides and audits every access to personal data.
type Door struct {
	db      *store.DB
	log     *audit.Log
	clock   hearth.Clock
	logger  *slog.Logger
	sources []FactSource
}

// New returns the door over db, auditing to log.
func New(db *store.DB, log *audit.Log, clock hearth.Clock, logger *slog.Logger, sources ...FactSource) *Door {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Door{db: db, log: log, clock: clock, logger: logger, sources: sources}
}

// AddSource registers another FactSource (used while wiring the app).
func (d *Door) AddSource(s FactSource) { d.sources = append(d.sources, s) }

// Clock returns the door's clock.
func (d *Door) Clock() hearth.Clock { return d.clock }

// Audit returns the audit log.
func (d *Door) Audit() *audit.Log { return d.log }

// Scope is one transaction's worth of decided access.
type Scope struct {
	Tx     *store.Tx
	ctx    context.Context
	door   *Door
	actor  Actor
	now    time.Time
	facts  map[factKey]access.Facts
	events []*Access
}

type factKey struct {
	person, location, recipient string
	purpose                     access.Purpose
}

// Access is one decided request, whose audit event is appended when the
// scope ends. Services set ResourceID once they know it (a new note's ID).
type Access struct {
	Decision   access.Decision
	PersonID   string // set by the service when it registers a new person
	ResourceID string
	Detail     string
	req        Request
	denied     bool
}

// Run opens a scope for actor, runs fn and commits. On error everything fn
// did is rolled back and the decisions are audited with the failure.
func (d *Door) Run(ctx context.Context, actor Actor, fn func(s *Scope) error) error {
	var s *Scope
	err := d.db.Tx(ctx, func(tx *store.Tx) error {
		s = &Scope{Tx: tx, ctx: ctx, door: d, actor: actor, now: d.clock(), facts: map[factKey]access.Facts{}}
		if err := fn(s); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, nil)
	})
	if err == nil || s == nil || len(s.events) == 0 {
		return err
	}
	// The work failed and was rolled back; record the attempt.
	if auditErr := d.db.Tx(ctx, func(tx *store.Tx) error { return s.appendEvents(ctx, tx, err) }); auditErr != nil {
		d.logger.Error("audit of failed request", "err", auditErr, "cause", err)
		return errors.Join(err, auditErr)
	}
	return err
}

// Do is Run for a single request: fn runs only when the request is
// permitted.
func (d *Door) Do(ctx context.Context, actor Actor, req Request, fn func(tx *store.Tx, a *Access) error) error {
	return d.Run(ctx, actor, func(s *Scope) error {
		a, err := s.Allow(req)
		if err != nil {
			return err
		}
		return fn(s.Tx, a)
	})
}

// Actor returns who the scope acts for.
func (s *Scope) Actor() Actor { return s.actor }

// Now is the scope's time, the same for every decision in it.
func (s *Scope) Now() time.Time { return s.now }

// Context returns the scope's context.
func (s *Scope) Context() context.Context { return s.ctx }

// Allow decides req. A permit returns the Access whose event will be
// appended; a denial is recorded and returned as an error: not found when the
// actor has no relationship with the person (so an existing person and a
// missing one look alike), forbidden otherwise.
func (s *Scope) Allow(req Request) (*Access, error) {
	a, err := s.decide(req)
	if err != nil {
		return nil, err
	}
	if !a.Decision.Permit {
		return nil, denialError(a.Decision)
	}
	return a, nil
}

// Check decides req like Allow, but a denial is not an error: the page shows
// what it may and says what it may not. Denials are still audited.
func (s *Scope) Check(req Request) (*Access, error) {
	return s.decide(req)
}

// AllowEach decides req for each person in personIDs and returns those
// permitted, in order. Each permitted person gets their own audit event (a
// list is a read of everyone on it); people filtered out are not audited,
// because candidate lists only hold people the actor has some relationship
// with.
func (s *Scope) AllowEach(req Request, personIDs []string) ([]string, error) {
	var out []string
	for _, id := range personIDs {
		r := req
		r.PersonID = id
		f, err := s.loadFacts(r)
		if err != nil {
			return nil, err
		}
		dec := access.Decide(s.actor.Subject, r.Action, access.Resource{PersonID: id, Facts: f}, r.Purpose)
		if dec.Permit {
			s.events = append(s.events, &Access{Decision: dec, req: r, PersonID: id, ResourceID: r.ResourceID, Detail: r.Detail})
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *Scope) decide(req Request) (*Access, error) {
	var f access.Facts
	if req.Action.PersonScoped() {
		var err error
		if f, err = s.loadFacts(req); err != nil {
			return nil, err
		}
	}
	personID := req.PersonID
	if personID == "" && req.LocationID != "" && req.Action.PersonScoped() {
		// Registering someone new: decided against the location they join.
		personID = "new"
	}
	dec := access.Decide(s.actor.Subject, req.Action, access.Resource{PersonID: personID, Facts: f}, req.Purpose)
	a := &Access{Decision: dec, req: req, PersonID: req.PersonID, ResourceID: req.ResourceID, Detail: req.Detail, denied: !dec.Permit}
	s.events = append(s.events, a)
	return a, nil
}

// denialError is what the caller sees. No relationship, an unknown person
// and a malformed ID all read the same, so a denial reveals nothing.
func denialError(d access.Decision) error {
	switch d.Reason {
	case access.DenyNotFound, access.DenyNoRelationship, access.DenyWrongPurpose, access.DenyUnknownSubject:
		return &hearth.Error{Kind: hearth.KindNotFound, Message: "That record was not found", Err: errDenied}
	}
	return &hearth.Error{Kind: hearth.KindForbidden, Message: d.Sentence(), Err: errDenied}
}

var errDenied = errors.New("denied by access.Decide")

// IsDenial reports whether err came from an access denial.
func IsDenial(err error) bool { return errors.Is(err, errDenied) }

func (s *Scope) loadFacts(req Request) (access.Facts, error) {
	key := factKey{person: req.PersonID, location: req.LocationID, purpose: req.Purpose, recipient: req.Recipient}
	if f, ok := s.facts[key]; ok {
		return f, nil
	}
	f := access.Facts{Now: s.now}
	ctx, tx, actor := s.ctx, s.Tx, s.actor
	location := req.LocationID
	if req.PersonID != "" {
		if !hearth.ValidID(req.PersonID) {
			s.facts[key] = f
			return f, nil
		}
		err := tx.QueryRow(ctx, `SELECT location_id FROM people WHERE id = ?`, req.PersonID).Scan(&location)
		if err != nil && !isNoRows(err) {
			return f, fmt.Errorf("door: load person: %w", err)
		}
		f.Exists = err == nil
	} else if location != "" {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM locations WHERE id = ?`, location).Scan(&n); err != nil {
			return f, fmt.Errorf("door: load location: %w", err)
		}
		f.Exists = n > 0
	}
	if !f.Exists || actor.ID == "" {
		s.facts[key] = f
		return f, nil
	}
	if actor.Kind == access.KindStaff {
		if req.PersonID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM care_team WHERE person_id = ? AND user_id = ?
				AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)`, req.PersonID, actor.ID, s.now, s.now).Scan(&n); err != nil {
				return f, fmt.Errorf("door: load care team: %w", err)
			}
			f.CareTeam = n > 0
			var g access.Grant
			err := tx.QueryRow(ctx, `SELECT id, expires_at FROM break_glass WHERE user_id = ? AND person_id = ?
				ORDER BY expires_at DESC LIMIT 1`, actor.ID, req.PersonID).Scan(&g.ID, &g.Until)
			if err != nil && !isNoRows(err) {
				return f, fmt.Errorf("door: load break-glass: %w", err)
			}
			f.BreakGlass = g
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM staff_locations WHERE user_id = ? AND location_id = ?`, actor.ID, location).Scan(&n); err != nil {
			return f, fmt.Errorf("door: load location role: %w", err)
		}
		f.AtLocation = n > 0
	}
	q := FactQuery{Actor: actor, PersonID: req.PersonID, Action: req.Action, Purpose: req.Purpose, Recipient: req.Recipient}
	for _, src := range s.door.sources {
		if err := src.LoadFacts(ctx, tx, q, &f); err != nil {
			return f, err
		}
	}
	s.facts[key] = f
	return f, nil
}

// Pending returns the events this scope will append when it commits, newest
// first, so a page showing a person's access history can include the visit
// that is showing it.
func (s *Scope) Pending() []audit.Event {
	out := make([]audit.Event, 0, len(s.events))
	for i := len(s.events) - 1; i >= 0; i-- {
		out = append(out, s.event(s.events[i], nil))
	}
	return out
}

func (s *Scope) appendEvents(ctx context.Context, tx *store.Tx, failure error) error {
	for _, a := range s.events {
		if _, err := s.door.log.Append(ctx, tx, s.event(a, failure)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scope) event(a *Access, failure error) audit.Event {
	return audit.Event{
		At:           s.now,
		ActorID:      s.actor.ID,
		ActorName:    s.actor.Name,
		ActorRole:    s.actor.RoleName(),
		ActorKind:    s.actor.Kind.String(),
		Action:       a.req.Action.String(),
		ResourceType: a.req.ResourceType,
		ResourceID:   a.ResourceID,
		PersonID:     a.PersonID,
		Purpose:      a.req.Purpose.String(),
		Decision:     a.Decision.Outcome(),
		Reason:       a.Decision.Reason.String(),
		ReasonText:   a.Decision.Sentence(),
		BasisID:      a.Decision.Basis,
		BreakGlass:   a.Decision.BreakGlass,
		SpecialBasis: a.Decision.SpecialBasis,
		Outcome:      outcome(a, failure),
		Detail:       a.Detail,
		ClientAddr:   s.actor.ClientAddr,
		RequestID:    s.actor.RequestID,
	}
}

func outcome(a *Access, failure error) string {
	switch {
	case a.denied:
		return audit.OutcomeDenied
	case failure == nil:
		return audit.OutcomeSuccess
	}
	switch hearth.KindOf(failure) {
	case hearth.KindInvalid, hearth.KindConflict:
		return audit.OutcomeInvalid
	case hearth.KindNotFound, hearth.KindForbidden:
		if IsDenial(failure) {
			// Another decision in this scope was denied; this one was
			// permitted but its work was not done.
			return audit.OutcomeFailed
		}
		return audit.OutcomeNotFound
	}
	return audit.OutcomeFailed
}
