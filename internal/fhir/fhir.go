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
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// ContentType is the FHIR JSON media type.
const ContentType = "application/fhir+json"

// Interaction is one of the SMART v2 scope letters: create, read, update,
// delete, search.
type Interaction byte

// Interactions.
const (
	Create Interaction = 'c'
	Read   Interaction = 'r'
	Update Interaction = 'u'
	Delete Interaction = 'd'
	Search Interaction = 's'
)

// Scopes limits what a caller may ask for, by resource type and
// interaction (SMART v2: system/Observation.rs). The door still decides
// every request; scopes only narrow it.
type Scopes interface {
	Allows(resourceType string, i Interaction) bool
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

// Route is one registered route; Personal routes make a door decision on
// every request (the route walk in routes_test.go holds them to it).
type Route struct {
	Method, Path string
	Personal     bool
}

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

func (s *Server) handle(method, path string, personal bool, h handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Personal: personal})
	s.mux.Handle(method+" "+path, s.wrap(personal, h))
}

func (s *Server) registerRoutes() {
	s.handle("GET", "/fhir/metadata", false, s.metadata)
	s.handle("GET", "/fhir/CodeSystem", false, s.conformanceSearch("CodeSystem"))
	s.handle("GET", "/fhir/CodeSystem/{id}", false, s.conformanceRead("CodeSystem"))
	s.handle("GET", "/fhir/StructureDefinition", false, s.conformanceSearch("StructureDefinition"))
	s.handle("GET", "/fhir/StructureDefinition/{id}", false, s.conformanceRead("StructureDefinition"))

	s.handle("POST", "/fhir/{$}", true, s.transaction)
	s.handle("GET", "/fhir/Patient/{id}/$everything", true, s.everything)
	s.handle("GET", "/fhir/{type}", true, s.search)
	s.handle("POST", "/fhir/{type}", true, s.create)
	s.handle("GET", "/fhir/{type}/{id}", true, s.read)
	s.handle("PUT", "/fhir/{type}/{id}", true, s.update)
	s.handle("GET", "/fhir/{type}/{id}/_history", true, s.history)
	s.handle("GET", "/fhir/{type}/{id}/_history/{vid}", true, s.vread)
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

// wrap authenticates personal routes, checks what the request may send,
// and answers any error through one function.
func (s *Server) wrap(personal bool, h handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, hearth.Errorf(hearth.KindForbidden, "This request came from another site, so it was not accepted"))
	}))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{base: s.BaseFor(r)}
		if err := acceptable(r); err != nil {
			s.fail(w, r, err)
			return
		}
		if personal {
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
// not say they send JSON.
func acceptable(r *http.Request) error {
	if f := r.URL.Query().Get("_format"); f != "" && !jsonFormat(f) {
		return &hearth.Error{Kind: hearth.KindInvalid, Message: "Only JSON is served: _format must be json or application/fhir+json",
			Problems: []hearth.Problem{{Field: "_format", Message: "must be json or application/fhir+json"}}, Err: errNotAcceptable}
	}
	if accept := r.Header.Get("Accept"); accept != "" && !acceptsJSON(accept) {
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

// allowed checks the caller's scopes.
func (c *call) allowed(resourceType string, i Interaction) error {
	if c.caller.Scopes == nil || c.caller.Scopes.Allows(resourceType, i) {
		return nil
	}
	return hearth.Errorf(hearth.KindForbidden, "The scopes granted do not include %s of %s", interactionName(i), resourceType)
}

func interactionName(i Interaction) string {
	switch i {
	case Create:
		return "creating"
	case Read:
		return "reading"
	case Update:
		return "updating"
	case Delete:
		return "deleting"
	}
	return "searching"
}

// run opens a door scope as the caller.
func (s *Server) run(ctx context.Context, c *call, fn func(sc *door.Scope) error) error {
	return s.Door.Run(ctx, c.caller.Actor, fn)
}
