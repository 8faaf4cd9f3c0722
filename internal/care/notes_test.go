package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

// problem returns the message for field in err, or "".
func problem(err error, field string) string {
	var herr *hearth.Error
	if e, ok := err.(*hearth.Error); ok {
		herr = e
	}
	if herr == nil {
		return ""
	}
	for _, p := range herr.Problems {
		if p.Field == field {
			return p.Message
		}
	}
	return ""
}

// audited counts audit events for actor, action and outcome.
func audited(s *apptest.Scenario, actorID, action, outcome string) int {
	return s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = ? AND outcome = ?`, actorID, action, outcome)
}

func TestDailyNotesRefuseImplausibleTimesOfCareAndOverLongText(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	cases := []struct {
		name, field, want string
		draft             care.NoteDraft
	}{
		{"a time of care in the future", "Time of care", "must not be in the future",
			care.NoteDraft{Category: "health", Body: "Felt dizzy", CareAt: now.Add(10 * time.Minute)}},
		{"a time of care more than 7 days ago", "Time of care", "within the last 7 days",
			care.NoteDraft{Category: "health", Body: "Felt dizzy", CareAt: now.AddDate(0, 0, -8)}},
		{"no time of care", "Time of care", "Enter the time of care", care.NoteDraft{Category: "health", Body: "Felt dizzy"}},
		{"text over the limit", "Note", "4000 characters or fewer",
			care.NoteDraft{Category: "health", Body: strings.Repeat("a", care.MaxText+1), CareAt: now}},
		{"no text", "Note", "Write what happened", care.NoteDraft{Category: "health", Body: "  ", CareAt: now}},
		{"an unknown category", "Category", "Choose what the note is about", care.NoteDraft{Category: "gossip", Body: "x", CareAt: now}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, c.draft)
			if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(problem(err, c.field), c.want) {
				t.Fatalf("want %s: %q, got %v", c.field, c.want, err)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM daily_notes`); n != 0 {
		t.Fatalf("refused notes were stored: %d", n)
	}
	if n := audited(s, s.Carer.ID, "write-record", "invalid"); n != len(cases) {
		t.Fatalf("want %d audited invalid attempts, got %d", len(cases), n)
	}
}

func TestANoteRecordedMoreThanTwoHoursAfterTheCareIsFlaggedLate(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	onTime, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "eating-drinking", Body: "Ate all her porridge", CareAt: now.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	late, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Cheerful at breakfast", CareAt: now.Add(-3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if onTime.Late || !late.Late || !late.RecordedAt.Equal(now) || !late.CareAt.Equal(now.Add(-3*time.Hour)) {
		t.Fatalf("late flags or times wrong: on time %+v, late %+v", onTime, late)
	}
	pg, err := s.Care.Notes(s.Ctx, s.Carer.Actor, s.Ann.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Notes) != 2 || pg.Notes[0].ID != onTime.ID || !pg.Notes[1].Late || pg.Notes[1].Author.Name != s.Carer.DisplayName {
		t.Fatalf("notes page: %+v", pg.Notes)
	}

	// The threshold is configurable.
	s.Care.SetLateNoteAfter(4 * time.Hour)
	defer s.Care.SetLateNoteAfter(care.DefaultLateAfter)
	n, _ := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Chatty", CareAt: now.Add(-3 * time.Hour)})
	if n.Late {
		t.Fatal("a note 3 hours after care is late under a 4-hour threshold")
	}
}

func TestCorrectingANoteAddsANewVersionAndKeepsTheOriginalReadable(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	orig, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "personal-care", Body: "Had a bath", CareAt: now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Care.CorrectNote(s.Ctx, s.Carer.Actor, s.Ann.ID, orig.ID, care.NoteDraft{Category: "personal-care", Body: "Had a shower", CareAt: now})
	if problem(err, "Reason for the correction") == "" {
		t.Fatalf("a correction without a reason: %v", err)
	}
	s.Clock.Advance(time.Minute)
	fixed, err := s.Care.CorrectNote(s.Ctx, s.Carer.Actor, s.Ann.ID, orig.ID, care.NoteDraft{Category: "personal-care", Body: "Had a shower", CareAt: now, Reason: "Wrote bath by mistake"})
	if err != nil {
		t.Fatal(err)
	}
	if fixed.CorrectsID != orig.ID {
		t.Fatalf("correction does not point at the original: %+v", fixed)
	}
	_, err = s.Care.CorrectNote(s.Ctx, s.Carer.Actor, s.Ann.ID, orig.ID, care.NoteDraft{Category: "personal-care", Body: "Again", CareAt: now, Reason: "again"})
	if hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("correcting an already-corrected note: want a conflict, got %v", err)
	}
	pg, _ := s.Care.Notes(s.Ctx, s.Carer.Actor, s.Ann.ID, 0)
	byID := map[string]care.Note{}
	for _, n := range pg.Notes {
		byID[n.ID] = n
	}
	if o := byID[orig.ID]; o.Body != "Had a bath" || o.CorrectedBy != fixed.ID {
		t.Fatalf("original changed or not marked corrected: %+v", o)
	}
	if f := byID[fixed.ID]; f.Reason != "Wrote bath by mistake" || f.Corrected() {
		t.Fatalf("correction: %+v", f)
	}
}

func TestACareWorkerNotOnThePersonsTeamCannotRecordANoteAndTheAttemptIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	_, err := s.Care.RecordNote(s.Ctx, s.OtherCarer.Actor, s.Ann.ID, care.NoteDraft{Category: "other", Body: "x", CareAt: s.Clock.Now()})
	if hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatalf("want the not-found denial, got %v", err)
	}
	if s.Count(`SELECT COUNT(*) FROM daily_notes`) != 0 {
		t.Fatal("a denied note was stored")
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND person_id = ? AND action = 'write-record' AND decision = 'deny' AND reason = 'no-relationship'`,
		s.OtherCarer.ID, s.Ann.ID); n != 1 {
		t.Fatalf("want one audited denial, got %d", n)
	}
	if _, err := s.Care.Notes(s.Ctx, s.OtherCarer.Actor, s.Ann.ID, 0); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatalf("reading notes off the team: %v", err)
	}
}

func TestImportedNotesKeepTheirTimesAndAreMarked(t *testing.T) {
	s := apptest.NewScenario(t)
	now := s.Clock.Now()
	err := s.Care.ImportNotes(s.Ctx, s.Carer.Actor, s.Ann.ID, []care.HistoricNote{
		{NoteDraft: care.NoteDraft{Category: "activity", Body: "Walked to the shop", CareAt: now.AddDate(0, 0, -20)}, RecordedAt: now.AddDate(0, 0, -20).Add(time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	pg, _ := s.Care.Notes(s.Ctx, s.Carer.Actor, s.Ann.ID, 30)
	if len(pg.Notes) != 1 || !pg.Notes[0].Imported || pg.Notes[0].Late {
		t.Fatalf("imported: %+v", pg.Notes)
	}
	err = s.Care.ImportNotes(s.Ctx, s.Carer.Actor, s.Ann.ID, []care.HistoricNote{
		{NoteDraft: care.NoteDraft{Category: "activity", Body: "x", CareAt: now}, RecordedAt: now.Add(-time.Hour)},
	})
	if hearth.KindOf(err) != hearth.KindInvalid {
		t.Fatalf("a note recorded before its care: %v", err)
	}
}
