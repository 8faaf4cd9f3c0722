package web

// Kind failures (issue 12 item 5; docs/architecture.md, "When the database
// fails"). When the database is full, read-only, unreachable or too slow,
// a page answers 503 with Retry-After and says so in words: a form that
// could not be saved is shown again with everything that was typed, ready
// to send again. Every form carries an idempotency key beside its CSRF
// token, so sending it again after an unknown outcome can never save it
// twice. /healthz and /readyz are for a load balancer.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"hearth"
	"hearth/internal/idempotency"
)

// retryAfter is what a 503 tells clients: a minute is about how long a
// failover or a restart takes, and not so long anyone gives up.
const retryAfter = "30"

// readyTime bounds the readiness check, within any request deadline.
const readyTime = 5 * time.Second

// healthRoutes registers the load balancer's checks outside wrap: they
// read no session, so a database that cannot load one does not fail them.
func (s *Server) healthRoutes() {
	for path, h := range map[string]http.HandlerFunc{"/healthz": s.healthz, "/readyz": s.readyz} {
		s.routes = append(s.routes, Route{Method: "GET", Path: path, Access: Public})
		s.mux.Handle("GET "+path, h)
	}
}

// healthz says the process is alive and serving HTTP. It does not touch
// the database: a load balancer restarts what fails this, and a database
// outage is no reason to restart every node.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether this node can serve: the database answers a read and
// accepts a write. A load balancer sends no one here while it fails. The
// cause is logged, never shown.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.Ready == nil {
		_, _ = w.Write([]byte("ready\n"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTime)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready", "request_id", requestID(r), "err", err)
		w.Header().Set("Retry-After", retryAfter)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: the database does not answer or does not accept writes\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// --- Idempotency keys ---

// csrfInput is how every template writes the CSRF field; the key is added
// right after it, so every form, now and later, carries one without its
// template saying so.
var (
	csrfInput = []byte(`<input type="hidden" name="csrf" value="`)
	idemInput = []byte(`<input type="hidden" name="` + idempotency.Field + `"`)
)

// withIdempotencyKeys adds a fresh key after each CSRF field of a rendered
// page, except where the page already put one (a form shown again to be
// sent again keeps its first key).
func withIdempotencyKeys(html []byte) []byte {
	if !bytes.Contains(html, csrfInput) {
		return html
	}
	var out bytes.Buffer
	out.Grow(len(html) + 512)
	rest := html
	for {
		i := bytes.Index(rest, csrfInput)
		if i < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		end := bytes.IndexByte(rest[i:], '>')
		if end < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		end += i + 1
		out.Write(rest[:end])
		rest = rest[end:]
		if bytes.HasPrefix(bytes.TrimLeft(rest, " \n\t"), idemInput) {
			continue
		}
		out.WriteString(`<input type="hidden" name="` + idempotency.Field + `" value="` + newIdempotencyKey() + `">`)
	}
}

func newIdempotencyKey() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// idempotent decides a form post that carries a key, before its handler
// runs: a key already used answers as its first request was answered (or
// is refused when the form differs), and a fresh one goes into the
// request's context for the door to claim with the first write. It reports
// whether it answered; otherwise it returns the request to run.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, c *call) (*http.Request, *idempotency.Claim, bool) {
	key := r.PostFormValue(idempotency.Field)
	if key == "" || s.Keys == nil || !c.signed {
		return r, nil, false
	}
	if !idempotency.Valid(key) {
		s.renderError(w, r, c, hearth.Errorf(hearth.KindInvalid, "The form could not be read. Go back, reload the page and try again."))
		return r, nil, true
	}
	// Passwords and codes are not part of "the same form": a form sent
	// again has them typed again (renderUnavailable never echoes them).
	form := url.Values{}
	for name, values := range r.PostForm {
		if !secretField(name) {
			form[name] = values
		}
	}
	claim := &idempotency.Claim{AccountID: c.sess.User.ID, Key: key, BodyHash: idempotency.BodyHash(r.Method, r.URL.Path, form)}
	if s.replayed(w, r, c, claim) {
		return r, nil, true
	}
	return r.WithContext(idempotency.WithClaim(r.Context(), claim)), claim, false
}

// replayed answers a request whose key was used before, and reports
// whether it did.
func (s *Server) replayed(w http.ResponseWriter, r *http.Request, c *call, claim *idempotency.Claim) bool {
	rec, found, err := s.Keys.Find(r.Context(), claim.AccountID, claim.Key)
	if err != nil {
		s.renderError(w, r, c, err)
		return true
	}
	if !found {
		return false
	}
	if rec.BodyHash != claim.BodyHash {
		s.renderError(w, r, c, hearth.Errorf(hearth.KindInvalid,
			"This form was sent before with different details, so it was not sent again. Go back, reload the page and fill it in again."))
		return true
	}
	loc := rec.Location
	if rec.Status < 300 || rec.Status > 399 || loc == "" {
		loc = s.pageAt(r.URL.Path)
	}
	s.Log.Info("form sent again: answered as the first time", "request_id", requestID(r), "path", r.URL.Path, "location", loc)
	http.Redirect(w, r, loc, http.StatusSeeOther)
	return true
}

