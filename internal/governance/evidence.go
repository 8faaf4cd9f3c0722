package governance

// The evidence report (issue 14 item 9): live figures for the Data Security
// and Protection Toolkit and the Digital Technology Assessment Criteria,
// generated when asked for, as HTML and PDF. Nothing in it is typed in:
// each figure is read from the database at that moment, and where nothing
// has happened yet it says "never" rather than leave a gap.
//
// The audit actions it reads (backup, backup-verify, audit-verify) are
// written by the parts of Hearth that do those things, as audit events
// with outcome success. The last witnessed checkpoint is read from the
// witness file itself (Service.WithWitness): an event for each would need
// sealing, which makes a new checkpoint to witness, for ever.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
)

// The audit actions the report reads.
const (
	ActionBackup       = "backup"
	ActionBackupVerify = "backup-verify"
	ActionAuditVerify  = "audit-verify"
)

// LastEvent is the latest successful event of an action, or none.
type LastEvent struct {
	At     time.Time
	Detail string
}

// Words is when it last happened, or "never".
func (e LastEvent) Words() string {
	if e.At.IsZero() {
		return "never"
	}
	return UKDateTime(e.At)
}

// Evidence is the report's figures.
type Evidence struct {
	GeneratedAt time.Time
	Provider    string

	ActiveAccounts int
	WithMFA        int // TOTP enrolled or a passkey registered

	AuditVerified LastEvent
	Witnessed     LastEvent
	Backup        LastEvent
	RestoreTest   LastEvent

	BreakGlassTotal    int // emergency accesses in the last 12 months
	BreakGlassReviewed int
	BreakGlassAwaiting int // ended and not yet reviewed

	TrainingModules []string // the modules the register's technologies need
	StaffNeeding    int      // active staff
	StaffTrained    int      // active staff current in every module

	OpenIncidents   int
	OpenBreaches    int
	OverdueBreaches int // past 72 hours with no report or recorded reason
	PoliciesOverdue int
}

// Percent is part of whole as a whole percentage, with the counts: "9 of
// 10 (90%)"; "none to count" when whole is 0.
func Percent(part, whole int) string {
	if whole == 0 {
		return "none to count"
	}
	return fmt.Sprintf("%d of %d (%d%%)", part, whole, part*100/whole)
}

// MFA is the MFA coverage in words.
func (e Evidence) MFA() string { return Percent(e.WithMFA, e.ActiveAccounts) }

// Training is the training compliance in words.
func (e Evidence) Training() string {
	if len(e.TrainingModules) == 0 {
		return "No technology in the register needs training"
	}
	return Percent(e.StaffTrained, e.StaffNeeding)
}

// AccessReviews is the break-glass reviews in words.
func (e Evidence) AccessReviews() string {
	if e.BreakGlassTotal == 0 {
		return "No emergency access in the last 12 months"
	}
	return fmt.Sprintf("%s reviewed; %d awaiting review", Percent(e.BreakGlassReviewed, e.BreakGlassTotal), e.BreakGlassAwaiting)
}

// Lines are the report's figures in order, for HTML and PDF alike.
func (e Evidence) Lines() []Item {
	return []Item{
		{"Multi-factor authentication", e.MFA() + " of active accounts have an authenticator app or a passkey"},
		{"Audit log last verified", e.AuditVerified.Words()},
		{"Last checkpoint witnessed", e.Witnessed.Words()},
		{"Last backup", e.Backup.Words()},
		{"Last restore test passed", e.RestoreTest.Words()},
		{"Access reviews (emergency access, last 12 months)", e.AccessReviews()},
		{"Training compliance (staff current in every module the register needs)", e.Training()},
		{"Open incidents", fmt.Sprintf("%d open; personal data breaches among them: %d (overdue for reporting to the ICO: %d)",
			e.OpenIncidents, e.OpenBreaches, e.OverdueBreaches)},
		{"Policies overdue for review", fmt.Sprint(e.PoliciesOverdue)},
	}
}

// PDF renders the report.
func (e Evidence) PDF() ([]byte, error) {
	d := newDocument("Evidence report: Data Security and Protection Toolkit and DTAC")
	d.para(e.Provider)
	d.para("Generated on " + UKDateTime(e.GeneratedAt) + " from the live record. Every figure is read when the report is generated.")
	d.f.Ln(2)
	for _, it := range e.Lines() {
		d.row(it.Heading, it.Text)
	}
	return d.bytes()
}

