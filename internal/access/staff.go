package access

// Decisions about staff accounts rather than about a person: inviting
// someone, changing their role or locations, recording a leaver, and the
// two steps of a second-factor reset. The same rule book as every other
// decision, with the facts the accounts package loads.

// StaffFacts are what a decision about another member of staff needs,
// loaded by the accounts package in the change's own transaction.
type StaffFacts struct {
	// TargetRole is the account's role now (RoleNone for an invitation,
	// where there is no account yet).
	TargetRole Role
	// NewRole is the role being given (RoleNone when the role is not
	// changing).
	NewRole Role
	// SharesLocation: the account works at one of the subject's locations,
	// or at none yet. Always true for an invitation.
	SharesLocation bool
	// LocationsHeld: every location being given is one the subject holds.
	LocationsHeld bool
	// Self: the account is the subject's own.
	Self bool
	// Requester: the subject asked for the reset now being approved.
	Requester bool
}

// mayGive is the ceiling on the roles each role may give (invite into,
// change to or from, or act on). A registered manager runs their
// locations' care staff, including fellow managers, but the information
// governance lead oversees them and the administrator manages accounts,
// so neither is theirs to give. The administrator may give every role:
// someone must be able to appoint the IG lead, and another administrator
// for cover. docs/security.md states the same.
var mayGive = [roleCount]Permission{
	RegisteredManager: rolePerms(CareWorker, SeniorCarer, Nurse, RegisteredManager),
	Administrator:     rolePerms(CareWorker, SeniorCarer, Nurse, RegisteredManager, IGLead, Administrator),
}

func rolePerms(rs ...Role) Permission {
	var p Permission
	for _, r := range rs {
		p |= 1 << r
	}
	return p
}

// MayGiveRole reports whether a member of staff in role by may invite
// someone into role r or change someone to or from it.
func MayGiveRole(by, r Role) bool {
	return by < roleCount && r != RoleNone && r < roleCount && mayGive[by]&(1<<r) != 0
}

// GivableRoles lists the roles by may give, for forms.
func GivableRoles(by Role) []Role {
	var out []Role
	for _, r := range Roles() {
		if MayGiveRole(by, r) {
			out = append(out, r)
		}
	}
	return out
}

// DecideStaff answers whether subject may do a (ManageStaff, or
// ManageAccounts for the administrator's own account work) to the account
// described by f. The administrator's role covers the whole provider; a
// registered manager's covers the staff of their own locations, in the
// roles they may give. Approving a second-factor reset needs a second
// senior account: never the one who asked, nor the account being reset.
func DecideStaff(s Subject, a Action, f StaffFacts, approving bool) Decision {
	if s.ID == "" || s.Kind != KindStaff {
		if s.ID == "" {
			return deny(DenyUnknownSubject)
		}
		return deny(DenyNoPermission)
	}
	info := s.Role.Info()
	if !info.Permissions.Has(a) {
		return deny(DenyNoPermission)
	}
	if f.TargetRole != RoleNone && !MayGiveRole(s.Role, f.TargetRole) {
		return deny(DenyRoleCeiling)
	}
	if f.NewRole != RoleNone && !MayGiveRole(s.Role, f.NewRole) {
		return deny(DenyRoleCeiling)
	}
	if f.Self {
		return deny(DenyOwnAccount)
	}
	if approving && f.Requester {
		return deny(DenySameApprover)
	}
	if !info.LocationWide {
		return permit(PermitProviderRole, "")
	}
	if !f.SharesLocation || !f.LocationsHeld {
		return deny(DenyOtherLocation)
	}
	return permit(PermitLocationRole, "")
}
