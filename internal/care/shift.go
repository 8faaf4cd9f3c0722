package care

import (
	"context"
	"fmt"
	"sort"
	"time"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// ShiftPerson is one of my people with what needs doing for them now.
type ShiftPerson struct {
	Person    people.Person
	Alerts    []Alert
	Medicines []RoundSlots // doses due, late or missed today
	MedsShown bool         // the actor may read this person's medicines
}

// Urgency is how soon something must be done for a person on 'my shift':
// the page lists the people with the most urgent first.
type Urgency int

const (
	UrgencyNone    Urgency = iota // nothing due now
	UrgencyAlert                  // an alert to look at (fluids low, NEWS2, weight)
	UrgencyDue                    // a dose due now
	UrgencyOverdue                // a dose late or missed
)

// String is the urgency as the page says it.
func (u Urgency) String() string {
	switch u {
	case UrgencyOverdue:
		return "Overdue"
	case UrgencyDue:
		return "Due now"
	case UrgencyAlert:
		return "Alert"
	}
	return "Nothing due now"
}

// Urgency is the most urgent thing to do for the person now.
func (p ShiftPerson) Urgency() Urgency {
	u := UrgencyNone
	if len(p.Alerts) > 0 {
		u = UrgencyAlert
	}
	for _, r := range p.Medicines {
		for _, sl := range r.Slots {
			switch sl.Status {
			case SlotLate, SlotMissed:
				return UrgencyOverdue
			case SlotDue:
				u = max(u, UrgencyDue)
			}
		}
	}
	return u
}

// firstDue is the time of the person's earliest dose still to give today,
// to order people of the same urgency; zero when none.
func (p ShiftPerson) firstDue() time.Time {
	var first time.Time
	for _, r := range p.Medicines {
		for _, sl := range r.Slots {
			if first.IsZero() || sl.At.Before(first) {
				first = sl.At
			}
		}
	}
	return first
}

// NothingDue reports whether nothing is due for anyone on the shift: no
// dose due, late or missed, and no alert.
func (sh Shift) NothingDue() bool {
	for _, p := range sh.People {
		if p.Urgency() != UrgencyNone {
			return false
		}
	}
	return true
}

// orderByUrgency puts the most urgent first: overdue, due, alerts, then
// everyone else; within each, the earliest dose first, then by name (the
// order the people were read in).
func orderByUrgency(ps []ShiftPerson) {
	sort.SliceStable(ps, func(i, j int) bool {
		ui, uj := ps[i].Urgency(), ps[j].Urgency()
		if ui != uj {
			return ui > uj
		}
		fi, fj := ps[i].firstDue(), ps[j].firstDue()
		if !fi.Equal(fj) && !fi.IsZero() && !fj.IsZero() {
			return fi.Before(fj)
		}
		return false
	})
}

// Shift is a care worker's 'my shift' page: the people on their care team,
// today's visits assigned to them, medicines due or overdue, and alerts.
type Shift struct {
	Now       time.Time
	People    []ShiftPerson
	Visits    []Visit
	Locations []people.Location // where the actor holds a location-wide role
	DueCount  int
}

// MyShift reads the actor's shift in one scope. Choosing the people is a
// query (audited as such); each person shown is decided alone and audited as
// a read, and their medicines as a second read. also runs in the same scope
// with the people shown (the web adds the technology needing attention,
// which this package cannot import).
func (s *Service) MyShift(ctx context.Context, actor door.Actor, also ...func(sc *door.Scope, personIDs []string) error) (Shift, error) {
	var sh Shift
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Patient", Detail: "my shift"})
		if err != nil {
			return err
		}
		now := sc.Now()
		sh.Now = now
		// My shift is the people whose care team I am on (not everyone I
		// could reach through a location role or break-glass).
		// Nor anyone whose care has ended: their record is kept, read-only.
		ids, err := sc.IDs(`SELECT p.id FROM people p WHERE p.id IN (SELECT person_id FROM care_team WHERE user_id = ?
			AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)) AND p.ended_at IS NULL
			ORDER BY p.family_name, p.given_name, p.id`, actor.ID, now, now)
		if err != nil {
			return err
		}
		purpose := people.Purpose(actor)
		allowed, err := sc.AllowEach(door.Request{Action: access.ReadRecord, Purpose: purpose, ResourceType: "Patient", Detail: "my shift"}, ids)
		if err != nil {
			return err
		}
		meds, err := sc.AllowEach(door.Request{Action: access.ReadMedicines, Purpose: purpose, ResourceType: "MedicationStatement", Detail: "my shift: medicines due"}, allowed)
		if err != nil {
			return err
		}
		medsOK := map[string]bool{}
		for _, id := range meds {
			medsOK[id] = true
		}
		ok := map[string]bool{}
		for _, id := range allowed {
			ok[id] = true
			sp := ShiftPerson{MedsShown: medsOK[id]}
			if sp.Person, err = people.Load(sc, id); err != nil {
				return err
			}
			if sp.Alerts, err = s.alertsFor(sc, id, now); err != nil {
				return err
			}
			if sp.MedsShown {
				if sp.Medicines, err = dueSlots(sc, id, now); err != nil {
					return err
				}
				for _, r := range sp.Medicines {
					sh.DueCount += len(r.Slots)
				}
			}
			sh.People = append(sh.People, sp)
		}
		orderByUrgency(sh.People)
		if len(allowed) > 0 {
			for _, fn := range also {
				if err := fn(sc, allowed); err != nil {
					return err
				}
			}
		}
		from := ukDayStart(now)
		visits, err := s.loadVisits(sc, `v.assigned_to = ? AND v.window_start >= ? AND v.window_start < ? AND `+visitBeforeCareEnded, now,
			actor.ID, from, ukDayStart(from.Add(26*time.Hour)))
		if err != nil {
			return err
		}
		for _, v := range visits {
			if ok[v.PersonID] {
				sh.Visits = append(sh.Visits, v)
			}
		}
		lrows, err := sc.Query(`SELECT l.id, l.provider_id, l.name, l.kind FROM locations l JOIN staff_locations s ON s.location_id = l.id
			WHERE s.user_id = ? ORDER BY l.name`, actor.ID)
		if err != nil {
			return err
		}
		defer lrows.Close()
		for lrows.Next() {
			var l people.Location
			if err := lrows.Scan(&l.ID, &l.ProviderID, &l.Name, &l.Kind); err != nil {
				return err
			}
			if actor.Role.Info().LocationWide {
				sh.Locations = append(sh.Locations, l)
			}
		}
		q.Detail = fmt.Sprintf("my shift: %d people", len(sh.People))
		return lrows.Err()
	})
	return sh, err
}
