// Package fhir is Hearth's FHIR R4 API for partner systems and staff:
// the JSON mapping of every kind of entry the record holds (one mapping,
// used by the API, $everything and the person's own copy of everything),
// and REST handlers at /fhir/ answering application/fhir+json: read,
// vread, history, search with paging, create and update where the web
// interface allows the same, $everything, and import of a transaction
// Bundle.
//
// It is an adapter at the edge and holds no rules of its own. Every
// request is a door decision as the caller (docs/architecture.md, "The
// door"): reads decide in the handler's own door scope and read through
// the domain packages' scope helpers; writes go through the domain
// services; a search is a query decided as such and a read of every person
// it returns (door.Filter over a list limited in SQL by Reach). Errors are
// OperationOutcome resources naming the element.
//
// Who is calling comes from an Authenticator: a staff member's signed-in
// web session (as that member of staff, for their own purpose), or a
// partner system's token (internal/partners registers its own, making the
// partner an actor of kind system acting for sharing, limited to the
// scopes it was granted).
package fhir

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// ContentType is the FHIR JSON media type.
const ContentType = "application/fhir+json"

// NDJSON is the media type of a bulk export's files: one resource per line.
const NDJSON = "application/fhir+ndjson"

// Interaction is one of the SMART v2 scope letters: create, read, update,
// search.
type Interaction byte

// Interactions.
const (
	Create Interaction = 'c'
	Read   Interaction = 'r'
	Update Interaction = 'u'
	Search Interaction = 's'
)

// Scopes limits what a caller may read and search, by resource type: the
// SMART v2 system scopes its token was granted (system/Observation.rs).
// partners.Scopes is the implementation. The door still decides every
// request; scopes only narrow it. A caller limited by scopes writes
// nothing: the only such callers are partner systems, which only read.
type Scopes interface {
	CanRead(resourceType string) bool   // read, vread, history of one resource
	CanSearch(resourceType string) bool // search, and operations that return many
}

// Caller is who is calling, why, and within what scopes.
type Caller struct {
	Actor     door.Actor
	Purpose   access.Purpose // carried on every decision
	Recipient string         // for sharing: who the data goes to (a partner), carried on every decision
	Scopes    Scopes         // nil: no limit but the door's
}

// Authenticator finds the caller a request carries credentials for. ok is
// false when the request carries none of its kind (the next authenticator
// is tried); an error refuses the request (401 for KindUnauthenticated).
type Authenticator interface {
	Authenticate(r *http.Request) (c Caller, ok bool, err error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (Caller, bool, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Caller, bool, error) { return f(r) }

// Config is how the API behaves.
type Config struct {
	// Base is the API's public base URL, e.g. https://care.example.org/fhir.
	// Hearth's own code systems and extensions are named under it. Empty:
	// worked out from each request.
	Base string
	// TokenURL is where partner systems ask for access tokens (SMART
	// Backend Services), as the CapabilityStatement says. Empty: the
	// request's own scheme and host with partners.TokenPath.
	TokenURL string
	// SessionCookie is the name of the staff web session cookie.
	SessionCookie string
	MaxBody       int64 // largest request body accepted, in bytes
}

// Deps are the services the API calls.
type Deps struct {
	Door     *door.Door
	Accounts *accounts.Service
	People   *people.Service
	Care     *care.Service
	Consent  *consent.Service
	Tech     *tech.Service
	Portal   *portal.Service
	Partners *partners.Service // bulk export; nil: no $export
	Clock    hearth.Clock
	Log      *slog.Logger
}

// Server is the FHIR API's HTTP handler, mounted at /fhir/.
type Server struct {
	Deps
	cfg    Config
	mux    *http.ServeMux
	routes []Route
	auth   []Authenticator
}

// Route is one registered route. Personal routes make a door decision on
// every request (the route walk in routes_test.go holds them to it);
// Authenticated ones need a caller (every personal route, and the status
// and files of a partner's own bulk export, whose contents were decided
// when they were written).
type Route struct {
	Method, Path  string
	Personal      bool
	Authenticated bool
}

// routeKind is how a route is guarded.
type routeKind int

const (
	open      routeKind = iota // no caller: what the server offers, no one's data
	personal                   // a caller, and a door decision on every request
	ownExport                  // a partner system, reaching only its own export (partners.ExportStatus, ExportFile)
)

// New builds the API.
func New(deps Deps, cfg Config) *Server {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 8 << 20
	}
	if cfg.SessionCookie == "" {
		cfg.SessionCookie = "hearth_session"
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{Deps: deps, cfg: cfg, mux: http.NewServeMux()}
	s.auth = append(s.auth, sessionAuth{s})
	s.registerRoutes()
	return s
}

// AddAuthenticator adds a way to authenticate callers, tried before the
// staff web session (a partner's bearer token).
func (s *Server) AddAuthenticator(a Authenticator) {
	s.auth = append([]Authenticator{a}, s.auth...)
}

// Routes lists every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

func (s *Server) handle(method, path string, kind routeKind, h handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Personal: kind == personal, Authenticated: kind != open})
	s.mux.Handle(method+" "+path, s.wrap(kind, h))
}

