package tech

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Concern statuses.
const (
	ConcernOpen          = "open"
	ConcernInvestigating = "investigating"
	ConcernResolved      = "resolved"
)

// ConcernStatusTitle is a status in words.
func ConcernStatusTitle(s string) string {
	switch s {
	case ConcernOpen:
		return "Open"
	case ConcernInvestigating:
		return "Being investigated"
	case ConcernResolved:
		return "Resolved"
	}
	return s
}

// Concern is a concern that a technology is harming someone or restricting
// their rights (Skills for Care, ethical use of technology, criterion 3). It
// goes to the registered manager of the person's location, and is tracked
// to an outcome.
type Concern struct {
	ID             string
	TechnologyID   string
	TechnologyName string
	PersonID       string
	PersonName     string
	LocationID     string
	LocationName   string
	Concern        string
	RaisedName     string
	RaisedKind     string
	Status         string
	Outcome        string
	Version        int
	RaisedAt       time.Time
	UpdatedAt      time.Time
	GoesTo         string // the named senior role, with names
}

// RaiseConcern records a concern about a technology used for a person. Staff,
// the person themselves and their representatives may raise one
// (RaiseConcern); it is decided with the actor's own purpose.
func (s *Service) RaiseConcern(ctx context.Context, actor door.Actor, personID, technologyID, concern string) (Concern, error) {
	var c Concern
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RaiseConcern, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Flag", Detail: "raised a concern about a technology"})
		if err != nil {
			return err
		}
		concern = clean(concern)
		var p hearth.Problems
		text(&p, "Concern", concern, "Describe the concern: how the technology is harming the person or restricting their rights", maxLong)
		t, terr := loadTechnology(sc, technologyID)
		if terr != nil {
			p.Add("Technology", "Choose the technology the concern is about")
		}
		if err := p.Err(); err != nil {
			return err
		}
		person, err := people.Load(sc, personID)
		if err != nil {
			return err
		}
		now := sc.Now()
		c = Concern{ID: hearth.NewID(), TechnologyID: t.ID, TechnologyName: t.Name, PersonID: personID, PersonName: person.FullName(),
			LocationID: person.LocationID, LocationName: person.LocationName, Concern: concern, RaisedName: actor.Name,
			RaisedKind: actor.Kind.String(), Status: ConcernOpen, Version: 1, RaisedAt: now, UpdatedAt: now}
		if c.GoesTo, err = goesTo(sc, person.LocationID, person.LocationName); err != nil {
			return err
		}
		a.ResourceID = c.ID
		a.Detail = fmt.Sprintf("raised a concern about %s; goes to %s", t.Name, c.GoesTo)
		_, err = sc.Exec(`INSERT INTO tech_concerns (id, technology_id, person_id, location_id, concern, raised_by, raised_name,
			raised_kind, status, outcome, version, raised_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', 1, ?, ?, ?)`,
			c.ID, c.TechnologyID, c.PersonID, c.LocationID, c.Concern, actor.ID, c.RaisedName, c.RaisedKind, c.Status, now, now, actor.ID)
		return err
	})
	return c, err
}

// goesTo names the senior role a concern goes to: the registered manager of
// the person's location.
func goesTo(sc *door.Scope, locationID, locationName string) (string, error) {
	rows, err := sc.Query(`SELECT u.display_name FROM staff_locations s JOIN users u ON u.id = s.user_id
		WHERE s.location_id = ? AND u.role = ? AND u.disabled_at IS NULL ORDER BY u.display_name`, locationID, access.RegisteredManager.String())
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	who := "the registered manager of " + locationName
	if len(names) > 0 {
		who += " (" + strings.Join(names, ", ") + ")"
	}
	return who, rows.Err()
}

const concernColumns = `c.id, c.technology_id, t.name, c.person_id, p.given_name || ' ' || p.family_name, c.location_id, l.name,
	c.concern, c.raised_name, c.raised_kind, c.status, c.outcome, c.version, c.raised_at, c.updated_at`

const concernFrom = ` FROM tech_concerns c JOIN tech_technologies t ON t.id = c.technology_id JOIN people p ON p.id = c.person_id
	JOIN locations l ON l.id = c.location_id `

func scanConcern(row interface{ Scan(...any) error }) (Concern, error) {
	var c Concern
	err := row.Scan(&c.ID, &c.TechnologyID, &c.TechnologyName, &c.PersonID, &c.PersonName, &c.LocationID, &c.LocationName,
		&c.Concern, &c.RaisedName, &c.RaisedKind, &c.Status, &c.Outcome, &c.Version, &c.RaisedAt, &c.UpdatedAt)
	return c, err
}

