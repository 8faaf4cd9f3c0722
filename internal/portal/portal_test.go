package portal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/portal"
)

const day = 24 * time.Hour

type fixture struct {
	*apptest.Scenario
	t *testing.T
}

func newFixture(t *testing.T) *fixture { return &fixture{Scenario: apptest.NewScenario(t), t: t} }

// personAccount invites p to the portal as the manager and accepts.
func (f *fixture) personAccount(p people.Person, username string) door.Actor {
	f.t.Helper()
	_, code, err := f.Portal.Invite(f.Ctx, f.Manager.Actor, portal.NewInvitation{PersonID: p.ID, Kind: access.KindPerson, Name: p.FullName()})
	if err != nil {
		f.t.Fatalf("invite: %v", err)
	}
	u, err := f.Portal.Accept(f.Ctx, portal.Acceptance{Code: code, Username: username, Password: apptest.Password})
	if err != nil {
		f.t.Fatalf("accept: %v", err)
	}
	return apptest.ActorOf(u)
}

// representativeAccount records a verified representative of Ann and
// makes their portal account through an invitation.
func (f *fixture) representativeAccount(name, authority, username string) door.Actor {
	f.t.Helper()
	r, err := f.Consent.RecordRepresentative(f.Ctx, f.Manager.Actor, consent.NewRepresentative{PersonID: f.Ann.ID, Name: name,
		Relationship: "daughter", Authority: authority, EvidenceReference: "OPG 7000-1234-5678", StartsOn: f.Clock.Now().Add(-30 * day),
		VerifiedBy: "Grace Obi, registered manager", VerifiedOn: f.Clock.Now().Add(-20 * day)})
	if err != nil {
		f.t.Fatalf("representative: %v", err)
	}
	_, code, err := f.Portal.Invite(f.Ctx, f.Manager.Actor, portal.NewInvitation{PersonID: f.Ann.ID, Kind: access.KindRepresentative,
		RepresentativeID: r.ID, Name: name})
	if err != nil {
		f.t.Fatalf("invite representative: %v", err)
	}
	u, err := f.Portal.Accept(f.Ctx, portal.Acceptance{Code: code, Username: username, Password: apptest.Password})
	if err != nil {
		f.t.Fatalf("accept representative: %v", err)
	}
	return apptest.ActorOf(u)
}

func (f *fixture) lacksCapacityForCare() {
	f.t.Helper()
	if _, err := f.Consent.RecordAssessment(f.Ctx, f.Manager.Actor, consent.NewAssessment{PersonID: f.Ann.ID, Decision: consent.DecisionCareAndSupport,
		AssessedAt: f.Clock.Now().Add(-time.Hour), Assessor: "Eilidh Ross, nurse", Impairment: true, Communicate: true,
		Evidence: "Could not retain the information about her care for long enough to decide"}); err != nil {
		f.t.Fatalf("assess: %v", err)
	}
}

// lastEvent is the newest audit event by actor.
func (f *fixture) lastEvent(actorID string) audit.Event {
	f.t.Helper()
	var id string
	if err := f.DB.QueryRow(f.Ctx, `SELECT id FROM audit_events WHERE actor_id = ? ORDER BY at DESC, id DESC LIMIT 1`, actorID).Scan(&id); err != nil {
		f.t.Fatalf("last event: %v", err)
	}
	evs, err := f.Audit.ByRequest(f.Ctx, "test")
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range evs {
		if e.ID == id {
			return e
		}
	}
	f.t.Fatalf("event %s not found", id)
	return audit.Event{}
}

func wantKind(t *testing.T, err error, k hearth.Kind) *hearth.Error {
	t.Helper()
	var he *hearth.Error
	if !errors.As(err, &he) || he.Kind != k {
		t.Fatalf("want error kind %d, got %v", k, err)
	}
	return he
}

