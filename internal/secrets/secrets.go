// Package secrets encrypts the few values in Hearth's database that would
// let someone sign in as somebody else if the database were copied: TOTP
// secrets and what recovery codes are checked against (issue 12 item 8;
// docs/security.md, "Secrets at rest"). The key lives in a file outside
// the database, beside the audit key, so a stolen database file or backup
// yields no second factors.
//
// Each value is sealed with AES-256-GCM (crypto/cipher, the standard
// library) under the current key, with a random nonce and, as associated
// data, what the value is and whose: a sealed secret copied onto another
// account, or into another column, does not open. A sealed value reads
//
//	s1:<key ID>:<base64url(nonce || ciphertext)>
//
// so it names the key that opens it: keys can be rotated (a new key seals,
// old keys still open until everything is sealed again), and the key file
// holds every key still needed.
package secrets

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// prefix marks a sealed value.
const prefix = "s1:"

// fileHeader is the key file's first line.
const fileHeader = "hearth secrets keys v1"

// ErrNoKey is the error for a sealed value whose key is not in the key
// file: the wrong file, or a key retired too soon.
var ErrNoKey = errors.New("secrets: the key that sealed this value is not in the key file")

// key is one AES-256 key and its ID.
type key struct {
	id   string
	aead cipher.AEAD
	raw  []byte
}

func newKey(raw []byte) (key, error) {
	if len(raw) != 32 {
		return key{}, fmt.Errorf("secrets: a key must be 32 bytes, not %d", len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	sum := sha256.Sum256(append([]byte("hearth secrets key id\x00"), raw...))
	return key{id: hex.EncodeToString(sum[:6]), aead: aead, raw: raw}, nil
}

// Keyring is the key file's keys: the first seals, all open. It rereads
// the file when asked to open a value sealed under a key it does not hold
// (another node, or `hearth secrets rotate`, may have added one).
type Keyring struct {
	path string
	mu   sync.RWMutex
	keys []key
}

// Path is where the key file is.
func (k *Keyring) Path() string { return k.path }

// CurrentID is the ID of the key that seals.
func (k *Keyring) CurrentID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[0].id
}

// IDs lists the IDs of every key in the file, the sealing one first.
func (k *Keyring) IDs() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, len(k.keys))
	for i, key := range k.keys {
		out[i] = key.id
	}
	return out
}

// Load reads the key file at path.
func Load(path string) (*Keyring, error) {
	keys, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return &Keyring{path: path, keys: keys}, nil
}

// Create makes a new key file at path with one new key, mode 0600. It
// refuses to overwrite a file that is there.
func Create(path string) (*Keyring, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k, err := newKey(raw)
	if err != nil {
		return nil, err
	}
	if err := writeFile(path, []key{k}, false); err != nil {
		return nil, err
	}
	return &Keyring{path: path, keys: []key{k}}, nil
}

// Exists reports whether there is a key file at path.
func Exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readFile(path string) ([]key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets key file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var keys []key
	first := true
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if first {
			if line != fileHeader {
				return nil, fmt.Errorf("secrets key file %s: not a Hearth secrets key file (its first line is not %q)", path, fileHeader)
			}
			first = false
			continue
		}
		id, enc, ok := strings.Cut(line, " ")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if !ok || err != nil {
			return nil, fmt.Errorf("secrets key file %s: a key line must be \"<id> <base64 key>\"", path)
		}
		k, err := newKey(raw)
		if err != nil {
			return nil, fmt.Errorf("secrets key file %s: %w", path, err)
		}
		if k.id != id {
			return nil, fmt.Errorf("secrets key file %s: key %s does not match its ID (the file is damaged)", path, id)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("secrets key file %s: holds no key", path)
	}
	return keys, nil
}

