package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// Crash safety (issue 12 item 6; DESIGN.md invariant 3: a write is
// acknowledged only once it is durable, with its audit event). The real
// server binary takes daily notes from several care workers at once and is
// killed with SIGKILL at random moments, again and again, until at least
// crashWrites notes have been acknowledged. Each care worker sends each
// note until it is acknowledged, with the same idempotency key every time,
// as a browser sending the form again would. Then every acknowledged note
// is there exactly once, with its audit event, and `hearth audit verify`
// passes. On SQLite and on PostgreSQL.
const (
	crashWrites  = 10000
	crashClients = 8
	crashPeople  = 4
	crashKills   = 5 // at least this many, however fast the writes go
)

func TestAcknowledgedWritesSurviveSIGKILLWithTheirAuditEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and writes ten thousand notes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "hearth")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := storetest.DSN(t)
	auditKey, secretsKey := filepath.Join(dir, "audit.key"), filepath.Join(dir, "secrets.key")
	staff, people := crashFixtures(t, dsn, auditKey, secretsKey)

	srv := &crashServer{t: t, bin: bin, dir: dir, args: []string{"serve", "--db", dsn, "--addr", freeAddr(t),
		"--audit-key-file", auditKey, "--secrets-key-file", secretsKey, "--log-level", "error"}}
	srv.start()
	defer srv.stop()

	clients := make([]*crashClient, len(staff))
	for i, s := range staff {
		clients[i] = &crashClient{t: t, base: srv.base(), staff: s, people: people}
		clients[i].signIn()
	}

	var acked atomic.Int64
	var done atomic.Bool
	var wg sync.WaitGroup
	results := make([][]string, len(clients))
	for i, c := range clients {
		wg.Go(func() {
			for seq := 0; !done.Load(); seq++ {
				body := fmt.Sprintf("crash test note %d-%d", i, seq)
				if !c.send(body) {
					return
				}
				results[i] = append(results[i], body)
				if acked.Add(1) >= crashWrites {
					done.Store(true)
				}
			}
		})
	}
	kills := 0
	for !done.Load() || kills < crashKills {
		// A random moment: between a twentieth of a second and four
		// seconds into serving. The server is started again at once, so
		// the notes in flight can be sent again and acknowledged.
		wait, _ := rand.Int(rand.Reader, big.NewInt(3950))
		time.Sleep(time.Duration(50+wait.Int64()) * time.Millisecond)
		srv.kill()
		kills++
		srv.start()
	}
	wg.Wait()
	resent := 0
	for _, c := range clients {
		resent += c.resent
	}
	t.Logf("%d notes acknowledged over %d SIGKILLs; %d were sent more than once", acked.Load(), kills, resent)
	srv.stop()

	// Every acknowledged note is there exactly once, with its audit event.
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(ctx, `SELECT n.body, n.id, (SELECT COUNT(*) FROM audit_events e WHERE e.resource_id = n.id
		AND e.action = 'write-record' AND e.outcome = 'success') FROM daily_notes n WHERE n.body LIKE 'crash test note %'`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	unaudited := 0
	for rows.Next() {
		var body, id string
		var events int
		if err := rows.Scan(&body, &id, &events); err != nil {
			t.Fatal(err)
		}
		stored[body]++
		if events != 1 {
			unaudited++
		}
	}
	rows.Close()
	total := 0
	for _, list := range results {
		for _, body := range list {
			total++
			if stored[body] != 1 {
				t.Errorf("acknowledged note %q is stored %d times, want exactly once", body, stored[body])
			}
		}
	}
	if total < crashWrites || kills < crashKills {
		t.Errorf("%d notes acknowledged over %d kills, want at least %d over %d", total, kills, crashWrites, crashKills)
	}
	if len(stored) != total {
		t.Errorf("%d distinct notes stored, %d acknowledged: a note nobody was told of was saved", len(stored), total)
	}
	if unaudited != 0 {
		t.Errorf("%d notes without exactly one audit event", unaudited)
	}
	for _, sub := range [][]string{{"audit", "seal"}, {"audit", "verify"}} {
		cmd := exec.Command(bin, append(sub, "--db", dsn, "--audit-key-file", auditKey, "--secrets-key-file", secretsKey, "--quiet")...)
		out, err := cmd.CombinedOutput()
		if err != nil || (sub[1] == "verify" && !strings.Contains(string(out), "The audit log is intact")) {
			t.Fatalf("hearth %s: %v\n%s", strings.Join(sub, " "), err, out)
		}
	}
}

