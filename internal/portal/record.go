package portal

import (
	"context"
	"sort"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// Part is one part of the record as the portal shows it: its entries, or
// why they are not shown (the door's sentence, for a representative whose
// authority does not reach it).
type Part struct {
	Shown  bool
	Denied string
}

// WithheldNotice says that something is withheld, and why in general terms.
type WithheldNotice struct {
	Category string
	Title    string
	Count    int
}

// Overview is the person's own front page: who they are and what is
// withheld from them.
type Overview struct {
	Person   people.Person
	Withheld []WithheldNotice
	Prefs    Preferences
	// Can is what this account may do with this record now, by the
	// door's own rules (Scope.Would): the page offers only these.
	Can Offer
}

// Offer is what a portal account may do with one record, each decided by
// access.Decide on the same facts as the request would be.
type Offer struct {
	ReadRecord, Contribute, ReadConsent, ReadHistory, Message, Correct, Copy bool
}

// Any reports whether the account may do anything beyond seeing whose
// record it is.
func (o Offer) Any() bool {
	return o.ReadRecord || o.Contribute || o.ReadConsent || o.ReadHistory || o.Message || o.Correct || o.Copy
}

// Overview reads the person's details (ViewPerson) and what is withheld.
func (s *Service) Overview(ctx context.Context, actor door.Actor, personID string) (Overview, error) {
	var o Overview
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal"}); err != nil {
			return err
		}
		var err error
		if o.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		list, err := withheldNow(sc, personID)
		if err != nil {
			return err
		}
		o.Withheld = noticesOf(list)
		o.Can, err = offerOf(sc, actor, personID)
		return err
	})
	if err != nil {
		return o, err
	}
	o.Prefs, err = s.PreferencesOf(ctx, actor.ID)
	return o, err
}

func noticesOf(list []Withheld) []WithheldNotice {
	counts := map[string]int{}
	for _, w := range list {
		counts[w.Category]++
	}
	var out []WithheldNotice
	for _, c := range []string{WithheldThirdParty, WithheldSeriousHarm} {
		if counts[c] > 0 {
			out = append(out, WithheldNotice{Category: c, Title: CategoryTitle(c), Count: counts[c]})
		}
	}
	return out
}

// CareRecord is the care record as the person sees it: About Me, care
// plans and daily notes, with withheld entries left out.
type CareRecord struct {
	Person      people.Person
	AboutMe     []care.AboutMeSection
	AboutMePart Part
	Plans       []care.PlanVersion
	PlansPart   Part
	Notes       []care.Note
	NotesPart   Part
	Medicines   []care.Medicine
	MedsPart    Part
	TechUses    []tech.Use
	TechPart    Part
	Withheld    []WithheldNotice
	Sections    []care.Choice // About Me sections the person may add to
}

// CareRecord reads what the care package records, through its services
// with the person's or representative's own actor (so each part is decided
// and audited by the door), and leaves out what is withheld.
func (s *Service) CareRecord(ctx context.Context, actor door.Actor, personID string, noteDays int) (CareRecord, error) {
	var r CareRecord
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal: care record"}); err != nil {
			return err
		}
		var err error
		if r.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		list, err := withheldNow(sc, personID)
		r.Withheld = noticesOf(list)
		return err
	})
	if err != nil || s.care == nil {
		return r, err
	}
	part := func(err error) (Part, error) {
		switch {
		case err == nil:
			return Part{Shown: true}, nil
		case door.IsDenial(err) && hearth.KindOf(err) == hearth.KindForbidden:
			return Part{Denied: err.(*hearth.Error).Message}, nil
		}
		return Part{}, err
	}
	// Withheld entries never leave the care services: each is refused by
	// the door as withheld (and audited so) and left out of the query.
	am, err := s.care.AboutMe(ctx, actor, personID)
	if r.AboutMePart, err = part(err); err != nil {
		return r, err
	}
	for _, sec := range am.Sections {
		r.AboutMe = append(r.AboutMe, sec)
		r.Sections = append(r.Sections, care.Choice{Value: sec.Key, Title: sec.Title})
	}
	plans, err := s.care.CarePlans(ctx, actor, personID)
	if r.PlansPart, err = part(err); err != nil {
		return r, err
	}
	r.Plans = plans.Plans
	notes, err := s.care.Notes(ctx, actor, personID, noteDays)
	if r.NotesPart, err = part(err); err != nil {
		return r, err
	}
	r.Notes = notes.Notes
	sort.SliceStable(r.Notes, func(i, j int) bool { return r.Notes[i].CareAt.After(r.Notes[j].CareAt) })
	meds, err := s.care.Medicines(ctx, actor, personID)
	if r.MedsPart, err = part(err); err != nil {
		return r, err
	}
	r.Medicines = meds.Current
	if s.tech != nil {
		tp, err := s.tech.PersonTechnology(ctx, actor, personID)
		if r.TechPart, err = part(err); err != nil {
			return r, err
		}
		r.TechUses = tp.Uses
	}
	return r, nil
}

// AddAboutMe adds the person's (or representative's) own words to About
// Me through the care package, which marks them as theirs.
func (s *Service) AddAboutMe(ctx context.Context, actor door.Actor, personID, section, body string) (care.AboutMeEntry, error) {
	if s.care == nil {
		return care.AboutMeEntry{}, hearth.Errorf(hearth.KindUnavailable, "About Me cannot be added to yet")
	}
	return s.care.AddAboutMe(ctx, actor, personID, care.AboutMeDraft{Section: section, Body: body})
}

// offerOf decides, without auditing (nothing is read), what the account may
// do with the record: the same rules as each page's own decision.
func offerOf(sc *door.Scope, actor door.Actor, personID string) (Offer, error) {
	var o Offer
	for _, c := range []struct {
		action access.Action
		to     *bool
	}{
		{access.ReadRecord, &o.ReadRecord}, {access.Contribute, &o.Contribute}, {access.ReadConsent, &o.ReadConsent},
		{access.ReadAccessLog, &o.ReadHistory}, {access.SendMessage, &o.Message}, {access.RaiseConcern, &o.Correct},
		{access.ExportRecord, &o.Copy},
	} {
		d, err := sc.Would(door.Request{Action: c.action, Purpose: people.Purpose(actor), PersonID: personID, ResourceType: "Patient"})
		if err != nil {
			return o, err
		}
		*c.to = d.Permit
	}
	return o, nil
}

// Offer is what actor may do with personID's record, for the portal's menu:
// decided by the door's rules without auditing, since nothing is read.
func (s *Service) Offer(ctx context.Context, actor door.Actor, personID string) (Offer, error) {
	var o Offer
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		o, err = offerOf(sc, actor, personID)
		return err
	})
	return o, err
}
