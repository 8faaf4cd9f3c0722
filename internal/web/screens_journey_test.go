package web_test

// Journeys for issue 15 (items 5 to 8): the NHS.UK error pattern, dates
// typed in boxes, phone-first care screens, charts, and a keyboard-only
// journey. axe-core checks every page they visit against WCAG 2.2 A and AA
// at 390 and 1280 px; with HEARTH_SCREENSHOTS set they save the screenshots
// in the README.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
	"hearth/internal/people"
)

func evalJS[T any](t *testing.T, b *browsertest.Browser, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// press sends keys as a person at a keyboard would: "\t" is Tab, "\r"
// Enter, " " Space.
func press(b *browsertest.Browser, keys string) { b.Run(chromedp.KeyEvent(keys)) }

// tabTo presses Tab until the focused element matches the CSS selector,
// failing if it is not reached within max presses.
func tabTo(t *testing.T, b *browsertest.Browser, selector string, max int) {
	t.Helper()
	for range max {
		if evalJS[bool](t, b, `document.activeElement && document.activeElement.matches(`+jsQuote(selector)+`)`) {
			return
		}
		press(b, "\t")
	}
	t.Fatalf("%s was not reached by %d presses of Tab; focus is on %s", selector, max,
		evalJS[string](t, b, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

// The NHS.UK error pattern, whole: a wrong amount gives "Error:" in the
// title, a summary that takes the focus and links to the field, the field
// described by its message and bordered in red, and the message worded as
// the design system words it. A drink's time is typed in day, month, year,
// hour and minute boxes, and shown on the 24-hour clock.
func TestJourneyTheErrorPatternAndDateBoxesOnAPhone(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 15, 0, 0, 0, time.UTC))
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)
	b.Go("/people/" + s.Ann.ID + "/observations")
	b.CheckAccessibilityAtWidths("the observations page")
	if n := evalJS[int](t, b, `document.querySelectorAll('input[type=date], input[type=time], input[type=datetime-local]').length`); n != 0 {
		t.Errorf("the observations page still has %d browser date pickers", n)
	}

	b.Fill("#amount", "a cup")
	b.Click("#save-fluid")
	b.MustSee("There is a problem")
	if title := evalJS[string](t, b, `document.title`); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("title %q lacks the Error: prefix", title)
	}
	// NHS.UK frontend moves the focus to the summary on load.
	deadline := time.Now().Add(5 * time.Second)
	for !evalJS[bool](t, b, `document.activeElement && document.activeElement.classList.contains('nhsuk-error-summary')`) {
		if time.Now().After(deadline) {
			t.Fatalf("focus is not on the error summary but on %s", evalJS[string](t, b, `document.activeElement.outerHTML.slice(0, 120)`))
		}
		time.Sleep(100 * time.Millisecond)
	}
	link := evalJS[string](t, b, `(document.querySelector('.nhsuk-error-summary__list a') || {}).getAttribute ? document.querySelector('.nhsuk-error-summary__list a').getAttribute('href') : ''`)
	if link != "#amount" {
		t.Errorf("the summary links to %q, want #amount", link)
	}
	if got := b.Text(".nhsuk-error-summary__list"); got != "Enter amount in millilitres as a whole number" {
		t.Errorf("summary message %q", got)
	}
	if got := evalJS[string](t, b, `document.getElementById('amount').getAttribute('aria-describedby')`); !strings.Contains(got, "amount-error") || !strings.Contains(got, "amount-hint") {
		t.Errorf("aria-describedby %q", got)
	}
	if !evalJS[bool](t, b, `document.getElementById('amount').classList.contains('nhsuk-input--error') && !!document.getElementById('amount').closest('.nhsuk-form-group--error')`) {
		t.Error("the amount field has no error styling")
	}
	if got := strings.Join(strings.Fields(b.Text("#amount-error")), " "); got != "Error: Enter amount in millilitres as a whole number" {
		t.Errorf("inline message %q", got)
	}
	b.SaveScreenshot("error-summary-phone")
	b.CheckAccessibilityAtWidths("the refused drink")
	b.Click(".nhsuk-error-summary__list a")
	if !evalJS[bool](t, b, `document.activeElement === document.getElementById('amount')`) {
		t.Error("following the summary's link does not put the focus in the field")
	}

	// A drink earlier today, its time typed in boxes.
	b.Fill("#amount", "180")
	b.Fill("#when_day", "3")
	b.Fill("#when_month", "3")
	b.Fill("#when_year", "2026")
	b.Fill("#when_hour", "7")
	b.Fill("#when_minute", "45")
	b.Click("#save-fluid")
	if got := b.Text("[data-testid=fluids]"); !strings.Contains(got, "07:45") || !strings.Contains(got, "180 ml") {
		t.Errorf("the drink typed for 07:45: %q", got)
	}
	// A day that does not exist is refused, and what was typed is kept.
	b.Fill("#amount", "100")
	b.Fill("#when_day", "31")
	b.Fill("#when_month", "2")
	b.Click("#save-fluid")
	b.MustSee("Enter the date and time")
	if got := evalJS[string](t, b, `document.getElementById('when_day').value + '/' + document.getElementById('when_month').value`); got != "31/2" {
		t.Errorf("the boxes lost what was typed: %q", got)
	}
	if got := evalJS[string](t, b, `document.querySelector('.nhsuk-error-summary__list a').getAttribute('href')`); got != "#when_day" {
		t.Errorf("the time's summary link: %q", got)
	}
	noConsoleErrors(t, b)
}

