package tech

import (
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/door"
)

// AttentionSources are technology's figures on Needs attention.
func (s *Service) AttentionSources() []attention.Source {
	return []attention.Source{
		{Key: "technology-reviews", Title: "Technology reviews overdue", Group: "Technology", Action: access.ReadTechUse, Find: s.techReviewsOverdue},
		{Key: "technology-lapsed", Title: "Technology uses whose lawful basis or register entry has lapsed", Group: "Technology", Action: access.ReadTechUse, Find: s.techLapsed},
		{Key: "technology-blanket", Title: "Technology uses with a reason nearly the same as others at the location", Group: "Technology", Action: access.ReadTechUse, Find: s.techBlanket},
		{Key: "technology-concerns", Title: "Open concerns about technology", Group: "People's voice", Action: access.ReadTechUse, Find: techConcernsOpen},
	}
}

// settledUses reads the people's uses not ended at a review by q.At, each
// settled now: what the person page shows.
func (s *Service) settledUses(sc *door.Scope, q attention.Query) ([]Use, error) {
	var out []Use
	for _, id := range q.People {
		uses, err := usesOf(sc, id, door.Excluded{})
		if err != nil {
			return nil, err
		}
		for i := range uses {
			if uses[i].CreatedAt.After(q.At) {
				continue
			}
			if err := s.settle(sc.Context(), sc, &uses[i]); err != nil {
				return nil, err
			}
			out = append(out, uses[i])
		}
	}
	return out, nil
}

func (s *Service) techReviewsOverdue(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	uses, err := s.settledUses(sc, q)
	if err != nil {
		return nil, err
	}
	var out []attention.Item
	for _, u := range uses {
		if u.State == UseActive && day(u.NextReview).Before(day(q.At)) {
			out = append(out, attention.Item{PersonID: u.PersonID, Section: "/technology/uses/" + u.ID,
				Detail: fmt.Sprintf("%s: review was due on %s", u.TechnologyName, UKDay(u.NextReview))})
		}
	}
	return out, nil
}

func (s *Service) techLapsed(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	uses, err := s.settledUses(sc, q)
	if err != nil {
		return nil, err
	}
	var out []attention.Item
	for _, u := range uses {
		if u.State == UseStopped || (u.State == UseActive && (len(u.Lapses) > 0 || u.NoOneTrained)) {
			text := u.AttentionText()
			if u.State == UseActive && u.ReviewOverdue && len(u.Lapses) == 0 && !u.NoOneTrained {
				continue
			}
			out = append(out, attention.Item{PersonID: u.PersonID, Section: "/technology/uses/" + u.ID, Detail: u.TechnologyName + ": " + text})
		}
	}
	return out, nil
}

// techBlanket finds the people's live uses whose reason is near-identical
// to another person's use of the same technology at the same location.
func (s *Service) techBlanket(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	uses, err := liveUses(sc, ` AND u.created_at <= ?`, q.At)
	if err != nil {
		return nil, err
	}
	near := nearGroups(uses, s.SimilarReasons)
	want := map[string]bool{}
	for _, id := range q.People {
		want[id] = true
	}
	var out []attention.Item
	for _, u := range uses {
		if near[u.id] && want[u.personID] {
			out = append(out, attention.Item{PersonID: u.personID, Section: "/technology/uses/" + u.id,
				Detail: fmt.Sprintf("%s: the reason is nearly the same as another person's here: %q", u.technologyName, u.reason)})
		}
	}
	return out, nil
}

func techConcernsOpen(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("c.person_id", q.People)
	rows, err := sc.Query(`SELECT c.person_id, t.name, c.status, c.raised_at FROM tech_concerns c JOIN tech_technologies t ON t.id = c.technology_id
		WHERE `+in+` AND c.raised_at <= ? AND (c.status <> 'resolved' OR c.updated_at > ?) ORDER BY c.raised_at`, append(args, q.At, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person, name, status string
		var raised time.Time
		if err := rows.Scan(&person, &name, &status, &raised); err != nil {
			return nil, err
		}
		out = append(out, attention.Item{PersonID: person, Section: "/technology",
			Detail: fmt.Sprintf("Concern about %s raised on %s (%s)", name, UKDay(raised), ConcernStatusTitle(status))})
	}
	return out, rows.Err()
}
