package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

// obsProblem returns the message for field in err, or "".
func obsProblem(err error, field string) string {
	e, ok := err.(*hearth.Error)
	if !ok {
		return ""
	}
	for _, p := range e.Problems {
		if p.Field == field {
			return p.Message
		}
	}
	return ""
}

func obsCount(s *apptest.Scenario) int { return s.Count(`SELECT COUNT(*) FROM observations`) }

func drink(t *testing.T, s *apptest.Scenario, ml string, at time.Time) care.Observation {
	t.Helper()
	o, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: ml, What: "Tea", At: at})
	if err != nil {
		t.Fatalf("record %s ml: %v", ml, err)
	}
	return o
}

func TestAFluidAmountMustBeMoreThanNothingAndAtMostFiveLitresAndBadInputChangesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	cases := []struct{ name, amount, want string }{
		// Worded as the NHS.UK design system words number errors, with
		// the unit spelled out (issue 15).
		{"a negative amount", "-200", "Amount must be between 1 and 5000 millilitres"},
		{"nothing at all", "0", "Amount must be between 1 and 5000 millilitres"},
		{"an implausible amount over 5 litres", "5001", "Amount must be between 1 and 5000 millilitres"},
		{"not a number", "a cup", "Enter amount in millilitres as a whole number"},
		{"a decimal", "150.5", "Enter amount in millilitres as a whole number"},
		{"left empty", "", "Enter the amount in millilitres"},
	}
	for _, c := range cases {
		_, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: c.amount})
		if hearth.KindOf(err) != hearth.KindInvalid || obsProblem(err, "Amount") != c.want {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if n := obsCount(s); n != 0 {
		t.Fatalf("bad input wrote %d observations", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-record' AND outcome = 'invalid'`, s.Carer.ID); n != len(cases) {
		t.Errorf("want each refused attempt audited, got %d events", n)
	}
	drink(t, s, "5000", time.Time{})
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200", At: s.Clock.Now().Add(time.Hour)}); obsProblem(err, "Time") == "" {
		t.Errorf("a drink in the future was accepted: %v", err)
	}
}

func TestTheRunningTotalCountsTodaysDrinksInTheUKDayAgainstTheTarget(t *testing.T) {
	s := apptest.NewScenario(t)
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", "GP advice"); err != nil {
		t.Fatal(err)
	}
	// 10:00 on 3 March. A drink late last night is yesterday's.
	now := s.Clock.Now()
	drink(t, s, "300", now.Add(-11*time.Hour))
	drink(t, s, "250", now.Add(-2*time.Hour))
	drink(t, s, "150", now.Add(-time.Hour))
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidOut, Amount: "400"}); err != nil {
		t.Fatal(err)
	}
	pg, err := s.Care.Observations(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pg.TargetML != 1600 || pg.IntakeML != 400 || pg.OutputML != 400 || len(pg.Fluids) != 3 {
		t.Errorf("target %d intake %d output %d entries %d; want 1600, 400, 400, 3", pg.TargetML, pg.IntakeML, pg.OutputML, len(pg.Fluids))
	}
	if pg.TargetPct() != 25 {
		t.Errorf("progress %d%%, want 25%%", pg.TargetPct())
	}
}

func TestACorrectionIsANewEntryWithAReasonAndTheOriginalStaysReadable(t *testing.T) {
	s := apptest.NewScenario(t)
	wrong := drink(t, s, "2000", time.Time{})
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200", Corrects: wrong.ID}); obsProblem(err, "Reason") == "" {
		t.Fatalf("a correction without a reason was accepted: %v", err)
	}
	fixed, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200", What: "Tea",
		Corrects: wrong.ID, Reason: "Typed an extra zero"})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := s.Care.Observations(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pg.IntakeML != 200 || len(pg.Fluids) != 1 || pg.Fluids[0].ID != fixed.ID {
		t.Errorf("after correction: intake %d, entries %+v", pg.IntakeML, pg.Fluids)
	}
	if orig := pg.Originals[fixed.ID]; orig.AmountML != 2000 {
		t.Errorf("the original is not readable beside its correction: %+v", orig)
	}
	if n := obsCount(s); n != 2 {
		t.Errorf("want both rows kept, got %d", n)
	}
	_, err = s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "250", Corrects: wrong.ID, Reason: "again"})
	if hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("a second correction of the same entry: %v, want a conflict", err)
	}
	_, err = s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: "60", Corrects: fixed.ID, Reason: "x"})
	if obsProblem(err, "Entry") == "" {
		t.Errorf("a weight correcting a drink was accepted: %v", err)
	}
}

