package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// Session stages. Only StageFull may reach anything but the sign-in pages.
const (
	StageMFA   = "mfa"   // password accepted; waiting for a TOTP or recovery code
	StageEnrol = "enrol" // password accepted; no authenticator yet, must set one up
	StageFull  = "full"  // both factors passed
)

// touchEvery is how stale last_seen_at may get before a request updates it:
// idle timeouts stay accurate to a minute without a write on every request.
const touchEvery = time.Minute

// Session is a signed-in browser. The cookie holds a random token; the
// database holds only its SHA-256 (IDHash), so a copy of the database hands
// out no live sessions (OWASP Session Management Cheat Sheet).
type Session struct {
	User       User
	Stage      string
	CSRFToken  string // for forms: compare with VerifyCSRF
	CreatedAt  time.Time
	LastSeenAt time.Time
	IDHash     string
}

// Full reports whether the session has passed both factors.
func (s Session) Full() bool { return s.Stage == StageFull }

// VerifyCSRF reports, in constant time, whether token is the session's
// anti-forgery token (the synchronizer token pattern, OWASP CSRF Cheat
// Sheet, behind http.CrossOriginProtection).
func VerifyCSRF(sess Session, token string) bool {
	return sess.CSRFToken != "" && subtle.ConstantTimeCompare([]byte(sess.CSRFToken), []byte(token)) == 1
}

// randomToken is 256 random bits in unpadded base64url: 43 characters, safe
// in a cookie and a form field.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken returns the stored form of a session token, and false when the
// token cannot be one Hearth made (so a forged cookie costs no query).
func hashToken(token string) (string, bool) {
	if len(token) != 43 {
		return "", false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:]), true
}

// errNoSession is the one answer for a missing, forged, expired or dead
// session: the person simply signs in again.
func errNoSession() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "Your session has ended. Sign in again.")
}

// createSession stores a new session for u at stage and returns its token.
func (s *Service) createSession(ctx context.Context, tx *store.Tx, u User, stage string, now time.Time, meta Meta) (string, Session, error) {
	token := randomToken()
	idHash, _ := hashToken(token)
	sess := Session{User: u, Stage: stage, CSRFToken: randomToken(), CreatedAt: now, LastSeenAt: now, IDHash: idHash}
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id_hash, user_id, stage, csrf_token, created_at, last_seen_at, client_addr, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, idHash, u.ID, stage, sess.CSRFToken, now, now,
		truncate(meta.ClientAddr, 100), truncate(meta.UserAgent, 500))
	if err != nil {
		return "", Session{}, fmt.Errorf("accounts: create session: %w", err)
	}
	return token, sess, nil
}

// sessionRow is a sessions row joined with its account.
type sessionRow struct {
	Session
	account       account
	pendingSecret string
}

