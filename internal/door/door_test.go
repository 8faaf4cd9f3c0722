package door_test

// Tests of the door itself (docs/architecture.md, "The door"): a scope
// reaches the database only after a permit; a failed scope is rolled back
// and its decisions audited with the failure; facts are cached by
// everything they are loaded by; second parties are decided with the same
// facts and audited in the actor's request; lists are limited to the
// actor's relationships; entries belong to their person; withheld entries
// are refused by the decision; and on PostgreSQL writes to one person queue.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/store/storetest"
)

// world is the usual cast plus Bob, at Rowan House on no one's care team,
// and Cat at another location, so that a relationship can be seen to stop
// somewhere.
type world struct {
	*apptest.Scenario
	Bob, Cat  people.Person
	Elsewhere people.Location
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := apptest.NewScenario(t)
	w := &world{Scenario: s}
	w.Bob = s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")
	w.Elsewhere = s.Location("Ash Court", people.CareHome)
	theirs := s.Staff("ashmanager", access.RegisteredManager, w.Elsewhere)
	w.Cat = s.Person(theirs, w.Elsewhere, "Cat", "Evans", "9434765889")
	return w
}

// as gives actor a request of its own, so a test finds exactly the events
// of what it did.
func as(actor door.Actor) door.Actor {
	actor.RequestID = hearth.NewID()
	return actor
}

