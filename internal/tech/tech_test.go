package tech_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// fixture is the usual cast plus an approved bed sensor with every
// assessment passed, Ann's consent to it, and the manager's training.
type fixture struct {
	*apptest.Scenario
	Bed tech.Technology
}

func approvedBedSensor() tech.Technology {
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	return tech.Technology{Name: "BedSense", Supplier: "Sensa Ltd", Kind: tech.KindSafety, Surveillance: true, SurveillanceType: "bed-sensor",
		IntendedUse: "Alert night staff when someone at risk of falls gets out of bed",
		Evidence:    tech.Evidence{Summary: "Two small studies", Quality: "moderate", Date: d, Reviewer: "Dr Lee", Tier: "C"},
		DTAC:        tech.Assessment{Date: d, Outcome: tech.OutcomePass}, DPIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass, Reference: "DPIA-7"},
		EHIA: tech.Assessment{Date: d, Outcome: tech.OutcomePassActions}, Coproduction: tech.Coproduction{Who: "Residents' forum", Date: d},
		ApprovedServiceTypes: []string{people.CareHome}, PolicyReference: "POL-12", PolicyReviewMonths: 12,
		TrainingModule: "BedSense safe use", RefresherMonths: 12, Contingency: "Return to hourly checks agreed with the person",
		Status:   tech.StatusApproved,
		Measures: []tech.Measure{{Name: "Falls", Unit: "falls a month", Min: 0, Max: 100}, {Name: "Experience", Experience: true}}}
}

func newFixture(t *testing.T) *fixture {
	s := apptest.NewScenario(t)
	bed, err := s.Tech.Save(s.Ctx, s.Manager.Actor, approvedBedSensor(), "")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{Scenario: s, Bed: bed}
	f.consent(s.Ann, bed)
	f.train(s.Manager, "BedSense safe use", "2026-01-10", "")
	return f
}

func (f *fixture) consent(p people.Person, t tech.Technology) consent.Consent {
	f.T.Helper()
	c, err := f.Consent.Give(f.Ctx, f.Manager.Actor, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: t.ID, TechnologyName: t.Name, Decision: "permit", InfoGiven: "What the sensor does and who sees alerts", InfoFormat: "standard"})
	if err != nil {
		f.T.Fatalf("consent: %v", err)
	}
	return c
}

func (f *fixture) train(who apptest.Staff, module, completed, expires string) {
	f.T.Helper()
	if _, err := f.Tech.RecordTraining(f.Ctx, f.Manager.Actor, tech.NewTraining{UserID: who.ID, Module: module, CompletedOn: completed, ExpiresOn: expires}); err != nil {
		f.T.Fatalf("training: %v", err)
	}
}

func validUse(techID string) tech.NewUse {
	return tech.NewUse{TechnologyID: techID, NextReview: "2026-06-03", Record: tech.Record{
		Reason:            "Ann has fallen twice at night getting up to the toilet and wants staff to come when she gets up",
		WhenHow:           "Sensor mat under the mattress, on from 10pm to 7am",
		InformationGiven:  "We explained what the mat senses, who gets the alert, and that it records nothing else",
		InformationFormat: "Spoken, with a large-print leaflet",
		DecisionProcess:   "Ann decided herself after talking it through with her daughter",
		DataUse:           "Alerts go to night staff pagers and are kept for 30 days to review falls",
		ReviewPlan:        "Talk with Ann about how it feels and count falls since it started",
		Withdrawal:        "Tell any member of staff; the mat is removed the same day",
		Rights:            "Privacy (Article 8): the mat senses only getting up, which Ann chose to protect her safety",
		SafetyAssessment:  "Less intrusive than checks every hour, which wake her",
		RelationalCare:    "Night staff sit with Ann when she is up and unsettled",
		Alternatives:      "Hourly checks (woke her), a low bed (she dislikes it)",
	}}
}

func problems(err error) string {
	var b strings.Builder
	if e, ok := err.(*hearth.Error); ok {
		for _, p := range e.Problems {
			b.WriteString(p.Field + ": " + p.Message + "\n")
		}
		b.WriteString(e.Message)
	}
	return b.String()
}

