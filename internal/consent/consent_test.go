package consent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/door"
)

const day = 24 * time.Hour

// fixture is the usual scenario plus helpers for consent stories.
type fixture struct {
	*apptest.Scenario
	t *testing.T
}

func newFixture(t *testing.T) *fixture {
	return &fixture{Scenario: apptest.NewScenario(t), t: t}
}

func informed(n consent.NewConsent) consent.NewConsent {
	if n.InfoGiven == "" {
		n.InfoGiven = "Talked through what will be shared, with whom, and how to withdraw"
	}
	if n.InfoFormat == "" {
		n.InfoFormat = "easy-read"
	}
	if n.Decision == "" {
		n.Decision = "permit"
	}
	return n
}

func (f *fixture) give(n consent.NewConsent) consent.Consent {
	f.t.Helper()
	if n.PersonID == "" {
		n.PersonID = f.Ann.ID
	}
	c, err := f.Consent.Give(f.Ctx, f.Manager.Actor, informed(n))
	if err != nil {
		f.t.Fatalf("give: %v", err)
	}
	return c
}

func (f *fixture) assess(decision string, lacks bool, at time.Time) consent.Assessment {
	f.t.Helper()
	a, err := f.Consent.RecordAssessment(f.Ctx, f.Manager.Actor, consent.NewAssessment{PersonID: f.Ann.ID, Decision: decision,
		AssessedAt: at, Assessor: "Eilidh Ross, nurse", Impairment: lacks, Understand: !lacks, Retain: !lacks, UseWeigh: !lacks,
		Communicate: true, Evidence: "Asked Ann to explain the decision back in her own words"})
	if err != nil {
		f.t.Fatalf("assess: %v", err)
	}
	return a
}

func (f *fixture) representative(name, authority string, verified bool) consent.Representative {
	f.t.Helper()
	n := consent.NewRepresentative{PersonID: f.Ann.ID, Name: name, Relationship: "daughter", Authority: authority,
		EvidenceReference: "OPG 7000-1234-5678", StartsOn: f.Clock.Now().Add(-30 * day)}
	if authority == consent.AuthorityDeputyHealthWelfare {
		n.Scope = "Decisions about care and where to live"
	}
	if verified {
		n.VerifiedBy, n.VerifiedOn = "Grace Obi, registered manager", f.Clock.Now().Add(-20*day)
	}
	r, err := f.Consent.RecordRepresentative(f.Ctx, f.Manager.Actor, n)
	if err != nil {
		f.t.Fatalf("representative: %v", err)
	}
	return r
}

// tx runs fn in a door scope where the manager may read Ann's consent.
func (f *fixture) tx(fn func(sc *door.Scope) error) {
	f.t.Helper()
	f.InScope(f.Manager.Actor, door.Request{Action: access.RecordConsent, Purpose: access.DirectCare, PersonID: f.Ann.ID}, fn)
}

func (f *fixture) techBasis(techID string) consent.Basis {
	f.t.Helper()
	var b consent.Basis
	f.tx(func(sc *door.Scope) error {
		var err error
		b, err = f.Consent.TechnologyBasis(sc, f.Ann.ID, techID, f.Clock.Now())
		return err
	})
	return b
}

func (f *fixture) status(kind, id string) consent.Basis {
	f.t.Helper()
	var b consent.Basis
	f.tx(func(sc *door.Scope) error {
		var err error
		b, err = f.Consent.BasisStatus(sc, f.Ann.ID, kind, id, f.Clock.Now())
		return err
	})
	return b
}

// share asks the door to share Ann's care record with recipient, as the manager.
func (f *fixture) share(recipient string) (access.Decision, error) {
	var d access.Decision
	err := f.Door.Run(f.Ctx, f.Manager.Actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ReadRecord, Purpose: access.Sharing, PersonID: f.Ann.ID,
			Recipient: recipient, ResourceType: "Patient", ResourceID: f.Ann.ID})
		if a != nil {
			d = a.Decision
		}
		return err
	})
	return d, err
}

func wantProblem(t *testing.T, err error, field, contains string) {
	t.Helper()
	var he *hearth.Error
	if !errors.As(err, &he) || he.Kind != hearth.KindInvalid {
		t.Fatalf("want invalid %s, got %v", field, err)
	}
	for _, p := range he.Problems {
		if p.Field == field && strings.Contains(p.Message, contains) {
			return
		}
	}
	t.Fatalf("want problem on %q containing %q, got %v", field, contains, he.Problems)
}

