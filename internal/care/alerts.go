package care

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Alert kinds. Alerts are computed from the records each time they are
// shown, never stored as flags, so they cannot go stale or be cleared by
// hand.
const (
	AlertFluidsLow       = "fluids-low"       // under half the target by the check time
	AlertFluidsYesterday = "fluids-yesterday" // below target at the end of yesterday
	AlertWeightLoss      = "weight-loss"      // lost more than 5% in 30 days
	AlertNEWS2           = "news2"            // NEWS2 5 or more
	AlertNEWS2Single     = "news2-single"     // 3 in one parameter
)

// Alert is one thing that needs someone's attention.
type Alert struct {
	Kind    string
	Title   string
	Detail  string
	At      time.Time // the reading or moment it is about
	Urgent  bool
	Section string // where to act: "observations"
}

// PersonAlerts is one person with their alerts, for a location list.
type PersonAlerts struct {
	Person people.Person
	Alerts []Alert
}

func ml(n int) string {
	s := fmt.Sprint(n)
	if n >= 1000 {
		s = fmt.Sprintf("%d,%03d", n/1000, n%1000)
	}
	return s + " ml"
}

func clockTime(t time.Time) string {
	return strings.ToLower(t.In(ukZone).Format("15:04"))
}

// alertsFor computes a person's alerts at now, inside an allowed scope.
func (s *Service) alertsFor(sc *door.Scope, personID string, now time.Time) ([]Alert, error) {
	cfg := s.obsConfig()
	var out []Alert
	day := ukDayStart(now)
	if target, err := fluidTarget(sc, personID, now); err != nil {
		return nil, err
	} else if target > 0 {
		check := ukAt(now, cfg.FluidsCheckAt)
		if !now.Before(check) {
			in, err := fluidTotal(sc, personID, FluidIn, day, now.Add(time.Minute))
			if err != nil {
				return nil, err
			}
			if in*2 < target {
				out = append(out, Alert{Kind: AlertFluidsLow, Title: "Drinking too little today",
					Detail: fmt.Sprintf("%s of %s so far: less than half the day's target by %s.", ml(in), ml(target), clockTime(check)),
					At:     check, Urgent: true, Section: "observations"})
			}
		}
		yesterday := ukDayStart(day.Add(-time.Hour))
		if t, err := fluidTarget(sc, personID, day); err != nil {
			return nil, err
		} else if t > 0 {
			in, err := fluidTotal(sc, personID, FluidIn, yesterday, day)
			if err != nil {
				return nil, err
			}
			if in < t {
				out = append(out, Alert{Kind: AlertFluidsYesterday, Title: "Below fluid target yesterday",
					Detail: fmt.Sprintf("%s of %s yesterday.", ml(in), ml(t)), At: day, Section: "observations"})
			}
		}
	}
	w, err := weightTrend(sc, personID, now)
	if err != nil {
		return nil, err
	}
	if w.LossOverFive {
		out = append(out, Alert{Kind: AlertWeightLoss, Title: "Weight loss over 5% in 30 days",
			Detail: fmt.Sprintf("%s kg on %s, %s kg (%s) since %s.", w.Latest.Kg(), w.Latest.TakenAt.In(ukZone).Format("2 January"),
				w.ChangeKg(), w.ChangePct(), w.Since.In(ukZone).Format("2 January")),
			At: w.Latest.TakenAt, Urgent: true, Section: "observations"})
	}
	vitals, err := listObs(sc, personID, now.Add(-24*time.Hour), now.Add(time.Minute), 1, VitalSign)
	if err != nil {
		return nil, err
	}
	if len(vitals) == 1 {
		v := vitals[0]
		n := v.NEWS2
		switch {
		case n.Total >= 5:
			out = append(out, Alert{Kind: AlertNEWS2, Title: fmt.Sprintf("NEWS2 score %d (%s risk)", n.Total, n.Risk()),
				Detail: fmt.Sprintf("Vital signs at %s. %s", clockTime(v.TakenAt), n.Response()), At: v.TakenAt, Urgent: true, Section: "observations"})
		case n.SingleThree():
			var which []string
			for _, p := range n.Parts() {
				if p.Score == 3 {
					which = append(which, strings.ToLower(p.Name[:1])+p.Name[1:])
				}
			}
			out = append(out, Alert{Kind: AlertNEWS2Single, Title: "NEWS2: a single sign scored 3",
				Detail: fmt.Sprintf("%s at %s (total %d). %s", strings.Join(which, " and "), clockTime(v.TakenAt), n.Total, n.Response()),
				At:     v.TakenAt, Urgent: true, Section: "observations"})
		}
	}
	return out, nil
}

