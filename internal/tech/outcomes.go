package tech

import (
	"context"
	"fmt"
	"math"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// MeasureSummary is one measure's figures for a group.
type MeasureSummary struct {
	Name    string
	Unit    string
	Mean    float64
	Records int
	// Suppressed: not shown, because fewer than MinGroup people have it
	// recorded, or because showing it would let a smaller group be worked
	// out from the other figures.
	Suppressed bool
}

// GroupRow is one group of one characteristic in the outcome report.
type GroupRow struct {
	Characteristic string
	Group          string
	People         int
	Suppressed     bool // not shown: fewer than MinGroup people, or it would give a smaller group away
	Measures       []MeasureSummary
}

// OutcomeQuery is what an outcome report is asked for: a technology, and
// optionally one location.
type OutcomeQuery struct {
	TechnologyID string
	LocationID   string
}

// OutcomeReport is a technology's outcomes and experience, overall and
// broken down by protected characteristics (NHS principles 3 and 8).
type OutcomeReport struct {
	Technology Technology
	Location   people.Location // empty: every location
	MinGroup   int
	People     int
	// PeopleSuppressed: fewer than MinGroup people use it, so neither the
	// count nor any figure is shown.
	PeopleSuppressed bool
	Overall          []MeasureSummary
	Rows             []GroupRow
	Flagged          int      // people with a recorded trauma history or paranoia (0 when under MinGroup and no names may be shown)
	FlaggedFew       bool     // some, but fewer than MinGroup: the number is not shown
	Attention        []string // their names, for readers who may see them
	Locations        []people.Location
}

// Outcomes reports a technology's outcome measures at every location.
func (s *Service) Outcomes(ctx context.Context, actor door.Actor, technologyID string) (OutcomeReport, error) {
	return s.OutcomesFor(ctx, actor, OutcomeQuery{TechnologyID: technologyID})
}

// OutcomesFor reports a technology's outcome measures (ViewGovernance),
// overall and by protected characteristic, for every location or one. No
// figure is shown that comes from fewer than MinGroup people or that would
// let a smaller group be worked out by adding and subtracting the figures
// shown (see protect), including the figures of the report for every
// location when one location is asked for. A query that cannot be answered
// without that is refused, naming the location and the rule.
func (s *Service) OutcomesFor(ctx context.Context, actor door.Actor, q OutcomeQuery) (OutcomeReport, error) {
	rep := OutcomeReport{MinGroup: s.MinGroup}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ViewGovernance, Purpose: access.Governance, ResourceType: "Observation",
			ResourceID: q.TechnologyID, Detail: "technology outcomes report"})
		if err != nil {
			return err
		}
		if rep.Technology, err = loadTechnology(sc, q.TechnologyID); err != nil {
			return err
		}
		if rep.Locations, err = locations(sc); err != nil {
			return err
		}
		if q.LocationID != "" {
			if !hearth.ValidID(q.LocationID) {
				return hearth.Invalid("Location", "Choose a location from the list")
			}
			if rep.Location, err = locationOf(sc, q.LocationID); err != nil {
				return hearth.Invalid("Location", "Choose a location from the list")
			}
		}
		obs, err := outcomesOf(sc, `WHERE o.technology_id = ? ORDER BY o.observed_on`, q.TechnologyID)
		if err != nil {
			return err
		}
		// Names only for people the reader has a relationship with.
		reach, args := sc.Reach("p.id", "p.location_id")
		rows, err := sc.Query(`SELECT DISTINCT u.person_id, p.location_id, CASE WHEN `+reach+` THEN p.given_name || ' ' || p.family_name ELSE '' END
			FROM tech_uses u JOIN people p ON p.id = u.person_id WHERE u.technology_id = ? ORDER BY 1`, append(args, q.TechnologyID)...)
		if err != nil {
			return err
		}
		names := map[string]string{}
		var in population
		for rows.Next() {
			var id, loc, name string
			if err := rows.Scan(&id, &loc, &name); err != nil {
				rows.Close()
				return err
			}
			names[id] = name
			in.ids = append(in.ids, id)
			in.location = append(in.location, loc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		in.profiles = map[string]Profile{}
		var flagged []string
		for _, id := range in.ids {
			p, err := loadProfile(sc, id)
			if err != nil {
				return err
			}
			in.profiles[id] = p
			if p.Flagged() && (q.LocationID == "" || in.locationOf(id) == q.LocationID) {
				flagged = append(flagged, id)
			}
		}
		var named []string
		for _, id := range flagged {
			if names[id] != "" {
				named = append(named, id)
			}
		}
		allowed, err := sc.AllowEach(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(actor), ResourceType: "DeviceUseStatement",
			Detail: "technology outcomes report: attention flag"}, named)
		if err != nil {
			return err
		}
		for _, id := range allowed {
			rep.Attention = append(rep.Attention, names[id])
		}
		rep.Flagged = len(flagged)
		if rep.Flagged > 0 && rep.Flagged < s.MinGroup {
			rep.Flagged, rep.FlaggedFew = 0, true
		}
		t := tabulate(rep.Technology, in, obs, q.LocationID, s.MinGroup)
		if !t.ok {
			return hearth.Invalid("Location", fmt.Sprintf("A report for %s alone cannot be shown: with the report for every location it would let a group of fewer than %d people be worked out. Choose every location.",
				rep.Location.Name, s.MinGroup))
		}
		rep.People, rep.PeopleSuppressed, rep.Overall, rep.Rows = t.people, t.peopleHidden, t.overall, t.rows
		a.Detail = fmt.Sprintf("technology outcomes report for %s: %d people, nothing from fewer than %d shown", rep.Technology.Name, len(t.chosen), s.MinGroup)
		if q.LocationID != "" {
			a.Detail += " (" + rep.Location.Name + ")"
		}
		return nil
	})
	return rep, err
}

