package care

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Medicine sources and routes.
var (
	MedicineSources = []Choice{{"gp", "GP prescription"}, {"hospital_discharge", "Hospital discharge letter"}, {"pharmacy", "Pharmacy"}}
	MedicineRoutes  = []Choice{{"oral", "By mouth"}, {"topical", "On the skin"}, {"inhaled", "Inhaled"},
		{"subcutaneous", "Injection under the skin"}, {"transdermal", "Patch"}, {"eye", "Eye drops"}, {"ear", "Ear drops"},
		{"nasal", "Nose"}, {"rectal", "Rectal"}, {"other", "Other (see instructions)"}}
)

// Dose outcomes and the reasons a dose was not given.
const (
	Given            = "given"
	Refused          = "refused"
	Omitted          = "omitted"
	NotAvailable     = "not_available"
	SelfAdministered = "self_administered"
)

var (
	DoseOutcomes = []Choice{{Given, "Given"}, {Refused, "Refused"}, {Omitted, "Omitted (not given)"},
		{NotAvailable, "Not available"}, {SelfAdministered, "Self-administered"}}
	// DoseReasons are the reason codes for a dose not given, by outcome.
	DoseReasons = map[string][]Choice{
		Refused: {{"declined", "The person said no"}, {"spat_out", "Taken then spat out"}},
		Omitted: {{"asleep", "Asleep"}, {"nil_by_mouth", "Nil by mouth"}, {"away", "Away from home"}, {"hospital", "In hospital"},
			{"clinical", "Clinical reason (on advice of a nurse, GP or pharmacist)"}, {"unwell", "Unwell, vomiting"}},
		NotAvailable: {{"out_of_stock", "Out of stock"}, {"not_delivered", "Not delivered by the pharmacy"}},
	}
	allDoseReasons = func() []Choice {
		var out []Choice
		for _, o := range []string{Refused, Omitted, NotAvailable} {
			out = append(out, DoseReasons[o]...)
		}
		return out
	}()
)

// LateAfter is how long after its time a scheduled dose counts as late.
const LateAfter = 60 * time.Minute

// Round is a medicines round. A scheduled time belongs to the round it
// falls in; a dose not recorded by the round's end (and at least an hour
// after its time) is missed.
type Round struct {
	Name     string
	From, To time.Duration // time of day, UK
}

// Rounds are the four medicines rounds of a day.
var Rounds = []Round{
	{"Morning", 0, 11 * time.Hour},
	{"Lunchtime", 11 * time.Hour, 15 * time.Hour},
	{"Teatime", 15 * time.Hour, 20 * time.Hour},
	{"Night", 20 * time.Hour, 24 * time.Hour},
}

func roundOf(tod time.Duration) Round {
	for _, r := range Rounds {
		if tod < r.To {
			return r
		}
	}
	return Rounds[len(Rounds)-1]
}

// Medicine is one entry on a person's medicines list.
type Medicine struct {
	ID, PersonID               string
	Name, Strength, Dose       string
	Route                      string
	Times                      []string // "08:00"; empty for PRN
	PRN                        bool
	MinInterval                time.Duration
	Max24h                     int
	StartDate, EndDate         time.Time // calendar dates; EndDate zero: no end
	Prescriber, Source         string
	Controlled                 bool
	Instructions               string
	CreatedAt                  time.Time
	CreatedByName              string
	StoppedAt                  time.Time
	StoppedByName, StopReason  string
	Version                    int
	LastGiven                  time.Time // PRN: the last dose given (zero: none)
	GivenIn24h                 int       // PRN: doses given in the 24 hours to now
	NextFrom                   time.Time // PRN: when the next dose may be given
	RouteTitle, SourceTitle    string
	Stopped                    bool // stopped, or its end date has passed
	ScheduleText, IntervalText string
}

// MedicineInput is a medicine as typed on the form.
type MedicineInput struct {
	Name, Strength, Dose, Route string
	Times                       string // "08:00, 18:00"
	PRN                         bool
	MinIntervalHours            string
	Max24h                      string
	StartDate, EndDate          time.Time
	Prescriber, Source          string
	Controlled                  bool
	Instructions                string
}

// Dose is one administration record.
type Dose struct {
	ID, MedicineID, MedicineName string
	ScheduledFor                 time.Time // zero for PRN
	At                           time.Time
	Outcome, ReasonCode, Note    string
	WitnessName                  string
	RecordedAt                   time.Time
	RecordedByName               string
	Corrects, CorrectionReason   string // a correction: the record it replaces, and why
	WasOutcome                   string // the corrected record's outcome
}

// WasOutcomeTitle is the corrected record's outcome in words.
func (d Dose) WasOutcomeTitle() string { return choiceTitle(DoseOutcomes, d.WasOutcome) }

