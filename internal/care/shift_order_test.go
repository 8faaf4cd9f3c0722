package care_test

import (
	"testing"
	"time"

	"hearth/internal/care"
)

// 'My shift' puts first the people with something overdue, then those with
// something due now, then alerts, and only then everyone else (issue 15:
// 24 cards alphabetically with "Nothing due now" first although 13 doses
// were due); it says plainly when nothing is due for anyone.
func TestMyShiftOrdersPeopleByWhatNeedsDoingNowAndSaysWhenNothingIsDue(t *testing.T) {
	s, _, coord, ed := homeCare(t)
	sh, err := s.Care.MyShift(s.Ctx, s.Carer.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if !sh.NothingDue() {
		t.Errorf("with no medicines and no alerts, want nothing due; got %+v", sh.People)
	}
	for _, p := range sh.People {
		if p.Urgency() != care.UrgencyNone {
			t.Errorf("%s: urgency %v, want none", p.Person.FullName(), p.Urgency())
		}
	}

	now := s.Clock.Now().In(time.UTC)
	at := func(d time.Duration) string { return now.Add(d).In(ukLondon(t)).Format("15:04") }
	// Ed's dose was two hours ago: overdue. Ann's is now: due.
	if _, err := s.Care.AddMedicine(s.Ctx, coord.Actor, ed.ID, care.MedicineInput{Name: "Ramipril", Strength: "5 mg", Dose: "1 capsule",
		Times: at(-2 * time.Hour), Route: "oral", Source: "gp", StartDate: day(now).AddDate(0, 0, -7)}); err != nil {
		t.Fatal(err)
	}
	addMedicine(t, s, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets", Times: at(0)})
	sh, err = s.Care.MyShift(s.Ctx, s.Carer.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if sh.NothingDue() {
		t.Error("says nothing is due with two doses due")
	}
	if len(sh.People) != 2 || sh.People[0].Person.ID != ed.ID || sh.People[1].Person.ID != s.Ann.ID {
		t.Fatalf("want Ed (overdue) before Ann (due now), alphabetical order notwithstanding; got %v", names(sh.People))
	}
	if sh.People[0].Urgency() != care.UrgencyOverdue || sh.People[1].Urgency() != care.UrgencyDue {
		t.Errorf("urgencies: %v, %v", sh.People[0].Urgency(), sh.People[1].Urgency())
	}
	if sh.People[0].Urgency().String() != "Overdue" || sh.People[1].Urgency().String() != "Due now" {
		t.Errorf("urgency words: %q, %q", sh.People[0].Urgency(), sh.People[1].Urgency())
	}
}

func names(ps []care.ShiftPerson) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Person.FullName())
	}
	return out
}

func ukLondon(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