func (s *Service) sessionByHash(ctx context.Context, q querier, idHash string) (sessionRow, error) {
	var r sessionRow
	a, err := scanAccount(q.QueryRow(ctx, `SELECT `+userColumns+`, s.stage, s.csrf_token, s.pending_secret, s.created_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, idHash),
		&r.Stage, &r.CSRFToken, &r.pendingSecret, &r.CreatedAt, &r.LastSeenAt)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errNoSession()
	}
	if err != nil {
		return r, fmt.Errorf("accounts: load session: %w", err)
	}
	a.LocationIDs, err = locationsOf(ctx, q, a.ID)
	if err != nil {
		return r, err
	}
	r.account, r.User, r.IDHash = a, a.User, idHash
	r.CreatedAt, r.LastSeenAt = r.CreatedAt.UTC(), r.LastSeenAt.UTC()
	return r, nil
}

// dead reports why a session may no longer be used at now, or "".
func (s *Service) dead(r sessionRow, now time.Time) string {
	switch {
	case r.account.Disabled:
		return "account disabled"
	case r.Stage != StageFull && now.Sub(r.CreatedAt) >= s.cfg.MFATimeout:
		return "second step not completed in time"
	case now.Sub(r.CreatedAt) >= s.cfg.AbsoluteTimeout:
		return "absolute timeout"
	case now.Sub(r.LastSeenAt) >= s.cfg.IdleTimeout:
		return "idle timeout"
	}
	return ""
}

// LoadSession returns the live session for a cookie token. A missing,
// forged or expired token, or one whose account is disabled, gives
// KindUnauthenticated, and a dead session's row is deleted. Sessions at
// StageMFA and StageEnrol load too: callers check Full before serving
// anything but the sign-in pages.
func (s *Service) LoadSession(ctx context.Context, token string) (Session, error) {
	idHash, ok := hashToken(token)
	if !ok {
		return Session{}, errNoSession()
	}
	now := s.clock()
	r, err := s.sessionByHash(ctx, s.db, idHash)
	if err != nil {
		return Session{}, err
	}
	if s.dead(r, now) != "" {
		if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			return Session{}, fmt.Errorf("accounts: end session: %w", err)
		}
		return Session{}, errNoSession()
	}
	if now.Sub(r.LastSeenAt) >= touchEvery {
		_, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, now, idHash)
		switch {
		case store.Unavailable(err):
			// A database that reads but cannot write (full, read-only)
			// still serves pages: the idle clock is only a little behind.
		case err != nil:
			return Session{}, fmt.Errorf("accounts: touch session: %w", err)
		default:
			r.LastSeenAt = now
		}
	}
	return r.Session, nil
}

// liveSession loads the session for token inside tx, deleting it when dead.
// The returned error, when not nil, is to be returned after tx commits (so
// the deletion sticks).
func (s *Service) liveSession(ctx context.Context, tx *store.Tx, token string, now time.Time) (sessionRow, error) {
	idHash, ok := hashToken(token)
	if !ok {
		return sessionRow{}, errNoSession()
	}
	r, err := s.sessionByHash(ctx, tx, idHash)
	if err != nil {
		return r, err
	}
	if s.dead(r, now) != "" {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
			return r, fmt.Errorf("accounts: end session: %w", err)
		}
		return r, errNoSession()
	}
	return r, nil
}

// deleteSession removes one session and reports whether it was there, so
// that two requests racing to rotate the same session cannot both succeed.
func deleteSession(ctx context.Context, tx *store.Tx, idHash string) (bool, error) {
	res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
	if err != nil {
		return false, fmt.Errorf("accounts: end session: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func deleteSessions(ctx context.Context, tx *store.Tx, userID string) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("accounts: end sessions: %w", err)
	}
	return res.RowsAffected()
}

// SignOut ends the session for token. Signing out of a session that has
// already ended is not an error: the person is signed out either way.
func (s *Service) SignOut(ctx context.Context, token string, meta Meta) error {
	idHash, ok := hashToken(token)
	if !ok {
		return nil
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		r, err := s.sessionByHash(ctx, tx, idHash)
		if hearth.KindOf(err) == hearth.KindUnauthenticated {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := deleteSession(ctx, tx, idHash); err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(r.User, "sign-out", audit.OutcomeSuccess, "signed out"), meta)
	})
}

// SignOutEverywhere ends every session of the account: for "I left myself
// signed in on the office computer" and after a suspected compromise.
func (s *Service) SignOutEverywhere(ctx context.Context, userID string, meta Meta) error {
	if !hearth.ValidID(userID) {
		return hearth.NotFound("Account")
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		a, err := s.accountBy(ctx, tx, "u.id = ?", userID)
		if err != nil {
			return err
		}
		n, err := deleteSessions(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, userEvent(a.User, "sign-out-everywhere", audit.OutcomeSuccess,
			"ended "+plural(n, "session")), meta)
	})
}

// PruneSessions deletes sessions that can no longer be used (past the
// absolute timeout, idle too long, or pending the second factor too long)
// and reports how many. Run it now and then; LoadSession does not need it.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.clock()
	res, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE created_at <= ? OR last_seen_at <= ?
		OR (stage <> 'full' AND created_at <= ?)`,
		now.Add(-s.cfg.AbsoluteTimeout), now.Add(-s.cfg.IdleTimeout), now.Add(-s.cfg.MFATimeout))
	if err != nil {
		return 0, fmt.Errorf("accounts: prune sessions: %w", err)
	}
	return res.RowsAffected()
}

// truncate cuts s to at most n bytes on a character boundary, and replaces
// invalid UTF-8 (PostgreSQL refuses it in TEXT columns).
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
