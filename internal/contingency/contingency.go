// Package contingency writes the contingency pack: for each location, an
// encrypted, offline, printable page per person in care there, with what
// staff need to keep caring safely while Hearth is down (CQC: essential
// information available when the system is not). The pack is read through
// the door as Hearth's own service actor, for the contingency purpose, so
// every person in it is decided and audited as a read; it is encrypted with
// age to the provider's recipient key, like backups (docs/backup.md).
//
// What Hearth does not hold, the page says it does not hold, rather than
// leaving a blank that could be read as "none": Hearth records no
// allergies, no advance decisions or DNACPR status, and no photographs
// (nothing stores an image of a person), so the page says each of those is
// not recorded in Hearth and where to look instead.
package contingency

import (
	"context"
	"fmt"
	"sort"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Actor is Hearth's own contingency job, as the door and the audit log see
// it. No account is of its kind, so no one can sign in as it.
var Actor = door.Actor{Subject: access.Subject{ID: "hearth-contingency", Kind: access.KindService},
	Name: "Hearth contingency pack", ClientAddr: "hearth", RequestID: "contingency"}

// Page is one person's page.
type Page struct {
	Person          people.Person
	Medicines       []care.Medicine // current medicines, scheduled first
	Risks           []care.RiskVersion
	Safety          *care.SafetyVersion
	CallMe          []care.AboutMeEntry
	Communication   []care.AboutMeEntry
	ImportantPeople []care.AboutMeEntry
	Worries         []care.AboutMeEntry
	StayWell        []care.AboutMeEntry
	Representatives []consent.Representative // whose authority stands now
}

// Pack is one location's pages.
type Pack struct {
	Location  people.Location
	Generated time.Time
	Pages     []Page
}

// Read reads the pack for one location: everyone in care there whose care
// goes on, in surname order, each read decided and audited.
func Read(ctx context.Context, d *door.Door, loc people.Location) (Pack, error) {
	pack := Pack{Location: loc}
	err := d.Run(ctx, Actor, func(sc *door.Scope) error {
		pack.Generated = sc.Now()
		if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Contingency, ResourceType: "Patient",
			Detail: "contingency pack for " + loc.Name}); err != nil {
			return err
		}
		reach, args := sc.Reach("p.id", "p.location_id")
		ids, err := sc.IDs(`SELECT p.id FROM people p WHERE p.location_id = ? AND p.ended_at IS NULL AND `+reach+`
			ORDER BY p.family_name, p.given_name, p.id`, append([]any{loc.ID}, args...)...)
		if err != nil {
			return err
		}
		for _, id := range ids {
			pg, err := readPage(sc, id)
			if err != nil {
				return fmt.Errorf("contingency: %w", err)
			}
			pack.Pages = append(pack.Pages, pg)
		}
		return nil
	})
	return pack, err
}

// readPage decides each part of the record the page shows, then reads it.
func readPage(sc *door.Scope, id string) (Page, error) {
	var pg Page
	for _, a := range []struct {
		action access.Action
		typ    string
	}{{access.ViewPerson, "Patient"}, {access.ReadRecord, "Patient"}, {access.ReadMedicines, "MedicationStatement"}, {access.ReadConsent, "Consent"}} {
		if _, err := sc.Allow(door.Request{Action: a.action, Purpose: access.Contingency, PersonID: id, ResourceType: a.typ,
			ResourceID: id, Detail: "contingency pack"}); err != nil {
			return pg, err
		}
	}
	var err error
	if pg.Person, err = people.Load(sc, id); err != nil {
		return pg, err
	}
	meds, err := care.MedicinesOf(sc, id)
	if err != nil {
		return pg, err
	}
	for _, m := range meds {
		if !m.Stopped && !m.StartDate.After(sc.Now()) {
			pg.Medicines = append(pg.Medicines, m)
		}
	}
	sort.SliceStable(pg.Medicines, func(i, j int) bool { return !pg.Medicines[i].PRN && pg.Medicines[j].PRN })
	risks, err := care.RiskVersionsOf(sc, id)
	if err != nil {
		return pg, err
	}
	latest := map[string]care.RiskVersion{}
	var order []string
	for _, r := range risks {
		prev, seen := latest[r.RiskID]
		if !seen {
			order = append(order, r.RiskID)
		}
		if !seen || r.Version > prev.Version {
			latest[r.RiskID] = r
		}
	}
	for _, rid := range order {
		pg.Risks = append(pg.Risks, latest[rid])
	}
	safety, err := care.SafetyVersionsOf(sc, id)
	if err != nil {
		return pg, err
	}
	for i := range safety {
		if pg.Safety == nil || safety[i].Version > pg.Safety.Version {
			pg.Safety = &safety[i]
		}
	}
	about, err := care.AboutMeOf(sc, id)
	if err != nil {
		return pg, err
	}
	for _, e := range about {
		switch e.Section {
		case "please-call-me":
			pg.CallMe = append(pg.CallMe, e)
		case "communication":
			pg.Communication = append(pg.Communication, e)
		case "important-people":
			pg.ImportantPeople = append(pg.ImportantPeople, e)
		case "worries":
			pg.Worries = append(pg.Worries, e)
		case "stay-well":
			pg.StayWell = append(pg.StayWell, e)
		}
	}
	recs, err := consent.RecordsOf(sc, id)
	if err != nil {
		return pg, err
	}
	for _, r := range recs.Representatives {
		if r.EndedAt.IsZero() && (r.EndsOn.IsZero() || r.EndsOn.After(sc.Now())) && !r.StartsOn.After(sc.Now()) {
			pg.Representatives = append(pg.Representatives, r)
		}
	}
	return pg, nil
}

// ReadAll reads a pack for every open location.
func ReadAll(ctx context.Context, d *door.Door, locs []people.Location) ([]Pack, error) {
	var out []Pack
	for _, l := range locs {
		if !l.Open() {
			continue
		}
		p, err := Read(ctx, d, l)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, hearth.Invalid("location", "There is no open location to write a contingency pack for")
	}
	return out, nil
}
