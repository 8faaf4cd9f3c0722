package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// fakeLocation lets the page's origin have the location and makes the
// browser report lat, lon to within 15 metres.
func fakeLocation(t *testing.T, b *browsertest.Browser, origin string, lat, lon float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	u, err := url.Parse(origin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "geolocation"}, Setting: browser.PermissionSettingGranted,
		Origin: u.Scheme + "://" + u.Host}); err != nil {
		t.Fatalf("grant geolocation: %v", err)
	}
	acc := 15.0
	if _, err := chromedp.Call(ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		t.Fatalf("fake the location: %v", err)
	}
}

// A care worker checks in at Ann's visit, where Ann has a use of a
// location technology with her consent: she ticks 'Share my location',
// the phone gives it, and the visit shows where and under which use and
// basis. At Ed's visit, with no such use, nothing offers to share.
func TestJourneyACareWorkerSharesTheirLocationAtCheckInOnlyWhereATechnologyUseAllowsIt(t *testing.T) {
	s := apptest.NewScenario(t)
	withVisitLocation(t, s, s.Ann)
	ed := s.Person(s.Manager, s.Home, "Ed", "Lloyd", "")
	s.Assign(s.Manager, ed, s.Carer)
	annVisit := visitNow(t, s, s.Ann)
	edVisit := visitNow(t, s, ed)
	srv := s.Server()
	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, s.Carer)
	fakeLocation(t, b, srv.URL, 51.501009, -0.141588)

	b.Go("/people/" + s.Ann.ID + "/visits")
	if got := b.Text("[data-testid=location-offer]"); !strings.Contains(got, "Ann's use of VisitCheck allows it") {
		t.Fatalf("the offer reads %q", got)
	}
	fitsPhone(t, b, "Ann's visits with location sharing")
	b.Click("label[for='share-location-" + annVisit.ID + "']")
	b.Click("#check-in-" + annVisit.ID)
	b.MustSee("Where the check-in was")
	if got := b.Text("[data-testid=visit-location-where]"); got != "51.50101, -0.14159 (to within 15 metres)" {
		t.Errorf("the visit shows the location as %q", got)
	}
	if got := b.Text("[data-testid=visit-location-why]"); !strings.Contains(got, "Ann's use of VisitCheck (record version 1), on the basis of consent: Consent given") {
		t.Errorf("the visit shows what allowed it as %q", got)
	}
	if n := s.Count(`SELECT COUNT(*) FROM visit_locations WHERE visit_id = ?`, annVisit.ID); n != 1 {
		t.Errorf("%d locations stored for Ann's visit, want 1", n)
	}

	b.Go("/people/" + ed.ID + "/visits")
	b.MustSee("Hearth does not record where you are when you check in")
	if got := b.Text("main"); strings.Contains(got, "Share my location") {
		t.Error("Ed's visits page offers location sharing without a technology use")
	}
	b.Click("#check-in-" + edVisit.ID)
	b.MustSee("In progress")
	if n := s.Count(`SELECT COUNT(*) FROM visit_locations WHERE visit_id = ?`, edVisit.ID); n != 0 {
		t.Errorf("a location was stored for Ed's visit")
	}
	noConsoleErrors(t, b)
}
