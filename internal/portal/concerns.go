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
)

// Concern is a concern the person or their representative raised from the
// portal: that a technology or a practice harms them or restricts their
// rights. It is kept in the portal's own table, in the person's record,
// until the technology package's concerns can take it.
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
		_, err = sc.Tx.Exec(ctx, `INSERT INTO portal_concerns (id, person_id, about, concern, raised_by, raised_by_name, raised_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.PersonID, c.About, c.Concern, actor.ID, actor.Name, c.RaisedAt)
		return err
	})
	return c, err
}

func concerns(ctx context.Context, sc *door.Scope, personID string) ([]Concern, error) {
	rows, err := sc.Tx.Query(ctx, `SELECT id, person_id, about, concern, raised_by_name, raised_at FROM portal_concerns
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
