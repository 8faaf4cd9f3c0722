// Package browsertest drives a real, headless Chromium from Go tests, so that
// journey tests check what a person sees on a phone: the page a care worker
// reaches, the words on it, the form they fill in.
//
// A test reads like a story:
//
//	b := browsertest.New(t)
//	b.Base = srv.URL
//	b.Go("/login")
//	b.Fill("#email", "sam@example.org")
//	b.Click("button[type=submit]")
//	b.MustSee("Your people today")
//
// Every helper waits for at most Browser.Timeout and then fails the test with
// what the page showed, so a broken page fails fast and says why. A missing
// browser fails the test too: skipping would let CI pass without ever
// rendering a page. scripts/test installs Chromium.
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// DefaultExecPath is where Debian's chromium package puts the browser. The
// environment variable HEARTH_CHROMIUM overrides it.
const DefaultExecPath = "/usr/bin/chromium"

// Phone viewport: a common modern phone in portrait, in CSS pixels. Hearth is
// used at the point of care, so journeys are tested at this size first.
const (
	PhoneWidth  = 390
	PhoneHeight = 844
)

// Browser is one headless Chromium with one tab, owned by one test. It is not
// safe for use by several goroutines at once.
type Browser struct {
	// Base, when set, is joined to paths given to Go that start with "/",
	// typically the URL of an httptest.Server.
	Base string
	// Timeout bounds each helper; the default is 10 seconds.
	Timeout time.Duration

	t      testing.TB
	ctx    context.Context // the tab; lives until cleanup
	output *syncBuffer     // the browser's stdout and stderr

	mu       sync.Mutex
	mainID   cdp.FrameID
	navSeq   int  // counts main-frame loads started
	loading  bool // the main frame is loading
	dialogs  []string
	messages []string // console errors and uncaught exceptions
}

// New starts a headless Chromium for t, sized as a phone, with a fresh
// profile, and closes it when t ends. It fails t if the browser is missing or
// will not start.
func New(t testing.TB) *Browser {
	t.Helper()
	execPath := os.Getenv("HEARTH_CHROMIUM")
	if execPath == "" {
		execPath = DefaultExecPath
	}
	if _, err := exec.LookPath(execPath); err != nil {
		t.Fatalf("browsertest: no Chromium at %s (%v). Run scripts/test, which installs it "+
			"(apt-get install chromium chromium-driver), or set HEARTH_CHROMIUM to a Chromium binary", execPath, err)
	}

	// A binary that is not a browser would exit at once, and chromedp
	// v0.23.0 panics when the browser exits during start-up, which would
	// take down the whole test binary; ask it its version first instead.
	vctx, vcancel := context.WithTimeout(context.Background(), 20*time.Second)
	version, err := exec.CommandContext(vctx, execPath, "--version").CombinedOutput()
	vcancel()
	if err != nil || !strings.Contains(string(version), "Chrom") {
		t.Fatalf("browsertest: %s --version did not report Chromium (err %v, output %q). Run scripts/test, "+
			"which installs it, or set HEARTH_CHROMIUM to a Chromium binary", execPath, err, version)
	}

	b := &Browser{t: t, Timeout: 10 * time.Second, output: &syncBuffer{}}
	profile := t.TempDir() // registered before our cleanup, so removed after the browser exits

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(PhoneWidth, PhoneHeight),
		chromedp.Headless,
		chromedp.NoSandbox, // root in containers and CI; the pages are our own
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.CombinedOutput(b.output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			b.logDiagnostics()
		}
		closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = chromedp.Cancel(closeCtx) // closes the browser gracefully
		cancel()
		cancelTab()
		cancelAlloc()
	})

	// The first Run starts the browser and binds its life to ctx, so it must
	// not carry a timeout; a watchdog bounds it instead.
	started := make(chan error, 1)
	go func() {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void]("0"))
		started <- err
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("browsertest: start %s: %v\nbrowser output:\n%s", execPath, err, b.output.String())
		}
	case <-time.After(90 * time.Second):
		cancelTab()
		t.Fatalf("browsertest: %s did not start within 90s\nbrowser output:\n%s", execPath, b.output.String())
	}

	// Headless Chromium will not make a window narrower than 500px, so the
	// phone's viewport is emulated, as a phone: the page's meta viewport
	// applies and (pointer: coarse) matches.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(PhoneWidth, PhoneHeight,
		chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("browsertest: emulate a phone: %v", err)
	}
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("browsertest: read frame tree: %v", err)
	}
	b.mainID = tree.FrameTree.Frame.ID
	if err := chromedp.Listen(ctx, b.onEvent); err != nil {
		t.Fatalf("browsertest: listen: %v", err)
	}
	go b.collectConsole(chromedp.Console(ctx))
	return b
}

