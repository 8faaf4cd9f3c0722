package people

// Moves and endings: a person moves to another location (where they have
// been is kept, placement by placement), their care ends (the record stays,
// read-only except for corrections, with the end date kept for the
// retention schedule), and the staff on their care team come and go with
// dates. Each is a ManagePeople decision about the person, audited.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// EndOfCare is how and when someone's care ended.
type EndOfCare struct {
	Reason     string    // one of EndReasons' values
	On         time.Time // the day care ended
	Note       string
	RecordedAt time.Time // when it was recorded; zero while care goes on
}

// EndReasons are why care ends.
var EndReasons = []Choice{
	{"discharged", "Discharged"},
	{"died", "Died"},
	{"moved-provider", "Moved to another provider"},
	{"care-ended", "Care ended"},
}

// ReasonTitle is why care ended, in words.
func (e EndOfCare) ReasonTitle() string { return choiceTitle(EndReasons, e.Reason) }

// EndCare records that a person's care has ended. From then on their
// record is read-only except for corrections (access.Decide refuses every
// other change, whoever asks), they leave every shift, visit and
// people list, their current placement ends and so do their care-team
// memberships, so only the location's managers, the information governance
// lead and the person (and their representatives, as their authority
// allows) still see the record. Nothing is deleted: the end date is kept
// for the retention schedule. Ending care twice is refused.
func (s *Service) EndCare(ctx context.Context, actor door.Actor, personID string, e EndOfCare) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManagePeople, Purpose: access.DirectCare, PersonID: personID,
			ResourceType: "EpisodeOfCare", Detail: "care ended"})
		if err != nil {
			return err
		}
		p, err := Load(sc, personID)
		if err != nil {
			return err
		}
		now := sc.Now()
		e.Note = strings.TrimSpace(e.Note)
		var pr hearth.Problems
		pr.Check(validChoice(EndReasons, e.Reason), "Reason", "Choose why care ended: discharged, died, moved to another provider, or care ended")
		switch {
		case e.On.IsZero():
			pr.Add("Date care ended", "Enter the date care ended")
		case e.On.After(now):
			pr.Add("Date care ended", "Date care ended must be today or in the past")
		case e.On.Before(p.DateOfBirth) || (!p.CareStartsOn.IsZero() && e.On.Before(p.CareStartsOn)):
			pr.Add("Date care ended", "Date care ended must be after care started")
		}
		pr.Check(utf8.RuneCountInString(e.Note) <= 1000, "Note", "Note must be 1000 characters or fewer")
		if err := pr.Err(); err != nil {
			return err
		}
		res, err := sc.Exec(`UPDATE people SET care_ended_on = ?, end_reason = ?, end_note = ?, ended_at = ?, ended_by = ?
			WHERE id = ? AND ended_at IS NULL`, day(e.On), e.Reason, e.Note, now, actor.ID, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hearth.Errorf(hearth.KindConflict, "%s's care has already ended", p.FullName())
		}
		if err := endPlacement(sc, p, now, "care ended"); err != nil {
			return err
		}
		team, err := sc.Exec(`UPDATE care_team SET ends_at = ? WHERE person_id = ? AND (ends_at IS NULL OR ends_at > ?)`, now, personID, now)
		if err != nil {
			return err
		}
		ended, _ := team.RowsAffected()
		a.ResourceID = personID
		a.Detail = fmt.Sprintf("care ended (%s) on %s; %s ended", strings.ToLower(e.ReasonTitle()), e.On.Format("2 January 2006"),
			plural(int(ended), "care-team membership", "care-team memberships"))
		return nil
	})
}

