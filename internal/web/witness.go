package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"hearth"
)

// auditRoutes serve the audit log's signed checkpoints and consistency
// proofs to anyone, without signing in, so that an outside witness (the
// provider's second site, a regulator, another system) can follow the log
// and see a rollback (issue 12 item 1; docs/security.md, "The witnessed
// audit log"). They hold no personal data: a checkpoint is a tree size, a
// root hash and a signature; a proof is hashes.
func (s *Server) auditRoutes() {
	if s.Audit == nil {
		return
	}
	for path, h := range map[string]http.HandlerFunc{"/audit/checkpoint": s.auditCheckpoint, "/audit/consistency": s.auditConsistency} {
		s.routes = append(s.routes, Route{Method: "GET", Path: path, Access: Public})
		s.mux.Handle("GET "+path, h)
	}
}

// auditCheckpoint answers the latest signed checkpoint in the signed-note
// format (golang.org/x/mod/sumdb/note over a tlog tree head).
func (s *Server) auditCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.Audit.LatestCheckpoint(r.Context())
	if err != nil {
		s.auditError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(cp))
}

// auditConsistency answers ?old=N&new=M with the proof that the tree of M
// events holds the tree of N as its prefix, as JSON.
func (s *Server) auditConsistency(w http.ResponseWriter, r *http.Request) {
	var sizes [2]int64
	for i, name := range []string{"old", "new"} {
		n, err := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
		if err != nil {
			s.auditError(w, r, hearth.Invalid(name, "The "+name+" tree size must be a whole number, such as ?old=10&new=20"))
			return
		}
		sizes[i] = n
	}
	c, err := s.Audit.ConsistencyProof(r.Context(), sizes[0], sizes[1])
	if err != nil {
		s.auditError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(c)
}

// auditError answers in plain text: these endpoints are for programs.
func (s *Server) auditError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := "Something went wrong: the request ID is " + requestID(r)
	var herr *hearth.Error
	if hearth.KindOf(err) != hearth.KindInternal && errors.As(err, &herr) {
		msg = herr.Message
		if len(herr.Problems) > 0 {
			// Each broken rule, naming its parameter.
			lines := make([]string, len(herr.Problems))
			for i, p := range herr.Problems {
				lines[i] = p.Field + ": " + p.Message
			}
			msg = strings.Join(lines, "\n")
		}
	} else {
		s.Log.Error("audit endpoint", "request_id", requestID(r), "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
