package governance

// Incidents and personal data breaches (issue 14 item 6).
//
// An incident records what happened, to whom, how bad it was and what was
// done at once. A personal data breach is an incident of kind "data-breach"
// and carries more: the 72-hour clock for reporting it to the Information
// Commissioner's Office, which runs from when the provider became aware of
// it (UK GDPR Article 33(1)); the assessment of the risk to the people
// affected; the decision whether to tell them (Article 34: a high risk means
// they must be told), and the words of the letter each of them receives.
//
// The people affected are chosen only among people the recorder may see:
// each is decided by the door (ViewPerson) when named, and again whenever
// the incident is read, so a list never shows someone the reader has no
// relationship with; they are counted instead. A person sees the breaches
// that affected them, with their letter, in their portal once the decision
// to tell them is recorded.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// ReportWithin is how long a controller has to report a personal data
// breach to the ICO after becoming aware of it (UK GDPR Art 33(1)).
const ReportWithin = 72 * time.Hour

// KindBreach is the kind of incident that is a personal data breach.
const KindBreach = "data-breach"

// Choice is a stored value and its words.
type Choice struct{ Value, Title string }

// IncidentKinds are the kinds of incident.
var IncidentKinds = []Choice{
	{"fall", "Fall or injury"},
	{"medication", "Medication error"},
	{"safeguarding", "Safeguarding concern"},
	{"behaviour", "Distressed behaviour"},
	{KindBreach, "Personal data breach"},
	{"security", "Information security (no personal data lost)"},
	{"other", "Something else"},
}

// Severities are how bad an incident was.
var Severities = []Choice{
	{"low", "Low: no harm or minor harm"},
	{"moderate", "Moderate: short-term harm"},
	{"severe", "Severe: lasting harm or a serious risk"},
}

// Risks are the assessed risk of a breach to the people affected, in the
// ICO's terms.
var Risks = []Choice{
	{"unlikely", "Unlikely to result in a risk to people's rights and freedoms"},
	{"risk", "A risk to people's rights and freedoms"},
	{"high", "A high risk to people's rights and freedoms"},
}

func titleOf(cs []Choice, v string) string {
	for _, c := range cs {
		if c.Value == v {
			return c.Title
		}
	}
	return v
}

func validChoice(cs []Choice, v string) bool {
	return slices.ContainsFunc(cs, func(c Choice) bool { return c.Value == v })
}

// Affected is a person affected, as the reader may see them.
type Affected struct {
	ID, Name string
}

// Letter is what a breach letter says beyond what happened.
type Letter struct {
	Meaning string // what it means for them
	Next    string // what will happen next
	Contact string // who to contact
}

// Incident is one incident.
type Incident struct {
	ID              string
	Kind            string
	Severity        string
	Summary         string
	WhatHappened    string
	ImmediateAction string
	OccurredAt      time.Time
	AwareAt         time.Time
	People          []Affected // those the reader may see
	Unseen          int        // people affected the reader may not see
	NoPeopleReason  string
	Risk            string
	RiskNotes       string
	ICOReportedAt   time.Time
	ICOReference    string
	NotReportedWhy  string
	TellPeople      string // "", "yes" or "no"
	TellReason      string
	Letter          Letter
	ClosedAt        time.Time
	ClosedBy        string
	ClosureNotes    string
	RecordedBy      string
	CreatedAt       time.Time
}

// Breach reports whether the incident is a personal data breach.
func (i Incident) Breach() bool { return i.Kind == KindBreach }

// KindTitle, SeverityTitle and RiskTitle say the incident's choices in words.
func (i Incident) KindTitle() string     { return titleOf(IncidentKinds, i.Kind) }
func (i Incident) SeverityTitle() string { return titleOf(Severities, i.Severity) }
func (i Incident) RiskTitle() string     { return titleOf(Risks, i.Risk) }

// Open reports whether the incident is still open.
func (i Incident) Open() bool { return i.ClosedAt.IsZero() }

// ReportBy is when a breach must be reported to the ICO by.
func (i Incident) ReportBy() time.Time { return i.AwareAt.Add(ReportWithin) }

// ReportDecided reports whether a breach's reporting is settled: reported,
// or decided not to be (the risk is unlikely, with the reason recorded).
func (i Incident) ReportDecided() bool { return !i.ICOReportedAt.IsZero() || i.NotReportedWhy != "" }

