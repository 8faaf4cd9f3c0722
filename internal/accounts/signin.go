package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// The sign-in journey:
//
//	SignIn (password) -> session at StageMFA or StageEnrol
//	StageEnrol: BeginEnrolment (QR code), CompleteEnrolment (first code) -> StageFull + recovery codes
//	StageMFA:   VerifyMFA (TOTP or recovery code), or a passkey          -> StageFull
//	SignInWithPasskey (a passkey with user verification, no password)  -> StageFull
//
// Failed passwords and failed codes fill the same leaky buckets
// (throttle.go): the pair of username and address first, the account only
// after many failures from many addresses, and briefly. A second factor
// that succeeds empties the pair's bucket: knowing the password alone must
// not wipe the count of guesses at the code.

// errSignIn is the one answer to an unknown username, a wrong password, a
// disabled account and a username that has had too many failed attempts:
// the same words, the same status, after the same argon2id work (OWASP
// Authentication Cheat Sheet: generic messages; no user enumeration). It
// says what a person needs to know either way.
func errSignIn() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "The username or password is not right. "+
		"If you are sure they are, there have been too many attempts: wait a few minutes and try again.")
}

// errTooManyFromHere refuses an address that has failed too often, before
// any work. It is about the address, never an account, so it may say so.
func errTooManyFromHere(wait time.Duration) error {
	return hearth.Errorf(hearth.KindTooMany, "Too many sign-in attempts from this device. Try again in %s.", minutes(wait))
}

func errWrongCode() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That code is not right")
}

func errReplayedCode() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That code has already been used. Wait for the next code and try again.")
}

// errLocked says how long to wait, rounded up to whole minutes. It is for
// the second step only, where the password has already been shown.
func errLocked(wait time.Duration) error {
	return hearth.Errorf(hearth.KindTooMany, "Too many attempts. Try again in %s.", minutes(wait))
}

func minutes(d time.Duration) string {
	n := int64((d + time.Minute - 1) / time.Minute)
	if n < 1 {
		n = 1
	}
	return plural(n, "minute")
}

// failure counts a failed attempt by u from meta's address (with the typed
// password's bucket at the password step) and audits it with detail.
func (s *Service) failure(ctx context.Context, tx *store.Tx, u User, action, detail, password string, now time.Time, meta Meta) error {
	if err := countFailure(ctx, tx, s.limits(u.Username, meta.ClientAddr, password), now); err != nil {
		return err
	}
	return s.audit(ctx, tx, userEvent(u, action, audit.OutcomeFailed, detail), meta)
}

// lockedAtSecondStep reports the pair or account bucket of u at meta's
// address that is full, for the second step and a password confirmation.
func (s *Service) lockedAtSecondStep(read rowReader, u User, now time.Time, meta Meta) (refusal, bool, error) {
	r, open, err := throttled(read, s.limits(u.Username, meta.ClientAddr, "")[:2], now)
	return r, !open, err
}

