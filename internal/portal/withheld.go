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

// Reasons an entry may be withheld from the person (UK GDPR exemptions for
// health and social care data: information about someone else, and serious
// harm to the person's or someone else's physical or mental health).
const (
	WithheldThirdParty  = "third-party"
	WithheldSeriousHarm = "serious-harm"
)

// CategoryTitle says, in general terms, why something is withheld: this is
// what the person sees.
func CategoryTitle(c string) string {
	switch c {
	case WithheldThirdParty:
		return "It contains information about someone else"
	case WithheldSeriousHarm:
		return "A professional judged that seeing it could cause serious harm"
	}
	return c
}

// Withheld is an entry not shown to the person or their representatives.
type Withheld struct {
	ID             string
	PersonID       string
	PersonName     string
	ResourceType   string
	ResourceID     string
	Category       string
	Reason         string // staff's own words: never shown to the person
	WithheldByName string
	WithheldAt     time.Time
	ReviewOutcome  string
	ReviewNote     string
	ReviewedByName string
	ReviewedAt     time.Time
}

// CategoryTitle is why, in general terms.
func (w Withheld) CategoryTitle() string { return CategoryTitle(w.Category) }

// EntryTitle names the kind of entry in words, as the withhold form does.
func (w Withheld) EntryTitle() string {
	switch w.ResourceType {
	case "Observation":
		return "Daily note"
	case "QuestionnaireResponse":
		return "About Me entry"
	case "CarePlan":
		return "Care plan"
	case "Consent":
		return "Consent, capacity or best-interests record"
	case "Communication":
		return "Message"
	}
	return w.ResourceType
}

// ReviewTitle is the review's outcome in words.
func (w Withheld) ReviewTitle() string {
	switch w.ReviewOutcome {
	case "upheld":
		return "kept withheld"
	case "lifted":
		return "shown to them"
	}
	return w.ReviewOutcome
}

// Lifted reports whether the review lifted the mark.
func (w Withheld) Lifted() bool { return w.ReviewOutcome == "lifted" }

// NewWithheld is what marking an entry needs.
type NewWithheld struct {
	ResourceType string
	ResourceID   string
	Category     string
	Reason       string
}