func TestAnInvitationWorksOnceForSevenDaysAndIsStoredOnlyAsAHash(t *testing.T) {
	f := newFixture(t)
	inv, code, err := f.Portal.Invite(f.Ctx, f.Manager.Actor, portal.NewInvitation{PersonID: f.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.ExpiresAt.Sub(inv.CreatedAt); got != 7*day {
		t.Errorf("invitation lasts %s, want 7 days", got)
	}
	if n := f.Count(`SELECT COUNT(*) FROM portal_invitations WHERE code_hash = ? OR code_hash = ?`, code, strings.ReplaceAll(code, "-", "")); n != 0 {
		t.Errorf("the code is stored as it is")
	}
	// A care worker without ManagePeople or RecordConsent cannot invite; the attempt is audited.
	_, _, err = f.Portal.Invite(f.Ctx, f.Carer.Actor, portal.NewInvitation{PersonID: f.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	wantKind(t, err, hearth.KindForbidden)
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'record-consent' AND decision = 'deny'`, f.Carer.ID); n != 1 {
		t.Errorf("the refused invitation was not audited: %d", n)
	}

	u, err := f.Portal.Accept(f.Ctx, portal.Acceptance{Code: strings.ToLower(code), Username: "ann.jones", Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if u.Kind != access.KindPerson {
		t.Errorf("account kind %s", u.Kind)
	}
	_, err = f.Portal.Accept(f.Ctx, portal.Acceptance{Code: code, Username: "ann.again", Password: apptest.Password})
	wantKind(t, err, hearth.KindInvalid)

	_, code2, err := f.Portal.Invite(f.Ctx, f.Manager.Actor, portal.NewInvitation{PersonID: f.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(7*day + time.Second)
	_, err = f.Portal.Accept(f.Ctx, portal.Acceptance{Code: code2, Username: "ann.late", Password: apptest.Password})
	wantKind(t, err, hearth.KindInvalid)
	if n := f.Count(`SELECT COUNT(*) FROM users WHERE username IN ('ann.again', 'ann.late')`); n != 0 {
		t.Errorf("a used or expired code made %d accounts", n)
	}
}

func TestAPersonSeesTheirOwnRecordAndAnotherPersonsIDIsTheSameNotFoundAsAMissingOne(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	bob := f.Person(f.Manager, f.Home, "Bob", "Hughes", "9434765870")

	o, err := f.Portal.Overview(f.Ctx, ann, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Person.ID != f.Ann.ID {
		t.Fatalf("overview of %s", o.Person.ID)
	}
	if e := f.lastEvent(ann.ID); e.Decision != "permit" || e.Reason != "self" || e.Purpose != "own-record" {
		t.Errorf("own view audited as %+v", e)
	}

	_, errOther := f.Portal.Overview(f.Ctx, ann, bob.ID)
	other := wantKind(t, errOther, hearth.KindNotFound)
	if e := f.lastEvent(ann.ID); e.Decision != "deny" || e.PersonID != bob.ID {
		t.Errorf("reading another person's record was not audited as a denial: %+v", e)
	}
	_, errMissing := f.Portal.Overview(f.Ctx, ann, hearth.NewID())
	missing := wantKind(t, errMissing, hearth.KindNotFound)
	if other.Message != missing.Message {
		t.Errorf("another person's record (%q) and a missing one (%q) read differently", other.Message, missing.Message)
	}
	if e := f.lastEvent(ann.ID); e.Decision != "deny" {
		t.Errorf("the missing record was not audited: %+v", e)
	}
}

func TestStaffAreRefusedOnPortalPagesAndTheRefusalIsAudited(t *testing.T) {
	f := newFixture(t)
	_, err := f.Portal.Targets(f.Ctx, f.Carer.Actor)
	wantKind(t, err, hearth.KindForbidden)
	if e := f.lastEvent(f.Carer.ID); e.Decision != "deny" {
		t.Errorf("not audited as a denial: %+v", e)
	}
}

func TestRepresentativesSeeWhatTheirAuthorityAllowsAndNoMore(t *testing.T) {
	f := newFixture(t)
	if _, err := f.Care.AddAboutMe(f.Ctx, f.Carer.Actor, f.Ann.ID, care.AboutMeDraft{Section: care.AboutMeSections[0].Key, Body: "Ann likes to be called Nan"}); err != nil {
		t.Fatal(err)
	}
	daughter := f.representativeAccount("Mary Jones", consent.AuthorityLPAHealthWelfare, "mary")
	son := f.representativeAccount("Tom Jones", consent.AuthorityLPAPropertyFinance, "tom")

	// While Ann can decide about her care herself, her attorney for health
	// and welfare does not read her care record.
	r, err := f.Portal.CareRecord(f.Ctx, daughter, f.Ann.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if r.AboutMePart.Shown || r.AboutMePart.Denied == "" || len(r.AboutMe) != 0 {
		t.Fatalf("health and welfare attorney read About Me while Ann has capacity: %+v", r.AboutMePart)
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'read-record' AND decision = 'deny'`, daughter.ID); n == 0 {
		t.Errorf("the refused read was not audited")
	}

	f.lacksCapacityForCare()
	r, err = f.Portal.CareRecord(f.Ctx, daughter, f.Ann.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if !r.AboutMePart.Shown || len(r.AboutMe[0].Entries) != 1 {
		t.Fatalf("attorney inside authority does not see About Me: %+v", r.AboutMePart)
	}

	// The attorney for property and finance sees who Ann is (the consent
	// package allows ViewPerson for money matters) but nothing about her
	// care, and each attempt is audited.
	targets, err := f.Portal.Targets(f.Ctx, son)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].PersonID != f.Ann.ID {
		t.Fatalf("targets %+v", targets)
	}
	r, err = f.Portal.CareRecord(f.Ctx, son, f.Ann.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if r.AboutMePart.Shown || r.PlansPart.Shown || r.NotesPart.Shown || len(r.AboutMe)+len(r.Plans)+len(r.Notes) != 0 {
		t.Fatalf("property and finance attorney read the care record: %+v %+v %+v", r.AboutMePart, r.PlansPart, r.NotesPart)
	}
	cv, err := f.Portal.ConsentView(f.Ctx, son, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cv.Denied == "" || len(cv.Consents)+len(cv.Assessments)+len(cv.Representatives) != 0 {
		t.Fatalf("property and finance attorney read consent and capacity: %+v", cv)
	}
	if _, err := f.Portal.History(f.Ctx, son, f.Ann.ID, 0, 50); err == nil {
		t.Fatal("property and finance attorney read the access log")
	}
	if e := f.lastEvent(son.ID); e.Decision != "deny" || e.PersonID != f.Ann.ID || e.Reason != "outside-authority" {
		t.Errorf("refusal not audited against Ann: %+v", e)
	}
	if _, err := f.Portal.Copy(f.Ctx, son, f.Ann.ID); err == nil {
		t.Fatal("property and finance attorney exported the record")
	}

	// Each representative's access appears in Ann's own history.
	ann := f.personAccount(f.Ann, "ann.jones")
	h, err := f.Portal.History(f.Ctx, ann, f.Ann.ID, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	var sawDaughter, sawSon bool
	for _, e := range h.Events {
		// Her representatives' own refusals are theirs, so she sees them by name.
		sawDaughter = sawDaughter || (e.Name == daughter.Name && !e.Refused)
		sawSon = sawSon || (e.Name == son.Name && e.Refused && e.Reason == "outside-authority" && !e.Stranger)
	}
	if !sawDaughter || !sawSon {
		t.Errorf("Ann's history misses her representatives' accesses: daughter %t, son %t", sawDaughter, sawSon)
	}
}

func TestAnEmptyCorrectionRequestIsRefusedAndTheOutcomeIsShownWhileTheOriginalStays(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	note, err := f.Care.RecordNote(f.Ctx, f.Carer.Actor, f.Ann.ID, care.NoteDraft{Category: "mood", Body: "Ann was upset at lunch", CareAt: f.Clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Portal.RequestCorrection(f.Ctx, ann, f.Ann.ID, portal.NewCorrection{ResourceType: "Observation", ResourceID: note.ID, Request: "   "})
	he := wantKind(t, err, hearth.KindInvalid)
	if he.Problems[0].Field != "Request" {
		t.Errorf("problem names %q", he.Problems[0].Field)
	}
	if n := f.Count(`SELECT COUNT(*) FROM correction_requests`); n != 0 {
		t.Fatalf("an empty request was stored")
	}
	if e := f.lastEvent(ann.ID); e.Action != "contribute" || e.Outcome != audit.OutcomeInvalid {
		t.Errorf("the empty request was not audited as invalid: %+v", e)
	}

	c, err := f.Portal.RequestCorrection(f.Ctx, ann, f.Ann.ID, portal.NewCorrection{ResourceType: "Observation", ResourceID: note.ID,
		Entry: "Daily note", Request: "I was not upset; I was tired."})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := f.Portal.CorrectionQueue(f.Ctx, f.Manager.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 1 || queue[0].ID != c.ID {
		t.Fatalf("queue %+v", queue)
	}
	other, err := f.Portal.CorrectionQueue(f.Ctx, f.OtherCarer.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(other) != 0 {
		t.Errorf("a care worker off Ann's team sees her request")
	}
	err = f.Portal.DecideCorrection(f.Ctx, f.Manager.Actor, c.ID, portal.CorrectionNotChanged, "")
	wantKind(t, err, hearth.KindInvalid)
	if err := f.Portal.DecideCorrection(f.Ctx, f.Manager.Actor, c.ID, portal.CorrectionNotChanged, "Two staff saw Ann upset; we added her view to the note."); err != nil {
		t.Fatal(err)
	}
	err = f.Portal.DecideCorrection(f.Ctx, f.Manager.Actor, c.ID, portal.CorrectionCorrected, "again")
	wantKind(t, err, hearth.KindConflict)
	list, err := f.Portal.Corrections(f.Ctx, ann, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Status != portal.CorrectionNotChanged || !strings.Contains(list[0].Outcome, "Two staff") {
		t.Fatalf("outcome not shown: %+v", list)
	}
	if n := f.Count(`SELECT COUNT(*) FROM daily_notes WHERE id = ? AND body = 'Ann was upset at lunch'`, note.ID); n != 1 {
		t.Errorf("the original entry changed")
	}
}

func TestAWithdrawnConsentWithdrawnAgainChangesNothing(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	c, err := f.Portal.GiveConsent(f.Ctx, ann, f.Ann.ID, consent.PurposePhotographs, "", "permit")
	if err != nil {
		t.Fatal(err)
	}
	if c.GivenBy != "person" {
		t.Errorf("given by %q", c.GivenBy)
	}
	if _, err := f.Portal.WithdrawConsent(f.Ctx, ann, f.Ann.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	var at time.Time
	if err := f.DB.QueryRow(f.Ctx, `SELECT withdrawn_at FROM consents WHERE id = ?`, c.ID).Scan(&at); err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Hour)
	_, err = f.Portal.WithdrawConsent(f.Ctx, ann, f.Ann.ID, c.ID)
	wantKind(t, err, hearth.KindConflict)
	var again time.Time
	if err := f.DB.QueryRow(f.Ctx, `SELECT withdrawn_at FROM consents WHERE id = ?`, c.ID).Scan(&again); err != nil {
		t.Fatal(err)
	}
	if !again.Equal(at) {
		t.Errorf("withdrawal time moved from %s to %s", at, again)
	}
	v, err := f.Portal.ConsentView(f.Ctx, ann, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Consents) != 1 || v.Consents[0].Counts {
		t.Errorf("the withdrawn consent still counts: %+v", v.Consents)
	}
}

type recordingNotifier struct {
	mu   sync.Mutex
	sent []portal.Notice
}

func (r *recordingNotifier) Notify(_ context.Context, n portal.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, n)
	return nil
}

func TestNoNoticeGoesOutWithoutConsentToThatChannelAndANoticeCarriesNoPersonalDetails(t *testing.T) {
	f := newFixture(t)
	rec := &recordingNotifier{}
	svc := portal.New(f.Door, portal.Deps{Accounts: f.Accounts, Care: f.Care, Consent: f.Consent, Notifier: rec})
	ann := f.personAccount(f.Ann, "ann.jones")

	const secret = "Your blood test results for diabetes are back"
	m, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, secret)
	if err != nil {
		t.Fatal(err)
	}
	if m.ShownAs != "Rowan House care team" || m.SenderName != f.Carer.DisplayName {
		t.Errorf("staff message shown as %q, written by %q", m.ShownAs, m.SenderName)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox`); n != 0 {
		t.Fatalf("%d notices queued without consent", n)
	}

	if err := svc.SetChannels(f.Ctx, ann, f.Ann.ID, map[string]bool{"email": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, secret); err != nil {
		t.Fatal(err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox WHERE channel = 'email'`); n != 1 {
		t.Fatalf("email notices queued: %d", n)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox WHERE channel <> 'email'`); n != 0 {
		t.Fatalf("notices queued on channels without consent: %d", n)
	}
	sent, err := svc.DeliverNotices(f.Ctx)
	if err != nil || sent != 1 || len(rec.sent) != 1 {
		t.Fatalf("delivered %d (%v), notifier saw %d", sent, err, len(rec.sent))
	}
	body := rec.sent[0].Body
	for _, personal := range []string{"Ann", "Jones", f.AnnNHS, "diabetes", "blood", f.Carer.DisplayName, "Rowan"} {
		if strings.Contains(body, personal) {
			t.Errorf("the notice %q contains %q", body, personal)
		}
	}
	if again, _ := svc.DeliverNotices(f.Ctx); again != 0 {
		t.Errorf("a notice was sent twice")
	}
	// The person's own message queues nothing for the person.
	if _, err := svc.Send(f.Ctx, ann, f.Ann.ID, "Thank you"); err != nil {
		t.Fatal(err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox`); n != 1 {
		t.Errorf("the person's own message queued a notice")
	}
	// Withdrawing the channel stops notices at once.
	if err := svc.SetChannels(f.Ctx, ann, f.Ann.ID, map[string]bool{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, "Another"); err != nil {
		t.Fatal(err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox`); n != 1 {
		t.Errorf("a notice was queued after consent to the channel was withdrawn")
	}
	msgs, err := svc.Messages(f.Ctx, ann, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.FromService() && m.ShownAs == f.Carer.DisplayName {
			t.Errorf("the person sees the staff member's name")
		}
	}
	if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'send-message' AND person_id = ?`, f.Carer.ID, f.Ann.ID); n != 3 {
		t.Errorf("staff messages audited under the staff member: %d", n)
	}
}

func TestAReceiptForTheirOwnAccessVerifiesAndATamperedOrForgedOneSaysWhereItFails(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	bob := f.Person(f.Manager, f.Home, "Bob", "Hughes", "9434765870")
	if _, err := f.People.Get(f.Ctx, f.Carer.Actor, f.Ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.People.Get(f.Ctx, f.Manager.Actor, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Audit.Seal(f.Ctx); err != nil {
		t.Fatal(err)
	}
	h, err := f.Portal.History(f.Ctx, ann, f.Ann.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var carerEvent string
	for _, e := range h.Events {
		if e.Name == f.Carer.DisplayName && e.Receipt {
			carerEvent = e.ID
		}
	}
	r, err := f.Portal.Receipt(f.Ctx, ann, f.Ann.ID, carerEvent)
	if err != nil {
		t.Fatal(err)
	}
	key := f.Portal.VerifierKey()
	good, _ := json.Marshal(r)
	if res := portal.VerifyReceiptJSON(good, key); !res.OK {
		t.Fatalf("a true receipt fails: %s", res.Problem)
	}

	var bobEvent string
	if err := f.DB.QueryRow(f.Ctx, `SELECT id FROM audit_events WHERE person_id = ? LIMIT 1`, bob.ID).Scan(&bobEvent); err != nil {
		t.Fatal(err)
	}
	_, err = f.Portal.Receipt(f.Ctx, ann, f.Ann.ID, bobEvent)
	wantKind(t, err, hearth.KindNotFound)

	_, otherKey, err := audit.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(r *audit.Receipt)
		key    string
		where  string
	}{
		{"an edited event", func(r *audit.Receipt) { r.Event.ActorName = "Someone else" }, key, "the event was changed"},
		{"a moved position", func(r *audit.Receipt) { r.LeafIndex = 0 }, key, "inclusion proof"},
		{"a forged signature", func(r *audit.Receipt) {}, otherKey, "signature"},
		{"a changed proof", func(r *audit.Receipt) {
			if len(r.Proof) > 0 {
				r.Proof[0] = strings.Repeat("0", 64)
			} else {
				r.LeafHash = strings.Repeat("0", 64)
			}
		}, key, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c audit.Receipt
			if err := json.Unmarshal(good, &c); err != nil {
				t.Fatal(err)
			}
			tt.change(&c)
			b, _ := json.Marshal(c)
			res := portal.VerifyReceiptJSON(b, tt.key)
			if res.OK || !strings.Contains(res.Problem, tt.where) {
				t.Fatalf("verified %t, problem %q, want it to say %q", res.OK, res.Problem, tt.where)
			}
		})
	}
	if res := portal.VerifyReceiptJSON([]byte("not a receipt"), key); res.OK || !strings.Contains(res.Problem, "not a Hearth receipt") {
		t.Errorf("garbage: %+v", res)
	}
	checked, err := f.Portal.CheckReceipt(f.Ctx, ann, f.Ann.ID, []byte(`{"event":{"id":"x"}}`))
	if err != nil || checked.OK {
		t.Fatalf("a forged receipt checked out: %+v %v", checked, err)
	}
	if e := f.lastEvent(ann.ID); !strings.Contains(e.Detail, "failed") {
		t.Errorf("the check was not audited with its result: %+v", e)
	}
}

func TestWithheldEntriesAreLeftOutOfThePersonsViewSaidWhyAndReviewed(t *testing.T) {
	f := newFixture(t)
	ig := f.Staff("iglead", access.IGLead, f.Home)
	ann := f.personAccount(f.Ann, "ann.jones")
	shown, err := f.Care.RecordNote(f.Ctx, f.Carer.Actor, f.Ann.ID, care.NoteDraft{Category: "mood", Body: "Ann enjoyed the garden", CareAt: f.Clock.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := f.Care.RecordNote(f.Ctx, f.Carer.Actor, f.Ann.ID, care.NoteDraft{Category: "mood", Body: "Her son said his wife is ill", CareAt: f.Clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Portal.Withhold(f.Ctx, f.Carer.Actor, f.Ann.ID, portal.NewWithheld{ResourceType: "Observation", ResourceID: hidden.ID, Category: portal.WithheldThirdParty, Reason: "About the son's wife"})
	wantKind(t, err, hearth.KindForbidden) // care workers may not withhold
	w, err := f.Portal.Withhold(f.Ctx, f.Manager.Actor, f.Ann.ID, portal.NewWithheld{ResourceType: "Observation", ResourceID: hidden.ID,
		Category: portal.WithheldThirdParty, Reason: "Information about the son's wife's health"})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.Portal.CareRecord(f.Ctx, ann, f.Ann.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Notes) != 1 || rec.Notes[0].ID != shown.ID {
		t.Fatalf("notes shown: %+v", rec.Notes)
	}
	if len(rec.Withheld) != 1 || rec.Withheld[0].Count != 1 || !strings.Contains(rec.Withheld[0].Title, "someone else") {
		t.Fatalf("withheld notice %+v", rec.Withheld)
	}
	list, err := f.Portal.WithheldReviews(f.Ctx, ig.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != w.ID {
		t.Fatalf("review queue %+v", list)
	}
	err = f.Portal.ReviewWithheld(f.Ctx, ig.Actor, w.ID, "lifted", "")
	wantKind(t, err, hearth.KindInvalid)
	if err := f.Portal.ReviewWithheld(f.Ctx, ig.Actor, w.ID, "lifted", "The son agreed it can be shown"); err != nil {
		t.Fatal(err)
	}
	rec, err = f.Portal.CareRecord(f.Ctx, ann, f.Ann.ID, 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Notes) != 2 || len(rec.Withheld) != 0 {
		t.Errorf("after the mark was lifted: %d notes, withheld %+v", len(rec.Notes), rec.Withheld)
	}
}

func TestAPersonAddsToAboutMeAndItIsMarkedAsTheirs(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	e, err := f.Portal.AddAboutMe(f.Ctx, ann, f.Ann.ID, care.AboutMeSections[0].Key, "I like my tea strong")
	if err != nil {
		t.Fatal(err)
	}
	if !e.Author.Own() {
		t.Errorf("not marked as hers: %+v", e.Author)
	}
	_, err = f.Portal.AddAboutMe(f.Ctx, ann, f.Ann.ID, care.AboutMeSections[0].Key, "")
	wantKind(t, err, hearth.KindInvalid)
}
