package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// The commands a provider runs: make a key, take a backup, verify it (and
// record that it verified), restore it into an empty database and not into
// a full one, and write the contingency packs.
func TestBackupVerifyRestoreAndContingencyCommands(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(dir, "audit.key"))
	if code, out, errOut := runHearth(t, "demo", "--db", dsn, "--seed-only", "--log-level", "warn"); code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	identity := filepath.Join(dir, "backup.agekey")
	code, out, errOut := runHearth(t, "backup", "keygen", "--identity", identity)
	if code != 0 {
		t.Fatalf("keygen: %d %s %s", code, out, errOut)
	}
	recipient := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
	if !strings.HasPrefix(recipient, "age1") {
		t.Fatalf("keygen printed no recipient key:\n%s", out)
	}
	if code, _, errOut := runHearth(t, "backup", "keygen", "--identity", identity); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("keygen over an existing identity: %d %s", code, errOut)
	}

	file := filepath.Join(dir, "hearth.backup")
	code, out, errOut = runHearth(t, "backup", "--db", dsn, "--recipient", recipient, "--out", file, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "Backup written to") {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runHearth(t, "backup", "verify", "--db", dsn, "--file", file, "--identity", identity, "--log-level", "warn")
	if code != 0 || !strings.Contains(out, "The backup restores") {
		t.Fatalf("backup verify: %d\n%s\n%s", code, out, errOut)
	}

	target := filepath.Join(dir, "restored.db")
	code, out, errOut = runHearth(t, "restore", "--db", target, "--file", file, "--identity", identity)
	if code != 0 || !strings.Contains(out, "Restored") {
		t.Fatalf("restore: %d\n%s\n%s", code, out, errOut)
	}
	code, _, errOut = runHearth(t, "restore", "--db", target, "--file", file, "--identity", identity)
	if code == 0 || !strings.Contains(errOut, "database: Restore only into an empty database") {
		t.Fatalf("restore into a full database: %d\n%s", code, errOut)
	}

	packs := filepath.Join(dir, "packs")
	code, out, errOut = runHearth(t, "contingency", "--db", dsn, "--recipient", recipient, "--dir", packs, "--log-level", "warn")
	if code != 0 || strings.Count(out, "Wrote ") != 2 {
		t.Fatalf("contingency: %d\n%s\n%s", code, out, errOut)
	}
	entries, _ := os.ReadDir(packs)
	if len(entries) != 2 {
		t.Fatalf("%d files in the packs directory", len(entries))
	}

	db, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, action := range []string{"backup", "backup-verify"} {
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = 'success'`, action).Scan(&n); err != nil || n != 1 {
			t.Errorf("%s events: %d (%v)", action, n, err)
		}
	}
}
