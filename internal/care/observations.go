package care

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must be known wherever Hearth runs
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// ObsConfig tunes the alerts and visit rules. The zero value means the
// defaults.
type ObsConfig struct {
	FluidsCheckAt time.Duration // time of day (UK) by which half the fluid target should be in; default 14:00
	VisitGrace    time.Duration // a visit with no check-in this long after its window ends is missed; default 30 minutes
	VisitLate     time.Duration // a check-in this long after the window starts is late; default 15 minutes
}

func (c ObsConfig) withDefaults() ObsConfig {
	if c.FluidsCheckAt <= 0 {
		c.FluidsCheckAt = 14 * time.Hour
	}
	if c.VisitGrace <= 0 {
		c.VisitGrace = 30 * time.Minute
	}
	if c.VisitLate <= 0 {
		c.VisitLate = 15 * time.Minute
	}
	return c
}

// WithObsConfig sets the alert and visit rules (used while wiring the app).
func (s *Service) WithObsConfig(c ObsConfig) *Service {
	s.obs = c
	return s
}

func (s *Service) obsConfig() ObsConfig { return s.obs.withDefaults() }

// ukZone is where a care day begins and ends: a day's fluids run from
// midnight to midnight UK time, whatever the server's zone.
var ukZone = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // the embedded tzdata always has it
	}
	return loc
}()

// ukDayStart is the start (in UTC) of the UK day holding t.
func ukDayStart(t time.Time) time.Time {
	l := t.In(ukZone)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, ukZone).UTC()
}

// ukAt is the given time of day (UK) on the UK day holding t.
func ukAt(t time.Time, since time.Duration) time.Time {
	l := t.In(ukZone)
	h, m := int(since/time.Hour), int(since%time.Hour/time.Minute)
	return time.Date(l.Year(), l.Month(), l.Day(), h, m, 0, 0, ukZone).UTC()
}

// Observation kinds.
const (
	FluidIn   = "fluid_in"
	FluidOut  = "fluid_out"
	Food      = "food"
	Weight    = "weight"
	Height    = "height"
	VitalSign = "vitals"
	Fall      = "fall"
)

// Meals and portions for food charts.
var (
	Meals    = []Choice{{"breakfast", "Breakfast"}, {"lunch", "Lunch"}, {"tea", "Tea"}, {"supper", "Supper"}, {"snack", "Snack"}}
	Portions = []Choice{{"all", "All"}, {"three_quarters", "Three quarters"}, {"half", "Half"}, {"quarter", "A quarter"},
		{"none", "None"}, {"refused", "Refused"}}
)

// Choice is a stored value and its words.
type Choice struct{ Value, Title string }

func choiceTitle(list []Choice, v string) string {
	for _, c := range list {
		if c.Value == v {
			return c.Title
		}
	}
	return v
}

func validChoice(list []Choice, v string) bool {
	for _, c := range list {
		if c.Value == v {
			return true
		}
	}
	return false
}

// Observation is one recorded observation.
type Observation struct {
	ID, PersonID, Kind string
	TakenAt            time.Time // when the care happened
	RecordedAt         time.Time // when it was written down
	RecordedBy         string
	RecordedByName     string
	AmountML           int
	What               string // the drink, or what was eaten
	Meal, Portion      string
	WeightG, HeightMM  int
	Vitals             Vitals
	NEWS2              NEWS2Score
	Place, Injury      string
	Actions, Note      string
	Corrects           string // the entry this one corrects
	CorrectionReason   string
}

// MealTitle and PortionTitle are the food chart's words.
func (o Observation) MealTitle() string    { return choiceTitle(Meals, o.Meal) }
func (o Observation) PortionTitle() string { return choiceTitle(Portions, o.Portion) }

// KindTitle is the kind of observation in words.
func (o Observation) KindTitle() string {
	switch o.Kind {
	case FluidIn:
		return "Drink"
	case FluidOut:
		return "Fluid output"
	case Food:
		return "Food"
	case Weight:
		return "Weight"
	case Height:
		return "Height"
	case VitalSign:
		return "Vital signs"
	case Fall:
		return "Fall"
	}
	return o.Kind
}

// Kg is the weight in kilograms, to one decimal place, as shown.
func (o Observation) Kg() string { return kg(o.WeightG) }

