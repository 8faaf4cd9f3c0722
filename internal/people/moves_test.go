package people_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

func TestAMoveKeepsWhereThePersonWas(t *testing.T) {
	s := apptest.NewScenario(t)
	elm, err := s.People.OpenLocation(s.Ctx, s.Manager.Actor, people.NewLocation{Name: "Elm Court", Kind: people.NursingHome})
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(24 * time.Hour)
	if err := s.People.Transfer(s.Ctx, s.Manager.Actor, s.Ann.ID, elm.ID, "Needs nursing care now"); err != nil {
		t.Fatal(err)
	}
	pg, err := s.People.LoadPage(s.Ctx, s.Manager.Actor, s.Ann.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Person.LocationName != "Elm Court" || len(pg.Placements) != 2 || pg.Placements[0].LocationName != "Elm Court" ||
		!pg.Placements[0].EndsAt.IsZero() || pg.Placements[1].LocationName != "Rowan House" || pg.Placements[1].EndsAt.IsZero() {
		t.Fatalf("after the move: at %s, placements %+v", pg.Person.LocationName, pg.Placements)
	}
	// Her care team moves with her; her record is still hers.
	if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
		t.Fatalf("her care worker lost her: %v", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND action = 'manage-people' AND detail LIKE 'moved from Rowan House to Elm Court%'`, s.Ann.ID); n != 1 {
		t.Errorf("%d audited moves", n)
	}
}

func TestAMoveIsRefusedPlainly(t *testing.T) {
	s := apptest.NewScenario(t)
	riverside := s.Location("Riverside", people.HomeCareBranch)
	closed, err := s.People.OpenLocation(s.Ctx, s.Manager.Actor, people.NewLocation{Name: "Old Mill", Kind: people.CareHome})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.People.CloseLocation(s.Ctx, s.Manager.Actor, closed.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		who   apptest.Staff
		to    string
		kind  hearth.Kind
		words string
	}{
		{"to a closed location", s.Manager, closed.ID, hearth.KindInvalid, "That location has closed"},
		{"to a location the mover does not manage", s.Manager, riverside.ID, hearth.KindInvalid, "You can only move people to a location you manage"},
		{"to where they already are", s.Manager, s.Home.ID, hearth.KindInvalid, "Choose a location other than the one they are at"},
		{"to nowhere", s.Manager, "", hearth.KindInvalid, "Choose where they are moving to"},
		{"by a care worker", s.Carer, riverside.ID, hearth.KindForbidden, "does not allow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.People.Transfer(s.Ctx, tc.who.Actor, s.Ann.ID, tc.to, "")
			if hearth.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want %q", err, tc.words)
			}
			if n := s.Count(`SELECT COUNT(*) FROM people WHERE id = ? AND location_id = ?`, s.Ann.ID, s.Home.ID); n != 1 {
				t.Fatal("a refused move moved Ann")
			}
		})
	}
}

// Once care ends the record stays, read-only except for corrections: no new
// notes, no second ending, gone from the care worker's shift and visits,
// and the end date kept for the retention schedule.
func TestAfterCareEndsTheRecordIsReadOnlyExceptForCorrections(t *testing.T) {
	s := apptest.NewScenario(t)
	note, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Cheerful at lunch", CareAt: s.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Care.ScheduleVisit(s.Ctx, s.Manager.Actor, s.Ann.ID, care.VisitInput{AssignedTo: s.Carer.ID,
		Start: s.Clock.Now().Add(2 * time.Hour), End: s.Clock.Now().Add(3 * time.Hour), PlannedMinutes: "30", Tasks: "Lunch"}); err != nil {
		t.Fatal(err)
	}
	sh, err := s.Care.MyShift(s.Ctx, s.Carer.Actor)
	if err != nil || len(sh.People) != 1 || len(sh.Visits) != 1 {
		t.Fatalf("before: the shift has %d people and %d visits (%v)", len(sh.People), len(sh.Visits), err)
	}
	ended := s.Clock.Now()
	cases := []struct {
		name string
		e    people.EndOfCare
		want string
	}{
		{"no reason", people.EndOfCare{On: ended}, "Choose why care ended"},
		{"no date", people.EndOfCare{Reason: "discharged"}, "Enter the date care ended"},
		{"a date in the future", people.EndOfCare{Reason: "discharged", On: ended.AddDate(0, 0, 2)}, "must be today or in the past"},
	}
	for _, tc := range cases {
		if err := s.People.EndCare(s.Ctx, s.Manager.Actor, s.Ann.ID, tc.e); hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ending care with %s: %v", tc.name, err)
		}
	}
	if err := s.People.EndCare(s.Ctx, s.Carer.Actor, s.Ann.ID, people.EndOfCare{Reason: "died", On: ended}); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker ends care: %v", err)
	}
	if err := s.People.EndCare(s.Ctx, s.Manager.Actor, s.Ann.ID, people.EndOfCare{Reason: "discharged", On: ended, Note: "Home with her daughter"}); err != nil {
		t.Fatal(err)
	}
	err = s.People.EndCare(s.Ctx, s.Manager.Actor, s.Ann.ID, people.EndOfCare{Reason: "discharged", On: ended})
	if hearth.KindOf(err) != hearth.KindForbidden || !strings.Contains(err.Error(), "care has ended") {
		t.Fatalf("ending care twice: %v", err)
	}

	p, err := s.People.Get(s.Ctx, s.Manager.Actor, s.Ann.ID)
	if err != nil || !p.Ended() || p.End.ReasonTitle() != "Discharged" || !p.End.On.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the end: %+v %v", p.End, err)
	}
	_, err = s.Care.RecordNote(s.Ctx, s.Manager.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Late entry", CareAt: s.Clock.Now()})
	if hearth.KindOf(err) != hearth.KindForbidden || !strings.Contains(err.Error(), "read-only except for corrections") {
		t.Fatalf("a new note after the end: %v", err)
	}
	if _, err := s.Care.CorrectNote(s.Ctx, s.Manager.Actor, s.Ann.ID, note.ID, care.NoteDraft{Category: "mood", Body: "Cheerful at tea, not lunch",
		CareAt: note.CareAt, Reason: "Wrong meal"}); err != nil {
		t.Fatalf("a correction after the end: %v", err)
	}
	// Her care team ended with her care: she leaves the shift and visits.
	sh, err = s.Care.MyShift(s.Ctx, s.Carer.Actor)
	if err != nil || len(sh.People) != 0 || len(sh.Visits) != 0 {
		t.Fatalf("after: the shift has %d people and %d visits (%v)", len(sh.People), len(sh.Visits), err)
	}
	lv, err := s.Care.VisitsAt(s.Ctx, s.Manager.Actor, s.Home.ID, s.Clock.Now())
	if err != nil || len(lv.Visits) != 0 {
		t.Fatalf("the home's visits after the end: %d (%v)", len(lv.Visits), err)
	}
	res, err := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{})
	if err != nil || res.Total != 0 {
		t.Fatalf("the manager's list still shows her: %d (%v)", res.Total, err)
	}
	res, err = s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "ann", IncludeEnded: true})
	if err != nil || res.Total != 1 || !res.People[0].Ended() {
		t.Fatalf("asked for, she is found: %+v (%v)", res, err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM people WHERE id = ? AND care_ended_on IS NOT NULL`, s.Ann.ID); n != 1 {
		t.Fatal("the end date is not kept")
	}
	// Moving someone whose care has ended is refused too.
	elm, err := s.People.OpenLocation(s.Ctx, s.Manager.Actor, people.NewLocation{Name: "Elm Court", Kind: people.NursingHome})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.People.Transfer(s.Ctx, s.Manager.Actor, s.Ann.ID, elm.ID, ""); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("moving her after the end: %v", err)
	}
	// With her care ended and nobody else there, Rowan House may close.
	admin := s.Staff("admin", access.Administrator)
	if err := s.People.CloseLocation(s.Ctx, admin.Actor, s.Home.ID); err != nil {
		t.Errorf("closing Rowan House once nobody's care goes on there: %v", err)
	}
}
