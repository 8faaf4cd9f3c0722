// Package consent owns consent, mental capacity, best-interests decisions
// and lawful representatives, and feeds them to the access door as facts, so
// that the lawful path is the easy one and the unlawful one is impossible
// (NHS England, principles for using digital technologies in mental health
// inpatient care, principle 2; CQC, digital record systems in adult social
// care).
//
// Notes for callers: Withdraw of an already withdrawn
// consent returns the unchanged consent and a KindConflict error wrapping
// ErrAlreadyWithdrawn, whose message says when and by whom ("This consent was
// already withdrawn on 4 March 2026 by ..."). For representatives'
// accounts, LoadFacts gives property-and-finance authorities (LPA, deputy,
// appointee) ViewPerson only; consulted-only kinds (IMCA, advocate, family,
// carer) get ViewPerson|SendMessage plus the reads the naming sharing
// consent's scope covers (care record -> ReadRecord, medicines ->
// ReadMedicines, consent records -> ReadConsent; "all" -> all three).
// Consent.FHIR(now, base) returns an R4 Consent struct (FHIRConsent), naming Hearth's code systems under the FHIR base URL.
//
// Invariants:
//   - consents are never edited: a change is a new consent (Replaces names
//     the one it follows); withdrawal fills in when, by whom and how, once;
//   - a consent is informed or it is refused: what the person was told and in
//     what format is required;
//   - MCA 2005 s1(2): a person is assumed to have capacity unless an
//     assessment for that decision finds otherwise; while they have it, only
//     their own consent counts;
//   - a representative consents only within their authority and only while
//     the person lacks capacity for that decision; when an assessment finds
//     capacity for it, others' consents and best-interests decisions stop
//     counting at once and are flagged "ask the person" (MCA 2005
//     s11(7)(a); NHS principle 2: their consent "must be sought at that
//     time");
//   - withdrawn or expired consent stops counting at once: every decision
//     reads the tables in the door's own transaction.
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

// Basis is whether something is lawful now, and why, in words for the audit log and the screen.
type Basis struct {
	Kind      string    // "consent", "best-interests", or another recorded basis ("safeguarding", "court-order", "vital-interests", "legal-obligation")
	ID        string    // the consent, best-interests decision or basis record
	Active    bool      // counts now
	Reason    string    // plain English: "Consent given by Ann herself on 3 March 2026" / "Consent was withdrawn on 4 March 2026"
	GivenBy   string    // "the person" or the representative's name and authority
	Until     time.Time // zero: no end
	AskPerson bool      // capacity has returned: this no longer counts, ask the person now
}

// Service records and evaluates consent, capacity, best interests and
// representatives.
type Service struct {
	door *door.Door
}

// New returns the consent service.
func New(d *door.Door) *Service {
	return &Service{door: d}
}

// ErrAlreadyWithdrawn is wrapped by the error Withdraw returns for a consent
// that was already withdrawn; nothing is changed.
var ErrAlreadyWithdrawn = errors.New("consent already withdrawn")

// Consent is one recorded decision by or for a person about one purpose.
type Consent struct {
	ID                        string
	PersonID                  string
	Purpose                   string
	DecisionKey               string
	Recipient                 string // sharing: the named person or organisation
	RecipientRepresentativeID string // sharing with someone recorded as a representative or consultee
	TechnologyID              string
	TechnologyName            string
	Channel                   string
	Decision                  string   // "permit" or "deny"
	Scope                     []string // parts of the record
	Recipients                string   // who will see what is recorded
	Starts                    time.Time
	Ends                      time.Time // zero: no end
	GivenBy                   string    // "person" or "representative"
	RepresentativeID          string
	RepresentativeName        string
	Authority                 string
	InfoGiven                 string
	InfoFormat                string
	InfoFormatDetail          string
	ReviewOn                  time.Time
	Replaces                  string
	RecordedByID              string
	RecordedBy                string
	RecordedAt                time.Time
	WithdrawnAt               time.Time
	WithdrawnByID             string
	WithdrawnBy               string
	WithdrawnHow              string
}

// Permit reports whether the consent says yes.
func (c Consent) Permit() bool { return c.Decision == "permit" }

// Withdrawn reports whether the consent has been withdrawn.
func (c Consent) Withdrawn() bool { return !c.WithdrawnAt.IsZero() }