func TestAUseIsRecordedForOnePersonWithItsLawfulBasisAndEveryVersionKept(t *testing.T) {
	f := newFixture(t)
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	if u.BasisKind != "consent" || u.BasisID == "" || u.Version != 1 || u.State != tech.UseActive {
		t.Fatalf("use = %+v", u)
	}
	n := validUse(f.Bed.ID)
	n.WhenHow, n.Version, n.ChangeReason = "Sensor mat from 9pm", 1, "Ann goes to bed earlier now"
	if _, err := f.Tech.UpdateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, n); err != nil {
		t.Fatal(err)
	}
	// A second editor who started from version 1 loses nothing: a conflict.
	if _, err := f.Tech.UpdateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, n); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("stale edit: %v", err)
	}
	pg, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Versions) != 2 || pg.Versions[1].Record.WhenHow != validUse("").WhenHow || pg.Use.WhenHow != "Sensor mat from 9pm" {
		t.Fatalf("versions = %+v", pg.Versions)
	}
	if got := f.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record-tech-use' AND basis_id = ?`, u.BasisID); got != 2 {
		t.Errorf("want the basis on both audited writes, got %d", got)
	}
}

func TestEachMissingItemIsRefusedNamingItAndNothingIsWritten(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name  string
		blank func(*tech.NewUse)
		want  string
	}{
		{"the specific technology", func(n *tech.NewUse) { n.TechnologyID = "" }, "Choose the specific technology"},
		{"the reason for this person", func(n *tech.NewUse) { n.Reason = " " }, "Say why this technology is being used for this person"},
		{"when and how", func(n *tech.NewUse) { n.WhenHow = "" }, "Say when and how the technology will be used"},
		{"the information given", func(n *tech.NewUse) { n.InformationGiven = "" }, "Summarise the information given to the person"},
		{"the information's format", func(n *tech.NewUse) { n.InformationFormat = "" }, "in what format the information was given"},
		{"the decision-making process", func(n *tech.NewUse) { n.DecisionProcess = "" }, "Describe the decision-making process"},
		{"how their data will be used", func(n *tech.NewUse) { n.DataUse = "" }, "how the person's data from this technology will be used"},
		{"the next review date", func(n *tech.NewUse) { n.NextReview = "" }, "Enter the date of the next review"},
		{"what the review will involve", func(n *tech.NewUse) { n.ReviewPlan = "" }, "Say what the review will involve"},
		{"how to withdraw consent", func(n *tech.NewUse) { n.Withdrawal = "" }, "how the person can withdraw their consent"},
		{"the rights engaged", func(n *tech.NewUse) { n.Rights = "" }, "rights this use engages and why it is proportionate"},
		{"the proportionality assessment of a safety use", func(n *tech.NewUse) { n.SafetyAssessment = "" }, "record the proportionality assessment"},
		{"the relational care alongside a safety use", func(n *tech.NewUse) { n.RelationalCare = "" }, "relational care that goes alongside it"},
		{"the less restrictive alternatives", func(n *tech.NewUse) { n.Alternatives = "" }, "less restrictive alternatives were considered"},
		{"a review date in the past", func(n *tech.NewUse) { n.NextReview = "2026-03-01" }, "The next review date must be in the future"},
		{"a review date that is not a date", func(n *tech.NewUse) { n.NextReview = "soon" }, "Enter the next review date as a date"},
	}
	for _, c := range cases {
		t.Run("missing "+c.name+" is refused", func(t *testing.T) {
			n := validUse(f.Bed.ID)
			c.blank(&n)
			_, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, n)
			if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(problems(err), c.want) {
				t.Fatalf("want refusal naming %q, got %v", c.want, err)
			}
		})
	}
	if n := f.Count(`SELECT COUNT(*) FROM tech_uses`); n != 0 {
		t.Fatalf("%d uses written by refused requests", n)
	}
}

