package main

import (
	"context"
	"os"
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

func TestImportFromTheCommandLineChecksThenImportsWhole(t *testing.T) {
	dsn := storetest.DSN(t)
	dir := t.TempDir()
	t.Setenv("HEARTH_AUDIT_KEY_FILE", filepath.Join(dir, "audit.key"))
	if code, out, errOut := runHearth(t, "init", "--db", dsn, "--provider", "Hearthside Care Ltd", "--location", "Rowan House:care home",
		"--manager-username", "grace", "--manager-name", "Grace Obi"); code != 0 {
		t.Fatalf("init: %s%s", out, errOut)
	}
	for _, u := range [][]string{{"admin", "Alex Admin", "administrator"}, {"robin", "Robin Manager", "registered_manager"}, {"carer", "Casey Carer", "care_worker"}} {
		if code, out, errOut := runHearth(t, "user", "add", "--db", dsn, "--username", u[0], "--name", u[1], "--role", u[2], "--location", "Rowan House"); code != 0 {
			t.Fatalf("user add: %s%s", out, errOut)
		}
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("people.csv", "\xef\xbb\xbfgiven_name,family_name,date_of_birth,nhs_number,location\n"+
		"Siân,Llewellyn,14/02/1938,401 023 2137,Rowan House\nBryn,Evans,2/9/1947,,Rowan House\n")
	bad := write("bad.csv", "given_name,family_name,date_of_birth,nhs_number,location\nSiân,Llewellyn,14/02/1938,401 023 2138,Rowan House\n"+
		"Bryn,,2/9/1947,,Nowhere\n")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr []string
	}{
		{"a dry run of a good file changes nothing", []string{"import", "people", good, "--db", dsn, "--as", "admin", "--dry-run"}, 0,
			"people.csv is ready: 2 people would be imported. Nothing was changed (dry run).", nil},
		{"a bad file names every problem by row and column", []string{"import", "people", bad, "--db", dsn, "--as", "admin"}, 1, "",
			[]string{"Row 2, column nhs_number: NHS number must be 10 digits with a valid check digit", "Row 3, column location: There is no location called \"Nowhere\"",
				"Row 3, column family_name: Enter the person's family name", "bad.csv has 3 problems, so nothing was imported"}},
		{"a registered manager may not import", []string{"import", "people", good, "--db", dsn, "--as", "robin"}, 1, "", []string{"this role does not allow this action"}},
		{"a file that is not there", []string{"import", "people", filepath.Join(dir, "missing.csv"), "--db", dsn, "--as", "admin"}, 1, "", []string{"cannot read"}},
		{"no account to act as", []string{"import", "people", good, "--db", dsn}, 2, "", []string{"--as USERNAME"}},
		{"the good file", []string{"import", "people", good, "--db", dsn, "--as", "admin"}, 0, "Imported 2 people from people.csv.", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runHearth(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	staff := write("staff.csv", "username,name,role,locations\nsam.patel,Sam Patel,care worker,Rowan House\n")
	code, out, errOut := runHearth(t, "import", "staff", staff, "--db", dsn, "--as", "admin", "--public-url", "https://care.example.org")
	if code != 0 || !regexp.MustCompile(`sam\.patel\tSam Patel\thttps://care\.example\.org/invitation/[A-Za-z0-9_-]{43}`).MatchString(out) {
		t.Fatalf("staff import: %d\n%s%s", code, out, errOut)
	}
	// Sam has only been invited; Casey has an account.
	teams := write("teams.csv", "nhs_number,username,start\n4010232137,sam.patel,01/03/2026\n")
	if code, _, errOut := runHearth(t, "import", "teams", teams, "--db", dsn, "--as", "admin"); code != 1 || !strings.Contains(errOut, "Row 2, column username: No member of staff has this username") {
		t.Fatalf("a team member who has not joined yet: %d\n%s", code, errOut)
	}
	teams = write("teams.csv", "nhs_number,username,start\n4010232137,carer,01/03/2026\n")
	if code, out, errOut := runHearth(t, "import", "teams", teams, "--db", dsn, "--as", "admin"); code != 0 || !strings.Contains(out, "Imported 1 care-team membership from teams.csv") {
		t.Fatalf("teams import: %d\n%s%s", code, out, errOut)
	}
}
