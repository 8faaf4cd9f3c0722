package fhir

// Every answer is JSON, and every error an OperationOutcome with the right
// status, naming the element it is about: one function maps Hearth's error
// kinds to both.

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"hearth"
)

var (
	errNotAcceptable    = errors.New("not acceptable")
	errUnsupportedMedia = errors.New("unsupported media type")
	errPrecondition     = errors.New("precondition failed")
	errNotSupported     = errors.New("not supported")
	errGone             = errors.New("gone")
)

// preconditionFailed is a stale If-Match: someone changed the resource
// first.
func preconditionFailed(format string, args ...any) error {
	e := hearth.Errorf(hearth.KindConflict, format, args...)
	e.Err = errPrecondition
	return e
}

// notSupported is an interaction or type Hearth does not offer.
func notSupported(format string, args ...any) error {
	e := hearth.Errorf(hearth.KindNotFound, format, args...)
	e.Err = errNotSupported
	return e
}

// invalid is a problem with one element of what was sent.
func invalid(element, message string) error {
	return &hearth.Error{Kind: hearth.KindInvalid, Message: message, Problems: []hearth.Problem{{Field: element, Message: message}}}
}

// problems collects problems, each naming its element.
type problems struct{ list hearth.Problems }

func (p *problems) add(element, message string) { p.list.Add(element, message) }

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return &hearth.Error{Kind: hearth.KindInvalid, Message: "The resource is not valid", Problems: p.list}
}

// statusOf and issueCode map an error to its HTTP status and FHIR issue
// type.
func statusOf(err error) (int, string) {
	switch {
	case errors.Is(err, errNotAcceptable):
		return http.StatusNotAcceptable, "not-supported"
	case errors.Is(err, errUnsupportedMedia):
		return http.StatusUnsupportedMediaType, "not-supported"
	case errors.Is(err, errPrecondition):
		return http.StatusPreconditionFailed, "conflict"
	case errors.Is(err, errNotSupported):
		return http.StatusNotFound, "not-supported"
	case errors.Is(err, errMethodNotAllowed):
		return http.StatusMethodNotAllowed, "not-supported"
	case errors.Is(err, errGone):
		return http.StatusGone, "deleted"
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, "too-costly"
	}
	switch hearth.KindOf(err) {
	case hearth.KindInvalid:
		return http.StatusBadRequest, "invalid"
	case hearth.KindNotFound:
		return http.StatusNotFound, "not-found"
	case hearth.KindForbidden:
		return http.StatusForbidden, "forbidden"
	case hearth.KindConflict:
		return http.StatusConflict, "conflict"
	case hearth.KindUnauthenticated:
		return http.StatusUnauthorized, "login"
	case hearth.KindTooMany:
		return http.StatusTooManyRequests, "throttled"
	case hearth.KindUnavailable:
		return http.StatusServiceUnavailable, "transient"
	}
	return http.StatusInternalServerError, "exception"
}

// Outcome is err as an OperationOutcome with its HTTP status: each problem
// an issue naming its element (FHIRPath in expression), or one issue
// saying what went wrong.
func Outcome(err error) (int, *OperationOutcome) {
	status, code := statusOf(err)
	oo := &OperationOutcome{Base: Base{ResourceType: "OperationOutcome"}}
	var e *hearth.Error
	if status == http.StatusInternalServerError || !errors.As(err, &e) {
		oo.Issue = []Issue{{Severity: "error", Code: code, Diagnostics: "Something went wrong in Hearth; nothing was changed. Try again, and tell the service if it happens again."}}
		return status, oo
	}
	for _, p := range e.Problems {
		// Field is the element (FHIRPath) or search parameter: the API
		// names elements itself, and rewrites a service's form fields to
		// the elements they came from (fields.named).
		is := Issue{Severity: "error", Code: code, Diagnostics: p.Message}
		if p.Field != "" {
			is.Expression = []string{p.Field}
		}
		oo.Issue = append(oo.Issue, is)
	}
	if len(oo.Issue) == 0 {
		oo.Issue = []Issue{{Severity: "error", Code: code, Diagnostics: e.Message}}
	}
	return status, oo
}

// fail answers err.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, oo := Outcome(err)
	if status == http.StatusInternalServerError {
		s.Log.Error("fhir", "request_id", r.Header.Get("X-Request-ID"), "method", r.Method, "path", r.URL.Path, "err", err)
	}
	// A refused bearer token says why (RFC 6750 section 3): no token, an
	// invalid or expired one, or scopes that do not reach the request.
	var ch interface{ Challenge() string }
	switch {
	case errors.As(err, &ch):
		w.Header().Set("WWW-Authenticate", ch.Challenge())
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="hearth"`)
	}
	if status == http.StatusServiceUnavailable {
		// The database cannot serve just now (docs/architecture.md, "When
		// the database fails"): a client may try again in a while.
		w.Header().Set("Retry-After", "30")
	}
	writeJSON(w, status, oo)
}

// writeJSON answers v as FHIR JSON, streamed: a whole record can be many
// megabytes, and Hearth's own structs always encode.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType+"; charset=utf-8")
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	_ = bw.Flush()
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
