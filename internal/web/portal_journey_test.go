package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
	"hearth/internal/consent"
)

func checkNoConsoleErrors(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	if errs := unexpectedConsoleErrors(b.ConsoleErrors()); len(errs) > 0 {
		t.Errorf("the browser reported errors:\n%s", strings.Join(errs, "\n"))
	}
}

// Ann signs in on her phone, reads her care record in plain English, turns
// on large print, sees who has looked at her record (the care worker, and
// why), downloads the receipt for that access and checks it on the page.
func TestJourneyAPersonReadsHerRecordInLargePrintAndChecksAReceipt(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: care.AboutMeSections[0].Key, Body: "Ann likes her tea with two sugars"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Ann sang along to the radio", CareAt: s.Clock.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ann := portalAccount(t, s, "ann.jones", "", "")

	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, ann)
	b.MustSee("Your record")
	b.MustSee("Who has seen this record")

	b.Click("a[href='/my/" + s.Ann.ID + "/record']")
	b.MustSee("Your care record")
	b.MustSee("Ann likes her tea with two sugars")
	b.MustSee("Ann sang along to the radio")
	b.MustSee("Ask for a correction")

	b.Go("/my/" + s.Ann.ID)
	b.Click("#large_print")
	b.Click("#save-display")
	b.MustSee("How pages look")
	if cls, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`document.body.className`)); err != nil || !strings.Contains(cls, "hearth-large-print") {
		t.Fatalf("large print is not on: %q %v", cls, err)
	}

	b.Click("a[href='/my/" + s.Ann.ID + "/history']")
	b.MustSee("Who has seen your record")
	history := b.Text("[data-testid=access-history]")
	for _, want := range []string{"Test carer (Care worker)", "on this person's care team", "Ann Jones (The person)", "this is the person's own record"} {
		if !strings.Contains(history, want) {
			t.Errorf("the history does not show %q:\n%s", want, history)
		}
	}

	// The seal runs in the background in a real server; here the test seals.
	if _, err := s.Audit.Seal(s.Ctx); err != nil {
		t.Fatal(err)
	}
	b.Go("/my/" + s.Ann.ID + "/history")
	receipt, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`(() => {
		const links = [...document.querySelectorAll("[data-testid=receipt-link]")];
		const row = links.find(a => a.closest("tr").textContent.includes("Care worker"));
		const x = new XMLHttpRequest();
		x.open("GET", row.href, false);
		x.send();
		return x.status + "\n" + x.getResponseHeader("Content-Disposition") + "\n" + x.responseText;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(receipt, "\n", 3)
	if len(parts) != 3 || parts[0] != "200" || !strings.Contains(parts[1], "attachment") || !strings.Contains(parts[2], `"checkpoint"`) {
		t.Fatalf("receipt download: %q", receipt)
	}
	b.Go("/my/" + s.Ann.ID + "/receipts")
	b.MustSee("Check a receipt")
	b.Run(chromedp.SetValue("#receipt", parts[2]))
	b.Click("#check-receipt")
	b.MustSee("The receipt checks out")
	if got := b.Text("[data-testid=receipt-ok]"); !strings.Contains(got, "Test carer") {
		t.Errorf("the checked receipt says %q", got)
	}
	checkNoConsoleErrors(t, b)
}

// Tom holds a lasting power of attorney for his mother's property and
// finance. He signs in and sees that she is there, but nothing about her
// care: each part says why.
func TestJourneyARepresentativeForPropertyAndFinanceSeesNoCareInformation(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: care.AboutMeSections[0].Key, Body: "Ann is frightened of the dark"}); err != nil {
		t.Fatal(err)
	}
	tom := portalAccount(t, s, "tom", "Tom Jones", consent.AuthorityLPAPropertyFinance)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, tom)
	b.MustSee("Your records")
	b.MustSee("Lasting power of attorney for property and financial affairs")
	b.Go("/my/" + s.Ann.ID + "/record")
	b.MustSee("Not shown: Denied: outside the representative's recorded authority.")
	b.Go("/my/" + s.Ann.ID + "/consent")
	b.MustSee("Not shown")
	page := b.Text("main")
	if strings.Contains(page, "frightened") {
		t.Errorf("care information shown to the property and finance attorney:\n%s", page)
	}
	b.Go("/my/" + s.Ann.ID + "/record")
	if page := b.Text("main"); strings.Contains(page, "frightened of the dark") {
		t.Errorf("About Me shown to the property and finance attorney:\n%s", page)
	}
	checkNoConsoleErrors(t, b)
}

// Ann agreed to care and support earlier; she changes her mind and withdraws
// it from her phone. She is asked first ("No, keep it" changes nothing),
// then it stops counting at once and the care team see it on her page and
// on 'my shift'. She can undo it by giving it again, and the banner goes.
func TestJourneyAPersonWithdrawsAConsentConfirmsItAndCanUndoIt(t *testing.T) {
	s := apptest.NewScenario(t)
	ann := portalAccount(t, s, "ann.jones", "", "")
	c, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeCareDelivery,
		Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "Went through the care plan together", InfoFormat: "standard"})
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := func() bool {
		var n int
		if err := s.DB.QueryRow(s.Ctx, `SELECT COUNT(*) FROM consents WHERE id = ? AND withdrawn_at IS NOT NULL`, c.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	browserSignIn(t, s, b, ann)
	b.MustSee("Your record")
	b.Click("a[href='/my/" + s.Ann.ID + "/consent']")
	b.MustSee("Consent and choices")
	b.MustSee("Counts now")
	b.Click("[data-testid='withdraw-" + c.ID + "']")
	b.MustSee("Withdraw consent: Care and support?")
	b.MustSee("the care team are told at once")
	if withdrawn() {
		t.Fatal("withdrawn before Ann confirmed")
	}
	b.Click("#keep-consent")
	b.MustSee("Counts now")
	if withdrawn() {
		t.Fatal("withdrawn although Ann chose to keep it")
	}
	b.Click("[data-testid='withdraw-" + c.ID + "']")
	b.Click("#confirm-withdraw")
	b.MustSee("Your consent has been withdrawn. It stopped counting straight away, and the care team have been told.")
	if !withdrawn() {
		t.Fatal("not withdrawn after Ann confirmed")
	}

	// The care team are told at once.
	m := browsertest.New(t)
	m.Base = s.Server().URL
	staffSignIn(t, s, m, s.Manager)
	m.Go("/people/" + s.Ann.ID)
	if got := m.Text("[data-testid=withdrawn]"); !strings.Contains(got, "Consent withdrawn: Care and support") || !strings.Contains(got, "Ann Jones withdrew consent to care and support") {
		t.Errorf("the person page says %q", got)
	}

	// Ann undoes it; the banner goes.
	b.Click("#give-again")
	b.MustSee("Your consent has been given again. It counts from now.")
	b.MustSee("Counts now")
	m.Go("/people/" + s.Ann.ID)
	m.MustSee(s.Ann.FullName())
	if n, err := chromedp.Run(m.Context(), chromedp.Evaluate[int](`document.querySelectorAll('[data-testid=withdrawn]').length`)); err != nil || n != 0 {
		t.Errorf("a stale withdrawal banner after Ann gave consent again: %d (%v)", n, err)
	}
	checkNoConsoleErrors(t, b)
	checkNoConsoleErrors(t, m)
}