// OutcomeTitle and ReasonTitle are the record's words.
func (d Dose) OutcomeTitle() string { return choiceTitle(DoseOutcomes, d.Outcome) }
func (d Dose) ReasonTitle() string  { return choiceTitle(allDoseReasons, d.ReasonCode) }

// Late reports whether the dose was given more than an hour after its time.
func (d Dose) Late() bool { return !d.ScheduledFor.IsZero() && d.At.Sub(d.ScheduledFor) > LateAfter }

// DoseInput is a dose as recorded at the point of care.
type DoseInput struct {
	MedicineID      string
	ScheduledFor    time.Time // the slot, for scheduled medicines
	At              time.Time // when; zero means now
	Outcome         string
	ReasonCode      string
	Note            string
	WitnessID       string // controlled drugs: a second member of staff
	WitnessPassword string // who confirms it is them by their own password
}

func formatDuration(d time.Duration) string {
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	var parts []string
	if h == 1 {
		parts = append(parts, "1 hour")
	} else if h > 1 {
		parts = append(parts, fmt.Sprintf("%d hours", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d minutes", m))
	}
	return strings.Join(parts, " ")
}

func hhmm(t time.Time) string { return t.In(ukZone).Format("15:04") }

// ukDate is a calendar date as the UK writes it.
func ukDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

// calendarDay is the UK calendar date of t, as stored in DATE columns.
func calendarDay(t time.Time) time.Time {
	l := t.In(ukZone)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)
}

func parseTimes(s string) ([]string, bool) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		t, err := time.Parse("15:04", f)
		if err != nil {
			if t, err = time.Parse("15.04", f); err != nil {
				return nil, false
			}
		}
		v := t.Format("15:04")
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out, len(out) > 0 && len(out) <= 8
}

