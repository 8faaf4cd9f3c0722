package door

import "hearth/internal/access"

// Would reports whether req would be permitted now, from the same facts and
// the same rules (access.Decide) as Allow, without recording a decision: it
// permits no query, claims nothing and appends no audit event, because
// nothing is read or written. Pages use it to offer only what the role and
// relationship allow (menus, links, buttons, the words on a home page), so
// what a page offers and what the door decides cannot drift apart. The
// action itself is still decided, and audited, when it is asked for.
func (s *Scope) Would(req Request) (access.Decision, error) {
	if s.readOnly && needsOrder(req) {
		return access.Decision{}, errNeedsWriter
	}
	var f access.Facts
	aboutLocation := !req.Action.PersonScoped() && req.LocationID != ""
	if req.Action.PersonScoped() || aboutLocation {
		var err error
		if f, err = s.loadFacts(s.actor, req); err != nil {
			return access.Decision{}, err
		}
	}
	res := access.Resource{PersonID: req.PersonID, Facts: f, Correction: req.Correction}
	if aboutLocation {
		res.LocationID = req.LocationID
	}
	return access.Decide(s.actor.Subject, req.Action, res, req.Purpose), nil
}
