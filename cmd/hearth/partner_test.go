package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func TestPartnerCommandsRegisterListAndDisablePartnerSystems(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(dir, "audit.key"))
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, key any) string {
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "riverside-1", Algorithm: "ES384"}}})
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	public, private := write("public.json", &k.PublicKey), write("private.json", k)

	code, out, errOut := runHearth(t, "partner", "add", "--db", dsn, "--name", "Riverside GP Surgery", "--jwks", public,
		"--scope", "system/Patient.rs system/Observation.rs")
	id := regexp.MustCompile(`Client ID: (\S+)`).FindStringSubmatch(out)
	if code != 0 || id == nil || !strings.Contains(out, "Registered Riverside GP Surgery") {
		t.Fatalf("partner add: %d\n%s%s", code, out, errOut)
	}
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"a private key is refused, naming the field", []string{"add", "--name", "Hillside", "--jwks", private, "--scope", "system/Patient.rs"}, 1,
			"partner add: Public keys: Key 1 (kid \"riverside-1\") is a private or secret key"},
		{"a name already registered is refused", []string{"add", "--name", "riverside gp surgery", "--jwks", public, "--scope", "system/Patient.rs"}, 1,
			"already registered"},
		{"a scope that writes is refused", []string{"add", "--name", "Hillside", "--jwks", public, "--scope", "system/Patient.c"}, 1,
			"may only read (r) and search (s)"},
		{"no key file is a usage error", []string{"add", "--name", "Hillside", "--scope", "system/Patient.rs"}, 2, "--jwks is required"},
		{"a key file that is not there is a usage error", []string{"add", "--name", "Hillside", "--jwks", filepath.Join(dir, "nope.json"), "--scope", "system/Patient.rs"}, 2,
			"read --jwks"},
		{"disabling needs a client ID", []string{"disable"}, 2, "give one client ID"},
		{"disabling a partner that is not there", []string{"disable", "not-a-client"}, 1, "That partner system was not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runHearth(t, append(append([]string{"partner"}, tc.args[0], "--db", dsn), tc.args[1:]...)...)
			if code != tc.code || !strings.Contains(errOut, tc.says) {
				t.Fatalf("got %d\n%s%s\nwant %d saying %q", code, out, errOut, tc.code, tc.says)
			}
		})
	}
	if code, out, errOut := runHearth(t, "partner", "disable", "--db", dsn, id[1]); code != 0 || !strings.Contains(out, "Disabled Riverside GP Surgery") {
		t.Fatalf("partner disable: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runHearth(t, "partner", "list", "--db", dsn)
	if code != 0 || !strings.Contains(out, id[1]) || !strings.Contains(out, "riverside-1 (ES384)") || !strings.Contains(out, "disabled") ||
		strings.Count(out, "\n") != 2 {
		t.Fatalf("partner list: %d\n%s", code, out)
	}

	db, err := store.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE actor_kind = 'operator'
		AND action = 'manage-accounts' AND resource_id = ? AND actor_name LIKE 'command line%'`, id[1]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d audit events for registering and disabling from the command line, want 2", n)
	}
}
