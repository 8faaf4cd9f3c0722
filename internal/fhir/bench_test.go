package fhir_test

// Figures for docs/benchmarks.md: reading one observation, a search by
// patient and date, and $everything for a person with a year of history,
// each through HTTP as a signed-in care worker (decided, audited, mapped
// and encoded), on SQLite by default and on PostgreSQL under
// HEARTH_TEST_ENGINE=postgres.

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/care"
)

// yearOfHistory records a year of a care home resident's record: seven
// drinks and three meals a day, vital signs daily, a weight each week,
// three daily notes, two medicines given twice a day, care plans and risk
// assessments with their reviews, each written as the service writes it.
func yearOfHistory(tb testing.TB, s *apptest.Scenario) (obsID string) {
	tb.Helper()
	ctx, carer, manager := s.Ctx, s.Carer.Actor, s.Manager.Actor
	now := s.Clock.Now()
	start := now.AddDate(-1, 0, 0)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	var meds []care.Medicine
	for _, name := range []string{"Metformin", "Amlodipine"} {
		m, err := s.Care.AddMedicine(ctx, manager, s.Ann.ID, care.MedicineInput{Name: name, Strength: "500 mg", Dose: "1 tablet", Route: "oral",
			Times: "08:00, 18:00", StartDate: start.AddDate(0, 0, -1), Source: "gp"})
		must(err)
		meds = append(meds, m)
	}
	for month := 0; month < 12; month++ {
		var obs []care.ObsInput
		var notes []care.HistoricNote
		var doses []care.DoseInput
		for d := month * 31; d < min((month+1)*31, 365); d++ {
			day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
			for _, h := range []int{8, 10, 12, 15, 17, 19, 21} {
				obs = append(obs, care.ObsInput{Kind: care.FluidIn, Amount: "200", What: "Tea", At: day.Add(time.Duration(h) * time.Hour)})
			}
			for _, m := range []struct {
				meal string
				h    int
			}{{"breakfast", 8}, {"lunch", 12}, {"tea", 17}} {
				obs = append(obs, care.ObsInput{Kind: care.Food, Meal: m.meal, Portion: "three_quarters", At: day.Add(time.Duration(m.h)*time.Hour + 30*time.Minute)})
			}
			obs = append(obs, care.ObsInput{Kind: care.VitalSign, RespRate: "16", SpO2: "97", SpO2Scale: "1", Oxygen: "air", Systolic: "128",
				Pulse: "72", Consciousness: "A", Temperature: "36.8", At: day.Add(9 * time.Hour)})
			if d%7 == 0 {
				obs = append(obs, care.ObsInput{Kind: care.Weight, Weight: strconv.FormatFloat(64-float64(d)/365, 'f', 1, 64), At: day.Add(7 * time.Hour)})
			}
			for i, c := range []string{"personal-care", "eating-drinking", "mood"} {
				at := day.Add(time.Duration(9+4*i) * time.Hour)
				notes = append(notes, care.HistoricNote{NoteDraft: care.NoteDraft{Category: c, Body: "Settled day, chatted with staff", CareAt: at}, RecordedAt: at.Add(20 * time.Minute)})
			}
			for _, m := range meds {
				for _, h := range []int{8, 18} {
					// Medicine times are UK times.
					slot := time.Date(day.Year(), day.Month(), day.Day(), h, 0, 0, 0, london).UTC()
					doses = append(doses, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, At: slot.Add(10 * time.Minute), Outcome: care.Given})
				}
			}
		}
		must(s.Care.RecordMany(ctx, carer, s.Ann.ID, obs))
		must(s.Care.ImportNotes(ctx, carer, s.Ann.ID, notes))
		must(s.Care.RecordDoses(ctx, carer, s.Ann.ID, doses))
	}
	for _, area := range []string{"mobility", "personal-care", "eating-drinking", "medicines", "social-life"} {
		p, err := s.Care.NewCarePlan(ctx, manager, s.Ann.ID, care.PlanDraft{Area: area, Outcome: "To stay as independent as I can", HowMet: "Support as agreed",
			Agreement: "agreed", ReviewOn: now.AddDate(0, 3, 0), Involved: care.Involvement{Kinds: []string{"person", "staff"}}})
		must(err)
		for v := 1; v < 4; v++ {
			d := p.Draft()
			d.BasedOn, d.Reason = v, "Monthly review"
			p, err = s.Care.ReviseCarePlan(ctx, manager, s.Ann.ID, p.PlanID, d)
			must(err)
		}
	}
	list, err := s.Care.Observations(ctx, carer, s.Ann.ID)
	must(err)
	if len(list.Weights.Readings) == 0 {
		tb.Fatal("no weights recorded")
	}
	return list.Weights.Readings[0].ID
}

var london, _ = time.LoadLocation("Europe/London")

func BenchmarkFHIR(b *testing.B) {
	s := apptest.NewScenario(b)
	obsID := yearOfHistory(b, s)
	srv := s.Server()
	a := signedIn(b, s, srv.URL, s.Carer)
	get := func(b *testing.B, path string) reply {
		r := a.get(path)
		if r.Status != 200 {
			b.Fatalf("GET %s: %d %.300s", path, r.Status, r.Body)
		}
		return r
	}
	since := s.Clock.Now().AddDate(0, 0, -7).UTC().Format("2006-01-02")
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			get(b, "/fhir/Observation/"+obsID)
		}
	})
	b.Run("search", func(b *testing.B) {
		for b.Loop() {
			get(b, "/fhir/Observation?patient="+s.Ann.ID+"&date=ge"+since+"&_count=50")
		}
	})
	b.Run("everything", func(b *testing.B) {
		var r reply
		for b.Loop() {
			r = get(b, "/fhir/Patient/"+s.Ann.ID+"/$everything")
		}
		b.ReportMetric(float64(len(entriesOf(r.JSON(b)))), "resources")
		b.ReportMetric(float64(len(r.Body))/1e6, "MB")
	})
	// The same, served in process: Hearth's own time, without the
	// client's reading of the bytes over a socket.
	b.Run("everything-in-process", func(b *testing.B) {
		cookie := &http.Cookie{Name: "hearth_session", Value: a.c.Cookie("hearth_session")}
		for b.Loop() {
			req := httptest.NewRequest("GET", "/fhir/Patient/"+s.Ann.ID+"/$everything", nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			s.Handler.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("%d", rec.Code)
			}
		}
	})
}
