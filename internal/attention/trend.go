package attention

import (
	"context"
	"time"

	"hearth"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Period is one week or month of a trend: [From, To).
type Period struct {
	From, To time.Time
	Label    string // "2 Nov" or "November 2026"
}

// Line is one source's figure over the periods, for the provider and each
// location.
type Line struct {
	Source
	Total      []int
	ByLocation map[string][]int
}

// Trend is the quality dashboard: each figure over time.
type Trend struct {
	By        string // "week" or "month"
	Periods   []Period
	Locations []people.Location
	Location  people.Location // empty: every location the reader has
	Lines     []Line
}

// Periods: how many weeks or months a trend shows.
const (
	TrendWeeks  = 12
	TrendMonths = 6
)

// periods are the last n weeks (Monday to Monday, UK time) or months,
// the last ending at now.
func periods(by string, now time.Time) []Period {
	local := now.In(london)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, london)
	var out []Period
	if by == "month" {
		first := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, london)
		for i := TrendMonths - 1; i >= 0; i-- {
			from := first.AddDate(0, -i, 0)
			to := from.AddDate(0, 1, 0)
			if to.After(now) {
				to = now
			}
			out = append(out, Period{From: from, To: to, Label: from.Format("January 2006")})
		}
		return out
	}
	monday := midnight.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7))
	for i := TrendWeeks - 1; i >= 0; i-- {
		from := monday.AddDate(0, 0, -7*i)
		to := from.AddDate(0, 0, 7)
		if to.After(now) {
			to = now
		}
		out = append(out, Period{From: from, To: to, Label: from.Format("2 Jan")})
	}
	return out
}

// Trend works out every figure for each of the last weeks or months: a
// figure about a state (reviews overdue) as it stood at the end of the
// period, a figure about events (missed visits) for events within it. The
// people are the reader's now, decided once, as on Needs attention.
func (s *Service) Trend(ctx context.Context, actor door.Actor, by, locationID string) (Trend, error) {
	if by != "month" {
		by = "week"
	}
	t := Trend{By: by}
	if locationID != "" && !hearth.ValidID(locationID) {
		return t, hearth.Invalid("Location", "Choose a location from the list")
	}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		o, err := s.open(sc, s.sources, "quality dashboard", locationID)
		if err != nil {
			return err
		}
		all, err := s.open(sc, nil, "quality dashboard: locations", "")
		if err != nil {
			return err
		}
		if t.Locations, err = s.locationsOf(sc, all); err != nil {
			return err
		}
		if locationID != "" {
			for _, l := range t.Locations {
				if l.ID == locationID {
					t.Location = l
				}
			}
			if t.Location.ID == "" {
				return hearth.Invalid("Location", "Choose a location from the list")
			}
		}
		t.Periods = periods(by, sc.Now())
		for _, src := range s.sources {
			ln := Line{Source: src, ByLocation: map[string][]int{}}
			for _, l := range t.Locations {
				ln.ByLocation[l.ID] = make([]int, len(t.Periods))
			}
			for i, p := range t.Periods {
				from := p.To
				if src.Window > 0 {
					from = p.From
				}
				items, err := o.find(src, p.To, from)
				if err != nil {
					return err
				}
				n, byLoc := o.count(items)
				ln.Total = append(ln.Total, n)
				for loc, k := range byLoc {
					if v, ok := ln.ByLocation[loc]; ok {
						v[i] = k
					}
				}
			}
			t.Lines = append(t.Lines, ln)
		}
		return nil
	})
	return t, err
}
