package care_test

// Writes to one person happen in order, on both engines (DESIGN.md
// invariant 7; docs/architecture.md, "Writes to one person happen in
// order"). Every rule of the form "read, check, then write" is fired by
// twenty members of the person's care team at the same moment, released
// together from one barrier, through the same service call a form makes;
// exactly the permitted outcome must be stored, everyone else must be told
// why, and every attempt must be audited with its outcome. The suite runs on
// SQLite and, under HEARTH_TEST_ENGINE=postgres, on PostgreSQL, where
// before the door locked the person's row up to 16 of 20 simultaneous PRN
// doses were recorded despite a four-hour minimum gap (the minimum-gap case
// failed 16 runs in 20, the 24-hour maximum 9 in 20).

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

// racers is how many members of staff press save at the same moment.
const racers = 20

// race is one check-then-write rule under concurrent requests.
type race struct {
	name   string
	role   access.Role   // the role each racer holds, on the person's care team
	action access.Action // the action each attempt is decided and audited as
	// prepare writes what the rule checks against in p's record and
	// returns the attempt each racer makes, and who wrote the rows the race
	// is about.
	prepare func(t *testing.T, s *apptest.Scenario, p people.Person) (attempt func(st apptest.Staff) error, writers func(*testing.T) []string)
	// refusal is exactly what everyone but the winner is told.
	kind    hearth.Kind
	refusal func(s *apptest.Scenario, winner apptest.Staff) string
}