// Evidence generates the report for anyone who oversees governance.
func (s *Service) Evidence(ctx context.Context, actor door.Actor) (Evidence, error) {
	var e Evidence
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ViewGovernance, Purpose: access.Governance, ResourceType: "Basic",
			Detail: "evidence report generated"})
		if err != nil {
			return err
		}
		now := sc.Now()
		e.GeneratedAt = now
		if err := sc.QueryRow(`SELECT name FROM providers ORDER BY created_at LIMIT 1`).Scan(&e.Provider); err != nil && err != sql.ErrNoRows {
			return err
		}
		if err := sc.QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN u.totp_enrolled_at IS NOT NULL
				OR EXISTS (SELECT 1 FROM webauthn_credentials w WHERE w.user_id = u.id) THEN 1 ELSE 0 END), 0)
			FROM users u WHERE u.disabled_at IS NULL`).Scan(&e.ActiveAccounts, &e.WithMFA); err != nil {
			return fmt.Errorf("governance: MFA coverage: %w", err)
		}
		for _, l := range []struct {
			action string
			into   *LastEvent
		}{{ActionAuditVerify, &e.AuditVerified}, {ActionBackup, &e.Backup}, {ActionBackupVerify, &e.RestoreTest}} {
			var at sql.NullTime
			var detail sql.NullString
			err := sc.QueryRow(`SELECT at, detail FROM audit_events WHERE action = ? AND outcome = ? ORDER BY at DESC, id DESC LIMIT 1`,
				l.action, audit.OutcomeSuccess).Scan(&at, &detail)
			if err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("governance: last %s: %w", l.action, err)
			}
			*l.into = LastEvent{At: at.Time, Detail: detail.String}
		}
		if s.witnessed != nil {
			size, at, ok, err := s.witnessed(ctx)
			if err != nil {
				// A witness file that is not this log's is itself a finding.
				e.Witnessed = LastEvent{Detail: err.Error()}
			} else if ok {
				e.Witnessed = LastEvent{At: at, Detail: fmt.Sprintf("a signed checkpoint of %d events", size)}
			}
		}
		since := now.AddDate(-1, 0, 0)
		if err := sc.QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN reviewed_at IS NOT NULL THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN reviewed_at IS NULL AND expires_at <= ? THEN 1 ELSE 0 END), 0)
			FROM break_glass WHERE starts_at >= ?`, now, since).Scan(&e.BreakGlassTotal, &e.BreakGlassReviewed, &e.BreakGlassAwaiting); err != nil {
			return fmt.Errorf("governance: access reviews: %w", err)
		}
		if err := training(sc, now, &e); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT kind, aware_at, ico_reported_at, not_reported_why FROM incidents WHERE closed_at IS NULL`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var in Incident
			var reported sql.NullTime
			if err := rows.Scan(&in.Kind, &in.AwareAt, &reported, &in.NotReportedWhy); err != nil {
				rows.Close()
				return err
			}
			in.ICOReportedAt = reported.Time
			e.OpenIncidents++
			if in.Breach() {
				e.OpenBreaches++
			}
			if in.Overdue(now) {
				e.OverdueBreaches++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := sc.QueryRow(`SELECT COUNT(*) FROM policies WHERE retired_at IS NULL AND next_review < ?`, dayOf(now)).Scan(&e.PoliciesOverdue); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("evidence report: MFA %s; training %s; %d open incidents", e.MFA(), e.Training(), e.OpenIncidents)
		return nil
	})
	return e, err
}

// training counts the active staff who hold current training in every
// module a technology in the register (not withdrawn) needs.
func training(sc *door.Scope, now time.Time, e *Evidence) error {
	rows, err := sc.Query(`SELECT data FROM tech_technologies WHERE status <> 'withdrawn'`)
	if err != nil {
		return fmt.Errorf("governance: training modules: %w", err)
	}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return err
		}
		var t struct {
			Module string `json:"training_module"`
		}
		if json.Unmarshal([]byte(data), &t) == nil && t.Module != "" && !slices.Contains(e.TrainingModules, t.Module) {
			e.TrainingModules = append(e.TrainingModules, t.Module)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(e.TrainingModules)
	if len(e.TrainingModules) == 0 {
		return nil
	}
	today := dayOf(now)
	rows, err = sc.Query(`SELECT u.id, t.module FROM users u LEFT JOIN tech_training t ON t.user_id = u.id
		AND t.completed_on <= ? AND t.expires_on > ? WHERE u.kind = 'staff' AND u.disabled_at IS NULL`, today, today)
	if err != nil {
		return fmt.Errorf("governance: training compliance: %w", err)
	}
	held := map[string]map[string]bool{}
	for rows.Next() {
		var id string
		var module sql.NullString
		if err := rows.Scan(&id, &module); err != nil {
			rows.Close()
			return err
		}
		if held[id] == nil {
			held[id] = map[string]bool{}
		}
		if module.Valid {
			held[id][module.String] = true
		}
	}
	rows.Close()
	e.StaffNeeding = len(held)
	for _, mods := range held {
		all := true
		for _, m := range e.TrainingModules {
			all = all && mods[m]
		}
		if all {
			e.StaffTrained++
		}
	}
	return rows.Err()
}
