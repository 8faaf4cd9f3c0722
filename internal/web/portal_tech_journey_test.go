package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

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
// sensor, and reads the eight items in easy read, each with a symbol, in
// order; then the large print (body text at least 24px on screen) and the
// standard copy, with principle 2's items then her rights; and each PDF.
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
	inOrder(t, "easy read", copyText, "What it is", "Why we use it", "When we use it", "What we told you", "Who decided", "Your information",
		"When we check it again", "How to stop it", "The law", "Your rights", "Keeping you safe", "If you are worried", "Who we are")
	for _, want := range []string{"Ann has fallen twice at night getting up", "You can say stop at any time.", "You can complain."} {
		if !strings.Contains(copyText, want) {
			t.Errorf("the easy-read copy does not say %q", want)
		}
	}
	icons, err := chromedp.Run(b.Context(), chromedp.Evaluate[int](`[...document.querySelectorAll('[data-testid=tech-copy] svg[role=img]')].filter(s => s.getAttribute('aria-label')).length`))
	if err != nil || icons < 13 {
		t.Errorf("easy read symbols with text alternatives: %d (%v)", icons, err)
	}
	b.MustSee("PDF to download or print")
	b.MustSee("Copies given to you")
	b.Click("#copy-large-print")
	b.MustSee("Using BedSense in Ann's care")
	px, err := chromedp.Run(b.Context(), chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.querySelector('[data-testid=tech-copy] section p')).fontSize)`))
	if err != nil || px < 24 {
		t.Errorf("large print body text is %vpx (%v), want at least 24px", px, err)
	}
	b.Click("#copy-standard")
	standard := b.Text("[data-testid=tech-copy]")
	inOrder(t, "standard", standard, "1. What the technology is", "2. Why it is used for Ann", "3. When and how", "4. What Ann and the family were told",
		"5. How the decision was made", "6. How the information it produces is used", "7. When it will be reviewed", "8. How to withdraw consent",
		"The law that allows it", "Ann's rights", "Risks, and what reduces them", "How to raise a concern", "Who we are")
	normal, err := chromedp.Run(b.Context(), chromedp.Evaluate[float64](`parseFloat(getComputedStyle(document.querySelector('[data-testid=tech-copy] section p')).fontSize)`))
	if err != nil || normal >= px {
		t.Errorf("standard text %vpx is not smaller than large print %vpx", normal, px)
	}
	checkNoConsoleErrors(t, b)
	c := s.Client(s.Server().URL)
	c.SignIn(ann)
	for _, v := range []string{"", "?version=large-print", "?version=easy-read"} {
		r := c.Get("/my/" + s.Ann.ID + "/technology/" + u.ID + "/copy.pdf" + v)
		if r.Status != 200 || !strings.HasPrefix(r.Body, "%PDF") || !strings.Contains(r.Body, "/Lang (en-GB)") {
			t.Errorf("PDF %q: %d", v, r.Status)
		}
	}
}

// inOrder fails unless text says each of words, in this order.
func inOrder(t *testing.T, what, text string, words ...string) {
	t.Helper()
	at := 0
	for _, w := range words {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Errorf("%s: %q missing or out of order", what, w)
			return
		}
		at += i + len(w)
	}
}