// AddMedicine adds a medicine to a person's list (ManageMedicines).
func (s *Service) AddMedicine(ctx context.Context, actor door.Actor, personID string, in MedicineInput) (Medicine, error) {
	var m Medicine
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManageMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationRequest", Detail: "medicine added"})
		if err != nil {
			return err
		}
		var p hearth.Problems
		m = Medicine{ID: hearth.NewID(), PersonID: personID, Name: strings.TrimSpace(in.Name), Strength: strings.TrimSpace(in.Strength),
			Dose: strings.TrimSpace(in.Dose), Route: in.Route, PRN: in.PRN, StartDate: in.StartDate, EndDate: in.EndDate,
			Prescriber: strings.TrimSpace(in.Prescriber), Source: in.Source, Controlled: in.Controlled,
			Instructions: strings.TrimSpace(in.Instructions), CreatedAt: sc.Now(), Version: 1}
		p.Check(m.Name != "", "Name", "Enter the medicine's name")
		p.Check(m.Dose != "", "Dose", "Enter the dose, for example '1 tablet' or '10 ml'")
		s.checkText(&p, "Name", m.Name, maxShort)
		s.checkText(&p, "Strength", m.Strength, maxShort)
		s.checkText(&p, "Dose", m.Dose, maxShort)
		s.checkText(&p, "Prescriber", m.Prescriber, maxShort)
		s.checkText(&p, "Instructions", m.Instructions, maxLong)
		p.Check(validChoice(MedicineRoutes, m.Route), "Route", "Choose how it is taken")
		p.Check(validChoice(MedicineSources, m.Source), "Source", "Choose where the prescription came from")
		p.Check(!m.StartDate.IsZero(), "Start date", "Enter the date it starts")
		p.Check(m.EndDate.IsZero() || !m.EndDate.Before(m.StartDate), "End date", "The end date must be on or after the start date")
		if m.PRN {
			hours, err := strconv.ParseFloat(strings.TrimSpace(in.MinIntervalHours), 64)
			switch {
			case err != nil:
				p.Add("Minimum gap", "Enter the minimum gap between doses in hours, for example 4")
			case hours < 0.5 || hours > 72:
				p.Add("Minimum gap", "The minimum gap must be between half an hour and 72 hours")
			default:
				m.MinInterval = time.Duration(hours * float64(time.Hour)).Round(time.Minute)
			}
			m.Max24h, _ = parseWhole(&p, "Maximum in 24 hours", in.Max24h, " doses", 1, 24, true)
		} else {
			var ok bool
			if m.Times, ok = parseTimes(in.Times); !ok {
				p.Add("Times", "Enter up to 8 times of day like 08:00, 13:00, or tick 'when required (PRN)'")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		a.ResourceID = m.ID
		a.Detail = "medicine added: " + m.Name
		_, err = sc.Exec(`INSERT INTO medicines (id, person_id, name, strength, dose, route, times, prn, prn_min_minutes,
			prn_max_24h, start_date, end_date, prescriber, source, controlled, instructions, created_at, created_by, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
			m.ID, personID, m.Name, m.Strength, m.Dose, m.Route, strings.Join(m.Times, ","), m.PRN, int(m.MinInterval/time.Minute),
			m.Max24h, m.StartDate.UTC(), store.NullTime(m.EndDate), m.Prescriber, m.Source, m.Controlled, m.Instructions, m.CreatedAt, actor.ID)
		return err
	})
	return m, err
}

// StopMedicine stops a medicine from now, with a reason. version is the
// version the form showed: if someone changed it since, nothing is changed
// and the caller is told.
func (s *Service) StopMedicine(ctx context.Context, actor door.Actor, personID, medicineID string, version int, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ManageMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationRequest", ResourceID: medicineID, Detail: "medicine stopped: " + reason})
		if err != nil {
			return err
		}
		var p hearth.Problems
		p.Check(reason != "", "Reason", "Say why the medicine is stopped, for example 'GP stopped it at review'")
		s.checkText(&p, "Reason", reason, maxLong)
		if err := p.Err(); err != nil {
			return err
		}
		m, err := loadMedicine(sc, personID, medicineID)
		if err != nil {
			return err
		}
		a.ResourceID = m.ID
		res, err := sc.Exec(`UPDATE medicines SET stopped_at = ?, stopped_by = ?, stop_reason = ?, version = version + 1
			WHERE id = ? AND version = ? AND stopped_at IS NULL`, sc.Now(), actor.ID, reason, m.ID, version)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return hearth.Errorf(hearth.KindConflict, "Someone changed %s since you opened the page: look at the list again. Your reason was: %s", m.Name, reason)
		}
		return nil
	})
}

const medicineColumns = `m.id, m.person_id, m.name, m.strength, m.dose, m.route, m.times, m.prn, m.prn_min_minutes, m.prn_max_24h,
	m.start_date, m.end_date, m.prescriber, m.source, m.controlled, m.instructions, m.created_at, cu.display_name,
	m.stopped_at, COALESCE(su.display_name, ''), m.stop_reason, m.version`

const medicineFrom = ` FROM medicines m JOIN users cu ON cu.id = m.created_by LEFT JOIN users su ON su.id = m.stopped_by`

func scanMedicine(row interface{ Scan(...any) error }, now time.Time) (Medicine, error) {
	var m Medicine
	var times string
	var minutes int
	var end, stopped sql.NullTime
	err := row.Scan(&m.ID, &m.PersonID, &m.Name, &m.Strength, &m.Dose, &m.Route, &times, &m.PRN, &minutes, &m.Max24h,
		&m.StartDate, &end, &m.Prescriber, &m.Source, &m.Controlled, &m.Instructions, &m.CreatedAt, &m.CreatedByName,
		&stopped, &m.StoppedByName, &m.StopReason, &m.Version)
	if err != nil {
		return m, err
	}
	if times != "" {
		m.Times = strings.Split(times, ",")
	}
	m.MinInterval = time.Duration(minutes) * time.Minute
	m.StartDate = m.StartDate.UTC()
	if end.Valid {
		m.EndDate = end.Time.UTC()
	}
	if stopped.Valid {
		m.StoppedAt = stopped.Time.UTC()
	}
	m.RouteTitle, m.SourceTitle = choiceTitle(MedicineRoutes, m.Route), choiceTitle(MedicineSources, m.Source)
	m.Stopped = m.stoppedAt(now) != ""
	if m.PRN {
		m.ScheduleText = fmt.Sprintf("When required: at least %s apart, no more than %d in 24 hours", formatDuration(m.MinInterval), m.Max24h)
	} else {
		m.ScheduleText = strings.Join(m.Times, ", ")
	}
	return m, nil
}

// stoppedAt says why no dose may be recorded at t, or "" when one may.
func (m Medicine) stoppedAt(t time.Time) string {
	switch day := calendarDay(t); {
	case !m.StoppedAt.IsZero() && !t.Before(m.StoppedAt):
		return "This medicine was stopped on " + ukDate(calendarDay(m.StoppedAt))
	case !m.EndDate.IsZero() && day.After(m.EndDate):
		return "This medicine was stopped on " + ukDate(m.EndDate) + " (the end of its course)"
	case day.Before(m.StartDate):
		return "This medicine does not start until " + ukDate(m.StartDate)
	}
	return ""
}

func loadMedicine(sc *door.Scope, personID, id string) (Medicine, error) {
	if !hearth.ValidID(id) {
		return Medicine{}, hearth.Invalid("Medicine", "Choose a medicine from the list")
	}
	m, err := scanMedicine(sc.QueryRow(`SELECT `+medicineColumns+medicineFrom+` WHERE m.id = ? AND m.person_id = ?`, id, personID), time.Time{})
	if errors.Is(err, sql.ErrNoRows) {
		return m, hearth.Invalid("Medicine", "Choose a medicine from the list")
	}
	return m, err
}

func listMedicines(sc *door.Scope, personID string, now time.Time, withheld door.Excluded) ([]Medicine, error) {
	notWithheld, args := withheld.Not("m.id")
	rows, err := sc.Query(`SELECT `+medicineColumns+medicineFrom+` WHERE m.person_id = ? AND `+notWithheld+` ORDER BY m.name, m.created_at`,
		append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Medicine
	for rows.Next() {
		m, err := scanMedicine(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// prnState fills in a PRN medicine's last dose, doses in 24 hours and the
// next time a dose may be given, as at t.
func prnState(sc *door.Scope, m *Medicine, t time.Time) error {
	var last time.Time
	err := sc.QueryRow(`SELECT d.at FROM medicine_doses d WHERE d.medicine_id = ? AND d.outcome IN ('given', 'self_administered')
		AND NOT EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id)
		AND d.at <= ? ORDER BY d.at DESC LIMIT 1`, m.ID, t.UTC()).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	m.LastGiven, m.NextFrom = time.Time{}, time.Time{}
	if err == nil {
		m.LastGiven = last.UTC()
		m.NextFrom = m.LastGiven.Add(m.MinInterval)
	}
	if err := sc.QueryRow(`SELECT COUNT(*) FROM medicine_doses d WHERE d.medicine_id = ? AND d.outcome IN ('given', 'self_administered')
		AND NOT EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id)
		AND d.at > ? AND d.at <= ?`, m.ID, t.Add(-24*time.Hour).UTC(), t.UTC()).Scan(&m.GivenIn24h); err != nil {
		return err
	}
	if m.GivenIn24h >= m.Max24h && m.Max24h > 0 {
		// The next is possible once the oldest of the day's doses is 24 hours old.
		var oldest time.Time
		if err := sc.QueryRow(`SELECT d.at FROM medicine_doses d WHERE d.medicine_id = ? AND d.outcome IN ('given', 'self_administered')
		AND NOT EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id)
			AND d.at > ? AND d.at <= ? ORDER BY d.at DESC LIMIT 1 OFFSET ?`, m.ID, t.Add(-24*time.Hour).UTC(), t.UTC(), m.Max24h-1).Scan(&oldest); err != nil {
			return err
		}
		if next := oldest.UTC().Add(24 * time.Hour); next.After(m.NextFrom) {
			m.NextFrom = next
		}
	}
	return nil
}

// RecordDose records a dose given, refused, omitted, not available or
// self-administered. It is refused, with a message that says why, for a
// stopped medicine, a PRN dose inside its minimum gap or over its 24-hour
// maximum, and a controlled drug without a second member of staff.
func (s *Service) RecordDose(ctx context.Context, actor door.Actor, personID string, in DoseInput) (Dose, error) {
	var d Dose
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.AdministerMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationAdministration", Detail: "dose: " + in.Outcome})
		if err != nil {
			return err
		}
		d, err = s.recordDose(sc, a, personID, in)
		return err
	})
	return d, s.witnessOutcome(ctx, actor, err)
}

// RecordDoses records many doses for one person in one transaction and one
// audited decision (an import of past records, or the demo's history). The
// same rules apply to each, in order; one refused dose refuses them all.
func (s *Service) RecordDoses(ctx context.Context, actor door.Actor, personID string, ins []DoseInput) error {
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.AdministerMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationAdministration", Detail: fmt.Sprintf("%d doses recorded together", len(ins))})
		if err != nil {
			return err
		}
		for i, in := range ins {
			if _, err := s.recordDose(sc, &door.Access{}, personID, in); err != nil {
				return fmt.Errorf("dose %d of %d: %w", i+1, len(ins), err)
			}
		}
		a.Detail = fmt.Sprintf("%d doses recorded together", len(ins))
		return nil
	})
	return s.witnessOutcome(ctx, actor, err)
}

func (s *Service) recordDose(sc *door.Scope, a *door.Access, personID string, in DoseInput) (Dose, error) {
	var d Dose
	actor := sc.Actor()
	err := func() error {
		now := sc.Now()
		d = Dose{ID: hearth.NewID(), MedicineID: in.MedicineID, At: in.At, Outcome: in.Outcome, ReasonCode: in.ReasonCode,
			Note: strings.TrimSpace(in.Note), RecordedAt: now, RecordedByName: actor.Name}
		if d.At.IsZero() {
			d.At = now
		}
		a.ResourceID = d.ID
		var p hearth.Problems
		p.Check(!d.At.After(now.Add(2*time.Minute)), "Time", "The time must not be in the future")
		p.Check(validChoice(DoseOutcomes, d.Outcome), "Outcome", "Choose given, refused, omitted, not available or self-administered")
		if reasons, needs := DoseReasons[d.Outcome]; needs {
			p.Check(validChoice(reasons, d.ReasonCode), "Reason", "Choose why the dose was not given")
		} else {
			d.ReasonCode = ""
		}
		s.checkText(&p, "Note", d.Note, maxLong)
		if err := p.Err(); err != nil {
			return err
		}
		m, err := loadMedicine(sc, personID, in.MedicineID)
		if err != nil {
			return err
		}
		d.MedicineName = m.Name
		a.Detail = fmt.Sprintf("dose of %s: %s", m.Name, d.Outcome)
		if why := m.stoppedAt(d.At); why != "" {
			return hearth.Invalid("Medicine", why)
		}
		taken := d.Outcome == Given || d.Outcome == SelfAdministered
		if m.PRN {
			d.ScheduledFor = time.Time{}
			if taken {
				if err := prnState(sc, &m, d.At); err != nil {
					return err
				}
				if m.Max24h > 0 && m.GivenIn24h >= m.Max24h {
					return hearth.Invalid("Medicine", fmt.Sprintf("%d doses in the last 24 hours already; the maximum is %d. The next can be from %s.",
						m.GivenIn24h, m.Max24h, nextText(m.NextFrom, d.At)))
				}
				if !m.LastGiven.IsZero() && d.At.Before(m.LastGiven.Add(m.MinInterval)) {
					return hearth.Invalid("Medicine", fmt.Sprintf("The last dose was at %s; the minimum gap is %s, so the next can be from %s.",
						hhmm(m.LastGiven), formatDuration(m.MinInterval), nextText(m.LastGiven.Add(m.MinInterval), d.At)))
				}
			}
		} else {
			d.ScheduledFor = in.ScheduledFor.UTC()
			ok := false
			for _, slot := range slotsOn(m, d.ScheduledFor) {
				ok = ok || slot.Equal(d.ScheduledFor)
			}
			if !ok {
				return hearth.Invalid("Time", "Choose one of the medicine's times from the round")
			}
		}
		if m.Controlled && d.Outcome == Given {
			name, err := s.checkWitness(sc, actor, personID, in.WitnessID, in.WitnessPassword, now)
			if err != nil {
				return err
			}
			d.WitnessName = name
			a.Detail += "; witnessed by " + name
		} else {
			in.WitnessID = ""
		}
		_, err = sc.Exec(`INSERT INTO medicine_doses (id, medicine_id, person_id, scheduled_for, at, outcome, reason_code,
			note, witness_id, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, m.ID, personID, store.NullTime(d.ScheduledFor), d.At.UTC(), d.Outcome, d.ReasonCode, d.Note,
			store.Null(in.WitnessID), now, actor.ID)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "The %s dose of %s has already been recorded by someone else. Look at the round again.",
				hhmm(d.ScheduledFor), m.Name)
		}
		return err
	}()
	return d, err
}

