package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/web"
)

// The routes that may skip the door, each with why. Anything else must make
// an access decision and write an audit event on every request, whatever
// the input (DESIGN.md invariant 1). Adding a route to this list needs a
// reason a reviewer will accept.
var exempt = map[string]string{
	"GET /static/":             "embedded assets, no personal data",
	"GET /assets/":             "NHS.UK icons, no personal data",
	"GET /healthz":             "liveness for a load balancer: says the process serves HTTP; no database, no personal data",
	"GET /readyz":              "readiness for a load balancer: a read and a heartbeat write, answered ready or not ready; no personal data",
	"GET /audit/checkpoint":    "the audit log's latest signed checkpoint for outside witnesses: a tree size, a root hash and a signature; no personal data",
	"GET /audit/consistency":   "a consistency proof between two tree sizes of the audit log: hashes only; no personal data",
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
	"GET /invitation/{token}":  "the staff invitation form: before the account exists; no one's data",
	"POST /invitation/{token}": "staff invitation token check: audited by accounts as invitation-accept and account-create",

	// Passkeys: the account's own credentials, audited by accounts.
	"GET /portal/passkeys":                   "own passkeys: no one else's data",
	"POST /portal/passkeys/options":          "own passkey registration challenge: no one else's data",
	"POST /portal/passkeys":                  "own passkey: audited by accounts as passkey-add",
	"POST /portal/passkeys/{passkey}/remove": "own passkey: audited by accounts as passkey-remove",
	"POST /signin/passkey/options":           "own sign-in challenge: no one else's data",
	"POST /signin/passkey":                   "passkey check: audited by accounts as sign-in-mfa and passkey-use",
	"POST /signin/passkey-alone/options":     "challenge for signing in with a passkey alone, kept with the pre-session cookie: no one's data",
	"POST /signin/passkey-alone":             "passkey alone: audited by accounts as sign-in and passkey-use",

	// Partner systems (SMART Backend Services): no session; the signed
	// assertion is the credential.
	"POST /fhir/auth/token":                     "token endpoint: a partner system's signed assertion is its credential; issue and refusal audited by partners as token",
	"GET /fhir/.well-known/smart-configuration": "where the token endpoint is and what it accepts: no one's data",
}

// personInPath reports whether a route's {id} is a person: the staff
// record under /people/ and the portal under /my/. Elsewhere {id} names a
// location, a correction, a withheld mark or a register entry.
func personInPath(path string) bool {
	return strings.HasPrefix(path, "/people/{id}") || strings.HasPrefix(path, "/my/{id}")
}

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

// walker is one account the walk signs in as, once, and uses for every
// route.
type walker struct {
	name string
	who  apptest.Staff
	c    *apptest.Client
}

