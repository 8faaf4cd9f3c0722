package demo

import (
	"context"
	"fmt"
	"time"

	"hearth/internal/app"
	"hearth/internal/consent"
	"hearth/internal/door"
)

// seedConsent records consent decisions for most people, through the
// consent service as the nurse (Eilidh) and the registered managers, so
// every write is audited: care and support, sharing with the GP, photographs
// (some say no), email for a few; Margaret lacks capacity for care and
// support and her daughter holds a verified LPA for health and welfare;
// Harold's son holds an LPA for property and finance (which cannot consent to
// care); Dafydd has a best-interests decision about photographs; Aoife's
// capacity to decide about sharing fluctuates.
func seedConsent(ctx context.Context, a *app.App, actors map[string]door.Actor) error {
	now := a.Config.Clock()
	day := 24 * time.Hour
	formats := []string{"standard", "easy-read", "large-print", "standard", "language-interpreter"}
	for loc, mgr := range []string{"grace", "tomasz"} {
		manager := actors[mgr]
		recorder := actors["eilidh"]
		if loc == 1 {
			recorder = manager
		}
		list, err := a.People.Visible(ctx, manager)
		if err != nil {
			return err
		}
		for i, p := range list {
			if story, ok := stories[p.GivenName]; ok {
				if err := seedConsentStory(ctx, a, actors, story, p.ID, p.CalledName(), now); err != nil {
					return fmt.Errorf("demo: consent for %s: %w", p.FullName(), err)
				}
				if story != 2 {
					continue
				}
			}
			if i%7 == 6 {
				continue // no decisions recorded yet: "no decision recorded"
			}
			format := formats[i%len(formats)]
			detail := ""
			if format == "language-interpreter" {
				detail = "Polish"
			}
			given := now.Add(-time.Duration(20+i) * day)
			give := func(n consent.NewConsent) error {
				n.PersonID, n.InfoFormat, n.InfoFormatDetail = p.ID, format, detail
				if n.Starts.IsZero() {
					n.Starts = given
				}
				if n.ReviewOn.IsZero() {
					n.ReviewOn = given.AddDate(1, 0, 0).Truncate(day)
				}
				_, err := a.Consent.Give(ctx, recorder, n)
				return err
			}
			steps := []consent.NewConsent{
				{Purpose: consent.PurposeCareDelivery, Decision: "permit", Scope: []string{consent.ScopeAll},
					InfoGiven: "Went through the care plan together and explained who would see the care record"},
				{Purpose: consent.PurposePhotographs, Decision: map[bool]string{true: "deny", false: "permit"}[i%4 == 1],
					InfoGiven: "Explained that photographs help staff recognise " + p.CalledName() + " and their belongings"},
			}
			if i%5 != 3 {
				steps = append(steps, consent.NewConsent{Purpose: consent.PurposeSharing, Recipient: "GP surgery", Decision: "permit",
					Scope: []string{consent.ScopeCareRecord, consent.ScopeMedicines}, Recipients: "The GP and practice nurses",
					InfoGiven: "Explained what would be shared with the GP surgery and how to say no later"})
			}
			if i%6 == 0 {
				steps = append(steps, consent.NewConsent{Purpose: consent.PurposeDigitalCommunication, Channel: "email", Decision: "permit",
					InfoGiven: "Agreed which messages would come by email"})
			}
			for _, n := range steps {
				if err := give(n); err != nil {
					return fmt.Errorf("demo: consent for %s: %w", p.FullName(), err)
				}
			}
		}
	}
	return nil
}

// stories are the people whose capacity story is told in the demo.
var stories = map[string]int{"Margaret": 0, "Dafydd": 1, "Aoife": 2, "Harold": 3}

