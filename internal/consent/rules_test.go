package consent_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/consent"
	"hearth/internal/people"
)

func (f *fixture) giveAs(repID string, n consent.NewConsent) (consent.Consent, error) {
	n.PersonID, n.RepresentativeID = f.Ann.ID, repID
	return f.Consent.Give(f.Ctx, f.Manager.Actor, informed(n))
}

func techConsent() consent.NewConsent {
	return consent.NewConsent{Purpose: consent.PurposeTechnology, TechnologyID: "sensor-1", TechnologyName: "Bed sensor"}
}

func TestRepresentativeConsentsOnlyWithinAuthorityAndWhileThePersonLacksCapacity(t *testing.T) {
	techDecision := consent.TechnologyDecision("sensor-1")
	cases := []struct {
		name      string
		authority string
		verified  bool
		lacks     *bool // nil: never assessed
		ended     bool
		want      string // "" allowed; else the refusal must contain this
	}{
		{"An LPA for health and welfare can consent to a care technology when the person lacks capacity for it",
			consent.AuthorityLPAHealthWelfare, true, ptr(true), false, ""},
		{"A deputy for health and welfare can consent to a care technology when the person lacks capacity for it",
			consent.AuthorityDeputyHealthWelfare, true, ptr(true), false, ""},
		{"An LPA for property and finance cannot consent to a care technology",
			consent.AuthorityLPAPropertyFinance, true, ptr(true), false, "covers money and property only: Mary Jones cannot consent to a care technology"},
		{"A benefits appointee cannot consent to a care technology",
			consent.AuthorityAppointee, true, ptr(true), false, "money and property only"},
		{"An LPA whose evidence is not verified cannot consent",
			consent.AuthorityLPAHealthWelfare, false, ptr(true), false, "has not been verified"},
		{"An IMCA must be consulted but cannot consent",
			consent.AuthorityIMCA, true, ptr(true), false, "must be consulted"},
		{"Family must be consulted but cannot consent",
			consent.AuthorityFamily, true, ptr(true), false, "cannot consent for them"},
		{"A person with capacity for the decision decides for themselves: only their own consent counts",
			consent.AuthorityLPAHealthWelfare, true, ptr(false), false, "as having capacity to decide about use of a technology: only their own consent counts"},
		{"A person never assessed is assumed to have capacity: only their own consent counts",
			consent.AuthorityLPAHealthWelfare, true, nil, false, "assumed to have capacity"},
		{"An attorney whose authority has ended cannot consent",
			consent.AuthorityLPAHealthWelfare, true, ptr(true), true, "authority ended on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.lacks != nil {
				f.assess(techDecision, *tc.lacks, f.Clock.Now().Add(-time.Hour))
			}
			r := f.representative("Mary Jones", tc.authority, tc.verified)
			if tc.ended {
				if _, err := f.Consent.EndRepresentative(f.Ctx, f.Manager.Actor, f.Ann.ID, r.ID, f.Clock.Now().Add(-time.Minute), "The LPA was revoked by the court"); err != nil {
					t.Fatal(err)
				}
			}
			c, err := f.giveAs(r.ID, techConsent())
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				b := f.techBasis("sensor-1")
				if !b.Active || b.ID != c.ID || !strings.Contains(b.GivenBy, "Mary Jones") {
					t.Fatalf("representative's consent does not count: %+v", b)
				}
				return
			}
			wantProblem(t, err, "Given by", tc.want)
			if n := f.Count(`SELECT COUNT(*) FROM consents`); n != 0 {
				t.Fatalf("refused consent was stored")
			}
		})
	}
}

func ptr(b bool) *bool { return &b }

