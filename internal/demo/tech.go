package demo

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/app"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// seedTech fills the technology register and a few people's technology use
// records, through the technology and consent services as the registered
// manager (Grace) and the nurse (Eilidh), so every write is audited:
//
//   - NightSound, acoustic monitoring at night (surveillance), approved for
//     Rowan House only, with every assessment and co-production recorded;
//   - Memory Lane, a video-call and reminiscence tablet, approved everywhere;
//   - SafeWalk, a GPS tracker on trial for the home care branch;
//   - BedSense, a bed sensor only proposed, with no DPIA: it cannot be used.
//
// Three people use NightSound, each with their own reasons and their own
// consent; one has Memory Lane. There is training (one member of staff's has
// expired), reviews, outcome measures, a concern and digital inclusion
// profiles.
func seedTech(ctx context.Context, a *app.App, actors map[string]door.Actor) error {
	now := a.Config.Clock()
	grace, eilidh := actors["grace"], actors["eilidh"]
	locs, err := a.People.Locations(ctx)
	if err != nil {
		return err
	}
	var home people.Location
	for _, l := range locs {
		if l.Kind == people.CareHome {
			home = l
		}
	}
	months := func(n int) time.Time { return now.AddDate(0, -n, 0) }
	pass := func(m int, ref string) tech.Assessment {
		return tech.Assessment{Date: months(m), Outcome: tech.OutcomePass, Reference: ref}
	}
	evidence := tech.Evidence{Summary: "Two small UK care-home evaluations; fewer night-time falls, no change in sleep", Quality: "moderate",
		Date: months(7), Reviewer: "Grace Okafor", Tier: "B"}
	register := []tech.Technology{
		{Name: "NightSound", Supplier: "Quiet Night Systems Ltd", Kind: tech.KindSafety, Surveillance: true, SurveillanceType: "acoustic",
			IntendedUse: "Alert night staff to sounds of distress or a fall in a bedroom, for named people who agree, instead of opening doors to check",
			Evidence:    evidence, DTAC: pass(6, "DTAC-2026-04"), DPIA: pass(6, "DPIA-017"), EHIA: pass(6, "EHIA-009"),
			Coproduction:      tech.Coproduction{Who: "Residents' forum and two family members with lived experience of night checks", Date: months(8)},
			ApprovedLocations: []string{home.ID}, PolicyReference: "POL-TECH-04 Night-time monitoring", PolicyReviewMonths: 12,
			TrainingModule: "NightSound operation", RefresherMonths: 12, Status: tech.StatusApproved,
			Contingency: "Return to agreed hourly or two-hourly checks, as each person's care plan says",
			Measures: []tech.Measure{{Key: "falls", Name: "Falls at night", Unit: "falls a month", Min: 0, Max: 60},
				{Key: "sleep", Name: "Hours of sleep", Unit: "hours", Min: 0, Max: 24},
				{Key: "experience", Name: "How the person feels about it", Unit: "1 to 5", Min: 1, Max: 5, Experience: true}}},
		{Name: "Memory Lane", Supplier: "Together Tablets CIC", Kind: tech.KindCommunication,
			IntendedUse: "Video calls with family and reminiscence photographs, used with a member of staff when the person wants",
			Evidence:    tech.Evidence{Summary: "User-reported benefit in loneliness scores", Quality: "low", Date: months(5), Reviewer: "Grace Okafor", Tier: "A"},
			DTAC:        pass(5, "DTAC-2026-05"), DPIA: pass(5, "DPIA-019"), EHIA: pass(5, "EHIA-011"),
			ApprovedServiceTypes: []string{people.CareHome, people.DomiciliaryBranch}, PolicyReference: "POL-TECH-06", PolicyReviewMonths: 24,
			TrainingModule: "Memory Lane basics", RefresherMonths: 24, Status: tech.StatusApproved,
			Contingency: "Phone calls on the house phone; printed photo albums",
			Measures:    []tech.Measure{{Key: "experience", Name: "How the person feels about it", Unit: "1 to 5", Min: 1, Max: 5, Experience: true}}},
		{Name: "SafeWalk", Supplier: "Wayfinder Ltd", Kind: tech.KindSafety, Surveillance: true, SurveillanceType: "gps-tracker",
			IntendedUse: "A pendant that shares location only when the wearer presses for help outside the home",
			Evidence:    evidence, DTAC: pass(3, "DTAC-2026-08"), DPIA: pass(3, "DPIA-021"), EHIA: pass(3, "EHIA-014"),
			Coproduction:         tech.Coproduction{Who: "Two people who draw on home care and an advocate", Date: months(4)},
			ApprovedServiceTypes: []string{people.DomiciliaryBranch}, PolicyReference: "POL-TECH-07", PolicyReviewMonths: 6,
			TrainingModule: "SafeWalk responding", RefresherMonths: 12, Status: tech.StatusTrial,
			EvaluationPlan: "Six-month trial with up to five people: alerts, response times and each person's experience, reviewed by the residents' forum",
			Contingency:    "Daily phone check-ins agreed with each person"},
		{Name: "BedSense", Supplier: "Sensa Care", Kind: tech.KindSafety, Surveillance: true, SurveillanceType: "bed-sensor",
			IntendedUse: "Proposed: alert staff when someone at high risk of falling gets out of bed at night",
			Status:      tech.StatusProposed},
	}
	ids := map[string]string{}
	for _, t := range register {
		saved, err := a.Tech.Save(ctx, grace, t, "Added to the register")
		if err != nil {
			return fmt.Errorf("demo: register %s: %w", t.Name, err)
		}
		ids[t.Name] = saved.ID
	}

	// Training: current for the Rowan House team, expired for Dan.
	for _, t := range []struct {
		user, module string
		completed    time.Time
	}{
		{"eilidh", "NightSound operation", months(2)}, {"kwame", "NightSound operation", months(3)},
		{"amy", "NightSound operation", months(4)}, {"fatima", "NightSound operation", months(1)},
		{"dan", "NightSound operation", months(14)}, {"eilidh", "Memory Lane basics", months(5)},
		{"lewis", "SafeWalk responding", months(2)}, {"tomasz", "SafeWalk responding", months(2)},
	} {
		if _, err := a.Tech.RecordTraining(ctx, grace, tech.NewTraining{UserID: actors[t.user].ID, Module: t.module,
			CompletedOn: t.completed.Format("2006-01-02")}); err != nil {
			return fmt.Errorf("demo: training for %s: %w", t.user, err)
		}
	}

	homePeople, err := a.People.Visible(ctx, grace)
	if err != nil {
		return err
	}
	// Each use is for one person, found by name (never by position in a
	// list, which once gave Mohammed Beryl's reason), with reasons, timing
	// and information of their own: no blanket use, and no person's copy
	// names another person of the demo.
	uses := []struct {
		given, tech, reason, whenHow, infoFormat string
	}{
		{"Harold", "NightSound", "Harry has fallen twice at night on his way to the bathroom and says he hates being woken by staff opening his door to check on him.",
			"Overnight from 10pm to 7am, switched on by night staff at the bedtime check.", "large print and spoken"},
		{"Beryl", "NightSound", "Beryl asked for it after a fall last winter. She wants help to come quickly without anyone listening in when all is well.",
			"Overnight from 10pm to 7am, switched on by night staff at the bedtime check.", "easy read and spoken"},
		{"Mohammed", "NightSound", "Mo's epilepsy means seizures at night can go unnoticed. His family and he chose sound alerts over a camera.",
			"Overnight from 9pm to 8am, switched on by night staff when Mo goes to bed.", "spoken, with his brother there"},
		{"Rajesh", "Memory Lane", "Rajesh's grandchildren live in Leicester and Vancouver. He wants to see them and share his photos of Kenya.",
			"When Rajesh asks, usually on Sunday afternoons, with a member of staff to set up the call.", "spoken and a printed guide"},
	}
	byGiven := map[string]people.Person{}
	for _, p := range homePeople {
		byGiven[p.GivenName] = p
	}
	for _, u := range uses {
		p, ok := byGiven[u.given]
		if !ok {
			return fmt.Errorf("demo: technology: %s is not at Grace's location", u.given)
		}
		techID := ids[u.tech]
		called := p.CalledName()
		_, err := a.Consent.Give(ctx, eilidh, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology, TechnologyID: techID,
			TechnologyName: u.tech, Decision: "permit", Scope: []string{consent.ScopeAll}, Starts: now.AddDate(0, 0, -30),
			ReviewOn:   now.AddDate(0, 6, 0),
			InfoGiven:  "Showed " + called + " the device, what it hears or shows, who gets the alerts, and that it can be switched off at any time",
			InfoFormat: "easy-read"})
		if err != nil {
			return fmt.Errorf("demo: consent to %s for %s: %w", u.tech, p.FullName(), err)
		}
		rec := tech.Record{
			Reason:            u.reason,
			WhenHow:           u.whenHow,
			InformationGiven:  "The leaflet was read together with " + called + ", and the family were told at the care plan review.",
			InformationFormat: u.infoFormat,
			DecisionProcess:   "Discussed at a care plan review with " + called + ", who gave consent.",
			DataUse:           "Alerts go only to the staff's handsets. Nothing is recorded except the time of each alert, which is used only for " + called + "'s care.",
			ReviewPlan:        "At the care plan review we will look at the alerts, any falls, sleep, and how " + called + " feels about it.",
			Withdrawal:        "Tell any member of staff, or use the portal. It is switched off the same day.",
			Rights:            "Privacy (Article 8) is engaged. Alerts without recording are less intrusive than checks through the door.",
			Alternatives:      "Hourly door checks (they disturb sleep), a bed sensor (not approved), a call bell (not reachable after a fall).",
		}
		if u.tech == "Memory Lane" {
			rec.DataUse = "Calls are not recorded. Photographs stay on the tablet in " + called + "'s own album and are used only for " + called + "'s enjoyment and care."
			rec.ReviewPlan = "At the care plan review we will ask " + called + " how often he uses it and how he feels about it."
			rec.Rights = "Family life (Article 8) is supported: it helps " + called + " keep in touch with his family."
			rec.Alternatives = "Phone calls on the house phone; printed photo albums."
		}
		if u.tech == "NightSound" {
			rec.SafetyAssessment = "Risk of an unwitnessed fall or seizure at night outweighs the intrusion of an alert-only sound monitor"
			rec.RelationalCare = "Staff still say goodnight and good morning in person. The device never replaces a visit when " + called + " calls."
		}
		use, err := a.Tech.CreateUse(ctx, eilidh, p.ID, tech.NewUse{TechnologyID: techID, RequestedFor: []string{p.ID}, Record: rec,
			NextReview: now.AddDate(0, 3, 0).Format("2006-01-02")})
		if err != nil {
			return fmt.Errorf("demo: %s for %s: %w", u.tech, p.FullName(), err)
		}
		if u.tech == "NightSound" {
			for w := 4; w >= 1; w-- {
				on := now.AddDate(0, 0, -7*w).Format("2006-01-02")
				for key, value := range map[string]string{"falls": fmt.Sprint(w % 2), "sleep": fmt.Sprint(6 + w%3), "experience": fmt.Sprint(3 + w%3)} {
					if err := a.Tech.RecordOutcome(ctx, eilidh, p.ID, use.ID, key, value, on); err != nil {
						return fmt.Errorf("demo: outcome for %s: %w", p.FullName(), err)
					}
				}
			}
		}
		if u.given == "Harold" {
			if _, err := a.Tech.RaiseConcern(ctx, actors["kwame"], p.ID, techID,
				"Harry said he worries the microphone is listening to his phone calls with his son. He was upset at bedtime."); err != nil {
				return fmt.Errorf("demo: concern: %w", err)
			}
		}
	}

	// Digital inclusion: enough to read a location summary before a rollout.
	for i, p := range homePeople {
		in := tech.Inclusion{Devices: []string{"none"}, Confidence: "none", Channels: []string{"in-person"}, Support: "Prefers to talk in person"}
		switch i % 4 {
		case 1:
			in = tech.Inclusion{Devices: []string{"smartphone"}, Confidence: "some", Channels: []string{"in-person", "phone", "text-message"}, Support: "Large text on the phone"}
		case 2:
			in = tech.Inclusion{Devices: []string{"tablet", "home-internet"}, Confidence: "confident", Channels: []string{"video-call", "email", "portal"}}
		}
		if err := a.Tech.RecordInclusion(ctx, eilidh, p.ID, in); err != nil {
			return fmt.Errorf("demo: digital inclusion for %s: %w", p.FullName(), err)
		}
	}
	return nil
}