// Clock says where a breach's 72-hour reporting clock stands at now, in
// words and UK time: time left, overdue, or how it was settled.
func (i Incident) Clock(now time.Time) string {
	if !i.Breach() {
		return ""
	}
	switch {
	case !i.ICOReportedAt.IsZero():
		late := ""
		if i.ICOReportedAt.After(i.ReportBy()) {
			late = ", after the 72 hours had passed"
		}
		return "Reported to the ICO on " + UKDateTime(i.ICOReportedAt) + late
	case i.NotReportedWhy != "":
		return "Not reported to the ICO: " + i.NotReportedWhy
	case now.Before(i.ReportBy()):
		return fmt.Sprintf("%s left to report to the ICO (by %s)", hoursWords(i.ReportBy().Sub(now)), UKDateTime(i.ReportBy()))
	}
	return fmt.Sprintf("Overdue: the ICO should have been told by %s (%s ago)", UKDateTime(i.ReportBy()), hoursWords(now.Sub(i.ReportBy())))
}

// Overdue reports whether a breach's report is late at now.
func (i Incident) Overdue(now time.Time) bool {
	return i.Breach() && !i.ReportDecided() && !now.Before(i.ReportBy())
}

func hoursWords(d time.Duration) string {
	h := int(d / time.Hour)
	m := int(d%time.Hour) / int(time.Minute)
	switch {
	case h == 0:
		return fmt.Sprintf("%d minutes", m)
	case h == 1:
		return fmt.Sprintf("1 hour %d minutes", m)
	}
	return fmt.Sprintf("%d hours %d minutes", h, m)
}

var london = mustLondon()

func mustLondon() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // the embedded tzdata always has it
	}
	return l
}

// UKDateTime is a moment as people in the UK write it, in UK time, with a
// 24-hour clock: "5 March 2026 at 10:00".
func UKDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006 at 15:04")
}

// UKDate is a day as people in the UK write it.
func UKDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006")
}

// NewIncident is what recording an incident needs.
type NewIncident struct {
	Kind            string
	Severity        string
	Summary         string
	WhatHappened    string
	ImmediateAction string
	OccurredAt      time.Time
	AwareAt         time.Time // zero: when it happened
	PersonIDs       []string
	NoPeopleReason  string
}

const (
	maxSummary = 200
	maxText    = 5000
)

func text(p *hearth.Problems, field, v, missing string, max int) {
	p.Check(v != "", field, missing)
	p.Check(utf8.RuneCountInString(v) <= max, field, fmt.Sprintf("%s must be %d characters or fewer", field, max))
}

func incidentRequest(id, detail string) door.Request {
	return door.Request{Action: access.ManageIncidents, Purpose: access.Governance, ResourceType: "Incident", ResourceID: id, Detail: detail}
}

// affectedRequest is the decision about one person affected: the reader
// must be able to see them.
func affectedRequest(personID, incidentID string) door.Request {
	return door.Request{Action: access.ViewPerson, Purpose: access.Governance, PersonID: personID, ResourceType: "Incident",
		ResourceID: incidentID, Detail: "person affected by an incident"}
}

