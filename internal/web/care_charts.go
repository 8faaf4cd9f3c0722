package web

import (
	"fmt"
	"html/template"
	"math"
	"time"

	"hearth/internal/care"
	"hearth/internal/chart"
)

// Charts on the care pages, where people would rather look than read:
// fluids over the day against the target, weight over the months with the
// 5% loss line, NEWS2 and what scored over time, and doses given, refused
// and not given. Each is internal/chart's server-drawn SVG (no JavaScript,
// readable in greyscale by marker, dash and pattern, labelled directly)
// with its numbers in a table beside it for screen readers and anyone who
// wants the figures. They are drawn from what the page has already read
// through the door: no extra reads.

// FluidChart is today's running total of drinks, hour by hour up to now,
// against the daily target.
func (v obsView) FluidChart() template.HTML {
	var drinks []care.Observation
	for _, o := range v.Fluids {
		if o.Kind == care.FluidIn {
			drinks = append(drinks, o)
		}
	}
	start := v.DayStart.In(london)
	now := v.ObsPage.Now.In(london)
	first := 6 // the chart starts at 06:00, or the hour of an earlier drink
	for _, o := range drinks {
		if h := o.TakenAt.In(london).Hour(); h < first && o.TakenAt.In(london).Day() == start.Day() {
			first = h
		}
	}
	last := now.Hour()
	if last < first {
		last = first
	}
	var cats []string
	var vals []float64
	for h := first; h <= last; h++ {
		end := time.Date(start.Year(), start.Month(), start.Day(), h+1, 0, 0, 0, london)
		if end.After(now) {
			end = now
		}
		total := 0
		for _, o := range drinks {
			if !o.TakenAt.After(end) {
				total += o.AmountML
			}
		}
		cats = append(cats, fmt.Sprintf("%02d:00", h))
		vals = append(vals, float64(total))
	}
	c := chart.Chart{ID: "fluid-chart", Title: "Drunk so far today, hour by hour",
		XLabel: "By the end of the hour", YLabel: "Millilitres", Unit: "ml", Categories: cats,
		Series: []chart.Series{{Name: "Drunk so far", Values: vals}}}
	if v.TargetML > 0 {
		c.Target = &chart.Reference{Label: "Daily target", Value: float64(v.TargetML)}
		c.Description = fmt.Sprintf("%d ml drunk so far of a %d ml daily target.", v.IntakeML, v.TargetML)
	} else {
		c.Description = fmt.Sprintf("%d ml drunk so far; no daily target is set.", v.IntakeML)
	}
	return chart.Line{Chart: c}.Figure()
}

// WeightChart is the weights recorded, oldest first, with a line 5% below
// the first of them: a loss of more than 5% is a malnutrition warning sign
// (MUST).
func (v obsView) WeightChart() template.HTML {
	rs := v.Weights.Readings
	if len(rs) > 24 {
		rs = rs[:24] // the latest 24, newest first
	}
	if len(rs) < 2 {
		return ""
	}
	oldest, newest := rs[len(rs)-1].TakenAt.In(london), rs[0].TakenAt.In(london)
	layout := "2 Jan"
	if oldest.Year() != newest.Year() {
		layout = "2 Jan 2006"
	}
	var cats []string
	var vals []float64
	for i := len(rs) - 1; i >= 0; i-- {
		cats = append(cats, rs[i].TakenAt.In(london).Format(layout))
		vals = append(vals, float64(rs[i].WeightG)/1000)
	}
	base := vals[0]
	line := math.Round(base*0.95*10) / 10
	c := chart.Chart{ID: "weight-chart", Title: "Weight over time", XLabel: "Date weighed", YLabel: "Kilograms", Unit: "kg",
		Categories: cats, Series: []chart.Series{{Name: "Weight", Values: vals}}, Zoomed: true,
		Target: &chart.Reference{Label: fmt.Sprintf("5%% below the weight on %s", ukDate(rs[len(rs)-1].TakenAt)), Value: line},
		Description: fmt.Sprintf("From %s kg on %s to %s kg on %s. Below the dashed line is a loss of more than 5%%.",
			chart.Number(base), ukDate(rs[len(rs)-1].TakenAt), chart.Number(vals[len(vals)-1]), ukDate(rs[0].TakenAt))}
	return chart.Line{Chart: c}.Figure()
}

