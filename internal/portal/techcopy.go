package portal

import (
	"context"

	"hearth"
	"hearth/internal/door"
	"hearth/internal/tech"
)

// TechnologyUse reads one of the person's technology use records for their
// own copy (NHS principle 2: the person is given a copy), through the
// technology package with the account's own actor: the door decides
// ReadTechUse with purpose OwnRecord (or ProxyAccess for a representative)
// and audits it with detail. A use withheld from the person reads the same
// as a missing one. The page carries the eight items (UsePage.Items), the
// PDF (UsePage.PDF) and the record of copies given.
func (s *Service) TechnologyUse(ctx context.Context, actor door.Actor, personID, useID, detail string) (tech.UsePage, error) {
	if s.tech == nil {
		return tech.UsePage{}, hearth.Errorf(hearth.KindUnavailable, "Technology records cannot be shown here yet")
	}
	// A use withheld from the person is refused by the door as withheld
	// (GetUse names the use in its request).
	if detail == "" {
		detail = "portal: technology use record"
	}
	return s.tech.GetUse(ctx, actor, personID, useID, detail)
}