// pageAt is where to go after a form at path was saved when the first
// answer was not recorded: the page at the same address, if there is one,
// or else the home page.
func (s *Server) pageAt(path string) string {
	req := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: path}, Header: http.Header{}}
	if _, pattern := s.mux.Handler(req); pattern != "" {
		return path
	}
	return "/"
}

// answer records how the request that claimed a key was answered, once its
// write committed, when a retry could not work it out: a redirect anywhere
// but the page at the form's own address (the usual answer to a form, and
// what a retry is sent to when nothing is recorded) costs no second
// commit. It has a little time of its own: the request's deadline may be
// what it is about.
func (s *Server) answer(r *http.Request, claim *idempotency.Claim, status int, location string) {
	if claim == nil || !claim.Committed() || status < 300 || status > 399 || location == "" || location == s.pageAt(r.URL.Path) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), readyTime)
	defer cancel()
	if err := s.Keys.Answer(ctx, claim.AccountID, claim.Key, status, location); err != nil {
		// The key stays claimed, so a retry still never writes twice; it
		// is sent to the page at the same address instead.
		s.Log.Warn("could not record a form's answer", "request_id", requestID(r), "err", err)
	}
}

// answerRecorder notes the status and redirect a handler answers with.
type answerRecorder struct {
	http.ResponseWriter
	status int
}

func (a *answerRecorder) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerRecorder) wrote() bool { return a.status != 0 }

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.ResponseWriter.Write(b)
}

// --- The page for a database that cannot serve ---

// unavailableView is the 503 page: what happened, in words, and for a form,
// everything that was typed, ready to send again with the same key.
type unavailableView struct {
	Heading, Lead, Advice string
	Again                 string       // a page: the address to try again
	Action                string       // a form: where it is sent again
	CSRF, Key             string       // sent again as they came
	Hidden                []typedField // every other field, as it came
	Secrets               []typedField // passwords and codes: typed again, never echoed
	Typed                 []typedField // what the person typed, to read (and copy)
}

type typedField struct{ Name, Label, Value string }

// secretField reports whether a field holds a password or a code, which is
// never sent back to the browser: the person types it again.
func secretField(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || n == "confirm" || n == "code" || strings.Contains(n, "secret")
}

// fieldLabel turns a field's name into words ("care_date" is "Care date").
func fieldLabel(name string) string {
	words := strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(name))
	if words == "" {
		return name
	}
	return strings.ToUpper(words[:1]) + words[1:]
}

// renderUnavailable shows the database's failure as a page: for a form,
// everything typed kept and ready to send again (with the same key, so an
// unknown outcome cannot become a second save); for a page, a way back.
func (s *Server) renderUnavailable(w http.ResponseWriter, r *http.Request, c *call, err error) {
	s.Log.Warn("database unavailable", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
	v := unavailableView{Again: r.URL.RequestURI()}
	title := "Hearth cannot open this page right now"
	switch {
	case r.Method != http.MethodPost:
		v.Heading = title
		v.Lead = "Hearth's database is not answering just now. Nothing has been lost."
		v.Advice = "Try again in a minute."
	case errors.Is(err, hearth.ErrOutcomeUnknown):
		title = "Hearth cannot tell whether this was saved"
		v.Heading = title
		v.Lead = "Hearth's database stopped answering while this was being saved, so Hearth cannot tell whether it was."
		v.Advice = "Send it again in a minute. If it was saved the first time, it will not be saved twice: you will see it once."
	default:
		title = "Hearth cannot save right now"
		v.Heading = title
		v.Lead = "Hearth's database is not answering just now, so this has not been saved. Everything you entered is kept below."
		v.Advice = "Send it again in a minute."
	}
	if r.Method == http.MethodPost {
		if r.PostForm == nil {
			_ = r.ParseForm()
		}
		v.Action = r.URL.Path
		v.CSRF = r.PostFormValue("csrf")
		v.Key = r.PostFormValue(idempotency.Field)
		names := make([]string, 0, len(r.PostForm))
		for name := range r.PostForm {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if name == "csrf" || name == idempotency.Field {
				continue
			}
			if secretField(name) {
				v.Secrets = append(v.Secrets, typedField{Name: name, Label: fieldLabel(name)})
				continue
			}
			for _, value := range r.PostForm[name] {
				f := typedField{Name: name, Label: fieldLabel(name), Value: value}
				v.Hidden = append(v.Hidden, f)
				if strings.TrimSpace(value) != "" && !hearth.ValidID(value) {
					v.Typed = append(v.Typed, f)
				}
			}
		}
	}
	s.renderWith(w, r, c, http.StatusServiceUnavailable, "unavailable", page{Title: title, Data: v})
}
