package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"hearth/internal/accounts"
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
// passkey instead of a code, landing on her own record. Then strangers hold
// her account back with guesses from everywhere, and her passkey alone
// still gets her in (issue 12 item 7).
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

	// Strangers guess at her password from ten addresses until her whole
	// account is held back: her password no longer gets her in, in the
	// words of a wrong password, but her passkey alone does.
	for i := range 10 {
		for j := range 5 {
			_, _, _ = s.Accounts.SignIn(s.Ctx, ann.Username, fmt.Sprintf("guess %d-%d", i, j), accounts.Meta{ClientAddr: fmt.Sprintf("203.0.113.%d", i+1)})
		}
	}
	b.Click("#signout")
	b.MustSee("Sign in")
	b.Fill("#username", ann.Username)
	b.Fill("#password", apptest.Password)
	b.Click("#signin")
	b.MustSee("The username or password is not right")
	b.Click("#use-passkey-alone")
	b.MustSee("Who has seen this record")
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'sign-in' AND outcome = 'success' AND actor_id = ? AND detail LIKE ?`,
		ann.ID, "%passkey alone%"); n != 1 {
		t.Errorf("%d sign-ins with a passkey alone audited, want 1", n)
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
	for action, want := range map[string]int{"passkey-add": 1, "passkey-use": 2, "passkey-remove": 1} {
		if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = 'success' AND actor_id = ?`, action, ann.ID); n != want {
			t.Errorf("%d %s events for Ann, want %d", n, action, want)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'sign-in-mfa' AND outcome = 'success' AND detail = 'signed in with a passkey'`); n != 1 {
		t.Errorf("%d passkey sign-ins audited, want 1", n)
	}
	checkNoConsoleErrors(t, b)
}