// onEvent runs on chromedp's reader goroutine: it must be quick and must not
// call the browser itself.
func (b *Browser) onEvent(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *page.EventFrameStartedLoading:
		if ev.FrameID == b.mainID {
			b.navSeq++
			b.loading = true
		}
	case *page.EventFrameStoppedLoading:
		if ev.FrameID == b.mainID {
			b.loading = false
		}
	case *page.EventJavascriptDialogOpening:
		// A confirm() left open freezes the page. Journeys accept, as a
		// person who meant to press the button would; tests that care read
		// Dialogs.
		b.dialogs = append(b.dialogs, ev.Message)
		go func() {
			_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}()
	}
}

func (b *Browser) collectConsole(messages iter.Seq2[chromedp.ConsoleMessage, error]) {
	for m, err := range messages {
		if err != nil {
			return
		}
		if m.IsException() || m.Type == chromedp.ConsoleError {
			b.mu.Lock()
			b.messages = append(b.messages, m.String())
			b.mu.Unlock()
		}
	}
}

// logDiagnostics writes what a reader of a failed test needs: where the page
// was, JavaScript errors (a CSP violation shows up here) and dialogs.
func (b *Browser) logDiagnostics() {
	b.mu.Lock()
	msgs := append([]string(nil), b.messages...)
	dialogs := append([]string(nil), b.dialogs...)
	b.mu.Unlock()
	b.t.Logf("browsertest: page at failure: %s", b.location())
	for _, m := range msgs {
		b.t.Logf("browsertest: console: %s", m)
	}
	for _, d := range dialogs {
		b.t.Logf("browsertest: dialog accepted: %q", d)
	}
}

// Go opens url and waits for it to load. A url starting with "/" is joined
// to Base.
func (b *Browser) Go(url string) {
	b.t.Helper()
	if strings.HasPrefix(url, "/") && b.Base != "" {
		url = strings.TrimSuffix(b.Base, "/") + url
	}
	ctx, cancel := b.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.fatalf("open %s: %v", url, err)
	}
}

// Fill types text into the visible field matching the CSS selector, replacing
// what was there, as a person typing would (key events fire). A <select> is
// set to the option whose value is text.
func (b *Browser) Fill(selector, text string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	sel := chromedp.CSS(selector)
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(sel, chromedp.NodeVisible))
	if err != nil {
		b.fatalf("fill %q: no visible field: %v", selector, err)
	}
	if len(nodes) > 0 && strings.EqualFold(nodes[0].NodeName, "select") {
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
			const el = document.querySelector(%s);
			el.value = %s;
			el.dispatchEvent(new Event("input", {bubbles: true}));
			el.dispatchEvent(new Event("change", {bubbles: true}));
			return el.value === %[2]s;
		})()`, jsString(selector), jsString(text))))
		if err == nil && !ok {
			b.fatalf("fill %q: the list has no option with the value %q", selector, text)
		}
	} else {
		// Empty the live value first (chromedp.Clear only resets the value
		// attribute), then type.
		err = chromedp.Do(ctx,
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ""`, jsString(selector))),
			chromedp.SendKeys(sel, text))
	}
	if err != nil {
		b.fatalf("fill %q: %v", selector, err)
	}
}

// Click clicks the visible element matching the CSS selector with the mouse
// and, if that starts loading a new page, waits for it to finish loading.
func (b *Browser) Click(selector string) {
	b.t.Helper()
	b.act("click", selector, chromedp.Click(chromedp.CSS(selector)))
}