// Temperature is the temperature in °C, to one decimal place.
func (o Observation) Temperature() string {
	return fmt.Sprintf("%d.%d", o.Vitals.TempDC/10, o.Vitals.TempDC%10)
}

func kg(g int) string { return strconv.FormatFloat(float64(g)/1000, 'f', 1, 64) }

// ObsInput is an observation as typed on the form: numbers arrive as text
// and are checked here, so every form gets the same plain messages.
type ObsInput struct {
	Kind    string
	At      time.Time // time of care; zero means When, or now
	When    string    // time of care as typed (UK, "2026-03-03T14:30"), used when At is zero
	Amount  string    // ml, for fluids
	What    string
	Meal    string
	Portion string
	Weight  string // kg
	Height  string // cm
	// Vital signs.
	RespRate, SpO2, SpO2Scale, Oxygen, Systolic, Pulse, Consciousness, Temperature string
	// Falls.
	Place, Injury, Actions string
	Note                   string
	// A correction names the entry it corrects and why.
	Corrects, Reason string
}

// Limits on observations.
const (
	MaxFluidML = 5000
	maxShort   = 200
	maxLong    = 2000
)

func (s *Service) checkText(p *hearth.Problems, field, value string, max int) {
	if utf8.RuneCountInString(value) > max {
		p.Add(field, fmt.Sprintf("%s must be %d characters or fewer", field, max))
	}
}

func parseWhole(p *hearth.Problems, field, value, unit string, min, max int, required bool) (int, bool) {
	// Worded as the NHS.UK design system words number errors, with the
	// unit in words: "Enter amount in millilitres as a whole number".
	words := unitWords(unit)
	in := ""
	if words != "" {
		in = " in " + words
	}
	value = strings.TrimSpace(value)
	if value == "" {
		if required {
			p.Add(field, fmt.Sprintf("Enter the %s%s", strings.ToLower(field), in))
		}
		return 0, false
	}
	n, err := strconv.Atoi(value)
	if err != nil {
		p.Add(field, fmt.Sprintf("Enter %s%s as a whole number", strings.ToLower(field), in))
		return 0, false
	}
	if n < min || n > max {
		p.Add(field, strings.TrimRight(fmt.Sprintf("%s must be between %d and %d %s", field, min, max, words), " "))
		return n, false
	}
	return n, true
}

// unitWords spells a unit out as a message says it.
func unitWords(unit string) string {
	switch u := strings.TrimSpace(unit); u {
	case "ml":
		return "millilitres"
	case "%":
		return "per cent"
	case "doses": // "the maximum in 24 hours" says it already
		return ""
	default:
		return u
	}
}

// parseTenths reads a decimal such as "62.4" into tenths-based integers
// scaled by scale (1000 for grams from kg, 10 for tenths of a degree).
func parseDecimal(p *hearth.Problems, field, value, unit string, min, max float64, scale int) (int, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		p.Add(field, fmt.Sprintf("Enter the %s", strings.ToLower(field)))
		return 0, false
	}
	f, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		p.Add(field, fmt.Sprintf("%s must be a number%s, like %s", field, unit, strconv.FormatFloat(min+(max-min)/4, 'f', 1, 64)))
		return 0, false
	}
	if f < min || f > max {
		p.Add(field, fmt.Sprintf("%s must be between %s and %s%s", field, strconv.FormatFloat(min, 'f', -1, 64), strconv.FormatFloat(max, 'f', -1, 64), unit))
		return 0, false
	}
	return int(math.Round(f * float64(scale))), true
}

