package governance_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/governance"
	"hearth/internal/people"
)

// inspection is the usual cast plus an information governance lead, an
// inspector, and a second location with someone living there.
type inspection struct {
	*apptest.Scenario
	IG        apptest.Staff
	Inspector apptest.Staff
	Elm       people.Location
	Bob       people.Person
}

func newInspection(t *testing.T) *inspection {
	t.Helper()
	s := apptest.NewScenario(t)
	in := &inspection{Scenario: s}
	in.Elm = s.Location("Elm Court", people.CareHome)
	elmManager := s.Staff("elmmanager", access.RegisteredManager, in.Elm)
	in.Bob = s.Person(elmManager, in.Elm, "Bob", "Price", "9434765870")
	in.IG = s.Staff("iglead", access.IGLead, s.Home, in.Elm)
	in.Inspector = s.Inspector("inspector")
	return in
}

// request gives actor a request ID of its own, so the test can read back
// exactly the audit events that one call wrote.
func request(actor door.Actor) door.Actor {
	actor.RequestID = hearth.NewID()
	return actor
}

func (in *inspection) events(actor door.Actor) []audit.Event {
	in.T.Helper()
	evs, err := in.Audit.ByRequest(in.Ctx, actor.RequestID)
	if err != nil {
		in.T.Fatal(err)
	}
	return evs
}

// twoDaysAtHome is a valid grant: the inspector, Rowan House, from now for
// two days.
func (in *inspection) twoDaysAtHome() governance.NewGrant {
	now := in.Clock.Now()
	return governance.NewGrant{InspectorID: in.Inspector.ID, LocationIDs: []string{in.Home.ID},
		Purpose: "CQC inspection of Rowan House", StartsAt: now, EndsAt: now.Add(48 * time.Hour)}
}

func (in *inspection) grant(n governance.NewGrant) governance.Grant {
	in.T.Helper()
	g, err := in.Governance.Grant(in.Ctx, in.IG.Actor, n)
	if err != nil {
		in.T.Fatalf("grant: %v", err)
	}
	return g
}

// reads reports whether the inspector may open the person's record now,
// and the audit event of the attempt.
func (in *inspection) reads(p people.Person) (bool, audit.Event) {
	in.T.Helper()
	actor := request(in.Inspector.Actor)
	_, err := in.People.Get(in.Ctx, actor, p.ID)
	if err != nil && !door.IsDenial(err) {
		in.T.Fatalf("read %s: %v", p.GivenName, err)
	}
	evs := in.events(actor)
	if len(evs) != 1 {
		in.T.Fatalf("reading %s wrote %d audit events, want 1", p.GivenName, len(evs))
	}
	return err == nil, evs[0]
}

