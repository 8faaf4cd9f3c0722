package portal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Outcomes of a correction request.
const (
	CorrectionOpen       = "open"
	CorrectionCorrected  = "corrected"
	CorrectionNotChanged = "not-changed"
)

// Correction is a request to correct an entry, and what was decided. The
// entry itself is never changed by it: a correction made is a new entry in
// the record that owns it, and the original stays readable.
type Correction struct {
	ID              string
	PersonID        string
	PersonName      string
	ResourceType    string
	ResourceID      string
	Entry           string // which entry, in words
	Request         string
	RequestedByName string
	RequestedAt     time.Time
	Status          string
	Outcome         string
	DecidedByName   string
	DecidedAt       time.Time
}

// StatusTitle is the status in words.
func (c Correction) StatusTitle() string {
	switch c.Status {
	case CorrectionCorrected:
		return "Corrected"
	case CorrectionNotChanged:
		return "Not changed"
	}
	return "Waiting for the care team"
}

// NewCorrection is what asking for a correction needs.
type NewCorrection struct {
	ResourceType string
	ResourceID   string
	Entry        string
	Request      string
}

const maxText = 4000

// RequestCorrection records the person's (or representative's) request to
// correct an entry, for the staff queue.
func (s *Service) RequestCorrection(ctx context.Context, actor door.Actor, personID string, n NewCorrection) (Correction, error) {
	var c Correction
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.Contribute, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Task", Detail: "asked for a correction", Correction: true})
		if err != nil {
			return err
		}
		n.Request, n.Entry = strings.TrimSpace(n.Request), strings.TrimSpace(n.Entry)
		var p hearth.Problems
		p.Check(n.Request != "", "Request", "Say what is wrong and what it should say")
		p.Check(utf8.RuneCountInString(n.Request) <= maxText, "Request", fmt.Sprintf("Your request must be %d characters or fewer", maxText))
		p.Check(utf8.RuneCountInString(n.Entry) <= 300, "Entry", "The entry's description must be 300 characters or fewer")
		if n.ResourceID != "" && !hearth.ValidID(n.ResourceID) {
			p.Add("Entry", "Choose an entry from your record")
		}
		if err := p.Err(); err != nil {
			return err
		}
		// The entry must be this person's: another person's entry looks
		// exactly like one that does not exist.
		if n.ResourceID != "" {
			if err := sc.Owns(personID, strings.TrimSpace(n.ResourceType), n.ResourceID); err != nil {
				return err
			}
		}
		c = Correction{ID: hearth.NewID(), PersonID: personID, ResourceType: strings.TrimSpace(n.ResourceType), ResourceID: n.ResourceID,
			Entry: n.Entry, Request: n.Request, RequestedByName: actor.Name, RequestedAt: sc.Now(), Status: CorrectionOpen}
		a.ResourceID = c.ID
		_, err = sc.Exec(`INSERT INTO correction_requests (id, person_id, resource_type, resource_id, entry, request,
			requested_by, requested_by_name, requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.PersonID, c.ResourceType, c.ResourceID, c.Entry, c.Request, actor.ID, actor.Name, c.RequestedAt, c.Status)
		return err
	})
	return c, err
}

const correctionColumns = `c.id, c.person_id, p.given_name || ' ' || p.family_name, c.resource_type, c.resource_id, c.entry, c.request,
	c.requested_by_name, c.requested_at, c.status, c.outcome, c.decided_by_name, c.decided_at`

func scanCorrection(row interface{ Scan(...any) error }) (Correction, error) {
	var c Correction
	var decided sql.NullTime
	err := row.Scan(&c.ID, &c.PersonID, &c.PersonName, &c.ResourceType, &c.ResourceID, &c.Entry, &c.Request,
		&c.RequestedByName, &c.RequestedAt, &c.Status, &c.Outcome, &c.DecidedByName, &decided)
	if decided.Valid {
		c.DecidedAt = decided.Time
	}
	return c, err
}

func corrections(sc *door.Scope, where string, args ...any) ([]Correction, error) {
	return correctionsOrdered(sc, where, ` ORDER BY c.requested_at DESC, c.id DESC`, args...)
}

func correctionsOrdered(sc *door.Scope, where, order string, args ...any) ([]Correction, error) {
	rows, err := sc.Query(`SELECT `+correctionColumns+` FROM correction_requests c JOIN people p ON p.id = c.person_id
		WHERE `+where+order, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Correction
	for rows.Next() {
		c, err := scanCorrection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Corrections lists a person's correction requests and their outcomes.
func (s *Service) Corrections(ctx context.Context, actor door.Actor, personID string) ([]Correction, error) {
	var out []Correction
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Task", Detail: "correction requests"}); err != nil {
			return err
		}
		var err error
		out, err = corrections(sc, `c.person_id = ?`, personID)
		return err
	})
	return out, err
}

// CorrectionQueue lists open correction requests the staff member may
// decide, oldest first. The query is audited, then each person on it.
func (s *Service) CorrectionQueue(ctx context.Context, actor door.Actor) ([]Correction, error) {
	q, err := s.CorrectionQueuePage(ctx, actor, 0, 0)
	return q.Corrections, err
}

// CorrectionPage is a page of the correction queue.
type CorrectionPage struct {
	Corrections []Correction
	Total       int // every open request the actor may decide
	Offset      int
	Limit       int // zero: all of them
}

// CorrectionQueuePage is a page of CorrectionQueue, oldest first (a stable
// order), with how many are open in all.
func (s *Service) CorrectionQueuePage(ctx context.Context, actor door.Actor, offset, limit int) (CorrectionPage, error) {
	pg := CorrectionPage{Offset: max(offset, 0), Limit: max(limit, 0)}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Task", Detail: "correction queue"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("c.person_id", "p.location_id")
		where := `c.status = ? AND ` + reach
		args = append([]any{CorrectionOpen}, args...)
		if err := sc.QueryRow(`SELECT COUNT(*) FROM correction_requests c JOIN people p ON p.id = c.person_id WHERE `+where, args...).Scan(&pg.Total); err != nil {
			return err
		}
		page := ""
		if pg.Limit > 0 {
			page = fmt.Sprintf(" LIMIT %d OFFSET %d", pg.Limit, pg.Offset)
		}
		all, err := correctionsOrdered(sc, where, ` ORDER BY c.requested_at, c.id`+page, args...)
		if err != nil {
			return err
		}
		pg.Corrections, err = door.Filter(sc, door.Request{Action: access.ManageCorrections, Purpose: people.Purpose(actor),
			ResourceType: "Task", Detail: "correction queue"}, all, func(c Correction) string { return c.PersonID })
		if err != nil {
			return err
		}
		q.Detail = fmt.Sprintf("correction queue: %d open", pg.Total)
		return nil
	})
	return pg, err
}

// DecideCorrection records the outcome of a request: corrected (saying what
// was done) or not changed (saying why). It is decided once.
func (s *Service) DecideCorrection(ctx context.Context, actor door.Actor, correctionID, outcome, text string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		personID, err := sc.OwnerOf("Task", correctionID)
		if err != nil {
			return err
		}
		a, err := sc.Allow(door.Request{Action: access.ManageCorrections, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Task", ResourceID: correctionID})
		if err != nil {
			return err
		}
		var status string
		if err := sc.QueryRow(`SELECT status FROM correction_requests WHERE id = ?`, correctionID).Scan(&status); err != nil {
			return err
		}
		text = strings.TrimSpace(text)
		var p hearth.Problems
		switch outcome {
		case CorrectionCorrected:
			p.Check(text != "", "Outcome", "Say what was corrected")
		case CorrectionNotChanged:
			p.Check(text != "", "Outcome", "Say why the entry was not changed")
		default:
			p.Add("Decision", "Choose corrected or not changed")
		}
		p.Check(utf8.RuneCountInString(text) <= maxText, "Outcome", fmt.Sprintf("The outcome must be %d characters or fewer", maxText))
		if err := p.Err(); err != nil {
			return err
		}
		if status != CorrectionOpen {
			return hearth.Errorf(hearth.KindConflict, "This request has already been decided")
		}
		a.Detail = "correction request " + outcome
		res, err := sc.Exec(`UPDATE correction_requests SET status = ?, outcome = ?, decided_by = ?, decided_by_name = ?, decided_at = ?
			WHERE id = ? AND status = ?`, outcome, text, actor.ID, actor.Name, sc.Now(), correctionID, CorrectionOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hearth.Errorf(hearth.KindConflict, "This request has already been decided")
		}
		return nil
	})
}
