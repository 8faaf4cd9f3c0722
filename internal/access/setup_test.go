package access

import "testing"

// Once care has ended, every write is refused with its own reason except
// corrections; reads still follow the relationship, and someone without
// one is told nothing new.
func TestOnceCareHasEndedTheRecordIsReadOnlyExceptForCorrections(t *testing.T) {
	ended := Facts{Now: now, Exists: true, CareTeam: true, CareEnded: true}
	staff := Subject{ID: "u1", Kind: KindStaff, Role: RegisteredManager}
	for _, a := range Actions() {
		if !a.PersonScoped() || !RegisteredManager.Info().Permissions.Has(a) {
			continue
		}
		d := Decide(staff, a, Resource{PersonID: "p1", Facts: ended}, DirectCare)
		if AllowedAfterCareEnds(a) {
			if !d.Permit {
				t.Errorf("%s after care ended: %s, want a permit", a, d.Reason)
			}
			continue
		}
		if d.Permit || d.Reason != DenyCareEnded {
			t.Errorf("%s after care ended: %s (%s), want denied as care-ended", a, d.Outcome(), d.Reason)
		}
		if c := Decide(staff, a, Resource{PersonID: "p1", Facts: ended, Correction: true}, DirectCare); !c.Permit {
			t.Errorf("a correction by %s after care ended: %s, want a permit", a, c.Reason)
		}
	}
	cases := []struct {
		name   string
		s      Subject
		a      Action
		f      Facts
		p      Purpose
		permit bool
		reason Reason
	}{
		{"a care worker on the team can still read the notes", Subject{ID: "u", Kind: KindStaff, Role: CareWorker}, ReadRecord, ended, DirectCare, true, PermitCareTeam},
		{"a care worker on the team cannot add a note", Subject{ID: "u", Kind: KindStaff, Role: CareWorker}, WriteRecord, ended, DirectCare, false, DenyCareEnded},
		{"someone with no relationship still gets not found, not 'care ended'", Subject{ID: "u", Kind: KindStaff, Role: CareWorker}, WriteRecord,
			Facts{Now: now, Exists: true, CareEnded: true}, DirectCare, false, DenyNoRelationship},
		{"a registered manager cannot end care twice", Subject{ID: "u", Kind: KindStaff, Role: RegisteredManager}, ManagePeople,
			Facts{Now: now, Exists: true, AtLocation: true, CareEnded: true}, DirectCare, false, DenyCareEnded},
		{"the person can still read their own record", Subject{ID: "u", Kind: KindPerson}, ReadRecord,
			Facts{Now: now, Exists: true, Self: true, CareEnded: true}, OwnRecord, true, PermitSelf},
		{"the person can still ask for a copy of everything", Subject{ID: "u", Kind: KindPerson}, ExportRecord,
			Facts{Now: now, Exists: true, Self: true, CareEnded: true}, OwnRecord, true, PermitSelf},
		{"the person cannot send a new message", Subject{ID: "u", Kind: KindPerson}, SendMessage,
			Facts{Now: now, Exists: true, Self: true, CareEnded: true}, OwnRecord, false, DenyCareEnded},
		{"a representative reads within their authority as before", Subject{ID: "u", Kind: KindRepresentative}, ReadRecord,
			Facts{Now: now, Exists: true, Proxy: Proxy{ID: "r", Covers: perms(ReadRecord)}, CareEnded: true}, ProxyAccess, true, PermitProxy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.s, tc.a, Resource{PersonID: "p1", Facts: tc.f}, tc.p)
			if d.Permit != tc.permit || d.Reason != tc.reason {
				t.Fatalf("got %s (%s), want %v (%s)", d.Outcome(), d.Reason, tc.permit, tc.reason)
			}
		})
	}
}

