package portal

import (
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/door"
)

// AttentionSources are the portal's figures on Needs attention: what people
// and their representatives have asked that no one has answered yet.
func (s *Service) AttentionSources() []attention.Source {
	return []attention.Source{
		{Key: "corrections", Title: "Correction requests open", Group: "People's voice", Action: access.ManageCorrections, Find: correctionsOpen},
		{Key: "messages", Title: "Messages waiting for a reply", Group: "People's voice", Action: access.SendMessage, Find: messagesUnanswered},
	}
}

func correctionsOpen(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("person_id", q.People)
	rows, err := sc.Query(`SELECT person_id, requested_at FROM correction_requests WHERE `+in+` AND requested_at <= ?
		AND (status = 'open' OR decided_at > ?) ORDER BY requested_at`, append(args, q.At, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person string
		var at time.Time
		if err := rows.Scan(&person, &at); err != nil {
			return nil, err
		}
		out = append(out, attention.Item{PersonID: person, Section: "/portal",
			Detail: fmt.Sprintf("Correction requested on %s", attention.UKDay(at))})
	}
	return out, rows.Err()
}

// messagesUnanswered finds people whose latest message by q.At came from
// them or their representative, not the service.
func messagesUnanswered(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("m.person_id", q.People)
	rows, err := sc.Query(`SELECT m.person_id, m.sender_kind, m.sent_at FROM portal_messages m WHERE `+in+` AND m.sent_at <= ?
		ORDER BY m.person_id, m.sent_at`, append(args, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type last struct {
		kind string
		at   time.Time
	}
	by := map[string]last{}
	var order []string
	for rows.Next() {
		var person string
		var l last
		if err := rows.Scan(&person, &l.kind, &l.at); err != nil {
			return nil, err
		}
		if _, seen := by[person]; !seen {
			order = append(order, person)
		}
		by[person] = l
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []attention.Item
	for _, p := range order {
		if l := by[p]; l.kind != "service" {
			out = append(out, attention.Item{PersonID: p, Section: "/portal", Detail: "Message sent on " + attention.UKDay(l.at) + " has no reply"})
		}
	}
	return out, nil
}
