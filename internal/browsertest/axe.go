package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// Accessibility checks with axe-core (Deque's rules engine, MPL-2.0), the
// version pinned in axe/package-lock.json. The script is injected into the
// page under test by the DevTools protocol, never served by Hearth, so the
// app's Content Security Policy is untouched and production carries none of
// it. axe/node_modules is installed with `npm ci` on first use; scripts/test
// and .ci/run provide Node (as for internal/fhir/conformance).

// WCAGTags are the rule sets a page must pass: WCAG 2.0, 2.1 and 2.2 at
// levels A and AA.
var WCAGTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// Widths are the viewport widths every page is checked at: a phone and a
// desktop screen.
var Widths = []int{PhoneWidth, 1280}

var axeScript struct {
	once sync.Once
	src  string
	err  error
}

// axeDir is internal/browsertest/axe, found from this file so tests in any
// package can use it.
func axeDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "axe")
}

func loadAxe() (string, error) {
	axeScript.once.Do(func() {
		dir := axeDir()
		path := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(path); err != nil {
			if _, err := exec.LookPath("npm"); err != nil {
				axeScript.err = fmt.Errorf("axe-core is not installed in %s and npm is not on PATH: install Node 20 or later and npm (scripts/test needs them), or run npm ci there", dir)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				axeScript.err = fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
				return
			}
		}
		src, err := os.ReadFile(path)
		if err != nil {
			axeScript.err = err
			return
		}
		axeScript.src = string(src)
	})
	return axeScript.src, axeScript.err
}

// Violation is one axe-core rule a page broke, with where.
type Violation struct {
	ID, Impact, Help, HelpURL string
	Nodes                     []string // CSS selectors of the elements, and why each failed
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s\n    %s\n    %s", v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Nodes, "\n    "))
}

// AxeViolations runs axe-core's WCAG 2.2 A and AA rules on the page as it
// is now and returns what it found.
func (b *Browser) AxeViolations() ([]Violation, error) {
	src, err := loadAxe()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	installed, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		return nil, fmt.Errorf("look for axe: %w", err)
	}
	if !installed {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;undefined")); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	tags := `["` + strings.Join(WCAGTags, `","`) + `"]`
	script := `axe.run(document, {runOnly: {type: "tag", values: ` + tags + `}, resultTypes: ["violations"]}).then(r =>
		r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, HelpURL: v.helpUrl,
			Nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})))`
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]Violation](script, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run axe-core: %w", err)
	}
	return vs, nil
}

// CheckAccessibility fails the test (without stopping it) for each WCAG 2.2
// A or AA rule the page breaks, as axe-core finds them, naming the page.
func (b *Browser) CheckAccessibility(page string) {
	b.t.Helper()
	vs, err := b.AxeViolations()
	if err != nil {
		b.fatalf("axe-core on %s: %v", page, err)
	}
	for _, v := range vs {
		b.t.Errorf("%s at %s breaks WCAG: %s", page, b.location(), v)
	}
}

// CheckAccessibilityAtWidths checks the page at each of Widths, phone first,
// and leaves the browser as a phone.
func (b *Browser) CheckAccessibilityAtWidths(page string) {
	b.t.Helper()
	for _, w := range Widths {
		b.SetWidth(w)
		b.CheckAccessibility(fmt.Sprintf("%s (%d px wide)", page, w))
	}
	b.SetWidth(PhoneWidth)
}

// SetWidth sizes the viewport: PhoneWidth emulates the phone (touch, mobile
// viewport), anything wider a desktop screen 900 px tall.
func (b *Browser) SetWidth(width int) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	var err error
	if width <= PhoneWidth {
		err = chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), PhoneHeight,
			chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	} else {
		err = chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900))
	}
	if err != nil {
		b.fatalf("set the width to %d: %v", width, err)
	}
}

// SaveScreenshot saves a PNG of the whole page as name.png in the directory
// HEARTH_SCREENSHOTS names (relative to the module root, such as
// docs/screenshots), and does nothing when it is not set: the pictures in
// the README are made by the journeys that check those screens.
func (b *Browser) SaveScreenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("HEARTH_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(filepath.Dir(axeDir())), "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.fatalf("screenshots: %v", err)
	}
	b.Screenshot(filepath.Join(dir, name+".png"))
}

// SaveScreenshotOf saves a PNG of the element matching selector as name.png
// in HEARTH_SCREENSHOTS, when it is set.
func (b *Browser) SaveScreenshotOf(selector, name string) {
	b.t.Helper()
	dir := os.Getenv("HEARTH_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(filepath.Dir(axeDir())), "..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.fatalf("screenshots: %v", err)
	}
	ctx, cancel := b.timeout()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		b.fatalf("screenshot of %s: %v", selector, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.fatalf("screenshot: %v", err)
	}
}
