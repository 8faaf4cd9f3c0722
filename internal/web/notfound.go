package web

import (
	"net/http"

	"hearth/internal/audit"
)

// Unknown addresses get the NHS.UK "page not found" page in Hearth's own
// layout (a title, the language, the menu for whoever is signed in), never
// Go's plain-text "404 page not found".

// route sends a request to its handler, or to the page-not-found page when
// no route matches a GET or HEAD. Other methods keep the router's answer
// (405 with the methods allowed).
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if _, pattern := s.mux.Handler(r); pattern == "" {
			s.wrap(Public, s.pageNotFound).ServeHTTP(w, r)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) pageNotFound(w http.ResponseWriter, r *http.Request, c *call) error {
	s.render(w, r, c, http.StatusNotFound, "notfound", "Page not found", map[string]any{"SignedIn": c.signed})
	return nil
}

// personPageAccessRows is how much of the access log the person page
// shows: this visit and the latest few. The whole log has its own paged
// page (/people/{id}/history), so a phone is not scrolled through twenty
// rows of it (issue 15: the page was up to 26,000 px tall).
const personPageAccessRows = 8

// LatestAccess is the start of the access log the person page shows.
func (v personView) LatestAccess() []audit.Event {
	if len(v.Access) > personPageAccessRows {
		return v.Access[:personPageAccessRows]
	}
	return v.Access
}