func TestConsentGivenByThePersonCountsForTheTechnologyAndWithdrawalStopsItAtOnce(t *testing.T) {
	f := newFixture(t)
	if b := f.techBasis("tech-1"); b.Active || !strings.Contains(b.Reason, "No consent") {
		t.Fatalf("before consent: %+v", b)
	}
	c := f.give(consent.NewConsent{Purpose: consent.PurposeTechnology, TechnologyID: "tech-1", TechnologyName: "Bed sensor"})
	b := f.techBasis("tech-1")
	if !b.Active || b.Kind != consent.BasisConsent || b.ID != c.ID || b.GivenBy != "the person" || !strings.Contains(b.Reason, "Consent given by Ann on 3 March 2026") {
		t.Fatalf("after consent: %+v", b)
	}
	if other := f.techBasis("tech-2"); other.Active {
		t.Fatalf("consent for one technology counted for another: %+v", other)
	}
	f.Clock.Advance(day)
	w, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "Ann said she no longer wants the sensor")
	if err != nil || !w.Withdrawn() {
		t.Fatalf("withdraw: %v %+v", err, w)
	}
	b = f.techBasis("tech-1")
	if b.Active || !strings.Contains(b.Reason, "withdrawn on 4 March 2026 by Test manager") {
		t.Fatalf("after withdrawal: %+v", b)
	}
	if s := f.status(consent.BasisConsent, c.ID); s.Active {
		t.Fatalf("BasisStatus still counts a withdrawn consent: %+v", s)
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE resource_id = ? AND action = 'record-consent' AND outcome = 'success'`, c.ID); n != 2 {
		t.Fatalf("want the consent and its withdrawal audited, got %d events", n)
	}
}

func TestWithdrawingAnAlreadyWithdrawnConsentChangesNothingAndSaysWhen(t *testing.T) {
	f := newFixture(t)
	c := f.give(consent.NewConsent{Purpose: consent.PurposePhotographs})
	f.Clock.Advance(day)
	first, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "Ann asked")
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(day)
	again, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "asked again")
	if !errors.Is(err, consent.ErrAlreadyWithdrawn) || hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("want already withdrawn, got %v", err)
	}
	if want := "This consent was already withdrawn on 4 March 2026 by Test manager"; !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
	if !again.WithdrawnAt.Equal(first.WithdrawnAt) || again.WithdrawnHow != "Ann asked" {
		t.Fatalf("second withdrawal changed the record: %+v", again)
	}
	if n := f.Count(`SELECT COUNT(*) FROM consents WHERE id = ? AND withdrawn_how = 'Ann asked'`, c.ID); n != 1 {
		t.Fatal("withdrawal record changed")
	}
}

func TestChannelConsentedOnlyForAnActivePermitForThatChannel(t *testing.T) {
	f := newFixture(t)
	check := func(channel string) bool {
		var ok bool
		f.tx(func(sc *door.Scope) error {
			var err error
			ok, err = f.Consent.ChannelConsented(sc, f.Ann.ID, channel, f.Clock.Now())
			return err
		})
		return ok
	}
	f.give(consent.NewConsent{Purpose: consent.PurposeDigitalCommunication, Channel: "email", Ends: f.Clock.Now().Add(10 * day)})
	f.give(consent.NewConsent{Purpose: consent.PurposeDigitalCommunication, Channel: "sms", Decision: "deny"})
	if !check("email") || check("sms") || check("phone") {
		t.Fatalf("email %v sms %v phone %v", check("email"), check("sms"), check("phone"))
	}
	f.Clock.Advance(10 * day)
	if check("email") {
		t.Fatal("an expired consent still counts")
	}
}

func TestSharingThroughTheDoorNeedsConsentOrARecordedLawfulBasis(t *testing.T) {
	f := newFixture(t)
	if _, err := f.share("Riverside GP surgery"); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("sharing without consent: want forbidden, got %v", err)
	}
	c := f.give(consent.NewConsent{Purpose: consent.PurposeSharing, Recipient: "Riverside GP surgery", Scope: []string{consent.ScopeCareRecord}})
	d, err := f.share("riverside gp surgery")
	if err != nil || !d.Permit || d.Basis != c.ID || d.SpecialBasis {
		t.Fatalf("sharing with consent: %v %+v", err, d)
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE basis_id = ? AND purpose = 'sharing' AND decision = 'permit'`, c.ID); n != 1 {
		t.Fatalf("the audit event does not name the consent: %d", n)
	}
	if _, err := f.share("Another surgery"); err == nil {
		t.Fatal("consent for one recipient counted for another")
	}
	if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.share("Riverside GP surgery"); err == nil {
		t.Fatal("withdrawn consent still lets data leave the care team")
	}
	lb, err := f.Consent.RecordLawfulBasis(f.Ctx, f.Manager.Actor, consent.NewLawfulBasis{PersonID: f.Ann.ID, Kind: consent.BasisSafeguarding,
		Recipient: "Riverside GP surgery", Reason: "Section 42 enquiry by the local authority"})
	if err != nil {
		t.Fatal(err)
	}
	d, err = f.share("Riverside GP surgery")
	if err != nil || !d.Permit || !d.SpecialBasis || d.Basis != lb.ID {
		t.Fatalf("sharing on a safeguarding basis: %v %+v", err, d)
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE basis_id = ? AND special_basis = TRUE`, lb.ID); n != 1 {
		t.Fatalf("special basis not marked in the audit log: %d", n)
	}
}

// representativeAccount makes a portal account for r and links it.
func (f *fixture) representativeAccount(r consent.Representative, username string) door.Actor {
	f.t.Helper()
	u, err := f.Accounts.CreateUser(f.Ctx, accounts.NewUser{Kind: access.KindRepresentative, Username: username,
		DisplayName: r.Name, Password: apptest.Password, By: accounts.Operator("test")})
	if err != nil {
		f.t.Fatal(err)
	}
	f.tx(func(sc *door.Scope) error { return consent.LinkRepresentativeAccount(sc, r.ID, u.ID) })
	return apptest.ActorOf(u)
}

func (f *fixture) proxyRead(actor door.Actor, action access.Action) (access.Decision, error) {
	var d access.Decision
	err := f.Door.Run(f.Ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Check(door.Request{Action: action, Purpose: access.ProxyAccess, PersonID: f.Ann.ID, ResourceType: "Patient"})
		if a != nil {
			d = a.Decision
		}
		return err
	})
	return d, err
}

func TestRepresentativeReadsThroughTheDoorOnlyWithinAuthority(t *testing.T) {
	f := newFixture(t)
	daughter := f.representativeAccount(f.representative("Mary Jones", consent.AuthorityLPAHealthWelfare, true), "mary")
	son := f.representativeAccount(f.representative("Tom Jones", consent.AuthorityLPAPropertyFinance, true), "tom")
	unverified := f.representativeAccount(f.representative("Sue Jones", consent.AuthorityLPAHealthWelfare, false), "sue")
	friend := f.representativeAccount(f.representative("Bob Friend", consent.AuthorityFamily, true), "bob")

	read := func(a door.Actor, action access.Action) access.Decision {
		d, err := f.proxyRead(a, action)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Ann has capacity: the attorney may see who she is and write, nothing more.
	if d := read(daughter, access.ReadRecord); d.Permit || d.Reason != access.DenyOutsideAuthority {
		t.Fatalf("health and welfare attorney read while Ann has capacity: %+v", d)
	}
	if d := read(daughter, access.SendMessage); !d.Permit {
		t.Fatalf("attorney may message the team: %+v", d)
	}
	f.assess(consent.DecisionCareAndSupport, true, f.Clock.Now().Add(-time.Hour))
	if d := read(daughter, access.ReadRecord); !d.Permit || d.Reason != access.PermitProxy {
		t.Fatalf("health and welfare attorney inside authority: %+v", d)
	}
	if d := read(son, access.ReadRecord); d.Permit || d.Reason != access.DenyOutsideAuthority {
		t.Fatalf("property and finance attorney outside authority: %+v", d)
	}
	if d := read(unverified, access.ViewPerson); d.Permit {
		t.Fatalf("unverified attorney: %+v", d)
	}
	if d := read(friend, access.ReadRecord); d.Permit {
		t.Fatalf("family member without a sharing consent: %+v", d)
	}
}

func TestEndDateBeforeStartIsRefused(t *testing.T) {
	f := newFixture(t)
	now := f.Clock.Now()
	_, err := f.Consent.Give(f.Ctx, f.Manager.Actor, informed(consent.NewConsent{PersonID: f.Ann.ID, Purpose: consent.PurposePhotographs,
		Starts: now, Ends: now.Add(-day)}))
	wantProblem(t, err, "End date", "after the start")
	if n := f.Count(`SELECT COUNT(*) FROM consents`); n != 0 {
		t.Fatalf("bad input wrote %d consents", n)
	}
}

func TestConsentWithoutTheInformationGivenIsNotInformedAndRefused(t *testing.T) {
	f := newFixture(t)
	_, err := f.Consent.Give(f.Ctx, f.Manager.Actor, consent.NewConsent{PersonID: f.Ann.ID, Purpose: consent.PurposePhotographs, Decision: "permit"})
	wantProblem(t, err, "Information given", "not informed")
	wantProblem(t, err, "Information format", "format")
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record-consent' AND outcome = 'invalid'`); n != 1 {
		t.Fatalf("refused attempt not audited: %d", n)
	}
}
