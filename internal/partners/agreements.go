package partners

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/store"
)

// london is where agreements' dates are calendar dates: one that starts on
// 1 April applies from midnight in London that day.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // the embedded tzdata (imported by the binary) always has it
	}
	return loc
}()

// dayStart is the first moment of a calendar day in London. day is a
// calendar date as forms read them (midnight UTC on that date).
func dayStart(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, london).UTC()
}

// today is the London calendar date of now, as midnight UTC.
func today(now time.Time) time.Time {
	l := now.In(london)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

// ReviewSoon is how far ahead an agreement's review shows as due.
const ReviewSoon = 30 * 24 * time.Hour

// Agreement is a data-sharing agreement with a partner organisation.
type Agreement struct {
	ID          string
	PartnerID   string
	PartnerName string
	Purpose     string
	Article6    string // a key of Article6
	Article9    string // a key of Article9
	Categories  []string
	Reference   string    // the signed agreement's own reference, if any
	Starts      time.Time // first moment it applies
	Ends        time.Time // first moment it no longer applies; zero: open-ended
	ReviewOn    time.Time // calendar date
	RecordedBy  string
	RecordedAt  time.Time
	ReviewedAt  time.Time
	ReviewedBy  string
	ReviewNote  string
	EndedAt     time.Time
	EndedBy     string
	EndReason   string
}

// InForce reports whether the agreement applies at now.
func (a Agreement) InForce(now time.Time) bool {
	return !now.Before(a.Starts) && (a.Ends.IsZero() || now.Before(a.Ends)) && (a.EndedAt.IsZero() || now.Before(a.EndedAt))
}

// Status says where the agreement stands at now, in words.
func (a Agreement) Status(now time.Time) string {
	switch {
	case !a.EndedAt.IsZero() && !now.Before(a.EndedAt):
		return "Ended"
	case !a.Ends.IsZero() && !now.Before(a.Ends):
		return "Expired"
	case now.Before(a.Starts):
		return "Not started"
	}
	return "In force"
}

// Over reports whether the agreement has ended or expired: nothing more
// can be done with it.
func (a Agreement) Over(now time.Time) bool {
	s := a.Status(now)
	return s == "Ended" || s == "Expired"
}

// LastDay is the last calendar day the agreement applies, when it has an
// end date.
func (a Agreement) LastDay() time.Time {
	if a.Ends.IsZero() {
		return time.Time{}
	}
	return a.Ends.Add(-time.Nanosecond).In(london)
}

// ReviewDue reports whether the review date is within ReviewSoon of now,
// or past, for an agreement not over.
func (a Agreement) ReviewDue(now time.Time) bool {
	return !a.Over(now) && !a.ReviewOn.After(today(now).Add(ReviewSoon))
}

// ReviewOverdue reports whether the review date has passed.
func (a Agreement) ReviewOverdue(now time.Time) bool {
	return !a.Over(now) && a.ReviewOn.Before(today(now))
}

// CategoryTitles are the agreement's categories in words.
func (a Agreement) CategoryTitles() []string {
	var out []string
	for _, k := range a.Categories {
		if c, ok := category(k); ok {
			out = append(out, c.Title)
		}
	}
	return out
}

// Article6Condition is the agreement's article 6 condition.
func (a Agreement) Article6Condition() Condition { c, _ := Article6Condition(a.Article6); return c }

// Article9Condition is the agreement's article 9 condition.
func (a Agreement) Article9Condition() Condition { c, _ := Article9Condition(a.Article9); return c }

// until is when an agreement stops applying: its end, or when it was ended
// early, whichever is sooner.
func until(ends, ended sql.NullTime) time.Time {
	var t time.Time
	if ends.Valid {
		t = ends.Time.UTC()
	}
	if ended.Valid && (t.IsZero() || ended.Time.Before(t)) {
		t = ended.Time.UTC()
	}
	return t
}

// NewAgreement is an agreement to record. Dates are calendar dates (midnight
// UTC on the date, as forms read them).
type NewAgreement struct {
	PartnerID  string
	Purpose    string
	Article6   string
	Article9   string
	Categories []string
	Reference  string
	Starts     time.Time
	LastDay    time.Time // zero: until ended
	ReviewOn   time.Time
	Problems   hearth.Problems // from reading the form, reported after the door decides
}

const (
	maxPurpose   = 1000
	maxReference = 200
	maxNote      = 1000
)

func agreementRequest(id, detail string) door.Request {
	return door.Request{Action: access.ManageAgreements, Purpose: access.Governance, ResourceType: "Contract", ResourceID: id, Detail: detail}
}

// RecordAgreement records a data-sharing agreement with a registered
// partner system.
func (s *Service) RecordAgreement(ctx context.Context, actor door.Actor, n NewAgreement) (Agreement, error) {
	var out Agreement
	n.Purpose, n.Reference = strings.TrimSpace(n.Purpose), strings.TrimSpace(n.Reference)
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(agreementRequest("", "recorded a data-sharing agreement"))
		if err != nil {
			return err
		}
		p := n.Problems
		var partner Partner
		if hearth.ValidID(n.PartnerID) {
			if list, err := listPartners(sc, `WHERE id = ? AND disabled_at IS NULL`, n.PartnerID); err != nil {
				return err
			} else if len(list) == 1 {
				partner = list[0]
			}
		}
		p.Check(partner.ID != "", "Partner", "Choose the partner system the agreement is with")
		p.Check(utf8.RuneCountInString(n.Purpose) >= 10, "Purpose", "Say what the information is shared for, in at least 10 characters")
		p.Check(utf8.RuneCountInString(n.Purpose) <= maxPurpose, "Purpose", fmt.Sprintf("Purpose must be %d characters or fewer", maxPurpose))
		_, ok6 := Article6Condition(n.Article6)
		p.Check(ok6, "Article 6 condition", "Choose the UK GDPR article 6 lawful basis for the sharing")
		_, ok9 := Article9Condition(n.Article9)
		p.Check(ok9, "Article 9 condition", "Choose the UK GDPR article 9 condition: health and care information is special category data")
		var cats []string
		unknown := false
		for _, c := range n.Categories {
			if _, ok := category(c); !ok {
				unknown = true
			} else if !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
		p.Check(!unknown, "Categories", "Choose categories from the list")
		p.Check(len(n.Categories) > 0, "Categories", "Choose at least one category of information the agreement covers")
		p.Check(utf8.RuneCountInString(n.Reference) <= maxReference, "Reference", fmt.Sprintf("Reference must be %d characters or fewer", maxReference))
		p.Check(!n.Starts.IsZero(), "Start date", "Enter the date the agreement starts")
		p.Check(n.LastDay.IsZero() || n.Starts.IsZero() || !n.LastDay.Before(n.Starts), "End date", "The end date must be on or after the start date")
		p.Check(!n.ReviewOn.IsZero(), "Review date", "Enter the date the agreement is to be reviewed by")
		p.Check(n.ReviewOn.IsZero() || n.Starts.IsZero() || n.ReviewOn.After(n.Starts), "Review date", "The review date must be after the start date")
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		out = Agreement{ID: hearth.NewID(), PartnerID: partner.ID, PartnerName: partner.Name, Purpose: n.Purpose, Article6: n.Article6,
			Article9: n.Article9, Categories: cats, Reference: n.Reference, Starts: dayStart(n.Starts), ReviewOn: n.ReviewOn,
			RecordedBy: actor.Name, RecordedAt: now}
		if !n.LastDay.IsZero() {
			out.Ends = dayStart(n.LastDay.AddDate(0, 0, 1))
		}
		a.ResourceID = out.ID
		a.Detail = fmt.Sprintf("recorded a data-sharing agreement with %s covering %s", partner.Name, strings.Join(out.CategoryTitles(), ", "))
		_, err = sc.Exec(`INSERT INTO data_sharing_agreements (id, partner_id, purpose, article6, article9, categories, reference,
			starts_at, ends_at, review_on, recorded_by, recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.PartnerID, out.Purpose, out.Article6, out.Article9, strings.Join(cats, ","), out.Reference,
			out.Starts, store.NullTime(out.Ends), out.ReviewOn, actor.ID, actor.Name, now)
		return err
	})
	return out, err
}

// AgreementsPage is what the information governance lead sees: every
// agreement, those due for review, and the partners an agreement can be
// recorded with.
type AgreementsPage struct {
	Now        time.Time
	Agreements []Agreement
	Due        []Agreement
	Partners   []Partner // enabled partners
}

// Agreements lists every agreement, newest first, with those due for
// review (soonest first) and the enabled partners.
func (s *Service) Agreements(ctx context.Context, actor door.Actor) (AgreementsPage, error) {
	var pg AgreementsPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(agreementRequest("", "listed data-sharing agreements")); err != nil {
			return err
		}
		pg.Now = sc.Now()
		var err error
		if pg.Agreements, err = listAgreements(sc, ""); err != nil {
			return err
		}
		for _, a := range pg.Agreements {
			if a.ReviewDue(pg.Now) {
				pg.Due = append(pg.Due, a)
			}
		}
		slices.SortStableFunc(pg.Due, func(a, b Agreement) int { return a.ReviewOn.Compare(b.ReviewOn) })
		pg.Partners, err = listPartners(sc, `WHERE disabled_at IS NULL`)
		return err
	})
	return pg, err
}

const agreementColumns = `g.id, g.partner_id, p.name, g.purpose, g.article6, g.article9, g.categories, g.reference, g.starts_at,
	g.ends_at, g.review_on, g.recorded_by_name, g.recorded_at, g.reviewed_at, g.reviewed_by_name, g.review_note, g.ended_at,
	g.ended_by_name, g.end_reason`

func listAgreements(q door.Querier, cond string, args ...any) ([]Agreement, error) {
	rows, err := q.Query(`SELECT `+agreementColumns+` FROM data_sharing_agreements g JOIN partners p ON p.id = g.partner_id `+
		cond+` ORDER BY g.recorded_at DESC, g.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("partners: list agreements: %w", err)
	}
	defer rows.Close()
	var out []Agreement
	for rows.Next() {
		var a Agreement
		var cats string
		var ends, reviewed, ended sql.NullTime
		if err := rows.Scan(&a.ID, &a.PartnerID, &a.PartnerName, &a.Purpose, &a.Article6, &a.Article9, &cats, &a.Reference,
			&a.Starts, &ends, &a.ReviewOn, &a.RecordedBy, &a.RecordedAt, &reviewed, &a.ReviewedBy, &a.ReviewNote, &ended,
			&a.EndedBy, &a.EndReason); err != nil {
			return nil, err
		}
		a.Categories = strings.Split(cats, ",")
		a.Starts, a.ReviewOn, a.RecordedAt = a.Starts.UTC(), a.ReviewOn.UTC(), a.RecordedAt.UTC()
		if ends.Valid {
			a.Ends = ends.Time.UTC()
		}
		if reviewed.Valid {
			a.ReviewedAt = reviewed.Time.UTC()
		}
		if ended.Valid {
			a.EndedAt = ended.Time.UTC()
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// loadAgreement reads one agreement for a change, after the change was
// permitted: an unknown ID and a malformed one are both not found.
func loadAgreement(sc *door.Scope, id string) (Agreement, error) {
	if !hearth.ValidID(id) {
		return Agreement{}, hearth.NotFound("That data-sharing agreement")
	}
	list, err := listAgreements(sc, `WHERE g.id = ?`, id)
	if err != nil {
		return Agreement{}, err
	}
	if len(list) == 0 {
		return Agreement{}, hearth.NotFound("That data-sharing agreement")
	}
	return list[0], nil
}

// EndAgreement ends an agreement now: the partner receives nothing more
// under it from the next request.
func (s *Service) EndAgreement(ctx context.Context, actor door.Actor, id, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(agreementRequest(id, "ended a data-sharing agreement"))
		if err != nil {
			return err
		}
		g, err := loadAgreement(sc, id)
		if err != nil {
			return err
		}
		var p hearth.Problems
		p.Check(utf8.RuneCountInString(reason) >= 5, "Reason", "Say why the agreement is ending")
		p.Check(utf8.RuneCountInString(reason) <= maxNote, "Reason", fmt.Sprintf("Reason must be %d characters or fewer", maxNote))
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		if g.Over(now) {
			return hearth.Errorf(hearth.KindConflict, "The agreement with %s has already ended", g.PartnerName)
		}
		a.Detail = "ended the data-sharing agreement with " + g.PartnerName + ": " + reason
		_, err = sc.Exec(`UPDATE data_sharing_agreements SET ended_at = ?, ended_by_name = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`,
			now, actor.Name, reason, g.ID)
		return err
	})
}

// ReviewAgreement records that an agreement was reviewed, with what was
// found, and sets the date of the next review.
func (s *Service) ReviewAgreement(ctx context.Context, actor door.Actor, id string, next time.Time, note string, problems hearth.Problems) error {
	note = strings.TrimSpace(note)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(agreementRequest(id, "reviewed a data-sharing agreement"))
		if err != nil {
			return err
		}
		g, err := loadAgreement(sc, id)
		if err != nil {
			return err
		}
		now := sc.Now()
		p := problems
		p.Check(!next.IsZero() || len(problems) > 0, "Next review date", "Enter the date of the next review")
		p.Check(next.IsZero() || next.After(today(now)), "Next review date", "The next review date must be in the future")
		p.Check(utf8.RuneCountInString(note) <= maxNote, "Review note", fmt.Sprintf("Review note must be %d characters or fewer", maxNote))
		if err := p.Err(); err != nil {
			return err
		}
		if g.Over(now) {
			return hearth.Errorf(hearth.KindConflict, "The agreement with %s has ended: there is nothing to review", g.PartnerName)
		}
		a.Detail = fmt.Sprintf("reviewed the data-sharing agreement with %s; next review %s", g.PartnerName, next.Format("2 January 2006"))
		if note != "" {
			a.Detail += ": " + note
		}
		_, err = sc.Exec(`UPDATE data_sharing_agreements SET review_on = ?, reviewed_at = ?, reviewed_by_name = ?, review_note = ? WHERE id = ?`,
			next, now, actor.Name, note, g.ID)
		return err
	})
}