// population is everyone who has used a technology, with their profiles.
type population struct {
	ids      []string
	location []string
	profiles map[string]Profile
}

func (p population) locationOf(id string) string {
	for i, x := range p.ids {
		if x == id {
			return p.location[i]
		}
	}
	return ""
}

// table is a tabulated outcome report.
type table struct {
	ok           bool
	people       int
	peopleHidden bool
	overall      []MeasureSummary
	rows         []GroupRow
	chosen       []string
	cells        [][]cell // per layer (0: people, then each measure): for the tests
	groups       []groupKey
}

type groupKey struct{ char, group string }

// tabulate builds the report for the people at location (empty: every
// location), protecting it with protect. A location report is protected
// together with the report for every location as published (fixed), so
// that the difference between the two gives nothing away.
func tabulate(t Technology, in population, obs []Outcome, location string, min int) table {
	var whole *table
	if location != "" {
		w := tabulate(t, in, obs, "", min)
		whole = &w
	}
	n := len(in.ids)
	chosen := make([]bool, n)
	var out table
	for i, id := range in.ids {
		chosen[i] = location == "" || in.location[i] == location
		if chosen[i] {
			out.chosen = append(out.chosen, id)
		}
	}
	// The groups, in order, each a set over the population.
	var groups [][]bool
	var families []int
	for ci, c := range Characteristics {
		for _, g := range append(append([]string{}, c.Options...), PreferNotToSay, "") {
			set := make([]bool, n)
			any := false
			for i, id := range in.ids {
				if chosen[i] && in.profiles[id].Values[c.Key] == g {
					set[i], any = true, true
				}
			}
			if !any {
				continue
			}
			groups = append(groups, set)
			families = append(families, ci)
			out.groups = append(out.groups, groupKey{c.Title, g})
		}
	}
	// Layer 0 is people; each measure's layer is the people who have it
	// recorded. Cell 0 is the total; cells 1.. the groups.
	layers := []func(i int) bool{func(int) bool { return true }}
	for _, m := range t.Measures {
		has := map[string]bool{}
		for _, o := range obs {
			if o.Measure == m.Key {
				has[o.PersonID] = true
			}
		}
		layers = append(layers, func(i int) bool { return has[in.ids[i]] })
	}
	for li, member := range layers {
		cs := make([]cell, 0, 1+len(groups))
		total := make([]bool, n)
		for i := range total {
			total[i] = chosen[i] && member(i)
		}
		cs = append(cs, newCell(total, -1, 0))
		for gi, g := range groups {
			set := make([]bool, n)
			for i := range set {
				set[i] = g[i] && member(i)
			}
			c := newCell(set, families[gi], 0)
			if li > 0 && out.cells[0][1+gi].hidden {
				c.hidden = true // a group whose people are not shown shows no outcome either
			}
			cs = append(cs, c)
		}
		mine := len(cs)
		if whole != nil {
			for _, c := range whole.cells[li] {
				c.fixed, c.total = true, c.total+mine
				if c.family >= 0 {
					c.family += len(Characteristics) // its own families
				}
				cs = append(cs, c)
			}
		}
		if !protect(cs, min) {
			return table{}
		}
		out.cells = append(out.cells, cs[:mine])
	}
	// A report for one location whose own total must be hidden (too few
	// people there, or too few elsewhere) would only give people away.
	out.ok = location == "" || !out.cells[0][0].hidden
	out.people, out.peopleHidden = out.cells[0][0].size, out.cells[0][0].hidden
	if out.peopleHidden {
		out.people = 0
	}
	summary := func(li int, c cell) MeasureSummary {
		m := t.Measures[li-1]
		ms := MeasureSummary{Name: m.Name, Unit: m.Unit, Suppressed: c.hidden}
		if c.hidden {
			return ms
		}
		sum := 0.0
		for i, in2 := range c.in {
			if !in2 {
				continue
			}
			for _, o := range obs {
				if o.Measure == m.Key && o.PersonID == in.ids[i] {
					sum += o.Value
					ms.Records++
				}
			}
		}
		if ms.Records > 0 {
			ms.Mean = math.Round(sum/float64(ms.Records)*10) / 10
		}
		return ms
	}
	for li := 1; li < len(out.cells); li++ {
		out.overall = append(out.overall, summary(li, out.cells[li][0]))
	}
	for gi, g := range out.groups {
		row := GroupRow{Characteristic: g.char, Group: AnswerTitle(g.group), People: out.cells[0][1+gi].size, Suppressed: out.cells[0][1+gi].hidden}
		if row.Suppressed {
			row.People = 0 // not even the count of a hidden group is shown
		} else {
			for li := 1; li < len(out.cells); li++ {
				row.Measures = append(row.Measures, summary(li, out.cells[li][1+gi]))
			}
		}
		out.rows = append(out.rows, row)
	}
	return out
}
