package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/door"
)

func TestStaffRecordALawfulBasisOtherThanConsentThePageMarksItAndTheDoorSharesOnIt(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	c.Get("/people/" + s.Ann.ID + "/lawful-basis/new")
	bad := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"no basis chosen", url.Values{"recipient": {"Adult social care"}, "reason": {"Section 42 enquiry opened"}},
			[]string{"Choose the lawful basis", "Section 42 enquiry opened"}},
		{"no reason", url.Values{"basis": {"safeguarding"}, "recipient": {"Adult social care"}}, []string{"Say why, in at least 10 characters"}},
		{"a start that is not a date", url.Values{"basis": {"safeguarding"}, "recipient": {"Adult social care"}, "reason": {"Section 42 enquiry opened"},
			"starts": {"next Tuesday"}}, []string{"Start date must be a real date"}},
		{"an end before the start", url.Values{"basis": {"court-order"}, "recipient": {"Court of Protection"}, "reason": {"Order COP 1234 for records"},
			"starts": {"2026-03-10"}, "ends": {"2026-03-05"}}, []string{"End date must be after the start date"}},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			r := c.Post("/people/"+s.Ann.ID+"/lawful-basis", tc.form)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.Body, w) {
					t.Errorf("the form does not say %q", w)
				}
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM lawful_bases`); n != 0 {
		t.Fatalf("%d bases written from bad input", n)
	}
	carer := s.Client(s.Server().URL)
	carer.SignIn(s.Carer)
	if r := carer.Post("/people/"+s.Ann.ID+"/lawful-basis", url.Values{"basis": {"safeguarding"}, "recipient": {"Adult social care"},
		"reason": {"Section 42 enquiry opened"}}); r.Status != http.StatusForbidden {
		t.Fatalf("a care worker recorded a lawful basis: %d", r.Status)
	}
	r := c.Post("/people/"+s.Ann.ID+"/lawful-basis", url.Values{"basis": {"safeguarding"}, "recipient": {"Adult social care"},
		"reason": {"Section 42 enquiry opened after unexplained bruising"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("record: %d\n%s", r.Status, r.Body)
	}
	page := c.Get("/people/" + s.Ann.ID + "/consent")
	i := strings.Index(page.Body, `data-testid="lawful-bases"`)
	if i < 0 {
		t.Fatal("the consent page does not show the lawful basis")
	}
	section := page.Body[i:]
	for _, want := range []string{"Not consent", "nhsuk-tag--orange\">Safeguarding", "With Adult social care", "unexplained bruising", "recorded by Test manager"} {
		if !strings.Contains(section, want) {
			t.Errorf("the marked basis does not show %q", want)
		}
	}
	var d access.Decision
	if err := s.Door.Run(s.Ctx, s.Manager.Actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: access.Sharing, PersonID: s.Ann.ID, Recipient: "Adult social care",
			ResourceType: "Patient", ResourceID: s.Ann.ID})
		if a != nil {
			d = a.Decision
		}
		return err
	}); err != nil || !d.Permit || !d.SpecialBasis {
		t.Fatalf("sharing on the recorded basis: %v %+v", err, d)
	}
}

func TestEndingARepresentativesAuthorityOnTheConsentPageStopsTheirPortalAccessAtOnce(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Consent.RecordAssessment(s.Ctx, s.Manager.Actor, consent.NewAssessment{PersonID: s.Ann.ID, Decision: consent.DecisionCareAndSupport,
		AssessedAt: s.Clock.Now().Add(-time.Hour), Assessor: "Eilidh Ross, nurse", Impairment: true, Communicate: true,
		Evidence: "Could not retain the information"}); err != nil {
		t.Fatal(err)
	}
	mary := portalAccount(t, s, "mary", "Mary Jones", consent.AuthorityLPAHealthWelfare)
	mc := s.Client(s.Server().URL)
	mc.SignIn(mary)
	if r := mc.Get("/my/" + s.Ann.ID + "/record"); r.Status != http.StatusOK {
		t.Fatalf("the attorney cannot read before the end: %d", r.Status)
	}
	pg, err := s.Consent.Page(s.Ctx, s.Manager.Actor, s.Ann.ID)
	if err != nil || len(pg.Representatives) != 1 {
		t.Fatal(err, pg.Representatives)
	}
	rep := pg.Representatives[0]
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	if page := c.Get("/people/" + s.Ann.ID + "/consent"); !strings.Contains(page.Body, "/representatives/end?representative="+rep.ID) {
		t.Fatal("the consent page does not offer to end the authority")
	}
	form := c.Get("/people/" + s.Ann.ID + "/representatives/end?representative=" + rep.ID)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `value="2026-03-03"`) || !strings.Contains(form.Body, "End Mary Jones's authority") {
		t.Fatalf("end form: %d\n%s", form.Status, form.Body[strings.Index(form.Body, "<main"):])
	}
	bad := []struct {
		name  string
		form  url.Values
		wants []string
	}{
		{"no reason", url.Values{"representative": {rep.ID}, "ends_on": {"2026-03-03"}}, []string{"Say why the authority ends"}},
		{"an end date that is not a date", url.Values{"representative": {rep.ID}, "ends_on": {"soon"}, "reason": {"The LPA was revoked by deed"}},
			[]string{"End date must be a real date", "The LPA was revoked by deed"}},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			r := c.Post("/people/"+s.Ann.ID+"/representatives/end", tc.form)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.Body, w) {
					t.Errorf("the form does not say %q", w)
				}
			}
			if r := mc.Get("/my/" + s.Ann.ID + "/record"); r.Status != http.StatusOK {
				t.Fatalf("a refused ending stopped the attorney's access: %d", r.Status)
			}
		})
	}
	r := c.Post("/people/"+s.Ann.ID+"/representatives/end", url.Values{"representative": {rep.ID}, "ends_on": {"2026-03-03"},
		"reason": {"The LPA was revoked by the Court of Protection"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("end: %d\n%s", r.Status, r.Body)
	}
	after := mc.Get("/my/" + s.Ann.ID + "/record")
	if after.Status == http.StatusOK || strings.Contains(after.Body, "Your care record") {
		t.Fatalf("the former attorney still reads Ann's record: %d", after.Status)
	}
	evs, _ := s.Audit.ByRequest(s.Ctx, after.RequestID)
	if len(evs) == 0 || evs[0].Decision != "deny" || evs[0].Reason != "no-authority" {
		t.Errorf("the refusal is not audited as an authority no longer in force: %+v", evs)
	}
	page := c.Get("/people/" + s.Ann.ID + "/consent")
	if !strings.Contains(page.Body, "Ended because: The LPA was revoked by the Court of Protection (recorded by Test manager)") {
		t.Error("the consent page does not say why the authority ended")
	}
}
