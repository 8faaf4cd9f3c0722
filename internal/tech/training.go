package tech

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// Training is one completed training module for one staff member. These are
// the minimal records the training gate needs; the governance issue builds
// the full training register on them.
type Training struct {
	ID          string
	UserID      string
	UserName    string
	Module      string
	CompletedOn time.Time
	ExpiresOn   time.Time
	RecordedAt  time.Time
}

// Current reports whether the training counts on the given day.
func (t Training) Current(now time.Time) bool {
	d := day(now)
	return !t.CompletedOn.After(d) && t.ExpiresOn.After(d)
}

// NewTraining is what recording training needs. Dates are as typed.
type NewTraining struct {
	UserID      string
	Module      string
	CompletedOn string
	ExpiresOn   string // empty: completed on plus the technology's refresher interval
}

// RecordTraining records that a staff member completed a module. It needs
// ManageTraining, a provider-level permission.
func (s *Service) RecordTraining(ctx context.Context, actor door.Actor, n NewTraining) (Training, error) {
	var t Training
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManageTraining, Purpose: access.Administration, ResourceType: "Basic",
			ResourceID: n.UserID, Detail: "recorded training"})
		if err != nil {
			return err
		}
		var p hearth.Problems
		n.Module = clean(n.Module)
		text(&p, "Module", n.Module, "Enter the training module", maxShort)
		completed, expires := ParseDay(n.CompletedOn), ParseDay(n.ExpiresOn)
		switch {
		case completed.IsZero():
			p.Add("Completed on", "Enter the date the training was completed, for example 2026-03-03")
		case completed.After(day(sc.Now())):
			p.Add("Completed on", "The completion date must not be in the future")
		}
		if n.ExpiresOn != "" && expires.IsZero() {
			p.Add("Expires on", "Enter the expiry date, for example 2027-03-03")
		}
		var name, kind string
		if hearth.ValidID(n.UserID) {
			err := sc.QueryRow(`SELECT display_name, kind FROM users WHERE id = ?`, n.UserID).Scan(&name, &kind)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		p.Check(kind == "staff", "Staff member", "Choose a member of staff")
		if err := p.Err(); err != nil {
			return err
		}
		if expires.IsZero() {
			months := 12
			if techs, err := allTechnologies(sc); err == nil {
				for _, tt := range techs {
					if tt.TrainingModule == n.Module && tt.RefresherMonths > 0 {
						months = tt.RefresherMonths
					}
				}
			}
			expires = completed.AddDate(0, months, 0)
		}
		if !expires.After(completed) {
			return hearth.Invalid("Expires on", "The expiry date must be after the completion date")
		}
		t = Training{ID: hearth.NewID(), UserID: n.UserID, UserName: name, Module: n.Module, CompletedOn: completed, ExpiresOn: expires, RecordedAt: sc.Now()}
		a.Detail = fmt.Sprintf("recorded training: %s completed %s by %s", t.Module, UKDay(completed), name)
		_, err = sc.Exec(`INSERT INTO tech_training (id, user_id, module, completed_on, expires_on, recorded_at, recorded_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.UserID, t.Module, t.CompletedOn, t.ExpiresOn, t.RecordedAt, actor.ID)
		return err
	})
	return t, err
}

// StaffMember is someone training can be recorded for.
type StaffMember struct {
	ID, Name, Role string
}

// TrainingPage is the training records screen.
type TrainingPage struct {
	Records []Training
	Staff   []StaffMember
	Modules []string
}

// TrainingRecords lists every training record, newest first, with the staff
// and modules for the form.
func (s *Service) TrainingRecords(ctx context.Context, actor door.Actor) (TrainingPage, error) {
	var pg TrainingPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ManageTraining, Purpose: access.Administration, ResourceType: "Basic",
			Detail: "read training records"}); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT t.id, t.user_id, u.display_name, t.module, t.completed_on, t.expires_on, t.recorded_at
			FROM tech_training t JOIN users u ON u.id = t.user_id ORDER BY u.display_name, t.module, t.completed_on DESC`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t Training
			if err := rows.Scan(&t.ID, &t.UserID, &t.UserName, &t.Module, &t.CompletedOn, &t.ExpiresOn, &t.RecordedAt); err != nil {
				rows.Close()
				return err
			}
			pg.Records = append(pg.Records, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = sc.Query(`SELECT id, display_name, role FROM users WHERE kind = 'staff' AND disabled_at IS NULL ORDER BY display_name`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m StaffMember
			if err := rows.Scan(&m.ID, &m.Name, &m.Role); err != nil {
				rows.Close()
				return err
			}
			pg.Staff = append(pg.Staff, m)
		}
		rows.Close()
		techs, err := allTechnologies(sc)
		if err != nil {
			return err
		}
		for _, t := range techs {
			if t.TrainingModule != "" && !has(pg.Modules, t.TrainingModule) {
				pg.Modules = append(pg.Modules, t.TrainingModule)
			}
		}
		sortStrings(pg.Modules)
		return rows.Err()
	})
	return pg, err
}

// trainingGate refuses a staff member whose training for the technology's
// module is not current. People and representatives are not gated: they
// do not operate the technology.
func trainingGate(sc *door.Scope, actor door.Actor, t Technology, now time.Time) error {
	if t.TrainingModule == "" || actor.Kind != access.KindStaff {
		return nil
	}
	// Not MAX(): SQLite loses the column's type in an aggregate.
	var latest sql.NullTime
	err := sc.QueryRow(`SELECT expires_on FROM tech_training WHERE user_id = ? AND module = ? AND completed_on <= ?
		ORDER BY expires_on DESC LIMIT 1`, actor.ID, t.TrainingModule, day(now)).Scan(&latest.Time)
	latest.Valid = err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !latest.Valid {
		return hearth.Errorf(hearth.KindForbidden, "You need current training in %q to record or operate %s, and you have no record of completing it", t.TrainingModule, t.Name)
	}
	if !latest.Time.After(day(now)) {
		return hearth.Errorf(hearth.KindForbidden, "You need current training in %q to record or operate %s: your training expired on %s", t.TrainingModule, t.Name, UKDay(latest.Time))
	}
	return nil
}

// Due lists each member of staff's latest training in each module that has
// expired or expires within 30 days of now, soonest first.
func (pg TrainingPage) Due(now time.Time) []Training {
	latest := map[string]Training{}
	var keys []string
	for _, t := range pg.Records {
		k := t.UserID + "|" + t.Module
		if cur, ok := latest[k]; !ok || t.ExpiresOn.After(cur.ExpiresOn) {
			if !ok {
				keys = append(keys, k)
			}
			latest[k] = t
		}
	}
	soon := day(now).AddDate(0, 0, 30)
	var out []Training
	for _, k := range keys {
		if t := latest[k]; !t.ExpiresOn.After(soon) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ExpiresOn.Before(out[j].ExpiresOn) })
	return out
}
