// Package attention is the registered manager's and nurse's "Needs
// attention" overview: for each location and for the provider, how many
// people have something overdue, due or gone wrong, each figure linking to
// the people behind it, and how those figures have moved over weeks and
// months (the quality dashboard).
//
// It owns no nouns of its own. Each figure is a Source, a small function in
// the package that owns the noun (care plans in care, consents in
// consent, technology uses in tech), registered when the application is
// built (app.New). Adding a figure is one line there.
//
// Its invariants: a source sees only people the reader may see (the
// candidates are the reader's Reach, then door.AllowEach with the source's
// action, each an audited read); the count is the number of those people
// the source found, from that same list, so a figure never counts someone
// the reader could not open. CQC "well-led" (seed 004): the system helps the
// provider see risks and act on them.
package attention

import (
	"context"
	"fmt"
	"sort"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Query is what a source is asked: which people (already decided for the
// source's action), and for when. A source about a state (a review
// overdue) answers as of At; a source about events (a missed visit)
// answers for events in [From, At).
type Query struct {
	People []string
	At     time.Time
	From   time.Time
}

// Item is one person behind a figure, with what it is about.
type Item struct {
	PersonID string
	Detail   string // "Care plan 'Eating and drinking': review was due on 3 March 2026"
	Section  string // where on the person's record to act, under /people/{id} (empty: the person page)
}

// Source is one figure on Needs attention.
type Source struct {
	Key    string        // in the URL: /attention/{key}
	Title  string        // "Care plan reviews overdue"
	Group  string        // the heading it is listed under: "Care", "Consent and capacity", "Technology", "People's voice", "Access"
	Action access.Action // what the reader must be permitted for each person
	// Window: the figure counts events over the last Window (missed
	// visits); zero: it is a state at the moment (a review overdue).
	Window time.Duration
	Find   func(sc *door.Scope, q Query) ([]Item, error)
}

// Service runs the registered sources.
type Service struct {
	door    *door.Door
	sources []Source
}

// New returns the service with its sources, in the order they are shown.
func New(d *door.Door, sources ...Source) *Service {
	return &Service{door: d, sources: sources}
}

// Add registers more sources (another package's, at start-up).
func (s *Service) Add(sources ...Source) { s.sources = append(s.sources, sources...) }

// Sources lists the registered sources.
func (s *Service) Sources() []Source { return append([]Source(nil), s.sources...) }

// Figure is one source's count for the provider and each location.
type Figure struct {
	Source
	Total      int
	ByLocation map[string]int
}

// Overview is Needs attention for one reader.
type Overview struct {
	Locations []people.Location // those the reader has anyone at
	Figures   []Figure
	People    int // the people the reader may see, all told
	At        time.Time
}

// candidate is a person within the reader's reach.
type candidate struct {
	id, name, location string
}

// scope reads the reader's candidates and, for each action the sources
// need, which of them the reader may act on (each an audited read).
type scope struct {
	sc       *door.Scope
	people   []candidate
	byID     map[string]candidate
	allowed  map[access.Action][]string
	detail   string
	sources  []Source
	location string
}

func (s *Service) open(sc *door.Scope, sources []Source, detail, location string) (*scope, error) {
	actor := sc.Actor()
	if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Flag", Detail: detail}); err != nil {
		return nil, err
	}
	reach, args := sc.Reach("p.id", "p.location_id")
	where := ` WHERE p.ended_at IS NULL AND ` + reach
	if location != "" {
		where += ` AND p.location_id = ?`
		args = append(args, location)
	}
	rows, err := sc.Query(`SELECT p.id, p.given_name || ' ' || p.family_name, p.location_id FROM people p`+where+` ORDER BY p.family_name, p.given_name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	out := &scope{sc: sc, byID: map[string]candidate{}, allowed: map[access.Action][]string{}, detail: detail, sources: sources}
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.name, &c.location); err != nil {
			rows.Close()
			return nil, err
		}
		out.people = append(out.people, c)
		out.byID[c.id] = c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(out.people))
	for i, c := range out.people {
		ids[i] = c.id
	}
	perms := actor.Role.Info().Permissions
	for _, src := range sources {
		if _, done := out.allowed[src.Action]; done {
			continue
		}
		if actor.Kind != access.KindStaff || !perms.Has(src.Action) {
			out.allowed[src.Action] = nil // the role may not: nobody, and no one is read
			continue
		}
		ok, err := sc.AllowEach(door.Request{Action: src.Action, Purpose: people.Purpose(actor), ResourceType: "Flag", Detail: detail}, ids)
		if err != nil {
			return nil, err
		}
		out.allowed[src.Action] = ok
	}
	return out, nil
}

// find runs one source over the people permitted for it, keeping only
// items about them.
func (o *scope) find(src Source, at, from time.Time) ([]Item, error) {
	ids := o.allowed[src.Action]
	if len(ids) == 0 {
		return nil, nil
	}
	items, err := src.Find(o.sc, Query{People: ids, At: at, From: from})
	if err != nil {
		return nil, fmt.Errorf("needs attention: %s: %w", src.Key, err)
	}
	ok := make(map[string]bool, len(ids))
	for _, id := range ids {
		ok[id] = true
	}
	out := items[:0]
	for _, it := range items {
		if ok[it.PersonID] {
			out = append(out, it)
		}
	}
	return out, nil
}

// count is the number of people an item list is about, in total and by
// location.
func (o *scope) count(items []Item) (int, map[string]int) {
	seen := map[string]bool{}
	by := map[string]int{}
	for _, it := range items {
		if seen[it.PersonID] {
			continue
		}
		seen[it.PersonID] = true
		by[o.byID[it.PersonID].location]++
	}
	return len(seen), by
}

func (s *Service) locationsOf(sc *door.Scope, o *scope) ([]people.Location, error) {
	all, err := people.ListLocations(sc)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, c := range o.people {
		has[c.location] = true
	}
	var out []people.Location
	for _, l := range all {
		if has[l.ID] {
			out = append(out, l)
		}
	}
	return out, nil
}

// Overview counts every source for the reader, now.
func (s *Service) Overview(ctx context.Context, actor door.Actor) (Overview, error) {
	var ov Overview
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		o, err := s.open(sc, s.sources, "needs attention", "")
		if err != nil {
			return err
		}
		ov.At, ov.People = sc.Now(), len(o.people)
		if ov.Locations, err = s.locationsOf(sc, o); err != nil {
			return err
		}
		for _, src := range s.sources {
			items, err := o.find(src, sc.Now(), windowStart(src, sc.Now()))
			if err != nil {
				return err
			}
			f := Figure{Source: src}
			f.Total, f.ByLocation = o.count(items)
			ov.Figures = append(ov.Figures, f)
		}
		return nil
	})
	return ov, err
}

func windowStart(src Source, at time.Time) time.Time {
	if src.Window == 0 {
		return at
	}
	return at.Add(-src.Window)
}

// Person is one person on a figure's list, with what is about them.
type Person struct {
	ID       string
	Name     string
	Location string
	Items    []Item
}

// List is the people behind one figure.
type List struct {
	Source   Source
	Location people.Location // empty: every location the reader has
	From, At time.Time
	People   []Person
}

// People lists the people behind one figure, for every location or one,
// now or (from, at non-zero) for a past period of the dashboard.
func (s *Service) People(ctx context.Context, actor door.Actor, key, locationID string, from, at time.Time) (List, error) {
	var l List
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		// The door first: even a list that does not exist is asked for
		// through it, and audited.
		src, ok := s.source(key)
		only := ""
		if hearth.ValidID(locationID) {
			only = locationID // only that location's people are read
		}
		o, err := s.open(sc, []Source{src}[:boolInt(ok)], "needs attention: "+src.Title, only)
		if err != nil {
			return err
		}
		if !ok {
			return hearth.NotFound("That list")
		}
		if locationID != "" && !hearth.ValidID(locationID) {
			return hearth.Invalid("Location", "Choose a location from the list")
		}
		l.Source = src
		if at.IsZero() || at.After(sc.Now()) {
			at = sc.Now()
		}
		if from.IsZero() || !from.Before(at) {
			from = windowStart(src, at)
		}
		l.From, l.At = from, at
		locs, err := people.ListLocations(sc)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, x := range locs {
			names[x.ID] = x.Name
			if x.ID == locationID {
				l.Location = x
			}
		}
		if locationID != "" && l.Location.ID == "" {
			return hearth.Invalid("Location", "Choose a location from the list")
		}
		items, err := o.find(src, at, from)
		if err != nil {
			return err
		}
		idx := map[string]int{}
		for _, it := range items {
			c := o.byID[it.PersonID]
			if locationID != "" && c.location != locationID {
				continue
			}
			i, seen := idx[it.PersonID]
			if !seen {
				i = len(l.People)
				idx[it.PersonID] = i
				l.People = append(l.People, Person{ID: c.id, Name: c.name, Location: names[c.location]})
			}
			l.People[i].Items = append(l.People[i].Items, it)
		}
		sort.SliceStable(l.People, func(i, j int) bool { return l.People[i].Name < l.People[j].Name })
		return nil
	})
	return l, err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Service) source(key string) (Source, bool) {
	for _, src := range s.sources {
		if src.Key == key {
			return src, true
		}
	}
	return Source{}, false
}

// In is a SQL condition that col is one of ids, for a source's query.
func In(col string, ids []string) (string, []any) {
	if len(ids) == 0 {
		return "1 = 0", nil
	}
	args := make([]any, len(ids))
	b := make([]byte, 0, len(ids)*2)
	for i, id := range ids {
		args[i] = id
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return col + " IN (" + string(b) + ")", args
}

// Day is the calendar day of t in UTC, at midnight: review dates are days.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// UKDay is a day in words, as the pages show it.
func UKDay(t time.Time) string { return t.In(london).Format("2 January 2006") }

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()