// Target is what the purpose is about, in words: "with GP", "by email".
func (c Consent) Target() string {
	switch c.Purpose {
	case PurposeSharing:
		return "with " + c.Recipient
	case PurposeTechnology:
		if c.TechnologyName != "" {
			return c.TechnologyName
		}
		return c.TechnologyID
	case PurposeDigitalCommunication:
		return "by " + ChannelTitle(c.Channel)
	}
	return ""
}

// Title is the purpose and its target: "Sharing with GP".
func (c Consent) Title() string {
	switch c.Purpose {
	case PurposeSharing:
		return "Sharing " + c.Target()
	case PurposeTechnology:
		return "Use of " + c.Target()
	case PurposeDigitalCommunication:
		return "Contact " + c.Target()
	}
	return PurposeTitle(c.Purpose)
}

// targetKey identifies what the consent is about, so a later consent about
// the same thing replaces an earlier one.
func (c Consent) targetKey() string {
	return c.Purpose + "|" + strings.ToLower(strings.TrimSpace(c.Recipient)) + "|" + c.TechnologyID + "|" + c.Channel
}

// NewConsent is a consent to record.
type NewConsent struct {
	PersonID                  string
	Purpose                   string
	Recipient                 string
	RecipientRepresentativeID string
	TechnologyID              string
	TechnologyName            string
	Channel                   string
	Decision                  string // "permit" or "deny"
	Scope                     []string
	Recipients                string
	Starts                    time.Time // zero: now
	Ends                      time.Time // zero: no end
	RepresentativeID          string    // empty: given by the person
	InfoGiven                 string    // what the person was told (required)
	InfoFormat                string    // one of InfoFormats (required)
	InfoFormatDetail          string    // for "other" or an interpreter's language
	ReviewOn                  time.Time
	Replaces                  string
	// Problems found while reading the form (a date that is not a date),
	// reported with the rest after the door has decided.
	Problems hearth.Problems
}

const maxText = 4000

func checkLen(p *hearth.Problems, field, v string, limit int) {
	p.Check(utf8.RuneCountInString(v) <= limit, field, fmt.Sprintf("%s must be %d characters or fewer", field, limit))
}

func (n *NewConsent) normalise(now time.Time) {
	n.Purpose, n.Decision = strings.TrimSpace(n.Purpose), strings.TrimSpace(n.Decision)
	n.Recipient, n.TechnologyID, n.TechnologyName = strings.TrimSpace(n.Recipient), strings.TrimSpace(n.TechnologyID), strings.TrimSpace(n.TechnologyName)
	n.Channel, n.Recipients = strings.TrimSpace(n.Channel), strings.TrimSpace(n.Recipients)
	n.InfoGiven, n.InfoFormat, n.InfoFormatDetail = strings.TrimSpace(n.InfoGiven), strings.TrimSpace(n.InfoFormat), strings.TrimSpace(n.InfoFormatDetail)
	n.RepresentativeID, n.Replaces = strings.TrimSpace(n.RepresentativeID), strings.TrimSpace(n.Replaces)
	if n.Starts.IsZero() {
		n.Starts = now
	}
	var scope []string
	for _, s := range n.Scope {
		if s = strings.TrimSpace(s); s != "" && !oneOf(s, scope) {
			scope = append(scope, s)
		}
	}
	if len(scope) == 0 && n.Purpose != PurposeSharing {
		scope = []string{ScopeAll}
	}
	n.Scope = scope
}

