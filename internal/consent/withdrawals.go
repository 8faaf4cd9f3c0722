package consent

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Withdrawal is a consent to care or to a technology that the person (or
// someone for them) withdrew, and that nothing has replaced since: the care
// team must know at once (the person page, 'my shift', Needs attention).
type Withdrawal struct {
	PersonID, PersonName string
	ConsentID            string
	Purpose              string
	Title                string // "Care and support", "Use of NightSound"
	WithdrawnAt          time.Time
	WithdrawnBy          string // a name
	How                  string // "withdrawn on the Hearth portal"
}

// Sentence is the withdrawal in words for staff: what, who, when, and what
// to do now.
func (w Withdrawal) Sentence() string {
	what := "consent to " + lowerFirst(w.Title)
	do := "Talk with them before giving this care, and record what they decide."
	if w.Purpose == PurposeTechnology {
		do = "Do not use it; talk with them about what they want instead."
	}
	s := fmt.Sprintf("%s withdrew %s on %s at %s", w.WithdrawnBy, what, ukDate(w.WithdrawnAt), w.WithdrawnAt.In(london).Format("15:04"))
	if w.How != "" {
		s += " (" + w.How + ")"
	}
	return s + ". " + do
}

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// WithdrawalWindow is how far back the person page and 'my shift' look for
// a withdrawal that still stands (one replaced by a later decision goes at
// once, whenever it was).
const WithdrawalWindow = 28 * 24 * time.Hour

// withdrawnPurposes are the withdrawals that reach the care team at once.
const withdrawnPurposes = `c.purpose IN ('care-delivery', 'technology')`

// WithdrawalsIn lists the standing withdrawals since since for the given
// people, inside a scope the caller opened (the person page's, my shift's):
// each person is decided (ReadConsent) and audited; people the actor may
// not see are left out.
func (s *Service) WithdrawalsIn(sc *door.Scope, personIDs []string, since time.Time) ([]Withdrawal, error) {
	allowed, err := sc.AllowEach(door.Request{Action: access.ReadConsent, Purpose: people.Purpose(sc.Actor()),
		ResourceType: "Consent", Detail: "consent withdrawn"}, personIDs)
	if err != nil {
		return nil, err
	}
	var out []Withdrawal
	for _, id := range allowed {
		list, err := consentsWhere(sc, id, `AND `+withdrawnPurposes)
		if err != nil {
			return nil, err
		}
		p, err := people.Load(sc, id)
		if err != nil {
			return nil, err
		}
		out = append(out, standing(list, p, since)...)
	}
	return out, nil
}

// RecentWithdrawals lists the standing withdrawals since since for everyone
// actor may see, newest first: for the Needs attention page. The list is
// limited to the actor's relationships in SQL (Reach) and each person on it
// is decided and audited (ReadConsent).
func (s *Service) RecentWithdrawals(ctx context.Context, actor door.Actor, since time.Time) ([]Withdrawal, error) {
	var out []Withdrawal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Consent",
			Detail: "consents withdrawn recently"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("c.person_id", "p.location_id")
		ids, err := sc.IDs(`SELECT DISTINCT c.person_id FROM consents c JOIN people p ON p.id = c.person_id
			WHERE c.withdrawn_at >= ? AND `+withdrawnPurposes+` AND `+reach, append([]any{since}, args...)...)
		if err != nil {
			return err
		}
		if out, err = s.WithdrawalsIn(sc, ids, since); err != nil {
			return err
		}
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && out[j].WithdrawnAt.After(out[j-1].WithdrawnAt); j-- {
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
		q.Detail = fmt.Sprintf("consents withdrawn recently: %d", len(out))
		return nil
	})
	return out, err
}

// standing keeps the withdrawals since since that nothing about the same
// thing has followed: once the person gives consent again (or decides
// otherwise), the banner about the withdrawal is stale and goes.
func standing(list []Consent, p people.Person, since time.Time) []Withdrawal {
	var out []Withdrawal
	for _, c := range list {
		if !c.Withdrawn() || c.WithdrawnAt.Before(since) {
			continue
		}
		followed := false
		for _, o := range list {
			if o.ID != c.ID && o.targetKey() == c.targetKey() && o.RecordedAt.After(c.RecordedAt) {
				followed = true
			}
		}
		if followed {
			continue
		}
		by := c.WithdrawnBy
		if by == "" {
			by = "Someone"
		}
		out = append(out, Withdrawal{PersonID: p.ID, PersonName: p.FullName(), ConsentID: c.ID, Purpose: c.Purpose, Title: c.Title(),
			WithdrawnAt: c.WithdrawnAt, WithdrawnBy: by, How: c.WithdrawnHow})
	}
	return out
}