func nextText(next, at time.Time) string {
	if calendarDay(next).Equal(calendarDay(at)) {
		return hhmm(next)
	}
	return hhmm(next) + " on " + next.In(ukZone).Format("2 January")
}

// checkWitness checks the second member of staff for a controlled drug:
// someone other than the actor, an active staff account that is not
// locked, whose role may give medicines and who has a relationship with
// the person (the same rule book as everyone: access.Decide), and who has
// typed their own password. It proves a second person who knows that
// account's password was present at the moment of recording; it does not
// prove what they saw.
func (s *Service) checkWitness(sc *door.Scope, actor door.Actor, personID, witnessID, password string, now time.Time) (string, error) {
	if witnessID == "" {
		return "", hearth.Invalid("Witness", "A controlled drug needs a second member of staff to witness it: choose who")
	}
	if witnessID == actor.ID {
		return "", hearth.Invalid("Witness", "The witness must be someone other than you")
	}
	// The witness is decided like anyone: may they give this person's
	// medicines, on the same facts as every decision, audited in this
	// request (docs/architecture.md, "Second parties").
	party, err := sc.DecideFor(witnessID, door.Request{Action: access.AdministerMedicines, Purpose: access.DirectCare,
		PersonID: personID, ResourceType: "MedicationAdministration"}, "witness to a controlled drug")
	if err != nil {
		return "", err
	}
	if party.ID == "" {
		return "", hearth.Invalid("Witness", "The witness must be an active member of staff")
	}
	name := party.Name
	if !party.Decision.Permit {
		if party.Decision.Reason == access.DenyNoPermission {
			return "", hearth.Invalid("Witness", name+"'s role does not include giving medicines, so they cannot witness a controlled drug")
		}
		return "", hearth.Invalid("Witness", name+" is not on this person's care team, so they cannot witness this dose")
	}
	if strings.TrimSpace(password) == "" {
		return "", hearth.Invalid("Witness password", "The witness must type their own password")
	}
	// Through accounts, so a wrong witness password counts towards the
	// witness's lockout like a wrong one at sign-in (witnessOutcome).
	if s.accounts == nil {
		return "", hearth.Errorf(hearth.KindUnavailable, "Witness passwords cannot be checked: accounts are not wired in")
	}
	meta := accounts.Meta{ClientAddr: actor.ClientAddr, RequestID: actor.RequestID}
	if err := s.accounts.ConfirmPassword(sc, witnessID, password, "witness-password",
		"witness to a controlled drug recorded by "+actor.Name, meta); err != nil {
		return "", witnessRefused{err}
	}
	return name, nil
}

