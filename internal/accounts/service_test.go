package accounts

import (
	"slices"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
)

func TestCreateUser(t *testing.T) {
	a := newTestApp(t)
	accounts := func() int {
		var n int
		if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	home := a.addLocation("Rose House")
	valid := func(change func(*NewUser)) NewUser {
		nu := NewUser{Kind: access.KindStaff, Username: "new.carer", DisplayName: "New Carer",
			Password: testPassword, Role: access.CareWorker, By: operator, Meta: a.meta}
		change(&nu)
		return nu
	}
	tests := []struct {
		name  string
		user  NewUser
		field string // "" when the account is created
	}{
		{"a staff member with a role is created", valid(func(*NewUser) {}), ""},
		{"a person's own account needs no role", valid(func(n *NewUser) { n.Kind, n.Role, n.Username = access.KindPerson, 0, "person.one" }), ""},
		{"a staff member with locations is created", valid(func(n *NewUser) { n.Username, n.LocationIDs = "manager", []string{home, home} }), ""},
		{"a username is lower-cased", valid(func(n *NewUser) { n.Username = "Mixed.Case" }), ""},
		{"a username of two characters is refused", valid(func(n *NewUser) { n.Username = "ab" }), "Username"},
		{"a username of 65 characters is refused", valid(func(n *NewUser) { n.Username = strings.Repeat("a", 65) }), "Username"},
		{"a username with a space is refused", valid(func(n *NewUser) { n.Username = "new carer" }), "Username"},
		{"a username with a letter from another script is refused", valid(func(n *NewUser) { n.Username = "аlice" }), "Username"},
		{"a display name is required", valid(func(n *NewUser) { n.DisplayName = "  " }), "Display name"},
		{"staff need a role", valid(func(n *NewUser) { n.Role = access.RoleNone }), "Role"},
		{"a person's account cannot have a role", valid(func(n *NewUser) { n.Kind = access.KindPerson }), "Role"},
		{"a representative cannot work at a location", valid(func(n *NewUser) {
			n.Kind, n.Role, n.LocationIDs = access.KindRepresentative, 0, []string{home}
		}), "Locations"},
		{"a location that does not exist is refused", valid(func(n *NewUser) { n.LocationIDs = []string{hearth.NewID()} }), "Locations"},
		{"the kind of account is required", valid(func(n *NewUser) { n.Kind = access.KindNone }), "Kind"},
		{"a system is not an account kind", valid(func(n *NewUser) { n.Kind = access.KindSystem }), "Kind"},
		{"a short password is refused", valid(func(n *NewUser) { n.Password = "short" }), "Password"},
		{"the username as password is refused", valid(func(n *NewUser) { n.Username, n.Password = "abcdefghijklm", "ABCDEFGHIJKLM" }), "Password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.at(t)
			before, users := a.countEvents("account-create", audit.OutcomeSuccess), accounts()
			u, err := a.svc.CreateUser(a.ctx, tt.user)
			if tt.field != "" {
				wantKind(t, err, hearth.KindInvalid, "")
				if e := err.(*hearth.Error); e.Problems[0].Field != tt.field {
					t.Fatalf("problems %+v, want field %q", e.Problems, tt.field)
				}
				if accounts() != users {
					t.Fatal("an invalid account was stored")
				}
				if a.countEvents("account-create", audit.OutcomeSuccess) != before {
					t.Fatal("an invalid account was audited as created")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.svc.Get(a.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Username != strings.ToLower(tt.user.Username) || got.Kind != tt.user.Kind || got.Role != tt.user.Role ||
				got.Enrolled || got.Disabled || !slices.Equal(got.LocationIDs, slices.Compact(tt.user.LocationIDs)) {
				t.Fatalf("stored %+v", got)
			}
			a.audited("account-create", audit.OutcomeSuccess, "", "account "+got.Username)
		})
	}

	t.Run("a username already taken, in any case, is a conflict", func(t *testing.T) {
		a := a.at(t)
		_, err := a.svc.CreateUser(a.ctx, valid(func(n *NewUser) { n.Username = "NEW.carer" }))
		wantKind(t, err, hearth.KindConflict, "That username is taken")
	})
	t.Run("a care worker cannot create accounts", func(t *testing.T) {
		a := a.at(t)
		carer, _ := a.svc.ByUsername(a.ctx, "new.carer")
		_, err := a.svc.CreateUser(a.ctx, valid(func(n *NewUser) { n.Username, n.By = "sneaky", carer.Actor() }))
		wantKind(t, err, hearth.KindForbidden, "")
		a.audited("account-create", audit.OutcomeDenied, carer.ID, "not allowed to manage accounts")
	})
	t.Run("an administrator can create accounts", func(t *testing.T) {
		a := a.at(t)
		admin := a.createStaff("admin", access.Administrator)
		u, err := a.svc.CreateUser(a.ctx, valid(func(n *NewUser) { n.Username, n.By = "by.admin", admin.Actor() }))
		if err != nil {
			t.Fatal(err)
		}
		ev := a.audited("account-create", audit.OutcomeSuccess, admin.ID, "created staff account by.admin (Care worker)")
		if ev.ActorName != "Test admin" || ev.ActorRole != "administrator" || ev.ActorKind != "staff" {
			t.Fatalf("event actor %+v", ev)
		}
		_ = u
	})
	t.Run("an empty actor cannot create accounts", func(t *testing.T) {
		a := a.at(t)
		_, err := a.svc.CreateUser(a.ctx, valid(func(n *NewUser) { n.Username, n.By = "nobody.made", Actor{} }))
		wantKind(t, err, hearth.KindForbidden, "")
	})
	t.Run("the password is not kept in clear", func(t *testing.T) {
		a := a.at(t)
		var hash string
		_ = a.db.QueryRow(a.ctx, `SELECT password_hash FROM users WHERE username = 'new.carer'`).Scan(&hash)
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, testPassword) {
			t.Fatalf("stored %q", hash)
		}
		a.noSecretsAudited(testPassword)
	})
}

func TestListAccounts(t *testing.T) {
	a := newTestApp(t)
	home := a.addLocation("Rose House")
	manager, err := a.svc.CreateUser(a.ctx, NewUser{Kind: access.KindStaff, Username: "manager", DisplayName: "Manager",
		Password: testPassword, Role: access.RegisteredManager, LocationIDs: []string{home}, By: operator, Meta: a.meta})
	if err != nil {
		t.Fatal(err)
	}
	alice, _, _ := a.enrolledStaff("alice")
	bob := a.createStaff("bob", access.CareWorker)

	list, err := a.svc.List(a.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range list {
		names = append(names, u.Username)
	}
	if !slices.Equal(names, []string{"alice", "bob", "manager"}) {
		t.Fatalf("listed %v", names)
	}
	if !list[0].Enrolled || list[0].ID != alice.ID {
		t.Fatalf("alice %+v", list[0])
	}
	if list[1].Enrolled || list[1].ID != bob.ID {
		t.Fatalf("bob %+v, want not enrolled", list[1])
	}
	if !slices.Equal(list[2].LocationIDs, []string{home}) || list[2].ID != manager.ID || list[2].Role != access.RegisteredManager {
		t.Fatalf("manager %+v", list[2])
	}
	t.Run("an unknown or malformed ID is not found", func(t *testing.T) {
		a := a.at(t)
		for _, id := range []string{hearth.NewID(), "not-an-id", ""} {
			if _, err := a.svc.Get(a.ctx, id); hearth.KindOf(err) != hearth.KindNotFound {
				t.Fatalf("Get(%q) = %v", id, err)
			}
		}
	})
}

func TestResetMFA(t *testing.T) {
	a := newTestApp(t)
	admin := a.createStaff("admin", access.Administrator)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)

	if err := a.svc.ResetMFA(a.ctx, u.ID, admin.Actor(), a.meta); err != nil {
		t.Fatal(err)
	}
	a.audited("mfa-reset", audit.OutcomeSuccess, admin.ID, "alice; ended 1 session")
	if _, err := a.svc.LoadSession(a.ctx, token); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Fatalf("session survived the reset: %v", err)
	}
	var codes int
	_ = a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?`, u.ID).Scan(&codes)
	if codes != 0 {
		t.Fatalf("%d recovery codes survived the reset", codes)
	}
	_, sess, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta)
	if err != nil || sess.Stage != StageEnrol {
		t.Fatalf("next sign-in: stage %q, %v; want enrol", sess.Stage, err)
	}
	if got, _ := a.svc.Get(a.ctx, u.ID); got.Enrolled {
		t.Fatal("still enrolled")
	}
	t.Run("a care worker cannot reset anyone's MFA", func(t *testing.T) {
		a := a.at(t)
		wantKind(t, a.svc.ResetMFA(a.ctx, admin.ID, u.Actor(), a.meta), hearth.KindForbidden, "")
		a.audited("mfa-reset", audit.OutcomeDenied, u.ID, "not allowed")
	})
}

func TestSetPassword(t *testing.T) {
	a := newTestApp(t)
	admin := a.createStaff("admin", access.Administrator)
	u, secret, _ := a.enrolledStaff("alice")
	token := a.signInFully(u, secret)
	for range 5 {
		_, _, _ = a.svc.SignIn(a.ctx, "alice", "not the right password", a.meta)
	}
	const newPassword = "another very long passphrase"

	tests := []struct {
		name     string
		by       Actor
		password string
		kind     hearth.Kind // 0 (internal) is never expected: 0 here means success
	}{
		{"a too-short password is refused", admin.Actor(), "short", hearth.KindInvalid},
		{"someone else without the right cannot set it", Operator("").withoutKind(), newPassword, hearth.KindForbidden},
		{"an administrator can set it", admin.Actor(), newPassword, 0},
		{"the account holder can set their own", u.Actor(), testPassword, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := a.at(t)
			err := a.svc.SetPassword(a.ctx, u.ID, tt.password, tt.by, a.meta)
			if tt.kind != 0 {
				wantKind(t, err, tt.kind, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := a.svc.LoadSession(a.ctx, token); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Fatalf("a session survived the password change: %v", err)
	}
	if _, _, err := a.svc.SignIn(a.ctx, "alice", testPassword, a.meta); err != nil {
		t.Fatalf("the new password does not sign in (or the lock was not cleared): %v", err)
	}
	a.audited("password-set", audit.OutcomeSuccess, admin.ID, "alice")
	a.audited("password-set", audit.OutcomeSuccess, u.ID, "alice")
	a.noSecretsAudited(newPassword, testPassword)
}

// withoutKind strips an actor down to a bare name: someone unknown.
func (a Actor) withoutKind() Actor { return Actor{Name: a.Name} }
