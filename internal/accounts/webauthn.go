package accounts

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// Passkeys (WebAuthn, W3C Web Authentication Level 3) are a second factor
// in place of the authenticator code: the password step stays, and the
// passkey proves possession of a key bound to Hearth's origin, so a
// look-alike site cannot relay it (phishing-resistant MFA, NCSC and OWASP
// MFA guidance). An account adds a passkey only from a full session, that
// is after signing in with its authenticator code.
//
//	BeginPasskeyRegistration (full session) -> options for navigator.credentials.create
//	FinishPasskeyRegistration               -> credential stored, audited "passkey-add"
//	BeginPasskeySignIn (StageMFA session)   -> options for navigator.credentials.get
//	FinishPasskeySignIn                     -> StageFull, audited "sign-in-mfa" (and "passkey-use")
//
// Each challenge belongs to the session that asked for it, works once
// (it is deleted as it is read) and expires after ChallengeLife. The
// signature counter must go up on each use when the authenticator keeps
// one: a count that does not is a sign of a cloned authenticator, and the
// sign-in is refused and audited.

// ChallengeLife is how long a passkey challenge may be answered.
const ChallengeLife = 5 * time.Minute

// maxPasskeys is how many passkeys one account may hold.
const maxPasskeys = 10

// RelyingParty is who the passkey belongs to: Hearth at one origin. The
// ID is the origin's host name (browsers refuse IP addresses).
type RelyingParty struct {
	ID     string // e.g. "hearth.example.org" or "localhost"
	Origin string // e.g. "https://hearth.example.org"
	Name   string // shown by the browser; "Hearth" when empty
}

// RelyingPartyFor returns the relying party for an origin such as
// "https://hearth.example.org" or "http://localhost:8080".
func RelyingPartyFor(origin string) (RelyingParty, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return RelyingParty{}, fmt.Errorf("accounts: passkeys need an origin like https://hearth.example.org, not %q", origin)
	}
	if net.ParseIP(u.Hostname()) != nil || protocol.ValidateRPID(u.Hostname()) != nil {
		return RelyingParty{}, errPasskeyHost()
	}
	return RelyingParty{ID: u.Hostname(), Origin: u.Scheme + "://" + u.Host, Name: "Hearth"}, nil
}

// errPasskeyHost is for a Hearth reached by an IP address: browsers bind
// passkeys to a site's name and refuse an address.
func errPasskeyHost() error {
	return hearth.Errorf(hearth.KindInvalid, "Passkeys work only when Hearth is opened by its name (such as hearth.example.org), not by a number address. Use the code from your authenticator app.")
}

func (rp RelyingParty) webauthn() (*webauthn.WebAuthn, error) {
	name := rp.Name
	if name == "" {
		name = "Hearth"
	}
	return webauthn.New(&webauthn.Config{
		RPID:          rp.ID,
		RPDisplayName: name,
		RPOrigins:     []string{rp.Origin},
		// No attestation: Hearth does not restrict which authenticator a
		// person uses, so it has no use for the maker's certificate.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeLife},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ChallengeLife},
		},
	})
}

// Passkey is one passkey of an account, as the account's own page shows it.
type Passkey struct {
	ID         string
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used to sign in
}

// passkeyUser is an account with its passkeys, as the library wants it.
type passkeyUser struct {
	u     User
	creds []storedCredential
}

type storedCredential struct {
	Passkey
	cred webauthn.Credential
}

func (p passkeyUser) WebAuthnID() []byte          { return []byte(p.u.ID) }
func (p passkeyUser) WebAuthnName() string        { return p.u.Username }
func (p passkeyUser) WebAuthnDisplayName() string { return p.u.DisplayName }
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(p.creds))
	for i, c := range p.creds {
		out[i] = c.cred
	}
	return out
}

var b64url = base64.RawURLEncoding

