package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
)

// ConsentItem is one consent as the person sees it: what it is about,
// what it allows, who gave it, and whether it counts now (as the consent
// service judges it: withdrawn, ended, replaced, or given by someone whose
// authority no longer reaches it all stop it counting).
type ConsentItem struct {
	ID          string
	Purpose     string
	Title       string
	Permit      bool
	Channel     string
	GivenBy     string // "You" / the representative and their authority
	Starts      time.Time
	Ends        time.Time
	WithdrawnAt time.Time
	WithdrawnBy string
	Scope       string
	Recipients  string
	Counts      bool   // it stands now and says yes
	Why         string // the consent service's reason, in words
	Record      consent.Consent
}

// Allows says in plain English what the consent lets the service do.
func (c ConsentItem) Allows() string {
	if !c.Permit {
		return "This records that you said no: " + strings.ToLower(c.Title[:1]) + c.Title[1:] + " will not happen."
	}
	switch c.Purpose {
	case consent.PurposeCareDelivery:
		return "The care team may give you care and support as your care plan says."
	case consent.PurposeSharing:
		return "The care team may share " + orAll(c.Scope) + " " + strings.TrimPrefix(c.Title, "Sharing ") + "."
	case consent.PurposeTechnology:
		return "The care team may use this technology with you, as recorded in your technology use record."
	case consent.PurposePhotographs:
		return "The care team may take photographs of you for your care record."
	case consent.PurposeDigitalCommunication:
		return "The care team may contact you " + strings.TrimPrefix(c.Title, "Contact ") + ". Notices say only that a message is waiting."
	case consent.PurposeSecondaryUse:
		return "Information from your record may be used, without your name, for research or to improve the service."
	}
	return c.Title
}

func orAll(scope string) string {
	if scope == "" {
		return "your record"
	}
	return scope
}

// Assessment is a capacity assessment about the person, in words.
type Assessment struct {
	ID, Decision, Outcome, Assessor string
	AssessedAt                      time.Time
	NextReview                      time.Time
}

// Decision is a best-interests decision about the person.
type Decision struct {
	ID, Decision, Outcome, Reasons, DecisionMaker string
	DecidedAt                                     time.Time
	Counts                                        bool
}

// Representative is someone recorded as acting for, or to be consulted
// about, the person.
type Representative struct {
	ID, Name, Relationship, Authority string
	Verified                          bool
	StartsOn, EndsOn                  time.Time
	EndReason                         string
	Live                              bool
}

// AuthorityTitle is the authority in words.
func (r Representative) AuthorityTitle() string { return AuthorityTitle(r.Authority) }

// ConsentView is the consent, capacity and representatives page.
type ConsentView struct {
	Person          people.Person
	Now             time.Time
	Consents        []ConsentItem
	Assessments     []Assessment
	Decisions       []Decision
	Representatives []Representative
	LawfulBases     []consent.LawfulBasis // information shared without consent, on another lawful basis
	Channels        []ChannelState
	Denied          string // when the account's authority does not reach it
	CanDecide       bool   // may give or withdraw consent here
	Purposes        []PurposeChoice
}

// ChannelState is one digital channel and whether the person has said yes.
type ChannelState struct {
	Channel, Title string
	On             bool
}

// PurposeChoice is a purpose the person may decide here.
type PurposeChoice struct{ Value, Title string }

// decidablePurposes are the purposes a person decides from the portal
// without a named recipient or technology (those are made with staff, who
// explain them).
var decidablePurposes = []string{consent.PurposePhotographs, consent.PurposeSecondaryUse}

