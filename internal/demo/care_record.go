package demo

// The care record half of the demo: About Me in people's own words, care
// plans with an earlier version, three weeks of daily notes (some late), a
// risk assessment each and a safety plan for some. Everything is written
// through the care service as the staff who would write it, so it is all in
// the audit log. Notes before today come in through ImportNotes (marked as
// from earlier records): the service refuses a point-of-care note whose
// care was more than 7 days ago, and the audit time is never faked.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"hearth/internal/app"
	"hearth/internal/care"
	"hearth/internal/door"
)

var demoMatters = []string{"My grandchildren visiting on Sundays", "Getting out into the garden every day, whatever the weather",
	"My chapel and singing in the choir", "Watching the rugby with a cup of tea", "Keeping my room tidy, the way I like it",
	"Phoning my sister in Cork on Fridays", "My cat, and the photos of her on my wall", "Cooking with my daughter when she visits"}

var demoWorries = []string{"Loud voices in the corridor at night", "Not knowing who is coming to help me", "Losing my glasses",
	"Being rushed in the bathroom", "Thinking I have missed a bill", "Hospital appointments"}

var demoNotes = map[string][]string{
	"personal-care":   {"Helped to shower; chose her own clothes", "Washed and dressed, shaved himself with prompting", "Declined a bath today, had a strip wash instead", "Hair washed and set, pleased with it"},
	"eating-drinking": {"Ate all of breakfast, two cups of tea", "Ate half of lunch, said the soup was too salty", "Good fluid intake, asked for squash", "Small supper, not very hungry"},
	"mood":            {"Cheerful, singing along to the radio", "A bit low this afternoon, talked about her husband", "Chatty and laughing with staff", "Quiet morning, brightened after a visit"},
	"activity":        {"Joined the quiz in the lounge", "Walked to the end of the garden with the frame", "Did the crossword together", "Helped to water the plants"},
	"health":          {"Said his knee ached; GP asked to call", "Skin checked, no redness", "Slept well, no falls overnight", "Coughing a little, observations normal"},
	"visitors":        {"Daughter visited for an hour, went well", "Friend from chapel came to visit", "Grandson video-called"},
}

var demoNoteKinds = []string{"personal-care", "eating-drinking", "mood", "activity", "health", "visitors"}

