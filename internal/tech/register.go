package tech

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Kinds of technology, as the NHS principles scope them.
const (
	KindDirectCare    = "direct-care"
	KindSafety        = "safety-monitoring"
	KindCommunication = "communication-feedback"
)

// KindTitle is a kind in words.
func KindTitle(k string) string {
	switch k {
	case KindDirectCare:
		return "Direct care"
	case KindSafety:
		return "Safety or monitoring"
	case KindCommunication:
		return "Communication or feedback"
	}
	return k
}

// SurveillanceTypes are the kinds of surveillance a technology may be.
var SurveillanceTypes = []string{"video", "acoustic", "gps-tracker", "door-sensor", "bed-sensor", "wearable"}

// SurveillanceTitle is a surveillance type in words.
func SurveillanceTitle(t string) string {
	switch t {
	case "video":
		return "Video monitoring"
	case "acoustic":
		return "Acoustic monitoring"
	case "gps-tracker":
		return "GPS tracker"
	case "door-sensor":
		return "Door sensor"
	case "bed-sensor":
		return "Bed sensor"
	case "wearable":
		return "Wearable"
	}
	return t
}

// Statuses of a register entry.
const (
	StatusProposed  = "proposed"
	StatusTrial     = "trial"
	StatusApproved  = "approved"
	StatusWithdrawn = "withdrawn"
)

// Statuses lists the statuses in order.
var Statuses = []string{StatusProposed, StatusTrial, StatusApproved, StatusWithdrawn}

// Assessment outcomes. Passing means pass or pass with actions.
const (
	OutcomePass        = "pass"
	OutcomePassActions = "pass-with-actions"
	OutcomeFail        = "fail"
)

// Outcomes lists the assessment outcomes.
var Outcomes = []string{OutcomePass, OutcomePassActions, OutcomeFail}

// OutcomeTitle is an assessment outcome in words.
func OutcomeTitle(o string) string {
	switch o {
	case OutcomePass:
		return "Passed"
	case OutcomePassActions:
		return "Passed with actions"
	case OutcomeFail:
		return "Failed"
	}
	return o
}

// EvidenceQualities grade an evidence review.
var EvidenceQualities = []string{"high", "moderate", "low", "insufficient"}

// ServiceTypes are the location kinds a technology may be approved for.
var ServiceTypes = []string{people.CareHome, people.DomiciliaryBranch, people.InpatientWard}

// Assessment is a DTAC, DPIA or EHIA: when, what it concluded, its reference.
type Assessment struct {
	Date      time.Time `json:"date"`
	Outcome   string    `json:"outcome"`
	Reference string    `json:"reference,omitempty"`
}

// Recorded reports whether the assessment has a date and an outcome.
func (a Assessment) Recorded() bool { return !a.Date.IsZero() && a.Outcome != "" }

// Passed reports whether it was recorded and passed.
func (a Assessment) Passed() bool {
	return a.Recorded() && (a.Outcome == OutcomePass || a.Outcome == OutcomePassActions)
}

// Evidence is the review of the evidence base (NHS principle 7), with the
// NICE evidence standards framework tier (A, B or C).
type Evidence struct {
	Summary  string    `json:"summary"`
	Quality  string    `json:"quality"`
	Date     time.Time `json:"date"`
	Reviewer string    `json:"reviewer"`
	Tier     string    `json:"tier"`
}

// Coproduction is who with lived experience was involved, and when
// (NHS principle 4).
type Coproduction struct {
	Who  string    `json:"who"`
	Date time.Time `json:"date"`
}

// Measure is one quantified outcome recorded for people using a technology
// (NHS principle 8): incidents, falls, hours of sleep, or the person's own
// experience score from 1 to 5.
type Measure struct {
	Key        string  `json:"key"`
	Name       string  `json:"name"`
	Unit       string  `json:"unit"`
	Min        float64 `json:"min"`
	Max        float64 `json:"max"`
	Experience bool    `json:"experience"` // the person's own experience score
}