func TestAGrantIsRefusedUnlessEveryRuleHolds(t *testing.T) {
	in := newInspection(t)
	staff := in.Carer
	disabled := in.Scenario.Inspector("gone")
	if err := in.Accounts.Disable(in.Ctx, disabled.ID, accounts.Operator("test"), accounts.Meta{}); err != nil {
		t.Fatal(err)
	}
	now := in.Clock.Now()
	cases := []struct {
		name   string
		change func(n *governance.NewGrant)
		field  string
		rule   string
	}{
		{"the inspector must be chosen", func(n *governance.NewGrant) { n.InspectorID = "" }, "Inspector", "Choose the inspector"},
		{"the inspector must have an account", func(n *governance.NewGrant) { n.InspectorID = hearth.NewID() }, "Inspector", "has an account in Hearth"},
		{"a malformed account ID is no account", func(n *governance.NewGrant) { n.InspectorID = "nobody" }, "Inspector", "has an account in Hearth"},
		{"a member of staff is not an inspector", func(n *governance.NewGrant) { n.InspectorID = staff.ID }, "Inspector", "Only an inspector's account"},
		{"a disabled inspector's account cannot be granted access", func(n *governance.NewGrant) { n.InspectorID = disabled.ID }, "Inspector", "disabled"},
		{"at least one location", func(n *governance.NewGrant) { n.LocationIDs = nil }, "Locations", "Choose at least one location"},
		{"a location that does not exist", func(n *governance.NewGrant) { n.LocationIDs = []string{in.Home.ID, hearth.NewID()} }, "Locations", "Choose locations that exist"},
		{"a location ID that is not an ID", func(n *governance.NewGrant) { n.LocationIDs = []string{"rowan"} }, "Locations", "Choose locations that exist"},
		{"the purpose is required", func(n *governance.NewGrant) { n.Purpose = "  " }, "Purpose", "Say what the inspection is for"},
		{"the purpose is at most 200 characters", func(n *governance.NewGrant) { n.Purpose = strings.Repeat("x", 201) }, "Purpose", "200 characters or fewer"},
		{"the start is required", func(n *governance.NewGrant) { n.StartsAt = time.Time{} }, "Start", "Enter when the inspection access starts"},
		{"the start cannot be in the past", func(n *governance.NewGrant) { n.StartsAt = now.Add(-2 * time.Minute) }, "Start", "must not be in the past"},
		{"the end is required", func(n *governance.NewGrant) { n.EndsAt = time.Time{} }, "End", "Enter when the inspection access ends"},
		{"the end must be after the start", func(n *governance.NewGrant) { n.EndsAt = n.StartsAt }, "End", "must be after the start"},
		{"the access lasts at least an hour", func(n *governance.NewGrant) { n.EndsAt = n.StartsAt.Add(59 * time.Minute) }, "End", "at least 1 hour"},
		{"the access lasts no longer than the maximum", func(n *governance.NewGrant) { n.EndsAt = n.StartsAt.Add(14*24*time.Hour + time.Minute) }, "End", "at most 14 days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := in.twoDaysAtHome()
			tc.change(&n)
			actor := request(in.IG.Actor)
			_, err := in.Governance.Grant(in.Ctx, actor, n)
			var herr *hearth.Error
			if hearth.KindOf(err) != hearth.KindInvalid || !errorAs(err, &herr) {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
			found := false
			for _, p := range herr.Problems {
				found = found || p.Field == tc.field && strings.Contains(p.Message, tc.rule)
			}
			if !found {
				t.Fatalf("problems %+v, want %s: %q", herr.Problems, tc.field, tc.rule)
			}
			if n := in.Count(`SELECT COUNT(*) FROM inspection_grants`); n != 0 {
				t.Fatalf("%d grants stored after a refused grant", n)
			}
			evs := in.events(actor)
			if len(evs) != 1 || evs[0].Action != "manage-inspections" || evs[0].Outcome != audit.OutcomeInvalid {
				t.Fatalf("the attempt was not audited as invalid: %+v", evs)
			}
		})
	}
}

func TestAGrantMayStartNowAndLastExactlyTheMaximum(t *testing.T) {
	in := newInspection(t)
	in.Clock.Advance(30 * time.Second) // a form gives minutes: "now" typed is up to a minute behind
	typed := in.Clock.Now().Truncate(time.Minute)
	n := in.twoDaysAtHome()
	n.StartsAt, n.EndsAt = typed, typed.Add(governance.DefaultMaxInspection)
	g := in.grant(n)
	if !g.StartsAt.Equal(in.Clock.Now()) || g.Status(in.Clock.Now()) != governance.Active {
		t.Fatalf("a start typed as this minute should count as now: starts %v, status %s", g.StartsAt, g.Status(in.Clock.Now()))
	}
}

func TestTheMaximumIsConfigured(t *testing.T) {
	in := newInspection(t)
	short := governance.New(in.Door, 2*24*time.Hour)
	n := in.twoDaysAtHome()
	n.EndsAt = n.StartsAt.Add(3 * 24 * time.Hour)
	_, err := short.Grant(in.Ctx, in.IG.Actor, n)
	if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(err.Error(), "End: Inspection access can last at most 2 days") {
		t.Fatalf("a three-day grant under a two-day maximum: %v", err)
	}
	n.EndsAt = n.StartsAt.Add(2 * 24 * time.Hour)
	if _, err := short.Grant(in.Ctx, in.IG.Actor, n); err != nil {
		t.Fatalf("a two-day grant under a two-day maximum: %v", err)
	}
}

