package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
)

// Journeys through the portal screens not covered by portal_journey_test.go:
// accepting an invitation, secure messages, correction requests, the
// withheld-items review and the copy of the record. Each runs staff and the
// person in two browsers, as two people on two phones would.

// newPortalBrowser opens a phone-sized browser on the test server.
func newPortalBrowser(t *testing.T, base string) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t)
	b.Base = base
	return b
}

// mustNotSee fails if the page's main content contains any of the words.
func mustNotSee(t *testing.T, b *browsertest.Browser, words ...string) {
	t.Helper()
	page := strings.ToLower(b.Text("body"))
	for _, w := range words {
		if strings.Contains(page, strings.ToLower(w)) {
			t.Errorf("the page at %s shows %q:\n%s", b.URL(), w, page)
		}
	}
}

// plainWords checks a page a person reads does not call them a patient,
// client or service user.
func plainWords(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	mustNotSee(t, b, "patient", "service user", "client")
}

// The registered manager invites Ann from her portal page and gives her the
// code. Ann opens the invitation on her phone, mistypes the second
// password (told so, her username kept), sets up her account, enrols her
// authenticator app and lands on her own record. The manager then sees the
// invitation marked as accepted.
func TestJourneyAPersonAcceptsAnInvitationAndLandsOnHerRecord(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()

	staff := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, staff, s.Manager)
	staff.Go("/people/" + s.Ann.ID)
	staff.Click("a[href='/people/" + s.Ann.ID + "/portal']")
	staff.MustSee("Invite to the portal")
	staff.MustSee("Ann Jones themselves")
	staff.Fill("#name", "Ann Jones")
	staff.Click("#invite")
	staff.MustSee("Invitation for Ann Jones")
	staff.MustSee("Give them this code")
	code := staff.Text("[data-testid=invitation-code]")
	if len(code) < 20 {
		t.Fatalf("no invitation code shown: %q", code)
	}
	fitsPhone(t, staff, "the portal page for staff")
	plainWords(t, staff)

	ann := newPortalBrowser(t, srv.URL)
	ann.Go("/portal/invitation?code=" + code)
	ann.MustSee("Set up your account")
	ann.MustSee("There is no time limit on this page")
	ctx, cancel := context.WithTimeout(ann.Context(), 10*time.Second)
	defer cancel()
	if got, err := chromedp.Run(ctx, chromedp.Value("#code")); err != nil || got != code {
		t.Fatalf("the code from the link is not in the form: %q (%v)", got, err)
	}
	fitsPhone(t, ann, "the invitation page")
	ann.Fill("#username", "ann.jones")
	ann.Fill("#password", apptest.Password)
	ann.Fill("#confirm", "correct horse battery stable")
	ann.Click("#accept")
	ann.MustSee("There is a problem")
	ann.MustSee("The two passwords are not the same")
	if got, err := chromedp.Run(ctx, chromedp.Value("#username")); err != nil || got != "ann.jones" {
		t.Fatalf("the username typed was lost: %q (%v)", got, err)
	}
	ann.Fill("#password", apptest.Password)
	ann.Fill("#confirm", apptest.Password)
	ann.Click("#accept")
	ann.MustSee("Your account is ready")
	if got := ann.Text("[data-testid=ready]"); got != "Your username is ann.jones." {
		t.Errorf("the ready page says %q", got)
	}
	ann.Click("#go-signin")

	s.Clock.Advance(31 * time.Second)
	ann.Fill("#username", "ann.jones")
	ann.Fill("#password", apptest.Password)
	ann.Click("#signin")
	ann.MustSee("Set up your authenticator app")
	secret := ann.Text("[data-testid=totp-secret]")
	ann.Fill("#code", accounts.Code(secret, s.Clock.Now()))
	ann.Click("#confirm-code")
	ann.MustSee("Save your recovery codes")
	ann.Click("#continue")
	ann.MustSee("Your record")
	if !strings.HasSuffix(ann.URL(), "/my/"+s.Ann.ID) {
		t.Errorf("Ann landed on %s, not her own record", ann.URL())
	}
	ann.MustSee("Ann Jones")
	ann.MustSee("Who has seen this record")
	plainWords(t, ann)
	fitsPhone(t, ann, "the portal home")

	staff.Go("/people/" + s.Ann.ID + "/portal")
	staff.MustSee("Accepted 3 March 2026")
	checkNoConsoleErrors(t, staff)
	checkNoConsoleErrors(t, ann)
}