func TestWritesToOnePersonHappenInOrderUnderConcurrentRequests(t *testing.T) {
	// Slots and medicines rounds read UK time; 3 March is GMT, so 10:00
	// UTC is 10:00 in the messages.
	now := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	// One Hearth for every rule: building one takes seconds on PostgreSQL.
	s := apptest.NewScenario(t)
	teams := map[access.Role][]apptest.Staff{
		access.CareWorker:  s.Team(s.Manager, s.Ann, access.CareWorker, "carer", racers),
		access.SeniorCarer: s.Team(s.Manager, s.Ann, access.SeniorCarer, "senior", racers),
	}
	cases := 0
	for _, r := range []race{
		{
			name: "Twenty simultaneous PRN doses inside the minimum gap: exactly one recorded, the others told when the next may be given",
			role: access.CareWorker, action: access.AdministerMedicines,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				m := addMedicineFor(t, s, p, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets", PRN: true,
					MinIntervalHours: "4", Max24h: "4"})
				return giveNow(s, p, m), recordedBy(s, m)
			},
			kind: hearth.KindInvalid,
			refusal: func(*apptest.Scenario, apptest.Staff) string {
				return "Check the form; Medicine: The last dose was at 10:00; the minimum gap is 4 hours, so the next can be from 14:00."
			},
		},
		{
			name: "Twenty simultaneous PRN doses with one left under the 24-hour maximum: exactly one recorded, the others told the maximum",
			role: access.CareWorker, action: access.AdministerMedicines,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				m := addMedicineFor(t, s, p, care.MedicineInput{Name: "Codeine", Strength: "30 mg", Dose: "1 tablet", PRN: true,
					MinIntervalHours: "4", Max24h: "3"})
				for _, ago := range []time.Duration{10 * time.Hour, 5 * time.Hour} {
					_, err := s.Care.RecordDose(s.Ctx, s.Manager.Actor, p.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given,
						At: s.Clock.Now().Add(-ago)})
					if err != nil {
						t.Fatal(err)
					}
				}
				return giveNow(s, p, m), recordedBy(s, m)
			},
			kind: hearth.KindInvalid,
			refusal: func(*apptest.Scenario, apptest.Staff) string {
				return "Check the form; Medicine: 3 doses in the last 24 hours already; the maximum is 3. The next can be from 00:00 on 4 March."
			},
		},
		{
			name: "Twenty staff recording the same scheduled dose: it is given once, the others told it is already recorded",
			role: access.CareWorker, action: access.AdministerMedicines,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				m := addMedicineFor(t, s, p, care.MedicineInput{Name: "Amoxicillin", Strength: "500 mg", Dose: "1 capsule", Times: "08:00, 14:00"})
				slot := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
				return func(st apptest.Staff) error {
					_, err := s.Care.RecordDose(s.Ctx, st.Actor, p.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, Outcome: care.Given})
					return err
				}, recordedBy(s, m)
			},
			kind: hearth.KindConflict,
			refusal: func(*apptest.Scenario, apptest.Staff) string {
				return "The 08:00 dose of Amoxicillin has already been recorded by someone else. Look at the round again."
			},
		},
		{
			name: "Twenty staff checking in to one visit: it is checked in once",
			role: access.CareWorker, action: access.WriteRecord,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				v := scheduleNow(t, s, p)
				return func(st apptest.Staff) error {
					return s.Care.CheckIn(s.Ctx, st.Actor, p.ID, v.ID, time.Time{})
				}, writersOf(s, `SELECT checked_in_by FROM visits WHERE id = ? AND checked_in_at IS NOT NULL`, v.ID)
			},
			kind:    hearth.KindConflict,
			refusal: func(*apptest.Scenario, apptest.Staff) string { return "This visit has already been checked in" },
		},
		{
			name: "Twenty staff checking out of one visit: it is checked out once, with the winner's task outcomes",
			role: access.CareWorker, action: access.WriteRecord,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				v := scheduleNow(t, s, p)
				if err := s.Care.CheckIn(s.Ctx, s.Manager.Actor, p.ID, v.ID, time.Time{}); err != nil {
					t.Fatal(err)
				}
				tasks := map[string]care.TaskOutcome{}
				for _, task := range v.Tasks {
					tasks[task.ID] = care.TaskOutcome{Set: true, Done: true}
				}
				return func(st apptest.Staff) error {
						return s.Care.CheckOut(s.Ctx, st.Actor, p.ID, v.ID, time.Time{}, tasks, "Checked out by "+st.Username)
					}, writersOf(s, `SELECT v.checked_out_by FROM visits v WHERE v.id = ? AND v.checked_out_at IS NOT NULL
						AND v.outcome_note = 'Checked out by ' || (SELECT username FROM users WHERE id = v.checked_out_by)
						AND NOT EXISTS (SELECT 1 FROM visit_tasks t WHERE t.visit_id = v.id AND t.recorded_by <> v.checked_out_by)`, v.ID)
			},
			kind:    hearth.KindConflict,
			refusal: func(*apptest.Scenario, apptest.Staff) string { return "This visit has already been checked out" },
		},
		{
			name: "Twenty staff changing the same version of a care plan: one new version, the others told who saved first",
			role: access.SeniorCarer, action: access.WritePlan,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				v1, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, p.ID, planDraft(s))
				if err != nil {
					t.Fatal(err)
				}
				return func(st apptest.Staff) error {
					d := v1.Draft()
					d.Preferences, d.Reason = "As "+st.Username+" heard it", "Review by "+st.Username
					_, err := s.Care.ReviseCarePlan(s.Ctx, st.Actor, p.ID, v1.PlanID, d)
					return err
				}, writersOf(s, `SELECT author_id FROM care_plan_versions WHERE plan_id = ? AND version > 1`, v1.PlanID)
			},
			kind:    hearth.KindConflict,
			refusal: func(s *apptest.Scenario, w apptest.Staff) string { return savedFirst("care plan", w) },
		},
		{
			name: "Twenty staff changing the same version of a risk assessment: one new version, the others told who saved first",
			role: access.SeniorCarer, action: access.WritePlan,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				v1, err := s.Care.SaveRisk(s.Ctx, s.Manager.Actor, p.ID, "", riskDraft(s))
				if err != nil {
					t.Fatal(err)
				}
				return func(st apptest.Staff) error {
					d := v1.Draft()
					d.Reduces, d.Reason = "As "+st.Username+" assessed it", "Review by "+st.Username
					_, err := s.Care.SaveRisk(s.Ctx, st.Actor, p.ID, v1.RiskID, d)
					return err
				}, writersOf(s, `SELECT author_id FROM risk_versions WHERE risk_id = ? AND version > 1`, v1.RiskID)
			},
			kind:    hearth.KindConflict,
			refusal: func(s *apptest.Scenario, w apptest.Staff) string { return savedFirst("risk assessment", w) },
		},
		{
			name: "Twenty staff changing the same version of a safety plan: one new version, the others told who saved first",
			role: access.SeniorCarer, action: access.WritePlan,
			prepare: func(t *testing.T, s *apptest.Scenario, p people.Person) (func(apptest.Staff) error, func(*testing.T) []string) {
				v1, err := s.Care.SaveSafetyPlan(s.Ctx, s.Manager.Actor, p.ID, care.SafetyDraft{Triggers: "Loud arguments",
					WarningSigns: "I stay in my room", WhatHelps: "Sitting in the garden", Contacts: "Sue (daughter) 07700 900123",
					Involved: care.Involvement{Kinds: []string{"person"}}, ReviewOn: s.Clock.Now().AddDate(0, 0, 14)})
				if err != nil {
					t.Fatal(err)
				}
				return func(st apptest.Staff) error {
					d := v1.Draft()
					d.WhatHelps, d.Reason = "As "+st.Username+" heard it", "Review by "+st.Username
					_, err := s.Care.SaveSafetyPlan(s.Ctx, st.Actor, p.ID, d)
					return err
				}, writersOf(s, `SELECT author_id FROM safety_plan_versions WHERE person_id = ? AND version > 1`, p.ID)
			},
			kind:    hearth.KindConflict,
			refusal: func(s *apptest.Scenario, w apptest.Staff) string { return savedFirst("safety plan", w) },
		},
	} {
		t.Run(r.name, func(t *testing.T) {
			s.Clock.Set(now)
			// Each rule races on a person of its own, whose care team is
			// the twenty racers.
			cases++
			p := s.Person(s.Manager, s.Home, "Race", fmt.Sprintf("Case %d", cases), "")
			team := teams[r.role]
			for _, st := range team {
				s.Assign(s.Manager, p, st)
			}
			attempt, writers := r.prepare(t, s, p)
			errs := s.Together(racers, func(i int) error { return attempt(team[i]) })

			var won []apptest.Staff
			for i, err := range errs {
				switch {
				case err == nil:
					won = append(won, team[i])
				case hearth.KindOf(err) == hearth.KindInternal:
					t.Errorf("%s got a fault, not a refusal: %v", team[i].Username, err)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%d of %d simultaneous attempts succeeded, want exactly 1", len(won), racers)
			}
			winner := won[0]
			if got := writers(t); !slices.Equal(got, []string{winner.ID}) {
				t.Errorf("stored rows written by %v, want exactly one, by the winner %s", got, winner.ID)
			}
			want := r.refusal(s, winner)
			for i, err := range errs {
				if err != nil && (hearth.KindOf(err) != r.kind || err.Error() != want) {
					t.Errorf("%s was told %v (kind %d), want %q (kind %d)", team[i].Username, err, hearth.KindOf(err), want, r.kind)
				}
			}
			// Every attempt is audited once, as decided and as it ended.
			for _, st := range team {
				wantOutcome := "permit/invalid"
				if st.ID == winner.ID {
					wantOutcome = "permit/success"
				}
				if got := attemptsAudited(t, s, st, p, r.action); !slices.Equal(got, []string{wantOutcome}) {
					t.Errorf("%s's attempt is audited as %v, want [%s]", st.Username, got, wantOutcome)
				}
			}
		})
	}
}

