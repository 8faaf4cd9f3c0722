package portal_test

// Portal writes and lists under concurrent requests (DESIGN.md invariant 7;
// docs/architecture.md, "Writes to one person happen in order"). A review
// queue is decided with a permission to act (deciding corrections,
// reviewing withheld entries), so on PostgreSQL it locks each person it
// lists: two queues that list the same people in opposite orders, opened
// together, must both answer rather than wait on each other. And an
// account's own settings, which no person's lock orders, are saved in one
// statement so that two saves at once do not both insert.

import (
	"fmt"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/portal"
)

func TestReviewQueuesListingTheSamePeopleInOppositeOrdersAllAnswerWhenOpenedTogether(t *testing.T) {
	f := newFixture(t)
	bob := f.Person(f.Manager, f.Home, "Bob", "Smith", "")
	accounts := map[string]door.Actor{f.Ann.ID: f.personAccount(f.Ann, "ann.jones"), bob.ID: f.personAccount(bob, "bob.smith")}
	notes := map[string]care.Note{}
	for id := range accounts {
		n, err := f.Care.RecordNote(f.Ctx, f.Manager.Actor, id, care.NoteDraft{Category: "mood", Body: "Was quiet at lunch",
			CareAt: f.Clock.Now().Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		notes[id] = n
	}
	// The corrections queue lists Ann then Bob (oldest request first); the
	// withheld-items queue lists Bob then Ann (oldest mark first).
	for _, p := range []people.Person{f.Ann, bob} {
		f.Clock.Advance(time.Minute)
		if _, err := f.Portal.RequestCorrection(f.Ctx, accounts[p.ID], p.ID, portal.NewCorrection{ResourceType: "Observation",
			ResourceID: notes[p.ID].ID, Entry: "Daily note", Request: "I was tired, not quiet"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []people.Person{bob, f.Ann} {
		f.Clock.Advance(time.Minute)
		if _, err := f.Portal.Withhold(f.Ctx, f.Manager.Actor, p.ID, portal.NewWithheld{ResourceType: "Observation",
			ResourceID: notes[p.ID].ID, Category: portal.WithheldThirdParty, Reason: "Information about someone else's health"}); err != nil {
			t.Fatal(err)
		}
	}
	var managers, leads []apptest.Staff
	for i := range 10 {
		managers = append(managers, f.Staff(fmt.Sprintf("manager%02d", i+1), access.RegisteredManager, f.Home))
		leads = append(leads, f.Staff(fmt.Sprintf("iglead%02d", i+1), access.IGLead, f.Home))
	}
	errs := f.Together(20, func(i int) error {
		if i%2 == 0 {
			q, err := f.Portal.CorrectionQueue(f.Ctx, managers[i/2].Actor)
			if err == nil && len(q) != 2 {
				return fmt.Errorf("the corrections queue listed %d requests, want 2", len(q))
			}
			return err
		}
		q, err := f.Portal.WithheldReviews(f.Ctx, leads[i/2].Actor)
		if err == nil && len(q) != 2 {
			return fmt.Errorf("the withheld-items queue listed %d marks, want 2", len(q))
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("queue %d of 20 opened together: %v", i+1, err)
		}
	}
	// Each queue is audited as read, then once for each person on it.
	for i := range 10 {
		for _, st := range []apptest.Staff{managers[i], leads[i]} {
			if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND outcome = 'success'`, st.ID); n != 3 {
				t.Errorf("%s's queue is audited as %d successful events, want 3", st.Username, n)
			}
		}
	}
}

func TestDisplayPreferencesSavedTwentyTimesAtOnceAreSavedWithoutAFault(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	errs := f.Together(20, func(i int) error {
		return f.Portal.SetPreferences(f.Ctx, ann, f.Ann.ID, portal.Preferences{LargePrint: true, EasyRead: i%2 == 0})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("save %d of 20: %v", i+1, err)
		}
	}
	p, err := f.Portal.PreferencesOf(f.Ctx, ann.ID)
	if err != nil || !p.LargePrint {
		t.Fatalf("preferences after the saves: %+v, %v", p, err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM portal_preferences WHERE user_id = ?`, ann.ID); n != 1 {
		t.Errorf("%d rows of preferences, want 1", n)
	}
}
