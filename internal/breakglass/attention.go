package breakglass

import (
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/door"
)

// AttentionSources are break-glass's figure on Needs attention: emergency
// access to someone's record that no one has reviewed yet.
func (s *Service) AttentionSources() []attention.Source {
	return []attention.Source{
		{Key: "break-glass", Title: "Break-glass access awaiting review", Group: "Access", Action: access.ViewPerson, Find: awaitingReview},
	}
}

func awaitingReview(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("b.person_id", q.People)
	rows, err := sc.Query(`SELECT b.person_id, u.display_name, b.starts_at FROM break_glass b JOIN users u ON u.id = b.user_id
		WHERE `+in+` AND b.starts_at <= ? AND (b.reviewed_at IS NULL OR b.reviewed_at > ?) ORDER BY b.starts_at`, append(args, q.At, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person, who string
		var at time.Time
		if err := rows.Scan(&person, &who, &at); err != nil {
			return nil, err
		}
		out = append(out, attention.Item{PersonID: person, Section: "/history",
			Detail: fmt.Sprintf("%s opened the record in an emergency on %s", who, attention.UKDay(at))})
	}
	return out, rows.Err()
}
