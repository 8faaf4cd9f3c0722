package web_test

import (
	"strings"
	"testing"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// The registered manager, on a phone, opens Ann's consent and capacity page
// from her record, sees that nothing is recorded for photographs, records
// Ann's yes, sees the position change, withdraws it with one button (and a
// confirmation), sees it change back with who withdrew it, then opens the
// printable form, which names Ann and says how to withdraw.
func TestJourneyRecordingAndWithdrawingConsentChangesThePositionAtAGlance(t *testing.T) {
	s := apptest.NewScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)

	b.Go("/people/" + s.Ann.ID)
	b.Click("a[href='/people/" + s.Ann.ID + "/consent']")
	b.MustSee("Consent and capacity")
	b.MustSee("Photographs: no decision recorded")

	b.Click("[data-testid=record-consent]")
	b.MustSee("Record a consent decision")
	b.Fill("#purpose", "photographs")
	b.Click("label[for=decision-permit]")
	b.Fill("#info_given", "Showed Ann the easy-read leaflet about photographs")
	b.Fill("#info_format", "easy-read")
	b.Click("[data-testid=save-consent]")
	b.MustSee("The consent decision was recorded.")
	b.MustSee("Photographs: yes, given by Ann on 3 March 2026")

	b.Click("[data-testid=withdraw]")
	b.MustSee("The consent was withdrawn.")
	b.MustSee("Photographs: no. Consent was withdrawn on 3 March 2026 by Test manager")
	if d := b.Dialogs(); len(d) != 1 || !strings.Contains(d[0], "Withdraw this consent?") {
		t.Errorf("withdrawing did not ask first: %q", d)
	}
	history := b.Text("[data-testid=consent-history]")
	if !strings.Contains(history, "Withdrawn on 3 March 2026 by Test manager") || !strings.Contains(history, "Easy read") {
		t.Errorf("history does not show the withdrawal and how Ann was told:\n%s", history)
	}

	b.Go("/people/" + s.Ann.ID + "/consent/form?purpose=photographs")
	if got := b.Text("[data-testid=form-person]"); got != "Ann Jones" {
		t.Errorf("the form is for %q", got)
	}
	b.MustSee("How to withdraw")
	b.MustSee("You can change your mind at any time")
	b.Click("[data-testid=easy-read-link]")
	b.MustSee("This form is for Ann Jones.")
	b.MustSee("Tell any member of staff.")

	if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