// Technology is one entry of the register, at one version.
type Technology struct {
	ID               string `json:"id"`
	Version          int    `json:"version"`
	Name             string `json:"name"`
	Supplier         string `json:"supplier"`
	Kind             string `json:"kind"`
	Surveillance     bool   `json:"surveillance"`
	SurveillanceType string `json:"surveillance_type,omitempty"`
	// VisitLocation: it records where a care worker checks in at a home-care
	// visit, and so where the person is. Only a person's live use of such a
	// technology lets a check-in carry a location (care.CheckInWith).
	VisitLocation        bool         `json:"visit_location,omitempty"`
	IntendedUse          string       `json:"intended_use"`
	Evidence             Evidence     `json:"evidence"`
	DTAC                 Assessment   `json:"dtac"`
	DPIA                 Assessment   `json:"dpia"`
	EHIA                 Assessment   `json:"ehia"`
	Coproduction         Coproduction `json:"coproduction"`
	ApprovedLocations    []string     `json:"approved_locations"`
	ApprovedServiceTypes []string     `json:"approved_service_types"`
	PolicyReference      string       `json:"policy_reference"`
	PolicyReviewMonths   int          `json:"policy_review_months"`
	PolicyReviewed       time.Time    `json:"policy_reviewed,omitzero"` // when the policy was last reviewed

	TrainingModule  string    `json:"training_module"`
	RefresherMonths int       `json:"refresher_months"`
	Contingency     string    `json:"contingency"`
	Status          string    `json:"status"`
	EvaluationPlan  string    `json:"evaluation_plan,omitempty"`
	Measures        []Measure `json:"measures"`
	UpdatedAt       time.Time `json:"updated_at"`
	UpdatedBy       string    `json:"updated_by"`
}

// Safety reports whether this is a safety or monitoring technology, or
// surveillance: such uses need a proportionality assessment and the
// relational care that goes alongside (NHS principle 6).
func (t Technology) Safety() bool { return t.Kind == KindSafety || t.Surveillance }

// Measure returns the measure with key.
func (t Technology) Measure(key string) (Measure, bool) {
	for _, m := range t.Measures {
		if m.Key == key {
			return m, true
		}
	}
	return Measure{}, false
}

// Missing lists, in plain English, each required assessment that is not
// recorded with a passing outcome. Empty means the assessments are complete.
func (t Technology) Missing() []string {
	var out []string
	check := func(name string, a Assessment) {
		switch {
		case !a.Recorded():
			out = append(out, fmt.Sprintf("This technology has no %s recorded", name))
		case !a.Passed():
			out = append(out, fmt.Sprintf("This technology's %s did not pass (outcome: %s)", name, strings.ToLower(OutcomeTitle(a.Outcome))))
		}
	}
	check("DTAC assessment", t.DTAC)
	check("DPIA", t.DPIA)
	check("equality and health inequalities impact assessment (EHIA)", t.EHIA)
	switch e := t.Evidence; {
	case e.Date.IsZero() || e.Summary == "" || e.Tier == "":
		out = append(out, "This technology has no evidence review recorded")
	case e.Quality == "insufficient":
		out = append(out, "This technology's evidence review found the evidence insufficient")
	}
	if t.Surveillance && (t.Coproduction.Who == "" || t.Coproduction.Date.IsZero()) {
		out = append(out, "This technology is surveillance and has no co-production evidence recorded (who with lived experience was involved, and when)")
	}
	return out
}

// Usable reports why a technology may not be used for a person at loc; nil
// means it may.
func (t Technology) Usable(loc people.Location) error {
	var p hearth.Problems
	switch t.Status {
	case StatusApproved, StatusTrial:
	case StatusWithdrawn:
		p.Add("Technology", fmt.Sprintf("%s has been withdrawn and cannot be used", t.Name))
	default:
		p.Add("Technology", fmt.Sprintf("%s is %s, not approved or in trial, so it cannot be used yet", t.Name, t.Status))
	}
	for _, m := range t.Missing() {
		p.Add("Technology", m)
	}
	if !has(t.ApprovedLocations, loc.ID) && !has(t.ApprovedServiceTypes, loc.Kind) {
		p.Add("Setting", fmt.Sprintf("%s (%s) is not an approved setting for %s: a new assessment is needed for this setting",
			loc.Name, strings.ToLower(people.LocationKindTitle(loc.Kind)), t.Name))
	}
	return p.Err()
}

