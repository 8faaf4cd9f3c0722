package governance

// Retention and disposal (issue 14 item 7; docs/governance-records.md).
//
// The retention schedule gives each type of record a minimum period, with
// defaults from the Records Management Code of Practice for Health and
// Social Care 2021 (Appendix II), which the provider may change (audited).
// A person's care record falls due for review when its period has run from
// the day their care ended (people.EndCare).
//
// Disposal is in three steps, because no command drops people's records
// without an explicit, audited, reversible step:
//
//  1. one senior account asks for the record to be disposed of, with a
//     reason; a legal hold on the record refuses it;
//  2. a different senior account approves: Hearth computes a SHA-256 hash
//     over every row of the record (kept in the disposal certificate, so
//     what was disposed is provable without being readable) and hides the
//     record: the door treats the person as not there. Either approver may
//     restore it until RestorePeriod has passed;
//  3. after that period a senior account purges it: the rows are deleted.
//
// The audit log is never touched: its events keep the person's ID (a
// random identifier, not their name), so the log still verifies after a
// purge, and the certificate's hash shows what was purged.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// RestorePeriod is how long an approved disposal can be undone before the
// record may be purged.
const RestorePeriod = 30 * 24 * time.Hour

// RecordType is a row of the retention schedule.
type RecordType struct {
	Key       string
	Title     string
	Years     int    // the period in force
	Default   int    // the Code's period
	From      string // what the period runs from, in words
	Source    string // the row of the Code the default comes from
	Confirmed bool   // whether the row was read in the Code itself (docs/governance-records.md)
	Note      string // the provider's reason for changing it
}

// CareRecord is the record type whose review the schedule drives: a
// person's whole care record, from the end of their care.
const CareRecord = "care-record"

// defaultSchedule is the Code's defaults (docs/governance-records.md says
// which rows were confirmed and which were not).
var defaultSchedule = []RecordType{
	{Key: CareRecord, Title: "Care record of a person who draws on care", Default: 8, From: "the end of care",
		Source: "Adult social care records: 8 years after the end of care or death", Confirmed: false},
	{Key: "incident", Title: "Incident and personal data breach records", Default: 10, From: "the incident is closed",
		Source: "Incidents (not serious): 10 years", Confirmed: false},
	{Key: "policy", Title: "Policies and procedures", Default: 10, From: "the policy is replaced",
		Source: "Policies, strategies and operating procedures", Confirmed: false},
}

func retentionRequest(id, detail string) door.Request {
	return door.Request{Action: access.ManageRetention, Purpose: access.Governance, ResourceType: "Retention", ResourceID: id, Detail: detail}
}

func schedule(sc *door.Scope) ([]RecordType, error) {
	out := make([]RecordType, len(defaultSchedule))
	copy(out, defaultSchedule)
	for i := range out {
		out[i].Years = out[i].Default
	}
	rows, err := sc.Query(`SELECT record_type, years, note FROM retention_rules`)
	if err != nil {
		return nil, fmt.Errorf("governance: retention rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, note string
		var years int
		if err := rows.Scan(&key, &years, &note); err != nil {
			return nil, err
		}
		for i := range out {
			if out[i].Key == key {
				out[i].Years, out[i].Note = years, note
			}
		}
	}
	return out, rows.Err()
}

func ruleOf(list []RecordType, key string) RecordType {
	for _, r := range list {
		if r.Key == key {
			return r
		}
	}
	return RecordType{}
}

// Rule says a record type's rule in words: "8 years after the end of care".
func (r RecordType) Rule() string {
	unit := "years"
	if r.Years == 1 {
		unit = "year"
	}
	return fmt.Sprintf("%d %s after %s", r.Years, unit, r.From)
}

// SetRetention changes a record type's period, with the reason. The
// default stays known and is shown beside it.
func (s *Service) SetRetention(ctx context.Context, actor door.Actor, key string, years int, note string) error {
	note = strings.TrimSpace(note)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(key, "retention period changed"))
		if err != nil {
			return err
		}
		list, err := schedule(sc)
		if err != nil {
			return err
		}
		r := ruleOf(list, key)
		var p hearth.Problems
		p.Check(r.Key != "", "Record type", "Choose a record type from the schedule")
		p.Check(years >= 1 && years <= 100, "Years", "Enter a period from 1 to 100 years")
		text(&p, "Reason", note, "Say why the period differs from the Code's", maxText)
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		res, err := sc.Exec(`UPDATE retention_rules SET years = ?, note = ?, updated_by = ?, updated_at = ? WHERE record_type = ?`,
			years, note, actor.ID, now, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := sc.Exec(`INSERT INTO retention_rules (record_type, years, note, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)`,
				key, years, note, actor.ID, now); err != nil {
				return err
			}
		}
		a.Detail = fmt.Sprintf("retention of %s set to %d years (was %d; the Code's default is %d): %s", r.Title, years, r.Years, r.Default, note)
		return nil
	})
}

