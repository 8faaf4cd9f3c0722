package tech

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Record is what staff write for one person's use of one technology: the
// eight items of NHS principle 2, and what principles 1 and 6 add.
type Record struct {
	// 2. The reason for using it for this person.
	Reason string `json:"reason"`
	// 3. When and how it will be used.
	WhenHow string `json:"when_how"`
	// 4. The information given to the person and family or carers, and its format.
	InformationGiven  string `json:"information_given"`
	InformationFormat string `json:"information_format"`
	// 5. The decision-making process.
	DecisionProcess string `json:"decision_process"`
	// 6. How the person's data from it will be used.
	DataUse string `json:"data_use"`
	// 7. When it will next be reviewed, and what the review will involve.
	NextReview time.Time `json:"next_review"`
	ReviewPlan string    `json:"review_plan"`
	// 8. How the person can withdraw consent.
	Withdrawal string `json:"withdrawal"`
	// Principle 1: the rights engaged, and why this use is proportionate.
	Rights string `json:"rights"`
	// Principle 6, for safety and monitoring uses: the proportionality
	// assessment and the relational care that goes alongside.
	SafetyAssessment string `json:"safety_assessment,omitempty"`
	RelationalCare   string `json:"relational_care,omitempty"`
	// The less restrictive alternatives considered.
	Alternatives string `json:"alternatives"`
	// What is specific to this person, required when the reason is
	// nearly the same as others' at the location (blanket.go).
	Specific string `json:"specific,omitempty"`
}

// NewUse is a technology use as typed on the form.
type NewUse struct {
	TechnologyID string
	// RequestedFor is every person the request named. A use is for one
	// person: more than one is refused (NHS principle 2, no blanket use).
	RequestedFor []string
	Record
	NextReview   string // as typed; Record.NextReview is ignored
	Version      int    // the version an edit started from
	ChangeReason string // why an edit changes the record

	basis consent.Basis // found while preparing
}

// Use states, worked out when read.
const (
	UseActive  = "active"
	UseStopped = "stopped" // its lawful basis no longer counts
	UsePaused  = "paused"  // the person can now decide for themselves: not used until they do
	UseEnded   = "ended"   // a review decided to stop it
)

// Use is one person's use of one technology, at its latest version, with
// its state worked out now.
type Use struct {
	ID             string
	PersonID       string
	TechnologyID   string
	TechnologyName string
	LocationID     string
	Version        int
	BasisKind      string
	BasisID        string
	Record
	EndedAt     time.Time
	EndedReason string
	CreatedAt   time.Time
	UpdatedAt   time.Time

	State         string
	StateText     string // "Stopped: consent was withdrawn on 4 March 2026"
	Basis         consent.Basis
	ReviewOverdue bool
	// The register's side (lapses.go): how the register entry no longer
	// supports the use, whether that stopped it, whether anyone who works
	// with the person is trained to operate it, and whether the reader is.
	Lapses             []Lapse
	RegisterStopped    bool
	NoOneTrained       bool
	YourTrainingLapsed bool
}

// Live reports whether the use may go on now.
func (u Use) Live() bool { return u.State == UseActive }

// useData is what the JSON column holds.
type useData struct {
	Record
	TechnologyName string    `json:"technology_name"`
	EndedReason    string    `json:"ended_reason,omitempty"`
	EndedAt        time.Time `json:"ended_at,omitzero"`
}

