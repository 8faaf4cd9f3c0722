package web_test

import (
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// An agency care worker, off everyone's care team, needs Ann's record in an
// emergency: the reason is required, the record says 'emergency access' in
// red, and the information governance lead reviews it the same day.
func TestJourneyBreakGlassFromTheRequestToTheGovernanceReview(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	b := browsertest.New(t)
	b.Base = s.Server().URL

	staffSignIn(t, s, b, s.OtherCarer)
	b.MustSee("You are not on anyone's care team")
	b.Go("/people/" + s.Ann.ID)
	b.MustSee("We could not find that record")

	b.Click(".hearth-break-glass-details summary")
	b.Fill("#nhs_number", "943 476 5919")
	b.Fill("#reason", "short")
	b.Click("#break-glass")
	b.MustSee("Say why you need emergency access, in at least 10 characters")

	b.Click(".hearth-break-glass-details summary")
	b.Fill("#nhs_number", "943 476 5919")
	b.Fill("#reason", "Ann has fallen in the lounge and her own team are on a break")
	b.Click("#break-glass")
	b.MustSee("Ann Jones")
	b.MustSee("You are not on Ann's care team. You are seeing this record under break-glass")
	history := b.Text("[data-testid=access-history]")
	for _, want := range []string{"Emergency access.", "Opened their record in an emergency", "Ann has fallen in the lounge"} {
		if !strings.Contains(history, want) {
			t.Errorf("the access history does not show %q:\n%s", want, history)
		}
	}

	signOut(t, b)
	staffSignIn(t, s, b, ig)
	b.Go("/governance/break-glass")
	b.MustSee("Test other (Care worker) opened Ann Jones's record")
	b.MustSee("Ann has fallen in the lounge and her own team are on a break")
	b.Click(".nhsuk-card button[type=submit]")
	b.MustSee("Say what you found")
	b.Go("/governance/break-glass")
	b.Fill("textarea[name=note]", "Appropriate: agency worker covering a fall, confirmed with the shift lead")
	b.Click(".nhsuk-card button[type=submit]")
	b.MustSee("Nothing is waiting for review")
	if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
