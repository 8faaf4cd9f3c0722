package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hearth/internal/browsertest"
	"hearth/internal/consent"
)

// The nurse records a capacity assessment about Ann's bed sensor on her
// phone: she chooses the technology by name, leaves stage two unanswered and
// is told which questions need an answer (nothing is recorded as "cannot");
// then answers each one and sees the assessment named "Use of BedSense".
func TestJourneyTheCapacityFormAsksEveryQuestionAndNamesTheTechnology(t *testing.T) {
	s, bed := techScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)
	b.Go("/people/" + s.Ann.ID + "/capacity/new")
	b.MustSee("Record a capacity assessment")
	b.MustSee("is assumed to have capacity")
	b.Fill("#decision", consent.TechnologyDecision(bed.ID))
	b.Run(chromedp.SetValue("#assessed_at", s.Clock.Now().In(london(t)).Format("2006-01-02T15:04")))
	b.Fill("#assessor", "Test manager, registered manager")
	b.Fill("#evidence", "Talked it through twice with pictures")
	b.Click("label[for=impairment-yes]")
	b.Submit("form[action='/people/" + s.Ann.ID + "/capacity'] button[type=submit]")
	b.MustSee("Select yes or no: can they understand")
	if body := b.Text("main"); strings.Contains(body, "Lacks capacity") {
		t.Error("an unanswered form reads as lacking capacity")
	}
	if n := s.Count(`SELECT COUNT(*) FROM capacity_assessments`); n != 0 {
		t.Fatalf("%d assessments recorded from an unanswered form", n)
	}
	for _, q := range []string{"understand", "retain", "use_weigh", "communicate"} {
		b.Click("label[for=" + q + "-yes]")
	}
	b.Submit("form[action='/people/" + s.Ann.ID + "/capacity'] button[type=submit]")
	b.MustSee("Use of BedSense")
	if strings.Contains(b.Text("main"), bed.ID) {
		t.Error("the consent page shows the technology's ID")
	}
	checkNoConsoleErrors(t, b)
}

// Ann's son holds a lasting power of attorney for property and finance. His
// home page says what he can do and offers no link that ends in "Denied".
func TestJourneyAPropertyAndFinanceAttorneySeesAnHonestHomePage(t *testing.T) {
	s, _ := techScenario(t)
	tom := portalAccount(t, s, "tom.jones", "Tom Jones", consent.AuthorityLPAPropertyFinance)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, tom)
	b.Go("/my/" + s.Ann.ID)
	b.MustSee("Your recorded authority does not cover Ann")
	page := b.Text("main")
	for _, never := range []string{"You can read it", "add to it", "Care record", "Who has seen this record", "Get a copy of everything"} {
		if strings.Contains(page, never) {
			t.Errorf("Tom's home page offers %q", never)
		}
	}
	menu, err := chromedp.Run(b.Context(), chromedp.Evaluate[[]string](`[...document.querySelectorAll('a[href^="/my/`+s.Ann.ID+`/"]')].map(a => a.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	for _, href := range menu {
		b.Go(href)
		if strings.Contains(b.Text("main"), "Denied") {
			t.Errorf("Tom's link %s ends in Denied", href)
		}
	}
	checkNoConsoleErrors(t, b)
}