func TestWhoMayInviteAndChangeStaff(t *testing.T) {
	admin := Subject{ID: "a", Kind: KindStaff, Role: Administrator}
	manager := Subject{ID: "m", Kind: KindStaff, Role: RegisteredManager}
	ours := StaffFacts{SharesLocation: true, LocationsHeld: true}
	with := func(f StaffFacts, target, next Role) StaffFacts { f.TargetRole, f.NewRole = target, next; return f }
	cases := []struct {
		name      string
		s         Subject
		f         StaffFacts
		approving bool
		permit    bool
		reason    Reason
	}{
		{"a registered manager invites a care worker to their own location", manager, with(ours, RoleNone, CareWorker), false, true, PermitLocationRole},
		{"a registered manager invites a fellow registered manager", manager, with(ours, RoleNone, RegisteredManager), false, true, PermitLocationRole},
		{"a registered manager cannot invite an administrator (a role above their own)", manager, with(ours, RoleNone, Administrator), false, false, DenyRoleCeiling},
		{"a registered manager cannot invite an information governance lead", manager, with(ours, RoleNone, IGLead), false, false, DenyRoleCeiling},
		{"a registered manager cannot invite to a location they do not manage", manager, StaffFacts{NewRole: CareWorker, SharesLocation: true}, false, false, DenyOtherLocation},
		{"a registered manager cannot change an administrator's role", manager, with(ours, Administrator, CareWorker), false, false, DenyRoleCeiling},
		{"a registered manager cannot change staff at another location", manager, StaffFacts{TargetRole: Nurse, LocationsHeld: true}, false, false, DenyOtherLocation},
		{"a registered manager cannot change their own account", manager, StaffFacts{TargetRole: RegisteredManager, SharesLocation: true, LocationsHeld: true, Self: true}, false, false, DenyOwnAccount},
		{"the administrator invites anyone, anywhere", admin, with(StaffFacts{}, RoleNone, IGLead), false, true, PermitProviderRole},
		{"the administrator may appoint another administrator", admin, with(StaffFacts{}, RoleNone, Administrator), false, true, PermitProviderRole},
		{"the one who asked for an MFA reset cannot approve it", admin, StaffFacts{TargetRole: CareWorker, Requester: true}, true, false, DenySameApprover},
		{"a second senior account approves an MFA reset", manager, StaffFacts{TargetRole: CareWorker, SharesLocation: true, LocationsHeld: true}, true, true, PermitLocationRole},
		{"nobody approves a reset of their own second factor", admin, StaffFacts{TargetRole: Administrator, Self: true}, true, false, DenyOwnAccount},
		{"a nurse cannot invite anyone", Subject{ID: "n", Kind: KindStaff, Role: Nurse}, with(ours, RoleNone, CareWorker), false, false, DenyNoPermission},
		{"the information governance lead cannot invite anyone", Subject{ID: "i", Kind: KindStaff, Role: IGLead}, with(ours, RoleNone, CareWorker), false, false, DenyNoPermission},
		{"a person cannot invite staff", Subject{ID: "p", Kind: KindPerson}, with(ours, RoleNone, CareWorker), false, false, DenyNoPermission},
		{"nobody signed in cannot invite staff", Subject{}, with(ours, RoleNone, CareWorker), false, false, DenyUnknownSubject},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := DecideStaff(tc.s, ManageStaff, tc.f, tc.approving)
			if d.Permit != tc.permit || d.Reason != tc.reason {
				t.Fatalf("got %s (%s), want %v (%s)", d.Outcome(), d.Reason, tc.permit, tc.reason)
			}
		})
	}
	if got := GivableRoles(RegisteredManager); len(got) != 4 || got[len(got)-1] != RegisteredManager {
		t.Errorf("a registered manager may give %v", got)
	}
	if got := GivableRoles(CareWorker); len(got) != 0 {
		t.Errorf("a care worker may give %v", got)
	}
}

func TestLocationsAndImportsBelongToTheRolesThatSetTheProviderUp(t *testing.T) {
	for _, tc := range []struct {
		role Role
		a    Action
		want bool
	}{
		{RegisteredManager, ManageLocations, true},
		{Administrator, ManageLocations, true},
		{CareWorker, ManageLocations, false},
		{IGLead, ManageLocations, false},
		{Administrator, ImportRecords, true},
		{RegisteredManager, ImportRecords, false},
		{Nurse, ManageStaff, false},
	} {
		d := Decide(Subject{ID: "u", Kind: KindStaff, Role: tc.role}, tc.a, Resource{}, Administration)
		if d.Permit != tc.want {
			t.Errorf("%s %s: %s", tc.role.Title(), tc.a, d.Outcome())
		}
	}
}
