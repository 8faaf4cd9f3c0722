package consent

import (
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// judge evaluates one person's consents and best-interests decisions at one
// moment, loading the person, their representatives and each decision's
// capacity state once.
type judge struct {
	sc     *door.Scope
	person people.Person
	now    time.Time
	reps   map[string]Representative
	caps   map[string]capacityState
}

func (s *Service) newJudge(sc *door.Scope, personID string, now time.Time) (*judge, error) {
	p, err := people.Load(sc, personID)
	if err != nil {
		return nil, err
	}
	list, err := representatives(sc, personID)
	if err != nil {
		return nil, err
	}
	j := &judge{sc: sc, person: p, now: now, reps: map[string]Representative{}, caps: map[string]capacityState{}}
	for _, r := range list {
		j.reps[r.ID] = r
	}
	return j, nil
}

func (j *judge) capacity(key string) (capacityState, error) {
	if cs, ok := j.caps[key]; ok {
		return cs, nil
	}
	cs, err := loadCapacity(j.sc, j.person.ID, key, j.now)
	if err != nil {
		return cs, err
	}
	j.caps[key] = cs
	return cs, nil
}

// current picks, from one target's consents newest first, the one that
// stands now: the latest recorded that has started. A later consent replaces
// an earlier one; a withdrawal does not bring an older one back.
func current(list []Consent, now time.Time) (Consent, bool) {
	for _, c := range list {
		if !now.Before(c.Starts) {
			return c, true
		}
	}
	return Consent{}, false
}

// replacedBy finds a later consent about the same thing that has started.
func replacedBy(c Consent, all []Consent, now time.Time) *Consent {
	for i := range all {
		o := all[i]
		if o.ID != c.ID && o.targetKey() == c.targetKey() && !now.Before(o.Starts) &&
			(o.RecordedAt.After(c.RecordedAt) || o.RecordedAt.Equal(c.RecordedAt) && o.ID > c.ID) {
			return &o
		}
	}
	return nil
}

// returnedSince reports whether a decision made at made by someone other
// than the person came before an assessment found the person able to make
// it: such a decision no longer counts, and the person must be asked.
func (j *judge) returnedSince(cs capacityState, made time.Time) bool {
	return !cs.ReturnedAt.IsZero() && made.Before(cs.ReturnedAt)
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// consent evaluates one consent now: given by the person with capacity, or
// by a representative within verified, live authority while the person
// lacks capacity for that decision (cannotConsent).
func (j *judge) consent(c Consent, all []Consent) (Basis, error) {
	name := j.person.CalledName()
	b := Basis{Kind: BasisConsent, ID: c.ID, Until: c.Ends, GivenBy: "the person"}
	giver := name
	if c.GivenBy == "representative" {
		b.GivenBy = c.RepresentativeName + " (" + lowerFirst(AuthorityTitle(c.Authority)) + ")"
		giver = b.GivenBy + " for " + name
	}
	verb := "Consent given"
	if !c.Permit() {
		verb = "Refused"
	}
	switch {
	case c.Withdrawn() && !j.now.Before(c.WithdrawnAt):
		b.Reason = fmt.Sprintf("Consent was withdrawn on %s by %s", ukDate(c.WithdrawnAt), c.WithdrawnBy)
		return b, nil
	case j.now.Before(c.Starts):
		b.Reason = "Consent starts on " + ukDate(c.Starts)
		return b, nil
	case !c.Ends.IsZero() && !j.now.Before(c.Ends):
		b.Reason = "Consent ended on " + ukDate(c.Ends)
		return b, nil
	case strings.TrimSpace(c.InfoGiven) == "" || c.InfoFormat == "":
		b.Reason = "Not informed consent: there is no record of what " + name + " was told"
		return b, nil
	}
	if o := replacedBy(c, all, j.now); o != nil {
		b.Reason = "Replaced by a later decision recorded on " + ukDate(o.RecordedAt)
		return b, nil
	}
	if c.GivenBy == "representative" {
		rep, ok := j.reps[c.RepresentativeID]
		if !ok {
			b.Reason = "The representative who gave this consent is no longer recorded"
			return b, nil
		}
		if why := rep.authorityProblem(c.Purpose, j.person, j.now); why != "" {
			b.Reason = why
			return b, nil
		}
		cs, err := j.capacity(c.DecisionKey)
		if err != nil {
			return b, err
		}
		if why := capacityProblem(rep.Authority, j.person, cs); why != "" {
			if j.returnedSince(cs, c.RecordedAt) {
				// MCA 2005 s11(7)(a): an attorney decides only what the
				// person cannot; their consent stops counting at once,
				// and the person must be asked now.
				b.AskPerson = true
				why = fmt.Sprintf("%s was assessed on %s as able to make this decision, so the consent given by %s stopped counting then: ask %s now",
					name, ukDate(cs.ReturnedAt), c.RepresentativeName, name)
			}
			b.Reason = why
			return b, nil
		}
		b.Until = earlier(b.Until, rep.EndsOn)
	}
	when := ukDate(c.Starts)
	if !c.Permit() {
		b.Reason = fmt.Sprintf("%s by %s on %s", verb, giver, when)
		return b, nil
	}
	b.Active = true
	b.Reason = fmt.Sprintf("%s by %s on %s", verb, giver, when)
	return b, nil
}

// bestInterests evaluates one best-interests decision now.
func (j *judge) bestInterests(bi BestInterests) (Basis, error) {
	name := j.person.CalledName()
	b := Basis{Kind: BasisBestInterests, ID: bi.ID, GivenBy: bi.DecisionMaker}
	cs, err := j.capacity(bi.DecisionKey)
	if err != nil {
		return b, err
	}
	if !cs.Lacks {
		switch {
		case j.returnedSince(cs, bi.DecidedAt):
			b.AskPerson = true
			b.Reason = fmt.Sprintf("%s was assessed on %s as able to make this decision, so the best-interests decision stopped counting then: ask %s now",
				name, ukDate(cs.ReturnedAt), name)
		case cs.Assessed:
			b.Reason = fmt.Sprintf("%s was assessed on %s as having capacity for this decision: they decide for themselves", name, ukDate(cs.Latest.AssessedAt))
		default:
			b.Reason = name + " is assumed to have capacity for this decision: they decide for themselves"
		}
		return b, nil
	}
	b.Active = true
	b.Reason = fmt.Sprintf("Best-interests decision by %s on %s", bi.DecisionMaker, ukDate(bi.DecidedAt))
	return b, nil
}

// TechnologyBasis is the lawful basis for using technologyID for personID now: a counting consent
// (permit, purpose technology, this technology, live, informed, from someone entitled to decide) or a live
// best-interests decision about using this technology. Active=false with Reason when there is none.
// It reads in the caller's transaction (tx of a door scope that already allowed access).
func (s *Service) TechnologyBasis(sc *door.Scope, personID, technologyID string, now time.Time) (Basis, error) {
	j, err := s.newJudge(sc, personID, now)
	if err != nil {
		return Basis{}, err
	}
	list, err := consentsWhere(sc, personID, `AND c.purpose = ? AND c.technology_id = ?`, PurposeTechnology, technologyID)
	if err != nil {
		return Basis{}, err
	}
	var fromConsent Basis
	if c, ok := current(list, now); ok {
		if fromConsent, err = j.consent(c, list); err != nil {
			return Basis{}, err
		}
		if fromConsent.Active {
			return fromConsent, nil
		}
		if !c.Permit() && fromConsent.Reason != "" && !c.Withdrawn() && strings.HasPrefix(fromConsent.Reason, "Refused") {
			// A decision that counts and says no is final: a
			// best-interests decision does not override it.
			return fromConsent, nil
		}
	}
	bis, err := bestInterestsWhere(sc, personID, `AND decision_key = ? AND decided_at <= ?`, TechnologyDecision(technologyID), now)
	if err != nil {
		return Basis{}, err
	}
	if len(bis) > 0 {
		b, err := j.bestInterests(bis[0])
		if err != nil || b.Active || fromConsent.ID == "" {
			return b, err
		}
	}
	if fromConsent.ID != "" {
		return fromConsent, nil
	}
	return Basis{Reason: "No consent or best-interests decision is recorded for using this technology"}, nil
}

// BasisStatus re-checks one basis by kind ("consent" or "best-interests") and record ID: does it still count now?
// Other recorded bases (safeguarding, court order, ...) are checked by their dates.
func (s *Service) BasisStatus(sc *door.Scope, personID, kind, id string, now time.Time) (Basis, error) {
	if !hearth.ValidID(id) {
		return Basis{Kind: kind, ID: id, Reason: "No such record"}, nil
	}
	j, err := s.newJudge(sc, personID, now)
	if err != nil {
		return Basis{}, err
	}
	switch kind {
	case BasisConsent:
		c, err := loadConsent(sc, personID, id)
		if hearth.KindOf(err) == hearth.KindNotFound {
			return Basis{Kind: kind, ID: id, Reason: "No such consent"}, nil
		} else if err != nil {
			return Basis{}, err
		}
		all, err := consentsWhere(sc, personID, `AND c.purpose = ?`, c.Purpose)
		if err != nil {
			return Basis{}, err
		}
		return j.consent(c, all)
	case BasisBestInterests:
		list, err := bestInterestsWhere(sc, personID, `AND id = ?`, id)
		if err != nil {
			return Basis{}, err
		}
		if len(list) == 0 {
			return Basis{Kind: kind, ID: id, Reason: "No such best-interests decision"}, nil
		}
		return j.bestInterests(list[0])
	}
	list, err := lawfulBasesWhere(sc, personID, `AND id = ?`, id)
	if err != nil {
		return Basis{}, err
	}
	if len(list) == 0 {
		return Basis{Kind: kind, ID: id, Reason: "No such lawful basis"}, nil
	}
	return otherBasis(list[0], now), nil
}

func otherBasis(lb LawfulBasis, now time.Time) Basis {
	b := Basis{Kind: lb.Kind, ID: lb.ID, Until: lb.Ends, GivenBy: lb.RecordedBy, Active: lb.Live(now)}
	switch {
	case b.Active:
		b.Reason = fmt.Sprintf("%s, recorded by %s on %s: %s", BasisTitle(lb.Kind), lb.RecordedBy, ukDate(lb.RecordedAt), lb.Reason)
	case now.Before(lb.Starts):
		b.Reason = BasisTitle(lb.Kind) + " starts on " + ukDate(lb.Starts)
	default:
		b.Reason = BasisTitle(lb.Kind) + " ended on " + ukDate(lb.Ends)
	}
	return b
}

// ChannelConsented reports whether the person has an active consent to be contacted by this digital channel.
func (s *Service) ChannelConsented(sc *door.Scope, personID, channel string, now time.Time) (bool, error) {
	list, err := consentsWhere(sc, personID, `AND c.purpose = ? AND c.channel = ?`, PurposeDigitalCommunication, channel)
	if err != nil || len(list) == 0 {
		return false, err
	}
	c, ok := current(list, now)
	if !ok {
		return false, nil
	}
	j, err := s.newJudge(sc, personID, now)
	if err != nil {
		return false, err
	}
	b, err := j.consent(c, list)
	return b.Active && c.Permit(), err
}

// scopeCovers reports whether a consent's scope reaches an action.
func scopeCovers(scope []string, a access.Action) bool {
	if oneOf(ScopeAll, scope) {
		return true
	}
	switch a {
	case access.ViewPerson, access.SendMessage:
		return len(scope) > 0
	case access.ReadRecord:
		return oneOf(ScopeCareRecord, scope)
	case access.ReadMedicines:
		return oneOf(ScopeMedicines, scope)
	case access.ReadConsent:
		return oneOf(ScopeConsent, scope)
	}
	return false
}

// Representatives' reach. Authority over health and welfare reaches the care
// record while the person lacks capacity for care and support; otherwise the
// representative may still see who the person is and write to the team.
var (
	healthWelfareActions = permsOf(access.ViewPerson, access.ReadRecord, access.ReadMedicines, access.ReadConsent, access.ReadTechUse,
		access.ReadAccessLog, access.Contribute, access.RecordConsent, access.RaiseConcern, access.ExportRecord, access.SendMessage)
	contactActions = permsOf(access.ViewPerson, access.SendMessage)
)

// LoadFacts makes consent a door.FactSource. For a representative's account
// it sets f.Proxy to what the authority reaches now (see the contract); for a
// decision about sharing outside the care team it sets f.Basis to the
// consent or other lawful basis that covers the recipient, or leaves it
// empty so the door denies. It does nothing (and reads nothing) otherwise.
//
// Property and finance authorities (LPA, deputy, appointee) get ViewPerson
// only: enough to see whose record it is and be told their authority does
// not reach the care record; nothing about care.
func (s *Service) LoadFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	if q.PersonID == "" || !hearth.ValidID(q.PersonID) {
		return nil
	}
	if q.Actor.Kind == access.KindRepresentative {
		if err := s.proxyFacts(sc, q, f); err != nil {
			return fmt.Errorf("consent: proxy facts: %w", err)
		}
	}
	if q.Purpose == access.Sharing {
		if err := s.sharingFacts(sc, q, f); err != nil {
			return fmt.Errorf("consent: sharing facts: %w", err)
		}
	}
	return nil
}

func (s *Service) proxyFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	rep, err := accountRepresentative(sc, q.Actor.ID, q.PersonID)
	if hearth.KindOf(err) == hearth.KindForbidden {
		return nil
	} else if err != nil {
		return err
	}
	now := f.Now
	if !rep.Live(now) {
		f.Proxy.Missing = access.DenyNoAuthority
		return nil
	}
	proxy := access.Proxy{ID: rep.ID, Until: rep.EndsOn}
	switch {
	case consultedOnly(rep.Authority):
		// No authority of their own: what they see comes from the person's
		// sharing consent naming them.
		j, err := s.newJudge(sc, q.PersonID, now)
		if err != nil {
			return err
		}
		list, err := consentsWhere(sc, q.PersonID, `AND c.purpose = ? AND (c.recipient_rep_id = ? OR LOWER(c.recipient) = LOWER(?))`,
			PurposeSharing, rep.ID, rep.Name)
		if err != nil {
			return err
		}
		c, ok := current(list, now)
		if !ok {
			f.Proxy.Missing = access.DenyNoSharingConsent
			return nil
		}
		b, err := j.consent(c, list)
		if err != nil {
			return err
		}
		if !b.Active {
			f.Proxy.Missing = access.DenyNoSharingConsent
			if c.Withdrawn() {
				f.Proxy.Missing = access.DenyConsentWithdrawn
			}
			return nil
		}
		proxy.Covers = contactActions
		for _, a := range []access.Action{access.ReadRecord, access.ReadMedicines, access.ReadConsent} {
			if scopeCovers(c.Scope, a) {
				proxy.Covers |= permsOf(a)
			}
		}
		proxy.Until = earlier(proxy.Until, b.Until)
		f.Basis = access.Basis{ID: c.ID, Until: b.Until}
	case moneyOnly(rep.Authority):
		if !rep.Verified() {
			f.Proxy.Missing = access.DenyNoAuthority
			return nil
		}
		proxy.Covers = permsOf(access.ViewPerson)
	case healthWelfare(rep.Authority):
		if !rep.Verified() {
			f.Proxy.Missing = access.DenyNoAuthority
			return nil
		}
		person, err := people.Load(sc, q.PersonID)
		if err != nil {
			return err
		}
		reaches := false
		if rep.Authority == AuthorityParentalResponsibility {
			reaches = person.Age(now) < 18
		} else {
			cs, err := loadCapacity(sc, q.PersonID, DecisionCareAndSupport, now)
			if err != nil {
				return err
			}
			reaches = cs.Lacks
		}
		if reaches {
			proxy.Covers = healthWelfareActions
		} else if rep.Authority != AuthorityParentalResponsibility {
			proxy.Covers = contactActions
		}
	default:
		return nil
	}
	f.Proxy = proxy
	return nil
}