// SignIn checks a username and password. On success it returns the token
// of a new pending session: StageEnrol when the account has no
// authenticator yet, StageMFA otherwise. It never returns a full session.
//
// An address that has failed too often is refused first, with nothing
// checked (KindTooMany: it says nothing about any account). Otherwise an
// unknown username, a wrong password, a disabled account and a full
// bucket (the pair, the account, or the password sprayed across accounts)
// all give the same KindUnauthenticated error after the same argon2id
// work; a full bucket refuses even the right password. Every attempt is
// audited as "sign-in".
func (s *Service) SignIn(ctx context.Context, username, password string, meta Meta) (string, Session, error) {
	name := normaliseUsername(username)
	now := s.clock()
	lims := s.limits(name, meta.ClientAddr, password)
	if r, open, err := throttled(readerOf(ctx, s.db), lims[2:3], now); err != nil {
		return "", Session{}, err
	} else if !open {
		ev := audit.Event{Action: "sign-in", Outcome: audit.OutcomeDenied,
			Detail: "too many failed attempts from this address; nothing checked", ClientAddr: meta.ClientAddr, RequestID: meta.RequestID}
		if _, err := s.log.AppendNow(ctx, ev); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, errTooManyFromHere(r.wait)
	}
	var a account
	found := false
	if validUsername(name) {
		var err error
		a, err = s.accountBy(ctx, s.db, "u.username = ?", name)
		if err != nil && hearth.KindOf(err) != hearth.KindNotFound {
			return "", Session{}, err
		}
		found = err == nil
	}

	// The argon2id work happens before the transaction, never inside it:
	// on SQLite a transaction holds the one write lock, and every writer in
	// Hearth would queue behind each sign-in's hash. It happens whatever
	// else is true, so every answer costs the same.
	checked := s.dummyHash
	if found {
		checked = a.passwordHash
	}
	ok, err := s.verify(checked, password)
	if err != nil {
		return "", Session{}, err
	}
	ok = ok && found
	rehash := ""
	if ok && needsRehash(a.passwordHash, s.cfg.Params) {
		rehash = HashPassword(password, s.cfg.Params)
	}

	var token string
	var sess Session
	var shown error // the answer, returned after the transaction commits
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if found {
			// Re-read in the transaction: the account may have changed
			// while we were hashing.
			if a, err = s.accountBy(ctx, tx, "u.id = ?", a.ID); err != nil {
				return err
			}
		}
		who := a.User
		unknown := ""
		if !found {
			who = User{}
			unknown = "unknown username " + truncate(name, 64) + "; "
		}
		r, open, err := throttled(readerOf(ctx, tx), lims, now)
		if err != nil {
			return err
		}
		shown = errSignIn()
		switch {
		case !open:
			return s.auditSignIn(ctx, tx, who, audit.OutcomeDenied, fmt.Sprintf("%stoo many failed attempts (%s) for about %s more; password not checked",
				unknown, r.kind, minutes(r.wait)), meta)
		case !found:
			if err := countFailure(ctx, tx, lims, now); err != nil {
				return err
			}
			return s.auditSignIn(ctx, tx, who, audit.OutcomeFailed, strings.TrimSuffix(unknown, "; "), meta)
		case a.Disabled:
			if err := countFailure(ctx, tx, lims, now); err != nil {
				return err
			}
			return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeDenied, "account disabled"), meta)
		case a.passwordHash != checked:
			// The password changed while we were hashing: neither accept
			// nor count the attempt.
			return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeFailed, "password changed during sign-in"), meta)
		case !ok:
			return s.failure(ctx, tx, a.User, "sign-in", "wrong password", password, now, meta)
		}
		shown = nil
		if rehash != "" {
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, rehash, a.ID); err != nil {
				return fmt.Errorf("accounts: upgrade password hash: %w", err)
			}
		}
		stage, detail := StageMFA, "password accepted; waiting for the authenticator code"
		if !a.Enrolled {
			stage, detail = StageEnrol, "password accepted; must set up an authenticator"
		}
		token, sess, err = s.createSession(ctx, tx, a.User, stage, now, meta)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeSuccess, detail), meta)
	})
	if err != nil {
		return "", Session{}, err
	}
	if shown != nil {
		return "", Session{}, shown
	}
	return token, sess, nil
}

// auditSignIn audits a sign-in attempt by who, or by a username that is no
// account (who is the zero User).
func (s *Service) auditSignIn(ctx context.Context, tx *store.Tx, who User, outcome, detail string, meta Meta) error {
	if who.ID != "" {
		return s.audit(ctx, tx, userEvent(who, "sign-in", outcome, detail), meta)
	}
	return s.audit(ctx, tx, audit.Event{Action: "sign-in", Outcome: outcome, Detail: detail}, meta)
}

