package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/browsertest"
	"hearth/internal/people"
)

// A care plan is emailed to the wrong family. The information governance
// lead records the breach (refused until the people affected are named),
// sees the 72-hour clock in UK time, records the risk, the report to the
// ICO and the decision to tell Ann, reads Ann's letter; and Ann, signing in
// to her own record, finds the incident and the same letter there.
func TestJourneyABreachIsRecordedAndThePersonAffectedReadsTheirLetter(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	ann := portalAccount(t, s, "ann.jones", "", "")
	base := s.Server().URL

	lead := browsertest.New(t)
	lead.Base = base
	staffSignIn(t, s, lead, ig)
	lead.ClickMenu("/governance/incidents")
	lead.MustSee("Record an incident")
	lead.MustSee("No incidents recorded")
	lead.Fill("#kind", "data-breach")
	lead.Fill("#severity", "moderate")
	lead.Fill("#summary", "Care plan emailed to the wrong family")
	lead.Fill("#what_happened", "Ann's care plan was emailed to another resident's daughter by mistake.")
	lead.Fill("#immediate_action", "We asked her to delete it and she confirmed she had.")
	lead.Click("#record-incident")
	lead.MustSee("There is a problem")
	if got := lead.Text("main"); !strings.Contains(got, "Choose the people affected by the breach, or say why no one can be named") {
		t.Fatalf("the refused breach says:\n%s", got)
	}
	// What was typed is kept; Ann is ticked and it is recorded.
	lead.Click("label[for='person-" + s.Ann.ID + "']")
	lead.Click("#record-incident")
	lead.MustSee("left to report to the ICO (by 6 March 2026 at 10:00)")
	if got := lead.Text("[data-testid=people-affected]"); !strings.Contains(got, "Ann Jones") {
		t.Errorf("people affected: %q", got)
	}

	lead.Fill("#risk", "risk")
	lead.Fill("#risk_notes", "Her name, medicines and routines were seen by someone outside her care.")
	lead.Run(chromedp.SetValue(chromedp.CSS("#reported_date"), "2026-03-03"), chromedp.SetValue(chromedp.CSS("#reported_time"), "10:00"))
	lead.Fill("#ico_reference", "IC-204811")
	lead.Click("label[for='tell-yes']")
	lead.Fill("#meaning", "Someone outside your care saw your care plan. They have deleted it.")
	lead.Click("#save-assessment")
	lead.MustSee("There is a problem")
	if got := lead.Text("main"); !strings.Contains(got, "Say what will happen next") || !strings.Contains(got, "Say who they can contact, and how") {
		t.Errorf("the letter without all its parts: %s", got)
	}
	lead.Fill("#next", "We are checking every email address before sending. We will write again if anything changes.")
	lead.Fill("#contact", "Jo Hart, registered manager, 01632 960123")
	lead.Click("#save-assessment")
	lead.MustSee("Reported to the ICO on 3 March 2026 at 10:00")

	lead.Click("[data-testid=letter-link]")
	lead.MustSee("Dear Ann Jones")
	letter := lead.Text("[data-testid=letter]")
	for _, want := range []string{"What happened", "emailed to another resident's daughter", "What this means for you",
		"What will happen next", "Who to contact", "Jo Hart, registered manager, 01632 960123"} {
		if !strings.Contains(letter, want) {
			t.Errorf("the letter does not say %q:\n%s", want, letter)
		}
	}
	if n := countIn(t, lead, "a#letter-pdf[href$='/letter.pdf']"); n != 1 {
		t.Errorf("the letter offers %d PDF links", n)
	}

	person := browsertest.New(t)
	person.Base = base
	browserSignIn(t, s, person, ann)
	person.Go("/my/" + s.Ann.ID)
	person.Click("a[href='/my/" + s.Ann.ID + "/breaches']")
	person.MustSee("Care plan emailed to the wrong family")
	person.MustSee("We are still dealing with it.")
	person.Click("[data-testid=breaches] a")
	person.MustSee("Dear Ann Jones")
	if got := person.Text("[data-testid=letter]"); !strings.Contains(got, "We are checking every email address before sending") {
		t.Errorf("Ann's letter: %s", got)
	}

	for who, b := range map[string]*browsertest.Browser{"the lead": lead, "Ann": person} {
		if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
			t.Errorf("%s's browser reported errors:\n%s", who, strings.Join(errs, "\n"))
		}
	}
}

