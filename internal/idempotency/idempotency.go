// Package idempotency makes a form that is sent twice save once. Every form
// Hearth renders carries a random key (the web layer adds it beside the
// CSRF token); a request that writes claims its account's key inside the
// same transaction as the write, through the door, so the key is durable
// exactly when the write is. When the answer is lost (the connection broke
// during COMMIT, the person's phone lost signal, they pressed the button
// twice) the retry finds the key and is answered as the first request was,
// and nothing is written again: a medicine dose recorded twice is a
// medication error. The same key with a different form is refused.
//
// It holds no one's care record: an account ID, a random key, a hash of
// the form and where the first answer pointed.
package idempotency

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"hearth"
	"hearth/internal/store"
)

// Field is the form field that carries the key.
const Field = "idem"

// Life is how long a key is remembered: long enough for anyone to retry,
// short enough that the table stays small.
const Life = 24 * time.Hour

// ErrAlreadySent is the error of a request whose key another request
// claimed first: its write was not made, and the web middleware answers it
// as the first request was answered.
var ErrAlreadySent = errors.New("idempotency: this form was already sent")

// Keys finds and records keys.
type Keys struct {
	db    *store.DB
	clock hearth.Clock
}

// New returns Keys over db.
func New(db *store.DB, clock hearth.Clock) *Keys { return &Keys{db: db, clock: clock} }

// Valid reports whether key has the shape of a key Hearth hands out (16 to
// 64 URL-safe base64 characters), so anything else is refused unread.
func Valid(key string) bool {
	if len(key) < 16 || len(key) > 64 {
		return false
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// BodyHash is what "the same form" means: the method, the path and every
// field but the CSRF token and the key itself, in a fixed order.
func BodyHash(method, path string, form url.Values) string {
	f := url.Values{}
	for k, v := range form {
		if k != "csrf" && k != Field {
			f[k] = v
		}
	}
	sum := sha256.Sum256([]byte(method + "\n" + path + "\n" + f.Encode()))
	return hex.EncodeToString(sum[:])
}

// Claim is one request's key, carried in its context from the web
// middleware to the door.
type Claim struct {
	AccountID, Key, BodyHash string

	mu    sync.Mutex
	state claimState
}

type claimState int

const (
	open      claimState = iota // not yet taken by a write
	taking                      // taken in a transaction not yet ended
	committed                   // durable with the write that took it
	unknown                     // taken in a transaction whose commit went unanswered
)

type ctxKey struct{}

// WithClaim returns ctx carrying c.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext returns the request's claim, or nil.
func FromContext(ctx context.Context) *Claim {
	c, _ := ctx.Value(ctxKey{}).(*Claim)
	return c
}

// Take records the claim in tx, the transaction of the request's first
// write, unless an earlier transaction of the same request already did. It
// reports whether it took the claim now, so the caller can say how that
// transaction ended (Ended). Another request that took the same key first
// makes it fail with ErrAlreadySent (on PostgreSQL after waiting for that
// request's transaction to end).
func (c *Claim) Take(ctx context.Context, tx *store.Tx, now time.Time) (bool, error) {
	if c == nil {
		return false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != open {
		return false, nil
	}
	// Keys past their life are forgotten (nobody can be retrying them),
	// a few at a time as writes go by.
	if _, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE expires_at <= ?`, now); err != nil {
		return false, fmt.Errorf("idempotency: forget expired keys: %w", err)
	}
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (account_id, key, body_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.AccountID, c.Key, c.BodyHash, now, now.Add(Life))
	if store.IsUniqueViolation(err) {
		// Not a hearth.Error: no handler may show it as its own; the web
		// middleware answers it (as the first request was answered).
		return false, ErrAlreadySent
	}
	if err != nil {
		return false, fmt.Errorf("idempotency: claim key: %w", err)
	}
	c.state = taking
	return true, nil
}

// Ended says how the transaction that took the claim ended: committed
// (the claim is durable), rolled back (it is free again), or unknown.
func (c *Claim) Ended(didCommit, known bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !known:
		c.state = unknown
	case didCommit:
		c.state = committed
	default:
		c.state = open
	}
}

// Committed reports whether a committed write holds the claim, so its
// answer should be recorded.
func (c *Claim) Committed() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == committed
}

// Record is what is remembered of a key.
type Record struct {
	BodyHash string
	Status   int    // the first answer's HTTP status; 0 when not recorded
	Location string // where it redirected
}

// Find returns the live record of the account's key.
func (k *Keys) Find(ctx context.Context, accountID, key string) (Record, bool, error) {
	var r Record
	var status sql.NullInt64
	err := k.db.QueryRow(ctx, `SELECT body_hash, status, location FROM idempotency_keys
		WHERE account_id = ? AND key = ? AND expires_at > ?`, accountID, key, k.clock()).Scan(&r.BodyHash, &status, &r.Location)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("idempotency: find key: %w", err)
	}
	r.Status = int(status.Int64)
	return r, true, nil
}

// Answer records the first answer to the account's key.
func (k *Keys) Answer(ctx context.Context, accountID, key string, status int, location string) error {
	if _, err := k.db.Exec(ctx, `UPDATE idempotency_keys SET status = ?, location = ? WHERE account_id = ? AND key = ?`,
		status, location, accountID, key); err != nil {
		return fmt.Errorf("idempotency: record answer: %w", err)
	}
	return nil
}
