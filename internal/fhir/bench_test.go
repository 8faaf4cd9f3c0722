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
	"syscall"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
	"hearth/internal/people"
)

// yearOfHistory records a year of a care home resident's record: seven
// drinks and three meals a day, vital signs daily, a weight each week,
// three daily notes, two medicines given twice a day, care plans and risk
// assessments with their reviews, each written as the service writes it.
func yearOfHistory(tb testing.TB, s *apptest.Scenario) (obsID string) {
	tb.Helper()
	return yearOfHistoryFor(tb, s, s.Ann)
}

// yearOfHistoryFor records the same year for p, whose care team the
// scenario's care worker is on.
func yearOfHistoryFor(tb testing.TB, s *apptest.Scenario, p people.Person) (obsID string) {
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
		m, err := s.Care.AddMedicine(ctx, manager, p.ID, care.MedicineInput{Name: name, Strength: "500 mg", Dose: "1 tablet", Route: "oral",
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
		must(s.Care.RecordMany(ctx, carer, p.ID, obs))
		must(s.Care.ImportNotes(ctx, carer, p.ID, notes))
		must(s.Care.RecordDoses(ctx, carer, p.ID, doses))
	}
	for _, area := range []string{"mobility", "personal-care", "eating-drinking", "medicines", "social-life"} {
		plan, err := s.Care.NewCarePlan(ctx, manager, p.ID, care.PlanDraft{Area: area, Outcome: "To stay as independent as I can", HowMet: "Support as agreed",
			Agreement: "agreed", ReviewOn: now.AddDate(0, 3, 0), Involved: care.Involvement{Kinds: []string{"person", "staff"}}})
		must(err)
		for v := 1; v < 4; v++ {
			d := plan.Draft()
			d.BasedOn, d.Reason = v, "Monthly review"
			plan, err = s.Care.ReviseCarePlan(ctx, manager, p.ID, plan.PlanID, d)
			must(err)
		}
	}
	list, err := s.Care.Observations(ctx, carer, p.ID)
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

// BenchmarkBulkExport measures a partner's system-level export, as the
// worker runs it: the kick-off, then every person decided and audited as
// the partner per type, their records read and mapped with the one
// mapping, and the NDJSON written in each batch's transaction. The data
// is a year of a care home resident's history for each of five people
// (about 55,000 resources), every category covered by the agreement and
// each person's consent.
func BenchmarkBulkExport(b *testing.B) {
	s := apptest.NewScenario(b)
	residents := []people.Person{s.Ann}
	for i, nhs := range []string{"9434765803", "9434765811", "9434765838", "9434765846"} {
		p := s.Person(s.Manager, s.Home, "Resident", strconv.Itoa(i+2), nhs)
		s.Assign(s.Manager, p, s.Carer)
		residents = append(residents, p)
	}
	for _, p := range residents {
		yearOfHistoryFor(b, s, p)
	}
	admin := s.Staff("admin", access.Administrator)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	partner := registerPartner(b, s.App, admin, riverside, "system/*.rs", newKey(b), "k1")
	var cats []string
	for _, c := range partners.Categories {
		cats = append(cats, c.Key)
	}
	if _, err := s.Partners.RecordAgreement(s.Ctx, ig.Actor, partners.NewAgreement{PartnerID: partner.ID, Purpose: "Direct care by the GP practice",
		Article6: "6-1-e", Article9: "9-2-h", Categories: cats, Starts: s.Clock.Now().AddDate(0, -1, 0), ReviewOn: s.Clock.Now().AddDate(1, 0, 0)}); err != nil {
		b.Fatal(err)
	}
	for _, p := range residents {
		if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeSharing, Recipient: riverside,
			Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "What the practice sees", InfoFormat: "standard"}); err != nil {
			b.Fatal(err)
		}
	}
	actor := door.Actor{Subject: access.Subject{ID: partner.ID, Kind: access.KindSystem}, Name: riverside, ClientAddr: "192.0.2.9", RequestID: "bench"}
	resources := 0
	var cpu time.Duration
	for b.Loop() {
		started := cpuTime(b)
		e, err := s.Partners.StartExport(s.Ctx, actor, partner.Scopes, partners.ExportRequest{Level: partners.LevelSystem,
			URL: "https://hearth.test/fhir/$export", Base: "https://hearth.test/fhir"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.RunQueuedExports(s.Ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime(b) - started
		_, m, err := s.Partners.ExportStatus(s.Ctx, actor, e.ID, func(id string) string { return id })
		if err != nil || m == nil {
			b.Fatalf("%+v %v", m, err)
		}
		resources = 0
		for _, o := range m.Output {
			resources += o.Count
		}
		// Cancelling deletes the files, so every run writes into the same
		// size of database.
		if err := s.Partners.CancelExport(s.Ctx, actor, e.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(resources), "resources")
	b.ReportMetric(float64(resources)*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
	// The same per second of this process's CPU: on SQLite the whole run
	// is in the process, so this is the rate with a core to itself,
	// whatever else the machine is doing (on PostgreSQL the server's own
	// work is not in it).
	b.ReportMetric(float64(resources)*float64(b.N)/cpu.Seconds(), "resources/cpu-s")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
