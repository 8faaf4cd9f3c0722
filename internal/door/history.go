package door

import (
	"hearth/internal/access"
	"hearth/internal/audit"
)

// AccessHistory returns who has seen or changed the person's record, newest
// first, from offset for up to limit events (every one when limit is zero or
// less), with the total. The scope must have permitted reading the person's
// access log, or a copy of their whole record. This visit's own events
// are not in the database yet; callers show Pending first.
func (s *Scope) AccessHistory(personID string, offset, limit int) ([]audit.Event, int, error) {
	if err := s.Require(personID, access.ReadAccessLog, access.ExportRecord); err != nil {
		return nil, 0, err
	}
	return s.door.log.PersonHistory(s.ctx, s.tx, personID, offset, limit)
}

// RecentAccess returns the newest limit events about the person and
// whether there are older ones, under the same rule as AccessHistory, for
// a page that shows the latest few and links to the rest.
func (s *Scope) RecentAccess(personID string, limit int) ([]audit.Event, bool, error) {
	if err := s.Require(personID, access.ReadAccessLog, access.ExportRecord); err != nil {
		return nil, false, err
	}
	return s.door.log.RecentHistory(s.ctx, s.tx, personID, limit)
}
