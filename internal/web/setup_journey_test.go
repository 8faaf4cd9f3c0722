package web_test

import (
	"strings"
	"testing"

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
