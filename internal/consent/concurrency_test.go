package consent_test

// Consent withdrawal against concurrent reads that rest on it (DESIGN.md
// invariant 7; docs/architecture.md, "Writes to one person happen in
// order"): twenty reads whose permit rests on a consent race one
// withdrawal of it. Every read permitted must be ordered before the
// withdrawal, every read after it refused, on both engines.
//
// How the order is observed. Audit event IDs are UUIDv7s, generated when
// the scope appends its events, inside its transaction and after every
// decision in it; google/uuid makes them strictly increasing within a
// process. A permitted read holds the person's row (FOR UPDATE on
// PostgreSQL; SQLite's single writer) from its first decision until it
// commits, and the withdrawal holds it (FOR UPDATE) from its decision until
// it commits, so one of the two transactions wholly precedes the other, and
// the later one generates its event IDs after the earlier one committed.
// Event ID order is therefore commit order for these transactions. Were
// they not held in order, a read could decide on the consent while it was
// live, then append after the withdrawal had appended: a permitted read
// with an ID after the withdrawal's, which this test refuses.

import (
	"errors"
	"fmt"
	"hearth"
	"sync/atomic"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
)

const readers = 20

func TestAReadRestingOnConsentIsOrderedWithItsWithdrawal(t *testing.T) {
	f := newFixture(t)
	if _, err := f.Care.RecordNote(f.Ctx, f.Carer.Actor, f.Ann.ID, care.NoteDraft{Category: "activity",
		Body: "Ann enjoyed the garden", CareAt: f.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	bob := f.representative("Bob Friend", consent.AuthorityFamily, true)
	bobAccount := f.representativeAccount(bob, "bob")
	team := f.Team(f.Manager, f.Ann, access.CareWorker, "sharer", readers)

	for _, r := range []struct {
		name string
		// consent is the consent the reads rest on.
		consent consent.NewConsent
		// read is reader i's request, and the decision basis a permit
		// must name.
		read  func(i int, tag string) error
		basis func(c consent.Consent) string
	}{
		{
			name: "A family member's reads that rest on Ann's sharing consent are all before its withdrawal or refused",
			consent: consent.NewConsent{Purpose: consent.PurposeSharing, Recipient: bob.Name, RecipientRepresentativeID: bob.ID,
				Scope: []string{consent.ScopeCareRecord}},
			read: func(i int, tag string) error {
				actor := bobAccount
				actor.RequestID = fmt.Sprintf("%s-%02d", tag, i)
				pg, err := f.Care.Notes(f.Ctx, actor, f.Ann.ID, 7)
				if err == nil && len(pg.Notes) != 1 {
					return fmt.Errorf("a permitted read returned %d notes, want 1", len(pg.Notes))
				}
				return err
			},
			basis: func(consent.Consent) string { return bob.ID },
		},
		{
			name: "Staff sharing Ann's record on her consent are all before its withdrawal or refused",
			consent: consent.NewConsent{Purpose: consent.PurposeSharing, Recipient: "Riverside GP surgery",
				Scope: []string{consent.ScopeCareRecord}},
			read: func(i int, tag string) error {
				// No service shares by consent yet; this is the decision a
				// sharing export makes before it reads.
				actor := team[i].Actor
				actor.RequestID = fmt.Sprintf("%s-%02d", tag, i)
				return f.Door.Run(f.Ctx, actor, func(sc *door.Scope) error {
					if _, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: access.Sharing, PersonID: f.Ann.ID,
						Recipient: "Riverside GP surgery", ResourceType: "Patient", ResourceID: f.Ann.ID}); err != nil {
						return err
					}
					var n int
					return sc.QueryRow(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, f.Ann.ID).Scan(&n)
				})
			},
			basis: func(c consent.Consent) string { return c.ID },
		},
	} {
		t.Run(r.name, func(t *testing.T) {
			n := informed(r.consent)
			n.PersonID = f.Ann.ID
			c, err := f.Consent.Give(f.Ctx, f.Manager.Actor, n)
			if err != nil {
				t.Fatal(err)
			}
			tag := fmt.Sprintf("%.8s", c.ID[len(c.ID)-8:])
			withdrawer := f.Manager.Actor
			withdrawer.RequestID = "withdraw-" + tag
			// The withdrawal starts once half the reads have, so that some
			// are under way when it does (the scheduler would otherwise
			// often run it first). Which end up before it is the engine's
			// business: the test asserts the order, whatever it is.
			var started atomic.Int32
			half := make(chan struct{})
			var withdrawn consent.Consent
			errs := f.Together(readers+1, func(i int) error {
				if i == readers {
					<-half
					var err error
					withdrawn, err = f.Consent.Withdraw(f.Ctx, withdrawer, f.Ann.ID, c.ID, "Ann changed her mind")
					return err
				}
				if started.Add(1) == readers/2 {
					close(half)
				}
				return r.read(i, tag)
			})
			if err := errs[readers]; err != nil || !withdrawn.Withdrawn() {
				t.Fatalf("withdrawal: %v", err)
			}
			w := eventsOf(t, f, withdrawer.RequestID)
			if len(w) != 1 || w[0].Outcome != "success" || w[0].ResourceID != c.ID {
				t.Fatalf("the withdrawal is audited as %+v", w)
			}
			before := 0
			for i, err := range errs[:readers] {
				ev := eventsOf(t, f, fmt.Sprintf("%s-%02d", tag, i))
				if len(ev) != 1 {
					t.Errorf("read %d is audited %d times, want once: %+v", i, len(ev), ev)
					continue
				}
				e := ev[0]
				switch {
				case err == nil:
					before++
					if e.Decision != "permit" || e.Outcome != "success" || e.BasisID != r.basis(c) {
						t.Errorf("read %d succeeded but is audited as %s/%s on %q, want permit/success on %q", i, e.Decision, e.Outcome, e.BasisID, r.basis(c))
					}
					if e.ID > w[0].ID {
						t.Errorf("read %d was permitted on the consent but committed after its withdrawal", i)
					}
				case door.IsDenial(err):
					if e.Decision != "deny" || e.Outcome != "denied" {
						t.Errorf("read %d was refused but is audited as %s/%s", i, e.Decision, e.Outcome)
					}
					if e.ID < w[0].ID {
						t.Errorf("read %d was refused before the consent was withdrawn", i)
					}
				default:
					t.Errorf("read %d failed without a decision: %v", i, err)
				}
			}
			t.Logf("%d of %d reads were ordered before the withdrawal, %d after", before, readers, readers-before)

			// And once Withdraw has returned, no read is permitted.
			late := tag + "-late"
			for i, err := range f.Together(readers, func(i int) error { return r.read(i, late) }) {
				if !door.IsDenial(err) {
					t.Errorf("a read after the withdrawal returned: %v, want a refusal", err)
				}
				if ev := eventsOf(t, f, fmt.Sprintf("%s-%02d", late, i)); len(ev) != 1 || ev[0].Decision != "deny" {
					t.Errorf("a read after the withdrawal is audited as %+v, want one denial", ev)
				}
			}
		})
	}
}

