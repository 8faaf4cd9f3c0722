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
	"hearth/internal/governance"
	"hearth/internal/people"
	"hearth/internal/web"
)

// inspectionScenario is the usual cast, an information governance lead, an
// inspector granted two days at Rowan House, and Bob at a second location
// the grant does not cover.
type inspectionScenario struct {
	*apptest.Scenario
	IG        apptest.Staff
	Inspector apptest.Staff
	Elm       people.Location
	Bob       people.Person
	Grant     governance.Grant
}

func newInspectionScenario(t *testing.T) *inspectionScenario {
	t.Helper()
	s := apptest.NewScenario(t)
	in := &inspectionScenario{Scenario: s}
	in.Elm = s.Location("Elm Court", people.CareHome)
	in.Bob = s.Person(s.Staff("elmmanager", access.RegisteredManager, in.Elm), in.Elm, "Bob", "Price", "9434765870")
	in.IG = s.Staff("iglead", access.IGLead, s.Home, in.Elm)
	in.Inspector = s.Inspector("kim")
	now := s.Clock.Now()
	g, err := s.Governance.Grant(s.Ctx, in.IG.Actor, governance.NewGrant{InspectorID: in.Inspector.ID, LocationIDs: []string{s.Home.ID},
		Purpose: "CQC inspection of Rowan House", StartsAt: now, EndsAt: now.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	in.Grant = g
	return in
}

// readActions are the audited actions that only read.
var readActions = map[string]bool{"view-person": true, "read-record": true, "read-medicines": true, "read-consent": true,
	"read-tech-use": true, "read-access-log": true, "view-governance": true, "list-people": true}

// personalTables hold what a person's record is made of, and the grants:
// an inspector's POSTs must leave every one as it was.
var personalTables = []string{"people", "care_team", "daily_notes", "observations", "about_me_entries", "care_plans", "care_plan_versions",
	"risk_assessments", "risk_versions", "medicines", "medicine_doses", "visits", "consents", "capacity_assessments", "best_interests",
	"lawful_bases", "representatives", "tech_uses", "portal_messages", "correction_requests", "withheld_items", "break_glass",
	"inspection_grants", "inspection_grant_locations"}

func (in *inspectionScenario) rows() map[string]int {
	out := map[string]int{}
	for _, table := range personalTables {
		out[table] = in.Count(`SELECT COUNT(*) FROM ` + table)
	}
	return out
}

// An inspector under a live grant POSTs to every route that touches
// personal data, about a person the grant covers and one it does not, with
// a form that would pass each route's checks. Every request is refused by
// the decision (403, or 404 for someone the grant does not reach), audited
// as a denial, and changes nothing: read-only is a rule of access.Decide,
// not a missing button.
func TestAnInspectorsPostToEveryPersonalRouteIsRefusedAuditedAndChangesNothing(t *testing.T) {
	in := newInspectionScenario(t)
	srv := in.Server()
	c := in.Client(srv.URL)
	c.SignIn(in.Inspector)
	before := in.rows()
	form := url.Values{"nhs_number": {in.AnnNHS}, "reason": {"An inspector trying to change the record"}, "note": {"checked"},
		"category": {"general"}, "body": {"Looked well today"}, "care_date": {"2026-03-03"}, "care_time": {"09:30"},
		"concern": {"It restricts her"}, "text": {"Hello"}, "message": {"Hello"}, "purpose": {"CQC inspection"},
		"inspector": {in.Inspector.ID}, "location": {in.Home.ID, in.Elm.ID}}

	posts := 0
	for _, rt := range in.Web.Routes() {
		if rt.Method != http.MethodPost || rt.Access != web.Personal {
			continue
		}
		posts++
		for _, target := range []struct {
			who     string
			id      string
			covered bool
		}{{"Ann, whom the grant covers", in.Ann.ID, true}, {"Bob, whom it does not", in.Bob.ID, false}} {
			path := strings.NewReplacer("{id}", target.id, "{plan}", hearth.NewID(), "{note}", hearth.NewID(), "{risk}", hearth.NewID(),
				"{use}", hearth.NewID(), "{concern}", hearth.NewID()).Replace(rt.Path)
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			r := c.Post(path, f)
			key := rt.Method + " " + rt.Path + " about " + target.who
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 403 or 404", key, r.Status)
			}
			evs, err := in.Audit.ByRequest(in.Ctx, r.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			denied := false
			for _, e := range evs {
				if e.ActorID != in.Inspector.ID {
					t.Errorf("%s: an event for someone else: %+v", key, e)
				}
				denied = denied || e.Decision == "deny"
				if e.Decision == "permit" && !readActions[e.Action] {
					t.Errorf("%s: the inspector was permitted to %s", key, e.Action)
				}
			}
			if !denied {
				t.Errorf("%s: no audited denial among %d events: %+v", key, len(evs), evs)
			}
		}
	}
	if posts < 20 {
		t.Fatalf("only %d POST routes walked", posts)
	}
	after := in.rows()
	for _, table := range personalTables {
		if before[table] != after[table] {
			t.Errorf("%s: %d rows before the inspector's POSTs, %d after", table, before[table], after[table])
		}
	}
}

// The information governance lead's page: every rule of a grant is told
// beside its field, in the summary, with nothing stored; a good grant is
// listed as active in UK time; ending it needs a reason, works at once and
// cannot be done twice.
func TestTheInformationGovernanceLeadGrantsAndEndsInspectionsOnThePage(t *testing.T) {
	in := newInspectionScenario(t)
	srv := in.Server()
	c := in.Client(srv.URL)
	c.SignIn(in.IG)

	page := c.Get("/governance/inspections")
	for _, want := range []string{"Inspections", "Inspector kim (kim)", `name="location" type="checkbox" value="` + in.Home.ID + `"`,
		"Elm Court", "CQC inspection of Rowan House", "Active until 5 March 2026 at"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}

	now := in.Clock.Now().In(london(t))
	grant := func(change func(url.Values)) apptest.Response {
		f := url.Values{"inspector": {in.Inspector.ID}, "location": {in.Elm.ID}, "purpose": {"CQC inspection of Elm Court"},
			"start_date": {now.Format("2006-01-02")}, "start_time": {now.Format("15:04")},
			"end_date": {now.Add(48 * time.Hour).Format("2006-01-02")}, "end_time": {now.Format("15:04")}}
		change(f)
		c.Get("/governance/inspections")
		return c.Post("/governance/inspections", f)
	}
	errorMessage := regexp.MustCompile(`<span class="nhsuk-error-message" id="([a-z]+)-error"><span class="nhsuk-u-visually-hidden">Error:</span> ([^<]+)</span>`)
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		field  string
		rule   string
	}{
		{"a grant longer than the maximum", func(f url.Values) { f.Set("end_date", now.Add(15*24*time.Hour).Format("2006-01-02")) },
			"end", "Inspection access can last at most 14 days"},
		{"a location that does not exist", func(f url.Values) { f["location"] = []string{in.Elm.ID, hearth.NewID()} },
			"location", "Choose locations that exist"},
		{"no location", func(f url.Values) { delete(f, "location") }, "location", "Choose at least one location"},
		{"a staff member chosen as the inspector", func(f url.Values) { f.Set("inspector", in.Carer.ID) },
			"inspector", "Only an inspector&#39;s account can be given inspection access"},
		{"a start that is not a time", func(f url.Values) { f.Set("start_time", "quarter past") }, "start", "Enter when the inspection access starts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := grant(tc.change)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", r.Status)
			}
			found := false
			for _, m := range errorMessage.FindAllStringSubmatch(r.Body, -1) {
				found = found || m[1] == tc.field && m[2] == tc.rule
			}
			if !found || !strings.Contains(r.Body, "nhsuk-error-summary") {
				t.Fatalf("no %q beside the %s field and in the summary:\n%s", tc.rule, tc.field, r.Body)
			}
			if !strings.Contains(r.Body, `value="CQC inspection of Elm Court"`) {
				t.Error("what was typed was lost")
			}
			if n := in.Count(`SELECT COUNT(*) FROM inspection_grants`); n != 1 {
				t.Fatalf("%d grants after a refused one, want 1", n)
			}
		})
	}

	r := grant(func(url.Values) {})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("a good grant: %d\n%s", r.Status, r.Body)
	}
	if n := in.Count(`SELECT COUNT(*) FROM inspection_grants`); n != 2 {
		t.Fatalf("%d grants, want 2", n)
	}

	end := "/governance/inspections/" + in.Grant.ID + "/end"
	c.Get("/governance/inspections")
	r = c.Post(end, url.Values{"reason": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say why the inspection access is ending now") {
		t.Fatalf("ending without a reason: %d", r.Status)
	}
	r = c.Post(end, url.Values{"reason": {"Site visit finished early"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("end now: %d\n%s", r.Status, r.Body)
	}
	page = c.Get("/governance/inspections")
	if !strings.Contains(page.Body, "Ended early on") || !strings.Contains(page.Body, "Site visit finished early") {
		t.Errorf("the ended grant is not shown as ended:\n%s", page.Body)
	}
	if current, ended := strings.Index(page.Body, "CQC inspection of Elm Court"), strings.Index(page.Body, "Site visit finished early"); current < 0 || ended < current {
		t.Error("the current grant is not listed before the ended one")
	}
	r = c.Post(end, url.Values{"reason": {"Again"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "already ended by Test iglead") {
		t.Fatalf("ending twice: %d, want 409 saying so", r.Status)
	}
}

// The inspector's view: the people their grant covers, read-only until a
// time in UK words; a person's page offers nothing to change; the read is
// an inspection in the person's history, for staff and for the person; and
// once the grant is ended the very next page says their access has ended,
// the refusal audited.
func TestAnInspectorReadsTheGrantsPeopleUntilItEndsAndEachReadIsAnInspectionInTheirHistory(t *testing.T) {
	in := newInspectionScenario(t)
	annAccount := portalAccount(t, in.Scenario, "ann.jones", "", "")
	srv := in.Server()
	c := in.Client(srv.URL)
	c.SignIn(in.Inspector)

	home := c.Get("/")
	until := in.Grant.EndsAt.In(london(t)).Format("2 January 2006 at 15:04")
	if home.Status != http.StatusOK || !strings.Contains(home.Body, "Read-only inspection access until "+until) ||
		!strings.Contains(home.Body, "Ann Jones") || strings.Contains(home.Body, "Bob Price") {
		t.Fatalf("the inspector's home (%d) should list Ann, not Bob, until %s:\n%s", home.Status, until, home.Body)
	}
	if strings.Contains(home.Body, "/break-glass") {
		t.Error("the inspector is offered emergency access")
	}

	ann := c.Get("/people/" + in.Ann.ID)
	if ann.Status != http.StatusOK || !strings.Contains(ann.Body, "943 476 5919") {
		t.Fatalf("Ann's page for the inspector: %d", ann.Status)
	}
	if forms := regexp.MustCompile(`<form[^>]*action="([^"]+)"`).FindAllStringSubmatch(ann.Body, -1); len(forms) != 1 || forms[0][1] != "/signout" {
		t.Errorf("Ann's page offers the inspector forms: %v", forms)
	}
	if !strings.Contains(ann.Body, "Inspector kim (Inspector, read-only inspection)") {
		t.Error("the inspector's own read is not shown as an inspection")
	}
	if bob := c.Get("/people/" + in.Bob.ID); bob.Status != http.StatusNotFound || strings.Contains(bob.Body, "/break-glass") {
		t.Errorf("Bob's page for the inspector: %d, want 404 with no emergency access offered", bob.Status)
	}

	staff := in.Client(srv.URL)
	staff.SignIn(in.Manager)
	if page := staff.Get("/people/" + in.Ann.ID); !strings.Contains(page.Body, "Inspector kim (Inspector, read-only inspection)") ||
		!strings.Contains(page.Body, "Allowed: a time-limited, read-only inspection.") {
		t.Error("the staff view of Ann's history does not show the inspection")
	}
	person := in.Client(srv.URL)
	person.SignIn(annAccount)
	if page := person.Get("/my/" + in.Ann.ID + "/history"); !strings.Contains(page.Body, "Inspector kim (Inspector, read-only inspection)") {
		t.Errorf("Ann's own history does not show the inspection:\n%s", page.Body)
	}

	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, in.Grant.ID, "Site visit finished early"); err != nil {
		t.Fatal(err)
	}
	refused := c.Get("/people/" + in.Ann.ID)
	if refused.Status != http.StatusForbidden || !strings.Contains(refused.Body, "Your inspection access ended on") || strings.Contains(refused.Body, "943 476 5919") {
		t.Fatalf("Ann's page after the grant ended: %d\n%s", refused.Status, refused.Body)
	}
	evs, err := in.Audit.ByRequest(in.Ctx, refused.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].PersonID != in.Ann.ID || evs[0].Decision != "deny" || evs[0].Purpose != "inspection" {
		t.Fatalf("the refused read was not audited as a denied inspection: %+v", evs)
	}
	if home := c.Get("/"); !strings.Contains(home.Body, "Your access has ended") || strings.Contains(home.Body, "Ann Jones") {
		t.Errorf("the inspector's home after the end:\n%s", home.Body)
	}
}

// A grant that runs to its end needs no one to end it.
func TestAnInspectorsGrantEndsByItself(t *testing.T) {
	in := newInspectionScenario(t)
	c := in.Client(in.Server().URL)
	c.SignIn(in.Inspector)
	if r := c.Get("/people/" + in.Ann.ID); r.Status != http.StatusOK {
		t.Fatalf("under the grant: %d", r.Status)
	}
	in.Clock.Advance(48 * time.Hour)
	c.SignIn(in.Inspector) // the session itself has long ended
	r := c.Get("/people/" + in.Ann.ID)
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Your inspection access ended on") {
		t.Fatalf("after the grant's end: %d", r.Status)
	}
}

func london(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
