package care

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Visit statuses, computed from the times, never stored.
const (
	VisitPlanned    = "planned"     // the window has not started
	VisitDue        = "due"         // in the window, no check-in yet
	VisitLate       = "late"        // no check-in 15 minutes into the window
	VisitMissed     = "missed"      // no check-in by the window's end plus the grace period
	VisitInProgress = "in-progress" // checked in, not out
	VisitDone       = "done"        // checked out
)

// Visit is one scheduled home-care visit.
type Visit struct {
	ID, PersonID, PersonName   string
	WindowStart, WindowEnd     time.Time
	PlannedMinutes             int
	AssignedTo, AssignedName   string
	Note                       string
	CheckedInAt, CheckedOutAt  time.Time
	CheckedInBy, CheckedOutBy  string
	OutcomeNote                string
	CreatedAt                  time.Time
	Location                   *VisitLocation // where the check-in was, when a technology use allowed recording it
	Tasks                      []VisitTask
	Status                     string
	ArrivedLate                bool // checked in more than 15 minutes into the window
	MinutesLate, MinutesStayed int
}

// StatusTitle is the status in words.
func (v Visit) StatusTitle() string {
	switch v.Status {
	case VisitPlanned:
		return "Planned"
	case VisitDue:
		return "Due now"
	case VisitLate:
		return "Late: no one has arrived"
	case VisitMissed:
		return "Missed"
	case VisitInProgress:
		return "In progress"
	case VisitDone:
		return "Done"
	}
	return v.Status
}

// Window is the visit's time window, UK time.
func (v Visit) Window() string { return hhmm(v.WindowStart) + "–" + hhmm(v.WindowEnd) }

// VisitTask is one thing to do on a visit.
type VisitTask struct {
	ID, Title string
	Recorded  bool
	Done      bool
	Reason    string
}

// VisitInput is a visit as scheduled on the form.
type VisitInput struct {
	Start, End     time.Time
	PlannedMinutes string
	Tasks          string // one a line
	AssignedTo     string
	Note           string
}

// TaskOutcome is a task marked at check-out.
type TaskOutcome struct {
	Done   bool
	Set    bool
	Reason string
}

func (s *Service) visitStatus(v *Visit, now time.Time) {
	cfg := s.obsConfig()
	switch {
	case !v.CheckedOutAt.IsZero():
		v.Status = VisitDone
		v.MinutesStayed = int(v.CheckedOutAt.Sub(v.CheckedInAt) / time.Minute)
	case !v.CheckedInAt.IsZero():
		v.Status = VisitInProgress
	case !now.Before(v.WindowEnd.Add(cfg.VisitGrace)):
		v.Status = VisitMissed
	case now.After(v.WindowStart.Add(cfg.VisitLate)):
		v.Status = VisitLate
	case !now.Before(v.WindowStart):
		v.Status = VisitDue
	default:
		v.Status = VisitPlanned
	}
	if !v.CheckedInAt.IsZero() && v.CheckedInAt.After(v.WindowStart.Add(cfg.VisitLate)) {
		v.ArrivedLate = true
		v.MinutesLate = int(v.CheckedInAt.Sub(v.WindowStart) / time.Minute)
	}
}

// ScheduleVisit plans a visit (WritePlan: a manager or senior carer). The
// assigned care worker must be able to record for the person: on their
// care team, by the same rule book as everyone else.
func (s *Service) ScheduleVisit(ctx context.Context, actor door.Actor, personID string, in VisitInput) (Visit, error) {
	var v Visit
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Appointment", Detail: "visit scheduled"})
		if err != nil {
			return err
		}
		v, err = s.scheduleVisit(sc, a, personID, in)
		return err
	})
	return v, err
}