// witnessRefused is a witness password refused inside a door scope; the
// scope rolls back, then witnessOutcome counts it towards the witness's
// lockout and puts it in words for the form.
type witnessRefused struct{ err error }

func (w witnessRefused) Error() string { return w.err.Error() }
func (w witnessRefused) Unwrap() error { return w.err }

func (s *Service) witnessOutcome(ctx context.Context, actor door.Actor, err error) error {
	var w witnessRefused
	if !errors.As(err, &w) {
		return err
	}
	var r *accounts.Refusal
	if !errors.As(err, &r) {
		return err
	}
	if err := s.accounts.RecordRefusal(ctx, err, accounts.Meta{ClientAddr: actor.ClientAddr, RequestID: actor.RequestID}); !errors.As(err, &r) {
		return err
	}
	switch hearth.KindOf(r) {
	case hearth.KindTooMany:
		return hearth.Invalid("Witness password", "The witness's account is locked for now after too many wrong passwords; ask someone else to witness")
	case hearth.KindUnauthenticated:
		return hearth.Invalid("Witness password", "The witness's password is not right")
	}
	return err
}

// slotsOn is a scheduled medicine's dose times on the UK day holding t.
func slotsOn(m Medicine, t time.Time) []time.Time {
	out := make([]time.Time, 0, len(m.Times))
	for _, v := range m.Times {
		tod, err := time.Parse("15:04", v)
		if err != nil {
			continue
		}
		out = append(out, ukAt(t, time.Duration(tod.Hour())*time.Hour+time.Duration(tod.Minute())*time.Minute))
	}
	return out
}

