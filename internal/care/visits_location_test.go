package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// visitTracker is an approved technology on the register as recording
// location at home-care visits, for home care branches and care homes.
func visitTracker(t *testing.T, s *apptest.Scenario, name string, visitLocation bool) tech.Technology {
	t.Helper()
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tr, err := s.Tech.Save(s.Ctx, s.Manager.Actor, tech.Technology{Name: name, Supplier: "Carefinder Ltd", Kind: tech.KindSafety,
		VisitLocation: visitLocation, IntendedUse: "Record where a care worker checks in, so a person living alone knows their visits happened",
		Evidence: tech.Evidence{Summary: "Service evaluation", Quality: "moderate", Date: d, Reviewer: "Dr Lee", Tier: "B"},
		DTAC:     tech.Assessment{Date: d, Outcome: tech.OutcomePass}, DPIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass, Reference: "DPIA-9"},
		EHIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass}, ApprovedServiceTypes: []string{people.DomiciliaryBranch, people.CareHome},
		Contingency: "Paper visit log signed by the person", Status: tech.StatusApproved}, "")
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return tr
}

// locationUse gives p's consent to the technology and records the use, as
// the manager.
func locationUse(t *testing.T, s *apptest.Scenario, p people.Person, tr tech.Technology) (consent.Consent, tech.Use) {
	t.Helper()
	c, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: tr.ID, TechnologyName: tr.Name, Decision: "permit", InfoGiven: "What is recorded at check-in and who sees it", InfoFormat: "standard"})
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	u, err := s.Tech.CreateUse(s.Ctx, s.Manager.Actor, p.ID, tech.NewUse{TechnologyID: tr.ID, NextReview: "2026-06-03", Record: tech.Record{
		Reason:            p.GivenName + " lives alone and asked to know for certain that each visit happened",
		WhenHow:           "The care worker's phone records where they are when they check in, only then",
		InformationGiven:  "What is recorded, when, and who sees it",
		InformationFormat: "Spoken, with a large-print leaflet",
		DecisionProcess:   p.GivenName + " decided herself",
		DataUse:           "Shown on the visit to staff and to " + p.GivenName + "; kept with the visit record",
		ReviewPlan:        "Ask " + p.GivenName + " whether she still wants it",
		Withdrawal:        "Tell any member of staff; recording stops at once",
		Rights:            "Privacy (Article 8): only the check-in moment, which she chose",
		SafetyAssessment:  "Only at check-in, never tracking",
		RelationalCare:    "The care worker tells her when they check in",
		Alternatives:      "A paper log (she cannot read it easily)",
	}})
	if err != nil {
		t.Fatalf("use: %v", err)
	}
	return c, u
}

func annVisit(t *testing.T, s *apptest.Scenario) care.Visit {
	t.Helper()
	now := s.Clock.Now()
	return schedule(t, s, s.Manager, s.Ann, now.Add(-10*time.Minute))
}

var here = care.GeoInput{Latitude: "51.501009", Longitude: "-0.141588", Accuracy: "12"}

func locationsStored(s *apptest.Scenario) int { return s.Count(`SELECT COUNT(*) FROM visit_locations`) }

func checkedIn(s *apptest.Scenario, id string) bool {
	return s.Count(`SELECT COUNT(*) FROM visits WHERE id = ? AND checked_in_at IS NOT NULL`, id) == 1
}

