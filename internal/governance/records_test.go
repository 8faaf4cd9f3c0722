package governance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/governance"
	"hearth/internal/people"
	"hearth/internal/store"
)

// mustInvalid checks err is bad input naming field, with a message
// containing want.
func mustInvalid(t *testing.T, err error, field, want string) {
	t.Helper()
	var herr *hearth.Error
	if !errors.As(err, &herr) || herr.Kind != hearth.KindInvalid {
		t.Fatalf("want bad input on %q, got %v", field, err)
	}
	for _, p := range herr.Problems {
		if p.Field == field && strings.Contains(p.Message, want) {
			return
		}
	}
	if len(herr.Problems) == 0 && strings.Contains(herr.Message, want) {
		return
	}
	t.Fatalf("want %q on %q, got %+v", want, field, herr)
}

func breach(people ...string) governance.NewIncident {
	return governance.NewIncident{Kind: governance.KindBreach, Severity: "moderate", Summary: "Care plan emailed to the wrong family",
		WhatHappened: "A care plan was emailed to another family.", ImmediateAction: "Asked them to delete it; they confirmed.",
		OccurredAt: time.Date(2026, 3, 2, 18, 0, 0, 0, time.UTC), AwareAt: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC), PersonIDs: people}
}

func TestABreachMustNameThePeopleAffectedOrSayWhyNot(t *testing.T) {
	in := newInspection(t)
	_, err := in.Governance.RecordIncident(in.Ctx, in.Manager.Actor, breach())
	mustInvalid(t, err, "People affected", "Choose the people affected by the breach, or say why no one can be named")
	if n := in.Count(`SELECT COUNT(*) FROM incidents`); n != 0 {
		t.Fatalf("a refused breach stored %d incidents", n)
	}
	b := breach()
	b.NoPeopleReason = "A laptop was stolen; we are still working out whose records were on it"
	got, err := in.Governance.RecordIncident(in.Ctx, in.Manager.Actor, b)
	if err != nil {
		t.Fatal(err)
	}
	if got.NoPeopleReason == "" || len(got.People) != 0 {
		t.Errorf("recorded %+v", got)
	}
	// An incident of another kind need name no one.
	fall := breach()
	fall.Kind = "fall"
	if _, err := in.Governance.RecordIncident(in.Ctx, in.Manager.Actor, fall); err != nil {
		t.Errorf("a fall with no one named: %v", err)
	}
}

func TestTheRecorderNamesOnlyPeopleTheyMaySee(t *testing.T) {
	in := newInspection(t)
	// The Rowan House manager cannot see Bob at Elm Court.
	_, err := in.Governance.RecordIncident(in.Ctx, in.Manager.Actor, breach(in.Ann.ID, in.Bob.ID))
	mustInvalid(t, err, "People affected", "not someone you can see")
	if n := in.Count(`SELECT COUNT(*) FROM incident_people`); n != 0 {
		t.Fatalf("stored %d people", n)
	}
	got, err := in.Governance.RecordIncident(in.Ctx, in.IG.Actor, breach(in.Ann.ID, in.Bob.ID))
	if err != nil {
		t.Fatal(err)
	}
	// The manager reading it sees Ann named and Bob counted, not named.
	read, err := in.Governance.Incident(in.Ctx, in.Manager.Actor, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(read.People) != 1 || read.People[0].Name != "Ann Jones" || read.Unseen != 1 {
		t.Errorf("the manager sees %+v and %d unseen", read.People, read.Unseen)
	}
	// A care worker may not record incidents at all.
	if _, err := in.Governance.RecordIncident(in.Ctx, in.Carer.Actor, breach(in.Ann.ID)); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker recording an incident: %v", err)
	}
}

func TestTheSeventyTwoHourClock(t *testing.T) {
	in := newInspection(t)
	got, err := in.Governance.RecordIncident(in.Ctx, in.IG.Actor, breach(in.Ann.ID))
	if err != nil {
		t.Fatal(err)
	}
	now := in.Clock.Now() // 10:00 on 3 March, an hour after finding out
	if c := got.Clock(now); c != "71 hours 0 minutes left to report to the ICO (by 6 March 2026 at 09:00)" {
		t.Errorf("the clock reads %q", c)
	}
	later := now.Add(75 * time.Hour)
	if c := got.Clock(later); !strings.HasPrefix(c, "Overdue: the ICO should have been told by 6 March 2026 at 09:00 (4 hours 0 minutes ago)") || !got.Overdue(later) {
		t.Errorf("75 hours on the clock reads %q", c)
	}
	// In British Summer Time the clock is shown in UK time.
	summer := got
	summer.AwareAt = time.Date(2026, 7, 1, 8, 30, 0, 0, time.UTC)
	if c := summer.Clock(summer.AwareAt); !strings.Contains(c, "by 4 July 2026 at 09:30") {
		t.Errorf("a summer clock reads %q", c)
	}
	n, open, err := in.Governance.OpenIncidents(in.Ctx, in.Manager.Actor)
	if err != nil || n != 1 || open[0].ID != got.ID {
		t.Errorf("open incidents for needs attention: %d %v %v", n, open, err)
	}
	if n, _, err := in.Governance.OpenIncidents(in.Ctx, in.Carer.Actor); err != nil || n != 0 {
		t.Errorf("a care worker's needs attention shows %d incidents (%v)", n, err)
	}
}

