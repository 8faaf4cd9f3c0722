package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/governance"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// attentionScenario: Ann and Bob at Rowan House, Cat at Birch Court (with
// its own manager); each has a care plan whose review has passed, a visit
// missed yesterday, and the bed sensor, whose DPIA has since been removed.
// A nurse is on Ann's care team only.
type attentionCast struct {
	*apptest.Scenario
	Bob, Cat     people.Person
	Birch        people.Location
	BirchManager apptest.Staff
	Nurse        apptest.Staff
	Bed          tech.Technology
}

func attentionScenario(t *testing.T) *attentionCast {
	s, bed := techScenario(t)
	a := &attentionCast{Scenario: s, Bed: bed}
	a.Birch = s.Location("Birch Court", people.CareHome)
	a.BirchManager = s.Staff("birchmgr", access.RegisteredManager, a.Birch)
	a.Bob = s.Person(s.Manager, s.Home, "Bob", "Price", "")
	a.Cat = s.Person(a.BirchManager, a.Birch, "Cat", "Hill", "")
	a.Nurse = s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, a.Nurse)
	if _, err := s.Tech.RecordTraining(s.Ctx, s.Manager.Actor, tech.NewTraining{UserID: a.BirchManager.ID, Module: "BedSense safe use", CompletedOn: "2026-01-10"}); err != nil {
		t.Fatal(err)
	}
	now := s.Clock.Now()
	for i, p := range []people.Person{s.Ann, a.Bob, a.Cat} {
		mgr := s.Manager
		if p.ID == a.Cat.ID {
			mgr = a.BirchManager
		}
		if _, err := s.Care.NewCarePlan(s.Ctx, mgr.Actor, p.ID, care.PlanDraft{Area: "personal-care", Outcome: "I want to wash myself",
			HowMet: "Help with my back", Involved: care.Involvement{Kinds: []string{"person"}}, Agreement: "agreed", ReviewOn: now.AddDate(0, 0, 1)}); err != nil {
			t.Fatal(err)
		}
		start := now.Add(time.Duration(i+1) * time.Hour)
		if _, err := s.Care.ScheduleVisit(s.Ctx, mgr.Actor, p.ID, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30",
			Tasks: "Breakfast", AssignedTo: mgr.ID}); err != nil {
			t.Fatal(err)
		}
		if p.ID != s.Ann.ID {
			if _, err := s.Consent.Give(s.Ctx, mgr.Actor, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology,
				TechnologyID: bed.ID, TechnologyName: bed.Name, Decision: "permit", InfoGiven: "What the mat senses", InfoFormat: "standard"}); err != nil {
				t.Fatal(err)
			}
		}
		n := tech.NewUse{TechnologyID: bed.ID, NextReview: "2026-06-03", Record: tech.Record{Reason: p.GivenName + " has had " + strconv.Itoa(i+2) + " falls at night this spring, " + strings.Repeat("once on the stairs ", i),
			WhenHow: "Mat under the mattress at night", InformationGiven: "What it senses", InformationFormat: "Spoken", DecisionProcess: "Decided with family",
			DataUse: "Alerts to night staff", ReviewPlan: "Ask how it feels", Withdrawal: "Tell staff", Rights: "Privacy", SafetyAssessment: "Less intrusive",
			RelationalCare: "Staff sit with them", Alternatives: "Hourly checks"}}
		if _, err := s.Tech.CreateUse(s.Ctx, mgr.Actor, p.ID, n); err != nil {
			t.Fatal(err)
		}
	}
	bed.DPIA = tech.Assessment{}
	var err error
	if a.Bed, err = s.Tech.Save(s.Ctx, s.Manager.Actor, bed, "DPIA withdrawn for revision"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(48 * time.Hour)
	return a
}

var totalLink = regexp.MustCompile(`data-testid="total-([a-z-]+)" aria-label="(\d+):`)

// figures reads the provider totals off Needs attention.
func figures(t *testing.T, body string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range totalLink.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

var personLink = regexp.MustCompile(`<a class="nhsuk-link" href="/people/([^"/]+)"><strong>([^<]+)</strong>`)

func listed(body string) []string {
	var out []string
	for _, m := range personLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2])
	}
	return out
}

// Each figure counts only people the reader may see, and leads to exactly
// those people: the manager of Rowan House sees Ann and Bob, not Cat at
// Birch Court; the nurse on Ann's team sees Ann alone.
func TestNeedsAttentionCountsOnlyPeopleInReachAndLeadsToThem(t *testing.T) {
	a := attentionScenario(t)
	srv := a.Server()
	cases := []struct {
		who  apptest.Staff
		want []string
	}{
		{a.Manager, []string{"Ann Jones", "Bob Price"}},
		{a.Nurse, []string{"Ann Jones"}},
		{a.BirchManager, []string{"Cat Hill"}},
	}
	for _, tc := range cases {
		c := a.Client(srv.URL)
		c.SignIn(tc.who)
		home := c.Get("/")
		if !strings.Contains(home.Body, `href="/attention"`) {
			t.Errorf("%s's home does not link to Needs attention", tc.who.Username)
		}
		page := c.Get("/attention")
		if page.Status != 200 {
			t.Fatalf("%s: /attention %d", tc.who.Username, page.Status)
		}
		got := figures(t, page.Body)
		for _, key := range []string{"care-plan-reviews", "visits", "technology-lapsed", "records-incomplete"} {
			if got[key] != len(tc.want) {
				t.Errorf("%s: %s = %d, want %d", tc.who.Username, key, got[key], len(tc.want))
			}
		}
		// Every figure's number is the number of people its list shows.
		for key, n := range got {
			l := c.Get("/attention/" + key)
			if names := listed(l.Body); len(names) != n {
				t.Errorf("%s: %s counts %d but lists %v", tc.who.Username, key, n, names)
			}
		}
		l := c.Get("/attention/care-plan-reviews")
		if names := strings.Join(listed(l.Body), ", "); names != strings.Join(tc.want, ", ") {
			t.Errorf("%s: care plan reviews list %q, want %q", tc.who.Username, names, strings.Join(tc.want, ", "))
		}
		if !strings.Contains(l.Body, "Care plan") || !strings.Contains(l.Body, "review was due on 4 March 2026") {
			t.Errorf("%s: the list does not say what is due:\n%s", tc.who.Username, l.Body)
		}
		lapsed := c.Get("/attention/technology-lapsed")
		if !strings.Contains(lapsed.Body, "BedSense: Stopped: this technology has no DPIA recorded. Do not use it.") {
			t.Errorf("%s: the lapsed technology list reads:\n%s", tc.who.Username, lapsed.Body)
		}
	}
	// Asking for another location's people shows none of them.
	c := a.Client(srv.URL)
	c.SignIn(a.Nurse)
	if names := listed(c.Get("/attention/care-plan-reviews?location=" + url.QueryEscape(a.Birch.ID)).Body); len(names) != 0 {
		t.Errorf("the nurse sees people at Birch Court: %v", names)
	}
}

