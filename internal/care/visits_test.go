package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

// homeCare is a home care branch with Ann's care worker on her team.
func homeCare(t *testing.T) (*apptest.Scenario, people.Location, apptest.Staff, people.Person) {
	s := apptest.NewScenario(t)
	branch := s.Location("Riverside Home Care", people.DomiciliaryBranch)
	coord := s.Staff("coordinator", access.RegisteredManager, branch)
	ed := s.Person(coord, branch, "Ed", "Lloyd", "")
	s.Assign(coord, ed, s.Carer)
	return s, branch, coord, ed
}

func schedule(t *testing.T, s *apptest.Scenario, coord apptest.Staff, p people.Person, start time.Time) care.Visit {
	t.Helper()
	v, err := s.Care.ScheduleVisit(s.Ctx, coord.Actor, p.ID, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30",
		Tasks: "Help with breakfast\nMorning medicines\n", AssignedTo: s.Carer.ID})
	if err != nil {
		t.Fatalf("schedule: %v", err)
	}
	return v
}

func TestAVisitIsLateFifteenMinutesIntoItsWindowAndMissedWithNoCheckInByTheEndPlusGrace(t *testing.T) {
	s, branch, coord, ed := homeCare(t)
	start := time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC)
	v := schedule(t, s, coord, ed, start)
	status := func() string {
		t.Helper()
		lv, err := s.Care.VisitsAt(s.Ctx, coord.Actor, branch.ID, time.Time{})
		if err != nil || len(lv.Visits) != 1 {
			t.Fatalf("visits: %v %d", err, len(lv.Visits))
		}
		return lv.Visits[0].Status
	}
	for _, st := range []struct {
		at   string
		want string
	}{{"10:59", care.VisitPlanned}, {"11:00", care.VisitDue}, {"11:15", care.VisitDue}, {"11:16", care.VisitLate},
		{"12:29", care.VisitLate}, {"12:30", care.VisitMissed}} {
		tm, _ := time.Parse("15:04", st.at)
		s.Clock.Set(time.Date(2026, 3, 3, tm.Hour(), tm.Minute(), 0, 0, time.UTC))
		if got := status(); got != st.want {
			t.Errorf("at %s the visit is %q, want %q", st.at, got, st.want)
		}
	}
	// A late check-in turns it into a late arrival, not a missed visit.
	if err := s.Care.CheckIn(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Date(2026, 3, 3, 11, 20, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	lv, _ := s.Care.VisitsAt(s.Ctx, coord.Actor, branch.ID, time.Time{})
	if got := lv.Visits[0]; got.Status != care.VisitInProgress || !got.ArrivedLate || got.MinutesLate != 20 || lv.Late != 1 || lv.Missed != 0 {
		t.Errorf("after a check-in at 11:20: %+v (late %d, missed %d)", got, lv.Late, lv.Missed)
	}
	if err := s.Care.CheckIn(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Time{}); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("a second check-in: %v, want a conflict", err)
	}
}

