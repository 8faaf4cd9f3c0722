package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// withVisitLocation registers an approved technology that records location
// at home-care visits and, with p's consent, records p's use of it.
func withVisitLocation(t *testing.T, s *apptest.Scenario, p people.Person) (tech.Technology, consent.Consent) {
	t.Helper()
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tr, err := s.Tech.Save(s.Ctx, s.Manager.Actor, tech.Technology{Name: "VisitCheck", Supplier: "Carefinder Ltd", Kind: tech.KindSafety,
		VisitLocation: true, IntendedUse: "Record where a care worker checks in, so a person living alone knows their visits happened",
		Evidence: tech.Evidence{Summary: "Service evaluation", Quality: "moderate", Date: d, Reviewer: "Dr Lee", Tier: "B"},
		DTAC:     tech.Assessment{Date: d, Outcome: tech.OutcomePass}, DPIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass},
		EHIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass}, ApprovedServiceTypes: []string{people.DomiciliaryBranch, people.CareHome},
		Contingency: "Paper visit log signed by the person", Status: tech.StatusApproved}, "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: tr.ID, TechnologyName: tr.Name, Decision: "permit", InfoGiven: "What is recorded at check-in", InfoFormat: "standard"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tech.CreateUse(s.Ctx, s.Manager.Actor, p.ID, tech.NewUse{TechnologyID: tr.ID, NextReview: "2026-06-03", Record: tech.Record{
		Reason: "Lives alone and asked to know for certain each visit happened", WhenHow: "At check-in only",
		InformationGiven: "What is recorded and who sees it", InformationFormat: "Spoken", DecisionProcess: "Decided herself",
		DataUse: "Shown on the visit", ReviewPlan: "Ask her", Withdrawal: "Tell any member of staff", Rights: "Privacy: check-in only",
		SafetyAssessment: "Never tracking", RelationalCare: "The care worker says when they check in", Alternatives: "A paper log"}}); err != nil {
		t.Fatal(err)
	}
	return tr, c
}

func visitNow(t *testing.T, s *apptest.Scenario, p people.Person) care.Visit {
	t.Helper()
	start := s.Clock.Now().Add(-10 * time.Minute)
	v, err := s.Care.ScheduleVisit(s.Ctx, s.Manager.Actor, p.ID, care.VisitInput{Start: start, End: start.Add(time.Hour),
		PlannedMinutes: "30", Tasks: "Breakfast\nMorning medicines", AssignedTo: s.Carer.ID})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTheVisitsPageAsksForLocationOnlyWhereATechnologyUseAllowsIt(t *testing.T) {
	s := apptest.NewScenario(t)
	withVisitLocation(t, s, s.Ann)
	ed := s.Person(s.Manager, s.Home, "Ed", "Lloyd", "")
	s.Assign(s.Manager, ed, s.Carer)
	visitNow(t, s, s.Ann)
	edVisit := visitNow(t, s, ed)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)

	r := c.Get("/people/" + s.Ann.ID + "/visits")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Share my location for this check-in") || !strings.Contains(r.Body, `src="/static/visit-location.js"`) {
		t.Fatalf("Ann's visits page does not offer location sharing: %d", r.Status)
	}
	if got := r.Header.Get("Permissions-Policy"); !strings.Contains(got, "geolocation=(self)") {
		t.Errorf("Ann's visits page Permissions-Policy = %q, want geolocation=(self)", got)
	}
	r = c.Get("/people/" + ed.ID + "/visits")
	if strings.Contains(r.Body, "Share my location") || strings.Contains(r.Body, "visit-location.js") || !strings.Contains(r.Body, "Hearth does not record where you are when you check in") {
		t.Error("Ed's visits page offers location sharing without a technology use")
	}
	if got := r.Header.Get("Permissions-Policy"); !strings.Contains(got, "geolocation=()") {
		t.Errorf("Ed's visits page Permissions-Policy = %q, want geolocation=()", got)
	}
	if got := c.Get("/shift").Header.Get("Permissions-Policy"); !strings.Contains(got, "geolocation=()") {
		t.Errorf("another page's Permissions-Policy = %q, want geolocation=()", got)
	}

	// A form that carries a location anyway is refused whole, saying why.
	r = c.Post("/people/"+ed.ID+"/visits/check-in", url.Values{"visit": {edVisit.ID}, "latitude": {"51.5"}, "longitude": {"-0.14"}, "accuracy": {"10"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "No technology use with a lawful basis covers location at Ed&#39;s visits, so it was not recorded") {
		t.Fatalf("a check-in carrying a location without a use: %d\n%s", r.Status, r.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM visit_locations`); n != 0 {
		t.Fatal("a location was stored without a technology use")
	}
	if n := s.Count(`SELECT COUNT(*) FROM visits WHERE id = ? AND checked_in_at IS NOT NULL`, edVisit.ID); n != 0 {
		t.Fatal("the refused check-in was recorded")
	}
	r = c.Post("/people/"+ed.ID+"/visits/check-in", url.Values{"visit": {edVisit.ID}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("a check-in without a location: %d", r.Status)
	}
}