// crashFixtures makes a provider, a location, care workers with known
// authenticator secrets, and people on all their care teams.
func crashFixtures(t *testing.T, dsn, auditKey, secretsKey string) ([]crashStaff, []string) {
	t.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: auditKey, SecretsKeyFile: secretsKey, Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := time.Now().UTC()
	p, err := a.People.CreateProvider(ctx, "Crash Test Care", now)
	if err != nil {
		t.Fatal(err)
	}
	home, err := a.People.CreateLocation(ctx, p.ID, "Rowan House", people.CareHome, now)
	if err != nil {
		t.Fatal(err)
	}
	op := accounts.Operator("crash test")
	newStaff := func(name string, role access.Role, locs ...string) (accounts.User, string) {
		u, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Kind: access.KindStaff, Username: name, DisplayName: "Crash " + name,
			Password: crashPassword, Role: role, LocationIDs: locs, By: op})
		if err != nil {
			t.Fatal(err)
		}
		secret := accounts.GenerateSecret()
		if err := a.Accounts.ProvisionTOTP(ctx, u.ID, secret, op, accounts.Meta{}); err != nil {
			t.Fatal(err)
		}
		return u, secret
	}
	manager, _ := newStaff("manager", access.RegisteredManager, home.ID)
	mActor := door.Actor{Subject: manager.Subject(), Name: manager.DisplayName}
	var staff []crashStaff
	for i := range crashClients {
		u, secret := newStaff(fmt.Sprintf("carer%02d", i), access.CareWorker)
		staff = append(staff, crashStaff{u, secret})
	}
	var ids []string
	for i := range crashPeople {
		nine := fmt.Sprintf("999%06d", 100+i)
		check := people.CheckDigit(nine)
		if check < 0 {
			nine = fmt.Sprintf("999%06d", 200+i)
			check = people.CheckDigit(nine)
		}
		person, err := a.People.Register(ctx, mActor, people.NewPerson{LocationID: home.ID, GivenName: "Person", FamilyName: fmt.Sprint(i),
			DateOfBirth: time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC), NHSNumber: fmt.Sprintf("%s%d", nine, check)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range staff {
			if _, err := a.People.AssignCareTeam(ctx, mActor, person.ID, s.ID, now.Add(-time.Hour), time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, person.ID)
	}
	return staff, ids
}

const crashPassword = "crash test passphrase, long enough"

type crashStaff struct {
	accounts.User
	secret string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// crashServer is the server binary, started and killed.
type crashServer struct {
	t    *testing.T
	bin  string
	dir  string
	args []string
	cmd  *exec.Cmd
	runs int
}

func (s *crashServer) base() string { return "http://" + s.args[4] }

func (s *crashServer) start() {
	s.t.Helper()
	s.runs++
	logFile, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("serve-%02d.log", s.runs)))
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func(c *exec.Cmd, f *os.File) { _ = c.Wait(); f.Close() }(s.cmd, logFile)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			s.t.Fatalf("the server did not become ready after start %d:\n%s", s.runs, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (s *crashServer) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	for s.cmd.ProcessState == nil {
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *crashServer) stop() {
	if s.cmd != nil && s.cmd.ProcessState == nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		for s.cmd.ProcessState == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// crashClient is one care worker's browser.
type crashClient struct {
	t      *testing.T
	base   string
	staff  crashStaff
	people []string
	http   *http.Client
	csrf   string
	n      int
	resent int // notes sent more than once before they were acknowledged
}

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *crashClient) signIn() {
	c.t.Helper()
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := c.get("/signin")
	r := c.post("/signin", url.Values{"csrf": {csrfOf(c.t, page)}, "username": {c.staff.Username}, "password": {crashPassword}})
	if r != http.StatusSeeOther {
		c.t.Fatalf("sign in %s: %d", c.staff.Username, r)
	}
	page = c.get("/signin/mfa")
	if r := c.post("/signin/mfa", url.Values{"csrf": {csrfOf(c.t, page)}, "code": {accounts.Code(c.staff.secret, time.Now())}}); r != http.StatusSeeOther {
		c.t.Fatalf("code for %s: %d", c.staff.Username, r)
	}
	c.csrf = csrfOf(c.t, c.get("/"))
}

func csrfOf(t *testing.T, page string) string {
	m := csrfValue.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return m[1]
}

func (c *crashClient) get(path string) string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (c *crashClient) post(path string, form url.Values) int {
	resp, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// send posts one note until it is acknowledged (303), with one idempotency
// key: after a crash the outcome may be unknown, and sending the same form
// again must save it once. It reports false on an answer that is neither
// an acknowledgement nor "try again" (and the test fails).
func (c *crashClient) send(body string) bool {
	var k [18]byte
	_, _ = rand.Read(k[:])
	person := c.people[c.n%len(c.people)]
	c.n++
	at := time.Now().Add(-time.Minute).In(london())
	form := url.Values{"csrf": {c.csrf}, "idem": {base64.RawURLEncoding.EncodeToString(k[:])}, "category": {"mood"}, "body": {body},
		"care_date": {at.Format("2006-01-02")}, "care_time": {at.Format("15:04")}}
	path := "/people/" + person + "/notes"
	for try := 0; ; try++ {
		switch status := c.post(path, form); status {
		case http.StatusSeeOther:
			if try > 0 {
				c.resent++
			}
			return true
		case 0, http.StatusServiceUnavailable:
			// Killed, or not sure: the same form again, shortly.
			time.Sleep(20 * time.Millisecond)
		default:
			c.t.Errorf("note %q: %d", body, status)
			return false
		}
	}
}