func TestSchedulingNeedsWritePlanAndACareWorkerOnThePersonsTeam(t *testing.T) {
	s, _, coord, ed := homeCare(t)
	start := s.Clock.Now().Add(time.Hour)
	_, err := s.Care.ScheduleVisit(s.Ctx, s.Carer.Actor, ed.ID, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30", Tasks: "Lunch", AssignedTo: s.Carer.ID})
	if hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker scheduled a visit: %v", err)
	}
	_, err = s.Care.ScheduleVisit(s.Ctx, coord.Actor, ed.ID, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30", Tasks: "Lunch", AssignedTo: s.OtherCarer.ID})
	if want := "Test other is not on this person's care team: add them to the team first"; obsProblem(err, "Care worker") != want {
		t.Errorf("assigned to someone off the team: %v", err)
	}
	_, err = s.Care.ScheduleVisit(s.Ctx, coord.Actor, ed.ID, care.VisitInput{Start: start, End: start.Add(-time.Hour), PlannedMinutes: "3"})
	for field, want := range map[string]string{"End": "The window must end after it starts", "Planned length": "Planned length must be between 5 and 720 minutes",
		"Tasks": "List at least one task, one a line", "Care worker": "Choose who will visit"} {
		if got := obsProblem(err, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM visits`); n != 0 {
		t.Errorf("refused schedules wrote %d visits", n)
	}
}

func TestCheckOutMarksEveryTaskDoneOrNotDoneWithAReason(t *testing.T) {
	s, _, coord, ed := homeCare(t)
	v := schedule(t, s, coord, ed, s.Clock.Now().Add(-10*time.Minute))
	if err := s.Care.CheckOut(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Time{}, nil, ""); obsProblem(err, "Visit") != "Check in before checking out" {
		t.Errorf("check-out before check-in: %v", err)
	}
	if err := s.Care.CheckIn(s.Ctx, s.OtherCarer.Actor, ed.ID, v.ID, time.Time{}); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("a care worker off the team checked in: %v", err)
	}
	if err := s.Care.CheckIn(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(30 * time.Minute)
	breakfast, meds := v.Tasks[0].ID, v.Tasks[1].ID
	err := s.Care.CheckOut(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Time{}, map[string]care.TaskOutcome{breakfast: {Set: true, Done: true}, meds: {Set: true}}, "")
	if !strings.Contains(obsProblem(err, "Task Morning medicines"), "was not done") {
		t.Errorf("a task not done without a reason: %v", err)
	}
	err = s.Care.CheckOut(s.Ctx, s.Carer.Actor, ed.ID, v.ID, time.Time{}, map[string]care.TaskOutcome{breakfast: {Set: true, Done: true},
		meds: {Set: true, Reason: "Ed had taken them with his daughter"}}, "All well")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := s.Care.Visits(s.Ctx, s.Carer.Actor, ed.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := pg.Visits[0]
	if got.Status != care.VisitDone || got.MinutesStayed != 30 || !got.Tasks[0].Done || got.Tasks[1].Done || got.Tasks[1].Reason == "" {
		t.Errorf("after check-out: %+v", got)
	}
}

func TestMyShiftShowsMyPeopleTodaysVisitsMedicinesDueAndAlertsEachAnAuditedRead(t *testing.T) {
	s, _, coord, ed := homeCare(t)
	schedule(t, s, coord, ed, s.Clock.Now().Add(time.Hour))
	addMedicine(t, s, care.MedicineInput{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule", Times: "08:00, 18:00"})
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1500", ""); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(5 * time.Hour) // 15:00: the 08:00 Ramipril was missed, Ann has drunk nothing
	sh, err := s.Care.MyShift(s.Ctx, s.Carer.Actor)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range sh.People {
		names = append(names, p.Person.FullName())
	}
	if strings.Join(names, ",") != "Ann Jones,Ed Lloyd" {
		t.Errorf("my people: %v", names)
	}
	ann := sh.People[0]
	if len(ann.Alerts) != 1 || ann.Alerts[0].Kind != care.AlertFluidsLow {
		t.Errorf("Ann's alerts: %+v", ann.Alerts)
	}
	if len(ann.Medicines) != 1 || ann.Medicines[0].Slots[0].Status != care.SlotMissed || sh.DueCount != 1 {
		t.Errorf("Ann's medicines due: %+v", ann.Medicines)
	}
	if len(sh.Visits) != 1 || sh.Visits[0].PersonName != "Ed Lloyd" {
		t.Errorf("my visits: %+v", sh.Visits)
	}
	reads := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'read-record' AND detail = 'my shift'`, s.Carer.ID)
	if reads != 2 {
		t.Errorf("want one audited read per person shown, got %d", reads)
	}
	other, err := s.Care.MyShift(s.Ctx, s.OtherCarer.Actor)
	if err != nil || len(other.People) != 0 || len(other.Visits) != 0 {
		t.Errorf("a care worker on no one's team: %+v %v", other, err)
	}
}
