// Package governance owns how the provider oversees its own record (DESIGN.md:
// the quality dashboard, training, policies, breaches, retention and
// inspection grants). It holds inspection grants so far.
//
// An inspection grant is the information governance lead giving a named
// inspector read-only access to the people at one or more locations for a
// bounded period: at least an hour, at most a configured maximum (14 days
// unless set). The grant is a relationship the door loads as a fact
// (docs/architecture.md, "The door"): access.Decide permits an inspector's
// reads under a live grant, for the purpose Inspection, and refuses every
// change an inspector asks for whatever the grant says, so "read-only" is a
// rule of the decision rather than a property of the pages. Each read is
// audited like any other, with the purpose "inspection", and so appears in
// every person's access history.
//
// A grant ends by itself at its end, or at once when the lead ends it. Rows
// are never deleted or shortened: an early end is recorded beside the grant,
// with who ended it and why, so every grant stays reviewable.
//
// The service holds no database handle: it reads and writes through the
// door, after a decision on the provider-level action ManageInspections.
package governance

import (
	"context"
	"time"

	"hearth/internal/door"
)

// DefaultMaxInspection is the longest an inspection grant may last when the
// provider has not configured a maximum: a fortnight covers a CQC
// assessment's site visits with time to spare.
const DefaultMaxInspection = 14 * 24 * time.Hour

// MinInspection is the shortest grant: anything less is over before the
// inspector has signed in.
const MinInspection = time.Hour

// Service grants, lists and ends inspection grants.
type Service struct {
	door      *door.Door
	max       time.Duration
	witnessed Witnessed // nil: no witness file is configured
}

// Witnessed reports the largest checkpoint the audit log's witness file
// holds and when it was signed (audit.Log.LatestWitnessed).
type Witnessed func(ctx context.Context) (size int64, signedAt time.Time, ok bool, err error)

// WithWitness lets the evidence report say when a checkpoint was last
// witnessed, read from the witness file itself rather than from an event.
func (s *Service) WithWitness(w Witnessed) *Service {
	s.witnessed = w
	return s
}

// New returns the service; maxInspection zero means DefaultMaxInspection.
func New(d *door.Door, maxInspection time.Duration) *Service {
	if maxInspection <= 0 {
		maxInspection = DefaultMaxInspection
	}
	return &Service{door: d, max: maxInspection}
}

// MaxInspection is the longest a grant may last.
func (s *Service) MaxInspection() time.Duration { return s.max }
