package web_test

import (
	"strings"
	"testing"
)

// What a registered manager sees: from home, Needs attention, with Rowan
// House's figures (Ann and Bob: each a care plan review overdue, a visit
// missed, the bed sensor stopped since its DPIA was removed) and not Birch
// Court's; the number of missed visits leads to Ann and Bob, and Ann's
// entry to her visits; Ann's page and the care worker's shift say the bed
// sensor is stopped. The quality dashboard draws each figure over the
// weeks with the numbers beside it, and this week's number leads to the
// same people.
func TestJourneyTheManagerSeesWhatNeedsAttentionAndFollowsItToThePeople(t *testing.T) {
	a := attentionScenario(t)
	b := techBrowser(t, a.Scenario, a.Manager)
	b.Go("/")
	b.Click("[data-testid=attention-link] a")
	b.MustSee("Needs attention")
	techSee(b, "Care plan reviews overdue", "Missed and late visits (last 7 days)", "Technology uses whose lawful basis or register entry has lapsed",
		"Records incomplete", "Rowan House", "Every location")
	techNotSee(t, b, "Birch Court")
	if got := b.Text("[data-testid=figure-visits]"); !strings.Contains(got, "2") {
		t.Errorf("the missed visits row reads %q", got)
	}
	techFitsPhone(t, b, "Needs attention", "[data-testid=figure-visits]")

	b.Click("[data-testid=total-visits]")
	b.MustSee("Missed and late visits (last 7 days)")
	if got := b.Text("[data-testid=attention-people]"); !strings.Contains(got, "Ann Jones") || !strings.Contains(got, "Bob Price") ||
		!strings.Contains(got, "Visit missed:") || strings.Contains(got, "Cat Hill") {
		t.Errorf("the people behind missed visits: %q", got)
	}
	b.Click("[data-testid=attention-people] a[href^='/people/" + a.Ann.ID + "/visits']")
	if !strings.HasSuffix(b.URL(), "/people/"+a.Ann.ID+"/visits") {
		t.Errorf("Ann's missed visit leads to %s", b.URL())
	}

	b.Go("/attention/technology-lapsed")
	b.MustSee("BedSense: Stopped: this technology has no DPIA recorded. Do not use it.")
	b.Go("/people/" + a.Ann.ID)
	if got := b.Text("[data-testid=attention]"); !strings.Contains(got, "BedSense") || !strings.Contains(got, "no DPIA recorded. Do not use it.") {
		t.Errorf("Ann's page: %q", got)
	}

	b.Go("/attention")
	b.Click("a[href='/governance/quality']")
	b.MustSee("Quality dashboard")
	techSee(b, "Missed and late visits (last 7 days)", "Care plan reviews overdue")
	if got := b.Text("[data-testid=quality-visits] table"); !strings.Contains(got, "Rowan House") || !strings.Contains(got, "2") {
		t.Errorf("the missed visits table reads %q", got)
	}
	b.Click("[data-testid=quality-visits] table tbody tr:last-child a[href*='/attention/visits']")
	b.MustSee("Missed and late visits (last 7 days)")
	if got := b.Text("[data-testid=attention-people]"); !strings.Contains(got, "Ann Jones") {
		t.Errorf("the dashboard's number leads to %q", got)
	}
	b.Go("/governance/quality?by=month")
	b.MustSee("March 2026")

	// The care worker on Ann's team sees the stop on their shift.
	carer := techBrowser(t, a.Scenario, a.Carer)
	carer.Go("/shift")
	if got := carer.Text("[data-testid=shift-technology]"); !strings.Contains(got, "no DPIA recorded. Do not use it.") {
		t.Errorf("the shift reads %q", got)
	}
}

// Recording the third use of the bed sensor at Rowan House with a reason
// pasted from the others: the manager is told before anything is saved,
// with the field to say what is specific to the person, what was typed
// kept; saying it records the use.
func TestJourneyACopiedReasonAsksWhatIsSpecificToThePersonBeforeSaving(t *testing.T) {
	s, bed := techScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Price", "")
	cat := s.Person(s.Manager, s.Home, "Cat", "Hill", "")
	techUseFor(t, s, s.Ann, bed, "Risk of falls at night when getting up.")
	techUseFor(t, s, bob, bed, "Risk of falls at night when getting up")
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consentFor(cat, bed)); err != nil {
		t.Fatal(err)
	}
	b := techBrowser(t, s, s.Manager)
	b.Go("/people/" + cat.ID + "/technology")
	f := useForm(bed.ID)
	techSetDate(b, "#technology_id", bed.ID) // a SetValue, as choosing from the list does
	for _, k := range []string{"when_how", "information_given", "information_format", "decision_process", "data_use", "review_plan", "withdrawal",
		"rights", "safety_assessment", "relational_care", "alternatives"} {
		b.Fill("#"+k, f.Get(k))
	}
	b.Fill("#reason", "risk of falls at night, when getting up")
	techSetDate(b, "#next_review", "2026-06-03")
	b.Click("#record-use")
	b.MustSee("This reason is nearly the same as the reasons for 2 other people using BedSense at Rowan House. Say what is specific to Cat")
	if got := techValue(t, b, "#reason"); got != "risk of falls at night, when getting up" {
		t.Errorf("the reason typed was lost: %q", got)
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_uses WHERE person_id = ?`, cat.ID); n != 0 {
		t.Fatalf("the use was saved before saying what is specific")
	}
	techFitsPhone(t, b, "the warning", "#specific-error", "#specific")
	b.Fill("#specific", "Cat broke her hip in January and cannot reach the call bell from bed")
	techSetDate(b, "#next_review", "2026-06-03")
	b.Click("#record-use")
	b.MustSee("Cat broke her hip in January")
	if n := s.Count(`SELECT COUNT(*) FROM tech_uses WHERE person_id = ?`, cat.ID); n != 1 {
		t.Errorf("%d uses recorded for Cat, want 1", n)
	}
}
