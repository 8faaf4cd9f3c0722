// Package accounts owns the people who sign in to Hearth: staff, people who
// draw on care, their representatives and inspectors. It keeps their
// passwords (argon2id), their second factor (TOTP with one-time recovery
// codes), their sessions and the lockout that slows down guessing.
//
// Invariants:
//   - Every sign-in, sign-out, second-factor success or failure, lockout,
//     enrolment, reset and disable is an audit event appended in the same
//     transaction as the change it records (DESIGN.md invariants 3 and 4).
//     A failed attempt commits its counter and its event; it is not rolled
//     back with the error.
//   - A full session exists only after both factors. Signing in with a
//     password yields a pending session ("mfa" or "enrol") that can do
//     nothing else; passing the second factor replaces it with a new one
//     (new identifier: session fixation defence, OWASP Session Management).
//   - Neither passwords, TOTP codes, recovery codes nor session tokens are
//     stored or audited in a form that lets them be used: the database holds
//     argon2id hashes and SHA-256 hashes of codes and tokens. TOTP secrets
//     must stay readable to check codes, so they, and the recovery codes'
//     hashes, are sealed with a key kept outside the database (atrest.go).
//   - No message tells a stranger whether a username exists: an unknown
//     user, a wrong password and a disabled account get the same words and
//     cost the same argon2id hash.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/secrets"
	"hearth/internal/store"
)

// Config sets the costs and time limits. Zero fields take the defaults.
type Config struct {
	Params          Params        // argon2id cost; DefaultParams when zero
	IdleTimeout     time.Duration // a full session unused this long ends; 30 minutes
	AbsoluteTimeout time.Duration // a full session ends this long after sign-in, used or not; 12 hours
	MFATimeout      time.Duration // a session waiting for the second factor or enrolment ends; 10 minutes
	// The sign-in limits (throttle.go): how many failures fill each
	// bucket, and how long its count takes to halve. Zero takes the
	// default in brackets.
	PairLockAfter     int           // one username from one address (5)
	PairHalfLife      time.Duration // (1 hour): about one guess in 20 minutes once full
	AccountLockAfter  int           // one username from anywhere (50): many addresses, each stopped at 5 by its pair
	AccountHalfLife   time.Duration // (5 minutes): a distributed attack locks briefly
	AddressLockAfter  int           // one address, any username (30)
	AddressHalfLife   time.Duration // (1 hour)
	PasswordLockAfter int           // one password, any username, any address (20): a spray
	PasswordHalfLife  time.Duration // (1 hour)
	// Secrets seals TOTP secrets and recovery codes at rest (atrest.go).
	// Nil: a key held only in memory, for tests.
	Secrets *secrets.Keyring
}

func (c Config) withDefaults() Config {
	if c.Params == (Params{}) {
		c.Params = DefaultParams
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 30*time.Minute)
	def(&c.AbsoluteTimeout, 12*time.Hour)
	def(&c.MFATimeout, 10*time.Minute)
	def(&c.PairHalfLife, time.Hour)
	def(&c.AccountHalfLife, 5*time.Minute)
	def(&c.AddressHalfLife, time.Hour)
	def(&c.PasswordHalfLife, time.Hour)
	atLeast := func(n *int, v int) {
		if *n <= 1 {
			*n = v
		}
	}
	atLeast(&c.PairLockAfter, 5)
	atLeast(&c.AccountLockAfter, 50)
	atLeast(&c.AddressLockAfter, 30)
	atLeast(&c.PasswordLockAfter, 20)
	return c
}

// Service signs people in and manages their accounts.
type Service struct {
	db    *store.DB
	log   *audit.Log
	clock hearth.Clock
	cfg   Config
	// dummyHash is verified when the username is unknown, so that an
	// unknown user costs the same time as a wrong password (OWASP
	// Authentication Cheat Sheet: no user enumeration by timing).
	dummyHash string
	// verify checks a password against a hash: VerifyPassword. Tests
	// count its calls to prove every answer costs one argon2id check.
	verify func(hash, password string) (bool, error)
	keys   *secrets.Keyring
}

// New returns a Service. It hashes one throwaway password at start, with
// the configured parameters, for the timing defence above.
func New(db *store.DB, log *audit.Log, clock hearth.Clock, cfg Config) *Service {
	cfg = cfg.withDefaults()
	keys := cfg.Secrets
	if keys == nil {
		keys = secrets.Ephemeral()
	}
	return &Service{db: db, log: log, clock: clock, cfg: cfg, verify: VerifyPassword, keys: keys,
		dummyHash: HashPassword("hearth dummy password for unknown users", cfg.Params)}
}

