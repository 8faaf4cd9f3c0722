package people_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/people"
)

func TestNHSNumbersAreCheckedWithModulus11(t *testing.T) {
	cases := []struct {
		in    string
		valid bool
	}{
		{"9434765919", true},
		{"943 476 5919", true},
		{"943-476-5919", true},
		{"9434765918", false}, // wrong check digit
		{"943476591", false},  // nine digits
		{"94347659190", false},
		{"94347659l9", false}, // a letter l for a one
		{"", false},
		{"1000000010", false}, // check digit would be 10: never valid
		{"'; DROP TABLE people;--", false},
	}
	for _, tc := range cases {
		if got := people.ValidNHSNumber(tc.in); got != tc.valid {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", tc.in, got, tc.valid)
		}
	}
	if people.CheckDigit("943476591") != 9 {
		t.Error("CheckDigit(943476591) should be 9")
	}
}

func TestRegisteringAPersonChecksEveryField(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	valid := people.NewPerson{LocationID: s.Home.ID, GivenName: "Bryn", FamilyName: "Evans", DateOfBirth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)}
	cases := []struct {
		name  string
		edit  func(*people.NewPerson)
		field string
		rule  string
	}{
		{"a malformed NHS number", func(n *people.NewPerson) { n.NHSNumber = "9434765918" }, "NHS number", "valid check digit"},
		{"a date of birth in the future", func(n *people.NewPerson) { n.DateOfBirth = now.AddDate(0, 0, 1) }, "Date of birth", "must be in the past"},
		{"no date of birth", func(n *people.NewPerson) { n.DateOfBirth = time.Time{} }, "Date of birth", "Enter the date of birth"},
		{"no given name", func(n *people.NewPerson) { n.GivenName = "  " }, "Given name", "Enter"},
		{"an over-long family name", func(n *people.NewPerson) { n.FamilyName = strings.Repeat("a", 101) }, "Family name", "100 characters or fewer"},
		{"an NHS number already registered", func(n *people.NewPerson) { n.NHSNumber = s.AnnNHS }, "NHS number", "already registered"},
	}
	before := s.Count(`SELECT COUNT(*) FROM people`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := valid
			tc.edit(&n)
			_, err := s.People.Register(s.Ctx, s.Manager.Actor, n)
			var herr *hearth.Error
			if hearth.KindOf(err) != hearth.KindInvalid || !errorsAs(err, &herr) || !hasProblem(herr, tc.field, tc.rule) {
				t.Fatalf("got %v, want a problem with %s saying %q", err, tc.field, tc.rule)
			}
		})
	}
	if after := s.Count(`SELECT COUNT(*) FROM people`); after != before {
		t.Fatalf("bad input registered someone: %d -> %d", before, after)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'manage-people' AND outcome = 'invalid'`); n != len(cases) {
		t.Errorf("want each refused registration audited as invalid, got %d", n)
	}
}

func TestTextIsStoredVerbatim(t *testing.T) {
	s := apptest.NewScenario(t)
	name := `O'Brien"; DROP TABLE people;-- <b>bold</b>`
	p, err := s.People.Register(s.Ctx, s.Manager.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: "Siân", FamilyName: name,
		DateOfBirth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.People.Get(s.Ctx, s.Manager.Actor, p.ID)
	if err != nil || got.FamilyName != name || got.GivenName != "Siân" {
		t.Fatalf("got %q %q, %v", got.GivenName, got.FamilyName, err)
	}
}

func TestOnlyAManagerAtTheLocationMayRegisterSomeoneThere(t *testing.T) {
	s := apptest.NewScenario(t)
	branch := s.Location("Riverside", people.DomiciliaryBranch)
	n := people.NewPerson{LocationID: branch.ID, GivenName: "Bryn", FamilyName: "Evans", DateOfBirth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)}
	// Refused, saying which field and why (locations are no one's secret),
	// and audited as a denial.
	if _, err := s.People.Register(s.Ctx, s.Manager.Actor, n); hearth.KindOf(err) != hearth.KindInvalid ||
		!strings.Contains(err.Error(), "You can only admit people to a location you manage") {
		t.Errorf("a manager of another location: got %v, want refused", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'manage-people' AND decision = 'deny'`, s.Manager.ID); n != 1 {
		t.Errorf("%d denied admissions audited, want 1", n)
	}
	if _, err := s.People.Register(s.Ctx, s.Carer.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: "B", FamilyName: "E",
		DateOfBirth: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("a care worker registered someone")
	}
	other := s.Staff("rm2", access.RegisteredManager, branch)
	if _, err := s.People.Register(s.Ctx, other.Actor, n); err != nil {
		t.Fatalf("the branch's manager: %v", err)
	}
}

func TestCareTeamAssignmentsStartAndEnd(t *testing.T) {
	s := apptest.NewScenario(t)
	bob := s.Staff("bob", access.CareWorker)
	start := s.Clock.Now()
	if _, err := s.People.AssignCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, bob.ID, start, start.Add(-time.Hour)); hearth.KindOf(err) != hearth.KindInvalid {
		t.Fatalf("an end before the start: %v", err)
	}
	if _, err := s.People.AssignCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, bob.ID, start.Add(time.Hour), start.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.People.Get(s.Ctx, bob.Actor, s.Ann.ID); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatal("bob saw Ann before his assignment started")
	}
	s.Clock.Advance(90 * time.Minute)
	if _, err := s.People.Get(s.Ctx, bob.Actor, s.Ann.ID); err != nil {
		t.Fatalf("bob during his assignment: %v", err)
	}
	s.Clock.Advance(time.Hour)
	if _, err := s.People.Get(s.Ctx, bob.Actor, s.Ann.ID); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatal("bob still sees Ann after his assignment ended")
	}
}

func errorsAs(err error, target **hearth.Error) bool { return errors.As(err, target) }

func hasProblem(e *hearth.Error, field, rule string) bool {
	for _, p := range e.Problems {
		if p.Field == field && strings.Contains(p.Message, rule) {
			return true
		}
	}
	return false
}

func TestAgeCountsBirthdaysByTheCalendarNotTheDayOfTheYear(t *testing.T) {
	cases := []struct {
		name     string
		born, at time.Time
		want     int
	}{
		{"the day before a birthday after February in a leap birth year", date(2008, 3, 10), date(2026, 3, 9), 17},
		{"on that birthday", date(2008, 3, 10), date(2026, 3, 10), 18},
		{"born on 29 February, on 28 February", date(2008, 2, 29), date(2026, 2, 28), 17},
		{"born on 29 February, on 1 March", date(2008, 2, 29), date(2026, 3, 1), 18},
		{"on New Year's Eve", date(1941, 12, 31), date(2026, 12, 31), 85},
	}
	for _, tc := range cases {
		if got := (people.Person{DateOfBirth: tc.born}).Age(tc.at); got != tc.want {
			t.Errorf("%s: age %d, want %d", tc.name, got, tc.want)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
