package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"hearth"
)

// Params are the argon2id cost parameters. They are written into every hash
// (PHC string format), so they can be raised later: old hashes still verify
// and are re-hashed with the new parameters at the next successful sign-in.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
}

// DefaultParams follow the OWASP Password Storage Cheat Sheet's first
// argon2id configuration: 19 MiB of memory, 2 iterations, 1 degree of
// parallelism.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// TestParams are deliberately weak so that tests run fast. Never use them
// for real accounts.
var TestParams = Params{Memory: 64, Time: 1, Threads: 1}

const (
	saltLen = 16 // bytes; RFC 9106 recommends 128 bits
	keyLen  = 32 // bytes of derived key

	// MinPasswordLen follows NCSC and NIST SP 800-63B: length matters more
	// than composition rules, so there are none of the latter.
	MinPasswordLen = 12
	// MaxPasswordLen keeps a pasted novel from costing anything; it is far
	// above the 64 characters NIST asks services to allow.
	MaxPasswordLen = 256
)

// HashPassword derives an argon2id hash of password with a fresh random salt
// and returns it in PHC string format:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
func HashPassword(password string, p Params) string {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// b64 is the PHC format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

var errBadHash = errors.New("accounts: stored password hash is not an argon2id PHC string")

// parseHash splits a PHC string into its parameters, salt and key.
func parseHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) == 0 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC-encoded hash,
// comparing in constant time. An error means the stored hash is malformed,
// never that the password is wrong.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, want, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// needsRehash reports whether encoded was made with parameters other than p.
func needsRehash(encoded string, p Params) bool {
	got, _, _, err := parseHash(encoded)
	return err != nil || got != p
}

// CheckPassword applies the password policy and returns a KindInvalid error
// naming the field "Password", or nil. The policy is NCSC's and NIST
// SP 800-63B's: long enough, not the username, not one repeated character.
func CheckPassword(username, password string) error {
	var p hearth.Problems
	checkPassword(&p, username, password)
	return p.Err()
}

func checkPassword(p *hearth.Problems, username, password string) {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		p.Add("Password", fmt.Sprintf("Password must be at least %d characters long", MinPasswordLen))
	case n > MaxPasswordLen:
		p.Add("Password", fmt.Sprintf("Password must be at most %d characters long", MaxPasswordLen))
	case username != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(username)):
		p.Add("Password", "Password must not be the same as the username")
	case allOneCharacter(password):
		p.Add("Password", "Password must not be one character repeated")
	}
}

func allOneCharacter(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	for _, r := range s {
		if r != first {
			return false
		}
	}
	return true
}
