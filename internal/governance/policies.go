package governance

// The policies register (issue 14 item 8): each policy's current version,
// its owner, how often it is reviewed and when next, and the technologies
// in the register it covers. A review records the version reviewed and sets
// the next review from the review frequency; a policy past its next review
// is overdue and shows in Needs attention (OverduePolicies).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// Policy is one policy in the register.
type Policy struct {
	ID           string
	Title        string
	Version      string
	Owner        string
	ReviewMonths int
	NextReview   time.Time // a calendar day
	Technologies []Technology
	UpdatedBy    string
	UpdatedAt    time.Time
}

// Technology is a technology in the register, as a policy names it.
type Technology struct{ ID, Name string }

// Overdue reports whether the policy's review is past at now.
func (p Policy) Overdue(now time.Time) bool { return p.NextReview.Before(dayOf(now)) }

// TechnologyNames lists the technologies for a sentence.
func (p Policy) TechnologyNames() string {
	names := make([]string, len(p.Technologies))
	for i, t := range p.Technologies {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func dayOf(t time.Time) time.Time {
	t = t.In(london)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// NewPolicy is what adding a policy, or recording its review, needs.
type NewPolicy struct {
	Title         string
	Version       string
	Owner         string
	ReviewMonths  int
	NextReview    time.Time // zero: today plus the review frequency
	TechnologyIDs []string
}

func policyRequest(id, detail string, write bool) door.Request {
	a := access.ViewGovernance
	if write {
		a = access.ManagePolicies
	}
	return door.Request{Action: a, Purpose: access.Governance, ResourceType: "Policy", ResourceID: id, Detail: detail}
}

func checkPolicy(sc *door.Scope, n *NewPolicy, p *hearth.Problems) ([]Technology, error) {
	n.Title, n.Version, n.Owner = strings.TrimSpace(n.Title), strings.TrimSpace(n.Version), strings.TrimSpace(n.Owner)
	text(p, "Title", n.Title, "Enter the policy's title, such as 'Use of acoustic monitoring at night'", maxSummary)
	text(p, "Version", n.Version, "Enter the version, such as 2.1", 40)
	text(p, "Owner", n.Owner, "Enter who owns the policy, such as 'Registered manager'", maxSummary)
	p.Check(n.ReviewMonths >= 1 && n.ReviewMonths <= 60, "Review every", "Enter how often the policy is reviewed, from 1 to 60 months")
	if !n.NextReview.IsZero() && n.NextReview.Before(dayOf(sc.Now())) {
		p.Add("Next review", "The next review must be today or later")
	}
	ids := slices.Compact(slices.Sorted(slices.Values(n.TechnologyIDs)))
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	var out []Technology
	for _, id := range ids {
		var t Technology
		err := sql.ErrNoRows
		if hearth.ValidID(id) {
			err = sc.QueryRow(`SELECT id, name FROM tech_technologies WHERE id = ?`, id).Scan(&t.ID, &t.Name)
		}
		if errors.Is(err, sql.ErrNoRows) {
			p.Add("Technologies", "Choose technologies from the register")
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// AddPolicy adds a policy to the register.
func (s *Service) AddPolicy(ctx context.Context, actor door.Actor, n NewPolicy) (Policy, error) {
	var pol Policy
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(policyRequest("", "policy added", true))
		if err != nil {
			return err
		}
		var p hearth.Problems
		techs, err := checkPolicy(sc, &n, &p)
		if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		if n.NextReview.IsZero() {
			n.NextReview = dayOf(now).AddDate(0, n.ReviewMonths, 0)
		}
		pol = Policy{ID: hearth.NewID(), Title: n.Title, Version: n.Version, Owner: n.Owner, ReviewMonths: n.ReviewMonths,
			NextReview: dayOf(n.NextReview), Technologies: techs, UpdatedBy: actor.Name, UpdatedAt: now}
		if _, err := sc.Exec(`INSERT INTO policies (id, title, version, owner, review_months, next_review, created_by, created_at, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, pol.ID, pol.Title, pol.Version, pol.Owner, pol.ReviewMonths, pol.NextReview,
			actor.ID, now, actor.ID, now); err != nil {
			return fmt.Errorf("governance: add policy: %w", err)
		}
		if err := setPolicyTechnologies(sc, pol.ID, techs); err != nil {
			return err
		}
		a.ResourceID = pol.ID
		a.Detail = fmt.Sprintf("policy added: %s version %s, owner %s, reviewed every %d months, next %s", pol.Title, pol.Version, pol.Owner,
			pol.ReviewMonths, pol.NextReview.Format("2006-01-02"))
		return nil
	})
	return pol, err
}

func setPolicyTechnologies(sc *door.Scope, id string, techs []Technology) error {
	if _, err := sc.Exec(`DELETE FROM policy_technologies WHERE policy_id = ?`, id); err != nil {
		return err
	}
	for _, t := range techs {
		if _, err := sc.Exec(`INSERT INTO policy_technologies (policy_id, technology_id) VALUES (?, ?)`, id, t.ID); err != nil {
			return fmt.Errorf("governance: policy technologies: %w", err)
		}
	}
	return nil
}

// ReviewPolicy records that a policy was reviewed today: its version after
// the review, owner, frequency and technologies; the next review is set
// from the frequency.
func (s *Service) ReviewPolicy(ctx context.Context, actor door.Actor, id string, n NewPolicy) (Policy, error) {
	var pol Policy
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(policyRequest(id, "policy reviewed", true))
		if err != nil {
			return err
		}
		old, err := loadPolicy(sc, id)
		if err != nil {
			return err
		}
		var p hearth.Problems
		n.NextReview = time.Time{}
		techs, err := checkPolicy(sc, &n, &p)
		if err != nil {
			return err
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		pol = Policy{ID: id, Title: n.Title, Version: n.Version, Owner: n.Owner, ReviewMonths: n.ReviewMonths,
			NextReview: dayOf(now).AddDate(0, n.ReviewMonths, 0), Technologies: techs, UpdatedBy: actor.Name, UpdatedAt: now}
		if _, err := sc.Exec(`UPDATE policies SET title = ?, version = ?, owner = ?, review_months = ?, next_review = ?, updated_by = ?, updated_at = ?
			WHERE id = ?`, pol.Title, pol.Version, pol.Owner, pol.ReviewMonths, pol.NextReview, actor.ID, now, id); err != nil {
			return fmt.Errorf("governance: review policy: %w", err)
		}
		if err := setPolicyTechnologies(sc, id, techs); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("policy reviewed: %s version %s (was %s), next review %s", pol.Title, pol.Version, old.Version,
			pol.NextReview.Format("2006-01-02"))
		return nil
	})
	return pol, err
}

func loadPolicy(sc *door.Scope, id string) (Policy, error) {
	if !hearth.ValidID(id) {
		return Policy{}, hearth.NotFound("That policy")
	}
	list, err := policies(sc, "p.id = ?", id)
	if err != nil {
		return Policy{}, err
	}
	if len(list) == 0 {
		return Policy{}, hearth.NotFound("That policy")
	}
	return list[0], nil
}

func policies(sc *door.Scope, where string, args ...any) ([]Policy, error) {
	q := `SELECT p.id, p.title, p.version, p.owner, p.review_months, p.next_review, u.display_name, p.updated_at
		FROM policies p JOIN users u ON u.id = p.updated_by WHERE p.retired_at IS NULL`
	if where != "" {
		q += ` AND ` + where
	}
	rows, err := sc.Query(q+` ORDER BY p.next_review, p.title, p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("governance: list policies: %w", err)
	}
	var out []Policy
	index := map[string]int{}
	for rows.Next() {
		var p Policy
		if err := rows.Scan(&p.ID, &p.Title, &p.Version, &p.Owner, &p.ReviewMonths, &p.NextReview, &p.UpdatedBy, &p.UpdatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		p.NextReview = p.NextReview.UTC()
		index[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = sc.Query(`SELECT pt.policy_id, t.id, t.name FROM policy_technologies pt JOIN tech_technologies t ON t.id = pt.technology_id
		ORDER BY t.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid string
		var t Technology
		if err := rows.Scan(&pid, &t.ID, &t.Name); err != nil {
			return nil, err
		}
		if i, ok := index[pid]; ok {
			out[i].Technologies = append(out[i].Technologies, t)
		}
	}
	return out, rows.Err()
}

// PoliciesPage is the register with the technologies a policy may cover.
type PoliciesPage struct {
	Policies     []Policy
	Technologies []Technology
}

// Policies returns the register, soonest review first, for anyone who
// oversees governance (ViewGovernance); the technologies are for the form.
func (s *Service) Policies(ctx context.Context, actor door.Actor) (PoliciesPage, error) {
	var pg PoliciesPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(policyRequest("", "policies register read", false))
		if err != nil {
			return err
		}
		if pg.Policies, err = policies(sc, ""); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT id, name FROM tech_technologies ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t Technology
			if err := rows.Scan(&t.ID, &t.Name); err != nil {
				return err
			}
			pg.Technologies = append(pg.Technologies, t)
		}
		a.Detail = fmt.Sprintf("read %d policies", len(pg.Policies))
		return rows.Err()
	})
	return pg, err
}

// OverduePolicies is what Needs attention shows about policies: those past
// their next review, most overdue first. Someone who may not see the
// register gets none.
func (s *Service) OverduePolicies(ctx context.Context, actor door.Actor) (int, []Policy, error) {
	var out []Policy
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		d, err := sc.Check(policyRequest("", "overdue policy reviews for needs attention", false))
		if err != nil || !d.Decision.Permit {
			return err
		}
		out, err = policies(sc, "p.next_review < ?", dayOf(sc.Now()))
		return err
	})
	return len(out), out, err
}