// Submit submits the form of the element matching the CSS selector (the form
// itself or a field in it) as pressing its submit button would: the browser
// checks required fields and the page's submit handlers run. It waits for
// the next page to load.
func (b *Browser) Submit(selector string) {
	b.t.Helper()
	b.act("submit", selector, chromedp.Steps(
		chromedp.WaitReady(chromedp.CSS(selector)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			const el = document.querySelector(%s);
			const form = el instanceof HTMLFormElement ? el : el.form || el.closest("form");
			if (!form) throw new Error("no form");
			form.requestSubmit();
		})()`, jsString(selector))),
	))
}

// act runs an action that may navigate, then waits for the navigation.
func (b *Browser) act(verb, selector string, a chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	b.mu.Lock()
	before := b.navSeq
	b.mu.Unlock()
	if err := chromedp.Do(ctx, a); err != nil {
		b.fatalf("%s %q: %v", verb, selector, err)
	}
	// A click that submits a form starts loading within a few milliseconds;
	// one that only changes this page never does. Allow a short grace.
	grace := time.Now().Add(300 * time.Millisecond)
	for {
		b.mu.Lock()
		started, loading := b.navSeq != before, b.loading
		b.mu.Unlock()
		switch {
		case started && !loading:
			return
		case !started && time.Now().After(grace):
			return
		}
		select {
		case <-ctx.Done():
			b.fatalf("%s %q: the next page did not finish loading in %v", verb, selector, b.Timeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Text returns the visible text of the first visible element matching the
// CSS selector, trimmed.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector), chromedp.NodeVisible))
	if err != nil {
		b.fatalf("text of %q: no visible element: %v", selector, err)
	}
	return strings.TrimSpace(s)
}

// MustSee waits until text is part of the page's visible text (what a person
// could read: hidden elements do not count), and fails the test with the
// visible text of the page if it never is.
func (b *Browser) MustSee(text string) {
	b.t.Helper()
	// Poll rather than wait on one evaluation: the page may still be
	// replacing itself (a redirect, an htmx swap), which would end a single
	// evaluation with an error that says nothing about the text.
	script := fmt.Sprintf(`document.body !== null && document.body.innerText.includes(%s)`, jsString(text))
	deadline := time.Now().Add(b.Timeout)
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		seen, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script))
		cancel()
		if err == nil && seen {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	detail := ""
	if lastErr != nil {
		detail = fmt.Sprintf(" (last error: %v)", lastErr)
	}
	b.fatalf("expected to see %q on the page within %v%s; the page at %s shows:\n%s",
		text, b.Timeout, detail, b.location(), b.visibleText())
}

// URL returns the address of the page now shown.
func (b *Browser) URL() string {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.fatalf("read URL: %v", err)
	}
	return loc
}

// Screenshot saves a PNG of the whole page, not only the viewport, to path.
func (b *Browser) Screenshot(path string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.fatalf("screenshot: %v", err)
	}
}

// Run runs chromedp actions on the tab, within the same timeout: the escape
// hatch for what the helpers do not cover.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("run: %v", err)
	}
}

// Context returns the tab's chromedp context, for chromedp.Run with actions
// that return a value. Bound it with context.WithTimeout.
func (b *Browser) Context() context.Context { return b.ctx }

// Dialogs returns the messages of the alert, confirm and prompt dialogs the
// page has opened so far; each was accepted.
func (b *Browser) Dialogs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// ConsoleErrors returns the console errors and uncaught exceptions seen so
// far, including Content Security Policy violations.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.messages...)
}

func (b *Browser) timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, b.Timeout)
}

// location returns the page's address for a failure message.
func (b *Browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown)"
	}
	return loc
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// visibleText returns the page's visible text for a failure message.
func (b *Browser) visibleText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : "(no body)"`))
	if err != nil {
		return fmt.Sprintf("(could not read the page: %v)", err)
	}
	const max = 4000
	if len(s) > max {
		s = s[:max] + "\n…"
	}
	return s
}

func (b *Browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if errors.Is(b.ctx.Err(), context.Canceled) {
		msg += "\n(the browser has gone; its output:\n" + b.output.String() + ")"
	}
	b.t.Fatalf("browsertest: %s", msg)
}

// syncBuffer collects the browser's output, written from another goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf.Len() > 1<<20 { // keep memory bounded for chatty browsers
		return len(p), nil
	}
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
