package care

import (
	"fmt"
	"strings"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/door"
)

// AttentionSources are the care record's figures on Needs attention.
func (s *Service) AttentionSources() []attention.Source {
	return []attention.Source{
		{Key: "care-plan-reviews", Title: "Care plan reviews overdue", Group: "Care", Action: access.ReadRecord, Find: reviewsOverdue("care_plan_versions", "plan_id", "Care plan", "care-plans")},
		{Key: "risk-reviews", Title: "Risk assessment reviews overdue", Group: "Care", Action: access.ReadRecord, Find: reviewsOverdue("risk_versions", "risk_id", "Risk assessment", "risks")},
		{Key: "visits", Title: "Missed and late visits (last 7 days)", Group: "Care", Action: access.ReadRecord, Window: 7 * 24 * time.Hour, Find: s.visitsMissedOrLate},
		{Key: "medicines", Title: "Medicines missed or late (last 7 days)", Group: "Care", Action: access.ReadMedicines, Window: 7 * 24 * time.Hour, Find: medicinesMissedOrLate},
		{Key: "fluids-weight", Title: "Fluid and weight alerts", Group: "Care", Action: access.ReadRecord, Find: s.fluidWeightAlerts},
		{Key: "records-incomplete", Title: "Records incomplete", Group: "Care", Action: access.ReadRecord, Find: recordsIncomplete},
	}
}

// latestVersions reads, for each plan or risk of the people, its latest
// version written by at: the one in force then.
type versionRow struct {
	thing, person, title string
	reviewOn, written    time.Time
	version              int
}

