package accounts

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/store/storetest"
)

func TestSessionTimeouts(t *testing.T) {
	tests := []struct {
		name  string
		steps []time.Duration // clock moves, each followed by a LoadSession
		alive bool            // after the last step
	}{
		{"a session used within 30 minutes stays alive", []time.Duration{29 * time.Minute}, true},
		{"a session idle for 30 minutes ends", []time.Duration{30 * time.Minute}, false},
		{"using a session keeps it alive past the idle timeout", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, true},
		{"a session in constant use still ends after 12 hours", repeat(25*time.Minute, 29), false},
		{"a session in constant use is alive just before 12 hours", append(repeat(25*time.Minute, 28), 19*time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			u, secret, _ := a.enrolledStaff("alice")
			token := a.signInFully(u, secret)
			var err error
			for _, d := range tt.steps {
				a.clock.Advance(d)
				_, err = a.svc.LoadSession(a.ctx, token)
			}
			if tt.alive {
				if err != nil {
					t.Fatalf("session ended: %v", err)
				}
				return
			}
			wantKind(t, err, hearth.KindUnauthenticated, "Sign in again")
			if n := a.sessionCount(u.ID); n != 0 {
				t.Fatalf("the dead session's row is still there (%d sessions)", n)
			}
		})
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestPendingSessionsEndAfterTenMinutes(t *testing.T) {
	for _, enrolled := range []bool{true, false} {
		name := map[bool]string{true: "a session waiting for a code ends after 10 minutes",
			false: "a session waiting to set up an authenticator ends after 10 minutes"}[enrolled]
		t.Run(name, func(t *testing.T) {
			a := newTestApp(t)
			var u User
			var secret string
			if enrolled {
				u, secret, _ = a.enrolledStaff("alice")
			} else {
				u = a.createStaff("alice", access.CareWorker)
			}
			pending, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
			if err != nil {
				t.Fatal(err)
			}
			a.clock.Advance(9 * time.Minute)
			if _, err := a.svc.LoadSession(a.ctx, pending); err != nil {
				t.Fatalf("ended early: %v", err)
			}
			a.clock.Advance(time.Minute)
			if enrolled {
				_, err = a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta)
			} else {
				_, err = a.svc.LoadSession(a.ctx, pending)
			}
			wantKind(t, err, hearth.KindUnauthenticated, "Sign in again")
			if n := a.sessionCount(u.ID); n != 0 {
				t.Fatalf("%d sessions left", n)
			}
		})
	}
}

func TestLastSeenIsWrittenAtMostOnceAMinute(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)
	start, _ := a.svc.LoadSession(a.ctx, token)
	stored := func() time.Time {
		var at time.Time
		if err := a.db.QueryRow(a.ctx, `SELECT last_seen_at FROM sessions WHERE id_hash = ?`, start.IDHash).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at.UTC()
	}
	before := stored() // written at sign-in, 30 seconds ago
	a.clock.Advance(29 * time.Second)
	if _, err := a.svc.LoadSession(a.ctx, token); err != nil {
		t.Fatal(err)
	}
	if got := stored(); !got.Equal(before) {
		t.Fatalf("last_seen_at written after 59s: %v -> %v", before, got)
	}
	a.clock.Advance(time.Second)
	s, err := a.svc.LoadSession(a.ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored(); !got.Equal(a.clock.Now()) || !s.LastSeenAt.Equal(a.clock.Now()) {
		t.Fatalf("last_seen_at %v, session says %v, want %v", got, s.LastSeenAt, a.clock.Now())
	}
}

func TestForgedTokensDoNotLoad(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)
	real, _ := a.svc.LoadSession(a.ctx, token)

	tests := []struct{ name, token string }{
		{"an empty cookie", ""},
		{"a cookie of the wrong length", "abc"},
		{"a cookie that is not base64url", strings.Repeat("!", 43)},
		{"a well-formed token Hearth never issued", randomToken()},
		{"the stored hash presented as the token", real.IDHash},
		{"the real token with one character changed", token[:42] + string("AB"[boolIndex(token[42] == 'A')])},
		{"the CSRF token presented as the session token", real.CSRFToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.at(t)
			_, err := a.svc.LoadSession(a.ctx, tt.token)
			wantKind(t, err, hearth.KindUnauthenticated, "")
		})
	}
	if _, err := a.svc.LoadSession(a.ctx, token); err != nil {
		t.Fatalf("the real token stopped working: %v", err)
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCSRF(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	s, _ := a.svc.LoadSession(a.ctx, a.signInFully(u, secret))
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"the session's token passes", s.CSRFToken, true},
		{"an empty token fails", "", false},
		{"another token fails", randomToken(), false},
		{"a prefix of the token fails", s.CSRFToken[:20], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifyCSRF(s, tt.token); got != tt.want {
				t.Fatalf("VerifyCSRF = %v", got)
			}
		})
	}
	if VerifyCSRF(Session{}, "") {
		t.Fatal("an empty session's empty token passes")
	}
}

