package consent

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Outcomes of a capacity assessment.
const (
	HasCapacity   = "has-capacity"
	LacksCapacity = "lacks-capacity"
)

// Assessment is one capacity assessment for one decision at one time (MCA
// 2005 s2-3: the two-stage test).
type Assessment struct {
	ID          string
	PersonID    string
	DecisionKey string
	Decision    string // in words
	AssessedAt  time.Time
	Assessor    string
	// Stage one: is there an impairment of, or a disturbance in the
	// functioning of, the mind or brain?
	Impairment bool
	// Stage two (s3(1)): can the person...
	Understand  bool // understand the information relevant to the decision
	Retain      bool // retain it
	UseWeigh    bool // use or weigh it as part of deciding
	Communicate bool // communicate their decision (by any means)
	Outcome     string
	Evidence    string
	Fluctuating bool
	NextReview  time.Time
	RecordedBy  string
	RecordedAt  time.Time
}

// Lacks reports whether the assessment found the person lacks capacity.
func (a Assessment) Lacks() bool { return a.Outcome == LacksCapacity }

// OutcomeText is the outcome in words.
func (a Assessment) OutcomeText() string {
	if a.Lacks() {
		return "Lacks capacity for this decision"
	}
	return "Has capacity for this decision"
}

// testOutcome is what the two-stage test finds: a person lacks capacity only
// when there is an impairment AND because of it they cannot do at least one
// of the four things.
func testOutcome(impairment, understand, retain, useWeigh, communicate bool) string {
	if impairment && !(understand && retain && useWeigh && communicate) {
		return LacksCapacity
	}
	return HasCapacity
}

// NewAssessment is an assessment to record.
type NewAssessment struct {
	PersonID    string
	Decision    string // a named decision key, "technology:<id>", or free text
	AssessedAt  time.Time
	Assessor    string
	Impairment  bool
	Understand  bool
	Retain      bool
	UseWeigh    bool
	Communicate bool
	Outcome     string // optional: must agree with the test when given
	Evidence    string
	Fluctuating bool
	NextReview  time.Time
	Problems    hearth.Problems // from reading the form
}

func (n *NewAssessment) validate(now time.Time) (key string, err error) {
	n.Decision, n.Assessor, n.Evidence, n.Outcome = strings.TrimSpace(n.Decision), strings.TrimSpace(n.Assessor), strings.TrimSpace(n.Evidence), strings.TrimSpace(n.Outcome)
	key = DecisionKey(n.Decision)
	p := append(hearth.Problems(nil), n.Problems...)
	// MCA 2005 s2(1): capacity is about "a matter" at "the material time".
	p.Check(key != "", "Decision", "Say which decision this assessment is about: capacity is decision-specific")
	checkLen(&p, "Decision", n.Decision, 200)
	p.Check(n.Assessor != "", "Assessor", "Name the person who assessed capacity")
	checkLen(&p, "Assessor", n.Assessor, 200)
	p.Check(n.Evidence != "", "Evidence", "Record the evidence for each part of the test")
	checkLen(&p, "Evidence", n.Evidence, maxText)
	switch {
	case n.AssessedAt.IsZero():
		p.Add("Assessed at", "Enter when the assessment took place")
	case n.AssessedAt.After(now):
		p.Add("Assessed at", "The assessment must not be in the future")
	}
	want := testOutcome(n.Impairment, n.Understand, n.Retain, n.UseWeigh, n.Communicate)
	switch n.Outcome {
	case "":
		n.Outcome = want
	case HasCapacity, LacksCapacity:
		if n.Outcome != want {
			if want == HasCapacity {
				p.Add("Outcome", "A person lacks capacity only when an impairment of the mind or brain means they cannot understand, retain, use or weigh the information, or communicate their decision")
			} else {
				p.Add("Outcome", "The answers show the person cannot make this decision: check the outcome")
			}
		}
	default:
		p.Add("Outcome", "Choose has capacity or lacks capacity")
	}
	if !n.NextReview.IsZero() && n.NextReview.Before(n.AssessedAt.Truncate(24*time.Hour)) {
		p.Add("Next reassessment", "Next reassessment must be after the assessment")
	}
	if n.Fluctuating && n.NextReview.IsZero() {
		p.Add("Next reassessment", "Capacity that fluctuates needs a date to reassess")
	}
	return key, p.Err()
}