// VerifyMFA checks the second factor for a session at StageMFA: a 6-digit
// authenticator code (RFC 6238, one step either side, never a step already
// used) or one of the account's unused recovery codes. Success resets the
// failure count and replaces the pending session with a new full one,
// whose token it returns. A wrong code counts towards the lockout. Audited
// as "sign-in-mfa".
func (s *Service) VerifyMFA(ctx context.Context, token, code string, meta Meta) (string, error) {
	now := s.clock()
	code = normaliseCode(code)
	var newToken string
	var shown error
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
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
			shown = hearth.Errorf(hearth.KindForbidden, "This session is not waiting for a code")
			return nil
		}
		if lock, locked, err := s.lockedAtSecondStep(readerOf(ctx, tx), a.User, now, meta); err != nil {
			return err
		} else if locked {
			shown = errLocked(lock.wait)
			return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeDenied,
				fmt.Sprintf("too many failed attempts (%s) for about %s more; code not checked", lock.kind, minutes(lock.wait))), meta)
		}

		var detail string
		if isTOTPCode(code) {
			secret, err := s.open(purposeTOTP, a.ID, a.totpSecret)
			if err != nil {
				return err
			}
			st, result := checkTOTP(secret, code, now, a.totpLastStep)
			if result == totpOK {
				result, err = claimStep(ctx, tx, a.ID, st)
				if err != nil {
					return err
				}
			}
			switch result {
			case totpWrong:
				shown = errWrongCode()
				return s.failure(ctx, tx, a.User, "sign-in-mfa", "wrong authenticator code", "", now, meta)
			case totpReplayed:
				shown = errReplayedCode()
				return s.failure(ctx, tx, a.User, "sign-in-mfa", "replayed code", "", now, meta)
			}
			detail = "signed in with an authenticator code"
		} else {
			ok, left, err := s.useRecoveryCode(ctx, tx, a.ID, code, now)
			if err != nil {
				return err
			}
			if !ok {
				shown = errWrongCode()
				return s.failure(ctx, tx, a.User, "sign-in-mfa", "wrong or used recovery code", "", now, meta)
			}
			detail = "signed in with a recovery code; " + plural(int64(left), "recovery code") + " left"
		}

		newToken, err = s.promote(ctx, tx, r, now, meta)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeSuccess, detail), meta)
	})
	if err != nil {
		return "", err
	}
	if shown != nil {
		return "", shown
	}
	return newToken, nil
}

// claimStep records st as the account's last accepted TOTP step, unless a
// concurrent request got there first with this step or a later one: the
// guarded UPDATE makes the replay check hold on PostgreSQL too, where two
// transactions could both have read the old value.
func claimStep(ctx context.Context, tx *store.Tx, userID string, st int64) (totpResult, error) {
	res, err := tx.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, st, userID, st)
	if err != nil {
		return totpWrong, fmt.Errorf("accounts: record code step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return totpWrong, fmt.Errorf("accounts: record code step: %w", err)
	}
	if n != 1 {
		return totpReplayed, nil
	}
	return totpOK, nil
}

// promote ends a pending session and starts a full one with a new token:
// the identifier changes when privilege does (session fixation defence).
// It also empties the pair's bucket: the person has proved who they are
// from this address.
func (s *Service) promote(ctx context.Context, tx *store.Tx, r sessionRow, now time.Time, meta Meta) (string, error) {
	ok, err := deleteSession(ctx, tx, r.IDHash)
	if err != nil {
		return "", err
	}
	if !ok {
		// Another request promoted this session first.
		return "", errNoSession()
	}
	if err := s.clearPair(ctx, tx, r.account.Username, meta.ClientAddr); err != nil {
		return "", err
	}
	token, _, err := s.createSession(ctx, tx, r.account.User, StageFull, now, meta)
	return token, err
}

// Enrolment is what the set-up page shows: the secret (for typing in by
// hand), the otpauth:// URL and the same as a QR code image.
type Enrolment struct {
	Secret    string
	URL       string
	QRDataURL string
}