// normalise trims the entry and checks every rule, naming each field.
func (t *Technology) normalise() error {
	var p hearth.Problems
	t.Name, t.Supplier, t.IntendedUse = clean(t.Name), clean(t.Supplier), clean(t.IntendedUse)
	t.PolicyReference, t.TrainingModule, t.Contingency = clean(t.PolicyReference), clean(t.TrainingModule), clean(t.Contingency)
	t.EvaluationPlan = clean(t.EvaluationPlan)
	t.Evidence.Summary, t.Evidence.Reviewer = clean(t.Evidence.Summary), clean(t.Evidence.Reviewer)
	t.Coproduction.Who = clean(t.Coproduction.Who)
	t.DPIA.Reference = clean(t.DPIA.Reference)
	text(&p, "Name", t.Name, "Enter the technology's name", maxShort)
	text(&p, "Supplier", t.Supplier, "Enter the supplier", maxShort)
	p.Check(t.Kind == KindDirectCare || t.Kind == KindSafety || t.Kind == KindCommunication, "Kind",
		"Choose direct care, safety or monitoring, or communication or feedback")
	if t.Surveillance {
		p.Check(has(SurveillanceTypes, t.SurveillanceType), "Surveillance type",
			"Choose the kind of surveillance: video, acoustic, GPS tracker, door or bed sensor, or wearable")
	} else {
		t.SurveillanceType = ""
	}
	// Recording where someone is, is monitoring (NHS principle 6): its uses
	// then need the proportionality assessment and the relational care.
	p.Check(!t.VisitLocation || t.Kind == KindSafety, "Visit location",
		"A technology that records location at visits is monitoring: choose safety or monitoring as its kind")
	text(&p, "Intended use", t.IntendedUse, "Enter the intended use agreed at procurement", maxLong)
	optional(&p, "Evidence summary", t.Evidence.Summary, maxLong)
	optional(&p, "Evidence reviewer", t.Evidence.Reviewer, maxShort)
	p.Check(t.Evidence.Quality == "" || has(EvidenceQualities, t.Evidence.Quality), "Evidence quality", "Choose high, moderate, low or insufficient")
	p.Check(t.Evidence.Tier == "" || t.Evidence.Tier == "A" || t.Evidence.Tier == "B" || t.Evidence.Tier == "C", "Evidence tier",
		"Choose NICE evidence standards framework tier A, B or C")
	for name, a := range map[string]Assessment{"DTAC outcome": t.DTAC, "DPIA outcome": t.DPIA, "EHIA outcome": t.EHIA} {
		p.Check(a.Outcome == "" || has(Outcomes, a.Outcome), name, "Choose passed, passed with actions, or failed")
		p.Check(a.Outcome == "" || !a.Date.IsZero(), strings.Replace(name, "outcome", "date", 1), "Enter the date of the assessment")
	}
	optional(&p, "DPIA reference", t.DPIA.Reference, maxShort)
	optional(&p, "Co-production", t.Coproduction.Who, maxLong)
	for _, id := range t.ApprovedLocations {
		p.Check(hearth.ValidID(id), "Approved settings", "Choose approved locations from the list")
	}
	for _, k := range t.ApprovedServiceTypes {
		p.Check(has(ServiceTypes, k), "Approved settings", "Choose care home, home care branch or inpatient ward")
	}
	t.ApprovedLocations, t.ApprovedServiceTypes = unique(t.ApprovedLocations), unique(t.ApprovedServiceTypes)
	optional(&p, "Policy reference", t.PolicyReference, maxShort)
	p.Check(t.PolicyReviewMonths >= 0 && t.PolicyReviewMonths <= 60, "Policy review frequency", "Policy review frequency must be between 1 and 60 months")
	p.Check(t.PolicyReference == "" || t.PolicyReviewMonths > 0, "Policy review frequency", "Enter how often the policy is reviewed, in months")
	optional(&p, "Training module", t.TrainingModule, maxShort)
	p.Check(t.RefresherMonths >= 0 && t.RefresherMonths <= 60, "Refresher interval", "Refresher interval must be between 1 and 60 months")
	p.Check(t.TrainingModule == "" || t.RefresherMonths > 0, "Refresher interval", "Enter how often the training must be refreshed, in months")
	optional(&p, "Contingency plan", t.Contingency, maxLong)
	p.Check(has(Statuses, t.Status), "Status", "Choose proposed, trial, approved or withdrawn")
	if t.Status == StatusTrial {
		text(&p, "Evaluation plan", t.EvaluationPlan, "A trial needs an evaluation plan: say how the trial will be evaluated", maxLong)
	}
	if (t.Status == StatusApproved || t.Status == StatusTrial) && t.Contingency == "" {
		p.Add("Contingency plan", "Say what will happen if the technology is withdrawn")
	}
	keys := map[string]bool{}
	for i := range t.Measures {
		m := &t.Measures[i]
		m.Name, m.Unit = clean(m.Name), clean(m.Unit)
		if m.Key == "" {
			m.Key = measureKey(m.Name)
		}
		if m.Name == "" || keys[m.Key] {
			p.Add("Measures", "Give each outcome measure a different name")
			continue
		}
		keys[m.Key] = true
		if m.Experience {
			m.Min, m.Max = 1, 5
		}
		p.Check(m.Max > m.Min, "Measures", fmt.Sprintf("The highest value of %s must be more than its lowest", m.Name))
	}
	return p.Err()
}

func measureKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// registerRequest is the provider-level request for the register. The
// register holds no personal data, but reading and changing it are still
// decided and audited, so the route walk and the audit log see every visit.
func registerRequest(a access.Action, id, detail string) door.Request {
	return door.Request{Action: a, Purpose: access.Governance, ResourceType: "Device", ResourceID: id, Detail: detail}
}

// allowRegisterRead lets ViewGovernance or ManageTechRegister read the
// register: one decision, audited, whichever the actor holds.
func allowRegisterRead(sc *door.Scope, id string) error {
	a, err := sc.Check(registerRequest(access.ManageTechRegister, id, "read the technology register"))
	if err != nil {
		return err
	}
	if a.Decision.Permit {
		return nil
	}
	_, err = sc.Allow(registerRequest(access.ViewGovernance, id, "read the technology register"))
	return err
}

// Save adds a technology (ID empty) or records a new version of one. The
// version must be the one the editor started from: if someone saved in
// between, the save is refused as a conflict and nothing is lost.
func (s *Service) Save(ctx context.Context, actor door.Actor, t Technology, reason string) (Technology, error) {
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(registerRequest(access.ManageTechRegister, t.ID, "changed the technology register"))
		if err != nil {
			return err
		}
		reason = clean(reason)
		if err := t.normalise(); err != nil {
			return err
		}
		now := sc.Now()
		t.UpdatedAt, t.UpdatedBy = now, actor.Name
		if t.ID == "" {
			t.ID, t.Version = hearth.NewID(), 1
			if reason == "" {
				reason = "Added to the register"
			}
		} else {
			if !hearth.ValidID(t.ID) {
				return hearth.NotFound("That technology")
			}
			if reason == "" {
				return hearth.Invalid("Reason for change", "Say why the register entry is changing")
			}
			var current int
			err := sc.QueryRow(`SELECT version FROM tech_technologies WHERE id = ?`, t.ID).Scan(&current)
			if errors.Is(err, sql.ErrNoRows) {
				return hearth.NotFound("That technology")
			} else if err != nil {
				return err
			}
			if current != t.Version {
				return hearth.Errorf(hearth.KindConflict, "Someone else changed this register entry while you were editing it (now version %d). Your changes are below: check them against the latest and save again.", current)
			}
			t.Version++
		}
		a.ResourceID = t.ID
		a.Detail = fmt.Sprintf("%s version %d: %s", t.Name, t.Version, reason)
		data, err := toJSON(t)
		if err != nil {
			return err
		}
		if t.Version == 1 {
			_, err = sc.Exec(`INSERT INTO tech_technologies (id, version, name, status, data, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Version, t.Name, t.Status, data, now, actor.ID)
		} else {
			_, err = sc.Exec(`UPDATE tech_technologies SET version = ?, name = ?, status = ?, data = ?, updated_at = ?, updated_by = ?
				WHERE id = ? AND version = ?`, t.Version, t.Name, t.Status, data, now, actor.ID, t.ID, t.Version-1)
		}
		if store.IsUniqueViolation(err) {
			return hearth.Invalid("Name", "A technology with this name is already on the register")
		} else if err != nil {
			return err
		}
		_, err = sc.Exec(`INSERT INTO tech_technology_versions (technology_id, version, data, changed_at, changed_by, changed_name, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.Version, data, now, actor.ID, actor.Name, reason)
		return err
	})
	return t, err
}