// validate checks the input for its kind and returns the observation to
// store.
func (s *Service) validateObs(in ObsInput, now time.Time) (Observation, error) {
	var p hearth.Problems
	o := Observation{Kind: in.Kind, TakenAt: in.At, What: strings.TrimSpace(in.What), Note: strings.TrimSpace(in.Note),
		Place: strings.TrimSpace(in.Place), Injury: strings.TrimSpace(in.Injury), Actions: strings.TrimSpace(in.Actions),
		Corrects: strings.TrimSpace(in.Corrects), CorrectionReason: strings.TrimSpace(in.Reason)}
	if o.TakenAt.IsZero() && strings.TrimSpace(in.When) != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(in.When), ukZone)
		if err != nil {
			p.Add("Time", "Enter the date and time, like 3 March 2026 at 14:30")
		}
		o.TakenAt = t.UTC()
	}
	if o.TakenAt.IsZero() {
		o.TakenAt = now
	}
	if o.TakenAt.After(now.Add(2 * time.Minute)) {
		p.Add("Time", "The time must not be in the future")
	}
	s.checkText(&p, "Note", o.Note, maxLong)
	s.checkText(&p, "What", o.What, maxShort)
	switch in.Kind {
	case FluidIn, FluidOut:
		o.AmountML, _ = parseWhole(&p, "Amount", strings.TrimSpace(in.Amount), " ml", 1, MaxFluidML, true)
	case Food:
		o.Meal, o.Portion = in.Meal, in.Portion
		p.Check(validChoice(Meals, in.Meal), "Meal", "Choose which meal")
		p.Check(validChoice(Portions, in.Portion), "Portion", "Choose how much was eaten")
	case Weight:
		o.WeightG, _ = parseDecimal(&p, "Weight", in.Weight, " kg", 20, 300, 1000)
	case Height:
		mm, _ := parseDecimal(&p, "Height", in.Height, " cm", 100, 230, 10)
		o.HeightMM = mm
	case VitalSign:
		v := &o.Vitals
		v.RespRate, _ = parseWhole(&p, "Respiration rate", in.RespRate, " breaths a minute", 1, 80, true)
		v.SpO2, _ = parseWhole(&p, "SpO2", in.SpO2, "%", 50, 100, true)
		switch in.SpO2Scale {
		case "1", "":
			v.SpO2Scale = 1
		case "2":
			v.SpO2Scale = 2
		default:
			p.Add("SpO2 scale", "Choose SpO2 scale 1 or 2")
		}
		switch in.Oxygen {
		case "air":
		case "oxygen":
			v.OnOxygen = true
		default:
			p.Add("Air or oxygen", "Say whether they are breathing air or on oxygen")
		}
		v.Systolic, _ = parseWhole(&p, "Systolic blood pressure", in.Systolic, " mmHg", 40, 300, true)
		v.Pulse, _ = parseWhole(&p, "Pulse", in.Pulse, " beats a minute", 20, 250, true)
		switch in.Consciousness {
		case ACVPUAlert, ACVPUConfusion, ACVPUVoice, ACVPUPain, ACVPUUnresponsive:
			v.Consciousness = in.Consciousness
		default:
			p.Add("Consciousness", "Choose alert, new confusion, voice, pain or unresponsive")
		}
		v.TempDC, _ = parseDecimal(&p, "Temperature", in.Temperature, " °C", 30, 44, 10)
		o.NEWS2 = ScoreNEWS2(*v)
	case Fall:
		p.Check(o.Place != "", "Where", "Say where the fall happened")
		p.Check(o.Injury != "", "Injury", "Describe any injury, or write 'none seen'")
		p.Check(o.Note != "", "What happened", "Say what happened")
		s.checkText(&p, "Where", o.Place, maxShort)
		s.checkText(&p, "Injury", o.Injury, maxLong)
		s.checkText(&p, "Actions", o.Actions, maxLong)
	default:
		p.Add("Kind", "Choose what you are recording")
	}
	if o.Corrects != "" {
		p.Check(o.CorrectionReason != "", "Reason", "Say why you are correcting this entry")
		s.checkText(&p, "Reason", o.CorrectionReason, maxLong)
	}
	return o, p.Err()
}

// Record writes an observation (or a correction of one) for a person.
// Recording is decided first, so even bad input is audited.
func (s *Service) Record(ctx context.Context, actor door.Actor, personID string, in ObsInput) (Observation, error) {
	var o Observation
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		o, err = s.RecordIn(sc, personID, in)
		return err
	})
	return o, err
}

// RecordIn is Record inside a scope that holds other work too (an import,
// all or nothing): decided and audited as Record is.
func (s *Service) RecordIn(sc *door.Scope, personID string, in ObsInput) (Observation, error) {
	a, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		ResourceType: "Observation", Detail: "observation: " + in.Kind, Correction: strings.TrimSpace(in.Corrects) != ""})
	if err != nil {
		return Observation{}, err
	}
	return s.recordObs(sc, a, personID, in)
}