func TestOnlyTheInformationGovernanceLeadGrantsEndsAndLists(t *testing.T) {
	in := newInspection(t)
	g := in.grant(in.twoDaysAtHome())
	for _, who := range []apptest.Staff{in.Manager, in.Carer, in.Inspector} {
		actor := request(who.Actor)
		if _, err := in.Governance.Grant(in.Ctx, actor, in.twoDaysAtHome()); hearth.KindOf(err) != hearth.KindForbidden {
			t.Errorf("%s granted an inspection: %v", who.Username, err)
		}
		if evs := in.events(actor); len(evs) != 1 || evs[0].Decision != "deny" {
			t.Errorf("%s's attempt to grant was not audited as refused: %+v", who.Username, evs)
		}
		if _, err := in.Governance.End(in.Ctx, who.Actor, g.ID, "not theirs to end"); hearth.KindOf(err) != hearth.KindForbidden {
			t.Errorf("%s ended an inspection: %v", who.Username, err)
		}
		if _, err := in.Governance.List(in.Ctx, who.Actor); hearth.KindOf(err) != hearth.KindForbidden {
			t.Errorf("%s listed the inspection grants: %v", who.Username, err)
		}
	}
	if n := in.Count(`SELECT COUNT(*) FROM inspection_grants WHERE ended_at IS NULL`); n != 1 {
		t.Fatalf("%d live grants, want the lead's one", n)
	}
}

func TestAnInspectorReadsOnlyWhatALiveGrantCoversAndEveryReadIsAnAuditedInspection(t *testing.T) {
	in := newInspection(t)
	if ok, ev := in.reads(in.Ann); ok || ev.Decision != "deny" {
		t.Fatalf("an inspector without a grant read Ann's record: %+v", ev)
	}
	g := in.grant(in.twoDaysAtHome())

	ok, ev := in.reads(in.Ann)
	if !ok {
		t.Fatalf("the inspector could not read Ann under the grant: %+v", ev)
	}
	if ev.Purpose != "inspection" || ev.ActorKind != "inspector" || ev.Reason != "inspection" || ev.BasisID != g.ID || ev.PersonID != in.Ann.ID {
		t.Errorf("the read is not audited as an inspection under the grant: %+v", ev)
	}
	if ok, ev := in.reads(in.Bob); ok || ev.Decision != "deny" {
		t.Errorf("the inspector read Bob, at a location the grant does not cover: %+v", ev)
	}

	list, err := in.People.Visible(in.Ctx, in.Inspector.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != in.Ann.ID {
		t.Errorf("the inspector's list: %+v, want only Ann", list)
	}
}

func TestAnInspectorCanChangeNothingEvenUnderALiveGrant(t *testing.T) {
	in := newInspection(t)
	in.grant(in.twoDaysAtHome())
	actor := request(in.Inspector.Actor)
	_, err := in.Care.RecordNote(in.Ctx, actor, in.Ann.ID, care.NoteDraft{Category: "general", Body: "Looked well", CareAt: in.Clock.Now()})
	if hearth.KindOf(err) != hearth.KindForbidden || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("an inspector's note: %v, want refused as read-only", err)
	}
	evs := in.events(actor)
	if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Reason != "read-only" || evs[0].PersonID != in.Ann.ID {
		t.Fatalf("the refusal was not audited: %+v", evs)
	}
	if n := in.Count(`SELECT COUNT(*) FROM daily_notes`); n != 0 {
		t.Fatalf("%d notes stored", n)
	}
}

