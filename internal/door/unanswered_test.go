package door_test

import (
	"errors"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// When a scope's COMMIT goes unanswered the door finds out what happened
// before it says anything (docs/architecture.md, "When the database
// fails"): a write that landed is reported saved, with its audit event
// once and no failure beside it; a write that did not land is audited as a
// failed attempt; and only when the database cannot be asked at all is the
// outcome unknown. These are network faults, so PostgreSQL's.

// behindProxy is the usual cast on an app that reaches PostgreSQL through
// a fault proxy.
func behindProxy(t *testing.T) (*apptest.Scenario, *storetest.Proxy) {
	t.Helper()
	if storetest.Engine() != "postgres" {
		t.Skip("a network between Hearth and PostgreSQL")
	}
	var proxy *storetest.Proxy
	s := apptest.NewScenarioWith(t, apptest.Options{
		Through:  func(dsn string) string { d, p := storetest.Through(t, dsn); proxy = p; return d },
		Timeouts: store.Timeouts{Connect: 2 * time.Second},
	})
	return s, proxy
}

func noteDraft(body string, at time.Time) care.NoteDraft {
	return care.NoteDraft{Category: "mood", Body: body, CareAt: at.Add(-time.Minute)}
}

// eventsFor counts the audit events about one resource with an outcome.
func eventsFor(s *apptest.Scenario, resourceID, outcome string) int {
	return s.Count(`SELECT COUNT(*) FROM audit_events WHERE resource_id = ? AND outcome = ?`, resourceID, outcome)
}

func TestACommitWhoseAnswerWasLostButLandedIsReportedSavedAndAuditedOnce(t *testing.T) {
	s, proxy := behindProxy(t)
	proxy.DropAtCommit("INSERT INTO daily_notes", false)
	n, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, noteDraft("Ann enjoyed the garden", s.Clock.Now()))
	if err != nil {
		t.Fatalf("a write that landed: %v, want it reported saved", err)
	}
	if proxy.Dropped() != 1 {
		t.Fatalf("%d commits dropped, want 1: the test did not break what it meant to", proxy.Dropped())
	}
	if got := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); got != 1 {
		t.Fatalf("%d notes, want 1", got)
	}
	if got := eventsFor(s, n.ID, "success"); got != 1 {
		t.Errorf("%d success events for the note, want 1", got)
	}
	if got := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND outcome <> 'success'`, s.Carer.ID); got != 0 {
		t.Errorf("%d failure events beside the note's success, want none", got)
	}
}

func TestACommitThatNeverReachedTheServerIsAuditedAsAFailedAttemptAndNothingIsSaved(t *testing.T) {
	s, proxy := behindProxy(t)
	proxy.LoseCommit("INSERT INTO daily_notes")
	_, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, noteDraft("Ann enjoyed the garden", s.Clock.Now()))
	if hearth.KindOf(err) != hearth.KindUnavailable || !errors.Is(err, hearth.ErrStoreUnavailable) || errors.Is(err, hearth.ErrOutcomeUnknown) {
		t.Fatalf("a write that did not land: %v, want unavailable with a known outcome", err)
	}
	if proxy.Dropped() != 1 {
		t.Fatalf("%d commits lost, want 1", proxy.Dropped())
	}
	if got := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); got != 0 {
		t.Fatalf("%d notes, want none", got)
	}
	if got := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-record' AND outcome = 'failed'`, s.Carer.ID); got != 1 {
		t.Errorf("%d failed write-record events, want 1", got)
	}
	if got := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-record' AND outcome = 'success'`, s.Carer.ID); got != 0 {
		t.Errorf("%d successful write-record events, want none", got)
	}
}

func TestWhenTheDatabaseIsCutOffAsTheCommitsAnswerIsLostTheOutcomeIsUnknownAndTheWriteLandedOnce(t *testing.T) {
	s, proxy := behindProxy(t)
	proxy.DropAtCommit("INSERT INTO daily_notes", true)
	_, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, noteDraft("Ann enjoyed the garden", s.Clock.Now()))
	if hearth.KindOf(err) != hearth.KindUnavailable || !errors.Is(err, hearth.ErrOutcomeUnknown) {
		t.Fatalf("%v: want unavailable, outcome unknown", err)
	}
	proxy.Restore()
	if got := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); got != 1 {
		t.Fatalf("%d notes, want 1 (the server committed)", got)
	}
	if got := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-record'`, s.Carer.ID); got != 1 {
		t.Errorf("%d write-record events, want the one committed with the note", got)
	}
	// And the door serves again by itself.
	if _, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, noteDraft("Ann had lunch", s.Clock.Now())); err != nil {
		t.Fatalf("after the database came back: %v", err)
	}
}
