package care_test

import (
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

func addMedicine(t *testing.T, s *apptest.Scenario, in care.MedicineInput) care.Medicine {
	t.Helper()
	return addMedicineFor(t, s, s.Ann, in)
}

func addMedicineFor(t *testing.T, s *apptest.Scenario, p people.Person, in care.MedicineInput) care.Medicine {
	t.Helper()
	if in.Route == "" {
		in.Route = "oral"
	}
	if in.Source == "" {
		in.Source = "gp"
	}
	if in.StartDate.IsZero() {
		in.StartDate = day(s.Clock.Now()).AddDate(0, 0, -7)
	}
	m, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, p.ID, in)
	if err != nil {
		t.Fatalf("add %s: %v", in.Name, err)
	}
	return m
}

func paracetamol(t *testing.T, s *apptest.Scenario) care.Medicine {
	return addMedicine(t, s, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets (1 g)", PRN: true,
		MinIntervalHours: "4", Max24h: "4", Prescriber: "Dr Rees"})
}

func give(s *apptest.Scenario, m care.Medicine, at time.Time) error {
	_, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given, At: at})
	return err
}

func doseCount(s *apptest.Scenario) int { return s.Count(`SELECT COUNT(*) FROM medicine_doses`) }

func TestAPRNDoseInsideTheMinimumGapIsRefusedWithWhenTheNextMayBeGiven(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 14, 5, 0, 0, time.UTC)) // GMT: UK time is UTC
	m := paracetamol(t, s)
	if err := give(s, m, time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(2 * time.Hour)
	err := give(s, m, time.Time{})
	want := "The last dose was at 14:05; the minimum gap is 4 hours, so the next can be from 18:05."
	if hearth.KindOf(err) != hearth.KindInvalid || obsProblem(err, "Medicine") != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if doseCount(s) != 1 {
		t.Error("the refused dose was written")
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'administer-medicines' AND outcome = 'invalid'`); n != 1 {
		t.Errorf("the refused dose was not audited (%d)", n)
	}
	s.Clock.Advance(2 * time.Hour) // 18:05
	if err := give(s, m, time.Time{}); err != nil {
		t.Errorf("a dose exactly at the end of the gap was refused: %v", err)
	}
	// Refusals do not count as doses taken.
	s.Clock.Advance(time.Hour)
	if _, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Refused, ReasonCode: "declined"}); err != nil {
		t.Errorf("a refusal inside the gap was not recorded: %v", err)
	}
}

func TestAPRNDoseOverThe24HourMaximumIsRefused(t *testing.T) {
	s := apptest.NewScenario(t)
	m := paracetamol(t, s)
	start := s.Clock.Now().Add(-20 * time.Hour)
	for i := range 4 {
		if err := give(s, m, start.Add(time.Duration(i)*5*time.Hour)); err != nil {
			t.Fatalf("dose %d: %v", i+1, err)
		}
	}
	s.Clock.Advance(time.Hour) // five hours after the fourth dose, 21 after the first
	err := give(s, m, time.Time{})
	want := "4 doses in the last 24 hours already; the maximum is 4. The next can be from 14:00."
	if obsProblem(err, "Medicine") != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if doseCount(s) != 4 {
		t.Error("the refused dose was written")
	}
}

func TestADoseOfAStoppedMedicineIsRefusedSayingWhenItWasStopped(t *testing.T) {
	s := apptest.NewScenario(t)
	m := addMedicine(t, s, care.MedicineInput{Name: "Amoxicillin", Strength: "500 mg", Dose: "1 capsule", Times: "08:00, 14:00, 20:00"})
	if err := s.Care.StopMedicine(s.Ctx, s.Carer.Actor, s.Ann.ID, m.ID, m.Version, "course finished"); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker stopped a medicine: %v", err)
	}
	if err := s.Care.StopMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, m.ID, m.Version, ""); obsProblem(err, "Reason") == "" {
		t.Errorf("stopped without a reason: %v", err)
	}
	if err := s.Care.StopMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, m.ID, m.Version, "GP stopped it at review"); err != nil {
		t.Fatal(err)
	}
	if err := s.Care.StopMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, m.ID, m.Version, "again"); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("stopping with an old version: %v, want a conflict", err)
	}
	s.Clock.Advance(4 * time.Hour)
	slot := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	_, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, Outcome: care.Given})
	if want := "This medicine was stopped on 3 March 2026"; obsProblem(err, "Medicine") != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	ended := addMedicine(t, s, care.MedicineInput{Name: "Trimethoprim", Dose: "1 tablet", Times: "14:00",
		StartDate: day(s.Clock.Now()).AddDate(0, 0, -5), EndDate: day(s.Clock.Now()).AddDate(0, 0, -1)})
	_, err = s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: ended.ID, ScheduledFor: slot, Outcome: care.Given})
	if want := "This medicine was stopped on 2 March 2026 (the end of its course)"; obsProblem(err, "Medicine") != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if doseCount(s) != 0 {
		t.Error("a refused dose was written")
	}
}

func TestAControlledDrugNeedsASecondMemberOfStaffWhoIsSomeoneElseOnTheTeamWithTheirPassword(t *testing.T) {
	s := apptest.NewScenario(t)
	m := addMedicine(t, s, care.MedicineInput{Name: "Oramorph", Strength: "10 mg/5 ml", Dose: "2.5 ml", PRN: true,
		MinIntervalHours: "4", Max24h: "4", Controlled: true})
	nurse := s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, nurse)
	admin := s.Staff("admin", access.Administrator)
	s.Assign(s.Manager, s.Ann, admin)
	cases := []struct {
		name, witness, password, field, want string
	}{
		{"no witness", "", "", "Witness", "A controlled drug needs a second member of staff to witness it: choose who"},
		{"the carer as their own witness", s.Carer.ID, apptest.Password, "Witness", "The witness must be someone other than you"},
		{"a care worker not on the team", s.OtherCarer.ID, apptest.Password, "Witness", "Test other is not on this person's care team, so they cannot witness this dose"},
		{"a role that does not give medicines", admin.ID, apptest.Password, "Witness", "Test admin's role does not include giving medicines, so they cannot witness a controlled drug"},
		{"someone who is not staff at all", hearth.NewID(), apptest.Password, "Witness", "The witness must be an active member of staff"},
		{"the witness's wrong password", nurse.ID, "not the password", "Witness password", "The witness's password is not right"},
		{"no password", nurse.ID, "", "Witness password", "The witness must type their own password"},
	}
	for _, c := range cases {
		_, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given,
			WitnessID: c.witness, WitnessPassword: c.password})
		if got := obsProblem(err, c.field); got != c.want {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	if doseCount(s) != 0 {
		t.Fatal("a controlled drug was recorded without a valid witness")
	}
	d, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given,
		WitnessID: nurse.ID, WitnessPassword: apptest.Password})
	if err != nil || d.WitnessName != "Test nurse" {
		t.Fatalf("a witnessed dose: %v (%q)", err, d.WitnessName)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'administer-medicines' AND outcome = 'success' AND detail LIKE '%witnessed by Test nurse'`); n != 1 {
		t.Errorf("the witness is not in the audit event (%d)", n)
	}
}

