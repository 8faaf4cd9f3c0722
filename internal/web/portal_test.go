package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/portal"
)

// portalAccount invites p (or, with repName, a verified representative of
// Ann with that authority) as the manager, accepts, and provisions TOTP, so
// a test can sign in as them.
func portalAccount(t *testing.T, s *apptest.Scenario, username, repName, authority string) apptest.Staff {
	t.Helper()
	inv := portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"}
	if repName != "" {
		r, err := s.Consent.RecordRepresentative(s.Ctx, s.Manager.Actor, consent.NewRepresentative{PersonID: s.Ann.ID, Name: repName,
			Relationship: "son", Authority: authority, EvidenceReference: "OPG 7000-1187-2290", StartsOn: s.Clock.Now().Add(-700 * 24 * time.Hour),
			VerifiedBy: "Test manager", VerifiedOn: s.Clock.Now().Add(-60 * 24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		inv = portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindRepresentative, RepresentativeID: r.ID, Name: repName}
	}
	_, code, err := s.Portal.Invite(s.Ctx, s.Manager.Actor, inv)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Portal.Accept(s.Ctx, portal.Acceptance{Code: code, Username: username, Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	secret := accounts.GenerateSecret()
	if err := s.Accounts.ProvisionTOTP(s.Ctx, u.ID, secret, accounts.Operator("test"), accounts.Meta{}); err != nil {
		t.Fatal(err)
	}
	return apptest.Staff{User: u, Secret: secret, Actor: apptest.ActorOf(u)}
}

func TestAnInvitationIsAcceptedOnAnAccessibleFormThatKeepsWhatWasTyped(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	_, code, err := s.Portal.Invite(s.Ctx, s.Manager.Actor, portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(srv.URL)
	r := c.Get("/portal/invitation?code=" + url.QueryEscape(code))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `for="username"`) || !strings.Contains(r.Body, code) {
		t.Fatalf("invitation page %d:\n%s", r.Status, r.Body)
	}
	r = c.Post("/portal/invitation", url.Values{"code": {code}, "username": {"ann.jones"}, "password": {apptest.Password}, "confirm": {"something else entirely"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "The two passwords are not the same") ||
		!strings.Contains(r.Body, `value="ann.jones"`) || !strings.Contains(r.Body, "nhsuk-error-summary") {
		t.Fatalf("mismatched passwords: %d\n%s", r.Status, r.Body)
	}
	r = c.Post("/portal/invitation", url.Values{"code": {"WRONG-CODE"}, "username": {"ann.jones"}, "password": {apptest.Password}, "confirm": {apptest.Password}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "not right, has been used, or has expired") {
		t.Fatalf("wrong code: %d\n%s", r.Status, r.Body)
	}
	r = c.Post("/portal/invitation", url.Values{"code": {code}, "username": {"ann.jones"}, "password": {apptest.Password}, "confirm": {apptest.Password}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Your account is ready") {
		t.Fatalf("accept: %d\n%s", r.Status, r.Body)
	}
	// The new account signs in and must set up an authenticator, as staff do.
	c.Get("/signin")
	r = c.Post("/signin", url.Values{"username": {"ann.jones"}, "password": {apptest.Password}})
	if r.Status != http.StatusSeeOther || r.Location != "/signin/enrol" {
		t.Fatalf("first sign-in: %d %s", r.Status, r.Location)
	}
}

func TestPortalAndStaffPagesEachRefuseTheOtherKindOfAccountPlainly(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")

	staff := s.Client(srv.URL)
	staff.SignIn(s.Carer)
	r := staff.Get("/my/" + s.Ann.ID + "/record")
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "for people who draw on care and their representatives") {
		t.Fatalf("staff on a portal page: %d\n%s", r.Status, r.Body)
	}
	if evs, _ := s.Audit.ByRequest(s.Ctx, r.RequestID); len(evs) == 0 || evs[0].Decision != "deny" {
		t.Errorf("the refusal was not audited: %+v", evs)
	}

	c := s.Client(srv.URL)
	c.SignIn(ann) // MFA sends everyone to "/", which takes Ann to her own record
	r = c.Get("/")
	if r.Status != http.StatusSeeOther || r.Location != "/my" {
		t.Fatalf("/ for a person: %d %q", r.Status, r.Location)
	}
	r = c.Get("/people/" + s.Ann.ID)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "This page is for staff") {
		t.Fatalf("person on a staff page: %d\n%s", r.Status, r.Body)
	}
	r = c.Get("/my")
	if r.Status != http.StatusSeeOther || r.Location != "/my/"+s.Ann.ID {
		t.Fatalf("/my: %d %q", r.Status, r.Location)
	}
	r = c.Get("/my/" + s.Ann.ID)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Your record") || !strings.Contains(r.Body, `<main`) {
		t.Fatalf("overview: %d\n%s", r.Status, r.Body)
	}
}

func TestAnotherPersonsIDInTheURLIsTheSameNotFoundAsAMissingRecordAndIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")
	bob := s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")
	c := s.Client(srv.URL)
	c.SignIn(ann)
	other := c.Get("/my/" + bob.ID + "/record")
	missing := c.Get("/my/0190c5d2-0000-7000-8000-000000000000/record")
	if other.Status != http.StatusNotFound || missing.Status != http.StatusNotFound {
		t.Fatalf("statuses %d and %d", other.Status, missing.Status)
	}
	strip := func(body string) string { return body[strings.Index(body, "<main"):strings.Index(body, "</main>")] }
	if strip(other.Body) != strip(missing.Body) {
		t.Errorf("another person's record and a missing one look different:\n%s\n---\n%s", strip(other.Body), strip(missing.Body))
	}
	evs, _ := s.Audit.ByRequest(s.Ctx, other.RequestID)
	if len(evs) == 0 || evs[0].Decision != "deny" || evs[0].PersonID != bob.ID {
		t.Errorf("not audited as a denial about Bob: %+v", evs)
	}
}

func TestAnEmptyCorrectionRequestIsReshownWithTheProblemNamed(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")
	c := s.Client(srv.URL)
	c.SignIn(ann)
	c.Get("/my/" + s.Ann.ID + "/corrections")
	r := c.Post("/my/"+s.Ann.ID+"/corrections", url.Values{"entry": {"Daily note of 3 March"}, "request": {"  "}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say what is wrong and what it should say") ||
		!strings.Contains(r.Body, `value="Daily note of 3 March"`) {
		t.Fatalf("empty request: %d\n%s", r.Status, r.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM correction_requests`); n != 0 {
		t.Errorf("stored %d", n)
	}
}

func TestAReceiptDownloadedFromTheHistoryChecksOutOnThePageAndATamperedOneSaysWhere(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")
	if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Audit.Seal(s.Ctx); err != nil {
		t.Fatal(err)
	}
	var eventID string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM audit_events WHERE actor_id = ? AND person_id = ? LIMIT 1`, s.Carer.ID, s.Ann.ID).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	c := s.Client(srv.URL)
	c.SignIn(ann)
	h := c.Get("/my/" + s.Ann.ID + "/history")
	if !strings.Contains(h.Body, "Test carer (Care worker)") || !strings.Contains(h.Body, "history/receipt?event="+eventID) {
		t.Fatalf("history:\n%s", h.Body)
	}
	r := c.Get("/my/" + s.Ann.ID + "/history/receipt?event=" + eventID)
	if r.Status != http.StatusOK {
		t.Fatalf("receipt: %d\n%s", r.Status, r.Body)
	}
	var rc audit.Receipt
	if err := json.Unmarshal([]byte(r.Body), &rc); err != nil || rc.Event.ID != eventID {
		t.Fatalf("receipt body: %v\n%s", err, r.Body)
	}
	c.Get("/my/" + s.Ann.ID + "/receipts")
	ok := c.Post("/my/"+s.Ann.ID+"/receipts", url.Values{"receipt": {r.Body}})
	if ok.Status != http.StatusOK || !strings.Contains(ok.Body, "The receipt checks out") {
		t.Fatalf("check: %d\n%s", ok.Status, ok.Body)
	}
	rc.Event.Purpose = "governance"
	tampered, _ := json.Marshal(rc)
	bad := c.Post("/my/"+s.Ann.ID+"/receipts", url.Values{"receipt": {string(tampered)}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "the event was changed") {
		t.Fatalf("tampered: %d\n%s", bad.Status, bad.Body)
	}
}

func TestStaffReplyAsTheServiceAndThePersonNeverSeesTheirName(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")
	staff := s.Client(srv.URL)
	staff.SignIn(s.Carer)
	page := staff.Get("/people/" + s.Ann.ID + "/portal")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "You reply as <strong>Rowan House care team</strong>") {
		t.Fatalf("staff page: %d\n%s", page.Status, page.Body)
	}
	r := staff.Post("/people/"+s.Ann.ID+"/portal/messages", url.Values{"message": {"Your hairdresser is booked for Friday."}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", r.Status, r.Body)
	}
	c := s.Client(srv.URL)
	c.SignIn(ann)
	m := c.Get("/my/" + s.Ann.ID + "/messages")
	if !strings.Contains(m.Body, "Rowan House care team") || strings.Contains(m.Body, s.Carer.DisplayName) ||
		!strings.Contains(m.Body, "Your hairdresser is booked for Friday.") {
		t.Fatalf("messages page:\n%s", m.Body)
	}
}

func TestARepresentativeForPropertyAndFinanceSeesNoCareInformation(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: care.AboutMeSections[0].Key, Body: "Ann is frightened of the dark"}); err != nil {
		t.Fatal(err)
	}
	son := portalAccount(t, s, "tom", "Tom Jones", consent.AuthorityLPAPropertyFinance)
	c := s.Client(srv.URL)
	c.SignIn(son)
	for _, path := range []string{"/record", "/consent", "/history", "/messages", "/copy", "/copy.json"} {
		r := c.Get("/my/" + s.Ann.ID + path)
		if strings.Contains(r.Body, "frightened of the dark") {
			t.Errorf("%s shows care information to the property and finance attorney", path)
		}
		evs, _ := s.Audit.ByRequest(s.Ctx, r.RequestID)
		denied := false
		for _, e := range evs {
			denied = denied || (e.Decision == "deny" && e.Reason == "outside-authority")
		}
		if !denied {
			t.Errorf("%s: no audited refusal outside authority: %+v", path, evs)
		}
	}
}

func TestStaffInviteARepresentativeAndTheCodeIsShownOnce(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	r, err := s.Consent.RecordRepresentative(s.Ctx, s.Manager.Actor, consent.NewRepresentative{PersonID: s.Ann.ID, Name: "Mary Jones",
		Relationship: "daughter", Authority: consent.AuthorityLPAHealthWelfare, EvidenceReference: "OPG 7000-1234-5678",
		StartsOn: s.Clock.Now().Add(-30 * 24 * time.Hour), VerifiedBy: "Test manager", VerifiedOn: s.Clock.Now().Add(-20 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	c.Get("/people/" + s.Ann.ID + "/portal")
	bad := c.Post("/people/"+s.Ann.ID+"/portal/invitations", url.Values{"who": {"rep:" + r.ID}, "name": {""}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "Enter the name of the person you are inviting") {
		t.Fatalf("no name: %d\n%s", bad.Status, bad.Body)
	}
	ok := c.Post("/people/"+s.Ann.ID+"/portal/invitations", url.Values{"who": {"rep:" + r.ID}, "name": {"Mary Jones"}})
	if ok.Status != http.StatusOK || !strings.Contains(ok.Body, `data-testid="invitation-code"`) {
		t.Fatalf("invite: %d\n%s", ok.Status, ok.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM portal_invitations WHERE kind = 'representative' AND representative_id = ?`, r.ID); n != 1 {
		t.Errorf("%d representative invitations", n)
	}
	again := c.Get("/people/" + s.Ann.ID + "/portal")
	if strings.Contains(again.Body, `data-testid="invitation-code"`) {
		t.Errorf("the code is shown again")
	}
}