// Hold is a legal hold on a person's record.
type Hold struct {
	ID, PersonID, Reason, PlacedBy string
	PlacedAt                       time.Time
}

// Disposal is one disposal of a person's record, at whatever step it is.
type Disposal struct {
	ID            string
	PersonID      string
	PersonName    string // while the record can still be read; empty once hidden
	PersonLabel   string // the reference the certificate names
	RecordType    string
	Rule          string
	CareEndedOn   time.Time
	Reason        string
	RequestedBy   string
	RequestedByID string
	RequestedAt   time.Time
	ApprovedBy    string
	ApprovedAt    time.Time
	RestoreUntil  time.Time
	ContentHash   string
	RowCount      int
	RestoredAt    time.Time
	RestoredBy    string
	RestoreReason string
	PurgedAt      time.Time
	PurgedBy      string
	CancelledAt   time.Time
}

// Step is where a disposal is.
func (d Disposal) Step() string {
	switch {
	case !d.CancelledAt.IsZero():
		return "cancelled"
	case !d.RestoredAt.IsZero():
		return "restored"
	case !d.PurgedAt.IsZero():
		return "purged"
	case !d.ApprovedAt.IsZero():
		return "disposed"
	}
	return "awaiting approval"
}

// Restorable reports whether the disposal can still be undone at now.
func (d Disposal) Restorable(now time.Time) bool {
	return d.Step() == "disposed" && now.Before(d.RestoreUntil)
}

// Purgeable reports whether the record may be purged at now.
func (d Disposal) Purgeable(now time.Time) bool {
	return d.Step() == "disposed" && !now.Before(d.RestoreUntil)
}

// DueRecord is a person's care record due for review under the schedule.
type DueRecord struct {
	PersonID    string
	Name        string
	CareEndedOn time.Time
	DueOn       time.Time
	Hold        *Hold
	Pending     *Disposal // a disposal awaiting approval
}

// RetentionPage is the retention screen: the schedule, the records due for
// review, the legal holds and the disposals.
type RetentionPage struct {
	Schedule  []RecordType
	Due       []DueRecord
	Holds     []Hold
	Disposals []Disposal
}

// Retention returns the retention screen for a senior account.
func (s *Service) Retention(ctx context.Context, actor door.Actor) (RetentionPage, error) {
	var pg RetentionPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest("", "retention schedule read"))
		if err != nil {
			return err
		}
		if pg.Schedule, err = schedule(sc); err != nil {
			return err
		}
		if pg.Due, err = due(sc, ruleOf(pg.Schedule, CareRecord)); err != nil {
			return err
		}
		if pg.Disposals, err = disposals(sc, ""); err != nil {
			return err
		}
		// A hold names a person: only those the reader may see are shown.
		holds, err := liveHolds(sc, "")
		if err != nil {
			return err
		}
		if pg.Holds, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: access.Governance, ResourceType: "Retention",
			Detail: "legal hold"}, holds, func(h Hold) string { return h.PersonID }); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("%d records due for review, %d disposals", len(pg.Due), len(pg.Disposals))
		return nil
	})
	return pg, err
}