func (n *NewUse) normalise(now time.Time, safety bool) error {
	var p hearth.Problems
	r := &n.Record
	for _, f := range []*string{&r.Reason, &r.WhenHow, &r.InformationGiven, &r.InformationFormat, &r.DecisionProcess, &r.DataUse,
		&r.ReviewPlan, &r.Withdrawal, &r.Rights, &r.SafetyAssessment, &r.RelationalCare, &r.Alternatives} {
		*f = clean(*f)
	}
	if !hearth.ValidID(n.TechnologyID) {
		p.Add("Technology", "Choose the specific technology to be used")
	}
	text(&p, "Reason", r.Reason, "Say why this technology is being used for this person, in terms specific to them", maxLong)
	text(&p, "When and how", r.WhenHow, "Say when and how the technology will be used", maxLong)
	text(&p, "Information given", r.InformationGiven, "Summarise the information given to the person and their family or carers", maxLong)
	text(&p, "Information format", r.InformationFormat, "Say in what format the information was given (for example easy read, spoken, large print)", maxShort)
	text(&p, "Decision-making process", r.DecisionProcess, "Describe the decision-making process that led to using this technology", maxLong)
	text(&p, "How their data will be used", r.DataUse, "Explain how the person's data from this technology will be used", maxLong)
	r.NextReview = ParseDay(n.NextReview)
	switch {
	case strings.TrimSpace(n.NextReview) == "":
		p.Add("Next review", "Enter the date of the next review")
	case r.NextReview.IsZero():
		p.Add("Next review", "Enter the next review date as a date, for example 2026-06-03")
	case !r.NextReview.After(day(now)):
		p.Add("Next review", "The next review date must be in the future")
	}
	text(&p, "What the review will involve", r.ReviewPlan, "Say what the review will involve", maxLong)
	text(&p, "How to withdraw consent", r.Withdrawal, "Explain how the person can withdraw their consent", maxLong)
	text(&p, "Rights and proportionality", r.Rights, "Say which of the person's rights this use engages and why it is proportionate", maxLong)
	if safety {
		text(&p, "Proportionality assessment", r.SafetyAssessment, "This is a safety or monitoring use: record the proportionality assessment", maxLong)
		text(&p, "Relational care", r.RelationalCare, "This is a safety or monitoring use: describe the relational care that goes alongside it", maxLong)
	} else {
		optional(&p, "Proportionality assessment", r.SafetyAssessment, maxLong)
		optional(&p, "Relational care", r.RelationalCare, maxLong)
	}
	text(&p, "Less restrictive alternatives", r.Alternatives, "Say what less restrictive alternatives were considered", maxLong)
	return p.Err()
}

// onePerson refuses a request that names anyone but the one person.
func onePerson(personID string, requested []string) error {
	ids := unique(requested)
	if len(ids) > 1 {
		return hearth.Invalid("Person", fmt.Sprintf("A technology use is recorded for one person at a time, with reasons specific to them: this request named %d people. Record each person's use on their own page.", len(ids)))
	}
	if len(ids) == 1 && ids[0] != personID {
		return hearth.Invalid("Person", "A technology use is recorded for one person at a time: this request named someone else. Record it on their own page.")
	}
	return nil
}

