package web_test

import (
	"strings"
	"testing"

	"hearth/internal/browsertest"
)

// Ann signs in on her phone, opens her care record, chooses her bed sensor
// on the concern form, says what worries her, and is told who it went to.
// The registered manager signs in and sees it on the concerns list.
func TestJourneyAPersonRaisesAConcernAboutHerTechnologyAndTheManagerSeesIt(t *testing.T) {
	s, bed := techScenario(t)
	annUsesBedSense(t, s, bed)
	ann := portalAccount(t, s, "ann.jones", "", "")

	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, ann)
	b.Go("/my/" + s.Ann.ID + "/corrections")
	b.MustSee("Raise a concern")
	b.MustSee("BedSense")
	b.MustSee("Something else")
	b.Click("label[for=technology-0]")
	b.Fill("#concern", "The mat alarm goes off when I turn over and I feel watched")
	b.Click("#raise-concern")
	b.MustSee("Your concern has been sent")
	if got := b.Text("[data-testid=concern-sent]"); !strings.Contains(got, "BedSense") || !strings.Contains(got, "the registered manager of Rowan House (Test manager)") {
		t.Errorf("Ann is told %q", got)
	}
	b.Click("a[href='/my/" + s.Ann.ID + "/corrections#your-concerns']")
	if got := b.Text("[data-testid=your-concerns]"); !strings.Contains(got, "The mat alarm goes off") || !strings.Contains(got, "Open") {
		t.Errorf("Ann's concerns show %q", got)
	}
	checkNoConsoleErrors(t, b)

	m := browsertest.New(t)
	m.Base = s.Server().URL
	staffSignIn(t, s, m, s.Manager)
	m.Go("/governance/technology-concerns")
	m.MustSee("The mat alarm goes off when I turn over and I feel watched")
	m.MustSee("Ann Jones")
	checkNoConsoleErrors(t, m)
}

// Ann opens her care record, follows the easy-read link for her bed
// sensor, and reads the eight items in easy read, with the PDF to hand.
func TestJourneyAPersonOpensTheEasyReadCopyOfHerTechnologyUseRecord(t *testing.T) {
	s, bed := techScenario(t)
	u := annUsesBedSense(t, s, bed)
	ann := portalAccount(t, s, "ann.jones", "", "")

	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, ann)
	b.Go("/my/" + s.Ann.ID + "/record")
	b.MustSee("Technology used in your care")
	b.Click("a[href='/my/" + s.Ann.ID + "/technology/" + u.ID + "?version=easy-read']")
	b.MustSee("BedSense: about you")
	copyText := b.Text("[data-testid=tech-copy]")
	for _, want := range []string{"What it is", "Why we use it", "When and how", "What we told you", "How we decided", "Your information",
		"When we check it again", "How to say no or stop", "Ann has fallen twice at night getting up", "Tell any member of staff"} {
		if !strings.Contains(copyText, want) {
			t.Errorf("the easy-read copy does not say %q", want)
		}
	}
	b.MustSee("PDF to download or print")
	b.MustSee("Copies given to you")
	b.Click("#copy-large-print")
	b.MustSee("Using BedSense in Ann's care")
	checkNoConsoleErrors(t, b)
}
