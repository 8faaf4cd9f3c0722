package tech

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Words normalises text to its set of words: lower case, letters and digits
// only, so punctuation, case and spacing do not hide a copied reason.
func Words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out[w] = true
	}
	return out
}

// Jaccard is the similarity of two word sets: shared words over all words.
// Two empty texts are identical.
func Jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	return float64(shared) / float64(len(a)+len(b)-shared)
}

// BlanketFlag is a technology used for a large share of the people at one
// location: possibly a blanket approach (NHS principle 2).
type BlanketFlag struct {
	Technology string
	Location   string
	Using      int
	People     int
	Share      float64
}

// SimilarReasons is a pair of uses of one technology whose reasons are near
// identical: reasons should be specific to the person.
type SimilarReasons struct {
	Technology string
	First      string // a name, or "a person" when the reader may not see them
	Second     string
	Similarity float64
	Reason     string // the first reason, shown only when the reader may see both people
}

// BlanketReport is the governance report on possible blanket use.
type BlanketReport struct {
	Share     float64
	Threshold float64
	Flags     []BlanketFlag
	Similar   []SimilarReasons
}

type liveUse struct {
	id, personID, personName, technologyID, technologyName, locationID, reason string
}

// Blanket reports possible blanket use (ViewGovernance): each technology in
// use for at least share of the people at a location (share zero: the
// service's BlanketShare), and pairs of uses of one technology whose
// reasons are near-identical. Uses stopped at a review are left out. People
// are named only when the reader may read their technology record, each an
// audited read.
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
		reach, args := sc.Reach("p.id", "p.location_id")
		rows, err := sc.Query(`SELECT u.id, u.person_id, CASE WHEN `+reach+` THEN p.given_name || ' ' || p.family_name ELSE '' END,
			u.technology_id, t.name, u.location_id, u.reason
			FROM tech_uses u JOIN people p ON p.id = u.person_id JOIN tech_technologies t ON t.id = u.technology_id
			WHERE u.ended_at IS NULL ORDER BY t.name, u.created_at, u.id`, args...)
		if err != nil {
			return err
		}
		var uses []liveUse
		for rows.Next() {
			var u liveUse
			if err := rows.Scan(&u.id, &u.personID, &u.personName, &u.technologyID, &u.technologyName, &u.locationID, &u.reason); err != nil {
				rows.Close()
				return err
			}
			uses = append(uses, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		locs, err := locations(sc)
		if err != nil {
			return err
		}
		for _, l := range locs {
			var n int
			if err := sc.QueryRow(`SELECT COUNT(*) FROM people WHERE location_id = ?`, l.ID).Scan(&n); err != nil {
				return err
			}
			using := map[string]map[string]bool{} // technology name -> people
			for _, u := range uses {
				if u.locationID == l.ID {
					if using[u.technologyName] == nil {
						using[u.technologyName] = map[string]bool{}
					}
					using[u.technologyName][u.personID] = true
				}
			}
			for name, ppl := range using {
				if n > 0 && float64(len(ppl)) >= share*float64(n) {
					rep.Flags = append(rep.Flags, BlanketFlag{Technology: name, Location: l.Name, Using: len(ppl), People: n, Share: float64(len(ppl)) / float64(n)})
				}
			}
		}
		sort.Slice(rep.Flags, func(i, j int) bool { return rep.Flags[i].Share > rep.Flags[j].Share })
		type pair struct {
			a, b liveUse
			sim  float64
		}
		var pairs []pair
		var named []string
		for i := range uses {
			for j := i + 1; j < len(uses); j++ {
				a, b := uses[i], uses[j]
				if a.technologyID != b.technologyID || a.personID == b.personID {
					continue
				}
				if sim := Jaccard(Words(a.reason), Words(b.reason)); sim >= s.SimilarReasons {
					pairs = append(pairs, pair{a, b, sim})
					for _, u := range []liveUse{a, b} {
						if u.personName != "" {
							named = append(named, u.personID)
						}
					}
				}
			}
		}
		allowed, err := sc.AllowEach(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(actor), ResourceType: "DeviceUseStatement",
			Detail: "blanket-use report: near-identical reasons"}, unique(named))
		if err != nil {
			return err
		}
		for _, p := range pairs {
			r := SimilarReasons{Technology: p.a.technologyName, First: "a person", Second: "another person", Similarity: p.sim}
			if has(allowed, p.a.personID) {
				r.First = p.a.personName
			}
			if has(allowed, p.b.personID) {
				r.Second = p.b.personName
			}
			if has(allowed, p.a.personID) && has(allowed, p.b.personID) {
				r.Reason = p.a.reason
			}
			rep.Similar = append(rep.Similar, r)
		}
		q.Detail = fmt.Sprintf("blanket-use report: %d settings over %.0f%%, %d near-identical reasons", len(rep.Flags), share*100, len(rep.Similar))
		return nil
	})
	return rep, err
}

// SharePercent is the flagging share as a whole percentage.
func (r BlanketReport) SharePercent() int { return int(math.Round(r.Share * 100)) }