// RecordIncident records an incident. The people affected must be people
// the recorder may see; a breach must name them or say why no one can be
// named. Every rule broken is reported at once, by field.
func (s *Service) RecordIncident(ctx context.Context, actor door.Actor, n NewIncident) (Incident, error) {
	var in Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(incidentRequest("", "incident recorded"))
		if err != nil {
			return err
		}
		now := sc.Now()
		var p hearth.Problems
		n.Summary, n.WhatHappened, n.ImmediateAction = strings.TrimSpace(n.Summary), strings.TrimSpace(n.WhatHappened), strings.TrimSpace(n.ImmediateAction)
		n.NoPeopleReason = strings.TrimSpace(n.NoPeopleReason)
		p.Check(validChoice(IncidentKinds, n.Kind), "Type", "Choose the type of incident")
		p.Check(validChoice(Severities, n.Severity), "Severity", "Choose how severe the incident was")
		text(&p, "Summary", n.Summary, "Give the incident a short summary, such as 'Care plan emailed to the wrong family'", maxSummary)
		text(&p, "What happened", n.WhatHappened, "Say what happened", maxText)
		text(&p, "Immediate action", n.ImmediateAction, "Say what was done straight away", maxText)
		switch {
		case n.OccurredAt.IsZero():
			p.Add("When it happened", "Enter when the incident happened")
		case n.OccurredAt.After(now):
			p.Add("When it happened", "When it happened must not be in the future")
		}
		if n.AwareAt.IsZero() {
			n.AwareAt = n.OccurredAt
		}
		switch {
		case n.AwareAt.After(now):
			p.Add("When you found out", "When you found out must not be in the future")
		case !n.OccurredAt.IsZero() && n.AwareAt.Before(n.OccurredAt):
			p.Add("When you found out", "When you found out must not be before it happened")
		}
		ids := slices.Compact(slices.Sorted(slices.Values(n.PersonIDs)))
		ids = slices.DeleteFunc(ids, func(id string) bool { return strings.TrimSpace(id) == "" })
		if n.Kind == KindBreach && len(ids) == 0 && n.NoPeopleReason == "" {
			p.Add("People affected", "Choose the people affected by the breach, or say why no one can be named")
		}
		p.Check(utf8.RuneCountInString(n.NoPeopleReason) <= maxText, "People affected", fmt.Sprintf("The reason must be %d characters or fewer", maxText))
		in = Incident{ID: hearth.NewID(), Kind: n.Kind, Severity: n.Severity, Summary: n.Summary, WhatHappened: n.WhatHappened,
			ImmediateAction: n.ImmediateAction, OccurredAt: n.OccurredAt.UTC(), AwareAt: n.AwareAt.UTC(), NoPeopleReason: n.NoPeopleReason,
			RecordedBy: actor.Name, CreatedAt: now}
		if len(ids) > 0 {
			n.NoPeopleReason, in.NoPeopleReason = "", ""
		}
		// Each person named is decided: someone the recorder may not see
		// is refused as if they did not exist, and nothing is stored.
		for _, id := range ids {
			d, err := sc.Check(affectedRequest(id, in.ID))
			if err != nil {
				return err
			}
			if !d.Decision.Permit {
				p.Add("People affected", "Choose people from your own list: one of those chosen is not someone you can see")
				break
			}
			person, err := people.Load(sc, id)
			if err != nil {
				return err
			}
			in.People = append(in.People, Affected{ID: id, Name: person.FullName()})
		}
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`INSERT INTO incidents (id, kind, severity, summary, what_happened, immediate_action, occurred_at, aware_at,
			no_people_reason, recorded_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.ID, in.Kind, in.Severity, in.Summary, in.WhatHappened, in.ImmediateAction, in.OccurredAt, in.AwareAt, in.NoPeopleReason,
			actor.ID, now, now); err != nil {
			return fmt.Errorf("governance: record incident: %w", err)
		}
		for _, pa := range in.People {
			if _, err := sc.Exec(`INSERT INTO incident_people (incident_id, person_id) VALUES (?, ?)`, in.ID, pa.ID); err != nil {
				return fmt.Errorf("governance: record incident: %w", err)
			}
		}
		a.ResourceID = in.ID
		a.Detail = fmt.Sprintf("recorded %s incident (%s), %d people affected: %s", in.Kind, in.Severity, len(in.People), in.Summary)
		return nil
	})
	return in, err
}

// BreachAssessment is what is recorded about a breach after it is found:
// the risk, the report to the ICO (or why not), the decision whether to
// tell the people affected, and their letter.
type BreachAssessment struct {
	Risk           string
	RiskNotes      string
	ICOReportedAt  time.Time
	ICOReference   string
	NotReportedWhy string
	TellPeople     string // yes or no
	TellReason     string
	Letter         Letter
}

// AssessBreach records a breach's assessment, replacing the last one. The
// rules follow UK GDPR Articles 33 and 34: a breach unlikely to result in a
// risk need not be reported, with the reason kept; a high risk means the
// people affected must be told; telling them needs the letter's words.
func (s *Service) AssessBreach(ctx context.Context, actor door.Actor, id string, b BreachAssessment) (Incident, error) {
	var in Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(incidentRequest(id, "breach assessed"))
		if err != nil {
			return err
		}
		if in, err = loadIncident(sc, id); err != nil {
			return err
		}
		if !in.Breach() {
			return hearth.Invalid("Type", "Only a personal data breach has a risk assessment and letters")
		}
		if !in.Open() {
			return hearth.Errorf(hearth.KindConflict, "This breach was closed on %s; it can no longer be changed", UKDateTime(in.ClosedAt))
		}
		now := sc.Now()
		var p hearth.Problems
		b.RiskNotes, b.ICOReference, b.NotReportedWhy = strings.TrimSpace(b.RiskNotes), strings.TrimSpace(b.ICOReference), strings.TrimSpace(b.NotReportedWhy)
		b.TellReason = strings.TrimSpace(b.TellReason)
		b.Letter = Letter{Meaning: strings.TrimSpace(b.Letter.Meaning), Next: strings.TrimSpace(b.Letter.Next), Contact: strings.TrimSpace(b.Letter.Contact)}
		p.Check(validChoice(Risks, b.Risk), "Risk", "Choose how likely the breach is to harm the people affected")
		text(&p, "Risk assessment", b.RiskNotes, "Say why you judged the risk this way", maxText)
		switch {
		case !b.ICOReportedAt.IsZero() && b.ICOReportedAt.After(now):
			p.Add("Reported to the ICO", "The date of the report must not be in the future")
		case !b.ICOReportedAt.IsZero() && b.ICOReference == "":
			p.Add("ICO reference", "Enter the reference the ICO gave the report")
		case b.ICOReportedAt.IsZero() && b.NotReportedWhy != "" && b.Risk != "unlikely":
			p.Add("Reported to the ICO", "A breach that is a risk to people must be reported to the ICO within 72 hours")
		}
		switch b.TellPeople {
		case "yes":
			text(&p, "What it means for them", b.Letter.Meaning, "Say what the breach means for the people affected", maxText)
			text(&p, "What happens next", b.Letter.Next, "Say what will happen next", maxText)
			text(&p, "Who to contact", b.Letter.Contact, "Say who they can contact, and how", maxText)
			p.Check(len(in.People)+in.Unseen > 0, "Tell the people affected", "No one is named as affected, so there is no one to write to")
		case "no":
			p.Check(b.Risk != "high", "Tell the people affected", "A high risk to people means they must be told (UK GDPR Article 34)")
			text(&p, "Why not tell them", b.TellReason, "Say why the people affected are not being told", maxText)
		case "":
		default:
			p.Add("Tell the people affected", "Choose whether to tell the people affected")
		}
		if err := p.Err(); err != nil {
			return err
		}
		var reported any
		if !b.ICOReportedAt.IsZero() {
			reported = b.ICOReportedAt.UTC()
		}
		if _, err := sc.Exec(`UPDATE incidents SET risk = ?, risk_notes = ?, ico_reported_at = ?, ico_reference = ?, not_reported_why = ?,
			tell_people = ?, tell_reason = ?, letter_meaning = ?, letter_next = ?, letter_contact = ?, updated_at = ? WHERE id = ?`,
			b.Risk, b.RiskNotes, reported, b.ICOReference, b.NotReportedWhy, b.TellPeople, b.TellReason,
			b.Letter.Meaning, b.Letter.Next, b.Letter.Contact, now, id); err != nil {
			return fmt.Errorf("governance: assess breach: %w", err)
		}
		in.Risk, in.RiskNotes, in.ICOReportedAt, in.ICOReference, in.NotReportedWhy = b.Risk, b.RiskNotes, b.ICOReportedAt, b.ICOReference, b.NotReportedWhy
		in.TellPeople, in.TellReason, in.Letter = b.TellPeople, b.TellReason, b.Letter
		a.Detail = fmt.Sprintf("breach assessed: risk %s; %s; tell the people affected: %s", b.Risk, in.Clock(now), orDash(b.TellPeople))
		return nil
	})
	return in, err
}

func orDash(s string) string {
	if s == "" {
		return "not decided"
	}
	return s
}

// CloseIncident closes an incident with what was learnt. A breach cannot
// close while its report to the ICO or the decision whether to tell the
// people affected is still open.
func (s *Service) CloseIncident(ctx context.Context, actor door.Actor, id, notes string) (Incident, error) {
	notes = strings.TrimSpace(notes)
	var in Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(incidentRequest(id, "incident closed"))
		if err != nil {
			return err
		}
		if in, err = loadIncident(sc, id); err != nil {
			return err
		}
		if !in.Open() {
			return hearth.Errorf(hearth.KindConflict, "This incident was already closed on %s", UKDateTime(in.ClosedAt))
		}
		var p hearth.Problems
		text(&p, "What was learnt", notes, "Say what was done and learnt before closing the incident", maxText)
		if in.Breach() {
			p.Check(in.ReportDecided(), "Reported to the ICO", "Record the report to the ICO, or why it was not reported, before closing the breach")
			p.Check(in.TellPeople != "", "Tell the people affected", "Decide whether to tell the people affected before closing the breach")
		}
		if err := p.Err(); err != nil {
			return err
		}
		now := sc.Now()
		if _, err := sc.Exec(`UPDATE incidents SET closed_at = ?, closed_by = ?, closure_notes = ?, updated_at = ? WHERE id = ? AND closed_at IS NULL`,
			now, actor.ID, notes, now, id); err != nil {
			return fmt.Errorf("governance: close incident: %w", err)
		}
		in.ClosedAt, in.ClosedBy, in.ClosureNotes = now, actor.Name, notes
		a.Detail = "incident closed: " + in.Summary
		return nil
	})
	return in, err
}

const incidentColumns = `i.id, i.kind, i.severity, i.summary, i.what_happened, i.immediate_action, i.occurred_at, i.aware_at,
	i.no_people_reason, i.risk, i.risk_notes, i.ico_reported_at, i.ico_reference, i.not_reported_why, i.tell_people, i.tell_reason,
	i.letter_meaning, i.letter_next, i.letter_contact, i.closed_at, COALESCE(cu.display_name, ''), i.closure_notes,
	ru.display_name, i.created_at`

const incidentFrom = ` FROM incidents i JOIN users ru ON ru.id = i.recorded_by LEFT JOIN users cu ON cu.id = i.closed_by`

type scanner interface{ Scan(dest ...any) error }

func scanIncident(r scanner) (Incident, error) {
	var in Incident
	var reported, closed sql.NullTime
	err := r.Scan(&in.ID, &in.Kind, &in.Severity, &in.Summary, &in.WhatHappened, &in.ImmediateAction, &in.OccurredAt, &in.AwareAt,
		&in.NoPeopleReason, &in.Risk, &in.RiskNotes, &reported, &in.ICOReference, &in.NotReportedWhy, &in.TellPeople, &in.TellReason,
		&in.Letter.Meaning, &in.Letter.Next, &in.Letter.Contact, &closed, &in.ClosedBy, &in.ClosureNotes, &in.RecordedBy, &in.CreatedAt)
	in.ICOReportedAt, in.ClosedAt = reported.Time, closed.Time
	return in, err
}

// loadIncident reads one incident with the people affected the actor may
// see (each decided), counting the others.
func loadIncident(sc *door.Scope, id string) (Incident, error) {
	if !hearth.ValidID(id) {
		return Incident{}, hearth.NotFound("That incident")
	}
	in, err := scanIncident(sc.QueryRow(`SELECT `+incidentColumns+incidentFrom+` WHERE i.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, hearth.NotFound("That incident")
	} else if err != nil {
		return Incident{}, fmt.Errorf("governance: load incident: %w", err)
	}
	list := []Incident{in}
	if err := attachPeople(sc, list); err != nil {
		return Incident{}, err
	}
	return list[0], nil
}