func TestSignOut(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)
	other := a.signInFully(u, secret)

	if err := a.svc.SignOut(a.ctx, token, a.meta); err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.LoadSession(a.ctx, token); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Fatalf("signed-out token still loads: %v", err)
	}
	if _, err := a.svc.LoadSession(a.ctx, other); err != nil {
		t.Fatalf("signing out one browser ended another: %v", err)
	}
	a.audited("sign-out", audit.OutcomeSuccess, u.ID, "signed out")
	if err := a.svc.SignOut(a.ctx, token, a.meta); err != nil {
		t.Fatalf("signing out twice: %v", err)
	}
	if n := a.countEvents("sign-out", audit.OutcomeSuccess); n != 1 {
		t.Fatalf("%d sign-out events after signing out twice", n)
	}
}

func TestSignOutEverywhereEndsEverySession(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	bob, bobSecret, _ := a.enrolledStaff("bob")
	tokens := []string{a.signInFully(u, secret), a.signInFully(u, secret)}
	pending, _, _ := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
	tokens = append(tokens, pending)
	bobs := a.signInFully(bob, bobSecret)

	if err := a.svc.SignOutEverywhere(a.ctx, u.ID, a.meta); err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens {
		if _, err := a.svc.LoadSession(a.ctx, tok); hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Fatalf("session %d still loads: %v", i, err)
		}
	}
	if _, err := a.svc.LoadSession(a.ctx, bobs); err != nil {
		t.Fatalf("someone else's session ended: %v", err)
	}
	a.audited("sign-out-everywhere", audit.OutcomeSuccess, u.ID, "ended 3 sessions")
}

func TestDisabledAccounts(t *testing.T) {
	a := newTestApp(t)
	admin := a.createStaff("admin", access.Administrator)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)

	if err := a.svc.Disable(a.ctx, u.ID, admin.Actor(), a.meta); err != nil {
		t.Fatal(err)
	}
	t.Run("disabling ends the account's sessions", func(t *testing.T) {
		a := a.at(t)
		if _, err := a.svc.LoadSession(a.ctx, token); hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Fatalf("session still loads: %v", err)
		}
		ev := a.audited("account-disable", audit.OutcomeSuccess, admin.ID, "disabled account alice; ended 1 session")
		if ev.ActorRole != "administrator" {
			t.Fatalf("event %+v", ev)
		}
	})
	t.Run("a disabled account cannot sign in, and is told only that the details are wrong", func(t *testing.T) {
		a := a.at(t)
		_, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
		wantKind(t, err, hearth.KindUnauthenticated, "The username or password is not right")
		a.audited("sign-in", audit.OutcomeDenied, u.ID, "account disabled")
	})
	t.Run("a session that survived somehow dies when the account is disabled", func(t *testing.T) {
		a := a.at(t)
		b, bSecret, _ := a.enrolledStaff("bob")
		tok := a.signInFully(b, bSecret)
		storetest.Tamper(t, a.db, `UPDATE users SET disabled_at = ? WHERE id = ?`, a.clock.Now(), b.ID)
		_, err := a.svc.LoadSession(a.ctx, tok)
		wantKind(t, err, hearth.KindUnauthenticated, "")
		if n := a.sessionCount(b.ID); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
	})
	t.Run("disabling twice is a conflict", func(t *testing.T) {
		a := a.at(t)
		wantKind(t, a.svc.Disable(a.ctx, u.ID, admin.Actor(), a.meta), hearth.KindConflict, "")
	})
	t.Run("an administrator cannot disable themselves", func(t *testing.T) {
		a := a.at(t)
		wantKind(t, a.svc.Disable(a.ctx, admin.ID, admin.Actor(), a.meta), hearth.KindForbidden, "")
	})
	t.Run("a care worker cannot disable anyone", func(t *testing.T) {
		a := a.at(t)
		wantKind(t, a.svc.Disable(a.ctx, admin.ID, u.Actor(), a.meta), hearth.KindForbidden, "")
		a.audited("account-disable", audit.OutcomeDenied, u.ID, "not allowed")
	})
}

func TestPruneSessions(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	old := a.signInFully(u, secret)
	a.clock.Advance(20 * time.Minute)
	fresh := a.signInFully(u, secret)
	_, _, _ = a.svc.SignIn(a.ctx, "alice", testPassword, a.meta) // pending
	a.clock.Advance(15 * time.Minute)

	n, err := a.svc.PruneSessions(a.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("pruned %d sessions, want 2 (the idle one and the pending one)", n)
	}
	if _, err := a.svc.LoadSession(a.ctx, fresh); err != nil {
		t.Fatalf("pruned a live session: %v", err)
	}
	if _, err := a.svc.LoadSession(a.ctx, old); err == nil {
		t.Fatal("the idle session survived")
	}
}
