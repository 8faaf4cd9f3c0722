package access

import (
	"fmt"
	"testing"
	"time"
)

var now = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

// relationship is one state of a staff member's relationship with a person.
type relationship struct {
	name  string
	facts Facts
}

var relationships = []relationship{
	{"no relationship", Facts{Now: now, Exists: true}},
	{"on the care team", Facts{Now: now, Exists: true, CareTeam: true}},
	{"a role at the person's location", Facts{Now: now, Exists: true, AtLocation: true}},
	{"live break-glass", Facts{Now: now, Exists: true, BreakGlass: Grant{ID: "bg1", Until: now.Add(time.Minute)}}},
	{"expired break-glass", Facts{Now: now, Exists: true, BreakGlass: Grant{ID: "bg1", Until: now.Add(-time.Second)}}},
	{"a person who does not exist", Facts{Now: now}},
}

// want is the rule, stated once in words a reviewer can check against the
// issue: a permit needs the role's permission AND a live relationship.
func want(role Role, a Action, rel string, p Purpose) (bool, Reason) {
	info := role.Info()
	has := info.Permissions.Has(a) && a != Contribute
	switch {
	case rel == "a person who does not exist":
		return false, DenyNotFound
	case !has:
		return false, DenyNoPermission
	case p == Emergency && a == BreakGlass:
		return true, PermitBreakGlass
	case rel == "on the care team" && p != Emergency:
		return true, PermitCareTeam
	case rel == "a role at the person's location" && info.LocationWide && p != Emergency:
		return true, PermitLocationRole
	case rel == "live break-glass":
		return true, PermitBreakGlass
	case rel == "expired break-glass":
		return false, DenyBreakGlassExpired
	}
	return false, DenyNoRelationship
}

func TestEveryRoleActionAndRelationshipForStaff(t *testing.T) {
	n := 0
	for _, role := range Roles() {
		for _, a := range Actions() {
			if !a.PersonScoped() {
				continue
			}
			for _, rel := range relationships {
				for _, p := range []Purpose{DirectCare, Governance, Emergency} {
					n++
					s := Subject{ID: "u1", Kind: KindStaff, Role: role}
					d := Decide(s, a, Resource{PersonID: "p1", Facts: rel.facts}, p)
					permit, reason := want(role, a, rel.name, p)
					if d.Permit != permit || d.Reason != reason {
						t.Errorf("%s, %s, %s, for %s: got %s (%s), want %v (%s)", role.Title(), a, rel.name, p, d.Outcome(), d.Reason, permit, reason)
					}
					if d.Permit && d.Reason == PermitBreakGlass && a != BreakGlass && !d.BreakGlass {
						t.Errorf("%s, %s under break-glass is not marked as break-glass", role.Title(), a)
					}
				}
			}
		}
	}
	t.Logf("checked %d combinations", n)
}

func TestTheRolesTableGrantsExactlyWhatEachJobNeeds(t *testing.T) {
	cases := []struct {
		role   Role
		may    []Action
		mayNot []Action
	}{
		{CareWorker, []Action{ViewPerson, ReadRecord, WriteRecord, AdministerMedicines, BreakGlass, GiveFeedback}, []Action{WritePlan, ManageMedicines, RecordConsent, ManagePeople, ManageAccounts, ReviewBreakGlass}},
		{SeniorCarer, []Action{WritePlan, RecordConsent, RecordTechUse}, []Action{ManagePeople, ManageAccounts, ReviewBreakGlass}},
		{Nurse, []Action{WritePlan, ManageMedicines, RecordConsent}, []Action{ManagePeople, ManageAccounts}},
		{RegisteredManager, []Action{ManagePeople, ManageTechRegister, ViewGovernance, ReadRecord}, []Action{ManageAccounts, ReviewBreakGlass}},
		{IGLead, []Action{ReadAccessLog, ReviewBreakGlass, ReviewWithheld, ManageInspections}, []Action{ReadRecord, WriteRecord, ReadMedicines, ManageAccounts, BreakGlass}},
		{Administrator, []Action{ManageAccounts}, []Action{WriteRecord, WritePlan, ReadMedicines, ReadConsent, ReadAccessLog, ManagePeople, BreakGlass}},
	}
	for _, tc := range cases {
		for _, a := range tc.may {
			if !tc.role.Info().Permissions.Has(a) {
				t.Errorf("%s should be allowed to %s", tc.role.Title(), a)
			}
		}
		for _, a := range tc.mayNot {
			if tc.role.Info().Permissions.Has(a) {
				t.Errorf("%s must not be allowed to %s", tc.role.Title(), a)
			}
		}
	}
}

