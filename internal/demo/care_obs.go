package demo

// Observations, medicines and visits for the demo: three weeks of drinks
// and meals, weekly weights (two people losing weight), vital signs for
// some (one with a NEWS2 of 5 today), two falls, medicines lists with
// rounds given for three weeks and today's rounds part done, and two weeks
// of home-care visits with one missed and one late today. History is
// written in batches, one audited transaction per person and staff member,
// as the staff who would have recorded it; the times of care are in the
// past, the audit times are real.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"hearth/internal/app"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

var obsLondon = mustLondon()

func mustLondon() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}

// obsAt is hh:mm UK time on the UK day daysAgo days before now.
func obsAt(now time.Time, daysAgo, hh, mm int) time.Time {
	l := now.In(obsLondon).AddDate(0, 0, -daysAgo)
	return time.Date(l.Year(), l.Month(), l.Day(), hh, mm, 0, 0, obsLondon).UTC()
}

type obsMed struct {
	name, strength, dose, times string
}

var obsScheduled = []obsMed{
	{"Amlodipine", "5 mg", "1 tablet", "08:00"},
	{"Metformin", "500 mg", "1 tablet with food", "08:00, 18:00"},
	{"Atorvastatin", "20 mg", "1 tablet", "22:00"},
	{"Lansoprazole", "15 mg", "1 capsule before breakfast", "07:30"},
	{"Sertraline", "50 mg", "1 tablet", "08:00"},
	{"Donepezil", "10 mg", "1 tablet", "22:00"},
	{"Adcal-D3", "750 mg/200 unit", "1 chewable tablet", "08:00, 13:00"},
	{"Furosemide", "40 mg", "1 tablet", "08:00"},
	{"Senna", "7.5 mg", "2 tablets", "22:00"},
}

// seedCareObs writes the observations, medicines and visits history.
func seedCareObs(ctx context.Context, a *app.App, actors map[string]door.Actor) error {
	now := a.Config.Clock()
	rng := rand.New(rand.NewPCG(2026, 150))
	index := map[string]int{}
	for i := range givenNames {
		index[givenNames[i]+" "+familyNames[i]] = i
	}
	for loc, manager := range []door.Actor{actors["grace"], actors["tomasz"]} {
		list, err := a.People.Visible(ctx, manager)
		if err != nil {
			return err
		}
		n := 0
		for _, p := range list {
			i, ok := index[p.FullName()]
			if !ok || (i >= 24) != (loc == 1) {
				continue
			}
			team := careTeam(i, loc)
			if loc == 0 {
				err = obsSeedCareHome(ctx, a, rng, now, n, p, actors[team[0]], actors[team[1]], actors)
			} else {
				err = obsSeedHomeCare(ctx, a, rng, now, n, p, manager, actors["lewis"])
			}
			if err != nil {
				return fmt.Errorf("demo: observations for %s: %w", p.FullName(), err)
			}
			n++
		}
	}
	return nil
}

