package contingency_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/contingency"
	"hearth/internal/people"
)

type fixture struct {
	*apptest.Scenario
	Bob, Gone people.Person
	Other     people.Location
	Stranger  people.Person
}

func newFixture(t *testing.T) fixture {
	s := apptest.NewScenario(t)
	f := fixture{Scenario: s}
	f.Bob = s.Person(s.Manager, s.Home, "Bob", "Abbott", "4010232137")
	f.Gone = s.Person(s.Manager, s.Home, "Gwen", "Gone", "")
	f.Other = s.Location("Riverside Home Care", people.DomiciliaryBranch)
	otherManager := s.Staff("othermanager", access.RegisteredManager, f.Other)
	f.Stranger = s.Person(otherManager, f.Other, "Stella", "Stranger", "")
	now := s.Clock.Now()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	m := s.Manager.Actor
	must(s.Care.AddMedicine(s.Ctx, m, s.Ann.ID, care.MedicineInput{Name: "Donepezil", Strength: "10 mg", Dose: "1 tablet", Route: "oral",
		Times: "08:00, 20:00", StartDate: now.AddDate(0, 0, -7), Source: "gp"}))
	must(s.Care.AddMedicine(s.Ctx, m, f.Bob.ID, care.MedicineInput{Name: "Warfarin", Strength: "3 mg", Dose: "1 tablet", Route: "oral",
		Times: "18:00", StartDate: now.AddDate(0, 0, -7), Source: "gp"}))
	must(s.Care.SaveRisk(s.Ctx, m, s.Ann.ID, "", care.RiskDraft{Title: "Falls at night", CouldHappen: "A fall on the way to the bathroom",
		Likelihood: "medium", Impact: "high", Reduces: "A sensor mat and a night light", ReviewOn: now.AddDate(0, 3, 0),
		Involved: care.Involvement{Kinds: []string{"person"}}}))
	must(s.Care.SaveRisk(s.Ctx, m, f.Bob.ID, "", care.RiskDraft{Title: "Choking", CouldHappen: "Choking on dry food",
		Likelihood: "low", Impact: "high", Reduces: "Soft diet, sitting upright", ReviewOn: now.AddDate(0, 3, 0),
		Involved: care.Involvement{Kinds: []string{"person"}}}))
	must(s.Care.SaveSafetyPlan(s.Ctx, m, s.Ann.ID, care.SafetyDraft{Triggers: "The anniversary of her husband's death",
		WarningSigns: "Stops eating", WhatHelps: "Sitting in the garden", Contacts: "Sue (daughter) 07700 900123",
		Involved: care.Involvement{Kinds: []string{"person"}}, ReviewOn: now.AddDate(0, 0, 14)}))
	must(s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: "communication",
		Body: "Speak clearly and face me", Formats: []string{"large-print"}, Support: "Check my hearing aid is in"}))
	must(s.Consent.RecordRepresentative(s.Ctx, m, consent.NewRepresentative{PersonID: f.Bob.ID, Name: "Brenda Abbott",
		Relationship: "wife", Authority: consent.AuthorityLPAHealthWelfare, Contact: "01632 960001", EvidenceReference: "OPG 7000-1234-5678",
		StartsOn: now.AddDate(0, -1, 0), VerifiedBy: "Test manager", VerifiedOn: now.AddDate(0, 0, -20)}))
	if err := s.People.EndCare(s.Ctx, m, f.Gone.ID, people.EndOfCare{On: now, Reason: people.EndReasons[0].Value, Note: "Moved to her daughter's"}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(time.Minute)
	return f
}

