package portal

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// ConsentItem is one consent as the person sees it: what it is about,
// what it allows, who gave it, and whether it counts now.
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
}

// Active reports whether it counts now (not withdrawn, not ended).
func (c ConsentItem) Active(now time.Time) bool {
	return c.WithdrawnAt.IsZero() && (c.Ends.IsZero() || now.Before(c.Ends)) && !now.Before(c.Starts)
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
}

// Representative is someone recorded as acting for, or to be consulted
// about, the person.
type Representative struct {
	ID, Name, Relationship, Authority string
	Verified                          bool
	StartsOn, EndsOn                  time.Time
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
// best-interests decisions and representatives (ReadConsent). A
// representative whose authority does not reach them gets Denied.
func (s *Service) ConsentView(ctx context.Context, actor door.Actor, personID string) (ConsentView, error) {
	var v ConsentView
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Patient", ResourceID: personID, Detail: "portal: consent"}); err != nil {
			return err
		}
		var err error
		if v.Person, err = people.Load(ctx, sc.Tx, personID); err != nil {
			return err
		}
		v.Now = sc.Now()
		read, err := sc.Check(door.Request{Action: access.ReadConsent, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Consent", Detail: "portal: consent, capacity and representatives"})
		if err != nil {
			return err
		}
		if !read.Decision.Permit {
			v.Denied = read.Decision.Sentence()
			return nil
		}
		rec, err := sc.Check(door.Request{Action: access.RecordConsent, Purpose: people.Purpose(actor), PersonID: personID, ResourceType: "Consent",
			Detail: "portal: may decide consent"})
		if err != nil {
			return err
		}
		v.CanDecide = rec.Decision.Permit
		set, _, err := loadWithheld(ctx, sc.Tx, personID)
		if err != nil {
			return err
		}
		if v.Consents, err = consentItems(ctx, sc.Tx, personID, set); err != nil {
			return err
		}
		if v.Assessments, err = assessmentsOf(ctx, sc.Tx, personID, set); err != nil {
			return err
		}
		if v.Decisions, err = decisionsOf(ctx, sc.Tx, personID, set); err != nil {
			return err
		}
		if v.Representatives, err = representativesOf(ctx, sc.Tx, personID); err != nil {
			return err
		}
		for _, ch := range consent.Channels {
			on := false
			for _, c := range v.Consents {
				if c.Purpose == consent.PurposeDigitalCommunication && c.Channel == ch && c.Permit && c.Active(v.Now) {
					on = true
					break
				}
			}
			v.Channels = append(v.Channels, ChannelState{Channel: ch, Title: consent.ChannelTitle(ch), On: on})
		}
		for _, p := range decidablePurposes {
			v.Purposes = append(v.Purposes, PurposeChoice{Value: p, Title: consent.PurposeTitle(p)})
		}
		return nil
	})
	return v, err
}

func consentItems(ctx context.Context, tx *store.Tx, personID string, set withheldSet) ([]ConsentItem, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.purpose, c.recipient, c.technology_name, c.technology_id, c.channel, c.decision,
		c.given_by, COALESCE(r.name, ''), COALESCE(r.authority, ''), c.starts_at, c.ends_at, c.withdrawn_at, c.withdrawn_by_name, c.scope, c.recipients
		FROM consents c LEFT JOIN representatives r ON r.id = c.representative_id
		WHERE c.person_id = ? ORDER BY c.recorded_at DESC, c.id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ConsentItem
	for rows.Next() {
		var c ConsentItem
		var recipient, techName, techID, decision, givenBy, repName, authority, scope string
		var ends, withdrawn sql.NullTime
		if err := rows.Scan(&c.ID, &c.Purpose, &recipient, &techName, &techID, &c.Channel, &decision, &givenBy, &repName, &authority,
			&c.Starts, &ends, &withdrawn, &c.WithdrawnBy, &scope, &c.Recipients); err != nil {
			return nil, err
		}
		if set.has("Consent", c.ID) {
			continue
		}
		full := consent.Consent{Purpose: c.Purpose, Recipient: recipient, TechnologyName: techName, TechnologyID: techID, Channel: c.Channel}
		c.Title, c.Permit = full.Title(), decision == "permit"
		c.GivenBy = "You"
		if givenBy == "representative" {
			c.GivenBy = repName + " (" + AuthorityTitle(authority) + ")"
		}
		if ends.Valid {
			c.Ends = ends.Time
		}
		if withdrawn.Valid {
			c.WithdrawnAt = withdrawn.Time
		}
		var parts []string
		for _, sc := range strings.Split(scope, ",") {
			if sc != "" {
				parts = append(parts, strings.ToLower(consent.ScopeTitle(sc)))
			}
		}
		c.Scope = strings.Join(parts, ", ")
		out = append(out, c)
	}
	return out, rows.Err()
}

func assessmentsOf(ctx context.Context, tx *store.Tx, personID string, set withheldSet) ([]Assessment, error) {
	rows, err := tx.Query(ctx, `SELECT id, decision, outcome, assessor, assessed_at, next_review_on FROM capacity_assessments
		WHERE person_id = ? ORDER BY assessed_at DESC, id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Assessment
	for rows.Next() {
		var a Assessment
		var review sql.NullTime
		if err := rows.Scan(&a.ID, &a.Decision, &a.Outcome, &a.Assessor, &a.AssessedAt, &review); err != nil {
			return nil, err
		}
		if set.has("Consent", a.ID) || set.has("Observation", a.ID) {
			continue
		}
		if review.Valid {
			a.NextReview = review.Time
		}
		a.Outcome = map[string]string{"has-capacity": "Able to make this decision", "lacks-capacity": "Not able to make this decision at the time"}[a.Outcome]
		out = append(out, a)
	}
	return out, rows.Err()
}

func decisionsOf(ctx context.Context, tx *store.Tx, personID string, set withheldSet) ([]Decision, error) {
	rows, err := tx.Query(ctx, `SELECT id, decision, outcome, reasons, decision_maker, decided_at FROM best_interests
		WHERE person_id = ? ORDER BY decided_at DESC, id DESC`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		if err := rows.Scan(&d.ID, &d.Decision, &d.Outcome, &d.Reasons, &d.DecisionMaker, &d.DecidedAt); err != nil {
			return nil, err
		}
		if !set.has("Consent", d.ID) {
			out = append(out, d)
		}
	}
	return out, rows.Err()
}

func representativesOf(ctx context.Context, tx *store.Tx, personID string) ([]Representative, error) {
	rows, err := tx.Query(ctx, `SELECT id, name, relationship, authority, evidence_reference, verified_by, verified_on, starts_on, ends_on
		FROM representatives WHERE person_id = ? ORDER BY starts_on, name`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Representative
	for rows.Next() {
		var r Representative
		var evidence, verifiedBy string
		var verifiedOn, ends sql.NullTime
		if err := rows.Scan(&r.ID, &r.Name, &r.Relationship, &r.Authority, &evidence, &verifiedBy, &verifiedOn, &r.StartsOn, &ends); err != nil {
			return nil, err
		}
		r.Verified = evidence != "" && verifiedBy != "" && verifiedOn.Valid
		if ends.Valid {
			r.EndsOn = ends.Time
		}
		out = append(out, r)
	}
	return out, rows.Err()
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
				if c.Purpose == consent.PurposeDigitalCommunication && c.Channel == ch.Channel && c.Permit && c.Active(v.Now) {
					if _, err := s.WithdrawConsent(ctx, actor, personID, c.ID); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}