func obsSeedCareHome(ctx context.Context, a *app.App, rng *rand.Rand, now time.Time, n int, p people.Person, w1, w2 door.Actor, actors map[string]door.Actor) error {
	nurse, senior := actors["eilidh"], actors["kwame"]
	target := 1400 + 100*(n%3)
	if err := a.Care.SetFluidTarget(ctx, nurse, p.ID, strconv.Itoa(target), "Agreed with the GP at the last review"); err != nil {
		return err
	}
	drinks := []struct {
		hh, mm int
		what   string
	}{{7, 45, "Tea"}, {10, 30, "Coffee"}, {12, 30, "Water"}, {15, 0, "Tea"}, {17, 30, "Squash"}, {19, 45, "Hot chocolate"}, {21, 0, "Water"}}
	meals := []struct {
		hh, mm int
		meal   string
	}{{8, 30, "breakfast"}, {12, 45, "lunch"}, {17, 15, "tea"}}
	portions := []string{"all", "all", "all", "three_quarters", "three_quarters", "half", "quarter", "refused"}
	lowToday := n%6 == 1
	byWorker := map[int][]care.ObsInput{}
	for d := 20; d >= 0; d-- {
		for k, dr := range drinks {
			at := obsAt(now, d, dr.hh, dr.mm)
			if !at.Before(now) || (lowToday && d == 0 && k > 0) {
				continue
			}
			ml := 200 + 50*rng.IntN(3)
			byWorker[d%2] = append(byWorker[d%2], care.ObsInput{Kind: care.FluidIn, Amount: strconv.Itoa(ml), What: dr.what, At: at})
		}
		for _, m := range meals {
			at := obsAt(now, d, m.hh, m.mm)
			if !at.Before(now) {
				continue
			}
			byWorker[d%2] = append(byWorker[d%2], care.ObsInput{Kind: care.Food, Meal: m.meal, Portion: portions[rng.IntN(len(portions))], At: at})
		}
		if d%3 == 0 {
			if at := obsAt(now, d, 14, 10); at.Before(now) {
				byWorker[d%2] = append(byWorker[d%2], care.ObsInput{Kind: care.FluidOut, Amount: strconv.Itoa(200 + 50*rng.IntN(4)), What: "Urine", At: at})
			}
		}
	}
	if n == 1 || n == 6 {
		days := 10
		if n == 6 {
			days = 3
		}
		byWorker[0] = append(byWorker[0], care.ObsInput{Kind: care.Fall, At: obsAt(now, days, 6, 20), Place: "Bedroom, beside the bed",
			Injury: "Small bruise on the left hip; no pain on moving", Note: "Found sitting on the floor; said they got up to find the toilet in the dark",
			Actions: "Checked for injury, helped up with the hoist, GP informed, sensor light fitted"})
	}
	for k, worker := range []door.Actor{w1, w2} {
		if err := a.Care.RecordMany(ctx, worker, p.ID, byWorker[k]); err != nil {
			return err
		}
	}
	// Weights weekly and a height, recorded by the senior carer; two people
	// are losing weight, enough to raise the alert.
	base := 55.0 + float64(rng.IntN(30))
	loss := 0.002
	if n == 2 || n == 5 {
		loss = 0.017
	}
	var senior1 []care.ObsInput
	senior1 = append(senior1, care.ObsInput{Kind: care.Height, Height: strconv.Itoa(150 + rng.IntN(30)), At: obsAt(now, 28, 11, 0)})
	for wk := 4; wk >= 0; wk-- {
		kg := base * (1 - loss*float64(4-wk))
		at := obsAt(now, wk*7, 9, 15)
		if !at.Before(now) {
			at = now.Add(-time.Minute)
		}
		senior1 = append(senior1, care.ObsInput{Kind: care.Weight, Weight: strconv.FormatFloat(kg, 'f', 1, 64), At: at})
	}
	if err := a.Care.RecordMany(ctx, senior, p.ID, senior1); err != nil {
		return err
	}
	// Vital signs weekly for some; one person's NEWS2 is 5 this morning.
	if n%4 == 0 || n == 3 {
		var vs []care.ObsInput
		for wk := 3; wk >= 1; wk-- {
			vs = append(vs, care.ObsInput{Kind: care.VitalSign, RespRate: "16", SpO2: "96", SpO2Scale: "1", Oxygen: "air", Systolic: strconv.Itoa(118 + rng.IntN(20)),
				Pulse: strconv.Itoa(64 + rng.IntN(20)), Consciousness: care.ACVPUAlert, Temperature: "36.8", At: obsAt(now, wk*7, 10, 0)})
		}
		if n == 3 {
			vs = append(vs, care.ObsInput{Kind: care.VitalSign, RespRate: "22", SpO2: "94", SpO2Scale: "1", Oxygen: "air", Systolic: "124",
				Pulse: "104", Consciousness: care.ACVPUAlert, Temperature: "38.4", At: now.Add(-40 * time.Minute),
				Note: "Chesty cough since last night; GP called"})
		}
		if err := a.Care.RecordMany(ctx, nurse, p.ID, vs); err != nil {
			return err
		}
	}
	return obsSeedMedicines(ctx, a, rng, now, n, p, w1, w2, nurse)
}