func TestATechnologyNotApprovedOrLackingAnAssessmentOrOutsideItsSettingsIsRefusedNamingWhy(t *testing.T) {
	f := newFixture(t)
	proposed := approvedBedSensor()
	proposed.Name, proposed.Status, proposed.DPIA = "NightWatch", tech.StatusProposed, tech.Assessment{}
	noDPIA, err := f.Tech.Save(f.Ctx, f.Manager.Actor, proposed, "")
	if err != nil {
		t.Fatal(err)
	}
	homeCareOnly := approvedBedSensor()
	homeCareOnly.Name, homeCareOnly.ApprovedServiceTypes = "DoorAlert", []string{people.DomiciliaryBranch}
	elsewhere, err := f.Tech.Save(f.Ctx, f.Manager.Actor, homeCareOnly, "")
	if err != nil {
		t.Fatal(err)
	}
	noCopro := approvedBedSensor()
	noCopro.Name, noCopro.Coproduction = "CamView", tech.Coproduction{}
	camera, err := f.Tech.Save(f.Ctx, f.Manager.Actor, noCopro, "")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tech tech.Technology
		want []string
	}{
		{"a proposed technology with no DPIA", noDPIA, []string{"NightWatch is proposed, not approved or in trial", "This technology has no DPIA recorded"}},
		{"a setting that was not approved", elsewhere, []string{"Rowan House (care home) is not an approved setting for DoorAlert: a new assessment is needed for this setting"}},
		{"surveillance without co-production", camera, []string{"is surveillance and has no co-production evidence recorded"}},
	}
	for _, c := range cases {
		t.Run(c.name+" is refused", func(t *testing.T) {
			f.consent(f.Ann, c.tech)
			_, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(c.tech.ID))
			for _, w := range c.want {
				if !strings.Contains(problems(err), w) {
					t.Errorf("want %q in:\n%s", w, problems(err))
				}
			}
		})
	}
}

func TestAUseWithNoLawfulBasisIsRefused(t *testing.T) {
	f := newFixture(t)
	bob := f.Person(f.Manager, f.Home, "Bob", "Price", "")
	_, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, bob.ID, validUse(f.Bed.ID))
	if !strings.Contains(problems(err), "There is no lawful basis for using BedSense for Bob now") {
		t.Fatalf("got %v", err)
	}
}

func TestARequestForSeveralPeopleIsRefusedAndAudited(t *testing.T) {
	f := newFixture(t)
	bob := f.Person(f.Manager, f.Home, "Bob", "Price", "")
	n := validUse(f.Bed.ID)
	n.RequestedFor = []string{f.Ann.ID, bob.ID}
	_, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, n)
	if !strings.Contains(problems(err), "one person at a time") || !strings.Contains(problems(err), "named 2 people") {
		t.Fatalf("got %v", err)
	}
	if f.Count(`SELECT COUNT(*) FROM tech_uses`) != 0 || f.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record-tech-use' AND outcome = 'invalid'`) != 1 {
		t.Fatal("want nothing written and the attempt audited")
	}
}