func assessed() governance.BreachAssessment {
	return governance.BreachAssessment{Risk: "risk", RiskNotes: "Names and medicines were seen by another family.",
		ICOReportedAt: time.Date(2026, 3, 3, 9, 30, 0, 0, time.UTC), ICOReference: "IC-12345", TellPeople: "yes",
		Letter: governance.Letter{Meaning: "Another family saw your care plan.", Next: "We are retraining staff.", Contact: "Jo, 01234 567890"}}
}

func TestALetterGoesOnlyToSomeoneTheBreachAffected(t *testing.T) {
	in := newInspection(t)
	got, err := in.Governance.RecordIncident(in.Ctx, in.IG.Actor, breach(in.Ann.ID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Governance.BreachLetter(in.Ctx, in.IG.Actor, got.ID, in.Ann.ID); err == nil {
		t.Fatal("a letter before deciding to tell the people affected")
	}
	if _, err := in.Governance.AssessBreach(in.Ctx, in.IG.Actor, got.ID, assessed()); err != nil {
		t.Fatal(err)
	}
	_, err = in.Governance.BreachLetter(in.Ctx, in.IG.Actor, got.ID, in.Bob.ID)
	mustInvalid(t, err, "Person", "not affected by this breach")
	lp, err := in.Governance.BreachLetter(in.Ctx, in.IG.Actor, got.ID, in.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := lp.PDF()
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Fatalf("letter PDF: %v", err)
	}
	// A high risk must be told.
	high := assessed()
	high.Risk, high.TellPeople, high.TellReason = "high", "no", "It would worry them"
	_, err = in.Governance.AssessBreach(in.Ctx, in.IG.Actor, got.ID, high)
	mustInvalid(t, err, "Tell the people affected", "must be told")
	if _, err := in.Governance.CloseIncident(in.Ctx, in.IG.Actor, got.ID, "Staff retrained; email now checked by a second person"); err != nil {
		t.Fatal(err)
	}
}

// ended registers Cy, whose care started in 2010 and ended nine years
// ago (so his record is past its period), with a little in his record.
func ended(t *testing.T, in *inspection, on ...time.Time) people.Person {
	t.Helper()
	cy, err := in.People.Register(in.Ctx, in.Manager.Actor, people.NewPerson{LocationID: in.Home.ID, GivenName: "Cy", FamilyName: "Hale",
		DateOfBirth: time.Date(1930, 1, 5, 0, 0, 0, 0, time.UTC), CareStartsOn: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	in.Assign(in.Manager, cy, in.Carer)
	if _, err := in.Care.AddAboutMe(in.Ctx, in.Carer.Actor, cy.ID, care.AboutMeDraft{Section: "what-matters", Body: "His allotment"}); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Care.RecordNote(in.Ctx, in.Carer.Actor, cy.ID, care.NoteDraft{Category: "mood", Body: "A good day",
		CareAt: in.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	end := time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)
	if len(on) > 0 {
		end = on[0]
	}
	if err := in.People.EndCare(in.Ctx, in.Manager.Actor, cy.ID, people.EndOfCare{Reason: "died", On: end}); err != nil {
		t.Fatal(err)
	}
	return cy
}

func TestDisposalNeedsASecondSeniorAccount(t *testing.T) {
	in := newInspection(t)
	cy := ended(t, in)
	n, due, err := in.Governance.DueForReview(in.Ctx, in.Manager.Actor)
	if err != nil || n != 1 || due[0].PersonID != cy.ID || due[0].DueOn != time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("due for review: %d %+v %v", n, due, err)
	}
	d, err := in.Governance.RequestDisposal(in.Ctx, in.Manager.Actor, cy.ID, "Eight years have passed; no claims")
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Governance.ApproveDisposal(in.Ctx, in.Manager.Actor, d.ID)
	mustInvalid(t, err, "Approver", "A second senior account must approve")
	if n := in.Count(`SELECT COUNT(*) FROM people WHERE disposed_at IS NOT NULL`); n != 0 {
		t.Fatal("the refused approval hid the record")
	}
	if n := in.Count(`SELECT COUNT(*) FROM disposals WHERE approved_at IS NOT NULL`); n != 0 {
		t.Fatal("the refused approval was stored")
	}
	ok, err := in.Governance.ApproveDisposal(in.Ctx, in.IG.Actor, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ok.ContentHash) != 64 || ok.RowCount < 3 {
		t.Errorf("certificate hash %q over %d rows", ok.ContentHash, ok.RowCount)
	}
	// Hidden from everyone, including the manager who asked.
	if _, err := in.People.Get(in.Ctx, in.Manager.Actor, cy.ID); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("the disposed record is still shown: %v", err)
	}
	// Undone within the period, by either approver.
	if _, err := in.Governance.RestoreDisposal(in.Ctx, in.Manager.Actor, d.ID, "A claim arrived this morning"); err != nil {
		t.Fatal(err)
	}
	if _, err := in.People.Get(in.Ctx, in.Manager.Actor, cy.ID); err != nil {
		t.Errorf("the restored record: %v", err)
	}
}

func TestALegalHoldBlocksDisposal(t *testing.T) {
	in := newInspection(t)
	cy := ended(t, in)
	h, err := in.Governance.PlaceHold(in.Ctx, in.IG.Actor, cy.ID, "Claim notified by solicitors, ref. 123")
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Governance.RequestDisposal(in.Ctx, in.Manager.Actor, cy.ID, "Period reached")
	mustInvalid(t, err, "Legal hold", "under a legal hold")
	if n := in.Count(`SELECT COUNT(*) FROM disposals`); n != 0 {
		t.Fatal("a disposal was stored under a legal hold")
	}
	if err := in.Governance.LiftHold(in.Ctx, in.IG.Actor, h.ID, "Claim settled"); err != nil {
		t.Fatal(err)
	}
	d, err := in.Governance.RequestDisposal(in.Ctx, in.Manager.Actor, cy.ID, "Period reached")
	if err != nil {
		t.Fatal(err)
	}
	// A hold placed between asking and approving also stops it.
	if _, err := in.Governance.PlaceHold(in.Ctx, in.IG.Actor, cy.ID, "Coroner's inquest"); err != nil {
		t.Fatal(err)
	}
	_, err = in.Governance.ApproveDisposal(in.Ctx, in.IG.Actor, d.ID)
	mustInvalid(t, err, "Legal hold", "Coroner's inquest")
}

func TestARecordStillInItsPeriodIsNotDisposed(t *testing.T) {
	in := newInspection(t)
	cy := ended(t, in, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	_, err := in.Governance.RequestDisposal(in.Ctx, in.Manager.Actor, cy.ID, "Period reached")
	mustInvalid(t, err, "Person", "must be kept until 1 February 2033")
	if n, _, _ := in.Governance.DueForReview(in.Ctx, in.Manager.Actor); n != 0 {
		t.Errorf("%d due for review", n)
	}
}

func TestPurgeAfterThePeriodDeletesTheRecordAndTheAuditLogStillVerifies(t *testing.T) {
	in := newInspection(t)
	cy := ended(t, in)
	d, err := in.Governance.RequestDisposal(in.Ctx, in.Manager.Actor, cy.ID, "Period reached")
	if err != nil {
		t.Fatal(err)
	}
	if d, err = in.Governance.ApproveDisposal(in.Ctx, in.IG.Actor, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Governance.PurgeDisposal(in.Ctx, in.IG.Actor, d.ID); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("purged within the restore period: %v", err)
	}
	in.Clock.Advance(governance.RestorePeriod + time.Minute)
	if _, err := in.Governance.RestoreDisposal(in.Ctx, in.IG.Actor, d.ID, "Too late"); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("restored after the period: %v", err)
	}
	purged, err := in.Governance.PurgeDisposal(in.Ctx, in.IG.Actor, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range governance.RecordTables() {
		col := "person_id"
		switch table {
		case "people":
			col = "id"
		case "visit_tasks", "tech_use_versions", "tech_use_stops", "representative_accounts":
			continue
		}
		if n := in.Count(`SELECT COUNT(*) FROM `+table+` WHERE `+col+` = ?`, cy.ID); n != 0 {
			t.Errorf("%d rows of Ann's left in %s", n, table)
		}
	}
	if n := in.Count(`SELECT COUNT(*) FROM audit_events WHERE person_id = ?`, cy.ID); n == 0 {
		t.Error("the purge deleted audit events")
	}
	cert, err := in.Governance.Certificate(in.Ctx, in.Manager.Actor, d.ID)
	if err != nil || cert.Step() != "purged" || cert.ContentHash != d.ContentHash || purged.PurgedBy == "" {
		t.Fatalf("certificate after the purge: %+v %v", cert, err)
	}
	if _, err := in.Audit.Seal(in.Ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := in.Audit.Verify(in.Ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("the audit log after a purge: %+v %v", rep, err)
	}
}

// Every table with a person_id column is purged with the record, or kept
// on purpose (the audit log; the disposal itself): a table added later
// that holds a person's rows fails here until a purge reaches it.
func TestEveryTableWithAPersonIsPurgedOrKeptOnPurpose(t *testing.T) {
	a := apptest.New(t)
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'person_id'`
	if a.DB.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.columns WHERE column_name = 'person_id' AND table_schema = current_schema()`
	}
	rows, err := a.DB.Query(a.Ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	kept := []string{"audit_events", "disposals"}
	purged := governance.RecordTables()
	n := 0
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		n++
		if !slices.Contains(purged, name) && !slices.Contains(kept, name) {
			t.Errorf("table %s holds people's rows but a purge does not reach it", name)
		}
	}
	if n < 30 {
		t.Errorf("found only %d tables with a person", n)
	}
}
