package accounts

import (
	"context"
	"fmt"
	"time"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// The sign-in journey:
//
//	SignIn (password) -> session at StageMFA or StageEnrol
//	StageEnrol: BeginEnrolment (QR code), CompleteEnrolment (first code) -> StageFull + recovery codes
//	StageMFA:   VerifyMFA (TOTP or recovery code)                        -> StageFull
//
// Failed passwords and failed codes share one counter (users.failed_attempts)
// and one lockout, reset only when the second factor succeeds: knowing the
// password alone must not wipe the count of guesses at the code.

// errSignIn is the one answer for an unknown username, a wrong password and
// a disabled account (OWASP Authentication Cheat Sheet: generic messages).
func errSignIn() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "The username or password is not right")
}

func errWrongCode() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That code is not right")
}

func errReplayedCode() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "That code has already been used. Wait for the next code and try again.")
}

// errLocked says how long to wait, rounded up to whole minutes.
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

// lockFor is how long the account locks after its nth failure in a row:
// nothing before LockAfter, then LockBase doubling with each further failure,
// never more than LockMax (OWASP Authentication Cheat Sheet: exponential
// lockout rather than a permanent one, which would let anyone lock anyone out).
func (s *Service) lockFor(failures int) time.Duration {
	if failures < s.cfg.LockAfter {
		return 0
	}
	d := s.cfg.LockBase
	for i := s.cfg.LockAfter; i < failures && d < s.cfg.LockMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.LockMax)
}

// recordFailure counts one more failed attempt for the account and locks it
// when the count calls for it, returning the lock's length (zero if none).
// The increment happens in SQL so that concurrent failures all count.
func (s *Service) recordFailure(ctx context.Context, tx *store.Tx, userID string, now time.Time) (time.Duration, error) {
	var n int
	if err := tx.QueryRow(ctx, `UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ? RETURNING failed_attempts`,
		userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("accounts: count failed attempt: %w", err)
	}
	d := s.lockFor(n)
	if d > 0 {
		if _, err := tx.Exec(ctx, `UPDATE users SET locked_until = ? WHERE id = ?`, now.Add(d), userID); err != nil {
			return 0, fmt.Errorf("accounts: lock account: %w", err)
		}
	}
	return d, nil
}

// failure records a failed attempt with its audit event and returns the
// error to show: the given one, or the lockout when this failure locked the
// account.
func (s *Service) failure(ctx context.Context, tx *store.Tx, u User, action, detail string, shown error, now time.Time, meta Meta) (toShow, err error) {
	d, err := s.recordFailure(ctx, tx, u.ID, now)
	if err != nil {
		return nil, err
	}
	if d > 0 {
		detail += "; locked for " + minutes(d)
		shown = errLocked(d)
	}
	return shown, s.audit(ctx, tx, userEvent(u, action, audit.OutcomeFailed, detail), meta)
}