// RecordMany records many observations for one person in one transaction
// and one audited decision (an import of a paper chart, or the demo's
// history). Each is checked as Record checks it; one refused entry refuses
// them all.
func (s *Service) RecordMany(ctx context.Context, actor door.Actor, personID string, ins []ObsInput) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", Detail: fmt.Sprintf("%d observations recorded together", len(ins))}); err != nil {
			return err
		}
		for i, in := range ins {
			if _, err := s.recordObs(sc, &door.Access{}, personID, in); err != nil {
				return fmt.Errorf("observation %d of %d: %w", i+1, len(ins), err)
			}
		}
		return nil
	})
}

func (s *Service) recordObs(sc *door.Scope, a *door.Access, personID string, in ObsInput) (Observation, error) {
	actor := sc.Actor()
	o, err := func() (Observation, error) {
		o, err := s.validateObs(in, sc.Now())
		if err != nil {
			return o, err
		}
		o.ID, o.PersonID, o.RecordedAt, o.RecordedBy, o.RecordedByName = hearth.NewID(), personID, sc.Now(), actor.ID, actor.Name
		a.ResourceID = o.ID
		if o.Corrects != "" {
			var kind string
			err := sc.QueryRow(`SELECT kind FROM observations WHERE id = ? AND person_id = ?`, o.Corrects, personID).Scan(&kind)
			if errors.Is(err, sql.ErrNoRows) || !hearth.ValidID(o.Corrects) {
				return o, hearth.Invalid("Entry", "The entry to correct was not found")
			} else if err != nil {
				return o, err
			}
			if kind != o.Kind {
				return o, hearth.Invalid("Entry", "A correction must be the same kind of entry as the one it corrects")
			}
			a.Detail = "observation corrected: " + o.CorrectionReason
		}
		v := o.Vitals
		vitals := o.Kind == VitalSign
		_, err = sc.Exec(`INSERT INTO observations (id, person_id, kind, taken_at, recorded_at, recorded_by,
			amount_ml, what, meal, portion, weight_g, height_mm, resp_rate, spo2, spo2_scale, on_oxygen, systolic, pulse,
			consciousness, temperature_dc, news2, place, injury, actions, note, corrects_id, correction_reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			o.ID, personID, o.Kind, o.TakenAt.UTC(), o.RecordedAt, actor.ID,
			nullIf(o.Kind == FluidIn || o.Kind == FluidOut, o.AmountML), o.What, o.Meal, o.Portion,
			nullIf(o.Kind == Weight, o.WeightG), nullIf(o.Kind == Height, o.HeightMM),
			nullIf(vitals, v.RespRate), nullIf(vitals, v.SpO2), nullIf(vitals, v.SpO2Scale), nullBool(vitals, v.OnOxygen),
			nullIf(vitals, v.Systolic), nullIf(vitals, v.Pulse), v.Consciousness, nullIf(vitals, v.TempDC),
			nullIf(vitals, o.NEWS2.Total), o.Place, o.Injury, o.Actions, o.Note, store.Null(o.Corrects), o.CorrectionReason)
		if store.IsUniqueViolation(err) {
			return o, hearth.Errorf(hearth.KindConflict, "Someone has already corrected this entry. Look at the latest version and correct that one if it is still wrong.")
		}
		return o, err
	}()
	return o, err
}

func nullIf(ok bool, v int) any {
	if !ok {
		return nil
	}
	return v
}

func nullBool(ok bool, v bool) any {
	if !ok {
		return nil
	}
	return v
}

// SetFluidTarget sets a person's daily fluid target in ml. It is part of
// their plan, so it needs WritePlan (a nurse, senior carer or manager).
func (s *Service) SetFluidTarget(ctx context.Context, actor door.Actor, personID, amount, note string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Goal", Detail: "daily fluid target"})
		if err != nil {
			return err
		}
		var p hearth.Problems
		ml, _ := parseWhole(&p, "Daily target", amount, " ml", 500, 4000, true)
		note = strings.TrimSpace(note)
		s.checkText(&p, "Note", note, maxLong)
		if err := p.Err(); err != nil {
			return err
		}
		a.ResourceID = hearth.NewID()
		a.Detail = fmt.Sprintf("daily fluid target %d ml", ml)
		_, err = sc.Exec(`INSERT INTO fluid_targets (id, person_id, target_ml, note, set_at, set_by) VALUES (?, ?, ?, ?, ?, ?)`,
			a.ResourceID, personID, ml, note, sc.Now(), actor.ID)
		return err
	})
}

const obsColumns = `o.id, o.person_id, o.kind, o.taken_at, o.recorded_at, o.recorded_by, u.display_name, o.amount_ml, o.what,
	o.meal, o.portion, o.weight_g, o.height_mm, o.resp_rate, o.spo2, o.spo2_scale, o.on_oxygen, o.systolic, o.pulse,
	o.consciousness, o.temperature_dc, o.place, o.injury, o.actions, o.note, COALESCE(o.corrects_id, ''), o.correction_reason`

// current limits a query to entries nobody has corrected.
const obsCurrent = ` AND NOT EXISTS (SELECT 1 FROM observations c WHERE c.corrects_id = o.id)`

func scanObs(row interface{ Scan(...any) error }) (Observation, error) {
	var o Observation
	var amount, weight, height, resp, spo2, scale, sys, pulse, temp sql.NullInt64
	var oxygen sql.NullBool
	err := row.Scan(&o.ID, &o.PersonID, &o.Kind, &o.TakenAt, &o.RecordedAt, &o.RecordedBy, &o.RecordedByName, &amount, &o.What,
		&o.Meal, &o.Portion, &weight, &height, &resp, &spo2, &scale, &oxygen, &sys, &pulse, &o.Vitals.Consciousness, &temp,
		&o.Place, &o.Injury, &o.Actions, &o.Note, &o.Corrects, &o.CorrectionReason)
	o.TakenAt, o.RecordedAt = o.TakenAt.UTC(), o.RecordedAt.UTC()
	o.AmountML, o.WeightG, o.HeightMM = int(amount.Int64), int(weight.Int64), int(height.Int64)
	o.Vitals.RespRate, o.Vitals.SpO2, o.Vitals.SpO2Scale = int(resp.Int64), int(spo2.Int64), int(scale.Int64)
	o.Vitals.OnOxygen, o.Vitals.Systolic, o.Vitals.Pulse, o.Vitals.TempDC = oxygen.Bool, int(sys.Int64), int(pulse.Int64), int(temp.Int64)
	if o.Kind == VitalSign {
		o.NEWS2 = ScoreNEWS2(o.Vitals)
	}
	return o, err
}

// listObs reads current (uncorrected) observations of the given kinds taken
// in [from, to), newest first, inside an allowed scope.
func listObs(sc *door.Scope, personID string, from, to time.Time, limit int, kinds ...string) ([]Observation, error) {
	list, _, err := pageObs(sc, personID, from, to, limit, 0, false, kinds...)
	return list, err
}

// pageObs is listObs from offset, with how many there are in all when
// counted is true: pages in a stable order (newest first, then by ID).
func pageObs(sc *door.Scope, personID string, from, to time.Time, limit, offset int, counted bool, kinds ...string) ([]Observation, int, error) {
	where := ` WHERE o.person_id = ? AND o.taken_at >= ? AND o.taken_at < ?` + obsCurrent + ` AND o.kind IN (`
	args := []any{personID, from.UTC(), to.UTC()}
	for i, k := range kinds {
		if i > 0 {
			where += ", "
		}
		where += "?"
		args = append(args, k)
	}
	where += `)`
	total := 0
	if counted {
		if err := sc.QueryRow(`SELECT COUNT(*) FROM observations o`+where, args...).Scan(&total); err != nil {
			return nil, 0, err
		}
	}
	q := `SELECT ` + obsColumns + ` FROM observations o JOIN users u ON u.id = o.recorded_by` + where + ` ORDER BY o.taken_at DESC, o.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", limit, max(offset, 0))
	}
	list, err := queryObs(sc, q, args...)
	return list, total, err
}

func queryObs(sc *door.Scope, q string, args ...any) ([]Observation, error) {
	rows, err := sc.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Observation
	for rows.Next() {
		o, err := scanObs(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// fluidTarget is the person's daily target in force at t (0: none set).
func fluidTarget(sc *door.Scope, personID string, t time.Time) (int, error) {
	var ml int
	err := sc.QueryRow(`SELECT target_ml FROM fluid_targets WHERE person_id = ? AND set_at <= ?
		ORDER BY set_at DESC, id DESC LIMIT 1`, personID, t.UTC()).Scan(&ml)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return ml, err
}

// fluidTotal is the current intake (or output) in [from, to).
func fluidTotal(sc *door.Scope, personID, kind string, from, to time.Time) (int, error) {
	var ml int
	err := sc.QueryRow(`SELECT COALESCE(SUM(o.amount_ml), 0) FROM observations o WHERE o.person_id = ? AND o.kind = ?
		AND o.taken_at >= ? AND o.taken_at < ?`+obsCurrent, personID, kind, from.UTC(), to.UTC()).Scan(&ml)
	return ml, err
}

// WeightTrend is the weight readings with the change over 30 days and BMI.
type WeightTrend struct {
	Readings     []Observation // newest first
	Latest       Observation
	Has          bool
	Change30G    int     // change since the earliest reading in the 30 days before the latest (grams)
	Change30Pct  float64 // the same, as a percentage (negative: loss)
	HasChange    bool
	Since        time.Time // the reading the change is measured from
	HeightMM     int
	BMI          float64
	LossOverFive bool
}

// ChangeKg is the 30-day change in kg with its sign.
func (w WeightTrend) ChangeKg() string {
	sign := "+"
	if w.Change30G < 0 {
		sign = "−"
	}
	return sign + kg(abs(w.Change30G))
}

// ChangePct is the 30-day change as a percentage with its sign.
func (w WeightTrend) ChangePct() string {
	sign := "+"
	if w.Change30Pct < 0 {
		sign = "−"
	}
	return sign + strconv.FormatFloat(math.Abs(w.Change30Pct), 'f', 1, 64) + "%"
}

// BMIText is the body mass index to one decimal place.
func (w WeightTrend) BMIText() string { return strconv.FormatFloat(w.BMI, 'f', 1, 64) }

// HeightCm is the height in cm.
func (w WeightTrend) HeightCm() string {
	return strconv.FormatFloat(float64(w.HeightMM)/10, 'f', -1, 64)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func weightTrend(sc *door.Scope, personID string, now time.Time) (WeightTrend, error) {
	var w WeightTrend
	all, err := listObs(sc, personID, time.Time{}, now.Add(time.Minute), 60, Weight)
	if err != nil || len(all) == 0 {
		return w, err
	}
	w.Readings, w.Latest, w.Has = all, all[0], true
	for _, r := range all[1:] {
		if r.TakenAt.Before(w.Latest.TakenAt.AddDate(0, 0, -30)) {
			break
		}
		w.Since, w.HasChange = r.TakenAt, true
		w.Change30G = w.Latest.WeightG - r.WeightG
		w.Change30Pct = float64(w.Change30G) * 100 / float64(r.WeightG)
	}
	w.LossOverFive = w.HasChange && w.Change30Pct < -5
	heights, err := listObs(sc, personID, time.Time{}, now.Add(time.Minute), 1, Height)
	if err != nil {
		return w, err
	}
	if len(heights) > 0 {
		w.HeightMM = heights[0].HeightMM
		m := float64(w.HeightMM) / 1000
		w.BMI = float64(w.Latest.WeightG) / 1000 / (m * m)
	}
	return w, nil
}

// ObsPage is a person's observations: today's fluids and food against the
// target, weights, the latest vital signs, falls, and the alerts.
type ObsPage struct {
	Person         people.Person
	Now            time.Time
	DayStart       time.Time
	TargetML       int
	IntakeML       int
	OutputML       int
	Fluids         []Observation // today, newest first
	FoodToday      []Observation
	Weights        WeightTrend
	Vitals         []Observation // a page of them, newest first
	Falls          []Observation // a page of them, newest first
	WeightReadings []Observation // a page of weights, newest first
	// How many there are in all, and where each page starts.
	VitalsTotal, FallsTotal, WeightsTotal    int
	VitalsOffset, FallsOffset, WeightsOffset int
	Alerts                                   []Alert
	CanSetTarget                             bool
	CanRecord                                bool
	CanCorrect                               bool                   // corrections stay allowed once care has ended
	Originals                                map[string]Observation // for each correction shown, the entry it corrected
	FluidsCheckAt                            time.Duration
}

// TargetPct is today's intake as a percentage of the target (for the bar).
func (p ObsPage) TargetPct() int {
	if p.TargetML == 0 {
		return 0
	}
	pct := p.IntakeML * 100 / p.TargetML
	if pct > 100 {
		pct = 100
	}
	return pct
}

// ObsPageSize is how many vital signs, falls or weights a page shows.
const ObsPageSize = 10

// ObsPaging says which page of each list of the observations page to show:
// where vital signs, falls and weights start.
type ObsPaging struct {
	Vitals, Falls, Weights int
}

// Observations reads a person's observations page, each list at its first
// page.
func (s *Service) Observations(ctx context.Context, actor door.Actor, personID string) (ObsPage, error) {
	return s.ObservationsPaged(ctx, actor, personID, ObsPaging{})
}

// ObservationsPaged reads a person's observations page with the pages of
// vital signs, falls and weights asked for.
func (s *Service) ObservationsPaged(ctx context.Context, actor door.Actor, personID string, paging ObsPaging) (ObsPage, error) {
	var pg ObsPage
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		pg = ObsPage{VitalsOffset: max(paging.Vitals, 0), FallsOffset: max(paging.Falls, 0), WeightsOffset: max(paging.Weights, 0)}
		purpose := people.Purpose(actor)
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: purpose, PersonID: personID,
			ResourceType: "Observation", Detail: "observations"}); err != nil {
			return err
		}
		var err error
		if pg.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		now := sc.Now()
		pg.Now, pg.DayStart, pg.FluidsCheckAt = now, ukDayStart(now), s.obsConfig().FluidsCheckAt
		dayEnd := pg.DayStart.Add(36 * time.Hour)
		if pg.TargetML, err = fluidTarget(sc, personID, now); err != nil {
			return err
		}
		if pg.IntakeML, err = fluidTotal(sc, personID, FluidIn, pg.DayStart, dayEnd); err != nil {
			return err
		}
		if pg.OutputML, err = fluidTotal(sc, personID, FluidOut, pg.DayStart, dayEnd); err != nil {
			return err
		}
		if pg.Fluids, err = listObs(sc, personID, pg.DayStart, dayEnd, 0, FluidIn, FluidOut); err != nil {
			return err
		}
		if pg.FoodToday, err = listObs(sc, personID, pg.DayStart, dayEnd, 0, Food); err != nil {
			return err
		}
		if pg.Weights, err = weightTrend(sc, personID, now); err != nil {
			return err
		}
		if pg.Vitals, pg.VitalsTotal, err = pageObs(sc, personID, time.Time{}, dayEnd, ObsPageSize, pg.VitalsOffset, true, VitalSign); err != nil {
			return err
		}
		if pg.Falls, pg.FallsTotal, err = pageObs(sc, personID, time.Time{}, dayEnd, ObsPageSize, pg.FallsOffset, true, Fall); err != nil {
			return err
		}
		if pg.WeightReadings, pg.WeightsTotal, err = pageObs(sc, personID, time.Time{}, dayEnd, ObsPageSize, pg.WeightsOffset, true, Weight); err != nil {
			return err
		}
		if pg.Alerts, err = s.alertsFor(sc, personID, now); err != nil {
			return err
		}
		perms := actor.Role.Info().Permissions
		pg.CanSetTarget = actor.Kind == access.KindStaff && perms.Has(access.WritePlan) && !pg.Person.Ended()
		pg.CanRecord = actor.Kind == access.KindStaff && perms.Has(access.WriteRecord) && !pg.Person.Ended()
		pg.CanCorrect = actor.Kind == access.KindStaff && perms.Has(access.WriteRecord)
		pg.Originals = map[string]Observation{}
		for _, list := range [][]Observation{pg.Fluids, pg.FoodToday, pg.Weights.Readings, pg.WeightReadings, pg.Vitals, pg.Falls} {
			for _, o := range list {
				if o.Corrects == "" {
					continue
				}
				orig, err := scanObs(sc.QueryRow(`SELECT `+obsColumns+` FROM observations o JOIN users u ON u.id = o.recorded_by
					WHERE o.id = ?`, o.Corrects))
				if err != nil {
					return err
				}
				pg.Originals[o.ID] = orig
			}
		}
		return nil
	})
	return pg, err
}

// Clock is the time of care, 24-hour UK time.
func (o Observation) Clock() string { return hhmm(o.TakenAt) }
