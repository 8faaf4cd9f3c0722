package accounts

// Staff in the web interface: the administrator or a registered manager
// invites a member of staff (a one-time, hashed, expiring link where they
// set a password and enrol an authenticator), changes their role and
// locations, records a leaver (disabled, sessions ended at once, care-team
// memberships ended), and resets a lost second factor with a second senior
// account's approval. Each is decided by access.DecideStaff, the role
// ceiling and the locations included, and audited with its decision and
// reason, refusals too. The command line operator is trusted and acts
// without these decisions (docs/security.md).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// subject is the actor as the access rules see it.
func (a Actor) subject() access.Subject {
	return access.Subject{ID: a.ID, Kind: access.ParseKind(a.Kind), Role: access.ParseRole(a.Role)}
}

// decision is what an event records of a decision.
func withDecision(ev audit.Event, d access.Decision) audit.Event {
	ev.Purpose, ev.Decision, ev.Reason, ev.ReasonText = access.Administration.String(), d.Outcome(), d.Reason.String(), d.Sentence()
	if !d.Permit {
		ev.Outcome = audit.OutcomeDenied
	}
	return ev
}

// staffWork is one decided change to staff: facts are loaded, the change
// decided, and then made, in one transaction. A refusal and a failed change
// are audited in a fresh transaction, as the door does, so every attempt
// leaves its event and a failed one changes nothing else.
type staffWork struct {
	action    string // the audited action, such as "staff-invite"
	targetID  string
	approving bool
	// facts loads what the decision needs; a not-found error here is
	// audited under the provider-level decision.
	facts func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error)
	// change makes the change and says what it did, for the audit log.
	change func(tx *store.Tx, now time.Time) (string, error)
}

func (s *Service) staffDo(ctx context.Context, by Actor, meta Meta, w staffWork) error {
	if by.Kind == OperatorKind {
		// The operator at the command line: trusted, audited as such.
		return s.db.Tx(ctx, func(tx *store.Tx) error {
			detail, err := w.change(tx, s.clock())
			if err != nil {
				return err
			}
			return s.audit(ctx, tx, actorEvent(by, w.action, audit.OutcomeSuccess, w.targetID, detail), meta)
		})
	}
	sub := by.subject()
	d := access.Decide(sub, access.ManageStaff, access.Resource{}, access.Administration)
	var shown error // returned after the attempt is audited
	var detail string
	if d.Permit {
		shown = s.db.Tx(ctx, func(tx *store.Tx) error {
			mine, err := managed(ctx, tx, sub)
			if err != nil {
				return err
			}
			f, err := w.facts(tx, mine)
			if err != nil {
				return err
			}
			d = access.DecideStaff(sub, access.ManageStaff, f, w.approving)
			if !d.Permit {
				return errDeniedStaff
			}
			if detail, err = w.change(tx, s.clock()); err != nil {
				return err
			}
			return s.audit(ctx, tx, withDecision(actorEvent(by, w.action, audit.OutcomeSuccess, w.targetID, detail), d), meta)
		})
		if shown == nil {
			return nil
		}
	}
	outcome := audit.OutcomeDenied
	if d.Permit {
		switch hearth.KindOf(shown) {
		case hearth.KindInvalid, hearth.KindConflict:
			outcome = audit.OutcomeInvalid
		case hearth.KindNotFound:
			outcome = audit.OutcomeNotFound
		default:
			outcome = audit.OutcomeFailed
		}
	}
	ev := withDecision(actorEvent(by, w.action, outcome, w.targetID, detailOf(shown, d)), d)
	ev.ClientAddr, ev.RequestID = meta.ClientAddr, meta.RequestID
	if _, err := s.log.AppendNow(ctx, ev); err != nil {
		return errors.Join(shown, err)
	}
	if !d.Permit || errors.Is(shown, errDeniedStaff) {
		return hearth.Errorf(hearth.KindForbidden, "%s", d.Sentence())
	}
	return shown
}

var errDeniedStaff = errors.New("denied by access.DecideStaff")

func detailOf(err error, d access.Decision) string {
	if err == nil || errors.Is(err, errDeniedStaff) {
		return d.Sentence()
	}
	var herr *hearth.Error
	if errors.As(err, &herr) {
		return herr.Error()
	}
	return "failed"
}

