package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

const (
	maxPurpose = 200
	maxReason  = 1000
)

// Grant is one inspector's read-only access to the people at some locations.
type Grant struct {
	ID            string
	InspectorID   string
	InspectorName string
	Purpose       string // why, in the lead's words: "CQC inspection of Rowan House"
	Locations     []Location
	StartsAt      time.Time
	EndsAt        time.Time
	EndedAt       time.Time // zero unless ended early
	EndedBy       string    // who ended it early, by name
	EndReason     string
	GrantedBy     string // by name
	CreatedAt     time.Time
}

// Location is a location a grant covers.
type Location struct {
	ID, Name string
}

// Until is when the access stops: its end, or when it was ended early.
func (g Grant) Until() time.Time {
	if !g.EndedAt.IsZero() && g.EndedAt.Before(g.EndsAt) {
		return g.EndedAt
	}
	return g.EndsAt
}

// Status is where a grant is in its life.
type Status int

const (
	Scheduled Status = iota + 1 // not started yet
	Active                      // the inspector may read now
	Expired                     // ran to its end
	Ended                       // ended early (or cancelled before it started)
)

var statusNames = map[Status]string{Scheduled: "scheduled", Active: "active", Expired: "expired", Ended: "ended"}

func (s Status) String() string { return statusNames[s] }

// Status says where the grant is at now, by the same rule the door applies
// when it loads the grant as a fact.
func (g Grant) Status(now time.Time) Status {
	switch {
	case !g.EndedAt.IsZero() && !now.Before(g.EndedAt):
		return Ended
	case !now.Before(g.EndsAt):
		return Expired
	case now.Before(g.StartsAt):
		return Scheduled
	}
	return Active
}

// Current reports whether the grant is active or still to come.
func (g Grant) Current(now time.Time) bool {
	st := g.Status(now)
	return st == Active || st == Scheduled
}

// LocationNames lists the grant's locations for a sentence.
func (g Grant) LocationNames() string {
	names := make([]string, len(g.Locations))
	for i, l := range g.Locations {
		names[i] = l.Name
	}
	return strings.Join(names, ", ")
}

// NewGrant is what granting an inspection needs.
type NewGrant struct {
	InspectorID string
	LocationIDs []string
	Purpose     string
	StartsAt    time.Time
	EndsAt      time.Time
}

// inspectionRequest is the provider-level decision behind every change to
// and every look at the grants.
func inspectionRequest(id, detail string) door.Request {
	return door.Request{Action: access.ManageInspections, Purpose: access.Governance, ResourceType: "InspectionGrant",
		ResourceID: id, Detail: detail}
}

