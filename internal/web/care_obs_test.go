package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

func mustContain(t *testing.T, what string, r apptest.Response, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Errorf("%s (status %d) lacks %q", what, r.Status, w)
		}
	}
}

func TestACareWorkerRecordsADrinkAndSeesTheRunningTotalAgainstTheTarget(t *testing.T) {
	s := apptest.NewScenario(t)
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", ""); err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/observations"
	c.Get(path)
	r := c.Post(path, url.Values{"kind": {"fluid_in"}, "amount": {"250"}, "what": {"Tea"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("record a drink: %d\n%s", r.Status, r.Body)
	}
	page := c.Get(path)
	mustContain(t, "observations page", page, "250 ml</strong> drunk of a 1600 ml target", "Tea")
	if strings.Contains(page.Body, "Corrected from") {
		t.Error("an entry no one corrected is marked as corrected")
	}
	person := c.Get("/people/" + s.Ann.ID)
	mustContain(t, "person page", person, "/people/"+s.Ann.ID+"/observations", "Alerts and observations", "Medicines", "Visits")
}

func TestAFluidAmountThatIsNegativeOrOverFiveLitresIsShownBackWithTheRuleAndNothingIsSaved(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/observations"
	c.Get(path)
	for amount, want := range map[string]string{"-50": "Amount must be between 1 and 5000 millilitres", "6000": "Amount must be between 1 and 5000 millilitres"} {
		r := c.Post(path, url.Values{"kind": {"fluid_in"}, "amount": {amount}, "what": {"Squash"}, "form": {"fluids"}})
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("amount %s: status %d", amount, r.Status)
		}
		mustContain(t, "refused drink", r, want, `value="`+amount+`"`, `value="Squash"`)
	}
	if n := s.Count(`SELECT COUNT(*) FROM observations`); n != 0 {
		t.Errorf("refused input saved %d rows", n)
	}
}

func TestACareWorkerOffThePersonsTeamIsRefusedEveryScreenAndTheAttemptIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)
	for _, p := range []string{"/observations", "/medicines", "/visits"} {
		if r := c.Get("/people/" + s.Ann.ID + p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	c.Get("/shift")
	r := c.Post("/people/"+s.Ann.ID+"/observations", url.Values{"kind": {"fluid_in"}, "amount": {"200"}})
	if r.Status != http.StatusNotFound {
		t.Errorf("POST a drink: %d", r.Status)
	}
	evs, err := s.Audit.ByRequest(s.Ctx, r.RequestID)
	if err != nil || len(evs) != 1 || evs[0].Decision != "deny" || evs[0].PersonID != s.Ann.ID || evs[0].Action != "write-record" {
		t.Errorf("the refused drink is not audited as a denial: %+v %v", evs, err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM observations`); n != 0 {
		t.Error("a refused drink was saved")
	}
}

func TestTheMedicinesPageRecordsARoundDoseAndRefusesAPRNDoseInsideTheGapSayingWhy(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 12, 30, 0, 0, time.UTC))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ramipril, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule",
		Route: "oral", Source: "gp", Times: "13:00", StartDate: start})
	if err != nil {
		t.Fatal(err)
	}
	para, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets",
		Route: "oral", Source: "gp", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: start})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/medicines"
	page := c.Get(path)
	mustContain(t, "medicines page", page, `data-slot="Ramipril 13:00" data-status="due"`, "Paracetamol 500 mg")
	slot := time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC).Format(time.RFC3339)
	if r := c.Post(path+"/doses", url.Values{"medicine": {ramipril.ID}, "slot": {slot}, "outcome": {"given"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("record the round dose: %d\n%s", r.Status, r.Body)
	}
	mustContain(t, "after the dose", c.Get(path), `data-slot="Ramipril 13:00" data-status="recorded"`)
	if r := c.Post(path+"/doses", url.Values{"medicine": {para.ID}, "outcome": {"given"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("a PRN dose: %d", r.Status)
	}
	s.Clock.Advance(20 * time.Minute)
	r := c.Post(path+"/doses", url.Values{"medicine": {para.ID}, "outcome": {"given"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a PRN dose inside the gap: %d", r.Status)
	}
	mustContain(t, "refused PRN", r, "The last dose was at 12:3", "the minimum gap is 4 hours, so the next can be from 16:3")
}

func TestTheCoordinatorSeesMissedAndLateVisitsAndMyShiftShowsMyPeople(t *testing.T) {
	s := apptest.NewScenario(t)
	branch := s.Location("Riverside Home Care", people.DomiciliaryBranch)
	coord := s.Staff("coordinator", access.RegisteredManager, branch)
	ed := s.Person(coord, branch, "Ed", "Lloyd", "")
	s.Assign(coord, ed, s.Carer)
	for _, h := range []int{7, 11} {
		start := time.Date(2026, 3, 3, h, 0, 0, 0, time.UTC)
		if _, err := s.Care.ScheduleVisit(s.Ctx, coord.Actor, ed.ID, care.VisitInput{Start: start, End: start.Add(time.Hour),
			PlannedMinutes: "30", Tasks: "Breakfast\nMedicines", AssignedTo: s.Carer.ID}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Client(s.Server().URL)
	c.SignIn(coord)
	r := c.Get("/locations/" + branch.ID + "/visits")
	mustContain(t, "coordinator's list", r, "1 missed", `data-status="missed"`, "Ed Lloyd", "Test carer")
	c.SignIn(s.Carer)
	shift := c.Get("/shift")
	mustContain(t, "my shift", shift, "My shift", "Ann Jones", "Ed Lloyd", "Visits today", `data-status="missed"`)
	other := s.Client(s.Server().URL)
	other.SignIn(s.OtherCarer)
	mustContain(t, "another care worker's shift", other.Get("/shift"), "not on anyone's care team")
	if strings.Contains(other.Get("/locations/"+branch.ID+"/visits").Body, "Ed Lloyd") {
		t.Error("a care worker off Ed's team sees him on the coordinator's list")
	}
}

func TestADoseRecordCorrectedOnThePageShowsWhatItWasAndWhy(t *testing.T) {
	s := apptest.NewScenario(t)
	m, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets",
		Route: "oral", Source: "gp", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/medicines"
	c.Get(path)
	r := c.Post(path+"/correct", url.Values{"dose": {d.ID}, "outcome": {"refused"}, "reason_code": {"declined"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a correction without why: %d", r.Status)
	}
	mustContain(t, "refused correction", r, "Say why the record is wrong")
	if r := c.Post(path+"/correct", url.Values{"dose": {d.ID}, "outcome": {"refused"}, "reason_code": {"declined"}, "why": {"Given was ticked by mistake"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("correct: %d\n%s", r.Status, r.Body)
	}
	mustContain(t, "after the correction", c.Get(path), "was recorded as Given; why: <span class=\"hearth-break-word\">Given was ticked by mistake", "Refused: The person said no")
}

func TestAWrongWeightIsCorrectedOnThePageKeepingTheTimeOfCareAndShowingTheOldValue(t *testing.T) {
	s := apptest.NewScenario(t)
	taken := s.Clock.Now().Add(-2 * time.Hour)
	w, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: "26.4", At: taken})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/observations"
	page := c.Get(path)
	mustContain(t, "observations", page, `name="corrects" value="`+w.ID+`"`)
	r := c.Post(path, url.Values{"kind": {"weight"}, "form": {"weight-correct"}, "corrects": {w.ID}, "weight": {"62.4"},
		"when": {taken.Format("2006-01-02T15:04")}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a correction without a reason: %d", r.Status)
	}
	mustContain(t, "refused correction", r, "Say why you are correcting this entry")
	r = c.Post(path, url.Values{"kind": {"weight"}, "form": {"weight-correct"}, "corrects": {w.ID}, "weight": {"62.4"},
		"when": {taken.Format("2006-01-02T15:04")}, "correction_reason": {"Digits typed the wrong way round"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("correct: %d\n%s", r.Status, r.Body)
	}
	mustContain(t, "after the correction", c.Get(path), "62.4 kg on 3 March 2026", "corrected from 26.4 kg")
	var at time.Time
	if err := s.DB.QueryRow(s.Ctx, `SELECT taken_at FROM observations WHERE corrects_id = ?`, w.ID).Scan(&at); err != nil || !at.Equal(taken) {
		t.Errorf("the correction's time of care is %s, want %s (%v)", at, taken, err)
	}
}
