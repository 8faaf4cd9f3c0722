package tech

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Review outcomes.
const (
	ReviewContinue = "continue"
	ReviewChange   = "change"
	ReviewStop     = "stop"
)

// ReviewOutcomeTitle is a review outcome in words.
func ReviewOutcomeTitle(o string) string {
	switch o {
	case ReviewContinue:
		return "Continue as it is"
	case ReviewChange:
		return "Continue with changes"
	case ReviewStop:
		return "Stop using it"
	}
	return o
}

// Review is one review of a use: its outcome, the person's views, and the
// outcome measures taken at it.
type Review struct {
	ID          string
	UseID       string
	Outcome     string
	PersonViews string
	Notes       string
	NextReview  time.Time
	ReviewedAt  time.Time
	Reviewer    string
}

// NewReview is a review as typed on the form.
type NewReview struct {
	Outcome     string
	PersonViews string
	Notes       string
	NextReview  string            // as typed; required unless the outcome is stop
	Measures    map[string]string // measure key -> value as typed; optional
}

// RecordReview records a review of a use (RecordTechUse, training-gated). A
// stop ends the use; continue or change sets the next review, which must be
// in the future, as a new version of the use record.
func (s *Service) RecordReview(ctx context.Context, actor door.Actor, personID, useID string, n NewReview) (Review, error) {
	var r Review
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "DeviceUseStatement", ResourceID: useID, Detail: "reviewed a technology use"})
		if err != nil {
			return err
		}
		u, err := loadUse(sc, personID, useID)
		if err != nil {
			return err
		}
		t, err := loadTechnology(sc, u.TechnologyID)
		if err != nil {
			return err
		}
		now := sc.Now()
		n.PersonViews, n.Notes = clean(n.PersonViews), clean(n.Notes)
		var p hearth.Problems
		p.Check(n.Outcome == ReviewContinue || n.Outcome == ReviewChange || n.Outcome == ReviewStop, "Outcome", "Choose continue, change or stop")
		text(&p, "The person's views", n.PersonViews, "Record the person's views: in their words, or how they expressed them", maxLong)
		if n.Outcome == ReviewChange || n.Outcome == ReviewStop {
			text(&p, "Notes", n.Notes, "Say what will change, or why it is stopping", maxLong)
		} else {
			optional(&p, "Notes", n.Notes, maxLong)
		}
		next := ParseDay(n.NextReview)
		if n.Outcome != ReviewStop {
			switch {
			case strings.TrimSpace(n.NextReview) == "":
				p.Add("Next review", "Enter the date of the next review")
			case next.IsZero():
				p.Add("Next review", "Enter the next review date as a date, for example 2026-06-03")
			case !next.After(day(now)):
				p.Add("Next review", "The next review date must be in the future")
			}
		}
		values, vp := parseMeasures(t, n.Measures)
		p = append(p, vp...)
		if err := p.Err(); err != nil {
			return err
		}
		if !u.EndedAt.IsZero() {
			return hearth.Errorf(hearth.KindConflict, "This use was already stopped at a review on %s", UKDay(u.EndedAt))
		}
		if err := trainingGate(sc, actor, t, now); err != nil {
			return err
		}
		r = Review{ID: hearth.NewID(), UseID: useID, Outcome: n.Outcome, PersonViews: n.PersonViews, Notes: n.Notes,
			ReviewedAt: now, Reviewer: actor.Name}
		if n.Outcome != ReviewStop {
			r.NextReview = next
		}
		a.Detail = fmt.Sprintf("reviewed use of %s: %s", t.Name, strings.ToLower(ReviewOutcomeTitle(n.Outcome)))
		if _, err := sc.Exec(`INSERT INTO tech_reviews (id, use_id, person_id, outcome, person_views, notes, next_review,
			reviewed_at, reviewed_by, reviewer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, useID, personID, r.Outcome, r.PersonViews,
			r.Notes, store.NullTime(r.NextReview), now, actor.ID, actor.Name); err != nil {
			return err
		}
		for _, v := range values {
			if err := insertOutcome(sc, u, r.ID, v.key, v.value, day(now), now, actor); err != nil {
				return err
			}
		}
		// The review changes the record's item 7 (or ends it): a new version.
		d := useData{Record: u.Record, TechnologyName: u.TechnologyName}
		reason := "Reviewed: " + strings.ToLower(ReviewOutcomeTitle(n.Outcome))
		var ended any
		if n.Outcome == ReviewStop {
			d.EndedAt, d.EndedReason, ended = now, n.Notes, now
		} else {
			d.NextReview = next
		}
		data, err := toJSON(d)
		if err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE tech_uses SET version = version + 1, next_review = ?, ended_at = ?, data = ?, updated_at = ? WHERE id = ?`,
			d.NextReview, ended, data, now, useID); err != nil {
			return err
		}
		return addUseVersion(sc, useID, u.Version+1, data, now, actor, reason)
	})
	return r, err
}