// due lists the care records whose period has run, among the people the
// reader may see (Reach, then each decided).
func due(sc *door.Scope, rule RecordType) ([]DueRecord, error) {
	today := dayOf(sc.Now())
	cutoff := today.AddDate(-rule.Years, 0, 0)
	reach, args := sc.Reach("p.id", "p.location_id")
	rows, err := sc.Query(`SELECT p.id, p.given_name, p.family_name, p.care_ended_on FROM people p
		WHERE p.ended_at IS NOT NULL AND p.care_ended_on IS NOT NULL AND p.care_ended_on <= ? AND `+reach+`
		ORDER BY p.care_ended_on, p.id`, append([]any{cutoff}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("governance: records due for review: %w", err)
	}
	var list []DueRecord
	for rows.Next() {
		var d DueRecord
		var given, family string
		if err := rows.Scan(&d.PersonID, &given, &family, &d.CareEndedOn); err != nil {
			rows.Close()
			return nil, err
		}
		d.Name = given + " " + family
		d.CareEndedOn = d.CareEndedOn.UTC()
		d.DueOn = d.CareEndedOn.AddDate(rule.Years, 0, 0)
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	list, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: access.Governance, ResourceType: "Retention",
		Detail: "record due for retention review"}, list, func(d DueRecord) string { return d.PersonID })
	if err != nil {
		return nil, err
	}
	for i := range list {
		holds, err := liveHolds(sc, list[i].PersonID)
		if err != nil {
			return nil, err
		}
		if len(holds) > 0 {
			list[i].Hold = &holds[0]
		}
		pending, err := disposals(sc, "d.person_id = ? AND d.approved_at IS NULL AND d.cancelled_at IS NULL", list[i].PersonID)
		if err != nil {
			return nil, err
		}
		if len(pending) > 0 {
			list[i].Pending = &pending[0]
		}
	}
	return list, nil
}

// DueForReview is what Needs attention shows about retention: the care
// records whose retention period has run and that are not yet disposed of,
// among the people the viewer may see. Someone who may not manage
// retention gets none.
func (s *Service) DueForReview(ctx context.Context, actor door.Actor) (int, []DueRecord, error) {
	var out []DueRecord
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		d, err := sc.Check(retentionRequest("", "records due for review, for needs attention"))
		if err != nil || !d.Decision.Permit {
			return err
		}
		list, err := schedule(sc)
		if err != nil {
			return err
		}
		out, err = due(sc, ruleOf(list, CareRecord))
		return err
	})
	return len(out), out, err
}

func liveHolds(sc *door.Scope, personID string) ([]Hold, error) {
	q := `SELECT h.id, h.person_id, h.reason, u.display_name, h.placed_at FROM legal_holds h JOIN users u ON u.id = h.placed_by
		WHERE h.lifted_at IS NULL`
	var args []any
	if personID != "" {
		q += ` AND h.person_id = ?`
		args = append(args, personID)
	}
	rows, err := sc.Query(q+` ORDER BY h.placed_at, h.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("governance: legal holds: %w", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		if err := rows.Scan(&h.ID, &h.PersonID, &h.Reason, &h.PlacedBy, &h.PlacedAt); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// PlaceHold puts a legal hold on a person's record: it cannot be disposed
// of until the hold is lifted.
func (s *Service) PlaceHold(ctx context.Context, actor door.Actor, personID, reason string) (Hold, error) {
	reason = strings.TrimSpace(reason)
	var h Hold
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest("", "legal hold placed"))
		if err != nil {
			return err
		}
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.Governance, PersonID: personID, ResourceType: "Retention",
			Detail: "legal hold placed on the record"}); err != nil {
			return err
		}
		var p hearth.Problems
		text(&p, "Reason", reason, "Say why the record must be kept, such as 'Claim notified by solicitors, ref. 123'", maxText)
		if err := p.Err(); err != nil {
			return err
		}
		h = Hold{ID: hearth.NewID(), PersonID: personID, Reason: reason, PlacedBy: actor.Name, PlacedAt: sc.Now()}
		if _, err := sc.Exec(`INSERT INTO legal_holds (id, person_id, reason, placed_by, placed_at) VALUES (?, ?, ?, ?, ?)`,
			h.ID, personID, reason, actor.ID, h.PlacedAt); err != nil {
			return err
		}
		a.ResourceID = h.ID
		a.Detail = "legal hold placed: " + reason
		return nil
	})
	return h, err
}

// LiftHold lifts a legal hold, with the reason.
func (s *Service) LiftHold(ctx context.Context, actor door.Actor, holdID, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(holdID, "legal hold lifted"))
		if err != nil {
			return err
		}
		var personID string
		err = sql.ErrNoRows
		if hearth.ValidID(holdID) {
			err = sc.QueryRow(`SELECT person_id FROM legal_holds WHERE id = ? AND lifted_at IS NULL`, holdID).Scan(&personID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return hearth.NotFound("That legal hold")
		} else if err != nil {
			return err
		}
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.Governance, PersonID: personID, ResourceType: "Retention",
			Detail: "legal hold lifted from the record"}); err != nil {
			return err
		}
		var p hearth.Problems
		text(&p, "Reason", reason, "Say why the hold can be lifted", maxText)
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE legal_holds SET lifted_at = ?, lifted_by = ?, lift_reason = ? WHERE id = ?`, sc.Now(), actor.ID, reason, holdID); err != nil {
			return err
		}
		a.Detail = "legal hold lifted: " + reason
		return nil
	})
}

