package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// A senior carer on a phone opens Ann's risks from her record, assesses a
// risk (a form with gaps is refused field by field, what was typed kept),
// reads it back with her words and who was involved, changes it to
// version 2 with a reason and can still open version 1. A care worker on
// her team reads it but cannot change it. When the review date passes, the
// risks page says so.
func TestJourneyASeniorCarerAssessesARiskAndChangesItToVersionTwo(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	srv := s.Server()

	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, senior)
	b.Go("/people/" + s.Ann.ID)
	b.MustSee("Risks and safety plan")
	b.Click("a[href='/people/" + s.Ann.ID + "/risks']")
	b.MustSee("No safety plan.")
	b.MustSee("No risk assessments.")
	fitsPhone(t, b, "the risks page")

	b.Click("#new-risk")
	b.MustSee("Assess a risk")
	b.Fill("#title", "Falls when walking at night")
	b.Click("#save")
	for _, want := range []string{"There is a problem", "Say what could happen", "Choose how likely it is: low, medium or high",
		"Choose how serious it would be: low, medium or high", "Say what reduces the risk", "Enter the date this will next be reviewed"} {
		b.MustSee(want)
	}
	if v, err := chromedp.Run(b.Context(), chromedp.Value("#title")); err != nil || v != "Falls when walking at night" {
		t.Fatalf("the risk typed was lost: %q (%v)", v, err)
	}
	fitsPhone(t, b, "the risk form with its problems")

	b.Fill("#could_happen", "Ann gets up to the toilet in the dark and could fall and break her hip")
	b.Click("label[for=likelihood-medium]")
	b.Click("label[for=impact-high]")
	b.Fill("#reduces", "A sensor light by the bed; her frame within reach; staff check at 2am")
	b.Fill("#persons_words", "I want to get up on my own, I don't want a buzzer mat")
	b.Click("label[for=involved-person]")
	b.Click("label[for=involved-family]")
	b.Fill("#involved_names", "Sue, daughter")
	review := s.Clock.Now().AddDate(0, 1, 0) // typed in the NHS.UK date boxes (issue 15)
	b.Fill("#review_on_day", strconv.Itoa(review.Day()))
	b.Fill("#review_on_month", strconv.Itoa(int(review.Month())))
	b.Fill("#review_on_year", strconv.Itoa(review.Year()))
	b.Click("#save")
	b.MustSee("Falls when walking at night")
	b.MustSee("Version 1, written by Test senior (Senior carer)")
	b.MustSee("Why: First written")
	b.MustSee("Review by 3 April 2026")
	for _, want := range []string{"likelihood Medium, impact High", "I want to get up on my own", "The person, Family or friends (Sue, daughter)"} {
		b.MustSee(want)
	}
	fitsPhone(t, b, "the risk assessment")
	plainWords(t, b)

	b.Click("#edit-risk")
	b.MustSee("Change the risk assessment: Falls when walking at night")
	if v, err := chromedp.Run(b.Context(), chromedp.Value("#reduces")); err != nil || !strings.Contains(v, "sensor light") {
		t.Fatalf("the change form does not start from version 1: %q (%v)", v, err)
	}
	b.Fill("#reduces", "A sensor light by the bed; her frame within reach; staff check at 2am and 5am")
	b.Click("#save")
	b.MustSee("Say why the assessment is changing")
	b.Fill("#reason", "She nearly fell at 5am on Tuesday")
	b.Click("#save")
	b.MustSee("Version 2, written by Test senior (Senior carer)")
	b.MustSee("Why: She nearly fell at 5am on Tuesday")
	b.MustSee("staff check at 2am and 5am")
	versions := b.Text("[data-testid=versions]")
	if !strings.Contains(versions, "Version 2") || !strings.Contains(versions, "Version 1") || strings.Index(versions, "Version 2") > strings.Index(versions, "Version 1") {
		t.Errorf("the versions read, newest first:\n%s", versions)
	}
	b.Click("[data-testid=versions] a")
	b.MustSee("An earlier version")
	b.MustSee("This is version 1")
	if got := b.Text("dl.nhsuk-summary-list"); strings.Contains(got, "5am") || !strings.Contains(got, "staff check at 2am") {
		t.Errorf("version 1 reads:\n%s", got)
	}

	b.Go("/people/" + s.Ann.ID + "/risks")
	card := b.Text("[data-testid=risk]")
	for _, want := range []string{"Falls when walking at night", "Version 2", "Likelihood Medium, impact High", "Review by 3 April 2026",
		"In Ann's words", "I want to get up on my own"} {
		if !strings.Contains(card, want) {
			t.Errorf("the risk card does not show %q:\n%s", want, card)
		}
	}
	checkNoConsoleErrors(t, b)

	// A care worker reads the assessment but is offered no way to change it.
	carer := browsertest.New(t)
	carer.Base = srv.URL
	staffSignIn(t, s, carer, s.Carer)
	carer.Go("/people/" + s.Ann.ID + "/risks")
	carer.MustSee("Falls when walking at night")
	carer.Click("[data-testid=risk] a")
	carer.MustSee("Version 2, written by Test senior")
	mustNotSee(t, carer, "Change this assessment")

	// A month and a day later the review is overdue.
	s.Clock.Advance(32 * 24 * time.Hour)
	later := browsertest.New(t)
	later.Base = srv.URL
	staffSignIn(t, s, later, senior)
	later.Go("/people/" + s.Ann.ID + "/risks")
	later.MustSee("Reviews overdue")
	later.MustSee("Review overdue: was due 3 April 2026")
	checkNoConsoleErrors(t, later)
}

