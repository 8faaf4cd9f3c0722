// Package access decides who may do what with whose information. It is the
// single rule book behind DESIGN.md invariants 1 and 2: deny by default; a
// permit needs the role's permission AND a live legitimate relationship AND,
// where the data leaves the care team, consent or another recorded lawful
// basis.
//
// Decide is a pure function over facts loaded beforehand (the door package
// loads them in the same transaction as the data): it does no I/O, reads no
// clock and allocates nothing, so it can be tested exhaustively and called
// for every row of every list.
package access

import "time"

// Kind is what sort of account is acting.
type Kind uint8

const (
	KindNone           Kind = iota
	KindStaff               // a member of the provider's staff, with a Role
	KindPerson              // a person who draws on care, using their own portal
	KindRepresentative      // someone lawfully acting for a person (LPA, deputy, parental responsibility)
	KindInspector           // a regulator's inspector with a time-limited read-only grant
	KindSystem              // a partner system under a data-sharing agreement
	// KindService is Hearth itself running a scheduled job that reads
	// records for the provider: the contingency pack (internal/contingency).
	// No account is ever of this kind (ParseKind never returns it), so no
	// one can sign in as it.
	KindService
)

var kindNames = [...]string{"", "staff", "person", "representative", "inspector", "system", "service"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind reads a Kind from its stored name.
func ParseKind(s string) Kind {
	for i, n := range kindNames {
		if n == s && i > 0 && Kind(i) != KindService {
			return Kind(i)
		}
	}
	return KindNone
}

// Role is a staff member's job in Hearth. Each role is an explicit
// permission set in the roles table below.
type Role uint8

const (
	RoleNone Role = iota
	CareWorker
	SeniorCarer
	Nurse
	RegisteredManager
	IGLead // information governance lead
	Administrator
	roleCount
)

// RoleInfo describes a role: its stored name, its name for people, whether
// it holds a relationship with everyone at the locations it is assigned to,
// and what it may do.
type RoleInfo struct {
	Name         string
	Title        string
	LocationWide bool
	Permissions  Permission
}

// Permission is a set of actions.
type Permission uint64

// Has reports whether the set includes a.
func (p Permission) Has(a Action) bool { return p&(1<<a) != 0 }

func perms(actions ...Action) Permission {
	var p Permission
	for _, a := range actions {
		p |= 1 << a
	}
	return p
}

// roles is the one table of who may do what. A permission is necessary but
// never sufficient: Decide also needs a relationship.
var roles = [roleCount]RoleInfo{
	RoleNone: {Name: "", Title: "No role"},
	CareWorker: {Name: "care_worker", Title: "Care worker", Permissions: perms(
		ViewPerson, ReadRecord, WriteRecord, ReadMedicines, AdministerMedicines,
		ReadConsent, ReadTechUse, OperateTechUse, ReadAccessLog, BreakGlass, ListPeople, RaiseConcern, SendMessage, GiveFeedback)},
	SeniorCarer: {Name: "senior_carer", Title: "Senior carer", Permissions: perms(
		ViewPerson, ReadRecord, WriteRecord, WritePlan, ReadMedicines, AdministerMedicines, ManageMedicines,
		ReadConsent, RecordConsent, ReadTechUse, RecordTechUse, OperateTechUse, ReadAccessLog, BreakGlass, ListPeople,
		RaiseConcern, SendMessage, WithholdItem, ManageCorrections, GiveFeedback)},
	Nurse: {Name: "nurse", Title: "Nurse", Permissions: perms(
		ViewPerson, ReadRecord, WriteRecord, WritePlan, ReadMedicines, AdministerMedicines, ManageMedicines,
		ReadConsent, RecordConsent, ReadTechUse, RecordTechUse, OperateTechUse, ReadAccessLog, BreakGlass, ListPeople,
		RaiseConcern, SendMessage, WithholdItem, ManageCorrections, GiveFeedback)},
	RegisteredManager: {Name: "registered_manager", Title: "Registered manager", LocationWide: true, Permissions: perms(
		ViewPerson, ReadRecord, WriteRecord, WritePlan, ReadMedicines, AdministerMedicines, ManageMedicines,
		ReadConsent, RecordConsent, ReadTechUse, RecordTechUse, OperateTechUse, ReadAccessLog, ManagePeople,
		BreakGlass, ManageTechRegister, ViewGovernance, ReviewWithheld, ListPeople, RaiseConcern, ManageConcerns,
		WithholdItem, ManageCorrections, ExportRecord, SendMessage, ManageTraining, GiveFeedback, ManageLocations, ManageStaff,
		ManageIncidents, ManageRetention, ManagePolicies)},
	// The information governance lead sees who has accessed records,
	// reviews break-glass and withheld items, grants inspectors their
	// time-limited read-only access, and records, reviews and ends the
	// data-sharing agreements under which partner systems receive
	// information, but does not read care records.
	IGLead: {Name: "ig_lead", Title: "Information governance lead", LocationWide: true, Permissions: perms(
		ViewPerson, ReadAccessLog, ReadConsent, ReviewBreakGlass, ViewGovernance, ReviewWithheld, ManageTechRegister, ListPeople,
		RaiseConcern, ExportRecord, ManageInspections, GiveFeedback, ManageAgreements, ManageIncidents, ManageRetention, ManagePolicies)},
	// Separation of duties: the administrator manages accounts. Care-record
	// permissions count only through a care-team assignment, never a
	// location, so an administrator off every care team reads nothing.
	// The administrator also sets the provider up: locations, staff and
	// imports of existing records (each person created is audited).
	Administrator: {Name: "administrator", Title: "Administrator", Permissions: perms(
		ManageAccounts, ViewPerson, ReadRecord, ListPeople, GiveFeedback, ManageLocations, ManageStaff, ImportRecords)},
}

// Roles lists every staff role, for forms and the CLI.
func Roles() []Role {
	out := make([]Role, 0, roleCount-1)
	for r := Role(1); r < roleCount; r++ {
		out = append(out, r)
	}
	return out
}

// Info returns the role's entry in the roles table.
func (r Role) Info() RoleInfo {
	if r < roleCount {
		return roles[r]
	}
	return roles[RoleNone]
}

func (r Role) String() string { return r.Info().Name }

// Title is the role's name for people ("Senior carer").
func (r Role) Title() string { return r.Info().Title }

// ParseRole reads a Role from its stored name; unknown names are RoleNone.
func ParseRole(s string) Role {
	for r := Role(1); r < roleCount; r++ {
		if roles[r].Name == s {
			return r
		}
	}
	return RoleNone
}

// Action is what the subject wants to do.
type Action uint8

const (
	ActionNone Action = iota
	// About one person.
	ViewPerson          // identity and summary: name, date of birth, NHS number, location, care team
	ReadRecord          // the care record: About Me, plans, notes, observations, risks, visits
	WriteRecord         // add daily notes, observations, About Me entries, visit check-ins
	WritePlan           // care plans, risk assessments, safety plans
	ReadMedicines       // medicines list and administration record
	AdministerMedicines // record a dose given, refused or omitted
	ManageMedicines     // change the medicines list
	ReadConsent         // consent, capacity, best interests, representatives
	RecordConsent       // record or withdraw consent, capacity, best interests, representatives
	ReadTechUse         // the person's technology use records
	RecordTechUse       // create or review a technology use record
	OperateTechUse      // operate a technology for the person (training-gated)
	ReadAccessLog       // who has seen this record
	ManagePeople        // register a person, change identity or care team
	BreakGlass          // open a record in an emergency without a relationship
	Contribute          // the person (or representative) adds to their own record
	ReviewWithheld      // review items withheld from the person
	RaiseConcern        // raise a concern that a technology or practice harms the person or restricts their rights
	ManageConcerns      // take a concern to an outcome (the named senior role)
	WithholdItem        // mark an entry as not shown to the person, with a reason
	ManageCorrections   // decide a person's request to correct their record
	ExportRecord        // produce a copy of everything (subject access)
	SendMessage         // a secure message between the person (or representative) and the care team
	// About the provider, not one person.
	ListPeople     // search or list people: a query, audited as such, then each person returned is decided alone
	ManageTraining // the training register
	ManageAccounts
	ReviewBreakGlass
	ManageTechRegister
	ViewGovernance
	ManageInspections // grant, end and review inspectors' time-limited read-only access
	GiveFeedback      // a member of staff's feedback about a technology in the register: a write, so never an inspector's
	ManageAgreements  // data-sharing agreements with partner organisations
	ManageLocations   // open, rename and close locations
	ManageStaff       // invite staff, change their role and locations, record a leaver, ask for and approve an MFA reset
	ImportRecords     // import people, staff and care teams from a file
	ManageIncidents   // record incidents and personal data breaches and take them to closure
	ManageRetention   // the retention schedule, legal holds, and disposal (asked for by one senior account, approved by another)
	ManagePolicies    // the policies register
	actionCount
)

var actionNames = [actionCount]string{
	"", "view-person", "read-record", "write-record", "write-plan", "read-medicines",
	"administer-medicines", "manage-medicines", "read-consent", "record-consent", "read-tech-use",
	"record-tech-use", "operate-tech-use", "read-access-log", "manage-people", "break-glass",
	"contribute", "review-withheld", "raise-concern", "manage-concerns", "withhold-item", "manage-corrections",
	"export-record", "send-message", "list-people", "manage-training", "manage-accounts", "review-break-glass", "manage-tech-register",
	"view-governance", "manage-inspections", "give-feedback", "manage-agreements", "manage-locations", "manage-staff", "import-records",
	"manage-incidents", "manage-retention", "manage-policies",
}

func (a Action) String() string {
	if a < actionCount {
		return actionNames[a]
	}
	return "unknown"
}

// Actions lists every action, for exhaustive tests.
func Actions() []Action {
	out := make([]Action, 0, actionCount-1)
	for a := Action(1); a < actionCount; a++ {
		out = append(out, a)
	}
	return out
}

// PersonScoped reports whether the action concerns one person's record.
func (a Action) PersonScoped() bool { return a >= ViewPerson && a <= SendMessage }

// IsRead reports whether the action only reads.
func (a Action) IsRead() bool {
	switch a {
	case ViewPerson, ReadRecord, ReadMedicines, ReadConsent, ReadTechUse, ReadAccessLog, ViewGovernance:
		return true
	}
	return false
}

// Purpose is why the subject acts: it is audited with every decision and
// maps to HL7 PurposeOfUse on the FHIR AuditEvent.
type Purpose uint8

const (
	PurposeNone    Purpose = iota
	DirectCare             // HL7 TREAT
	Emergency              // HL7 ETREAT: break-glass
	Governance             // HL7 HOPERAT: audit, review, quality
	Administration         // HL7 HSYSADMIN: accounts
	OwnRecord              // HL7 PATRQT: the person sees their own record
	ProxyAccess            // HL7 PATRQT via a representative
	Inspection             // HL7 HOPERAT by a regulator (CQC)
	Sharing                // HL7 TREAT outside the care team, under consent or another basis
	Contingency            // HL7 TREAT: the offline pack staff use for care when Hearth is down
	purposeCount
)

var purposeNames = [purposeCount]string{"", "direct-care", "emergency", "governance", "administration", "own-record", "proxy-access", "inspection", "sharing", "contingency"}
var purposeHL7 = [purposeCount]string{"", "TREAT", "ETREAT", "HOPERAT", "HSYSADMIN", "PATRQT", "PATRQT", "HOPERAT", "TREAT", "TREAT"}

func (p Purpose) String() string {
	if p < purposeCount {
		return purposeNames[p]
	}
	return "unknown"
}

// HL7 is the purpose's HL7 v3 PurposeOfUse code.
func (p Purpose) HL7() string {
	if p < purposeCount {
		return purposeHL7[p]
	}
	return ""
}

// Subject is who is acting.
type Subject struct {
	ID   string
	Kind Kind
	Role Role // for staff
}

// Grant is a time-bounded permission with an identity for the audit log.
type Grant struct {
	ID    string
	Until time.Time
}

// Live reports whether the grant exists and has not expired at now.
func (g Grant) Live(now time.Time) bool { return g.ID != "" && now.Before(g.Until) }

// Basis is the consent or other lawful basis under which data may leave the
// care team. Special bases (safeguarding, a court order, ...) are marked in
// the audit log for the information governance lead.
type Basis struct {
	ID      string // the consent or basis record
	Special bool   // not consent: safeguarding, court order, vital interests
	Until   time.Time
}

func (b Basis) live(now time.Time) bool {
	return b.ID != "" && (b.Until.IsZero() || now.Before(b.Until))
}

// Proxy is a representative's authority, as far as it concerns this
// decision. The consent package works out whether the authority is valid
// and covers the kind of data; Decide checks it is there and live.
type Proxy struct {
	ID     string     // the representative record
	Covers Permission // the actions the authority reaches for this person now
	Until  time.Time  // zero: no end
	// Missing is why a representative's account has no authority now
	// (ID empty), so the refusal names the real cause: their authority
	// ended, or the person withdrew the consent that let them see it.
	Missing Reason
}

// Agreement is a partner system's data-sharing agreement, as far as it
// concerns this decision: the live agreement that covers what is asked
// (or, when none does, one that is live), and the actions its data
// categories reach for the kind of resource asked about. The partners
// package maps categories to resource types and actions; Decide checks the
// agreement is there, live and covers the action.
type Agreement struct {
	ID     string
	Covers Permission
	Until  time.Time // zero: no end
}

func (g Agreement) live(now time.Time) bool {
	return g.ID != "" && (g.Until.IsZero() || now.Before(g.Until))
}

// Facts are everything Decide needs to know, loaded before it is called.
type Facts struct {
	Now        time.Time
	Exists     bool      // the resource (person) exists
	CareTeam   bool      // the subject has a live care-team assignment with the person
	AtLocation bool      // the subject holds a location-level role at the person's location
	BreakGlass Grant     // the subject's emergency access to the person
	Inspection Grant     // an inspector's time-limited grant covering the person's location
	Self       bool      // the subject is the person
	Proxy      Proxy     // a representative's authority
	Basis      Basis     // consent or another lawful basis for data leaving the care team
	Withheld   bool      // the item is withheld from the person and their representatives
	Agreement  Agreement // a partner system's data-sharing agreement
	CareEnded  bool      // the person's care has ended: the record is read-only except for corrections
}

// Resource is what is acted upon.
type Resource struct {
	PersonID string // empty for provider-level resources
	// LocationID names the one location a provider-level action concerns
	// (renaming or closing it): a location-wide role may act only on its
	// own locations. Facts.Exists and Facts.AtLocation are then about it.
	LocationID string
	Facts      Facts
	// Correction marks a write that corrects an entry already in the record
	// (a new version pointing at the old one, or a request to correct): the
	// one kind of change still allowed once care has ended.
	Correction bool
}

// Reason is the machine-readable reason for a decision.
type Reason uint8

const (
	ReasonNone Reason = iota
	// Permits.
	PermitCareTeam
	PermitLocationRole
	PermitBreakGlass
	PermitProviderRole
	PermitSelf
	PermitProxy
	PermitInspection
	PermitSharing
	PermitSpecialBasis
	PermitOwnLinks
	PermitPartnerList
	// Denials.
	DenyUnknownSubject
	DenyNoPermission
	DenyNoRelationship
	DenyNotFound
	DenyBreakGlassExpired
	DenyWrongPurpose
	DenyReadOnly
	DenyNoConsent
	DenyOutsideAuthority
	DenyWithheld
	DenyNotPersonScoped
	DenyNoAgreement
	DenyOutsideAgreement
	DenyCareEnded
	DenyRoleCeiling
	DenyOtherLocation
	DenySameApprover
	DenyOwnAccount
	// PermitContingency is a permit; it comes last only so that the
	// reasons before it keep their numbers.
	PermitContingency
	DenyNoAuthority      // a representative whose authority is not in force (ended, or evidence not checked)
	DenyConsentWithdrawn // a consulted representative: the person withdrew their consent to share with them
	DenyNoSharingConsent // a consulted representative: the person has not agreed to share with them
	reasonCount
)

type reasonText struct{ code, sentence string }

var reasons = [reasonCount]reasonText{
	{"", ""},
	{"care-team", "Allowed: on this person's care team."},
	{"location-role", "Allowed: holds a role for everyone at this person's location."},
	{"break-glass", "Allowed in an emergency (break-glass), for a limited time, pending review."},
	{"provider-role", "Allowed: this role covers the whole provider."},
	{"self", "Allowed: this is the person's own record."},
	{"proxy", "Allowed: a lawful representative acting within their recorded authority."},
	{"inspection", "Allowed: a time-limited, read-only inspection."},
	{"consent", "Allowed: shared outside the care team with the person's consent."},
	{"special-basis", "Allowed: shared outside the care team on a recorded lawful basis other than consent."},
	{"own-links", "Allowed: lists only the records this account is linked to."},
	{"partner-list", "Allowed: lists only the people whose information may be shared with this partner."},
	{"unknown-subject", "Denied: not signed in."},
	{"no-permission", "Denied: this role does not allow this action."},
	{"no-relationship", "Denied: not on this person's care team and no role at their location."},
	{"not-found", "Denied: there is no such record."},
	{"break-glass-expired", "Denied: emergency access has ended."},
	{"wrong-purpose", "Denied: this purpose does not fit this access."},
	{"read-only", "Denied: this access is read-only."},
	{"no-consent", "Denied: no consent or other lawful basis to share this outside the care team."},
	{"outside-authority", "Denied: outside the representative's recorded authority."},
	{"withheld", "Denied: this item is withheld from the person's own view."},
	{"not-person-scoped", "Denied: this action is not about one person."},
	{"no-agreement", "Denied: no data-sharing agreement with this partner is in force."},
	{"outside-agreement", "Denied: the data-sharing agreement with this partner does not cover this information."},
	{"care-ended", "Denied: this person's care has ended; their record is read-only except for corrections."},
	{"role-ceiling", "Denied: this role may not give or change that role."},
	{"other-location", "Denied: not a location this account manages."},
	{"same-approver", "Denied: a second senior account must approve this, not the one who asked for it."},
	{"own-account", "Denied: someone else must make this change to your own account."},
	{"contingency", "Allowed: Hearth's offline contingency pack for this person's location, for care when Hearth is down."},
	{"no-authority", "Denied: no recorded authority to act for this person is in force now."},
	{"consent-withdrawn", "Denied: the person withdrew their consent to share this with you."},
	{"no-sharing-consent", "Denied: the person has not agreed to share this with you."},
}

// String is the reason's stable machine-readable code.
func (r Reason) String() string {
	if r < reasonCount {
		return reasons[r].code
	}
	return "unknown"
}

// Sentence is the reason in plain English, as audited and shown.
func (r Reason) Sentence() string {
	if r < reasonCount {
		return reasons[r].sentence
	}
	return ""
}

// Decision is the answer, with its reason. It is a value: no allocation.
type Decision struct {
	Permit       bool
	Reason       Reason
	Basis        string // the grant, consent or authority relied on, if any
	BreakGlass   bool   // permitted only by break-glass: marked everywhere
	SpecialBasis bool   // permitted on a lawful basis other than consent: marked in the audit log
	Agreement    string // the data-sharing agreement a partner system's permit rests on, besides Basis
}

// Outcome is "permit" or "deny", as audited.
func (d Decision) Outcome() string {
	if d.Permit {
		return "permit"
	}
	return "deny"
}

// Sentence is the decision's reason in plain English.
func (d Decision) Sentence() string { return d.Reason.Sentence() }

func deny(r Reason) Decision { return Decision{Reason: r} }
func permit(r Reason, basis string) Decision {
	return Decision{Permit: true, Reason: r, Basis: basis}
}

// ownRecordActions are what a person may do with their own record.
var ownRecordActions = perms(ViewPerson, ReadRecord, ReadMedicines, ReadConsent, ReadTechUse, ReadAccessLog, Contribute,
	RecordConsent, RaiseConcern, ExportRecord, SendMessage)

// inspectionActions are what an inspector's read-only grant reaches.
var inspectionActions = perms(ViewPerson, ReadRecord, ReadMedicines, ReadConsent, ReadTechUse, ReadAccessLog, ViewGovernance, ListPeople)

// Decide answers whether subject may perform action on resource for purpose.
// It denies unless a rule below permits.
func Decide(s Subject, a Action, r Resource, p Purpose) Decision {
	f := &r.Facts
	if s.ID == "" || s.Kind == KindNone {
		return deny(DenyUnknownSubject)
	}
	if !a.PersonScoped() {
		if s.Kind == KindService {
			// The contingency pack lists everyone in care, location by
			// location; each person on it is then decided.
			if a == ListPeople && p == Contingency {
				return permit(PermitContingency, "")
			}
			return deny(DenyNoPermission)
		}
		return decideProvider(s, a, r)
	}
	if r.PersonID == "" {
		return deny(DenyNotFound)
	}
	if !f.Exists {
		return deny(DenyNotFound)
	}
	var d Decision
	switch s.Kind {
	case KindStaff:
		d = decideStaff(s, a, f, p)
	case KindPerson:
		d = decidePerson(a, f, p)
	case KindRepresentative:
		d = decideRepresentative(a, f, p)
	case KindInspector:
		d = decideInspector(a, f, p)
	case KindSystem:
		d = decideSystem(a, f, p)
	case KindService:
		d = decideService(a, p)
	default:
		return deny(DenyUnknownSubject)
	}
	// Once care has ended the record is kept (for the retention schedule)
	// and stays readable to those with a relationship, but nothing is
	// added to it except corrections. Checked after the relationship, so
	// someone without one still learns nothing.
	if d.Permit && f.CareEnded && !r.Correction && !afterCareEnds.Has(a) {
		return deny(DenyCareEnded)
	}
	return d
}

// afterCareEnds are the actions still allowed on the record of someone
// whose care has ended: reading it (by those whose relationship or
// authority still stands), a copy of it (subject access), emergency access
// to read it, deciding correction requests and reviewing what is withheld.
var afterCareEnds = perms(ViewPerson, ReadRecord, ReadMedicines, ReadConsent, ReadTechUse, ReadAccessLog, ViewGovernance,
	ExportRecord, BreakGlass, ManageCorrections, ReviewWithheld)

// AllowedAfterCareEnds reports whether a is still allowed once a person's
// care has ended (corrections aside), for pages that offer only what may
// be done.
func AllowedAfterCareEnds(a Action) bool { return afterCareEnds.Has(a) }

func decideProvider(s Subject, a Action, r Resource) Decision {
	if s.Kind != KindStaff {
		switch {
		case s.Kind == KindInspector && inspectionActions.Has(a):
			return permit(PermitInspection, "")
		case (s.Kind == KindPerson || s.Kind == KindRepresentative) && a == ListPeople:
			// The records a portal account is linked to: the list is
			// limited to its links, and each record on it is decided.
			return permit(PermitOwnLinks, "")
		case s.Kind == KindSystem && a == ListPeople:
			// A partner's search: limited to the people it may receive
			// (the door's Reach), and each person found is decided.
			return permit(PermitPartnerList, "")
		case s.Kind == KindInspector:
			return deny(DenyReadOnly)
		}
		return deny(DenyNoPermission)
	}
	if a == ActionNone || a >= actionCount {
		return deny(DenyNotPersonScoped)
	}
	info := s.Role.Info()
	if !info.Permissions.Has(a) {
		return deny(DenyNoPermission)
	}
	if r.LocationID != "" && info.LocationWide {
		// One location named: a location-wide role reaches its own.
		switch {
		case !r.Facts.Exists:
			return deny(DenyNotFound)
		case !r.Facts.AtLocation:
			return deny(DenyOtherLocation)
		}
		return permit(PermitLocationRole, "")
	}
	return permit(PermitProviderRole, "")
}

func decideStaff(s Subject, a Action, f *Facts, p Purpose) Decision {
	info := s.Role.Info()
	if a == Contribute || !info.Permissions.Has(a) {
		return deny(DenyNoPermission)
	}
	switch p {
	case DirectCare, Governance:
		if f.CareTeam {
			return permit(PermitCareTeam, "")
		}
		if f.AtLocation && info.LocationWide {
			return permit(PermitLocationRole, "")
		}
		if f.BreakGlass.Live(f.Now) {
			// A live break-glass grant still counts when the caller did not
			// say 'emergency' (a link followed from the person page): the
			// access is marked as break-glass either way.
			d := permit(PermitBreakGlass, f.BreakGlass.ID)
			d.BreakGlass = true
			return d
		}
		if f.BreakGlass.ID != "" {
			return deny(DenyBreakGlassExpired)
		}
		return deny(DenyNoRelationship)
	case Emergency:
		if a == BreakGlass {
			// Asking for emergency access needs the permission only; the
			// grant it creates is what later reads rely on.
			return permit(PermitBreakGlass, "")
		}
		if f.BreakGlass.Live(f.Now) {
			d := permit(PermitBreakGlass, f.BreakGlass.ID)
			d.BreakGlass = true
			return d
		}
		if f.BreakGlass.ID != "" {
			return deny(DenyBreakGlassExpired)
		}
		return deny(DenyNoRelationship)
	case Sharing:
		// Staff sending data outside the care team need a relationship AND
		// a lawful basis for the sharing.
		if !f.CareTeam && !(f.AtLocation && info.LocationWide) {
			return deny(DenyNoRelationship)
		}
		return decideBasis(f)
	}
	return deny(DenyWrongPurpose)
}

func decideBasis(f *Facts) Decision {
	if !f.Basis.live(f.Now) {
		return deny(DenyNoConsent)
	}
	if f.Basis.Special {
		d := permit(PermitSpecialBasis, f.Basis.ID)
		d.SpecialBasis = true
		return d
	}
	return permit(PermitSharing, f.Basis.ID)
}

func decidePerson(a Action, f *Facts, p Purpose) Decision {
	if p != OwnRecord {
		return deny(DenyWrongPurpose)
	}
	if !f.Self {
		return deny(DenyNoRelationship)
	}
	if !ownRecordActions.Has(a) {
		return deny(DenyNoPermission)
	}
	if f.Withheld {
		return deny(DenyWithheld)
	}
	return permit(PermitSelf, "")
}

func decideRepresentative(a Action, f *Facts, p Purpose) Decision {
	if p != ProxyAccess {
		return deny(DenyWrongPurpose)
	}
	if f.Proxy.ID == "" && f.Proxy.Missing != 0 {
		return deny(f.Proxy.Missing)
	}
	if f.Proxy.ID == "" || (!f.Proxy.Until.IsZero() && !f.Now.Before(f.Proxy.Until)) {
		return deny(DenyNoRelationship)
	}
	if !f.Proxy.Covers.Has(a) {
		return deny(DenyOutsideAuthority)
	}
	if f.Withheld {
		return deny(DenyWithheld)
	}
	return permit(PermitProxy, f.Proxy.ID)
}

func decideInspector(a Action, f *Facts, p Purpose) Decision {
	// Read-only first: an inspector's attempt to change anything is
	// refused as such (403), whatever else is true.
	if !inspectionActions.Has(a) {
		return deny(DenyReadOnly)
	}
	if p != Inspection {
		return deny(DenyWrongPurpose)
	}
	if !f.Inspection.Live(f.Now) {
		return deny(DenyNoRelationship)
	}
	return permit(PermitInspection, f.Inspection.ID)
}

// contingencyActions are what the contingency pack reads: who the person
// is, their record (risks, safety plan, About Me), their medicines, and
// their consent records and representatives.
var contingencyActions = perms(ViewPerson, ReadRecord, ReadMedicines, ReadConsent)

// decideService is Hearth's own scheduled job: it reads, for the
// contingency pack only, the few parts of the record care needs when
// Hearth is down, and writes nothing.
func decideService(a Action, p Purpose) Decision {
	if p != Contingency {
		return deny(DenyWrongPurpose)
	}
	if !a.IsRead() {
		return deny(DenyReadOnly)
	}
	if !contingencyActions.Has(a) {
		return deny(DenyNoPermission)
	}
	return permit(PermitContingency, "")
}

// decideSystem is a partner system's request: read-only, for sharing, under
// a live data-sharing agreement whose categories cover the action AND the
// person's consent or another recorded lawful basis naming the partner
// (DESIGN.md invariant 2: the agreement is the relationship; the consent is
// what lets the data leave the care team).
func decideSystem(a Action, f *Facts, p Purpose) Decision {
	if p != Sharing {
		return deny(DenyWrongPurpose)
	}
	if !a.IsRead() {
		return deny(DenyReadOnly)
	}
	if !f.Agreement.live(f.Now) {
		return deny(DenyNoAgreement)
	}
	if !f.Agreement.Covers.Has(a) {
		return deny(DenyOutsideAgreement)
	}
	d := decideBasis(f)
	if d.Permit {
		d.Agreement = f.Agreement.ID
	}
	return d
}
