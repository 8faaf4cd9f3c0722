package consent

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// BestInterests is a decision made for a person who lacks capacity for it
// (MCA 2005 s4).
type BestInterests struct {
	ID            string
	PersonID      string
	DecisionKey   string
	Decision      string // what had to be decided, in words
	TechnologyID  string
	Consulted     string // who was consulted and what they said (s4(7))
	NobodyReason  string // why nobody could be consulted, when nobody was
	Wishes        string // past and present wishes, feelings, beliefs and values (s4(6))
	Options       string // options considered, including less restrictive ones (s1(6))
	Outcome       string // the decision
	Reasons       string // and why it is in the person's best interests
	DecisionMaker string
	DecidedAt     time.Time
	ReviewOn      time.Time
	RecordedBy    string
	RecordedAt    time.Time
}

// NewBestInterests is a best-interests decision to record.
type NewBestInterests struct {
	PersonID      string
	Decision      string // a named decision key, "technology:<id>", or free text
	TechnologyID  string // for "use of a technology": sets the decision to technology:<id>
	Consulted     string
	NobodyReason  string
	Wishes        string
	Options       string
	Outcome       string
	Reasons       string
	DecisionMaker string
	DecidedAt     time.Time // zero: now
	ReviewOn      time.Time
	Problems      hearth.Problems // from reading the form
}

func (n *NewBestInterests) validate(now time.Time) (string, error) {
	for _, f := range []*string{&n.Decision, &n.TechnologyID, &n.Consulted, &n.NobodyReason, &n.Wishes, &n.Options, &n.Outcome, &n.Reasons, &n.DecisionMaker} {
		*f = strings.TrimSpace(*f)
	}
	if n.DecidedAt.IsZero() {
		n.DecidedAt = now
	}
	key := DecisionKey(n.Decision)
	if n.TechnologyID != "" {
		key = TechnologyDecision(n.TechnologyID)
	}
	p := append(hearth.Problems(nil), n.Problems...)
	p.Check(key != "", "Decision", "Say which decision was made in the person's best interests")
	// MCA 2005 s4(7): take into account the views of those close to the
	// person; if nobody could be consulted, say why.
	p.Check(n.Consulted != "" || n.NobodyReason != "", "Consulted",
		"Record who was consulted, or why nobody could be (an IMCA must be instructed when there is nobody appropriate)")
	p.Check(n.Wishes != "", "Wishes and feelings", "Record the person's past and present wishes, feelings, beliefs and values")
	p.Check(n.Options != "", "Options considered", "Record the options considered, including less restrictive ones")
	p.Check(n.Outcome != "", "Decision made", "Record the decision made")
	p.Check(n.Reasons != "", "Reasons", "Record why this is in the person's best interests")
	p.Check(n.DecisionMaker != "", "Decision maker", "Name the decision maker")
	p.Check(!n.DecidedAt.After(now), "Decided on", "The decision must not be in the future")
	if !n.ReviewOn.IsZero() && n.ReviewOn.Before(n.DecidedAt.Truncate(24*time.Hour)) {
		p.Add("Review date", "Review date must be after the decision")
	}
	for field, v := range map[string]string{"Decision": n.Decision, "Decision maker": n.DecisionMaker} {
		checkLen(&p, field, v, 200)
	}
	for field, v := range map[string]string{"Consulted": n.Consulted, "Consulted ": n.NobodyReason, "Wishes and feelings": n.Wishes,
		"Options considered": n.Options, "Decision made": n.Outcome, "Reasons": n.Reasons} {
		checkLen(&p, strings.TrimSpace(field), v, maxText)
	}
	return key, p.Err()
}

