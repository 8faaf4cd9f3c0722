package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/web"
)

// The routes that may skip the door, each with why. Anything else must make
// an access decision and write an audit event on every request, whatever
// the input (DESIGN.md invariant 1). Adding a route to this list needs a
// reason a reviewer will accept.
var exempt = map[string]string{
	"GET /static/":             "embedded assets, no personal data",
	"GET /assets/":             "NHS.UK icons, no personal data",
	"GET /signin":              "the sign-in form",
	"POST /signin":             "password check: audited by accounts as sign-in",
	"GET /signin/enrol":        "own MFA enrolment: no one else's data",
	"POST /signin/enrol":       "own MFA enrolment: audited by accounts as mfa-enrol",
	"GET /signin/mfa":          "the MFA form",
	"POST /signin/mfa":         "MFA check: audited by accounts as sign-in-mfa",
	"POST /signout":            "own session: audited by accounts as sign-out",
	"POST /signout/everywhere": "own sessions: audited by accounts as sign-out-everywhere",
	"GET /portal/invitation":   "the portal invitation form: no one's data",
	"POST /portal/invitation":  "invitation code check: audited by accounts as account-create and by the door when linked",

	// Passkeys: the account's own credentials, audited by accounts.
	"GET /portal/passkeys":                   "own passkeys: no one else's data",
	"POST /portal/passkeys/options":          "own passkey registration challenge: no one else's data",
	"POST /portal/passkeys":                  "own passkey: audited by accounts as passkey-add",
	"POST /portal/passkeys/{passkey}/remove": "own passkey: audited by accounts as passkey-remove",
	"POST /signin/passkey/options":           "own sign-in challenge: no one else's data",
	"POST /signin/passkey":                   "passkey check: audited by accounts as sign-in-mfa and passkey-use",
}

func TestEveryRouteThatTouchesPersonalDataGoesThroughTheDoorAndIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	srv := s.Server()
	routes := s.Web.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		if rt.Access != web.Personal {
			if _, ok := exempt[key]; !ok {
				t.Errorf("%s is not marked Personal and is not on the exempt list: say why it touches no personal data", key)
			}
			continue
		}
		if _, ok := exempt[key]; ok {
			t.Errorf("%s is Personal but also on the exempt list", key)
		}
		// Each personal route is tried by people with and without a
		// relationship, with valid and empty input: every attempt must be
		// decided and audited.
		for _, who := range []apptest.Staff{s.Carer, s.OtherCarer, s.Manager, ig} {
			for _, target := range []string{s.Ann.ID, hearth.NewID()} {
				c := s.Client(srv.URL)
				c.SignIn(who)
				path := strings.NewReplacer("{id}", target, "{$}", "", "{plan}", hearth.NewID(), "{note}", hearth.NewID(), "{risk}", hearth.NewID(), "{use}", hearth.NewID(), "{concern}", hearth.NewID()).Replace(rt.Path)
				var r apptest.Response
				if rt.Method == http.MethodGet {
					r = c.Get(path)
				} else {
					r = c.Post(path, url.Values{"nhs_number": {s.AnnNHS}, "reason": {"route walk: checking the door"}, "note": {"checked"}})
				}
				if r.Status >= 500 {
					t.Errorf("%s as %s: status %d", key, who.Username, r.Status)
				}
				evs, err := s.Audit.ByRequest(s.Ctx, r.RequestID)
				if err != nil {
					t.Fatal(err)
				}
				if len(evs) == 0 {
					t.Errorf("%s as %s (target %s): no audit event: the route bypasses the door", key, who.Username, target)
					continue
				}
				for _, e := range evs {
					if e.Decision != "permit" && e.Decision != "deny" || e.Reason == "" || e.ReasonText == "" {
						t.Errorf("%s as %s: an audit event without a decision and reason: %+v", key, who.Username, e)
					}
					if e.ActorID != who.ID || e.RequestID != r.RequestID {
						t.Errorf("%s as %s: event for the wrong actor or request: %+v", key, who.Username, e)
					}
				}
			}
		}
	}
	for key := range exempt {
		if !seen[key] {
			t.Errorf("exempt route %s is no longer registered: remove it from the list", key)
		}
	}
}