// Cy's care ended nine years ago. The registered manager asks to dispose of
// his record and cannot approve it herself; the information governance
// lead approves, and gets the certificate; the record is gone from the
// manager's view. The lead then adds a policy to the register (refused
// while empty) and reads the evidence report, whose last backup changes
// from "never" once a backup is audited.
func TestJourneyDisposalWithASecondApproverPoliciesAndTheEvidenceReport(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	cy, err := s.People.Register(s.Ctx, s.Manager.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: "Cy", FamilyName: "Hale",
		DateOfBirth: time.Date(1930, 1, 5, 0, 0, 0, 0, time.UTC), CareStartsOn: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.People.EndCare(s.Ctx, s.Manager.Actor, cy.ID, people.EndOfCare{Reason: "died", On: time.Date(2017, 2, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	base := s.Server().URL

	manager := browsertest.New(t)
	manager.Base = base
	staffSignIn(t, s, manager, s.Manager)
	manager.ClickMenu("/governance/retention")
	manager.MustSee("Adult social care records: 8 years after the end of care or death")
	if got := manager.Text("[data-testid=due-" + cy.ID + "]"); !strings.Contains(got, "Cy Hale") || !strings.Contains(got, "due for review since 1 February 2025") {
		t.Fatalf("due for review: %q", got)
	}
	manager.Fill("#reason-"+cy.ID, "Eight years since his death; no claims or inquiries")
	manager.Click("[data-testid=due-" + cy.ID + "] [data-testid=ask-disposal]")
	manager.MustSee("awaiting approval")
	manager.Click("[data-testid=approve]")
	manager.MustSee("A second senior account must approve this disposal, not the one that asked for it")

	lead := browsertest.New(t)
	lead.Base = base
	staffSignIn(t, s, lead, ig)
	lead.ClickMenu("/governance/retention")
	lead.Click("[data-testid=approve]")
	lead.MustSee("Certificate of disposal")
	cert := lead.Text("[data-testid=certificate]")
	for _, want := range []string{"Care record " + cy.ID, "Test manager", "Test iglead", "8 years after the end of care", "SHA-256"} {
		if !strings.Contains(cert, want) {
			t.Errorf("the certificate does not say %q:\n%s", want, cert)
		}
	}
	if strings.Contains(cert, "Cy Hale") {
		t.Error("the certificate names the person: it must prove what was disposed of without revealing it")
	}
	manager.Go("/people/" + cy.ID)
	manager.MustSee("We could not find that record")

	lead.ClickMenu("/governance/policies")
	lead.MustSee("No policies in the register yet")
	lead.Click("#add-policy")
	lead.MustSee("Enter the policy's title")
	lead.Fill("#title", "Records management and retention")
	lead.Fill("#version", "1.0")
	lead.Fill("#owner", "Information governance lead")
	lead.Fill("#review_months", "12")
	lead.Click("#add-policy")
	if got := lead.Text("[data-testid=policies]"); !strings.Contains(got, "Records management and retention") || !strings.Contains(got, "3 March 2027") {
		t.Errorf("the register: %s", got)
	}

	lead.ClickMenu("/governance/evidence")
	lead.MustSee("Evidence report")
	report := lead.Text("[data-testid=evidence]")
	for _, want := range []string{"Multi-factor authentication", "(100%)", "Last backup", "never"} {
		if !strings.Contains(report, want) {
			t.Errorf("the evidence report does not say %q:\n%s", want, report)
		}
	}
	if _, err := s.Audit.AppendNow(s.Ctx, audit.Event{At: s.Clock.Now(), ActorName: "backup", ActorKind: "operator", Action: "backup",
		Outcome: audit.OutcomeSuccess, Detail: "nightly"}); err != nil {
		t.Fatal(err)
	}
	lead.Go("/governance/evidence")
	// Four figures said "never" (audit verified, checkpoint witnessed,
	// backup, restore test); the backup now has its UK date and time.
	after := lead.Text("[data-testid=evidence]")
	if strings.Count(report, "never") != 4 || strings.Count(after, "never") != 3 || !strings.Contains(after, "3 March 2026 at 10:0") {
		t.Errorf("before a backup the report said:\n%s\nafter:\n%s", report, after)
	}
	for who, b := range map[string]*browsertest.Browser{"the manager": manager, "the lead": lead} {
		if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
			t.Errorf("%s's browser reported errors:\n%s", who, strings.Join(errs, "\n"))
		}
	}
}