// attachPeople fills in the people affected that the actor may see, each
// decided and audited, and counts those they may not.
func attachPeople(sc *door.Scope, list []Incident) error {
	if len(list) == 0 {
		return nil
	}
	index := map[string]int{}
	var args []any
	for i, in := range list {
		index[in.ID] = i
		args = append(args, in.ID)
	}
	type link struct{ incident, person, name string }
	var all []link
	rows, err := sc.Query(`SELECT ip.incident_id, ip.person_id FROM incident_people ip WHERE ip.incident_id IN (`+marks(len(args))+`)
		ORDER BY ip.incident_id, ip.person_id`, args...)
	if err != nil {
		return fmt.Errorf("governance: incident people: %w", err)
	}
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.incident, &l.person); err != nil {
			rows.Close()
			return err
		}
		all = append(all, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	var ids []string
	for _, l := range all {
		if !seen[l.person] {
			seen[l.person] = true
			ids = append(ids, l.person)
		}
	}
	allowed, err := sc.AllowEach(door.Request{Action: access.ViewPerson, Purpose: access.Governance, ResourceType: "Incident",
		Detail: "person affected by an incident"}, ids)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, id := range allowed {
		p, err := people.Load(sc, id)
		if err != nil {
			return err
		}
		names[id] = p.FullName()
	}
	for _, l := range all {
		in := &list[index[l.incident]]
		if name, ok := names[l.person]; ok {
			in.People = append(in.People, Affected{ID: l.person, Name: name})
		} else {
			in.Unseen++
		}
	}
	return nil
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Incident returns one incident for the reader.
func (s *Service) Incident(ctx context.Context, actor door.Actor, id string) (Incident, error) {
	var in Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(incidentRequest(id, "incident read")); err != nil {
			return err
		}
		var err error
		in, err = loadIncident(sc, id)
		return err
	})
	return in, err
}