func (n NewConsent) validate() error {
	p := append(hearth.Problems(nil), n.Problems...)
	p.Check(validPurpose(n.Purpose), "Purpose", "Choose what the consent is for")
	p.Check(n.Decision == "permit" || n.Decision == "deny", "Decision", "Choose yes (permit) or no (deny)")
	switch n.Purpose {
	case PurposeSharing:
		p.Check(n.Recipient != "", "Recipient", "Name the person or organisation the information is shared with")
		p.Check(len(n.Scope) > 0, "Scope", "Choose which parts of the record are shared")
	case PurposeTechnology:
		p.Check(n.TechnologyID != "", "Technology", "Choose the technology")
	case PurposeDigitalCommunication:
		p.Check(oneOf(n.Channel, Channels), "Channel", "Choose how the person may be contacted: email, text message, phone or the portal")
	}
	for _, s := range n.Scope {
		p.Check(oneOf(s, Scopes), "Scope", "Choose parts of the record from the list")
	}
	// Consent that is not informed is not consent.
	p.Check(n.InfoGiven != "", "Information given", "Say what information the person was given: consent without it is not informed")
	p.Check(oneOf(n.InfoFormat, InfoFormats), "Information format", "Say in what format the information was given, for example easy read or large print")
	if n.InfoFormat == "other" || n.InfoFormat == "language-interpreter" {
		p.Check(n.InfoFormatDetail != "", "Information format", "Say which format or language")
	}
	if !n.Ends.IsZero() && !n.Ends.After(n.Starts) {
		p.Add("End date", "End date must be after the start date")
	}
	if !n.ReviewOn.IsZero() && n.ReviewOn.Before(n.Starts.Truncate(24*time.Hour)) {
		p.Add("Review date", "Review date must be on or after the start date")
	}
	checkLen(&p, "Recipient", n.Recipient, 200)
	checkLen(&p, "Technology", n.TechnologyName, 200)
	checkLen(&p, "Recipients", n.Recipients, 1000)
	checkLen(&p, "Information given", n.InfoGiven, maxText)
	checkLen(&p, "Information format", n.InfoFormatDetail, 200)
	return p.Err()
}

// actingPurpose is the purpose an actor records or reads consent for.
func actingPurpose(actor door.Actor) access.Purpose { return people.Purpose(actor) }

