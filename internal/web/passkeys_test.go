package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/apptest"
)

func jsonError(t *testing.T, r apptest.Response) string {
	t.Helper()
	var v struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("not a JSON answer (%v): %s", err, r.Body)
	}
	return v.Error
}

func TestPasskeyPagesAndCeremoniesAnswerEachCasePlainly(t *testing.T) {
	s := apptest.NewScenario(t)
	// Passkeys belong to a site's name: browsers refuse an IP address.
	base := strings.Replace(s.Server().URL, "127.0.0.1", "localhost", 1)
	ann := portalAccount(t, s, "ann.jones", "", "")

	person := s.Client(base)
	person.SignIn(ann)
	staff := s.Client(base)
	staff.SignIn(s.Carer)
	byAddress := s.Client(strings.Replace(base, "localhost", "127.0.0.1", 1))
	byAddress.SignIn(ann)
	byAddress.Get("/portal/passkeys") // for the session's form token

	tests := []struct {
		name       string
		do         func() apptest.Response
		wantStatus int
		wantText   string // in the page, or the JSON error
		json       bool
	}{
		{"the page lists no passkeys yet and loads the passkey script", func() apptest.Response { return person.Get("/portal/passkeys") },
			http.StatusOK, `src="/static/passkeys.js"`, false},
		{"the passkey script is served as a file (the CSP forbids inline script)", func() apptest.Response { return person.Get("/static/passkeys.js") },
			http.StatusOK, "navigator.credentials.create", false},
		{"staff are told the page is for people and representatives", func() apptest.Response { return staff.Get("/portal/passkeys") },
			http.StatusForbidden, "These pages are for people who draw on care", false},
		{"staff cannot start adding one either", func() apptest.Response { return staff.Post("/portal/passkeys/options", nil) },
			http.StatusForbidden, "These pages are for people who draw on care", true},
		{"a registration answer without a challenge is refused", func() apptest.Response {
			return person.Post("/portal/passkeys", url.Values{"name": {"Phone"}, "credential": {"{}"}})
		}, http.StatusUnprocessableEntity, "expired or was already used", true},
		{"a malformed registration answer is refused after a challenge", func() apptest.Response {
			if r := person.Post("/portal/passkeys/options", nil); r.Status != http.StatusOK || !strings.Contains(r.Body, `"challenge"`) {
				t.Fatalf("options: %d %s", r.Status, r.Body)
			}
			return person.Post("/portal/passkeys", url.Values{"name": {"Phone"}, "credential": {`{"id":"AAAA"}`}})
		}, http.StatusUnprocessableEntity, "The passkey could not be added", true},
		{"a name over 60 characters is refused, naming the rule", func() apptest.Response {
			return person.Post("/portal/passkeys", url.Values{"name": {strings.Repeat("n", 61)}, "credential": {"{}"}})
		}, http.StatusUnprocessableEntity, "60 characters or fewer", true},
		{"removing a passkey that is not yours reads as not found", func() apptest.Response {
			return person.Post("/portal/passkeys/"+hearth.NewID()+"/remove", nil)
		}, http.StatusNotFound, "", false},
		{"Hearth opened by an IP address says passkeys need its name", func() apptest.Response {
			return byAddress.Post("/portal/passkeys/options", nil)
		}, http.StatusUnprocessableEntity, "not by a number address", true},
		{"a form without the CSRF token is refused", func() apptest.Response {
			return person.PostRaw("/portal/passkeys/options", url.Values{})
		}, http.StatusForbidden, "did not come from Hearth", false},
		{"sign-in options without a session say to sign in again", func() apptest.Response {
			anon := s.Client(base)
			anon.Get("/signin")
			return anon.Post("/signin/passkey/options", nil)
		}, http.StatusUnauthorized, "Your session has ended", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.do()
			if r.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.wantStatus, r.Body)
			}
			if tt.json {
				if msg := jsonError(t, r); !strings.Contains(msg, tt.wantText) {
					t.Errorf("error %q does not say %q", msg, tt.wantText)
				}
			} else if !strings.Contains(r.Body, tt.wantText) {
				t.Errorf("the answer does not say %q:\n%s", tt.wantText, r.Body)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'passkey-add' AND outcome = 'failed' AND actor_id = ?`, ann.ID); n != 2 {
		t.Errorf("%d refused passkey additions audited, want 2", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM webauthn_credentials`); n != 0 {
		t.Errorf("%d passkeys stored after refused answers", n)
	}
}

func TestAPersonWithoutAPasskeyIsToldToUseTheirCode(t *testing.T) {
	s := apptest.NewScenario(t)
	ann := portalAccount(t, s, "ann.jones", "", "")
	c := s.Client(strings.Replace(s.Server().URL, "127.0.0.1", "localhost", 1))
	c.Get("/signin")
	if r := c.Post("/signin", url.Values{"username": {ann.Username}, "password": {apptest.Password}}); r.Location != "/signin/mfa" {
		t.Fatalf("sign in: %d %s", r.Status, r.Location)
	}
	page := c.Get("/signin/mfa")
	if !strings.Contains(page.Body, `data-passkey="signin" hidden`) || !strings.Contains(page.Body, `src="/static/passkeys.js"`) {
		t.Errorf("the code page does not offer a passkey (hidden until the script finds passkey support):\n%s", page.Body)
	}
	r := c.Post("/signin/passkey/options", nil)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if msg := jsonError(t, r); !strings.Contains(msg, "You have not added a passkey yet") {
		t.Errorf("message %q", msg)
	}
	r = c.Post("/signin/passkey", url.Values{"credential": {"{}"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("finishing without a challenge: %d %s", r.Status, r.Body)
	}
	// The code still works.
	if r := c.Get("/portal/passkeys"); r.Status != http.StatusSeeOther {
		t.Errorf("a half-signed-in session reached the passkey page: %d", r.Status)
	}
}
