package audit

import (
	"context"
	"encoding/hex"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"hearth"
)

// LatestCheckpoint returns the newest signed checkpoint, as the signed note
// text (the tlog tree head and its signature lines): what an outside
// witness fetches and keeps. It holds no personal data.
func (l *Log) LatestCheckpoint(ctx context.Context) (string, error) {
	cp, ok, err := l.latestCheckpoint(ctx)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", hearth.NotFound("A signed checkpoint")
	}
	return cp.signed, nil
}

// Consistency is an RFC 6962 consistency proof that the tree of New events
// holds the tree of Old events as its prefix, with both trees' roots as
// the database stores them. A witness checks it with tlog.CheckTree against
// roots it holds in signed checkpoints, never against these.
type Consistency struct {
	Old     int64    `json:"old"`
	New     int64    `json:"new"`
	OldRoot string   `json:"old_root"` // hex
	NewRoot string   `json:"new_root"` // hex
	Proof   []string `json:"proof"`    // hex hashes, as tlog.ProveTree gives them
}

// ConsistencyProof proves that the tree of newSize events extends the tree
// of oldSize events. Sizes must satisfy 1 <= old <= new <= the latest signed
// checkpoint's size.
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (Consistency, error) {
	cp, ok, err := l.latestCheckpoint(ctx)
	if err != nil {
		return Consistency{}, err
	}
	if err := checkSizes(oldSize, newSize, cp.size, ok); err != nil {
		return Consistency{}, err
	}
	hashes := &hashStore{ctx: ctx, q: l.db, cache: map[int64]tlog.Hash{}}
	proof, err := tlog.ProveTree(newSize, oldSize, hashes)
	if err != nil {
		return Consistency{}, fmt.Errorf("audit: prove %d extends %d: %w", newSize, oldSize, err)
	}
	oldRoot, err := tlog.TreeHash(oldSize, hashes)
	if err != nil {
		return Consistency{}, fmt.Errorf("audit: tree hash at %d: %w", oldSize, err)
	}
	newRoot, err := tlog.TreeHash(newSize, hashes)
	if err != nil {
		return Consistency{}, fmt.Errorf("audit: tree hash at %d: %w", newSize, err)
	}
	c := Consistency{Old: oldSize, New: newSize, OldRoot: hex.EncodeToString(oldRoot[:]), NewRoot: hex.EncodeToString(newRoot[:]),
		Proof: make([]string, len(proof))}
	for i, h := range proof {
		c.Proof[i] = hex.EncodeToString(h[:])
	}
	return c, nil
}

func checkSizes(oldSize, newSize, latest int64, any bool) error {
	switch {
	case !any:
		return hearth.NotFound("A signed checkpoint")
	case oldSize < 1:
		return hearth.Invalid("old", "The old tree size must be a whole number of at least 1")
	case newSize < oldSize:
		return hearth.Invalid("new", "The new tree size must be at least the old tree size")
	case newSize > latest:
		return hearth.Invalid("new", fmt.Sprintf("The new tree size must be at most %d, the size of the latest signed checkpoint", latest))
	}
	return nil
}

// CheckConsistent checks that the log today extends the tree head signed
// in checkpoint (a receipt's, or a witness's): the checkpoint must carry a
// valid signature under one of the log's keys, the latest signed checkpoint
// must be at least as large, and the stored tree must prove that it holds
// the checkpoint's tree as its prefix. A log cut back or rewritten since
// the checkpoint was signed fails with a KindConflict error that says how,
// in words a person can read; any other error is the database's.
func (l *Log) CheckConsistent(ctx context.Context, checkpoint string) error {
	w, err := openCheckpoint(checkpoint, l.keys.Verifiers())
	if err != nil {
		return hearth.Errorf(hearth.KindConflict, "The checkpoint %s", err)
	}
	cp, ok, err := l.latestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if !ok || cp.size < w.Tree.N {
		has := "no signed checkpoint at all"
		if ok {
			has = fmt.Sprintf("only %d", cp.size)
		}
		return hearth.Errorf(hearth.KindConflict, "Hearth's audit log has been cut back: this receipt's checkpoint vouches for %d events, but the log today has %s", w.Tree.N, has)
	}
	latest, err := openCheckpoint(cp.signed, l.keys.Verifiers())
	if err != nil {
		return hearth.Errorf(hearth.KindConflict, "The audit log's latest checkpoint %s", err)
	}
	hashes := &hashStore{ctx: ctx, q: l.db, cache: map[int64]tlog.Hash{}}
	proof, err := tlog.ProveTree(latest.Tree.N, w.Tree.N, hashes)
	if err == nil {
		err = tlog.CheckTree(proof, latest.Tree.N, latest.Tree.Hash, w.Tree.N, w.Tree.Hash)
	}
	if err != nil {
		return hearth.Errorf(hearth.KindConflict, "Hearth's audit log has been rewritten: today's log of %d events does not contain the %d events this receipt's checkpoint vouches for", latest.Tree.N, w.Tree.N)
	}
	return nil
}
