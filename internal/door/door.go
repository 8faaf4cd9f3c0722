// Package door is the one way to personal data (DESIGN.md invariant 1; the
// contract is in docs/architecture.md, "The door").
//
// A domain service opens a Scope, asks Allow for each thing it is about to
// read or change, and only then reaches the database, through the Scope's
// own Query, QueryRow and Exec: the transaction itself is never handed out,
// and those methods refuse until a decision in the scope has permitted
// something. The door loads the facts (care team, location role,
// break-glass, inspection grants, withheld entries, and whatever the
// registered FactSources add: consent, proxy authority, the person's own
// account), asks access.Decide, and appends one audit event per decision in
// the same transaction, so an audited read is durable before it is answered
// and a write is never acknowledged without its event.
//
// When the work fails (a denial, bad input, a conflict) the transaction
// rolls back and the door appends the attempt's events again in a fresh
// transaction with the failure as their outcome: every attempt is audited,
// and a failed request changes nothing else.
//
// Writes to one person happen in order on both engines: on PostgreSQL a
// decision to change a person's record locks that person's row until the
// scope ends (docs/architecture.md, "Writes to one person happen in order");
// on SQLite every scope that writes runs in the one group-commit writer,
// one after another. Read runs a read in a snapshot and sends only its
// audit events to the writer (docs/architecture.md, "Group commit").
package door

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/idempotency"
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
	ResourceID   string // the entry, when one is named: a withheld entry is refused to the person
	Recipient    string // for sharing: who the data goes to
	Detail       string // a note for the audit log, such as a break-glass reason
	// Correction marks a write that corrects an entry already in the
	// record: still allowed once the person's care has ended.
	Correction bool
}

// FactQuery is what a FactSource is asked about.
type FactQuery struct {
	Actor        Actor
	PersonID     string
	Action       access.Action
	Purpose      access.Purpose
	Recipient    string
	ResourceType string
	ResourceID   string
}

// FactSource adds facts from another part of Hearth (consent, proxy
// authority, the person's own account) before a decision. It reads through
// the scope, which allows reads (never writes) while facts load, so the
// decision and the data agree.
type FactSource interface {
	LoadFacts(sc *Scope, q FactQuery, f *access.Facts) error
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
	tx      *store.Tx
	ctx     context.Context
	door    *Door
	actor   Actor
	now     time.Time
	facts   map[factKey]access.Facts
	events  []*Access
	notes   []audit.Event // events that are not decisions (Note)
	permits int           // decisions in this scope that permitted
	loading int           // > 0 while fact sources load facts: reads only
	// readOnly marks a scope opened by Read: a snapshot that may not
	// write, nor rely on a permit that must be ordered with writes.
	readOnly bool
	claimed  bool // this scope's transaction took the request's idempotency key
}

// factKey is everything loadFacts reads by: the same key, the same facts.
// The action is part of it because fact sources receive it and because a
// write takes the person's lock where a read does not.
type factKey struct {
	actor, person, location, recipient string
	resourceType, resourceID           string
	action                             access.Action
	purpose                            access.Purpose
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
	party      bool   // decided for a Party, not the actor
	eventID    string // the audit event's ID, once appended (kept for a retry of the append)
}

// Action is the decided request's action.
func (a *Access) Action() access.Action { return a.req.Action }

