// Package portal is where people who draw on care, and those lawfully acting
// for them, see, understand and contribute to their own records:
// their accounts and invitations, what they may see (through the door, with
// purpose OwnRecord or ProxyAccess), who has seen their record with a receipt
// for each access, requests to correct an entry, secure messages with the
// care team, notices on the channels they consented to, and entries withheld
// from them with why.
//
// A Digital Ethics Charter for health and care asks that people know what
// data is held about them, how and why; CQC that people and those acting
// for them can see and contribute to their records. Nothing here reads
// personal data except through door.Run, and portal reads leave out entries
// withheld from the person.
package portal

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// InvitationLife is how long an invitation's code works.
const InvitationLife = 7 * 24 * time.Hour

// Service is the portal.
type Service struct {
	door     *door.Door
	accounts *accounts.Service
	care     *care.Service
	consent  *consent.Service
	tech     *tech.Service
	notifier Notifier
	log      *slog.Logger
}

// Deps are what the portal reads through: the care record's service for
// what it shows, consent for representatives and channels, and a Notifier.
type Deps struct {
	Accounts *accounts.Service
	Care     *care.Service
	Consent  *consent.Service
	Tech     *tech.Service
	Notifier Notifier
	Log      *slog.Logger
}

// New returns the portal service.
func New(d *door.Door, deps Deps) *Service {
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Notifier == nil {
		deps.Notifier = LogNotifier{Log: deps.Log}
	}
	return &Service{door: d, accounts: deps.Accounts, care: deps.Care, consent: deps.Consent, tech: deps.Tech, notifier: deps.Notifier, log: deps.Log}
}

// LoadFacts makes the portal a door.FactSource: a person's own account is
// Self for the person it is linked to, and for no one else.
func (s *Service) LoadFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	if q.Actor.Kind != access.KindPerson || q.PersonID == "" || q.Actor.ID == "" {
		return nil
	}
	var n int
	if err := sc.QueryRow(`SELECT COUNT(*) FROM person_accounts WHERE user_id = ? AND person_id = ?`,
		q.Actor.ID, q.PersonID).Scan(&n); err != nil {
		return fmt.Errorf("portal: load self: %w", err)
	}
	f.Self = n > 0
	return nil
}

// IsPortalKind reports whether an account of this kind uses the portal.
func IsPortalKind(k access.Kind) bool {
	return k == access.KindPerson || k == access.KindRepresentative
}

// Invitation is an invitation to the portal.
type Invitation struct {
	ID               string
	PersonID         string
	Kind             access.Kind
	RepresentativeID string
	Name             string
	CreatedByName    string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	UsedAt           time.Time
}

// NewInvitation is what inviting someone needs.
type NewInvitation struct {
	PersonID         string
	Kind             access.Kind // KindPerson or KindRepresentative
	RepresentativeID string      // for a representative: their representatives record
	Name             string      // the name to show for the account
}

func hashCode(code string) string {
	sum := sha256.Sum256([]byte("hearth portal invitation " + normaliseCode(code)))
	return hex.EncodeToString(sum[:])
}

func normaliseCode(code string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
}

func newCode() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	c := base32.StdEncoding.EncodeToString(b[:])
	return c[0:6] + "-" + c[6:12] + "-" + c[12:18] + "-" + c[18:24]
}