func TestAGrantEndsByItselfAtItsEnd(t *testing.T) {
	in := newInspection(t)
	n := in.twoDaysAtHome()
	n.StartsAt = in.Clock.Now().Add(24 * time.Hour)
	n.EndsAt = n.StartsAt.Add(2 * time.Hour)
	in.grant(n)

	steps := []struct {
		name    string
		advance time.Duration
		status  governance.Status
		reads   bool
	}{
		{"before it starts the inspector reads nothing", 0, governance.Scheduled, false},
		{"from its start the inspector reads", 24 * time.Hour, governance.Active, true},
		{"a minute before its end the inspector still reads", 2*time.Hour - time.Minute, governance.Active, true},
		{"at its end the inspector reads nothing", time.Minute, governance.Expired, false},
	}
	for _, st := range steps {
		in.Clock.Advance(st.advance)
		mine, err := in.Governance.Mine(in.Ctx, in.Inspector.Actor)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 1 || mine[0].Status(in.Clock.Now()) != st.status {
			t.Errorf("%s: the inspector's grants %+v, want one %s", st.name, mine, st.status)
		}
		ok, ev := in.reads(in.Ann)
		if ok != st.reads {
			t.Errorf("%s: read %v (%+v)", st.name, ok, ev)
		}
		if !ok && (ev.Decision != "deny" || ev.PersonID != in.Ann.ID) {
			t.Errorf("%s: the refused read was not audited: %+v", st.name, ev)
		}
	}
}

func TestAGrantEndedAtOnceStopsTheNextReadAndCannotBeEndedAgain(t *testing.T) {
	in := newInspection(t)
	g := in.grant(in.twoDaysAtHome())
	if ok, _ := in.reads(in.Ann); !ok {
		t.Fatal("the inspector could not read under the grant")
	}

	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, g.ID, "  "); hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(err.Error(), "Reason") {
		t.Fatalf("ending without a reason: %v", err)
	}
	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, hearth.NewID(), "no such grant"); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatalf("ending a grant that does not exist: %v", err)
	}
	actor := request(in.IG.Actor)
	ended, err := in.Governance.End(in.Ctx, actor, g.ID, "Site visit finished early")
	if err != nil {
		t.Fatal(err)
	}
	if ended.Status(in.Clock.Now()) != governance.Ended || ended.EndedBy != in.IG.DisplayName || ended.EndReason != "Site visit finished early" {
		t.Fatalf("ended grant %+v", ended)
	}
	if evs := in.events(actor); len(evs) != 1 || evs[0].Decision != "permit" || evs[0].ResourceID != g.ID ||
		!strings.Contains(evs[0].Detail, "Site visit finished early") {
		t.Fatalf("the end was not audited: %+v", evs)
	}

	// No time passes: the very next read is refused, and audited.
	if ok, ev := in.reads(in.Ann); ok || ev.Decision != "deny" || ev.Purpose != "inspection" {
		t.Fatalf("the inspector read after the grant was ended: %+v", ev)
	}
	if list, err := in.People.Visible(in.Ctx, in.Inspector.Actor); err != nil || len(list) != 0 {
		t.Fatalf("the inspector's list after the end: %+v %v", list, err)
	}

	_, err = in.Governance.End(in.Ctx, in.IG.Actor, g.ID, "Ending it again")
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "already ended by "+in.IG.DisplayName) {
		t.Fatalf("ending twice: %v, want a conflict", err)
	}
	got, err := in.Governance.Get(in.Ctx, in.IG.Actor, g.ID)
	if err != nil || got.EndReason != "Site visit finished early" {
		t.Fatalf("the second end changed the first: %+v %v", got, err)
	}

	expired := in.grant(in.twoDaysAtHome())
	in.Clock.Advance(49 * time.Hour)
	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, expired.ID, "Too late"); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("ending a grant that ran to its end: %v, want a conflict", err)
	}
}

