package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/accounts"
	"hearth/internal/browsertest"
	"hearth/internal/store/storetest"
)

// A provider from nothing, in Chromium against a real `hearth serve` built
// from this command: init prints the first manager's link; the manager
// sets a password and an authenticator, opens a location and invites a
// care worker, who joins the same way; the manager admits a person and
// puts the care worker on the team; the care worker finds the person by
// part of their name and records a note; the manager ends the person's
// care; the person is gone from the care worker's lists and the record is
// read-only.
func TestJourneyAProviderFromNothing(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hearth")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dsn := storetest.DSN(t)
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	env := append(os.Environ(), "HEARTH_AUDIT_KEY_FILE="+filepath.Join(dir, "audit.key"), "HEARTH_DB="+dsn, "HEARTH_LOG_LEVEL=warn")
	hearth := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// Serve refuses the empty database, saying what to run.
	if out, err := hearth("serve", "--addr", "127.0.0.1:"+port); err == nil || !strings.Contains(out, "hearth init") {
		t.Fatalf("serve on an empty database: %v\n%s", err, out)
	}
	out, err := hearth("init", "--provider", "Hearthside Care Ltd", "--cqc-provider-id", "1-101234567",
		"--location", "Rowan House:care home", "--manager-username", "grace.obi", "--manager-name", "Grace Obi", "--public-url", base)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(base) + `/invitation/[A-Za-z0-9_-]{43}`).FindString(out)
	if link == "" {
		t.Fatalf("init printed no link:\n%s", out)
	}

	serve := exec.Command(bin, "serve", "--addr", "127.0.0.1:"+port)
	serve.Env = env
	var serveLog strings.Builder
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
		if t.Failed() {
			t.Logf("hearth serve said:\n%s", serveLog.String())
		}
	})
	waitForServer(t, base)

	// The registered manager joins through the link init printed.
	grace := browsertest.New(t)
	grace.Base = base
	join(t, grace, link, "Grace Obi", "Registered manager", "grace's long passphrase")
	grace.MustSee("Your people")
	grace.MustSee("You are not on anyone's care team")

	// She opens a second location.
	grace.ClickMenu("/admin/locations")
	grace.Fill("#name", "Elm Court")
	grace.Click("label[for=kind-nursing_home]")
	grace.Click("#open-location")
	grace.MustSee("Elm Court is open. You manage it")

	// She invites a care worker to work there.
	grace.ClickMenu("/staff")
	grace.Click("#invite")
	grace.Fill("#name", "Sam Patel")
	grace.Fill("#username", "sam.patel")
	grace.Click("label[for=role-care_worker]")
	selectLabelled(t, grace, "Elm Court")
	grace.Click("#send-invitation")
	grace.MustSee("Sam Patel is invited")
	samLink := grace.Text("[data-testid=invitation-link]")

	// Sam joins on their own phone.
	sam := browsertest.New(t)
	sam.Base = base
	join(t, sam, samLink, "Sam Patel", "Care worker", "sam's long passphrase")
	sam.MustSee("You are not on anyone's care team")

	// Grace admits Siân to Elm Court and puts Sam on her team.
	grace.ClickMenu("/people/new")
	grace.Run(chooseOption("#location", "Elm Court (Nursing home)"))
	grace.Fill("#given_name", "Siân")
	grace.Fill("#family_name", "Llewellyn")
	grace.Fill("#dob_day", "14")
	grace.Fill("#dob_month", "2")
	grace.Fill("#dob_year", "1938")
	grace.Fill("#nhs_number", "401 023 2137")
	grace.Click("label[for=sex-female]")
	grace.Click("#admit")
	grace.MustSee("Siân is admitted to Elm Court")
	grace.Click("#add-member")
	grace.Run(chooseOption("#user_id", "Sam Patel (Care worker)"))
	grace.Click("#add-to-team")
	if got := grace.Text("[data-testid=care-team]"); !strings.Contains(got, "Sam Patel – Care worker") {
		t.Fatalf("Siân's care team reads %q", got)
	}
	person := strings.Split(strings.Split(strings.TrimPrefix(grace.URL(), base+"/people/"), "?")[0], "#")[0]

	// Sam finds her by part of her name, without the accent, and writes a
	// note.
	sam.Go("/")
	sam.Fill("#q", "sian")
	sam.Click("#search")
	sam.MustSee("Showing all 1 person")
	sam.Click("a[href='/people/" + person + "']")
	sam.MustSee("Siân Llewellyn")
	sam.Click("a[href='/people/" + person + "/notes']")
	sam.Click("label[for=category-eating-drinking]")
	sam.Fill("#body", "Ate well at lunch and asked for more tea")
	sam.Click("#save-note")
	sam.MustSee("Ate well at lunch and asked for more tea")
	sam.Go("/shift")
	sam.MustSee("Siân Llewellyn")

	// Grace ends Siân's care.
	grace.Go("/people/" + person)
	grace.Click("#end-care")
	grace.Click("label[for=reason-discharged]")
	grace.Fill("#note", "Home to her family")
	grace.Click("#end-care-now")
	grace.MustSee("This record is kept and is read-only: only corrections can be made.")
	grace.Go("/people/" + person + "/notes")
	grace.MustSee("Ate well at lunch")
	grace.MustSee("no new ones can be added")
	if strings.Contains(grace.Text("main"), "Save note") {
		t.Fatal("the notes of someone whose care has ended still offer a new note")
	}

	// Siân is gone from Sam's lists, and her record from Sam's reach.
	sam.Go("/")
	sam.MustSee("You are not on anyone's care team")
	sam.Fill("#q", "sian")
	sam.Click("#search")
	sam.MustSee("Nobody you may see matches that")
	sam.Go("/shift")
	if strings.Contains(sam.Text("main"), "Siân") {
		t.Fatal("Siân is still on Sam's shift")
	}
	sam.Go("/people/" + person)
	sam.MustSee("We could not find that record")

	// The audit log the real server wrote is intact.
	if out, err := hearth("audit", "verify"); err != nil || !strings.Contains(out, "The audit log is intact") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
}

// join accepts an invitation in the browser: a password, then the
// authenticator app, whose code is computed from the key the page shows.
func join(t *testing.T, b *browsertest.Browser, link, name, role, password string) {
	t.Helper()
	b.Go(link)
	b.MustSee("invited you, " + name + ", to Hearth as " + role)
	b.Fill("#password", password)
	b.Fill("#password2", password)
	b.Click("#accept")
	b.MustSee("Set up your authenticator app")
	b.Fill("#code", accounts.Code(b.Text("[data-testid=totp-secret]"), time.Now()))
	b.Click("#confirm-code")
	b.MustSee("Save your recovery codes")
	b.Click("#continue")
}

// chooseOption picks the option of a <select> whose text is text.
func chooseOption(selector, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector(` + strconv.Quote(selector) + `);
		for (const o of s.options) { if (o.text.trim() === ` + strconv.Quote(text) + `) { s.value = o.value; } }
		s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

// selectLabelled ticks the checkbox whose label reads text.
func selectLabelled(t *testing.T, b *browsertest.Browser, text string) {
	t.Helper()
	b.Run(chromedp.Evaluate[chromedp.Void](`(() => { for (const l of document.querySelectorAll('label')) {
		if (l.textContent.trim() === ` + strconv.Quote(text) + `) { l.click(); } } })()`))
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitForServer waits until the server answers its sign-in page. The
// deadline only bounds a server that never starts.
func waitForServer(t *testing.T, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/signin", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(fmt.Errorf("hearth serve did not start: %w", ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