// Phone-first: the menu is one "Menu" button that opens without
// JavaScript; the person page carries who the person is and alerts first,
// not the access log, which has its own paged page; every section shows
// name, date of birth and NHS number; 'my shift' puts the overdue first;
// an unknown address gets a page-not-found page in the layout; a printed
// care plan has no link addresses.
func TestJourneyPhoneFirstCareScreens(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	branch := s.Location("Riverside Home Care", people.DomiciliaryBranch)
	coord := s.Staff("coordinator", access.RegisteredManager, branch)
	ed := s.Person(coord, branch, "Ed", "Lloyd", "")
	s.Assign(coord, ed, s.Carer)
	if _, err := s.Care.AddMedicine(s.Ctx, coord.Actor, ed.ID, care.MedicineInput{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule",
		Times: "07:00", Route: "oral", Source: "gp", StartDate: time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)

	// The menu on a phone: one row, opened without script.
	if evalJS[bool](t, b, `getComputedStyle(document.querySelector('.hearth-menu-wide')).display !== 'none'`) {
		t.Error("the row of menu links shows on a phone")
	}
	if h := evalJS[float64](t, b, `document.querySelector('.nhsuk-header').getBoundingClientRect().height`); h > 130 {
		t.Errorf("the header is %.0f px tall on a phone", h)
	}
	b.Click(".hearth-menu-small__toggle")
	if !evalJS[bool](t, b, `document.querySelector('.hearth-menu-small').open && document.querySelector('.hearth-menu-small a[href="/shift"]').getBoundingClientRect().height > 0`) {
		t.Error("opening the menu does not show My shift")
	}
	b.SetWidth(1280)
	if !evalJS[bool](t, b, `getComputedStyle(document.querySelector('.hearth-menu-wide')).display !== 'none' && getComputedStyle(document.querySelector('.hearth-menu-small')).display === 'none'`) {
		t.Error("at 1280 px the menu links are not in a row")
	}
	b.SetWidth(browsertest.PhoneWidth)
	b.CheckAccessibilityAtWidths("the home page")

	// My shift: Ed's overdue dose puts him before Ann.
	if !evalJS[bool](t, b, `document.querySelector('.hearth-menu-small').open`) {
		b.Click(".hearth-menu-small__toggle")
	}
	b.Click(".hearth-menu-small a[href='/shift']")
	b.MustSee("My shift")
	cards := evalJS[[]string](t, b, `[...document.querySelectorAll('[data-testid=shift-person] h3')].map(h => h.innerText)`)
	if len(cards) != 2 || !strings.Contains(cards[0], "Ed Lloyd") || !strings.Contains(cards[0], "Overdue") || !strings.Contains(cards[1], "Ann Jones") {
		t.Errorf("my shift cards, most urgent first: %q", cards)
	}
	b.SaveScreenshot("my-shift-phone")
	b.CheckAccessibilityAtWidths("my shift")

	// The person page: no access log on it; its own page has it.
	b.Go("/people/" + s.Ann.ID)
	if n := evalJS[int](t, b, `document.querySelectorAll('[data-testid=access-history] tbody tr').length`); n > 8 {
		t.Errorf("the person page carries %d rows of the access log, want the latest 8 at most", n)
	}
	if h := evalJS[float64](t, b, `document.documentElement.scrollHeight`); h > 5000 {
		t.Errorf("the person page is %.0f px tall on a phone", h)
	}
	b.SaveScreenshot("person-phone")
	b.CheckAccessibilityAtWidths("the person page")
	b.Click("[data-testid=whole-history]")
	b.MustSee("Viewed their details")
	b.CheckAccessibilityAtWidths("the access history")

	// Every section says who the person is.
	for _, section := range []string{"/notes", "/observations", "/medicines", "/care-plans", "/about-me", "/risks"} {
		b.Go("/people/" + s.Ann.ID + section)
		banner := b.Text("[data-testid=person-banner]")
		if !strings.Contains(banner, "Ann Jones") || !strings.Contains(banner, "NHS number 943 476 5919") || !strings.Contains(banner, "Born") {
			t.Errorf("%s: the banner reads %q", section, banner)
		}
		b.CheckAccessibilityAtWidths("the " + section + " page")
	}

	// A printed page prints no "(Link: /people/…)".
	b.Go("/people/" + s.Ann.ID + "/care-plans")
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if got := evalJS[string](t, b, `[...document.querySelectorAll('main a[href^="/"]')].map(a => getComputedStyle(a, '::after').content).filter(c => c !== 'none' && c !== 'normal').join('|')`); got != "" {
		t.Errorf("printed links still show their addresses: %s", got)
	}
	ctx, cancel = context.WithTimeout(b.Context(), 10*time.Second)
	_, _ = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
	cancel()

	// An unknown address: the app's own page, in English, with a title.
	b.Go("/no-such-page")
	b.MustSee("Page not found")
	if got := evalJS[string](t, b, `document.documentElement.lang + '|' + document.title`); got != "en-GB|Page not found – Hearth" {
		t.Errorf("the 404 page: %q", got)
	}
	b.CheckAccessibilityAtWidths("the page-not-found page")
	noConsoleErrors(t, b)
}

// Charts on the care pages, drawn without JavaScript, each with its table.
func TestJourneyChartsOnTheCarePages(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 16, 0, 0, 0, time.UTC))
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", "GP advice"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	for h, ml := range map[int]string{7: "200", 9: "150", 11: "250", 13: "200", 15: "180"} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: ml, What: "Tea", At: day.Add(time.Duration(h) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, kg := range []string{"64.2", "63.8", "63.1", "62.4", "61.5", "60.6"} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Weight, Weight: kg, At: day.AddDate(0, i-5, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, v := range []struct{ resp, pulse, temp string }{{"16", "72", "37.0"}, {"18", "88", "37.6"}, {"21", "104", "38.3"}, {"24", "118", "38.9"}} {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.VitalSign, RespRate: v.resp, SpO2: "95", SpO2Scale: "1",
			Oxygen: "air", Systolic: "118", Pulse: v.pulse, Consciousness: care.ACVPUAlert, Temperature: v.temp, At: day.Add(time.Duration(8+2*i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)
	b.Go("/people/" + s.Ann.ID + "/observations")
	for _, id := range []string{"fluid-chart", "weight-chart", "news2-chart", "news2-parts-chart"} {
		if !evalJS[bool](t, b, `(() => { const f = document.getElementById('`+id+`'); if (!f) return false;
			const svg = f.querySelector('svg[role=img]'); const r = svg && svg.getBoundingClientRect();
			return !!r && r.width > 300 && r.width <= 390 && !!f.querySelector('table caption'); })()`) {
			t.Errorf("%s is not drawn to fit the phone with its table", id)
		}
	}
	fitsPhone(t, b, "the observations page with its charts")
	b.CheckAccessibilityAtWidths("the observations page with charts")
	b.Run(chromedp.ScrollIntoView("#weight-chart"))
	saveElement(t, b, "#weight-chart", "chart-weight-phone")
	saveElement(t, b, "#fluid-chart", "chart-fluids-phone")
	noConsoleErrors(t, b)
}