func (s *Service) scheduleVisit(sc *door.Scope, a *door.Access, personID string, in VisitInput) (Visit, error) {
	var v Visit
	actor := sc.Actor()
	err := func() error {
		var p hearth.Problems
		v = Visit{ID: hearth.NewID(), PersonID: personID, WindowStart: in.Start.UTC(), WindowEnd: in.End.UTC(),
			AssignedTo: in.AssignedTo, Note: strings.TrimSpace(in.Note)}
		p.Check(!in.Start.IsZero(), "Start", "Enter when the visit window starts")
		p.Check(!in.End.IsZero(), "End", "Enter when the visit window ends")
		if !in.Start.IsZero() && !in.End.IsZero() {
			p.Check(in.End.After(in.Start), "End", "The window must end after it starts")
			p.Check(in.End.Sub(in.Start) <= 12*time.Hour, "End", "The window must be 12 hours or shorter")
		}
		v.PlannedMinutes, _ = parseWhole(&p, "Planned length", in.PlannedMinutes, " minutes", 5, 720, true)
		s.checkText(&p, "Note", v.Note, maxLong)
		var tasks []string
		for _, line := range strings.Split(in.Tasks, "\n") {
			if t := strings.TrimSpace(line); t != "" {
				tasks = append(tasks, t)
				s.checkText(&p, "Tasks", t, maxShort)
			}
		}
		p.Check(len(tasks) > 0, "Tasks", "List at least one task, one a line")
		p.Check(len(tasks) <= 20, "Tasks", "List 20 tasks or fewer")
		if in.AssignedTo == "" {
			p.Add("Care worker", "Choose who will visit")
		} else {
			// The assignee is decided like anyone: may they write this
			// person's record, on the same facts (docs/architecture.md).
			party, err := sc.DecideFor(in.AssignedTo, door.Request{Action: access.WriteRecord, Purpose: access.DirectCare,
				PersonID: personID, ResourceType: "Encounter"}, "the care worker assigned a visit")
			switch {
			case err != nil:
				return err
			case party.ID == "":
				p.Add("Care worker", "Choose an active member of staff")
			case !party.Decision.Permit:
				p.Add("Care worker", party.Name+" is not on this person's care team: add them to the team first")
			default:
				v.AssignedName = party.Name
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		a.ResourceID = v.ID
		now := sc.Now()
		if _, err := sc.Exec(`INSERT INTO visits (id, person_id, window_start, window_end, planned_minutes, assigned_to, note,
			created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, v.ID, personID, v.WindowStart, v.WindowEnd,
			v.PlannedMinutes, v.AssignedTo, v.Note, now, actor.ID); err != nil {
			return err
		}
		for i, t := range tasks {
			id := hearth.NewID()
			if _, err := sc.Exec(`INSERT INTO visit_tasks (id, visit_id, position, title) VALUES (?, ?, ?, ?)`, id, v.ID, i, t); err != nil {
				return err
			}
			v.Tasks = append(v.Tasks, VisitTask{ID: id, Title: t})
		}
		s.visitStatus(&v, now)
		return nil
	}()
	return v, err
}

// CheckIn records that a care worker has arrived (WriteRecord), with no
// location. at is the time of arrival; zero means now. A location is
// recorded only through CheckInWith, and only where a technology use for
// the person allows it (visits_location.go).
func (s *Service) CheckIn(ctx context.Context, actor door.Actor, personID, visitID string, at time.Time) error {
	return s.CheckInWith(ctx, actor, personID, visitID, at, GeoInput{})
}

func (s *Service) checkIn(sc *door.Scope, v Visit, at time.Time) error {
	if at.IsZero() {
		at = sc.Now()
	}
	if at.After(sc.Now().Add(2 * time.Minute)) {
		return hearth.Invalid("Time", "The time must not be in the future")
	}
	res, err := sc.Exec(`UPDATE visits SET checked_in_at = ?, checked_in_by = ? WHERE id = ? AND checked_in_at IS NULL`,
		at.UTC(), sc.Actor().ID, v.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hearth.Errorf(hearth.KindConflict, "This visit has already been checked in")
	}
	return nil
}

// CheckOut records that the visit is over, with each task marked done or
// not done with a reason.
func (s *Service) CheckOut(ctx context.Context, actor door.Actor, personID, visitID string, at time.Time, tasks map[string]TaskOutcome, note string) error {
	return s.visitStep(ctx, actor, personID, visitID, "visit check-out", func(sc *door.Scope, v Visit) error {
		return s.checkOut(sc, v, at, tasks, note)
	})
}

func (s *Service) checkOut(sc *door.Scope, v Visit, at time.Time, tasks map[string]TaskOutcome, note string) error {
	actor := sc.Actor()
	note = strings.TrimSpace(note)
	{
		now := sc.Now()
		if at.IsZero() {
			at = now
		}
		var p hearth.Problems
		p.Check(!at.After(now.Add(2*time.Minute)), "Time", "The time must not be in the future")
		s.checkText(&p, "Note", note, maxLong)
		if v.CheckedInAt.IsZero() {
			p.Add("Visit", "Check in before checking out")
		} else if at.Before(v.CheckedInAt) {
			p.Add("Time", "Check-out must be after check-in")
		}
		for _, t := range v.Tasks {
			o := tasks[t.ID]
			switch {
			case !o.Set:
				p.Add("Task "+t.Title, "Say whether '"+t.Title+"' was done")
			case !o.Done && strings.TrimSpace(o.Reason) == "":
				p.Add("Task "+t.Title, "Say why '"+t.Title+"' was not done")
			}
			s.checkText(&p, "Reason", o.Reason, maxShort)
		}
		if err := p.Err(); err != nil {
			return err
		}
		res, err := sc.Exec(`UPDATE visits SET checked_out_at = ?, checked_out_by = ?, outcome_note = ?
			WHERE id = ? AND checked_out_at IS NULL`, at.UTC(), actor.ID, note, v.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hearth.Errorf(hearth.KindConflict, "This visit has already been checked out")
		}
		for _, t := range v.Tasks {
			o := tasks[t.ID]
			reason := ""
			if !o.Done {
				reason = strings.TrimSpace(o.Reason)
			}
			if _, err := sc.Exec(`UPDATE visit_tasks SET done = ?, reason = ?, recorded_at = ?, recorded_by = ? WHERE id = ?`,
				o.Done, reason, now, actor.ID, t.ID); err != nil {
				return err
			}
		}
		return nil
	}
}

// VisitOutcome is what happened on a visit, for recording history in bulk.
type VisitOutcome struct {
	VisitID string
	In, Out time.Time // zero Out: still there
	Done    bool      // every task done; otherwise the last one is not done, with Reason
	Reason  string
}

// ScheduleVisits plans many visits for one person in one transaction and
// one audited decision (a rota import; the demo's history).
func (s *Service) ScheduleVisits(ctx context.Context, actor door.Actor, personID string, ins []VisitInput) ([]Visit, error) {
	var out []Visit
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Appointment", Detail: fmt.Sprintf("%d visits scheduled together", len(ins))}); err != nil {
			return err
		}
		for _, in := range ins {
			v, err := s.scheduleVisit(sc, &door.Access{}, personID, in)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// CompleteVisits records check-ins and check-outs for many visits of one
// person in one transaction (history from another system; the demo).
func (s *Service) CompleteVisits(ctx context.Context, actor door.Actor, personID string, ds []VisitOutcome) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Encounter", Detail: fmt.Sprintf("%d visits recorded together", len(ds))}); err != nil {
			return err
		}
		for _, d := range ds {
			vs, err := s.loadVisits(sc, `v.id = ? AND v.person_id = ?`, sc.Now(), d.VisitID, personID)
			if err != nil {
				return err
			}
			if len(vs) == 0 {
				return hearth.Invalid("Visit", "Choose a visit from the list")
			}
			v := vs[0]
			if err := s.checkIn(sc, v, d.In); err != nil {
				return err
			}
			if d.Out.IsZero() {
				continue
			}
			v.CheckedInAt = d.In
			outcomes := map[string]TaskOutcome{}
			for i, t := range v.Tasks {
				outcomes[t.ID] = TaskOutcome{Set: true, Done: d.Done || i < len(v.Tasks)-1, Reason: d.Reason}
			}
			if err := s.checkOut(sc, v, d.Out, outcomes, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Service) visitStep(ctx context.Context, actor door.Actor, personID, visitID, what string, fn func(*door.Scope, Visit) error) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Encounter", ResourceID: visitID, Detail: what}); err != nil {
			return err
		}
		vs, err := s.loadVisits(sc, `v.id = ? AND v.person_id = ?`, sc.Now(), visitID, personID)
		if err != nil {
			return err
		}
		if len(vs) == 0 || !hearth.ValidID(visitID) {
			return hearth.Invalid("Visit", "Choose a visit from the list")
		}
		return fn(sc, vs[0])
	})
}

const visitColumns = `v.id, v.person_id, p.given_name || ' ' || p.family_name, v.window_start, v.window_end, v.planned_minutes,
	v.assigned_to, a.display_name, v.note, v.checked_in_at, v.checked_out_at, COALESCE(ci.display_name, ''),
	COALESCE(co.display_name, ''), v.outcome_note, l.latitude, l.longitude, l.accuracy_m, COALESCE(l.use_id, ''),
	COALESCE(l.use_version, 0), COALESCE(l.technology_name, ''), COALESCE(l.basis_kind, ''), COALESCE(l.basis_id, ''),
	COALESCE(l.basis_text, ''), l.recorded_at, v.created_at`

// visitBeforeCareEnded leaves out the visits of someone whose care has
// ended that were due after it ended: they leave every visit list, and
// the visits that happened stay in the record.
const visitBeforeCareEnded = `(p.ended_at IS NULL OR v.window_start < p.ended_at)`

func (s *Service) loadVisits(sc *door.Scope, where string, now time.Time, args ...any) ([]Visit, error) {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC()
		}
	}
	rows, err := sc.Query(`SELECT `+visitColumns+` FROM visits v JOIN people p ON p.id = v.person_id
		JOIN users a ON a.id = v.assigned_to LEFT JOIN users ci ON ci.id = v.checked_in_by LEFT JOIN users co ON co.id = v.checked_out_by
		LEFT JOIN visit_locations l ON l.visit_id = v.id
		WHERE `+where+` ORDER BY v.window_start, v.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Visit
	for rows.Next() {
		var v Visit
		var in, outAt, locAt sql.NullTime
		var lat, lon, acc sql.NullFloat64
		var l VisitLocation
		if err := rows.Scan(&v.ID, &v.PersonID, &v.PersonName, &v.WindowStart, &v.WindowEnd, &v.PlannedMinutes, &v.AssignedTo,
			&v.AssignedName, &v.Note, &in, &outAt, &v.CheckedInBy, &v.CheckedOutBy, &v.OutcomeNote, &lat, &lon, &acc, &l.UseID,
			&l.UseVersion, &l.TechnologyName, &l.BasisKind, &l.BasisID, &l.BasisText, &locAt, &v.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		if lat.Valid && lon.Valid {
			l.Latitude, l.Longitude, l.AccuracyM, l.RecordedAt = lat.Float64, lon.Float64, acc.Float64, locAt.Time.UTC()
			v.Location = &l
		}
		v.WindowStart, v.WindowEnd, v.CreatedAt = v.WindowStart.UTC(), v.WindowEnd.UTC(), v.CreatedAt.UTC()
		if in.Valid {
			v.CheckedInAt = in.Time.UTC()
		}
		if outAt.Valid {
			v.CheckedOutAt = outAt.Time.UTC()
		}
		s.visitStatus(&v, now)
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Tasks, err = visitTasks(sc, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func visitTasks(sc *door.Scope, visitID string) ([]VisitTask, error) {
	rows, err := sc.Query(`SELECT id, title, done, reason FROM visit_tasks WHERE visit_id = ? ORDER BY position`, visitID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VisitTask
	for rows.Next() {
		var t VisitTask
		var done sql.NullBool
		if err := rows.Scan(&t.ID, &t.Title, &done, &t.Reason); err != nil {
			return nil, err
		}
		t.Recorded, t.Done = done.Valid, done.Bool
		out = append(out, t)
	}
	return out, rows.Err()
}

// VisitsPage is a person's visits: the last week and the week ahead.
type VisitsPage struct {
	Person      people.Person
	Now         time.Time
	Visits      []Visit
	CanSchedule bool
	CanRecord   bool
	Location    LocationOffer // whether the care worker may share their location at check-in
	Staff       []Witness     // who may be assigned: the care team members who may record
}

// Visits reads a person's visits page.
func (s *Service) Visits(ctx context.Context, actor door.Actor, personID string) (VisitsPage, error) {
	var pg VisitsPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Appointment", Detail: "visits"}); err != nil {
			return err
		}
		var err error
		if pg.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		now := sc.Now()
		pg.Now = now
		if pg.Visits, err = s.loadVisits(sc, `v.person_id = ? AND v.window_start >= ? AND v.window_start < ?`, now,
			personID, ukDayStart(now).AddDate(0, 0, -7), ukDayStart(now).AddDate(0, 0, 8)); err != nil {
			return err
		}
		perms := actor.Role.Info().Permissions
		pg.CanSchedule = actor.Kind == access.KindStaff && perms.Has(access.WritePlan)
		pg.CanRecord = actor.Kind == access.KindStaff && perms.Has(access.WriteRecord)
		if pg.CanRecord {
			if pg.Location, err = s.locationOffer(sc, personID); err != nil {
				return err
			}
		}
		team, err := people.Team(sc, personID)
		if err != nil {
			return err
		}
		for _, m := range team {
			if m.StartsAt.After(now) || (!m.EndsAt.IsZero() && !m.EndsAt.After(now)) || !m.Role.Info().Permissions.Has(access.WriteRecord) {
				continue
			}
			pg.Staff = append(pg.Staff, Witness{ID: m.UserID, Name: m.Name})
		}
		return nil
	})
	return pg, err
}

// LocationVisits is the coordinator's list: every visit on a UK day for the
// people at a location the actor may see, with missed and late ones
// counted. The list is audited as a query and each person on it as a read.
type LocationVisits struct {
	Location           people.Location
	Day                time.Time
	Now                time.Time
	Visits             []Visit
	Missed, Late, Done int
}

// VisitsAt reads the coordinator's list for the UK day holding day.
func (s *Service) VisitsAt(ctx context.Context, actor door.Actor, locationID string, day time.Time) (LocationVisits, error) {
	var lv LocationVisits
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Appointment",
			ResourceID: locationID, Detail: "visits at a location"})
		if err != nil {
			return err
		}
		if lv.Location, err = loadLocation(sc, locationID); err != nil {
			return err
		}
		now := sc.Now()
		if day.IsZero() {
			day = now
		}
		lv.Day, lv.Now = calendarDay(day), now
		from := ukDayStart(day)
		to := ukDayStart(from.Add(26 * time.Hour))
		reach, args := sc.Reach("v.person_id", "p.location_id")
		all, err := s.loadVisits(sc, `p.location_id = ? AND v.window_start >= ? AND v.window_start < ? AND `+visitBeforeCareEnded+` AND `+reach, now,
			append([]any{locationID, from, to}, args...)...)
		if err != nil {
			return err
		}
		seen, err := door.Filter(sc, door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), ResourceType: "Appointment",
			Detail: "visits list"}, all, func(v Visit) string { return v.PersonID })
		if err != nil {
			return err
		}
		for _, v := range seen {
			lv.Visits = append(lv.Visits, v)
			switch {
			case v.Status == VisitMissed:
				lv.Missed++
			case v.Status == VisitLate || v.ArrivedLate:
				lv.Late++
			}
			if v.Status == VisitDone {
				lv.Done++
			}
		}
		// Missed and late first: that is what a coordinator acts on.
		sort.SliceStable(lv.Visits, func(i, j int) bool { return visitRank(lv.Visits[i]) < visitRank(lv.Visits[j]) })
		q.Detail = fmt.Sprintf("visits at %s on %s: %d visits for %d people", lv.Location.Name, ukDate(lv.Day), len(lv.Visits), countPeople(seen))
		return nil
	})
	return lv, err
}

func visitRank(v Visit) int {
	switch v.Status {
	case VisitMissed:
		return 0
	case VisitLate:
		return 1
	}
	return 2
}

func countPeople(vs []Visit) int {
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.PersonID] = true
	}
	return len(seen)
}
