package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/store/storetest"
)

// As a new provider found it: a fresh database, migrated, a registered
// manager added, then serve. Hearth must not start as an empty, broken
// app: it says to run `hearth init`; init sets the provider up, and
// `user add --location` then works with the location it made.
func TestANewProviderStartsFromAnEmptyDatabase(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	if code, out, errOut := runHearth(t, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", "grace", "--name", "Grace Obi",
		"--role", "registered_manager", "--location", "Rowan House")
	if code == 0 || !strings.Contains(errOut, "Choose locations that exist") {
		t.Fatalf("user add --location before any location exists: %d %s", code, errOut)
	}

	// serve on a database with no provider refuses at once, saying what to
	// run. The deadline only bounds a serve that wrongly starts.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, _, errOut = runHearthCtx(ctx, t, "serve", "--db", dsn, "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "hearth init") || ctx.Err() != nil {
		t.Fatalf("serve on an empty database: exit %d (deadline passed: %v)\n%s", code, ctx.Err() != nil, errOut)
	}

	code, out, errOut := runHearth(t, "init", "--db", dsn, "--provider", "Hearthside Care Ltd", "--location", "Rowan House:care home",
		"--manager-username", "grace.obi", "--manager-name", "Grace Obi", "--public-url", "https://care.example.org")
	if code != 0 || !strings.Contains(out, "https://care.example.org/invitation/") {
		t.Fatalf("init: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runHearth(t, "user", "add", "--db", dsn, "--username", "sam", "--name", "Sam Patel",
		"--role", "registered_manager", "--location", "Rowan House")
	if code != 0 || !strings.Contains(out, "Added Sam Patel (sam) as Registered manager") {
		t.Fatalf("user add --location after init: %d\n%s%s", code, out, errOut)
	}
}

func runHearthCtx(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}
