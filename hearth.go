// Package hearth holds what every part of Hearth shares: the small set of
// error kinds, identifiers and the clock. Domain packages live under internal/
// and are named after the nouns of care (people, consent, care, tech, audit,
// access); this package knows none of them.
package hearth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Kind is the small set of ways an operation can fail. Each adapter (HTML,
// FHIR, CLI) maps a Kind to its own form in exactly one function.
type Kind int

const (
	KindInternal        Kind = iota // a fault in Hearth or its storage
	KindInvalid                     // the input breaks a rule; nothing was changed
	KindNotFound                    // no such thing, or not one the caller may know about
	KindForbidden                   // the caller may not do this, and may know the thing exists
	KindConflict                    // someone else changed it first; nothing was lost
	KindUnauthenticated             // sign in first
	KindTooMany                     // slow down: too many attempts
	KindUnavailable                 // try again later
)

// ErrStoreUnavailable marks an error from a database that cannot serve
// right now: full, read-only, unreachable, or slower than the request may
// wait. The store wraps such errors in a KindUnavailable Error carrying it,
// so the web answers 503 and keeps what was typed, and nothing is half done:
// the transaction did not commit.
var ErrStoreUnavailable = errors.New("the database is unavailable")

// ErrOutcomeUnknown marks a commit whose answer never came: the connection
// broke after COMMIT was sent, so the write may or may not be durable. The
// door settles the question when it can (docs/architecture.md, "When the
// database fails"); when it cannot, the person is told plainly, and the
// form's idempotency key makes sending it again safe.
var ErrOutcomeUnknown = errors.New("the database stopped answering while committing: the outcome is unknown")

// Problem is one broken rule, naming the field in the words a care worker
// reads on the form ("Date of birth must be in the past").
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is Hearth's error value. Message is plain English, safe to show.
type Error struct {
	Kind     Kind
	Message  string
	Problems []Problem // for KindInvalid: every broken rule, field by field
	Err      error     // the underlying cause, never shown to users
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, p := range e.Problems {
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Field + ": " + p.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an error of the given kind with a message safe to show.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports that one field breaks one rule.
func Invalid(field, message string) *Error {
	return &Error{Kind: KindInvalid, Message: "Check the form", Problems: []Problem{{Field: field, Message: message}}}
}

// NotFound is the one not-found error: a record that does not exist and a
// record the caller may not see get exactly the same answer.
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Message: what + " was not found"}
}

// KindOf reports the Kind of err; errors Hearth did not make are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Problems collects every broken rule of a form so the person filling it in
// sees them all at once, not one per attempt.
type Problems []Problem

// Add records that field breaks the rule described by message.
func (p *Problems) Add(field, message string) {
	*p = append(*p, Problem{Field: field, Message: message})
}

// Check records the problem when ok is false.
func (p *Problems) Check(ok bool, field, message string) {
	if !ok {
		p.Add(field, message)
	}
}

// Err returns nil when there are no problems, or a KindInvalid error.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: "Check the form", Problems: p}
}

// NewID returns a new time-ordered identifier (UUIDv7): rows sort by
// creation time and indexes stay compact.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether s has the form of an identifier, so a malformed
// one in a URL is simply not found rather than sent to the database.
func ValidID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// Clock tells the time. It is passed in, never read from a global, so tests
// control consent expiry, review dates and session timeouts.
type Clock func() time.Time

// SystemClock is the real clock, in UTC to the microsecond (the precision
// both storage engines keep).
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ParseUKDate reads a calendar date as people in the UK type it: day, then
// month, then a four-digit year, separated by '/', '-', '.' or spaces
// (14/06/1941, 14/6/1941, 14-06-1941, 14 6 1941). An ISO 8601 date
// (1941-06-14), as a date input and the wire send it, is read too. It
// returns midnight UTC, or false when s is not a real date.
func ParseUKDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, true
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '-' || r == '.' || r == ' ' })
	if len(parts) != 3 || len(parts[2]) != 4 || len(parts[0]) > 2 || len(parts[1]) > 2 {
		return time.Time{}, false
	}
	return DateOf(parts[0], parts[1], parts[2])
}

// DateOf makes a calendar date from a day, month and year as typed in the
// three boxes of a date input, or false when they are not a real date
// (31 February is refused, not moved into March).
func DateOf(day, month, year string) (time.Time, bool) {
	num := func(s string, max int) (int, bool) {
		s = strings.TrimSpace(s)
		if s == "" || len(s) > max {
			return 0, false
		}
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	d, ok1 := num(day, 2)
	m, ok2 := num(month, 2)
	y, ok3 := num(year, 4)
	if !ok1 || !ok2 || !ok3 || len(strings.TrimSpace(year)) != 4 || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false
	}
	return t, true
}
