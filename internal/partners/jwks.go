package partners

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// KeySet is a partner's validated public keys.
type KeySet struct {
	keys []jose.JSONWebKey
	json string // the set as stored: public members only
}

// Key describes one registered key, for the screens and the CLI.
type Key struct {
	ID        string // kid
	Algorithm string // RS384 or ES384
}

func (k KeySet) info() []Key {
	out := make([]Key, len(k.keys))
	for i, key := range k.keys {
		out[i] = Key{ID: key.KeyID, Algorithm: key.Algorithm}
	}
	return out
}

// byID returns the key with this kid.
func (k KeySet) byID(kid string) (jose.JSONWebKey, bool) {
	for _, key := range k.keys {
		if key.KeyID == kid {
			return key, true
		}
	}
	return jose.JSONWebKey{}, false
}

// maxJWKS bounds a pasted key set: a few RSA keys fit with room to spare.
const maxJWKS = 64 << 10

// privateMembers are the JWK members that only a private or symmetric key
// has (RFC 7518 sections 6.2.2, 6.3.2 and 6.4.1).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseJWKS reads a client's JSON Web Key Set and checks that it is fit to
// verify the client's assertions, as SMART Backend Services asks: every key
// public, each with a kid of its own, each an RS384 key (RSA, at least 2048
// bits) or an ES384 key (P-384), for signing. The error says which key
// breaks which rule, in words.
func ParseJWKS(text string) (KeySet, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return KeySet{}, errors.New("Paste the partner system's public keys, as a JSON Web Key Set (JWKS)")
	case len(text) > maxJWKS:
		return KeySet{}, fmt.Errorf("The key set is too large: the limit is %d KB", maxJWKS>>10)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&set); err != nil || dec.More() {
		return KeySet{}, errors.New(`The public keys must be a JSON Web Key Set: {"keys": [ ... ]}`)
	}
	if len(set.Keys) == 0 {
		return KeySet{}, errors.New(`The key set has no keys: it needs at least one, in "keys"`)
	}
	var out KeySet
	seen := map[string]bool{}
	for i, raw := range set.Keys {
		n := fmt.Sprintf("Key %d", i+1)
		var members map[string]json.RawMessage
		if err := json.Unmarshal(raw, &members); err != nil {
			return KeySet{}, fmt.Errorf("%s is not a JSON object", n)
		}
		var kid string
		_ = json.Unmarshal(members["kid"], &kid)
		if kid != "" {
			n += fmt.Sprintf(" (kid %q)", kid)
		}
		for _, m := range privateMembers {
			if _, ok := members[m]; ok {
				return KeySet{}, fmt.Errorf("%s is a private or secret key: paste the public keys only, and keep the private key with the partner", n)
			}
		}
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(raw); err != nil {
			return KeySet{}, fmt.Errorf("%s could not be read as a JSON Web Key: %v", n, err)
		}
		switch {
		case key.KeyID == "":
			return KeySet{}, fmt.Errorf("%s has no key ID: each key needs a kid", n)
		case seen[key.KeyID]:
			return KeySet{}, fmt.Errorf("%s repeats a key ID: each key needs a kid of its own", n)
		case key.Use != "" && key.Use != "sig":
			return KeySet{}, fmt.Errorf("%s is for %q: keys here verify signatures (use \"sig\")", n, key.Use)
		case !key.IsPublic() || !key.Valid():
			return KeySet{}, fmt.Errorf("%s is not a valid public key", n)
		}
		seen[key.KeyID] = true
		if err := fitForSMART(key); err != nil {
			return KeySet{}, fmt.Errorf("%s %v", n, err)
		}
		out.keys = append(out.keys, key)
	}
	// Stored as go-jose writes it back: the public members only, whatever
	// else was pasted.
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(jose.JSONWebKeySet{Keys: out.keys}); err != nil {
		return KeySet{}, fmt.Errorf("The key set could not be stored: %v", err)
	}
	out.json = strings.TrimSpace(buf.String())
	return out, nil
}

// fitForSMART checks a key's algorithm against its type: SMART Backend
// Services clients sign with RS384 or ES384.
func fitForSMART(key jose.JSONWebKey) error {
	switch key.Algorithm {
	case string(jose.RS384):
		k, ok := key.Key.(*rsa.PublicKey)
		if !ok {
			return errors.New("says RS384 but is not an RSA key")
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("is a %d-bit RSA key: RS384 keys must be at least 2048 bits", k.N.BitLen())
		}
	case string(jose.ES384):
		k, ok := key.Key.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P384() {
			return errors.New("says ES384 but is not an elliptic-curve key on P-384")
		}
	case "":
		return errors.New(`does not say its algorithm: add "alg": "ES384" or "alg": "RS384"`)
	default:
		return fmt.Errorf("uses %s: SMART Backend Services accepts RS384 or ES384 only", key.Algorithm)
	}
	return nil
}
