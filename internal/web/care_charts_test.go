package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/care"
)

// chartSection is the HTML of the figure with id, or "" when the page has
// none.
func chartSection(body, id string) string {
	i := strings.Index(body, `<figure class="hearth-chart" id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</figure>")
	return body[i : i+j]
}

// The observations page draws fluids over the day against the target,
// weight over the months with the 5% loss line, and NEWS2 with what scored,
// each as SVG with its numbers in a table beside it (issue 15: weight was a
// list of readings, NEWS2 stacked cards, fluids a bar).
func TestTheObservationsPageChartsFluidsWeightAndNEWS2WithTheirNumbersInATable(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 15, 30, 0, 0, time.UTC))
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", "GP advice"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	for _, d := range []struct {
		h  int
		ml string
	}{{8, "200"}, {10, "250"}, {13, "300"}} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: d.ml, At: day.Add(time.Duration(d.h) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, kg := range []string{"64.0", "62.5", "60.2"} {
		at := day.AddDate(0, -2+i, 0)
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: kg, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	for i, pulse := range []string{"70", "135"} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.VitalSign, RespRate: "16", SpO2: "97", SpO2Scale: "1",
			Oxygen: "air", Systolic: "120", Pulse: pulse, Consciousness: care.ACVPUAlert, Temperature: "37.0", At: day.Add(time.Duration(9+4*i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	page := c.Get("/people/" + s.Ann.ID + "/observations")
	if page.Status != http.StatusOK {
		t.Fatalf("observations: %d", page.Status)
	}
	fluids := chartSection(page.Body, "fluid-chart")
	for _, want := range []string{"<svg", `role="img"`, "Daily target", "1,600 ml", "<table", "08:00", "450 ml", "750 ml"} {
		if !strings.Contains(fluids, want) {
			t.Errorf("the fluid chart lacks %q:\n%s", want, fluids)
		}
	}
	weight := chartSection(page.Body, "weight-chart")
	for _, want := range []string{"<svg", "5% below the weight on 3 January 2026", "60.8 kg", "64 kg", "60.2 kg", "<table"} {
		if !strings.Contains(weight, want) {
			t.Errorf("the weight chart lacks %q:\n%s", want, weight)
		}
	}
	news2 := chartSection(page.Body, "news2-chart")
	for _, want := range []string{"<svg", "Urgent response from a score of 5", "3 Mar 09:00", "3 Mar 13:00", "<table"} {
		if !strings.Contains(news2, want) {
			t.Errorf("the NEWS2 chart lacks %q:\n%s", want, news2)
		}
	}
	parts := chartSection(page.Body, "news2-parts-chart")
	if !strings.Contains(parts, "Pulse") || strings.Contains(parts, ">Temperature<") {
		t.Errorf("the NEWS2 parts chart should show the pulse that scored and leave out what never scored:\n%s", parts)
	}
	if strings.Contains(page.Body, "style=") {
		t.Error("a chart uses a style attribute, which the CSP forbids")
	}
}

// The medicines page charts the last 7 days' doses by outcome, a corrected
// record counted once, as its correction.
func TestTheMedicinesPageChartsDosesGivenRefusedAndNotGiven(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 19, 0, 0, 0, time.UTC))
	start := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
	med, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule",
		Route: "oral", Source: "gp", Times: "08:00, 18:00", StartDate: start})
	if err != nil {
		t.Fatal(err)
	}
	slot := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }
	for _, in := range []care.DoseInput{
		{MedicineID: med.ID, ScheduledFor: slot(2, 8), At: slot(2, 8), Outcome: care.Given},
		{MedicineID: med.ID, ScheduledFor: slot(2, 18), At: slot(2, 18), Outcome: care.Refused, ReasonCode: "declined"},
		{MedicineID: med.ID, ScheduledFor: slot(3, 8), At: slot(3, 8), Outcome: care.Given},
	} {
		if _, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	page := c.Get("/people/" + s.Ann.ID + "/medicines")
	doses := chartSection(page.Body, "doses-chart")
	for _, want := range []string{"<svg", "Given", "Refused", "Not given", "Missed (nothing recorded)", "Mon 2 Mar", "Tue 3 Mar", "<table"} {
		if !strings.Contains(doses, want) {
			t.Errorf("the doses chart lacks %q:\n%s", want, doses)
		}
	}
	// Monday: one given, one refused; Tuesday (today): one given and the
	// 18:00 dose passed with nothing recorded.
	row := func(day string) string {
		i := strings.Index(doses, `<th scope="row" class="nhsuk-table__header">`+day+`</th>`)
		if i < 0 {
			return ""
		}
		j := strings.Index(doses[i:], "</tr>")
		return doses[i : i+j]
	}
	if got := row("Mon 2 Mar"); strings.Count(got, ">1<") != 2 {
		t.Errorf("Monday's row: %s", got)
	}
	if got := row("Tue 3 Mar"); strings.Count(got, ">1<") != 1 {
		t.Errorf("Tuesday's row: %s", got)
	}
}
