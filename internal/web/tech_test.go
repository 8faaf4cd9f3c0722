package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/consent"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// techScenario adds an approved bed sensor, Ann's consent to it and the
// manager's training to the usual cast.
func techScenario(t *testing.T) (*apptest.Scenario, tech.Technology) {
	s := apptest.NewScenario(t)
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	bed, err := s.Tech.Save(s.Ctx, s.Manager.Actor, tech.Technology{Name: "BedSense", Supplier: "Sensa Ltd", Kind: tech.KindSafety,
		Surveillance: true, SurveillanceType: "bed-sensor", IntendedUse: "Alert night staff when someone at risk of falls gets up",
		Evidence: tech.Evidence{Summary: "Two small studies", Quality: "moderate", Date: d, Reviewer: "Dr Lee", Tier: "C"},
		DTAC:     tech.Assessment{Date: d, Outcome: tech.OutcomePass}, DPIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass},
		EHIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass}, Coproduction: tech.Coproduction{Who: "Residents' forum", Date: d},
		ApprovedServiceTypes: []string{people.CareHome}, TrainingModule: "BedSense safe use", RefresherMonths: 12,
		Contingency: "Hourly checks", Status: tech.StatusApproved, Measures: []tech.Measure{{Name: "Experience", Experience: true}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: bed.ID, TechnologyName: bed.Name, Decision: "permit", InfoGiven: "What the mat senses", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tech.RecordTraining(s.Ctx, s.Manager.Actor, tech.NewTraining{UserID: s.Manager.ID, Module: "BedSense safe use", CompletedOn: "2026-01-10"}); err != nil {
		t.Fatal(err)
	}
	return s, bed
}

func useForm(techID string) url.Values {
	return url.Values{"technology_id": {techID}, "reason": {"Ann has fallen twice at night getting up"}, "when_how": {"Mat under the mattress at night"},
		"information_given": {"What it senses and who is alerted"}, "information_format": {"Spoken and large print"},
		"decision_process": {"Ann decided with her daughter"}, "data_use": {"Alerts to night staff only"}, "next_review": {"2026-06-03"},
		"review_plan": {"Ask Ann how it feels"}, "withdrawal": {"Tell any member of staff"}, "rights": {"Privacy: only getting up is sensed"},
		"safety_assessment": {"Less intrusive than hourly checks"}, "relational_care": {"Staff sit with Ann when she is up"},
		"alternatives": {"Hourly checks, a low bed"}}
}

func TestAUseFormCarryingSeveralPeopleIsRefusedAndAMissingItemIsNamedNextToItsField(t *testing.T) {
	s, bed := techScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Price", "")
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	c.Get("/people/" + s.Ann.ID + "/technology")

	several := useForm(bed.ID)
	several["person_id"] = []string{s.Ann.ID, bob.ID}
	r := c.Post("/people/"+s.Ann.ID+"/technology", several)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "one person at a time") {
		t.Fatalf("several people: %d\n%s", r.Status, r.Body)
	}
	missing := useForm(bed.ID)
	missing.Del("withdrawal")
	r = c.Post("/people/"+s.Ann.ID+"/technology", missing)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `id="withdrawal-error">Explain how the person can withdraw their consent`) ||
		!strings.Contains(r.Body, "Ann has fallen twice at night getting up") {
		t.Fatalf("missing item: %d (want the message by the field and the typed text kept)", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_uses`); n != 0 {
		t.Fatalf("%d uses written", n)
	}
	r = c.Post("/people/"+s.Ann.ID+"/technology", useForm(bed.ID))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("valid use: %d\n%s", r.Status, r.Body)
	}
	pdf := c.Get(r.Location + "/copy.pdf")
	if pdf.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("PDF copy: %s %q", pdf.Header.Get("Content-Type"), pdf.Body[:min(10, len(pdf.Body))])
	}
}

// A registered manager's journey, in a real browser at phone size: the
// register shows the bed sensor; Ann's technology page refuses a use with a
// past review date, naming it; the use is recorded; her easy-read copy
// shows the eight items; a concern raised reaches the manager's list; and
// once Ann withdraws consent her page says the use has stopped.
func TestJourneyTechnologyUseFromRegisterToWithdrawal(t *testing.T) {
	s, bed := techScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)

	b.Go("/governance/technology")
	b.MustSee("BedSense")
	b.Go("/governance/technology/" + bed.ID)
	b.MustSee("Every care home")

	b.Go("/people/" + s.Ann.ID + "/technology")
	b.MustSee("No technology is recorded in Ann's care")
	form := useForm(bed.ID)
	b.Fill("#technology_id", bed.ID)
	for _, k := range []string{"reason", "when_how", "information_given", "information_format", "decision_process", "data_use",
		"review_plan", "withdrawal", "rights", "safety_assessment", "relational_care", "alternatives"} {
		b.Fill("#"+k, form.Get(k))
	}
	b.Run(chromedp.SetValue(chromedp.CSS("#next_review"), "2026-03-01"))
	b.Click("#record-use")
	b.MustSee("The next review date must be in the future")
	b.Run(chromedp.SetValue(chromedp.CSS("#next_review"), "2026-06-03"))
	b.Click("#record-use")
	b.MustSee("Lawful basis: Consent")
	b.Click("a[href$='copy?version=easy-read']")
	b.MustSee("How to stop it")
	b.MustSee("Tell any member of staff")

	b.Go("/people/" + s.Ann.ID + "/technology")
	b.Fill("#concern", "Ann seems worried the mat listens to her")
	b.Click("#raise-concern")
	b.Go("/governance/technology-concerns")
	b.MustSee("Ann seems worried the mat listens to her")

	uses, err := s.Tech.PersonTechnology(s.Ctx, s.Manager.Actor, s.Ann.ID)
	if err != nil || len(uses.Uses) != 1 {
		t.Fatalf("uses: %v", err)
	}
	s.Clock.Advance(time.Minute)
	if _, err := s.Consent.Withdraw(s.Ctx, s.Manager.Actor, s.Ann.ID, uses.Uses[0].BasisID, "Ann said so"); err != nil {
		t.Fatal(err)
	}
	b.Go("/people/" + s.Ann.ID + "/technology")
	if got := b.Text("[data-testid=use-state]"); !strings.Contains(got, "Stopped: consent was withdrawn on 3 March 2026") {
		t.Fatalf("use state shows %q", got)
	}
}
