package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testApp is one Service over a fresh database, with helpers that read like
// the story of a test.
type testApp struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	log   *audit.Log
	clock *fakeClock
	svc   *Service
	meta  Meta
}

const testPassword = "a long and happy passphrase"

// operator is the command-line actor tests use to create accounts.
var operator = Operator("test")

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	db := storetest.Open(t)
	skey, vkey, err := audit.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.ParseKeys(skey, vkey)
	if err != nil {
		t.Fatal(err)
	}
	// Start a few seconds into a TOTP step, so that a code typed "now" is
	// not on a step boundary.
	clock := &fakeClock{now: time.Date(2026, 11, 2, 9, 0, 5, 0, time.UTC)}
	log := audit.New(db, keys, clock.Now, nil)
	return &testApp{t: t, ctx: context.Background(), db: db, log: log, clock: clock,
		svc:  New(db, log, clock.Now, Config{Params: TestParams}),
		meta: Meta{ClientAddr: "192.0.2.10", UserAgent: "test browser", RequestID: "req-1"}}
}

// at returns the app reporting failures to t, for use inside subtests:
// a failure must end the subtest, not its parent.
func (a *testApp) at(t *testing.T) *testApp {
	b := *a
	b.t = t
	return &b
}

// createStaff makes a care worker with testPassword, not yet enrolled.
func (a *testApp) createStaff(username string, role access.Role) User {
	a.t.Helper()
	u, err := a.svc.CreateUser(a.ctx, NewUser{Kind: access.KindStaff, Username: username,
		DisplayName: "Test " + username, Password: testPassword, Role: role, By: operator, Meta: a.meta})
	if err != nil {
		a.t.Fatalf("create %s: %v", username, err)
	}
	return u
}

// enrol signs u in for the first time and sets up an authenticator,
// returning the secret, the recovery codes and the full session's token.
// It moves the clock on a step so that the next code is not a replay.
func (a *testApp) enrol(u User) (secret string, codes []string, token string) {
	a.t.Helper()
	pending, sess, err := a.svc.SignIn(a.ctx, u.Username, testPassword, a.meta)
	if err != nil {
		a.t.Fatalf("sign in: %v", err)
	}
	if sess.Stage != StageEnrol {
		a.t.Fatalf("stage %q, want enrol", sess.Stage)
	}
	e, err := a.svc.BeginEnrolment(a.ctx, sess)
	if err != nil {
		a.t.Fatalf("begin enrolment: %v", err)
	}
	token, codes, err = a.svc.CompleteEnrolment(a.ctx, pending, Code(e.Secret, a.clock.Now()), a.meta)
	if err != nil {
		a.t.Fatalf("complete enrolment: %v", err)
	}
	a.clock.Advance(30 * time.Second)
	return e.Secret, codes, token
}

// enrolledStaff is a care worker with an authenticator.
func (a *testApp) enrolledStaff(username string) (User, string, []string) {
	a.t.Helper()
	u := a.createStaff(username, access.CareWorker)
	secret, codes, _ := a.enrol(u)
	// End the enrolment's session behind the service's back, so tests
	// count only the sessions they make.
	storetest.Tamper(a.t, a.db, `DELETE FROM sessions WHERE user_id = ?`, u.ID)
	u, err := a.svc.Get(a.ctx, u.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return u, secret, codes
}

// signInFully passes both factors and returns the full session's token.
func (a *testApp) signInFully(u User, secret string) string {
	a.t.Helper()
	pending, _, err := a.svc.SignIn(a.ctx, u.Username, testPassword, a.meta)
	if err != nil {
		a.t.Fatalf("sign in: %v", err)
	}
	token, err := a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta)
	if err != nil {
		a.t.Fatalf("verify MFA: %v", err)
	}
	a.clock.Advance(30 * time.Second)
	return token
}

// wantKind fails unless err is a Hearth error of kind (and, when given,
// its message contains msg).
func wantKind(t *testing.T, err error, kind hearth.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want kind %d %q", kind, msg)
	}
	if hearth.KindOf(err) != kind {
		t.Fatalf("error %q has kind %d, want %d", err, hearth.KindOf(err), kind)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Fatalf("error %q does not say %q", err, msg)
	}
}

// audited fails unless exactly one audit event has this action and outcome
// for actorID (any actor when ""), with detail containing detail.
func (a *testApp) audited(action, outcome, actorID, detail string) audit.Event {
	a.t.Helper()
	rows, err := a.db.Query(a.ctx, `SELECT actor_id, actor_name, actor_role, actor_kind, detail, client_addr, request_id
		FROM audit_events WHERE action = ? AND outcome = ? ORDER BY id`, action, outcome)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	var found []audit.Event
	var all []string
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.ActorID, &e.ActorName, &e.ActorRole, &e.ActorKind, &e.Detail, &e.ClientAddr, &e.RequestID); err != nil {
			a.t.Fatal(err)
		}
		all = append(all, e.Detail)
		if (actorID == "" || e.ActorID == actorID) && strings.Contains(e.Detail, detail) {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		a.t.Fatalf("%d audit events %s/%s by %q saying %q; events with that action and outcome: %q",
			len(found), action, outcome, actorID, detail, all)
	}
	if found[0].ClientAddr != a.meta.ClientAddr || found[0].RequestID != a.meta.RequestID {
		a.t.Fatalf("event %+v does not carry the request's address and ID", found[0])
	}
	return found[0]
}

// countEvents counts audit events with an action and outcome.
func (a *testApp) countEvents(action, outcome string) int {
	a.t.Helper()
	var n int
	if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = ?`, action, outcome).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// noSecretsAudited fails if any audit event holds one of the secrets.
func (a *testApp) noSecretsAudited(secrets ...string) {
	a.t.Helper()
	rows, err := a.db.Query(a.ctx, `SELECT detail, actor_name FROM audit_events`)
	if err != nil {
		a.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var detail, name string
		if err := rows.Scan(&detail, &name); err != nil {
			a.t.Fatal(err)
		}
		for _, s := range secrets {
			if s != "" && (strings.Contains(detail, s) || strings.Contains(name, s)) {
				t := a.t
				t.Fatalf("audit event %q holds a secret", detail)
			}
		}
	}
}

// sessionCount counts the user's sessions in the database.
func (a *testApp) sessionCount(userID string) int {
	a.t.Helper()
	var n int
	if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM sessions WHERE user_id = ?`, userID).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// addLocation creates a provider and a location, returning the location ID.
func (a *testApp) addLocation(name string) string {
	a.t.Helper()
	provider, loc := hearth.NewID(), hearth.NewID()
	now := a.clock.Now()
	storetest.Tamper(a.t, a.db, `INSERT INTO providers (id, name, created_at) VALUES (?, ?, ?)`, provider, "Provider "+name, now)
	storetest.Tamper(a.t, a.db, `INSERT INTO locations (id, provider_id, name, kind, created_at) VALUES (?, ?, ?, 'care_home', ?)`,
		loc, provider, name, now)
	return loc
}

// pairFailures is the count in the bucket of username at the app's
// address (throttle.go), at the current time.
func (a *testApp) pairFailures(username string) float64 {
	a.t.Helper()
	var failures float64
	err := a.db.QueryRow(a.ctx, `SELECT failures FROM signin_throttle WHERE key = ?`,
		a.svc.limits(normaliseUsername(username), a.meta.ClientAddr, "")[0].key).Scan(&failures)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		a.t.Fatal(err)
	}
	return failures
}