func TestParentalResponsibilityIsOnlyForAPersonUnder18(t *testing.T) {
	f := newFixture(t)
	_, err := f.Consent.RecordRepresentative(f.Ctx, f.Manager.Actor, consent.NewRepresentative{PersonID: f.Ann.ID, Name: "Jo Jones",
		Authority: consent.AuthorityParentalResponsibility, EvidenceReference: "Birth certificate"})
	wantProblem(t, err, "Authority", "only for a person under 18: Ann is 84")

	// January, so people.Person.Age's day-of-year comparison is not thrown
	// by the leap year (it counts a March birthday in a leap year a day late).
	f.Clock.Set(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	young, err := f.People.Register(f.Ctx, f.Manager.Actor, people.NewPerson{LocationID: f.Home.ID, GivenName: "Sam", FamilyName: "Lee",
		DateOfBirth: time.Date(2008, 1, 20, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	parent, err := f.Consent.RecordRepresentative(f.Ctx, f.Manager.Actor, consent.NewRepresentative{PersonID: young.ID, Name: "Jo Lee",
		Authority: consent.AuthorityParentalResponsibility, EvidenceReference: "Birth certificate", VerifiedBy: "Grace Obi",
		VerifiedOn: f.Clock.Now().Add(-day)})
	if err != nil {
		t.Fatal(err)
	}
	give := func() error {
		_, err := f.Consent.Give(f.Ctx, f.Manager.Actor, informed(consent.NewConsent{PersonID: young.ID, Purpose: consent.PurposePhotographs,
			RepresentativeID: parent.ID}))
		return err
	}
	if err := give(); err != nil {
		t.Fatalf("a parent of a 17-year-old: %v", err)
	}
	f.Clock.Set(time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC))
	wantProblem(t, give(), "Given by", "Parental responsibility ends at 18: Sam is 18")
}

func TestOwnConsentIsRefusedWhileThePersonLacksCapacityForThatDecision(t *testing.T) {
	f := newFixture(t)
	f.assess(consent.DecisionPhotographs, true, f.Clock.Now().Add(-time.Hour))
	_, err := f.Consent.Give(f.Ctx, f.Manager.Actor, informed(consent.NewConsent{PersonID: f.Ann.ID, Purpose: consent.PurposePhotographs}))
	wantProblem(t, err, "Given by", "as lacking capacity to decide about photographs")
	// Capacity is decision-specific: another decision is Ann's own.
	f.give(consent.NewConsent{Purpose: consent.PurposeDigitalCommunication, Channel: "email"})
}

// MCA 2005 s11(7)(a): a lasting power of attorney covers only decisions
// the person cannot make. When a new assessment finds the person can make
// the decision, an attorney's consent and a best-interests decision stop
// counting at once (not after a grace period), flagged "ask the person";
// the person's own consent then counts.
func TestWhenCapacityReturnsOthersDecisionsStopCountingAtOnceAndThePersonIsAsked(t *testing.T) {
	f := newFixture(t)
	key := consent.TechnologyDecision("sensor-1")
	f.assess(key, true, f.Clock.Now().Add(-time.Hour))
	r := f.representative("Mary Jones", consent.AuthorityLPAHealthWelfare, true)
	c, err := f.giveAs(r.ID, techConsent())
	if err != nil {
		t.Fatal(err)
	}
	bi, err := f.Consent.RecordBestInterests(f.Ctx, f.Manager.Actor, consent.NewBestInterests{PersonID: f.Ann.ID, TechnologyID: "sensor-1",
		Consulted: "Mary Jones (daughter, attorney)", Wishes: "Ann has always valued her privacy at night",
		Options: "No sensor; hourly checks; a bed sensor (least restrictive)", Outcome: "Use the bed sensor at night",
		Reasons: "Fewer night-time disturbances than checks", DecisionMaker: "Grace Obi, registered manager"})
	if err != nil {
		t.Fatal(err)
	}
	if b := f.techBasis("sensor-1"); !b.Active {
		t.Fatalf("while Ann lacks capacity, Mary's consent counts: %+v", b)
	}
	f.Clock.Advance(day)
	f.assess(key, false, f.Clock.Now())
	for _, b := range []consent.Basis{f.status(consent.BasisConsent, c.ID), f.status(consent.BasisBestInterests, bi.ID), f.techBasis("sensor-1")} {
		if b.Active || !b.AskPerson || !strings.Contains(b.Reason, "as able to make this decision") || !strings.Contains(b.Reason, "ask Ann now") {
			t.Fatalf("the moment capacity is found: %+v", b)
		}
	}
	pg, err := f.Consent.Page(f.Ctx, f.Manager.Actor, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.AskPerson) == 0 || !strings.Contains(strings.Join(pg.AskPerson, " "), "Ask Ann now") || strings.Contains(strings.Join(pg.AskPerson, " "), "stops counting on") {
		t.Fatalf("the consent page tells staff %q", pg.AskPerson)
	}
	// Ann decides for herself: her own consent counts.
	f.Clock.Advance(time.Minute)
	own := f.give(techConsent())
	if b := f.techBasis("sensor-1"); !b.Active || b.ID != own.ID || b.AskPerson {
		t.Fatalf("after Ann consents herself: %+v", b)
	}
}

func TestExpiredOrWithdrawnConsentStopsCountingAtOnce(t *testing.T) {
	cases := []struct {
		name string
		end  func(f *fixture, c consent.Consent)
		want string
	}{
		{"an expired consent stops counting at its end time", func(f *fixture, c consent.Consent) { f.Clock.Set(c.Ends) }, "Consent ended on"},
		{"a withdrawn consent stops counting at the moment of withdrawal", func(f *fixture, c consent.Consent) {
			if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "by phone"); err != nil {
				f.t.Fatal(err)
			}
		}, "Consent was withdrawn on"},
		{"a later refusal replaces an earlier consent", func(f *fixture, c consent.Consent) {
			f.Clock.Advance(time.Second)
			f.give(consent.NewConsent{Purpose: consent.PurposeTechnology, TechnologyID: "sensor-1", Decision: "deny"})
		}, "Replaced by a later decision"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			n := techConsent()
			n.Ends = f.Clock.Now().Add(2 * day)
			c := f.give(n)
			if !f.status(consent.BasisConsent, c.ID).Active {
				t.Fatal("consent does not count to begin with")
			}
			tc.end(f, c)
			if b := f.status(consent.BasisConsent, c.ID); b.Active || !strings.Contains(b.Reason, tc.want) {
				t.Fatalf("want %q, got %+v", tc.want, b)
			}
			if b := f.techBasis("sensor-1"); b.Active {
				t.Fatalf("technology basis still active: %+v", b)
			}
		})
	}
}

func TestACapacityAssessmentWithoutTheDecisionItConcernsIsRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.Consent.RecordAssessment(f.Ctx, f.Manager.Actor, consent.NewAssessment{PersonID: f.Ann.ID, AssessedAt: f.Clock.Now(),
		Assessor: "Eilidh Ross", Impairment: true, Evidence: "Could not retain the information"})
	wantProblem(t, err, "Decision", "decision-specific")
	if n := f.Count(`SELECT COUNT(*) FROM capacity_assessments`); n != 0 {
		t.Fatal("refused assessment was stored")
	}
}

