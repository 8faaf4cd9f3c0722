package accounts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"hearth/internal/audit"
	"hearth/internal/secrets"
	"hearth/internal/store"
)

// Secrets at rest (issue 12 item 8; docs/security.md, "Secrets at rest"):
// TOTP secrets (enrolled, and pending with an enrolling session) and the
// hashes recovery codes are checked against are sealed with the secrets
// key (package secrets), bound to their account and their column. A copy
// of the database, or a backup of it, holds no second factor.
//
// Passkeys are not sealed, by decision: a passkey credential is a public
// key, its ID and a signature counter. None of it can sign anyone in (the
// private key never leaves the person's device), and the credential ID is
// looked up when a passkey is added, to refuse one already in use.

// The purposes a sealed value is bound to, beside its account.
const (
	purposeTOTP        = "totp"
	purposePendingTOTP = "totp-pending"
	purposeRecovery    = "recovery-code"
)

// open opens a sealed value of the account's.
func (s *Service) open(purpose, owner, sealed string) (string, error) {
	v, err := s.keys.Open(purpose, owner, sealed)
	if err != nil {
		return "", fmt.Errorf("accounts: %s of account %s: %w", purpose, owner, err)
	}
	return v, nil
}

// sealedColumn is a column of sealed values and the account each row
// belongs to.
type sealedColumn struct {
	table, column, owner, purpose string
	key                           []string // the row's primary key columns
}

var sealedColumns = []sealedColumn{
	{table: "users", column: "totp_secret", owner: "id", purpose: purposeTOTP, key: []string{"id"}},
	{table: "sessions", column: "pending_secret", owner: "user_id", purpose: purposePendingTOTP, key: []string{"id_hash"}},
	{table: "recovery_codes", column: "code_hash", owner: "user_id", purpose: purposeRecovery, key: []string{"user_id", "code_hash"}},
}

// SealedKeyIDs lists the IDs of the keys that values in the database are
// sealed under, so that Hearth refuses to start without them rather than
// make a new key that opens none.
func SealedKeyIDs(ctx context.Context, db *store.DB) ([]string, error) {
	seen := map[string]bool{}
	for _, c := range sealedColumns {
		rows, err := db.Query(ctx, `SELECT DISTINCT `+keyIDExpr(db.Dialect(), c.column)+` FROM `+c.table+` WHERE `+c.column+` LIKE 's1:%'`)
		if err != nil {
			return nil, fmt.Errorf("accounts: sealed keys in %s: %w", c.table, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			seen[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// keyIDExpr is the SQL for the key ID of a sealed value ("s1:<id>:...").
func keyIDExpr(d store.Dialect, column string) string {
	if d == store.Postgres {
		return `split_part(` + column + `, ':', 2)`
	}
	return `substr(` + column + `, 4, instr(substr(` + column + `, 4), ':') - 1)`
}

// SealSecrets seals every second-factor secret still held in the clear
// (from before secrets were sealed), checking each opens again before it
// is written, and says how many it sealed. It runs at every start, so a
// database upgraded in place is sealed before it serves; it writes nothing
// when there is nothing to seal.
func (s *Service) SealSecrets(ctx context.Context) (int, error) {
	return s.reseal(ctx, func(column string) (string, []any) { return column + ` NOT LIKE 's1:%'`, nil })
}

// Reseal seals again, under the sealing key, every value sealed under
// another: the middle step of rotating the secrets key. Audited as
// "secrets-rotate" by operator.
func (s *Service) Reseal(ctx context.Context, by Actor, meta Meta) (int, error) {
	current := s.keys.CurrentID()
	n, err := s.reseal(ctx, func(column string) (string, []any) {
		return column + ` NOT LIKE ?`, []any{"s1:" + current + ":%"}
	})
	if err != nil {
		return n, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		return s.audit(ctx, tx, actorEvent(by, "secrets-rotate", audit.OutcomeSuccess, "",
			fmt.Sprintf("sealed %d second-factor secrets again under key %s", n, current)), meta)
	})
	return n, err
}

// reseal opens (when sealed) and seals again every non-empty value that
// needs it (the SQL condition needs gives for a column), table by table,
// each in one transaction.
func (s *Service) reseal(ctx context.Context, needs func(column string) (string, []any)) (int, error) {
	total := 0
	for _, c := range sealedColumns {
		err := s.db.Tx(ctx, func(tx *store.Tx) error {
			cols := strings.Join(c.key, ", ")
			cond, args := needs(c.column)
			rows, err := tx.Query(ctx, `SELECT `+c.owner+`, `+c.column+`, `+cols+` FROM `+c.table+` WHERE `+c.column+` <> '' AND `+cond, args...)
			if err != nil {
				return err
			}
			type change struct {
				owner, old string
				keys       []any
			}
			var todo []change
			for rows.Next() {
				var ch change
				ch.keys = make([]any, len(c.key))
				dest := []any{&ch.owner, &ch.old}
				ptrs := make([]string, len(c.key))
				for i := range ptrs {
					dest = append(dest, &ptrs[i])
				}
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return err
				}
				for i := range ptrs {
					ch.keys[i] = ptrs[i]
				}
				todo = append(todo, ch)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			where := make([]string, len(c.key))
			for i, k := range c.key {
				where[i] = k + " = ?"
			}
			for _, ch := range todo {
				plain := ch.old
				if secrets.IsSealed(ch.old) {
					if plain, err = s.open(c.purpose, ch.owner, ch.old); err != nil {
						return err
					}
				}
				sealed, err := s.keys.Seal(c.purpose, ch.owner, plain)
				if err != nil {
					return err
				}
				// Never lose a secret: what is written must open to what
				// was there.
				if back, err := s.keys.Open(c.purpose, ch.owner, sealed); err != nil || back != plain {
					return fmt.Errorf("accounts: a sealed %s does not open again; nothing was changed", c.purpose)
				}
				args := append([]any{sealed}, ch.keys...)
				if _, err := tx.Exec(ctx, `UPDATE `+c.table+` SET `+c.column+` = ? WHERE `+strings.Join(where, " AND "), args...); err != nil {
					return fmt.Errorf("accounts: seal %s: %w", c.purpose, err)
				}
			}
			total += len(todo)
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
