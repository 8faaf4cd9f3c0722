// Package partners owns the partner organisations' systems that receive a
// person's information through the FHIR API, and the data-sharing
// agreements they receive it under.
//
// A partner system is a SMART Backend Services client (HL7 SMART App Launch
// v2): the administrator registers it with its public keys (a JWKS) and the
// SMART v2 system scopes it may be granted; it asks for a short-lived access
// token by signing an assertion with its private key (private_key_jwt,
// verified with go-jose); the FHIR API turns the token back into the acting
// system with Authenticate, and every call is then a door decision as that
// system, audited and shown in the person's access history under the
// partner's name.
//
// A data-sharing agreement, recorded by the information governance lead, is
// the partner's relationship with the people it may receive information
// about (DESIGN.md invariant 2): partner, purpose, UK GDPR article 6 and
// article 9 conditions, data categories (mapped to FHIR resource types),
// start, end and review date. The Service is a door.FactSource: for a
// partner system's request it loads the agreement in force that covers the
// resource asked about, and access.Decide permits only under such an
// agreement AND the person's consent or another recorded lawful basis naming
// the partner (loaded by the consent package). Ending an agreement or
// withdrawing consent stops access at the next request. Bulk exports
// ($export) run as the partner under the same decisions, person by person
// (export.go). The contract is in docs/architecture.md ("Partner systems")
// and docs/partners.md.
//
// Invariants:
//   - No hand-written JWT code: assertions are parsed and verified with
//     github.com/go-jose/go-jose/v4, and only RS384 and ES384 are accepted,
//     as SMART requires.
//   - A JWKS is stored only if every key in it is public, has a kid and is an
//     RS384 (RSA, 2048 bits or more) or ES384 (P-384) key.
//   - An assertion's jti is kept until the assertion expires and a second
//     use is refused.
//   - Access tokens are random, opaque and stored only as SHA-256 hashes;
//     they last five minutes, and disabling a partner ends them at once.
package partners

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/store"
)

// Config sets the token and assertion lifetimes. Zero fields take the
// defaults.
type Config struct {
	TokenLifetime  time.Duration // how long an access token lasts; 5 minutes
	ExportLifetime time.Duration // how long a bulk export's files are kept once written; 6 hours
	Log            *slog.Logger  // the export worker's log
}

// Service registers partner systems, issues their tokens and records the
// agreements they receive information under.
type Service struct {
	door   *door.Door
	cfg    Config
	queued chan struct{} // an export was queued on this node: wake its worker
}