// Bad input: an unknown figure is not found; a location that is not one
// is refused naming the field; nothing is listed.
func TestNeedsAttentionRefusesAnUnknownFigureOrLocation(t *testing.T) {
	a := attentionScenario(t)
	c := a.Client(a.Server().URL)
	c.SignIn(a.Manager)
	if r := c.Get("/attention/no-such-figure"); r.Status != 404 {
		t.Errorf("unknown figure: %d", r.Status)
	}
	if r := c.Get("/attention/care-plan-reviews?location=../etc"); r.Status != 422 || !strings.Contains(r.Body, "Choose a location from the list") {
		t.Errorf("a made-up location: %d", r.Status)
	}
	if r := c.Get("/governance/quality?location=nowhere"); r.Status != 422 {
		t.Errorf("dashboard, a made-up location: %d", r.Status)
	}
}

// The quality dashboard draws each figure over 12 weeks with the numbers
// in a table beside it, the week's number leading to the people.
func TestTheQualityDashboardShowsEachFigureOverTimeWithItsNumbersAndPeople(t *testing.T) {
	a := attentionScenario(t)
	c := a.Client(a.Server().URL)
	c.SignIn(a.Manager)
	page := c.Get("/governance/quality")
	if page.Status != 200 {
		t.Fatalf("dashboard: %d %s", page.Status, page.Body)
	}
	for _, want := range []string{"Quality dashboard", `data-testid="quality-visits"`, "<svg", "<table", "Care plan reviews overdue", "Rowan House"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "Birch Court") {
		t.Error("the dashboard shows a location the manager has no one at")
	}
	// This week's missed-visit number links to Ann and Bob.
	link := regexp.MustCompile(`href="(/attention/visits\?[^"]+)"`).FindAllStringSubmatch(page.Body, -1)
	if len(link) == 0 {
		t.Fatal("no drill-down link for missed visits")
	}
	last := strings.ReplaceAll(link[len(link)-1][1], "&amp;", "&")
	if names := listed(c.Get(last).Body); strings.Join(names, ", ") != "Ann Jones, Bob Price" {
		t.Errorf("this week's missed visits lead to %v (%s)", names, last)
	}
	if r := c.Get("/governance/quality?by=month"); !strings.Contains(r.Body, "March 2026") {
		t.Error("the monthly dashboard does not show March 2026")
	}
}

// The governance records reach Needs attention: an open breach overdue for
// reporting and a policy past its review, for the manager who may see
// them, and not for a nurse, who may not.
func TestNeedsAttentionShowsOpenIncidentsAndOverduePoliciesToThoseWhoManageThem(t *testing.T) {
	a := attentionScenario(t)
	now := a.Clock.Now()
	if _, err := a.Governance.RecordIncident(a.Ctx, a.Manager.Actor, governance.NewIncident{Kind: governance.KindBreach, Severity: "moderate",
		Summary: "Care plan emailed to the wrong family", WhatHappened: "A care plan was emailed to another family.",
		ImmediateAction: "Asked them to delete it.", OccurredAt: now.Add(-80 * time.Hour), AwareAt: now.Add(-75 * time.Hour),
		PersonIDs: []string{a.Ann.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Governance.AddPolicy(a.Ctx, a.Manager.Actor, governance.NewPolicy{Title: "Night monitoring", Version: "2.0",
		Owner: "Registered manager", ReviewMonths: 12, NextReview: now}); err != nil {
		t.Fatal(err)
	}
	a.Clock.Advance(3 * 24 * time.Hour) // the review day passes
	srv := a.Server()
	c := a.Client(srv.URL)
	c.SignIn(a.Manager)
	page := c.Get("/attention").Body
	for _, want := range []string{"For the provider", "Care plan emailed to the wrong family", "Overdue for reporting to the ICO",
		"Night monitoring", "review was due on " + now.In(london(t)).Format("2 January 2006")} {
		if !strings.Contains(page, want) {
			t.Errorf("the manager's Needs attention does not say %q", want)
		}
	}
	n := a.Client(srv.URL)
	n.SignIn(a.Nurse)
	if page := n.Get("/attention").Body; strings.Contains(page, "Care plan emailed") || strings.Contains(page, "Night monitoring") {
		t.Error("a nurse's Needs attention shows the provider's incidents or policies")
	}
}
