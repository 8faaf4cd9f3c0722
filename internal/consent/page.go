package consent

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Position is where things stand now for one purpose and target: the
// at-a-glance line of the consent page.
type Position struct {
	Title     string // "Sharing with Riverside GP surgery"
	Purpose   string
	Consent   *Consent // the standing consent, nil when none is recorded
	Basis     Basis
	Yes       bool   // the purpose may go ahead on this consent now
	Summary   string // "yes, given by Ann on 3 March 2026, review by 3 March 2027"
	AskPerson bool
}

// Line is the position as one sentence: "Photographs: no decision recorded".
func (p Position) Line() string { return p.Title + ": " + p.Summary }

// CapacityNow is the latest assessment for one decision.
type CapacityNow struct {
	Assessment
	ReviewDue bool // the next reassessment date has passed
}

// Judged is a best-interests decision with whether it counts now.
type Judged struct {
	BestInterests
	Basis Basis
}

// Page is everything the consent and capacity page shows for a person.
type Page struct {
	Person          people.Person
	Now             time.Time
	Positions       []Position
	AskPerson       []string // plain-English flags: whose capacity has returned, for what
	Consents        []Consent
	Capacity        []CapacityNow // latest per decision
	Assessments     []Assessment  // all, newest first
	BestInterests   []Judged
	Representatives []Representative
	LawfulBases     []LawfulBasis
	CanRecord       bool
}

// Page reads a person's consent and capacity position for actor. It is an
// audited read of consent records; whether the actor may record is checked
// (and audited) too, so the page offers only what they may do.
func (s *Service) Page(ctx context.Context, actor door.Actor, personID string) (Page, error) {
	var pg Page
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadConsent, Purpose: actingPurpose(actor), PersonID: personID,
			ResourceType: "Consent", Detail: "consent and capacity page"}); err != nil {
			return err
		}
		// Whether to offer the recording buttons: decided by the same rules,
		// but not audited, because nothing is recorded by looking (opening a
		// blank form to print is not "recorded consent" in the history).
		rec, err := sc.Would(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: personID,
			ResourceType: "Consent", Detail: "may record consent"})
		if err != nil {
			return err
		}
		pg.CanRecord = rec.Permit
		// Entries withheld from the person (or their representative) are
		// refused one by one and left out of every query below.
		withheld, err := sc.Unwithheld(door.Request{Action: access.ReadConsent, Purpose: actingPurpose(actor), PersonID: personID,
			Detail: "a withheld consent or capacity record"}, "Consent", "Observation")
		if err != nil {
			return err
		}
		notWithheld := func(col string) (string, []any) {
			cond, args := withheld.Not(col)
			return "AND " + cond, args
		}
		now := sc.Now()
		pg.Now = now
		j, err := s.newJudge(sc, personID, now)
		if err != nil {
			return err
		}
		pg.Person = j.person
		for _, r := range j.reps {
			pg.Representatives = append(pg.Representatives, r)
		}
		// Oldest first; the ID settles a tie, so the page reads the same
		// every time (the judge holds them in a map).
		sort.Slice(pg.Representatives, func(a, b int) bool {
			ra, rb := pg.Representatives[a], pg.Representatives[b]
			if !ra.RecordedAt.Equal(rb.RecordedAt) {
				return ra.RecordedAt.Before(rb.RecordedAt)
			}
			return ra.ID < rb.ID
		})
		cond, args := notWithheld("c.id")
		if pg.Consents, err = consentsWhere(sc, personID, cond, args...); err != nil {
			return err
		}
		if pg.Positions, err = j.positions(pg.Consents); err != nil {
			return err
		}
		cond, args = notWithheld("id")
		all, err := assessments(sc, personID, cond, args...)
		if err != nil {
			return err
		}
		latest := map[string]int{}
		for i := len(all) - 1; i >= 0; i-- {
			a := all[i]
			pg.Assessments = append(pg.Assessments, a)
			if _, seen := latest[a.DecisionKey]; !seen && !a.AssessedAt.After(now) {
				latest[a.DecisionKey] = len(pg.Capacity)
				pg.Capacity = append(pg.Capacity, CapacityNow{Assessment: a, ReviewDue: !a.NextReview.IsZero() && now.After(a.NextReview)})
			}
		}
		bis, err := bestInterestsWhere(sc, personID, cond, args...)
		if err != nil {
			return err
		}
		for _, b := range bis {
			basis, err := j.bestInterests(b)
			if err != nil {
				return err
			}
			pg.BestInterests = append(pg.BestInterests, Judged{BestInterests: b, Basis: basis})
			if basis.AskPerson {
				pg.AskPerson = append(pg.AskPerson, fmt.Sprintf("Best-interests decision about %s: %s can now make this decision, so it no longer counts. Ask %s now.",
					lowerFirst(b.Decision), j.person.CalledName(), j.person.CalledName()))
			}
		}
		for _, p := range pg.Positions {
			if p.AskPerson {
				pg.AskPerson = append(pg.AskPerson, fmt.Sprintf("%s: %s can now make this decision, so the consent given by %s no longer counts. Ask %s now.",
					p.Title, j.person.CalledName(), p.Basis.GivenBy, j.person.CalledName()))
			}
		}
		pg.LawfulBases, err = lawfulBasesWhere(sc, personID, cond, args...)
		return err
	})
	return pg, err
}

// positions works out the at-a-glance position for every purpose: one line
// per purpose, and one per recipient, technology or channel where consents
// name them.
func (j *judge) positions(consents []Consent) ([]Position, error) {
	byTarget := map[string][]Consent{}
	var order []string
	for _, c := range consents { // newest first
		k := c.targetKey()
		if _, seen := byTarget[k]; !seen {
			order = append(order, k)
		}
		byTarget[k] = append(byTarget[k], c)
	}
	var out []Position
	for _, purpose := range Purposes {
		found := false
		var keys []string
		for _, k := range order {
			if byTarget[k][0].Purpose == purpose {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(a, b int) bool { return byTarget[keys[a]][0].Title() < byTarget[keys[b]][0].Title() })
		for _, k := range keys {
			list := byTarget[k]
			c, ok := current(list, j.now)
			if !ok {
				continue
			}
			found = true
			b, err := j.consent(c, list)
			if err != nil {
				return nil, err
			}
			cc := c
			out = append(out, Position{Title: c.Title(), Purpose: purpose, Consent: &cc, Basis: b, Yes: b.Active && c.Permit(),
				Summary: j.summary(c, b), AskPerson: b.AskPerson})
		}
		if !found {
			out = append(out, Position{Title: PurposeTitle(purpose), Purpose: purpose, Summary: "no decision recorded"})
		}
	}
	return out, nil
}

func (j *judge) summary(c Consent, b Basis) string {
	giver := "given by " + j.person.CalledName()
	if c.GivenBy == "representative" {
		giver = "given by " + c.RepresentativeName + " (" + lowerFirst(AuthorityTitle(c.Authority)) + ")"
	}
	var s string
	switch {
	case b.Active && c.Permit():
		s = "yes, " + giver + " on " + ukDate(c.Starts)
		if !c.Ends.IsZero() {
			s += ", until " + ukDate(c.Ends)
		}
	case !c.Permit() && strings.HasPrefix(b.Reason, "Refused"):
		s = "no, " + giver + " on " + ukDate(c.Starts)
	default:
		s = "no. " + b.Reason
	}
	if !c.ReviewOn.IsZero() && !c.Withdrawn() {
		s += ", review by " + c.ReviewOn.UTC().Format("2 January 2006")
	}
	return s
}
