package accounts

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
)

func TestSignInStartsOnlyAPendingSession(t *testing.T) {
	a := newTestApp(t)
	fresh := a.createStaff("fresh", access.CareWorker)
	enrolled, _, _ := a.enrolledStaff("enrolled")

	tests := []struct {
		name      string
		user      User
		typed     string
		wantStage string
		detail    string
	}{
		{"a new account must set up an authenticator", fresh, "fresh", StageEnrol, "must set up an authenticator"},
		{"an enrolled account must give a code", enrolled, "enrolled", StageMFA, "waiting for the authenticator code"},
		{"the username is not case-sensitive", enrolled, "  ENROLLED ", StageMFA, "waiting for the authenticator code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.at(t)
			token, sess, err := a.svc.SignIn(a.ctx, tt.typed, testPassword, a.meta)
			if err != nil {
				t.Fatal(err)
			}
			if sess.Stage != tt.wantStage || sess.Full() || sess.User.ID != tt.user.ID {
				t.Fatalf("session %+v, want stage %s for %s", sess, tt.wantStage, tt.user.Username)
			}
			loaded, err := a.svc.LoadSession(a.ctx, token)
			if err != nil || loaded.Stage != tt.wantStage || loaded.IDHash != sess.IDHash {
				t.Fatalf("LoadSession = %+v, %v", loaded, err)
			}
		})
	}
	ev := a.audited("sign-in", audit.OutcomeSuccess, fresh.ID, "must set up an authenticator")
	if ev.ActorName != "Test fresh" || ev.ActorRole != "care_worker" || ev.ActorKind != "staff" {
		t.Fatalf("event actor %+v", ev)
	}
}

func TestWrongPasswordAndUnknownUserLookTheSame(t *testing.T) {
	a := newTestApp(t)
	alice := a.createStaff("alice", access.CareWorker)

	_, _, wrong := a.svc.SignIn(a.ctx, "alice", "not the right password", a.meta)
	_, _, unknown := a.svc.SignIn(a.ctx, "nobody", testPassword, a.meta)
	_, _, malformed := a.svc.SignIn(a.ctx, "no body!", testPassword, a.meta)

	wantKind(t, wrong, hearth.KindUnauthenticated, "The username or password is not right")
	for _, err := range []error{unknown, malformed} {
		if err == nil || err.Error() != wrong.Error() || hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Fatalf("unknown user: %v; wrong password: %v", err, wrong)
		}
	}
	a.audited("sign-in", audit.OutcomeFailed, alice.ID, "wrong password")
	a.audited("sign-in", audit.OutcomeFailed, "", "unknown username nobody")
	a.noSecretsAudited(testPassword, "not the right password")
}