// seedConsentStory records the first few people's capacity stories.
func seedConsentStory(ctx context.Context, a *app.App, actors map[string]door.Actor, i int, personID, called string, now time.Time) error {
	day := 24 * time.Hour
	nurse, manager := actors["eilidh"], actors["grace"]
	assess := func(decision string, lacks, fluctuating bool, evidence string) error {
		_, err := a.Consent.RecordAssessment(ctx, nurse, consent.NewAssessment{PersonID: personID, Decision: decision,
			AssessedAt: now.Add(-30 * day), Assessor: "Eilidh MacLeod, nurse", Impairment: lacks || fluctuating,
			Understand: !lacks, Retain: !lacks, UseWeigh: !lacks, Communicate: true, Evidence: evidence,
			Fluctuating: fluctuating, NextReview: now.Add(28 * day).Truncate(day)})
		return err
	}
	switch i {
	case 0:
		if err := assess(consent.DecisionCareAndSupport, true, false,
			called+" has dementia. Over two conversations she could not retain what the care plan involved for more than a few minutes, or weigh the options."); err != nil {
			return err
		}
		rep, err := a.Consent.RecordRepresentative(ctx, manager, consent.NewRepresentative{PersonID: personID, Name: "Susan Thompson",
			Relationship: "daughter", Authority: consent.AuthorityLPAHealthWelfare, Contact: "07700 900123",
			EvidenceReference: "OPG 7000-4521-8832", VerifiedBy: "Grace Okafor, registered manager", VerifiedOn: now.Add(-29 * day).Truncate(day),
			StartsOn: now.Add(-400 * day).Truncate(day)})
		if err != nil {
			return err
		}
		_, err = a.Consent.Give(ctx, nurse, consent.NewConsent{PersonID: personID, Purpose: consent.PurposeCareDelivery, Decision: "permit",
			Scope: []string{consent.ScopeAll}, RepresentativeID: rep.ID, Starts: now.Add(-28 * day),
			InfoGiven: "Went through the care plan with Susan and with " + called + ", using pictures", InfoFormat: "easy-read",
			ReviewOn: now.Add(180 * day).Truncate(day)})
		return err
	case 1:
		if err := assess(consent.DecisionPhotographs, true, false,
			called+" could not understand that photographs would be kept in his record, even with pictures."); err != nil {
			return err
		}
		_, err := a.Consent.RecordBestInterests(ctx, manager, consent.NewBestInterests{PersonID: personID, Decision: consent.DecisionPhotographs,
			Consulted: "Rhodri ap Rhys (son): happy for photographs to help staff, not for anything public",
			Wishes:    called + " has always enjoyed family photographs and showing visitors pictures of his farm",
			Options:   "No photographs; photographs of belongings only; photographs for the care record only (chosen); photographs for displays",
			Outcome:   "Photographs for the care record only", Reasons: "Helps staff recognise " + called + " and his belongings; least restrictive option that meets that need",
			DecisionMaker: "Grace Okafor, registered manager", ReviewOn: now.Add(90 * day).Truncate(day)})
		return err
	case 2:
		return assess(consent.DecisionSharingInformation, false, true,
			called+"'s understanding varies with her infections. Today she explained back who would see her information and why.")
	case 3:
		_, err := a.Consent.RecordRepresentative(ctx, manager, consent.NewRepresentative{PersonID: personID, Name: "Paul Bennett",
			Relationship: "son", Authority: consent.AuthorityLPAPropertyFinance, EvidenceReference: "OPG 7000-1187-2290",
			VerifiedBy: "Grace Okafor, registered manager", VerifiedOn: now.Add(-60 * day).Truncate(day), StartsOn: now.Add(-700 * day).Truncate(day)})
		if err != nil {
			return err
		}
		_, err = a.Consent.Give(ctx, nurse, consent.NewConsent{PersonID: personID, Purpose: consent.PurposeCareDelivery, Decision: "permit",
			Scope: []string{consent.ScopeAll}, Starts: now.Add(-40 * day), InfoGiven: "Talked through the care plan with " + called,
			InfoFormat: "large-print", ReviewOn: now.Add(320 * day).Truncate(day)})
		return err
	}
	return nil
}
