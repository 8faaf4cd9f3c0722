package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/chart"
	"hearth/internal/governance"
	"hearth/internal/tech"
)

// attentionRoutes are Needs attention, the people behind each figure, and
// the quality dashboard.
func (s *Server) attentionRoutes() {
	s.handle("GET", "/attention", Personal, s.attentionPage)
	s.handle("GET", "/attention/{key}", Personal, s.attentionList)
	s.handle("GET", "/governance/quality", Personal, s.qualityPage)
}

// landsOnAttention: the roles whose landing page Needs attention is.
func landsOnAttention(r access.Role) bool { return r == access.RegisteredManager || r == access.Nurse }

type attentionGroup struct {
	Title   string
	Figures []attention.Figure
}

type attentionView struct {
	attention.Overview
	Groups   []attentionGroup
	Training []tech.Training // staff training expired or due within 30 days (ManageTraining)
	Today    time.Time

	// For the provider as a whole, from the governance records; each is
	// empty for a reader who may not see it.
	Incidents []governance.Incident  // open, breaches overdue for reporting first
	Policies  []governance.Policy    // overdue for review
	Due       []governance.DueRecord // records due for retention review
}

// Link is where a figure's number leads: its people, at one location or
// all of them.
func (attentionView) Link(key, location string) string {
	if location == "" {
		return "/attention/" + key
	}
	return "/attention/" + key + "?location=" + url.QueryEscape(location)
}

// Count is a figure's count at a location.
func (attentionView) Count(f attention.Figure, location string) int { return f.ByLocation[location] }

func (s *Server) attentionPage(w http.ResponseWriter, r *http.Request, c *call) error {
	ov, err := s.Attention.Overview(r.Context(), c.actor)
	if err != nil {
		return err
	}
	v := attentionView{Overview: ov, Today: s.Clock()}
	for _, f := range ov.Figures {
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Title != f.Group {
			v.Groups = append(v.Groups, attentionGroup{Title: f.Group})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Figures = append(g.Figures, f)
	}
	if c.actor.Role.Info().Permissions.Has(access.ManageTraining) {
		pg, err := s.Tech.TrainingRecords(r.Context(), c.actor)
		if err != nil {
			return err
		}
		v.Training = pg.Due(s.Clock())
	}
	if _, v.Incidents, err = s.Governance.OpenIncidents(r.Context(), c.actor); err != nil {
		return err
	}
	if _, v.Policies, err = s.Governance.OverduePolicies(r.Context(), c.actor); err != nil {
		return err
	}
	if _, v.Due, err = s.Governance.DueForReview(r.Context(), c.actor); err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "attention", "Needs attention", v)
	return nil
}

type attentionListView struct {
	attention.List
	Period string // the dashboard period it is for, in words; empty: now
}

func (s *Server) attentionList(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	from, _ := time.Parse(time.RFC3339, q.Get("from"))
	to, _ := time.Parse(time.RFC3339, q.Get("to"))
	l, err := s.Attention.People(r.Context(), c.actor, r.PathValue("key"), q.Get("location"), from, to)
	if err != nil {
		return err
	}
	v := attentionListView{List: l}
	if !to.IsZero() {
		if l.Source.Window > 0 {
			v.Period = fmt.Sprintf("from %s to %s", ukDay(l.From), ukDay(l.At))
		} else {
			v.Period = "as it stood on " + ukDay(l.At)
		}
	}
	s.render(w, r, c, http.StatusOK, "attention_list", l.Source.Title, v)
	return nil
}

type qualityView struct {
	attention.Trend
	Charts []qualityChart
}

type qualityChart struct {
	Key    string
	Figure chart.Line
}

// qualityPage is the quality dashboard: each figure over the last weeks
// or months as a line chart (one line per location, or the provider's
// total at one location), with the numbers in a table whose cells lead to
// the people behind them.
func (s *Server) qualityPage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	t, err := s.Attention.Trend(r.Context(), c.actor, q.Get("by"), q.Get("location"))
	if err != nil {
		return err
	}
	v := qualityView{Trend: t}
	var cats []string
	for _, p := range t.Periods {
		cats = append(cats, p.Label)
	}
	link := func(key, loc string, i int) string {
		p := t.Periods[i]
		u := url.Values{"from": {p.From.UTC().Format(time.RFC3339)}, "to": {p.To.UTC().Format(time.RFC3339)}}
		if loc != "" {
			u.Set("location", loc)
		}
		return "/attention/" + key + "?" + u.Encode()
	}
	unit := "week beginning"
	if t.By == "month" {
		unit = "month"
	}
	for _, ln := range t.Lines {
		ch := chart.Line{Chart: chart.Chart{ID: "q-" + ln.Key, Title: ln.Title, XLabel: "By " + unit, YLabel: "People",
			Categories: cats}}
		if ln.Window > 0 {
			ch.Description = fmt.Sprintf("People with at least one in each %s.", t.By)
		} else {
			ch.Description = fmt.Sprintf("People for whom this stood at the end of each %s.", t.By)
		}
		locs := t.Locations
		if t.Location.ID != "" {
			locs = nil
			for _, l := range t.Locations {
				if l.ID == t.Location.ID {
					locs = append(locs, l)
				}
			}
		}
		for _, l := range locs {
			sr := chart.Series{Name: l.Name}
			for i, n := range ln.ByLocation[l.ID] {
				sr.Values = append(sr.Values, float64(n))
				sr.Links = append(sr.Links, link(ln.Key, l.ID, i))
			}
			ch.Series = append(ch.Series, sr)
		}
		if len(locs) > 1 {
			sr := chart.Series{Name: "Every location"}
			for i, n := range ln.Total {
				sr.Values = append(sr.Values, float64(n))
				sr.Links = append(sr.Links, link(ln.Key, "", i))
			}
			ch.Series = append(ch.Series, sr)
		}
		v.Charts = append(v.Charts, qualityChart{Key: ln.Key, Figure: ch})
	}
	s.render(w, r, c, http.StatusOK, "quality", "Quality dashboard", v)
	return nil
}