// Invite records an invitation for the person or one of their
// representatives and returns the one-time code, shown once to the staff
// member to pass on. Staff who may manage people or record consent may.
func (s *Service) Invite(ctx context.Context, actor door.Actor, n NewInvitation) (Invitation, string, error) {
	var inv Invitation
	code := newCode()
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		req := door.Request{Action: access.ManagePeople, Purpose: people.Purpose(actor), PersonID: n.PersonID,
			ResourceType: "Patient", ResourceID: n.PersonID, Detail: "portal invitation"}
		a, err := sc.Check(req)
		if err != nil {
			return err
		}
		if !a.Decision.Permit {
			req.Action = access.RecordConsent
			if a, err = sc.Allow(req); err != nil {
				return err
			}
		}
		var p hearth.Problems
		n.Name = strings.TrimSpace(n.Name)
		p.Check(n.Name != "", "Name", "Enter the name of the person you are inviting")
		p.Check(len(n.Name) <= 200, "Name", "Name must be 200 characters or fewer")
		switch n.Kind {
		case access.KindPerson:
			n.RepresentativeID = ""
		case access.KindRepresentative:
			var reps []consent.Representative
			if s.consent != nil {
				var err error
				if reps, err = s.consent.RepresentativesOf(sc, n.PersonID); err != nil {
					return err
				}
			}
			found := false
			for _, r := range reps {
				if r.ID == n.RepresentativeID {
					found = true
					if !r.Live(sc.Now()) {
						p.Add("Representative", r.Name+"'s authority has ended or has not started: they cannot be invited")
					}
				}
			}
			if !found {
				p.Add("Representative", "Choose one of the person's recorded representatives")
			}
		default:
			p.Add("Who", "Choose whether you are inviting the person or a representative")
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		inv = Invitation{ID: hearth.NewID(), PersonID: n.PersonID, Kind: n.Kind, RepresentativeID: n.RepresentativeID,
			Name: n.Name, CreatedByName: actor.Name, CreatedAt: now, ExpiresAt: now.Add(InvitationLife)}
		a.ResourceID = inv.ID
		a.Detail = fmt.Sprintf("portal invitation for %s (%s), expires %s", n.Name, n.Kind, inv.ExpiresAt.Format(time.RFC3339))
		_, err = sc.Exec(`INSERT INTO portal_invitations (id, person_id, kind, representative_id, name, code_hash,
			created_by, created_by_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.ID, inv.PersonID, inv.Kind.String(), inv.RepresentativeID, inv.Name, hashCode(code), actor.ID, actor.Name, now, inv.ExpiresAt)
		return err
	})
	if err != nil {
		return Invitation{}, "", err
	}
	return inv, code, nil
}

// Invitations lists a person's invitations, newest first, for staff.
func (s *Service) Invitations(sc *door.Scope, personID string) ([]Invitation, error) {
	rows, err := sc.Query(`SELECT id, person_id, kind, representative_id, name, created_by_name, created_at, expires_at, used_at
		FROM portal_invitations WHERE person_id = ? ORDER BY created_at DESC, id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		var i Invitation
		var kind string
		var used sql.NullTime
		if err := rows.Scan(&i.ID, &i.PersonID, &kind, &i.RepresentativeID, &i.Name, &i.CreatedByName, &i.CreatedAt, &i.ExpiresAt, &used); err != nil {
			return nil, err
		}
		i.Kind = access.ParseKind(kind)
		if used.Valid {
			i.UsedAt = used.Time
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

var errBadCode = hearth.Invalid("Code", "This invitation code is not right, has been used, or has expired. Ask the care team for a new one.")

// Acceptance is what accepting an invitation needs.
type Acceptance struct {
	Code     string
	Username string
	Password string
	Meta     accounts.Meta
}

// Accept turns an invitation into an account of kind person or
// representative with the chosen username and password. The account then
// signs in and sets up its authenticator as staff do. The code works once.
func (s *Service) Accept(ctx context.Context, in Acceptance) (accounts.User, error) {
	now := s.door.Clock()()
	var inv Invitation
	var kind string
	err := s.door.Outside(ctx, door.InvitationCode, func(q *door.Plain) error {
		return q.QueryRow(`SELECT id, person_id, kind, representative_id, name, expires_at FROM portal_invitations
			WHERE code_hash = ? AND used_at IS NULL`, hashCode(in.Code)).Scan(&inv.ID, &inv.PersonID, &kind, &inv.RepresentativeID, &inv.Name, &inv.ExpiresAt)
	})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !now.Before(inv.ExpiresAt)) || normaliseCode(in.Code) == "" {
		return accounts.User{}, errBadCode
	}
	if err != nil {
		return accounts.User{}, err
	}
	inv.Kind = access.ParseKind(kind)
	// The invitation is the authority for this account: it was issued,
	// through the door, by a staff member who may manage the person.
	by := accounts.Actor{Kind: accounts.OperatorKind, Name: "portal invitation " + inv.ID}
	u, err := s.accounts.CreateUser(ctx, accounts.NewUser{Kind: inv.Kind, Username: in.Username, DisplayName: inv.Name,
		Password: in.Password, By: by, Meta: in.Meta})
	if err != nil {
		return accounts.User{}, err
	}
	actor := door.Actor{Subject: u.Subject(), Name: u.DisplayName, ClientAddr: in.Meta.ClientAddr, RequestID: in.Meta.RequestID}
	// The invitation is the authority for the link (door.InvitationCode).
	err = s.door.Outside(ctx, door.InvitationCode, func(q *door.Plain) error {
		res, err := q.Exec(`UPDATE portal_invitations SET used_at = ?, user_id = ? WHERE id = ? AND used_at IS NULL`, now, u.ID, inv.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errBadCode
		}
		if inv.Kind == access.KindPerson {
			_, err := q.Exec(`INSERT INTO person_accounts (user_id, person_id, created_at) VALUES (?, ?, ?)`, u.ID, inv.PersonID, now)
			return err
		}
		return consent.LinkRepresentativeAccount(q, inv.RepresentativeID, u.ID)
	})
	if err == nil {
		// Decided after the link, so the door sees the new relationship;
		// a representative whose authority does not reach the person's
		// details is still linked, and the denial is audited.
		err = s.door.Run(ctx, actor, func(sc *door.Scope) error {
			_, err := sc.Check(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: inv.PersonID,
				ResourceType: "Patient", ResourceID: inv.PersonID, Detail: "accepted portal invitation " + inv.ID})
			return err
		})
	}
	if err != nil {
		// The account must not outlive a failed link.
		if derr := s.accounts.Disable(ctx, u.ID, by, in.Meta); derr != nil {
			s.log.Error("portal: disable account after failed link", "err", derr)
		}
		return accounts.User{}, err
	}
	return u, nil
}

// Preferences is how an account likes the portal shown.
type Preferences struct {
	LargePrint bool
	EasyRead   bool
}

// BodyClass is the CSS classes for the page body.
func (p Preferences) BodyClass() string {
	var c []string
	if p.LargePrint {
		c = append(c, "hearth-large-print")
	}
	if p.EasyRead {
		c = append(c, "hearth-easy-read")
	}
	return strings.Join(c, " ")
}

// PreferencesOf returns the account's display preferences. They are the
// account's own settings, not anyone's record.
func (s *Service) PreferencesOf(ctx context.Context, userID string) (Preferences, error) {
	var p Preferences
	err := s.door.Outside(ctx, door.AccountPreferences, func(q *door.Plain) error {
		return q.QueryRow(`SELECT large_print, easy_read FROM portal_preferences WHERE user_id = ?`, userID).Scan(&p.LargePrint, &p.EasyRead)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Preferences{}, nil
	}
	return p, err
}

// SetPreferences saves the acting account's display preferences, from a
// page about personID (so the change is decided and audited with it).
func (s *Service) SetPreferences(ctx context.Context, actor door.Actor, personID string, p Preferences) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Patient", ResourceID: personID,
			Detail: fmt.Sprintf("display preferences: large print %t, easy read %t", p.LargePrint, p.EasyRead)}); err != nil {
			return err
		}
		// One statement, so two saves at once (a double click, two tabs)
		// cannot both find no row and both insert one: the person's own
		// reads take no lock, and the second insert failed as a fault.
		_, err := sc.Exec(`INSERT INTO portal_preferences (user_id, large_print, easy_read, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET large_print = excluded.large_print, easy_read = excluded.easy_read,
			updated_at = excluded.updated_at`, actor.ID, p.LargePrint, p.EasyRead, sc.Now())
		return err
	})
}