// vitalsOldestFirst is the page of vital signs in time order, for charts.
func (v obsView) vitalsOldestFirst() ([]care.Observation, []string) {
	vs := v.Vitals
	if len(vs) < 2 {
		return nil, nil
	}
	var out []care.Observation
	var cats []string
	for i := len(vs) - 1; i >= 0; i-- {
		out = append(out, vs[i])
		cats = append(cats, vs[i].TakenAt.In(london).Format("2 Jan 15:04"))
	}
	return out, cats
}

// NEWS2Chart is the NEWS2 total of each set of vital signs on the page,
// oldest first, with the score of 5 that calls for an urgent response.
func (v obsView) NEWS2Chart() template.HTML {
	vs, cats := v.vitalsOldestFirst()
	if vs == nil {
		return ""
	}
	vals := make([]float64, len(vs))
	for i, o := range vs {
		vals[i] = float64(o.NEWS2.Total)
	}
	c := chart.Chart{ID: "news2-chart", Title: "NEWS2 score over time", XLabel: "Vital signs taken", YLabel: "NEWS2 score",
		Categories: cats, Series: []chart.Series{{Name: "NEWS2", Values: vals}},
		Target:      &chart.Reference{Label: "Urgent response from a score of 5", Value: 5},
		Description: fmt.Sprintf("The latest score is %d. A score of 5 or more, or 3 in any one parameter, needs an urgent response.", vs[len(vs)-1].NEWS2.Total)}
	return chart.Line{Chart: c}.Figure()
}

// NEWS2PartsChart is what made up each NEWS2 score: a stacked bar for each
// set of vital signs, one band for each parameter that scored.
func (v obsView) NEWS2PartsChart() template.HTML {
	vs, cats := v.vitalsOldestFirst()
	if vs == nil {
		return ""
	}
	parts := vs[0].NEWS2.Parts()
	var series []chart.Series
	for pi, part := range parts {
		s := chart.Series{Name: part.Name, Values: make([]float64, len(vs))}
		scored := false
		for i, o := range vs {
			n := o.NEWS2.Parts()[pi].Score
			s.Values[i] = float64(n)
			scored = scored || n > 0
		}
		if scored {
			series = append(series, s)
		}
	}
	if len(series) == 0 {
		return ""
	}
	c := chart.Chart{ID: "news2-parts-chart", Title: "What scored in each NEWS2", XLabel: "Vital signs taken", YLabel: "Points",
		Categories: cats, Series: series,
		Description: "Each bar is one set of vital signs; each band is the points one parameter added. Parameters that never scored are left out."}
	return chart.Bar{Chart: c, Stacked: true}.Figure()
}

// DosesChart counts the doses recorded on each of the last 7 days by
// outcome (a corrected record counts as its correction), and today's doses
// missed: a round slot passed with nothing recorded.
func (v medicinesView) DosesChart() template.HTML {
	today := ukDayOf(v.MedicinesPage.Now)
	corrected := map[string]bool{}
	for _, d := range v.Recent {
		if d.Corrects != "" {
			corrected[d.Corrects] = true
		}
	}
	const days = 7
	given, refused, notGiven, missed := make([]float64, days), make([]float64, days), make([]float64, days), make([]float64, days)
	cats := make([]string, days)
	for i := range days {
		cats[i] = today.AddDate(0, 0, i-days+1).Format("Mon 2 Jan")
	}
	any := false
	for _, d := range v.Recent {
		if corrected[d.ID] {
			continue
		}
		i := int(today.Sub(ukDayOf(d.At)).Hours()/24 + 0.5)
		i = days - 1 - i
		if i < 0 || i >= days {
			continue
		}
		any = true
		switch d.Outcome {
		case care.Given, care.SelfAdministered:
			given[i]++
		case care.Refused:
			refused[i]++
		default:
			notGiven[i]++
		}
	}
	for _, r := range v.Rounds {
		for _, sl := range r.Slots {
			if sl.Status == care.SlotMissed {
				missed[days-1]++
				any = true
			}
		}
	}
	if !any {
		return ""
	}
	c := chart.Chart{ID: "doses-chart", Title: "Doses in the last 7 days", XLabel: "Day", YLabel: "Doses",
		Categories: cats, Series: []chart.Series{{Name: "Given", Values: given}, {Name: "Refused", Values: refused},
			{Name: "Not given", Values: notGiven}, {Name: "Missed (nothing recorded)", Values: missed}},
		Description: "Each bar is a day's doses: given, refused by the person, not given for another reason, and (today) round doses passed with nothing recorded."}
	return chart.Bar{Chart: c, Stacked: true}.Figure()
}

// ukDayOf is midnight at the start of t's day in the UK.
func ukDayOf(t time.Time) time.Time {
	t = t.In(london)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, london)
}
