package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
)

func TestACareWorkerSignsInSeesTheirPeopleAndTheirOwnAccessInTheHistory(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)

	home := c.Get("/")
	if home.Status != 200 || !strings.Contains(home.Body, "Ann Jones") {
		t.Fatalf("home: want Ann listed, got %d\n%s", home.Status, home.Body)
	}
	page := c.Get("/people/" + s.Ann.ID)
	for _, want := range []string{"Ann Jones", "943 476 5919", "14 June 1941", "Test carer", "Who has seen this record",
		"Viewed their details", "Allowed: on this person&#39;s care team."} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("person page lacks %q", want)
		}
	}
	// The page load itself is audited: viewing Ann and reading her access log.
	evs, err := s.Audit.ByRequest(s.Ctx, page.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range evs {
		if e.PersonID != s.Ann.ID || e.Decision != "permit" || e.ActorID != s.Carer.ID || e.Reason != "care-team" {
			t.Errorf("unexpected event %+v", e)
		}
		actions = append(actions, e.Action)
	}
	// Viewing Ann, the alerts from her care record, her technology needing
	// attention, consents withdrawn and her access history: each part
	// decided and audited, in one transaction, the history last so that it
	// shows this visit whole.
	if strings.Join(actions, ",") != "view-person,read-record,read-tech-use,read-consent,read-access-log" {
		t.Errorf("audited actions = %v, want view-person, read-record, read-tech-use, read-consent, read-access-log", actions)
	}
	for _, title := range []string{"Viewed their details", "Read their care record", "Read their technology use records", "Looked at who has seen their record"} {
		if !strings.Contains(page.Body, title) {
			t.Errorf("this visit's own %q is not in the history the page shows", title)
		}
	}
}

func TestAPersonNotOnYourTeamLooksExactlyLikeOneWhoDoesNotExistAndIsAuditedAsADenial(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)

	home := c.Get("/")
	if strings.Contains(home.Body, "Ann Jones") {
		t.Fatal("a care worker off Ann's team sees her on their home page")
	}
	existing := c.Get("/people/" + s.Ann.ID)
	missing := c.Get("/people/" + hearth.NewID())
	malformed := c.Get("/people/not-an-id")
	strip := regexp.MustCompile(`name="(csrf|idem)" value="[^"]+"|quote reference [\w-]+`)
	for name, r := range map[string]apptest.Response{"missing": missing, "malformed": malformed} {
		if r.Status != existing.Status || strip.ReplaceAllString(r.Body, "") != strip.ReplaceAllString(existing.Body, "") {
			t.Errorf("%s person: status %d vs %d, or a different page: a denial must not reveal that Ann exists", name, r.Status, existing.Status)
		}
	}
	if existing.Status != http.StatusNotFound || strings.Contains(existing.Body, "Ann") {
		t.Fatalf("want a 404 that does not name Ann, got %d", existing.Status)
	}
	evs, _ := s.Audit.ByRequest(s.Ctx, existing.RequestID)
	if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Reason != "no-relationship" || evs[0].PersonID != s.Ann.ID || evs[0].Outcome != "denied" {
		t.Fatalf("want one audited denial about Ann, got %+v", evs)
	}
}

