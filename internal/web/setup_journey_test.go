package web_test

import (
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// A registered manager opens a nursing home from the menu, is told plainly
// what is wrong with a bad CQC ID, renames the home and closes it; its
// history says who did what. Rowan House, where Ann lives, cannot close.
func TestJourneyAManagerOpensRenamesAndClosesALocation(t *testing.T) {
	s := apptest.NewScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)
	b.Click("a.nhsuk-header__navigation-link[href='/admin/locations']")
	b.MustSee("Open a location")
	b.MustSee("Rowan House")
	b.Fill("#name", "Elm Court")
	b.Click("label[for=kind-nursing_home]")
	b.Fill("#cqc_location_id", "CQC-99")
	b.Click("#open-location")
	b.MustSee(`CQC location ID must be "1-" followed by digits`)
	b.Fill("#cqc_location_id", "1-123456789")
	b.Click("#open-location")
	b.MustSee("Elm Court is open. You manage it")
	b.MustSee("Nursing home · CQC 1-123456789")
	b.Fill("#name", "Elm Court Nursing Home")
	b.Click("#rename")
	if got := b.Text("[data-testid=location-name]"); got != "Elm Court Nursing Home" {
		t.Fatalf("after renaming the heading is %q", got)
	}
	b.MustSee("renamed from Elm Court to Elm Court Nursing Home by Test manager")
	b.Click("#close-location")
	if got := b.Text("[data-testid=status]"); !strings.HasPrefix(got, "Closed on") {
		t.Fatalf("after closing the status is %q", got)
	}
	b.MustSee("closed by Test manager")

	b.Go("/admin/locations")
	b.Click("a[href='/admin/locations/" + s.Home.ID + "']")
	b.MustSee("Rowan House cannot close while people are placed here")
	b.Click("#close-location")
	b.MustSee("Rowan House cannot close while 1 person is placed there. Move them to another location or end their care first.")
}

// A registered manager invites a care worker; the care worker opens the
// link in their own browser, chooses a password, sets up their
// authenticator and reaches their (empty) list. The manager then changes
// them to a senior carer, asks for their authenticator to be reset (a
// deputy approves it), and finally records them as a leaver. A reused link
// says so plainly.
func TestJourneyStaffAreInvitedChangedResetAndLeave(t *testing.T) {
	s := apptest.NewScenario(t)
	deputy := s.Staff("deputy", access.RegisteredManager, s.Home)
	srv := s.Server()
	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, s.Manager)
	b.Click("a.nhsuk-header__navigation-link[href='/staff']")
	b.MustSee("Members of staff")
	b.Click("#invite")
	for _, role := range []string{"Care worker", "Senior carer", "Nurse", "Registered manager"} {
		b.MustSee(role)
	}
	if strings.Contains(b.Text("main"), "Administrator") || strings.Contains(b.Text("main"), "Information governance lead") {
		t.Fatal("a registered manager is offered roles above their own")
	}
	b.Fill("#name", "Sam Patel")
	b.Fill("#username", "sam patel")
	b.Click("#send-invitation")
	b.MustSee("Username must be 3 to 64 letters")
	b.MustSee("Choose a role")
	b.Fill("#username", "sam.patel")
	b.Click("label[for=role-care_worker]")
	b.Click("label[for='location-" + s.Home.ID + "']")
	b.Click("#send-invitation")
	b.MustSee("Sam Patel is invited")
	link := b.Text("[data-testid=invitation-link]")
	if !strings.Contains(link, "/invitation/") {
		t.Fatalf("the link shown is %q", link)
	}
	b.MustSee("Sam Patel (sam.patel), Care worker: invited by Test manager")

	sam := browsertest.New(t)
	sam.Base = srv.URL
	sam.Go(link)
	sam.MustSee("Test manager invited you, Sam Patel, to Hearth as Care worker at Rowan House")
	sam.Fill("#password", "a short one")
	sam.Fill("#password2", "a short one")
	sam.Click("#accept")
	sam.MustSee("Password must be at least 12 characters long")
	sam.Fill("#password", "sam's long enough passphrase")
	sam.Fill("#password2", "sam's long enough passphrase")
	sam.Click("#accept")
	sam.MustSee("Set up your authenticator app")
	secret := sam.Text("[data-testid=totp-secret]")
	sam.Fill("#code", accounts.Code(secret, s.Clock.Now()))
	sam.Click("#confirm-code")
	sam.MustSee("Save your recovery codes")
	sam.Click("#continue")
	sam.MustSee("Your people")
	sam.MustSee("Sam Patel")

	// The link works once.
	other := browsertest.New(t)
	other.Go(link)
	other.MustSee("This invitation has already been used. Sign in with the username and password you chose.")

	b.Go("/staff")
	u, err := s.Accounts.ByUsername(s.Ctx, "sam.patel")
	if err != nil {
		t.Fatal(err)
	}
	b.Click("a[href='/staff/" + u.ID + "']")
	b.MustSee("Sam Patel")
	b.Click("label[for=role-senior_carer]")
	b.Click("#save-staff")
	b.MustSee("Their role and locations are changed")
	if got := b.Text("[data-testid=role]"); got != "Senior carer" {
		t.Fatalf("role shown: %q", got)
	}
	b.Fill("#reason", "Lost phone and codes; checked in person")
	b.Click("#ask-reset")
	b.MustSee("The reset is waiting for a second senior member of staff")
	b.Go("/staff")
	b.MustSee("Lost phone and codes; checked in person (asked by Test manager")

	d := browsertest.New(t)
	d.Base = srv.URL
	staffSignIn(t, s, d, deputy)
	d.Go("/staff")
	d.Click("button[id^=approve-]")
	d.Go("/staff/" + u.ID)
	if got := d.Text("[data-testid=status]"); got != "Authenticator not set up yet" {
		t.Fatalf("after the reset the status reads %q", got)
	}
	sam.Go("/")
	sam.MustSee("Sign in")

	b.Go("/staff/" + u.ID)
	b.Click("#leaver")
	b.MustSee("Sam Patel has left: they can no longer sign in")
	if got := b.Text("[data-testid=status]"); got != "Left" {
		t.Fatalf("after leaving the status reads %q", got)
	}
}
