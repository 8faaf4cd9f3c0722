package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
)

// A care worker on a phone opens Ann's daily notes from her record, adds a
// note in a few taps (a chip, a sentence, save: the time is already now),
// sees it at the top, then records one from this morning, which is shown
// as late. About Me shows its sections with what was written and by whom.
func TestJourneyACareWorkerAddsDailyNotesOnAPhoneAndSeesLateOnesMarked(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Manager.Actor, s.Ann.ID, care.AboutMeDraft{Section: "what-matters", Body: "Her cat Smudge, and Radio 4 in the morning"}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)
	b.Click("a[href='/people/" + s.Ann.ID + "']")
	b.MustSee("Daily notes")
	b.Click("a[href='/people/" + s.Ann.ID + "/notes']")
	b.MustSee("No notes about care in the last 7 days")
	if got := b.Text("[data-testid=person-name]"); got != "Ann Jones" {
		t.Fatalf("the notes page heads with %q", got)
	}

	b.Click("label[for=category-eating-drinking]")
	b.Fill("#body", "Ate all her porridge and had two cups of tea")
	b.Click("#save-note")
	b.MustSee("Ate all her porridge")
	if first := b.Text("[data-testid=note]"); !strings.Contains(first, "Eating and drinking") || strings.Contains(first, "Late") ||
		!strings.Contains(first, "Test carer (Care worker)") {
		t.Fatalf("the new note at the top reads %q", first)
	}

	// A note about care at 06:30, written at 10:00 or later: late.
	b.Click("label[for=category-personal-care]")
	b.Fill("#body", "Helped to wash and dress; chose her blue cardigan")
	b.Fill("#care_time_hour", "06")
	b.Fill("#care_time_minute", "30")
	b.Click("#save-note")
	b.MustSee("blue cardigan")
	b.MustSee("Late: written")
	notes := b.Text("[data-testid=notes]")
	if strings.Index(notes, "porridge") > strings.Index(notes, "blue cardigan") {
		t.Fatalf("notes are not newest care first:\n%s", notes)
	}
	if late := b.Text("[data-testid=late]"); !strings.Contains(late, "Late") {
		t.Fatalf("late tag: %q", late)
	}

	// A time of care in the future is refused, and what was typed is kept.
	b.Click("label[for=category-mood]")
	b.Fill("#body", "Laughing with her daughter")
	b.Fill("#care_time_hour", "23")
	b.Fill("#care_time_minute", "59")
	b.Click("#save-note")
	b.MustSee("Time of care must not be in the future")
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	if got, err := chromedp.Run(ctx, chromedp.Value("#body")); err != nil || got != "Laughing with her daughter" {
		t.Fatalf("the note typed was lost: %q", got)
	}

	b.Go("/people/" + s.Ann.ID + "/about-me")
	for _, want := range []string{"Please call me", "What matters to me", "My communication", "Things that worry or upset me",
		"What helps me stay well", "Her cat Smudge", "Test manager (Registered manager)", "Add to About Me"} {
		b.MustSee(want)
	}
}

// A senior carer changes Ann's personal care plan, sees version 2 with the
// reason, opens version 1 and reads what it said; the plans page shows the
// current version and no overdue warning.
func TestJourneyASeniorCarerChangesACarePlanAndCanOpenTheEarlierVersion(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	v1, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, care.PlanDraft{Area: "personal-care",
		Outcome: "I want to wash myself as much as I can", HowMet: "Help with my back and feet", Preferences: "A shower in the morning",
		Involved: care.Involvement{Kinds: []string{"person", "family"}, Names: "Sue, daughter"}, Agreement: "agreed",
		ReviewOn: s.Clock.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, senior)
	b.Go("/people/" + s.Ann.ID + "/care-plans")
	b.MustSee("Care plans")
	b.MustSee("A shower in the morning")
	b.Click("a[href='/people/" + s.Ann.ID + "/care-plans/" + v1.PlanID + "']")
	b.MustSee("Version 1, written by Test manager")
	b.Click("#edit-plan")
	b.MustSee("Change the plan: Personal care")
	b.Fill("#preferences", "A bath on Sundays, a shower other days")
	b.Fill("#reason", "Ann asked for a bath on Sundays")
	b.Click("#save")
	b.MustSee("Version 2, written by Test senior (Senior carer)")
	b.MustSee("Ann asked for a bath on Sundays")
	b.MustSee("A bath on Sundays")
	b.Click("a[href='/people/" + s.Ann.ID + "/care-plans/" + v1.PlanID + "?version=1']")
	b.MustSee("An earlier version")
	if got := b.Text("[data-testid=plan]"); !strings.Contains(got, "A shower in the morning") || strings.Contains(got, "bath") {
		t.Fatalf("version 1 reads %q", got)
	}
	b.Go("/people/" + s.Ann.ID + "/care-plans")
	if got := b.Text("[data-testid=plan]"); !strings.Contains(got, "Version 2") {
		t.Fatalf("plans page shows %q", got)
	}
}