// Run opens a scope for actor, runs fn and commits. On error everything fn
// did is rolled back and the decisions are audited with the failure.
//
// When the commit goes unanswered (the connection broke after COMMIT was
// sent), Run finds out what happened before saying anything: it appends
// the failure's events under the same IDs the work's events had. If those
// IDs are already there, the work committed and Run returns nil, as if the
// answer had come; if the append succeeds, nothing was saved and the
// attempt is audited as failed. Only when the database cannot be asked at
// all does the error keep hearth.ErrOutcomeUnknown (docs/architecture.md,
// "When the database fails").
func (d *Door) Run(ctx context.Context, actor Actor, fn func(s *Scope) error) error {
	var s *Scope
	// Write: on SQLite the scope is one piece of a group commit, in a
	// savepoint of the writer's transaction (store/writer.go).
	err := d.db.Write(ctx, func(tx *store.Tx) error {
		s = &Scope{tx: tx, ctx: ctx, door: d, actor: actor, now: d.clock(), facts: map[factKey]access.Facts{}}
		if err := fn(s); err != nil {
			return err
		}
		return s.appendEvents(ctx, tx, nil)
	})
	claim := idempotency.FromContext(ctx)
	if err == nil {
		if s != nil && s.claimed {
			claim.Ended(true, true)
		}
		return nil
	}
	if s == nil || len(s.events) == 0 {
		if s != nil && s.claimed {
			claim.Ended(false, !errors.Is(err, hearth.ErrOutcomeUnknown))
		}
		return err
	}
	// The work failed and was rolled back, or its commit went unanswered:
	// record the attempt. The request's deadline may be what failed, so
	// the record gets a little time of its own.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), failureAuditTime)
	defer cancel()
	auditErr := d.db.Write(actx, func(tx *store.Tx) error { return s.appendEvents(actx, tx, err) })
	if errors.Is(err, hearth.ErrOutcomeUnknown) {
		committed, known := d.settle(actx, s, auditErr)
		if s.claimed {
			claim.Ended(committed, known)
		}
		switch {
		case committed:
			d.logger.Warn("commit went unanswered but had committed", "request_id", actor.RequestID, "cause", err)
			return nil
		case known:
			return &hearth.Error{Kind: hearth.KindUnavailable, Message: "Hearth could not save this: its database stopped answering. Nothing was saved.",
				Err: fmt.Errorf("%w: the commit did not land: %v", hearth.ErrStoreUnavailable, err)}
		}
		d.logger.Error("commit outcome unknown", "request_id", actor.RequestID, "cause", err, "audit", auditErr)
		return err
	}
	if s.claimed {
		claim.Ended(false, true)
	}
	if auditErr != nil {
		d.logger.Error("audit of failed request", "err", auditErr, "cause", err)
		return errors.Join(err, auditErr)
	}
	return err
}

// Read runs fn as a read: in a snapshot of the database (a read-only
// transaction, so on SQLite it never takes the write lock and reads run side
// by side), then appends the scope's audit events through the writer and
// returns only once they are durable. Nothing is answered before its event
// is durable; the read itself changed nothing, so there is nothing else to
// commit (docs/architecture.md, "Group commit").
//
// Two kinds of scope cannot be read this way, and Read runs them again
// from the start with Run: one that writes (sc.Exec), and one whose permit
// rests on the person's consent or a representative's authority (purposes
// sharing and proxy-access), which must be ordered with the withdrawal of
// that consent exactly as a write is. So fn may run twice: it must set its
// results, not add to what a first run left.
func (d *Door) Read(ctx context.Context, actor Actor, fn func(s *Scope) error) error {
	var s *Scope
	err := d.db.ReadTx(ctx, func(tx *store.Tx) error {
		s = &Scope{tx: tx, ctx: ctx, door: d, actor: actor, now: d.clock(), facts: map[factKey]access.Facts{}, readOnly: true}
		return fn(s)
	})
	if errors.Is(err, errNeedsWriter) {
		return d.Run(ctx, actor, fn)
	}
	if s == nil || len(s.events) == 0 && len(s.notes) == 0 {
		return err
	}
	if auditErr := d.db.Write(ctx, func(tx *store.Tx) error { return s.appendEvents(ctx, tx, err) }); auditErr != nil {
		d.logger.Error("audit of a read", "err", auditErr, "cause", err)
		return errors.Join(err, auditErr)
	}
	return err
}

// errNeedsWriter stops a Read that turns out to need the writer.
var errNeedsWriter = errors.New("door: this read must run as a write")

// failureAuditTime bounds the append that records a failed attempt.
const failureAuditTime = 5 * time.Second