// ConsentView reads the person's consents, capacity assessments,
// best-interests decisions, representatives and other lawful bases from
// the consent service (consent.Service.Page, decided as ReadConsent with
// the account's own purpose), leaving out what is withheld. A
// representative whose authority does not reach them gets Denied.
func (s *Service) ConsentView(ctx context.Context, actor door.Actor, personID string) (ConsentView, error) {
	var v ConsentView
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal: consent"}); err != nil {
			return err
		}
		var err error
		if v.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		v.Now = sc.Now()
		return nil
	})
	if err != nil {
		return v, err
	}
	if s.consent == nil {
		v.Denied = "Consent records cannot be shown here yet"
		return v, nil
	}
	pg, err := s.consent.Page(ctx, actor, personID)
	if door.IsDenial(err) && hearth.KindOf(err) == hearth.KindForbidden {
		v.Denied = err.(*hearth.Error).Message
		return v, nil
	} else if err != nil {
		return v, err
	}
	v.Now, v.CanDecide = pg.Now, pg.CanRecord
	standing := map[string]consent.Position{}
	for _, p := range pg.Positions {
		if p.Consent != nil {
			standing[p.Consent.ID] = p
		}
	}
	// Withheld entries were refused by the door and left out of the page.
	for _, c := range pg.Consents {
		v.Consents = append(v.Consents, itemOf(c, standing))
	}
	for _, a := range pg.Assessments {
		out := "Able to make this decision"
		if a.Lacks() {
			out = "Not able to make this decision at the time"
		}
		v.Assessments = append(v.Assessments, Assessment{ID: a.ID, Decision: a.Decision, Outcome: out, Assessor: a.Assessor,
			AssessedAt: a.AssessedAt, NextReview: a.NextReview})
	}
	for _, b := range pg.BestInterests {
		v.Decisions = append(v.Decisions, Decision{ID: b.ID, Decision: b.Decision, Outcome: b.Outcome, Reasons: b.Reasons,
			DecisionMaker: b.DecisionMaker, DecidedAt: b.DecidedAt, Counts: b.Basis.Active})
	}
	for _, r := range pg.Representatives {
		v.Representatives = append(v.Representatives, Representative{ID: r.ID, Name: r.Name, Relationship: r.Relationship,
			Authority: r.Authority, Verified: r.Verified(), StartsOn: r.StartsOn, EndsOn: r.EndsOn, EndReason: r.EndReason, Live: r.Live(pg.Now)})
	}
	v.LawfulBases = pg.LawfulBases
	for _, ch := range consent.Channels {
		on := false
		for _, c := range v.Consents {
			if c.Purpose == consent.PurposeDigitalCommunication && c.Channel == ch && c.Counts {
				on = true
				break
			}
		}
		v.Channels = append(v.Channels, ChannelState{Channel: ch, Title: consent.ChannelTitle(ch), On: on})
	}
	for _, p := range decidablePurposes {
		v.Purposes = append(v.Purposes, PurposeChoice{Value: p, Title: consent.PurposeTitle(p)})
	}
	return v, nil
}

// itemOf is a consent in the person's words, with whether it counts now
// from the consent service's own position for its purpose and target.
func itemOf(c consent.Consent, standing map[string]consent.Position) ConsentItem {
	it := ConsentItem{ID: c.ID, Purpose: c.Purpose, Title: c.Title(), Permit: c.Permit(), Channel: c.Channel, GivenBy: "You",
		Starts: c.Starts, Ends: c.Ends, WithdrawnAt: c.WithdrawnAt, WithdrawnBy: c.WithdrawnBy, Recipients: c.Recipients, Record: c}
	if c.GivenBy == "representative" {
		it.GivenBy = c.RepresentativeName + " (" + AuthorityTitle(c.Authority) + ")"
	}
	var parts []string
	for _, sc := range c.Scope {
		if sc != "" {
			parts = append(parts, strings.ToLower(consent.ScopeTitle(sc)))
		}
	}
	it.Scope = strings.Join(parts, ", ")
	if p, ok := standing[c.ID]; ok {
		it.Counts, it.Why = p.Yes, p.Basis.Reason
	} else {
		it.Why = "A later decision replaced this one"
	}
	return it
}

// infoFormat is how the person was told what they agree to: the portal's
// own page, in the format they chose to read it in.
func (s *Service) infoFormat(ctx context.Context, actor door.Actor) string {
	p, _ := s.PreferencesOf(ctx, actor.ID)
	switch {
	case p.EasyRead:
		return "easy-read"
	case p.LargePrint:
		return "large-print"
	}
	return "standard"
}

