package accounts

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
)

// Sign-in that strangers cannot block (issue 12 item 7). Each test is a
// rule: failures decay; a stranger's guesses lock only their own pair of
// username and address; the account locks only after many failures from
// many addresses, and then briefly; a locked account, a wrong password and
// an unknown username answer alike; a sprayed password is slowed across
// addresses; the counts live in the database; a passkey gets a locked-out
// person in.

const (
	stranger = "203.0.113.66"
	home     = "198.51.100.7"
)

func (a *testApp) from(addr string) *testApp {
	b := *a
	b.meta.ClientAddr = addr
	return &b
}

// guess is a wrong password for username from the app's address, a new
// one each time (one password tried again and again is a spray).
func (a *testApp) guess(username string) error {
	_, _, err := a.svc.SignIn(a.ctx, username, "not it "+hearth.NewID(), a.meta)
	return err
}

// signIn is the right password; it returns the error, if any.
func (a *testApp) signIn(username string) error {
	_, _, err := a.svc.SignIn(a.ctx, username, testPassword, a.meta)
	return err
}

func TestAStrangersGuessesLockOnlyTheirOwnAddressNeverThePersonAtTheirs(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	for range 5 {
		wantKind(t, a.from(stranger).guess("alice"), hearth.KindUnauthenticated, "not right")
	}
	// Even the right password is refused from the stranger's address...
	wantKind(t, a.from(stranger).signIn("alice"), hearth.KindUnauthenticated, "not right")
	a.from(stranger).audited("sign-in", audit.OutcomeDenied, "", "too many failed attempts (pair)")
	// ...and Alice, at home, signs in as if nothing had happened.
	if err := a.from(home).signIn("alice"); err != nil {
		t.Fatalf("Alice at her own address: %v, want signed in", err)
	}
}