// Incidents lists every incident, open ones first, newest first.
func (s *Service) Incidents(ctx context.Context, actor door.Actor) ([]Incident, error) {
	var out []Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(incidentRequest("", "incidents listed"))
		if err != nil {
			return err
		}
		if out, err = incidents(sc, ""); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("listed %d incidents", len(out))
		return nil
	})
	return out, err
}

func incidents(sc *door.Scope, where string, args ...any) ([]Incident, error) {
	q := `SELECT ` + incidentColumns + incidentFrom
	if where != "" {
		q += ` WHERE ` + where
	}
	rows, err := sc.Query(q+` ORDER BY CASE WHEN i.closed_at IS NULL THEN 0 ELSE 1 END, i.created_at DESC, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("governance: list incidents: %w", err)
	}
	var out []Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, attachPeople(sc, out)
}

// OpenIncidents is what Needs attention shows about incidents: the open
// incidents and breaches, with breaches whose report to the ICO is overdue
// first. Someone who may not manage incidents gets none (and the refusal is
// audited as a check, not an error). People affected whom the viewer may
// not see are counted, not named.
func (s *Service) OpenIncidents(ctx context.Context, actor door.Actor) (int, []Incident, error) {
	var out []Incident
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		d, err := sc.Check(incidentRequest("", "open incidents for needs attention"))
		if err != nil || !d.Decision.Permit {
			return err
		}
		if out, err = incidents(sc, "i.closed_at IS NULL"); err != nil {
			return err
		}
		now := sc.Now()
		slices.SortStableFunc(out, func(a, b Incident) int {
			switch oa, ob := a.Overdue(now), b.Overdue(now); {
			case oa && !ob:
				return -1
			case ob && !oa:
				return 1
			}
			return 0
		})
		return nil
	})
	return len(out), out, err
}

// LetterPage is one person's breach letter.
type LetterPage struct {
	Incident Incident
	Person   people.Person
	Provider string
	Date     time.Time
}

// BreachLetter returns the letter to one person affected by a breach, for
// the staff who send it. A letter for someone the breach did not affect is
// refused, naming the field.
func (s *Service) BreachLetter(ctx context.Context, actor door.Actor, incidentID, personID string) (LetterPage, error) {
	var lp LetterPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(incidentRequest(incidentID, "breach letter")); err != nil {
			return err
		}
		if _, err := sc.Allow(affectedRequest(personID, incidentID)); err != nil {
			return err
		}
		var err error
		lp, err = letter(sc, incidentID, personID, false)
		return err
	})
	return lp, err
}

// letter builds the letter after the person has been decided. own marks
// the person's (or representative's) own view, which shows only letters
// the provider has decided to send.
func letter(sc *door.Scope, incidentID, personID string, own bool) (LetterPage, error) {
	var lp LetterPage
	in, err := loadIncident(sc, incidentID)
	if err != nil {
		return lp, err
	}
	var n int
	if err := sc.QueryRow(`SELECT COUNT(*) FROM incident_people WHERE incident_id = ? AND person_id = ?`, incidentID, personID).Scan(&n); err != nil {
		return lp, err
	}
	switch {
	case n == 0 && own:
		return lp, hearth.NotFound("That letter")
	case n == 0:
		return lp, hearth.Invalid("Person", "This person was not affected by this breach, so there is no letter for them")
	case !in.Breach():
		return lp, hearth.Invalid("Type", "Letters are written only for personal data breaches")
	case in.TellPeople != "yes" && own:
		return lp, hearth.NotFound("That letter")
	case in.TellPeople != "yes":
		return lp, hearth.Invalid("Tell the people affected", "Decide to tell the people affected, and write what the letter says, first")
	}
	if lp.Person, err = people.Load(sc, personID); err != nil {
		return lp, err
	}
	prov, err := people.ProviderOf(sc)
	if err != nil {
		return lp, err
	}
	lp.Incident, lp.Provider, lp.Date = in, prov.Name, sc.Now()
	return lp, nil
}

// Sections are the letter's parts, in the order a person reads them.
func (lp LetterPage) Sections() []Item {
	return []Item{
		{"What happened", lp.Incident.WhatHappened},
		{"What this means for you", lp.Incident.Letter.Meaning},
		{"What will happen next", lp.Incident.Letter.Next},
		{"Who to contact", lp.Incident.Letter.Contact},
	}
}

// Item is a heading and its text.
type Item struct{ Heading, Text string }

// PDF renders the letter.
func (lp LetterPage) PDF() ([]byte, error) {
	d := newDocument("About your personal information")
	d.para(lp.Provider)
	d.para(UKDate(lp.Date))
	d.f.Ln(3)
	d.para("Dear " + lp.Person.FullName() + ",")
	d.f.Ln(2)
	d.para("We are writing to tell you that some of your personal information was involved in an incident on " +
		UKDate(lp.Incident.OccurredAt) + ". We are sorry this happened.")
	for _, it := range lp.Sections() {
		d.heading(it.Heading)
		d.para(it.Text)
	}
	d.f.Ln(3)
	d.para("You also have the right to complain to the Information Commissioner's Office (ico.org.uk, 0303 123 1113).")
	d.f.Ln(3)
	d.para("Yours sincerely,")
	d.para(lp.Provider)
	return d.bytes()
}

// MyBreach is a breach that affected the person, as their portal shows it.
type MyBreach struct {
	ID         string
	Summary    string
	OccurredAt time.Time
	Closed     bool
}

// MyBreaches lists the breaches that affected the person and that the
// provider has decided to tell them about, for their portal (the person's
// own account, or a representative within their authority).
func (s *Service) MyBreaches(ctx context.Context, actor door.Actor, personID string) ([]MyBreach, error) {
	var out []MyBreach
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Incident", Detail: "breaches that affected me"}); err != nil {
			return err
		}
		rows, err := sc.Query(`SELECT i.id, i.summary, i.occurred_at, i.closed_at FROM incidents i
			JOIN incident_people ip ON ip.incident_id = i.id WHERE ip.person_id = ? AND i.kind = ? AND i.tell_people = 'yes'
			ORDER BY i.occurred_at DESC, i.id`, personID, KindBreach)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b MyBreach
			var closed sql.NullTime
			if err := rows.Scan(&b.ID, &b.Summary, &b.OccurredAt, &closed); err != nil {
				return err
			}
			b.Closed = closed.Valid
			out = append(out, b)
		}
		return rows.Err()
	})
	return out, err
}

// MyLetter is the person's own letter about a breach, in their portal.
func (s *Service) MyLetter(ctx context.Context, actor door.Actor, personID, incidentID string) (LetterPage, error) {
	var lp LetterPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Incident", ResourceID: incidentID, Detail: "my breach letter"}); err != nil {
			return err
		}
		var err error
		lp, err = letter(sc, incidentID, personID, true)
		return err
	})
	return lp, err
}

// IncidentChoices are the people the recorder may name as affected.
func (s *Service) IncidentChoices(ctx context.Context, actor door.Actor) ([]Affected, error) {
	var out []Affected
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(incidentRequest("", "incident form")); err != nil {
			return err
		}
		reach, args := sc.Reach("p.id", "p.location_id")
		rows, err := sc.Query(`SELECT p.id, p.given_name, p.family_name FROM people p WHERE `+reach+` ORDER BY p.family_name, p.given_name, p.id`, args...)
		if err != nil {
			return err
		}
		var all []Affected
		for rows.Next() {
			var a Affected
			var given, family string
			if err := rows.Scan(&a.ID, &given, &family); err != nil {
				rows.Close()
				return err
			}
			a.Name = given + " " + family
			all = append(all, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		out, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: access.Governance, ResourceType: "Patient",
			Detail: "people who may be named in an incident"}, all, func(a Affected) string { return a.ID })
		return err
	})
	return out, err
}