func (s *Service) sharingFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	recipient := strings.TrimSpace(q.Recipient)
	if recipient == "" {
		return nil
	}
	now := f.Now
	list, err := consentsWhere(sc, q.PersonID, `AND c.purpose = ? AND LOWER(c.recipient) = LOWER(?)`, PurposeSharing, recipient)
	if err != nil {
		return err
	}
	if c, ok := current(list, now); ok && c.Permit() && scopeCovers(c.Scope, q.Action) {
		j, err := s.newJudge(sc, q.PersonID, now)
		if err != nil {
			return err
		}
		b, err := j.consent(c, list)
		if err != nil {
			return err
		}
		if b.Active {
			f.Basis = access.Basis{ID: c.ID, Until: b.Until}
			return nil
		}
	}
	bases, err := lawfulBasesWhere(sc, q.PersonID, `AND LOWER(recipient) = LOWER(?)`, recipient)
	if err != nil {
		return err
	}
	for _, lb := range bases {
		if lb.Live(now) {
			f.Basis = access.Basis{ID: lb.ID, Special: true, Until: lb.Ends}
			return nil
		}
	}
	return nil
}

var _ door.FactSource = (*Service)(nil)

func permsOf(actions ...access.Action) access.Permission {
	var p access.Permission
	for _, a := range actions {
		p |= access.Permission(1) << a
	}
	return p
}