func TestFailuresDecaySoNobodyIsLockedOutForEver(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	s := a.from(stranger)
	// A stranger trying every 5 minutes for a day from one address: about
	// one guess in 20 minutes is checked (not "five, then one an hour,
	// for ever"), and the pair is never shut for good.
	for range 24 * 12 {
		_ = s.guess("alice")
		a.clock.Advance(5 * time.Minute)
	}
	var checked int
	if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'sign-in' AND outcome = 'failed' AND client_addr = ?`,
		stranger).Scan(&checked); err != nil {
		t.Fatal(err)
	}
	if checked < 60 || checked > 90 {
		t.Errorf("%d guesses checked in a day of one every 5 minutes, want about 75 (one in 20 minutes)", checked)
	}
	// And when the guessing stops, the pair empties: an hour later the
	// right password works even from there.
	a.clock.Advance(time.Hour)
	if err := s.signIn("alice"); err != nil {
		t.Fatalf("an hour after the guessing stopped: %v", err)
	}
}

func TestTheAccountLocksOnlyAfterManyFailuresFromManyAddressesAndThenBriefly(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	// Nine addresses, five guesses each: every pair is full, the account
	// is not (45 of 50).
	for i := range 9 {
		for range 5 {
			_ = a.from("203.0.113." + strconv.Itoa(i+1)).guess("alice")
		}
	}
	if err := a.from(home).signIn("alice"); err != nil {
		t.Fatalf("after 45 failures from 9 addresses: %v, want Alice let in from home", err)
	}
	// A tenth address fills the account: now Alice is held back too...
	for range 5 {
		_ = a.from("203.0.113.10").guess("alice")
	}
	wantKind(t, a.from(home).signIn("alice"), hearth.KindUnauthenticated, "not right")
	a.from(home).audited("sign-in", audit.OutcomeDenied, "", "too many failed attempts (account)")
	// ...but briefly: a few minutes after the attack stops she is in.
	a.clock.Advance(2 * time.Minute)
	if err := a.from(home).signIn("alice"); err != nil {
		t.Fatalf("two minutes after a distributed attack: %v, want Alice let in", err)
	}
}

func TestALockedAccountAWrongPasswordAndAnUnknownUsernameAnswerAlike(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	a.createStaff("bob", access.CareWorker)
	for range 5 {
		_ = a.from(stranger).guess("bob")
	}
	for range 5 {
		_ = a.from(stranger).guess("nobody")
	}
	hashes := 0
	var mu sync.Mutex
	a.svc.verify = func(hash, password string) (bool, error) {
		mu.Lock()
		hashes++
		mu.Unlock()
		if hash == a.svc.dummyHash {
			// The stand-in for an unknown user has the configured cost.
			if needsRehash(hash, a.svc.cfg.Params) {
				t.Error("the dummy hash has other parameters than real ones")
			}
		}
		return VerifyPassword(hash, password)
	}
	s := a.from(stranger)
	erin := a.createStaff("erin", access.CareWorker)
	if err := a.svc.Disable(a.ctx, erin.ID, operator, a.meta); err != nil {
		t.Fatal(err)
	}
	hashes = 0
	answers := map[string]error{
		"a wrong password":                    s.guess("alice"),
		"an unknown username":                 s.guess("carol"),
		"a locked account, right password":    s.signIn("bob"),
		"a locked account, wrong password":    s.guess("bob"),
		"a locked unknown username":           s.guess("nobody"),
		"a malformed username":                s.guess("no body!"),
		"a disabled account, right password":  s.signIn("erin"),
		"an unknown username, right password": s.signIn("dave"),
	}
	want := answers["a wrong password"]
	for name, err := range answers {
		if err == nil || err.Error() != want.Error() || hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Errorf("%s: %v, want exactly as a wrong password: %v", name, err, want)
		}
	}
	if hashes != len(answers) {
		t.Errorf("%d argon2id checks for %d answers: every answer must cost one", hashes, len(answers))
	}
}

func TestOnePasswordSprayedAcrossAccountsFromManyAddressesIsSlowed(t *testing.T) {
	a := newTestApp(t)
	// The victim's password is the one being sprayed, one try per
	// account, each from another address.
	victim := a.createStaff("victim", access.CareWorker)
	for i := range 20 {
		_ = a.from("203.0.113." + strconv.Itoa(i+1)).signIn("user" + strconv.Itoa(i))
	}
	wantKind(t, a.from("203.0.113.99").signIn("victim"), hearth.KindUnauthenticated, "not right")
	a.from("203.0.113.99").audited("sign-in", audit.OutcomeDenied, victim.ID, "too many failed attempts (password)")
	// Another password is not held back.
	a.createStaff("walter", access.CareWorker)
	if err := a.from("203.0.113.98").guess("walter"); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Fatalf("another password: %v", err)
	}
	a.from("203.0.113.98").audited("sign-in", audit.OutcomeFailed, "", "wrong password")
	// And the spray fades: two hours on, the victim signs in.
	a.clock.Advance(2 * time.Hour)
	if err := a.from(home).signIn("victim"); err != nil {
		t.Fatalf("two hours after the spray: %v", err)
	}
}

func TestOneAddressTryingManyUsernamesIsStoppedBeforeAnyWork(t *testing.T) {
	a := newTestApp(t)
	s := a.from(stranger)
	for i := range 30 {
		_ = s.guess("user" + strconv.Itoa(i))
	}
	hashes := 0
	a.svc.verify = func(hash, password string) (bool, error) { hashes++; return VerifyPassword(hash, password) }
	wantKind(t, a.from(stranger).guess("user99"), hearth.KindTooMany, "Too many sign-in attempts from this device")
	if hashes != 0 {
		t.Errorf("%d argon2id checks for an address that is stopped, want none", hashes)
	}
	a.from(stranger).audited("sign-in", audit.OutcomeDenied, "", "too many failed attempts from this address")
}

// Two serve nodes on one database share the counts: failures on one lock
// the pair on the other.
func TestTheCountsLiveInTheDatabaseSoEveryNodeSeesThem(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	other := New(a.db, a.log, a.clock.Now, Config{Params: TestParams})
	for range 5 {
		_ = a.from(stranger).guess("alice")
	}
	_, _, err := other.SignIn(a.ctx, "alice", testPassword, a.from(stranger).meta)
	wantKind(t, err, hearth.KindUnauthenticated, "not right")
	if _, _, err := other.SignIn(a.ctx, "alice", testPassword, a.from(home).meta); err != nil {
		t.Fatalf("the other node, from home: %v", err)
	}
}

func TestConcurrentWrongPasswordsAllCount(t *testing.T) {
	a := newTestApp(t)
	a.createStaff("alice", access.CareWorker)
	const tries = 4
	var wg sync.WaitGroup
	for range tries {
		wg.Go(func() { _ = a.from(stranger).guess("alice") })
	}
	wg.Wait()
	var failures float64
	if err := a.db.QueryRow(a.ctx, `SELECT failures FROM signin_throttle WHERE key = ?`,
		a.svc.limits("alice", stranger, "")[0].key).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures != tries {
		t.Fatalf("the pair holds %v failures after %d at once", failures, tries)
	}
}

func TestWrongCodesFillThePairAndTheRightCodeEmptiesIt(t *testing.T) {
	a := newTestApp(t)
	u, secret, _ := a.enrolledStaff("alice")
	for range 4 {
		_ = a.guess("alice")
	}
	pending, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.svc.VerifyMFA(a.ctx, pending, wrongCode(secret, a.clock.Now()), a.meta)
	wantKind(t, err, hearth.KindUnauthenticated, "That code is not right")
	_, err = a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta)
	wantKind(t, err, hearth.KindTooMany, "Too many attempts. Try again in")
	a.audited("sign-in-mfa", audit.OutcomeDenied, u.ID, "code not checked")

	// Twenty minutes on (the pending session has ended by then), the pair
	// has room for one more try: the right password and code get in.
	a.clock.Advance(20 * time.Minute)
	pending, _, err = a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta); err != nil {
		t.Fatalf("the right code once the pair has room: %v", err)
	}
	var n int
	if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM signin_throttle WHERE key = ?`, a.svc.limits("alice", a.meta.ClientAddr, "")[0].key).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the pair's bucket is still there (%d, %v) after the second factor", n, err)
	}
}