func latestVersions(sc *door.Scope, table, key string, q attention.Query) ([]versionRow, error) {
	in, args := attention.In("person_id", q.People)
	rows, err := sc.Query(`SELECT `+key+`, person_id, title, review_on, written_at, version FROM `+table+` WHERE `+in+` AND written_at <= ?
		ORDER BY `+key+`, version`, append(args, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	latest := map[string]versionRow{}
	var order []string
	for rows.Next() {
		var v versionRow
		if err := rows.Scan(&v.thing, &v.person, &v.title, &v.reviewOn, &v.written, &v.version); err != nil {
			return nil, err
		}
		if _, seen := latest[v.thing]; !seen {
			order = append(order, v.thing)
		}
		latest[v.thing] = v
	}
	out := make([]versionRow, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out, rows.Err()
}

// reviewsOverdue finds plans or risks whose latest version's review date
// had passed at q.At.
func reviewsOverdue(table, key, what, section string) func(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	return func(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
		vs, err := latestVersions(sc, table, key, q)
		if err != nil {
			return nil, err
		}
		var out []attention.Item
		today := attention.Day(q.At)
		for _, v := range vs {
			if attention.Day(v.reviewOn).Before(today) {
				out = append(out, attention.Item{PersonID: v.person, Section: "/" + section,
					Detail: fmt.Sprintf("%s %q: review was due on %s", what, v.title, attention.UKDay(v.reviewOn))})
			}
		}
		return out, nil
	}
}

// visitsMissedOrLate finds visits missed, or late (no one there 15
// minutes in, or arriving after that), in [q.From, q.At).
func (s *Service) visitsMissedOrLate(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	cfg := s.obsConfig()
	in, args := attention.In("person_id", q.People)
	rows, err := sc.Query(`SELECT person_id, window_start, window_end, checked_in_at FROM visits WHERE `+in+` AND window_start >= ? AND window_start < ?
		ORDER BY window_start`, append(args, q.From.Add(-24*time.Hour), q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person string
		var start, end time.Time
		var in *time.Time
		if err := rows.Scan(&person, &start, &end, &in); err != nil {
			return nil, err
		}
		when := start.In(ukZone).Format("2 January at 15:04")
		switch {
		case in == nil && !end.Add(cfg.VisitGrace).After(q.At) && !end.Add(cfg.VisitGrace).Before(q.From):
			out = append(out, attention.Item{PersonID: person, Section: "/visits", Detail: "Visit missed: " + when})
		case in == nil && !start.Add(cfg.VisitLate).After(q.At) && end.Add(cfg.VisitGrace).After(q.At):
			out = append(out, attention.Item{PersonID: person, Section: "/visits", Detail: "Visit late: no one has arrived for " + when})
		case in != nil && in.After(start.Add(cfg.VisitLate)) && !in.Before(q.From) && in.Before(q.At):
			out = append(out, attention.Item{PersonID: person, Section: "/visits",
				Detail: fmt.Sprintf("Visit late: arrived %d minutes into the window of %s", int(in.Sub(start)/time.Minute), when)})
		}
	}
	return out, rows.Err()
}

// medicinesMissedOrLate finds doses omitted or not available, or given
// more than an hour after their time, in [q.From, q.At).
func medicinesMissedOrLate(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("d.person_id", q.People)
	rows, err := sc.Query(`SELECT d.person_id, m.name, d.outcome, d.scheduled_for, d.at FROM medicine_doses d JOIN medicines m ON m.id = d.medicine_id
		WHERE `+in+` AND d.at >= ? AND d.at < ? AND d.corrects_id IS NULL
		AND NOT EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id) ORDER BY d.at`, append(args, q.From, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person, name, outcome string
		var sched *time.Time
		var at time.Time
		if err := rows.Scan(&person, &name, &outcome, &sched, &at); err != nil {
			return nil, err
		}
		when := at.In(ukZone).Format("2 January at 15:04")
		switch {
		case outcome == "omitted" || outcome == "not_available":
			out = append(out, attention.Item{PersonID: person, Section: "/medicines",
				Detail: fmt.Sprintf("%s %s: %s", name, strings.ReplaceAll(outcome, "_", " "), when)})
		case outcome == "given" && sched != nil && at.Sub(*sched) > LateAfter:
			out = append(out, attention.Item{PersonID: person, Section: "/medicines",
				Detail: fmt.Sprintf("%s given late: due %s, given %s", name, sched.In(ukZone).Format("15:04"), when)})
		}
	}
	return out, rows.Err()
}

// fluidWeightAlerts finds the fluid and weight alerts the person page
// shows, as they stand at q.At.
func (s *Service) fluidWeightAlerts(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	var out []attention.Item
	for _, id := range q.People {
		alerts, err := s.alertsFor(sc, id, q.At)
		if err != nil {
			return nil, err
		}
		for _, a := range alerts {
			if a.Kind == AlertFluidsLow || a.Kind == AlertFluidsYesterday || a.Kind == AlertWeightLoss {
				out = append(out, attention.Item{PersonID: id, Section: "/observations", Detail: a.Title + ": " + a.Detail})
			}
		}
	}
	return out, nil
}

// recordsIncomplete finds people with no About Me, no care plan, no
// consent or best-interests decision recorded, or no risk assessment
// whose review is in date.
func recordsIncomplete(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("p.id", q.People)
	rows, err := sc.Query(`SELECT p.id,
		EXISTS (SELECT 1 FROM about_me_entries a WHERE a.person_id = p.id AND a.written_at <= ?),
		EXISTS (SELECT 1 FROM care_plans c WHERE c.person_id = p.id AND c.created_at <= ?),
		EXISTS (SELECT 1 FROM consents k WHERE k.person_id = p.id AND k.recorded_at <= ?)
		  OR EXISTS (SELECT 1 FROM best_interests b WHERE b.person_id = p.id AND b.recorded_at <= ?)
		FROM people p WHERE `+in, append([]any{q.At, q.At, q.At, q.At}, args...)...)
	if err != nil {
		return nil, err
	}
	type row struct {
		id                       string
		aboutMe, plan, consented bool
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.aboutMe, &r.plan, &r.consented); err != nil {
			rows.Close()
			return nil, err
		}
		rs = append(rs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	risks, err := latestVersions(sc, "risk_versions", "risk_id", q)
	if err != nil {
		return nil, err
	}
	inDate := map[string]bool{}
	for _, v := range risks {
		if !attention.Day(v.reviewOn).Before(attention.Day(q.At)) {
			inDate[v.person] = true
		}
	}
	var out []attention.Item
	for _, r := range rs {
		var missing []string
		if !r.aboutMe {
			missing = append(missing, "About Me")
		}
		if !r.plan {
			missing = append(missing, "care plan")
		}
		if !r.consented {
			missing = append(missing, "consent or best-interests decision")
		}
		if !inDate[r.id] {
			missing = append(missing, "risk assessment in date")
		}
		if len(missing) > 0 {
			out = append(out, attention.Item{PersonID: r.id, Detail: "No " + strings.Join(missing, ", no ")})
		}
	}
	return out, nil
}