// writeFile writes keys to path through a temporary file renamed into
// place, synced, so the file is never half written.
func writeFile(path string, keys []key, replace bool) error {
	if !replace && Exists(path) {
		return fmt.Errorf("secrets key file %s already exists", path)
	}
	var b strings.Builder
	b.WriteString(fileHeader + "\n")
	b.WriteString("# The first key seals; every key opens. Keep this file outside the database and its backups.\n")
	for _, k := range keys {
		b.WriteString(k.id + " " + base64.StdEncoding.EncodeToString(k.raw) + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secrets-key-*")
	if err != nil {
		return fmt.Errorf("write secrets key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write secrets key file: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// AddKey puts a new key first in the file (it seals from now on) and keeps
// the others (they still open what they sealed). It returns the new key's
// ID.
func (k *Keyring) AddKey() (string, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	nk, err := newKey(raw)
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := append([]key{nk}, k.keys...)
	if err := writeFile(k.path, keys, true); err != nil {
		return "", err
	}
	k.keys = keys
	return nk.id, nil
}

// RetireOthers removes every key but the sealing one from the file: call
// it only once nothing is sealed under them.
func (k *Keyring) RetireOthers() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := k.keys[:1]
	if err := writeFile(k.path, keys, true); err != nil {
		return err
	}
	k.keys = keys
	return nil
}

// IsSealed reports whether v is a sealed value (rather than one from
// before encryption at rest).
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }

// KeyOf returns the ID of the key v is sealed under.
func KeyOf(v string) string {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

func associated(purpose, owner string) []byte {
	return []byte("hearth secret\x00" + purpose + "\x00" + owner)
}

// Seal encrypts plaintext under the current key, bound to what it is
// (purpose, such as "totp") and whose it is (owner, an account ID). The
// empty string stays empty: it means no secret.
func (k *Keyring) Seal(purpose, owner, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	k.mu.RLock()
	cur := k.keys[0]
	k.mu.RUnlock()
	nonce := make([]byte, cur.aead.NonceSize())
	_, _ = rand.Read(nonce)
	sealed := cur.aead.Seal(nonce, nonce, []byte(plaintext), associated(purpose, owner))
	return prefix + cur.id + ":" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open decrypts a sealed value for purpose and owner. The empty string
// opens as empty. A value that is not sealed is an error: every secret is
// sealed at start-up (see accounts.Service.SealSecrets).
func (k *Keyring) Open(purpose, owner, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", errors.New("secrets: a value is not sealed")
	}
	id, enc, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("secrets: a sealed value is malformed")
	}
	kk, found := k.find(id)
	if !found {
		// Another process may have added it: read the file again.
		if keys, err := readFile(k.path); k.path != "" && err == nil {
			k.mu.Lock()
			k.keys = keys
			k.mu.Unlock()
			kk, found = k.find(id)
		}
		if !found {
			return "", fmt.Errorf("%w (key %s; the file %s holds %s)", ErrNoKey, id, k.path, strings.Join(k.IDs(), ", "))
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) < kk.aead.NonceSize() {
		return "", errors.New("secrets: a sealed value is malformed")
	}
	n := kk.aead.NonceSize()
	plain, err := kk.aead.Open(nil, raw[:n], raw[n:], associated(purpose, owner))
	if err != nil {
		return "", errors.New("secrets: a sealed value does not open: it was altered, or belongs to another account or field")
	}
	return string(plain), nil
}

func (k *Keyring) find(id string) (key, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, kk := range k.keys {
		if kk.id == id {
			return kk, true
		}
	}
	return key{}, false
}

// DefaultFile is where the key file lives when not configured: beside the
// audit key file, named like it ("hearth.auditkey" beside
// "hearth.secretskey", "hearth-audit.key" beside "hearth-secrets.key").
func DefaultFile(auditKeyFile string) string {
	dir, base := filepath.Split(auditKeyFile)
	if strings.Contains(base, "audit") {
		return filepath.Join(dir, strings.Replace(base, "audit", "secrets", 1))
	}
	return filepath.Join(dir, base+".secrets")
}

// Ephemeral is a keyring held only in memory, for tests that need no file:
// what it seals cannot be opened once the process ends.
func Ephemeral() *Keyring {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	k, _ := newKey(raw)
	return &Keyring{keys: []key{k}}
}

// LoadOrCreate loads the key file at path, creating it when it is not
// there and nothing is sealed yet (sealed reports whether the database
// holds sealed values). With sealed values and no file, it refuses, naming
// the keys it needs: a new key would leave every second factor unopenable.
func LoadOrCreate(path string, sealedKeyIDs []string) (*Keyring, bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if len(sealedKeyIDs) > 0 {
			return nil, false, fmt.Errorf("secrets: the database holds second factors sealed under key %s, but there is no key file at %s: "+
				"put the key file there (or name it with --secrets-key-file); a new key would open none of them",
				strings.Join(sealedKeyIDs, ", "), path)
		}
		k, err := Create(path)
		return k, true, err
	}
	k, err := Load(path)
	if err != nil {
		return nil, false, err
	}
	for _, id := range sealedKeyIDs {
		if _, ok := k.find(id); !ok {
			return nil, false, fmt.Errorf("secrets: the database holds second factors sealed under key %s, which the key file %s does not hold (it holds %s)",
				id, path, strings.Join(k.IDs(), ", "))
		}
	}
	return k, false, nil
}
