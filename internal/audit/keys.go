package audit

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Keys sign checkpoints (Ed25519, in the signed-note format of
// golang.org/x/mod/sumdb/note) and MAC events. They live outside the
// database: someone who can write to the database cannot forge them.
//
// After a rotation (RotateKeyFile) the key file also holds retired keys:
// their public keys still verify the checkpoints they signed and their MAC
// keys still check the events they MACed, but they sign nothing new.
type Keys struct {
	Signer      note.Signer
	Verifier    note.Verifier
	VerifierKey string // the public key, published with receipts
	macKey      []byte

	retired []retiredKey
}

// retiredKey is a key that signed and MACed before a rotation.
type retiredKey struct {
	verifier    note.Verifier
	verifierKey string
	macKey      []byte
}

// KeyName names the log in its signed checkpoints.
const KeyName = "hearth-audit"

// ParseKeys reads the private key (note format "PRIVATE+KEY+...") and its
// verifier key.
func ParseKeys(skey, vkey string) (*Keys, error) {
	signer, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("audit verifier key: %w", err)
	}
	if signer.KeyHash() != verifier.KeyHash() || signer.Name() != verifier.Name() {
		return nil, errors.New("audit keys: the verifier key does not match the signing key")
	}
	return &Keys{Signer: signer, Verifier: verifier, VerifierKey: strings.TrimSpace(vkey), macKey: macKeyOf(skey)}, nil
}

func macKeyOf(skey string) []byte {
	mac := sha256.Sum256([]byte("hearth audit event mac\x00" + strings.TrimSpace(skey)))
	return mac[:]
}

// GenerateKeys makes a new key pair, returned in the key file's format.
func GenerateKeys() (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, KeyName)
}

// KeyID names a key as its signatures do: the log's name and the key's
// hash, "hearth-audit+1a2b3c4d". It is the start of the verifier key.
func KeyID(v note.Verifier) string { return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()) }

// ID is the ID of the key that signs now.
func (k *Keys) ID() string { return KeyID(k.Verifier) }

// IDs lists the IDs of every key the file holds, the signing one first.
func (k *Keys) IDs() []string {
	out := []string{k.ID()}
	for _, r := range k.retired {
		out = append(out, KeyID(r.verifier))
	}
	return out
}

// Verifiers are the public keys that verify this log's checkpoints: the
// signing key's and every retired key's.
func (k *Keys) Verifiers() note.Verifiers {
	vs := []note.Verifier{k.Verifier}
	for _, r := range k.retired {
		vs = append(vs, r.verifier)
	}
	return keyList{Verifiers: note.VerifierList(vs...), ids: k.IDs()}
}

// VerifierKeys lists the verifier keys, the signing key's first: a receipt
// signed before a rotation verifies with a retired one.
func (k *Keys) VerifierKeys() []string {
	out := []string{k.VerifierKey}
	for _, r := range k.retired {
		out = append(out, r.verifierKey)
	}
	return out
}

// macKeys are the MAC keys to check an event with, the current one first.
func (k *Keys) macKeys() [][]byte {
	out := [][]byte{k.macKey}
	for _, r := range k.retired {
		out = append(out, r.macKey)
	}
	return out
}

// The key file: the signing key on its first line, its verifier key on the
// second, then one line per retired key, newest first:
//
//	retired <verifier key> <hex MAC key>
//
// A retired key keeps its public key and its MAC key, never its signing
// key: nothing can be signed with it any more.
const retiredPrefix = "retired "

// LoadKeys reads the key file at path.
func LoadKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open audit key file: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read audit key file %s: %w", path, err)
	}
	if len(lines) < 2 {
		return nil, fmt.Errorf("audit key file %s: want the private key and the verifier key on two lines", path)
	}
	k, err := ParseKeys(lines[0], lines[1])
	if err != nil {
		return nil, fmt.Errorf("audit key file %s: %w", path, err)
	}
	for i, l := range lines[2:] {
		rest, ok := strings.CutPrefix(l, retiredPrefix)
		vkey, mac, ok2 := strings.Cut(strings.TrimSpace(rest), " ")
		if !ok || !ok2 {
			return nil, fmt.Errorf("audit key file %s: line %d must be \"retired <verifier key> <MAC key>\"", path, i+3)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("audit key file %s: retired key on line %d: %w", path, i+3, err)
		}
		m, err := hex.DecodeString(strings.TrimSpace(mac))
		if err != nil || len(m) != sha256.Size {
			return nil, fmt.Errorf("audit key file %s: retired key on line %d: the MAC key is not 64 hex digits", path, i+3)
		}
		k.retired = append(k.retired, retiredKey{verifier: v, verifierKey: vkey, macKey: m})
	}
	return k, nil
}

// CreateKeyFile makes a new key file at path holding one new key, mode
// 0600. It refuses to overwrite a file that is there.
func CreateKeyFile(path string) (*Keys, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("audit key file %s already exists: it is never overwritten", path)
	}
	skey, vkey, err := GenerateKeys()
	if err != nil {
		return nil, err
	}
	k, err := ParseKeys(skey, vkey)
	if err != nil {
		return nil, err
	}
	if err := writeKeyFile(path, skey, k, false); err != nil {
		return nil, err
	}
	return k, nil
}

// RotateKeyFile makes a new signing key and writes it to the key file at
// path, keeping the old signing key (and any retired before it) as
// retired: their public keys still verify the checkpoints they signed and
// their MAC keys still check the events they MACed.
func RotateKeyFile(path string) (old, rotated *Keys, err error) {
	old, err = LoadKeys(path)
	if err != nil {
		return nil, nil, err
	}
	skey, vkey, err := GenerateKeys()
	if err != nil {
		return nil, nil, err
	}
	rotated, err = ParseKeys(skey, vkey)
	if err != nil {
		return nil, nil, err
	}
	rotated.retired = append([]retiredKey{{verifier: old.Verifier, verifierKey: old.VerifierKey, macKey: old.macKey}}, old.retired...)
	if err := writeKeyFile(path, skey, rotated, true); err != nil {
		return nil, nil, err
	}
	return old, rotated, nil
}

// writeKeyFile writes the key file through a temporary file renamed into
// place, synced, so that it is never half written.
func writeKeyFile(path, skey string, k *Keys, replace bool) error {
	var b bytes.Buffer
	b.WriteString(strings.TrimSpace(skey) + "\n" + k.VerifierKey + "\n")
	if len(k.retired) > 0 {
		b.WriteString("# Retired keys: they verify what they signed and MACed before a rotation, and sign nothing new.\n")
	}
	for _, r := range k.retired {
		b.WriteString(retiredPrefix + r.verifierKey + " " + hex.EncodeToString(r.macKey) + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".audit-key-*")
	if err != nil {
		return fmt.Errorf("write audit key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write audit key file: %w", err)
	}
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write audit key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write audit key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write audit key file: %w", err)
	}
	if !replace {
		// Link refuses to replace a file that appeared meanwhile.
		if err := os.Link(tmp.Name(), path); err != nil {
			return fmt.Errorf("write audit key file: %w", err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write audit key file: %w", err)
	}
	return nil
}

// keyFileExists reports whether there is a file at path.
func keyFileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