func TestTheAdministratorReadsCareRecordsOnlyThroughACareTeam(t *testing.T) {
	admin := Subject{ID: "a1", Kind: KindStaff, Role: Administrator}
	atLocation := Decide(admin, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, AtLocation: true}}, DirectCare)
	onTeam := Decide(admin, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare)
	if atLocation.Permit || !onTeam.Permit {
		t.Fatalf("at location: %v (want deny); on care team: %v (want permit)", atLocation.Outcome(), onTeam.Outcome())
	}
}

func TestDenyByDefault(t *testing.T) {
	cases := []struct {
		name string
		s    Subject
		a    Action
		r    Resource
		p    Purpose
		want Reason
	}{
		{"nobody signed in", Subject{}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare, DenyUnknownSubject},
		{"a staff member with no role", Subject{ID: "u", Kind: KindStaff}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare, DenyNoPermission},
		{"no purpose given", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, PurposeNone, DenyWrongPurpose},
		{"no person named", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Resource{Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare, DenyNotFound},
		{"an unknown action", Subject{ID: "u", Kind: KindStaff, Role: RegisteredManager}, Action(200), Resource{}, DirectCare, DenyNotPersonScoped},
		{"staff may not contribute as the person", Subject{ID: "u", Kind: KindStaff, Role: RegisteredManager}, Contribute, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare, DenyNoPermission},
		{"sharing needs a relationship", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Basis: Basis{ID: "c1"}}}, Sharing, DenyNoRelationship},
		{"sharing needs consent or another basis", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, Sharing, DenyNoConsent},
		{"expired consent does not count", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true, Basis: Basis{ID: "c1", Until: now}}}, Sharing, DenyNoConsent},
		{"a person reads only their own record", Subject{ID: "u", Kind: KindPerson}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true}}, OwnRecord, DenyNoRelationship},
		{"a withheld item is not shown to the person", Subject{ID: "u", Kind: KindPerson}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Self: true, Withheld: true}}, OwnRecord, DenyWithheld},
		{"a person cannot write care plans", Subject{ID: "u", Kind: KindPerson}, WritePlan, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Self: true}}, OwnRecord, DenyNoPermission},
		{"a representative outside their authority", Subject{ID: "u", Kind: KindRepresentative}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Proxy: Proxy{ID: "lpa-pf", Covers: perms(ReadConsent)}}}, ProxyAccess, DenyOutsideAuthority},
		{"a representative whose authority ended", Subject{ID: "u", Kind: KindRepresentative}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Proxy: Proxy{ID: "r", Covers: perms(ReadRecord), Until: now}}}, ProxyAccess, DenyNoRelationship},
		{"an inspector cannot write", Subject{ID: "u", Kind: KindInspector}, WriteRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Inspection: Grant{ID: "i1", Until: now.Add(time.Hour)}}}, Inspection, DenyReadOnly},
		{"an inspector after the grant ends", Subject{ID: "u", Kind: KindInspector}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Inspection: Grant{ID: "i1", Until: now}}}, Inspection, DenyNoRelationship},
		{"a partner system cannot write", Subject{ID: "u", Kind: KindSystem}, WriteRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Basis: Basis{ID: "dsa"}}}, Sharing, DenyReadOnly},
		{"a care worker cannot manage accounts", Subject{ID: "u", Kind: KindStaff, Role: CareWorker}, ManageAccounts, Resource{}, Administration, DenyNoPermission},
		{"a person cannot manage accounts", Subject{ID: "u", Kind: KindPerson}, ManageAccounts, Resource{}, OwnRecord, DenyNoPermission},
		{"a registered manager cannot grant inspections", Subject{ID: "u", Kind: KindStaff, Role: RegisteredManager}, ManageInspections, Resource{}, Governance, DenyNoPermission},
		{"an inspector cannot grant themselves or anyone an inspection", Subject{ID: "u", Kind: KindInspector}, ManageInspections, Resource{}, Inspection, DenyReadOnly},
		{"a person cannot grant inspections", Subject{ID: "u", Kind: KindPerson}, ManageInspections, Resource{}, OwnRecord, DenyNoPermission},
		{"an inspector cannot give feedback on a technology", Subject{ID: "u", Kind: KindInspector}, GiveFeedback, Resource{}, Inspection, DenyReadOnly},
		{"a person gives no staff feedback: they raise a concern", Subject{ID: "u", Kind: KindPerson}, GiveFeedback, Resource{}, OwnRecord, DenyNoPermission},
		{"an inspector cannot break the glass", Subject{ID: "u", Kind: KindInspector}, BreakGlass, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Inspection: Grant{ID: "i1", Until: now.Add(time.Hour)}}}, Emergency, DenyReadOnly},
		{"an inspector under a grant that has not started", Subject{ID: "u", Kind: KindInspector}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true}}, Inspection, DenyNoRelationship},
		{"an inspector reads only for inspection", Subject{ID: "u", Kind: KindInspector}, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Inspection: Grant{ID: "i1", Until: now.Add(time.Hour)}}}, DirectCare, DenyWrongPurpose},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.s, tc.a, tc.r, tc.p)
			if d.Permit || d.Reason != tc.want {
				t.Fatalf("got %s (%s), want deny (%s)", d.Outcome(), d.Reason, tc.want)
			}
			if d.Sentence() == "" {
				t.Error("a denial without a sentence")
			}
		})
	}
}