// managed is the set of locations a location-wide role holds, or nil for a
// role that covers the whole provider.
func managed(ctx context.Context, q querier, sub access.Subject) (map[string]bool, error) {
	if !sub.Role.Info().LocationWide {
		return nil, nil
	}
	ids, err := locationsOf(ctx, q, sub.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// holds reports whether every location in ids is in mine (nil: all).
func holds(mine map[string]bool, ids []string) bool {
	if mine == nil {
		return true
	}
	for _, id := range ids {
		if !mine[id] {
			return false
		}
	}
	return true
}

// shares reports whether a member of staff working at ids is one the
// holder of mine looks after: they work at one of mine, or nowhere yet.
func shares(mine map[string]bool, ids []string) bool {
	if mine == nil || len(ids) == 0 {
		return true
	}
	for _, id := range ids {
		if mine[id] {
			return true
		}
	}
	return false
}

// Invitation is an invitation to join as staff.
type Invitation struct {
	ID            string
	Username      string
	DisplayName   string
	Email         string
	Role          access.Role
	LocationIDs   []string
	InvitedByName string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time // zero until accepted
}

// NewInvitation is what inviting a member of staff needs.
type NewInvitation struct {
	Username    string
	DisplayName string
	Email       string // optional: where to reach them
	Role        access.Role
	LocationIDs []string
}

// problems are the rules an invitation must keep that need no database.
func (n NewInvitation) problems() hearth.Problems {
	var p hearth.Problems
	p.Check(validUsername(normaliseUsername(n.Username)), "Username", "Username must be 3 to 64 letters, digits, dots, underscores or hyphens")
	name, email := strings.TrimSpace(n.DisplayName), strings.TrimSpace(n.Email)
	p.Check(name != "", "Name", "Enter their name")
	p.Check(len(name) <= 200, "Name", "Name must be at most 200 characters")
	if email != "" {
		a, err := mail.ParseAddress(email)
		p.Check(err == nil && a.Address == email && len(email) <= 254, "Email", "Enter an email address like name@example.org, or leave it empty")
	}
	p.Check(n.Role != access.RoleNone, "Role", "Choose a role")
	p.Check(len(n.LocationIDs) > 0 || n.Role == access.Administrator || n.Role == access.RoleNone, "Locations", "Choose at least one location where they will work")
	return p
}

// Check reports the rules an invitation breaks that can be checked before
// anything is written (the command line checks before it sets up a
// provider, so a bad username does not leave half a set-up).
func (n NewInvitation) Check() error { return n.problems().Err() }

func hashInvitation(token string) (string, bool) {
	if len(token) != 43 {
		return "", false
	}
	sum := sha256.Sum256([]byte("hearth staff invitation\x00" + token))
	return hex.EncodeToString(sum[:]), true
}

// Invite invites a member of staff and returns the invitation and its
// token, shown once: the link is /invitation/{token}. Only the hash is
// stored. An inviter may give only a role within their ceiling and, for a
// registered manager, only their own locations.
func (s *Service) Invite(ctx context.Context, by Actor, n NewInvitation, meta Meta) (Invitation, string, error) {
	n.Username = normaliseUsername(n.Username)
	n.DisplayName, n.Email = strings.TrimSpace(n.DisplayName), strings.TrimSpace(n.Email)
	locations := slices.Compact(slices.Sorted(slices.Values(n.LocationIDs)))
	token := randomToken()
	hash, _ := hashInvitation(token)
	inv := Invitation{ID: hearth.NewID(), Username: n.Username, DisplayName: n.DisplayName, Email: n.Email, Role: n.Role,
		LocationIDs: locations, InvitedByName: by.Name}
	err := s.staffDo(ctx, by, meta, staffWork{action: "staff-invite",
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			return access.StaffFacts{NewRole: n.Role, SharesLocation: true, LocationsHeld: holds(mine, locations)}, nil
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			p := n.problems()
			if err := checkLocations(ctx, tx, &p, locations); err != nil {
				return "", err
			}
			if err := p.Err(); err != nil {
				return "", err
			}
			if taken, err := usernameTaken(ctx, tx, n.Username, now); err != nil {
				return "", err
			} else if taken {
				return "", hearth.Invalid("Username", "That username is taken: choose another")
			}
			inv.CreatedAt, inv.ExpiresAt = now, now.Add(InvitationTTL)
			if _, err := tx.Exec(ctx, `INSERT INTO staff_invitations (id, token_hash, username, display_name, email, role, invited_by,
				invited_by_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inv.ID, hash, inv.Username, inv.DisplayName,
				inv.Email, inv.Role.String(), by.ID, by.Name, now, inv.ExpiresAt); err != nil {
				return "", fmt.Errorf("accounts: invite: %w", err)
			}
			for _, id := range locations {
				if _, err := tx.Exec(ctx, `INSERT INTO staff_invitation_locations (invitation_id, location_id) VALUES (?, ?)`, inv.ID, id); err != nil {
					return "", fmt.Errorf("accounts: invite: %w", err)
				}
			}
			return fmt.Sprintf("invited %s (%s) as %s; the link expires %s", inv.DisplayName, inv.Username, inv.Role.Title(),
				inv.ExpiresAt.Format("2 January 2006 15:04 MST")), nil
		}})
	if err != nil {
		return Invitation{}, "", err
	}
	return inv, token, nil
}

// checkLocations adds a problem unless every location exists and is open.
func checkLocations(ctx context.Context, tx *store.Tx, p *hearth.Problems, ids []string) error {
	for _, id := range ids {
		var closed sql.NullTime
		err := sql.ErrNoRows
		if hearth.ValidID(id) {
			err = tx.QueryRow(ctx, `SELECT closed_at FROM locations WHERE id = ?`, id).Scan(&closed)
		}
		if errors.Is(err, sql.ErrNoRows) {
			p.Add("Locations", "Choose locations that exist")
			return nil
		}
		if err != nil {
			return fmt.Errorf("accounts: check location: %w", err)
		}
		if closed.Valid {
			p.Add("Locations", "Choose locations that are open")
			return nil
		}
	}
	return nil
}

// usernameTaken: an account has it, or a live invitation is waiting with it.
func usernameTaken(ctx context.Context, q querier, username string, now time.Time) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE username = ?) +
		(SELECT COUNT(*) FROM staff_invitations WHERE username = ? AND used_at IS NULL AND expires_at > ?)`, username, username, now).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("accounts: check username: %w", err)
	}
	return n > 0, nil
}

// Errors for invitation links, worded for the person holding the link.
func errInvitationUnknown() error {
	return hearth.Errorf(hearth.KindNotFound, "This invitation link is not right. Check you copied all of it, or ask whoever invited you for a new one.")
}

func errInvitationUsed() error {
	return hearth.Errorf(hearth.KindConflict, "This invitation has already been used. Sign in with the username and password you chose.")
}

func errInvitationExpired() error {
	return hearth.Errorf(hearth.KindForbidden, "This invitation has expired. Ask whoever invited you to send a new one.")
}

const invitationColumns = `i.id, i.username, i.display_name, i.email, i.role, i.invited_by_name, i.created_at, i.expires_at, i.used_at`

func scanInvitation(row scanner) (Invitation, error) {
	var inv Invitation
	var role string
	var used sql.NullTime
	if err := row.Scan(&inv.ID, &inv.Username, &inv.DisplayName, &inv.Email, &role, &inv.InvitedByName, &inv.CreatedAt, &inv.ExpiresAt, &used); err != nil {
		return inv, err
	}
	inv.Role = access.ParseRole(role)
	inv.CreatedAt, inv.ExpiresAt = inv.CreatedAt.UTC(), inv.ExpiresAt.UTC()
	if used.Valid {
		inv.UsedAt = used.Time.UTC()
	}
	return inv, nil
}

func (s *Service) invitationByToken(ctx context.Context, q querier, token string) (Invitation, error) {
	hash, ok := hashInvitation(token)
	if !ok {
		return Invitation{}, errInvitationUnknown()
	}
	inv, err := scanInvitation(q.QueryRow(ctx, `SELECT `+invitationColumns+` FROM staff_invitations i WHERE i.token_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return inv, errInvitationUnknown()
	}
	if err != nil {
		return inv, fmt.Errorf("accounts: load invitation: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT location_id FROM staff_invitation_locations WHERE invitation_id = ? ORDER BY location_id`, inv.ID)
	if err != nil {
		return inv, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return inv, err
		}
		inv.LocationIDs = append(inv.LocationIDs, id)
	}
	return inv, rows.Err()
}

// OpenInvitation reads the invitation a link names, for the page where it
// is accepted: an unknown (or altered), used or expired link is refused,
// each in words that say what to do.
func (s *Service) OpenInvitation(ctx context.Context, token string) (Invitation, error) {
	inv, err := s.invitationByToken(ctx, s.db, token)
	if err != nil {
		return inv, err
	}
	switch {
	case !inv.UsedAt.IsZero():
		return inv, errInvitationUsed()
	case !s.clock().Before(inv.ExpiresAt):
		return inv, errInvitationExpired()
	}
	return inv, nil
}

// AcceptInvitation makes the account an invitation was for, with the
// password chosen, and signs the new account in as far as setting up an
// authenticator (a session at StageEnrol, whose token it returns): the
// same enrolment every staff member goes through at first sign-in. The
// link works once. Audited as "invitation-accept" and "account-create".
func (s *Service) AcceptInvitation(ctx context.Context, token, password string, meta Meta) (string, Session, error) {
	now := s.clock()
	inv, err := s.OpenInvitation(ctx, token)
	if err != nil {
		ev := audit.Event{Action: "invitation-accept", Outcome: audit.OutcomeFailed, Detail: detailOf(err, access.Decision{}),
			ResourceType: "StaffInvitation", ResourceID: inv.ID, ClientAddr: meta.ClientAddr, RequestID: meta.RequestID}
		if _, aerr := s.log.AppendNow(ctx, ev); aerr != nil {
			return "", Session{}, errors.Join(err, aerr)
		}
		return "", Session{}, err
	}
	if err := CheckPassword(inv.Username, password); err != nil {
		return "", Session{}, err
	}
	hash := HashPassword(password, s.cfg.Params)
	u := User{ID: hearth.NewID(), Kind: access.KindStaff, Username: inv.Username, DisplayName: inv.DisplayName, Role: inv.Role,
		LocationIDs: inv.LocationIDs, CreatedAt: now}
	var sessToken string
	var sess Session
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE staff_invitations SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?`,
			now, inv.ID, now)
		if err != nil {
			return fmt.Errorf("accounts: accept invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errInvitationUsed()
		}
		_, err = tx.Exec(ctx, `INSERT INTO users (id, kind, username, display_name, email, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Kind.String(), u.Username, u.DisplayName, inv.Email, u.Role.String(), hash, now)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "The username %s has been taken since you were invited. Ask for a new invitation.", u.Username)
		}
		if err != nil {
			return fmt.Errorf("accounts: create account: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE staff_invitations SET user_id = ? WHERE id = ?`, u.ID, inv.ID); err != nil {
			return err
		}
		for _, id := range inv.LocationIDs {
			if _, err := tx.Exec(ctx, `INSERT INTO staff_locations (user_id, location_id) VALUES (?, ?)`, u.ID, id); err != nil {
				return fmt.Errorf("accounts: add location: %w", err)
			}
		}
		ev := userEvent(u, "invitation-accept", audit.OutcomeSuccess, "accepted the invitation from "+inv.InvitedByName+" and chose a password")
		ev.ResourceType, ev.ResourceID = "StaffInvitation", inv.ID
		if err := s.audit(ctx, tx, ev, meta); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, userEvent(u, "account-create", audit.OutcomeSuccess,
			fmt.Sprintf("created staff account %s (%s) from an invitation by %s", u.Username, u.Role.Title(), inv.InvitedByName)), meta); err != nil {
			return err
		}
		sessToken, sess, err = s.createSession(ctx, tx, u, StageEnrol, now, meta)
		return err
	})
	if err != nil {
		return "", Session{}, err
	}
	return sessToken, sess, nil
}

