package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/door"
	"hearth/internal/idempotency"
)

// contentSecurityPolicy allows only Hearth's own scripts and styles: no
// inline script, no framing (clickjacking), no plugins, forms post only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type ctxKey int

const requestIDKey ctxKey = 1

// requestID returns the ID given to this request, echoed in X-Request-ID and
// written on every audit event the request causes.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// middleware wraps every request: an ID, security headers, a cap on the body,
// a cross-origin check on state-changing requests, and a recover that turns
// a panic into a logged 500 instead of a dropped connection.
func (s *Server) middleware(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, nil, hearth.Errorf(hearth.KindForbidden, "This form came from another site, so it was not accepted"))
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.Clock()
		id := newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		if s.cfg.RequestTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
			defer cancel()
		}
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-ID", id)
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", permissionsPolicy)
		if s.cfg.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			// Pages hold personal data: never keep them in a shared cache
			// or the browser's back-forward history on a shared device.
			h.Set("Cache-Control", "no-store")
		}
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
			s.renderError(w, r, nil, tooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				s.renderError(rec, r, nil, fmt.Errorf("panic: %v", p))
			}
			s.Log.Info("request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", float64(s.Clock().Sub(start).Microseconds())/1000)
		}()
		protected.ServeHTTP(rec, r)
	})
}

var errBodyTooLarge = errors.New("request body too large")

func tooLarge(limit int64) error {
	size := fmt.Sprintf("%d KB", limit/1024)
	if limit >= 1<<20 {
		size = fmt.Sprintf("%d MB", limit>>20)
	}
	return &hearth.Error{Kind: hearth.KindInvalid, Message: "The file or form sent was too large: the limit is " + size, Err: errBodyTooLarge}
}

// uploadPath is the one page that takes files: the import page.
const uploadPath = "/admin/import"

// bodyLimit is the largest body a request may send: more for a file sent
// to the upload page than for any form.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == uploadPath {
		return s.cfg.MaxUpload
	}
	return s.cfg.MaxBody
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// call is what a handler knows about the request it serves.
type call struct {
	sess    accounts.Session
	token   string
	actor   door.Actor
	signed  bool // a full, MFA-verified session
	preCSRF string
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

const (
	sessionCookie       = "hearth_session"
	secureSessionCookie = "__Host-hearth_session"
	preSessionCookie    = "hearth_presession"
)

func (s *Server) sessionCookieName() string { return SessionCookieName(s.cfg.SecureCookies) }

// SessionCookieName is the staff and portal session cookie's name: the
// FHIR API, served beside the web interface, accepts a staff session too.
func SessionCookieName(secure bool) string {
	if secure {
		return secureSessionCookie
	}
	return sessionCookie
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func meta(r *http.Request) accounts.Meta {
	return accounts.Meta{ClientAddr: clientAddr(r), UserAgent: r.UserAgent(), RequestID: requestID(r)}
}

// clientAddr is the peer address. Hearth does not trust X-Forwarded-For: a
// proxy in front should be configured to pass the address it saw.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// wrap loads the session, enforces sign-in and CSRF for the route's access
// level, and renders any error the handler returns through one function.
func (s *Server) wrap(acc Access, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{}
		if ck, err := r.Cookie(s.sessionCookieName()); err == nil && ck.Value != "" {
			sess, err := s.Accounts.LoadSession(r.Context(), ck.Value)
			if err == nil {
				c.sess, c.token = sess, ck.Value
				c.signed = sess.Stage == "full"
				u := sess.User
				c.actor = door.Actor{Subject: access.Subject{ID: u.ID, Kind: u.Kind, Role: u.Role}, Name: u.DisplayName,
					ClientAddr: clientAddr(r), RequestID: requestID(r)}
			} else if hearth.KindOf(err) == hearth.KindUnauthenticated {
				s.clearSessionCookie(w)
			} else {
				s.renderError(w, r, c, err)
				return
			}
		}
		if acc != Public && !c.signed {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.renderError(w, r, c, hearth.Errorf(hearth.KindUnauthenticated, "Your session has ended. Sign in again."))
			return
		}
		if acc == Personal && !s.portalGuard(w, r, c) {
			return
		}
		if r.Method == http.MethodPost {
			var err error
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				// A file upload: kept in memory up to the page's limit.
				err = r.ParseMultipartForm(s.bodyLimit(r))
			} else {
				err = r.ParseForm()
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					s.renderError(w, r, c, tooLarge(s.bodyLimit(r)))
					return
				}
				s.renderError(w, r, c, hearth.Errorf(hearth.KindInvalid, "The form could not be read"))
				return
			}
			joinDateParts(r.PostForm)
			joinDateParts(r.Form)
			if !s.validCSRF(r, c) {
				s.renderError(w, r, c, hearth.Errorf(hearth.KindForbidden, "This form has expired or did not come from Hearth. Go back, reload the page and try again."))
				return
			}
		}
		var claim *idempotency.Claim
		if r.Method == http.MethodPost {
			var answered bool
			if r, claim, answered = s.idempotent(w, r, c); answered {
				return
			}
		}
		if claim == nil {
			if err := h(w, r, c); err != nil {
				s.renderError(w, r, c, s.explainRefusal(r, c, err))
			}
			return
		}
		rec := &answerRecorder{ResponseWriter: w}
		err := h(rec, r, c)
		if errors.Is(err, idempotency.ErrAlreadySent) && !rec.wrote() {
			// Another request with this key wrote first (a double
			// press): answer as it was answered.
			if s.replayed(w, r, c, claim) {
				return
			}
		}
		if err != nil {
			s.renderError(rec, r, c, s.explainRefusal(r, c, err))
		}
		s.answer(r, claim, rec.status, rec.Header().Get("Location"))
	})
}

// validCSRF checks the form's token: the session's token once there is a
// session, or the pre-session cookie's token on the sign-in form (so an
// attacker cannot sign a victim into the attacker's account).
func (s *Server) validCSRF(r *http.Request, c *call) bool {
	token := r.PostFormValue("csrf")
	if token == "" {
		return false
	}
	if c.token != "" {
		return accounts.VerifyCSRF(c.sess, token)
	}
	ck, err := r.Cookie(preSessionCookie)
	return err == nil && ck.Value != "" && equalStrings(ck.Value, token)
}

// preSessionToken returns the anonymous CSRF token, setting the cookie the
// first time.
func (s *Server) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 20 {
		return ck.Value
	}
	token := newRequestID() + newRequestID()
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: token, Path: "/signin", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return token
}

// limiter slows down repeated sign-in attempts from one address, in front
// of the per-account lockout.
type limiter struct {
	mu     sync.Mutex
	clock  hearth.Clock
	max    int
	window time.Duration
	seen   map[string][]time.Time
}

func newLimiter(clock hearth.Clock, max int, window time.Duration) *limiter {
	return &limiter{clock: clock, max: max, window: window, seen: map[string][]time.Time{}}
}

func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	recent := l.seen[key][:0]
	for _, t := range l.seen[key] {
		if now.Sub(t) < l.window {
			recent = append(recent, t)
		}
	}
	if len(recent) >= l.max {
		l.seen[key] = recent
		return false
	}
	l.seen[key] = append(recent, now)
	if len(l.seen) > 10000 {
		// Forget everyone rather than grow without bound under a flood.
		l.seen = map[string][]time.Time{key: l.seen[key]}
	}
	return true
}
