// Package breakglass lets a staff member without a relationship open a
// person's record in an emergency. They must type why; the access lasts a
// bounded time (an hour by default); every access under it is marked
// break-glass in the audit log and on screen; and the grant waits on the
// information governance lead's review list until someone reviews it.
package breakglass

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// DefaultDuration is how long emergency access lasts.
const DefaultDuration = time.Hour

// Grant is one use of break-glass.
type Grant struct {
	ID         string
	UserID     string
	UserName   string
	UserRole   access.Role
	PersonID   string
	PersonName string
	Reason     string
	StartsAt   time.Time
	ExpiresAt  time.Time
	ReviewedBy string
	ReviewedAt time.Time
	ReviewNote string
}

// Service opens and reviews break-glass grants.
type Service struct {
	door     *door.Door
	duration time.Duration
}

// New returns the service; duration zero means DefaultDuration.
func New(d *door.Door, duration time.Duration) *Service {
	if duration <= 0 {
		duration = DefaultDuration
	}
	return &Service{door: d, duration: duration}
}

const (
	minReason = 10
	maxReason = 1000
)

// Open grants actor emergency access to the person with the given NHS
// number (or ID), for the service's duration, after checking the reason.
// The request is decided (and so audited) before the form is checked, so
// even an empty or unreadable one leaves its trace.
func (s *Service) Open(ctx context.Context, actor door.Actor, nhsNumberOrID, reason string) (Grant, error) {
	reason = strings.TrimSpace(reason)
	var p hearth.Problems
	p.Check(utf8.RuneCountInString(reason) >= minReason, "Reason", "Say why you need emergency access, in at least 10 characters")
	p.Check(utf8.RuneCountInString(reason) <= maxReason, "Reason", "Reason must be 1000 characters or fewer")
	key := strings.TrimSpace(nhsNumberOrID)
	var g Grant
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		personID := key
		if !hearth.ValidID(key) {
			personID = ""
			if n := people.NormaliseNHSNumber(key); n != "" {
				var err error
				if personID, err = sc.PersonByNHSNumber(n); err != nil {
					return err
				}
			}
		}
		detail := "emergency access requested"
		if len(p) == 0 {
			detail = "emergency access: " + reason
		}
		a, err := sc.Allow(door.Request{Action: access.BreakGlass, Purpose: access.Emergency, PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: detail})
		switch {
		case err == nil:
		case hearth.KindOf(err) != hearth.KindNotFound:
			return err
		case key == "":
			p.Add("NHS number", "Enter the person's NHS number")
		default:
			p.Add("NHS number", "No one with that NHS number is registered here")
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		g = Grant{ID: hearth.NewID(), UserID: actor.ID, UserName: actor.Name, UserRole: actor.Role, PersonID: personID,
			Reason: reason, StartsAt: now, ExpiresAt: now.Add(s.duration)}
		a.Decision.BreakGlass = true
		a.Decision.Basis = g.ID
		_, err = sc.Exec(`INSERT INTO break_glass (id, user_id, person_id, reason, starts_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, g.ID, g.UserID, g.PersonID, g.Reason, g.StartsAt, g.ExpiresAt)
		return err
	})
	return g, err
}

const grantColumns = `b.id, b.user_id, u.display_name, u.role, b.person_id, p.given_name || ' ' || p.family_name,
	b.reason, b.starts_at, b.expires_at, COALESCE(r.display_name, ''), b.reviewed_at, b.review_note`

func scanGrant(row interface{ Scan(...any) error }) (Grant, error) {
	var g Grant
	var role string
	var reviewed sql.NullTime
	err := row.Scan(&g.ID, &g.UserID, &g.UserName, &role, &g.PersonID, &g.PersonName, &g.Reason, &g.StartsAt,
		&g.ExpiresAt, &g.ReviewedBy, &reviewed, &g.ReviewNote)
	g.UserRole = access.ParseRole(role)
	if reviewed.Valid {
		g.ReviewedAt = reviewed.Time
	}
	return g, err
}

// Unreviewed lists grants awaiting review, oldest first, for the
// information governance lead. Each person named is an audited read.
func (s *Service) Unreviewed(ctx context.Context, actor door.Actor) ([]Grant, error) {
	q, err := s.UnreviewedPage(ctx, actor, 0, 0)
	return q.Grants, err
}

// ReviewQueue is a page of break-glass uses waiting for review.
type ReviewQueue struct {
	Grants []Grant
	Total  int // every use waiting that the actor may review
	Offset int
	Limit  int // zero: all of them
}

// UnreviewedPage is a page of Unreviewed, oldest first (a stable order),
// with how many are waiting in all.
func (s *Service) UnreviewedPage(ctx context.Context, actor door.Actor, offset, limit int) (ReviewQueue, error) {
	q := ReviewQueue{Offset: max(offset, 0), Limit: max(limit, 0)}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		list, err := sc.Allow(door.Request{Action: access.ReviewBreakGlass, Purpose: access.Governance, ResourceType: "AuditEvent", Detail: "break-glass review list"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("b.person_id", "p.location_id")
		where := `b.reviewed_at IS NULL AND ` + reach
		if err := sc.QueryRow(`SELECT COUNT(*) FROM break_glass b JOIN people p ON p.id = b.person_id WHERE `+where, args...).Scan(&q.Total); err != nil {
			return err
		}
		page := ""
		if q.Limit > 0 {
			page = fmt.Sprintf(" LIMIT %d OFFSET %d", q.Limit, q.Offset)
		}
		list.Detail = fmt.Sprintf("break-glass review list: %d waiting", q.Total)
		rows, err := sc.Query(`SELECT `+grantColumns+` FROM break_glass b JOIN users u ON u.id = b.user_id
			JOIN people p ON p.id = b.person_id LEFT JOIN users r ON r.id = b.reviewed_by
			WHERE `+where+` ORDER BY b.starts_at, b.id`+page, args...)
		if err != nil {
			return err
		}
		var all []Grant
		for rows.Next() {
			g, err := scanGrant(rows)
			if err != nil {
				rows.Close()
				return err
			}
			all = append(all, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		q.Grants, err = door.Filter(sc, door.Request{Action: access.ReadAccessLog, Purpose: access.Governance, ResourceType: "AuditEvent",
			Detail: "break-glass review"}, all, func(g Grant) string { return g.PersonID })
		return err
	})
	return q, err
}

// Review records that the information governance lead has looked at a
// grant, with what they concluded.
func (s *Service) Review(ctx context.Context, actor door.Actor, grantID, note string) error {
	note = strings.TrimSpace(note)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReviewBreakGlass, Purpose: access.Governance, ResourceType: "AuditEvent", ResourceID: grantID}); err != nil {
			return err
		}
		var personID string
		var reviewed sql.NullTime
		err := sc.QueryRow(`SELECT person_id, reviewed_at FROM break_glass WHERE id = ?`, grantID).Scan(&personID, &reviewed)
		if errors.Is(err, sql.ErrNoRows) || !hearth.ValidID(grantID) {
			return hearth.NotFound("That break-glass use")
		} else if err != nil {
			return err
		}
		if _, err := sc.Allow(door.Request{Action: access.ReadAccessLog, Purpose: access.Governance, PersonID: personID,
			ResourceType: "AuditEvent", ResourceID: grantID, Detail: "break-glass reviewed: " + note}); err != nil {
			return err
		}
		var p hearth.Problems
		p.Check(note != "", "Review note", "Say what you found, for example 'Appropriate: agency nurse covering a fall'")
		p.Check(utf8.RuneCountInString(note) <= maxReason, "Review note", "Review note must be 1000 characters or fewer")
		if err := p.Err(); err != nil {
			return err
		}
		if reviewed.Valid {
			return hearth.Errorf(hearth.KindConflict, "This break-glass use has already been reviewed")
		}
		_, err = sc.Exec(`UPDATE break_glass SET reviewed_by = ?, reviewed_at = ?, review_note = ? WHERE id = ?`,
			actor.ID, sc.Now(), note, grantID)
		return err
	})
}