type measureValue struct {
	key   string
	value float64
}

// parseMeasures reads typed measure values against the technology's
// measures; empty values are skipped.
func parseMeasures(t Technology, typed map[string]string) ([]measureValue, hearth.Problems) {
	var out []measureValue
	var p hearth.Problems
	for _, m := range t.Measures {
		raw := strings.TrimSpace(typed[m.Key])
		if raw == "" {
			continue
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < m.Min || v > m.Max {
			p.Add(m.Name, fmt.Sprintf("%s must be a number from %g to %g", m.Name, m.Min, m.Max))
			continue
		}
		out = append(out, measureValue{m.Key, v})
	}
	return out, p
}

func reviewsOf(sc *door.Scope, useID string) ([]Review, error) {
	rows, err := sc.Query(`SELECT id, use_id, outcome, person_views, notes, next_review, reviewed_at, reviewer
		FROM tech_reviews WHERE use_id = ? ORDER BY reviewed_at DESC`, useID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var next sql.NullTime
		if err := rows.Scan(&r.ID, &r.UseID, &r.Outcome, &r.PersonViews, &r.Notes, &next, &r.ReviewedAt, &r.Reviewer); err != nil {
			return nil, err
		}
		r.NextReview = next.Time
		out = append(out, r)
	}
	return out, rows.Err()
}

// Outcome is one measurement for one person at one time.
type Outcome struct {
	ID          string
	UseID       string
	PersonID    string
	Measure     string
	MeasureName string
	Unit        string
	Value       float64
	ObservedOn  time.Time
	RecordedAt  time.Time
}

func insertOutcome(sc *door.Scope, u Use, reviewID, key string, value float64, observed, now time.Time, actor door.Actor) error {
	_, err := sc.Exec(`INSERT INTO tech_outcomes (id, use_id, person_id, technology_id, review_id, measure, value, observed_on, recorded_at, recorded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, hearth.NewID(), u.ID, u.PersonID, u.TechnologyID, store.Null(reviewID), key, value, observed, now, actor.ID)
	return err
}

// RecordOutcome records one outcome measure while operating a technology
// for a person (OperateTechUse, training-gated). The use must be live: a
// use whose lawful basis has stopped cannot be operated.
func (s *Service) RecordOutcome(ctx context.Context, actor door.Actor, personID, useID, measure, value, observedOn string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.OperateTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", ResourceID: useID, Detail: "recorded a technology outcome"})
		if err != nil {
			return err
		}
		u, err := loadUse(sc, personID, useID)
		if err != nil {
			return err
		}
		t, err := loadTechnology(sc, u.TechnologyID)
		if err != nil {
			return err
		}
		var p hearth.Problems
		m, ok := t.Measure(measure)
		p.Check(ok, "Measure", "Choose one of this technology's outcome measures")
		observed := ParseDay(observedOn)
		if strings.TrimSpace(observedOn) == "" {
			observed = day(sc.Now())
		}
		switch {
		case observed.IsZero():
			p.Add("Date", "Enter the date as a date, for example 2026-03-03")
		case observed.After(day(sc.Now())):
			p.Add("Date", "The date must not be in the future")
		}
		var values []measureValue
		if ok {
			var vp hearth.Problems
			values, vp = parseMeasures(t, map[string]string{m.Key: value})
			p = append(p, vp...)
			p.Check(len(vp) > 0 || len(values) == 1, m.Name, fmt.Sprintf("Enter %s as a number from %g to %g", m.Name, m.Min, m.Max))
		}
		if err := p.Err(); err != nil {
			return err
		}
		if err := s.settle(ctx, sc, &u); err != nil {
			return err
		}
		if !u.Live() {
			return hearth.Errorf(hearth.KindConflict, "%s is not in use for this person. %s.", t.Name, u.StateText)
		}
		if err := trainingGate(sc, actor, t, sc.Now()); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("recorded %s for %s", m.Name, t.Name)
		return insertOutcome(sc, u, "", m.Key, values[0].value, observed, sc.Now(), actor)
	})
}

const outcomeSelect = `SELECT o.id, o.use_id, o.person_id, o.measure, o.value, o.observed_on, o.recorded_at FROM tech_outcomes o `

func outcomesOf(sc *door.Scope, where string, args ...any) ([]Outcome, error) {
	rows, err := sc.Query(outcomeSelect+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Outcome
	for rows.Next() {
		var o Outcome
		if err := rows.Scan(&o.ID, &o.UseID, &o.PersonID, &o.Measure, &o.Value, &o.ObservedOn, &o.RecordedAt); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// OutcomeText is the review outcome in words.
func (r Review) OutcomeText() string { return ReviewOutcomeTitle(r.Outcome) }
