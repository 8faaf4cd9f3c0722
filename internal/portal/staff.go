package portal

import (
	"context"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// StaffView is the staff page about a person's portal: their invitations,
// their messages (to reply as the service), what is withheld from them and
// their requests for correction. Each part shows only when the staff
// member's role allows it; every part is decided and audited.
type StaffView struct {
	Person          people.Person
	ServiceName     string
	Messages        []Message
	CanMessage      bool
	Withheld        []Withheld
	CanWithhold     bool
	Invitations     []Invitation
	Representatives []Representative
	CanInvite       bool
	Corrections     []Correction
}

// Staff reads the staff page (ViewPerson, then each part by its action).
func (s *Service) Staff(ctx context.Context, actor door.Actor, personID string) (StaffView, error) {
	var v StaffView
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		purpose := people.Purpose(actor)
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: purpose, PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal (staff)"}); err != nil {
			return err
		}
		var err error
		if v.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		v.ServiceName = ServiceName(v.Person)
		check := func(a access.Action, rt, detail string) (bool, error) {
			acc, err := sc.Check(door.Request{Action: a, Purpose: purpose, PersonID: personID, ResourceType: rt, Detail: detail})
			if err != nil {
				return false, err
			}
			return acc.Decision.Permit, nil
		}
		if v.CanMessage, err = check(access.SendMessage, "Communication", "portal messages (staff)"); err != nil {
			return err
		}
		if v.CanMessage {
			if v.Messages, err = messages(sc, personID); err != nil {
				return err
			}
		}
		if v.CanWithhold, err = check(access.WithholdItem, "Consent", "withheld items (staff)"); err != nil {
			return err
		}
		if v.CanWithhold {
			if v.Withheld, err = s.WithheldOf(sc, personID); err != nil {
				return err
			}
		}
		if v.CanInvite, err = check(access.RecordConsent, "Patient", "portal invitations (staff)"); err != nil {
			return err
		}
		if !v.CanInvite {
			if v.CanInvite, err = check(access.ManagePeople, "Patient", "portal invitations (staff)"); err != nil {
				return err
			}
		}
		if v.CanInvite {
			if v.Invitations, err = s.Invitations(sc, personID); err != nil {
				return err
			}
			if s.consent != nil {
				reps, err := s.consent.RepresentativesOf(sc, personID)
				if err != nil {
					return err
				}
				for _, r := range reps {
					if r.Live(sc.Now()) { // an ended authority is not invited
						v.Representatives = append(v.Representatives, Representative{ID: r.ID, Name: r.Name, Relationship: r.Relationship,
							Authority: r.Authority, Verified: r.Verified(), StartsOn: r.StartsOn, EndsOn: r.EndsOn, Live: true})
					}
				}
			}
		}
		ok, err := check(access.ManageCorrections, "Task", "correction requests (staff)")
		if err != nil {
			return err
		}
		if ok {
			v.Corrections, err = corrections(sc, `c.person_id = ?`, personID)
		}
		return err
	})
	return v, err
}
