package consent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Representative is someone with lawful authority for a person (an attorney,
// a deputy, a parent) or someone who must be consulted but cannot consent (an
// IMCA, an advocate, family, an unpaid carer).
type Representative struct {
	ID                string
	PersonID          string
	Name              string
	Relationship      string // "daughter", "solicitor"
	Authority         string
	Scope             string // a deputy's scope, as the court order says
	Contact           string
	EvidenceReference string // OPG registration number, court order number, ...
	VerifiedBy        string
	VerifiedOn        time.Time
	StartsOn          time.Time
	EndsOn            time.Time // zero: no end
	RecordedBy        string
	RecordedAt        time.Time
	UserID            string // the portal account, if linked
	EndReason         string // why the authority ended (revoked, discharged, ...)
	EndedBy           string // who recorded the end
	EndedAt           time.Time
}

// Verified reports whether the evidence has been seen and checked.
func (r Representative) Verified() bool {
	return r.EvidenceReference != "" && r.VerifiedBy != "" && !r.VerifiedOn.IsZero()
}

// Live reports whether the authority holds at now.
func (r Representative) Live(now time.Time) bool {
	return !now.Before(r.StartsOn) && (r.EndsOn.IsZero() || now.Before(r.EndsOn))
}

// CanConsent reports whether the authority is one that can ever consent.
func (r Representative) CanConsent() bool { return healthWelfare(r.Authority) }

// Describe is the representative's name and authority.
func (r Representative) Describe() string {
	return r.Name + " (" + lowerFirst(AuthorityTitle(r.Authority)) + ")"
}

// cannotConsent says why the representative may not decide about purpose
// for person now, or "" when they may: only within authority, only with verified evidence, only while live, and
// only while the person lacks capacity for that decision.
func (r Representative) cannotConsent(purpose string, person people.Person, cs capacityState, now time.Time) string {
	if why := r.authorityProblem(purpose, person, now); why != "" {
		return why
	}
	return capacityProblem(r.Authority, person, cs)
}

// authorityProblem is what stops the representative's authority reaching
// purpose at all, now.
func (r Representative) authorityProblem(purpose string, person people.Person, now time.Time) string {
	switch {
	case !r.Live(now) && now.Before(r.StartsOn):
		return fmt.Sprintf("%s's authority starts on %s", r.Name, ukDate(r.StartsOn))
	case !r.Live(now):
		return fmt.Sprintf("%s's authority ended on %s", r.Name, ukDate(r.EndsOn))
	case consultedOnly(r.Authority):
		return fmt.Sprintf("%s is recorded as %s: they must be consulted about decisions for %s, but cannot consent for them",
			r.Name, lowerFirst(AuthorityTitle(r.Authority)), person.CalledName())
	case moneyOnly(r.Authority):
		return fmt.Sprintf("A %s covers money and property only: %s cannot consent to %s",
			lowerFirst(AuthorityTitle(r.Authority)), r.Name, lowerFirst(purposePhrase(purpose)))
	case !healthWelfare(r.Authority):
		return fmt.Sprintf("%s has no recorded authority to consent", r.Name)
	case !r.Verified():
		return fmt.Sprintf("%s's evidence (%s) has not been verified: record who checked it and when before they can consent",
			r.Name, evidenceWord(r.Authority))
	case purpose == PurposeSecondaryUse:
		return "Research with a person who lacks capacity follows the Mental Capacity Act sections 30 to 34 (a consultee's advice): a representative cannot consent to it here"
	}
	if r.Authority == AuthorityParentalResponsibility {
		if age := person.Age(now); age >= 18 {
			return fmt.Sprintf("Parental responsibility ends at 18: %s is %d", person.CalledName(), age)
		}
	}
	return ""
}

// capacityProblem is what stops anyone but the person deciding: an
// assessment finding they have capacity for the decision, or (MCA 2005 s1(2))
// no assessment at all for an adult.
func capacityProblem(authority string, person people.Person, cs capacityState) string {
	decision := lowerFirst(DecisionTitle(cs.Key))
	if cs.Assessed && cs.Latest.Decision != "" {
		decision = lowerFirst(cs.Latest.Decision) // as recorded, naming the technology
	}
	switch {
	case cs.Assessed && !cs.Lacks:
		return fmt.Sprintf("%s was assessed on %s as having capacity to decide about %s: only their own consent counts",
			person.CalledName(), ukDate(cs.Latest.AssessedAt), decision)
	case !cs.Assessed && authority != AuthorityParentalResponsibility:
		return fmt.Sprintf("%s is assumed to have capacity to decide about %s (Mental Capacity Act 2005 section 1): no assessment has found otherwise, so only their own consent counts",
			person.CalledName(), decision)
	}
	return ""
}

func purposePhrase(purpose string) string {
	switch purpose {
	case PurposeTechnology:
		return "a care technology"
	case PurposeCareDelivery:
		return "care and support"
	case PurposeSharing:
		return "sharing information"
	}
	return PurposeTitle(purpose)
}

func evidenceWord(authority string) string {
	switch authority {
	case AuthorityLPAHealthWelfare, AuthorityLPAHealthWelfareLST, AuthorityLPAPropertyFinance:
		return "the Office of the Public Guardian registration"
	case AuthorityDeputyHealthWelfare, AuthorityDeputyPropertyFinance:
		return "the court order"
	case AuthorityParentalResponsibility:
		return "evidence of parental responsibility"
	}
	return "evidence"
}

// NewRepresentative is a representative to record.
type NewRepresentative struct {
	PersonID          string
	Name              string
	Relationship      string
	Authority         string
	Scope             string
	Contact           string
	EvidenceReference string
	VerifiedBy        string
	VerifiedOn        time.Time
	StartsOn          time.Time // zero: today
	EndsOn            time.Time
	Problems          hearth.Problems // from reading the form
}

func (n *NewRepresentative) validate(person people.Person, now time.Time) error {
	n.Name, n.Relationship, n.Authority = strings.TrimSpace(n.Name), strings.TrimSpace(n.Relationship), strings.TrimSpace(n.Authority)
	n.Scope, n.Contact = strings.TrimSpace(n.Scope), strings.TrimSpace(n.Contact)
	n.EvidenceReference, n.VerifiedBy = strings.TrimSpace(n.EvidenceReference), strings.TrimSpace(n.VerifiedBy)
	if n.StartsOn.IsZero() {
		n.StartsOn = now.Truncate(24 * time.Hour)
	}
	p := append(hearth.Problems(nil), n.Problems...)
	p.Check(n.Name != "", "Name", "Enter the representative's name")
	checkLen(&p, "Name", n.Name, 200)
	checkLen(&p, "Relationship", n.Relationship, 200)
	checkLen(&p, "Scope", n.Scope, maxText)
	checkLen(&p, "Contact", n.Contact, 500)
	checkLen(&p, "Evidence reference", n.EvidenceReference, 200)
	checkLen(&p, "Verified by", n.VerifiedBy, 200)
	p.Check(oneOf(n.Authority, Authorities), "Authority", "Choose the representative's authority")
	if !consultedOnly(n.Authority) {
		p.Check(n.EvidenceReference != "", "Evidence reference", "Enter the reference of the evidence, such as the OPG registration number or the court order number")
	}
	if n.Authority == AuthorityDeputyHealthWelfare || n.Authority == AuthorityDeputyPropertyFinance {
		p.Check(n.Scope != "", "Scope", "Enter what the court order allows the deputy to decide")
	}
	if n.Authority == AuthorityParentalResponsibility {
		p.Check(person.Age(now) < 18, "Authority", fmt.Sprintf("Parental responsibility is only for a person under 18: %s is %d", person.CalledName(), person.Age(now)))
	}
	if (n.VerifiedBy == "") != n.VerifiedOn.IsZero() {
		p.Add("Verified on", "Enter both who verified the evidence and when, or neither")
	}
	if !n.VerifiedOn.IsZero() && n.VerifiedOn.After(now) {
		p.Add("Verified on", "Verified on must not be in the future")
	}
	if !n.EndsOn.IsZero() && !n.EndsOn.After(n.StartsOn) {
		p.Add("End date", "End date must be after the start date")
	}
	return p.Err()
}

// RecordRepresentative records a representative or consultee for a person.
func (s *Service) RecordRepresentative(ctx context.Context, actor door.Actor, n NewRepresentative) (Representative, error) {
	var r Representative
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: n.PersonID,
			ResourceType: "RelatedPerson", Detail: "representative recorded"})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindStaff {
			return hearth.Errorf(hearth.KindForbidden, "Only staff can record a representative, after seeing the evidence")
		}
		person, err := people.Load(sc, n.PersonID)
		if err != nil {
			return err
		}
		now := sc.Now()
		if err := n.validate(person, now); err != nil {
			return err
		}
		r = Representative{ID: hearth.NewID(), PersonID: n.PersonID, Name: n.Name, Relationship: n.Relationship, Authority: n.Authority,
			Scope: n.Scope, Contact: n.Contact, EvidenceReference: n.EvidenceReference, VerifiedBy: n.VerifiedBy,
			VerifiedOn: n.VerifiedOn, StartsOn: n.StartsOn, EndsOn: n.EndsOn, RecordedBy: actor.Name, RecordedAt: now}
		a.ResourceID = r.ID
		_, err = sc.Exec(`INSERT INTO representatives (id, person_id, name, relationship, authority, scope, contact,
			evidence_reference, verified_by, verified_on, starts_on, ends_on, recorded_by, recorded_by_name, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.PersonID, r.Name, r.Relationship, r.Authority, r.Scope, r.Contact, r.EvidenceReference, r.VerifiedBy,
			store.NullTime(r.VerifiedOn), r.StartsOn, store.NullTime(r.EndsOn), actor.ID, actor.Name, now)
		return err
	})
	return r, err
}

// EndRepresentative records that a representative's authority or role ends
// on a date (an LPA revoked, a deputy discharged), why, and who recorded it.
// An end on or before today takes effect at once: the door reads the end
// date in every decision, so a representative's portal access stops with
// their next request. Nothing else changes; the row stays readable.
func (s *Service) EndRepresentative(ctx context.Context, actor door.Actor, personID, representativeID string, endsOn time.Time, reason string) (Representative, error) {
	var r Representative
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: personID,
			ResourceType: "RelatedPerson", ResourceID: representativeID, Detail: "representative ended"})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindStaff {
			return hearth.Errorf(hearth.KindForbidden, "Only staff can end a representative's authority")
		}
		if r, err = loadRepresentative(sc, personID, representativeID); err != nil {
			return err
		}
		a.ResourceID = r.ID
		now := sc.Now()
		if !r.EndsOn.IsZero() && !r.EndsOn.After(now) {
			return hearth.Errorf(hearth.KindConflict, "%s's authority already ended on %s. Nothing was changed.", r.Name, ukDate(r.EndsOn))
		}
		reason = strings.TrimSpace(reason)
		var p hearth.Problems
		if endsOn.IsZero() {
			p.Add("End date", "Enter the date the authority ends")
		} else if endsOn.Before(r.StartsOn) {
			p.Add("End date", "End date must be on or after the start date ("+ukDate(r.StartsOn)+")")
		}
		p.Check(utf8.RuneCountInString(reason) >= 10, "Reason", "Say why the authority ends, in at least 10 characters (for example: the LPA was revoked by the Court of Protection)")
		checkLen(&p, "Reason", reason, maxText)
		if err := p.Err(); err != nil {
			return err
		}
		r.EndsOn, r.EndReason, r.EndedBy, r.EndedAt = endsOn, reason, actor.Name, now
		a.Detail = fmt.Sprintf("representative %s ended on %s: %s", r.Name, ukDate(endsOn), reason)
		_, err = sc.Exec(`UPDATE representatives SET ends_on = ?, end_reason = ?, ended_by_name = ?, ended_at = ? WHERE id = ?`,
			endsOn, reason, actor.Name, now, r.ID)
		return err
	})
	return r, err
}

const repColumns = `r.id, r.person_id, r.name, r.relationship, r.authority, r.scope, r.contact, r.evidence_reference,
	r.verified_by, r.verified_on, r.starts_on, r.ends_on, r.recorded_by_name, r.recorded_at, COALESCE(ra.user_id, ''),
	r.end_reason, r.ended_by_name, r.ended_at`

const repFrom = ` FROM representatives r LEFT JOIN representative_accounts ra ON ra.representative_id = r.id `

func scanRepresentative(row interface{ Scan(...any) error }) (Representative, error) {
	var r Representative
	var verified, ends, ended sql.NullTime
	err := row.Scan(&r.ID, &r.PersonID, &r.Name, &r.Relationship, &r.Authority, &r.Scope, &r.Contact, &r.EvidenceReference,
		&r.VerifiedBy, &verified, &r.StartsOn, &ends, &r.RecordedBy, &r.RecordedAt, &r.UserID, &r.EndReason, &r.EndedBy, &ended)
	r.VerifiedOn, r.EndsOn, r.EndedAt = nullTime(verified), nullTime(ends), nullTime(ended)
	r.StartsOn, r.RecordedAt = r.StartsOn.UTC(), r.RecordedAt.UTC()
	return r, err
}

func loadRepresentative(sc *door.Scope, personID, id string) (Representative, error) {
	if !hearth.ValidID(id) {
		return Representative{}, hearth.NotFound("That representative")
	}
	r, err := scanRepresentative(sc.QueryRow(`SELECT `+repColumns+repFrom+` WHERE r.id = ? AND r.person_id = ?`, id, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, hearth.NotFound("That representative")
	}
	return r, err
}

func representatives(sc *door.Scope, personID string) ([]Representative, error) {
	rows, err := sc.Query(`SELECT `+repColumns+repFrom+` WHERE r.person_id = ? ORDER BY r.recorded_at, r.id`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Representative
	for rows.Next() {
		r, err := scanRepresentative(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// accountRepresentative is the representatives row a representative's
// account acts under for a person.
func accountRepresentative(sc *door.Scope, userID, personID string) (Representative, error) {
	r, err := scanRepresentative(sc.QueryRow(`SELECT `+repColumns+repFrom+` WHERE ra.user_id = ? AND r.person_id = ?
		ORDER BY r.recorded_at DESC LIMIT 1`, userID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, hearth.Errorf(hearth.KindForbidden, "This account is not linked to a representative of this person")
	}
	return r, err
}

// LinkRepresentativeAccount records that a representative (a row of the representatives table, with
// person_id and authority) signs in to the portal as userID (an accounts user of kind representative).
// It runs where the link is authorised: accepting a portal invitation (door.InvitationCode).
func LinkRepresentativeAccount(sc door.Tx, representativeID, userID string) error {
	var kind string
	err := sc.QueryRow(`SELECT kind FROM users WHERE id = ?`, userID).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return hearth.NotFound("That account")
	} else if err != nil {
		return err
	}
	if kind != access.KindRepresentative.String() {
		return hearth.Invalid("Account", "Only a representative's account can be linked to a representative")
	}
	var n int
	if err := sc.QueryRow(`SELECT COUNT(*) FROM representatives WHERE id = ?`, representativeID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return hearth.NotFound("That representative")
	}
	if _, err := sc.Exec(`DELETE FROM representative_accounts WHERE representative_id = ?`, representativeID); err != nil {
		return err
	}
	_, err = sc.Exec(`INSERT INTO representative_accounts (representative_id, user_id) VALUES (?, ?)`, representativeID, userID)
	return err
}

// RepresentativesOf lists a person's representatives and consultees, oldest
// first, ended ones included (with when and why). It reads in the caller's
// transaction: tx must belong to a door scope that has already allowed a
// request about personID (as TechnologyBasis does).
func (s *Service) RepresentativesOf(sc *door.Scope, personID string) ([]Representative, error) {
	return representatives(sc, personID)
}
