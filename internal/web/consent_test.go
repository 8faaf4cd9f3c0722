package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/consent"
)

func consentForm(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func wantBody(t *testing.T, r apptest.Response, status int, wants ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d:\n%s", r.Status, status, r.Body)
	}
	for _, w := range wants {
		if !strings.Contains(r.Body, w) {
			t.Errorf("page does not say %q", w)
		}
	}
}

func TestTheConsentPageShowsThePositionAtAGlanceAndRecordingAndWithdrawingChangeIt(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	path := "/people/" + s.Ann.ID + "/consent"
	wantBody(t, c.Get(path), http.StatusOK, "Photographs: no decision recorded", "Care and support: no decision recorded", "Record consent")

	r := c.Post(path, consentForm("purpose", "sharing", "recipient", "Riverside GP", "decision", "permit", "scope", "care-record",
		"scope", "medicines", "info_given", "Explained with the leaflet", "info_format", "large-print", "review_on", "2027-03-03"))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("record: %d %s", r.Status, r.Body)
	}
	wantBody(t, c.Get(path), http.StatusOK, "Sharing with Riverside GP: yes, given by Ann on 3 March 2026, review by 3 March 2027")

	var id string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM consents WHERE person_id = ?`, s.Ann.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(24 * time.Hour)
	c.SignIn(s.Manager) // the session ended overnight
	if r := c.Post(path+"/withdraw", consentForm("consent", id)); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	wantBody(t, c.Get(path), http.StatusOK, "Sharing with Riverside GP: no. Consent was withdrawn on 4 March 2026 by Test manager",
		"Withdrawn on 4 March 2026 by Test manager")
	s.Clock.Advance(24 * time.Hour)
	c.SignIn(s.Manager)
	wantBody(t, c.Post(path+"/withdraw", consentForm("consent", id)), http.StatusConflict,
		"This consent was already withdrawn on 4 March 2026 by Test manager. Nothing was changed.")
}

func TestConsentFormsRefuseBadInputNamingTheRuleAndKeepWhatWasTyped(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	base := "/people/" + s.Ann.ID
	son, err := s.Consent.RecordRepresentative(s.Ctx, s.Manager.Actor, consent.NewRepresentative{PersonID: s.Ann.ID, Name: "Tom Jones",
		Authority: consent.AuthorityLPAPropertyFinance, EvidenceReference: "OPG 1", VerifiedBy: "Grace", VerifiedOn: s.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Consent.RecordAssessment(s.Ctx, s.Manager.Actor, consent.NewAssessment{PersonID: s.Ann.ID, Decision: "technology:bed-1",
		AssessedAt: s.Clock.Now(), Assessor: "Eilidh", Impairment: true, Evidence: "Could not retain"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		form       url.Values
		wants      []string
	}{
		{"consent without what the person was told is not informed", base + "/consent",
			consentForm("purpose", "photographs", "decision", "permit", "recipients", "Only the care team"),
			[]string{"consent without it is not informed", `value="Only the care team"`}},
		{"an end date before the start is refused", base + "/consent",
			consentForm("purpose", "photographs", "decision", "permit", "info_given", "Told", "info_format", "standard", "starts", "2026-03-10", "ends", "2026-03-05"),
			[]string{"End date must be after the start date"}},
		{"a date that is not a date is refused", base + "/consent",
			consentForm("purpose", "photographs", "decision", "permit", "info_given", "Told", "info_format", "standard", "ends", "31/02/2026"),
			[]string{"End date must be a real date"}},
		{"an LPA for property and finance cannot consent to a care technology", base + "/consent",
			consentForm("purpose", "technology", "technology_id", "bed-1", "decision", "permit", "representative", son.ID, "info_given", "Told", "info_format", "standard"),
			[]string{"covers money and property only: Tom Jones cannot consent to a care technology"}},
		{"a capacity assessment without the decision is refused", base + "/capacity",
			consentForm("assessor", "Eilidh", "assessed_at", "2026-03-03T09:00", "evidence", "Talked", "impairment", "yes"),
			[]string{"capacity is decision-specific", `value="Eilidh"`}},
		{"a best-interests decision with nobody consulted is refused", base + "/best-interests",
			consentForm("decision", "other", "decision_other", "Where to live", "wishes", "Home", "options", "Stay; move", "outcome", "Stay", "reasons", "r", "decision_maker", "Grace"),
			[]string{"Record who was consulted, or why nobody could be"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Count(`SELECT COUNT(*) FROM consents`) + s.Count(`SELECT COUNT(*) FROM best_interests`)
			wantBody(t, c.Post(tc.path, tc.form), http.StatusUnprocessableEntity, tc.wants...)
			if after := s.Count(`SELECT COUNT(*) FROM consents`) + s.Count(`SELECT COUNT(*) FROM best_interests`); after != before {
				t.Fatal("bad input changed something")
			}
		})
	}
}

func TestACareWorkerSeesTheConsentPageButCannotRecord(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)
	r := c.Get("/people/" + s.Ann.ID + "/consent")
	wantBody(t, r, http.StatusOK, "Your role does not include recording consent")
	if strings.Contains(r.Body, "Record consent</a>") {
		t.Fatal("a care worker is offered recording")
	}
	if r := c.Post("/people/"+s.Ann.ID+"/consent", consentForm("purpose", "photographs")); r.Status != http.StatusForbidden {
		t.Fatalf("care worker recording: %d", r.Status)
	}
	other := s.Client(srv.URL)
	other.SignIn(s.OtherCarer)
	if r := other.Get("/people/" + s.Ann.ID + "/consent"); r.Status != http.StatusNotFound {
		t.Fatalf("someone off the care team: %d", r.Status)
	}
}

func TestThePrintableConsentFormsArePrefilledAndSayHowToWithdraw(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	base := "/people/" + s.Ann.ID + "/consent/form?purpose=sharing&recipient=Riverside+GP"
	wantBody(t, c.Get(base), http.StatusOK, "Consent form: Sharing information with Riverside GP", "Ann Jones", "943 476 5919",
		"How to withdraw", "It stops straight away", "What will be recorded", "Who will see it")
	wantBody(t, c.Get(base+"&easy=1"), http.StatusOK, "hearth-easy-read", "This form is for <strong data-testid=\"form-person\">Ann Jones</strong>",
		"You can change your mind at any time.", "Saying no will not stop your care.")
}