// Ann writes to the care team; an empty message is refused with a reason.
// A care worker on her team reads it on the staff portal page and replies
// as the service. Ann sees the reply signed by the care team, never with
// the care worker's name, which staff still see.
func TestJourneyAPersonMessagesTheCareTeamAndSeesTheReplySignedByTheTeam(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	annAccount := portalAccount(t, s, "ann.jones", "", "")

	ann := newPortalBrowser(t, srv.URL)
	browserSignIn(t, s, ann, annAccount)
	ann.MustSee("Your record")
	ann.Go("/my/" + s.Ann.ID + "/messages")
	ann.MustSee("Messages with the care team")
	ann.MustSee("No messages yet.")
	ann.Click("#send-message")
	ann.MustSee("Write your message")
	ann.Fill("#message", "Could my daughter Sue visit on Sunday afternoon?")
	ann.Click("#send-message")
	ann.MustSee("Could my daughter Sue visit on Sunday afternoon?")
	if from := ann.Text("[data-testid=message-from]"); from != "Ann Jones" {
		t.Errorf("Ann's own message is shown from %q", from)
	}
	fitsPhone(t, ann, "the messages page")

	carer := newPortalBrowser(t, srv.URL)
	s.Clock.Advance(time.Minute)
	staffSignIn(t, s, carer, s.Carer)
	carer.Go("/people/" + s.Ann.ID + "/portal")
	carer.MustSee("You reply as Rowan House care team")
	carer.MustSee("Could my daughter Sue visit on Sunday afternoon?")
	carer.Fill("#message", "Yes, Sue is welcome on Sunday from 2pm.")
	carer.Click("#reply")
	carer.MustSee("Yes, Sue is welcome on Sunday from 2pm.")
	carer.MustSee("Rowan House care team (written by Test carer)")
	fitsPhone(t, carer, "the portal page for staff")

	ann.Go("/my/" + s.Ann.ID + "/messages")
	ann.MustSee("Yes, Sue is welcome on Sunday from 2pm.")
	thread := ann.Text("[data-testid=messages]")
	if strings.Index(thread, "Could my daughter") > strings.Index(thread, "Yes, Sue is welcome") {
		t.Errorf("the messages are not oldest first:\n%s", thread)
	}
	if !strings.Contains(thread, "Rowan House care team") {
		t.Errorf("the reply is not signed by the care team:\n%s", thread)
	}
	mustNotSee(t, ann, "Test carer")
	plainWords(t, ann)
	checkNoConsoleErrors(t, ann)
	checkNoConsoleErrors(t, carer)
}

