package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/governance"
	"hearth/internal/people"
)

// Each bad-input case of issue 14's items 6 and 7 over HTTP: a 4xx naming
// the field and the rule, and nothing changed.
func TestGovernanceRecordsBadInputIsRefusedOnThePageAndChangesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	bob := s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")
	srv := s.Server()
	manager := s.Client(srv.URL)
	manager.SignIn(s.Manager)
	lead := s.Client(srv.URL)
	lead.SignIn(ig)

	// A breach with no one named and no reason.
	manager.Get("/governance/incidents")
	form := url.Values{"kind": {"data-breach"}, "severity": {"low"}, "summary": {"Letter posted to the wrong room"},
		"what_happened": {"A letter went to the wrong room."}, "immediate_action": {"Retrieved unopened."},
		"occurred_date": {"2026-03-03"}, "occurred_time": {"09:00"}}
	r := manager.Post("/governance/incidents", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose the people affected by the breach, or say why no one can be named") {
		t.Fatalf("a breach naming no one: %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM incidents`); n != 0 {
		t.Fatalf("the refused breach stored %d incidents", n)
	}
	form["person"] = []string{s.Ann.ID}
	manager.Get("/governance/incidents")
	if r := manager.Post("/governance/incidents", form); r.Status != http.StatusSeeOther {
		t.Fatalf("record the breach: %d", r.Status)
	}
	var incidentID string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM incidents`).Scan(&incidentID); err != nil {
		t.Fatal(err)
	}
	in, err := s.Governance.AssessBreach(s.Ctx, ig.Actor, incidentID, governance.BreachAssessment{Risk: "risk", RiskNotes: "Name seen",
		NotReportedWhy: "", ICOReportedAt: s.Clock.Now().Add(-time.Minute), ICOReference: "IC-1", TellPeople: "yes",
		Letter: governance.Letter{Meaning: "Little", Next: "Nothing more", Contact: "The manager"}})
	if err != nil {
		t.Fatal(err)
	}

	// A letter for someone the breach did not affect.
	r = lead.Get("/governance/incidents/" + in.ID + "/letters/" + bob.ID)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This person was not affected by this breach") {
		t.Errorf("a letter for Bob: %d", r.Status)
	}
	r = lead.Get("/governance/incidents/" + in.ID + "/letters/" + s.Ann.ID + "/letter.pdf")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.Body, "%PDF") {
		t.Errorf("Ann's letter as PDF: %d %s", r.Status, r.Header.Get("Content-Type"))
	}

	// Disposal: Cy's care ended in 2017.
	cy, err := s.People.Register(s.Ctx, s.Manager.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: "Cy", FamilyName: "Hale",
		DateOfBirth: time.Date(1930, 1, 5, 0, 0, 0, 0, time.UTC), CareStartsOn: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.People.EndCare(s.Ctx, s.Manager.Actor, cy.ID, people.EndOfCare{Reason: "died", On: time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	hold, err := s.Governance.PlaceHold(s.Ctx, ig.Actor, cy.ID, "Inquest pending")
	if err != nil {
		t.Fatal(err)
	}
	manager.Get("/governance/retention")
	r = manager.Post("/governance/retention/disposals", url.Values{"person": {cy.ID}, "reason": {"Period reached"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "under a legal hold (Inquest pending)") {
		t.Errorf("a disposal under a legal hold: %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM disposals`); n != 0 {
		t.Fatalf("the refused disposal stored %d rows", n)
	}
	if err := s.Governance.LiftHold(s.Ctx, ig.Actor, hold.ID, "Inquest closed"); err != nil {
		t.Fatal(err)
	}
	manager.Get("/governance/retention")
	if r := manager.Post("/governance/retention/disposals", url.Values{"person": {cy.ID}, "reason": {"Period reached"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("ask for the disposal: %d", r.Status)
	}
	var disposalID string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM disposals`).Scan(&disposalID); err != nil {
		t.Fatal(err)
	}
	manager.Get("/governance/retention")
	r = manager.Post("/governance/retention/disposals/"+disposalID+"/approve", url.Values{})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "A second senior account must approve this disposal") {
		t.Errorf("approving one's own disposal: %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM people WHERE disposed_at IS NOT NULL`); n != 0 {
		t.Fatal("the refused approval hid the record")
	}
	// A care worker cannot approve either: no permission.
	carer := s.Client(srv.URL)
	carer.SignIn(s.Carer)
	carer.Get("/")
	if r := carer.Post("/governance/retention/disposals/"+disposalID+"/approve", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("a care worker approving: %d", r.Status)
	}
	lead.Get("/governance/retention")
	if r := lead.Post("/governance/retention/disposals/"+disposalID+"/approve", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("the second approver: %d", r.Status)
	}
	r = lead.Get("/governance/retention/disposals/" + disposalID + "/certificate.pdf")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Errorf("the certificate as PDF: %d", r.Status)
	}
	r = lead.Get("/governance/evidence.pdf")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "%PDF") {
		t.Errorf("the evidence report as PDF: %d", r.Status)
	}
}
