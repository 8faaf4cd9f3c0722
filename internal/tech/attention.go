package tech

import (
	"context"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Attention returns the technology uses staff must notice for the given
// people: those stopped because their lawful basis was withdrawn or ended,
// those paused because the person can now decide for themselves
// (staff see them on the person page and their shift page), and those whose review is overdue. Each person is decided on its own
// (ReadTechUse) and audited as a read; people the actor may not see are left
// out.
func (s *Service) Attention(ctx context.Context, actor door.Actor, personIDs []string) ([]Use, error) {
	var out []Use
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		out, err = s.AttentionIn(sc, personIDs)
		return err
	})
	return out, err
}

// AttentionIn is Attention inside a scope the caller opened (the person
// page's, my shift's), so the page is one transaction.
func (s *Service) AttentionIn(sc *door.Scope, personIDs []string) ([]Use, error) {
	allowed, err := sc.AllowEach(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(sc.Actor()),
		ResourceType: "DeviceUseStatement", Detail: "technology needing attention"}, personIDs)
	if err != nil {
		return nil, err
	}
	var out []Use
	for _, id := range allowed {
		uses, err := usesOf(sc, id, door.Excluded{})
		if err != nil {
			return nil, err
		}
		for i := range uses {
			if err := s.settle(sc.Context(), sc, &uses[i]); err != nil {
				return nil, err
			}
			if uses[i].NeedsAttention() {
				out = append(out, uses[i])
			}
		}
	}
	return out, nil
}