func (w *world) events(t *testing.T, actor door.Actor) []audit.Event {
	t.Helper()
	evs, err := w.Audit.ByRequest(w.Ctx, actor.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// portalUser invites and accepts an account for Ann: her own, or, with a
// representative, theirs.
func (w *world) portalUser(t *testing.T, username string, rep *consent.Representative) door.Actor {
	t.Helper()
	inv := portal.NewInvitation{PersonID: w.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"}
	if rep != nil {
		inv = portal.NewInvitation{PersonID: w.Ann.ID, Kind: access.KindRepresentative, RepresentativeID: rep.ID, Name: rep.Name}
	}
	_, code, err := w.Portal.Invite(w.Ctx, w.Manager.Actor, inv)
	if err != nil {
		t.Fatal(err)
	}
	u, err := w.Portal.Accept(w.Ctx, portal.Acceptance{Code: code, Username: username, Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	return apptest.ActorOf(u)
}

func (w *world) representative(t *testing.T) consent.Representative {
	t.Helper()
	r, err := w.Consent.RecordRepresentative(w.Ctx, w.Manager.Actor, consent.NewRepresentative{PersonID: w.Ann.ID, Name: "Mary Jones",
		Relationship: "daughter", Authority: consent.AuthorityLPAHealthWelfare, EvidenceReference: "OPG 7000-1234-5678",
		StartsOn: w.Clock.Now().Add(-30 * 24 * time.Hour), VerifiedBy: "Grace Obi, registered manager", VerifiedOn: w.Clock.Now().Add(-20 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) note(t *testing.T, p people.Person, body string) care.Note {
	t.Helper()
	n, err := w.Care.RecordNote(w.Ctx, w.Manager.Actor, p.ID, care.NoteDraft{Category: "mood", Body: body, CareAt: w.Clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func read(personID string) door.Request {
	return door.Request{Action: access.ReadRecord, Purpose: access.DirectCare, PersonID: personID, ResourceType: "Patient", ResourceID: personID}
}

func write(personID string) door.Request {
	return door.Request{Action: access.WriteRecord, Purpose: access.DirectCare, PersonID: personID, ResourceType: "Patient", ResourceID: personID}
}

// touch is a harmless write to the person's row.
const touch = `UPDATE people SET given_name = given_name WHERE id = ?`

func TestAScopeReachesTheDatabaseOnlyAfterAPermittingDecision(t *testing.T) {
	w := newWorld(t)
	tries := func(sc *door.Scope) (query, row, exec error) {
		rows, query := sc.Query(`SELECT id FROM people`)
		if rows != nil {
			rows.Close()
		}
		var id string
		row = sc.QueryRow(`SELECT id FROM people WHERE id = ?`, w.Ann.ID).Scan(&id)
		_, exec = sc.Exec(touch, w.Ann.ID)
		return
	}
	cases := []struct {
		name    string
		before  func(sc *door.Scope) error
		refused bool
	}{
		{"Before any decision the scope refuses to query, read a row or write",
			func(*door.Scope) error { return nil }, true},
		{"A denial does not open the scope",
			func(sc *door.Scope) error { _, err := sc.Check(read(w.Bob.ID)); return err }, true},
		{"A decision made for a second member of staff does not open the scope",
			func(sc *door.Scope) error { _, err := sc.DecideFor(w.Carer.ID, read(w.Ann.ID), "witness"); return err }, true},
		{"A decision on a provider-level action the role lacks does not open the scope",
			func(sc *door.Scope) error {
				_, err := sc.Check(door.Request{Action: access.ManageAccounts, Purpose: access.Administration})
				return err
			}, true},
		{"A permit opens the scope to reads and writes",
			func(sc *door.Scope) error { _, err := sc.Allow(read(w.Ann.ID)); return err }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := w.Door.Run(w.Ctx, as(w.Carer.Actor), func(sc *door.Scope) error {
				if err := tc.before(sc); err != nil {
					return err
				}
				query, row, exec := tries(sc)
				for what, err := range map[string]error{"Query": query, "QueryRow": row, "Exec": exec} {
					if tc.refused && !errors.Is(err, door.ErrNoDecision) {
						t.Errorf("%s: want door.ErrNoDecision, got %v", what, err)
					}
					if !tc.refused && err != nil {
						t.Errorf("%s after a permit: %v", what, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// writingSource is a fact source that tries to write while facts load, and
// reads, remembering what the scope said to each.
type writingSource struct {
	execErr, readErr error
	calls            int
}

func (s *writingSource) LoadFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	s.calls++
	_, s.execErr = sc.Exec(`UPDATE people SET given_name = 'Changed' WHERE id = ?`, q.PersonID)
	var n int
	s.readErr = sc.QueryRow(`SELECT COUNT(*) FROM people WHERE id = ?`, q.PersonID).Scan(&n)
	return nil
}

func TestFactSourcesMayReadButNeverWrite(t *testing.T) {
	w := newWorld(t)
	src := &writingSource{}
	d := door.New(w.DB, w.Audit, w.Clock.Now, nil, src)
	if err := d.Run(w.Ctx, as(w.Carer.Actor), func(sc *door.Scope) error {
		_, err := sc.Allow(read(w.Ann.ID))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if src.calls != 1 {
		t.Fatalf("the fact source was asked %d times", src.calls)
	}
	if src.execErr == nil || !strings.Contains(src.execErr.Error(), "never write") {
		t.Errorf("a fact source's write was not refused: %v", src.execErr)
	}
	if src.readErr != nil {
		t.Errorf("a fact source could not read while facts load: %v", src.readErr)
	}
	if n := w.Count(`SELECT COUNT(*) FROM people WHERE id = ? AND given_name = 'Ann'`, w.Ann.ID); n != 1 {
		t.Errorf("a fact source changed Ann's record")
	}
}

func TestAFailedScopeChangesNothingAndItsDecisionsAreAuditedWithTheFailure(t *testing.T) {
	w := newWorld(t)
	fault := errors.New("the disk is full")
	cases := []struct {
		name     string
		fail     func(sc *door.Scope) error
		wantKind hearth.Kind
		want     map[string]string // person → outcome of their event
	}{
		{"Work that succeeds is kept and audited as success",
			func(*door.Scope) error { return nil }, -1, map[string]string{w.Ann.ID: audit.OutcomeSuccess}},
		{"Bad input rolls the work back and is audited as invalid",
			func(*door.Scope) error { return hearth.Invalid("Body", "Enter what happened") },
			hearth.KindInvalid, map[string]string{w.Ann.ID: audit.OutcomeInvalid}},
		{"A conflict rolls the work back and is audited as invalid",
			func(*door.Scope) error { return hearth.Errorf(hearth.KindConflict, "Someone else changed this first") },
			hearth.KindConflict, map[string]string{w.Ann.ID: audit.OutcomeInvalid}},
		{"An entry that is not there rolls the work back and is audited as not found",
			func(*door.Scope) error { return hearth.NotFound("That note") },
			hearth.KindNotFound, map[string]string{w.Ann.ID: audit.OutcomeNotFound}},
		{"A fault rolls the work back and is audited as failed",
			func(*door.Scope) error { return fault }, hearth.KindInternal, map[string]string{w.Ann.ID: audit.OutcomeFailed}},
		{"A later denial rolls back the permitted work, which is audited as failed, and the denial as denied",
			func(sc *door.Scope) error { _, err := sc.Allow(read(w.Bob.ID)); return err },
			hearth.KindNotFound, map[string]string{w.Ann.ID: audit.OutcomeFailed, w.Bob.ID: audit.OutcomeDenied}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := as(w.Carer.Actor)
			var failure error
			err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
				if _, err := sc.Allow(write(w.Ann.ID)); err != nil {
					return err
				}
				if _, err := sc.Exec(`UPDATE people SET preferred_name = ? WHERE id = ?`, actor.RequestID, w.Ann.ID); err != nil {
					return err
				}
				failure = tc.fail(sc)
				return failure
			})
			if err != failure {
				t.Fatalf("Run returned %v, the work returned %v", err, failure)
			}
			kept := w.Count(`SELECT COUNT(*) FROM people WHERE id = ? AND preferred_name = ?`, w.Ann.ID, actor.RequestID)
			if tc.wantKind < 0 {
				if err != nil || kept != 1 {
					t.Fatalf("successful work: err %v, kept %d", err, kept)
				}
			} else {
				if hearth.KindOf(err) != tc.wantKind {
					t.Errorf("error kind %v, want %v: %v", hearth.KindOf(err), tc.wantKind, err)
				}
				if kept != 0 {
					t.Errorf("the failed work's write was kept")
				}
			}
			evs := w.events(t, actor)
			if len(evs) != len(tc.want) {
				t.Fatalf("%d events, want %d: %+v", len(evs), len(tc.want), evs)
			}
			for _, e := range evs {
				if e.Outcome != tc.want[e.PersonID] {
					t.Errorf("event about %s: outcome %q, want %q", e.PersonID, e.Outcome, tc.want[e.PersonID])
				}
			}
		})
	}
}

func TestADenialIsNotFoundWithoutARelationshipAndForbiddenOtherwise(t *testing.T) {
	w := newWorld(t)
	ig := w.Staff("iglead", access.IGLead, w.Home)
	ann := w.portalUser(t, "ann.jones", nil)
	cases := []struct {
		name       string
		actor      door.Actor
		req        door.Request
		wantKind   hearth.Kind
		wantReason access.Reason
	}{
		{"A care worker off the team is told the record is not found", w.OtherCarer.Actor, read(w.Ann.ID),
			hearth.KindNotFound, access.DenyNoRelationship},
		{"A registered manager is told someone at another location is not found", w.Manager.Actor, read(w.Cat.ID),
			hearth.KindNotFound, access.DenyNoRelationship},
		{"Someone who does not exist is not found", w.Carer.Actor, read(hearth.NewID()),
			hearth.KindNotFound, access.DenyNotFound},
		{"A malformed ID is not found", w.Carer.Actor, read("../../etc/passwd"),
			hearth.KindNotFound, access.DenyNotFound},
		{"A purpose that does not fit is not found", w.Carer.Actor,
			door.Request{Action: access.ReadRecord, Purpose: access.OwnRecord, PersonID: w.Ann.ID},
			hearth.KindNotFound, access.DenyWrongPurpose},
		{"A person opening someone else's record is told it is not found", ann,
			door.Request{Action: access.ReadRecord, Purpose: access.OwnRecord, PersonID: w.Bob.ID},
			hearth.KindNotFound, access.DenyNoRelationship},
		{"The information governance lead may see Ann but not read her care record, and is told so", ig.Actor, read(w.Ann.ID),
			hearth.KindForbidden, access.DenyNoPermission},
		{"A person may not write a care note in their own record, and is told so", ann,
			door.Request{Action: access.WriteRecord, Purpose: access.OwnRecord, PersonID: w.Ann.ID},
			hearth.KindForbidden, access.DenyNoPermission},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := as(tc.actor)
			err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
				_, err := sc.Allow(tc.req)
				return err
			})
			if !door.IsDenial(err) || hearth.KindOf(err) != tc.wantKind {
				t.Fatalf("got %v (kind %v), want a denial of kind %v", err, hearth.KindOf(err), tc.wantKind)
			}
			var he *hearth.Error
			errors.As(err, &he)
			if tc.wantKind == hearth.KindForbidden && he.Message != tc.wantReason.Sentence() {
				t.Errorf("forbidden says %q, want the reason %q", he.Message, tc.wantReason.Sentence())
			}
			if tc.wantKind == hearth.KindNotFound && he.Message != "That record was not found" {
				t.Errorf("not found says %q: it must not say why", he.Message)
			}
			evs := w.events(t, actor)
			if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Reason != tc.wantReason.String() || evs[0].Outcome != audit.OutcomeDenied {
				t.Errorf("audited as %+v, want one denial for %s", evs, tc.wantReason)
			}
		})
	}
}

// countingSource counts the facts it is asked for.
type countingSource struct {
	mu      sync.Mutex
	queries []door.FactQuery
}

func (s *countingSource) LoadFacts(sc *door.Scope, q door.FactQuery, f *access.Facts) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries = append(s.queries, q)
	return nil
}

func TestFactsAreLoadedOncePerActorPersonActionAndPurpose(t *testing.T) {
	w := newWorld(t)
	src := &countingSource{}
	d := door.New(w.DB, w.Audit, w.Clock.Now, nil, src)
	governance := read(w.Ann.ID)
	governance.Purpose = access.Governance
	steps := []struct {
		name      string
		decide    func(sc *door.Scope) error
		wantLoads int
		wantActor string
	}{
		{"The first decision about Ann loads her facts",
			func(sc *door.Scope) error { _, err := sc.Check(read(w.Ann.ID)); return err }, 1, w.Manager.ID},
		{"The same request again is answered from the cache",
			func(sc *door.Scope) error { _, err := sc.Check(read(w.Ann.ID)); return err }, 1, w.Manager.ID},
		{"The same person with another action loads again, since a write locks where a read does not",
			func(sc *door.Scope) error { _, err := sc.Check(write(w.Ann.ID)); return err }, 2, w.Manager.ID},
		{"The same person and action for another purpose loads again",
			func(sc *door.Scope) error { _, err := sc.Check(governance); return err }, 3, w.Manager.ID},
		{"Another person loads their own facts",
			func(sc *door.Scope) error { _, err := sc.Check(read(w.Bob.ID)); return err }, 4, w.Manager.ID},
		{"A second member of staff is decided on facts loaded for them, not the actor's",
			func(sc *door.Scope) error { _, err := sc.DecideFor(w.Carer.ID, read(w.Ann.ID), "witness"); return err }, 5, w.Carer.ID},
		{"The same second member of staff again is answered from the cache",
			func(sc *door.Scope) error { _, err := sc.DecideFor(w.Carer.ID, read(w.Ann.ID), "witness"); return err }, 5, w.Carer.ID},
	}
	err := d.Run(w.Ctx, as(w.Manager.Actor), func(sc *door.Scope) error {
		for _, st := range steps {
			if err := st.decide(sc); err != nil {
				return err
			}
			src.mu.Lock()
			n, last := len(src.queries), src.queries[len(src.queries)-1]
			src.mu.Unlock()
			if n != st.wantLoads {
				t.Errorf("%s: %d loads, want %d", st.name, n, st.wantLoads)
			}
			if last.Actor.ID != st.wantActor {
				t.Errorf("%s: the last facts were loaded for %s, want %s", st.name, last.Actor.ID, st.wantActor)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A new scope starts with an empty cache: facts are never carried from
	// one transaction to the next.
	if err := d.Run(w.Ctx, as(w.Manager.Actor), func(sc *door.Scope) error { _, err := sc.Check(read(w.Ann.ID)); return err }); err != nil {
		t.Fatal(err)
	}
	if len(src.queries) != 6 {
		t.Errorf("a new scope reused facts from the last: %d loads", len(src.queries))
	}
}

func TestASecondMemberOfStaffIsDecidedWithTheSameRulesAndAuditedInTheActorsRequest(t *testing.T) {
	w := newWorld(t)
	gone := w.Staff("gone", access.CareWorker)
	w.Assign(w.Manager, w.Ann, gone)
	if err := w.Accounts.Disable(w.Ctx, gone.ID, accounts.Operator("test"), accounts.Meta{}); err != nil {
		t.Fatal(err)
	}
	ann := w.portalUser(t, "ann.jones", nil)
	dose := door.Request{Action: access.AdministerMedicines, Purpose: access.DirectCare, PersonID: w.Ann.ID,
		ResourceType: "MedicationAdministration", Detail: "controlled drug"}
	cases := []struct {
		name       string
		userID     string
		wantPermit bool
		wantReason access.Reason
		wantID     string // the party's ID as returned: empty for an unknown subject
		wantName   string // as named in the audit event's detail
	}{
		{"A witness on the person's care team is permitted", w.Carer.ID, true, access.PermitCareTeam, w.Carer.ID, w.Carer.DisplayName},
		{"A witness off the care team is denied", w.OtherCarer.ID, false, access.DenyNoRelationship, w.OtherCarer.ID, w.OtherCarer.DisplayName},
		{"A disabled account is decided as unknown, even on the care team", gone.ID, false, access.DenyUnknownSubject, "", gone.DisplayName},
		{"An account that does not exist is decided as unknown", hearth.NewID(), false, access.DenyUnknownSubject, "", "an unknown account"},
		{"A malformed account ID is decided as unknown", "' OR 1=1 --", false, access.DenyUnknownSubject, "", "an unknown account"},
		{"The person's own portal account is not staff and is decided as unknown", ann.ID, false, access.DenyUnknownSubject, "", "Ann Jones"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := as(w.Manager.Actor)
			var p door.Party
			err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
				if _, err := sc.Allow(dose); err != nil {
					return err
				}
				var err error
				p, err = sc.DecideFor(tc.userID, dose, "witness")
				if sc.Permitted(w.Ann.ID, access.AdministerMedicines) != true {
					t.Errorf("the actor's own permit was lost")
				}
				return err
			})
			if err != nil {
				t.Fatalf("a party's decision is not an error: %v", err)
			}
			if p.Decision.Permit != tc.wantPermit || p.Decision.Reason != tc.wantReason || p.ID != tc.wantID {
				t.Errorf("party %+v, want permit %v for %s with ID %q", p, tc.wantPermit, tc.wantReason, tc.wantID)
			}
			evs := w.events(t, actor)
			if len(evs) != 2 {
				t.Fatalf("%d events, want the actor's and the party's: %+v", len(evs), evs)
			}
			party := evs[1]
			wantOutcome := audit.OutcomeDenied
			if tc.wantPermit {
				wantOutcome = audit.OutcomeSuccess
			}
			if party.ActorID != w.Manager.ID || party.PersonID != w.Ann.ID || party.Decision != p.Decision.Outcome() ||
				party.Reason != tc.wantReason.String() || party.Outcome != wantOutcome ||
				!strings.Contains(party.Detail, "decided for "+tc.wantName+" as witness") {
				t.Errorf("the party's decision was audited as %+v", party)
			}
		})
	}
}

func TestAPartysPermitDoesNotCountAsTheActors(t *testing.T) {
	w := newWorld(t)
	err := w.Door.Run(w.Ctx, as(w.OtherCarer.Actor), func(sc *door.Scope) error {
		p, err := sc.DecideFor(w.Carer.ID, read(w.Ann.ID), "assignee")
		if err != nil || !p.Decision.Permit {
			t.Fatalf("the carer on Ann's team was not permitted: %+v %v", p, err)
		}
		if sc.Permitted(w.Ann.ID) {
			t.Errorf("a permit decided for someone else counts as the actor's")
		}
		if err := sc.Require(w.Ann.ID); !errors.Is(err, door.ErrNoDecision) {
			t.Errorf("Require after only a party's permit: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRequireHoldsOnlyForAPersonAndActionThisScopePermitted(t *testing.T) {
	w := newWorld(t)
	err := w.Door.Run(w.Ctx, as(w.Manager.Actor), func(sc *door.Scope) error {
		if sc.Permitted(w.Ann.ID) || sc.Require(w.Ann.ID) == nil {
			t.Errorf("permitted before any decision")
		}
		if _, err := sc.Check(read(w.Cat.ID)); err != nil {
			return err
		}
		if _, err := sc.Allow(read(w.Ann.ID)); err != nil {
			return err
		}
		cases := []struct {
			name    string
			person  string
			actions []access.Action
			want    bool
		}{
			{"The permitted person, for any action", w.Ann.ID, nil, true},
			{"The permitted person, for the permitted action", w.Ann.ID, []access.Action{access.ReadRecord}, true},
			{"The permitted person, for one of several actions", w.Ann.ID, []access.Action{access.ReadAccessLog, access.ReadRecord}, true},
			{"The permitted person, for another action", w.Ann.ID, []access.Action{access.WriteRecord}, false},
			{"Someone the scope never decided on", w.Bob.ID, nil, false},
			{"Someone the scope denied", w.Cat.ID, nil, false},
			{"No one at all", "", nil, false},
		}
		for _, tc := range cases {
			if got := sc.Permitted(tc.person, tc.actions...); got != tc.want {
				t.Errorf("%s: Permitted %v, want %v", tc.name, got, tc.want)
			}
			err := sc.Require(tc.person, tc.actions...)
			if tc.want != (err == nil) || (err != nil && !errors.Is(err, door.ErrNoDecision)) {
				t.Errorf("%s: Require %v", tc.name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListsReachOnlyThePeopleTheActorHasARelationshipWith(t *testing.T) {
	w := newWorld(t)
	senior := w.Staff("senior", access.SeniorCarer, w.Home) // at Rowan House, but a role that covers only its care teams
	rescuer := w.Staff("rescuer", access.CareWorker)
	if _, err := w.BreakGlass.Open(w.Ctx, rescuer.Actor, w.Bob.ID, "Bob has fallen and his carer is off sick"); err != nil {
		t.Fatal(err)
	}
	lapsed := w.Staff("lapsed", access.CareWorker)
	if _, err := w.BreakGlass.Open(w.Ctx, lapsed.Actor, w.Bob.ID, "Bob's alarm went off in the night"); err != nil {
		t.Fatal(err)
	}
	w.Clock.Advance(2 * time.Hour) // the break-glass grants end; the rescuer opens a new one
	if _, err := w.BreakGlass.Open(w.Ctx, rescuer.Actor, w.Bob.ID, "Bob has fallen again and needs his notes"); err != nil {
		t.Fatal(err)
	}
	ann := w.portalUser(t, "ann.jones", nil)
	rep := w.representative(t)
	mary := w.portalUser(t, "mary.jones", &rep)
	cases := []struct {
		name  string
		actor door.Actor
		want  []string
	}{
		{"A care worker reaches the people on their care team", w.Carer.Actor, []string{w.Ann.ID}},
		{"A care worker on no care team reaches no one", w.OtherCarer.Actor, nil},
		{"A registered manager reaches everyone at their location and no one elsewhere", w.Manager.Actor, []string{w.Ann.ID, w.Bob.ID}},
		{"A senior carer assigned to a location reaches no one there without a care team", senior.Actor, nil},
		{"Live break-glass reaches the person it was opened for", rescuer.Actor, []string{w.Bob.ID}},
		{"Break-glass that has ended reaches no one", lapsed.Actor, nil},
		{"A person's own account reaches their own record", ann, []string{w.Ann.ID}},
		{"A representative's account reaches the person they represent", mary, []string{w.Ann.ID}},
	}
	everyone := []string{w.Ann.ID, w.Bob.ID, w.Cat.ID}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := as(tc.actor)
			purpose := people.Purpose(actor)
			var reached, kept []string
			err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
				if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: purpose, ResourceType: "Patient"}); err != nil {
					return err
				}
				reach, args := sc.Reach("p.id", "p.location_id")
				rows, err := sc.Query(`SELECT p.id FROM people p WHERE `+reach+` ORDER BY p.id`, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						return err
					}
					reached = append(reached, id)
				}
				if err := rows.Err(); err != nil {
					return err
				}
				// Filter is handed everyone, twice over: it must keep only
				// those within reach, each decided and audited once.
				kept, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: purpose, ResourceType: "Patient"},
					append(everyone, everyone...), func(id string) string { return id })
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(tc.want)
			if !slices.Equal(reached, tc.want) {
				t.Errorf("Reach gave %v, want %v", reached, tc.want)
			}
			slices.Sort(kept)
			kept = slices.Compact(kept)
			if !slices.Equal(kept, tc.want) {
				t.Errorf("Filter kept %v, want %v", kept, tc.want)
			}
			var audited []string
			for _, e := range w.events(t, actor) {
				if e.PersonID != "" {
					audited = append(audited, e.PersonID)
				}
			}
			slices.Sort(audited)
			if !slices.Equal(audited, tc.want) {
				t.Errorf("people audited %v, want each of %v once", audited, tc.want)
			}
		})
	}
}

func TestAllowEachDecidesOnlyPeopleWithinReachAndAuditsNoOneElse(t *testing.T) {
	w := newWorld(t)
	actor := as(w.Carer.Actor)
	var got []string
	err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
		var err error
		got, err = sc.AllowEach(door.Request{Action: access.ViewPerson, Purpose: access.DirectCare, ResourceType: "Patient"},
			[]string{w.Bob.ID, w.Ann.ID, w.Cat.ID, hearth.NewID(), "not an ID"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{w.Ann.ID}) {
		t.Errorf("AllowEach kept %v, want only Ann", got)
	}
	evs := w.events(t, actor)
	if len(evs) != 1 || evs[0].PersonID != w.Ann.ID || evs[0].Decision != "permit" {
		t.Errorf("audited %+v: want one permit for Ann and nothing about anyone outside reach", evs)
	}
}

func TestAnEntryBelongsToItsPersonAndAnotherPersonsLooksMissing(t *testing.T) {
	w := newWorld(t)
	annNote := w.note(t, w.Ann, "Ann enjoyed the garden")
	bobNote := w.note(t, w.Bob, "Bob watched the football")
	cases := []struct {
		name    string
		typ, id string
		found   bool
	}{
		{"Ann's own note is hers", "DailyNote", annNote.ID, true},
		{"Ann's note named under the type it was first marked with is hers", "Observation", annNote.ID, true},
		{"Bob's note under Ann looks exactly like a missing one", "DailyNote", bobNote.ID, false},
		{"A note that does not exist is not found", "DailyNote", hearth.NewID(), false},
		{"A malformed entry ID is not found", "DailyNote", "1; DROP TABLE daily_notes", false},
		{"A type the door does not know is not found, even for Ann's own entry", "Spreadsheet", annNote.ID, false},
	}
	err := w.Door.Run(w.Ctx, as(w.Manager.Actor), func(sc *door.Scope) error {
		if err := sc.Owns(w.Ann.ID, "DailyNote", annNote.ID); !errors.Is(err, door.ErrNoDecision) {
			t.Errorf("Owns before any decision about Ann: %v", err)
		}
		if _, err := sc.Allow(read(w.Ann.ID)); err != nil {
			return err
		}
		for _, tc := range cases {
			err := sc.Owns(w.Ann.ID, tc.typ, tc.id)
			if tc.found && err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if !tc.found && (hearth.KindOf(err) != hearth.KindNotFound || err.Error() != "That entry was not found") {
				t.Errorf("%s: got %v, want the one not-found", tc.name, err)
			}
		}
		owners := []struct {
			name, typ, id, want string
		}{
			{"The owner of Bob's note is Bob", "DailyNote", bobNote.ID, w.Bob.ID},
			{"A missing note has no owner", "DailyNote", hearth.NewID(), ""},
			{"An unknown type has no owner", "Spreadsheet", bobNote.ID, ""},
			{"A malformed ID has no owner", "DailyNote", "x", ""},
		}
		for _, tc := range owners {
			got, err := sc.OwnerOf(tc.typ, tc.id)
			if err != nil || got != tc.want {
				t.Errorf("%s: got %q, %v", tc.name, got, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestWithheldEntriesAreRefusedToThePersonByTheDecisionAndLeftOutOfTheirList(t *testing.T) {
	w := newWorld(t)
	shown := w.note(t, w.Ann, "Ann enjoyed the garden")
	hidden := w.note(t, w.Ann, "Ann's son said his wife is unwell")
	if _, err := w.Portal.Withhold(w.Ctx, w.Manager.Actor, w.Ann.ID, portal.NewWithheld{ResourceType: "DailyNote", ResourceID: hidden.ID,
		Category: portal.WithheldThirdParty, Reason: "About the son's wife, not Ann"}); err != nil {
		t.Fatal(err)
	}
	ann := w.portalUser(t, "ann.jones", nil)
	cases := []struct {
		name        string
		actor       door.Actor
		wantListed  []string
		wantRefused bool
	}{
		{"The person is refused the withheld entry, audited as withheld, and never reads it", ann, []string{shown.ID}, true},
		{"Staff are refused nothing and read every entry", w.Manager.Actor, []string{shown.ID, hidden.ID}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			actor := as(tc.actor)
			req := door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: w.Ann.ID, ResourceType: "DailyNote"}
			var listed []string
			err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
				if _, err := sc.Allow(req); err != nil {
					return err
				}
				ex, err := sc.Unwithheld(req, "DailyNote")
				if err != nil {
					return err
				}
				if ex.Has(hidden.ID) != tc.wantRefused || ex.Has(shown.ID) {
					t.Errorf("excluded: hidden %v, shown %v", ex.Has(hidden.ID), ex.Has(shown.ID))
				}
				cond, args := ex.Not("id")
				rows, err := sc.Query(`SELECT id FROM daily_notes WHERE person_id = ? AND `+cond+` ORDER BY id`, append([]any{w.Ann.ID}, args...)...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id string
					if err := rows.Scan(&id); err != nil {
						return err
					}
					listed = append(listed, id)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tc.wantListed)
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("listed %v, want %v", listed, want)
			}
			var refused []audit.Event
			for _, e := range w.events(t, actor) {
				if e.Decision == "deny" {
					refused = append(refused, e)
				}
			}
			if !tc.wantRefused {
				if len(refused) != 0 {
					t.Errorf("staff were refused: %+v", refused)
				}
				return
			}
			if len(refused) != 1 || refused[0].ResourceID != hidden.ID || refused[0].Reason != access.DenyWithheld.String() ||
				refused[0].PersonID != w.Ann.ID || refused[0].Outcome != audit.OutcomeDenied {
				t.Errorf("the withheld entry was audited as %+v", refused)
			}
		})
	}
}

func TestOutsideRunsWithoutADecisionAndLeavesNoEvent(t *testing.T) {
	w := newWorld(t)
	before := w.Count(`SELECT COUNT(*) FROM audit_events`)
	var n int
	err := w.Door.Outside(w.Ctx, door.Organisation, func(q *door.Plain) error {
		return q.QueryRow(`SELECT COUNT(*) FROM locations`).Scan(&n)
	})
	if err != nil || n != 2 {
		t.Fatalf("Outside: %d locations, %v", n, err)
	}
	if after := w.Count(`SELECT COUNT(*) FROM audit_events`); after != before {
		t.Errorf("Outside left %d audit events", after-before)
	}
	for _, e := range door.Exceptions() {
		if e.String() == "unknown" || e.String() == "" {
			t.Errorf("door exception %d has no name", e)
		}
	}
}

func TestANoteIsAppendedWithItsWorkAndDroppedWhenTheWorkFails(t *testing.T) {
	w := newWorld(t)
	for _, fail := range []bool{false, true} {
		actor := as(w.Carer.Actor)
		err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
			if _, err := sc.Allow(write(w.Ann.ID)); err != nil {
				return err
			}
			sc.Note(audit.Event{At: sc.Now(), ActorID: actor.ID, ActorKind: "staff", Action: "witness-confirmed", PersonID: w.Ann.ID,
				Decision: "permit", Reason: "password", ReasonText: "The witness confirmed with their password.", Outcome: audit.OutcomeSuccess,
				RequestID: actor.RequestID})
			if fail {
				return hearth.Invalid("Dose", "Choose what happened")
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatal(err)
		}
		var notes, decisions int
		for _, e := range w.events(t, actor) {
			switch e.Action {
			case "witness-confirmed":
				notes++
			case access.WriteRecord.String():
				decisions++
			}
		}
		if fail && (notes != 0 || decisions != 1) {
			t.Errorf("failed work: %d notes and %d decisions, want the decision only", notes, decisions)
		}
		if !fail && (notes != 1 || decisions != 1) {
			t.Errorf("successful work: %d notes and %d decisions, want one of each", notes, decisions)
		}
	}
}

// On PostgreSQL a decision to change a person's record locks their row
// until the scope ends, so two writes to one person happen one after the
// other (docs/architecture.md, "Writes to one person happen in order").
func TestWritesToOnePersonWaitForEachOtherOnPostgreSQL(t *testing.T) {
	if storetest.Engine() != "postgres" {
		t.Skip("SQLite: every scope is BEGIN IMMEDIATE, so scopes are already serialised there and no person lock is needed")
	}
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(w.Ctx, 2*time.Minute) // a guard against a hang, not an assertion
	defer cancel()

	firstHolds := make(chan int, 1) // the first scope's backend, once it holds Ann's lock
	release := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- w.Door.Run(ctx, as(w.Carer.Actor), func(sc *door.Scope) error {
			if _, err := sc.Allow(write(w.Ann.ID)); err != nil {
				return err
			}
			var pid int
			if err := sc.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				return err
			}
			if _, err := sc.Exec(`UPDATE people SET preferred_name = 'first' WHERE id = ?`, w.Ann.ID); err != nil {
				return err
			}
			firstHolds <- pid
			<-release
			return nil
		})
	}()
	var pid int
	select {
	case pid = <-firstHolds:
	case err := <-firstDone:
		t.Fatalf("the first scope ended early: %v", err)
	}

	// The second write decides about Ann, reads her preferred name and sets
	// it; it may only see the first's write if it waited for its commit.
	secondDecided := make(chan string, 1)
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- w.Door.Run(ctx, as(w.Manager.Actor), func(sc *door.Scope) error {
			if _, err := sc.Allow(write(w.Ann.ID)); err != nil {
				return err
			}
			var seen string
			if err := sc.QueryRow(`SELECT preferred_name FROM people WHERE id = ?`, w.Ann.ID).Scan(&seen); err != nil {
				return err
			}
			secondDecided <- seen
			_, err := sc.Exec(`UPDATE people SET preferred_name = ? WHERE id = ?`, seen+", then second", w.Ann.ID)
			return err
		})
	}()

	// Wait until PostgreSQL reports the second scope blocked by the first.
	for {
		var blocked int
		if err := w.DB.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))`, pid).Scan(&blocked); err != nil {
			t.Fatal(err)
		}
		if blocked > 0 {
			break
		}
		select {
		case seen := <-secondDecided:
			t.Fatalf("the second write to Ann went ahead while the first held her record (it saw %q)", seen)
		case err := <-secondDone:
			t.Fatalf("the second write ended while the first held Ann's record: %v", err)
		case <-ctx.Done():
			t.Fatal("the second write never queued behind the first")
		case <-time.After(10 * time.Millisecond):
		}
	}
	select {
	case seen := <-secondDecided:
		t.Fatalf("the second write was decided while blocked (it saw %q)", seen)
	default:
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if seen := <-secondDecided; seen != "first" {
		t.Errorf("the second write read %q: it did not wait for the first to commit", seen)
	}
	if err := <-secondDone; err != nil {
		t.Fatal(err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM people WHERE id = ? AND preferred_name = 'first, then second'`, w.Ann.ID); n != 1 {
		t.Errorf("the writes did not happen in order")
	}

	// A plain read takes no lock: it goes ahead while a write holds Ann.
	hold := make(chan struct{})
	holding := make(chan struct{})
	writeDone := make(chan error, 1)
	go func() {
		writeDone <- w.Door.Run(ctx, as(w.Carer.Actor), func(sc *door.Scope) error {
			if _, err := sc.Allow(write(w.Ann.ID)); err != nil {
				return err
			}
			close(holding)
			<-hold
			return nil
		})
	}()
	<-holding
	if err := w.Door.Run(ctx, as(w.Manager.Actor), func(sc *door.Scope) error { _, err := sc.Allow(read(w.Ann.ID)); return err }); err != nil {
		t.Errorf("a read while a write held Ann: %v", err)
	}
	close(hold)
	if err := <-writeDone; err != nil {
		t.Fatal(err)
	}
}
