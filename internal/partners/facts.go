package partners

import (
	"database/sql"
	"fmt"
	"strings"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// LoadFacts makes partners a door.FactSource. For a partner system's
// request about a person it sets f.Agreement to the data-sharing agreement
// in force that covers the action for the resource type asked about (or,
// when none does, one in force, which covers nothing asked), so that
// access.Decide refuses without one. The person's consent or other lawful
// basis naming the partner is the consent package's fact: the door makes
// the partner's registered name the recipient. It reads nothing for anyone
// else.
func (s *Service) LoadFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	if q.Actor.Kind != access.KindSystem || q.PersonID == "" || !hearth.ValidID(q.Actor.ID) {
		return nil
	}
	now := f.Now
	// The partner must still be enabled and be the one the actor names:
	// the name is the recipient the person's consent was matched against.
	rows, err := sc.Query(`SELECT g.id, g.categories, g.ends_at, g.ended_at FROM data_sharing_agreements g
		JOIN partners p ON p.id = g.partner_id
		WHERE g.partner_id = ? AND p.disabled_at IS NULL AND LOWER(p.name) = LOWER(?)
		AND g.starts_at <= ? AND (g.ends_at IS NULL OR g.ends_at > ?) AND (g.ended_at IS NULL OR g.ended_at > ?)
		ORDER BY g.starts_at, g.id`, q.Actor.ID, q.Actor.Name, now, now, now)
	if err != nil {
		return fmt.Errorf("partners: agreement facts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, cats string
		var ends, ended sql.NullTime
		if err := rows.Scan(&id, &cats, &ends, &ended); err != nil {
			return fmt.Errorf("partners: agreement facts: %w", err)
		}
		g := access.Agreement{ID: id, Covers: covers(strings.Split(cats, ","), q.ResourceType), Until: until(ends, ended)}
		if f.Agreement.ID == "" || g.Covers.Has(q.Action) {
			f.Agreement = g
		}
		if g.Covers.Has(q.Action) {
			break
		}
	}
	return rows.Err()
}

var _ door.FactSource = (*Service)(nil)
