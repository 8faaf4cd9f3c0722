package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hearth/internal/browsertest"
)

// axe-core, injected under a CSP that forbids inline script, finds what
// breaks WCAG (an image with no text alternative, a field with no label,
// grey text too faint to read) and passes a page that keeps the rules.
func TestAxeFindsWCAGViolationsUnderTheCSPAndPassesACleanPage(t *testing.T) {
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; img-src 'self' data:")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Page</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body><main><h1>Page</h1>` + body + `</main></body></html>`))
		}
	}
	mux.HandleFunc("GET /bad", page(`<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<input id="amount" name="amount"><p><span class="faint">Faint</span></p><a href="/x"></a>`))
	mux.HandleFunc("GET /good", page(`<label for="amount">Amount</label><input id="amount" name="amount"><p><a href="/x">Drinks</a></p>`))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := browsertest.New(t)
	b.Base = srv.URL
	b.Go("/bad")
	vs, err := b.AxeViolations()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"image-alt", "label", "link-name"} {
		if !strings.Contains(strings.Join(ids, " "), want) {
			t.Errorf("axe missed %s; found %v", want, ids)
		}
	}
	b.Go("/good")
	for _, w := range browsertest.Widths {
		b.SetWidth(w)
		vs, err := b.AxeViolations()
		if err != nil || len(vs) != 0 {
			t.Errorf("a clean page at %d px: %v %v", w, vs, err)
		}
	}
}