func TestSignInRefusesBadCredentialsAndCodes(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()

	t.Run("wrong password gets one message and is audited", func(t *testing.T) {
		c := s.Client(srv.URL)
		c.Get("/signin")
		r := c.Post("/signin", url.Values{"username": {"carer"}, "password": {"not the password"}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "The username or password is not right") {
			t.Fatalf("got %d\n%s", r.Status, r.Body)
		}
		unknown := c.Post("/signin", url.Values{"username": {"nobody"}, "password": {"not the password"}})
		if unknown.Status != r.Status || !strings.Contains(unknown.Body, "The username or password is not right") {
			t.Errorf("an unknown username must get the same answer as a wrong password")
		}
		if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'sign-in' AND outcome = 'failed' AND request_id = ?`, r.RequestID); n != 1 {
			t.Errorf("failed sign-in audited %d times, want 1", n)
		}
	})

	codeCases := []struct {
		name string
		code func() string
		want string
	}{
		{"a wrong code", func() string { return "000000" }, "not right"},
		{"an expired code (two steps old)", func() string { return accounts.Code(s.Carer.Secret, s.Clock.Now().Add(-61*time.Second)) }, "not right"},
		{"letters instead of digits", func() string { return "abc<b>" }, "not right"},
	}
	for _, tc := range codeCases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			s.Clock.Advance(31 * time.Second)
			c := s.Client(srv.URL)
			c.Get("/signin")
			if r := c.Post("/signin", url.Values{"username": {"carer"}, "password": {apptest.Password}}); r.Location != "/signin/mfa" {
				t.Fatalf("password step: %d %q", r.Status, r.Location)
			}
			c.Get("/signin/mfa")
			r := c.Post("/signin/mfa", url.Values{"code": {tc.code()}})
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("got %d\n%s", r.Status, r.Body)
			}
			if home := c.Get("/"); home.Status != http.StatusSeeOther {
				t.Errorf("not signed in, yet home answered %d", home.Status)
			}
		})
	}

	t.Run("a code that was already used is refused", func(t *testing.T) {
		s.Clock.Advance(31 * time.Second)
		first := s.Client(srv.URL)
		first.SignIn(s.Carer) // advances the clock a step and uses that step's code
		code := accounts.Code(s.Carer.Secret, s.Clock.Now())
		c := s.Client(srv.URL)
		c.Get("/signin")
		c.Post("/signin", url.Values{"username": {"carer"}, "password": {apptest.Password}})
		c.Get("/signin/mfa")
		r := c.Post("/signin/mfa", url.Values{"code": {code}})
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "already been used") {
			t.Fatalf("replayed code: got %d\n%s", r.Status, r.Body)
		}
	})

	t.Run("repeated failures hold the username back from that address, even for the right password, in the same words", func(t *testing.T) {
		s.Clock.Advance(time.Hour)
		c := s.Client(srv.URL)
		c.Get("/signin")
		var wrong apptest.Response
		for i := range 5 {
			wrong = c.Post("/signin", url.Values{"username": {"other"}, "password": {"wrong wrong wrong " + strconv.Itoa(i)}})
		}
		r := c.Post("/signin", url.Values{"username": {"other"}, "password": {apptest.Password}})
		if r.Status != http.StatusUnauthorized || r.Status != wrong.Status || problem(r.Body) != problem(wrong.Body) {
			t.Fatalf("got %d, want %d and the words of a wrong password\n%s", r.Status, wrong.Status, r.Body)
		}
	})
}

func TestSessionsEndAndCannotBeForged(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()

	t.Run("an idle session ends", func(t *testing.T) {
		c := s.Client(srv.URL)
		c.SignIn(s.Carer)
		s.Clock.Advance(31 * time.Minute)
		if r := c.Get("/people/" + s.Ann.ID); r.Status != http.StatusSeeOther || r.Location != "/signin" {
			t.Fatalf("after 31 idle minutes: %d %q", r.Status, r.Location)
		}
	})
	t.Run("a forged session cookie is refused", func(t *testing.T) {
		c := s.Client(srv.URL)
		c.SetCookie("hearth_session", "forged-"+strings.Repeat("A", 36))
		if r := c.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/signin" {
			t.Fatalf("forged cookie: %d %q", r.Status, r.Location)
		}
	})
	t.Run("signing in gives a new session ID", func(t *testing.T) {
		c := s.Client(srv.URL)
		c.Get("/signin")
		c.Post("/signin", url.Values{"username": {"carer"}, "password": {apptest.Password}})
		before := c.Cookie("hearth_session")
		s.Clock.Advance(31 * time.Second)
		c.Get("/signin/mfa")
		c.Post("/signin/mfa", url.Values{"code": {accounts.Code(s.Carer.Secret, s.Clock.Now())}})
		if after := c.Cookie("hearth_session"); after == "" || after == before {
			t.Fatal("the session ID did not change at sign-in")
		}
	})
	t.Run("signing out everywhere ends every session", func(t *testing.T) {
		phone, desk := s.Client(srv.URL), s.Client(srv.URL)
		phone.SignIn(s.Carer)
		desk.SignIn(s.Carer)
		if r := desk.Post("/signout/everywhere", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("sign out everywhere: %d", r.Status)
		}
		if r := phone.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/signin" {
			t.Fatalf("the phone's session survived: %d", r.Status)
		}
	})
}

func TestStateChangingRequestsNeedTheRightCSRFToken(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)
	form := url.Values{"nhs_number": {s.AnnNHS}, "reason": {"Ann has fallen and her carers are not here"}}
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if token != "" {
			f.Set("csrf", token)
		}
		r := c.PostRaw("/break-glass", f)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "expired or did not come from Hearth") {
			t.Errorf("%s token: got %d", name, r.Status)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM break_glass`); n != 0 {
		t.Fatalf("a request without a valid token changed something: %d grants", n)
	}
	t.Run("the sign-in form needs its token too", func(t *testing.T) {
		anon := s.Client(c.Base)
		r := anon.PostRaw("/signin", url.Values{"username": {"carer"}, "password": {apptest.Password}})
		if r.Status != http.StatusForbidden {
			t.Fatalf("sign-in without a token: %d", r.Status)
		}
	})
}

func TestBreakGlassIsBoundedMarkedAndReviewed(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ig := s.Staff("iglead", access.IGLead, s.Home)
	c := s.Client(srv.URL)
	c.SignIn(s.OtherCarer)

	t.Run("a reason is required", func(t *testing.T) {
		r := c.Post("/break-glass", url.Values{"nhs_number": {s.AnnNHS}, "reason": {"urgent"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why you need emergency access") {
			t.Fatalf("short reason: %d", r.Status)
		}
	})
	t.Run("an unknown NHS number is refused without a grant", func(t *testing.T) {
		r := c.Post("/break-glass", url.Values{"nhs_number": {"9999999999"}, "reason": {"Someone collapsed in the lounge"}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "No one with that NHS number") {
			t.Fatalf("unknown number: %d\n%s", r.Status, r.Body)
		}
	})

	reason := `Ann fell <script>alert(1)</script>'; DROP TABLE people;-- and her team is off site`
	r := c.Post("/break-glass", url.Values{"nhs_number": {"943 476 5919"}, "reason": {reason}})
	if r.Status != http.StatusSeeOther || r.Location != "/people/"+s.Ann.ID {
		t.Fatalf("break-glass: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	page := c.Get(r.Location)
	if page.Status != 200 || !strings.Contains(page.Body, "Emergency access") || !strings.Contains(page.Body, "break-glass") {
		t.Fatalf("the person page under break-glass is not marked: %d", page.Status)
	}
	if strings.Contains(page.Body, "<script>alert(1)</script>") || !strings.Contains(page.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the reason was not shown escaped")
	}
	var stored string
	if err := s.DB.QueryRow(s.Ctx, `SELECT reason FROM break_glass`).Scan(&stored); err != nil || stored != reason {
		t.Errorf("the reason was not stored verbatim: %q, %v", stored, err)
	}
	// The page reads Ann's details, her access history, the alerts from her
	// care record, her technology and consents withdrawn: every one of them
	// marked break-glass.
	total := s.Count(`SELECT COUNT(*) FROM audit_events WHERE request_id = ?`, page.RequestID)
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE request_id = ? AND break_glass = TRUE AND decision = 'permit'`, page.RequestID); n != 5 || n != total {
		t.Errorf("want all %d accesses on the page marked break-glass, got %d", total, n)
	}

	ic := s.Client(srv.URL)
	ic.SignIn(ig)
	list := ic.Get("/governance/break-glass")
	if !strings.Contains(list.Body, "Ann Jones") || !strings.Contains(list.Body, "&lt;script&gt;") {
		t.Fatalf("the IG lead's list lacks the grant:\n%s", list.Body)
	}
	var grantID string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM break_glass`).Scan(&grantID); err != nil {
		t.Fatal(err)
	}
	if r := ic.Post("/governance/break-glass/"+grantID+"/review", url.Values{"note": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an empty review note: %d", r.Status)
	}
	if r := ic.Post("/governance/break-glass/"+grantID+"/review", url.Values{"note": {"Appropriate: covering a fall"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("review: %d\n%s", r.Status, r.Body)
	}
	if list := ic.Get("/governance/break-glass"); strings.Contains(list.Body, "Ann Jones") {
		t.Error("a reviewed grant is still on the list")
	}

	s.Clock.Advance(61 * time.Minute)
	c.SignIn(s.OtherCarer)
	if r := c.Get("/people/" + s.Ann.ID); r.Status == http.StatusOK {
		t.Fatal("break-glass access outlived its hour")
	}
}

func TestTheAdministratorManagesAccountsButSeesNoOneUnlessOnACareTeam(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator, s.Home)
	c := s.Client(s.Server().URL)
	c.SignIn(admin)
	if home := c.Get("/"); strings.Contains(home.Body, "Ann Jones") {
		t.Fatal("the administrator sees Ann through their location")
	}
	if r := c.Get("/people/" + s.Ann.ID); r.Status != http.StatusNotFound {
		t.Fatalf("administrator opened Ann's record: %d", r.Status)
	}
	s.Assign(s.Manager, s.Ann, admin)
	if r := c.Get("/people/" + s.Ann.ID); r.Status != http.StatusOK {
		t.Fatalf("administrator on Ann's care team: %d", r.Status)
	}
}

func TestAnOversizedRequestIsRefusedWithAClearMessage(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)
	r := c.Post("/break-glass", url.Values{"nhs_number": {s.AnnNHS}, "reason": {strings.Repeat("x", 2<<20)}})
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "too large") {
		t.Fatalf("got %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM break_glass`); n != 0 {
		t.Fatal("an oversized request changed something")
	}
}

func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	r := c.Get("/signin")
	want := map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for h, v := range want {
		if !strings.Contains(r.Header.Get(h), v) {
			t.Errorf("%s = %q, want it to contain %q", h, r.Header.Get(h), v)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("the CSP does not forbid framing")
	}
	if strings.Contains(r.Body, "<script>") {
		t.Error("the page has an inline script")
	}
	set := r.Header.Values("Set-Cookie")
	for _, ck := range set {
		if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite") {
			t.Errorf("cookie without HttpOnly and SameSite: %s", ck)
		}
	}
}

// problem is the error message on a page.
func problem(body string) string {
	m := regexp.MustCompile(`data-testid="error">([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}