func loadCredentials(ctx context.Context, q querier, userID string) ([]storedCredential, error) {
	rows, err := q.Query(ctx, `SELECT id, name, created_at, last_used_at, sign_count, public_key, record
		FROM webauthn_credentials WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("accounts: load passkeys: %w", err)
	}
	defer rows.Close()
	var out []storedCredential
	for rows.Next() {
		var c storedCredential
		var used sql.NullTime
		var count int64
		var pub, record string
		if err := rows.Scan(&c.ID, &c.Name, &c.CreatedAt, &used, &count, &pub, &record); err != nil {
			return nil, fmt.Errorf("accounts: load passkeys: %w", err)
		}
		if err := json.Unmarshal([]byte(record), &c.cred); err != nil {
			return nil, fmt.Errorf("accounts: passkey %s record: %w", c.ID, err)
		}
		// The columns are the truth for the key and the counter.
		if c.cred.PublicKey, err = b64url.DecodeString(pub); err != nil {
			return nil, fmt.Errorf("accounts: passkey %s key: %w", c.ID, err)
		}
		c.cred.Authenticator.SignCount = uint32(count)
		c.CreatedAt = c.CreatedAt.UTC()
		if used.Valid {
			c.LastUsedAt = used.Time.UTC()
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Passkeys lists the account's own passkeys, oldest first.
func (s *Service) Passkeys(ctx context.Context, userID string) ([]Passkey, error) {
	creds, err := loadCredentials(ctx, s.db, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Passkey, len(creds))
	for i, c := range creds {
		out[i] = c.Passkey
	}
	return out, nil
}

// HasPasskeys reports whether the account has at least one passkey.
func (s *Service) HasPasskeys(ctx context.Context, userID string) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM webauthn_credentials WHERE user_id = ?`, userID).Scan(&n)
	return n > 0, err
}

// saveChallenge keeps the ceremony's session data with the session,
// replacing any earlier unanswered challenge of the same ceremony.
func saveChallenge(ctx context.Context, tx *store.Tx, sessHash, ceremony string, data *webauthn.SessionData, now time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM webauthn_challenges WHERE session_hash = ? AND ceremony = ?`, sessHash, ceremony); err != nil {
		return fmt.Errorf("accounts: replace challenge: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO webauthn_challenges (session_hash, ceremony, data, expires_at) VALUES (?, ?, ?, ?)`,
		sessHash, ceremony, string(b), now.Add(ChallengeLife))
	if err != nil {
		return fmt.Errorf("accounts: store challenge: %w", err)
	}
	return nil
}

// takeChallenge removes and returns the session's challenge for the
// ceremony: whatever happens next, it cannot be answered twice. A missing
// or expired challenge gives a plain error to show.
func takeChallenge(ctx context.Context, tx *store.Tx, sessHash, ceremony string, now time.Time) (webauthn.SessionData, error) {
	var data string
	var expires time.Time
	err := tx.QueryRow(ctx, `DELETE FROM webauthn_challenges WHERE session_hash = ? AND ceremony = ? RETURNING data, expires_at`,
		sessHash, ceremony).Scan(&data, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return webauthn.SessionData{}, errNoChallenge()
	}
	if err != nil {
		return webauthn.SessionData{}, fmt.Errorf("accounts: take challenge: %w", err)
	}
	if !now.Before(expires) {
		return webauthn.SessionData{}, errNoChallenge()
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(data), &sd); err != nil {
		return webauthn.SessionData{}, fmt.Errorf("accounts: read challenge: %w", err)
	}
	return sd, nil
}

func errNoChallenge() error {
	return hearth.Errorf(hearth.KindInvalid, "That passkey request has expired or was already used. Try again.")
}

func errPasskeyFailed() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That passkey was not accepted. Try again, or enter the code from your authenticator app.")
}

// BeginPasskeyRegistration returns the options for the browser's
// navigator.credentials.create for a full session, and keeps the challenge
// with the session. Passkeys the account already has are excluded, so the
// same authenticator is not added twice.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, sess Session, rp RelyingParty) (*protocol.CredentialCreation, error) {
	if !sess.Full() {
		return nil, hearth.Errorf(hearth.KindForbidden, "Sign in fully before adding a passkey")
	}
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var opts *protocol.CredentialCreation
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		creds, err := loadCredentials(ctx, tx, sess.User.ID)
		if err != nil {
			return err
		}
		if len(creds) >= maxPasskeys {
			return hearth.Invalid("Name", fmt.Sprintf("You already have %d passkeys. Remove one before adding another.", maxPasskeys))
		}
		pu := passkeyUser{u: sess.User, creds: creds}
		var data *webauthn.SessionData
		opts, data, err = w.BeginRegistration(pu, webauthn.WithExclusions(webauthn.Credentials(pu.WebAuthnCredentials()).CredentialDescriptors()))
		if err != nil {
			return fmt.Errorf("accounts: begin passkey registration: %w", err)
		}
		return saveChallenge(ctx, tx, sess.IDHash, "register", data, now)
	})
	return opts, err
}