// StaffMember is a member of staff as the staff pages show them.
type StaffMember struct {
	User
	Email    string
	OpenMFA  *MFAReset // a reset waiting for approval
	Mine     bool      // the viewer may change them
	Inviting bool      // an invitation not yet accepted (User.ID is the invitation's)
	Expires  time.Time // for an invitation
}

// StaffPage is one page of the staff list, with invitations waiting and
// second-factor resets waiting for approval.
type StaffPage struct {
	Staff       []StaffMember
	Total       int
	Offset      int
	Limit       int
	Invitations []Invitation
	Resets      []MFAReset
}

// MFAReset is a request to reset someone's second factor.
type MFAReset struct {
	ID              string
	UserID          string
	UserName        string
	Reason          string
	RequestedBy     string
	RequestedByName string
	RequestedAt     time.Time
}

// StaffList reads a page of staff, by name: every member of staff for the
// administrator, those at their own locations (or at none yet) for a
// registered manager. Audited as "staff-list" with its decision.
func (s *Service) StaffList(ctx context.Context, by Actor, offset, limit int, meta Meta) (StaffPage, error) {
	pg := StaffPage{Offset: max(offset, 0), Limit: limit}
	if pg.Limit <= 0 || pg.Limit > 200 {
		pg.Limit = 50
	}
	err := s.staffDo(ctx, by, meta, staffWork{action: "staff-list",
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			return access.StaffFacts{SharesLocation: true, LocationsHeld: true}, nil
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			mine, err := managed(ctx, tx, by.subject())
			if err != nil {
				return "", err
			}
			where, args := staffScope(mine)
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users u WHERE u.kind = 'staff' AND `+where, args...).Scan(&pg.Total); err != nil {
				return "", err
			}
			rows, err := tx.Query(ctx, `SELECT `+userColumns+`, u.email FROM users u WHERE u.kind = 'staff' AND `+where+`
				ORDER BY CASE WHEN u.disabled_at IS NULL THEN 0 ELSE 1 END, u.display_name, u.id LIMIT ? OFFSET ?`, append(args, pg.Limit, pg.Offset)...)
			if err != nil {
				return "", err
			}
			for rows.Next() {
				var m StaffMember
				a, err := scanAccount(rows, &m.Email)
				if err != nil {
					rows.Close()
					return "", err
				}
				m.User = a.User
				pg.Staff = append(pg.Staff, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return "", err
			}
			for i := range pg.Staff {
				if pg.Staff[i].LocationIDs, err = locationsOf(ctx, tx, pg.Staff[i].ID); err != nil {
					return "", err
				}
				pg.Staff[i].Mine = access.DecideStaff(by.subject(), access.ManageStaff, access.StaffFacts{TargetRole: pg.Staff[i].Role,
					SharesLocation: shares(mine, pg.Staff[i].LocationIDs), LocationsHeld: true, Self: pg.Staff[i].ID == by.ID}, false).Permit
			}
			if pg.Invitations, err = s.waitingInvitations(ctx, tx, mine, now); err != nil {
				return "", err
			}
			if pg.Resets, err = s.waitingResets(ctx, tx, mine); err != nil {
				return "", err
			}
			return fmt.Sprintf("listed %d of %d staff", len(pg.Staff), pg.Total), nil
		}})
	return pg, err
}

// staffScope is the SQL condition for the staff a holder of mine looks
// after.
func staffScope(mine map[string]bool) (string, []any) {
	if mine == nil {
		return `1 = 1`, nil
	}
	cond := `(NOT EXISTS (SELECT 1 FROM staff_locations s WHERE s.user_id = u.id)`
	var args []any
	if len(mine) > 0 {
		ids := make([]string, 0, len(mine))
		for id := range mine {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		cond += ` OR EXISTS (SELECT 1 FROM staff_locations s WHERE s.user_id = u.id AND s.location_id IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `))`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	return cond + `)`, args
}

func (s *Service) waitingInvitations(ctx context.Context, tx *store.Tx, mine map[string]bool, now time.Time) ([]Invitation, error) {
	rows, err := tx.Query(ctx, `SELECT `+invitationColumns+` FROM staff_invitations i WHERE i.used_at IS NULL AND i.expires_at > ?
		ORDER BY i.created_at DESC, i.id`, now)
	if err != nil {
		return nil, err
	}
	var out []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, inv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, inv := range out {
		locs, err := tx.Query(ctx, `SELECT location_id FROM staff_invitation_locations WHERE invitation_id = ?`, inv.ID)
		if err != nil {
			return nil, err
		}
		for locs.Next() {
			var id string
			if err := locs.Scan(&id); err != nil {
				locs.Close()
				return nil, err
			}
			inv.LocationIDs = append(inv.LocationIDs, id)
		}
		locs.Close()
		if shares(mine, inv.LocationIDs) {
			kept = append(kept, inv)
		}
	}
	return kept, nil
}

func (s *Service) waitingResets(ctx context.Context, tx *store.Tx, mine map[string]bool) ([]MFAReset, error) {
	rows, err := tx.Query(ctx, `SELECT r.id, r.user_id, u.display_name, r.reason, r.requested_by, q.display_name, r.requested_at
		FROM mfa_resets r JOIN users u ON u.id = r.user_id JOIN users q ON q.id = r.requested_by
		WHERE r.approved_at IS NULL AND u.disabled_at IS NULL ORDER BY r.requested_at, r.id`)
	if err != nil {
		return nil, err
	}
	var out []MFAReset
	for rows.Next() {
		var m MFAReset
		if err := rows.Scan(&m.ID, &m.UserID, &m.UserName, &m.Reason, &m.RequestedBy, &m.RequestedByName, &m.RequestedAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, m := range out {
		locs, err := locationsOf(ctx, tx, m.UserID)
		if err != nil {
			return nil, err
		}
		if shares(mine, locs) {
			kept = append(kept, m)
		}
	}
	return kept, nil
}

// targetFacts loads what deciding about an existing member of staff needs.
func targetFacts(ctx context.Context, tx *store.Tx, by Actor, mine map[string]bool, userID string) (account, access.StaffFacts, error) {
	if !hearth.ValidID(userID) {
		return account{}, access.StaffFacts{}, hearth.NotFound("That member of staff")
	}
	a, err := accountRow(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ? AND u.kind = 'staff'`, userID))
	if hearth.KindOf(err) == hearth.KindNotFound {
		return a, access.StaffFacts{}, hearth.NotFound("That member of staff")
	}
	if err != nil {
		return a, access.StaffFacts{}, err
	}
	if a.LocationIDs, err = locationsOf(ctx, tx, a.ID); err != nil {
		return a, access.StaffFacts{}, err
	}
	return a, access.StaffFacts{TargetRole: a.Role, SharesLocation: shares(mine, a.LocationIDs), LocationsHeld: true, Self: a.ID == by.ID}, nil
}

// StaffMemberPage reads one member of staff for the page where they are
// changed. Audited as "staff-view".
func (s *Service) StaffMemberPage(ctx context.Context, by Actor, userID string, meta Meta) (StaffMember, error) {
	var m StaffMember
	err := s.staffDo(ctx, by, meta, staffWork{action: "staff-view", targetID: userID,
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			a, f, err := targetFacts(ctx, tx, by, mine, userID)
			m.User = a.User
			f.Self = false // looking at your own entry changes nothing
			return f, err
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			if err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&m.Email); err != nil {
				return "", err
			}
			m.Mine = m.ID != by.ID
			var r MFAReset
			err := tx.QueryRow(ctx, `SELECT r.id, r.reason, r.requested_by, q.display_name, r.requested_at FROM mfa_resets r
				JOIN users q ON q.id = r.requested_by WHERE r.user_id = ? AND r.approved_at IS NULL ORDER BY r.requested_at DESC LIMIT 1`, userID).
				Scan(&r.ID, &r.Reason, &r.RequestedBy, &r.RequestedByName, &r.RequestedAt)
			if err == nil {
				r.UserID, r.UserName = userID, m.DisplayName
				m.OpenMFA = &r
			} else if !errors.Is(err, sql.ErrNoRows) {
				return "", err
			}
			return "viewed " + m.Username, nil
		}})
	return m, err
}

// StaffChange is a new role and set of locations for a member of staff.
type StaffChange struct {
	Role        access.Role
	LocationIDs []string
}

// UpdateStaff changes a member of staff's role and locations. Whoever
// changes them must be able to give both the role they had and the one they
// get, and (a registered manager) hold every location added or taken away.
// The change applies at their next request: sessions read the role afresh.
func (s *Service) UpdateStaff(ctx context.Context, by Actor, userID string, c StaffChange, meta Meta) error {
	locations := slices.Compact(slices.Sorted(slices.Values(c.LocationIDs)))
	var before account
	return s.staffDo(ctx, by, meta, staffWork{action: "staff-change", targetID: userID,
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			a, f, err := targetFacts(ctx, tx, by, mine, userID)
			before = a
			if err != nil {
				return f, err
			}
			if c.Role != a.Role {
				f.NewRole = c.Role
			}
			var changed []string
			for _, id := range locations {
				if !slices.Contains(a.LocationIDs, id) {
					changed = append(changed, id)
				}
			}
			for _, id := range a.LocationIDs {
				if !slices.Contains(locations, id) {
					changed = append(changed, id)
				}
			}
			f.LocationsHeld = holds(mine, changed)
			return f, nil
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			var p hearth.Problems
			p.Check(c.Role != access.RoleNone, "Role", "Choose a role")
			p.Check(len(locations) > 0 || c.Role == access.Administrator || c.Role == access.RoleNone, "Locations", "Choose at least one location where they work")
			if err := checkLocations(ctx, tx, &p, locations); err != nil {
				return "", err
			}
			p.Check(!before.Disabled, "Role", "They have left: their account cannot be changed")
			if err := p.Err(); err != nil {
				return "", err
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET role = ? WHERE id = ?`, c.Role.String(), userID); err != nil {
				return "", err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM staff_locations WHERE user_id = ?`, userID); err != nil {
				return "", err
			}
			for _, id := range locations {
				if _, err := tx.Exec(ctx, `INSERT INTO staff_locations (user_id, location_id) VALUES (?, ?)`, userID, id); err != nil {
					return "", err
				}
			}
			return fmt.Sprintf("changed %s from %s at %s to %s at %s", before.Username, before.Role.Title(),
				plural(int64(len(before.LocationIDs)), "location"), c.Role.Title(), plural(int64(len(locations)), "location")), nil
		}})
}

// Leaver records that a member of staff has left: their account is
// disabled (the row stays, so what they wrote still names them), every
// session ends at once, and every care-team membership they hold ends now.
func (s *Service) Leaver(ctx context.Context, by Actor, userID string, meta Meta) error {
	return s.staffDo(ctx, by, meta, staffWork{action: "staff-leaver", targetID: userID,
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			_, f, err := targetFacts(ctx, tx, by, mine, userID)
			return f, err
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			return disableStaff(ctx, tx, userID, now)
		}})
}

// disableStaff disables an account, ends its sessions and its care-team
// memberships, and says what it did.
func disableStaff(ctx context.Context, tx *store.Tx, userID string, now time.Time) (string, error) {
	var username string
	var disabled sql.NullTime
	if err := tx.QueryRow(ctx, `SELECT username, disabled_at FROM users WHERE id = ?`, userID).Scan(&username, &disabled); err != nil {
		return "", err
	}
	if disabled.Valid {
		return "", hearth.Errorf(hearth.KindConflict, "That account is already disabled")
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET disabled_at = ? WHERE id = ?`, now, userID); err != nil {
		return "", fmt.Errorf("accounts: disable: %w", err)
	}
	n, err := deleteSessions(ctx, tx, userID)
	if err != nil {
		return "", err
	}
	res, err := tx.Exec(ctx, `UPDATE care_team SET ends_at = ? WHERE user_id = ? AND (ends_at IS NULL OR ends_at > ?)`, now, userID, now)
	if err != nil {
		return "", fmt.Errorf("accounts: end care-team memberships: %w", err)
	}
	teams, _ := res.RowsAffected()
	return fmt.Sprintf("disabled account %s; ended %s and %s", username, plural(n, "session"), plural(teams, "care-team membership")), nil
}

// RequestMFAReset asks for a member of staff's second factor to be reset
// (they lost their phone and their recovery codes). Nothing changes until
// a second senior account approves it.
func (s *Service) RequestMFAReset(ctx context.Context, by Actor, userID, reason string, meta Meta) error {
	reason = strings.TrimSpace(reason)
	return s.staffDo(ctx, by, meta, staffWork{action: "mfa-reset-request", targetID: userID,
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			_, f, err := targetFacts(ctx, tx, by, mine, userID)
			return f, err
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			var p hearth.Problems
			p.Check(reason != "", "Reason", "Say why, and how you checked who asked: for example 'Lost phone; confirmed in person'")
			p.Check(len(reason) <= 500, "Reason", "Reason must be 500 characters or fewer")
			if err := p.Err(); err != nil {
				return "", err
			}
			var open int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM mfa_resets WHERE user_id = ? AND approved_at IS NULL`, userID).Scan(&open); err != nil {
				return "", err
			}
			if open > 0 {
				return "", hearth.Errorf(hearth.KindConflict, "A reset for them is already waiting for approval")
			}
			if _, err := tx.Exec(ctx, `INSERT INTO mfa_resets (id, user_id, reason, requested_by, requested_at) VALUES (?, ?, ?, ?, ?)`,
				hearth.NewID(), userID, reason, by.ID, now); err != nil {
				return "", err
			}
			return "asked for a second-factor reset: " + reason, nil
		}})
}

// ApproveMFAReset approves a waiting reset and makes it: the account's
// authenticator, recovery codes and passkeys go and its sessions end, so
// its next sign-in enrols a new authenticator. The approver must be a
// second senior account: not the one who asked, nor the one being reset.
func (s *Service) ApproveMFAReset(ctx context.Context, by Actor, resetID string, meta Meta) error {
	var r MFAReset
	return s.staffDo(ctx, by, meta, staffWork{action: "mfa-reset-approve", targetID: resetID, approving: true,
		facts: func(tx *store.Tx, mine map[string]bool) (access.StaffFacts, error) {
			if !hearth.ValidID(resetID) {
				return access.StaffFacts{}, hearth.NotFound("That reset request")
			}
			err := tx.QueryRow(ctx, `SELECT user_id, requested_by FROM mfa_resets WHERE id = ? AND approved_at IS NULL`, resetID).
				Scan(&r.UserID, &r.RequestedBy)
			if errors.Is(err, sql.ErrNoRows) {
				return access.StaffFacts{}, hearth.NotFound("That reset request")
			}
			if err != nil {
				return access.StaffFacts{}, err
			}
			_, f, err := targetFacts(ctx, tx, by, mine, r.UserID)
			f.Requester = r.RequestedBy == by.ID
			return f, err
		},
		change: func(tx *store.Tx, now time.Time) (string, error) {
			res, err := tx.Exec(ctx, `UPDATE mfa_resets SET approved_by = ?, approved_at = ? WHERE id = ? AND approved_at IS NULL`, by.ID, now, resetID)
			if err != nil {
				return "", err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return "", hearth.Errorf(hearth.KindConflict, "Someone else approved this reset first")
			}
			detail, err := resetSecondFactor(ctx, tx, r.UserID)
			return "approved the second-factor reset asked for by another account: " + detail, err
		}})
}

// resetSecondFactor removes an account's authenticator, recovery codes and
// passkeys and ends its sessions.
func resetSecondFactor(ctx context.Context, tx *store.Tx, userID string) (string, error) {
	var username string
	if err := tx.QueryRow(ctx, `SELECT username FROM users WHERE id = ?`, userID).Scan(&username); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = '', totp_enrolled_at = NULL, totp_last_step = 0 WHERE id = ?`, userID); err != nil {
		return "", fmt.Errorf("accounts: reset MFA: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return "", fmt.Errorf("accounts: reset MFA: %w", err)
	}
	keys, err := removePasskeys(ctx, tx, userID)
	if err != nil {
		return "", err
	}
	n, err := deleteSessions(ctx, tx, userID)
	return fmt.Sprintf("removed the authenticator, recovery codes and %s of %s; ended %s", plural(keys, "passkey"), username, plural(n, "session")), err
}

// StaffImport is how a staff import runs.
type StaffImport struct {
	DryRun   bool
	Source   string                // the file's name, for the audit log
	Progress func(done, total int) // may be nil
}

// StaffRow is one member of staff read from a file.
type StaffRow struct {
	Row        int
	Invitation NewInvitation
	// Locations as written in the file, by name or ID; unknown ones are
	// reported, not dropped.
	Locations []string
}

// StaffProblem is one broken rule in one row of a staff import.
type StaffProblem struct {
	Row            int
	Field, Message string
}

// InvitedRow is an invitation an import made, with its link's token
// (shown once).
type InvitedRow struct {
	Row   int
	Inv   Invitation
	Token string
}

// ErrStaffImportRefused: the file had problems, so no one was invited.
var ErrStaffImportRefused = hearth.Errorf(hearth.KindInvalid, "The file has problems, so nobody was invited")

// ImportStaff invites every member of staff in a file, all or nothing: the
// administrator's ImportRecords permission, audited as one staff-import
// event and one staff-invite per invitation. Staff never arrive with a
// password: each gets an invitation link, returned here to hand out.
// locationIDs maps a location's name (lower case) or ID to its ID, for
// open locations only.
func (s *Service) ImportStaff(ctx context.Context, by Actor, rows []StaffRow, earlier []StaffProblem, locationIDs map[string]string,
	opts StaffImport, meta Meta) ([]InvitedRow, []StaffProblem, error) {
	dryRun, source, progress := opts.DryRun, opts.Source, opts.Progress
	sub := by.subject()
	d := access.Decide(sub, access.ImportRecords, access.Resource{}, access.Administration)
	verb := "import"
	if dryRun {
		verb = "dry run"
	}
	ev := withDecision(actorEvent(by, "staff-import", audit.OutcomeSuccess, "", fmt.Sprintf("%s of staff from %s: %d rows", verb, source, len(rows))), d)
	ev.ClientAddr, ev.RequestID = meta.ClientAddr, meta.RequestID
	if !d.Permit {
		if _, err := s.log.AppendNow(ctx, ev); err != nil {
			return nil, nil, err
		}
		return nil, nil, hearth.Errorf(hearth.KindForbidden, "%s", d.Sentence())
	}
	problems := append([]StaffProblem(nil), earlier...)
	if len(rows) == 0 && len(earlier) == 0 {
		problems = append(problems, StaffProblem{Row: 1, Field: "File", Message: "There are no staff in the file: only a header row"})
	}
	var out []InvitedRow
	now := s.clock()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		seen := map[string]int{}
		for i := range rows {
			r := &rows[i]
			n := &r.Invitation
			n.Username = normaliseUsername(n.Username)
			n.LocationIDs = nil
			var p hearth.Problems
			for _, l := range r.Locations {
				if id, ok := locationIDs[strings.ToLower(strings.TrimSpace(l))]; ok {
					n.LocationIDs = append(n.LocationIDs, id)
				} else {
					p.Add("Locations", fmt.Sprintf("There is no open location called %q", l))
				}
			}
			p = append(p, n.problems()...)
			if n.Role != access.RoleNone && !access.MayGiveRole(sub.Role, n.Role) {
				p.Add("Role", "You may not give the role "+n.Role.Title())
			}
			if first, dup := seen[n.Username]; dup && n.Username != "" {
				p.Add("Username", fmt.Sprintf("The same username is on row %d", first))
			} else if n.Username != "" {
				seen[n.Username] = r.Row
				taken, err := usernameTaken(ctx, tx, n.Username, now)
				if err != nil {
					return err
				}
				p.Check(!taken, "Username", "That username is taken")
			}
			for _, pr := range p {
				problems = append(problems, StaffProblem{Row: r.Row, Field: pr.Field, Message: pr.Message})
			}
			if progress != nil {
				progress(i+1, len(rows))
			}
		}
		if len(problems) > 0 {
			return ErrStaffImportRefused
		}
		if dryRun {
			return nil
		}
		for i, r := range rows {
			n := r.Invitation
			token := randomToken()
			hash, _ := hashInvitation(token)
			inv := Invitation{ID: hearth.NewID(), Username: n.Username, DisplayName: strings.TrimSpace(n.DisplayName), Email: strings.TrimSpace(n.Email),
				Role: n.Role, LocationIDs: slices.Compact(slices.Sorted(slices.Values(n.LocationIDs))), InvitedByName: by.Name, CreatedAt: now,
				ExpiresAt: now.Add(InvitationTTL)}
			if _, err := tx.Exec(ctx, `INSERT INTO staff_invitations (id, token_hash, username, display_name, email, role, invited_by,
				invited_by_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inv.ID, hash, inv.Username, inv.DisplayName,
				inv.Email, inv.Role.String(), by.ID, by.Name, now, inv.ExpiresAt); err != nil {
				return fmt.Errorf("row %d: %w", r.Row, err)
			}
			for _, id := range inv.LocationIDs {
				if _, err := tx.Exec(ctx, `INSERT INTO staff_invitation_locations (invitation_id, location_id) VALUES (?, ?)`, inv.ID, id); err != nil {
					return fmt.Errorf("row %d: %w", r.Row, err)
				}
			}
			one := withDecision(actorEvent(by, "staff-invite", audit.OutcomeSuccess, "", fmt.Sprintf("invited %s (%s) as %s by import from %s, row %d",
				inv.DisplayName, inv.Username, inv.Role.Title(), source, r.Row)), d)
			one.ResourceType, one.ResourceID = "StaffInvitation", inv.ID
			one.ClientAddr, one.RequestID = meta.ClientAddr, meta.RequestID
			if _, err := s.log.Append(ctx, tx, one); err != nil {
				return err
			}
			out = append(out, InvitedRow{Row: r.Row, Inv: inv, Token: token})
			if progress != nil {
				progress(i+1, len(rows))
			}
		}
		ev.Detail += fmt.Sprintf("; %d invited", len(out))
		_, err := s.log.Append(ctx, tx, ev)
		return err
	})
	if err != nil {
		// Refused or failed: nothing was written; the attempt is audited.
		ev.Outcome, ev.Detail = audit.OutcomeInvalid, ev.Detail+fmt.Sprintf(", %d problems", len(problems))
		if !errors.Is(err, ErrStaffImportRefused) {
			ev.Outcome = audit.OutcomeFailed
		}
		if _, aerr := s.log.AppendNow(ctx, ev); aerr != nil {
			return nil, problems, errors.Join(err, aerr)
		}
		return nil, problems, err
	}
	if dryRun {
		if _, err := s.log.AppendNow(ctx, ev); err != nil {
			return nil, nil, err
		}
	}
	return out, nil, nil
}
