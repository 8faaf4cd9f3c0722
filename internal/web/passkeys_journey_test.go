package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// virtualAuthenticator gives the browser a platform authenticator through
// Chromium's DevTools WebAuthn domain: a passkey on "this device" that
// verifies its user (as a fingerprint would) without a prompt.
func virtualAuthenticator(t *testing.T, b *browsertest.Browser) webauthn.AuthenticatorID {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable WebAuthn: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
		HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
	if err != nil {
		t.Fatalf("add a virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// Ann signs in with her password and authenticator code, adds a passkey
// from her portal, signs out, and signs in again with her password and the
// passkey instead of a code, landing on her own record.
func TestJourneyAPersonAddsAPasskeyAndSignsInWithItInsteadOfACode(t *testing.T) {
	s := apptest.NewScenario(t)
	ann := portalAccount(t, s, "ann.jones", "", "")
	srv := s.Server()

	b := browsertest.New(t)
	// Browsers refuse an IP address as a passkey's site: use the name.
	b.Base = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	auth := virtualAuthenticator(t, b)

	browserSignIn(t, s, b, ann)
	b.MustSee("Who has seen this record")

	// She finds the page from the menu, not by typing its address.
	b.Click("a.nhsuk-header__navigation-link[href='/portal/passkeys']")
	b.MustSee("You have not added a passkey")
	b.Fill("#passkey-name", "My phone")
	b.Click("#add-passkey")
	b.MustSee("Your passkey has been added")
	list := b.Text("[data-testid=passkeys]")
	if !strings.Contains(list, "My phone") || !strings.Contains(list, "Not used yet") {
		t.Errorf("the passkey list shows:\n%s", list)
	}
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
	cancel()
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v (%v), want one passkey for localhost", creds, err)
	}

	b.Click("#signout")
	b.MustSee("Sign in")
	b.Fill("#username", ann.Username)
	b.Fill("#password", apptest.Password)
	b.Click("#signin")
	b.MustSee("Or use a passkey")
	b.Click("#use-passkey")
	b.MustSee("Who has seen this record")
	if u := b.URL(); !strings.Contains(u, "/my/"+s.Ann.ID) {
		t.Errorf("after the passkey the browser is at %s, want Ann's own record", u)
	}

	b.Go("/portal/passkeys")
	if list := b.Text("[data-testid=passkeys]"); !strings.Contains(list, "Last used") {
		t.Errorf("the passkey's use is not shown:\n%s", list)
	}
	// She removes it, after confirming.
	b.Click("[data-testid=passkeys] button[type=submit]")
	b.MustSee("You have not added a passkey")
	if d := b.Dialogs(); len(d) == 0 || d[len(d)-1] != "Remove this passkey?" {
		t.Errorf("removing did not ask first: %q", d)
	}
	for _, action := range []string{"passkey-add", "passkey-use", "passkey-remove"} {
		if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = 'success' AND actor_id = ?`, action, ann.ID); n != 1 {
			t.Errorf("%d %s events for Ann, want 1", n, action)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'sign-in-mfa' AND outcome = 'success' AND detail = 'signed in with a passkey'`); n != 1 {
		t.Errorf("%d passkey sign-ins audited, want 1", n)
	}
	checkNoConsoleErrors(t, b)
}
