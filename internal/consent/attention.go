package consent

import (
	"fmt"
	"time"

	"hearth/internal/access"
	"hearth/internal/attention"
	"hearth/internal/door"
	"hearth/internal/people"
)

// AttentionSources are consent's figures on Needs attention.
func (s *Service) AttentionSources() []attention.Source {
	return []attention.Source{
		{Key: "consent-reviews", Title: "Consent reviews due", Group: "Consent and capacity", Action: access.ReadConsent, Find: consentReviewsDue},
		{Key: "capacity-reassessments", Title: "Capacity reassessments due", Group: "Consent and capacity", Action: access.ReadConsent, Find: capacityDue},
		{Key: "consent-withdrawn", Title: "Consent to care or to a technology withdrawn", Group: "Consent and capacity", Action: access.ReadConsent, Find: withdrawnFigure},
	}
}

// withdrawnFigure finds the withdrawals of consent to care or to a
// technology in the WithdrawalWindow before q.At that still stand (not
// followed by a later decision), in the same words as the person page and
// 'my shift'. One query finds who has any; only they are read in full.
func withdrawnFigure(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	since := q.At.Add(-WithdrawalWindow)
	in, args := attention.In("c.person_id", q.People)
	ids, err := sc.IDs(`SELECT DISTINCT c.person_id FROM consents c WHERE `+in+` AND c.withdrawn_at >= ? AND c.withdrawn_at <= ? AND `+withdrawnPurposes,
		append(args, since, q.At)...)
	if err != nil {
		return nil, err
	}
	var out []attention.Item
	for _, id := range ids {
		list, err := consentsWhere(sc, id, `AND `+withdrawnPurposes)
		if err != nil {
			return nil, err
		}
		p, err := people.Load(sc, id)
		if err != nil {
			return nil, err
		}
		for _, w := range standing(list, p, since) {
			if !w.WithdrawnAt.After(q.At) {
				out = append(out, attention.Item{PersonID: id, Section: "/consent", Detail: w.Sentence()})
			}
		}
	}
	return out, nil
}

// consentReviewsDue finds consents in force at q.At whose review date had
// come: not withdrawn, not ended, not replaced by a newer record.
func consentReviewsDue(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("c.person_id", q.People)
	rows, err := sc.Query(`SELECT c.person_id, c.purpose, c.technology_name, c.recipient, c.review_on FROM consents c
		WHERE `+in+` AND c.review_on IS NOT NULL AND c.recorded_at <= ?
		AND (c.withdrawn_at IS NULL OR c.withdrawn_at > ?) AND (c.ends_at IS NULL OR c.ends_at > ?)
		AND NOT EXISTS (SELECT 1 FROM consents n WHERE n.replaces = c.id AND n.recorded_at <= ?)
		ORDER BY c.review_on`, append(args, q.At, q.At, q.At, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attention.Item
	for rows.Next() {
		var person, purpose, techName, recipient string
		var review time.Time
		if err := rows.Scan(&person, &purpose, &techName, &recipient, &review); err != nil {
			return nil, err
		}
		if attention.Day(review).After(attention.Day(q.At)) {
			continue
		}
		what := purpose
		if techName != "" {
			what += " (" + techName + ")"
		} else if recipient != "" {
			what += " (" + recipient + ")"
		}
		out = append(out, attention.Item{PersonID: person, Section: "/consent",
			Detail: fmt.Sprintf("Consent for %s: review was due on %s", what, attention.UKDay(review))})
	}
	return out, rows.Err()
}

// capacityDue finds, for each decision, the latest capacity assessment by
// q.At whose reassessment date had come.
func capacityDue(sc *door.Scope, q attention.Query) ([]attention.Item, error) {
	in, args := attention.In("person_id", q.People)
	rows, err := sc.Query(`SELECT person_id, decision_key, decision, next_review_on FROM capacity_assessments
		WHERE `+in+` AND recorded_at <= ? ORDER BY person_id, decision_key, assessed_at, recorded_at`, append(args, q.At)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type latest struct {
		person, decision string
		next             *time.Time
	}
	by := map[string]latest{}
	var order []string
	for rows.Next() {
		var l latest
		var key string
		if err := rows.Scan(&l.person, &key, &l.decision, &l.next); err != nil {
			return nil, err
		}
		k := l.person + "|" + key
		if _, seen := by[k]; !seen {
			order = append(order, k)
		}
		by[k] = l
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []attention.Item
	for _, k := range order {
		l := by[k]
		if l.next != nil && !attention.Day(*l.next).After(attention.Day(q.At)) {
			out = append(out, attention.Item{PersonID: l.person, Section: "/consent",
				Detail: fmt.Sprintf("Capacity to decide %q: reassessment was due on %s", l.decision, attention.UKDay(*l.next))})
		}
	}
	return out, nil
}