// Meta describes the request an operation came in on, for the audit log and
// the sessions table.
type Meta struct {
	ClientAddr string
	UserAgent  string
	RequestID  string
}

// Actor is who performs an administrative action (create, disable, reset
// MFA, set a password), in the audit log's terms: the acting account's ID,
// display name, role name (access.Role.String) and kind (access.Kind.String).
// Build it with User.Actor from the signed-in session, or with Operator for
// the command line.
type Actor struct {
	ID, Name, Role, Kind string
}

// OperatorKind marks an Actor who is someone at the server's command line
// (`hearth user ...`) rather than a signed-in account: they can already
// read the database, so they may manage accounts, which is how the first
// administrator comes to exist.
const OperatorKind = "operator"

// Operator is an Actor for the command line, named for the audit log (for
// example the OS user name).
func Operator(name string) Actor { return Actor{Name: name, Kind: OperatorKind} }

// mayManageAccounts is the one rule for administrative actions: an operator
// at the command line, or a staff account whose role holds ManageAccounts.
func (a Actor) mayManageAccounts() bool {
	if a.Kind == OperatorKind {
		return true
	}
	return a.ID != "" && access.ParseKind(a.Kind) == access.KindStaff &&
		access.ParseRole(a.Role).Info().Permissions.Has(access.ManageAccounts)
}

// User is an account as the rest of Hearth sees it: no secrets.
type User struct {
	ID          string
	Kind        access.Kind
	Username    string
	DisplayName string
	Role        access.Role // staff only
	Enrolled    bool        // has a TOTP authenticator
	Disabled    bool
	LocationIDs []string // staff_locations: where a location-wide role applies
	CreatedAt   time.Time
}

// Actor returns u as the actor of an administrative action.
func (u User) Actor() Actor {
	return Actor{ID: u.ID, Name: u.DisplayName, Role: u.Role.String(), Kind: u.Kind.String()}
}

// Subject returns u as the subject of an access decision.
func (u User) Subject() access.Subject {
	return access.Subject{ID: u.ID, Kind: u.Kind, Role: u.Role}
}

// account is a users row with its secrets, never returned outside the package.
type account struct {
	User
	passwordHash string
	totpSecret   string
	totpLastStep int64
}

const userColumns = `u.id, u.kind, u.username, u.display_name, u.role, u.password_hash, u.totp_secret,
	u.totp_enrolled_at, u.totp_last_step, u.disabled_at, u.created_at`

// querier is what both *store.DB and *store.Tx offer for reads.
type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *store.Row
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// inScope reads accounts through a door scope, for the one check made
// inside another service's decided work: a witness's password.
type inScope struct{ sc *door.Scope }

func (q inScope) row(query string, args ...any) scanner { return q.sc.QueryRow(query, args...) }

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner, extra ...any) (account, error) {
	var a account
	var kind, role string
	var enrolled, disabled sql.NullTime
	dest := []any{&a.ID, &kind, &a.Username, &a.DisplayName, &role, &a.passwordHash, &a.totpSecret,
		&enrolled, &a.totpLastStep, &disabled, &a.CreatedAt}
	if err := s.Scan(append(dest, extra...)...); err != nil {
		return a, err
	}
	a.Kind, a.Role = access.ParseKind(kind), access.ParseRole(role)
	a.Enrolled = enrolled.Valid
	a.Disabled = disabled.Valid
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

func (s *Service) accountBy(ctx context.Context, q querier, where string, arg any) (account, error) {
	a, err := accountRow(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, arg))
	if err != nil {
		return a, err
	}
	a.LocationIDs, err = locationsOf(ctx, q, a.ID)
	return a, err
}

// accountRow reads one account without its locations.
func accountRow(row scanner) (account, error) {
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return a, hearth.NotFound("Account")
	}
	if err != nil {
		return a, fmt.Errorf("accounts: load account: %w", err)
	}
	return a, nil
}