func queryConcerns(sc *door.Scope, where string, args ...any) ([]Concern, error) {
	rows, err := sc.Query(`SELECT `+concernColumns+concernFrom+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Concern
	for rows.Next() {
		c, err := scanConcern(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Concerns lists the concerns that go to actor: those at the locations where
// they hold a location-wide role, open ones first. The list is a query,
// audited as such; each person on it is decided alone (ManageConcerns) and
// audited.
func (s *Service) Concerns(ctx context.Context, actor door.Actor) ([]Concern, error) {
	var out []Concern
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Flag", Detail: "technology concerns list"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("c.person_id", "p.location_id")
		all, err := queryConcerns(sc, `WHERE c.location_id IN (SELECT location_id FROM staff_locations WHERE user_id = ?) AND `+reach+`
			ORDER BY CASE c.status WHEN 'resolved' THEN 1 ELSE 0 END, c.raised_at`, append([]any{actor.ID}, args...)...)
		if err != nil {
			return err
		}
		out, err = door.Filter(sc, door.Request{Action: access.ManageConcerns, Purpose: people.Purpose(actor), ResourceType: "Flag",
			Detail: "technology concerns list"}, all, func(c Concern) string { return c.PersonID })
		if err != nil {
			return err
		}
		q.Detail = fmt.Sprintf("technology concerns list: %d concerns", len(out))
		return nil
	})
	return out, err
}

// UpdateConcern moves a concern on: investigating, or resolved with the
// outcome in words. version is the one the manager started from.
func (s *Service) UpdateConcern(ctx context.Context, actor door.Actor, personID, concernID, status, outcome string, version int) (Concern, error) {
	var c Concern
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManageConcerns, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Flag", ResourceID: concernID, Detail: "updated a technology concern"})
		if err != nil {
			return err
		}
		if !hearth.ValidID(concernID) {
			return hearth.NotFound("That concern")
		}
		c, err = scanConcern(sc.QueryRow(`SELECT `+concernColumns+concernFrom+`WHERE c.id = ? AND c.person_id = ?`, concernID, personID))
		if errors.Is(err, sql.ErrNoRows) {
			return hearth.NotFound("That concern")
		} else if err != nil {
			return err
		}
		outcome = clean(outcome)
		var p hearth.Problems
		p.Check(status == ConcernInvestigating || status == ConcernResolved || status == ConcernOpen, "Status", "Choose open, being investigated, or resolved")
		if status == ConcernResolved {
			text(&p, "Outcome", outcome, "Say what was found and what was done: a resolved concern needs its outcome", maxLong)
		} else {
			optional(&p, "Outcome", outcome, maxLong)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if c.Version != version {
			return hearth.Errorf(hearth.KindConflict, "Someone else updated this concern while you were working on it. Your text is below: check the latest and save again.")
		}
		now := sc.Now()
		res, err := sc.Exec(`UPDATE tech_concerns SET status = ?, outcome = ?, version = version + 1, updated_at = ?, updated_by = ?
			WHERE id = ? AND version = ?`, status, outcome, now, actor.ID, concernID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hearth.Errorf(hearth.KindConflict, "Someone else updated this concern while you were working on it. Your text is below: check the latest and save again.")
		}
		c.Status, c.Outcome, c.Version, c.UpdatedAt = status, outcome, c.Version+1, now
		a.Detail = fmt.Sprintf("technology concern about %s: %s", c.TechnologyName, ConcernStatusTitle(status))
		return nil
	})
	return c, err
}

// Feedback is staff feedback about a technology, not about a person.
type Feedback struct {
	ID             string
	TechnologyID   string
	TechnologyName string
	Feedback       string
	AuthorName     string // empty when anonymous
	ReceivedOn     time.Time
}

// GiveFeedback records a staff member's feedback about a technology. It is
// decided as a provider-level request (GiveFeedback: every staff role; a
// write, so an inspector's read-only access is refused by the decision), so
// the audit log records who sent feedback, as it records every request; but
// when anonymous is set the feedback row stores no
// author, its ID is random rather than time-ordered, only the day is kept,
// and the audit event names neither the feedback nor the technology, so
// the two cannot be joined.
func (s *Service) GiveFeedback(ctx context.Context, actor door.Actor, technologyID, feedback string, anonymous bool) (Feedback, error) {
	var f Feedback
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.GiveFeedback, Purpose: access.Governance, ResourceType: "Basic",
			Detail: "technology feedback received"})
		if err != nil {
			return err
		}
		feedback = clean(feedback)
		var p hearth.Problems
		text(&p, "Feedback", feedback, "Write your feedback about the technology", maxLong)
		t, terr := loadTechnology(sc, technologyID)
		if terr != nil {
			p.Add("Technology", "Choose the technology your feedback is about")
		}
		if err := p.Err(); err != nil {
			return err
		}
		f = Feedback{ID: randomID(), TechnologyID: t.ID, TechnologyName: t.Name, Feedback: feedback, ReceivedOn: day(sc.Now())}
		var author any
		if anonymous {
			a.Detail = "anonymous technology feedback received"
		} else {
			f.AuthorName, author = actor.Name, actor.ID
			a.ResourceID, a.Detail = f.ID, "technology feedback received about "+t.Name
		}
		_, err = sc.Exec(`INSERT INTO tech_feedback (id, technology_id, feedback, author_id, author_name, received_on)
			VALUES (?, ?, ?, ?, ?, ?)`, f.ID, f.TechnologyID, f.Feedback, author, f.AuthorName, f.ReceivedOn)
		return err
	})
	return f, err
}

// FeedbackFor lists the feedback about a technology, for those who may read
// the register.
func (s *Service) FeedbackFor(ctx context.Context, actor door.Actor, technologyID string) ([]Feedback, error) {
	var out []Feedback
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if err := allowRegisterRead(sc, technologyID); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT f.id, f.technology_id, t.name, f.feedback, f.author_name, f.received_on
			FROM tech_feedback f JOIN tech_technologies t ON t.id = f.technology_id WHERE f.technology_id = ?
			ORDER BY f.received_on DESC, f.feedback`, technologyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f Feedback
			if err := rows.Scan(&f.ID, &f.TechnologyID, &f.TechnologyName, &f.Feedback, &f.AuthorName, &f.ReceivedOn); err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	return out, err
}

// StatusText is the concern's status in words.
func (c Concern) StatusText() string { return ConcernStatusTitle(c.Status) }