func TestVerifyMFA(t *testing.T) {
	tests := []struct {
		name    string
		code    func(secret string, now time.Time) string
		replay  bool // use the code once first, then again
		wantErr string
		detail  string
	}{
		{"the current code signs in", func(s string, now time.Time) string { return Code(s, now) }, false, "", "authenticator code"},
		{"last step's code signs in", func(s string, now time.Time) string { return Code(s, now.Add(-30*time.Second)) }, false, "", "authenticator code"},
		{"a code typed with a space signs in", func(s string, now time.Time) string { c := Code(s, now); return c[:3] + " " + c[3:] }, false, "", "authenticator code"},
		{"a wrong code is refused", func(s string, now time.Time) string { return wrongCode(s, now) }, false, "That code is not right", "wrong authenticator code"},
		{"a code two steps old is refused", func(s string, now time.Time) string { return Code(s, now.Add(-60*time.Second)) }, false, "That code is not right", "wrong authenticator code"},
		{"a code used once is refused the second time", func(s string, now time.Time) string { return Code(s, now) }, true, "already been used", "replayed code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			u, secret, _ := a.enrolledStaff("alice")
			a.clock.Advance(time.Minute) // past the step used to enrol
			code := tt.code(secret, a.clock.Now())
			if tt.replay {
				pending, _, _ := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
				if _, err := a.svc.VerifyMFA(a.ctx, pending, code, a.meta); err != nil {
					t.Fatalf("first use: %v", err)
				}
			}
			pending, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
			if err != nil {
				t.Fatal(err)
			}
			full, err := a.svc.VerifyMFA(a.ctx, pending, code, a.meta)
			if tt.wantErr != "" {
				wantKind(t, err, hearth.KindUnauthenticated, tt.wantErr)
				a.audited("sign-in-mfa", audit.OutcomeFailed, u.ID, tt.detail)
				if got, _ := a.svc.LoadSession(a.ctx, pending); got.Stage != StageMFA {
					t.Fatal("a wrong code ended or promoted the pending session")
				}
				if failed := a.pairFailures(u.Username); failed != 1 {
					t.Fatalf("%v failures counted, want 1", failed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sess, err := a.svc.LoadSession(a.ctx, full)
			if err != nil || !sess.Full() || sess.User.ID != u.ID {
				t.Fatalf("full session %+v, %v", sess, err)
			}
			if _, err := a.svc.LoadSession(a.ctx, pending); hearth.KindOf(err) != hearth.KindUnauthenticated {
				t.Fatalf("the pending session still loads after MFA: %v", err)
			}
			if n := a.countEvents("sign-in-mfa", audit.OutcomeSuccess); n != map[bool]int{false: 1, true: 2}[tt.replay] {
				t.Fatalf("%d sign-in-mfa success events", n)
			}
			a.noSecretsAudited(code, secret)
		})
	}
}

// wrongCode is a 6-digit code that matches none of the accepted steps.
func wrongCode(secret string, now time.Time) string {
	for _, c := range []string{"000000", "111111", "222222"} {
		if _, r := checkTOTP(secret, c, now, 0); r == totpWrong {
			return c
		}
	}
	panic("three codes all valid")
}

func TestRecoveryCodes(t *testing.T) {
	a := newTestApp(t)
	u, _, codes := a.enrolledStaff("alice")
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}

	t.Run("codes are stored only as hashes", func(t *testing.T) {
		a := a.at(t)
		rows, err := a.db.Query(a.ctx, `SELECT code_hash FROM recovery_codes WHERE user_id = ?`, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var h string
			_ = rows.Scan(&h)
			for _, c := range codes {
				if strings.Contains(h, c) || strings.Contains(h, normaliseCode(c)) {
					t.Fatalf("stored %q holds code %q", h, c)
				}
			}
			n++
		}
		if n != 10 {
			t.Fatalf("%d stored codes", n)
		}
	})

	use := func(code string) error {
		pending, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.svc.VerifyMFA(a.ctx, pending, code, a.meta)
		return err
	}
	t.Run("a recovery code signs in once", func(t *testing.T) {
		a := a.at(t)
		if err := use(codes[0]); err != nil {
			t.Fatal(err)
		}
		a.audited("sign-in-mfa", audit.OutcomeSuccess, u.ID, "recovery code; 9 recovery codes left")
	})
	t.Run("the same code is refused the second time", func(t *testing.T) {
		a := a.at(t)
		wantKind(t, use(codes[0]), hearth.KindUnauthenticated, "That code is not right")
		a.audited("sign-in-mfa", audit.OutcomeFailed, u.ID, "wrong or used recovery code")
	})
	t.Run("a code typed in capitals without the hyphen works", func(t *testing.T) {
		if err := use(strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a made-up code is refused", func(t *testing.T) {
		wantKind(t, use("zzzzz-zzzzz"), hearth.KindUnauthenticated, "not right")
	})
	a.noSecretsAudited(codes...)
}

func TestEnrolment(t *testing.T) {
	a := newTestApp(t)
	u := a.createStaff("alice", access.CareWorker)
	pending, sess, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
	if err != nil {
		t.Fatal(err)
	}

	e, err := a.svc.BeginEnrolment(a.ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("reloading the set-up page shows the same secret", func(t *testing.T) {
		a := a.at(t)
		again, err := a.svc.BeginEnrolment(a.ctx, sess)
		if err != nil || again != e {
			t.Fatalf("second BeginEnrolment = %+v, %v; first %+v", again.Secret, err, e.Secret)
		}
		if !strings.Contains(e.URL, "issuer=Hearth") || !strings.HasPrefix(e.QRDataURL, "data:image/png;base64,") {
			t.Fatalf("enrolment %+v", e.URL)
		}
	})
	t.Run("a session waiting for a code cannot enrol", func(t *testing.T) {
		a := a.at(t)
		_, err := a.svc.VerifyMFA(a.ctx, pending, Code(e.Secret, a.clock.Now()), a.meta)
		wantKind(t, err, hearth.KindForbidden, "")
	})
	t.Run("a wrong first code is refused and does not count towards the lockout", func(t *testing.T) {
		a := a.at(t)
		_, _, err := a.svc.CompleteEnrolment(a.ctx, pending, wrongCode(e.Secret, a.clock.Now()), a.meta)
		wantKind(t, err, hearth.KindInvalid, "")
		if e := err.(*hearth.Error); e.Problems[0].Field != "Code" {
			t.Fatalf("problem names field %q", e.Problems[0].Field)
		}
		a.audited("mfa-enrol", audit.OutcomeFailed, u.ID, "wrong code")
		var failed int
		_ = a.db.QueryRow(a.ctx, `SELECT failed_attempts FROM users WHERE id = ?`, u.ID).Scan(&failed)
		if failed != 0 {
			t.Fatalf("failed_attempts = %d", failed)
		}
	})

	full, codes, err := a.svc.CompleteEnrolment(a.ctx, pending, Code(e.Secret, a.clock.Now()), a.meta)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("enrolment replaces the session with a new full one", func(t *testing.T) {
		a := a.at(t)
		if full == pending {
			t.Fatal("the token did not change")
		}
		if _, err := a.svc.LoadSession(a.ctx, pending); hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Fatalf("the old token still loads: %v", err)
		}
		s, err := a.svc.LoadSession(a.ctx, full)
		if err != nil || !s.Full() || s.IDHash == sess.IDHash || s.CSRFToken == sess.CSRFToken {
			t.Fatalf("new session %+v, %v", s, err)
		}
		if n := a.sessionCount(u.ID); n != 1 {
			t.Fatalf("%d sessions, want 1", n)
		}
	})
	t.Run("the account is enrolled with ten recovery codes", func(t *testing.T) {
		a := a.at(t)
		got, _ := a.svc.Get(a.ctx, u.ID)
		if !got.Enrolled || len(codes) != 10 {
			t.Fatalf("enrolled %v with %d codes", got.Enrolled, len(codes))
		}
		a.audited("mfa-enrol", audit.OutcomeSuccess, u.ID, "made 10 recovery codes")
	})
	t.Run("the code used to enrol cannot be used again to sign in", func(t *testing.T) {
		a := a.at(t)
		p, _, _ := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
		_, err := a.svc.VerifyMFA(a.ctx, p, Code(e.Secret, a.clock.Now()), a.meta)
		wantKind(t, err, hearth.KindUnauthenticated, "already been used")
	})
	t.Run("a used enrolment session cannot enrol again", func(t *testing.T) {
		a := a.at(t)
		_, _, err := a.svc.CompleteEnrolment(a.ctx, pending, Code(e.Secret, a.clock.Now().Add(30*time.Second)), a.meta)
		wantKind(t, err, hearth.KindUnauthenticated, "")
	})
	a.noSecretsAudited(e.Secret, testPassword)
}

func TestPasswordHashIsUpgradedAtSignIn(t *testing.T) {
	a := newTestApp(t)
	u := a.createStaff("alice", access.CareWorker)
	stronger := Params{Memory: 128, Time: 2, Threads: 1}
	svc := New(a.db, a.log, a.clock.Now, Config{Params: stronger})
	if _, _, err := svc.SignIn(a.ctx, "alice", testPassword, a.meta); err != nil {
		t.Fatal(err)
	}
	var hash string
	_ = a.db.QueryRow(a.ctx, `SELECT password_hash FROM users WHERE id = ?`, u.ID).Scan(&hash)
	if needsRehash(hash, stronger) {
		t.Fatalf("hash %q was not upgraded", hash)
	}
	if _, _, err := svc.SignIn(a.ctx, "alice", testPassword, a.meta); err != nil {
		t.Fatalf("sign in with the upgraded hash: %v", err)
	}
}

func TestRacingTheSameCode(t *testing.T) {
	tests := []struct {
		name string
		code func(secret string, codes []string, now time.Time) string
	}{
		{"browsers racing with one authenticator code: only one signs in", func(s string, _ []string, now time.Time) string { return Code(s, now) }},
		{"browsers racing with one recovery code: only one signs in", func(_ string, codes []string, _ time.Time) string { return codes[0] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			_, secret, codes := a.enrolledStaff("alice")
			const browsers = 5
			pending := make([]string, browsers)
			for i := range pending {
				var err error
				if pending[i], _, err = a.svc.SignIn(a.ctx, "alice", testPassword, a.meta); err != nil {
					t.Fatal(err)
				}
			}
			code := tt.code(secret, codes, a.clock.Now())
			errs := make(chan error, browsers)
			for _, p := range pending {
				go func() {
					_, err := a.svc.VerifyMFA(a.ctx, p, code, a.meta)
					errs <- err
				}()
			}
			won := 0
			for range browsers {
				err := <-errs
				switch {
				case err == nil:
					won++
				case hearth.KindOf(err) != hearth.KindUnauthenticated && hearth.KindOf(err) != hearth.KindTooMany:
					t.Fatalf("unexpected error: %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d browsers signed in with one code, want 1", won)
			}
			if n := a.countEvents("sign-in-mfa", audit.OutcomeSuccess); n != 1 {
				t.Fatalf("%d success events", n)
			}
		})
	}
}

// An inspector signs in exactly as staff do: no full session without an
// authenticator set up at the first sign-in, and a code every time after.
func TestAnInspectorMustSetUpAnAuthenticatorLikeStaff(t *testing.T) {
	a := newTestApp(t)
	u, err := a.svc.CreateUser(a.ctx, NewUser{Kind: access.KindInspector, Username: "cqc.kim", DisplayName: "Kim Osei",
		Password: testPassword, By: operator, Meta: a.meta})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.CreateUser(a.ctx, NewUser{Kind: access.KindInspector, Username: "cqc.two", DisplayName: "Two",
		Password: testPassword, Role: access.Nurse, By: operator, Meta: a.meta}); hearth.KindOf(err) != hearth.KindInvalid {
		t.Fatalf("an inspector with a staff role: %v", err)
	}
	secret, _, token := a.enrol(u) // fails unless the first sign-in asks for enrolment
	sess, err := a.svc.LoadSession(a.ctx, token)
	if err != nil || !sess.Full() || sess.User.Kind != access.KindInspector {
		t.Fatalf("after enrolment: %+v %v", sess, err)
	}
	_, next, err := a.svc.SignIn(a.ctx, "cqc.kim", testPassword, a.meta)
	if err != nil || next.Stage != StageMFA || next.Full() {
		t.Fatalf("the next sign-in: %+v %v, want a pending session waiting for a code", next, err)
	}
	if secret == "" {
		t.Fatal("no authenticator secret")
	}
}