// Alerts returns a person's alerts now (the person page's section).
func (s *Service) Alerts(ctx context.Context, actor door.Actor, personID string) ([]Alert, error) {
	var out []Alert
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Flag", Detail: "alerts"}); err != nil {
			return err
		}
		var err error
		out, err = s.alertsFor(sc, personID, sc.Now())
		return err
	})
	return out, err
}

// AlertsIn is Alerts inside a scope the caller opened (the person page's):
// the read is decided and audited there, and a refusal shows no alerts
// rather than failing the page.
func (s *Service) AlertsIn(sc *door.Scope, personID string) ([]Alert, error) {
	a, err := sc.Check(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		ResourceType: "Flag", Detail: "alerts"})
	if err != nil || !a.Decision.Permit {
		return nil, err
	}
	return s.alertsFor(sc, personID, sc.Now())
}

// LocationAlerts lists the people at a location who have alerts now, for
// the people the actor may see: the list is a query (audited as such), and
// each person on it is decided alone and audited as a read.
func (s *Service) LocationAlerts(ctx context.Context, actor door.Actor, locationID string) (people.Location, []PersonAlerts, error) {
	var loc people.Location
	var out []PersonAlerts
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Flag",
			ResourceID: locationID, Detail: "alerts at a location"})
		if err != nil {
			return err
		}
		if loc, err = loadLocation(sc, locationID); err != nil {
			return err
		}
		ids, err := personIDsAt(sc, locationID)
		if err != nil {
			return err
		}
		allowed, err := door.Filter(sc, door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), ResourceType: "Flag", Detail: "location alerts"},
			ids, func(id string) string { return id })
		if err != nil {
			return err
		}
		for _, id := range allowed {
			p, err := people.Load(sc, id)
			if err != nil {
				return err
			}
			al, err := s.alertsFor(sc, p.ID, sc.Now())
			if err != nil {
				return err
			}
			if len(al) > 0 {
				out = append(out, PersonAlerts{Person: p, Alerts: al})
			}
		}
		q.Detail = fmt.Sprintf("alerts at %s: %d people seen, %d with alerts", loc.Name, len(allowed), len(out))
		return nil
	})
	return loc, out, err
}

func loadLocation(sc *door.Scope, id string) (people.Location, error) {
	var l people.Location
	if !hearth.ValidID(id) {
		return l, hearth.NotFound("That location")
	}
	err := sc.QueryRow(`SELECT id, provider_id, name, kind FROM locations WHERE id = ?`, id).Scan(&l.ID, &l.ProviderID, &l.Name, &l.Kind)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return l, hearth.NotFound("That location")
		}
		return l, err
	}
	return l, nil
}

// personIDsAt lists the people at a location the actor has a relationship
// with, by name. The caller decides each before reading anything about them.
func personIDsAt(sc *door.Scope, locationID string) ([]string, error) {
	reach, args := sc.Reach("p.id", "p.location_id")
	rows, err := sc.Query(`SELECT p.id FROM people p WHERE p.location_id = ? AND p.ended_at IS NULL AND `+reach+`
		ORDER BY p.family_name, p.given_name, p.id`, append([]any{locationID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