// New returns a Service over the door.
func New(d *door.Door, cfg Config) *Service {
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = 5 * time.Minute
	}
	if cfg.ExportLifetime <= 0 {
		cfg.ExportLifetime = 6 * time.Hour
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{door: d, cfg: cfg, queued: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return s.door.Clock()() }

// Partner is a registered partner system.
type Partner struct {
	ID         string // the SMART client_id
	Name       string // the organisation, as consents name it as the recipient
	Contact    string
	Scopes     Scopes
	Keys       []Key
	CreatedBy  string
	CreatedAt  time.Time
	DisabledAt time.Time
	DisabledBy string
}

// Active reports whether the partner may still ask for tokens.
func (p Partner) Active() bool { return p.DisabledAt.IsZero() }

// By is who manages partner systems: a signed-in administrator, whose every
// step is a door decision, or the operator at the command line, who
// already holds the database and whose changes are audited under their
// operating-system name.
type By struct {
	Actor    door.Actor
	Operator string
}

// ByActor is a signed-in account.
func ByActor(a door.Actor) By { return By{Actor: a} }

// ByOperator is someone at the server's command line, named for the audit
// log (for example "command line (alice)").
func ByOperator(name string) By { return By{Operator: name} }

func (b By) name() string {
	if b.Operator != "" {
		return b.Operator
	}
	return b.Actor.Name
}

func (b By) id() string {
	if b.Operator != "" {
		return "operator"
	}
	return b.Actor.ID
}

// manage runs fn as by. A signed-in account goes through the door: req is
// decided (and audited, naming what fn changed); the operator goes through
// the PartnerSystems exception with an audit note in the same transaction.
func (s *Service) manage(ctx context.Context, by By, req door.Request, fn func(tx door.Tx, now time.Time) (resourceID, detail string, err error)) error {
	if by.Operator != "" {
		return s.door.Outside(ctx, door.PartnerSystems, func(p *door.Plain) error {
			now := s.now()
			id, detail, err := fn(p, now)
			if err != nil || detail == "" {
				// Nothing changed (a list): nothing to audit.
				return err
			}
			return p.Note(audit.Event{At: now, ActorName: by.Operator, ActorRole: "operator", ActorKind: "operator",
				Action: req.Action.String(), ResourceType: req.ResourceType, ResourceID: id, Outcome: audit.OutcomeSuccess,
				Detail: detail, ClientAddr: "command line"})
		})
	}
	return s.door.Run(ctx, by.Actor, func(sc *door.Scope) error {
		a, err := sc.Allow(req)
		if err != nil {
			return err
		}
		id, detail, err := fn(sc, sc.Now())
		if id != "" {
			a.ResourceID = id
		}
		if detail != "" {
			a.Detail = detail
		}
		return err
	})
}

// NewPartner is a partner system to register.
type NewPartner struct {
	Name    string
	Contact string
	JWKS    string // the client's JSON Web Key Set, public keys only
	Scopes  string // space-separated SMART v2 system scopes
}

const (
	maxName    = 200
	maxContact = 200
)

// Register adds a partner system and returns it with its client ID.
func (s *Service) Register(ctx context.Context, by By, n NewPartner) (Partner, error) {
	var p Partner
	n.Name, n.Contact = strings.TrimSpace(n.Name), strings.TrimSpace(n.Contact)
	req := door.Request{Action: access.ManageAccounts, Purpose: access.Administration, ResourceType: "Device",
		Detail: "registered a partner system"}
	err := s.manage(ctx, by, req, func(tx door.Tx, now time.Time) (string, string, error) {
		var probs hearth.Problems
		probs.Check(n.Name != "", "Name", "Enter the partner organisation's name, as consents to share with it name it")
		probs.Check(utf8.RuneCountInString(n.Name) <= maxName, "Name", fmt.Sprintf("Name must be %d characters or fewer", maxName))
		probs.Check(utf8.RuneCountInString(n.Contact) <= maxContact, "Contact", fmt.Sprintf("Contact must be %d characters or fewer", maxContact))
		keys, err := ParseJWKS(n.JWKS)
		if err != nil {
			probs.Add("Public keys", err.Error())
		}
		scopes, err := ParseScopes(n.Scopes)
		switch {
		case err != nil:
			probs.Add("Scopes", "Scope "+err.Error())
		case len(scopes) == 0:
			probs.Add("Scopes", "Choose at least one kind of resource the partner system may read")
		}
		if err := probs.Err(); err != nil {
			return "", "", err
		}
		var taken int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM partners WHERE LOWER(name) = LOWER(?)`, n.Name).Scan(&taken); err != nil {
			return "", "", err
		}
		if taken > 0 {
			return "", "", hearth.Invalid("Name", "A partner system called "+n.Name+" is already registered")
		}
		p = Partner{ID: hearth.NewID(), Name: n.Name, Contact: n.Contact, Scopes: scopes, Keys: keys.info(),
			CreatedBy: by.name(), CreatedAt: now}
		_, err = tx.Exec(`INSERT INTO partners (id, name, contact, jwks, scopes, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.ID, p.Name, p.Contact, keys.json, scopes.String(), by.id(), p.CreatedBy, now)
		if store.IsUniqueViolation(err) {
			return "", "", hearth.Invalid("Name", "A partner system called "+n.Name+" is already registered")
		}
		return p.ID, "registered partner system " + p.Name + " with scopes " + scopes.String(), err
	})
	return p, err
}

// Partners lists every registered partner system, by name.
func (s *Service) Partners(ctx context.Context, by By) ([]Partner, error) {
	var out []Partner
	req := door.Request{Action: access.ManageAccounts, Purpose: access.Administration, ResourceType: "Device",
		Detail: "listed partner systems"}
	err := s.manage(ctx, by, req, func(tx door.Tx, _ time.Time) (string, string, error) {
		var err error
		out, err = listPartners(tx, "")
		return "", "", err
	})
	return out, err
}

func listPartners(q door.Querier, cond string, args ...any) ([]Partner, error) {
	rows, err := q.Query(`SELECT id, name, contact, jwks, scopes, created_by_name, created_at, disabled_at, disabled_by_name
		FROM partners `+cond+` ORDER BY LOWER(name), id`, args...)
	if err != nil {
		return nil, fmt.Errorf("partners: list: %w", err)
	}
	defer rows.Close()
	var out []Partner
	for rows.Next() {
		p, _, err := scanPartner(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanPartner(row interface{ Scan(...any) error }) (Partner, KeySet, error) {
	var p Partner
	var jwks, scopes string
	var disabled sql.NullTime
	if err := row.Scan(&p.ID, &p.Name, &p.Contact, &jwks, &scopes, &p.CreatedBy, &p.CreatedAt, &disabled, &p.DisabledBy); err != nil {
		return p, KeySet{}, err
	}
	if disabled.Valid {
		p.DisabledAt = disabled.Time.UTC()
	}
	p.CreatedAt = p.CreatedAt.UTC()
	// What was stored was validated; reading it back cannot fail unless
	// the row was changed behind Hearth's back.
	keys, err := ParseJWKS(jwks)
	if err != nil {
		return p, keys, fmt.Errorf("partners: stored keys of %s: %w", p.ID, err)
	}
	p.Keys = keys.info()
	if p.Scopes, err = ParseScopes(scopes); err != nil {
		return p, keys, fmt.Errorf("partners: stored scopes of %s: %w", p.ID, err)
	}
	return p, keys, nil
}

// Disable stops a partner system: it can ask for no more tokens, and the
// tokens it holds stop working at once.
func (s *Service) Disable(ctx context.Context, by By, partnerID string) (Partner, error) {
	var p Partner
	req := door.Request{Action: access.ManageAccounts, Purpose: access.Administration, ResourceType: "Device",
		ResourceID: partnerID, Detail: "disabled a partner system"}
	err := s.manage(ctx, by, req, func(tx door.Tx, now time.Time) (string, string, error) {
		if !hearth.ValidID(partnerID) {
			return "", "", hearth.NotFound("That partner system")
		}
		list, err := listPartners(tx, `WHERE id = ?`, partnerID)
		if err != nil {
			return "", "", err
		}
		if len(list) == 0 {
			return "", "", hearth.NotFound("That partner system")
		}
		p = list[0]
		if !p.Active() {
			return "", "", hearth.Errorf(hearth.KindConflict, "%s was already disabled on %s", p.Name, p.DisabledAt.Format("2 January 2006"))
		}
		if _, err := tx.Exec(`UPDATE partners SET disabled_at = ?, disabled_by_name = ? WHERE id = ?`, now, by.name(), p.ID); err != nil {
			return "", "", err
		}
		if _, err := tx.Exec(`DELETE FROM partner_tokens WHERE partner_id = ?`, p.ID); err != nil {
			return "", "", err
		}
		p.DisabledAt, p.DisabledBy = now, by.name()
		return p.ID, "disabled partner system " + p.Name + " and ended its tokens", nil
	})
	return p, err
}