// FinishPasskeyRegistration checks the browser's answer to the session's
// registration challenge and stores the new passkey under name. Audited as
// "passkey-add" in the same transaction; a refused answer is audited too.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, sess Session, rp RelyingParty, name string, response []byte, meta Meta) (Passkey, error) {
	if !sess.Full() {
		return Passkey{}, hearth.Errorf(hearth.KindForbidden, "Sign in fully before adding a passkey")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > 60 {
		return Passkey{}, hearth.Invalid("Name", "The passkey's name must be 60 characters or fewer")
	}
	w, err := rp.webauthn()
	if err != nil {
		return Passkey{}, err
	}
	now := s.clock()
	var pk Passkey
	var shown error
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		sd, err := takeChallenge(ctx, tx, sess.IDHash, "register", now)
		if err != nil {
			shown = err
			return s.audit(ctx, tx, userEvent(sess.User, "passkey-add", audit.OutcomeFailed, "no live challenge"), meta)
		}
		creds, err := loadCredentials(ctx, tx, sess.User.ID)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
		var cred *webauthn.Credential
		if err == nil {
			cred, err = w.CreateCredential(passkeyUser{u: sess.User, creds: creds}, sd, parsed)
		}
		if err != nil {
			shown = hearth.Invalid("Passkey", "The passkey could not be added. Try again.")
			return s.audit(ctx, tx, userEvent(sess.User, "passkey-add", audit.OutcomeFailed, "refused: "+truncate(protocolDetail(err), 200)), meta)
		}
		record, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		credID := b64url.EncodeToString(cred.ID)
		var taken int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM webauthn_credentials WHERE credential_id = ?`, credID).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			shown = hearth.Invalid("Passkey", "That passkey is already in use. Choose another, or remove the old one first.")
			return s.audit(ctx, tx, userEvent(sess.User, "passkey-add", audit.OutcomeFailed, "credential already registered"), meta)
		}
		pk = Passkey{ID: hearth.NewID(), Name: name, CreatedAt: now}
		if _, err := tx.Exec(ctx, `INSERT INTO webauthn_credentials (id, user_id, credential_id, public_key, sign_count, record, name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, pk.ID, sess.User.ID, credID, b64url.EncodeToString(cred.PublicKey),
			int64(cred.Authenticator.SignCount), string(record), name, now); err != nil {
			return fmt.Errorf("accounts: store passkey: %w", err)
		}
		return s.audit(ctx, tx, userEvent(sess.User, "passkey-add", audit.OutcomeSuccess,
			fmt.Sprintf("added passkey %q (%s)", name, pk.ID)), meta)
	})
	if err != nil {
		return Passkey{}, err
	}
	if shown != nil {
		return Passkey{}, shown
	}
	return pk, nil
}

