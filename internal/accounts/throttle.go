package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"hearth/internal/store"
)

// Sign-in that strangers cannot block (issue 12 item 7; docs/security.md,
// "Signing in"). Failed attempts fill leaky buckets kept in the database,
// so every `serve` node on one PostgreSQL sees the same counts: each
// failure adds one, and the count halves every half-life, so guessing is
// slowed for ever but nobody is locked out for ever. There are four:
//
//   - the pair (username, address): a stranger's guesses from their
//     address lock only their own pair, never the person at theirs;
//   - the account (username): it fills only with many failures from many
//     addresses (each pair stops at its own limit first), and empties in
//     minutes;
//   - the address: every failure from one address, whatever the username,
//     so one address cannot walk through the usernames;
//   - the password (a 16-bit prefix of a hash of what was typed): one
//     password tried across many accounts from many addresses, a spray.
//
// Buckets are keyed by hashes of the username and address, whether or not
// the username exists, so a made-up username locks exactly as a real one
// does and nothing about accounts can be learnt from the locks.

// limit is one bucket's key and rule.
type limit struct {
	kind  string // pair, account, address, password
	key   string
	after int           // failures at which the bucket refuses
	half  time.Duration // how long the count takes to halve
	quiet bool          // refusing says so (the address): it reveals nothing about any account
}

func keyHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// passwordPrefix is 16 bits of a hash of a typed password: enough to see
// one password sprayed across accounts, far too little to learn it.
func passwordPrefix(password string) string {
	sum := sha256.Sum256([]byte("hearth password spray\x00" + password))
	return hex.EncodeToString(sum[:2])
}

// limits are the buckets an attempt by username from addr with password
// (empty at the second step) falls in.
func (s *Service) limits(username, addr, password string) []limit {
	u := keyHash("username", username)
	out := []limit{
		{kind: "pair", key: "pair:" + u + ":" + keyHash("address", addr), after: s.cfg.PairLockAfter, half: s.cfg.PairHalfLife},
		{kind: "account", key: "account:" + u, after: s.cfg.AccountLockAfter, half: s.cfg.AccountHalfLife},
		{kind: "address", key: "address:" + keyHash("address", addr), after: s.cfg.AddressLockAfter, half: s.cfg.AddressHalfLife, quiet: true},
	}
	if password != "" {
		out = append(out, limit{kind: "password", key: "password:" + passwordPrefix(password), after: s.cfg.PasswordLockAfter, half: s.cfg.PasswordHalfLife})
	}
	return out
}

func decayed(failures float64, since, half time.Duration) float64 {
	if since <= 0 {
		return failures
	}
	return failures * math.Exp2(-since.Seconds()/half.Seconds())
}

// refusal is a bucket that is full, and how long until it lets one more
// attempt through.
type refusal struct {
	limit
	wait time.Duration
}

// rowReader runs a query for one row: through the database, a transaction
// or a door scope (a witness confirming a password).
type rowReader func(query string, args ...any) scanner

func readerOf(ctx context.Context, q querier) rowReader {
	return func(query string, args ...any) scanner { return q.QueryRow(ctx, query, args...) }
}

// throttled returns the first full bucket among lims (a quiet one first),
// or ok when none is. A bucket is full while one more failure would bring
// it to its limit.
func throttled(read rowReader, lims []limit, now time.Time) (refusal, bool, error) {
	var found []refusal
	for _, l := range lims {
		var failures float64
		var at time.Time
		err := read(`SELECT failures, at FROM signin_throttle WHERE key = ?`, l.key).Scan(&failures, &at)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return refusal{}, false, fmt.Errorf("accounts: read sign-in limits: %w", err)
		}
		v := decayed(failures, now.Sub(at), l.half)
		if v+1 > float64(l.after) {
			// Until v decays to after-1.
			wait := time.Duration(l.half.Seconds() * math.Log2(v/float64(l.after-1)) * float64(time.Second))
			found = append(found, refusal{limit: l, wait: max(wait, time.Second)})
		}
	}
	if len(found) == 0 {
		return refusal{}, true, nil
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].quiet && !found[j].quiet })
	return found[0], false, nil
}

// countFailure adds one failure to each bucket in lims, in tx. Rows are
// made if missing, then locked in key order (on PostgreSQL FOR UPDATE;
// SQLite's transaction is already the only writer), so concurrent
// failures all count and never deadlock.
func countFailure(ctx context.Context, tx *store.Tx, lims []limit, now time.Time) error {
	sorted := append([]limit(nil), lims...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].key < sorted[j].key })
	// Buckets quiet for fourteen half-lives hold under a ten-thousandth of
	// a failure: forget them, so the table holds only recent trouble.
	var longest time.Duration
	for _, l := range lims {
		longest = max(longest, l.half)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM signin_throttle WHERE at < ?`, now.Add(-14*longest)); err != nil {
		return fmt.Errorf("accounts: forget old sign-in failures: %w", err)
	}
	lock := ""
	if tx.Dialect() == store.Postgres {
		lock = " FOR UPDATE"
	}
	for _, l := range sorted {
		if _, err := tx.Exec(ctx, `INSERT INTO signin_throttle (key, failures, at) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING`, l.key, now); err != nil {
			return fmt.Errorf("accounts: count failed attempt: %w", err)
		}
		var failures float64
		var at time.Time
		if err := tx.QueryRow(ctx, `SELECT failures, at FROM signin_throttle WHERE key = ?`+lock, l.key).Scan(&failures, &at); err != nil {
			return fmt.Errorf("accounts: count failed attempt: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE signin_throttle SET failures = ?, at = ? WHERE key = ?`,
			decayed(failures, now.Sub(at), l.half)+1, now, l.key); err != nil {
			return fmt.Errorf("accounts: count failed attempt: %w", err)
		}
	}
	return nil
}

// clearPair empties the pair bucket of username at addr: the person has
// just proved who they are from there.
func (s *Service) clearPair(ctx context.Context, tx *store.Tx, username, addr string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM signin_throttle WHERE key = ?`, s.limits(username, addr, "")[0].key); err != nil {
		return fmt.Errorf("accounts: clear sign-in limit: %w", err)
	}
	return nil
}

// clearAccount empties the account's own buckets (the account and every
// pair): an administrator set a new password.
func clearAccount(ctx context.Context, tx *store.Tx, username string) error {
	u := keyHash("username", username)
	if _, err := tx.Exec(ctx, `DELETE FROM signin_throttle WHERE key = ? OR key LIKE ?`, "account:"+u, "pair:"+u+":%"); err != nil {
		return fmt.Errorf("accounts: clear sign-in limits: %w", err)
	}
	return nil
}
