package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// openDB opens the test database alone, to look at it or tamper with it
// as someone with write access to it could.
func openDB(t *testing.T, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countEvents(t *testing.T, db *store.DB, action, outcome string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = ?`, action, outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The demo's database is opened with its key file somewhere else (restored
// under another name, or PostgreSQL from another working directory): it
// refuses to start, naming the key it expects and where it looked, and
// makes no key. A new key is made only on purpose; rotation keeps the old
// key as a verifier, so the log still verifies.
func TestTheAuditKeyIsNeverReplacedSilentlyAndRotationKeepsTheLogVerifiable(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "audit.key")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runHearth(t, append(args, "--db", dsn, "--log-level", "warn")...)
	}
	if code, out, errOut := run("demo", "--seed-only", "--audit-key-file", key); code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.witness")); err != nil {
		t.Fatalf("the demo's first checkpoint was not witnessed beside the key: %v", err)
	}
	keys, err := audit.LoadKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t, dsn)

	code, out, errOut := run("audit", "verify", "--audit-key-file", key)
	if code != 0 || !strings.Contains(out, "The audit log is intact.") || !strings.Contains(out, "Witness file "+filepath.Join(dir, "audit.witness")+": 1 signed checkpoints") {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
	}
	if n := countEvents(t, db, "audit-verify", "success"); n != 1 {
		t.Errorf("%d audit-verify events after a verify that passed, want 1", n)
	}

	elsewhere := filepath.Join(t.TempDir(), "hearth-audit.key")
	code, _, errOut = run("migrate", "--audit-key-file", elsewhere)
	if code == 0 || !strings.Contains(errOut, "signed with key "+keys.ID()) || !strings.Contains(errOut, "no audit key file at "+elsewhere) {
		t.Fatalf("opened with the key file missing: %d\n%s", code, errOut)
	}
	if _, err := os.Stat(elsewhere); err == nil {
		t.Fatal("a new key was made for a log that has events")
	}
	code, _, errOut = run("audit", "key", "new", "--audit-key-file", elsewhere)
	if code != 1 || !strings.Contains(errOut, keys.ID()) || !strings.Contains(errOut, "--replace-lost-key") {
		t.Fatalf("audit key new on a log with events: %d\n%s", code, errOut)
	}
	code, _, errOut = run("audit", "key", "new", "--audit-key-file", key)
	if code != 1 || !strings.Contains(errOut, "already holds key "+keys.ID()) {
		t.Fatalf("audit key new over the key file: %d\n%s", code, errOut)
	}

	code, out, errOut = run("audit", "key", "rotate", "--audit-key-file", key)
	if code != 0 || !strings.Contains(out, keys.ID()+" stays in the file as a verifier") {
		t.Fatalf("rotate: %d\n%s\n%s", code, out, errOut)
	}
	rotated, err := audit.LoadKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	if ids := rotated.IDs(); len(ids) != 2 || ids[1] != keys.ID() || ids[0] == keys.ID() {
		t.Fatalf("after rotate the key file holds %v", ids)
	}
	if n := countEvents(t, db, "audit-key-rotate", "success"); n != 1 {
		t.Errorf("%d audit-key-rotate events, want 1", n)
	}
	code, out, errOut = run("audit", "verify", "--audit-key-file", key)
	if code != 0 || !strings.Contains(out, "The audit log is intact.") {
		t.Fatalf("verify after rotate: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run("audit", "key", "show", "--audit-key-file", key)
	if code != 0 || !strings.Contains(out, "signs with "+rotated.ID()+" and keeps "+keys.ID()+" as verifiers") {
		t.Fatalf("key show: %d\n%s", code, out)
	}

	// The key truly lost: replaced on purpose, and the log says so.
	lost := t.TempDir()
	newKey := filepath.Join(lost, "audit.key")
	code, out, errOut = run("audit", "key", "new", "--replace-lost-key", "--audit-key-file", newKey, "--secrets-key-file", filepath.Join(dir, "secrets.key"))
	if code != 0 || !strings.Contains(out, "The replacement is recorded in the audit log") {
		t.Fatalf("replace a lost key: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := run("migrate", "--audit-key-file", newKey, "--secrets-key-file", filepath.Join(dir, "secrets.key")); code != 0 {
		t.Fatalf("starting with the replacement key: %d\n%s\n%s", code, out, errOut)
	}
	if n := countEvents(t, db, "audit-key-new", "success"); n != 1 {
		t.Errorf("%d audit-key-new events, want 1", n)
	}
}

// Someone cuts the log back to the demo's checkpoint and deletes the
// checkpoint after it: the database alone looks whole, but verify reads
// the witness file and fails, naming the witnessed size and what the
// database has; a receipt issued before the rollback fails too; and a
// witness file that is not this log's is refused.
func TestAuditVerifyFailsOnARollbackTheWitnessFileRemembers(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "audit.key")
	witness := filepath.Join(dir, "audit.witness")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runHearth(t, append(args, "--db", dsn, "--log-level", "warn", "--audit-key-file", key)...)
	}
	if code, out, errOut := run("demo", "--seed-only"); code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	db := openDB(t, dsn)
	var cut int64
	if err := db.QueryRow(context.Background(), `SELECT MAX(tree_size) FROM audit_checkpoints`).Scan(&cut); err != nil {
		t.Fatal(err)
	}
	// One more event (the verify's own), sealed and witnessed.
	if code, out, errOut := run("audit", "verify"); code != 0 {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := run("audit", "seal"); code != 0 || !strings.Contains(out, "Sealed 1 events") {
		t.Fatalf("seal: %d\n%s\n%s", code, out, errOut)
	}
	var verifyEvent string
	if err := db.QueryRow(context.Background(), `SELECT event_id FROM audit_leaves WHERE leaf_index = ?`, cut).Scan(&verifyEvent); err != nil {
		t.Fatal(err)
	}
	keys, err := audit.LoadKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.New(db, keys, hearth.SystemClock, nil).Receipt(context.Background(), verifyEvent)
	if err != nil {
		t.Fatal(err)
	}
	receipt := filepath.Join(dir, "receipt.json")
	b, _ := json.Marshal(r)
	if err := os.WriteFile(receipt, b, 0o600); err != nil {
		t.Fatal(err)
	}
	verifyReceipt := func() (int, string, string) {
		return runHearth(t, "audit", "verify-receipt", "--db", dsn, "--log-level", "warn", "--audit-key-file", key, receipt)
	}
	if code, out, _ := verifyReceipt(); code != 0 || !strings.Contains(out, "Today's audit log still holds it") {
		t.Fatalf("the receipt before the rollback: %d\n%s", code, out)
	}

	storetest.Tamper(t, db, `DELETE FROM audit_pending`)
	storetest.Tamper(t, db, `DELETE FROM audit_leaves WHERE leaf_index >= ?`, cut)
	storetest.Tamper(t, db, `DELETE FROM audit_hashes WHERE idx >= ?`, tlog.StoredHashIndex(0, cut))
	storetest.Tamper(t, db, `DELETE FROM audit_events WHERE id NOT IN (SELECT event_id FROM audit_leaves)`)
	storetest.Tamper(t, db, `DELETE FROM audit_checkpoints WHERE tree_size > ?`, cut)

	code, out, errOut := run("audit", "verify")
	want := "the witness file holds a signed checkpoint for " + itoa(cut+1) + " events"
	if code != 1 || !strings.Contains(out, "rolled back: "+want) || !strings.Contains(out, "the database's log has only "+itoa(cut)) {
		t.Fatalf("verify after the rollback: %d, want it to fail saying %q\n%s\n%s", code, want, out, errOut)
	}
	if n := countEvents(t, db, "audit-verify", "failed"); n != 1 {
		t.Errorf("%d failed audit-verify events, want 1", n)
	}
	code, out, _ = verifyReceipt()
	if code != 1 || !strings.Contains(out, "NO LONGER HOLDS WHAT IT VOUCHES FOR") || !strings.Contains(out, "cut back") {
		t.Fatalf("the receipt after the rollback: %d\n%s", code, out)
	}

	if err := os.WriteFile(witness, []byte("not a checkpoint\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run("audit", "verify")
	if code != 1 || !strings.Contains(errOut, "the witness file "+witness+" is not a record of this audit log's signed checkpoints: the entry at line 1 is not a signed checkpoint") {
		t.Fatalf("verify with a witness file of garbage: %d\n%s", code, errOut)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
