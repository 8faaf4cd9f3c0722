package accounts_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/people"
)

var meta = accounts.Meta{ClientAddr: "192.0.2.1", RequestID: "test"}

func invite(t *testing.T, s *apptest.Scenario, by apptest.Staff, username string, role access.Role, locs ...people.Location) (accounts.Invitation, string, error) {
	t.Helper()
	var ids []string
	for _, l := range locs {
		ids = append(ids, l.ID)
	}
	return s.Accounts.Invite(s.Ctx, by.User.Actor(), accounts.NewInvitation{Username: username, DisplayName: "Sam Patel", Role: role, LocationIDs: ids}, meta)
}

func TestAnInvitationLinkWorksOnceAndNotAfterItExpires(t *testing.T) {
	s := apptest.NewScenario(t)
	inv, token, err := invite(t, s, s.Manager, "sam.patel", access.CareWorker, s.Home)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM staff_invitations WHERE token_hash = ?`, token); n != 0 {
		t.Fatal("the token itself is stored: only its hash may be")
	}
	if inv.ExpiresAt.Sub(s.Clock.Now()) != accounts.InvitationTTL {
		t.Errorf("the link lasts %v", inv.ExpiresAt.Sub(s.Clock.Now()))
	}
	altered := token[:42] + map[bool]string{true: "A", false: "B"}[token[42] != 'A']
	cases := []struct {
		name  string
		token string
		want  hearth.Kind
		words string
	}{
		{"an altered link is refused", altered, hearth.KindNotFound, "This invitation link is not right"},
		{"a link cut short is refused", token[:20], hearth.KindNotFound, "This invitation link is not right"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.Accounts.AcceptInvitation(s.Ctx, tc.token, apptest.Password, meta)
			if hearth.KindOf(err) != tc.want || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, _, err := s.Accounts.AcceptInvitation(s.Ctx, token, "short", meta); hearth.KindOf(err) != hearth.KindInvalid {
		t.Fatalf("a short password: %v", err)
	}
	sessToken, sess, err := s.Accounts.AcceptInvitation(s.Ctx, token, apptest.Password, meta)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Stage != accounts.StageEnrol || sess.User.Username != "sam.patel" || sess.User.Role != access.CareWorker {
		t.Fatalf("the new session: %+v", sess)
	}
	if _, err := s.Accounts.LoadSession(s.Ctx, sessToken); err != nil {
		t.Fatal(err)
	}
	u, err := s.Accounts.ByUsername(s.Ctx, "sam.patel")
	if err != nil || len(u.LocationIDs) != 1 || u.LocationIDs[0] != s.Home.ID || u.Enrolled {
		t.Fatalf("the new account: %+v %v", u, err)
	}
	if _, _, err := s.Accounts.AcceptInvitation(s.Ctx, token, apptest.Password, meta); hearth.KindOf(err) != hearth.KindConflict ||
		!strings.Contains(err.Error(), "already been used") {
		t.Fatalf("a reused link: %v", err)
	}

	_, late, err := invite(t, s, s.Manager, "late.joiner", access.CareWorker, s.Home)
	if err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(accounts.InvitationTTL + time.Minute)
	if _, _, err := s.Accounts.AcceptInvitation(s.Ctx, late, apptest.Password, meta); hearth.KindOf(err) != hearth.KindForbidden ||
		!strings.Contains(err.Error(), "expired") {
		t.Fatalf("an expired link: %v", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM users WHERE username = 'late.joiner'`); n != 0 {
		t.Fatal("an expired link made an account")
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'invitation-accept' AND outcome = 'failed'`); n != 4 {
		t.Errorf("%d failed acceptances audited, want 4 (altered, cut short, reused, expired)", n)
	}
}

func TestNobodyInvitesIntoARoleAboveTheirOwnOrAPlaceTheyDoNotRun(t *testing.T) {
	s := apptest.NewScenario(t)
	other := s.Location("Riverside", people.HomeCareBranch)
	admin := s.Staff("admin", access.Administrator)
	cases := []struct {
		name   string
		by     apptest.Staff
		role   access.Role
		locs   []people.Location
		want   hearth.Kind
		reason string
	}{
		{"a registered manager invites a care worker to their home", s.Manager, access.CareWorker, []people.Location{s.Home}, 0, "role-ceiling"},
		{"a registered manager may not invite an administrator", s.Manager, access.Administrator, []people.Location{s.Home}, hearth.KindForbidden, "role-ceiling"},
		{"a registered manager may not invite an information governance lead", s.Manager, access.IGLead, []people.Location{s.Home}, hearth.KindForbidden, "role-ceiling"},
		{"a registered manager may not invite to a location they do not manage", s.Manager, access.CareWorker, []people.Location{other}, hearth.KindForbidden, "other-location"},
		{"a care worker may not invite anyone", s.Carer, access.CareWorker, []people.Location{s.Home}, hearth.KindForbidden, "no-permission"},
		{"the administrator invites an information governance lead", admin, access.IGLead, []people.Location{s.Home}, 0, ""},
		{"an invitation needs a location", s.Manager, access.Nurse, nil, hearth.KindInvalid, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := invite(t, s, tc.by, "new"+string(rune('a'+i))+".person", tc.role, tc.locs...)
			if tc.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if hearth.KindOf(err) != tc.want {
				t.Fatalf("got %v, want kind %d", err, tc.want)
			}
			if tc.reason != "" && s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'staff-invite' AND decision = 'deny' AND reason = ?`,
				tc.by.ID, tc.reason) == 0 {
				t.Errorf("the refusal was not audited as %s", tc.reason)
			}
		})
	}
	if _, _, err := invite(t, s, s.Manager, "carer", access.CareWorker, s.Home); hearth.KindOf(err) != hearth.KindInvalid ||
		!strings.Contains(err.Error(), "That username is taken") {
		t.Errorf("inviting a username already in use: %v", err)
	}
	if _, _, err := invite(t, s, s.Manager, "newa.person", access.CareWorker, s.Home); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("inviting a username a live invitation holds: %v", err)
	}
}