// A senior carer writes Ann's safety plan with her (a form with gaps is
// refused), reads it back, changes what helps with a reason and sees
// version 2; version 1 still reads as it was, and the risks page shows the
// current plan.
func TestJourneyASeniorCarerWritesASafetyPlanAndChangesIt(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)

	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, senior)
	b.Go("/people/" + s.Ann.ID + "/safety-plan")
	b.MustSee("Ann has no safety plan.")
	b.Click("a[href='/people/" + s.Ann.ID + "/safety-plan/edit']")
	b.MustSee("Write the safety plan")
	fitsPhone(t, b, "the safety plan form")
	b.Fill("#triggers", "Loud voices in the lounge; being rushed")
	b.Click("#save")
	for _, want := range []string{"Write the early warning signs", "Write what helps",
		"Write who to contact, with their names and how to reach them", "Enter the date this will next be reviewed"} {
		b.MustSee(want)
	}
	if v, err := chromedp.Run(b.Context(), chromedp.Value("#triggers")); err != nil || v != "Loud voices in the lounge; being rushed" {
		t.Fatalf("the triggers typed were lost: %q (%v)", v, err)
	}
	b.Fill("#warning_signs", "Wringing her hands; asking for her mother")
	b.Fill("#what_helps", "A quiet room, a cup of tea, Radio 4")
	b.Fill("#contacts", "Sue (daughter) 07700 900123")
	b.Fill("#persons_words", "Just give me a minute on my own")
	b.Click("label[for=involved-person]")
	review := s.Clock.Now().AddDate(0, 3, 0) // typed in the NHS.UK date boxes (issue 15)
	b.Fill("#review_on_day", strconv.Itoa(review.Day()))
	b.Fill("#review_on_month", strconv.Itoa(int(review.Month())))
	b.Fill("#review_on_year", strconv.Itoa(review.Year()))
	b.Click("#save")
	b.MustSee("Safety plan")
	b.MustSee("Version 1, written by Test senior (Senior carer)")
	plan := b.Text("[data-testid=safety-plan]")
	for _, want := range []string{"Loud voices in the lounge", "Wringing her hands", "A quiet room, a cup of tea, Radio 4",
		"Sue (daughter) 07700 900123", "In Ann's words", "Just give me a minute on my own", "The person"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the safety plan does not show %q:\n%s", want, plan)
		}
	}
	b.MustSee("Review by 3 June 2026")
	fitsPhone(t, b, "the safety plan")
	plainWords(t, b)

	b.Click("#edit-safety")
	b.MustSee("Change the safety plan")
	b.Fill("#what_helps", "A quiet room, a cup of tea, Radio 4, and her cat Smudge")
	b.Fill("#reason", "Ann told us Smudge calms her")
	b.Click("#save")
	b.MustSee("Version 2, written by Test senior (Senior carer)")
	b.MustSee("Why: Ann told us Smudge calms her")
	b.MustSee("her cat Smudge")
	b.Click("a[href='/people/" + s.Ann.ID + "/safety-plan?version=1']")
	b.MustSee("An earlier version")
	if got := b.Text("[data-testid=safety-plan]"); strings.Contains(got, "Smudge") || !strings.Contains(got, "A quiet room") {
		t.Errorf("version 1 reads:\n%s", got)
	}

	b.Go("/people/" + s.Ann.ID + "/risks")
	if got := b.Text("[data-testid=safety-plan]"); !strings.Contains(got, "Version 2") || !strings.Contains(got, "Smudge") {
		t.Errorf("the risks page shows the safety plan as:\n%s", got)
	}
	checkNoConsoleErrors(t, b)
}
