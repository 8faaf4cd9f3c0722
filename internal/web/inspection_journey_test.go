package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// A CQC inspector's two days at Rowan House, in two real browsers at phone
// size. The information governance lead grants the access (a fortnight and
// a day is refused, two days is granted); the inspector signs in for the
// first time, sets up their authenticator, sees the people at Rowan House,
// reads Ann's page and is offered nothing to change; the lead ends the
// access early; the inspector's very next page says it has ended; and Ann's
// history shows the inspector's reads as an inspection.
func TestJourneyAnInspectionGrantedUsedAndEndedEarly(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	kim, err := s.Accounts.CreateUser(s.Ctx, accounts.NewUser{Kind: access.KindInspector, Username: "cqc.kim",
		DisplayName: "Kim Osei", Password: apptest.Password, By: accounts.Operator("test")})
	if err != nil {
		t.Fatal(err)
	}
	base := s.Server().URL

	lead := browsertest.New(t)
	lead.Base = base
	staffSignIn(t, s, lead, ig)
	clickMenu(t, lead, "/governance/inspections")
	lead.MustSee("Grant inspection access")
	lead.MustSee("No inspector has access now")
	lead.Fill("#inspector", kim.ID)
	lead.Click("label[for='location-" + s.Home.ID + "']")
	lead.Fill("#purpose", "CQC inspection of Rowan House")
	lead.Run(chromedp.SetValue(chromedp.CSS("#end_date"), "2026-03-18"), chromedp.SetValue(chromedp.CSS("#end_time"), "10:00"))
	lead.Click("#grant-inspection")
	lead.MustSee("There is a problem")
	if got := lead.Text("#end-error"); !strings.Contains(got, "Inspection access can last at most 14 days") {
		t.Errorf("the message beside the end reads %q", got)
	}
	// What was chosen and typed is kept; only the end changes.
	lead.Run(chromedp.SetValue(chromedp.CSS("#end_date"), "2026-03-05"))
	lead.Click("#grant-inspection")
	lead.MustSee("Active until 5 March 2026 at 10:00")
	lead.MustSee("Kim Osei: CQC inspection of Rowan House")

	inspector := browsertest.New(t)
	inspector.Base = base
	s.Clock.Advance(31 * time.Second)
	inspector.Go("/signin")
	inspector.Fill("#username", "cqc.kim")
	inspector.Fill("#password", apptest.Password)
	inspector.Click("#signin")
	inspector.MustSee("Set up your authenticator app")
	secret := strings.TrimSpace(inspector.Text("[data-testid=totp-secret]"))
	inspector.Fill("#code", accounts.Code(secret, s.Clock.Now()))
	inspector.Click("#confirm-code")
	inspector.MustSee("Save your recovery codes")
	inspector.Click("#continue")
	inspector.MustSee("Read-only inspection access until 5 March 2026 at 10:00")
	inspector.MustSee("You cannot change anything")
	if got := inspector.Text("[data-testid=people]"); !strings.Contains(got, "Ann Jones") {
		t.Fatalf("the inspector's people: %q", got)
	}
	if got := menuText(t, inspector); got != "Inspection Sign out" {
		t.Errorf("the inspector's menu offers %q", got)
	}

	inspector.Click("a[href='/people/" + s.Ann.ID + "']")
	inspector.MustSee("943 476 5919")
	inspector.MustSee("Kim Osei (Inspector, read-only inspection)")
	if n := countIn(t, inspector, "main form, main button, main textarea, main input"); n != 0 {
		t.Errorf("Ann's page offers the inspector %d forms or controls", n)
	}

	lead.Fill("[data-testid=grant] textarea[name=reason]", "Site visit finished a day early")
	lead.Click("[data-testid=end-now]")
	lead.MustSee("Ended early on 3 March 2026")
	lead.MustSee("Site visit finished a day early")
	lead.MustSee("No inspector has access now")

	inspector.Go("/people/" + s.Ann.ID)
	inspector.MustSee("Your inspection access ended on 3 March 2026")
	inspector.Go("/")
	inspector.MustSee("Your access has ended")

	lead.Go("/people/" + s.Ann.ID)
	history := lead.Text("[data-testid=access-history]")
	for _, want := range []string{"Kim Osei (Inspector, read-only inspection)", "Allowed: a time-limited, read-only inspection."} {
		if !strings.Contains(history, want) {
			t.Errorf("Ann's access history does not show %q:\n%s", want, history)
		}
	}

	for who, b := range map[string]*browsertest.Browser{"the lead": lead, "the inspector": inspector} {
		if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
			t.Errorf("%s's browser reported errors:\n%s", who, strings.Join(errs, "\n"))
		}
	}
}

// countIn counts the elements matching the CSS selector on the page.
func countIn(t *testing.T, b *browsertest.Browser, selector string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsQuote(selector)+`).length`))
	if err != nil {
		t.Fatalf("count %s: %v", selector, err)
	}
	return n
}

func jsQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