// Target is someone whose record the account may open: the person
// themselves, or someone they represent, with what the door said.
type Target struct {
	PersonID  string
	Name      string
	Relation  string // "Your own record" or the representative's authority in words
	Authority string // the representative's authority code, if any
	Allowed   bool
	Reason    string // the door's sentence when not allowed
}

// Targets lists the records the acting account may open. Each is decided
// and audited, including those the account's authority does not reach. A
// staff member is refused here (the door denies, and the denial is audited).
func (s *Service) Targets(ctx context.Context, actor door.Actor) ([]Target, error) {
	var out []Target
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var cands []Target
		if IsPortalKind(actor.Kind) {
			// The account's own links, listed and then each decided.
			if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: people.Purpose(actor), ResourceType: "Patient",
				Detail: "portal home"}); err != nil {
				return err
			}
		}
		switch actor.Kind {
		case access.KindPerson:
			rows, err := sc.Query(`SELECT p.id, p.given_name || ' ' || p.family_name FROM person_accounts a
				JOIN people p ON p.id = a.person_id WHERE a.user_id = ?`, actor.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				t := Target{Relation: "Your own record"}
				if err := rows.Scan(&t.PersonID, &t.Name); err != nil {
					rows.Close()
					return err
				}
				cands = append(cands, t)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		case access.KindRepresentative:
			rows, err := sc.Query(`SELECT p.id, p.given_name || ' ' || p.family_name, r.authority FROM representative_accounts ra
				JOIN representatives r ON r.id = ra.representative_id JOIN people p ON p.id = r.person_id
				WHERE ra.user_id = ? ORDER BY p.family_name, p.given_name`, actor.ID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var t Target
				if err := rows.Scan(&t.PersonID, &t.Name, &t.Authority); err != nil {
					rows.Close()
					return err
				}
				t.Relation = AuthorityTitle(t.Authority)
				cands = append(cands, t)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		if len(cands) == 0 {
			// Nothing to open: still a decision, so the visit is audited.
			a, err := sc.Check(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), ResourceType: "Patient",
				Detail: "portal home"})
			if err != nil {
				return err
			}
			if !a.Decision.Permit && !IsPortalKind(actor.Kind) {
				return ErrNotPortalAccount
			}
			return nil
		}
		for _, t := range cands {
			a, err := sc.Check(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: t.PersonID,
				ResourceType: "Patient", ResourceID: t.PersonID, Detail: "portal home"})
			if err != nil {
				return err
			}
			t.Allowed = a.Decision.Permit
			if !t.Allowed {
				t.Reason = a.Decision.Sentence()
			}
			out = append(out, t)
		}
		return nil
	})
	return out, err
}

