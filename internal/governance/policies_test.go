package governance_test

import (
	"testing"
	"time"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/governance"
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
	for _, action := range []string{"backup", "backup-verify", "audit-verify", "checkpoint-witnessed"} {
		if _, err := in.Audit.AppendNow(in.Ctx, audit.Event{At: in.Clock.Now(), ActorName: "operator", ActorKind: "operator", Action: action,
			Outcome: audit.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}
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
