package secrets_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/secrets"
)

const owner = "01a2281d-e7b2-721b-bd1b-98a538e45e13"

func newKeyring(t *testing.T) *secrets.Keyring {
	t.Helper()
	k, err := secrets.Create(filepath.Join(t.TempDir(), "hearth.secretskey"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestASealedSecretOpensOnlyAsWhatItIsForWhoseItIs(t *testing.T) {
	k := newKeyring(t)
	sealed, err := k.Seal("totp", owner, "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") || !secrets.IsSealed(sealed) || secrets.KeyOf(sealed) != k.CurrentID() {
		t.Fatalf("sealed %q", sealed)
	}
	if again, _ := k.Seal("totp", owner, "JBSWY3DPEHPK3PXP"); again == sealed {
		t.Error("sealing the same secret twice gave the same text: the nonce must be fresh")
	}
	if got, err := k.Open("totp", owner, sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	flip := []byte(sealed)
	flip[len(flip)-3] ^= 1
	for name, open := range map[string]func() (string, error){
		"another account's":         func() (string, error) { return k.Open("totp", "someone else", sealed) },
		"another field's":           func() (string, error) { return k.Open("recovery-code", owner, sealed) },
		"an altered one":            func() (string, error) { return k.Open("totp", owner, string(flip)) },
		"one in the clear":          func() (string, error) { return k.Open("totp", owner, "JBSWY3DPEHPK3PXP") },
		"another key file's":        func() (string, error) { return newKeyring(t).Open("totp", owner, sealed) },
		"a malformed one":           func() (string, error) { return k.Open("totp", owner, "s1:nope") },
		"one with a truncated body": func() (string, error) { return k.Open("totp", owner, sealed[:len(sealed)-30]) },
	} {
		t.Run(name+" does not open", func(t *testing.T) {
			if got, err := open(); err == nil || got != "" {
				t.Fatalf("opened %q (%v)", got, err)
			}
		})
	}
	if empty, err := k.Seal("totp", owner, ""); err != nil || empty != "" {
		t.Errorf("no secret sealed as %q (%v), want it left empty", empty, err)
	}
}

func TestTheKeyFileIsPrivateAndNeverOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.secretskey")
	if _, err := secrets.Create(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if _, err := secrets.Create(path); err == nil {
		t.Fatal("a second Create overwrote the key file")
	}
	for name, body := range map[string]string{
		"not a key file":          "hello\n",
		"no key in it":            "hearth secrets keys v1\n",
		"a damaged key":           "hearth secrets keys v1\nabcdef AAAA\n",
		"a key with the wrong ID": "hearth secrets keys v1\n000000000000 " + strings.Repeat("A", 43) + "=\n",
	} {
		bad := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := secrets.Load(bad); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func TestRotationSealsWithTheNewKeyWhileTheOldStillOpensUntilRetired(t *testing.T) {
	k := newKeyring(t)
	old := k.CurrentID()
	before, _ := k.Seal("totp", owner, "secret one")
	id, err := k.AddKey()
	if err != nil {
		t.Fatal(err)
	}
	if id == old || k.CurrentID() != id || len(k.IDs()) != 2 {
		t.Fatalf("after AddKey: current %s, keys %v", k.CurrentID(), k.IDs())
	}
	after, _ := k.Seal("totp", owner, "secret two")
	if secrets.KeyOf(after) != id || secrets.KeyOf(before) != old {
		t.Fatalf("sealed under %s and %s", secrets.KeyOf(before), secrets.KeyOf(after))
	}
	if got, err := k.Open("totp", owner, before); err != nil || got != "secret one" {
		t.Fatalf("the old key no longer opens: %q %v", got, err)
	}
	// Another process (a second node) reads the same file.
	other, err := secrets.Load(k.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := k.RetireOthers(); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open("totp", owner, before); !errors.Is(err, secrets.ErrNoKey) {
		t.Fatalf("a retired key still opens: %v", err)
	}
	if got, err := other.Open("totp", owner, after); err != nil || got != "secret two" {
		t.Fatalf("the other process: %q %v", got, err)
	}
}

// A node that loaded the file before a rotation reads it again when it
// meets a key it does not hold.
func TestAKeyAddedByAnotherProcessIsFoundByReadingTheFileAgain(t *testing.T) {
	k := newKeyring(t)
	stale, err := secrets.Load(k.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.AddKey(); err != nil {
		t.Fatal(err)
	}
	sealed, _ := k.Seal("totp", owner, "fresh")
	if got, err := stale.Open("totp", owner, sealed); err != nil || got != "fresh" {
		t.Fatalf("a node with the old file: %q %v", got, err)
	}
}

func TestANewKeyIsMadeOnlyWhenNothingIsSealedYet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.secretskey")
	k, created, err := secrets.LoadOrCreate(path, nil)
	if err != nil || !created {
		t.Fatalf("first start: created %t, %v", created, err)
	}
	if _, created, err := secrets.LoadOrCreate(path, []string{k.CurrentID()}); err != nil || created {
		t.Fatalf("second start: created %t, %v", created, err)
	}
	moved := filepath.Join(dir, "elsewhere.secretskey")
	_, _, err = secrets.LoadOrCreate(moved, []string{k.CurrentID()})
	if err == nil || !strings.Contains(err.Error(), k.CurrentID()) || !strings.Contains(err.Error(), moved) {
		t.Fatalf("sealed values and no key file: %v, want a refusal naming the key and where it looked", err)
	}
	if secrets.Exists(moved) {
		t.Fatal("a key file was made that opens nothing")
	}
	other := filepath.Join(dir, "other.secretskey")
	if _, err := secrets.Create(other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := secrets.LoadOrCreate(other, []string{k.CurrentID()}); err == nil || !strings.Contains(err.Error(), k.CurrentID()) {
		t.Fatalf("a key file without the needed key: %v, want a refusal naming it", err)
	}
}

func TestTheKeyFileSitsBesideTheAuditKey(t *testing.T) {
	for audit, want := range map[string]string{
		"/var/lib/hearth/hearth.auditkey": "/var/lib/hearth/hearth.secretskey",
		"hearth-audit.key":                "hearth-secrets.key",
		"/keys/audit.key":                 "/keys/secrets.key",
		"/keys/signing":                   "/keys/signing.secrets",
	} {
		if got := secrets.DefaultFile(audit); got != want {
			t.Errorf("beside %s: %s, want %s", audit, got, want)
		}
	}
}