// CreateUse records one person's use of one technology. It is refused,
// naming each reason, when any of the eight items is missing, the
// technology is not approved or in trial or lacks an assessment, the
// setting was not approved, there is no lawful basis now, the review date
// is not in the future, the request names more than one person, or the
// staff member's training for the technology is not current.
func (s *Service) CreateUse(ctx context.Context, actor door.Actor, personID string, n NewUse) (Use, error) {
	var u Use
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "DeviceUseStatement", Detail: "recorded a technology use"})
		if err != nil {
			return err
		}
		if err := onePerson(personID, n.RequestedFor); err != nil {
			return err
		}
		person, t, loc, err := s.prepare(ctx, sc, actor, personID, &n, "")
		if err != nil {
			return err
		}
		if err := s.blanketCheck(sc, person, t, loc, &n); err != nil {
			return err
		}
		now := sc.Now()
		u = Use{ID: hearth.NewID(), PersonID: personID, TechnologyID: t.ID, TechnologyName: t.Name, LocationID: loc.ID, Version: 1,
			BasisKind: n.basis.Kind, BasisID: n.basis.ID, Record: n.Record, CreatedAt: now, UpdatedAt: now,
			State: UseActive, Basis: n.basis}
		a.ResourceID, a.Decision.Basis = u.ID, u.BasisID
		a.Detail = fmt.Sprintf("recorded use of %s for %s on the basis of %s %s", t.Name, person.FullName(), u.BasisKind, u.BasisID)
		data, err := toJSON(useData{Record: u.Record, TechnologyName: t.Name})
		if err != nil {
			return err
		}
		if _, err := sc.Exec(`INSERT INTO tech_uses (id, person_id, technology_id, location_id, version, basis_kind, basis_id,
			reason, next_review, data, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, personID, t.ID, loc.ID, u.BasisKind, u.BasisID, u.Reason, u.NextReview, data, now, actor.ID, now); err != nil {
			return err
		}
		return addUseVersion(sc, u.ID, 1, data, now, actor, "Recorded")
	})
	return u, err
}

// prepare validates a new or changed use: the form, the technology and
// setting, the lawful basis, and the actor's training, with every broken
// rule named at once where they are all about the form.
func (s *Service) prepare(ctx context.Context, sc *door.Scope, actor door.Actor, personID string, n *NewUse, technologyID string) (people.Person, Technology, people.Location, error) {
	var t Technology
	var loc people.Location
	person, err := people.Load(sc, personID)
	if err != nil {
		return person, t, loc, err
	}
	if technologyID != "" {
		n.TechnologyID = technologyID
	}
	var p hearth.Problems
	if hearth.ValidID(n.TechnologyID) {
		if t, err = loadTechnology(sc, n.TechnologyID); hearth.KindOf(err) == hearth.KindNotFound {
			p.Add("Technology", "Choose the specific technology to be used")
		} else if err != nil {
			return person, t, loc, err
		}
	}
	if err := n.normalise(sc.Now(), t.Safety()); err != nil {
		p = append(p, err.(*hearth.Error).Problems...)
	}
	if loc, err = locationOf(sc, person.LocationID); err != nil {
		return person, t, loc, err
	}
	if t.ID != "" {
		if err := t.Usable(loc); err != nil {
			p = append(p, err.(*hearth.Error).Problems...)
		}
		b, err := s.consent.TechnologyBasis(sc, personID, t.ID, sc.Now())
		if err != nil {
			return person, t, loc, err
		}
		if !b.Active {
			why := b.Reason
			if why == "" {
				why = "no consent or best-interests decision is recorded"
			}
			p.Add("Lawful basis", fmt.Sprintf("There is no lawful basis for using %s for %s now: %s. Record their consent, or a best-interests decision, first.",
				t.Name, person.CalledName(), strings.TrimSuffix(lowerFirst(why), ".")))
		}
		n.basis = b
	}
	if err := p.Err(); err != nil {
		return person, t, loc, err
	}
	return person, t, loc, trainingGate(sc, actor, t, sc.Now())
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func addUseVersion(sc *door.Scope, useID string, version int, data string, now time.Time, actor door.Actor, reason string) error {
	_, err := sc.Exec(`INSERT INTO tech_use_versions (use_id, version, data, changed_at, changed_by, changed_name, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, useID, version, data, now, actor.ID, actor.Name, reason)
	return err
}