const disposalColumns = `d.id, d.person_id, d.person_label, d.record_type, d.rule, d.care_ended_on, d.reason, ru.display_name, d.requested_by,
	d.requested_at, COALESCE(au.display_name, ''), d.approved_at, d.restore_until, d.content_hash, d.row_count, d.restored_at,
	COALESCE(su.display_name, ''), d.restore_reason, d.purged_at, COALESCE(pu.display_name, ''), d.cancelled_at`

const disposalFrom = ` FROM disposals d JOIN users ru ON ru.id = d.requested_by LEFT JOIN users au ON au.id = d.approved_by
	LEFT JOIN users su ON su.id = d.restored_by LEFT JOIN users pu ON pu.id = d.purged_by`

func disposals(sc *door.Scope, where string, args ...any) ([]Disposal, error) {
	q := `SELECT ` + disposalColumns + disposalFrom
	if where != "" {
		q += ` WHERE ` + where
	}
	rows, err := sc.Query(q+` ORDER BY d.requested_at DESC, d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("governance: disposals: %w", err)
	}
	defer rows.Close()
	var out []Disposal
	for rows.Next() {
		var d Disposal
		var ended, approved, until, restored, purged, cancelled sql.NullTime
		if err := rows.Scan(&d.ID, &d.PersonID, &d.PersonLabel, &d.RecordType, &d.Rule, &ended, &d.Reason, &d.RequestedBy, &d.RequestedByID,
			&d.RequestedAt, &d.ApprovedBy, &approved, &until, &d.ContentHash, &d.RowCount, &restored, &d.RestoredBy, &d.RestoreReason,
			&purged, &d.PurgedBy, &cancelled); err != nil {
			return nil, err
		}
		d.CareEndedOn, d.ApprovedAt, d.RestoreUntil = ended.Time.UTC(), approved.Time, until.Time
		d.RestoredAt, d.PurgedAt, d.CancelledAt = restored.Time, purged.Time, cancelled.Time
		out = append(out, d)
	}
	return out, rows.Err()
}

func loadDisposal(sc *door.Scope, id string) (Disposal, error) {
	if !hearth.ValidID(id) {
		return Disposal{}, hearth.NotFound("That disposal")
	}
	list, err := disposals(sc, "d.id = ?", id)
	if err != nil {
		return Disposal{}, err
	}
	if len(list) == 0 {
		return Disposal{}, hearth.NotFound("That disposal")
	}
	return list[0], nil
}

// RequestDisposal asks for a person's care record to be disposed of: the
// first of the two senior accounts. The record must be past its retention
// period, with no legal hold and no other disposal under way.
func (s *Service) RequestDisposal(ctx context.Context, actor door.Actor, personID, reason string) (Disposal, error) {
	reason = strings.TrimSpace(reason)
	var d Disposal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest("", "disposal requested"))
		if err != nil {
			return err
		}
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.Governance, PersonID: personID, ResourceType: "Retention",
			Detail: "disposal of the record requested"}); err != nil {
			return err
		}
		p, err := people.Load(sc, personID)
		if err != nil {
			return err
		}
		list, err := schedule(sc)
		if err != nil {
			return err
		}
		rule := ruleOf(list, CareRecord)
		if err := disposable(sc, p, rule); err != nil {
			return err
		}
		var pending int
		if err := sc.QueryRow(`SELECT COUNT(*) FROM disposals WHERE person_id = ? AND cancelled_at IS NULL AND restored_at IS NULL`,
			personID).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return hearth.Errorf(hearth.KindConflict, "A disposal of %s's record is already under way", p.FullName())
		}
		var pr hearth.Problems
		text(&pr, "Reason", reason, "Say why the record can be disposed of now, such as 'Retention period reached; no claims or inquiries'", maxText)
		if err := pr.Err(); err != nil {
			return err
		}
		now := sc.Now()
		d = Disposal{ID: hearth.NewID(), PersonID: personID, PersonName: p.FullName(), PersonLabel: "Care record " + personID,
			RecordType: CareRecord, Rule: rule.Title + ": " + rule.Rule(), CareEndedOn: p.End.On, Reason: reason,
			RequestedBy: actor.Name, RequestedByID: actor.ID, RequestedAt: now}
		if _, err := sc.Exec(`INSERT INTO disposals (id, person_id, person_label, record_type, rule, care_ended_on, reason, requested_by, requested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, personID, d.PersonLabel, d.RecordType, d.Rule, p.End.On, reason, actor.ID, now); err != nil {
			return fmt.Errorf("governance: request disposal: %w", err)
		}
		a.ResourceID = d.ID
		a.Detail = fmt.Sprintf("disposal of %s requested under %s: %s", d.PersonLabel, d.Rule, reason)
		return nil
	})
	return d, err
}

