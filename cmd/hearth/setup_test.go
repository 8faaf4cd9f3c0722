package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/store/storetest"
)

// As a new provider found it: a fresh database, migrated, a registered
// manager added, then serve. Hearth must not start as an empty, broken
// app: it says to run `hearth init`; init sets the provider up, and
// `user add --location` then works with the location it made.
func TestANewProviderStartsFromAnEmptyDatabase(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	if code, out, errOut := runHearth(t, "migrate", "--db", dsn); code != 0 {
		t.Fatalf("migrate: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", "grace", "--name", "Grace Obi",
		"--role", "registered_manager", "--location", "Rowan House")
	if code == 0 || !strings.Contains(errOut, "Choose locations that exist") {
		t.Fatalf("user add --location before any location exists: %d %s", code, errOut)
	}

	// serve on a database with no provider refuses at once, saying what to
	// run. The deadline only bounds a serve that wrongly starts.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, _, errOut = runHearthCtx(ctx, t, "serve", "--db", dsn, "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "hearth init") || ctx.Err() != nil {
		t.Fatalf("serve on an empty database: exit %d (deadline passed: %v)\n%s", code, ctx.Err() != nil, errOut)
	}

	code, out, errOut := runHearth(t, "init", "--db", dsn, "--provider", "Hearthside Care Ltd", "--location", "Rowan House:care home",
		"--manager-username", "grace.obi", "--manager-name", "Grace Obi", "--public-url", "https://care.example.org")
	if code != 0 || !strings.Contains(out, "https://care.example.org/invitation/") {
		t.Fatalf("init: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runHearth(t, "user", "add", "--db", dsn, "--username", "sam", "--name", "Sam Patel",
		"--role", "registered_manager", "--location", "Rowan House")
	if code != 0 || !strings.Contains(out, "Added Sam Patel (sam) as Registered manager") {
		t.Fatalf("user add --location after init: %d\n%s%s", code, out, errOut)
	}
}

func runHearthCtx(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestInitRefusesADatabaseThatAlreadyHasAProviderAndBadRegistrationNumbers(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	base := []string{"init", "--db", dsn, "--location", "Rowan House:care home", "--manager-username", "grace", "--manager-name", "Grace Obi"}
	cases := []struct {
		name  string
		extra []string
		want  string
	}{
		{"a CQC provider ID that is not 1- and digits", []string{"--provider", "Hearthside", "--cqc-provider-id", "CQC-1234"}, `CQC provider ID: CQC provider ID must be "1-" followed by digits`},
		{"an ODS code that is too long", []string{"--provider", "Hearthside", "--ods-code", "ABCDEFG"}, "ODS code: ODS code must be 3 to 6 letters or digits"},
		{"a location of no known kind", []string{"--provider", "Hearthside", "--location", "Ward 9:hospital"}, "Location 2 kind: Choose care home, nursing home"},
		{"a manager username with spaces", []string{"--provider", "Hearthside", "--manager-username", "grace obi"}, "Username: Username must be 3 to 64 letters"},
		{"no provider name", nil, "give --provider"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runHearth(t, append(append([]string(nil), base...), tc.extra...)...)
			if code == 0 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want the message %q:\n%s", code, tc.want, errOut)
			}
		})
	}
	code, out, errOut := runHearth(t, append(base, "--provider", "Hearthside Care Ltd", "--cqc-provider-id", "1-101234567", "--ods-code", "vnx12",
		"--location", "Elm Court:nursing home:1-123456789")...)
	if code != 0 || !strings.Contains(out, "Set up Hearthside Care Ltd (CQC 1-101234567) with 2 location(s)") || !strings.Contains(out, "Elm Court (Nursing home)") {
		t.Fatalf("init: %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runHearth(t, append(base, "--provider", "Another Ltd")...)
	if code != 1 || !strings.Contains(errOut, "already has a provider, Hearthside Care Ltd") {
		t.Fatalf("init again: %d %s", code, errOut)
	}
}

// On a terminal, init asks for what the flags left out and can set the
// manager's password and authenticator there and then.
func TestInitOnATerminalAsksAndEnrolsTheManagerThere(t *testing.T) {
	dsn := storetest.DSN(t)
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(t.TempDir(), "audit.key"))
	var out, errb strings.Builder
	con := &scripted{t: t, out: &out, answers: map[string]string{
		"Provider's name":                 "Hearthside Care Ltd",
		"First location":                  "Rowan House:care home",
		"First registered manager's name": "Grace Obi",
		"Their username":                  "grace.obi",
		"Set the registered manager's":    "y",
		"Password":                        "a long enough passphrase",
		"The same password again":         "a long enough passphrase",
	}}
	con.code = func() string {
		m := regexp.MustCompile(`key:  ([A-Z2-7]+)`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no key shown:\n%s", out.String())
		}
		return accounts.Code(m[1], time.Now())
	}
	if err := initProvider(context.Background(), []string{"--db", dsn}, con, &out, &errb); err != nil {
		t.Fatalf("init: %v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "Grace Obi (grace.obi) can sign in now") || strings.Count(out.String(), "\n  ") < 10 {
		t.Fatalf("init did not enrol the manager:\n%s", out.String())
	}
	code, listed, _ := runHearth(t, "user", "list", "--db", dsn)
	if code != 0 || !regexp.MustCompile(`grace\.obi\s+Grace Obi\s+staff\s+registered_manager\s+set up\s+active`).MatchString(listed) {
		t.Fatalf("user list:\n%s", listed)
	}
}

type scripted struct {
	t       *testing.T
	out     *strings.Builder
	answers map[string]string
	code    func() string
}

func (s *scripted) Line(prompt string) (string, error) {
	s.out.WriteString(prompt)
	if strings.HasPrefix(prompt, "The 6-digit code") {
		return s.code(), nil
	}
	for k, v := range s.answers {
		if strings.HasPrefix(prompt, k) {
			return v, nil
		}
	}
	s.t.Fatalf("unexpected question %q", prompt)
	return "", nil
}

func (s *scripted) Secret(prompt string) (string, error) { return s.Line(prompt) }
