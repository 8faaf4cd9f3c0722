// Package web is Hearth's HTML interface for staff: server-rendered pages,
// mobile-first (usable at 360 px wide), built on the NHS.UK design system,
// with no inline script so the Content Security Policy can forbid it. It
// translates HTTP to calls on the domain services and holds no rules of its
// own: every page about a person goes through the services, which go
// through the door.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"hearth"
	"hearth/internal/accounts"
	"hearth/internal/attention"
	"hearth/internal/audit"
	"hearth/internal/breakglass"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/fhir"
	"hearth/internal/governance"
	"hearth/internal/idempotency"
	"hearth/internal/imports"
	"hearth/internal/partners"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config is how the web server behaves.
type Config struct {
	SecureCookies bool   // set the Secure flag and the __Host- prefix (under TLS)
	MaxBody       int64  // largest request body accepted, in bytes
	MaxUpload     int64  // largest file upload accepted (the import page), in bytes
	HistoryLimit  int    // access-history rows on each page of a whole history (staff's and the portal's)
	RecentLimit   int    // access-history rows on the person page itself, which links to the whole history
	PublicURL     string // the origin people use, e.g. https://hearth.example.org: passkeys are bound to it (empty: the request's host)
	// RequestTimeout bounds every request: past it, whatever the request
	// waits on (a stalled database, a lock) is abandoned and the person
	// is told to try again shortly. Zero: no limit.
	RequestTimeout time.Duration
}

// Deps are the services the web layer calls.
type Deps struct {
	Accounts   *accounts.Service
	People     *people.Service
	BreakGlass *breakglass.Service
	Care       *care.Service
	Consent    *consent.Service
	Tech       *tech.Service
	Portal     *portal.Service
	Governance *governance.Service
	Attention  *attention.Service // Needs attention and the quality dashboard
	Partners   *partners.Service
	FHIR       *fhir.Server // the person's copy of everything is the API's own mapping
	Imports    *imports.Service
	Keys       *idempotency.Keys
	Audit      *audit.Log // the signed checkpoints and consistency proofs, served to outside witnesses
	// Ready reports whether the database answers a read and accepts a
	// write, for /readyz (store.DB.Ready).
	Ready func(context.Context) error
	Clock hearth.Clock
	Log   *slog.Logger
}

// Server is the HTTP handler for the whole web interface.
type Server struct {
	Deps
	cfg      Config
	pages    map[string]*template.Template
	mux      *http.ServeMux
	routes   []Route
	sections []section
	limiter  *limiter
}

// section is a part of a person's record with a page of its own (care plans,
// consent and capacity, technology, ...), linked from the person page. Each
// feature adds its sections where it registers its routes, so the person
// page grows without anyone editing its template.
type section struct {
	Title string
	Path  string // under /people/{id}, such as "/care-plans"
	Hint  string // one line saying what is there
}

// addSection links a section from the person page.
func (s *Server) addSection(title, path, hint string) {
	s.sections = append(s.sections, section{Title: title, Path: path, Hint: hint})
}

// Access says what a route touches, for the middleware and for the test that
// walks every route (DESIGN.md invariant 1).
type Access int

const (
	Public   Access = iota // no sign-in: assets, the sign-in pages
	Account                // signed in, but no one's personal data: sign-out
	Personal               // reads or changes personal data: must go through the door
)

// Route is one registered route.
type Route struct {
	Method, Path string
	Access       Access
}

// New builds the server.
func New(deps Deps, cfg Config) (*Server, error) {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = imports.MaxFileBytes + 64<<10 // the file and the form around it
	}
	if cfg.HistoryLimit == 0 {
		cfg.HistoryLimit = 50
	}
	if cfg.RecentLimit == 0 {
		cfg.RecentLimit = 20
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{Deps: deps, cfg: cfg, mux: http.NewServeMux(), limiter: newLimiter(deps.Clock, 20, time.Minute)}
	if err := s.loadTemplates(); err != nil {
		return nil, err
	}
	s.registerRoutes()
	return s, nil
}

// Routes lists every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP runs the request through the common middleware and the router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.middleware(http.HandlerFunc(s.route)).ServeHTTP(w, r)
}

func (s *Server) handle(method, path string, acc Access, h handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Access: acc})
	s.mux.Handle(method+" "+path, s.wrap(acc, h))
}

func (s *Server) registerRoutes() {
	static, _ := fs.Sub(staticFiles, "static")
	s.routes = append(s.routes, Route{Method: "GET", Path: "/static/", Access: Public})
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	// NHS.UK frontend's CSS refers to its icons at /assets/.
	assets, _ := fs.Sub(staticFiles, "static/nhsuk/assets")
	s.routes = append(s.routes, Route{Method: "GET", Path: "/assets/", Access: Public})
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", staticHandler(assets)))

	s.healthRoutes()
	s.auditRoutes()
	s.handle("GET", "/signin", Public, s.signInPage)
	s.handle("POST", "/signin", Public, s.signIn)
	s.handle("GET", "/signin/enrol", Public, s.enrolPage)
	s.handle("POST", "/signin/enrol", Public, s.enrol)
	s.handle("GET", "/signin/mfa", Public, s.mfaPage)
	s.handle("POST", "/signin/mfa", Public, s.mfa)
	s.handle("POST", "/signout", Account, s.signOut)
	s.handle("POST", "/signout/everywhere", Account, s.signOutEverywhere)

	s.handle("GET", "/{$}", Personal, s.home)
	s.handle("GET", "/people/{id}", Personal, s.personPage)
	s.handle("GET", "/people/{id}/history", Personal, s.personHistory)
	s.handle("POST", "/break-glass", Personal, s.openBreakGlass)
	s.handle("GET", "/governance/break-glass", Personal, s.breakGlassReviews)
	s.handle("POST", "/governance/break-glass/{id}/review", Personal, s.reviewBreakGlass)
	s.portalRoutes()
	s.careRecordRoutes()
	s.consentRoutes()
	s.careObsRoutes()
	s.techRoutes()
	s.inspectionRoutes()
	s.governanceRecordsRoutes()
	s.passkeyRoutes()
	s.partnerRoutes()
	s.setupRoutes()
	s.admissionRoutes()
	s.importRoutes()
	s.attentionRoutes()
}

// staticHandler serves embedded assets with long caching: their names change
// when refreshed.
func staticHandler(files fs.FS) http.Handler {
	fsrv := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
