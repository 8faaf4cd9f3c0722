package web

import (
	"hearth/internal/access"
	"hearth/internal/care"
)

// Staff screens offer "Withhold from <person>" beside each entry the portal
// shows the person (daily notes, About Me entries, care plans), leading to
// the portal's withhold form filled in with the entry's kind and ID
// (/people/{id}/portal?type=…&entry=…#withheld). It is only a link: the
// form's service decides through the door and audits.

// mayWithhold reports whether to show those links: staff whose role may
// mark an entry withheld, when the portal is running.
func (s *Server) mayWithhold(c *call) bool {
	return s.Portal != nil && c.actor.Kind == access.KindStaff && c.actor.Role.Info().Permissions.Has(access.WithholdItem)
}

// planView is a care plan's page with whether to offer the withhold link.
type planView struct {
	care.PlanPage
	CanWithhold bool
}
