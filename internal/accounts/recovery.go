package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"hearth/internal/store"
)

// Recovery codes let someone who has lost their phone sign in once each, in
// place of an authenticator code. They are shown once, at enrolment, and
// stored only as SHA-256 hashes: 50 random bits each is far beyond what the
// lockout lets anyone guess, so a slow hash would add nothing.
const (
	recoveryCodeCount = 10
	recoveryCodeLen   = 10 // characters, shown as two groups of five
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so a code
// copied by hand from paper cannot be misread.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// newRecoveryCode returns a code such as "7k2mx-q9d4r".
func newRecoveryCode() string {
	var raw [recoveryCodeLen]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+)
	var b strings.Builder
	for i, c := range raw {
		if i == recoveryCodeLen/2 {
			b.WriteByte('-')
		}
		b.WriteByte(crockford[c&31])
	}
	return b.String()
}

// normaliseCode turns what a person typed into the canonical form of a code:
// spaces and hyphens dropped, lower case, and the letters Crockford's
// alphabet leaves out read as the digits they look like.
func normaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		case 'i', 'I', 'l', 'L':
			return '1'
		case 'o', 'O':
			return '0'
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(code))
}

func hashRecoveryCode(normalised string) string {
	sum := sha256.Sum256([]byte("hearth recovery code\x00" + normalised))
	return hex.EncodeToString(sum[:])
}

// replaceRecoveryCodes deletes any codes the user had and stores the hashes
// of a fresh set, sealed (secrets.go: fifty random bits are within reach of
// a GPU that has the database and a bare hash), returning the codes to show
// once.
func (s *Service) replaceRecoveryCodes(ctx context.Context, tx *store.Tx, userID string) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return nil, fmt.Errorf("accounts: delete recovery codes: %w", err)
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		sealed, err := s.keys.Seal(purposeRecovery, userID, hashRecoveryCode(normaliseCode(codes[i])))
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, sealed); err != nil {
			return nil, fmt.Errorf("accounts: store recovery code: %w", err)
		}
	}
	return codes, nil
}

// useRecoveryCode marks the code used if it is one of the user's unused
// codes, and reports whether it was, with how many remain. Each unused
// code's sealed hash is opened and compared in constant time (sealing is
// randomised, so there is nothing to look up by); the guarded UPDATE means
// two requests racing with the same code cannot both win.
func (s *Service) useRecoveryCode(ctx context.Context, tx *store.Tx, userID, code string, now time.Time) (ok bool, left int, err error) {
	want := hashRecoveryCode(normaliseCode(code))
	rows, err := tx.Query(ctx, `SELECT code_hash FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID)
	if err != nil {
		return false, 0, fmt.Errorf("accounts: read recovery codes: %w", err)
	}
	var sealed []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return false, 0, fmt.Errorf("accounts: read recovery codes: %w", err)
		}
		sealed = append(sealed, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, 0, fmt.Errorf("accounts: read recovery codes: %w", err)
	}
	match := ""
	for _, v := range sealed {
		h, err := s.open(purposeRecovery, userID, v)
		if err != nil {
			return false, 0, err
		}
		if subtle.ConstantTimeCompare([]byte(h), []byte(want)) == 1 {
			match = v
		}
	}
	if match == "" {
		return false, 0, nil
	}
	res, err := tx.Exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		now.UTC(), userID, match)
	if err != nil {
		return false, 0, fmt.Errorf("accounts: use recovery code: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, 0, fmt.Errorf("accounts: use recovery code: %w", err)
	}
	if n != 1 {
		return false, 0, nil
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&left); err != nil {
		return false, 0, fmt.Errorf("accounts: count recovery codes: %w", err)
	}
	return true, left, nil
}