// Withhold marks an entry as not shown to the person (WithholdItem).
func (s *Service) Withhold(ctx context.Context, actor door.Actor, personID string, n NewWithheld) (Withheld, error) {
	var w Withheld
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WithholdItem, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: strings.TrimSpace(n.ResourceType), ResourceID: strings.TrimSpace(n.ResourceID), Detail: "withheld from the person"})
		if err != nil {
			return err
		}
		n.ResourceType, n.ResourceID, n.Reason = strings.TrimSpace(n.ResourceType), strings.TrimSpace(n.ResourceID), strings.TrimSpace(n.Reason)
		var p hearth.Problems
		p.Check(n.ResourceType != "" && len(n.ResourceType) <= 64, "Entry type", "Choose the kind of entry")
		p.Check(hearth.ValidID(n.ResourceID), "Entry", "Enter the entry's reference")
		p.Check(n.Category == WithheldThirdParty || n.Category == WithheldSeriousHarm, "Category", "Choose why it is withheld: someone else's information, or serious harm")
		p.Check(utf8.RuneCountInString(n.Reason) >= 10, "Reason", "Say why, in at least 10 characters, for the information governance lead")
		p.Check(utf8.RuneCountInString(n.Reason) <= maxText, "Reason", fmt.Sprintf("Reason must be %d characters or fewer", maxText))
		if err := p.Err(); err != nil {
			return err
		}
		// Only this person's own entry can be withheld from them; another
		// person's entry looks exactly like one that does not exist.
		if err := sc.Owns(personID, n.ResourceType, n.ResourceID); err != nil {
			return err
		}
		w = Withheld{ID: hearth.NewID(), PersonID: personID, ResourceType: n.ResourceType, ResourceID: n.ResourceID,
			Category: n.Category, Reason: n.Reason, WithheldByName: actor.Name, WithheldAt: sc.Now()}
		a.Detail = "withheld from the person: " + CategoryTitle(n.Category)
		_, err = sc.Exec(`INSERT INTO withheld_items (id, person_id, resource_type, resource_id, category, reason,
			withheld_by, withheld_by_name, withheld_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.ID, w.PersonID, w.ResourceType, w.ResourceID, w.Category, w.Reason, actor.ID, actor.Name, w.WithheldAt)
		return err
	})
	return w, err
}

const withheldColumns = `w.id, w.person_id, p.given_name || ' ' || p.family_name, w.resource_type, w.resource_id, w.category, w.reason,
	w.withheld_by_name, w.withheld_at, w.review_outcome, w.review_note, w.reviewed_by_name, w.reviewed_at`

func withheldWhere(sc *door.Scope, where string, args ...any) ([]Withheld, error) {
	return withheldOrdered(sc, where+` ORDER BY w.withheld_at, w.id`, args...)
}

// withheldOrdered reads the marks matching where, which carries its own
// ORDER BY (and LIMIT, for a page).
func withheldOrdered(sc *door.Scope, where string, args ...any) ([]Withheld, error) {
	rows, err := sc.Query(`SELECT `+withheldColumns+` FROM withheld_items w JOIN people p ON p.id = w.person_id
		WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Withheld
	for rows.Next() {
		var w Withheld
		var reviewed sql.NullTime
		if err := rows.Scan(&w.ID, &w.PersonID, &w.PersonName, &w.ResourceType, &w.ResourceID, &w.Category, &w.Reason,
			&w.WithheldByName, &w.WithheldAt, &w.ReviewOutcome, &w.ReviewNote, &w.ReviewedByName, &reviewed); err != nil {
			return nil, err
		}
		if reviewed.Valid {
			w.ReviewedAt = reviewed.Time
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// withheldNow lists what is withheld from the person now (lifted marks left
// out), for the notices that say something is withheld and why in general.
func withheldNow(sc *door.Scope, personID string) ([]Withheld, error) {
	return withheldWhere(sc, `w.person_id = ? AND w.review_outcome <> 'lifted'`, personID)
}

// WithheldOf lists what is withheld from a person, for staff on the care
// team (ReadRecord).
func (s *Service) WithheldOf(sc *door.Scope, personID string) ([]Withheld, error) {
	return withheldWhere(sc, `w.person_id = ?`, personID)
}

// WithheldReviews lists marks not yet reviewed, oldest first, for the
// information governance lead (ReviewWithheld). The query is audited, then
// each person on it.
func (s *Service) WithheldReviews(ctx context.Context, actor door.Actor) ([]Withheld, error) {
	pg, err := s.WithheldReviewPage(ctx, actor, 0, 0)
	return pg.Items, err
}

// WithheldPage is a page of withheld items waiting for review.
type WithheldPage struct {
	Items  []Withheld
	Total  int // every mark waiting that the actor may review
	Offset int
	Limit  int // zero: all of them
}

// WithheldReviewPage is a page of WithheldReviews, oldest first (a stable
// order), with how many are waiting in all.
func (s *Service) WithheldReviewPage(ctx context.Context, actor door.Actor, offset, limit int) (WithheldPage, error) {
	pg := WithheldPage{Offset: max(offset, 0), Limit: max(limit, 0)}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Consent", Detail: "withheld items to review"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("w.person_id", "p.location_id")
		where := `w.reviewed_at IS NULL AND ` + reach
		if err := sc.QueryRow(`SELECT COUNT(*) FROM withheld_items w JOIN people p ON p.id = w.person_id WHERE `+where, args...).Scan(&pg.Total); err != nil {
			return err
		}
		where += ` ORDER BY w.withheld_at, w.id`
		if pg.Limit > 0 {
			where += fmt.Sprintf(` LIMIT %d OFFSET %d`, pg.Limit, pg.Offset)
		}
		all, err := withheldOrdered(sc, where, args...)
		if err != nil {
			return err
		}
		pg.Items, err = door.Filter(sc, door.Request{Action: access.ReviewWithheld, Purpose: people.Purpose(actor),
			ResourceType: "Consent", Detail: "withheld items to review"}, all, func(w Withheld) string { return w.PersonID })
		if err != nil {
			return err
		}
		q.Detail = fmt.Sprintf("withheld items to review: %d", pg.Total)
		return nil
	})
	return pg, err
}

// ReviewWithheld records the information governance lead's review: the
// mark is upheld, or lifted (the entry is shown again). A note is required.
func (s *Service) ReviewWithheld(ctx context.Context, actor door.Actor, id, outcome, note string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		personID, err := sc.OwnerOf("WithheldItem", id)
		if err != nil {
			return err
		}
		a, err := sc.Allow(door.Request{Action: access.ReviewWithheld, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Consent", ResourceID: id})
		if err != nil {
			return err
		}
		var reviewed sql.NullTime
		if err := sc.QueryRow(`SELECT reviewed_at FROM withheld_items WHERE id = ?`, id).Scan(&reviewed); err != nil {
			return err
		}
		note = strings.TrimSpace(note)
		var p hearth.Problems
		p.Check(outcome == "upheld" || outcome == "lifted", "Outcome", "Choose keep withheld or show it to the person")
		p.Check(note != "", "Note", "Say what you concluded")
		p.Check(utf8.RuneCountInString(note) <= maxText, "Note", fmt.Sprintf("Note must be %d characters or fewer", maxText))
		if err := p.Err(); err != nil {
			return err
		}
		if reviewed.Valid {
			return hearth.Errorf(hearth.KindConflict, "This has already been reviewed")
		}
		a.Detail = "withheld item review: " + outcome
		_, err = sc.Exec(`UPDATE withheld_items SET review_outcome = ?, review_note = ?, reviewed_by = ?, reviewed_by_name = ?, reviewed_at = ?
			WHERE id = ? AND reviewed_at IS NULL`, outcome, note, actor.ID, actor.Name, sc.Now(), id)
		return err
	})
}
