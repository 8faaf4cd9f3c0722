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

func TestAManagerOpensRenamesAndClosesLocationsOfEveryKind(t *testing.T) {
	s := apptest.NewScenario(t)
	for _, kind := range people.Settings {
		l, err := s.People.OpenLocation(s.Ctx, s.Manager.Actor, people.NewLocation{Name: "New " + kind, Kind: kind})
		if err != nil {
			t.Fatalf("open a %s: %v", kind, err)
		}
		if l.Setting != kind || l.Kind == "" {
			t.Errorf("a %s opened as %q (%q)", kind, l.Setting, l.Kind)
		}
	}
	// The manager who opened a location manages it: they can admit there.
	l, err := s.People.OpenLocation(s.Ctx, s.Manager.Actor, people.NewLocation{Name: "Elm Court", Kind: "Nursing home", CQCLocationID: "1-123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.People.RenameLocation(s.Ctx, s.Manager.Actor, l.ID, "Elm Court Nursing Home"); err != nil {
		t.Fatal(err)
	}
	sum, err := s.People.Location(s.Ctx, s.Manager.Actor, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Name != "Elm Court Nursing Home" || len(sum.History) != 2 || sum.History[0].OldName != "Elm Court" || sum.History[0].ByName != "Test manager" {
		t.Fatalf("after renaming: %+v", sum)
	}
	if err := s.People.CloseLocation(s.Ctx, s.Manager.Actor, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.People.CloseLocation(s.Ctx, s.Manager.Actor, l.ID); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("closing twice: %v", err)
	}
	if err := s.People.RenameLocation(s.Ctx, s.Manager.Actor, l.ID, "Something else"); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("renaming a closed location: %v", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM locations WHERE id = ?`, l.ID); n != 1 {
		t.Errorf("a closed location is kept: %d rows", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'manage-locations' AND resource_id = ? AND decision = 'permit'`, l.ID); n < 3 {
		t.Errorf("%d audited changes to the location, want at least 3", n)
	}
}

func TestALocationWithPeoplePlacedThereCannotClose(t *testing.T) {
	s := apptest.NewScenario(t)
	err := s.People.CloseLocation(s.Ctx, s.Manager.Actor, s.Home.ID)
	if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(err.Error(), "Rowan House cannot close while 1 person is placed there") {
		t.Fatalf("closing Rowan House with Ann there: %v", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM locations WHERE id = ? AND closed_at IS NULL`, s.Home.ID); n != 1 {
		t.Fatal("the refused close changed the location")
	}
}

func TestOnlyTheRolesThatSetUpTheProviderManageLocations(t *testing.T) {
	s := apptest.NewScenario(t)
	other := s.Location("Riverside", people.HomeCareBranch)
	admin := s.Staff("admin", access.Administrator)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	cases := []struct {
		name string
		who  apptest.Staff
		do   func(apptest.Staff) error
		want hearth.Kind
	}{
		{"a care worker cannot open a location", s.Carer, func(w apptest.Staff) error {
			_, err := s.People.OpenLocation(s.Ctx, w.Actor, people.NewLocation{Name: "X", Kind: people.CareHome})
			return err
		}, hearth.KindForbidden},
		{"the information governance lead cannot open a location", ig, func(w apptest.Staff) error {
			_, err := s.People.OpenLocation(s.Ctx, w.Actor, people.NewLocation{Name: "X", Kind: people.CareHome})
			return err
		}, hearth.KindForbidden},
		{"a registered manager cannot rename a location they do not manage", s.Manager, func(w apptest.Staff) error {
			return s.People.RenameLocation(s.Ctx, w.Actor, other.ID, "Riverside Branch")
		}, hearth.KindForbidden},
		{"the administrator renames any location", admin, func(w apptest.Staff) error {
			return s.People.RenameLocation(s.Ctx, w.Actor, other.ID, "Riverside Branch")
		}, 0},
		{"a location that does not exist is not found", admin, func(w apptest.Staff) error {
			return s.People.CloseLocation(s.Ctx, w.Actor, hearth.NewID())
		}, hearth.KindNotFound},
		{"a location needs a name and a known kind", s.Manager, func(w apptest.Staff) error {
			_, err := s.People.OpenLocation(s.Ctx, w.Actor, people.NewLocation{Name: " ", Kind: "hospital"})
			return err
		}, hearth.KindInvalid},
		{"a care worker cannot change the provider's details", s.Carer, func(w apptest.Staff) error {
			return s.People.UpdateProvider(s.Ctx, w.Actor, people.NewProvider{Name: "Mine now"})
		}, hearth.KindForbidden},
		{"an ODS code is 3 to 6 letters or digits", admin, func(w apptest.Staff) error {
			return s.People.UpdateProvider(s.Ctx, w.Actor, people.NewProvider{Name: "Test Care Ltd", ODSCode: "TOO-LONG-1"})
		}, hearth.KindInvalid},
		{"the administrator changes the provider's details", admin, func(w apptest.Staff) error {
			return s.People.UpdateProvider(s.Ctx, w.Actor, people.NewProvider{Name: "Test Care Ltd", CQCProviderID: "1-101234567", ODSCode: "vnx12"})
		}, 0},
		{"a CQC location ID is 1- and digits", s.Manager, func(w apptest.Staff) error {
			_, err := s.People.OpenLocation(s.Ctx, w.Actor, people.NewLocation{Name: "Y", Kind: people.CareHome, CQCLocationID: "123"})
			return err
		}, hearth.KindInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(tc.who)
			if tc.want == 0 && err != nil || tc.want != 0 && hearth.KindOf(err) != tc.want {
				t.Fatalf("got %v, want kind %d", err, tc.want)
			}
		})
	}
}

func TestTheOlderLocationKindsStillRead(t *testing.T) {
	s := apptest.New(t)
	for kind, setting := range map[string]string{people.CareHome: people.CareHome, people.DomiciliaryBranch: people.HomeCareBranch,
		people.InpatientWard: people.MentalHealthWard} {
		l := s.Location("Old "+kind, kind)
		if l.Kind != kind || l.Setting != setting {
			t.Errorf("%s: kind %q setting %q", kind, l.Kind, l.Setting)
		}
	}
	// A row written before settings existed reads as its kind.
	if _, err := s.DB.Exec(s.Ctx, `INSERT INTO locations (id, provider_id, name, kind, created_at) VALUES (?, ?, 'Legacy Ward', 'inpatient_ward', ?)`,
		hearth.NewID(), s.Provider.ID, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	locs, err := s.People.Locations(s.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if l.Name == "Legacy Ward" && (l.Setting != people.MentalHealthWard || l.SettingTitle() != "Mental health ward") {
			t.Errorf("a legacy ward reads as %q", l.Setting)
		}
	}
}