// BeginEnrolment returns the authenticator secret to set up for a session
// at StageEnrol. The secret is kept with the session (pending_secret), so
// reloading the page shows the same QR code rather than invalidating the
// one already scanned.
func (s *Service) BeginEnrolment(ctx context.Context, sess Session) (Enrolment, error) {
	if sess.Stage != StageEnrol {
		return Enrolment{}, hearth.Errorf(hearth.KindForbidden, "This session is not setting up an authenticator")
	}
	var secret string
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		// Only the first request sets it; a concurrent reload keeps the same.
		sealed, err := s.keys.Seal(purposePendingTOTP, sess.User.ID, GenerateSecret())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE sessions SET pending_secret = ? WHERE id_hash = ? AND pending_secret = ''`,
			sealed, sess.IDHash); err != nil {
			return fmt.Errorf("accounts: store pending secret: %w", err)
		}
		r, err := s.sessionByHash(ctx, tx, sess.IDHash)
		if err != nil {
			return err
		}
		secret, err = s.open(purposePendingTOTP, sess.User.ID, r.pendingSecret)
		return err
	})
	if err != nil {
		return Enrolment{}, err
	}
	e := Enrolment{Secret: secret, URL: ProvisioningURL(secret, sess.User.Username)}
	e.QRDataURL, err = QRDataURL(e.URL)
	return e, err
}

// CompleteEnrolment checks the first code from the new authenticator, saves
// the secret, makes ten recovery codes (returned once, to show once) and
// replaces the pending session with a full one. A wrong code here is a
// KindInvalid error and does not count towards the lockout: whoever holds
// this session already knows the secret. Audited as "mfa-enrol".
func (s *Service) CompleteEnrolment(ctx context.Context, token, code string, meta Meta) (string, []string, error) {
	now := s.clock()
	code = normaliseCode(code)
	var newToken string
	var codes []string
	var shown error
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.liveSession(ctx, tx, token, now)
		if hearth.KindOf(err) == hearth.KindUnauthenticated {
			shown = err
			return nil
		}
		if err != nil {
			return err
		}
		a := r.account
		if r.Stage != StageEnrol || r.pendingSecret == "" {
			shown = hearth.Errorf(hearth.KindForbidden, "This session is not setting up an authenticator")
			return nil
		}
		pending, err := s.open(purposePendingTOTP, a.ID, r.pendingSecret)
		if err != nil {
			return err
		}
		st, result := checkTOTP(pending, code, now, 0)
		if result != totpOK {
			shown = hearth.Invalid("Code", "That code is not right. Check the time on your phone is set automatically, then enter the code it shows now.")
			return s.audit(ctx, tx, userEvent(a.User, "mfa-enrol", audit.OutcomeFailed, "wrong code from the new authenticator"), meta)
		}
		// Guarded: if another session of this account enrolled meanwhile,
		// this one must not overwrite its authenticator.
		sealed, err := s.keys.Seal(purposeTOTP, a.ID, pending)
		if err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = ?
			WHERE id = ? AND totp_enrolled_at IS NULL`, sealed, now, st, a.ID)
		if err != nil {
			return fmt.Errorf("accounts: save authenticator: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err != nil {
				return fmt.Errorf("accounts: save authenticator: %w", err)
			}
			shown = hearth.Errorf(hearth.KindConflict, "An authenticator was set up for this account in another window. Sign in again.")
			_, err = deleteSession(ctx, tx, r.IDHash)
			return err
		}
		if codes, err = s.replaceRecoveryCodes(ctx, tx, a.ID); err != nil {
			return err
		}
		if newToken, err = s.promote(ctx, tx, r, now, meta); err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(a.User, "mfa-enrol", audit.OutcomeSuccess,
			"set up an authenticator; made "+plural(recoveryCodeCount, "recovery code")), meta)
	})
	if err != nil {
		return "", nil, err
	}
	if shown != nil {
		return "", nil, shown
	}
	return newToken, codes, nil
}
