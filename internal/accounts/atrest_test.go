package accounts

import (
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/secrets"
	"hearth/internal/store/storetest"
)

// Secrets at rest (issue 12 item 8): what the database holds of a second
// factor is sealed under a key kept outside it.

// withKeyFile gives the app a Service whose secrets key is a file.
func (a *testApp) withKeyFile(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.Create(filepath.Join(t.TempDir(), "hearth.secretskey"))
	if err != nil {
		t.Fatal(err)
	}
	a.svc = New(a.db, a.log, a.clock.Now, Config{Params: TestParams, Secrets: k})
	return k
}

// stolen is everything the database holds about an account's second
// factors, as someone with a copy of the file would read it.
func (a *testApp) stolen(userID string) string {
	a.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT totp_secret FROM users WHERE id = ?`,
		`SELECT pending_secret FROM sessions WHERE user_id = ?`,
		`SELECT code_hash FROM recovery_codes WHERE user_id = ?`,
	} {
		rows, err := a.db.Query(a.ctx, q, userID)
		if err != nil {
			a.t.Fatal(err)
		}
		for rows.Next() {
			var v string
			_ = rows.Scan(&v)
			b.WriteString(v + "\n")
		}
		rows.Close()
	}
	return b.String()
}

func TestACopyOfTheDatabaseHoldsNoSecondFactor(t *testing.T) {
	a := newTestApp(t)
	a.withKeyFile(t)
	u, secret, codes := a.enrolledStaff("alice")
	held := a.stolen(u.ID)
	if strings.Contains(held, secret) || strings.Contains(strings.ToLower(held), strings.ToLower(secret)) {
		t.Fatalf("the database holds the TOTP secret:\n%s", held)
	}
	for _, c := range codes {
		if strings.Contains(held, hashRecoveryCode(normaliseCode(c))) {
			t.Fatalf("the database holds a recovery code's bare hash, within a GPU's reach:\n%s", held)
		}
	}
	for _, line := range strings.Fields(held) {
		if !secrets.IsSealed(line) {
			t.Errorf("%q is not sealed", line)
		}
	}
	// The second factor still works with the key.
	pending := a.pending(u)
	if _, err := a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta); err != nil {
		t.Fatalf("the code: %v", err)
	}
	a.clock.Advance(31e9)
	pending = a.pending(u)
	if _, err := a.svc.VerifyMFA(a.ctx, pending, codes[0], a.meta); err != nil {
		t.Fatalf("a recovery code: %v", err)
	}
	// And a sealed value moved onto another account opens for no one.
	bob := a.createStaff("bob", access.CareWorker)
	storetest.Tamper(t, a.db, `UPDATE users SET totp_secret = (SELECT totp_secret FROM users WHERE id = ?), totp_enrolled_at = CURRENT_TIMESTAMP WHERE id = ?`, u.ID, bob.ID)
	token, _, err := a.svc.SignIn(a.ctx, "bob", testPassword, a.meta)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.VerifyMFA(a.ctx, token, Code(secret, a.clock.Now()), a.meta); err == nil {
		t.Fatal("Alice's sealed secret, copied to Bob, let Bob in")
	}
}

func TestSecretsFromBeforeSealingAreSealedAtStartAndNoneIsLost(t *testing.T) {
	a := newTestApp(t)
	a.withKeyFile(t)
	u, secret, codes := a.enrolledStaff("alice")
	// As a database from before: the secret and the codes' hashes in the
	// clear.
	storetest.Tamper(t, a.db, `UPDATE users SET totp_secret = ? WHERE id = ?`, secret, u.ID)
	storetest.Tamper(t, a.db, `DELETE FROM recovery_codes WHERE user_id = ?`, u.ID)
	for _, c := range codes {
		storetest.Tamper(t, a.db, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, u.ID, hashRecoveryCode(normaliseCode(c)))
	}
	n, err := a.svc.SealSecrets(a.ctx)
	if err != nil || n != 1+len(codes) {
		t.Fatalf("sealed %d (%v), want %d", n, err, 1+len(codes))
	}
	if held := a.stolen(u.ID); strings.Contains(held, secret) {
		t.Fatalf("still in the clear:\n%s", held)
	}
	if n, err := a.svc.SealSecrets(a.ctx); err != nil || n != 0 {
		t.Fatalf("sealing again sealed %d (%v), want nothing", n, err)
	}
	pending := a.pending(u)
	if _, err := a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta); err != nil {
		t.Fatalf("the code after sealing: %v", err)
	}
	a.clock.Advance(31e9)
	pending = a.pending(u)
	if _, err := a.svc.VerifyMFA(a.ctx, pending, codes[3], a.meta); err != nil {
		t.Fatalf("a recovery code after sealing: %v", err)
	}
}

func TestRotatingTheKeySealsEverythingAgainAndTheOldKeyCanGo(t *testing.T) {
	a := newTestApp(t)
	k := a.withKeyFile(t)
	u, secret, codes := a.enrolledStaff("alice")
	old := k.CurrentID()
	if _, err := k.AddKey(); err != nil {
		t.Fatal(err)
	}
	n, err := a.svc.Reseal(a.ctx, operator, a.meta)
	if err != nil || n != 1+len(codes) {
		t.Fatalf("sealed again %d (%v), want %d", n, err, 1+len(codes))
	}
	ids, err := SealedKeyIDs(a.ctx, a.db)
	if err != nil || len(ids) != 1 || ids[0] != k.CurrentID() || ids[0] == old {
		t.Fatalf("sealed under %v (%v), want only the new key", ids, err)
	}
	if err := k.RetireOthers(); err != nil {
		t.Fatal(err)
	}
	pending := a.pending(u)
	if _, err := a.svc.VerifyMFA(a.ctx, pending, Code(secret, a.clock.Now()), a.meta); err != nil {
		t.Fatalf("the code after rotation: %v", err)
	}
	a.audited("secrets-rotate", "success", "", "under key "+k.CurrentID())
}