func TestTheRoundsShowEachScheduledDoseDueLateMissedOrRecordedAndASlotIsRecordedOnce(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 4, 7, 30, 0, 0, time.UTC))
	m := addMedicine(t, s, care.MedicineInput{Name: "Metformin", Strength: "500 mg", Dose: "1 tablet", Times: "08:00, 13:00, 18:00, 22:00"})
	status := func() map[string]string {
		t.Helper()
		pg, err := s.Care.Medicines(s.Ctx, s.Carer.Actor, s.Ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range pg.Rounds {
			for _, sl := range r.Slots {
				out[r.Name+" "+sl.Time()] = sl.Status
			}
		}
		return out
	}
	steps := []struct {
		at   string
		slot string
		want string
	}{
		{"06:59", "Morning 08:00", care.SlotUpcoming},
		{"07:00", "Morning 08:00", care.SlotDue},
		{"09:00", "Morning 08:00", care.SlotDue},
		{"09:01", "Morning 08:00", care.SlotLate},
		{"10:59", "Morning 08:00", care.SlotLate},
		{"11:00", "Morning 08:00", care.SlotMissed},
		{"12:30", "Lunchtime 13:00", care.SlotDue},
		{"23:30", "Night 22:00", care.SlotLate},
		{"23:30", "Teatime 18:00", care.SlotMissed},
	}
	for _, st := range steps {
		tm, _ := time.Parse("15:04", st.at)
		s.Clock.Set(time.Date(2026, 3, 4, tm.Hour(), tm.Minute(), 0, 0, time.UTC))
		if got := status()[st.slot]; got != st.want {
			t.Errorf("at %s the %s dose is %q, want %q", st.at, st.slot, got, st.want)
		}
	}
	s.Clock.Set(time.Date(2026, 3, 4, 12, 40, 0, 0, time.UTC))
	slot := time.Date(2026, 3, 4, 13, 0, 0, 0, time.UTC)
	if _, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, Outcome: care.Given}); err != nil {
		t.Fatal(err)
	}
	if got := status()["Lunchtime 13:00"]; got != care.SlotDone {
		t.Errorf("after recording, the 13:00 dose is %q", got)
	}
	_, err := s.Care.RecordDose(s.Ctx, s.Manager.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, Outcome: care.Given})
	if hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("the same dose recorded twice: %v, want a conflict", err)
	}
	_, err = s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot.Add(time.Hour), Outcome: care.Given})
	if obsProblem(err, "Time") == "" {
		t.Errorf("a dose at a time not on the schedule: %v", err)
	}
	_, err = s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot.Add(5 * time.Hour), Outcome: care.Omitted})
	if obsProblem(err, "Reason") != "Choose why the dose was not given" {
		t.Errorf("an omitted dose without a reason: %v", err)
	}
}

