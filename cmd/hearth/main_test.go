package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func runHearth(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpIsClear(t *testing.T) {
	code, out, _ := runHearth(t, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "audit") || !strings.Contains(out, "HEARTH_DB") {
		t.Fatalf("hearth --help: %d\n%s", code, out)
	}
	for _, sub := range []string{"serve", "demo", "migrate", "totp"} {
		code, _, errOut := runHearth(t, sub, "--help")
		if code != 0 || !strings.Contains(errOut, "-db") && sub != "totp" || !strings.Contains(errOut, "HEARTH_") {
			t.Errorf("hearth %s --help: %d\n%s", sub, code, errOut)
		}
	}
	if code, _, errOut := runHearth(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("an unknown command: %d %s", code, errOut)
	}
}

func TestTheDemoSeedsOnceAndAuditVerifyCatchesTampering(t *testing.T) {
	dsn := storetest.DSN(t)
	key := filepath.Join(t.TempDir(), "audit.key")
	t.Setenv("HEARTH_AUDIT_KEY_FILE", key)
	code, out, errOut := runHearth(t, "demo", "--db", dsn, "--seed-only", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Created the demo provider: 40 people at 2 locations") || !strings.Contains(out, "TOTP SECRET") {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runHearth(t, "demo", "--db", dsn, "--seed-only", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Using the existing demo provider: 40 people") {
		t.Fatalf("second demo run: %d\n%s", code, out)
	}
	code, out, _ = runHearth(t, "audit", "verify", "--db", dsn)
	if code != 0 || !strings.Contains(out, "The audit log is intact") {
		t.Fatalf("verify: %d\n%s", code, out)
	}
	db, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id string
	if err := db.QueryRow(context.Background(), `SELECT event_id FROM audit_leaves WHERE leaf_index = 7`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	storetest.Tamper(t, db, `UPDATE audit_events SET detail = 'nothing to see' WHERE id = ?`, id)
	code, out, errOut = runHearth(t, "audit", "verify", "--db", dsn)
	if code != 1 || !strings.Contains(out, "TAMPERED") || !strings.Contains(errOut, id) {
		t.Fatalf("verify after tampering: %d\n%s\n%s", code, out, errOut)
	}
}

func TestUserCommandsManageAccounts(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	code, out, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", "joan", "--name", "Jo Bloggs", "--role", "nurse")
	if code != 0 || !strings.Contains(out, "Added Jo Bloggs (joan) as Nurse") || !strings.Contains(out, "Initial password") {
		t.Fatalf("user add: %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", "xavier", "--name", "X", "--role", "wizard"); code != 2 || !strings.Contains(errOut, "--role must be one of") {
		t.Errorf("a bad role: %d %s", code, errOut)
	}
	if code, _, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", "joan", "--name", "Jo Again", "--role", "nurse"); code != 1 || !strings.Contains(errOut, "taken") {
		t.Errorf("a duplicate username: %d %s", code, errOut)
	}
	for _, sub := range []string{"reset-mfa", "disable"} {
		if code, out, errOut := runHearth(t, "user", sub, "--db", dsn, "joan"); code != 0 {
			t.Errorf("user %s: %d %s %s", sub, code, out, errOut)
		}
	}
	code, out, _ = runHearth(t, "user", "list", "--db", dsn)
	if code != 0 || !strings.Contains(out, "joan") || !strings.Contains(out, "disabled") {
		t.Fatalf("user list: %d\n%s", code, out)
	}
}

func TestUserAddCreatesAnInspectorWithNoRoleWhoSetsUpMFAAtFirstSignIn(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	code, out, errOut := runHearth(t, "user", "add", "--db", dsn, "--kind", "inspector", "--username", "cqc.kim", "--name", "Kim Osei")
	if code != 0 || !strings.Contains(out, "Added Kim Osei (cqc.kim) as an inspector") || !strings.Contains(out, "authenticator app the first time") {
		t.Fatalf("user add --kind inspector: %d\n%s%s", code, out, errOut)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an inspector has no role", []string{"--kind", "inspector", "--username", "cqc.two", "--name", "Two", "--role", "nurse"}, "an inspector has no --role"},
		{"an inspector works at no location", []string{"--kind", "inspector", "--username", "cqc.two", "--name", "Two", "--location", "x"}, "an inspector has no --role or --location"},
		{"people join through an invitation, not the command line", []string{"--kind", "person", "--username", "ann", "--name", "Ann"}, "--kind must be staff or inspector"},
	} {
		args := append([]string{"user", "add", "--db", dsn}, tc.args...)
		if code, _, errOut := runHearth(t, args...); code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: %d %s", tc.name, code, errOut)
		}
	}
	code, out, _ = runHearth(t, "user", "list", "--db", dsn)
	if code != 0 || !regexp.MustCompile(`cqc\.kim\s+Kim Osei\s+inspector\s+not set up`).MatchString(out) {
		t.Fatalf("user list: %d\n%s", code, out)
	}
}
