package tech

import (
	"context"
	"fmt"
	"sort"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// BlanketMatches is how many other live uses of the same technology at the
// same location must have a near-identical reason before the person
// recording a use is told, and must say what is specific to this person
// (NHS principle 2: reasons specific to the person, never a blanket
// approach).
const BlanketMatches = 2

// BlanketUse is one use on a blanket-use line, linked for readers who may
// read that person's technology record.
type BlanketUse struct {
	PersonID   string
	PersonName string
	UseID      string
	Near       bool // its reason is near-identical to another's on the line
}

// BlanketLine is one technology at one location: how many of the people
// there use it, how many reasons are near-identical to another's, and the
// uses behind both.
type BlanketLine struct {
	TechnologyID  string
	Technology    string
	LocationID    string
	Location      string
	Using         int
	People        int
	Share         float64
	NearIdentical int
	Flagged       bool         // Share at or above the report's share, or any near-identical reasons
	Uses          []BlanketUse // only those the reader may see
	Unseen        int          // uses on the line the reader may not see
}

// SharePercent is the line's share as a whole percentage.
func (l BlanketLine) SharePercent() int { return int(l.Share*100 + 0.5) }

// BlanketReport is the governance report on possible blanket use: one
// line per technology and location.
type BlanketReport struct {
	Share     float64
	Threshold float64
	Lines     []BlanketLine
}

type liveUse struct {
	id, personID, personName, technologyID, technologyName, locationID, reason, specific string
}

// nearGroups marks each use whose reason is near-identical to another use
// of the same technology at the same location, for a different person.
func nearGroups(uses []liveUse, threshold float64) map[string]bool {
	near := map[string]bool{}
	words := make([]map[string]bool, len(uses))
	for i, u := range uses {
		words[i] = Words(u.reason)
	}
	for i := range uses {
		for j := i + 1; j < len(uses); j++ {
			a, b := uses[i], uses[j]
			if a.technologyID != b.technologyID || a.locationID != b.locationID || a.personID == b.personID {
				continue
			}
			if Jaccard(words[i], words[j]) >= threshold {
				near[a.id], near[b.id] = true, true
			}
		}
	}
	return near
}

// liveUses reads every live use (not ended at a review), names only for
// people within the reader's reach.
func liveUses(sc *door.Scope, where string, args ...any) ([]liveUse, error) {
	reach, rargs := sc.Reach("p.id", "p.location_id")
	rows, err := sc.Query(`SELECT u.id, u.person_id, CASE WHEN `+reach+` THEN p.given_name || ' ' || p.family_name ELSE '' END,
		u.technology_id, t.name, p.location_id, u.reason
		FROM tech_uses u JOIN people p ON p.id = u.person_id JOIN tech_technologies t ON t.id = u.technology_id
		WHERE u.ended_at IS NULL`+where+` ORDER BY t.name, u.created_at, u.id`, append(rargs, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []liveUse
	for rows.Next() {
		var u liveUse
		if err := rows.Scan(&u.id, &u.personID, &u.personName, &u.technologyID, &u.technologyName, &u.locationID, &u.reason); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// similarAt counts the live uses of technologyID at locationID, for people
// other than personID, whose reason is near-identical to reason.
func (s *Service) similarAt(sc *door.Scope, technologyID, locationID, personID, reason string) (int, error) {
	uses, err := liveUses(sc, ` AND u.technology_id = ? AND p.location_id = ? AND u.person_id <> ?`, technologyID, locationID, personID)
	if err != nil {
		return 0, err
	}
	w, n := Words(reason), 0
	for _, u := range uses {
		if Jaccard(w, Words(u.reason)) >= s.SimilarReasons {
			n++
		}
	}
	return n, nil
}

// blanketCheck refuses a use whose reason is near-identical to
// BlanketMatches or more others at the location unless the recorder says
// what is specific to this person.
func (s *Service) blanketCheck(sc *door.Scope, person people.Person, t Technology, loc people.Location, n *NewUse) error {
	n.Specific = clean(n.Specific)
	var p hearth.Problems
	optional(&p, "What is specific to this person", n.Specific, maxLong)
	if err := p.Err(); err != nil {
		return err
	}
	if n.Specific != "" {
		return nil
	}
	k, err := s.similarAt(sc, t.ID, loc.ID, person.ID, n.Reason)
	if err != nil || k < BlanketMatches {
		return err
	}
	return hearth.Invalid("What is specific to this person", fmt.Sprintf(
		"This reason is nearly the same as the reasons for %d other people using %s at %s. Say what is specific to %s: their own history, needs or wishes.",
		k, t.Name, loc.Name, person.CalledName()))
}

// Blanket reports possible blanket use (ViewGovernance): one line per
// technology and location, with the share of the people there using it
// and how many reasons are near-identical, flagged at share (zero: the
// service's BlanketShare) or when any reason is near-identical. Uses
// stopped at a review are left out. Each use is linked only for readers
// who may read that person's technology record, each an audited read.
func (s *Service) Blanket(ctx context.Context, actor door.Actor, share float64) (BlanketReport, error) {
	if share <= 0 || share > 1 {
		share = s.BlanketShare
	}
	rep := BlanketReport{Share: share, Threshold: s.SimilarReasons}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ViewGovernance, Purpose: access.Governance, ResourceType: "DeviceUseStatement",
			Detail: "blanket-use report"})
		if err != nil {
			return err
		}
		// Reasons are compared across the provider (the report's purpose);
		// names are read only for people the reader has a relationship with.
		uses, err := liveUses(sc, "")
		if err != nil {
			return err
		}
		near := nearGroups(uses, s.SimilarReasons)
		var named []string
		for _, u := range uses {
			if u.personName != "" {
				named = append(named, u.personID)
			}
		}
		allowed, err := sc.AllowEach(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(actor), ResourceType: "DeviceUseStatement",
			Detail: "blanket-use report"}, unique(named))
		if err != nil {
			return err
		}
		locs, err := locations(sc)
		if err != nil {
			return err
		}
		locName := map[string]string{}
		for _, l := range locs {
			locName[l.ID] = l.Name
		}
		lines := map[string]*BlanketLine{}
		var order []string
		for _, u := range uses {
			key := u.technologyID + "|" + u.locationID
			l := lines[key]
			if l == nil {
				l = &BlanketLine{TechnologyID: u.technologyID, Technology: u.technologyName, LocationID: u.locationID, Location: locName[u.locationID]}
				lines[key] = l
				order = append(order, key)
			}
			l.Using++
			if near[u.id] {
				l.NearIdentical++
			}
			if has(allowed, u.personID) {
				l.Uses = append(l.Uses, BlanketUse{PersonID: u.personID, PersonName: u.personName, UseID: u.id, Near: near[u.id]})
			} else {
				l.Unseen++
			}
		}
		for _, key := range order {
			l := lines[key]
			if err := sc.QueryRow(`SELECT COUNT(*) FROM people WHERE location_id = ?`, l.LocationID).Scan(&l.People); err != nil {
				return err
			}
			if l.People > 0 {
				l.Share = float64(l.Using) / float64(l.People)
			}
			l.Flagged = l.Share >= share || l.NearIdentical > 0
			rep.Lines = append(rep.Lines, *l)
		}
		sort.SliceStable(rep.Lines, func(i, j int) bool {
			a, b := rep.Lines[i], rep.Lines[j]
			if a.Flagged != b.Flagged {
				return a.Flagged
			}
			return a.NearIdentical > b.NearIdentical || (a.NearIdentical == b.NearIdentical && a.Share > b.Share)
		})
		flagged := 0
		for _, l := range rep.Lines {
			if l.Flagged {
				flagged++
			}
		}
		q.Detail = fmt.Sprintf("blanket-use report: %d of %d technology and location lines flagged at %.0f%%", flagged, len(rep.Lines), share*100)
		return nil
	})
	return rep, err
}