// Give records a consent (or a refusal). Staff record it with RecordConsent;
// the person records their own (given by the person, whatever the form says);
// a representative records one under their own authority. The same rules
// hold for all: informed, within authority, and from someone entitled to
// decide given the latest capacity assessment.
func (s *Service) Give(ctx context.Context, actor door.Actor, n NewConsent) (Consent, error) {
	var c Consent
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: n.PersonID,
			ResourceType: "Consent", Detail: "consent: " + n.Purpose})
		if err != nil {
			return err
		}
		now := sc.Now()
		n.normalise(now)
		switch actor.Kind {
		case access.KindPerson:
			n.RepresentativeID = ""
		case access.KindRepresentative:
			rep, err := accountRepresentative(sc, actor.ID, n.PersonID)
			if err != nil {
				return err
			}
			n.RepresentativeID = rep.ID
		}
		if err := n.validate(); err != nil {
			return err
		}
		person, err := people.Load(sc, n.PersonID)
		if err != nil {
			return err
		}
		key := PurposeDecision(n.Purpose, n.TechnologyID)
		if n.Purpose == PurposeTechnology && n.TechnologyName == "" {
			// Chosen from the register: its name comes with it.
			n.TechnologyName = technologyName(sc, n.TechnologyID)
		}
		capState, err := loadCapacity(sc, n.PersonID, key, now)
		if err != nil {
			return err
		}
		c = Consent{ID: hearth.NewID(), PersonID: n.PersonID, Purpose: n.Purpose, DecisionKey: key, Recipient: n.Recipient,
			RecipientRepresentativeID: n.RecipientRepresentativeID, TechnologyID: n.TechnologyID, TechnologyName: n.TechnologyName,
			Channel: n.Channel, Decision: n.Decision, Scope: n.Scope, Recipients: n.Recipients, Starts: n.Starts, Ends: n.Ends,
			GivenBy: "person", InfoGiven: n.InfoGiven, InfoFormat: n.InfoFormat, InfoFormatDetail: n.InfoFormatDetail,
			ReviewOn: n.ReviewOn, Replaces: n.Replaces, RecordedByID: actor.ID, RecordedBy: actor.Name, RecordedAt: now}
		if n.Replaces != "" {
			// Only one of this person's own consents can be replaced: another
			// person's looks exactly like one that does not exist.
			if !hearth.ValidID(n.Replaces) {
				return hearth.Invalid("Replaces", "Choose a consent recorded for this person")
			}
			if _, err := loadConsent(sc, n.PersonID, n.Replaces); hearth.KindOf(err) == hearth.KindNotFound {
				return hearth.Invalid("Replaces", "Choose a consent recorded for this person")
			} else if err != nil {
				return err
			}
		}
		if n.RecipientRepresentativeID != "" {
			r, err := loadRepresentative(sc, n.PersonID, n.RecipientRepresentativeID)
			if err != nil {
				return hearth.Invalid("Recipient", "Choose a recipient recorded for this person")
			}
			if c.Recipient == "" {
				c.Recipient = r.Name
			}
		}
		if n.RepresentativeID == "" {
			if capState.Lacks {
				return hearth.Invalid("Given by", fmt.Sprintf("%s was assessed on %s as lacking capacity to decide about %s: record the decision of a representative with authority, or a best-interests decision",
					person.CalledName(), ukDate(capState.Latest.AssessedAt), lowerFirst(decisionName(sc, key))))
			}
		} else {
			rep, err := loadRepresentative(sc, n.PersonID, n.RepresentativeID)
			if err != nil {
				return hearth.Invalid("Given by", "Choose a representative recorded for this person")
			}
			if why := rep.cannotConsent(n.Purpose, person, capState, now); why != "" {
				return hearth.Invalid("Given by", why)
			}
			c.GivenBy, c.RepresentativeID, c.RepresentativeName, c.Authority = "representative", rep.ID, rep.Name, rep.Authority
		}
		a.ResourceID = c.ID
		_, err = sc.Exec(`INSERT INTO consents (id, person_id, purpose, decision_key, recipient, recipient_rep_id,
			technology_id, technology_name, channel, decision, scope, recipients, starts_at, ends_at, given_by, representative_id,
			info_given, info_format, info_format_detail, review_on, replaces, recorded_by, recorded_by_name, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.PersonID, c.Purpose, c.DecisionKey, c.Recipient, store.Null(c.RecipientRepresentativeID),
			c.TechnologyID, c.TechnologyName, c.Channel, c.Decision, strings.Join(c.Scope, ","), c.Recipients,
			c.Starts, store.NullTime(c.Ends), c.GivenBy, store.Null(c.RepresentativeID),
			c.InfoGiven, c.InfoFormat, c.InfoFormatDetail, store.NullTime(c.ReviewOn), c.Replaces, c.RecordedByID, c.RecordedBy, c.RecordedAt)
		return err
	})
	return c, err
}

// Withdraw withdraws a consent at once. It is one action: the next access
// decision sees it. Withdrawing a consent already withdrawn changes nothing
// and says when and by whom it was withdrawn.
func (s *Service) Withdraw(ctx context.Context, actor door.Actor, personID, consentID, how string) (Consent, error) {
	return s.WithdrawFor(ctx, actor, personID, consentID, "", how)
}

// WithdrawFor is Withdraw recorded by staff at the request of one of the
// person's representatives (representativeID; empty: the person, or staff
// themselves). A representative may only withdraw while they could decide:
// their authority is re-checked now (live, verified, reaching this decision,
// and the person lacking capacity for it), exactly as when they withdraw on
// the portal themselves; a former attorney's request is refused, naming why.
func (s *Service) WithdrawFor(ctx context.Context, actor door.Actor, personID, consentID, representativeID, how string) (Consent, error) {
	var c Consent
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: personID,
			ResourceType: "Consent", ResourceID: consentID, Detail: "consent withdrawn"})
		if err != nil {
			return err
		}
		how = strings.TrimSpace(how)
		if !hearth.ValidID(consentID) {
			return hearth.NotFound("That consent")
		}
		c, err = loadConsent(sc, personID, consentID)
		if err != nil {
			return err
		}
		if c.Withdrawn() {
			return &hearth.Error{Kind: hearth.KindConflict, Err: ErrAlreadyWithdrawn,
				Message: fmt.Sprintf("This consent was already withdrawn on %s by %s. Nothing was changed.", ukDate(c.WithdrawnAt), c.WithdrawnBy)}
		}
		var p hearth.Problems
		checkLen(&p, "How", how, 1000)
		if err := p.Err(); err != nil {
			return err
		}
		if how == "" {
			how = "Recorded by " + actor.Name
		}
		now := sc.Now()
		representativeID = strings.TrimSpace(representativeID)
		if actor.Kind == access.KindRepresentative || representativeID != "" {
			var rep Representative
			if actor.Kind == access.KindRepresentative {
				if rep, err = accountRepresentative(sc, actor.ID, personID); err != nil {
					return err
				}
			} else if rep, err = loadRepresentative(sc, personID, representativeID); err != nil {
				return hearth.Invalid("Requested by", "Choose a representative recorded for this person")
			}
			person, err := people.Load(sc, personID)
			if err != nil {
				return err
			}
			capState, err := loadCapacity(sc, personID, c.DecisionKey, now)
			if err != nil {
				return err
			}
			if why := rep.cannotConsent(c.Purpose, person, capState, now); why != "" {
				if actor.Kind == access.KindRepresentative {
					return hearth.Errorf(hearth.KindForbidden, "%s", why)
				}
				return hearth.Invalid("Requested by", why+": they cannot withdraw this consent for "+person.CalledName())
			}
			if actor.Kind != access.KindRepresentative {
				how = "At the request of " + rep.Describe() + ": " + how
			}
		}
		a.ResourceID = c.ID
		res, err := sc.Exec(`UPDATE consents SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_by_name = ?, withdrawn_how = ?
			WHERE id = ? AND person_id = ? AND withdrawn_at IS NULL`, now, actor.ID, actor.Name, how, c.ID, personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hearth.Errorf(hearth.KindConflict, "This consent was withdrawn by someone else a moment ago. Nothing was changed.")
		}
		c.WithdrawnAt, c.WithdrawnByID, c.WithdrawnBy, c.WithdrawnHow = now, actor.ID, actor.Name, how
		return nil
	})
	return c, err
}

const consentColumns = `c.id, c.person_id, c.purpose, c.decision_key, c.recipient, COALESCE(c.recipient_rep_id, ''), c.technology_id,
	c.technology_name, c.channel, c.decision, c.scope, c.recipients, c.starts_at, c.ends_at, c.given_by,
	COALESCE(c.representative_id, ''), COALESCE(r.name, ''), COALESCE(r.authority, ''), c.info_given, c.info_format,
	c.info_format_detail, c.review_on, c.replaces, c.recorded_by, c.recorded_by_name, c.recorded_at, c.withdrawn_at,
	c.withdrawn_by, c.withdrawn_by_name, c.withdrawn_how`

const consentFrom = ` FROM consents c LEFT JOIN representatives r ON r.id = c.representative_id `

func scanConsent(row interface{ Scan(...any) error }) (Consent, error) {
	var c Consent
	var scope string
	var ends, review, withdrawn sql.NullTime
	err := row.Scan(&c.ID, &c.PersonID, &c.Purpose, &c.DecisionKey, &c.Recipient, &c.RecipientRepresentativeID, &c.TechnologyID,
		&c.TechnologyName, &c.Channel, &c.Decision, &scope, &c.Recipients, &c.Starts, &ends, &c.GivenBy,
		&c.RepresentativeID, &c.RepresentativeName, &c.Authority, &c.InfoGiven, &c.InfoFormat,
		&c.InfoFormatDetail, &review, &c.Replaces, &c.RecordedByID, &c.RecordedBy, &c.RecordedAt, &withdrawn,
		&c.WithdrawnByID, &c.WithdrawnBy, &c.WithdrawnHow)
	if scope != "" {
		c.Scope = strings.Split(scope, ",")
	}
	c.Starts, c.RecordedAt = c.Starts.UTC(), c.RecordedAt.UTC()
	c.Ends, c.ReviewOn, c.WithdrawnAt = nullTime(ends), nullTime(review), nullTime(withdrawn)
	return c, err
}

func nullTime(t sql.NullTime) time.Time {
	if t.Valid {
		return t.Time.UTC()
	}
	return time.Time{}
}

func loadConsent(sc *door.Scope, personID, id string) (Consent, error) {
	c, err := scanConsent(sc.QueryRow(`SELECT `+consentColumns+consentFrom+` WHERE c.id = ? AND c.person_id = ?`, id, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, hearth.NotFound("That consent")
	}
	return c, err
}

// consentsWhere loads a person's consents matching a condition, newest first.
func consentsWhere(sc *door.Scope, personID, cond string, args ...any) ([]Consent, error) {
	rows, err := sc.Query(`SELECT `+consentColumns+consentFrom+` WHERE c.person_id = ? `+cond+
		` ORDER BY c.recorded_at DESC, c.id DESC`, append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