func TestACheckInRecordsALocationUnderALiveTechnologyUseAndShowsWhichUseAndBasisAllowedIt(t *testing.T) {
	s := apptest.NewScenario(t)
	tr := visitTracker(t, s, "VisitCheck", true)
	c, u := locationUse(t, s, s.Ann, tr)
	v := annVisit(t, s)
	pg, err := s.Care.Visits(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil || !pg.Location.Offered || pg.Location.TechnologyName != "VisitCheck" {
		t.Fatalf("the page does not offer location sharing under the use: %+v (%v)", pg.Location, err)
	}
	if err := s.Care.CheckInWith(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}, here); err != nil {
		t.Fatal(err)
	}
	pg, err = s.Care.Visits(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil || len(pg.Visits) != 1 || pg.Visits[0].Location == nil {
		t.Fatalf("the visit shows no location: %v", err)
	}
	l := pg.Visits[0].Location
	if l.Coordinates() != "51.50101, -0.14159" || l.AccuracyText() != "to within 12 metres" || l.UseID != u.ID || l.UseVersion != 1 ||
		l.TechnologyName != "VisitCheck" || l.BasisKind != "consent" || l.BasisID != c.ID || !strings.Contains(l.BasisText, "Consent given") {
		t.Errorf("location = %+v", l)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'operate-tech-use' AND outcome = 'success' AND person_id = ?
		AND resource_id = ? AND basis_id = ? AND detail LIKE 'location recorded at visit check-in under the use of VisitCheck%'`, s.Ann.ID, u.ID, c.ID); n != 1 {
		t.Errorf("the capture is audited as operating the use on its basis %d times, want 1", n)
	}
	// It is Ann's data: she sees it on her own visits, with what allowed it.
	_, code, err := s.Portal.Invite(s.Ctx, s.Manager.Actor, portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := s.Portal.Accept(s.Ctx, portal.Acceptance{Code: code, Username: "ann", Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	own, err := s.Care.Visits(s.Ctx, apptest.ActorOf(ann), s.Ann.ID)
	if err != nil || len(own.Visits) != 1 || own.Visits[0].Location == nil || own.Visits[0].Location.TechnologyName != "VisitCheck" {
		t.Fatalf("Ann does not see the location on her own visit: %v", err)
	}
	if own.Location.Offered || own.CanRecord {
		t.Error("Ann is offered check-in location sharing")
	}
}

func TestWithdrawingConsentStopsLocationCaptureAtOnce(t *testing.T) {
	s := apptest.NewScenario(t)
	tr := visitTracker(t, s, "VisitCheck", true)
	c, _ := locationUse(t, s, s.Ann, tr)
	v := annVisit(t, s)
	if _, err := s.Consent.Withdraw(s.Ctx, s.Manager.Actor, s.Ann.ID, c.ID, "Ann said she no longer wants it"); err != nil {
		t.Fatal(err)
	}
	err := s.Care.CheckInWith(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}, here)
	want := "No technology use with a lawful basis covers location at Ann's visits, so it was not recorded: the use of VisitCheck is stopped: consent was withdrawn"
	if got := obsProblem(err, "Location"); !strings.HasPrefix(got, want) {
		t.Fatalf("got %q (%v), want it to start %q", got, err, want)
	}
	if locationsStored(s) != 0 || checkedIn(s, v.ID) {
		t.Error("a refused check-in stored something")
	}
	pg, err := s.Care.Visits(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil || pg.Location.Offered {
		t.Errorf("the page still offers location sharing after the withdrawal (%v)", err)
	}
	if err := s.Care.CheckInWith(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}, care.GeoInput{}); err != nil || !checkedIn(s, v.ID) {
		t.Errorf("checking in without a location after the withdrawal: %v", err)
	}
}

func TestACheckInWithoutALocationTechnologyUseNeverStoresALocationEvenIfTheFormCarriesOne(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, s *apptest.Scenario)
		why   string
	}{
		{"no technology use at all", func(t *testing.T, s *apptest.Scenario) {}, ""},
		{"a use of a technology that does not record location at visits", func(t *testing.T, s *apptest.Scenario) {
			locationUse(t, s, s.Ann, visitTracker(t, s, "Door chime", false))
		}, ""},
		{"a location technology with consent but no use recorded", func(t *testing.T, s *apptest.Scenario) {
			tr := visitTracker(t, s, "VisitCheck", true)
			if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeTechnology,
				TechnologyID: tr.ID, TechnologyName: tr.Name, Decision: "permit", InfoGiven: "All of it", InfoFormat: "standard"}); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"a use whose review is overdue", func(t *testing.T, s *apptest.Scenario) {
			locationUse(t, s, s.Ann, visitTracker(t, s, "VisitCheck", true))
			s.Clock.Set(time.Date(2026, 6, 5, 9, 0, 0, 0, time.UTC))
		}, ": the use of VisitCheck was due for review on 3 June 2026 and has not been reviewed"},
		{"a location technology since withdrawn from the register", func(t *testing.T, s *apptest.Scenario) {
			tr := visitTracker(t, s, "VisitCheck", true)
			locationUse(t, s, s.Ann, tr)
			tr.Status = tech.StatusWithdrawn
			if _, err := s.Tech.Save(s.Ctx, s.Manager.Actor, tr, "Supplier stopped support"); err != nil {
				t.Fatal(err)
			}
		}, ": VisitCheck has been withdrawn and cannot be used"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := apptest.NewScenario(t)
			c.setup(t, s)
			v := annVisit(t, s)
			pg, err := s.Care.Visits(s.Ctx, s.Carer.Actor, s.Ann.ID)
			if err != nil || pg.Location.Offered {
				t.Fatalf("the page offers location sharing (%v)", err)
			}
			err = s.Care.CheckInWith(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}, here)
			want := "No technology use with a lawful basis covers location at Ann's visits, so it was not recorded" + c.why + ". Check in without sharing your location."
			if got := obsProblem(err, "Location"); got != want {
				t.Errorf("got %q (%v), want %q", got, err, want)
			}
			if locationsStored(s) != 0 || checkedIn(s, v.ID) {
				t.Fatal("a refused check-in stored something")
			}
			if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'write-record' AND detail = 'visit check-in' AND person_id = ?`, s.Ann.ID); n != 1 {
				t.Errorf("the refused check-in is audited %d times, want 1", n)
			}
			if err := s.Care.CheckIn(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}); err != nil || !checkedIn(s, v.ID) || locationsStored(s) != 0 {
				t.Errorf("a check-in without a location: %v", err)
			}
		})
	}
}

