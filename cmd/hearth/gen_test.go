package main

import (
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/store/storetest"
)

// hearth gen makes a provider whose audit log verifies, and will not write
// into a database that already holds one (a second run, or a real provider).
func TestGenMakesAVerifiableProviderOnceAndRefusesADatabaseWithOne(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	code, out, errOut := runHearth(t, "gen", "--db", dsn, "--scale", "0.0005", "--days", "5", "--quiet", "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Hearth Scale Test Services: 25 people") || !strings.Contains(out, "cw0001") {
		t.Fatalf("gen: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runHearth(t, "audit", "verify", "--db", dsn)
	if code != 0 || !strings.Contains(out, "The audit log is intact") {
		t.Fatalf("verify: %d\n%s", code, out)
	}
	code, _, errOut = runHearth(t, "gen", "--db", dsn, "--scale", "0.0005", "--quiet", "--log-level", "warn")
	if code == 0 || !strings.Contains(errOut, "already holds a provider") {
		t.Fatalf("a second gen into the same database: %d\n%s", code, errOut)
	}
}
