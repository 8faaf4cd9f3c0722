package audit

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Keys sign checkpoints (Ed25519, in the signed-note format of
// golang.org/x/mod/sumdb/note) and MAC events. They live outside the
// database: someone who can write to the database cannot forge them.
type Keys struct {
	Signer      note.Signer
	Verifier    note.Verifier
	VerifierKey string // the public key, published with receipts
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
	mac := sha256.Sum256([]byte("hearth audit event mac\x00" + strings.TrimSpace(skey)))
	return &Keys{Signer: signer, Verifier: verifier, VerifierKey: strings.TrimSpace(vkey), macKey: mac[:]}, nil
}

// GenerateKeys makes a new key pair, returned in the key file's format.
func GenerateKeys() (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, KeyName)
}

// LoadOrCreateKeys reads the key file at path (the private key on its first
// line, the verifier key on its second), creating it with mode 0600 when it
// does not exist yet.
func LoadOrCreateKeys(path string) (*Keys, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		skey, vkey, err := GenerateKeys()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(skey+"\n"+vkey+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write audit key file: %w", err)
		}
		return ParseKeys(skey, vkey)
	}
	if err != nil {
		return nil, fmt.Errorf("open audit key file: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		return nil, fmt.Errorf("audit key file %s: want the private key and the verifier key on two lines", path)
	}
	return ParseKeys(lines[0], lines[1])
}