func TestALocationOutOfRangeIsRefusedAndNothingIsStored(t *testing.T) {
	s := apptest.NewScenario(t)
	locationUse(t, s, s.Ann, visitTracker(t, s, "VisitCheck", true))
	v := annVisit(t, s)
	cases := []struct {
		name string
		geo  care.GeoInput
		want string
	}{
		{"a latitude beyond the pole", care.GeoInput{Latitude: "91", Longitude: "0"}, "The latitude must be between -90 and 90 degrees"},
		{"a longitude beyond the date line", care.GeoInput{Latitude: "51", Longitude: "-181"}, "The longitude must be between -180 and 180 degrees"},
		{"words for a latitude", care.GeoInput{Latitude: "north", Longitude: "0"}, "The location must have a latitude and a longitude in decimal degrees"},
		{"an accuracy but no coordinates", care.GeoInput{Accuracy: "10"}, "The location must have a latitude and a longitude in decimal degrees"},
		{"a negative accuracy", care.GeoInput{Latitude: "51", Longitude: "0", Accuracy: "-1"}, "The accuracy must be a distance in metres from 0 to 10,000"},
	}
	for _, c := range cases {
		err := s.Care.CheckInWith(s.Ctx, s.Carer.Actor, s.Ann.ID, v.ID, time.Time{}, c.geo)
		if got := obsProblem(err, "Location"); got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, err, c.want)
		}
	}
	if locationsStored(s) != 0 || checkedIn(s, v.ID) {
		t.Error("a refused location stored something")
	}
}

func TestARegisterEntryThatRecordsVisitLocationMustBeSafetyOrMonitoring(t *testing.T) {
	s := apptest.NewScenario(t)
	tr := visitTracker(t, s, "VisitCheck", true)
	tr.Kind = tech.KindDirectCare
	_, err := s.Tech.Save(s.Ctx, s.Manager.Actor, tr, "Reclassify")
	if got, want := obsProblem(err, "Visit location"), "A technology that records location at visits is monitoring: choose safety or monitoring as its kind"; got != want {
		t.Errorf("got %q (%v), want %q", got, err, want)
	}
	e, err := s.Tech.Get(s.Ctx, s.Manager.Actor, tr.ID)
	if err != nil || len(e.History) != 1 || !e.History[0].VisitLocation {
		t.Errorf("the register entry's versions: %v", err)
	}
}
