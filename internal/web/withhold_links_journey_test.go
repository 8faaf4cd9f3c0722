package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/care"
)

// withholdFromLink follows the "Withhold from Ann" link at selector on the
// staff page at from, checks the portal's form is filled in with the
// entry's kind and ID, and withholds it for a reason.
func withholdFromLink(t *testing.T, b *browsertest.Browser, from, selector, wantType, wantID, category, reason string) {
	t.Helper()
	b.Go(from)
	b.Click(selector)
	b.MustSee("Withhold an entry from Ann")
	fields, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`document.querySelector("#resource_type").value + " " + document.querySelector("#resource_id").value`))
	if err != nil || fields != wantType+" "+wantID {
		t.Fatalf("the withhold form from %s is filled in with %q (%v), want %q", from, fields, err, wantType+" "+wantID)
	}
	b.Click("label[for=" + category + "]")
	b.Fill("#reason", reason)
	b.Click("#withhold")
	b.MustSee("awaiting review")
}

// A nurse withholds a daily note from the note list, an About Me entry from
// About Me and a care plan from the plan's page, each through the link
// beside it. Ann's portal then says that entries are withheld and why in
// general terms, and shows none of them.
func TestJourneyANurseWithholdsEntriesFromTheStaffScreensAndThePersonSeesOnlyThatSomethingIsWithheld(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	nurse := s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, nurse)
	note, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Ann's neighbour Mrs Okafor shouted at her in the lounge", CareAt: s.Clock.Now().Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood",
		Body: "Ann enjoyed the music afternoon", CareAt: s.Clock.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	entry, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: care.AboutMeSections[0].Key,
		Body: "Her son Mark told us about his own debts"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, care.PlanDraft{Area: "personal-care",
		Outcome: "Support through the prognosis her consultant gave", HowMet: "Time to talk each evening",
		Involved: care.Involvement{Kinds: []string{"person"}}, Agreement: "agreed", ReviewOn: s.Clock.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	annAccount := portalAccount(t, s, "ann.jones", "", "")

	nb := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, nb, nurse)
	base := "/people/" + s.Ann.ID
	withholdFromLink(t, nb, base+"/notes", "a[href='"+base+"/portal?type=Observation&entry="+note.ID+"#withheld']",
		"Observation", note.ID, "cat-tp", "Names another resident and what she did")
	withholdFromLink(t, nb, base+"/about-me", "a[href='"+base+"/portal?type=QuestionnaireResponse&entry="+entry.ID+"#withheld']",
		"QuestionnaireResponse", entry.ID, "cat-tp", "About her son's own affairs, told in confidence")
	withholdFromLink(t, nb, base+"/care-plans/"+plan.PlanID, "a[href='"+base+"/portal?type=CarePlan&entry="+plan.PlanID+"#withheld']",
		"CarePlan", plan.PlanID, "cat-sh", "Her consultant asked us to wait until he has seen her")
	list := nb.Text("[data-testid=withheld-list]")
	for _, want := range []string{"Daily note", "About Me entry", "Care plan"} {
		if !strings.Contains(list, want) {
			t.Errorf("the staff list of withheld entries does not show %q:\n%s", want, list)
		}
	}
	// The care plans list offers the link too.
	nb.Go(base + "/care-plans")
	nb.MustSee("Withhold from Ann")

	// A care worker, who may not withhold, is offered none of the links.
	cw := newPortalBrowser(t, srv.URL)
	staffSignIn(t, s, cw, s.Carer)
	for _, page := range []string{"/notes", "/about-me", "/care-plans", "/care-plans/" + plan.PlanID} {
		cw.Go(base + page)
		mustNotSee(t, cw, "Withhold from Ann", "Withhold this plan")
	}

	ann := newPortalBrowser(t, srv.URL)
	browserSignIn(t, s, ann, annAccount)
	ann.Go("/my/" + s.Ann.ID + "/record")
	ann.MustSee("Ann enjoyed the music afternoon")
	ann.MustSee("Some entries are not shown.")
	notice := ann.Text("[data-testid=withheld-notice]")
	if !strings.Contains(notice, "It contains information about someone else") || !strings.Contains(notice, "serious harm") {
		t.Errorf("the withheld notice reads %q", notice)
	}
	mustNotSee(t, ann, "Mrs Okafor", "debts", "prognosis", "Names another resident", "consultant asked")
	checkNoConsoleErrors(t, ann)
}