// Ann reads a daily note she disagrees with and asks for a correction from
// the note itself; an empty request is refused. The registered manager
// sees it in the corrections queue, must say why when not changing it, and
// decides. Ann sees the outcome, and the note is still there as written.
func TestJourneyAPersonAsksForACorrectionAndSeesTheOutcomeWithTheEntryKept(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	if _, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Ann refused her lunch and was cross", CareAt: s.Clock.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	annAccount := portalAccount(t, s, "ann.jones", "", "")

	ann := newPortalBrowser(t, srv.URL)
	browserSignIn(t, s, ann, annAccount)
	ann.Go("/my/" + s.Ann.ID + "/record")
	ann.MustSee("Ann refused her lunch and was cross")
	ann.Click("a[href*='/corrections?type=Observation']")
	ann.MustSee("Ask for a correction or raise a concern")
	ann.MustSee("You have not asked for any corrections.")
	ctx, cancel := context.WithTimeout(ann.Context(), 10*time.Second)
	defer cancel()
	if got, err := chromedp.Run(ctx, chromedp.Value("#entry")); err != nil || got != "Daily note" {
		t.Errorf("the entry is not filled in from the note: %q (%v)", got, err)
	}
	ann.Click("#ask-correction")
	ann.MustSee("Say what is wrong and what it should say")
	ann.Fill("#request", "I was not cross. I had a late breakfast and was not hungry.")
	ann.Click("#ask-correction")
	ann.MustSee("Your requests")
	ann.MustSee("Waiting for the care team")
	ann.MustSee("I had a late breakfast and was not hungry.")
	fitsPhone(t, ann, "the corrections page")

	manager := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, manager, s.Manager)
	manager.Go("/corrections")
	manager.MustSee("Requests to correct a record")
	card := manager.Text("[data-testid=correction]")
	for _, want := range []string{"Ann Jones: Daily note", "I was not cross", "Asked by Ann Jones"} {
		if !strings.Contains(card, want) {
			t.Errorf("the queue card does not show %q:\n%s", want, card)
		}
	}
	fitsPhone(t, manager, "the corrections queue")
	manager.Click("label[for^=n-]")
	manager.Click("[data-testid=correction] button[type=submit]")
	manager.MustSee("Say why the entry was not changed")
	manager.Click("label[for^=n-]")
	manager.Fill("[data-testid=correction] textarea", "The note records what staff saw at lunch. We have added your words to your record.")
	manager.Click("[data-testid=correction] button[type=submit]")
	manager.MustSee("There are no open requests for people you support.")

	ann.Go("/my/" + s.Ann.ID + "/corrections")
	ann.MustSee("Not changed")
	if got := ann.Text("[data-testid=correction-outcome]"); !strings.Contains(got, "What happened: The note records what staff saw at lunch.") ||
		!strings.Contains(got, "3 March 2026") {
		t.Errorf("the outcome reads %q", got)
	}
	mustNotSee(t, ann, "Waiting for the care team")
	ann.Go("/my/" + s.Ann.ID + "/record")
	ann.MustSee("Ann refused her lunch and was cross")
	plainWords(t, ann)
	checkNoConsoleErrors(t, ann)
	checkNoConsoleErrors(t, manager)
}