// GiveConsent records the person's (or representative's) own decision
// from the portal, through the consent service with their own actor.
func (s *Service) GiveConsent(ctx context.Context, actor door.Actor, personID, purpose, channel, decision string) (consent.Consent, error) {
	if s.consent == nil {
		return consent.Consent{}, hearth.Errorf(hearth.KindUnavailable, "Consent cannot be recorded here yet")
	}
	n := consent.NewConsent{PersonID: personID, Purpose: purpose, Channel: channel, Decision: decision,
		InfoGiven:  fmt.Sprintf("Read the explanation of %s on the Hearth portal before deciding", strings.ToLower(consent.PurposeTitle(purpose))),
		InfoFormat: s.infoFormat(ctx, actor)}
	return s.consent.Give(ctx, actor, n)
}

// WithdrawConsent withdraws a consent, through the consent service.
func (s *Service) WithdrawConsent(ctx context.Context, actor door.Actor, personID, consentID string) (consent.Consent, error) {
	if s.consent == nil {
		return consent.Consent{}, hearth.Errorf(hearth.KindUnavailable, "Consent cannot be recorded here yet")
	}
	return s.consent.Withdraw(ctx, actor, personID, consentID, "withdrawn on the Hearth portal")
}

// Regivable reports whether the consent id was withdrawn (a yes, not a no)
// and nothing about the same thing counts now: the person may give it
// again (undo the withdrawal).
func (v ConsentView) Regivable(id string) bool {
	for _, it := range v.Consents {
		if it.ID != id {
			continue
		}
		if it.WithdrawnAt.IsZero() || !it.Permit {
			return false
		}
		for _, o := range v.Consents {
			if o.Counts && o.Title == it.Title {
				return false
			}
		}
		return true
	}
	return false
}

// GiveAgain undoes a withdrawal: the person (or their representative) gives
// again, from the portal, the consent they withdrew, as a new consent that
// replaces it (consents are never edited), told the same things as before.
// Only a withdrawn consent of this person's that they may see can be given
// again; anything else reads as not found.
func (s *Service) GiveAgain(ctx context.Context, actor door.Actor, personID, consentID string) (consent.Consent, error) {
	v, err := s.ConsentView(ctx, actor, personID)
	if err != nil {
		return consent.Consent{}, err
	}
	if v.Denied != "" {
		return consent.Consent{}, hearth.Errorf(hearth.KindForbidden, "%s", v.Denied)
	}
	for _, it := range v.Consents {
		if it.ID != consentID {
			continue
		}
		c := it.Record
		if !v.Regivable(c.ID) {
			return consent.Consent{}, hearth.Invalid("Consent", "This consent has not been withdrawn, or it has already been given again")
		}
		return s.consent.Give(ctx, actor, consent.NewConsent{PersonID: personID, Purpose: c.Purpose, Recipient: c.Recipient,
			TechnologyID: c.TechnologyID, TechnologyName: c.TechnologyName, Channel: c.Channel, Decision: "permit", Scope: c.Scope,
			Recipients: c.Recipients, InfoGiven: strings.TrimSpace(c.InfoGiven) + " Given again on the Hearth portal after it was withdrawn.",
			InfoFormat: c.InfoFormat, InfoFormatDetail: c.InfoFormatDetail, Replaces: c.ID})
	}
	return consent.Consent{}, hearth.NotFound("The consent")
}

// SetChannels makes the person's digital-communication consents match
// what they ticked: a consent given for each channel newly ticked, and the
// active consent withdrawn for each channel unticked. Each is its own
// decided, audited consent record.
func (s *Service) SetChannels(ctx context.Context, actor door.Actor, personID string, want map[string]bool) error {
	v, err := s.ConsentView(ctx, actor, personID)
	if err != nil {
		return err
	}
	if v.Denied != "" || !v.CanDecide {
		// Decided and audited by the consent service, which refuses.
		_, err := s.GiveConsent(ctx, actor, personID, consent.PurposeDigitalCommunication, "portal", "permit")
		return err
	}
	for _, ch := range v.Channels {
		switch {
		case want[ch.Channel] && !ch.On:
			if _, err := s.GiveConsent(ctx, actor, personID, consent.PurposeDigitalCommunication, ch.Channel, "permit"); err != nil {
				return err
			}
		case !want[ch.Channel] && ch.On:
			for _, c := range v.Consents {
				if c.Purpose == consent.PurposeDigitalCommunication && c.Channel == ch.Channel && c.Counts {
					if _, err := s.WithdrawConsent(ctx, actor, personID, c.ID); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