// disposable checks the record may be disposed of now: care has ended,
// the period has run, and no legal hold stands.
func disposable(sc *door.Scope, p people.Person, rule RecordType) error {
	if !p.Ended() || p.End.On.IsZero() {
		return hearth.Invalid("Person", p.FullName()+"'s care has not ended, so their record is not due for disposal")
	}
	dueOn := p.End.On.AddDate(rule.Years, 0, 0)
	if dayOf(sc.Now()).Before(dueOn) {
		return hearth.Invalid("Person", fmt.Sprintf("%s's record must be kept until %s (%s)", p.FullName(), UKDate(dueOn), rule.Rule()))
	}
	holds, err := liveHolds(sc, p.ID)
	if err != nil {
		return err
	}
	if len(holds) > 0 {
		return hearth.Invalid("Legal hold", fmt.Sprintf("%s's record is under a legal hold (%s) and cannot be disposed of until the hold is lifted",
			p.FullName(), holds[0].Reason))
	}
	return nil
}

// ApproveDisposal is the second senior account's approval: the record is
// hashed, the hash kept in the certificate, and the record hidden. The
// account that asked cannot approve; a legal hold placed since refuses it.
func (s *Service) ApproveDisposal(ctx context.Context, actor door.Actor, id string) (Disposal, error) {
	var d Disposal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(id, "disposal approved"))
		if err != nil {
			return err
		}
		if d, err = loadDisposal(sc, id); err != nil {
			return err
		}
		if d.Step() != "awaiting approval" {
			return hearth.Errorf(hearth.KindConflict, "This disposal is %s, not awaiting approval", d.Step())
		}
		if d.RequestedByID == actor.ID {
			return hearth.Invalid("Approver", "A second senior account must approve this disposal, not the one that asked for it")
		}
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.Governance, PersonID: d.PersonID, ResourceType: "Retention",
			ResourceID: id, Detail: "disposal of the record approved"}); err != nil {
			return err
		}
		p, err := people.Load(sc, d.PersonID)
		if err != nil {
			return err
		}
		list, err := schedule(sc)
		if err != nil {
			return err
		}
		if err := disposable(sc, p, ruleOf(list, CareRecord)); err != nil {
			return err
		}
		hash, n, err := hashRecord(sc, d.PersonID)
		if err != nil {
			return err
		}
		now := sc.Now()
		d.ApprovedBy, d.ApprovedAt, d.RestoreUntil, d.ContentHash, d.RowCount = actor.Name, now, now.Add(RestorePeriod), hash, n
		// The condition makes a second, concurrent approval change nothing.
		res, err := sc.Exec(`UPDATE disposals SET approved_by = ?, approved_at = ?, restore_until = ?, content_hash = ?, row_count = ?
			WHERE id = ? AND approved_at IS NULL AND cancelled_at IS NULL`, actor.ID, now, d.RestoreUntil, hash, n, id)
		if err != nil {
			return fmt.Errorf("governance: approve disposal: %w", err)
		}
		if changed, err := res.RowsAffected(); err != nil {
			return err
		} else if changed == 0 {
			return hearth.Errorf(hearth.KindConflict, "This disposal has just been approved or cancelled by someone else")
		}
		if _, err := sc.Exec(`UPDATE people SET disposed_at = ? WHERE id = ?`, now, d.PersonID); err != nil {
			return fmt.Errorf("governance: hide disposed record: %w", err)
		}
		a.Detail = fmt.Sprintf("disposal of %s approved (asked for by %s); %d rows, SHA-256 %s; hidden, restorable until %s",
			d.PersonLabel, d.RequestedBy, n, hash, d.RestoreUntil.UTC().Format(time.RFC3339))
		return nil
	})
	return d, err
}