// Slot statuses.
const (
	SlotUpcoming = "upcoming"
	SlotDue      = "due"
	SlotLate     = "late"
	SlotMissed   = "missed"
	SlotDone     = "recorded"
)

// Slot is one scheduled dose today and where it stands.
type Slot struct {
	Medicine Medicine
	At       time.Time
	Round    string
	Status   string
	Dose     *Dose
}

// Time is the slot's time, 24-hour UK.
func (s Slot) Time() string { return hhmm(s.At) }

// RoundSlots is one round's doses.
type RoundSlots struct {
	Name  string
	Slots []Slot
}

func slotStatus(at, now time.Time, r Round) string {
	switch {
	case now.Before(at.Add(-LateAfter)):
		return SlotUpcoming
	case !now.After(at.Add(LateAfter)):
		return SlotDue
	}
	end := ukAt(at, 0).Add(r.To)
	if r.To >= 24*time.Hour {
		end = ukDayStart(at.Add(26 * time.Hour))
	}
	if now.Before(end) {
		return SlotLate
	}
	return SlotMissed
}

// roundsOn lays out a day's scheduled doses by round, with each one's
// status at now.
func roundsOn(sc *door.Scope, meds []Medicine, day, now time.Time) ([]RoundSlots, error) {
	from := ukDayStart(day)
	to := ukDayStart(from.Add(26 * time.Hour))
	byRound := map[string][]Slot{}
	for _, m := range meds {
		if m.PRN {
			continue
		}
		recorded := map[time.Time]*Dose{}
		doses, err := listDoses(sc, `d.medicine_id = ? AND d.scheduled_for >= ? AND d.scheduled_for < ?`, 0, m.ID, from, to)
		if err != nil {
			return nil, err
		}
		for i := range doses {
			recorded[doses[i].ScheduledFor] = &doses[i]
		}
		for _, at := range slotsOn(m, from) {
			if m.stoppedAt(at) != "" && recorded[at] == nil {
				continue
			}
			r := roundOf(at.Sub(ukDayStart(at)))
			sl := Slot{Medicine: m, At: at, Round: r.Name, Dose: recorded[at]}
			if sl.Dose != nil {
				sl.Status = SlotDone
			} else {
				sl.Status = slotStatus(at, now, r)
			}
			byRound[r.Name] = append(byRound[r.Name], sl)
		}
	}
	var out []RoundSlots
	for _, r := range Rounds {
		if sl := byRound[r.Name]; len(sl) > 0 {
			sort.SliceStable(sl, func(i, j int) bool { return sl[i].At.Before(sl[j].At) })
			out = append(out, RoundSlots{Name: r.Name, Slots: sl})
		}
	}
	return out, nil
}