// seedCareRecord fills the care record for everyone, as the staff who would
// write it. It runs once, when Seed creates the provider.
func seedCareRecord(ctx context.Context, a *app.App, actors map[string]door.Actor) error {
	now := a.Config.Clock()
	rng := rand.New(rand.NewPCG(2026, 3))
	for loc, manager := range []door.Actor{actors["grace"], actors["tomasz"]} {
		list, err := a.People.Visible(ctx, manager)
		if err != nil {
			return err
		}
		for i, p := range list {
			if p.LocationName == "" || (loc == 0) != (p.LocationName == "Rowan House") {
				continue
			}
			var workers []door.Actor
			var planners []door.Actor
			if loc == 0 {
				ws := []string{"amy", "dan", "fatima"}
				for _, m := range careTeamOf(a, ctx, manager, p.ID) {
					if contains(ws, m) {
						workers = append(workers, actors[m])
					}
				}
				planners = []door.Actor{actors["kwame"], actors["eilidh"]}
			} else {
				for _, m := range careTeamOf(a, ctx, manager, p.ID) {
					workers = append(workers, actors[m])
				}
				planners = []door.Actor{manager, manager}
			}
			if len(workers) == 0 {
				continue
			}
			if err := seedPerson(ctx, a, rng, now, i, p.ID, p.CalledName(), workers, planners); err != nil {
				return fmt.Errorf("demo: care record for %s: %w", p.FullName(), err)
			}
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// careTeamOf is the usernames of the person's care team, read from the
// demo's own assignment rule (the same careTeam function Seed used).
func careTeamOf(a *app.App, ctx context.Context, manager door.Actor, personID string) []string {
	p, err := a.People.LoadPage(ctx, manager, personID, 1)
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range p.Team {
		for _, s := range staff {
			if s.name == m.Name {
				out = append(out, s.username)
			}
		}
	}
	return out
}

func seedPerson(ctx context.Context, a *app.App, rng *rand.Rand, now time.Time, i int, personID, called string,
	workers, planners []door.Actor) error {
	w := workers[0]
	about := []care.AboutMeDraft{
		{Section: "please-call-me", Body: "Please call me " + called + "."},
		{Section: "what-matters", Body: demoMatters[i%len(demoMatters)]},
		{Section: "worries", Body: demoWorries[i%len(demoWorries)] + ". Tell me what is happening and give me time."},
		{Section: "stay-well", Body: "A walk after lunch, plenty to drink, and someone to talk to in the evening."},
	}
	if i%3 == 0 {
		about = append(about, care.AboutMeDraft{Section: "communication", Body: "I hear better on my left side. Face me and don't rush.",
			Formats: []string{"large-print"}, Support: "Check my hearing aid is in and working"})
	}
	for _, d := range about {
		if _, err := a.Care.AddAboutMe(ctx, w, personID, d); err != nil {
			return err
		}
	}
	review := now.AddDate(0, 1, 0)
	if i%7 == 0 {
		review = now // due today; the demo clock moves on, so some fall overdue
	}
	plans := []care.PlanDraft{
		{Area: "personal-care", Outcome: "I want to do as much for myself as I can.", HowMet: "Morning help with washing my back and feet; I do the rest. Prompt, don't take over.",
			Preferences: "Shower, not bath. Female carers for personal care, please."},
		{Area: "eating-drinking", Outcome: "I want to enjoy my food and not feel hungry at night.", HowMet: "Offer drinks every two hours; a snack at 9pm. Soft diet as advised by SALT.",
			Preferences: "Tea with milk, no sugar. I don't like fish."},
		{Area: "mobility", Outcome: "I want to get to the garden on my own.", HowMet: "Walking frame always in reach. One carer to walk beside me on the stairs.",
			Preferences: "Let me set the pace."},
	}
	for k, d := range plans {
		d.Involved = care.Involvement{Kinds: []string{"person", "staff"}, Names: called + "; " + planners[0].Name}
		if k == 0 {
			d.Involved.Kinds = append(d.Involved.Kinds, "family")
		}
		d.Agreement, d.ReviewOn = "agreed", review
		v, err := a.Care.NewCarePlan(ctx, planners[0], personID, d)
		if err != nil {
			return err
		}
		if k < 2 {
			next := v.Draft()
			next.HowMet += " Reviewed with " + called + ": still right."
			next.Reason = "Monthly review"
			if k == 1 {
				next.Agreement, next.AgreementWords = "agreed-with-changes", "I'd like my supper earlier, about 8."
				next.Reason = called + " asked for an earlier supper"
			}
			if _, err := a.Care.ReviseCarePlan(ctx, planners[1], personID, v.PlanID, next); err != nil {
				return err
			}
		}
	}
	risk := care.RiskDraft{Title: "Falls when walking at night", CouldHappen: "A fall on the way to the toilet, with a broken hip",
		Likelihood: []string{"low", "medium", "high"}[i%3], Impact: "high", Reduces: "Night light on; frame by the bed; checks at 2am if " + called + " agrees",
		PersonsWords: "I don't want to be watched all night, but I don't want to fall either.",
		Involved:     care.Involvement{Kinds: []string{"person", "staff"}}, ReviewOn: now.AddDate(0, 2, 0)}
	if _, err := a.Care.SaveRisk(ctx, planners[0], personID, "", risk); err != nil {
		return err
	}
	if i%4 == 1 {
		if _, err := a.Care.SaveSafetyPlan(ctx, planners[0], personID, care.SafetyDraft{
			Triggers:     "Anniversaries, especially in November. Arguments on the phone with family.",
			WarningSigns: "Stops eating, stays in my room, says 'what's the point'.",
			WhatHelps:    "Sitting with me, not asking too many questions. Music. A walk outside.",
			Contacts:     "Daughter: on the contacts list. GP surgery in hours; NHS 111 (option 2 for mental health crisis) out of hours.",
			PersonsWords: "Don't leave me on my own when I'm like that.",
			Involved:     care.Involvement{Kinds: []string{"person", "family", "staff"}}, ReviewOn: now.AddDate(0, 1, 0)}); err != nil {
			return err
		}
	}
	// Three weeks of notes, a few a day, shared among the care workers.
	byWorker := make([][]care.HistoricNote, len(workers))
	for day := 21; day >= 1; day-- {
		for k, hour := range []int{8, 12, 17, 20} {
			if rng.IntN(5) == 0 && k > 0 {
				continue
			}
			kind := demoNoteKinds[rng.IntN(len(demoNoteKinds))]
			texts := demoNotes[kind]
			careAt := time.Date(now.Year(), now.Month(), now.Day(), hour, rng.IntN(60), 0, 0, time.UTC).AddDate(0, 0, -day)
			recorded := careAt.Add(time.Duration(5+rng.IntN(50)) * time.Minute)
			if rng.IntN(10) == 0 {
				recorded = careAt.Add(time.Duration(3+rng.IntN(5)) * time.Hour) // written up late
			}
			if recorded.After(now) {
				recorded = now
			}
			wi := (day + k) % len(workers)
			byWorker[wi] = append(byWorker[wi], care.HistoricNote{NoteDraft: care.NoteDraft{Category: kind, Body: texts[rng.IntN(len(texts))], CareAt: careAt},
				RecordedAt: recorded})
		}
	}
	for wi, notes := range byWorker {
		if len(notes) == 0 {
			continue
		}
		if err := a.Care.ImportNotes(ctx, workers[wi], personID, notes); err != nil {
			return err
		}
	}
	// And one from this morning's shift, written at the point of care.
	_, err := a.Care.RecordNote(ctx, w, personID, care.NoteDraft{Category: "eating-drinking", Body: "Breakfast: porridge and tea, ate it all",
		CareAt: now.Add(-30 * time.Minute)})
	return err
}