// Grant gives an inspector read-only access to the people at the chosen
// locations, from StartsAt to EndsAt. Only the information governance lead
// may (ManageInspections). Every rule broken is reported at once, by field;
// nothing is stored unless all hold.
func (s *Service) Grant(ctx context.Context, actor door.Actor, n NewGrant) (Grant, error) {
	var g Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(inspectionRequest("", "inspection grant"))
		if err != nil {
			return err
		}
		var p hearth.Problems
		name, err := checkInspector(sc, n.InspectorID, &p)
		if err != nil {
			return err
		}
		locations, err := checkLocations(sc, n.LocationIDs, &p)
		if err != nil {
			return err
		}
		purpose := strings.TrimSpace(n.Purpose)
		p.Check(purpose != "", "Purpose", "Say what the inspection is for, such as 'CQC inspection of Rowan House'")
		p.Check(utf8.RuneCountInString(purpose) <= maxPurpose, "Purpose", fmt.Sprintf("Purpose must be %d characters or fewer", maxPurpose))
		starts, ends := s.checkPeriod(sc.Now(), n.StartsAt, n.EndsAt, &p)
		if err := p.Err(); err != nil {
			return err
		}

		now := sc.Now()
		g = Grant{ID: hearth.NewID(), InspectorID: n.InspectorID, InspectorName: name, Purpose: purpose, Locations: locations,
			StartsAt: starts, EndsAt: ends, GrantedBy: actor.Name, CreatedAt: now}
		if _, err := sc.Exec(`INSERT INTO inspection_grants (id, inspector_id, purpose, starts_at, ends_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, g.ID, g.InspectorID, g.Purpose, g.StartsAt, g.EndsAt, actor.ID, now); err != nil {
			return fmt.Errorf("governance: grant inspection: %w", err)
		}
		for _, l := range locations {
			if _, err := sc.Exec(`INSERT INTO inspection_grant_locations (grant_id, location_id) VALUES (?, ?)`, g.ID, l.ID); err != nil {
				return fmt.Errorf("governance: grant inspection: %w", err)
			}
		}
		a.ResourceID = g.ID
		a.Detail = fmt.Sprintf("granted %s read-only inspection of %s from %s to %s: %s", name, g.LocationNames(),
			g.StartsAt.UTC().Format(time.RFC3339), g.EndsAt.UTC().Format(time.RFC3339), purpose)
		return nil
	})
	return g, err
}

// checkInspector checks the grant names an enabled inspector's account,
// returning its name.
func checkInspector(sc *door.Scope, id string, p *hearth.Problems) (string, error) {
	if strings.TrimSpace(id) == "" {
		p.Add("Inspector", "Choose the inspector")
		return "", nil
	}
	var name, kind string
	var disabled sql.NullTime
	err := sql.ErrNoRows
	if hearth.ValidID(id) {
		err = sc.QueryRow(`SELECT display_name, kind, disabled_at FROM users WHERE id = ?`, id).Scan(&name, &kind, &disabled)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		p.Add("Inspector", "Choose an inspector who has an account in Hearth")
	case err != nil:
		return "", fmt.Errorf("governance: load inspector: %w", err)
	case access.ParseKind(kind) != access.KindInspector:
		p.Add("Inspector", "Only an inspector's account can be given inspection access")
	case disabled.Valid:
		p.Add("Inspector", "That inspector's account is disabled")
	}
	return name, nil
}

// checkLocations checks there is at least one location and that each
// exists, returning them by name.
func checkLocations(sc *door.Scope, ids []string, p *hearth.Problems) ([]Location, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		p.Add("Locations", "Choose at least one location")
		return nil, nil
	}
	all, err := people.ListLocations(sc)
	if err != nil {
		return nil, fmt.Errorf("governance: load locations: %w", err)
	}
	var out []Location
	for _, l := range all {
		if slices.Contains(ids, l.ID) {
			out = append(out, Location{ID: l.ID, Name: l.Name})
		}
	}
	p.Check(len(out) == len(ids), "Locations", "Choose locations that exist")
	return out, nil
}

// checkPeriod checks the grant's start and end, returning them as stored.
// A start within the current minute counts as now: forms give minutes, so
// "now" typed on the form is up to a minute behind the clock.
func (s *Service) checkPeriod(now, starts, ends time.Time, p *hearth.Problems) (time.Time, time.Time) {
	switch {
	case starts.IsZero():
		p.Add("Start", "Enter when the inspection access starts")
	case starts.Before(now.Truncate(time.Minute)):
		p.Add("Start", "The start must not be in the past")
	case starts.Before(now):
		starts = now
	}
	switch {
	case ends.IsZero():
		p.Add("End", "Enter when the inspection access ends")
	case starts.IsZero():
	case !ends.After(starts):
		p.Add("End", "The end must be after the start")
	case ends.Sub(starts) < MinInspection:
		p.Add("End", "Inspection access must last at least "+Words(MinInspection))
	case ends.Sub(starts) > s.max:
		p.Add("End", "Inspection access can last at most "+Words(s.max))
	}
	return starts.UTC(), ends.UTC()
}

// Words says a duration as a person would: "14 days", "1 hour", "36 hours".
func Words(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(int64(d/time.Minute), "minute")
}

// End ends a grant at once, with the lead's reason: the inspector's next
// request is refused. A grant that has already ended, early or by itself,
// cannot be ended again.
func (s *Service) End(ctx context.Context, actor door.Actor, grantID, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	var g Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(inspectionRequest(grantID, "inspection ended early: "+reason))
		if err != nil {
			return err
		}
		if g, err = loadGrant(sc, grantID); err != nil {
			return err
		}
		var p hearth.Problems
		p.Check(reason != "", "Reason", "Say why the inspection access is ending now, such as 'Site visit finished early'")
		p.Check(utf8.RuneCountInString(reason) <= maxReason, "Reason", fmt.Sprintf("Reason must be %d characters or fewer", maxReason))
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		switch g.Status(now) {
		case Ended:
			return alreadyEnded(g)
		case Expired:
			return hearth.Errorf(hearth.KindConflict, "This inspection access has already run to its end")
		}
		// The condition makes a second, concurrent end change nothing, on
		// either engine, rather than overwrite the first one's reason.
		res, err := sc.Exec(`UPDATE inspection_grants SET ended_at = ?, ended_by = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`,
			now, actor.ID, reason, g.ID)
		if err != nil {
			return fmt.Errorf("governance: end inspection: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if g, err = loadGrant(sc, grantID); err != nil {
				return err
			}
			return alreadyEnded(g)
		}
		g.EndedAt, g.EndedBy, g.EndReason = now, actor.Name, reason
		a.Detail = fmt.Sprintf("ended %s's read-only inspection of %s early: %s", g.InspectorName, g.LocationNames(), reason)
		return nil
	})
	return g, err
}

func alreadyEnded(g Grant) error {
	if g.EndedBy != "" {
		return hearth.Errorf(hearth.KindConflict, "This inspection access was already ended by %s", g.EndedBy)
	}
	return hearth.Errorf(hearth.KindConflict, "This inspection access has already ended")
}

// Get returns one grant, for the information governance lead.
func (s *Service) Get(ctx context.Context, actor door.Actor, grantID string) (Grant, error) {
	var g Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(inspectionRequest(grantID, "inspection grant read")); err != nil {
			return err
		}
		var err error
		g, err = loadGrant(sc, grantID)
		return err
	})
	return g, err
}

// List returns every grant, current and past, for the information
// governance lead to review: those active or still to come first, soonest
// to start first; then those over, most recently over first.
func (s *Service) List(ctx context.Context, actor door.Actor) ([]Grant, error) {
	var out []Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(inspectionRequest("", "inspection grants listed"))
		if err != nil {
			return err
		}
		if out, err = grants(sc, "", nil); err != nil {
			return err
		}
		sortGrants(out, sc.Now())
		a.Detail = fmt.Sprintf("listed %d inspection grants", len(out))
		return nil
	})
	return out, err
}

// Mine returns the inspector's own grants, current first, so their home
// page can say until when they may read, or that their access has ended.
// It reads nothing for anyone else.
func (s *Service) Mine(ctx context.Context, actor door.Actor) ([]Grant, error) {
	if actor.Kind != access.KindInspector {
		return nil, nil
	}
	var out []Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewGovernance, Purpose: access.Inspection, ResourceType: "InspectionGrant",
			Detail: "own inspection access"}); err != nil {
			return err
		}
		var err error
		if out, err = grants(sc, "g.inspector_id = ?", []any{actor.ID}); err != nil {
			return err
		}
		sortGrants(out, sc.Now())
		return nil
	})
	return out, err
}

func sortGrants(gs []Grant, now time.Time) {
	slices.SortStableFunc(gs, func(a, b Grant) int {
		ca, cb := a.Current(now), b.Current(now)
		switch {
		case ca && !cb:
			return -1
		case cb && !ca:
			return 1
		case ca:
			return a.StartsAt.Compare(b.StartsAt)
		}
		return b.Until().Compare(a.Until())
	})
}

// Inspector is an inspector's account, as the grant form offers it.
type Inspector struct {
	ID, Name, Username string
}

// Choices are what the grant form offers: the enabled inspector accounts
// and the provider's locations.
type Choices struct {
	Inspectors []Inspector
	Locations  []people.Location
	Max        time.Duration
}

// Choices returns what the grant form offers, for the lead.
func (s *Service) Choices(ctx context.Context, actor door.Actor) (Choices, error) {
	c := Choices{Max: s.max}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(inspectionRequest("", "inspection grant form")); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT id, display_name, username FROM users WHERE kind = 'inspector' AND disabled_at IS NULL
			ORDER BY display_name, username`)
		if err != nil {
			return fmt.Errorf("governance: list inspectors: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var i Inspector
			if err := rows.Scan(&i.ID, &i.Name, &i.Username); err != nil {
				return err
			}
			c.Inspectors = append(c.Inspectors, i)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		c.Locations, err = people.ListLocations(sc)
		return err
	})
	return c, err
}