// CancelDisposal withdraws a disposal still awaiting approval.
func (s *Service) CancelDisposal(ctx context.Context, actor door.Actor, id string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(id, "disposal cancelled"))
		if err != nil {
			return err
		}
		d, err := loadDisposal(sc, id)
		if err != nil {
			return err
		}
		if d.Step() != "awaiting approval" {
			return hearth.Errorf(hearth.KindConflict, "This disposal is %s and can no longer be cancelled", d.Step())
		}
		_, err = sc.Exec(`UPDATE disposals SET cancelled_at = ?, cancelled_by = ? WHERE id = ?`, sc.Now(), actor.ID, id)
		a.Detail = "disposal of " + d.PersonLabel + " cancelled before approval"
		return err
	})
}

// RestoreDisposal undoes an approved disposal within RestorePeriod: the
// record is shown again, as it was.
func (s *Service) RestoreDisposal(ctx context.Context, actor door.Actor, id, reason string) (Disposal, error) {
	reason = strings.TrimSpace(reason)
	var d Disposal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(id, "disposal undone"))
		if err != nil {
			return err
		}
		if d, err = loadDisposal(sc, id); err != nil {
			return err
		}
		now := sc.Now()
		if !d.Restorable(now) {
			if d.Step() == "disposed" {
				return hearth.Errorf(hearth.KindConflict, "This disposal could be undone only until %s", UKDateTime(d.RestoreUntil))
			}
			return hearth.Errorf(hearth.KindConflict, "This disposal is %s and cannot be undone", d.Step())
		}
		var p hearth.Problems
		text(&p, "Reason", reason, "Say why the record is being restored", maxText)
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE disposals SET restored_at = ?, restored_by = ?, restore_reason = ? WHERE id = ?`, now, actor.ID, reason, id); err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE people SET disposed_at = NULL WHERE id = ?`, d.PersonID); err != nil {
			return err
		}
		d.RestoredAt, d.RestoredBy, d.RestoreReason = now, actor.Name, reason
		a.Detail = "disposal of " + d.PersonLabel + " undone; the record is shown again: " + reason
		return nil
	})
	return d, err
}