// saveElement saves a screenshot of one element when HEARTH_SCREENSHOTS
// is set.
func saveElement(t *testing.T, b *browsertest.Browser, selector, name string) {
	t.Helper()
	b.SaveScreenshotOf(selector, name)
}

// Keyboard only: a care worker records a daily note and a drink with Tab,
// Enter and Space, never the mouse.
func TestJourneyKeyboardOnlyANoteAndADrink(t *testing.T) {
	s := apptest.NewScenario(t)
	s.Clock.Set(time.Date(2026, 3, 3, 11, 0, 0, 0, time.UTC))
	b := browsertest.New(t)
	b.Base = s.Server().URL
	b.SetWidth(1280)
	staffSignIn(t, s, b, s.Carer)
	b.Go("/people/" + s.Ann.ID)

	tabTo(t, b, "a[href$='/notes']", 60)
	press(b, "\r")
	b.MustSee("Daily notes")
	tabTo(t, b, "input[name=category]", 40)
	press(b, " ")
	if !evalJS[bool](t, b, `document.activeElement.checked`) {
		t.Fatal("Space did not choose the category")
	}
	tabTo(t, b, "#body", 20)
	press(b, "Ate all her breakfast and chatted about her grandson.")
	tabTo(t, b, "#save-note", 20)
	press(b, "\r")
	b.MustSee("Ate all her breakfast and chatted about her grandson.")

	b.Go("/people/" + s.Ann.ID)
	tabTo(t, b, "a[href$='/observations']", 60)
	press(b, "\r")
	b.MustSee("Fluids today")
	tabTo(t, b, "#amount", 40)
	press(b, "220")
	tabTo(t, b, "#save-fluid", 20)
	press(b, "\r")
	b.MustSee("220 ml drunk")
	b.CheckAccessibilityAtWidths("the observations page after a keyboard-only drink")
	noConsoleErrors(t, b)
}