func TestOnlyPlanWritersSetTheFluidTargetAndCareWorkersOffTheTeamRecordNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	if err := s.Care.SetFluidTarget(s.Ctx, s.Carer.Actor, s.Ann.ID, "1500", ""); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker set a fluid target: %v", err)
	}
	nurse := s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, nurse)
	if err := s.Care.SetFluidTarget(s.Ctx, nurse.Actor, s.Ann.ID, "100", ""); obsProblem(err, "Daily target") == "" {
		t.Errorf("a 100 ml target was accepted: %v", err)
	}
	if err := s.Care.SetFluidTarget(s.Ctx, nurse.Actor, s.Ann.ID, "1500", "dietitian"); err != nil {
		t.Errorf("a nurse on the team could not set the target: %v", err)
	}
	_, err := s.Care.Record(s.Ctx, s.OtherCarer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200"})
	if hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("a care worker off Ann's team recorded a drink: %v", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND person_id = ? AND decision = 'deny' AND reason = 'no-relationship'`,
		s.OtherCarer.ID, s.Ann.ID); n != 1 {
		t.Errorf("the refused attempt was not audited as a denial (%d events)", n)
	}
	if n := obsCount(s); n != 0 {
		t.Errorf("a denied attempt wrote %d rows", n)
	}
}

func TestWeightShowsTheChangeOverThirtyDaysAndBMIFromTheRecordedHeight(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	for _, w := range []struct {
		kg   string
		days int
	}{{"70.0", 45}, {"66.0", 28}, {"64.5", 14}, {"62.4", 0}} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: w.kg, At: now.AddDate(0, 0, -w.days)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Height, Height: "160"}); err != nil {
		t.Fatal(err)
	}
	pg, err := s.Care.Observations(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	w := pg.Weights
	if !w.HasChange || w.ChangeKg() != "−3.6" || w.ChangePct() != "−5.5%" || !w.LossOverFive {
		t.Errorf("30-day change %s (%s), loss over 5%%: %v", w.ChangeKg(), w.ChangePct(), w.LossOverFive)
	}
	if w.BMIText() != "24.4" || len(w.Readings) != 4 {
		t.Errorf("BMI %s with %d readings, want 24.4 and 4", w.BMIText(), len(w.Readings))
	}
	for _, bad := range []string{"-3", "0", "301", "heavy"} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: bad}); obsProblem(err, "Weight") == "" {
			t.Errorf("weight %q accepted: %v", bad, err)
		}
	}
}

func TestAlertsAreComputedFromTheRecordsForFluidsWeightAndNEWS2(t *testing.T) {
	s := apptest.NewScenario(t)
	kinds := func() string {
		t.Helper()
		al, err := s.Care.Alerts(s.Ctx, s.Carer.Actor, s.Ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		var k []string
		for _, a := range al {
			k = append(k, a.Kind)
		}
		return strings.Join(k, ",")
	}
	if got := kinds(); got != "" {
		t.Fatalf("alerts with no records: %s", got)
	}
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", ""); err != nil {
		t.Fatal(err)
	}
	drink(t, s, "500", time.Time{})
	// 10:00: before the 14:00 check nothing is due yet.
	if got := kinds(); got != "" {
		t.Errorf("fluids alert before the check time: %s", got)
	}
	s.Clock.Advance(4 * time.Hour) // 14:00, 500 ml of 1600: under half
	if got := kinds(); got != care.AlertFluidsLow {
		t.Errorf("at 14:00 with under half the target: %q", got)
	}
	drink(t, s, "400", time.Time{}) // 900 ml: over half
	if got := kinds(); got != "" {
		t.Errorf("at 14:00 with over half the target: %q", got)
	}
	s.Clock.Advance(12 * time.Hour) // 02:00 the next day: yesterday ended below target
	if got := kinds(); got != care.AlertFluidsYesterday {
		t.Errorf("the morning after ending below target: %q", got)
	}

	// A single 3 (pulse 135), then NEWS2 of 5.
	vitals := care.ObsInput{Kind: care.VitalSign, RespRate: "16", SpO2: "97", SpO2Scale: "1", Oxygen: "air", Systolic: "120",
		Pulse: "135", Consciousness: care.ACVPUAlert, Temperature: "37.0"}
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, vitals); err != nil {
		t.Fatal(err)
	}
	if got := kinds(); !strings.Contains(got, care.AlertNEWS2Single) {
		t.Errorf("a single 3 is not flagged: %q", got)
	}
	vitals.Pulse, vitals.RespRate, vitals.Temperature = "95", "22", "38.5" // 1 + 2 + 1 = 4
	vitals.SpO2 = "95"                                                     // + 1 = 5
	o, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, vitals)
	if err != nil || o.NEWS2.Total != 5 {
		t.Fatalf("vitals: %v, NEWS2 %d", err, o.NEWS2.Total)
	}
	if got := kinds(); !strings.Contains(got, care.AlertNEWS2) || strings.Contains(got, care.AlertNEWS2Single) {
		t.Errorf("NEWS2 5 is not alerted (or the old single 3 still is): %q", got)
	}
	// Weight loss over 5% in 30 days.
	now := s.Clock.Now()
	for _, w := range []struct {
		kg   string
		days int
	}{{"60.0", 20}, {"56.9", 0}} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: w.kg, At: now.AddDate(0, 0, -w.days)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := kinds(); !strings.Contains(got, care.AlertWeightLoss) {
		t.Errorf("a 5.2%% loss is not alerted: %q", got)
	}
}

func TestTheLocationAlertListShowsOnlyPeopleTheViewerMaySeeEachAnAuditedRead(t *testing.T) {
	s := apptest.NewScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Price", "")
	for _, p := range []string{s.Ann.ID, bob.ID} {
		if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, p, "1500", ""); err != nil {
			t.Fatal(err)
		}
	}
	s.Clock.Advance(5 * time.Hour) // 15:00, nobody has drunk anything
	cases := []struct {
		name string
		who  apptest.Staff
		want []string
	}{
		{"the registered manager sees everyone at the home", s.Manager, []string{"Ann Jones", "Bob Price"}},
		{"a care worker sees only their own people", s.Carer, []string{"Ann Jones"}},
		{"a care worker on no one's team sees no one", s.OtherCarer, nil},
	}
	for _, c := range cases {
		_, list, err := s.Care.LocationAlerts(s.Ctx, c.who.Actor, s.Home.ID)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var names []string
		for _, pa := range list {
			names = append(names, pa.Person.FullName())
		}
		if strings.Join(names, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: saw %v", c.name, names)
		}
		reads := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'read-record' AND detail = 'location alerts'`, c.who.ID)
		if reads != len(c.want) {
			t.Errorf("%s: %d audited reads for %d people", c.name, reads, len(c.want))
		}
	}
}

func TestTheFluidsCheckTimeAndTheVisitGraceAreConfigurable(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Care.WithObsConfig(care.ObsConfig{FluidsCheckAt: 10 * time.Hour, VisitGrace: time.Hour})
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1500", ""); err != nil {
		t.Fatal(err)
	}
	al, err := s.Care.Alerts(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil || len(al) != 1 || al[0].Kind != care.AlertFluidsLow || !strings.Contains(al[0].Detail, "by 10:00") {
		t.Errorf("at 10:00 with a 10:00 check time: %+v %v", al, err)
	}
	start := time.Date(2026, 3, 3, 8, 30, 0, 0, time.UTC)
	v, err := s.Care.ScheduleVisit(s.Ctx, s.Manager.Actor, s.Ann.ID, care.VisitInput{Start: start, End: start.Add(time.Hour),
		PlannedMinutes: "20", Tasks: "Breakfast", AssignedTo: s.Carer.ID})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != care.VisitLate {
		t.Errorf("half an hour after the window with an hour's grace the visit is %q, want late (not yet missed)", v.Status)
	}
}