// endPlacement closes the person's current placement at t, first recording
// the one they had before placements were kept, if need be.
func endPlacement(sc *door.Scope, p Person, t time.Time, why string) error {
	res, err := sc.Exec(`UPDATE person_placements SET ends_at = ? WHERE person_id = ? AND ends_at IS NULL`, t, p.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	from := p.CreatedAt
	if !p.CareStartsOn.IsZero() {
		from = p.CareStartsOn
	}
	_, err = sc.Exec(`INSERT INTO person_placements (id, person_id, location_id, starts_at, ends_at, reason, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, hearth.NewID(), p.ID, p.LocationID, from, t, why, sc.Actor().ID)
	return err
}

// Transfer moves a person to another open location now, keeping where they
// were. Whoever moves them must manage both locations: two decisions, each
// audited in the person's history.
func (s *Service) Transfer(ctx context.Context, actor door.Actor, personID, toLocationID, reason string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManagePeople, Purpose: access.DirectCare, PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "moved to another location"})
		if err != nil {
			return err
		}
		p, err := Load(sc, personID)
		if err != nil {
			return err
		}
		reason = strings.TrimSpace(reason)
		var pr hearth.Problems
		pr.Check(toLocationID != "", "New location", "Choose where they are moving to")
		pr.Check(toLocationID == "" || toLocationID != p.LocationID, "New location", "Choose a location other than the one they are at")
		pr.Check(utf8.RuneCountInString(reason) <= 500, "Reason", "Reason must be 500 characters or fewer")
		if err := pr.Err(); err != nil {
			return err
		}
		if !hearth.ValidID(toLocationID) {
			return hearth.Invalid("New location", "Choose a location that exists")
		}
		if err := checkOpenLocation(sc, toLocationID, "New location"); err != nil {
			return err
		}
		into, err := sc.Allow(door.Request{Action: access.ManagePeople, Purpose: access.DirectCare, LocationID: toLocationID,
			ResourceType: "Location", ResourceID: toLocationID, Detail: "moving someone here"})
		if door.IsDenial(err) {
			return hearth.Invalid("New location", "You can only move people to a location you manage")
		}
		if err != nil {
			return err
		}
		into.PersonID = personID
		var toName string
		if err := sc.QueryRow(`SELECT name FROM locations WHERE id = ?`, toLocationID).Scan(&toName); err != nil {
			return err
		}
		now := sc.Now()
		if err := endPlacement(sc, p, now, "moved to "+toName); err != nil {
			return err
		}
		if _, err := sc.Exec(`INSERT INTO person_placements (id, person_id, location_id, starts_at, reason, created_by)
			VALUES (?, ?, ?, ?, ?, ?)`, hearth.NewID(), personID, toLocationID, now, reason, actor.ID); err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE people SET location_id = ? WHERE id = ?`, toLocationID, personID); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("moved from %s to %s", p.LocationName, toName)
		if reason != "" {
			a.Detail += ": " + reason
		}
		return nil
	})
}

// Placement is where a person was placed, from when to when.
type Placement struct {
	LocationID, LocationName string
	StartsAt, EndsAt         time.Time // EndsAt zero: current
	Reason                   string
}