func obsSeedMedicines(ctx context.Context, a *app.App, rng *rand.Rand, now time.Time, n int, p people.Person, w1, w2, nurse door.Actor) error {
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -35)
	para, err := a.Care.AddMedicine(ctx, nurse, p.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets (1 g)",
		Route: "oral", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: start, Prescriber: "Dr Rhiannon Evans", Source: "gp",
		Instructions: "For pain or a temperature"})
	if err != nil {
		return err
	}
	var meds []care.Medicine
	count := 1 + rng.IntN(4)
	if n == 0 {
		count = min(count, 3) // the first person also has Oramorph below: at most five medicines each
	}
	for _, k := range rng.Perm(len(obsScheduled))[:count] {
		m := obsScheduled[k]
		source := "gp"
		if k%4 == 3 {
			source = "hospital_discharge"
		}
		med, err := a.Care.AddMedicine(ctx, nurse, p.ID, care.MedicineInput{Name: m.name, Strength: m.strength, Dose: m.dose, Route: "oral",
			Times: m.times, StartDate: start, Prescriber: "Dr Rhiannon Evans", Source: source})
		if err != nil {
			return err
		}
		meds = append(meds, med)
	}
	var oramorph care.Medicine
	if n == 0 {
		if oramorph, err = a.Care.AddMedicine(ctx, nurse, p.ID, care.MedicineInput{Name: "Oramorph", Strength: "10 mg/5 ml oral solution",
			Dose: "2.5 ml (5 mg)", Route: "oral", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: start, Prescriber: "Dr Rhiannon Evans",
			Source: "hospital_discharge", Controlled: true, Instructions: "For breakthrough pain"}); err != nil {
			return err
		}
	}
	skipMorning := n%5 == 2 // today's morning round not done for this person: it shows late or missed
	byWorker := map[int][]care.DoseInput{}
	witnessed := map[int][]care.DoseInput{}
	for d := 20; d >= 0; d-- {
		for _, m := range meds {
			for _, t := range m.Times {
				hh, _ := strconv.Atoi(t[:2])
				mm, _ := strconv.Atoi(t[3:])
				slot := obsAt(now, d, hh, mm)
				if d == 0 && (slot.After(now.Add(-90*time.Minute)) || (skipMorning && hh < 11)) {
					continue
				}
				in := care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, Outcome: care.Given, At: slot.Add(time.Duration(rng.IntN(40)) * time.Minute)}
				switch r := rng.IntN(50); {
				case r == 0:
					in.Outcome, in.ReasonCode, in.Note = care.Refused, "declined", "Said they would take it later; offered again, still declined"
				case r == 1:
					in.Outcome, in.ReasonCode = care.Omitted, "asleep"
				}
				if in.At.After(now) {
					in.At = now
				}
				byWorker[d%2] = append(byWorker[d%2], in)
			}
		}
		if (d+n)%4 == 0 {
			for _, hh := range []int{10, 16} {
				if at := obsAt(now, d, hh, 5); at.Before(now) {
					byWorker[d%2] = append(byWorker[d%2], care.DoseInput{MedicineID: para.ID, Outcome: care.Given, At: at, Note: "Knee pain"})
				}
			}
		}
		if oramorph.ID != "" && d%3 == 1 {
			witnessed[d%2] = append(witnessed[d%2], care.DoseInput{MedicineID: oramorph.ID, Outcome: care.Given, At: obsAt(now, d, 21, 0),
				WitnessID: nurse.ID, WitnessPassword: Password, Note: "Back pain at bedtime"})
		}
	}
	for k, worker := range []door.Actor{w1, w2} {
		doses := append(byWorker[k], witnessed[k]...)
		sort.SliceStable(doses, func(i, j int) bool { return doses[i].At.Before(doses[j].At) })
		if err := a.Care.RecordDoses(ctx, worker, p.ID, doses); err != nil {
			return err
		}
	}
	return nil
}