func TestAManagerChangesARoleAndLocationsWithinTheirOwn(t *testing.T) {
	s := apptest.NewScenario(t)
	other := s.Location("Riverside", people.HomeCareBranch)
	admin := s.Staff("admin", access.Administrator)
	nurse := s.Staff("nurse", access.Nurse, s.Home)
	if err := s.Accounts.UpdateStaff(s.Ctx, s.Manager.User.Actor(), nurse.ID, accounts.StaffChange{Role: access.SeniorCarer, LocationIDs: []string{s.Home.ID}}, meta); err != nil {
		t.Fatal(err)
	}
	u, _ := s.Accounts.Get(s.Ctx, nurse.ID)
	if u.Role != access.SeniorCarer {
		t.Fatalf("role is %s", u.Role)
	}
	cases := []struct {
		name   string
		target string
		change accounts.StaffChange
		reason string
	}{
		{"not to a location they do not manage", nurse.ID, accounts.StaffChange{Role: access.SeniorCarer, LocationIDs: []string{s.Home.ID, other.ID}}, "other-location"},
		{"not to a role above their own", nurse.ID, accounts.StaffChange{Role: access.Administrator, LocationIDs: []string{s.Home.ID}}, "role-ceiling"},
		{"not the administrator's account", admin.ID, accounts.StaffChange{Role: access.CareWorker, LocationIDs: []string{s.Home.ID}}, "role-ceiling"},
		{"not their own account", s.Manager.ID, accounts.StaffChange{Role: access.RegisteredManager, LocationIDs: []string{s.Home.ID, other.ID}}, "own-account"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Accounts.UpdateStaff(s.Ctx, s.Manager.User.Actor(), tc.target, tc.change, meta)
			if hearth.KindOf(err) != hearth.KindForbidden {
				t.Fatalf("got %v", err)
			}
			if s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'staff-change' AND decision = 'deny' AND reason = ?`, tc.reason) == 0 {
				t.Errorf("not audited as %s", tc.reason)
			}
		})
	}
	if err := s.Accounts.UpdateStaff(s.Ctx, admin.User.Actor(), nurse.ID, accounts.StaffChange{Role: access.Nurse, LocationIDs: []string{other.ID}}, meta); err != nil {
		t.Fatalf("the administrator moves them: %v", err)
	}
}

func TestALeaverIsSignedOutAtOnceAndLeavesEveryCareTeam(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)
	token := c.Cookie("hearth_session")
	if _, err := s.Accounts.LoadSession(s.Ctx, token); err != nil {
		t.Fatal(err)
	}
	// The scenario's care worker works nowhere in particular; the
	// administrator, whose role covers the provider, records them leaving.
	admin := s.Staff("admin", access.Administrator)
	if err := s.Accounts.Leaver(s.Ctx, admin.User.Actor(), s.Carer.ID, meta); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accounts.LoadSession(s.Ctx, token); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Fatalf("their session still works: %v", err)
	}
	if r := c.Get("/people/" + s.Ann.ID); r.Status != 303 || r.Location != "/signin" {
		t.Fatalf("their browser still opens Ann's record: %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM care_team WHERE user_id = ? AND (ends_at IS NULL OR ends_at > ?)`, s.Carer.ID, s.Clock.Now()); n != 0 {
		t.Fatalf("%d care-team memberships still open", n)
	}
	if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err == nil {
		t.Fatal("a leaver's actor still reads Ann's record")
	}
	if err := s.Accounts.Leaver(s.Ctx, admin.User.Actor(), s.Carer.ID, meta); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("leaving twice: %v", err)
	}
	if err := s.Accounts.Leaver(s.Ctx, s.Manager.User.Actor(), s.Manager.ID, meta); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("recording yourself as a leaver: %v", err)
	}
}