func TestPermitsNameTheirBasis(t *testing.T) {
	cases := []struct {
		name    string
		s       Subject
		a       Action
		f       Facts
		p       Purpose
		reason  Reason
		basis   string
		special bool
	}{
		{"the person reads their own record", Subject{ID: "u", Kind: KindPerson}, ReadRecord, Facts{Self: true}, OwnRecord, PermitSelf, "", false},
		{"an LPA for health and welfare within authority", Subject{ID: "u", Kind: KindRepresentative}, ReadRecord, Facts{Proxy: Proxy{ID: "lpa-hw", Covers: perms(ReadRecord)}}, ProxyAccess, PermitProxy, "lpa-hw", false},
		{"an inspector reads under a live grant", Subject{ID: "u", Kind: KindInspector}, ReadRecord, Facts{Inspection: Grant{ID: "insp", Until: now.Add(time.Hour)}}, Inspection, PermitInspection, "insp", false},
		{"sharing with the GP under consent", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Facts{CareTeam: true, Basis: Basis{ID: "consent-gp"}}, Sharing, PermitSharing, "consent-gp", false},
		{"sharing for safeguarding is specially marked", Subject{ID: "u", Kind: KindStaff, Role: Nurse}, ReadRecord, Facts{CareTeam: true, Basis: Basis{ID: "safeguarding-1", Special: true}}, Sharing, PermitSpecialBasis, "safeguarding-1", true},
		{"a partner system under a data-sharing agreement with consent", Subject{ID: "u", Kind: KindSystem}, ReadRecord, Facts{Basis: Basis{ID: "consent-1"}, Agreement: Agreement{ID: "dsa-1", Covers: perms(ReadRecord)}}, Sharing, PermitSharing, "consent-1", false},
		{"a partner system under a data-sharing agreement on a safeguarding basis", Subject{ID: "u", Kind: KindSystem}, ReadRecord, Facts{Basis: Basis{ID: "safeguarding-1", Special: true}, Agreement: Agreement{ID: "dsa-1", Covers: perms(ReadRecord)}}, Sharing, PermitSpecialBasis, "safeguarding-1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Now, tc.f.Exists = now, true
			d := Decide(tc.s, tc.a, Resource{PersonID: "p1", Facts: tc.f}, tc.p)
			if !d.Permit || d.Reason != tc.reason || d.Basis != tc.basis || d.SpecialBasis != tc.special {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

// The states a partner system's agreement and the person's sharing basis
// can be in, for the exhaustive test below.
var (
	agreementStates = []struct {
		name string
		g    func(a Action) Agreement
	}{
		{"no agreement", func(Action) Agreement { return Agreement{} }},
		{"a live agreement covering the action", func(a Action) Agreement { return Agreement{ID: "dsa", Covers: perms(a)} }},
		{"a live agreement with an end date covering the action", func(a Action) Agreement {
			return Agreement{ID: "dsa", Covers: perms(a), Until: now.Add(time.Hour)}
		}},
		{"a live agreement covering other actions only", func(a Action) Agreement {
			return Agreement{ID: "dsa", Covers: perms(ReadRecord, ReadMedicines, ViewPerson, ReadConsent, ReadTechUse) &^ perms(a)}
		}},
		{"an ended agreement covering the action", func(a Action) Agreement { return Agreement{ID: "dsa", Covers: perms(a), Until: now} }},
	}
	basisStates = []struct {
		name string
		b    Basis
	}{
		{"no consent or other basis", Basis{}},
		{"the person's consent", Basis{ID: "consent"}},
		{"consent that has ended", Basis{ID: "consent", Until: now}},
		{"a safeguarding basis", Basis{ID: "safeguarding", Special: true}},
	}
)

// wantSystem is the rule for partner systems in words: read-only, for
// sharing, under a live agreement covering the action AND consent or
// another recorded lawful basis; a search is limited to those people.
func wantSystem(a Action, p Purpose, exists bool, agreement, basis string) (bool, Reason) {
	switch {
	case !a.PersonScoped() && a == ListPeople:
		return true, PermitPartnerList
	case !a.PersonScoped():
		return false, DenyNoPermission
	case !exists:
		return false, DenyNotFound
	case p != Sharing:
		return false, DenyWrongPurpose
	case !a.IsRead():
		return false, DenyReadOnly
	case agreement == "no agreement" || agreement == "an ended agreement covering the action":
		return false, DenyNoAgreement
	case agreement == "a live agreement covering other actions only":
		return false, DenyOutsideAgreement
	case basis == "no consent or other basis" || basis == "consent that has ended":
		return false, DenyNoConsent
	case basis == "a safeguarding basis":
		return true, PermitSpecialBasis
	}
	return true, PermitSharing
}

func TestEveryActionPurposeAgreementAndBasisForPartnerSystems(t *testing.T) {
	n := 0
	s := Subject{ID: "client-1", Kind: KindSystem}
	for _, a := range Actions() {
		for p := Purpose(0); p < purposeCount; p++ {
			for _, g := range agreementStates {
				for _, b := range basisStates {
					for _, exists := range []bool{true, false} {
						n++
						f := Facts{Now: now, Exists: exists, Agreement: g.g(a), Basis: b.b}
						d := Decide(s, a, Resource{PersonID: "p1", Facts: f}, p)
						permit, reason := wantSystem(a, p, exists, g.name, b.name)
						if d.Permit != permit || d.Reason != reason {
							t.Errorf("%s for %s, %s, %s, exists %v: got %s (%s), want %v (%s)", a, p, g.name, b.name, exists, d.Outcome(), d.Reason, permit, reason)
							continue
						}
						switch {
						case d.Permit && a.PersonScoped() && (d.Agreement != "dsa" || d.Basis != b.b.ID || d.SpecialBasis != b.b.Special):
							t.Errorf("%s under %s and %s: the permit names agreement %q and basis %q (special %v)", a, g.name, b.name, d.Agreement, d.Basis, d.SpecialBasis)
						case !d.Permit && d.Agreement != "":
							t.Errorf("%s: a denial names agreement %q", a, d.Agreement)
						case d.BreakGlass:
							t.Errorf("%s: a partner system's decision is marked as break-glass", a)
						}
					}
				}
			}
		}
	}
	t.Logf("checked %d combinations", n)
}

func TestNoOtherKindOfAccountReliesOnAnAgreement(t *testing.T) {
	g := Agreement{ID: "dsa", Covers: perms(ReadRecord)}
	cases := []struct {
		name string
		s    Subject
		p    Purpose
	}{
		{"a care worker off the care team", Subject{ID: "u", Kind: KindStaff, Role: CareWorker}, Sharing},
		{"a person who is not the person", Subject{ID: "u", Kind: KindPerson}, OwnRecord},
		{"a representative without authority", Subject{ID: "u", Kind: KindRepresentative}, ProxyAccess},
		{"an inspector without a grant", Subject{ID: "u", Kind: KindInspector}, Inspection},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.s, ReadRecord, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Agreement: g, Basis: Basis{ID: "c"}}}, tc.p)
			if d.Permit || d.Agreement != "" {
				t.Fatalf("got %+v: an agreement is a partner system's relationship only", d)
			}
		})
	}
}