func listDoses(sc *door.Scope, where string, limit int, args ...any) ([]Dose, error) {
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC()
		}
	}
	q := `SELECT d.id, d.medicine_id, m.name, d.scheduled_for, d.at, d.outcome, d.reason_code, d.note, COALESCE(w.display_name, ''),
		d.recorded_at, u.display_name, COALESCE(d.corrects_id, ''), d.correction_reason, COALESCE(o.outcome, '')
		FROM medicine_doses d JOIN medicines m ON m.id = d.medicine_id
		JOIN users u ON u.id = d.recorded_by LEFT JOIN users w ON w.id = d.witness_id LEFT JOIN medicine_doses o ON o.id = d.corrects_id
		WHERE NOT EXISTS (SELECT 1 FROM medicine_doses c WHERE c.corrects_id = d.id) AND ` + where + ` ORDER BY d.at DESC, d.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := sc.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Dose
	for rows.Next() {
		var d Dose
		var sched sql.NullTime
		if err := rows.Scan(&d.ID, &d.MedicineID, &d.MedicineName, &sched, &d.At, &d.Outcome, &d.ReasonCode, &d.Note,
			&d.WitnessName, &d.RecordedAt, &d.RecordedByName, &d.Corrects, &d.CorrectionReason, &d.WasOutcome); err != nil {
			return nil, err
		}
		if sched.Valid {
			d.ScheduledFor = sched.Time.UTC()
		}
		d.At, d.RecordedAt = d.At.UTC(), d.RecordedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}

// Witness is a member of staff who could witness a controlled drug for the
// person: staff data, not the person's.
type Witness struct{ ID, Name string }

func witnesses(sc *door.Scope, actorID, personID string, now time.Time) ([]Witness, error) {
	rows, err := sc.Query(`SELECT DISTINCT u.id, u.display_name, u.role FROM users u WHERE u.kind = 'staff' AND u.disabled_at IS NULL
		AND u.id <> ? AND (u.id IN (SELECT user_id FROM care_team WHERE person_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?))
		OR u.id IN (SELECT user_id FROM staff_locations WHERE location_id = (SELECT location_id FROM people WHERE id = ?)))
		ORDER BY u.display_name`, actorID, personID, now, now, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Witness
	for rows.Next() {
		var w Witness
		var role string
		if err := rows.Scan(&w.ID, &w.Name, &role); err != nil {
			return nil, err
		}
		if access.ParseRole(role).Info().Permissions.Has(access.AdministerMedicines) {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}

// MedicinesPage is a person's medicines: the list, today's rounds, PRN
// medicines with when the next dose may be given, and the last week's
// administration record.
type MedicinesPage struct {
	Person        people.Person
	Now           time.Time
	Current       []Medicine
	Stopped       []Medicine
	PRN           []Medicine
	Rounds        []RoundSlots
	Recent        []Dose
	Witnesses     []Witness
	CanManage     bool
	CanAdminister bool
}

// Medicines reads a person's medicines page.
func (s *Service) Medicines(ctx context.Context, actor door.Actor, personID string) (MedicinesPage, error) {
	var pg MedicinesPage
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		pg = MedicinesPage{}
		if _, err := sc.Allow(door.Request{Action: access.ReadMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationStatement", Detail: "medicines"}); err != nil {
			return err
		}
		var err error
		if pg.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		now := sc.Now()
		pg.Now = now
		out, err := sc.Unwithheld(door.Request{Action: access.ReadMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			Detail: "a withheld medicine"}, "MedicationStatement")
		if err != nil {
			return err
		}
		all, err := listMedicines(sc, personID, now, out)
		if err != nil {
			return err
		}
		for _, m := range all {
			switch {
			case m.Stopped:
				pg.Stopped = append(pg.Stopped, m)
			case m.PRN:
				if err := prnState(sc, &m, now); err != nil {
					return err
				}
				pg.PRN = append(pg.PRN, m)
				pg.Current = append(pg.Current, m)
			default:
				pg.Current = append(pg.Current, m)
			}
		}
		if pg.Rounds, err = roundsOn(sc, all, now, now); err != nil {
			return err
		}
		if pg.Recent, err = listDoses(sc, `d.person_id = ? AND d.at >= ?`, 200, personID, now.AddDate(0, 0, -7)); err != nil {
			return err
		}
		if pg.Witnesses, err = witnesses(sc, actor.ID, personID, now); err != nil {
			return err
		}
		perms := actor.Role.Info().Permissions
		pg.CanManage = actor.Kind == access.KindStaff && perms.Has(access.ManageMedicines)
		pg.CanAdminister = actor.Kind == access.KindStaff && perms.Has(access.AdministerMedicines)
		return nil
	})
	return pg, err
}

// dueSlots is the person's doses due, late or missed today (for 'my
// shift'), inside a scope that allowed ReadMedicines.
func dueSlots(sc *door.Scope, personID string, now time.Time) ([]RoundSlots, error) {
	meds, err := listMedicines(sc, personID, now, door.Excluded{})
	if err != nil {
		return nil, err
	}
	rounds, err := roundsOn(sc, meds, now, now)
	if err != nil {
		return nil, err
	}
	var out []RoundSlots
	for _, r := range rounds {
		var keep []Slot
		for _, sl := range r.Slots {
			if sl.Status == SlotDue || sl.Status == SlotLate || sl.Status == SlotMissed {
				keep = append(keep, sl)
			}
		}
		if len(keep) > 0 {
			out = append(out, RoundSlots{Name: r.Name, Slots: keep})
		}
	}
	return out, nil
}

// Clock is when the dose was recorded as given (or not), 24-hour UK time.
func (d Dose) Clock() string { return hhmm(d.At) }

// LastGivenText and NextFromText say when a PRN medicine was last given
// and when the next dose may be, in UK time ("" when none).
func (m Medicine) LastGivenText(now time.Time) string {
	if m.LastGiven.IsZero() {
		return ""
	}
	return nextText(m.LastGiven, now)
}

// NextFromText is when the next PRN dose may be given, or "" if now.
func (m Medicine) NextFromText(now time.Time) string {
	if m.NextFrom.IsZero() || !m.NextFrom.After(now) {
		return ""
	}
	return nextText(m.NextFrom, now)
}

// SlotValue is the slot's time as the form sends it.
func (s Slot) SlotValue() string { return s.At.UTC().Format(time.RFC3339) }

// CorrectDose records that a dose record was wrong: a new record with the
// right outcome points at the old one, with why; the old one stays in the
// database and is shown as corrected. The time of care stays the old
// record's. A controlled drug corrected to 'given' needs its witness.
func (s *Service) CorrectDose(ctx context.Context, actor door.Actor, personID, doseID string, in DoseInput, why string) (Dose, error) {
	var d Dose
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.AdministerMedicines, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "MedicationAdministration", ResourceID: doseID, Detail: "dose corrected: " + why, Correction: true})
		if err != nil {
			return err
		}
		why = strings.TrimSpace(why)
		var p hearth.Problems
		p.Check(why != "", "Why", "Say why the record is wrong, for example 'Recorded against the wrong medicine'")
		s.checkText(&p, "Why", why, maxLong)
		p.Check(validChoice(DoseOutcomes, in.Outcome), "Outcome", "Choose given, refused, omitted, not available or self-administered")
		if reasons, needs := DoseReasons[in.Outcome]; needs {
			p.Check(validChoice(reasons, in.ReasonCode), "Reason", "Choose why the dose was not given")
		} else {
			in.ReasonCode = ""
		}
		if err := p.Err(); err != nil {
			return err
		}
		var medicineID string
		var sched sql.NullTime
		var at time.Time
		err = sc.QueryRow(`SELECT medicine_id, scheduled_for, at FROM medicine_doses WHERE id = ? AND person_id = ?`,
			doseID, personID).Scan(&medicineID, &sched, &at)
		if errors.Is(err, sql.ErrNoRows) || !hearth.ValidID(doseID) {
			return hearth.Invalid("Dose", "The dose record to correct was not found")
		} else if err != nil {
			return err
		}
		m, err := loadMedicine(sc, personID, medicineID)
		if err != nil {
			return err
		}
		now := sc.Now()
		d = Dose{ID: hearth.NewID(), MedicineID: m.ID, MedicineName: m.Name, At: at.UTC(), Outcome: in.Outcome, ReasonCode: in.ReasonCode,
			Note: strings.TrimSpace(in.Note), RecordedAt: now, RecordedByName: actor.Name, Corrects: doseID, CorrectionReason: why}
		if sched.Valid {
			d.ScheduledFor = sched.Time.UTC()
		}
		a.ResourceID = d.ID
		witness := ""
		if m.Controlled && d.Outcome == Given {
			if d.WitnessName, err = s.checkWitness(sc, actor, personID, in.WitnessID, in.WitnessPassword, now); err != nil {
				return err
			}
			witness = in.WitnessID
		}
		_, err = sc.Exec(`INSERT INTO medicine_doses (id, medicine_id, person_id, scheduled_for, at, outcome, reason_code,
			note, witness_id, recorded_at, recorded_by, corrects_id, correction_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, m.ID, personID, store.NullTime(d.ScheduledFor), d.At, d.Outcome, d.ReasonCode, d.Note, store.Null(witness),
			now, actor.ID, doseID, why)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "Someone has already corrected this record. Look at the latest one and correct that if it is still wrong.")
		}
		return err
	})
	return d, s.witnessOutcome(ctx, actor, err)
}