func obsSeedHomeCare(ctx context.Context, a *app.App, rng *rand.Rand, now time.Time, n int, p people.Person, coordinator, lewis door.Actor) error {
	tasksAM := "Help to wash and dress\nBreakfast and a hot drink\nPrompt morning medicines"
	tasksPM := "Prepare tea\nEvening medicines prompt\nCheck the house is warm and locked"
	var plans []care.VisitInput
	type happened struct {
		in, out time.Time
		done    bool
		reason  string
	}
	var what []happened
	for d := 14; d >= 1; d-- {
		for _, v := range []struct {
			hh    int
			tasks string
		}{{8, tasksAM}, {17, tasksPM}} {
			start := obsAt(now, d, v.hh, 0)
			plans = append(plans, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30", Tasks: v.tasks, AssignedTo: lewis.ID})
			in := start.Add(time.Duration(rng.IntN(20)) * time.Minute)
			h := happened{in: in, out: in.Add(time.Duration(30+rng.IntN(15)) * time.Minute), done: rng.IntN(12) > 0, reason: "Declined: said they could manage"}
			what = append(what, h)
		}
	}
	// Today, relative to now: one missed and one late for the first two
	// people, a done visit earlier and one to come for everyone.
	earlier := now.Add(-4 * time.Hour).Truncate(15 * time.Minute)
	plans = append(plans, care.VisitInput{Start: earlier, End: earlier.Add(time.Hour), PlannedMinutes: "30", Tasks: tasksAM, AssignedTo: lewis.ID})
	what = append(what, happened{in: earlier.Add(5 * time.Minute), out: earlier.Add(40 * time.Minute), done: true})
	switch n {
	case 0: // missed: the window ended over half an hour ago and no one came
		start := now.Add(-150 * time.Minute).Truncate(15 * time.Minute)
		plans = append(plans, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30", Tasks: "Lunch\nPrompt medicines", AssignedTo: lewis.ID})
		what = append(what, happened{})
	case 1: // late: checked in 25 minutes into the window
		start := now.Add(-50 * time.Minute).Truncate(5 * time.Minute)
		plans = append(plans, care.VisitInput{Start: start, End: start.Add(time.Hour), PlannedMinutes: "30", Tasks: "Lunch\nPrompt medicines", AssignedTo: lewis.ID})
		what = append(what, happened{in: start.Add(25 * time.Minute)})
	}
	later := now.Add(90 * time.Minute).Truncate(15 * time.Minute)
	plans = append(plans, care.VisitInput{Start: later, End: later.Add(time.Hour), PlannedMinutes: "45", Tasks: tasksPM, AssignedTo: lewis.ID})
	visits, err := a.Care.ScheduleVisits(ctx, coordinator, p.ID, plans)
	if err != nil {
		return err
	}
	var outcomes []care.VisitOutcome
	var obs []care.ObsInput
	for i, h := range what {
		if h.in.IsZero() {
			continue
		}
		outcomes = append(outcomes, care.VisitOutcome{VisitID: visits[i].ID, In: h.in, Out: h.out, Done: h.done, Reason: h.reason})
		obs = append(obs, care.ObsInput{Kind: care.FluidIn, Amount: strconv.Itoa(200 + 50*rng.IntN(3)), What: "Tea", At: h.in.Add(10 * time.Minute)})
	}
	if err := a.Care.CompleteVisits(ctx, lewis, p.ID, outcomes); err != nil {
		return err
	}
	return a.Care.RecordMany(ctx, lewis, p.ID, obs)
}