func TestEveryReasonHasACodeAndASentence(t *testing.T) {
	for r := Reason(1); r < reasonCount; r++ {
		if r.String() == "" || r.Sentence() == "" {
			t.Errorf("reason %d has no code or sentence", r)
		}
	}
	for a := Action(1); a < actionCount; a++ {
		if a.String() == "" || a.String() == "unknown" {
			t.Errorf("action %d has no name", a)
		}
	}
	for _, r := range Roles() {
		if ParseRole(r.String()) != r || r.Title() == "" {
			t.Errorf("role %d does not round-trip", r)
		}
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	s := Subject{ID: "u1", Kind: KindStaff, Role: Nurse}
	r := Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}
	allocs := testing.AllocsPerRun(1000, func() { _ = Decide(s, ReadRecord, r, DirectCare) })
	if allocs != 0 {
		t.Fatalf("Decide allocates %v times per call", allocs)
	}
	partner := Subject{ID: "client-1", Kind: KindSystem}
	shared := Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Basis: Basis{ID: "c1"},
		Agreement: Agreement{ID: "dsa", Covers: perms(ReadRecord), Until: now.Add(time.Hour)}}}
	allocs = testing.AllocsPerRun(1000, func() { _ = Decide(partner, ReadRecord, shared, Sharing) })
	if allocs != 0 {
		t.Fatalf("Decide allocates %v times per call for a partner system", allocs)
	}
}