func loadTechnology(sc *door.Scope, id string) (Technology, error) {
	var t Technology
	if !hearth.ValidID(id) {
		return t, hearth.NotFound("That technology")
	}
	var data string
	err := sc.QueryRow(`SELECT data FROM tech_technologies WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return t, hearth.NotFound("That technology")
	} else if err != nil {
		return t, err
	}
	return t, json.Unmarshal([]byte(data), &t)
}

func allTechnologies(sc *door.Scope) ([]Technology, error) {
	rows, err := sc.Query(`SELECT data FROM tech_technologies ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Technology
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var t Technology
		if err := json.Unmarshal([]byte(data), &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Register lists every technology on the register.
func (s *Service) Register(ctx context.Context, actor door.Actor) ([]Technology, error) {
	var out []Technology
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if err := allowRegisterRead(sc, ""); err != nil {
			return err
		}
		var err error
		out, err = allTechnologies(sc)
		return err
	})
	return out, err
}

// Version is one saved version of a register entry.
type Version struct {
	Technology
	ChangedAt   time.Time
	ChangedName string
	Reason      string
}

// Entry is a register entry with its history and the locations it names.
type Entry struct {
	Technology
	History   []Version
	Locations []people.Location
}

// ApprovedSettings names the settings in words.
func (e Entry) ApprovedSettings() []string {
	var out []string
	for _, l := range e.Locations {
		if has(e.ApprovedLocations, l.ID) {
			out = append(out, fmt.Sprintf("%s (%s)", l.Name, strings.ToLower(people.LocationKindTitle(l.Kind))))
		}
	}
	for _, k := range e.ApprovedServiceTypes {
		out = append(out, "Every "+strings.ToLower(people.LocationKindTitle(k)))
	}
	return out
}

// Get returns one register entry with its history, newest first.
func (s *Service) Get(ctx context.Context, actor door.Actor, id string) (Entry, error) {
	var e Entry
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if err := allowRegisterRead(sc, id); err != nil {
			return err
		}
		var err error
		if e.Technology, err = loadTechnology(sc, id); err != nil {
			return err
		}
		if e.Locations, err = locations(sc); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT data, changed_at, changed_name, reason FROM tech_technology_versions
			WHERE technology_id = ? ORDER BY version DESC`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v Version
			var data string
			if err := rows.Scan(&data, &v.ChangedAt, &v.ChangedName, &v.Reason); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(data), &v.Technology); err != nil {
				return err
			}
			e.History = append(e.History, v)
		}
		return rows.Err()
	})
	return e, err
}

func locations(sc *door.Scope) ([]people.Location, error) { return people.ListLocations(sc) }

func locationOf(sc *door.Scope, id string) (people.Location, error) {
	var l people.Location
	err := sc.QueryRow(`SELECT id, provider_id, name, kind FROM locations WHERE id = ?`, id).Scan(&l.ID, &l.ProviderID, &l.Name, &l.Kind)
	return l, err
}

// Locations lists the provider's locations, for the register form. It is
// organisation data, not personal data.
func (s *Service) Locations(ctx context.Context) ([]people.Location, error) {
	var out []people.Location
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		var err error
		out, err = people.ListLocations(q)
		return err
	})
	return out, err
}

func sortStrings(v []string) []string { sort.Strings(v); return v }

// KindText is the kind in words, for templates.
func (t Technology) KindText() string { return KindTitle(t.Kind) }

// SurveillanceText is the surveillance type in words, for templates.
func (t Technology) SurveillanceText() string { return SurveillanceTitle(t.SurveillanceType) }

// ApprovedFor reports whether a location ID or service type is approved.
func (t Technology) ApprovedFor(v string) bool {
	return has(t.ApprovedLocations, v) || has(t.ApprovedServiceTypes, v)
}

// Day formats a calendar date for a form's date input.
func (t Technology) Day(d time.Time) string { return DayString(d) }

// AssessmentForm is one assessment's fields for the register form: key
// (dtac, dpia, ehia), title, date and outcome.
func (t Technology) AssessmentForm(key string) map[string]string {
	a, title := t.DTAC, "DTAC (Digital Technology Assessment Criteria)"
	switch key {
	case "dpia":
		a, title = t.DPIA, "DPIA (data protection impact assessment)"
	case "ehia":
		a, title = t.EHIA, "Equality and health inequalities impact assessment (EHIA)"
	}
	return map[string]string{"key": key, "title": title, "date": DayString(a.Date), "outcome": a.Outcome}
}