func TestGrantsAreListedCurrentFirstWithWhoGrantedAndWhere(t *testing.T) {
	in := newInspection(t)
	second := in.Scenario.Inspector("second")
	now := in.Clock.Now()
	expired := in.grant(governance.NewGrant{InspectorID: in.Inspector.ID, LocationIDs: []string{in.Elm.ID}, Purpose: "Follow-up",
		StartsAt: now, EndsAt: now.Add(2 * time.Hour)})
	ended := in.grant(in.twoDaysAtHome())
	in.Clock.Advance(3 * time.Hour)
	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, ended.ID, "Finished"); err != nil {
		t.Fatal(err)
	}
	now = in.Clock.Now()
	later := in.grant(governance.NewGrant{InspectorID: second.ID, LocationIDs: []string{in.Home.ID, in.Elm.ID}, Purpose: "Next week",
		StartsAt: now.Add(7 * 24 * time.Hour), EndsAt: now.Add(8 * 24 * time.Hour)})
	active := in.grant(governance.NewGrant{InspectorID: second.ID, LocationIDs: []string{in.Elm.ID}, Purpose: "Elm Court today",
		StartsAt: now, EndsAt: now.Add(5 * time.Hour)})

	list, err := in.Governance.List(in.Ctx, in.IG.Actor)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range list {
		got = append(got, g.Purpose+": "+g.Status(now).String())
	}
	want := []string{active.Purpose + ": active", later.Purpose + ": scheduled", ended.Purpose + ": ended", expired.Purpose + ": expired"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Fatalf("listed %q, want %q", got, want)
	}
	l := list[1]
	if l.InspectorName != second.DisplayName || l.GrantedBy != in.IG.DisplayName || l.LocationNames() != "Elm Court, Rowan House" {
		t.Errorf("the scheduled grant is listed as %+v", l)
	}
	if list[2].EndedBy != in.IG.DisplayName || list[2].EndReason != "Finished" {
		t.Errorf("the ended grant is listed as %+v", list[2])
	}

	mine, err := in.Governance.Mine(in.Ctx, second.Actor)
	if err != nil || len(mine) != 2 || mine[0].ID != active.ID || mine[1].ID != later.ID {
		t.Fatalf("the second inspector's own grants: %+v %v", mine, err)
	}
}

func TestTheGrantFormOffersEnabledInspectorsAndEveryLocation(t *testing.T) {
	in := newInspection(t)
	gone := in.Scenario.Inspector("gone")
	if err := in.Accounts.Disable(in.Ctx, gone.ID, accounts.Operator("test"), accounts.Meta{}); err != nil {
		t.Fatal(err)
	}
	c, err := in.Governance.Choices(in.Ctx, in.IG.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Inspectors) != 1 || c.Inspectors[0].ID != in.Inspector.ID {
		t.Errorf("inspectors offered: %+v", c.Inspectors)
	}
	if len(c.Locations) != 2 || c.Max != governance.DefaultMaxInspection {
		t.Errorf("locations offered: %+v, maximum %v", c.Locations, c.Max)
	}
}

func TestDurationsAreSaidInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1 hour", 36 * time.Hour: "36 hours", 24 * time.Hour: "1 day", 14 * 24 * time.Hour: "14 days", 90 * time.Minute: "90 minutes",
	} {
		if got := governance.Words(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

func errorAs(err error, target **hearth.Error) bool {
	e, ok := err.(*hearth.Error)
	*target = e
	return ok
}

func TestAGrantAfterAnEndedOneIsReadUnderTheNewOne(t *testing.T) {
	in := newInspection(t)
	first := in.grant(in.twoDaysAtHome())
	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, first.ID, "Wrong dates"); err != nil {
		t.Fatal(err)
	}
	second := in.grant(in.twoDaysAtHome())
	ok, ev := in.reads(in.Ann)
	if !ok || ev.BasisID != second.ID {
		t.Fatalf("read under %q, want the new grant %q (ok %v)", ev.BasisID, second.ID, ok)
	}
}

func TestAGrantEndedBeforeItStartsNeverStarts(t *testing.T) {
	in := newInspection(t)
	n := in.twoDaysAtHome()
	n.StartsAt, n.EndsAt = n.StartsAt.Add(24*time.Hour), n.EndsAt.Add(24*time.Hour)
	g := in.grant(n)
	if _, err := in.Governance.End(in.Ctx, in.IG.Actor, g.ID, "Inspection postponed"); err != nil {
		t.Fatal(err)
	}
	in.Clock.Advance(25 * time.Hour)
	if ok, ev := in.reads(in.Ann); ok {
		t.Fatalf("the inspector read under a grant cancelled before it started: %+v", ev)
	}
	got, err := in.Governance.Get(in.Ctx, in.IG.Actor, g.ID)
	if err != nil || got.Status(in.Clock.Now()) != governance.Ended || got.Current(in.Clock.Now()) {
		t.Fatalf("the cancelled grant: %+v %v", got, err)
	}
}