// A request for an unknown address is answered 404 with the page, not Go's
// plain text.
func TestAnUnknownAddressGetsThePageNotFoundPageInTheLayout(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	r := c.Get("/no-such-page")
	if r.Status != http.StatusNotFound || strings.Contains(r.Body, "404 page not found") || !strings.Contains(r.Body, `<html lang="en-GB">`) ||
		!strings.Contains(r.Body, "<title>Page not found – Hearth</title>") {
		t.Errorf("unknown address: %d\n%s", r.Status, r.Body)
	}
	c.SignIn(s.Carer)
	r = c.Get("/people/" + s.Ann.ID + "/no-such-section")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "Page not found") || !strings.Contains(r.Body, "Go to your home page") {
		t.Errorf("unknown section, signed in: %d\n%s", r.Status, r.Body)
	}
}

// clickMenu follows a header menu link at whichever width the page is.
func clickMenu(t *testing.T, b *browsertest.Browser, href string) {
	t.Helper()
	b.ClickMenu(href)
}

// menuText is the header menu's words, whichever form it takes at this
// width.
func menuText(t *testing.T, b *browsertest.Browser) string {
	t.Helper()
	return strings.Join(strings.Fields(evalJS[string](t, b, `document.querySelector('.hearth-menu-small nav').textContent`)), " ")
}

// signOut presses Sign out at whichever width the page is.
func signOut(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	b.SignOut()
}