// SignIn checks a username and password. On success it returns the token
// of a new pending session: StageEnrol when the account has no
// authenticator yet, StageMFA otherwise. It never returns a full session.
//
// An unknown username, a wrong password and a disabled account all give
// the same KindUnauthenticated error after the same argon2id work. A locked
// account gives KindTooMany without checking the password, so a guesser
// learns nothing while locked. Every attempt is audited as "sign-in".
func (s *Service) SignIn(ctx context.Context, username, password string, meta Meta) (string, Session, error) {
	name := normaliseUsername(username)
	now := s.clock()
	var a account
	var err error
	if validUsername(name) {
		a, err = s.accountBy(ctx, s.db, "u.username = ?", name)
	} else {
		err = hearth.NotFound("Account")
	}
	if hearth.KindOf(err) == hearth.KindNotFound {
		_, _ = VerifyPassword(s.dummyHash, password)
		ev := audit.Event{Action: "sign-in", Outcome: audit.OutcomeFailed,
			Detail: "unknown username " + truncate(name, 64), ClientAddr: meta.ClientAddr, RequestID: meta.RequestID}
		if _, err := s.log.AppendNow(ctx, ev); err != nil {
			return "", Session{}, err
		}
		return "", Session{}, errSignIn()
	}
	if err != nil {
		return "", Session{}, err
	}

	// The argon2id work happens before the transaction, never inside it:
	// on SQLite a transaction holds the one write lock, and every writer in
	// Hearth would queue behind each sign-in's hash.
	checked, ok, rehash := a.passwordHash, false, ""
	if !a.Locked(now) {
		if ok, err = VerifyPassword(a.passwordHash, password); err != nil {
			return "", Session{}, err
		}
		if ok && needsRehash(a.passwordHash, s.cfg.Params) {
			rehash = HashPassword(password, s.cfg.Params)
		}
	}

	var token string
	var sess Session
	var shown error // the answer, returned after the transaction commits
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		// Re-read in the transaction: the lock and the counter must be
		// current, and a concurrent failure may have locked the account.
		a, err = s.accountBy(ctx, tx, "u.id = ?", a.ID)
		if err != nil {
			return err
		}
		if a.Locked(now) {
			wait := a.LockedUntil.Sub(now)
			shown = errLocked(wait)
			return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeDenied,
				"locked for "+minutes(wait)+"; password not accepted"), meta)
		}
		if a.Disabled {
			shown = errSignIn()
			return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeDenied, "account disabled"), meta)
		}
		if a.passwordHash != checked {
			// The password changed while we were hashing: neither accept
			// nor count the attempt.
			shown = errSignIn()
			return s.audit(ctx, tx, userEvent(a.User, "sign-in", audit.OutcomeFailed, "password changed during sign-in"), meta)
		}
		if !ok {
			shown, err = s.failure(ctx, tx, a.User, "sign-in", "wrong password", errSignIn(), now, meta)
			return err
		}
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
		if a.Locked(now) {
			wait := a.LockedUntil.Sub(now)
			shown = errLocked(wait)
			return s.audit(ctx, tx, userEvent(a.User, "sign-in-mfa", audit.OutcomeDenied,
				"locked for "+minutes(wait)+"; code not checked"), meta)
		}

		var detail string
		if isTOTPCode(code) {
			st, result := checkTOTP(a.totpSecret, code, now, a.totpLastStep)
			if result == totpOK {
				result, err = claimStep(ctx, tx, a.ID, st)
				if err != nil {
					return err
				}
			}
			switch result {
			case totpWrong:
				shown, err = s.failure(ctx, tx, a.User, "sign-in-mfa", "wrong authenticator code", errWrongCode(), now, meta)
				return err
			case totpReplayed:
				shown, err = s.failure(ctx, tx, a.User, "sign-in-mfa", "replayed code", errReplayedCode(), now, meta)
				return err
			}
			detail = "signed in with an authenticator code"
		} else {
			ok, left, err := useRecoveryCode(ctx, tx, a.ID, code, now)
			if err != nil {
				return err
			}
			if !ok {
				shown, err = s.failure(ctx, tx, a.User, "sign-in-mfa", "wrong or used recovery code", errWrongCode(), now, meta)
				return err
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
// It also clears the failure count and any lock.
func (s *Service) promote(ctx context.Context, tx *store.Tx, r sessionRow, now time.Time, meta Meta) (string, error) {
	ok, err := deleteSession(ctx, tx, r.IDHash)
	if err != nil {
		return "", err
	}
	if !ok {
		// Another request promoted this session first.
		return "", errNoSession()
	}
	if _, err := tx.Exec(ctx, `UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?`, r.account.ID); err != nil {
		return "", fmt.Errorf("accounts: reset failed attempts: %w", err)
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
		if _, err := tx.Exec(ctx, `UPDATE sessions SET pending_secret = ? WHERE id_hash = ? AND pending_secret = ''`,
			GenerateSecret(), sess.IDHash); err != nil {
			return fmt.Errorf("accounts: store pending secret: %w", err)
		}
		r, err := s.sessionByHash(ctx, tx, sess.IDHash)
		if err != nil {
			return err
		}
		secret = r.pendingSecret
		return nil
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
		st, result := checkTOTP(r.pendingSecret, code, now, 0)
		if result != totpOK {
			shown = hearth.Invalid("Code", "That code is not right. Check the time on your phone is set automatically, then enter the code it shows now.")
			return s.audit(ctx, tx, userEvent(a.User, "mfa-enrol", audit.OutcomeFailed, "wrong code from the new authenticator"), meta)
		}
		// Guarded: if another session of this account enrolled meanwhile,
		// this one must not overwrite its authenticator.
		res, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = ?
			WHERE id = ? AND totp_enrolled_at IS NULL`, r.pendingSecret, now, st, a.ID)
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
		if codes, err = replaceRecoveryCodes(ctx, tx, a.ID); err != nil {
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