// settle finds out whether a scope whose commit went unanswered committed,
// from how appending its events again under the same IDs went: refused as
// a duplicate (the first commit landed), or accepted (it did not). When
// the append could not run, it looks for the first event by its ID: on
// SQLite, where a commit is finished when the call returns, not finding it
// settles it; on PostgreSQL the commit could still be landing.
func (d *Door) settle(ctx context.Context, s *Scope, auditErr error) (committed, known bool) {
	if auditErr == nil {
		return false, true
	}
	if store.IsUniqueViolation(auditErr) {
		return true, true
	}
	id := s.events[0].eventID
	if id == "" {
		return false, true // the first append never ran: nothing was written
	}
	var n int
	if err := d.db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE id = ?`, id).Scan(&n); err != nil {
		return false, false
	}
	if n > 0 {
		return true, true
	}
	return false, d.db.Dialect() == store.SQLite
}

// Do is Run for a single request: fn runs only when the request is
// permitted.
func (d *Door) Do(ctx context.Context, actor Actor, req Request, fn func(sc *Scope, a *Access) error) error {
	return d.Run(ctx, actor, func(s *Scope) error {
		a, err := s.Allow(req)
		if err != nil {
			return err
		}
		return fn(s, a)
	})
}

// Actor returns who the scope acts for.
func (s *Scope) Actor() Actor { return s.actor }

// Now is the scope's time, the same for every decision in it.
func (s *Scope) Now() time.Time { return s.now }

// Context returns the scope's context.
func (s *Scope) Context() context.Context { return s.ctx }

// Dialect reports the storage engine, for the few statements that differ.
func (s *Scope) Dialect() store.Dialect { return s.tx.Dialect() }

// Allow decides req. A permit returns the Access whose event will be
// appended; a denial is recorded and returned as an error: not found when the
// actor has no relationship with the person (so an existing person and a
// missing one look alike), forbidden otherwise.
func (s *Scope) Allow(req Request) (*Access, error) {
	a, err := s.decide(s.actor, req)
	if err != nil {
		return nil, err
	}
	if !a.Decision.Permit {
		if s.actor.Kind == access.KindSystem && req.Action.PersonScoped() {
			// A partner must not learn from a refusal that someone draws
			// on care here: no agreement, no consent and no such person
			// all read alike. The audit event keeps the real reason.
			return nil, denialError(access.Decision{Reason: access.DenyNotFound})
		}
		return nil, denialError(a.Decision)
	}
	return a, nil
}

// Check decides req like Allow, but a denial is not an error: the page shows
// what it may and says what it may not. Denials are still audited.
func (s *Scope) Check(req Request) (*Access, error) {
	return s.decide(s.actor, req)
}

// AllowEach decides req for each person in personIDs and returns those
// permitted, in order. Each permitted person gets their own audit event (a
// list is a read of everyone on it); people filtered out are not audited,
// because candidate lists hold only people the actor has a relationship
// with: build them with Reach, or use Filter.
func (s *Scope) AllowEach(req Request, personIDs []string) ([]string, error) {
	if s.readOnly && needsOrder(req) {
		return nil, errNeedsWriter
	}
	// Whoever built the list, only people within the actor's reach are
	// decided: the contract holds by construction, not by habit.
	reachable, err := s.reachable(personIDs)
	if err != nil {
		return nil, err
	}
	if err := s.lockPeople(req, reachable); err != nil {
		return nil, err
	}
	var out []string
	for _, id := range personIDs {
		if !reachable[id] {
			continue
		}
		r := req
		r.PersonID = id
		f, err := s.loadFacts(s.actor, r)
		if err != nil {
			return nil, err
		}
		dec := access.Decide(s.actor.Subject, r.Action, access.Resource{PersonID: id, Facts: f, Correction: r.Correction}, r.Purpose)
		if dec.Permit {
			s.permits++
			s.events = append(s.events, &Access{Decision: dec, req: r, PersonID: id, ResourceID: r.ResourceID, Detail: r.Detail})
			out = append(out, id)
			if !r.Action.IsRead() {
				if err := s.claim(); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// Filter keeps the items whose person the actor may act on under req, each
// kept person audited once (AllowEach). items must come from a query limited
// by Reach, so that rows the actor has no relationship with are never read.
func Filter[T any](s *Scope, req Request, items []T, personOf func(T) string) ([]T, error) {
	seen := map[string]bool{}
	var ids []string
	for _, it := range items {
		if id := personOf(it); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	allowed, err := s.AllowEach(req, ids)
	if err != nil {
		return nil, err
	}
	ok := make(map[string]bool, len(allowed))
	for _, id := range allowed {
		ok[id] = true
	}
	out := make([]T, 0, len(allowed))
	for _, it := range items {
		if ok[personOf(it)] {
			out = append(out, it)
		}
	}
	return out, nil
}

// Party is a second member of staff decided within the actor's request: a
// controlled-drug witness, the care worker a visit is assigned to.
type Party struct {
	ID       string
	Name     string
	Role     access.Role
	Decision access.Decision
}

// DecideFor decides req for another account taking part in the actor's
// work, with the same facts and rules as any decision. It is audited in the
// actor's request, naming the party and the decision made for them. An
// account that does not exist, is disabled or is not staff is decided as an
// unknown subject. A denial is not an error: the caller says why in words
// that fit its form.
func (s *Scope) DecideFor(userID string, req Request, as string) (Party, error) {
	if s.readOnly && needsOrder(req) {
		return Party{}, errNeedsWriter
	}
	var p Party
	var kind, role string
	var disabled sql.NullTime
	sub := access.Subject{}
	if hearth.ValidID(userID) {
		err := s.tx.QueryRow(s.ctx, `SELECT kind, role, display_name, disabled_at FROM users WHERE id = ?`, userID).
			Scan(&kind, &role, &p.Name, &disabled)
		if err != nil && !isNoRows(err) {
			return p, fmt.Errorf("door: load %s: %w", as, err)
		}
		if err == nil && !disabled.Valid && access.ParseKind(kind) == access.KindStaff {
			p.ID, p.Role = userID, access.ParseRole(role)
			sub = access.Subject{ID: userID, Kind: access.KindStaff, Role: p.Role}
		}
	}
	party := Actor{Subject: sub, Name: p.Name}
	f := access.Facts{Now: s.now}
	if sub.ID != "" && req.Action.PersonScoped() {
		var err error
		if f, err = s.loadFacts(party, req); err != nil {
			return p, err
		}
	}
	p.Decision = access.Decide(sub, req.Action, access.Resource{PersonID: req.PersonID, Facts: f, Correction: req.Correction}, req.Purpose)
	name := p.Name
	if name == "" {
		name = "an unknown account"
	}
	detail := fmt.Sprintf("decided for %s as %s", name, as)
	if req.Detail != "" {
		detail += ": " + req.Detail
	}
	s.events = append(s.events, &Access{Decision: p.Decision, req: req, PersonID: req.PersonID,
		ResourceID: req.ResourceID, Detail: detail, denied: !p.Decision.Permit, party: true})
	return p, nil
}

func (s *Scope) decide(actor Actor, req Request) (*Access, error) {
	if s.readOnly && needsOrder(req) {
		return nil, errNeedsWriter
	}
	var f access.Facts
	aboutLocation := !req.Action.PersonScoped() && req.LocationID != ""
	if req.Action.PersonScoped() || aboutLocation {
		var err error
		if f, err = s.loadFacts(actor, req); err != nil {
			return nil, err
		}
	}
	personID := req.PersonID
	if personID == "" && req.LocationID != "" && req.Action.PersonScoped() {
		// Registering someone new: decided against the location they join.
		personID = "new"
	}
	res := access.Resource{PersonID: personID, Facts: f, Correction: req.Correction}
	if aboutLocation {
		res.LocationID = req.LocationID
	}
	dec := access.Decide(actor.Subject, req.Action, res, req.Purpose)
	a := &Access{Decision: dec, req: req, PersonID: req.PersonID, ResourceID: req.ResourceID, Detail: req.Detail, denied: !dec.Permit}
	if dec.Permit {
		s.permits++
	}
	s.events = append(s.events, a)
	if dec.Permit && !req.Action.IsRead() {
		if err := s.claim(); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// claim takes the request's idempotency key (if it carries one) in this
// scope's transaction, at the first decision that permits a write: the key
// is then durable exactly when the write is, and a second request with the
// same key cannot write too (package idempotency).
func (s *Scope) claim() error {
	if s.claimed {
		return nil
	}
	taken, err := idempotency.FromContext(s.ctx).Take(s.ctx, s.tx, s.now)
	if err != nil {
		return err
	}
	s.claimed = taken
	return nil
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

// Permitted reports whether this scope holds a permitting decision about
// personID for one of actions (any action when none are named). Helpers that
// read one person's data call Require, which turns a missing decision into
// an error, so a helper cannot be used to read someone nobody decided on.
func (s *Scope) Permitted(personID string, actions ...access.Action) bool {
	for _, a := range s.events {
		if a.denied || a.party || !a.Decision.Permit || a.PersonID != personID {
			continue
		}
		if len(actions) == 0 {
			return true
		}
		for _, want := range actions {
			if a.req.Action == want {
				return true
			}
		}
	}
	return false
}

// Require returns an error unless this scope permitted access to personID
// (for one of actions, when named). It is how helpers that read a person's
// data check that they are being used after a decision about that person.
func (s *Scope) Require(personID string, actions ...access.Action) error {
	if s.loading > 0 || s.Permitted(personID, actions...) {
		return nil
	}
	return fmt.Errorf("%w about person %q", ErrNoDecision, personID)
}

// ErrNoDecision is a programming error: the database was asked for personal
// data before the door permitted anything in this scope.
var ErrNoDecision = errors.New("door: no permitting decision in this scope")

func (s *Scope) readable() error {
	if s.permits > 0 || s.loading > 0 {
		return nil
	}
	return ErrNoDecision
}

func (s *Scope) writable() error {
	if s.readOnly {
		return errNeedsWriter
	}
	if s.loading > 0 {
		return errors.New("door: fact sources read; they never write")
	}
	if s.permits == 0 {
		return ErrNoDecision
	}
	return nil
}

// Query runs a query in the scope's transaction, once a decision in it has
// permitted something (or while fact sources load facts).
func (s *Scope) Query(query string, args ...any) (*sql.Rows, error) {
	if err := s.readable(); err != nil {
		return nil, err
	}
	return s.tx.Query(s.ctx, query, args...)
}

// IDs runs a query of one text column (usually people's IDs, for a list
// the caller then decides with AllowEach) under the same rule as Query,
// and returns the column's values in the query's order.
func (s *Scope) IDs(query string, args ...any) ([]string, error) {
	rows, err := s.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// QueryRow runs a query that returns at most one row, under the same rule
// as Query.
func (s *Scope) QueryRow(query string, args ...any) *Row {
	if err := s.readable(); err != nil {
		return &Row{err: err}
	}
	return &Row{row: s.tx.QueryRow(s.ctx, query, args...)}
}

// Exec runs a statement in the scope's transaction, once a decision in it
// has permitted something.
func (s *Scope) Exec(query string, args ...any) (sql.Result, error) {
	if err := s.writable(); err != nil {
		return nil, err
	}
	return s.tx.Exec(s.ctx, query, args...)
}

// Row is the result of QueryRow.
type Row struct {
	row *store.Row
	err error
}

// Scan copies the row's columns into dest; sql.ErrNoRows when there was none.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
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

// appendEvents appends an event per decision (and, when the work
// succeeded, the scope's notes). Each event keeps the ID it was first
// appended under, so appending the failure again after an unanswered
// commit collides with the events if that commit landed (Run, settle).
func (s *Scope) appendEvents(ctx context.Context, tx *store.Tx, failure error) error {
	for _, a := range s.events {
		ev := s.event(a, failure)
		ev.ID = a.eventID
		out, err := s.door.log.Append(ctx, tx, ev)
		if err != nil {
			return err
		}
		a.eventID = out.ID
	}
	if failure != nil {
		return nil
	}
	for i, ev := range s.notes {
		out, err := s.door.log.Append(ctx, tx, ev)
		if err != nil {
			return err
		}
		s.notes[i].ID = out.ID
	}
	return nil
}

func (s *Scope) event(a *Access, failure error) audit.Event {
	detail := a.Detail
	if a.Decision.Agreement != "" {
		// The basis is the person's consent (or other basis); the
		// agreement the partner's permit also rests on is named here.
		detail = strings.TrimPrefix(detail+"; ", "; ") + "under data-sharing agreement " + a.Decision.Agreement
	}
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
		Detail:       detail,
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

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// Note adds an event that is not a decision (a witness's password
// confirmed) to those the scope appends when it commits, in the same
// transaction as the work it goes with. It is dropped if the work fails.
func (s *Scope) Note(ev audit.Event) { s.notes = append(s.notes, ev) }
