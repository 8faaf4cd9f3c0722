package breakglass_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/breakglass"
	"hearth/internal/door"
	"hearth/internal/people"
)

// as gives actor a request of its own, so a test finds exactly the events
// of what it did.
func as(actor door.Actor) door.Actor {
	actor.RequestID = hearth.NewID()
	return actor
}

func events(t *testing.T, s *apptest.Scenario, actor door.Actor) []audit.Event {
	t.Helper()
	evs, err := s.Audit.ByRequest(s.Ctx, actor.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func wantProblem(t *testing.T, err error, field string) {
	t.Helper()
	var he *hearth.Error
	if !errors.As(err, &he) || he.Kind != hearth.KindInvalid {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
	for _, p := range he.Problems {
		if p.Field == field && p.Message != "" {
			return
		}
	}
	t.Fatalf("no problem named %q in %+v", field, he.Problems)
}

const reason = "Ann has fallen and her carer is off sick"

func TestOpeningEmergencyAccessNeedsAReasonAndARegisteredPerson(t *testing.T) {
	s := apptest.NewScenario(t)
	cases := []struct {
		name     string
		key      string
		reason   string
		badField string // "" when it opens
	}{
		{"A reason of 9 characters is too short", s.AnnNHS, "Ann fell.", "Reason"},
		{"A reason of 9 characters padded with spaces is still too short", s.AnnNHS, "   Ann fell.   ", "Reason"},
		{"A reason of 10 characters is enough", s.AnnNHS, "Ann fell!!", ""},
		{"A reason of 10 letters outside ASCII counts letters, not bytes", s.AnnNHS, "Ŵŷŵŵŷŵŷŵŷŵ", ""},
		{"A reason of 1000 characters is allowed", s.AnnNHS, strings.Repeat("a", 1000), ""},
		{"A reason of 1001 characters is too long", s.AnnNHS, strings.Repeat("a", 1001), "Reason"},
		{"No reason at all is refused", s.AnnNHS, "", "Reason"},
		{"No NHS number is refused", "", reason, "NHS number"},
		{"An NHS number nobody here has is refused", "9434765897", reason, "NHS number"},
		{"An NHS number that fails its checksum is refused", "9434765911", reason, "NHS number"},
		{"Something that is not an NHS number is refused", "Ann Jones", reason, "NHS number"},
		{"An NHS number typed with spaces opens", "943 476 5919", reason, ""},
		{"The person's ID opens, as the person page's link sends it", s.Ann.ID, reason, ""},
		{"An ID nobody has is refused as an unknown NHS number", hearth.NewID(), reason, "NHS number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			worker := s.Staff("w"+hearth.NewID()[24:], access.CareWorker)
			before := s.Count(`SELECT COUNT(*) FROM break_glass`)
			actor := as(worker.Actor)
			g, err := s.BreakGlass.Open(s.Ctx, actor, tc.key, tc.reason)
			after := s.Count(`SELECT COUNT(*) FROM break_glass`)
			if evs := events(t, s, actor); len(evs) != 1 || evs[0].Action != access.BreakGlass.String() {
				t.Errorf("the request was not decided and audited once, whatever its input: %+v", evs)
			}
			if tc.badField != "" {
				wantProblem(t, err, tc.badField)
				if after != before {
					t.Errorf("a refused break-glass was stored")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if after != before+1 || g.PersonID != s.Ann.ID || g.Reason != strings.TrimSpace(tc.reason) {
				t.Errorf("grant %+v, %d stored", g, after-before)
			}
		})
	}
}

func TestEmergencyAccessLastsExactlyTheConfiguredTimeAndEveryReadIsMarked(t *testing.T) {
	s := apptest.NewScenario(t)
	for _, tc := range []struct {
		name     string
		svc      *breakglass.Service
		duration time.Duration
	}{
		{"Emergency access lasts an hour unless configured", s.BreakGlass, time.Hour},
		{"Emergency access lasts the configured duration", breakglass.New(s.Door, 90*time.Minute), 90 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			worker := s.Staff("w"+hearth.NewID()[24:], access.CareWorker)
			// Reading who Ann is and her daily notes: two reads, each of
			// which must be marked.
			readAnn := func() (people.Person, door.Actor, error) {
				actor := as(worker.Actor)
				p, err := s.People.Get(s.Ctx, actor, s.Ann.ID)
				if err == nil {
					_, err = s.Care.Notes(s.Ctx, actor, s.Ann.ID, 7)
				}
				return p, actor, err
			}
			if _, _, err := readAnn(); hearth.KindOf(err) != hearth.KindNotFound {
				t.Fatalf("before break-glass: %v", err)
			}
			opener := as(worker.Actor)
			start := s.Clock.Now()
			g, err := tc.svc.Open(s.Ctx, opener, s.AnnNHS, reason)
			if err != nil {
				t.Fatal(err)
			}
			if !g.StartsAt.Equal(start) || g.ExpiresAt.Sub(g.StartsAt) != tc.duration {
				t.Errorf("grant from %v to %v, want %v from %v", g.StartsAt, g.ExpiresAt, tc.duration, start)
			}
			opened := events(t, s, opener)
			if len(opened) != 1 || opened[0].Action != access.BreakGlass.String() || opened[0].Purpose != access.Emergency.String() ||
				!opened[0].BreakGlass || opened[0].BasisID != g.ID || opened[0].PersonID != s.Ann.ID {
				t.Errorf("opening was audited as %+v", opened)
			}

			// Every read while it lasts, to its last moment, is marked.
			for _, at := range []time.Duration{0, tc.duration / 2, tc.duration - time.Microsecond} {
				s.Clock.Set(start.Add(at))
				p, actor, err := readAnn()
				if err != nil || p.ID != s.Ann.ID {
					t.Fatalf("%v into emergency access: %v", at, err)
				}
				evs := events(t, s, actor)
				if len(evs) < 2 {
					t.Fatalf("the reads were not each audited: %+v", evs)
				}
				for _, e := range evs {
					if !e.BreakGlass || e.BasisID != g.ID || e.Reason != access.PermitBreakGlass.String() {
						t.Errorf("%v in: a read under break-glass not marked as such: %+v", at, e)
					}
				}
			}

			// At the moment it ends, it is refused as ended, not as unknown.
			s.Clock.Set(start.Add(tc.duration))
			_, actor, err := readAnn()
			if hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("at the end of emergency access: %v", err)
			}
			evs := events(t, s, actor)
			if len(evs) != 1 || evs[0].Decision != "deny" || evs[0].Reason != access.DenyBreakGlassExpired.String() {
				t.Errorf("expired access audited as %+v", evs)
			}
		})
	}
}

func TestTheInformationGovernanceLeadReviewsEachUseOnceWithANote(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	elsewhere := s.Location("Ash Court", people.CareHome)
	theirManager := s.Staff("ashmanager", access.RegisteredManager, elsewhere)
	theirIG := s.Staff("ashiglead", access.IGLead, elsewhere)
	s.Person(theirManager, elsewhere, "Cat", "Evans", "9434765889")

	annGrant, err := s.BreakGlass.Open(s.Ctx, s.OtherCarer.Actor, s.AnnNHS, reason)
	if err != nil {
		t.Fatal(err)
	}
	catGrant, err := s.BreakGlass.Open(s.Ctx, s.OtherCarer.Actor, "9434765889", "Cat's alarm went off and no one answered")
	if err != nil {
		t.Fatal(err)
	}
	unreviewed := func(who apptest.Staff) []string {
		t.Helper()
		list, err := s.BreakGlass.Unreviewed(s.Ctx, who.Actor)
		if err != nil {
			t.Fatalf("unreviewed list for %s: %v", who.Username, err)
		}
		var ids []string
		for _, g := range list {
			ids = append(ids, g.ID)
		}
		return ids
	}
	if got := unreviewed(ig); !slices.Equal(got, []string{annGrant.ID}) {
		t.Errorf("the IG lead at Rowan House sees %v, want only Ann's break-glass", got)
	}
	if got := unreviewed(theirIG); !slices.Equal(got, []string{catGrant.ID}) {
		t.Errorf("the IG lead at Ash Court sees %v, want only Cat's break-glass", got)
	}
	if _, err := s.BreakGlass.Unreviewed(s.Ctx, s.Carer.Actor); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a care worker asked for the review list: %v", err)
	}

	steps := []struct {
		name     string
		who      apptest.Staff
		grant    string
		note     string
		wantKind hearth.Kind // -1: reviewed
	}{
		{"A care worker cannot review break-glass", s.Carer, annGrant.ID, "Looks fine to me", hearth.KindForbidden},
		{"A registered manager cannot review break-glass", s.Manager, annGrant.ID, "Looks fine to me", hearth.KindForbidden},
		{"An IG lead at another location cannot review it, and is told it is not found", theirIG, annGrant.ID, "Appropriate", hearth.KindNotFound},
		{"A review needs a note", ig, annGrant.ID, "   ", hearth.KindInvalid},
		{"A review note of 1001 characters is too long", ig, annGrant.ID, strings.Repeat("a", 1001), hearth.KindInvalid},
		{"A break-glass use that does not exist is not found", ig, hearth.NewID(), "Appropriate", hearth.KindNotFound},
		{"A malformed ID is not found", ig, "not-an-id", "Appropriate", hearth.KindNotFound},
		{"The IG lead reviews it with a note", ig, annGrant.ID, "Appropriate: agency cover after a fall", -1},
		{"It can be reviewed only once", ig, annGrant.ID, "Reviewed again", hearth.KindConflict},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := s.BreakGlass.Review(s.Ctx, st.who.Actor, st.grant, st.note)
			if st.wantKind < 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if hearth.KindOf(err) != st.wantKind {
				t.Fatalf("got %v (kind %v), want kind %v", err, hearth.KindOf(err), st.wantKind)
			}
			if st.wantKind == hearth.KindInvalid {
				wantProblem(t, err, "Review note")
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM break_glass WHERE id = ? AND reviewed_by = ? AND review_note = ?`,
		annGrant.ID, ig.ID, "Appropriate: agency cover after a fall"); n != 1 {
		t.Errorf("the review was not recorded as the IG lead's, with their first note")
	}
	if got := unreviewed(ig); len(got) != 0 {
		t.Errorf("a reviewed use is still waiting: %v", got)
	}
}
