package governance_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/governance"
	"hearth/internal/people"
	"hearth/internal/tech"
)

func TestAPolicyFallsOverdueAfterItsReviewDateAndAReviewSetsTheNext(t *testing.T) {
	in := newInspection(t)
	_, err := in.Governance.AddPolicy(in.Ctx, in.IG.Actor, governance.NewPolicy{Title: "Night monitoring", Version: "1.0", Owner: "Registered manager",
		ReviewMonths: 12, TechnologyIDs: []string{hearth.NewID()}})
	mustInvalid(t, err, "Technologies", "Choose technologies from the register")
	_, err = in.Governance.AddPolicy(in.Ctx, in.IG.Actor, governance.NewPolicy{Title: "Night monitoring", Version: "1.0", Owner: "Registered manager"})
	mustInvalid(t, err, "Review every", "from 1 to 60 months")
	if n := in.Count(`SELECT COUNT(*) FROM policies`); n != 0 {
		t.Fatalf("refused policies stored %d rows", n)
	}
	p, err := in.Governance.AddPolicy(in.Ctx, in.IG.Actor, governance.NewPolicy{Title: "Night monitoring", Version: "1.0", Owner: "Registered manager",
		ReviewMonths: 6})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 9, 3, 0, 0, 0, 0, time.UTC); !p.NextReview.Equal(want) {
		t.Errorf("next review %v, want %v", p.NextReview, want)
	}
	if n, _, err := in.Governance.OverduePolicies(in.Ctx, in.Manager.Actor); err != nil || n != 0 {
		t.Fatalf("overdue before the date: %d %v", n, err)
	}
	in.Clock.Advance(185 * 24 * time.Hour) // 4 September 2026
	n, list, err := in.Governance.OverduePolicies(in.Ctx, in.Manager.Actor)
	if err != nil || n != 1 || list[0].ID != p.ID {
		t.Fatalf("overdue after the date: %d %v %v", n, list, err)
	}
	if n, _, err := in.Governance.OverduePolicies(in.Ctx, in.Carer.Actor); err != nil || n != 0 {
		t.Errorf("a care worker's needs attention shows %d overdue policies (%v)", n, err)
	}
	r, err := in.Governance.ReviewPolicy(in.Ctx, in.IG.Actor, p.ID, governance.NewPolicy{Title: p.Title, Version: "1.1", Owner: p.Owner, ReviewMonths: 6})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC); !r.NextReview.Equal(want) || r.Version != "1.1" {
		t.Errorf("after the review: %+v", r)
	}
	if n, _, _ := in.Governance.OverduePolicies(in.Ctx, in.Manager.Actor); n != 0 {
		t.Errorf("still overdue after the review: %d", n)
	}
}

