package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/tech"
)

// annUsesBedSense records Ann's use of the bed sensor (techScenario gives
// the technology, her consent and the manager's training).
func annUsesBedSense(t *testing.T, s *apptest.Scenario, bed tech.Technology) tech.Use {
	t.Helper()
	u, err := s.Tech.CreateUse(s.Ctx, s.Manager.Actor, s.Ann.ID, tech.NewUse{TechnologyID: bed.ID, NextReview: "2026-06-03", Record: tech.Record{
		Reason: "Ann has fallen twice at night getting up", WhenHow: "Mat under the mattress at night",
		InformationGiven: "What it senses and who is alerted", InformationFormat: "Spoken and large print",
		DecisionProcess: "Ann decided with her daughter", DataUse: "Alerts to night staff only", ReviewPlan: "Ask Ann how it feels",
		Withdrawal: "Tell any member of staff", Rights: "Privacy: only getting up is sensed", SafetyAssessment: "Less intrusive than hourly checks",
		RelationalCare: "Staff sit with Ann when she is up", Alternatives: "Hourly checks, a low bed"}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAPersonsConcernAboutHerOwnTechnologyGoesToTheRegisteredManagersConcernsList(t *testing.T) {
	s, bed := techScenario(t)
	annUsesBedSense(t, s, bed)
	// A concern raised on the portal before concerns went to the technology path stays readable.
	if _, err := s.DB.Exec(s.Ctx, `INSERT INTO portal_concerns (id, person_id, about, concern, raised_by, raised_by_name, raised_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hearth.NewID(), s.Ann.ID, "Night checks", "The torch wakes me", s.Manager.ID, "Ann Jones", s.Clock.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ann := portalAccount(t, s, "ann.jones", "", "")
	c := s.Client(s.Server().URL)
	c.SignIn(ann)
	page := c.Get("/my/" + s.Ann.ID + "/corrections")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `value="`+bed.ID+`" checked`) || !strings.Contains(page.Body, "BedSense") {
		t.Fatalf("the concern form does not offer Ann's technology as the default: %d", page.Status)
	}
	if !strings.Contains(page.Body, "The torch wakes me") {
		t.Error("an older portal concern is no longer readable")
	}
	bad := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"a technology that is not used in Ann's care", url.Values{"technology": {hearth.NewID()}, "concern": {"It beeps all night"}},
			[]string{"Choose which of your technologies the concern is about", "It beeps all night"}},
		{"an empty concern", url.Values{"technology": {bed.ID}, "concern": {"  "}}, []string{"Describe the concern"}},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			r := c.Post("/my/"+s.Ann.ID+"/concerns", tc.form)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.Body, w) {
					t.Errorf("the page does not say %q", w)
				}
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_concerns`); n != 0 {
		t.Fatalf("%d concerns written from bad input", n)
	}
	r := c.Post("/my/"+s.Ann.ID+"/concerns", url.Values{"technology": {bed.ID}, "concern": {"The mat alarm goes off when I turn over and I feel watched"}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "has gone to the registered manager of Rowan House (Test manager)") {
		t.Fatalf("raised: %d\n%s", r.Status, r.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_concerns WHERE person_id = ? AND technology_id = ? AND raised_kind = 'person'`, s.Ann.ID, bed.ID); n != 1 {
		t.Fatalf("%d technology concerns from Ann", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM portal_concerns`); n != 1 {
		t.Fatalf("a technology concern went to the portal's own table: %d rows", n)
	}
	m := s.Client(s.Server().URL)
	m.SignIn(s.Manager)
	list := m.Get("/governance/technology-concerns")
	if !strings.Contains(list.Body, "The mat alarm goes off when I turn over") || !strings.Contains(list.Body, "BedSense") {
		t.Fatalf("the manager's concerns list does not show Ann's concern:\n%s", list.Body)
	}
	// Something else still goes to the portal's own concerns.
	if r := c.Post("/my/"+s.Ann.ID+"/concerns", url.Values{"technology": {"other"}, "about": {"Meals"}, "concern": {"Supper is too early"}}); r.Status != http.StatusOK {
		t.Fatalf("general concern: %d", r.Status)
	}
	page = c.Get("/my/" + s.Ann.ID + "/corrections")
	for _, want := range []string{"The mat alarm goes off", "Supper is too early", "The torch wakes me", "Open"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("Ann's concerns do not show %q", want)
		}
	}
}

func TestAPersonReadsAndDownloadsHerOwnCopyOfATechnologyUseRecordThroughTheDoor(t *testing.T) {
	s, bed := techScenario(t)
	u := annUsesBedSense(t, s, bed)
	if _, err := s.Tech.RecordCopy(s.Ctx, s.Manager.Actor, s.Ann.ID, u.ID, "Ann", "large-print", ""); err != nil {
		t.Fatal(err)
	}
	ann := portalAccount(t, s, "ann.jones", "", "")
	c := s.Client(s.Server().URL)
	c.SignIn(ann)
	rec := c.Get("/my/" + s.Ann.ID + "/record")
	if !strings.Contains(rec.Body, "/my/"+s.Ann.ID+"/technology/"+u.ID+"?version=easy-read") {
		t.Fatal("the care record does not link to the easy-read copy")
	}
	cases := []struct {
		name, path string
		wants      []string
	}{
		{"standard", "", []string{"1. What the technology is", "Ann has fallen twice at night getting up", "8. How to withdraw consent", "Ann&#39;s rights", "Large print, given to Ann (record version 1)"}},
		{"easy read", "?version=easy-read", []string{"What it is", "How to stop it", "Tell any member of staff.", `role="img" aria-label="A stop sign"`}},
		{"large print", "?version=large-print", []string{"hearth-tech-copy--large", "Mat under the mattress at night"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Get("/my/" + s.Ann.ID + "/technology/" + u.ID + tc.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.Body, w) {
					t.Errorf("the copy does not say %q", w)
				}
			}
			evs, _ := s.Audit.ByRequest(s.Ctx, r.RequestID)
			found := false
			for _, e := range evs {
				found = found || (e.Action == "read-tech-use" && e.Purpose == "own-record" && e.Decision == "permit" && strings.Contains(e.Detail, "own copy"))
			}
			if !found {
				t.Errorf("not decided as Ann reading her own technology record: %+v", evs)
			}
		})
	}
	pdf := c.Get("/my/" + s.Ann.ID + "/technology/" + u.ID + "/copy.pdf")
	if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("PDF: %d %q", pdf.Status, pdf.Body[:min(20, len(pdf.Body))])
	}
	// Someone else's use record reads the same as a missing one.
	bob := s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: bob.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: bed.ID, TechnologyName: bed.Name, Decision: "permit", InfoGiven: "What the mat senses", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	if other := c.Get("/my/" + bob.ID + "/technology/" + u.ID); other.Status != http.StatusNotFound {
		t.Errorf("another person's record: %d", other.Status)
	}
	if missing := c.Get("/my/" + s.Ann.ID + "/technology/" + hearth.NewID()); missing.Status != http.StatusNotFound {
		t.Errorf("a missing record: %d", missing.Status)
	}
	// Staff are refused on the portal's copy, after an audited decision.
	m := s.Client(s.Server().URL)
	m.SignIn(s.Manager)
	if r := m.Get("/my/" + s.Ann.ID + "/technology/" + u.ID); r.Status != http.StatusForbidden {
		t.Errorf("staff on the portal copy: %d", r.Status)
	}
}