// ErrNotPortalAccount is what staff get on portal pages.
var ErrNotPortalAccount = &hearth.Error{Kind: hearth.KindForbidden,
	Message: "These pages are for people who draw on care and their representatives. Staff use the staff pages."}

// ErrStaffOnly is what a person or representative gets on a staff page.
var ErrStaffOnly = &hearth.Error{Kind: hearth.KindForbidden,
	Message: "This page is for staff. Your own record is at Your record (/my)."}

// RefuseStaffPage decides and audits a portal account's request for a staff
// page, about personID when the page names one (the door refuses: staff
// pages act for direct care, a purpose a person or representative never
// holds), and returns ErrStaffOnly, so the page can say plainly where to
// go instead. Like RefuseStaff the other way round, it means every request
// to a page that touches personal data is decided, whoever makes it.
func (s *Service) RefuseStaffPage(ctx context.Context, actor door.Actor, personID string) error {
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Check(door.Request{Action: access.ViewPerson, Purpose: access.DirectCare, PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "staff page opened by a portal account"})
		if err != nil {
			return err
		}
		if a.Decision.Permit {
			return fmt.Errorf("portal: the door permitted a portal account the direct-care purpose")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ErrStaffOnly
}

// AuthorityTitle says a representative's authority in plain English.
func AuthorityTitle(code string) string {
	switch code {
	case "lpa-health-welfare":
		return "Lasting power of attorney for health and welfare"
	case "lpa-health-welfare-lst":
		return "Lasting power of attorney for health and welfare, including life-sustaining treatment"
	case "lpa-property-finance":
		return "Lasting power of attorney for property and financial affairs"
	case "deputy-health-welfare":
		return "Deputy for health and welfare, appointed by the Court of Protection"
	case "deputy-property-finance":
		return "Deputy for property and financial affairs, appointed by the Court of Protection"
	case "parental-responsibility":
		return "Parental responsibility"
	case "appointee":
		return "Appointee for benefits"
	case "imca":
		return "Independent mental capacity advocate"
	case "advocate":
		return "Advocate"
	case "family":
		return "Family member"
	case "carer":
		return "Carer"
	}
	return code
}

// VerifierKey is the audit log's public key, published so anyone can check
// a receipt without trusting Hearth's database.
func (s *Service) VerifierKey() string { return s.door.Audit().Keys().VerifierKey }

// RefuseStaff decides and audits a staff member's request for a portal page
// about personID (the door refuses: the portal acts for the person's own
// purpose, which staff never hold) and returns ErrNotPortalAccount, so the
// page can say plainly that it is not for them.
func (s *Service) RefuseStaff(ctx context.Context, actor door.Actor, personID string) error {
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Check(door.Request{Action: access.ViewPerson, Purpose: access.OwnRecord, PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal page opened by a staff account"})
		if err != nil {
			return err
		}
		if a.Decision.Permit {
			return fmt.Errorf("portal: the door permitted a staff account its own-record purpose")
		}
		return nil
	})
	if err != nil {
		return err
	}
	return ErrNotPortalAccount
}