// RecordAssessment records a capacity assessment. When it finds capacity has
// returned, others' consents and best-interests decisions for the decision
// are flagged "ask the person" from then on (see evaluate).
func (s *Service) RecordAssessment(ctx context.Context, actor door.Actor, n NewAssessment) (Assessment, error) {
	var a Assessment
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		acc, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: n.PersonID,
			ResourceType: "Observation", Detail: "capacity assessment"})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindStaff {
			return hearth.Errorf(hearth.KindForbidden, "Only staff can record a capacity assessment")
		}
		key, err := n.validate(sc.Now())
		if err != nil {
			return err
		}
		if _, err := people.Load(sc, n.PersonID); err != nil {
			return err
		}
		title := decisionName(sc, key)
		if strings.HasPrefix(key, decisionOtherPrefix) {
			title = n.Decision
		}
		a = Assessment{ID: hearth.NewID(), PersonID: n.PersonID, DecisionKey: key, Decision: title, AssessedAt: n.AssessedAt.UTC(),
			Assessor: n.Assessor, Impairment: n.Impairment, Understand: n.Understand, Retain: n.Retain, UseWeigh: n.UseWeigh,
			Communicate: n.Communicate, Outcome: n.Outcome, Evidence: n.Evidence, Fluctuating: n.Fluctuating, NextReview: n.NextReview,
			RecordedBy: actor.Name, RecordedAt: sc.Now()}
		acc.ResourceID = a.ID
		_, err = sc.Exec(`INSERT INTO capacity_assessments (id, person_id, decision_key, decision, assessed_at, assessor,
			impairment, understand, retain, use_weigh, communicate, outcome, evidence, fluctuating, next_review_on,
			recorded_by, recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.PersonID, a.DecisionKey, a.Decision, a.AssessedAt, a.Assessor, a.Impairment, a.Understand, a.Retain,
			a.UseWeigh, a.Communicate, a.Outcome, a.Evidence, a.Fluctuating, store.NullTime(a.NextReview), actor.ID, actor.Name, a.RecordedAt)
		return err
	})
	return a, err
}

const assessmentColumns = `id, person_id, decision_key, decision, assessed_at, assessor, impairment, understand, retain, use_weigh,
	communicate, outcome, evidence, fluctuating, next_review_on, recorded_by_name, recorded_at`

func scanAssessment(row interface{ Scan(...any) error }) (Assessment, error) {
	var a Assessment
	var next sql.NullTime
	err := row.Scan(&a.ID, &a.PersonID, &a.DecisionKey, &a.Decision, &a.AssessedAt, &a.Assessor, &a.Impairment, &a.Understand,
		&a.Retain, &a.UseWeigh, &a.Communicate, &a.Outcome, &a.Evidence, &a.Fluctuating, &next, &a.RecordedBy, &a.RecordedAt)
	a.NextReview = nullTime(next)
	a.AssessedAt, a.RecordedAt = a.AssessedAt.UTC(), a.RecordedAt.UTC()
	return a, err
}

func assessments(sc *door.Scope, personID, cond string, args ...any) ([]Assessment, error) {
	rows, err := sc.Query(`SELECT `+assessmentColumns+` FROM capacity_assessments WHERE person_id = ? `+cond+
		` ORDER BY assessed_at, recorded_at, id`, append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// capacityState is what the assessments for one decision say at one time.
type capacityState struct {
	Key      string
	Assessed bool       // there is at least one assessment
	Lacks    bool       // the latest finds the person lacks capacity
	Latest   Assessment // the latest assessment
	// ReturnedAt is when capacity returned: the first assessment finding
	// capacity after the last one finding it lacking. Zero when it never
	// lacked, or lacks now.
	ReturnedAt time.Time
}

// capacityFrom works out the state from assessments in time order.
func capacityFrom(key string, list []Assessment, now time.Time) capacityState {
	cs := capacityState{Key: key}
	var lastLacking time.Time
	for _, a := range list {
		if a.AssessedAt.After(now) {
			break
		}
		cs.Assessed, cs.Latest = true, a
		if a.Lacks() {
			cs.Lacks = true
			lastLacking = a.AssessedAt
			cs.ReturnedAt = time.Time{}
			continue
		}
		cs.Lacks = false
		if !lastLacking.IsZero() && cs.ReturnedAt.IsZero() {
			cs.ReturnedAt = a.AssessedAt
		}
	}
	return cs
}

func loadCapacity(sc *door.Scope, personID, key string, now time.Time) (capacityState, error) {
	list, err := assessments(sc, personID, `AND decision_key = ? AND assessed_at <= ?`, key, now)
	if err != nil {
		return capacityState{Key: key}, err
	}
	return capacityFrom(key, list, now), nil
}