func (s *Server) registerRoutes() {
	s.handle("GET", "/fhir/metadata", open, s.metadata)
	s.handle("GET", "/fhir/CodeSystem", open, s.conformanceSearch("CodeSystem"))
	s.handle("GET", "/fhir/CodeSystem/{id}", open, s.conformanceRead("CodeSystem"))
	s.handle("GET", "/fhir/StructureDefinition", open, s.conformanceSearch("StructureDefinition"))
	s.handle("GET", "/fhir/StructureDefinition/{id}", open, s.conformanceRead("StructureDefinition"))

	s.handle("POST", "/fhir/{$}", personal, s.transaction)
	s.handle("GET", "/fhir/Patient/{id}/$everything", personal, s.everything)
	s.handle("GET", "/fhir/{type}", personal, s.search)
	s.handle("POST", "/fhir/{type}", personal, s.create)
	s.handle("GET", "/fhir/{type}/{id}", personal, s.read)
	s.handle("PUT", "/fhir/{type}/{id}", personal, s.update)
	s.handle("GET", "/fhir/{type}/{id}/_history", personal, s.history)
	s.handle("GET", "/fhir/{type}/{id}/_history/{vid}", personal, s.vread)

	// Bulk Data Access (bulk.go).
	s.handle("GET", "/fhir/$export", personal, s.exportKickoff(partners.LevelSystem))
	s.handle("GET", "/fhir/Patient/$export", personal, s.exportKickoff(partners.LevelPatient))
	s.handle("GET", "/fhir/Group/{id}/$export", personal, s.exportKickoff(partners.LevelGroup))
	s.handle("GET", statusPath+"{id}", ownExport, s.exportStatus)
	s.handle("DELETE", statusPath+"{id}", ownExport, s.exportCancel)
	s.handle("GET", statusPath+"{id}/files/{file}", ownExport, s.exportFile)
}

// ServeHTTP answers a request under /fhir/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if r.Header.Get("X-Request-ID") == "" {
		// The web middleware gives every request an ID; the API is served
		// beside it, so it gives its own.
		id := newRequestID()
		r.Header.Set("X-Request-ID", id)
	}
	h.Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	if r.ContentLength > s.cfg.MaxBody {
		s.fail(w, r, hearth.Errorf(hearth.KindInvalid, "The request body is too large: the limit is %d KB", s.cfg.MaxBody/1024))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	s.mux.ServeHTTP(w, r)
}

// call is what a handler knows about the request it serves.
type call struct {
	caller Caller
	base   string
}

type handler func(w http.ResponseWriter, r *http.Request, c *call) error

// wrap authenticates the routes that need a caller, checks what the
// request may send, and answers any error through one function.
func (s *Server) wrap(kind routeKind, h handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, hearth.Errorf(hearth.KindForbidden, "This request came from another site, so it was not accepted"))
	}))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{base: s.BaseFor(r)}
		if err := acceptable(r, kind == ownExport); err != nil {
			s.fail(w, r, err)
			return
		}
		if kind != open {
			caller, err := s.authenticate(r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			c.caller = caller
		}
		if err := h(w, r, c); err != nil {
			s.fail(w, r, err)
		}
	})
	// A browser holding a staff session cookie must not be made to write
	// by another site: cross-origin state-changing requests are refused,
	// and writes must say they send FHIR JSON (which a form cannot).
	return cop.Handler(inner)
}

func (s *Server) authenticate(r *http.Request) (Caller, error) {
	for _, a := range s.auth {
		c, ok, err := a.Authenticate(r)
		if err != nil {
			return Caller{}, err
		}
		if ok {
			// Every event the request causes carries its ID and address.
			c.Actor.RequestID = r.Header.Get("X-Request-ID")
			if c.Actor.ClientAddr == "" {
				c.Actor.ClientAddr = clientAddr(r)
			}
			return c, nil
		}
	}
	return Caller{}, hearth.Errorf(hearth.KindUnauthenticated, "Sign in, or send a bearer token, to use the FHIR API")
}