func TestTheTwoStageTestDecidesTheOutcome(t *testing.T) {
	cases := []struct {
		name                                                  string
		impairment, understand, retain, useWeigh, communicate bool
		outcome, wantOutcome, wantProblem                     string
	}{
		{"no impairment of the mind or brain means capacity, whatever else", false, false, false, false, false, "", consent.HasCapacity, ""},
		{"an impairment and being unable to retain the information means lacking capacity", true, true, false, true, true, "", consent.LacksCapacity, ""},
		{"an impairment but able to do all four means capacity", true, true, true, true, true, "", consent.HasCapacity, ""},
		{"an outcome that contradicts the answers is refused", true, true, true, true, true, consent.LacksCapacity, "", "Outcome"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			a, err := f.Consent.RecordAssessment(f.Ctx, f.Manager.Actor, consent.NewAssessment{PersonID: f.Ann.ID, Decision: "Where to live",
				AssessedAt: f.Clock.Now(), Assessor: "Eilidh Ross", Impairment: tc.impairment, Understand: tc.understand, Retain: tc.retain,
				UseWeigh: tc.useWeigh, Communicate: tc.communicate, Outcome: tc.outcome, Evidence: "Conversation at home", Fluctuating: true,
				NextReview: f.Clock.Now().Add(28 * day)})
			if tc.wantProblem != "" {
				wantProblem(t, err, tc.wantProblem, "")
				return
			}
			if err != nil || a.Outcome != tc.wantOutcome || a.DecisionKey != "other:where-to-live" || !a.Fluctuating {
				t.Fatalf("%v %+v", err, a)
			}
		})
	}
}

func TestABestInterestsDecisionWithNobodyConsultedIsRefusedUnlessTheReasonIsRecorded(t *testing.T) {
	f := newFixture(t)
	f.assess(consent.DecisionPhotographs, true, f.Clock.Now().Add(-time.Hour))
	n := consent.NewBestInterests{PersonID: f.Ann.ID, Decision: consent.DecisionPhotographs, Wishes: "Loved family photographs",
		Options: "No photographs; photographs for the care record only", Outcome: "Photographs for the care record only",
		Reasons: "Helps staff recognise Ann's belongings", DecisionMaker: "Grace Obi"}
	_, err := f.Consent.RecordBestInterests(f.Ctx, f.Manager.Actor, n)
	wantProblem(t, err, "Consulted", "why nobody could be")
	if c := f.Count(`SELECT COUNT(*) FROM best_interests`); c != 0 {
		t.Fatal("refused decision was stored")
	}
	n.NobodyReason = "Ann has no family or friends; an IMCA was instructed but could not attend before the decision was needed"
	b, err := f.Consent.RecordBestInterests(f.Ctx, f.Manager.Actor, n)
	if err != nil || b.NobodyReason == "" {
		t.Fatalf("with a recorded reason: %v", err)
	}
}

func TestABestInterestsDecisionIsRefusedForAPersonWithCapacity(t *testing.T) {
	f := newFixture(t)
	_, err := f.Consent.RecordBestInterests(f.Ctx, f.Manager.Actor, consent.NewBestInterests{PersonID: f.Ann.ID, Decision: consent.DecisionPhotographs,
		Consulted: "Mary", Wishes: "w", Options: "o", Outcome: "x", Reasons: "r", DecisionMaker: "Grace"})
	wantProblem(t, err, "Decision", "assess capacity first")
}

func TestACareWorkerWithoutRecordConsentCannotRecordConsent(t *testing.T) {
	f := newFixture(t)
	_, err := f.Consent.Give(f.Ctx, f.Carer.Actor, informed(consent.NewConsent{PersonID: f.Ann.ID, Purpose: consent.PurposePhotographs}))
	if hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("want forbidden, got %v", err)
	}
}
