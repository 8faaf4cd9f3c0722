package care

// The whole care record of one person, every version of every entry, for a
// copy of everything and for the FHIR API: each function here reads inside
// a door scope that has already permitted the matching read about the
// person (sc.Require), and leaves out what is withheld from the person and
// their representatives (sc.Unwithheld decides and audits each withheld
// entry), exactly as the pages do.

import (
	"database/sql"
	"time"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Window limits entries by the time of care: From inclusive, To exclusive;
// a zero bound is open. Functions taking a window may return entries
// outside it (every version of an entry with one version inside, so a
// correction is never split from what it corrects); callers filter exactly.
type Window struct {
	From, To time.Time
	// Only narrows the read to one entry and its line of versions (a read
	// of one entry by its id); the window's times are then ignored.
	Only string
}

func (w Window) bounds() (time.Time, time.Time) {
	from, to := w.From, w.To
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return from.UTC(), to.UTC()
}

// all reports whether the window holds every entry.
func (w Window) all() bool { return w.From.IsZero() && w.To.IsZero() && w.Only == "" }

func exportUnwithheld(sc *door.Scope, action access.Action, personID, detail string, types ...string) (door.Excluded, error) {
	if err := sc.Require(personID, action); err != nil {
		return door.Excluded{}, err
	}
	return sc.Unwithheld(door.Request{Action: action, Purpose: people.Purpose(sc.Actor()), PersonID: personID, Detail: detail}, types...)
}

// AboutMeOf reads every About Me entry of the person, newest first.
func AboutMeOf(sc *door.Scope, personID string) ([]AboutMeEntry, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld About Me entry", "QuestionnaireResponse")
	if err != nil {
		return nil, err
	}
	secs, err := aboutMeSections(sc.Context(), sc, personID, out)
	if err != nil {
		return nil, err
	}
	var list []AboutMeEntry
	for _, s := range secs {
		list = append(list, s.Entries...)
	}
	sortStable(list, func(a, b AboutMeEntry) bool { return a.WrittenAt.After(b.WrittenAt) })
	return list, nil
}

// NotesOf reads the person's daily notes whose care fell in w, with every
// correction and what it corrects, newest care first.
func NotesOf(sc *door.Scope, personID string, w Window) ([]Note, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld daily note", "DailyNote")
	if err != nil {
		return nil, err
	}
	from, to := w.bounds()
	notWithheld, args := out.Not("n.id")
	in, inArgs := `n.care_at >= ? AND n.care_at < ?`, []any{from, to}
	if w.Only != "" {
		in, inArgs = `n.id = ?`, []any{w.Only}
	}
	cond := `((` + in + `) OR n.corrects_id IS NOT NULL OR c.id IS NOT NULL)`
	if w.all() {
		cond, inArgs = `1 = 1`, nil
	}
	return loadNotes(sc, `n.person_id = ? AND `+cond+` AND `+notWithheld, "", append(append([]any{personID}, inArgs...), args...)...)
}

// PlanVersionsOf reads every version of every care plan, by plan and
// version.
func PlanVersionsOf(sc *door.Scope, personID string) ([]PlanVersion, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld care plan", "CarePlan")
	if err != nil {
		return nil, err
	}
	notPlan, args := out.Not("v.plan_id")
	notVersion, more := out.Not("v.id")
	rows, err := sc.Query(`SELECT `+planVersionColumns+` FROM care_plan_versions v JOIN care_plans p ON p.id = v.plan_id
		WHERE v.person_id = ? AND `+notPlan+` AND `+notVersion+` ORDER BY p.created_at, v.plan_id, v.version`,
		append(append([]any{personID}, args...), more...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []PlanVersion
	for rows.Next() {
		v, err := scanPlanVersion(rows, sc.Now())
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// RiskVersionsOf reads every version of every risk assessment, by
// assessment and version.
func RiskVersionsOf(sc *door.Scope, personID string) ([]RiskVersion, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld risk assessment", "RiskAssessment")
	if err != nil {
		return nil, err
	}
	notRisk, args := out.Not("v.risk_id")
	notVersion, more := out.Not("v.id")
	rows, err := sc.Query(`SELECT `+riskColumns+` FROM risk_versions v JOIN risk_assessments r ON r.id = v.risk_id
		WHERE v.person_id = ? AND `+notRisk+` AND `+notVersion+` ORDER BY r.created_at, v.risk_id, v.version`,
		append(append([]any{personID}, args...), more...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []RiskVersion
	for rows.Next() {
		v, err := scanRisk(rows, sc.Now())
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// SafetyVersionsOf reads every version of the person's safety plan, oldest
// first.
func SafetyVersionsOf(sc *door.Scope, personID string) ([]SafetyVersion, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld safety plan", "SafetyPlan")
	if err != nil {
		return nil, err
	}
	notWithheld, args := out.Not("id")
	rows, err := sc.Query(`SELECT `+safetyColumns+` FROM safety_plan_versions WHERE person_id = ? AND `+notWithheld+` ORDER BY version`,
		append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []SafetyVersion
	for rows.Next() {
		v, err := scanSafety(rows, sc.Now())
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// ObservationsOf reads the person's observations taken in w, with every
// correction and what it corrects, oldest first.
func ObservationsOf(sc *door.Scope, personID string, w Window) ([]Observation, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld observation", "Observation")
	if err != nil {
		return nil, err
	}
	from, to := w.bounds()
	notWithheld, args := out.Not("o.id")
	in, inArgs := `o.taken_at >= ? AND o.taken_at < ?`, []any{from, to}
	if w.Only != "" {
		in, inArgs = `o.id = ?`, []any{w.Only}
	}
	cond := `((` + in + `) OR o.corrects_id IS NOT NULL OR EXISTS (SELECT 1 FROM observations c WHERE c.corrects_id = o.id))`
	if w.all() {
		cond, inArgs = `1 = 1`, nil
	}
	rows, err := sc.Query(`SELECT `+obsColumns+` FROM observations o JOIN users u ON u.id = o.recorded_by
		WHERE o.person_id = ? AND `+cond+` AND `+notWithheld+`
		ORDER BY o.taken_at, o.id`, append(append([]any{personID}, inArgs...), args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Observation
	for rows.Next() {
		o, err := scanObs(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, o)
	}
	return list, rows.Err()
}

// FluidTarget is one daily fluid target; the newest is in force.
type FluidTarget struct {
	ID       string
	TargetML int
	Note     string
	SetAt    time.Time
	SetBy    string
	SetByID  string
}

// FluidTargetsOf reads every fluid target set for the person, oldest first.
func FluidTargetsOf(sc *door.Scope, personID string) ([]FluidTarget, error) {
	if err := sc.Require(personID, access.ReadRecord); err != nil {
		return nil, err
	}
	rows, err := sc.Query(`SELECT t.id, t.target_ml, t.note, t.set_at, u.display_name, t.set_by FROM fluid_targets t
		JOIN users u ON u.id = t.set_by WHERE t.person_id = ? ORDER BY t.set_at, t.id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []FluidTarget
	for rows.Next() {
		var t FluidTarget
		if err := rows.Scan(&t.ID, &t.TargetML, &t.Note, &t.SetAt, &t.SetBy, &t.SetByID); err != nil {
			return nil, err
		}
		t.SetAt = t.SetAt.UTC()
		list = append(list, t)
	}
	return list, rows.Err()
}

// MedicinesOf reads every medicine on the person's list, current and
// stopped, as they stand at the scope's time.
func MedicinesOf(sc *door.Scope, personID string) ([]Medicine, error) {
	out, err := exportUnwithheld(sc, access.ReadMedicines, personID, "a withheld medicine", "MedicationStatement", "MedicationRequest")
	if err != nil {
		return nil, err
	}
	return listMedicines(sc, personID, sc.Now(), out)
}

// DosesOf reads the person's administration records in w, every record
// including those later corrected (Corrects names what a correction
// replaces), oldest first.
func DosesOf(sc *door.Scope, personID string, w Window) ([]Dose, error) {
	out, err := exportUnwithheld(sc, access.ReadMedicines, personID, "a withheld medicine or dose",
		"MedicationStatement", "MedicationRequest", "MedicationAdministration")
	if err != nil {
		return nil, err
	}
	from, to := w.bounds()
	notMedicine, args := out.Not("d.medicine_id")
	notDose, more := out.Not("d.id")
	notWithheld := notMedicine + " AND " + notDose
	args = append(args, more...)
	in, inArgs := `d.at >= ? AND d.at < ?`, []any{from, to}
	if w.Only != "" {
		in, inArgs = `d.id = ?`, []any{w.Only}
	}
	cond := `((` + in + `) OR d.corrects_id IS NOT NULL OR EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id))`
	if w.all() {
		cond, inArgs = `1 = 1`, nil
	}
	rows, err := sc.Query(`SELECT d.id, d.medicine_id, m.name, d.scheduled_for, d.at, d.outcome, d.reason_code, d.note,
		COALESCE(w.display_name, ''), d.recorded_at, u.display_name, COALESCE(d.corrects_id, ''), d.correction_reason, COALESCE(o.outcome, '')
		FROM medicine_doses d JOIN medicines m ON m.id = d.medicine_id
		JOIN users u ON u.id = d.recorded_by LEFT JOIN users w ON w.id = d.witness_id LEFT JOIN medicine_doses o ON o.id = d.corrects_id
		WHERE d.person_id = ? AND `+cond+` AND `+notWithheld+` ORDER BY d.at, d.id`,
		append(append([]any{personID}, inArgs...), args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Dose
	for rows.Next() {
		var d Dose
		var sched sql.NullTime
		if err := rows.Scan(&d.ID, &d.MedicineID, &d.MedicineName, &sched, &d.At, &d.Outcome, &d.ReasonCode, &d.Note,
			&d.WitnessName, &d.RecordedAt, &d.RecordedByName, &d.Corrects, &d.CorrectionReason, &d.WasOutcome); err != nil {
			return nil, err
		}
		if sched.Valid {
			d.ScheduledFor = sched.Time.UTC()
		}
		d.At, d.RecordedAt = d.At.UTC(), d.RecordedAt.UTC()
		list = append(list, d)
	}
	return list, rows.Err()
}

// VisitsOf reads the person's visits whose window starts in w, oldest
// first, each with its tasks and its status at the scope's time.
func (s *Service) VisitsOf(sc *door.Scope, personID string, w Window) ([]Visit, error) {
	out, err := exportUnwithheld(sc, access.ReadRecord, personID, "a withheld visit", "Encounter", "Appointment")
	if err != nil {
		return nil, err
	}
	from, to := w.bounds()
	notWithheld, args := out.Not("v.id")
	if w.Only != "" {
		return s.loadVisits(sc, `v.person_id = ? AND v.id = ? AND `+notWithheld, sc.Now(), append([]any{personID, w.Only}, args...)...)
	}
	return s.loadVisits(sc, `v.person_id = ? AND v.window_start >= ? AND v.window_start < ? AND `+notWithheld, sc.Now(),
		append([]any{personID, from, to}, args...)...)
}

// AlertsOf is the person's alerts now, as the person page shows them.
func (s *Service) AlertsOf(sc *door.Scope, personID string) ([]Alert, error) {
	if err := sc.Require(personID, access.ReadRecord); err != nil {
		return nil, err
	}
	return s.alertsFor(sc, personID, sc.Now())
}

// Label is a stored value and its words, for the vocabularies the care
// record uses (published as code systems by the API).
type Label = Choice

// Vocabularies the care record codes its entries with, by name.
func Vocabularies() map[string][]Choice {
	sections := make([]Choice, len(AboutMeSections))
	for i, s := range AboutMeSections {
		sections[i] = Choice{s.Key, s.Title}
	}
	return map[string][]Choice{
		"note-category":     NoteCategories,
		"about-me-section":  sections,
		"care-plan-area":    PlanAreas,
		"plan-agreement":    Agreements,
		"involvement":       InvolvementKinds,
		"medicine-route":    MedicineRoutes,
		"medicine-source":   MedicineSources,
		"dose-outcome":      DoseOutcomes,
		"dose-reason":       allDoseReasons,
		"meal":              Meals,
		"portion":           Portions,
		"consciousness":     ACVPULevels,
		"accessible-format": AccessibleFormats,
	}
}