// UpdateUse records a new version of a use. The editor must start from the
// latest version; the lawful basis, the technology's approval and the
// editor's training are checked again.
func (s *Service) UpdateUse(ctx context.Context, actor door.Actor, personID, useID string, n NewUse) (Use, error) {
	var u Use
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "DeviceUseStatement", ResourceID: useID, Detail: "changed a technology use"})
		if err != nil {
			return err
		}
		if err := onePerson(personID, n.RequestedFor); err != nil {
			return err
		}
		if u, err = loadUse(sc, personID, useID); err != nil {
			return err
		}
		if !u.EndedAt.IsZero() {
			return hearth.Errorf(hearth.KindConflict, "This use was stopped at a review on %s; record a new use instead", UKDay(u.EndedAt))
		}
		_, t, _, err := s.prepare(ctx, sc, actor, personID, &n, u.TechnologyID)
		if err != nil {
			return err
		}
		n.ChangeReason = clean(n.ChangeReason)
		if n.ChangeReason == "" {
			return hearth.Invalid("Reason for change", "Say why the record is changing")
		}
		if n.Version != u.Version {
			return hearth.Errorf(hearth.KindConflict, "Someone else changed this record while you were editing it (now version %d). Your changes are below: check them against the latest and save again.", u.Version)
		}
		now := sc.Now()
		u.Version++
		u.Record, u.BasisKind, u.BasisID, u.Basis, u.UpdatedAt, u.State = n.Record, n.basis.Kind, n.basis.ID, n.basis, now, UseActive
		data, err := toJSON(useData{Record: u.Record, TechnologyName: t.Name})
		if err != nil {
			return err
		}
		res, err := sc.Exec(`UPDATE tech_uses SET version = ?, basis_kind = ?, basis_id = ?, reason = ?, next_review = ?, data = ?, updated_at = ?
			WHERE id = ? AND version = ?`, u.Version, u.BasisKind, u.BasisID, u.Reason, u.NextReview, data, now, u.ID, u.Version-1)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return hearth.Errorf(hearth.KindConflict, "Someone else changed this record while you were editing it. Your changes are below: check them against the latest and save again.")
		}
		// A new basis replaces one that stopped: the stop stays in the
		// versions and the audit log, and the use counts again.
		if _, err := sc.Exec(`DELETE FROM tech_use_stops WHERE use_id = ? AND basis_id <> ?`, u.ID, u.BasisID); err != nil {
			return err
		}
		a.Decision.Basis = u.BasisID
		a.Detail = fmt.Sprintf("changed use of %s (version %d): %s", t.Name, u.Version, n.ChangeReason)
		return addUseVersion(sc, u.ID, u.Version, data, now, actor, n.ChangeReason)
	})
	return u, err
}

const useColumns = `id, person_id, technology_id, location_id, version, basis_kind, basis_id, data, created_at, updated_at`

func scanUse(row interface{ Scan(...any) error }) (Use, error) {
	var u Use
	var data string
	if err := row.Scan(&u.ID, &u.PersonID, &u.TechnologyID, &u.LocationID, &u.Version, &u.BasisKind, &u.BasisID, &data, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return u, err
	}
	var d useData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return u, err
	}
	u.Record, u.TechnologyName, u.EndedReason, u.EndedAt = d.Record, d.TechnologyName, d.EndedReason, d.EndedAt
	return u, nil
}

