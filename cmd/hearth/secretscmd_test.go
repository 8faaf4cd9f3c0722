package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/store/storetest"
)

// `hearth secrets rotate` seals every second factor again under a new key
// and retires the old one; the demo's accounts still sign in with their
// codes; and Hearth refuses to start, naming the key, when the key file
// that opens the database's second factors is missing.
func TestSecretsRotateAndAMissingKeyFileIsRefusedNotReplaced(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(dir, "audit.key"))
	keyFile := filepath.Join(dir, "secrets.key")
	code, demoOut, demoErr := runHearth(t, "demo", "--db", dsn, "--seed-only", "--log-level", "warn")
	if code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, demoOut, demoErr)
	}
	// The first account the demo prints, and its TOTP secret.
	var username, secret string
	for _, line := range strings.Split(demoOut, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] != "USERNAME" && len(f[len(f)-1]) >= 16 && strings.ToUpper(f[len(f)-1]) == f[len(f)-1] {
			username, secret = f[0], f[len(f)-1]
			break
		}
	}
	if username == "" {
		t.Fatalf("no account in the demo's output:\n%s", demoOut)
	}
	before, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the secrets key file was not made beside the audit key: %v", err)
	}

	code, out, errOut := runHearth(t, "secrets", "rotate", "--db", dsn, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Sealed") || !strings.Contains(out, "Retired") {
		t.Fatalf("secrets rotate: %d\n%s\n%s", code, out, errOut)
	}
	after, _ := os.ReadFile(keyFile)
	if string(after) == string(before) || strings.Count(string(after), "\n") != strings.Count(string(before), "\n") {
		t.Fatalf("the key file after rotation:\n%s\nbefore:\n%s", after, before)
	}
	code, out, _ = runHearth(t, "secrets", "status", "--db", dsn, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "sealed under [") {
		t.Fatalf("secrets status: %d\n%s", code, out)
	}

	// The demo's first account still signs in with its code.
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: filepath.Join(dir, "audit.key"), Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pending, _, err := a.Accounts.SignIn(ctx, username, demo.Password, accounts.Meta{ClientAddr: "192.0.2.1"})
	if err != nil {
		t.Fatalf("%s signs in: %v", username, err)
	}
	if _, err := a.Accounts.VerifyMFA(ctx, pending, accounts.Code(secret, time.Now()), accounts.Meta{ClientAddr: "192.0.2.1"}); err != nil {
		t.Fatalf("%s's code after rotation: %v", username, err)
	}
	ids, err := accounts.SealedKeyIDs(ctx, a.DB)
	if err != nil || len(ids) != 1 || !strings.Contains(string(after), ids[0]+" ") {
		t.Fatalf("sealed under %v (%v), want only the new key", ids, err)
	}

	// Without the key file, Hearth refuses to start and makes no new key.
	if err := os.Rename(keyFile, keyFile+".away"); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runHearth(t, "migrate", "--db", dsn, "--log-level", "warn")
	if code == 0 || !strings.Contains(errOut, ids[0]) || !strings.Contains(errOut, keyFile) {
		t.Fatalf("migrate without the key file: %d\n%s", code, errOut)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new key file was made that opens nothing")
	}
}
