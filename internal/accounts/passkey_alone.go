package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// A passkey alone signs a person in (issue 12 item 7: a person locked out
// by strangers can still sign in). The sign-in page offers it beside the
// password: the browser offers the passkeys it holds for Hearth
// (discoverable credentials), the person unlocks one (user verification is
// required: a fingerprint, a face or the device's PIN), and Hearth checks
// the signature against the passkey it stored for that account.
//
// That is two factors in one (the device, and what unlocks it), bound to
// Hearth's origin so it cannot be phished, and it has no secret that can
// be guessed. So the rule (docs/security.md, "Signing in"): a passkey used
// alone is not held back by the password's limits (neither the pair's nor
// the account's), which exist to stop guessing; it is held back only by
// its address's limit, and a refused passkey counts there. A disabled
// account is refused. Only accounts that added a passkey (people who draw
// on care and their representatives, from the portal) can use it.

// holderHash is the key a pre-session cookie's challenge is kept under.
func holderHash(holder string) string {
	sum := sha256.Sum256([]byte("hearth passkey sign-in\x00" + holder))
	return hex.EncodeToString(sum[:])
}

// BeginPasskeyAlone returns the options for navigator.credentials.get for
// signing in with a passkey alone, keeping the challenge with holder (the
// sign-in page's pre-session cookie).
func (s *Service) BeginPasskeyAlone(ctx context.Context, holder string, rp RelyingParty) (*protocol.CredentialAssertion, error) {
	if len(holder) < 20 {
		return nil, hearth.Errorf(hearth.KindUnauthenticated, "This page has expired. Reload it and try again.")
	}
	w, err := rp.webauthn()
	if err != nil {
		return nil, err
	}
	opts, data, err := w.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("accounts: begin passkey sign-in: %w", err)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM webauthn_signin_challenges WHERE holder_hash = ? OR expires_at <= ?`, holderHash(holder), now); err != nil {
			return fmt.Errorf("accounts: replace challenge: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webauthn_signin_challenges (holder_hash, data, expires_at) VALUES (?, ?, ?)`,
			holderHash(holder), string(b), now.Add(ChallengeLife)); err != nil {
			return fmt.Errorf("accounts: store challenge: %w", err)
		}
		return nil
	})
	return opts, err
}

// SignInWithPasskey checks the browser's answer to holder's challenge and,
// when it is a passkey of an active account, unlocked by its holder, starts
// a full session and returns its token. Audited as "sign-in" and
// "passkey-use"; a refusal is audited and counts towards the address's
// limit.
func (s *Service) SignInWithPasskey(ctx context.Context, holder string, rp RelyingParty, response []byte, meta Meta) (string, Session, error) {
	w, err := rp.webauthn()
	if err != nil {
		return "", Session{}, err
	}
	now := s.clock()
	addr := s.limits("", meta.ClientAddr, "")[2:3]
	if r, open, err := throttled(readerOf(ctx, s.db), addr, now); err != nil {
		return "", Session{}, err
	} else if !open {
		ev := audit.Event{Action: "sign-in", Outcome: audit.OutcomeDenied,
			Detail: "passkey alone: too many failed attempts from this address; nothing checked", ClientAddr: meta.ClientAddr, RequestID: meta.RequestID}
		if _, err := s.log.AppendNow(ctx, ev); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, errTooManyFromHere(r.wait)
	}
	var token string
	var sess Session
	var shown error
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		refuse := func(u User, detail string) error {
			shown = errPasskeyAloneFailed()
			if err := countFailure(ctx, tx, addr, now); err != nil {
				return err
			}
			return s.auditSignIn(ctx, tx, u, audit.OutcomeFailed, "passkey alone refused: "+detail, meta)
		}
		var data string
		var expires sql.NullTime
		err := tx.QueryRow(ctx, `DELETE FROM webauthn_signin_challenges WHERE holder_hash = ? RETURNING data, expires_at`,
			holderHash(holder)).Scan(&data, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !now.Before(expires.Time)) {
			shown = errNoChallenge()
			return s.auditSignIn(ctx, tx, User{}, audit.OutcomeFailed, "passkey alone: no live challenge", meta)
		}
		if err != nil {
			return fmt.Errorf("accounts: take challenge: %w", err)
		}
		var sd webauthn.SessionData
		if err := json.Unmarshal([]byte(data), &sd); err != nil {
			return fmt.Errorf("accounts: read challenge: %w", err)
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
		if err != nil {
			return refuse(User{}, truncate(protocolDetail(err), 200))
		}
		var owner *passkeyUser
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			id := string(userHandle)
			if !hearth.ValidID(id) {
				return nil, errors.New("no such account")
			}
			a, err := s.accountBy(ctx, tx, "u.id = ?", id)
			if err != nil {
				return nil, err
			}
			creds, err := loadCredentials(ctx, tx, a.ID)
			if err != nil {
				return nil, err
			}
			owner = &passkeyUser{u: a.User, creds: creds}
			return *owner, nil
		}
		_, cred, err := w.ValidatePasskeyLogin(handler, sd, parsed)
		if err != nil {
			var u User
			if owner != nil {
				u = owner.u
			}
			if store.Unavailable(err) {
				return err
			}
			return refuse(u, truncate(protocolDetail(err), 200))
		}
		u := owner.u
		if u.Disabled {
			shown = errPasskeyAloneFailed()
			return s.audit(ctx, tx, userEvent(u, "sign-in", audit.OutcomeDenied, "passkey alone: account disabled"), meta)
		}
		var used storedCredential
		for _, c := range owner.creds {
			if string(c.cred.ID) == string(cred.ID) {
				used = c
			}
		}
		if cred.Authenticator.CloneWarning {
			if err := refuse(u, fmt.Sprintf("passkey %q (%s): signature counter %d did not go up from %d (a cloned authenticator?)",
				used.Name, used.ID, parsed.Response.AuthenticatorData.Counter, used.cred.Authenticator.SignCount)); err != nil {
				return err
			}
			return s.audit(ctx, tx, userEvent(u, "passkey-use", audit.OutcomeDenied,
				fmt.Sprintf("passkey %q (%s): signature counter did not go up", used.Name, used.ID)), meta)
		}
		res, err := tx.Exec(ctx, `UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?`,
			int64(cred.Authenticator.SignCount), now, used.ID, int64(used.cred.Authenticator.SignCount))
		if err != nil {
			return fmt.Errorf("accounts: record passkey use: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return err
			}
			return refuse(u, "passkey counter changed during sign-in")
		}
		if err := s.clearPair(ctx, tx, u.Username, meta.ClientAddr); err != nil {
			return err
		}
		if token, sess, err = s.createSession(ctx, tx, u, StageFull, now, meta); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, userEvent(u, "passkey-use", audit.OutcomeSuccess,
			fmt.Sprintf("signed in with passkey %q (%s) alone", used.Name, used.ID)), meta); err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(u, "sign-in", audit.OutcomeSuccess, "signed in with a passkey alone (user verified)"), meta)
	})
	if err != nil {
		return "", Session{}, err
	}
	if shown != nil {
		return "", Session{}, shown
	}
	return token, sess, nil
}

func errPasskeyAloneFailed() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That passkey was not accepted. Try again, or sign in with your password.")
}