// RemovePasskey removes one of the account's own passkeys. Audited as
// "passkey-remove". Another account's passkey reads as not found.
func (s *Service) RemovePasskey(ctx context.Context, sess Session, passkeyID string, meta Meta) error {
	if !sess.Full() {
		return hearth.Errorf(hearth.KindForbidden, "Sign in fully before removing a passkey")
	}
	if !hearth.ValidID(passkeyID) {
		return hearth.NotFound("Passkey")
	}
	var shown error
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM webauthn_credentials WHERE id = ? AND user_id = ? RETURNING name`, passkeyID, sess.User.ID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			shown = hearth.NotFound("Passkey")
			return s.audit(ctx, tx, userEvent(sess.User, "passkey-remove", audit.OutcomeFailed, "no such passkey of this account: "+passkeyID), meta)
		}
		if err != nil {
			return fmt.Errorf("accounts: remove passkey: %w", err)
		}
		return s.audit(ctx, tx, userEvent(sess.User, "passkey-remove", audit.OutcomeSuccess,
			fmt.Sprintf("removed passkey %q (%s)", name, passkeyID)), meta)
	})
	if err != nil {
		return err
	}
	return shown
}

// BeginPasskeySignIn returns the options for navigator.credentials.get for
// a session waiting for its second factor, listing the account's passkeys,
// and keeps the challenge with the session. An account without passkeys
// is told to use its code.
func (s *Service) BeginPasskeySignIn(ctx context.Context, token string, rp RelyingParty) (*protocol.CredentialAssertion, error) {
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var opts *protocol.CredentialAssertion
	var shown error
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.liveSession(ctx, tx, token, now)
		if hearth.KindOf(err) == hearth.KindUnauthenticated {
			shown = err
			return nil
		}
		if err != nil {
			return err
		}
		if r.Stage != StageMFA {
			shown = hearth.Errorf(hearth.KindForbidden, "This session is not waiting for a second step")
			return nil
		}
		creds, err := loadCredentials(ctx, tx, r.User.ID)
		if err != nil {
			return err
		}
		if len(creds) == 0 {
			shown = hearth.Errorf(hearth.KindInvalid, "You have not added a passkey yet. Enter the code from your authenticator app.")
			return nil
		}
		var data *webauthn.SessionData
		opts, data, err = w.BeginLogin(passkeyUser{u: r.User, creds: creds})
		if err != nil {
			return fmt.Errorf("accounts: begin passkey sign-in: %w", err)
		}
		return saveChallenge(ctx, tx, r.IDHash, "signin", data, now)
	})
	if err != nil {
		return nil, err
	}
	if shown != nil {
		return nil, shown
	}
	return opts, nil
}

// FinishPasskeySignIn checks the browser's answer to the session's sign-in
// challenge. On success it records the new signature count and the time of
// use, and replaces the pending session with a full one, whose token it
// returns. A wrong answer counts towards the lockout like a wrong code; a
// counter that did not go up (a cloned authenticator) is refused. Audited
// as "sign-in-mfa" and, for the passkey itself, "passkey-use".
func (s *Service) FinishPasskeySignIn(ctx context.Context, token string, rp RelyingParty, response []byte, meta Meta) (string, error) {
	w, err := rp.webauthn()
	if err != nil {
		return "", err
	}
	now := s.clock()
	var newToken string
	var shown error
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.liveSession(ctx, tx, token, now)
		if hearth.KindOf(err) == hearth.KindUnauthenticated {
			shown = err
			return nil
		}
		if err != nil {
			return err
		}
		a := r.account
		if r.Stage != StageMFA {
			shown = hearth.Errorf(hearth.KindForbidden, "This session is not waiting for a second step")
			return nil
		}
		if lock, locked, err := s.lockedAtSecondStep(readerOf(ctx, tx), a.User, now, meta); err != nil {
			return err
		} else if locked {
			shown = errLocked(lock.wait)
			return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeDenied,
				fmt.Sprintf("too many failed attempts (%s) for about %s more; passkey not checked", lock.kind, minutes(lock.wait))), meta)
		}
		sd, err := takeChallenge(ctx, tx, r.IDHash, "signin", now)
		if err != nil {
			shown = err
			return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeFailed, "passkey: no live challenge"), meta)
		}
		creds, err := loadCredentials(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
		var cred *webauthn.Credential
		if err == nil {
			cred, err = w.ValidateLogin(passkeyUser{u: a.User, creds: creds}, sd, parsed)
		}
		if err != nil {
			shown = errPasskeyFailed()
			return s.failure(ctx, tx, a.User, "sign-in-mfa", "passkey refused: "+truncate(protocolDetail(err), 200), "", now, meta)
		}
		var used storedCredential
		for _, c := range creds {
			if string(c.cred.ID) == string(cred.ID) {
				used = c
			}
		}
		if cred.Authenticator.CloneWarning {
			shown = errPasskeyFailed()
			err = s.failure(ctx, tx, a.User, "sign-in-mfa", fmt.Sprintf(
				"passkey %q (%s) refused: signature counter %d did not go up from %d (a cloned authenticator?)",
				used.Name, used.ID, parsed.Response.AuthenticatorData.Counter, used.cred.Authenticator.SignCount), "", now, meta)
			if err != nil {
				return err
			}
			return s.audit(ctx, tx, userEvent(a.User, "passkey-use", audit.OutcomeDenied,
				fmt.Sprintf("passkey %q (%s): signature counter did not go up", used.Name, used.ID)), meta)
		}
		// Guarded on the counter read: two answers racing with the same
		// count cannot both be accepted.
		res, err := tx.Exec(ctx, `UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
			int64(cred.Authenticator.SignCount), now, used.ID, int64(used.cred.Authenticator.SignCount))
		if err != nil {
			return fmt.Errorf("accounts: record passkey use: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return err
			}
			shown = errPasskeyFailed()
			return s.failure(ctx, tx, a.User, "sign-in-mfa", "passkey counter changed during sign-in", "", now, meta)
		}
		if newToken, err = s.promote(ctx, tx, r, now, meta); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, userEvent(a.User, "passkey-use", audit.OutcomeSuccess,
			fmt.Sprintf("signed in with passkey %q (%s)", used.Name, used.ID)), meta); err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeSuccess, "signed in with a passkey"), meta)
	})
	if err != nil {
		return "", err
	}
	if shown != nil {
		return "", shown
	}
	return newToken, nil
}

// removePasskeys removes every passkey of the account (an MFA reset: a
// passkey someone else added must not outlive it) and says how many.
func removePasskeys(ctx context.Context, tx *store.Tx, userID string) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM webauthn_credentials WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("accounts: remove passkeys: %w", err)
	}
	return res.RowsAffected()
}

// protocolDetail is the library's reason, for the audit log (never shown).
func protocolDetail(err error) string {
	var perr *protocol.Error
	if errors.As(err, &perr) {
		if perr.DevInfo != "" {
			return perr.Details + ": " + perr.DevInfo
		}
		return perr.Details
	}
	return err.Error()
}
