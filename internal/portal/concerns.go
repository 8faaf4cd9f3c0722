package portal

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// Concern is a concern the person or their representative raised from the
// portal: that a technology or a practice harms them or restricts their
// rights, when it is not about one of their technologies (those go to the
// technology package's concerns: RaiseTechnologyConcern). It is kept in the
// portal's own table, in the person's record.
type Concern struct {
	ID           string
	PersonID     string
	About        string
	Concern      string
	RaisedByName string
	RaisedAt     time.Time
}

// RaiseConcern records a concern (RaiseConcern).
func (s *Service) RaiseConcern(ctx context.Context, actor door.Actor, personID, about, text string) (Concern, error) {
	var c Concern
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RaiseConcern, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Flag", Detail: "raised a concern"})
		if err != nil {
			return err
		}
		about, text = strings.TrimSpace(about), strings.TrimSpace(text)
		var p hearth.Problems
		p.Check(text != "", "Concern", "Say what worries you")
		p.Check(utf8.RuneCountInString(text) <= maxText, "Concern", fmt.Sprintf("Your concern must be %d characters or fewer", maxText))
		p.Check(utf8.RuneCountInString(about) <= 200, "About", "What it is about must be 200 characters or fewer")
		if err := p.Err(); err != nil {
			return err
		}
		c = Concern{ID: hearth.NewID(), PersonID: personID, About: about, Concern: text, RaisedByName: actor.Name, RaisedAt: sc.Now()}
		a.ResourceID = c.ID
		_, err = sc.Exec(`INSERT INTO portal_concerns (id, person_id, about, concern, raised_by, raised_by_name, raised_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.PersonID, c.About, c.Concern, actor.ID, actor.Name, c.RaisedAt)
		return err
	})
	return c, err
}

func concerns(ctx context.Context, sc *door.Scope, personID string) ([]Concern, error) {
	rows, err := sc.Query(`SELECT id, person_id, about, concern, raised_by_name, raised_at FROM portal_concerns
		WHERE person_id = ? ORDER BY raised_at DESC, id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Concern
	for rows.Next() {
		var c Concern
		if err := rows.Scan(&c.ID, &c.PersonID, &c.About, &c.Concern, &c.RaisedByName, &c.RaisedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Concerns is what the person sees about concerns: the technologies used in
// their care (from the technology package, decided as ReadTechUse), the
// concerns about them with where each went and its outcome, and concerns
// raised here that were not about a technology (kept in the portal's own
// table, older ones included).
type Concerns struct {
	Technologies []tech.Use // one per technology, newest use first
	TechPart     Part
	TechConcerns []tech.Concern
	General      []Concern
}

// Concerns reads the person's concerns and the technologies a concern may
// be about.
func (s *Service) Concerns(ctx context.Context, actor door.Actor, personID string) (Concerns, error) {
	var v Concerns
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Flag", Detail: "portal: concerns"}); err != nil {
			return err
		}
		var err error
		v.General, err = concerns(ctx, sc, personID)
		return err
	})
	if err != nil || s.tech == nil {
		return v, err
	}
	tp, err := s.tech.PersonTechnology(ctx, actor, personID)
	switch {
	case err == nil:
		v.TechPart = Part{Shown: true}
	case door.IsDenial(err) && hearth.KindOf(err) == hearth.KindForbidden:
		v.TechPart = Part{Denied: err.(*hearth.Error).Message}
		return v, nil
	default:
		return v, err
	}
	seen := map[string]bool{}
	for _, u := range tp.Uses {
		if !seen[u.TechnologyID] {
			seen[u.TechnologyID] = true
			v.Technologies = append(v.Technologies, u)
		}
	}
	v.TechConcerns = tp.Concerns
	return v, nil
}

// RaiseTechnologyConcern sends a concern about one of the person's own
// technologies down the technology package's concern path (tech.RaiseConcern:
// to the registered manager of their location, tracked to an outcome, on the
// manager's concerns list). The technology must be one used in the person's
// care, as the technology package lists it for this account (a read decided
// and audited before anything typed is checked).
func (s *Service) RaiseTechnologyConcern(ctx context.Context, actor door.Actor, personID, technologyID, text string) (tech.Concern, error) {
	if s.tech == nil {
		return tech.Concern{}, hearth.Errorf(hearth.KindUnavailable, "Concerns about technology cannot be raised here yet")
	}
	tp, err := s.tech.PersonTechnology(ctx, actor, personID)
	if err != nil {
		return tech.Concern{}, err
	}
	for _, u := range tp.Uses {
		if u.TechnologyID == technologyID {
			return s.tech.RaiseConcern(ctx, actor, personID, technologyID, text)
		}
	}
	var p hearth.Problems
	p.Add("Technology", "Choose which of your technologies the concern is about, or 'Something else'")
	if strings.TrimSpace(text) == "" {
		p.Add("Concern", "Say what worries you")
	}
	return tech.Concern{}, p.Err()
}