func TestOnlyStaffWhoManageMedicinesChangeTheListAndItsEntriesAreChecked(t *testing.T) {
	s := apptest.NewScenario(t)
	_, err := s.Care.AddMedicine(s.Ctx, s.Carer.Actor, s.Ann.ID, care.MedicineInput{Name: "Aspirin", Dose: "1", Route: "oral", Source: "gp",
		Times: "08:00", StartDate: day(s.Clock.Now())})
	if hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker changed the medicines list: %v", err)
	}
	_, err = s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Aspirin", PRN: true, Route: "oral", Source: "gp"})
	for field, want := range map[string]string{
		"Dose":                "Enter the dose, for example '1 tablet' or '10 ml'",
		"Start date":          "Enter the date it starts",
		"Minimum gap":         "Enter the minimum gap between doses in hours, for example 4",
		"Maximum in 24 hours": "Enter the maximum in 24 hours",
	} {
		if got := obsProblem(err, field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM medicines`); n != 0 {
		t.Errorf("bad input wrote %d medicines", n)
	}
}

func TestAWrongDoseRecordIsCorrectedByANewRecordWithAReasonAndTheOldOneIsKept(t *testing.T) {
	s := apptest.NewScenario(t)
	m := paracetamol(t, s)
	d, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given})
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(time.Hour)
	in := care.DoseInput{Outcome: care.Refused, ReasonCode: "declined"}
	if _, err := s.Care.CorrectDose(s.Ctx, s.Carer.Actor, s.Ann.ID, d.ID, in, ""); obsProblem(err, "Why") == "" {
		t.Errorf("a correction without a reason: %v", err)
	}
	fixed, err := s.Care.CorrectDose(s.Ctx, s.Carer.Actor, s.Ann.ID, d.ID, in, "Recorded as given by mistake: Ann said no")
	if err != nil {
		t.Fatal(err)
	}
	if !fixed.At.Equal(d.At) {
		t.Errorf("the correction moved the time of care from %s to %s", d.At, fixed.At)
	}
	// The mistaken 'given' no longer counts, so a dose now is inside no gap.
	if err := give(s, m, time.Time{}); err != nil {
		t.Errorf("after correcting the earlier dose to refused, a dose was refused: %v", err)
	}
	if _, err := s.Care.CorrectDose(s.Ctx, s.Carer.Actor, s.Ann.ID, d.ID, in, "again"); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("correcting the same record twice: %v, want a conflict", err)
	}
	pg, err := s.Care.Medicines(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, r := range pg.Recent {
		shown = append(shown, r.Outcome+"/"+r.WasOutcome)
	}
	if len(pg.Recent) != 2 || pg.Recent[1].Corrects != d.ID || pg.Recent[1].WasOutcome != care.Given {
		t.Errorf("recent records: %v", shown)
	}
	if n := doseCount(s); n != 3 {
		t.Errorf("want the original kept beside its correction: %d rows", n)
	}
}