func TestEachPersonsPageHoldsTheirFactsAndNoOneElsesAndEachReadIsAudited(t *testing.T) {
	f := newFixture(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	locs, err := f.People.Locations(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	files, err := contingency.Write(f.Ctx, f.Door, locs, dir, []age.Recipient{id.Recipient()}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("packs written: %v; want one per open location", files)
	}
	var home string
	for _, p := range files {
		if strings.HasPrefix(filepath.Base(p), "rowan-house-") {
			home = p
		}
	}
	raw, err := os.ReadFile(home)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Donepezil")) {
		t.Fatal("the pack is not encrypted")
	}
	dec, err := age.Decrypt(bytes.NewReader(raw), id)
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(dec)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<section class="person" data-person="([^"]+)">(.*?)</section>`).FindAllStringSubmatch(string(html), -1) {
		pages[m[1]] = m[2]
	}
	if len(pages) != 2 || pages[f.Ann.ID] == "" || pages[f.Bob.ID] == "" {
		t.Fatalf("Rowan House's pack has pages for %d people; want Ann and Bob (Gwen's care has ended, Stella is elsewhere)", len(pages))
	}
	ann, bob := pages[f.Ann.ID], pages[f.Bob.ID]
	for _, want := range []string{"Ann Jones", "14 June 1941", f.AnnNHS, "Donepezil", "08:00, 20:00", "Falls at night", "A sensor mat and a night light",
		"The anniversary of her husband", "Speak clearly and face me", "Large print", "Check my hearing aid is in",
		"Hearth does not record allergies", "Hearth does not record advance decisions", "Hearth keeps no photographs"} {
		if !strings.Contains(ann, want) {
			t.Errorf("Ann's page lacks %q", want)
		}
	}
	for _, want := range []string{"Bob Abbott", "4010232137", "Warfarin", "18:00", "Choking", "Brenda Abbott", "01632 960001"} {
		if !strings.Contains(bob, want) {
			t.Errorf("Bob's page lacks %q", want)
		}
	}
	for _, other := range []string{"Warfarin", "Choking", "Brenda", "Bob", "Stella", "Gwen"} {
		if strings.Contains(ann, other) {
			t.Errorf("Ann's page holds someone else's %q", other)
		}
	}
	for _, other := range []string{"Donepezil", "Falls at night", "Sue (daughter)", "hearing aid", "Ann", "Stella", "Gwen"} {
		if strings.Contains(bob, other) {
			t.Errorf("Bob's page holds someone else's %q", other)
		}
	}
	if strings.Contains(string(html), "Stella") || strings.Contains(string(html), "Gwen") {
		t.Error("Rowan House's pack names someone not in care there")
	}

	// Each person in the pack was read through the door, as Hearth's
	// service for the contingency purpose, and audited; no one else was.
	for _, p := range []people.Person{f.Ann, f.Bob, f.Stranger} {
		var n int
		if err := f.DB.QueryRow(f.Ctx, `SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND actor_kind = 'service'
			AND purpose = 'contingency' AND decision = 'permit' AND outcome = 'success' AND action = 'read-record'`, p.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: %d contingency reads audited; want 1", p.GivenName, n)
		}
	}
	var gone int
	if err := f.DB.QueryRow(f.Ctx, `SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND actor_kind = 'service'`, f.Gone.ID).Scan(&gone); err != nil {
		t.Fatal(err)
	}
	if gone != 0 {
		t.Errorf("someone whose care has ended was read for the pack %d times", gone)
	}

	// A second run keeps the newest two packs of each location.
	for range 2 {
		f.Clock.Advance(time.Hour)
		if _, err := contingency.Write(f.Ctx, f.Door, locs, dir, []age.Recipient{id.Recipient()}, 2); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "rowan-house-*"+contingency.FileSuffix))
	if len(left) != 2 {
		t.Fatalf("after three runs keeping two, Rowan House has %d packs", len(left))
	}
}

func TestTheServiceActorReadsForTheContingencyPurposeOnlyAndWritesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Care.RecordNote(s.Ctx, contingency.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "x", CareAt: s.Clock.Now()}); err == nil {
		t.Fatal("the contingency actor wrote a note")
	}
	if _, err := s.Care.AboutMe(s.Ctx, contingency.Actor, s.Ann.ID); err != nil {
		// Reading is allowed: people.Purpose gives the service the
		// contingency purpose.
		t.Fatalf("the contingency actor could not read: %v", err)
	}
	if d := access.Decide(contingency.Actor.Subject, access.ReadRecord, access.Resource{PersonID: s.Ann.ID,
		Facts: access.Facts{Now: s.Clock.Now(), Exists: true}}, access.DirectCare); d.Permit {
		t.Fatal("the service actor was allowed to read for direct care")
	}
	if access.ParseKind("service") != access.KindNone {
		t.Fatal("an account could be stored as Hearth's service kind")
	}
}