// TestEveryRouteThatTouchesPersonalDataGoesThroughTheDoorAndIsAudited walks
// every personal route as staff of each role, the person and two kinds of
// representative, with Ann's ID and a random ID, with filled-in and empty
// forms. Every request must be decided and audited as the signed-in
// account, and when the path names a person, every event about a person in
// that request must be about that person: nothing about anyone else
// (DESIGN.md invariant 1).
func TestEveryRouteThatTouchesPersonalDataGoesThroughTheDoorAndIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer, s.Home)
	nurse := s.Staff("nurse", access.Nurse, s.Home)
	s.Assign(s.Manager, s.Ann, senior)
	s.Assign(s.Manager, s.Ann, nurse)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	admin := s.Staff("admin", access.Administrator, s.Home)
	// Bob shares Ann's location, so a page that leaked someone else at
	// Rowan House into Ann's request would show up as an event about him.
	s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")

	ann := portalAccount(t, s, "ann.jones", "", "")
	health := portalAccount(t, s, "mary", "Mary Jones", consent.AuthorityLPAHealthWelfare)
	if _, err := s.Consent.RecordAssessment(s.Ctx, s.Manager.Actor, consent.NewAssessment{PersonID: s.Ann.ID,
		Decision: consent.DecisionCareAndSupport, AssessedAt: s.Clock.Now().Add(-time.Hour), Assessor: "Eilidh Ross, nurse",
		Impairment: true, Communicate: true, Evidence: "Ann could not retain the choices long enough to weigh them"}); err != nil {
		t.Fatal(err)
	}
	money := portalAccount(t, s, "tom", "Tom Jones", consent.AuthorityLPAPropertyFinance)

	srv := s.Server()
	walkers := []*walker{
		{name: "a care worker on Ann's team", who: s.Carer},
		{name: "a care worker on no team", who: s.OtherCarer},
		{name: "a senior carer on Ann's team", who: senior},
		{name: "a nurse on Ann's team", who: nurse},
		{name: "the registered manager", who: s.Manager},
		{name: "the information governance lead", who: ig},
		{name: "an administrator", who: admin},
		{name: "Ann herself", who: ann},
		{name: "Ann's attorney for health and welfare", who: health},
		{name: "Ann's attorney for property and finance", who: money},
	}
	for _, w := range walkers {
		w.c = s.Client(srv.URL)
		w.c.SignIn(w.who)
	}
	// The health and welfare attorney's authority must really reach Ann's
	// care record, or the walk would only ever see them refused.
	if r := walkers[8].c.Get("/my/" + s.Ann.ID + "/record"); r.Status != http.StatusOK {
		t.Fatalf("the health and welfare attorney cannot read Ann's record: %d", r.Status)
	}

	filled := url.Values{"nhs_number": {s.AnnNHS}, "reason": {"route walk: checking the door"}, "note": {"checked"},
		"body": {"Ann had a cup of tea in the garden"}, "category": {"mood"}, "message": {"Is the hairdresser coming on Friday?"}}

	routes := s.Web.Routes()
	if len(routes) < 10 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	seen := map[string]bool{}
	requests := 0
	aboutTarget := map[string]int{} // events naming the person in the path, by walker
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
		forms := []url.Values{nil}
		if rt.Method == http.MethodPost {
			forms = []url.Values{filled, {}}
		}
		for _, w := range walkers {
			for _, target := range []string{s.Ann.ID, hearth.NewID()} {
				path := strings.ReplaceAll(rt.Path, "{id}", target)
				path = strings.ReplaceAll(path, "{$}", "")
				path = placeholder.ReplaceAllStringFunc(path, func(string) string { return hearth.NewID() })
				for _, form := range forms {
					var r apptest.Response
					input := "empty"
					if rt.Method == http.MethodGet {
						r = w.c.Get(path)
					} else {
						if len(form) > 0 {
							input = "filled"
						}
						r = w.c.Post(path, copyValues(form)) // Post adds the CSRF token to the form it is given
					}
					requests++
					what := key + " as " + w.name + " (target " + target + ", " + input + " input)"
					if r.Status >= 500 {
						t.Errorf("%s: status %d", what, r.Status)
					}
					evs, err := s.Audit.ByRequest(s.Ctx, r.RequestID)
					if err != nil {
						t.Fatal(err)
					}
					if r.RequestID == "" || len(evs) == 0 {
						t.Errorf("%s: status %d and no audit event: the route bypasses the door", what, r.Status)
						continue
					}
					for _, e := range evs {
						if e.Decision != "permit" && e.Decision != "deny" || e.Reason == "" || e.ReasonText == "" {
							t.Errorf("%s: an audit event without a decision and reason: %+v", what, e)
						}
						if e.ActorID != w.who.ID || e.RequestID != r.RequestID {
							t.Errorf("%s: an event for the wrong actor or request: %+v", what, e)
						}
						if personInPath(rt.Path) && e.PersonID != "" && e.PersonID != target {
							t.Errorf("%s: an event about someone other than the person in the path: %+v", what, e)
						}
						if personInPath(rt.Path) && e.PersonID == target {
							aboutTarget[w.name]++
						}
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
	// The rule above holds vacuously if no event names anyone: each account
	// must have been decided about the person in the path many times.
	for _, w := range walkers {
		if aboutTarget[w.name] < 50 {
			t.Errorf("only %d events as %s named the person in the path", aboutTarget[w.name], w.name)
		}
	}
	t.Logf("%d requests as %d accounts", requests, len(walkers))
}

func copyValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