// acceptable refuses what the API does not speak: XML, and writes that do
// not say they send JSON. A bulk export's files are NDJSON, so its routes
// accept a client asking for that too.
func acceptable(r *http.Request, ndjson bool) error {
	if f := r.URL.Query().Get("_format"); f != "" && !jsonFormat(f) {
		return &hearth.Error{Kind: hearth.KindInvalid, Message: "Only JSON is served: _format must be json or application/fhir+json",
			Problems: []hearth.Problem{{Field: "_format", Message: "must be json or application/fhir+json"}}, Err: errNotAcceptable}
	}
	if accept := r.Header.Get("Accept"); accept != "" && !acceptsJSON(accept) && !(ndjson && acceptsNDJSON(accept)) {
		return &hearth.Error{Kind: hearth.KindInvalid, Message: "Only application/fhir+json is served", Err: errNotAcceptable}
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		ct := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0])
		if ct != ContentType && ct != "application/json" {
			return &hearth.Error{Kind: hearth.KindInvalid, Message: "Send the resource as application/fhir+json", Err: errUnsupportedMedia}
		}
	}
	return nil
}

func jsonFormat(f string) bool {
	switch strings.ToLower(f) {
	case "json", "application/json", ContentType, "application/fhir json":
		return true
	}
	return false
}

func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch mt {
		case "*/*", "application/*", "application/json", ContentType, "application/json+fhir":
			return true
		}
	}
	return false
}

func acceptsNDJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		switch strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0])) {
		case NDJSON, "application/ndjson":
			return true
		}
	}
	return false
}

// BaseFor is the FHIR base URL for a request: the configured one, or the
// request's own scheme and host with /fhir.
func (s *Server) BaseFor(r *http.Request) string {
	if s.cfg.Base != "" {
		return strings.TrimSuffix(s.cfg.Base, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: "/fhir"}).String()
}

// sessionAuth accepts a staff member's signed-in web session: the API acts
// as them, for the purpose they act for on their own screens.
type sessionAuth struct{ s *Server }

func (a sessionAuth) Authenticate(r *http.Request) (Caller, bool, error) {
	ck, err := r.Cookie(a.s.cfg.SessionCookie)
	if err != nil || ck.Value == "" {
		return Caller{}, false, nil
	}
	sess, err := a.s.Accounts.LoadSession(r.Context(), ck.Value)
	if err != nil {
		return Caller{}, false, err
	}
	if !sess.Full() {
		return Caller{}, false, hearth.Errorf(hearth.KindUnauthenticated, "Finish signing in (the second step) before using the FHIR API")
	}
	u := sess.User
	if u.Kind != access.KindStaff {
		return Caller{}, false, hearth.Errorf(hearth.KindForbidden, "The FHIR API is for staff and partner systems. Your own record is at /my.")
	}
	actor := door.Actor{Subject: access.Subject{ID: u.ID, Kind: u.Kind, Role: u.Role}, Name: u.DisplayName,
		ClientAddr: clientAddr(r), RequestID: r.Header.Get("X-Request-ID")}
	return Caller{Actor: actor, Purpose: people.Purpose(actor)}, true, nil
}

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// request is a door request about a person for this caller.
func (c *call) request(a access.Action, personID, resourceType, resourceID, detail string) door.Request {
	return door.Request{Action: a, Purpose: c.caller.Purpose, PersonID: personID, ResourceType: resourceType,
		ResourceID: resourceID, Recipient: c.caller.Recipient, Detail: detail}
}

// allowed checks the caller's scopes: a request outside them is refused
// (403, with an insufficient_scope challenge naming the scope it needs)
// before anything is read.
func (c *call) allowed(resourceType string, i Interaction) error {
	sc := c.caller.Scopes
	if sc == nil {
		return nil
	}
	switch {
	case i == Read && sc.CanRead(resourceType), i == Search && sc.CanSearch(resourceType):
		return nil
	}
	return partners.InsufficientScope("system/" + safeType(resourceType) + "." + string(rune(i)))
}

// run opens a door scope as the caller.
func (s *Server) run(ctx context.Context, c *call, fn func(sc *door.Scope) error) error {
	return s.Door.Run(ctx, c.caller.Actor, fn)
}