func locationsOf(ctx context.Context, q querier, userID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT location_id FROM staff_locations WHERE user_id = ? ORDER BY location_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("accounts: load locations: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("accounts: load locations: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Get returns the account with id, or a not-found error.
func (s *Service) Get(ctx context.Context, id string) (User, error) {
	if !hearth.ValidID(id) {
		return User{}, hearth.NotFound("Account")
	}
	a, err := s.accountBy(ctx, s.db, "u.id = ?", id)
	return a.User, err
}

// ByUsername returns the account with that username (case does not matter).
func (s *Service) ByUsername(ctx context.Context, username string) (User, error) {
	a, err := s.accountBy(ctx, s.db, "u.username = ?", normaliseUsername(username))
	return a.User, err
}

// List returns every account, by username, for the administrator's page.
func (s *Service) List(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.username`)
	if err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	defer rows.Close()
	var out []User
	index := map[string]int{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("accounts: list: %w", err)
		}
		index[a.ID] = len(out)
		out = append(out, a.User)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: list: %w", err)
	}
	rows.Close()
	// One query for every account's locations, not one per account.
	locs, err := s.db.Query(ctx, `SELECT user_id, location_id FROM staff_locations ORDER BY user_id, location_id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: list locations: %w", err)
	}
	defer locs.Close()
	for locs.Next() {
		var uid, lid string
		if err := locs.Scan(&uid, &lid); err != nil {
			return nil, fmt.Errorf("accounts: list locations: %w", err)
		}
		if i, ok := index[uid]; ok {
			out[i].LocationIDs = append(out[i].LocationIDs, lid)
		}
	}
	return out, locs.Err()
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Kind        access.Kind
	Username    string
	DisplayName string
	Password    string
	Role        access.Role // required for staff, refused for anyone else
	LocationIDs []string    // staff only
	By          Actor
	Meta        Meta
}

func normaliseUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validUsername allows ASCII letters, digits, dots, underscores and hyphens
// only: no look-alike letters from other scripts, nothing that needs
// escaping in a URL, a log line or an otpauth label.
func validUsername(s string) bool {
	if len(s) < 3 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// CreateUser validates and creates an account, with its locations, audited
// as "account-create". Only an operator or a staff member whose role may
// manage accounts can do it.
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	now, meta := s.clock(), nu.Meta
	if !nu.By.mayManageAccounts() {
		return User{}, s.deny(ctx, nu.By, "account-create", "", "not allowed to manage accounts", meta)
	}
	nu.Username = normaliseUsername(nu.Username)
	nu.DisplayName = strings.TrimSpace(nu.DisplayName)
	var p hearth.Problems
	switch nu.Kind {
	case access.KindStaff, access.KindPerson, access.KindRepresentative, access.KindInspector:
	default:
		p.Add("Kind", "Choose what sort of account this is")
	}
	p.Check(validUsername(nu.Username), "Username", "Username must be 3 to 64 letters, digits, dots, underscores or hyphens")
	p.Check(nu.DisplayName != "", "Display name", "Enter the name to show for this account")
	p.Check(len(nu.DisplayName) <= 200, "Display name", "Display name must be at most 200 characters")
	if nu.Kind == access.KindStaff {
		p.Check(nu.Role != access.RoleNone && nu.Role.String() != "", "Role", "Choose a role for a staff account")
	} else {
		p.Check(nu.Role == access.RoleNone, "Role", "Only staff accounts have a role")
		p.Check(len(nu.LocationIDs) == 0, "Locations", "Only staff accounts work at locations")
	}
	checkPassword(&p, nu.Username, nu.Password)
	if err := p.Err(); err != nil {
		return User{}, err
	}
	locations := slices.Compact(slices.Sorted(slices.Values(nu.LocationIDs)))

	u := User{ID: hearth.NewID(), Kind: nu.Kind, Username: nu.Username, DisplayName: nu.DisplayName,
		Role: nu.Role, LocationIDs: locations, CreatedAt: now}
	hash := HashPassword(nu.Password, s.cfg.Params)
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for _, id := range locations {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM locations WHERE id = ?`, id).Scan(&n); err != nil {
				return fmt.Errorf("accounts: check location: %w", err)
			}
			if n == 0 {
				return hearth.Invalid("Locations", "Choose locations that exist")
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO users (id, kind, username, display_name, role, password_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Kind.String(), u.Username, u.DisplayName, u.Role.String(), hash, now)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "That username is taken")
		}
		if err != nil {
			return fmt.Errorf("accounts: create: %w", err)
		}
		for _, id := range locations {
			if _, err := tx.Exec(ctx, `INSERT INTO staff_locations (user_id, location_id) VALUES (?, ?)`, u.ID, id); err != nil {
				return fmt.Errorf("accounts: add location: %w", err)
			}
		}
		detail := fmt.Sprintf("created %s account %s", u.Kind, u.Username)
		if u.Role != access.RoleNone {
			detail += " (" + u.Role.Title() + ")"
		}
		return s.audit(ctx, tx, actorEvent(nu.By, "account-create", audit.OutcomeSuccess, u.ID, detail), meta)
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// Disable stops an account from signing in, ends all its sessions and
// ends every care-team membership it holds. The row stays: audit events and
// care entries still name who did them.
func (s *Service) Disable(ctx context.Context, userID string, by Actor, meta Meta) error {
	return s.adminChange(ctx, userID, by, "account-disable", meta, func(tx *store.Tx, a account, now time.Time) (string, error) {
		if by.ID == a.ID {
			return "", hearth.Errorf(hearth.KindForbidden, "You cannot disable your own account")
		}
		return disableStaff(ctx, tx, a.ID, now)
	})
}

// ResetMFA removes the account's authenticator and recovery codes and ends
// its sessions, so that the next sign-in enrols a new authenticator. It is
// how someone who has lost both their phone and their codes gets back in,
// after the administrator has checked who they are. In the web interface a
// reset takes two senior accounts (RequestMFAReset, ApproveMFAReset); this
// is the command line operator's.
func (s *Service) ResetMFA(ctx context.Context, userID string, by Actor, meta Meta) error {
	return s.adminChange(ctx, userID, by, "mfa-reset", meta, func(tx *store.Tx, a account, now time.Time) (string, error) {
		return resetSecondFactor(ctx, tx, a.ID)
	})
}

// SetPassword sets a new password, by the account holder or by someone who
// may manage accounts. It empties the account's sign-in buckets (its own
// and every pair's) and ends every session of the account, so a password
// reset after a compromise locks the intruder out.
// Audited as "password-set".
func (s *Service) SetPassword(ctx context.Context, userID, password string, by Actor, meta Meta) error {
	self := by.ID != "" && by.ID == userID
	if !self && !by.mayManageAccounts() {
		return s.deny(ctx, by, "password-set", userID, "not allowed to manage accounts", meta)
	}
	a, err := s.accountBy(ctx, s.db, "u.id = ?", userID)
	if err != nil {
		return err
	}
	if err := CheckPassword(a.Username, password); err != nil {
		return err
	}
	hash := HashPassword(password, s.cfg.Params)
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, a.ID); err != nil {
			return fmt.Errorf("accounts: set password: %w", err)
		}
		if err := clearAccount(ctx, tx, a.Username); err != nil {
			return err
		}
		n, err := deleteSessions(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("set the password of %s; ended %s", a.Username, plural(n, "session"))
		return s.audit(ctx, tx, actorEvent(by, "password-set", audit.OutcomeSuccess, a.ID, detail), meta)
	})
}

// adminChange runs an administrative change to one account: permission
// check (audited when refused), load, change, audit, all in one transaction.
func (s *Service) adminChange(ctx context.Context, userID string, by Actor, action string, meta Meta,
	change func(tx *store.Tx, a account, now time.Time) (string, error)) error {
	if !by.mayManageAccounts() {
		return s.deny(ctx, by, action, userID, "not allowed to manage accounts", meta)
	}
	if !hearth.ValidID(userID) {
		return hearth.NotFound("Account")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		a, err := s.accountBy(ctx, tx, "u.id = ?", userID)
		if err != nil {
			return err
		}
		detail, err := change(tx, a, s.clock())
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actorEvent(by, action, audit.OutcomeSuccess, a.ID, detail), meta)
	})
}

// deny audits a refused administrative action in its own transaction (there
// is no change to go with it) and returns the forbidden error.
func (s *Service) deny(ctx context.Context, by Actor, action, targetID, detail string, meta Meta) error {
	ev := actorEvent(by, action, audit.OutcomeDenied, targetID, detail)
	ev.ClientAddr, ev.RequestID = meta.ClientAddr, meta.RequestID
	if _, err := s.log.AppendNow(ctx, ev); err != nil {
		return err
	}
	return hearth.Errorf(hearth.KindForbidden, "You are not allowed to manage accounts")
}

// audit appends ev in tx with the request's details.
func (s *Service) audit(ctx context.Context, tx *store.Tx, ev audit.Event, meta Meta) error {
	ev.ClientAddr, ev.RequestID = meta.ClientAddr, meta.RequestID
	_, err := s.log.Append(ctx, tx, ev)
	return err
}

// actorEvent is an event about an administrative action on an account.
func actorEvent(by Actor, action, outcome, targetID, detail string) audit.Event {
	ev := audit.Event{ActorID: by.ID, ActorName: by.Name, ActorRole: by.Role, ActorKind: by.Kind,
		Action: action, Outcome: outcome, Detail: detail}
	if targetID != "" {
		ev.ResourceType, ev.ResourceID = "User", targetID
	}
	return ev
}

// userEvent is an event about an account acting for itself (signing in or out).
func userEvent(u User, action, outcome, detail string) audit.Event {
	return audit.Event{ActorID: u.ID, ActorName: u.DisplayName, ActorRole: u.Role.String(), ActorKind: u.Kind.String(),
		Action: action, Outcome: outcome, Detail: detail, ResourceType: "User", ResourceID: u.ID}
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
