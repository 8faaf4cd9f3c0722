package people_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/people"
)

func bryn(loc people.Location) people.NewPerson {
	return people.NewPerson{LocationID: loc.ID, GivenName: "Bryn", FamilyName: "Evans", PreferredName: "Bryn", Sex: "male",
		Gender: "Man", GPPractice: "Riverside Surgery (Y01234)", Address: "1 High Street", Postcode: "ab1 2cd",
		DateOfBirth: time.Date(1947, 9, 2, 0, 0, 0, 0, time.UTC), NHSNumber: "401 023 2137", CareStartsOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
}

func TestAdmittingAPersonKeepsWhatTheyToldUs(t *testing.T) {
	s := apptest.NewScenario(t)
	p, err := s.People.Register(s.Ctx, s.Manager.Actor, bryn(s.Home))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.People.Get(s.Ctx, s.Manager.Actor, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sex != "male" || got.SexTitle() != "Male" || got.Gender != "Man" || got.GPPractice != "Riverside Surgery (Y01234)" ||
		got.NHSNumber != "4010232137" || got.Postcode != "AB1 2CD" || !got.CareStartsOn.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) ||
		got.LocationName != "Rowan House" || got.Ended() {
		t.Fatalf("admitted as %+v", got)
	}
	if n := s.Count(`SELECT COUNT(*) FROM person_placements WHERE person_id = ? AND location_id = ? AND ends_at IS NULL`, p.ID, s.Home.ID); n != 1 {
		t.Errorf("%d current placements, want 1", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND action = 'manage-people' AND outcome = 'success'`, p.ID); n != 1 {
		t.Errorf("%d audited admissions, want 1", n)
	}
}

func TestAdmissionBadInputIsRefusedAndChangesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	riverside := s.Location("Riverside", people.HomeCareBranch)
	closed := s.Location("Old Mill", people.CareHome)
	admin := s.Staff("admin", access.Administrator)
	if err := s.People.CloseLocation(s.Ctx, admin.Actor, closed.ID); err != nil {
		t.Fatal(err)
	}
	other := s.Staff("rm2", access.RegisteredManager, closed)
	before := s.Count(`SELECT COUNT(*) FROM people`)
	cases := []struct {
		name   string
		who    apptest.Staff
		change func(*people.NewPerson)
		kind   hearth.Kind
		words  string
	}{
		{"an NHS number with a wrong check digit", s.Manager, func(n *people.NewPerson) { n.NHSNumber = "401 023 2138" }, hearth.KindInvalid,
			"NHS number must be 10 digits with a valid check digit"},
		{"an NHS number already registered", s.Manager, func(n *people.NewPerson) { n.NHSNumber = "943 476 5919" }, hearth.KindInvalid,
			"Someone with this NHS number is already registered"},
		{"a location the admitter does not manage", s.Manager, func(n *people.NewPerson) { n.LocationID = riverside.ID }, hearth.KindInvalid,
			"You can only admit people to a location you manage"},
		{"a closed location", other, func(n *people.NewPerson) { n.LocationID = closed.ID }, hearth.KindInvalid,
			"That location has closed"},
		{"a sex that is not one of the choices", s.Manager, func(n *people.NewPerson) { n.Sex = "robot" }, hearth.KindInvalid, "Choose female, male"},
		{"care that starts before birth", s.Manager, func(n *people.NewPerson) { n.CareStartsOn = n.DateOfBirth.AddDate(-1, 0, 0) }, hearth.KindInvalid,
			"Start of care must be after the date of birth"},
		{"a date of birth in the future", s.Manager, func(n *people.NewPerson) { n.DateOfBirth = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }, hearth.KindInvalid,
			"Date of birth must be in the past"},
		{"a care worker cannot admit anyone: their role does not allow it", s.Carer, func(n *people.NewPerson) {}, hearth.KindForbidden, "this role does not allow this action"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := bryn(s.Home)
			if tc.who.ID == other.ID {
				n = bryn(closed)
			}
			tc.change(&n)
			_, err := s.People.Register(s.Ctx, tc.who.Actor, n)
			if hearth.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want %q", err, tc.words)
			}
		})
	}
	if after := s.Count(`SELECT COUNT(*) FROM people`); after != before {
		t.Fatalf("refused admissions changed the people table: %d -> %d", before, after)
	}
}

// The same name and date of birth as someone already registered (accents
// and case aside) may be the same person twice: the admitter is warned and
// must confirm it is someone else.
func TestTheSameNameAndDateOfBirthNeedsConfirming(t *testing.T) {
	s := apptest.NewScenario(t)
	n := people.NewPerson{LocationID: s.Home.ID, GivenName: "ANN", FamilyName: "jones", DateOfBirth: s.Ann.DateOfBirth}
	_, err := s.People.Register(s.Ctx, s.Manager.Actor, n)
	if !people.IsPossibleDuplicate(err) || !strings.Contains(err.Error(), "may already be registered: 1 person has the same name and date of birth") {
		t.Fatalf("a second Ann Jones born the same day: %v", err)
	}
	n.ConfirmedNotDuplicate = true
	if _, err := s.People.Register(s.Ctx, s.Manager.Actor, n); err != nil {
		t.Fatalf("confirmed: %v", err)
	}
	siân := people.NewPerson{LocationID: s.Home.ID, GivenName: "Siân", FamilyName: "Ó Briain", DateOfBirth: s.Ann.DateOfBirth}
	if _, err := s.People.Register(s.Ctx, s.Manager.Actor, siân); err != nil {
		t.Fatal(err)
	}
	siân.GivenName, siân.FamilyName = "Sian", "O Briain"
	if _, err := s.People.Register(s.Ctx, s.Manager.Actor, siân); !people.IsPossibleDuplicate(err) {
		t.Fatalf("Sian O Briain after Siân Ó Briain: %v", err)
	}
}

func TestCareTeamMembersComeAndGoWithDates(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	m, err := s.People.AssignCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, s.OtherCarer.ID, now, now.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.People.AssignCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, s.OtherCarer.ID, now.AddDate(0, 0, 7), time.Time{}); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("an overlapping second membership: %v", err)
	}
	if _, err := s.People.Get(s.Ctx, s.OtherCarer.Actor, s.Ann.ID); err != nil {
		t.Fatalf("a new team member cannot see Ann: %v", err)
	}
	if err := s.People.EndCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, m.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.People.Get(s.Ctx, s.OtherCarer.Actor, s.Ann.ID); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatalf("an ended member still sees Ann: %v", err)
	}
	if err := s.People.EndCareTeam(s.Ctx, s.Manager.Actor, s.Ann.ID, m.ID, time.Time{}); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("ending a membership twice: %v", err)
	}
	if err := s.People.EndCareTeam(s.Ctx, s.Carer.Actor, s.Ann.ID, m.ID, time.Time{}); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker ends a membership: %v", err)
	}
	pg, err := s.People.LoadPage(s.Ctx, s.Manager.Actor, s.Ann.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Team) != 2 || !pg.CanManage || len(pg.StaffOptions) < 3 || len(pg.Placements) != 1 {
		t.Fatalf("Ann's page: team %d, can manage %v, %d staff to choose from, %d placements", len(pg.Team), pg.CanManage, len(pg.StaffOptions), len(pg.Placements))
	}
}

func TestTheTeamsAtALocationShowWhoIsOnWhichTeam(t *testing.T) {
	s := apptest.NewScenario(t)
	bryn := s.Person(s.Manager, s.Home, "Bryn", "Evans", "")
	s.Assign(s.Manager, bryn, s.OtherCarer)
	lt, err := s.People.TeamsAt(s.Ctx, s.Manager.Actor, s.Home.ID, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if lt.Total != 2 || len(lt.People) != 2 || lt.People[0].Person.FamilyName != "Evans" || lt.People[0].Members[0].UserID != s.OtherCarer.ID ||
		lt.People[1].Members[0].UserID != s.Carer.ID {
		t.Fatalf("teams at Rowan House: %+v", lt)
	}
	// A care worker sees only the people whose team they are on.
	lt, err = s.People.TeamsAt(s.Ctx, s.Carer.Actor, s.Home.ID, 0, 20)
	if err != nil || lt.Total != 1 || lt.People[0].Person.ID != s.Ann.ID {
		t.Fatalf("the care worker's view: %+v %v", lt, err)
	}
	lt, err = s.People.TeamsAt(s.Ctx, s.Manager.Actor, s.Home.ID, 1, 1)
	if err != nil || lt.Total != 2 || len(lt.People) != 1 || lt.People[0].Person.ID != s.Ann.ID {
		t.Fatalf("the second page: %+v %v", lt, err)
	}
}
