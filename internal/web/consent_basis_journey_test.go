package web_test

import (
	"strings"
	"testing"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// The registered manager records that Ann's information may go to adult
// social care on safeguarding grounds, first forgetting the reason; the
// consent page then shows the basis, marked as not consent.
func TestJourneyStaffRecordASafeguardingBasisAndTheConsentPageShowsItMarked(t *testing.T) {
	s := apptest.NewScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)

	b.Go("/people/" + s.Ann.ID + "/consent")
	b.Click("[data-testid=record-lawful-basis]")
	b.MustSee("Record a lawful basis other than consent")
	b.Click("label[for=basis-safeguarding]")
	b.Fill("#recipient", "Adult social care")
	b.Click("#record-basis")
	b.MustSee("Say why, in at least 10 characters")
	b.Fill("#reason", "Section 42 enquiry opened after unexplained bruising")
	b.Click("#record-basis")
	b.MustSee("The lawful basis was recorded.")
	marked := b.Text("[data-testid=lawful-bases]")
	for _, want := range []string{"Not consent", "Safeguarding", "With Adult social care", "unexplained bruising", "recorded by Test manager"} {
		if !strings.Contains(marked, want) {
			t.Errorf("the marked basis does not show %q:\n%s", want, marked)
		}
	}
	if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