func TestTheEvidenceReportReadsLiveFigures(t *testing.T) {
	in := newInspection(t)
	e, err := in.Governance.Evidence(in.Ctx, in.IG.Actor)
	if err != nil {
		t.Fatal(err)
	}
	// Every test account has an authenticator: manager, carer, other,
	// the Elm Court manager, the lead and the inspector.
	if e.ActiveAccounts != 6 || e.WithMFA != 6 || e.MFA() != "6 of 6 (100%)" {
		t.Errorf("MFA: %d of %d, %q", e.WithMFA, e.ActiveAccounts, e.MFA())
	}
	if e.Backup.Words() != "never" || e.RestoreTest.Words() != "never" || e.AuditVerified.Words() != "never" || e.Witnessed.Words() != "never" {
		t.Errorf("nothing has happened yet, but: %+v", e)
	}
	for _, action := range []string{"backup", "backup-verify", "audit-verify"} {
		if _, err := in.Audit.AppendNow(in.Ctx, audit.Event{At: in.Clock.Now(), ActorName: "operator", ActorKind: "operator", Action: action,
			Outcome: audit.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	// The witnessed checkpoint is read from the witness file, not from an
	// event: sealing writes one there.
	if _, err := in.Audit.Seal(in.Ctx); err != nil {
		t.Fatal(err)
	}
	// A failed backup later does not count as the last backup.
	in.Clock.Advance(time.Hour)
	if _, err := in.Audit.AppendNow(in.Ctx, audit.Event{At: in.Clock.Now(), ActorName: "operator", ActorKind: "operator", Action: "backup",
		Outcome: audit.OutcomeFailed}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Governance.RecordIncident(in.Ctx, in.IG.Actor, breach(in.Ann.ID)); err != nil {
		t.Fatal(err)
	}
	e, err = in.Governance.Evidence(in.Ctx, in.IG.Actor)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"backup": e.Backup.Words(), "restore test": e.RestoreTest.Words(),
		"audit verified": e.AuditVerified.Words(), "witnessed": e.Witnessed.Words()} {
		if got != "3 March 2026 at 10:00" {
			t.Errorf("last %s: %q", name, got)
		}
	}
	if !strings.HasPrefix(e.Witnessed.Detail, "a signed checkpoint of ") {
		t.Errorf("the witnessed checkpoint: %q", e.Witnessed.Detail)
	}
	if e.OpenIncidents != 1 || e.OpenBreaches != 1 || e.OverdueBreaches != 0 {
		t.Errorf("incidents: %d open, %d breaches, %d overdue", e.OpenIncidents, e.OpenBreaches, e.OverdueBreaches)
	}
	if _, err := in.Governance.Evidence(in.Ctx, in.Carer.Actor); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker generating the report: %v", err)
	}
	if pdf, err := e.PDF(); err != nil || len(pdf) < 1000 {
		t.Errorf("PDF: %d bytes, %v", len(pdf), err)
	}
}

// bedSensor is a technology in the register that needs training.
func bedSensor(t *testing.T, in *inspection) tech.Technology {
	t.Helper()
	d := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	bed, err := in.Tech.Save(in.Ctx, in.Manager.Actor, tech.Technology{Name: "BedSense", Supplier: "Sensa Ltd", Kind: tech.KindSafety,
		Surveillance: true, SurveillanceType: "bed-sensor", IntendedUse: "Alert night staff when someone at risk of falls gets out of bed",
		Evidence: tech.Evidence{Summary: "Two small studies", Quality: "moderate", Date: d, Reviewer: "Dr Lee", Tier: "C"},
		DTAC:     tech.Assessment{Date: d, Outcome: tech.OutcomePass}, DPIA: tech.Assessment{Date: d, Outcome: tech.OutcomePass, Reference: "DPIA-7"},
		EHIA: tech.Assessment{Date: d, Outcome: tech.OutcomePassActions}, Coproduction: tech.Coproduction{Who: "Residents' forum", Date: d},
		ApprovedServiceTypes: []string{people.CareHome}, PolicyReference: "POL-12", PolicyReviewMonths: 12,
		TrainingModule: "BedSense safe use", RefresherMonths: 12, Contingency: "Return to hourly checks agreed with the person",
		Status: tech.StatusApproved, Measures: []tech.Measure{{Name: "Falls", Unit: "falls a month", Min: 0, Max: 100}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return bed
}

func TestTrainingComplianceCountsStaffCurrentInEveryModuleAndAPolicyNamesItsTechnologies(t *testing.T) {
	in := newInspection(t)
	bed := bedSensor(t, in)
	p, err := in.Governance.AddPolicy(in.Ctx, in.IG.Actor, governance.NewPolicy{Title: "Night monitoring", Version: "1.0", Owner: "Registered manager",
		ReviewMonths: 12, TechnologyIDs: []string{bed.ID}})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := in.Governance.Policies(in.Ctx, in.Manager.Actor)
	if err != nil || len(pg.Policies) != 1 || pg.Policies[0].TechnologyNames() != "BedSense" || pg.Policies[0].ID != p.ID {
		t.Fatalf("the register: %+v %v", pg, err)
	}
	for _, who := range []string{in.Manager.ID, in.Carer.ID} {
		if _, err := in.Tech.RecordTraining(in.Ctx, in.Manager.Actor, tech.NewTraining{UserID: who, Module: "BedSense safe use", CompletedOn: "2026-02-01"}); err != nil {
			t.Fatal(err)
		}
	}
	e, err := in.Governance.Evidence(in.Ctx, in.IG.Actor)
	if err != nil {
		t.Fatal(err)
	}
	// Five active staff (manager, carer, other carer, Elm Court's manager,
	// the lead); two are current.
	if e.StaffNeeding != 5 || e.StaffTrained != 2 || e.Training() != "2 of 5 (40%)" {
		t.Errorf("training compliance: %d of %d, %q", e.StaffTrained, e.StaffNeeding, e.Training())
	}
	in.Clock.Set(time.Date(2027, 2, 2, 10, 0, 0, 0, time.UTC)) // the training has expired
	if e, err = in.Governance.Evidence(in.Ctx, in.IG.Actor); err != nil || e.StaffTrained != 0 {
		t.Errorf("after expiry: %d trained (%v)", e.StaffTrained, err)
	}
}