// PurgeDisposal is the final step, once the restore period has passed:
// the record's rows are deleted. The certificate keeps the hash and the
// count; the audit log is untouched and still verifies.
func (s *Service) PurgeDisposal(ctx context.Context, actor door.Actor, id string) (Disposal, error) {
	var d Disposal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(retentionRequest(id, "disposed record purged"))
		if err != nil {
			return err
		}
		if d, err = loadDisposal(sc, id); err != nil {
			return err
		}
		now := sc.Now()
		if !d.Purgeable(now) {
			if d.Step() == "disposed" {
				return hearth.Errorf(hearth.KindConflict, "The record can be purged from %s, once it can no longer be restored", UKDateTime(d.RestoreUntil))
			}
			return hearth.Errorf(hearth.KindConflict, "This disposal is %s and cannot be purged", d.Step())
		}
		hash, n, err := hashRecord(sc, d.PersonID)
		if err != nil {
			return err
		}
		if hash != d.ContentHash {
			// The hidden record changed after approval (it should not be
			// able to): purge only what the certificate describes.
			return hearth.Errorf(hearth.KindConflict, "The record no longer matches the hash in its certificate; it has not been purged")
		}
		for _, t := range recordTables {
			if _, err := sc.Exec(`DELETE FROM `+t.table+` WHERE `+t.where, d.PersonID); err != nil {
				return fmt.Errorf("governance: purge %s: %w", t.table, err)
			}
		}
		if _, err := sc.Exec(`UPDATE disposals SET purged_at = ?, purged_by = ? WHERE id = ?`, now, actor.ID, id); err != nil {
			return err
		}
		d.PurgedAt, d.PurgedBy = now, actor.Name
		a.Detail = fmt.Sprintf("%s purged: %d rows deleted, SHA-256 %s as certified", d.PersonLabel, n, hash)
		return nil
	})
	return d, err
}

// recordTables are every table holding a person's record, children before
// their parents, each with the condition naming the person's rows. The
// people row itself comes last. internal/governance's tests check that
// every table with a person_id column is here (or deliberately kept).
var recordTables = []struct{ table, where string }{
	{"visit_tasks", "visit_id IN (SELECT id FROM visits WHERE person_id = ?)"},
	{"visit_locations", "person_id = ?"},
	{"tech_use_versions", "use_id IN (SELECT id FROM tech_uses WHERE person_id = ?)"},
	{"tech_use_stops", "use_id IN (SELECT id FROM tech_uses WHERE person_id = ?)"},
	{"tech_copies", "person_id = ?"},
	{"tech_outcomes", "person_id = ?"},
	{"tech_reviews", "person_id = ?"},
	{"tech_concerns", "person_id = ?"},
	{"tech_characteristics", "person_id = ?"},
	{"tech_inclusion", "person_id = ?"},
	{"tech_uses", "person_id = ?"},
	{"medicine_doses", "person_id = ?"},
	{"medicines", "person_id = ?"},
	{"observations", "person_id = ?"},
	{"daily_notes", "person_id = ?"},
	{"about_me_entries", "person_id = ?"},
	{"care_plan_versions", "person_id = ?"},
	{"care_plans", "person_id = ?"},
	{"risk_versions", "person_id = ?"},
	{"risk_assessments", "person_id = ?"},
	{"safety_plan_versions", "person_id = ?"},
	{"fluid_targets", "person_id = ?"},
	{"visits", "person_id = ?"},
	{"consents", "person_id = ?"},
	{"best_interests", "person_id = ?"},
	{"capacity_assessments", "person_id = ?"},
	{"lawful_bases", "person_id = ?"},
	{"representative_accounts", "representative_id IN (SELECT id FROM representatives WHERE person_id = ?)"},
	{"representatives", "person_id = ?"},
	{"notification_outbox", "person_id = ?"},
	{"withheld_items", "person_id = ?"},
	{"correction_requests", "person_id = ?"},
	{"portal_messages", "person_id = ?"},
	{"portal_concerns", "person_id = ?"},
	{"portal_invitations", "person_id = ?"},
	{"person_accounts", "person_id = ?"},
	{"break_glass", "person_id = ?"},
	{"care_team", "person_id = ?"},
	{"person_placements", "person_id = ?"},
	{"incident_people", "person_id = ?"},
	{"legal_holds", "person_id = ?"},
	{"people", "id = ?"},
}

