package web_test

import (
	"strings"
	"testing"

	"hearth/internal/tech"
)

// When the lawful basis for a technology is withdrawn, the
// use stops at once and staff see it on the person page and on their shift.
func TestAStoppedTechnologyUseShowsOnThePersonPageAndTheShift(t *testing.T) {
	s, bed := techScenario(t)
	use, err := s.Tech.CreateUse(s.Ctx, s.Manager.Actor, s.Ann.ID, tech.NewUse{TechnologyID: bed.ID, RequestedFor: []string{s.Ann.ID},
		NextReview: "2026-06-03", Record: tech.Record{Reason: "Ann has fallen twice at night getting up", WhenHow: "Mat under the mattress at night",
			InformationGiven: "What it senses and who is alerted", InformationFormat: "Spoken and large print",
			DecisionProcess: "Ann decided with her daughter", DataUse: "Alerts to night staff only", ReviewPlan: "Ask Ann how it feels",
			Withdrawal: "Tell any member of staff", Rights: "Privacy: only getting up is sensed", SafetyAssessment: "Less intrusive than hourly checks",
			RelationalCare: "Staff sit with Ann when she is up", Alternatives: "Hourly checks, a low bed"}})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	if page := c.Get("/people/" + s.Ann.ID); strings.Contains(page.Body, `data-testid="attention"`) {
		t.Fatal("a use in good standing is shown as needing attention")
	}

	if _, err := s.Consent.Withdraw(s.Ctx, s.Manager.Actor, s.Ann.ID, use.BasisID, "Ann asked for the mat to go"); err != nil {
		t.Fatal(err)
	}
	page := c.Get("/people/" + s.Ann.ID)
	if !strings.Contains(page.Body, `data-testid="attention"`) || !strings.Contains(page.Body, "BedSense") ||
		!strings.Contains(page.Body, "Stopped: consent was withdrawn") || !strings.Contains(page.Body, "Do not use it.") {
		t.Fatalf("the person page does not show the stopped use:\n%s", page.Body)
	}
	shift := c.Get("/shift")
	if !strings.Contains(shift.Body, `data-testid="shift-technology"`) || !strings.Contains(shift.Body, "Stopped: consent was withdrawn") {
		t.Fatalf("the shift page does not show the stopped use:\n%s", shift.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_use_stops WHERE use_id = ?`, use.ID); n != 1 {
		t.Errorf("the stop was recorded %d times, want once", n)
	}

	// Someone off Ann's team sees none of it on their shift.
	other := s.Client(c.Base)
	other.SignIn(s.OtherCarer)
	if r := other.Get("/shift"); strings.Contains(r.Body, "BedSense") {
		t.Error("a care worker off Ann's team sees her technology")
	}
}