func loadUse(sc *door.Scope, personID, useID string) (Use, error) {
	if !hearth.ValidID(useID) {
		return Use{}, hearth.NotFound("That technology use")
	}
	u, err := scanUse(sc.QueryRow(`SELECT `+useColumns+` FROM tech_uses WHERE id = ? AND person_id = ?`, useID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return u, hearth.NotFound("That technology use")
	}
	return u, err
}

func usesOf(sc *door.Scope, personID string, withheld door.Excluded) ([]Use, error) {
	notWithheld, args := withheld.Not("id")
	rows, err := sc.Query(`SELECT `+useColumns+` FROM tech_uses WHERE person_id = ? AND `+notWithheld+` ORDER BY created_at DESC, id`,
		append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Use
	for rows.Next() {
		u, err := scanUse(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// settle works out a use's state now, from its lawful basis as the consent
// service sees it at this moment: nothing is stored that could go stale.
// The first time a use is seen to have stopped, the stop is recorded once,
// with its reason, and audited in the reader's scope.
func (s *Service) settle(ctx context.Context, sc *door.Scope, u *Use) error {
	now := sc.Now()
	if !u.EndedAt.IsZero() {
		u.State, u.StateText = UseEnded, "Ended: stopped at the review on "+UKDay(u.EndedAt)
		if u.EndedReason != "" {
			u.StateText += " (" + u.EndedReason + ")"
		}
		return nil
	}
	b, err := s.consent.BasisStatus(sc, u.PersonID, u.BasisKind, u.BasisID, now)
	if err != nil {
		return err
	}
	if !b.Active {
		// A later decision may count now: the person gave consent again
		// after withdrawing it, or decided for themselves once capacity
		// returned. The use goes on under it, and no banner says otherwise.
		later, err := s.consent.TechnologyBasis(sc, u.PersonID, u.TechnologyID, now)
		if err != nil {
			return err
		}
		if later.Active {
			b = later
		}
	}
	u.Basis = b
	if b.Active {
		u.State, u.StateText = UseActive, "In use"
		u.BasisKind, u.BasisID = b.Kind, b.ID
		u.ReviewOverdue = u.NextReview.Before(day(now))
		return s.settleRegister(sc, u, now)
	}
	why := b.Reason
	if why == "" {
		why = "its lawful basis no longer counts"
	}
	u.State, u.StateText = UseStopped, "Stopped: "+strings.TrimSuffix(lowerFirst(why), ".")
	if b.AskPerson {
		// MCA 2005 s11(7)(a): the person can now decide; others' consent
		// no longer counts. Paused, not ended: it goes on if they agree.
		u.State, u.StateText = UsePaused, "Paused until the person decides: "+strings.TrimSuffix(lowerFirst(why), ".")
	}
	var seen int
	if err := sc.QueryRow(`SELECT COUNT(*) FROM tech_use_stops WHERE use_id = ?`, u.ID).Scan(&seen); err != nil {
		return err
	}
	if seen > 0 {
		return nil
	}
	if _, err := sc.Exec(`INSERT INTO tech_use_stops (use_id, basis_id, reason, seen_at, seen_by) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.BasisID, why, now, sc.Actor().ID); err != nil {
		return err
	}
	_, err = sc.Check(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(sc.Actor()), PersonID: u.PersonID,
		ResourceType: "DeviceUseStatement", ResourceID: u.ID, Detail: fmt.Sprintf("technology use of %s stopped: %s", u.TechnologyName, why)})
	return err
}

// PersonPage is the person's technology page.
type PersonPage struct {
	Person       people.Person
	Uses         []Use
	Concerns     []Concern
	Usable       []Technology // technologies that may be chosen for a new use here
	Profile      Profile
	Inclusion    Inclusion
	CanRecord    bool
	CanWritePlan bool
}

// PersonTechnology reads a person's technology uses, each with its state
// worked out now, their concerns, and what may be chosen for a new use.
func (s *Service) PersonTechnology(ctx context.Context, actor door.Actor, personID string) (PersonPage, error) {
	var pg PersonPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		purpose := people.Purpose(actor)
		if _, err := sc.Allow(door.Request{Action: access.ReadTechUse, Purpose: purpose, PersonID: personID,
			ResourceType: "DeviceUseStatement", Detail: "technology page"}); err != nil {
			return err
		}
		var err error
		if pg.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		out, err := sc.Unwithheld(door.Request{Action: access.ReadTechUse, Purpose: purpose, PersonID: personID,
			Detail: "a withheld technology use"}, "DeviceUseStatement")
		if err != nil {
			return err
		}
		if pg.Uses, err = usesOf(sc, personID, out); err != nil {
			return err
		}
		for i := range pg.Uses {
			if err := s.settle(ctx, sc, &pg.Uses[i]); err != nil {
				return err
			}
		}
		if pg.Concerns, err = queryConcerns(sc, `WHERE c.person_id = ? ORDER BY c.raised_at DESC`, personID); err != nil {
			return err
		}
		if pg.Profile, err = loadProfile(sc, personID); err != nil {
			return err
		}
		if pg.Inclusion, err = loadInclusion(sc, personID); err != nil {
			return err
		}
		loc, err := locationOf(sc, pg.Person.LocationID)
		if err != nil {
			return err
		}
		techs, err := allTechnologies(sc)
		if err != nil {
			return err
		}
		for _, t := range techs {
			if t.Usable(loc) == nil {
				pg.Usable = append(pg.Usable, t)
			}
		}
		rec, err := sc.Check(door.Request{Action: access.RecordTechUse, Purpose: purpose, PersonID: personID, ResourceType: "DeviceUseStatement", Detail: "can record?"})
		if err != nil {
			return err
		}
		pg.CanRecord = rec.Decision.Permit
		plan, err := sc.Check(door.Request{Action: access.WritePlan, Purpose: purpose, PersonID: personID, ResourceType: "Observation", Detail: "can record equality and inclusion answers?"})
		if err != nil {
			return err
		}
		pg.CanWritePlan = plan.Decision.Permit
		return nil
	})
	return pg, err
}

// UseVersion is one saved version of a use record.
type UseVersion struct {
	Version     int
	Record      Record
	ChangedAt   time.Time
	ChangedName string
	ChangedByID string // filled in by UsesOf
	Reason      string
	EndedAt     time.Time // a review ended the use (UsesOf)
	EndedReason string
}

// UsePage is one use with everything about it.
type UsePage struct {
	Person     people.Person
	Use        Use
	Technology Technology
	Versions   []UseVersion
	Reviews    []Review
	Outcomes   []Outcome
	Copies     []Copy
	Provider   people.Provider // who gives the care, named on the person's copy
	MadeAt     time.Time       // when the page was read: the date on the copy
}

// GetUse reads one use record with its versions, reviews, outcomes and
// copies given. detail says why, for the audit log (a copy, a PDF).
func (s *Service) GetUse(ctx context.Context, actor door.Actor, personID, useID, detail string) (UsePage, error) {
	var pg UsePage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if detail == "" {
			detail = "technology use record"
		}
		if _, err := sc.Allow(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "DeviceUseStatement", ResourceID: useID, Detail: detail}); err != nil {
			return err
		}
		var err error
		if pg.Use, err = loadUse(sc, personID, useID); err != nil {
			return err
		}
		if pg.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		if err := s.settle(ctx, sc, &pg.Use); err != nil {
			return err
		}
		if pg.Technology, err = loadTechnology(sc, pg.Use.TechnologyID); err != nil {
			return err
		}
		pg.MadeAt = sc.Now()
		if pg.Provider, err = people.ProviderOf(sc); err != nil && hearth.KindOf(err) != hearth.KindNotFound {
			return err
		}
		rows, err := sc.Query(`SELECT version, data, changed_at, changed_name, reason FROM tech_use_versions WHERE use_id = ? ORDER BY version DESC`, useID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v UseVersion
			var data string
			if err := rows.Scan(&v.Version, &data, &v.ChangedAt, &v.ChangedName, &v.Reason); err != nil {
				rows.Close()
				return err
			}
			var d useData
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				rows.Close()
				return err
			}
			v.Record = d.Record
			pg.Versions = append(pg.Versions, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if pg.Reviews, err = reviewsOf(sc, useID); err != nil {
			return err
		}
		if pg.Outcomes, err = outcomesOf(sc, `WHERE o.use_id = ? ORDER BY o.observed_on DESC, o.recorded_at DESC`, useID); err != nil {
			return err
		}
		for i := range pg.Outcomes {
			if m, ok := pg.Technology.Measure(pg.Outcomes[i].Measure); ok {
				pg.Outcomes[i].MeasureName, pg.Outcomes[i].Unit = m.Name, m.Unit
			}
		}
		pg.Copies, err = copiesOf(sc, useID)
		return err
	})
	return pg, err
}

// NextReviewText is the next review date in words.
func (u Use) NextReviewText() string { return UKDay(u.NextReview) }
