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
)

func planForm(review string) url.Values {
	return url.Values{"area": {"personal-care"}, "outcome": {"I want to wash myself"}, "how_met": {"Help with my back"},
		"preferences": {"Morning shower"}, "involved": {"person", "family"}, "involved_names": {"Sue, daughter"},
		"agreement": {"agreed"}, "review_on": {review}}
}

func TestACareWorkerRecordsANoteOverHTTPAndAFutureTimeIsRefusedWithTheInputKept(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	page := c.Get("/people/" + s.Ann.ID + "/notes")
	if page.Status != 200 || !strings.Contains(page.Body, "Ann Jones") || !strings.Contains(page.Body, "No notes about care") {
		t.Fatalf("notes page: %d\n%s", page.Status, page.Body)
	}
	now := s.Clock.Now().In(time.UTC)
	r := c.Post("/people/"+s.Ann.ID+"/notes", url.Values{"category": {"mood"}, "body": {"Sang along to the radio"},
		"care_date": {now.Format("2006-01-02")}, "care_time": {now.Add(2 * time.Hour).Format("15:04")}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Time of care must not be in the future") ||
		!strings.Contains(r.Body, "Sang along to the radio") {
		t.Fatalf("future time: %d\n%s", r.Status, r.Body)
	}
	r = c.Post("/people/"+s.Ann.ID+"/notes", url.Values{"category": {"mood"}, "body": {strings.Repeat("x", care.MaxText+1)},
		"care_date": {now.Format("2006-01-02")}, "care_time": {"09:00"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Note must be 4000 characters or fewer") {
		t.Fatalf("over-long: %d", r.Status)
	}
	// In March the UK is on GMT, so 09:00 local is 09:00 UTC: one hour ago.
	r = c.Post("/people/"+s.Ann.ID+"/notes", url.Values{"category": {"mood"}, "body": {"Sang along to the radio"},
		"care_date": {now.Format("2006-01-02")}, "care_time": {"09:00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	page = c.Get("/people/" + s.Ann.ID + "/notes")
	if !strings.Contains(page.Body, "Sang along to the radio") || strings.Contains(page.Body, `data-testid="late"`) {
		t.Fatalf("the note is not shown, or shown late")
	}
	if n := s.Count(`SELECT COUNT(*) FROM daily_notes`); n != 1 {
		t.Fatalf("want 1 note stored, got %d", n)
	}
}

func TestTheSecondOfTwoPeopleSavingTheSameCarePlanVersionGetsTheirTextBack(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	srv := s.Server()
	review := s.Clock.Now().AddDate(0, 1, 0).Format("2006-01-02")
	m := s.Client(srv.URL)
	m.SignIn(s.Manager)
	m.Get("/people/" + s.Ann.ID + "/care-plans/new")
	r := m.Post("/people/"+s.Ann.ID+"/care-plans", planForm(review))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("new plan: %d\n%s", r.Status, r.Body)
	}
	planPath := r.Location
	k := s.Client(srv.URL)
	k.SignIn(senior)
	// Both open version 1.
	m.Get(planPath + "/edit")
	k.Get(planPath + "/edit")
	mine := planForm(review)
	mine.Set("based_on", "1")
	mine.Set("how_met", "Help with back and hair")
	mine.Set("reason", "Monthly review")
	if r := m.Post(planPath, mine); r.Status != http.StatusSeeOther {
		t.Fatalf("first save: %d\n%s", r.Status, r.Body)
	}
	theirs := planForm(review)
	theirs.Set("based_on", "1")
	theirs.Set("how_met", "Only her feet now: she manages her back")
	theirs.Set("reason", "Ann is stronger")
	r = k.Post(planPath, theirs)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "Someone else changed this care plan since you opened it") ||
		!strings.Contains(r.Body, "Only her feet now: she manages her back") || !strings.Contains(r.Body, "Help with back and hair") ||
		!strings.Contains(r.Body, `name="based_on" value="2"`) {
		t.Fatalf("conflict: %d\n%s", r.Status, r.Body)
	}
	// Saving again, now knowingly after version 2, makes version 3.
	theirs.Set("based_on", "2")
	if r := k.Post(planPath, theirs); r.Status != http.StatusSeeOther {
		t.Fatalf("second try: %d\n%s", r.Status, r.Body)
	}
	page := k.Get(planPath + "?version=2")
	if !strings.Contains(page.Body, "Help with back and hair") || !strings.Contains(page.Body, "An earlier version") {
		t.Fatalf("version 2 is not readable")
	}
}

func TestACareWorkerIsRefusedAChangeToACarePlanAndTheRefusalIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	v, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, care.PlanDraft{Area: "mobility", Outcome: "Walk to the garden",
		HowMet: "Frame and a companion", Involved: care.Involvement{Kinds: []string{"person"}}, Agreement: "agreed", ReviewOn: s.Clock.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	page := c.Get("/people/" + s.Ann.ID + "/care-plans/" + v.PlanID)
	if page.Status != 200 || strings.Contains(page.Body, "Change this plan") || !strings.Contains(page.Body, "Walk to the garden") {
		t.Fatalf("a care worker reads the plan without a change button: %d", page.Status)
	}
	f := planForm(s.Clock.Now().AddDate(0, 1, 0).Format("2006-01-02"))
	f.Set("based_on", "1")
	f.Set("reason", "I think so")
	r := c.Post("/people/"+s.Ann.ID+"/care-plans/"+v.PlanID, f)
	if r.Status != http.StatusForbidden {
		t.Fatalf("want 403, got %d", r.Status)
	}
	evs, _ := s.Audit.ByRequest(s.Ctx, r.RequestID)
	if len(evs) != 1 || evs[0].Action != "write-plan" || evs[0].Decision != "deny" || evs[0].Reason != "no-permission" {
		t.Fatalf("want one audited refusal, got %+v", evs)
	}
}

func TestACareWorkerOffTheTeamIsDeniedANoteAndAboutMeAndBothAreAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)
	c.Get("/")
	for _, path := range []string{"/notes", "/about-me"} {
		r := c.Post("/people/"+s.Ann.ID+path, url.Values{"category": {"other"}, "body": {"x"}, "section": {"worries"}, "care_date": {"2026-03-03"}, "care_time": {"09:00"}})
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Ann") {
			t.Fatalf("%s: want a 404 that does not name Ann, got %d", path, r.Status)
		}
		evs, _ := s.Audit.ByRequest(s.Ctx, r.RequestID)
		if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].PersonID != s.Ann.ID || evs[0].Action != "write-record" {
			t.Fatalf("%s: want one audited denial, got %+v", path, evs)
		}
	}
	if s.Count(`SELECT COUNT(*) FROM daily_notes`)+s.Count(`SELECT COUNT(*) FROM about_me_entries`) != 0 {
		t.Fatal("a denied write was stored")
	}
}

func TestAboutMeOverHTTPKeepsTheInputWhenTooLongAndShowsCommunicationNeeds(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	c.Get("/people/" + s.Ann.ID + "/about-me")
	r := c.Post("/people/"+s.Ann.ID+"/about-me", url.Values{"section": {"history"}, "body": {strings.Repeat("y", 4001)}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "What to add must be 4000 characters or fewer") {
		t.Fatalf("over-long: %d", r.Status)
	}
	r = c.Post("/people/"+s.Ann.ID+"/about-me", url.Values{"section": {"communication"}, "body": {"Face me and speak clearly"},
		"formats": {"large-print", "bsl"}, "support": {"A BSL interpreter for appointments"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", r.Status, r.Body)
	}
	page := c.Get("/people/" + s.Ann.ID + "/about-me")
	for _, want := range []string{"Ann Jones", "My communication", "Face me and speak clearly", "Large print, British Sign Language interpreter",
		"A BSL interpreter for appointments", "Test carer (Care worker)", "What matters to me", "Things that worry or upset me"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("About Me lacks %q", want)
		}
	}
}