// Placements reads where a person has been placed, newest first, inside a
// scope that has allowed access to them.
func Placements(sc *door.Scope, personID string) ([]Placement, error) {
	if err := sc.Require(personID); err != nil {
		return nil, err
	}
	rows, err := sc.Query(`SELECT pl.location_id, l.name, pl.starts_at, pl.ends_at, pl.reason FROM person_placements pl
		JOIN locations l ON l.id = pl.location_id WHERE pl.person_id = ? ORDER BY pl.starts_at DESC, pl.id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Placement
	for rows.Next() {
		var pl Placement
		var ends sql.NullTime
		if err := rows.Scan(&pl.LocationID, &pl.LocationName, &pl.StartsAt, &ends, &pl.Reason); err != nil {
			return nil, err
		}
		if ends.Valid {
			pl.EndsAt = ends.Time
		}
		out = append(out, pl)
	}
	return out, rows.Err()
}

// EndCareTeam ends a care-team membership at ends (now when zero).
func (s *Service) EndCareTeam(ctx context.Context, actor door.Actor, personID, memberID string, ends time.Time) error {
	return s.door.Do(ctx, actor, door.Request{Action: access.ManagePeople, Purpose: access.DirectCare, PersonID: personID,
		ResourceType: "CareTeam", ResourceID: memberID, Detail: "care team membership ended"}, func(sc *door.Scope, a *door.Access) error {
		if !hearth.ValidID(memberID) {
			return hearth.NotFound("That care team membership")
		}
		var starts time.Time
		var ended sql.NullTime
		var name string
		err := sc.QueryRow(`SELECT c.starts_at, c.ends_at, u.display_name FROM care_team c JOIN users u ON u.id = c.user_id
			WHERE c.id = ? AND c.person_id = ?`, memberID, personID).Scan(&starts, &ended, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return hearth.NotFound("That care team membership")
		}
		if err != nil {
			return err
		}
		now := sc.Now()
		if ends.IsZero() {
			ends = now
		}
		if ended.Valid && !ended.Time.After(now) {
			return hearth.Errorf(hearth.KindConflict, "%s's membership has already ended", name)
		}
		if ends.Before(starts) {
			return hearth.Invalid("End", "The end must not be before the start")
		}
		if _, err := sc.Exec(`UPDATE care_team SET ends_at = ? WHERE id = ?`, ends, memberID); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("%s's care team membership ends %s", name, ends.Format("2 January 2006"))
		return nil
	})
}

// StaffOption is a member of staff who can be put on a care team.
type StaffOption struct {
	ID, Name string
	Role     access.Role
}

// staffOptions lists active staff, by name, for the care-team form.
func staffOptions(sc *door.Scope) ([]StaffOption, error) {
	rows, err := sc.Query(`SELECT id, display_name, role FROM users WHERE kind = 'staff' AND disabled_at IS NULL ORDER BY display_name, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StaffOption
	for rows.Next() {
		var o StaffOption
		var role string
		if err := rows.Scan(&o.ID, &o.Name, &role); err != nil {
			return nil, err
		}
		o.Role = access.ParseRole(role)
		out = append(out, o)
	}
	return out, rows.Err()
}

// PersonTeam is one person and their current care team.
type PersonTeam struct {
	Person  Person
	Members []TeamMember
}

// LocationTeams is who is on which care team at one location, a page at a
// time.
type LocationTeams struct {
	Location Location
	People   []PersonTeam
	Total    int
	Offset   int
	Limit    int
}

// TeamsAt reads the current care teams of the people placed at a location
// (whose care goes on) that the actor may see, a page at a time: a list,
// audited as a query, each person on it decided and audited.
func (s *Service) TeamsAt(ctx context.Context, actor door.Actor, locationID string, offset, limit int) (LocationTeams, error) {
	lt := LocationTeams{Offset: max(offset, 0), Limit: limit}
	if lt.Limit <= 0 || lt.Limit > MaxPage {
		lt.Limit = 20
	}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: Purpose(actor), ResourceType: "CareTeam",
			Detail: "care teams at a location"})
		if err != nil {
			return err
		}
		if !hearth.ValidID(locationID) {
			return hearth.NotFound("That location")
		}
		locs, err := queryLocations(sc, `l.id = ?`, locationID)
		if err != nil {
			return err
		}
		if len(locs) == 0 {
			return hearth.NotFound("That location")
		}
		lt.Location = locs[0]
		reach, args := sc.Reach("p.id", "p.location_id")
		where := `p.location_id = ? AND p.ended_at IS NULL AND ` + reach
		args = append([]any{locationID}, args...)
		if err := sc.QueryRow(`SELECT COUNT(*) FROM people p WHERE `+where, args...).Scan(&lt.Total); err != nil {
			return err
		}
		candidates, err := queryPeople(sc, `SELECT `+personColumns+` FROM people p JOIN locations l ON l.id = p.location_id WHERE `+where+`
			ORDER BY p.family_name, p.given_name, p.id LIMIT ? OFFSET ?`, append(args, lt.Limit, lt.Offset)...)
		if err != nil {
			return err
		}
		kept, err := door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: Purpose(actor), ResourceType: "CareTeam",
			Detail: "care teams at a location"}, candidates, func(p Person) string { return p.ID })
		if err != nil {
			return err
		}
		now := sc.Now()
		for _, p := range kept {
			team, err := Team(sc, p.ID)
			if err != nil {
				return err
			}
			pt := PersonTeam{Person: p}
			for _, m := range team {
				if !m.StartsAt.After(now) && (m.EndsAt.IsZero() || m.EndsAt.After(now)) {
					pt.Members = append(pt.Members, m)
				}
			}
			lt.People = append(lt.People, pt)
		}
		q.Detail = fmt.Sprintf("care teams at %s: %d people, showing %d", lt.Location.Name, lt.Total, len(lt.People))
		return nil
	})
	return lt, err
}

// AdmissionChoices lists the open locations the actor may admit people to:
// a registered manager's own. Asking is audited as a provider-level query;
// each admission is decided against its location when it is made.
func (s *Service) AdmissionChoices(ctx context.Context, actor door.Actor) ([]Location, error) {
	var out []Location
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: Purpose(actor), ResourceType: "Location",
			Detail: "locations to admit people to"}); err != nil {
			return err
		}
		info := actor.Role.Info()
		if actor.Kind != access.KindStaff || !info.LocationWide || !info.Permissions.Has(access.ManagePeople) {
			return nil
		}
		var err error
		out, err = queryLocations(sc, `l.closed_at IS NULL AND l.id IN (SELECT location_id FROM staff_locations WHERE user_id = ?)`, actor.ID)
		return err
	})
	return out, err
}