func giveNow(s *apptest.Scenario, p people.Person, m care.Medicine) func(apptest.Staff) error {
	return func(st apptest.Staff) error {
		_, err := s.Care.RecordDose(s.Ctx, st.Actor, p.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given})
		return err
	}
}

// recordedBy is who recorded each dose of m in the race (doses recorded
// beforehand are the manager's).
func recordedBy(s *apptest.Scenario, m care.Medicine) func(*testing.T) []string {
	return writersOf(s, `SELECT recorded_by FROM medicine_doses WHERE medicine_id = ? AND recorded_by <> ?`, m.ID, s.Manager.ID)
}

func writersOf(s *apptest.Scenario, query string, args ...any) func(*testing.T) []string {
	return func(t *testing.T) []string {
		t.Helper()
		rows, err := s.DB.Query(s.Ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// attemptsAudited is how st's decisions about p for action were audited,
// as "decision/outcome".
func attemptsAudited(t *testing.T, s *apptest.Scenario, st apptest.Staff, p people.Person, action access.Action) []string {
	t.Helper()
	rows, err := s.DB.Query(s.Ctx, `SELECT decision, outcome FROM audit_events WHERE actor_id = ? AND person_id = ? AND action = ?
		ORDER BY id`, st.ID, p.ID, action.String())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var decision, outcome string
		if err := rows.Scan(&decision, &outcome); err != nil {
			t.Fatal(err)
		}
		out = append(out, decision+"/"+outcome)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func scheduleNow(t *testing.T, s *apptest.Scenario, p people.Person) care.Visit {
	t.Helper()
	start := s.Clock.Now().Add(-30 * time.Minute)
	v, err := s.Care.ScheduleVisit(s.Ctx, s.Manager.Actor, p.ID, care.VisitInput{Start: start, End: start.Add(time.Hour),
		PlannedMinutes: "30", Tasks: "Help with breakfast\nMorning medicines", AssignedTo: s.Manager.ID})
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	return v
}

// savedFirst is the conflict a versioned record's losers see: who saved
// first, and when (UK time).
func savedFirst(what string, winner apptest.Staff) string {
	return fmt.Sprintf("Someone else changed this %s since you opened it: %s saved version 2 at 10:00 on 3 March 2026 UK time. "+
		"Nothing was saved, and nothing is lost: your text is below. Read their version, then save yours again if it is still right.",
		what, winner.DisplayName)
}
