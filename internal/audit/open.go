package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"hearth/internal/store"
)

// ErrKeyMismatch is the error for a log whose key is not in the key file:
// Hearth refuses to start rather than sign and MAC under another key (a log
// under two keys can never verify again).
var ErrKeyMismatch = errors.New("the audit key does not match the audit log")

// OpenKeys loads the audit key file at path for the log in db. A first key
// is created only for a log with no events and no witnessed checkpoints (a
// brand-new database): created reports it. A log with events and no key
// file, or a key file that did not sign the log's latest checkpoint (or MAC
// its events), is refused with an error that names the key the log expects
// and where Hearth looked. A new key for a log with events is made only by
// an explicit command (hearth audit key new, or rotate).
func OpenKeys(ctx context.Context, db *store.DB, path, witnessPath string) (keys *Keys, created bool, err error) {
	exists, err := keyFileExists(path)
	if err != nil {
		return nil, false, fmt.Errorf("audit key file %s: %w", path, err)
	}
	hasEvents, err := LogHasEvents(ctx, db)
	if err != nil {
		return nil, false, err
	}
	if !exists {
		if hasEvents {
			expect, err := ExpectedKey(ctx, db)
			if err != nil {
				return nil, false, err
			}
			return nil, false, fmt.Errorf("%w: the audit log in this database has events signed with %s, but there is no audit key file at %s. "+
				"Put that key file there, or name it with --audit-key-file (HEARTH_AUDIT_KEY_FILE). "+
				"Hearth never makes a new key for a log that has events: if the key is truly lost, 'hearth audit key new --replace-lost-key' records the replacement",
				ErrKeyMismatch, expect, path)
		}
		if witnessPath != "" {
			if ids := witnessKeyIDs(witnessPath); len(ids) > 0 {
				return nil, false, fmt.Errorf("%w: the audit log in this database is empty, but the witness file %s holds checkpoints signed with key %s: "+
					"the log was emptied, or this database is not the one that file witnesses. There is no audit key file at %s; put the key file there "+
					"(hearth audit verify then shows what is missing), or name another witness file with --witness-file",
					ErrKeyMismatch, witnessPath, strings.Join(ids, ", "), path)
			}
		}
		k, err := CreateKeyFile(path)
		return k, err == nil, err
	}
	k, err := LoadKeys(path)
	if err != nil {
		return nil, false, err
	}
	if hasEvents {
		if err := checkKeysMatch(ctx, db, k, path); err != nil {
			return nil, false, err
		}
	}
	return k, false, nil
}

// LogHasEvents reports whether the audit log holds any event.
func LogHasEvents(ctx context.Context, db *store.DB) (bool, error) {
	var id string
	err := db.QueryRow(ctx, `SELECT id FROM audit_events ORDER BY id LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("audit: read the log: %w", err)
	}
	return true, nil
}

// ExpectedKey says, in words, which key the log in db was signed with: the
// key ID on its latest signed checkpoint, or, before any checkpoint, that
// no checkpoint names it yet.
func ExpectedKey(ctx context.Context, db *store.DB) (string, error) {
	var signed string
	err := db.QueryRow(ctx, `SELECT signed FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&signed)
	if errors.Is(err, sql.ErrNoRows) {
		return "a key no signed checkpoint names yet (the events are not sealed)", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit: read the latest checkpoint: %w", err)
	}
	ids := signerIDs(signed)
	if len(ids) == 0 {
		return "a key its latest checkpoint does not name (the checkpoint is damaged)", nil
	}
	return "key " + strings.Join(ids, ", "), nil
}

// checkKeysMatch checks that k signed the log's latest checkpoint, or,
// with none yet, MACed one of its latest events.
func checkKeysMatch(ctx context.Context, db *store.DB, k *Keys, path string) error {
	var size int64
	var signed string
	err := db.QueryRow(ctx, `SELECT tree_size, signed FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&size, &signed)
	switch {
	case err == nil:
		if _, err := note.Open([]byte(signed), k.Verifiers()); err == nil {
			return nil
		}
		return fmt.Errorf("%w: the audit log's latest signed checkpoint (for %d events) is signed with key %s, "+
			"but the audit key file %s holds %s. Put the right key file there, or name it with --audit-key-file (HEARTH_AUDIT_KEY_FILE)",
			ErrKeyMismatch, size, strings.Join(signerIDs(signed), ", "), path, strings.Join(k.IDs(), ", "))
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("audit: read the latest checkpoint: %w", err)
	}
	// Nothing sealed yet: one of the latest events must carry a MAC under
	// one of the keys (one forged row must not stop Hearth starting).
	l := &Log{db: db, keys: k}
	rows, err := db.Query(ctx, `SELECT `+eventColumns+`, mac FROM audit_events ORDER BY id DESC LIMIT 20`)
	if err != nil {
		return fmt.Errorf("audit: read the log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mac string
		ev, err := scanEvent(rows, &mac)
		if err != nil {
			return fmt.Errorf("audit: read the log: %w", err)
		}
		if l.macOK(ev.Leaf(), mac) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: read the log: %w", err)
	}
	return fmt.Errorf("%w: the audit log's events (none sealed yet) were written under a key the audit key file %s does not hold (it holds %s). "+
		"Put the right key file there, or name it with --audit-key-file (HEARTH_AUDIT_KEY_FILE)", ErrKeyMismatch, path, strings.Join(k.IDs(), ", "))
}

// signerIDs lists the IDs of the keys that signed a note, without checking
// the signatures.
func signerIDs(signed string) []string {
	_, err := note.Open([]byte(signed), note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil
	}
	var ids []string
	for _, s := range unverified.Note.UnverifiedSigs {
		ids = append(ids, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	return ids
}

// witnessKeyIDs lists the keys that signed the first checkpoint in the
// witness file at path, if there is one.
func witnessKeyIDs(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(strings.TrimLeft(string(b), "\n"), "\n\n— ")
	_, rest, ok := strings.Cut(strings.TrimLeft(string(b), "\n"), "\n\n— ")
	if !ok {
		return nil
	}
	sigs, _, _ := strings.Cut(rest, "\n\n")
	return signerIDs(first + "\n\n— " + sigs + "\n")
}
