package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
	"hearth/internal/people"

	"github.com/chromedp/chromedp"
)

// fitsPhone checks the page does not scroll sideways on a 360px-wide phone
// (narrower than browsertest's default), then puts the width back.
func fitsPhone(t *testing.T, b *browsertest.Browser, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, browsertest.PhoneHeight, chromedp.EmulatePortrait,
		chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("emulate 360px: %v", err)
	}
	defer func() {
		_ = chromedp.Do(ctx, chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulatePortrait,
			chromedp.EmulateMobile, chromedp.EmulateTouch))
	}()
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - 360`))
	if err != nil || wide > 0 {
		t.Errorf("%s scrolls sideways by %dpx at phone width (%v)", what, wide, err)
	}
}

func noConsoleErrors(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// A care worker on a phone opens Ann's observations from her record, types
// a drink and sees the day's running total against her target; a negative
// amount is refused with the rule and what was typed is kept.
func TestJourneyACareWorkerOnAPhoneRecordsADrinkAndSeesTheRunningTotalAndTheTarget(t *testing.T) {
	s := apptest.NewScenario(t)
	if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, s.Ann.ID, "1600", "GP advice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200", What: "Water", At: s.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)
	b.Click("a[href='/people/" + s.Ann.ID + "']")
	b.Click("a[href='/people/" + s.Ann.ID + "/observations']")
	if got := b.Text("[data-testid=fluid-total]"); !strings.Contains(got, "200 ml drunk of a 1600 ml target") {
		t.Fatalf("before: %q", got)
	}
	b.Fill("#amount", "250")
	b.Fill("#what", "Tea with two sugars")
	b.Click("#save-fluid")
	if got := b.Text("[data-testid=fluid-total]"); !strings.Contains(got, "450 ml drunk of a 1600 ml target") {
		t.Fatalf("after a 250 ml drink the total reads %q", got)
	}
	b.MustSee("Tea with two sugars")
	fitsPhone(t, b, "the observations page")

	b.Fill("#amount", "-50")
	b.Click("#save-fluid")
	b.MustSee("Amount must be between 1 and 5000 millilitres")
	b.Fill("#amount", "6000")
	b.Click("#save-fluid")
	b.MustSee("Amount must be between 1 and 5000 millilitres")
	if got := b.Text("[data-testid=fluid-total]"); !strings.Contains(got, "450 ml") {
		t.Errorf("a refused drink changed the total: %q", got)
	}
	noConsoleErrors(t, b)
}

// At lunchtime a care worker gives Ann's 13:00 dose from the round and sees
// it recorded, no longer due; then tries a second paracetamol too soon and
// is told when the last was and when the next may be.
func TestJourneyACareWorkerGivesARoundDoseAndIsToldWhyAPRNDoseIsRefused(t *testing.T) {
	s := apptest.NewScenario(t)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, in := range []care.MedicineInput{
		{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule", Route: "oral", Source: "gp", Times: "08:00, 13:00", StartDate: start},
		{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets (1 g)", Route: "oral", Source: "gp", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: start},
	} {
		m, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if m.PRN {
			if _, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Clock.Set(time.Date(2026, 3, 3, 12, 40, 0, 0, time.UTC))
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Carer)
	b.Go("/people/" + s.Ann.ID + "/medicines")
	due := `[data-slot="Ramipril 13:00"]`
	if got := b.Text(due); !strings.Contains(got, "Due") {
		t.Fatalf("the 13:00 dose reads %q", got)
	}
	if got := b.Text(`[data-slot="Ramipril 08:00"]`); !strings.Contains(got, "Missed") {
		t.Errorf("the unrecorded 08:00 dose reads %q", got)
	}
	fitsPhone(t, b, "the medicines page")
	b.Click(due + " button[type=submit]")
	if got := b.Text(due); strings.Contains(got, "Due") || !strings.Contains(got, "Given at 12:40 by Test carer") {
		t.Fatalf("after giving it the 13:00 dose reads %q", got)
	}

	b.Click(`[data-prn="Paracetamol"] summary`)
	b.Click(`[data-prn="Paracetamol"] button[type=submit]`)
	b.MustSee("The last dose was at 10:00; the minimum gap is 4 hours, so the next can be from 14:00.")
	noConsoleErrors(t, b)
}

// The home care coordinator opens today's visits from 'my shift' and sees
// the visit no one arrived for; the care worker's 'my shift' lists their
// people, their visit today and the medicines due.
func TestJourneyTheCoordinatorSeesAMissedVisitAndMyShiftShowsMyPeopleAndWhatIsDue(t *testing.T) {
	s := apptest.NewScenario(t)
	branch := s.Location("Riverside Home Care", people.DomiciliaryBranch)
	coord := s.Staff("coordinator", access.RegisteredManager, branch)
	ed := s.Person(coord, branch, "Ed", "Lloyd", "")
	s.Assign(coord, ed, s.Carer)
	for _, h := range []int{8, 11} {
		start := time.Date(2026, 3, 3, h, 0, 0, 0, time.UTC)
		if _, err := s.Care.ScheduleVisit(s.Ctx, coord.Actor, ed.ID, care.VisitInput{Start: start, End: start.Add(time.Hour),
			PlannedMinutes: "30", Tasks: "Breakfast\nMorning medicines", AssignedTo: s.Carer.ID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Sertraline", Strength: "50 mg", Dose: "1 tablet",
		Route: "oral", Source: "gp", Times: "10:00", StartDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, coord)
	b.Go("/shift")
	b.Click("a[href='/locations/" + branch.ID + "/visits']")
	if got := b.Text("[data-testid=visit-summary]"); !strings.Contains(got, "1 missed") {
		t.Fatalf("the coordinator's summary reads %q", got)
	}
	fitsPhone(t, b, "the coordinator's visits")
	if got := b.Text("[data-testid=visits] tr[data-status=missed]"); !strings.Contains(got, "Ed Lloyd") || !strings.Contains(got, "08:00–09:00") {
		t.Fatalf("the missed visit reads %q", got)
	}

	b2 := browsertest.New(t)
	b2.Base = b.Base
	staffSignIn(t, s, b2, s.Carer)
	clickMenu(t, b2, "/shift")
	b2.MustSee("My shift")
	fitsPhone(t, b2, "my shift")
	people := b2.Text("main")
	for _, want := range []string{"Ann Jones", "Ed Lloyd", "Sertraline (due)", "11:00–12:00"} {
		if !strings.Contains(people, want) {
			t.Errorf("my shift lacks %q:\n%s", want, people)
		}
	}
	noConsoleErrors(t, b)
	noConsoleErrors(t, b2)
}