func TestAConsentWithdrawnByTwentyStaffAtOnceIsWithdrawnOnceAndTheOthersToldByWhom(t *testing.T) {
	f := newFixture(t)
	team := f.Team(f.Manager, f.Ann, access.SeniorCarer, "senior", readers)
	c, err := f.Consent.Give(f.Ctx, f.Manager.Actor, informed(consent.NewConsent{PersonID: f.Ann.ID, Purpose: consent.PurposePhotographs}))
	if err != nil {
		t.Fatal(err)
	}
	errs := f.Together(readers, func(i int) error {
		_, err := f.Consent.Withdraw(f.Ctx, team[i].Actor, f.Ann.ID, c.ID, "Ann asked "+team[i].Username)
		return err
	})
	var winner apptest.Staff
	for i, err := range errs {
		if err == nil {
			if winner.ID != "" {
				t.Fatalf("withdrawn by both %s and %s", winner.Username, team[i].Username)
			}
			winner = team[i]
		}
	}
	if winner.ID == "" {
		t.Fatal("nobody withdrew the consent")
	}
	want := fmt.Sprintf("This consent was already withdrawn on 3 March 2026 by %s. Nothing was changed.", winner.DisplayName)
	for i, err := range errs {
		var he *hearth.Error
		if err != nil && (!errors.As(err, &he) || he.Kind != hearth.KindConflict || he.Message != want || !errors.Is(err, consent.ErrAlreadyWithdrawn)) {
			t.Errorf("%s was told %v, want a conflict saying %q", team[i].Username, err, want)
		}
	}
	if n := f.Count(`SELECT COUNT(*) FROM consents WHERE id = ? AND withdrawn_by = ? AND withdrawn_how = ?`,
		c.ID, winner.ID, "Ann asked "+winner.Username); n != 1 {
		t.Errorf("the stored withdrawal is not the winner's")
	}
	for _, st := range team {
		want := "invalid"
		if st.ID == winner.ID {
			want = "success"
		}
		if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = ? AND decision = 'permit' AND outcome = ?`,
			st.ID, access.RecordConsent.String(), want); n != 1 {
			t.Errorf("%s's attempt is not audited once as %s", st.Username, want)
		}
	}
}

type auditedEvent struct{ ID, Decision, Outcome, BasisID, ResourceID string }

// eventsOf is the audit events of one request, oldest first.
func eventsOf(t *testing.T, f *fixture, requestID string) []auditedEvent {
	t.Helper()
	rows, err := f.DB.Query(f.Ctx, `SELECT id, decision, outcome, basis_id, resource_id FROM audit_events WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []auditedEvent
	for rows.Next() {
		var e auditedEvent
		if err := rows.Scan(&e.ID, &e.Decision, &e.Outcome, &e.BasisID, &e.ResourceID); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A representative's read takes the person's row as a withdrawal would,
// and a page that reads and then asks whether they may also record (the
// consent page, the technology page) asks again for it. Twenty at once must
// all be answered: a shared lock taken by the read and then raised for the
// question would leave each page waiting for another's share, which
// PostgreSQL breaks by failing all but one.
func TestARepresentativesPagesOpenedAtTheSameMomentAreAllAnswered(t *testing.T) {
	f := newFixture(t)
	mary := f.representativeAccount(f.representative("Mary Jones", consent.AuthorityLPAHealthWelfare, true), "mary")
	f.assess(consent.DecisionCareAndSupport, true, f.Clock.Now().Add(-time.Hour))
	for _, page := range []struct {
		name string
		open func(actor door.Actor) error
	}{
		{"consent and capacity", func(a door.Actor) error { _, err := f.Consent.Page(f.Ctx, a, f.Ann.ID); return err }},
		{"technology", func(a door.Actor) error { _, err := f.Tech.PersonTechnology(f.Ctx, a, f.Ann.ID); return err }},
		{"portal care record", func(a door.Actor) error { _, err := f.Portal.CareRecord(f.Ctx, a, f.Ann.ID, 7); return err }},
	} {
		t.Run(page.name, func(t *testing.T) {
			errs := f.Together(readers, func(i int) error {
				actor := mary
				actor.RequestID = fmt.Sprintf("%s-%02d", page.name, i)
				return page.open(actor)
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("page %d of %d opened together: %v", i+1, readers, err)
					continue
				}
				for _, e := range eventsOf(t, f, fmt.Sprintf("%s-%02d", page.name, i)) {
					if e.Outcome != "success" && e.Outcome != "denied" {
						t.Errorf("page %d: an event is audited as %s/%s", i+1, e.Decision, e.Outcome)
					}
				}
			}
		})
	}
}