// RecordBestInterests records a best-interests decision. It counts (for
// example as the basis for using a technology) only while the latest
// capacity assessment for the decision finds the person lacks capacity.
func (s *Service) RecordBestInterests(ctx context.Context, actor door.Actor, n NewBestInterests) (BestInterests, error) {
	var b BestInterests
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: n.PersonID,
			ResourceType: "Consent", Detail: "best-interests decision"})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindStaff {
			return hearth.Errorf(hearth.KindForbidden, "Only staff can record a best-interests decision")
		}
		now := sc.Now()
		key, err := n.validate(now)
		if err != nil {
			return err
		}
		person, err := people.Load(sc, n.PersonID)
		if err != nil {
			return err
		}
		cs, err := loadCapacity(sc, n.PersonID, key, now)
		if err != nil {
			return err
		}
		if !cs.Lacks {
			why := person.CalledName() + " is assumed to have capacity for this decision: assess capacity first (Mental Capacity Act 2005 section 1)"
			if cs.Assessed {
				why = person.CalledName() + " was assessed on " + ukDate(cs.Latest.AssessedAt) + " as having capacity for this decision: they decide for themselves"
			}
			return hearth.Invalid("Decision", why)
		}
		title := decisionName(sc, key)
		if strings.HasPrefix(key, decisionOtherPrefix) {
			title = n.Decision
		}
		b = BestInterests{ID: hearth.NewID(), PersonID: n.PersonID, DecisionKey: key, Decision: title, TechnologyID: n.TechnologyID,
			Consulted: n.Consulted, NobodyReason: n.NobodyReason, Wishes: n.Wishes, Options: n.Options, Outcome: n.Outcome,
			Reasons: n.Reasons, DecisionMaker: n.DecisionMaker, DecidedAt: n.DecidedAt.UTC(), ReviewOn: n.ReviewOn,
			RecordedBy: actor.Name, RecordedAt: now}
		a.ResourceID = b.ID
		_, err = sc.Exec(`INSERT INTO best_interests (id, person_id, decision_key, decision, technology_id, consulted,
			nobody_reason, wishes, options, outcome, reasons, decision_maker, decided_at, review_on, recorded_by, recorded_by_name,
			recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.PersonID, b.DecisionKey, b.Decision, b.TechnologyID, b.Consulted, b.NobodyReason, b.Wishes, b.Options,
			b.Outcome, b.Reasons, b.DecisionMaker, b.DecidedAt, store.NullTime(b.ReviewOn), actor.ID, actor.Name, now)
		return err
	})
	return b, err
}

const biColumns = `id, person_id, decision_key, decision, technology_id, consulted, nobody_reason, wishes, options, outcome,
	reasons, decision_maker, decided_at, review_on, recorded_by_name, recorded_at`

func scanBestInterests(row interface{ Scan(...any) error }) (BestInterests, error) {
	var b BestInterests
	var review sql.NullTime
	err := row.Scan(&b.ID, &b.PersonID, &b.DecisionKey, &b.Decision, &b.TechnologyID, &b.Consulted, &b.NobodyReason, &b.Wishes,
		&b.Options, &b.Outcome, &b.Reasons, &b.DecisionMaker, &b.DecidedAt, &review, &b.RecordedBy, &b.RecordedAt)
	b.ReviewOn = nullTime(review)
	b.DecidedAt, b.RecordedAt = b.DecidedAt.UTC(), b.RecordedAt.UTC()
	return b, err
}

func bestInterestsWhere(sc *door.Scope, personID, cond string, args ...any) ([]BestInterests, error) {
	rows, err := sc.Query(`SELECT `+biColumns+` FROM best_interests WHERE person_id = ? `+cond+` ORDER BY decided_at DESC, id DESC`,
		append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BestInterests
	for rows.Next() {
		b, err := scanBestInterests(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// LawfulBasis is a recorded basis other than consent for data leaving the
// care team: safeguarding, a court order, vital interests, a legal
// obligation. Decisions relying on it are marked special in the audit log.
type LawfulBasis struct {
	ID         string
	PersonID   string
	Kind       string
	Recipient  string
	Reason     string
	Starts     time.Time
	Ends       time.Time
	RecordedBy string
	RecordedAt time.Time
}

// Title is the basis in words: "Safeguarding".
func (b LawfulBasis) Title() string { return BasisTitle(b.Kind) }

// Live reports whether the basis holds at now.
func (b LawfulBasis) Live(now time.Time) bool {
	return !now.Before(b.Starts) && (b.Ends.IsZero() || now.Before(b.Ends))
}

// NewLawfulBasis is a lawful basis to record.
type NewLawfulBasis struct {
	PersonID  string
	Kind      string
	Recipient string
	Reason    string
	Starts    time.Time // zero: now
	Ends      time.Time
	Problems  hearth.Problems // from reading the form, reported after the door decides
}

// RecordLawfulBasis records a basis other than consent for sharing with a
// recipient. Only staff who may record consent may, and the reason is
// required: it is what the information governance lead reviews.
func (s *Service) RecordLawfulBasis(ctx context.Context, actor door.Actor, n NewLawfulBasis) (LawfulBasis, error) {
	var b LawfulBasis
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordConsent, Purpose: actingPurpose(actor), PersonID: n.PersonID,
			ResourceType: "Consent", Detail: "lawful basis other than consent: " + n.Kind})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindStaff {
			return hearth.Errorf(hearth.KindForbidden, "Only staff can record a lawful basis")
		}
		n.Kind, n.Recipient, n.Reason = strings.TrimSpace(n.Kind), strings.TrimSpace(n.Recipient), strings.TrimSpace(n.Reason)
		now := sc.Now()
		if n.Starts.IsZero() {
			n.Starts = now
		}
		p := append(hearth.Problems(nil), n.Problems...)
		p.Check(oneOf(n.Kind, OtherBases), "Basis", "Choose the lawful basis: safeguarding, court order, vital interests or legal obligation")
		p.Check(n.Recipient != "", "Recipient", "Name who the information goes to")
		p.Check(len(n.Reason) >= 10, "Reason", "Say why, in at least 10 characters")
		checkLen(&p, "Recipient", n.Recipient, 200)
		checkLen(&p, "Reason", n.Reason, maxText)
		if !n.Ends.IsZero() && !n.Ends.After(n.Starts) {
			p.Add("End date", "End date must be after the start date")
		}
		if err := p.Err(); err != nil {
			return err
		}
		b = LawfulBasis{ID: hearth.NewID(), PersonID: n.PersonID, Kind: n.Kind, Recipient: n.Recipient, Reason: n.Reason,
			Starts: n.Starts, Ends: n.Ends, RecordedBy: actor.Name, RecordedAt: now}
		a.ResourceID = b.ID
		_, err = sc.Exec(`INSERT INTO lawful_bases (id, person_id, kind, recipient, reason, starts_at, ends_at, recorded_by,
			recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, b.PersonID, b.Kind, b.Recipient, b.Reason,
			b.Starts, store.NullTime(b.Ends), actor.ID, actor.Name, now)
		return err
	})
	return b, err
}

const basisColumns = `id, person_id, kind, recipient, reason, starts_at, ends_at, recorded_by_name, recorded_at`

func scanLawfulBasis(row interface{ Scan(...any) error }) (LawfulBasis, error) {
	var b LawfulBasis
	var ends sql.NullTime
	err := row.Scan(&b.ID, &b.PersonID, &b.Kind, &b.Recipient, &b.Reason, &b.Starts, &ends, &b.RecordedBy, &b.RecordedAt)
	b.Ends = nullTime(ends)
	b.Starts, b.RecordedAt = b.Starts.UTC(), b.RecordedAt.UTC()
	return b, err
}

func lawfulBasesWhere(sc *door.Scope, personID, cond string, args ...any) ([]LawfulBasis, error) {
	rows, err := sc.Query(`SELECT `+basisColumns+` FROM lawful_bases WHERE person_id = ? `+cond+` ORDER BY recorded_at DESC, id DESC`,
		append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LawfulBasis
	for rows.Next() {
		b, err := scanLawfulBasis(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