func loadGrant(sc *door.Scope, id string) (Grant, error) {
	if !hearth.ValidID(id) {
		return Grant{}, hearth.NotFound("That inspection grant")
	}
	gs, err := grants(sc, "g.id = ?", []any{id})
	if err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, hearth.NotFound("That inspection grant")
	}
	return gs[0], nil
}

// grants reads the grants matching where (every grant when empty), with
// their locations.
func grants(sc *door.Scope, where string, args []any) ([]Grant, error) {
	q := `SELECT g.id, g.inspector_id, i.display_name, g.purpose, g.starts_at, g.ends_at, g.ended_at,
		COALESCE(e.display_name, ''), g.end_reason, c.display_name, g.created_at
		FROM inspection_grants g JOIN users i ON i.id = g.inspector_id JOIN users c ON c.id = g.created_by
		LEFT JOIN users e ON e.id = g.ended_by`
	if where != "" {
		q += ` WHERE ` + where
	}
	rows, err := sc.Query(q+` ORDER BY g.starts_at, g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("governance: list inspection grants: %w", err)
	}
	defer rows.Close()
	var out []Grant
	index := map[string]int{}
	for rows.Next() {
		var g Grant
		var ended sql.NullTime
		if err := rows.Scan(&g.ID, &g.InspectorID, &g.InspectorName, &g.Purpose, &g.StartsAt, &g.EndsAt, &ended,
			&g.EndedBy, &g.EndReason, &g.GrantedBy, &g.CreatedAt); err != nil {
			return nil, fmt.Errorf("governance: read inspection grant: %w", err)
		}
		g.StartsAt, g.EndsAt, g.CreatedAt = g.StartsAt.UTC(), g.EndsAt.UTC(), g.CreatedAt.UTC()
		if ended.Valid {
			g.EndedAt = ended.Time.UTC()
		}
		index[g.ID] = len(out)
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	// One query for every grant's locations, not one per grant.
	lq := `SELECT gl.grant_id, l.id, l.name FROM inspection_grant_locations gl JOIN locations l ON l.id = gl.location_id`
	var largs []any
	if where != "" {
		lq += ` WHERE gl.grant_id IN (SELECT g.id FROM inspection_grants g WHERE ` + where + `)`
		largs = args
	}
	lrows, err := sc.Query(lq+` ORDER BY l.name, l.id`, largs...)
	if err != nil {
		return nil, fmt.Errorf("governance: list inspection grant locations: %w", err)
	}
	defer lrows.Close()
	for lrows.Next() {
		var grantID string
		var l Location
		if err := lrows.Scan(&grantID, &l.ID, &l.Name); err != nil {
			return nil, err
		}
		if i, ok := index[grantID]; ok {
			out[i].Locations = append(out[i].Locations, l)
		}
	}
	return out, lrows.Err()
}