func BenchmarkDecide(b *testing.B) {
	cases := []struct {
		name string
		s    Subject
		r    Resource
		p    Purpose
	}{
		{"care-team-permit", Subject{ID: "u1", Kind: KindStaff, Role: Nurse}, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, CareTeam: true}}, DirectCare},
		{"no-relationship-deny", Subject{ID: "u1", Kind: KindStaff, Role: CareWorker}, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true}}, DirectCare},
		{"break-glass-permit", Subject{ID: "u1", Kind: KindStaff, Role: CareWorker}, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, BreakGlass: Grant{ID: "g", Until: now.Add(time.Hour)}}}, DirectCare},
		{"proxy-permit", Subject{ID: "u1", Kind: KindRepresentative}, Resource{PersonID: "p1", Facts: Facts{Now: now, Exists: true, Proxy: Proxy{ID: "r", Covers: perms(ReadRecord)}}}, ProxyAccess},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Decision
			for b.Loop() {
				d = Decide(tc.s, ReadRecord, tc.r, tc.p)
			}
			_ = fmt.Sprint(d.Permit)
		})
	}
}

// Only the information governance lead grants inspections; the grant is a
// decision about the provider, not about one person.
func TestOnlyTheInformationGovernanceLeadGrantsInspections(t *testing.T) {
	if ManageInspections.PersonScoped() || ManageInspections.IsRead() {
		t.Fatal("granting an inspection must be a provider-level change")
	}
	for _, role := range Roles() {
		d := Decide(Subject{ID: "u", Kind: KindStaff, Role: role}, ManageInspections, Resource{}, Governance)
		if d.Permit != (role == IGLead) {
			t.Errorf("%s: %s (%s)", role.Title(), d.Outcome(), d.Reason)
		}
	}
}

// An inspector under a live grant may read every kind of record the grant
// covers, and may change nothing, whatever the grant says.
func TestAnInspectorReadsUnderALiveGrantAndNeverWrites(t *testing.T) {
	live := Facts{Now: now, Exists: true, Inspection: Grant{ID: "i1", Until: now.Add(time.Hour)}}
	for _, a := range Actions() {
		if !a.PersonScoped() {
			continue
		}
		d := Decide(Subject{ID: "u", Kind: KindInspector}, a, Resource{PersonID: "p1", Facts: live}, Inspection)
		switch {
		case a.IsRead() && !d.Permit:
			t.Errorf("an inspector may %s under a live grant: got %s (%s)", a, d.Outcome(), d.Reason)
		case !a.IsRead() && (d.Permit || d.Reason != DenyReadOnly):
			t.Errorf("an inspector must not %s: got %s (%s)", a, d.Outcome(), d.Reason)
		}
	}
}
