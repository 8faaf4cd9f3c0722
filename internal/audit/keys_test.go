package audit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store/storetest"
)

func TestABrandNewLogGetsItsFirstKeyAndALogWithEventsNeverGetsANewOneSilently(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	witness := filepath.Join(dir, "audit.witness")

	k, created, err := audit.OpenKeys(ctx, db, path, witness)
	if err != nil || !created {
		t.Fatalf("an empty log: created %v, %v; want a first key", created, err)
	}
	l := audit.New(db, k, hearth.SystemClock, nil).WithWitness(audit.NewWitness(witness))
	appendEvents(t, l, 0, 5)
	seal(t, l, 5)
	appendEvents(t, l, 5, 2) // and two waiting to be sealed

	if again, created, err := audit.OpenKeys(ctx, db, path, witness); err != nil || created || again.ID() != k.ID() {
		t.Fatalf("opening again: %v, created %v, %v", again, created, err)
	}

	// The key file is elsewhere (a restore under another name, PostgreSQL
	// from another working directory): refused, naming key and place.
	missing := filepath.Join(t.TempDir(), "hearth-audit.key")
	_, _, err = audit.OpenKeys(ctx, db, missing, witness)
	if !errors.Is(err, audit.ErrKeyMismatch) || !strings.Contains(err.Error(), "signed with key "+k.ID()) ||
		!strings.Contains(err.Error(), "no audit key file at "+missing) {
		t.Fatalf("no key file: %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("a key file was made for a log that has events")
	}

	// Another log's key file: refused, naming both keys and the file.
	wrong := filepath.Join(t.TempDir(), "other.key")
	other, err := audit.CreateKeyFile(wrong)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = audit.OpenKeys(ctx, db, wrong, witness)
	if !errors.Is(err, audit.ErrKeyMismatch) || !strings.Contains(err.Error(), "signed with key "+k.ID()) ||
		!strings.Contains(err.Error(), wrong+" holds "+other.ID()) {
		t.Fatalf("the wrong key file: %v", err)
	}

	// Before anything is sealed, the events' MACs name no key, but the
	// wrong key is still refused.
	db2 := storetest.Open(t)
	l2 := audit.New(db2, k, hearth.SystemClock, nil)
	appendEvents(t, l2, 0, 3)
	_, _, err = audit.OpenKeys(ctx, db2, wrong, "")
	if !errors.Is(err, audit.ErrKeyMismatch) || !strings.Contains(err.Error(), "none sealed yet") || !strings.Contains(err.Error(), wrong) {
		t.Fatalf("the wrong key, nothing sealed: %v", err)
	}
	if _, _, err := audit.OpenKeys(ctx, db2, path, ""); err != nil {
		t.Fatalf("the right key, nothing sealed: %v", err)
	}

	// A log emptied behind Hearth's back, and its key gone too: the witness
	// file still remembers it, so no new key is made.
	storetest.Tamper(t, db, `DELETE FROM audit_pending`)
	storetest.Tamper(t, db, `DELETE FROM audit_leaves`)
	storetest.Tamper(t, db, `DELETE FROM audit_events`)
	_, _, err = audit.OpenKeys(ctx, db, missing, witness)
	if !errors.Is(err, audit.ErrKeyMismatch) || !strings.Contains(err.Error(), "witness file "+witness+" holds checkpoints signed with key "+k.ID()) {
		t.Fatalf("an emptied log with its witness: %v", err)
	}

	if _, err := audit.CreateKeyFile(path); err == nil || !strings.Contains(err.Error(), "never overwritten") {
		t.Fatalf("creating over a key file: %v", err)
	}
}

func TestRotationSignsWithTheNewKeyAndOldCheckpointsAndReceiptsStillVerify(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	w := audit.NewWitness(filepath.Join(dir, "audit.witness"))
	k1, _, err := audit.OpenKeys(ctx, db, path, w.Path())
	if err != nil {
		t.Fatal(err)
	}
	l1 := audit.New(db, k1, hearth.SystemClock, nil).WithWitness(w)
	appendEvents(t, l1, 0, 10)
	seal(t, l1, 10)
	ids := leafOrder(t, db)
	before, err := l1.Receipt(ctx, ids[3])
	if err != nil {
		t.Fatal(err)
	}
	appendEvents(t, l1, 10, 3) // waiting to be sealed, MACed under the old key

	old, k2, err := audit.RotateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if old.ID() != k1.ID() || k2.ID() == k1.ID() {
		t.Fatalf("rotated %s to %s, want from %s to a new key", old.ID(), k2.ID(), k1.ID())
	}
	loaded, created, err := audit.OpenKeys(ctx, db, path, w.Path())
	if err != nil || created {
		t.Fatalf("opening the rotated key file: %v (created %v)", err, created)
	}
	if got := loaded.IDs(); len(got) != 2 || got[0] != k2.ID() || got[1] != k1.ID() {
		t.Fatalf("key IDs %v, want the new key signing and the old one kept", got)
	}
	l2 := audit.New(db, loaded, hearth.SystemClock, nil).WithWitness(w)
	appendEvents(t, l2, 20, 4)
	seal(t, l2, 7) // the three from before the rotation and four after
	latest, err := l2.LatestCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(latest), note.VerifierList(k2.Verifier)); err != nil {
		t.Errorf("the checkpoint after the rotation is not signed with the new key: %v", err)
	}
	if _, err := note.Open([]byte(latest), note.VerifierList(k1.Verifier)); err == nil {
		t.Error("the checkpoint after the rotation is signed with the old key")
	}
	after, err := l2.Receipt(ctx, leafOrder(t, db)[15])
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyReceipt(after, k1.VerifierKey); err == nil {
		t.Error("a checkpoint after the rotation verifies with the old key: the new key does not sign")
	}
	if err := audit.VerifyReceipt(after, k2.VerifierKey); err != nil {
		t.Errorf("a receipt after the rotation: %v", err)
	}
	if err := audit.VerifyReceiptKeys(before, loaded.VerifierKeys()...); err != nil {
		t.Errorf("a receipt from before the rotation, with the key file's verifiers: %v", err)
	}
	if err := l2.CheckConsistent(ctx, before.Checkpoint); err != nil {
		t.Errorf("a checkpoint from before the rotation against today's log: %v", err)
	}
	rep, err := l2.Verify(ctx, nil)
	if err != nil || !rep.OK() || rep.Checkpoints != 2 || rep.Witnessed != 2 {
		t.Fatalf("verify after rotation: %+v, %v", rep, err)
	}
	// The new key alone, without the old one kept, would not do.
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[3], "retired "+k1.VerifierKey+" ") {
		t.Fatalf("the key file does not keep the old key as retired:\n%s", text)
	}
	fresh, err := audit.ParseKeys(lines[0], lines[1])
	if err != nil {
		t.Fatal(err)
	}
	rep, err = audit.New(db, fresh, hearth.SystemClock, nil).Verify(ctx, nil)
	if err != nil || rep.OK() {
		t.Fatalf("verify with only the new key: %+v, %v; want the old checkpoints and events unverifiable", rep, err)
	}
}
