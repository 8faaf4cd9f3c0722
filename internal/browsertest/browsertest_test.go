package browsertest_test

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hearth/internal/browsertest"
)

// The test page uses only what Hearth's pages may: no inline script (the CSP
// below forbids it), JavaScript from a file, a form that posts and redirects.
const formPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Record a drink</title>
<script type="module" src="/app.js"></script></head>
<body>
<h1>Record a drink</h1>
<form method="post" action="/drinks" data-confirm="Save this drink?">
  <label for="drink">Drink</label>
  <input id="drink" name="drink" required>
  <label for="ml">Amount (ml)</label>
  <select id="ml" name="ml"><option value="100">100</option><option value="250">250</option></select>
  <button type="submit" id="save">Save</button>
</form>
<p id="secret" hidden>Hidden text</p>
<p id="width"></p>
</body></html>`

const appJS = `
document.getElementById('width').textContent = 'Width ' + window.innerWidth;
document.addEventListener('submit', (e) => {
  const m = e.target.dataset.confirm;
  if (m && !window.confirm(m)) e.preventDefault();
});`

var savedPage = template.Must(template.New("saved").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Saved</title></head>
<body><h1>Saved</h1><p id="result">{{.Drink}}, {{.ML}} ml</p></body></html>`))

func newServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	csp := func(w http.ResponseWriter) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'")
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		csp(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(formPage))
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write([]byte(appJS))
	})
	mux.HandleFunc("POST /drinks", func(w http.ResponseWriter, r *http.Request) {
		// Post, redirect, get: the pattern Hearth's forms follow.
		http.Redirect(w, r, "/saved?drink="+r.FormValue("drink")+"&ml="+r.FormValue("ml"), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /saved", func(w http.ResponseWriter, r *http.Request) {
		csp(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = savedPage.Execute(w, map[string]string{"Drink": r.FormValue("drink"), "ML": r.FormValue("ml")})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestACareWorkerFillsInAFormAndSeesWhatWasSaved(t *testing.T) {
	srv := newServer(t)
	b := browsertest.New(t)
	b.Base = srv.URL

	b.Go("/")
	b.MustSee("Record a drink")
	b.MustSee("Width 390") // the page is laid out for a phone
	if got := b.Text("#drink + label"); got != "Amount (ml)" {
		t.Errorf("Text = %q", got)
	}
	b.Fill("#drink", "Tea")
	b.Fill("#drink", "Tea with milk") // Fill replaces, it does not append
	b.Fill("#ml", "250")
	b.Click("#save")

	b.MustSee("Saved")
	if got, want := b.Text("#result"), "Tea with milk, 250 ml"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
	if !strings.HasPrefix(b.URL(), srv.URL+"/saved?") {
		t.Errorf("URL = %q, want the saved page", b.URL())
	}
	if got := b.Dialogs(); len(got) != 1 || got[0] != "Save this drink?" {
		t.Errorf("dialogs = %q, want the confirm prompt once", got)
	}
	if errs := b.ConsoleErrors(); len(errs) != 0 {
		t.Errorf("console errors: %q", errs)
	}

	shot := filepath.Join(t.TempDir(), "saved.png")
	b.Screenshot(shot)
	if data, err := os.ReadFile(shot); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
		t.Errorf("screenshot is not a PNG (err %v)", err)
	}
}

func TestSubmitSendsTheFormLikeItsButton(t *testing.T) {
	srv := newServer(t)
	b := browsertest.New(t)
	b.Base = srv.URL

	b.Go("/")
	b.Fill("#drink", "Water")
	b.Submit("#drink")
	if got, want := b.Text("#result"), "Water, 100 ml"; got != want {
		t.Errorf("result = %q, want %q", got, want)
	}
}