func TestWithdrawingConsentStopsTheUseAtOnceAndTheStopIsRecordedOnce(t *testing.T) {
	f := newFixture(t)
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(24 * time.Hour)
	if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, u.BasisID, "Ann told the night nurse"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		pg, err := f.Tech.PersonTechnology(f.Ctx, f.Carer.Actor, f.Ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pg.Uses[0].State != tech.UseStopped || !strings.Contains(pg.Uses[0].StateText, "Stopped: consent was withdrawn on 4 March 2026") {
			t.Fatalf("state = %q %q", pg.Uses[0].State, pg.Uses[0].StateText)
		}
	}
	if n := f.Count(`SELECT COUNT(*) FROM tech_use_stops WHERE use_id = ?`, u.ID); n != 1 {
		t.Errorf("stop recorded %d times", n)
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE resource_id = ? AND detail LIKE '%stopped%'`, u.ID); n != 1 {
		t.Errorf("stop audited %d times", n)
	}
	f.train(f.Carer, "BedSense safe use", "2026-02-01", "")
	err = f.Tech.RecordOutcome(f.Ctx, f.Carer.Actor, f.Ann.ID, u.ID, "falls", "1", "")
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "consent was withdrawn") {
		t.Fatalf("operating a stopped use: %v", err)
	}
}

func TestOnlyStaffWithCurrentTrainingMayRecordOrOperateAUse(t *testing.T) {
	f := newFixture(t)
	senior := f.Staff("senior", access.SeniorCarer)
	f.Assign(f.Manager, f.Ann, senior)
	_, err := f.Tech.CreateUse(f.Ctx, senior.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if hearth.KindOf(err) != hearth.KindForbidden || !strings.Contains(err.Error(), `"BedSense safe use"`) || !strings.Contains(err.Error(), "no record") {
		t.Fatalf("untrained: %v", err)
	}
	f.train(senior, "BedSense safe use", "2025-01-10", "2026-02-10")
	_, err = f.Tech.CreateUse(f.Ctx, senior.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if !strings.Contains(err.Error(), "expired on 10 February 2026") {
		t.Fatalf("expired: %v", err)
	}
	f.train(senior, "BedSense safe use", "2026-03-01", "")
	u, err := f.Tech.CreateUse(f.Ctx, senior.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Tech.RecordOutcome(f.Ctx, f.Carer.Actor, f.Ann.ID, u.ID, "falls", "0", ""); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("an untrained care worker operated it: %v", err)
	}
}

func TestReviewsAreScheduledFlaggedWhenOverdueAndAStopEndsTheUse(t *testing.T) {
	f := newFixture(t)
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Set(time.Date(2026, 6, 10, 10, 0, 0, 0, time.UTC))
	pg, _ := f.Tech.PersonTechnology(f.Ctx, f.Manager.Actor, f.Ann.ID)
	if !pg.Uses[0].ReviewOverdue {
		t.Fatal("a review due on 3 June is not flagged overdue on 10 June")
	}
	f.train(f.Manager, "BedSense safe use", "2026-06-01", "")
	_, err = f.Tech.RecordReview(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, tech.NewReview{Outcome: tech.ReviewContinue, PersonViews: "Ann says she sleeps better", NextReview: "2026-06-01"})
	if !strings.Contains(problems(err), "The next review date must be in the future") {
		t.Fatalf("past review date: %v", err)
	}
	if _, err := f.Tech.RecordReview(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, tech.NewReview{Outcome: tech.ReviewContinue,
		PersonViews: "Ann says she sleeps better", NextReview: "2026-09-10", Measures: map[string]string{"falls": "0", "experience": "5"}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Tech.RecordReview(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, tech.NewReview{Outcome: tech.ReviewStop, PersonViews: "Ann: no longer needed", Notes: "Walking well again"})
	if err != nil {
		t.Fatal(err)
	}
	up, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if up.Use.State != tech.UseEnded || len(up.Reviews) != 2 || len(up.Outcomes) != 2 || len(up.Versions) != 3 {
		t.Fatalf("after stop: state %q, %d reviews, %d outcomes, %d versions", up.Use.State, len(up.Reviews), len(up.Outcomes), len(up.Versions))
	}
}

func TestTheRegisterIsVersionedAndASecondEditorGetsAConflict(t *testing.T) {
	f := newFixture(t)
	bed := f.Bed
	bed.Status = tech.StatusTrial
	_, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Back to trial")
	if !strings.Contains(problems(err), "A trial needs an evaluation plan") {
		t.Fatalf("trial without a plan: %v", err)
	}
	bed.EvaluationPlan = "Compare falls for 3 months"
	if _, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Back to trial"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Someone else's edit"); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("stale save: %v", err)
	}
	e, err := f.Tech.Get(f.Ctx, f.Manager.Actor, bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.History) != 2 || e.History[1].Status != tech.StatusApproved || e.Status != tech.StatusTrial {
		t.Fatalf("history = %+v", e.History)
	}
	if _, err := f.Tech.Register(f.Ctx, f.Carer.Actor); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("a care worker read the register: %v", err)
	}
}

func TestConcernsGoToTheRegisteredManagerAndAResolutionNeedsItsOutcome(t *testing.T) {
	f := newFixture(t)
	c, err := f.Tech.RaiseConcern(f.Ctx, f.Carer.Actor, f.Ann.ID, f.Bed.ID, "Ann seems anxious that the mat is listening to her")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.GoesTo, "registered manager of Rowan House (Test manager)") {
		t.Fatalf("goes to %q", c.GoesTo)
	}
	list, err := f.Tech.Concerns(f.Ctx, f.Manager.Actor)
	if err != nil || len(list) != 1 {
		t.Fatalf("manager's list: %v %d", err, len(list))
	}
	if _, err := f.Tech.UpdateConcern(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, tech.ConcernResolved, "", 1); !strings.Contains(problems(err), "needs its outcome") {
		t.Fatalf("resolved without outcome: %v", err)
	}
	r, err := f.Tech.UpdateConcern(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, tech.ConcernResolved, "Explained again with Ann's daughter; Ann is reassured", 1)
	if err != nil || r.Status != tech.ConcernResolved {
		t.Fatal(err)
	}
	if _, err := f.Tech.UpdateConcern(f.Ctx, f.Carer.Actor, f.Ann.ID, c.ID, tech.ConcernOpen, "", 2); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("a care worker managed a concern: %v", err)
	}
}

func TestAnonymousFeedbackStoresNoAuthorAndItsAuditEventNamesNeitherItNorTheTechnology(t *testing.T) {
	f := newFixture(t)
	fb, err := f.Tech.GiveFeedback(f.Ctx, f.Carer.Actor, f.Bed.ID, "The alerts are too loud at night", true)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM tech_feedback WHERE id = ? AND author_id IS NULL AND author_name = ''`, fb.ID); n != 1 {
		t.Fatal("anonymous feedback stored an author")
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE resource_id = ? OR detail LIKE '%BedSense%' AND actor_id = ?`, fb.ID, f.Carer.ID); n != 0 {
		t.Fatal("the audit log links the carer to the feedback")
	}
	list, _ := f.Tech.FeedbackFor(f.Ctx, f.Manager.Actor, f.Bed.ID)
	if len(list) != 1 || list[0].AuthorName != "" || list[0].Feedback != "The alerts are too loud at night" {
		t.Fatalf("feedback = %+v", list)
	}
}

func TestNearIdenticalReasonsAreCaughtByJaccardSimilarity(t *testing.T) {
	cases := []struct {
		a, b string
		near bool
	}{
		{"Risk of falls at night.", "risk of FALLS at night", true},
		{"Ann has fallen twice at night getting up to the toilet", "Bob wanders at night and has left the building twice", false},
		{"At risk of falls at night when getting up", "At risk of falls at night when getting up alone", true},
	}
	for _, c := range cases {
		if got := tech.Jaccard(tech.Words(c.a), tech.Words(c.b)) >= 0.8; got != c.near {
			t.Errorf("%q vs %q: near = %v", c.a, c.b, got)
		}
	}
}

func TestTheBlanketReportFlagsAShareOfALocationAndCopiedReasons(t *testing.T) {
	f := newFixture(t)
	bob := f.Person(f.Manager, f.Home, "Bob", "Price", "")
	f.consent(bob, f.Bed)
	n := validUse(f.Bed.ID)
	n.Reason = "Risk of falls at night"
	for _, p := range []people.Person{f.Ann, bob} {
		if _, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n); err != nil {
			t.Fatal(err)
		}
	}
	ig := f.Staff("iglead", access.IGLead, f.Home)
	rep, err := f.Tech.Blanket(f.Ctx, ig.Actor, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Lines) != 1 || rep.Lines[0].Using != 2 || rep.Lines[0].People != 2 || rep.Lines[0].NearIdentical != 2 || !rep.Lines[0].Flagged {
		t.Fatalf("report = %+v", rep)
	}
	if len(rep.Lines[0].Uses) != 0 || rep.Lines[0].Unseen != 2 {
		t.Errorf("the IG lead, who may not read technology records, sees uses: %+v", rep.Lines[0])
	}
}

func TestTheOutcomeReportSuppressesGroupsOfFewerThanFive(t *testing.T) {
	f := newFixture(t)
	var all []people.Person
	for i, name := range []string{"Ann2", "Bea", "Cal", "Dot", "Eve", "Fay"} {
		p := f.Person(f.Manager, f.Home, name, "Test", "")
		f.consent(p, f.Bed)
		n := validUse(f.Bed.ID)
		n.Specific = name + " is the only one here who gets up alone at night" // the reason is the fixture's, shared
		u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n)
		if err != nil {
			t.Fatal(err)
		}
		sex := "female"
		if i == 5 {
			sex = "male"
		}
		trauma := "no"
		if i == 0 {
			trauma = "yes"
		}
		if err := f.Tech.RecordProfile(f.Ctx, f.Manager.Actor, p.ID, map[string]string{"sex": sex, "trauma_history": trauma, "religion": tech.PreferNotToSay}); err != nil {
			t.Fatal(err)
		}
		if err := f.Tech.RecordOutcome(f.Ctx, f.Manager.Actor, p.ID, u.ID, "experience", "4", ""); err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	rep, err := f.Tech.Outcomes(f.Ctx, f.Manager.Actor, f.Bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	var female, male *tech.GroupRow
	for i, r := range rep.Rows {
		if r.Characteristic == "Sex" && r.Group == "Female" {
			female = &rep.Rows[i]
		}
		if r.Characteristic == "Sex" && r.Group == "Male" {
			male = &rep.Rows[i]
		}
	}
	// Six people: a man alone is hidden, and so are the five women, or
	// Overall minus the women would give him back (complementary
	// suppression); Overall itself is shown.
	if female == nil || !female.Suppressed || female.People != 0 {
		t.Fatalf("female group = %+v", female)
	}
	if rep.PeopleSuppressed || rep.People != 6 || rep.Overall[1].Suppressed || rep.Overall[1].Mean != 4 {
		t.Fatalf("overall = %d %+v", rep.People, rep.Overall)
	}
	if male == nil || !male.Suppressed || male.People != 0 || male.Measures != nil {
		t.Fatalf("a group of one is shown: %+v", male)
	}
	if rep.Flagged != 0 || !rep.FlaggedFew || len(rep.Attention) != 1 || rep.Attention[0] != all[0].FullName() {
		t.Fatalf("attention = %d %v", rep.Flagged, rep.Attention)
	}
	if err := f.Tech.RecordProfile(f.Ctx, f.Manager.Actor, all[0].ID, map[string]string{"sex": "unknown"}); !strings.Contains(problems(err), "prefer not to say") {
		t.Fatalf("a made-up answer: %v", err)
	}
}

func TestTheCopyIsAPDFWithTheTechnologyNameAndWelshAndIrishNames(t *testing.T) {
	f := newFixture(t)
	sian := f.Person(f.Manager, f.Home, "Siân", "Ó Briain", "")
	f.consent(sian, f.Bed)
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, sian.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, sian.ID, u.ID, "copy")
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"standard", "large-print", "easy-read"} {
		pdf, err := pg.PDF(version)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("not a PDF: %q", pdf[:10])
		}
		// The title is stored as UTF-16 (big-endian, with a byte-order mark).
		title := utf16.Encode([]rune("Using BedSense in Siân's care – Siân Ó Briain"))
		var want bytes.Buffer
		for _, r := range title {
			want.WriteByte(byte(r >> 8))
			want.WriteByte(byte(r))
		}
		if !bytes.Contains(pdf, want.Bytes()) {
			t.Errorf("the PDF does not carry the technology and the person's name in its title")
		}
	}
	if items := pg.Items(); len(items) != 8 || !strings.Contains(items[1].Question, "Siân") {
		t.Fatalf("items = %+v", items)
	}
	if _, err := f.Tech.RecordCopy(f.Ctx, f.Manager.Actor, sian.ID, u.ID, "Siân and her son", "large-print", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Tech.RecordCopy(f.Ctx, f.Manager.Actor, sian.ID, u.ID, "", "fax", ""); !strings.Contains(problems(err), "Say who the copy was given to") {
		t.Fatalf("copy with nobody: %v", err)
	}
}

func TestTheLocationInclusionSummaryCountsAndNamesOnlyThoseTheReaderMaySee(t *testing.T) {
	f := newFixture(t)
	if err := f.Tech.RecordInclusion(f.Ctx, f.Manager.Actor, f.Ann.ID, tech.Inclusion{Devices: []string{"tablet"}, Confidence: "low",
		Channels: []string{"in-person", "video-call"}, Support: "Needs help to start video calls"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Tech.RecordInclusion(f.Ctx, f.Manager.Actor, f.Ann.ID, tech.Inclusion{Devices: []string{"none", "tablet"}, Confidence: "x"}); err == nil {
		t.Fatal("bad inclusion accepted")
	}
	ig := f.Staff("iglead", access.IGLead, f.Home)
	sum, err := f.Tech.LocationInclusion(f.Ctx, ig.Actor, f.Home.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.People != 1 || sum.Recorded != 1 || len(sum.Support) != 1 || strings.Contains(sum.Support[0], "Ann") {
		t.Fatalf("IG lead's summary = %+v", sum)
	}
	sum, _ = f.Tech.LocationInclusion(f.Ctx, f.Manager.Actor, f.Home.ID)
	if len(sum.Support) != 1 || !strings.Contains(sum.Support[0], "Ann Jones: Needs help") {
		t.Fatalf("manager's summary = %+v", sum.Support)
	}
}