// A person locked out (their pair and the whole account full, by
// strangers from everywhere) signs in with their passkey alone.
func TestAPersonLockedOutByStrangersSignsInWithTheirPasskey(t *testing.T) {
	a := newTestApp(t)
	key := newSoftKey(t, testRP.Origin)
	ann, _ := a.personWithPasskey("ann", key)
	for i := range 10 {
		for range 5 {
			_ = a.from("203.0.113." + strconv.Itoa(i+1)).guess("ann")
		}
	}
	for range 5 {
		_ = a.from(home).guess("ann")
	}
	wantKind(t, a.from(home).signIn("ann"), hearth.KindUnauthenticated, "not right")

	const holder = "a pre-session cookie value, long enough"
	opts, err := a.svc.BeginPasskeyAlone(a.ctx, holder, testRP)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Response.UserVerification != protocol.VerificationRequired || len(opts.Response.AllowedCredentials) != 0 {
		t.Fatalf("options %+v: want user verification required and no credentials named (the browser offers its own)", opts.Response)
	}
	token, sess, err := a.from(home).svc.SignInWithPasskey(a.ctx, holder, testRP, key.get(opts, ann.ID), a.from(home).meta)
	if err != nil {
		t.Fatalf("a passkey alone, locked out: %v", err)
	}
	if !sess.Full() || sess.User.ID != ann.ID || token == "" {
		t.Fatalf("session %+v, want a full session for Ann", sess)
	}
	a.from(home).audited("sign-in", audit.OutcomeSuccess, ann.ID, "signed in with a passkey alone")

	t.Run("the same answer again is refused: the challenge was used", func(t *testing.T) {
		a := a.at(t)
		_, _, err := a.svc.SignInWithPasskey(a.ctx, holder, testRP, key.get(opts, ann.ID), a.meta)
		wantKind(t, err, hearth.KindInvalid, "expired or was already used")
	})
	t.Run("a passkey that was never added is refused and counted", func(t *testing.T) {
		a := a.at(t)
		opts, err := a.svc.BeginPasskeyAlone(a.ctx, holder, testRP)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = a.svc.SignInWithPasskey(a.ctx, holder, testRP, newSoftKey(t, testRP.Origin).get(opts, ann.ID), a.meta)
		wantKind(t, err, hearth.KindUnauthenticated, "That passkey was not accepted")
		a.audited("sign-in", audit.OutcomeFailed, ann.ID, "passkey alone refused")
	})
	t.Run("a disabled account is refused", func(t *testing.T) {
		a := a.at(t)
		if err := a.svc.Disable(a.ctx, ann.ID, operator, a.meta); err != nil {
			t.Fatal(err)
		}
		opts, err := a.svc.BeginPasskeyAlone(a.ctx, holder, testRP)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = a.svc.SignInWithPasskey(a.ctx, holder, testRP, key.get(opts, ann.ID), a.meta)
		wantKind(t, err, hearth.KindUnauthenticated, "That passkey was not accepted")
	})
}

// A passkey alone must be unlocked by its holder: an answer without user
// verification is refused.
func TestAPasskeyAloneMustBeUnlockedByItsHolder(t *testing.T) {
	a := newTestApp(t)
	key := newSoftKey(t, testRP.Origin)
	ann, _ := a.personWithPasskey("ann", key)
	const holder = "a pre-session cookie value, long enough"
	opts, err := a.svc.BeginPasskeyAlone(a.ctx, holder, testRP)
	if err != nil {
		t.Fatal(err)
	}
	key.counter++
	unverified := key.signWithFlags(opts.Response.Challenge, opts.Response.RelyingPartyID, ann.ID, 0x01) // user present only
	_, _, err = a.svc.SignInWithPasskey(a.ctx, holder, testRP, unverified, a.meta)
	wantKind(t, err, hearth.KindUnauthenticated, "That passkey was not accepted")
}