func TestAnMFAResetNeedsASecondSeniorAccountToApproveIt(t *testing.T) {
	s := apptest.NewScenario(t)
	nurse := s.Staff("nurse", access.Nurse, s.Home)
	deputy := s.Staff("deputy", access.RegisteredManager, s.Home)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(nurse)
	if err := s.Accounts.RequestMFAReset(s.Ctx, s.Manager.User.Actor(), nurse.ID, "", meta); hearth.KindOf(err) != hearth.KindInvalid {
		t.Fatalf("a request without a reason: %v", err)
	}
	if err := s.Accounts.RequestMFAReset(s.Ctx, s.Manager.User.Actor(), nurse.ID, "Lost her phone; checked in person", meta); err != nil {
		t.Fatal(err)
	}
	u, _ := s.Accounts.Get(s.Ctx, nurse.ID)
	if !u.Enrolled {
		t.Fatal("asking reset the authenticator before anyone approved it")
	}
	pg, err := s.Accounts.StaffList(s.Ctx, deputy.User.Actor(), 0, 50, meta)
	if err != nil || len(pg.Resets) != 1 {
		t.Fatalf("the deputy sees %d resets waiting (%v)", len(pg.Resets), err)
	}
	resetID := pg.Resets[0].ID
	if err := s.Accounts.ApproveMFAReset(s.Ctx, s.Manager.User.Actor(), resetID, meta); hearth.KindOf(err) != hearth.KindForbidden ||
		!strings.Contains(err.Error(), "second senior account") {
		t.Fatalf("the one who asked approves: %v", err)
	}
	if err := s.Accounts.ApproveMFAReset(s.Ctx, nurse.User.Actor(), resetID, meta); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("a nurse approves: %v", err)
	}
	if err := s.Accounts.ApproveMFAReset(s.Ctx, deputy.User.Actor(), resetID, meta); err != nil {
		t.Fatal(err)
	}
	u, _ = s.Accounts.Get(s.Ctx, nurse.ID)
	if u.Enrolled {
		t.Fatal("the approved reset left the authenticator")
	}
	if _, err := s.Accounts.LoadSession(s.Ctx, c.Cookie("hearth_session")); err == nil {
		t.Fatal("the nurse's session survived the reset")
	}
	if err := s.Accounts.ApproveMFAReset(s.Ctx, deputy.User.Actor(), resetID, meta); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("approving twice: %v", err)
	}
	for _, action := range []string{"mfa-reset-request", "mfa-reset-approve"} {
		if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = ? AND outcome = 'success' AND decision = 'permit'`, action); n != 1 {
			t.Errorf("%d successful %s events, want 1", n, action)
		}
	}
}
