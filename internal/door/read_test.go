package door_test

// Tests of Read (docs/architecture.md, "Group commit"): a read runs in a
// snapshot and is answered only once its audit events are durable; a read
// that turns out to write, or to rest on consent, runs again as a write.

import (
	"errors"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

func TestAReadIsAuditedBeforeItReturns(t *testing.T) {
	w := newWorld(t)
	carer := as(w.Carer.Actor)
	var name string
	err := w.Door.Read(w.Ctx, carer, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.DirectCare, PersonID: w.Ann.ID, ResourceType: "Patient"}); err != nil {
			return err
		}
		return sc.QueryRow(`SELECT given_name FROM people WHERE id = ?`, w.Ann.ID).Scan(&name)
	})
	if err != nil || name != "Ann" {
		t.Fatalf("read: %q, %v", name, err)
	}
	evs := w.events(t, carer)
	if len(evs) != 1 || evs[0].Action != "view-person" || evs[0].Outcome != "success" {
		t.Fatalf("events when Read returned: %+v", evs)
	}
}

func TestAReadThatWritesRunsAgainAsAWriteAndIsAuditedOnce(t *testing.T) {
	w := newWorld(t)
	carer := as(w.Carer.Actor)
	runs := 0
	err := w.Door.Read(w.Ctx, carer, func(sc *door.Scope) error {
		runs++
		if _, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.DirectCare, PersonID: w.Ann.ID, ResourceType: "Patient"}); err != nil {
			return err
		}
		_, err := sc.Exec(`UPDATE people SET preferred_name = 'Annie' WHERE id = ?`, w.Ann.ID)
		return err
	})
	if err != nil || runs != 2 {
		t.Fatalf("err %v after %d runs, want nil after 2", err, runs)
	}
	var pref string
	if err := w.DB.QueryRow(w.Ctx, `SELECT preferred_name FROM people WHERE id = ?`, w.Ann.ID).Scan(&pref); err != nil || pref != "Annie" {
		t.Fatalf("the write: %q, %v", pref, err)
	}
	if evs := w.events(t, carer); len(evs) != 1 {
		t.Fatalf("want the one decision audited once, got %d events", len(evs))
	}
}

func TestAReadRestingOnConsentRunsAsAWrite(t *testing.T) {
	w := newWorld(t)
	runs := 0
	_ = w.Door.Read(w.Ctx, as(w.Carer.Actor), func(sc *door.Scope) error {
		runs++
		_, err := sc.Check(door.Request{Action: access.ReadRecord, Purpose: access.Sharing, PersonID: w.Ann.ID, Recipient: "GP"})
		return err
	})
	if runs != 2 {
		t.Fatalf("a sharing read ran %d times in the snapshot; want it handed to the writer", runs)
	}
}

func TestAFailedReadIsAuditedWithItsFailure(t *testing.T) {
	w := newWorld(t)
	carer := as(w.Carer.Actor)
	bad := hearth.Invalid("Days", "Enter a number of days")
	err := w.Door.Read(w.Ctx, carer, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: access.DirectCare, PersonID: w.Ann.ID}); err != nil {
			return err
		}
		return bad
	})
	if !errors.Is(err, bad) {
		t.Fatalf("want the failure, got %v", err)
	}
	evs := w.events(t, carer)
	if len(evs) != 1 || evs[0].Outcome != "invalid" {
		t.Fatalf("want one event with outcome invalid, got %+v", evs)
	}
}