// RecordTables names the tables a purge deletes from, for tests.
func RecordTables() []string {
	out := make([]string, len(recordTables))
	for i, t := range recordTables {
		out[i] = t.table
	}
	return out
}

// hashRecord is a SHA-256 over every row of the person's record, table by
// table in a fixed order, rows by their first column, each value written
// out with its table and column: the same record gives the same hash, and
// any change to it gives another.
func hashRecord(sc *door.Scope, personID string) (string, int, error) {
	h := sha256.New()
	n := 0
	for _, t := range recordTables {
		rows, err := sc.Query(`SELECT * FROM `+t.table+` WHERE `+t.where+` ORDER BY 1`, personID)
		if err != nil {
			return "", 0, fmt.Errorf("governance: hash %s: %w", t.table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return "", 0, err
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return "", 0, err
			}
			fmt.Fprintf(h, "%s\x00", t.table)
			for i, v := range vals {
				if cols[i] == "disposed_at" {
					continue // the step itself, not the record
				}
				fmt.Fprintf(h, "%s=%s\x00", cols[i], canonical(v))
			}
			fmt.Fprint(h, "\n")
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", 0, err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// Certificate is a disposal certificate: what was disposed of (by
// reference and hash, not its content), under which rule, who asked and
// who approved, and where the disposal is.
func (s *Service) Certificate(ctx context.Context, actor door.Actor, id string) (Disposal, error) {
	var d Disposal
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(retentionRequest(id, "disposal certificate")); err != nil {
			return err
		}
		var err error
		if d, err = loadDisposal(sc, id); err != nil {
			return err
		}
		if d.ApprovedAt.IsZero() {
			return hearth.Invalid("Approver", "A disposal has a certificate once a second senior account has approved it")
		}
		return nil
	})
	return d, err
}

// CertificateLines are the certificate's contents, for HTML and PDF alike.
func (d Disposal) CertificateLines(now time.Time) []Item {
	status := "Disposed of: hidden from everyone, and can be restored by an approver until " + UKDateTime(d.RestoreUntil) +
		"; after that it will be purged."
	switch d.Step() {
	case "purged":
		status = "Purged on " + UKDateTime(d.PurgedAt) + " by " + d.PurgedBy + ": the record's rows have been deleted."
	case "restored":
		status = "Restored on " + UKDateTime(d.RestoredAt) + " by " + d.RestoredBy + ": " + d.RestoreReason
	}
	ended := UKDate(d.CareEndedOn)
	return []Item{
		{"Certificate", d.ID},
		{"What was disposed of", d.PersonLabel + " (the whole care record: " + fmt.Sprint(d.RowCount) + " rows)"},
		{"Care ended", ended},
		{"Rule applied", d.Rule},
		{"Reason", d.Reason},
		{"Asked for by", d.RequestedBy + " on " + UKDateTime(d.RequestedAt)},
		{"Approved by", d.ApprovedBy + " on " + UKDateTime(d.ApprovedAt)},
		{"SHA-256 of the record", d.ContentHash},
		{"Where it stands", status},
		{"How to check", "The hash was computed over every row of the record when it was approved. Anyone holding a copy of the record " +
			"(a backup taken before the purge) can show it is the record disposed of by computing the same hash; the certificate itself " +
			"reveals nothing of its content. The audit log keeps every event about the record, under the same reference, and still verifies."},
	}
}

// PDF renders the certificate.
func (d Disposal) PDF(now time.Time) ([]byte, error) {
	doc := newDocument("Certificate of disposal")
	for _, it := range d.CertificateLines(now) {
		doc.row(it.Heading, it.Text)
	}
	return doc.bytes()
}