// A senior carer withholds two of Ann's daily notes, following a link from
// each note: one names another resident, one was judged harmful at the time. The
// information governance lead reviews both: keeps the first withheld, and
// shows Ann the second. Ann sees the second note, and only a general
// notice about the first.
func TestJourneyTheInformationGovernanceLeadReviewsWithheldItems(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	other, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Argued with Mr Patel from room 4 about the television", CareAt: s.Clock.Now().Add(-3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	harm, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Ann was told the news about her brother gently", CareAt: s.Clock.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	annAccount := portalAccount(t, s, "ann.jones", "", "")

	// The senior carer withholds each note from the daily notes page: the
	// link fills in which entry; a reason too short is refused and nothing
	// typed is lost.
	sb := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, sb, senior)
	for i, w := range []struct{ id, category, reason string }{
		{other.ID, "cat-tp", "Names another resident and what he said"},
		{harm.ID, "cat-sh", "Ann's GP asked us to wait before she reads this"},
	} {
		sb.Go("/people/" + s.Ann.ID + "/notes")
		sb.Click("a[href='/people/" + s.Ann.ID + "/portal?type=Observation&entry=" + w.id + "#withheld']")
		sb.MustSee("Withhold an entry from Ann")
		fields, err := chromedp.Run(sb.Context(), chromedp.Evaluate[string](`document.querySelector("#resource_type").value + " " + document.querySelector("#resource_id").value`))
		if err != nil || fields != "Observation "+w.id {
			t.Fatalf("the withhold form is not filled in from the note: %q (%v)", fields, err)
		}
		sb.Click("label[for=" + w.category + "]")
		if i == 0 {
			sb.Fill("#reason", "Mr P")
			sb.Click("#withhold")
			sb.MustSee("Say why, in at least 10 characters, for the information governance lead")
			kept, err := chromedp.Run(sb.Context(), chromedp.Evaluate[string](`document.querySelector("#resource_id").value + " " +
				document.querySelector("#cat-tp").checked + " " + document.querySelector("#reason").value`))
			if err != nil || kept != w.id+" true Mr P" {
				t.Fatalf("what was typed is not kept: %q (%v)", kept, err)
			}
		}
		sb.Fill("#reason", w.reason)
		sb.Click("#withhold")
		sb.MustSee(w.reason)
	}
	fitsPhone(t, sb, "the portal page for staff")
	// A care worker, who may not withhold, is not offered the link.
	cw := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, cw, s.Carer)
	cw.Go("/people/" + s.Ann.ID + "/notes")
	cw.MustSee("Argued with Mr Patel")
	mustNotSee(t, cw, "Withhold from Ann")
	if got := sb.Text("[data-testid=withheld-list]"); strings.Count(got, "awaiting review") != 2 {
		t.Errorf("the staff list of withheld entries reads:\n%s", got)
	}

	igb := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, igb, ig)
	igb.Go("/portal/withheld")
	igb.MustSee("Withheld items to review")
	igb.MustSee("It contains information about someone else. Names another resident and what he said")
	igb.MustSee("A professional judged that seeing it could cause serious harm. Ann's GP asked us to wait before she reads this")
	igb.MustSee("Marked by Test senior")
	if got := igb.Text("[data-testid=withheld-review] h2"); !strings.HasPrefix(got, "Ann Jones: Daily note ") {
		t.Errorf("the review card is headed %q", got)
	}
	fitsPhone(t, igb, "the withheld items review")
	// Recording a review without an outcome or a note is refused.
	igb.Click("[data-testid=withheld-review] button[type=submit]")
	igb.MustSee("Choose keep withheld or show it to the person")
	// The first card is the older mark: someone else's information.
	igb.Click("[data-testid=withheld-review] label[for^=u-]")
	igb.Fill("[data-testid=withheld-review] textarea", "Third-party information: keep withheld")
	igb.Click("[data-testid=withheld-review] button[type=submit]")
	igb.MustSee("Withheld items to review")
	if got := igb.Text("[data-testid=withheld-review]"); !strings.Contains(got, "brother") && !strings.Contains(got, "GP asked") {
		t.Fatalf("the remaining card reads %q", got)
	}
	igb.Click("[data-testid=withheld-review] label[for^=l-]")
	igb.Fill("[data-testid=withheld-review] textarea", "Her GP has now spoken to her: show it")
	igb.Click("[data-testid=withheld-review] button[type=submit]")
	igb.MustSee("Nothing is waiting for review.")
	checkNoConsoleErrors(t, igb)

	// The senior carer sees each outcome in words.
	sb.Go("/people/" + s.Ann.ID + "/portal")
	list := sb.Text("[data-testid=withheld-list]")
	for _, want := range []string{"Daily note", "review: kept withheld by Test iglead", "review: shown to them by Test iglead"} {
		if !strings.Contains(list, want) {
			t.Errorf("the staff list of withheld entries does not show %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "Observation") {
		t.Errorf("the staff list names entries by their FHIR type:\n%s", list)
	}

	ann := newPortalBrowser(t, srv.URL)
	browserSignIn(t, s, ann, annAccount)
	ann.Go("/my/" + s.Ann.ID + "/record")
	ann.MustSee("Ann was told the news about her brother gently")
	ann.MustSee("Some entries are not shown.")
	if got := ann.Text("[data-testid=withheld-notice]"); !strings.Contains(got, "It contains information about someone else") ||
		strings.Contains(got, "serious harm") {
		t.Errorf("the withheld notice reads %q", got)
	}
	mustNotSee(t, ann, "Mr Patel", "Names another resident")
	plainWords(t, ann)
	checkNoConsoleErrors(t, ann)
}

// Ann asks for a copy of everything: a page she can read and print, with
// her details, notes, messages and who has seen her record, and a FHIR
// Bundle to download for other systems.
func TestJourneyAPersonGetsACopyOfHerRecordToReadAndToDownload(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	if _, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Ann enjoyed the singing group", CareAt: s.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Portal.Send(s.Ctx, s.Carer.Actor, s.Ann.ID, "Your new glasses arrive on Friday."); err != nil {
		t.Fatal(err)
	}
	annAccount := portalAccount(t, s, "ann.jones", "", "")

	ann := newPortalBrowser(t, srv.URL)
	browserSignIn(t, s, ann, annAccount)
	ann.MustSee("Your record")
	ann.Click("a[href='/my/" + s.Ann.ID + "/copy']")
	ann.MustSee("A copy of your record")
	for _, want := range []string{"Ann Jones", "14 June 1941", "943 476 5919", "Ann enjoyed the singing group",
		"Rowan House care team", "Your new glasses arrive on Friday.", "Who has seen the record", "Test carer (Care worker)"} {
		ann.MustSee(want)
	}
	// The care team's message is signed by the team, not the care worker.
	ann.MustSee("Rowan House care team, 3 March 2026 at 10:00: Your new glasses arrive on Friday.")
	plainWords(t, ann)
	fitsPhone(t, ann, "the copy of the record")

	got, err := chromedp.Run(ann.Context(), chromedp.Evaluate[string](`(() => {
		const x = new XMLHttpRequest();
		x.open("GET", document.querySelector("#download-fhir").href, false);
		x.send();
		return x.status + "\n" + x.getResponseHeader("Content-Type") + "\n" + x.getResponseHeader("Content-Disposition") + "\n" + x.responseText;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(got, "\n", 4)
	if len(parts) != 4 || parts[0] != "200" || parts[1] != "application/fhir+json" || !strings.Contains(parts[2], "attachment") {
		t.Fatalf("the FHIR download: %q", got)
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(parts[3]), &bundle); err != nil {
		t.Fatalf("the download is not JSON: %v\n%s", err, parts[3])
	}
	if bundle.ResourceType != "Bundle" || len(bundle.Entry) == 0 {
		t.Fatalf("not a FHIR Bundle with entries: %+v", bundle)
	}
	kinds := map[string]int{}
	for _, e := range bundle.Entry {
		kinds[e.Resource["resourceType"].(string)]++
	}
	for _, want := range []string{"Patient", "DocumentReference", "Communication", "AuditEvent"} {
		if kinds[want] == 0 {
			t.Errorf("the bundle has no %s: %v", want, kinds)
		}
	}
	if !strings.Contains(parts[3], "9434765919") {
		t.Errorf("the bundle lacks Ann's NHS number:\n%s", parts[3])
	}
	// FHIR's Attachment.data is base64Binary: another system decodes it
	// and reads the note as written.
	var note string
	for _, e := range bundle.Entry {
		if e.Resource["resourceType"] != "DocumentReference" || e.Resource["description"] != "Daily note: Mood and wellbeing" {
			continue
		}
		content, _ := e.Resource["content"].([]any)
		if len(content) != 1 {
			t.Fatalf("the note's content: %v", e.Resource)
		}
		data, _ := content[0].(map[string]any)["attachment"].(map[string]any)["data"].(string)
		raw, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatalf("the note's attachment data %q is not base64: %v", data, err)
		}
		note = string(raw)
	}
	if note != "Ann enjoyed the singing group" {
		t.Errorf("the daily note in the bundle reads %q", note)
	}
	checkNoConsoleErrors(t, ann)
}
