package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hearth/internal/apptest"
	"hearth/internal/browsertest"
	"hearth/internal/consent"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// These journeys walk the technology governance screens that the first
// journey (TestJourneyTechnologyUseFromRegisterToWithdrawal) does not:
// training records, the digital inclusion summary, the outcomes report,
// the blanket-use report, reviews and copies on a use, the register's edit
// form and history, and the equality monitoring form. Each checks the
// words and numbers a person sees, the message on bad input, and that the
// page fits a phone.

// techBrowser signs the manager in on a phone-sized browser.
func techBrowser(t *testing.T, s *apptest.Scenario, who apptest.Staff) *browsertest.Browser {
	t.Helper()
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, who)
	return b
}

// techFitsPhone checks the page at 360 px (the narrowest phone Hearth
// supports) and at the harness's 390 px: it must not scroll sideways, and
// each element named by a selector must be shown wholly inside the screen's
// width, so the key words are not cut off.
func techFitsPhone(t *testing.T, b *browsertest.Browser, what string, selectors ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	defer cancel()
	defer func() {
		_ = chromedp.Do(ctx, chromedp.EmulateViewport(browsertest.PhoneWidth, browsertest.PhoneHeight, chromedp.EmulatePortrait,
			chromedp.EmulateMobile, chromedp.EmulateTouch))
	}()
	list := "[]"
	if len(selectors) > 0 {
		list = `["` + strings.Join(selectors, `","`) + `"]`
	}
	script := `(() => {
		const w = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > w) out.push("the page is " + document.documentElement.scrollWidth + "px wide");
		for (const sel of ` + list + `) {
			const els = document.querySelectorAll(sel);
			if (els.length === 0) out.push(sel + " is not on the page");
			for (const el of els) {
				const r = el.getBoundingClientRect();
				if (r.width === 0 || r.height === 0) out.push(sel + " is hidden");
				else if (r.left < -1 || r.right > w + 1) out.push(sel + " runs from " + Math.round(r.left) + " to " + Math.round(r.right) + "px");
			}
		}
		return out.join("; ");
	})()`
	for _, width := range []int64{360, browsertest.PhoneWidth} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, browsertest.PhoneHeight, chromedp.EmulatePortrait,
			chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
			t.Fatalf("emulate %dpx: %v", width, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](script))
		if err != nil {
			t.Fatalf("%s at %dpx: %v", what, width, err)
		}
		if got != "" {
			t.Errorf("%s at %dpx: %s", what, width, got)
		}
	}
}

// techSetDate sets a date field as a date picker would.
func techSetDate(b *browsertest.Browser, selector, value string) {
	b.Run(chromedp.SetValue(chromedp.CSS(selector), value))
}

// techValue is what a field holds now.
func techValue(t *testing.T, b *browsertest.Browser, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// techSee checks every text is on the page.
func techSee(b *browsertest.Browser, texts ...string) {
	for _, s := range texts {
		b.MustSee(s)
	}
}

// techNotSee fails t if text is visible on the page.
func techNotSee(t *testing.T, b *browsertest.Browser, text string) {
	t.Helper()
	if body := b.Text("body"); strings.Contains(body, text) {
		t.Errorf("the page at %s shows %q, and should not", b.URL(), text)
	}
}

// Training records: the manager sees the training already recorded with UK
// dates and its expiry from the refresher interval; a completion date in
// the future is refused with the rule, what was typed kept; a good record
// appears in the table, which fits a phone.
func TestJourneyTheManagerRecordsTrainingAndIsToldAFutureCompletionDateIsNotAllowed(t *testing.T) {
	s, _ := techScenario(t)
	b := techBrowser(t, s, s.Manager)

	b.Go("/governance/technology")
	b.Click("main a[href='/governance/training']")
	b.MustSee("Training records")
	if row := b.Text("[data-testid=training] tbody tr"); !strings.Contains(row, "Test manager") || !strings.Contains(row, "BedSense safe use") ||
		!strings.Contains(row, "10 January 2026") || !strings.Contains(row, "10 January 2027") {
		t.Fatalf("the manager's training row reads %q", row)
	}

	b.Fill("#user_id", s.Carer.ID)
	b.Fill("#module", "BedSense safe use")
	techSetDate(b, "#completed_on", "2026-03-10")
	b.Click("#record-training")
	techSee(b, "There is a problem", "The completion date must not be in the future")
	if got := b.Text(".nhsuk-error-message"); got != "The completion date must not be in the future" {
		t.Errorf("the message next to the date reads %q", got)
	}
	module := techValue(t, b, "#module")
	if module != "BedSense safe use" {
		t.Errorf("the module typed was not kept: %q", module)
	}
	if n := s.Count(`SELECT COUNT(*) FROM tech_training WHERE user_id = ?`, s.Carer.ID); n != 0 {
		t.Fatalf("%d training records written for a future date", n)
	}
	techFitsPhone(t, b, "the training form with its message", ".nhsuk-error-summary", ".nhsuk-error-message", "#record-training")

	b.Fill("#user_id", s.Carer.ID)
	techSetDate(b, "#completed_on", "2026-02-20")
	b.Click("#record-training")
	b.MustSee("Test carer")
	techNotSee(t, b, "There is a problem")
	var carerRow string
	for _, row := range strings.Split(b.Text("[data-testid=training] tbody"), "\n") {
		if strings.Contains(row, "Test carer") {
			carerRow = row
		}
	}
	body := b.Text("[data-testid=training]")
	if !strings.Contains(body, "20 February 2026") || !strings.Contains(body, "20 February 2027") {
		t.Errorf("the carer's training shows as %q in %q", carerRow, body)
	}
	techFitsPhone(t, b, "the training records", "[data-testid=training]")
}

// The digital inclusion summary for a location, read before a rollout: the
// manager records Ann's digital inclusion on her technology page, then
// opens the summary for Rowan House from the register and sees how many
// people have a profile, the counts, and who needs support.
func TestJourneyTheDigitalInclusionSummaryCountsWhatWasRecordedForALocation(t *testing.T) {
	s, _ := techScenario(t)
	s.Person(s.Manager, s.Home, "Bob", "Price", "")
	b := techBrowser(t, s, s.Manager)

	b.Go("/people/" + s.Ann.ID + "/technology")
	b.MustSee("Digital inclusion")
	b.Click("label[for=dev-tablet]")
	b.Fill("#confidence", "low")
	b.Click("label[for=ch-in-person]")
	b.Click("label[for=ch-video-call]")
	b.Fill("#support", "Needs help to start video calls")
	b.Click("#save-inclusion")
	got := strings.Join(strings.Fields(b.Text("[data-testid=inclusion]")), " ")
	if want := "Devices Tablet Confidence Low Prefers In person, Video call Support needed Needs help to start video calls"; got != want {
		t.Errorf("Ann's digital inclusion reads %q, want %q", got, want)
	}
	// Opened again, the form shows what was recorded, so saving it again
	// does not wipe it.
	b.Go("/people/" + s.Ann.ID + "/technology")
	if c, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`["dev-tablet","dev-smartphone","ch-in-person","ch-video-call"].map(id => document.getElementById(id).checked).join(",")`)); err != nil || c != "true,false,true,true" {
		t.Errorf("the devices and channels ticked read %q (%v)", c, err)
	}
	if got := selectedText(t, b, "#confidence"); got != "Low" {
		t.Errorf("confidence shows %q", got)
	}
	if got := techValue(t, b, "#support"); got != "Needs help to start video calls" {
		t.Errorf("support needed shows %q", got)
	}

	b.Go("/governance/technology")
	b.Click("a[href='/governance/inclusion/" + s.Home.ID + "']")
	techSee(b, "Before a rollout", "Digital inclusion at Rowan House")
	if got := b.Text("[data-testid=inclusion-counts]"); got != "1 of 2 people have a digital inclusion profile." {
		t.Errorf("the counts read %q", got)
	}
	techSee(b, "Tablet: 1", "Smartphone: 0", "Low: 1", "In person: 1", "Video call: 1")
	if got := b.Text("[data-testid=inclusion-support]"); got != "Ann Jones: Needs help to start video calls" {
		t.Errorf("support needed reads %q", got)
	}
	techFitsPhone(t, b, "the digital inclusion summary", "[data-testid=inclusion-counts]", "[data-testid=inclusion-support]")
}

// The equality monitoring form on a person's technology page: answers are
// offered in words, saved, and shown again when the page is opened; the
// trauma and paranoia flags are on the same form.
func TestJourneyEqualityMonitoringAndTraumaFlagsAreSavedAndShownAgain(t *testing.T) {
	s, _ := techScenario(t)
	b := techBrowser(t, s, s.Manager)

	b.Go("/people/" + s.Ann.ID + "/technology")
	techSee(b, "Equality monitoring (optional)", "Used only to check that technology works as well for everyone. Ann may prefer not to say.",
		"History of trauma", "Paranoia", "Sexual orientation")
	b.Fill("#pc-sex", "female")
	b.Fill("#pc-age_band", "80+")
	b.Fill("#pc-religion", tech.PreferNotToSay)
	b.Fill("#pc-trauma_history", "yes")
	b.Click("#save-profile")
	b.MustSee("Equality monitoring (optional)")

	b.Go("/people/" + s.Ann.ID + "/technology")
	for sel, want := range map[string]string{"#pc-sex": "Female", "#pc-age_band": "80+", "#pc-religion": "Prefers not to say",
		"#pc-trauma_history": "Yes", "#pc-paranoia": "Not asked", "#pc-sexual_orientation": "Not asked"} {
		if got := selectedText(t, b, sel); got != want {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if got := optionTexts(t, b, "#pc-sexual_orientation"); got != "Not asked|Prefers not to say|Heterosexual|Gay or lesbian|Bisexual|Other" {
		t.Errorf("sexual orientation offers %s", got)
	}
	techFitsPhone(t, b, "the equality monitoring form", "#pc-gender_reassignment", "label[for=pc-gender_reassignment]", "#save-profile")
}

// selectedText is the words of the chosen option of a list.
func selectedText(t *testing.T, b *browsertest.Browser, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const s = document.querySelector(%q); return s.options[s.selectedIndex].text })()`, sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return got
}

// optionTexts is the words of every option of a list, joined by "|".
func optionTexts(t *testing.T, b *browsertest.Browser, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`Array.from(document.querySelector(%q).options).map(o => o.text).join("|")`, sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return got
}

// techUseFor records a use of bed for p through the service, with the
// person's consent.
func techUseFor(t *testing.T, s *apptest.Scenario, p people.Person, bed tech.Technology, reason string) tech.Use {
	t.Helper()
	if p.ID != s.Ann.ID {
		if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consentFor(p, bed)); err != nil {
			t.Fatal(err)
		}
	}
	f := useForm(bed.ID)
	n := tech.NewUse{TechnologyID: bed.ID, NextReview: f.Get("next_review"), Record: tech.Record{Reason: reason, WhenHow: f.Get("when_how"),
		InformationGiven: f.Get("information_given"), InformationFormat: f.Get("information_format"), DecisionProcess: f.Get("decision_process"),
		DataUse: f.Get("data_use"), ReviewPlan: f.Get("review_plan"), Withdrawal: f.Get("withdrawal"), Rights: f.Get("rights"),
		SafetyAssessment: f.Get("safety_assessment"), RelationalCare: f.Get("relational_care"), Alternatives: f.Get("alternatives")}}
	u, err := s.Tech.CreateUse(s.Ctx, s.Manager.Actor, p.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func consentFor(p people.Person, t tech.Technology) consent.NewConsent {
	return consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeTechnology, TechnologyID: t.ID, TechnologyName: t.Name,
		Decision: "permit", InfoGiven: "What the mat senses", InfoFormat: "standard"}
}

// The outcomes report by protected characteristic: six people use the bed
// sensor, five women and one man. The man's group of one shows neither its
// size nor its score; nor does the women's group, since "Overall" (6
// people, 3.5) minus the women (5 people, 4) would give the man's score of
// 1 back (issue 14). Overall is shown; the person with a recorded history
// of trauma is named under "Needs attention" without a count from fewer
// than five. The table reads at phone width.
func TestJourneyTheOutcomesReportHidesAGroupOfOneAndTheGroupThatWouldGiveItAway(t *testing.T) {
	s, bed := techScenario(t)
	var flagged string
	for i, name := range []string{"Bea", "Cal", "Dot", "Eve", "Fay", "Gus"} {
		p := s.Person(s.Manager, s.Home, name, "Test", "")
		u := techUseFor(t, s, p, bed, name+" has fallen at night, reason "+fmt.Sprint(i))
		sex, trauma := "female", "no"
		if i == 5 {
			sex = "male"
		}
		if i == 0 {
			trauma, flagged = "yes", p.FullName()
		}
		if err := s.Tech.RecordProfile(s.Ctx, s.Manager.Actor, p.ID, map[string]string{"sex": sex, "trauma_history": trauma}); err != nil {
			t.Fatal(err)
		}
		score := "4"
		if i == 5 {
			score = "1"
		}
		if err := s.Tech.RecordOutcome(s.Ctx, s.Manager.Actor, p.ID, u.ID, "experience", score, ""); err != nil {
			t.Fatal(err)
		}
	}
	b := techBrowser(t, s, s.Manager)
	b.Go("/governance/technology/" + bed.ID)
	b.Click("a[href='/governance/technology/" + bed.ID + "/outcomes']")
	techSee(b, "Outcomes report", "6 people have used it.", "No figure here comes from fewer than 5 people")
	if got := b.Text("[data-testid=overall]"); !strings.Contains(got, "Experience: average 3.5 (6 records)") {
		t.Errorf("overall reads %q", got)
	}
	if got := b.Text("[data-testid=attention]"); !strings.Contains(got, "Fewer than 5 people using it have a recorded history of trauma or paranoia") || !strings.Contains(got, flagged) {
		t.Errorf("the attention flag reads %q", got)
	}
	rows := groupRows(t, b)
	female, male := rows["Sex|Female"], rows["Sex|Male"]
	if male != "Not shown|Not shown" {
		t.Errorf("the group of one man shows %q, want 'Not shown'", male)
	}
	if female != "Not shown|Not shown" {
		t.Errorf("the women's group shows %q: with Overall it gives the man's score away", female)
	}
	if strings.Contains(b.Text("[data-testid=groups]"), "Experience: 1") || strings.Contains(b.Text("[data-testid=groups]"), "Experience: 4") {
		t.Error("the man's own score can be read or worked out from the report")
	}
	techFitsPhone(t, b, "the outcomes report", "[data-testid=groups]", "[data-testid=attention]")
}

// groupRows reads the outcome report's table as a person does: each row's
// characteristic and group, to its people and outcomes as shown.
func groupRows(t *testing.T, b *browsertest.Browser) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll("[data-testid=groups] tbody tr")).map(tr =>
		Array.from(tr.querySelectorAll("td")).map(td => td.innerText.replace(/^(Characteristic|Group|People|Outcomes)\s*/, "").replace(/;\s*$/, "").trim()))`))
	if err != nil {
		t.Fatalf("read the groups table: %v", err)
	}
	out := map[string]string{}
	for _, r := range got {
		if len(r) == 4 {
			out[r[0]+"|"+r[1]] = r[2] + "|" + r[3]
		}
	}
	return out
}

// The blanket-use report: two of the three people at Rowan House have the
// bed sensor, with reasons that differ only in case and punctuation. The
// report shows one line for BedSense at Rowan House, with its share, the
// count of nearly identical reasons and a link to each use, which leads to
// the person's use record; at a share of 90% the line is still flagged,
// for its copied reasons.
func TestJourneyTheBlanketReportShowsOneLinePerTechnologyAndLocationLinkingEachUse(t *testing.T) {
	s, bed := techScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Price", "")
	s.Person(s.Manager, s.Home, "Cat", "Hill", "")
	techUseFor(t, s, s.Ann, bed, "Risk of falls at night when getting up.")
	techUseFor(t, s, bob, bed, "risk of falls at night, when getting up")

	b := techBrowser(t, s, s.Manager)
	b.Go("/governance/technology")
	b.Click("a[href='/governance/technology-blanket']")
	techSee(b, "Possible blanket use of technology", "it is flagged when 50% or more of the people there use it")
	got := b.Text("[data-testid=blanket-line]")
	for _, want := range []string{"BedSense", "at Rowan House", "Flagged", "2 of 3 (67%)", "Ann Jones (reason nearly identical)", "Bob Price (reason nearly identical)"} {
		if !strings.Contains(got, want) {
			t.Errorf("the line reads %q, want %q", got, want)
		}
	}
	techFitsPhone(t, b, "the blanket-use report", "[data-testid=blanket-lines]", "#share")

	b.Fill("#share", "90")
	b.Click("form[action='/governance/technology-blanket'] button")
	b.MustSee("it is flagged when 90% or more")
	if got := b.Text("[data-testid=blanket-line]"); !strings.Contains(got, "Flagged") {
		t.Errorf("copied reasons are not flagged at 90%%: %q", got)
	}
	b.Click("[data-testid=blanket-line] a.nhsuk-link")
	b.MustSee("Risk of falls at night when getting up.")
	if !strings.Contains(b.URL(), "/people/"+s.Ann.ID+"/technology/uses/") {
		t.Errorf("the link leads to %s", b.URL())
	}
}

// Reviews and copies on Ann's use of the bed sensor: a review with a next
// review date in the past is refused with the rule and her views kept; a
// good review is listed in words and makes a new version; a copy with no
// one named is refused; a copy given is listed with its format in words
// and the version it showed.
func TestJourneyAReviewWithAPastDateIsRefusedThenRecordedAndACopyGivenIsListed(t *testing.T) {
	s, bed := techScenario(t)
	u := techUseFor(t, s, s.Ann, bed, "Ann has fallen twice at night getting up")
	b := techBrowser(t, s, s.Manager)

	b.Go("/people/" + s.Ann.ID + "/technology")
	b.Click("a[href='/people/" + s.Ann.ID + "/technology/uses/" + u.ID + "']")
	techSee(b, "Not reviewed yet.", "No copy recorded yet.", "Continue as it is", "Continue with changes", "Stop using it")

	b.Click("label[for=outcome-continue]")
	b.Fill("#person_views", "Ann says she sleeps better knowing someone will come")
	b.Fill("#measure_experience", "5")
	techSetDate(b, "#review_next", "2026-02-01")
	b.Click("#record-review")
	techSee(b, "There is a problem", "The next review date must be in the future")
	if got := b.Text("#review_next-error"); got != "The next review date must be in the future" {
		t.Errorf("the message next to the review date reads %q", got)
	}
	views := techValue(t, b, "#person_views")
	if views != "Ann says she sleeps better knowing someone will come" {
		t.Errorf("Ann's views were not kept: %q", views)
	}
	if got := techValue(t, b, "#measure_experience"); got != "5" {
		t.Errorf("the experience score typed was not kept: %q", got)
	}
	checked, err := chromedp.Run(b.Context(), chromedp.Evaluate[bool](`document.querySelector("#outcome-continue").checked`))
	if err != nil || !checked {
		t.Errorf("the outcome chosen was not kept (%v)", err)
	}
	techFitsPhone(t, b, "the review form with its message", "#review_next-error", "#record-review")
	if n := s.Count(`SELECT COUNT(*) FROM tech_reviews`); n != 0 {
		t.Fatalf("%d reviews written with a past date", n)
	}

	techSetDate(b, "#review_next", "2026-09-01")
	b.Click("#record-review")
	if got := b.Text("[data-testid=reviews]"); !strings.Contains(got, "Test manager: Continue as it is. Their views: Ann says she sleeps better") {
		t.Errorf("the review reads %q", got)
	}
	if got := b.Text("[data-testid=outcomes]"); !strings.Contains(got, "Experience 5") {
		t.Errorf("the outcome measures read %q", got)
	}
	if got := b.Text("[data-testid=versions]"); !strings.Contains(got, "Version 2: Reviewed: continue as it is – Test manager") {
		t.Errorf("the versions read %q", got)
	}

	b.Fill("#format", "large-print")
	b.Click("#record-copy")
	techSee(b, "There is a problem", "Say who the copy was given to: the person, or who acts for them")
	if got := b.Text("#given_to-error"); got != "Say who the copy was given to: the person, or who acts for them" {
		t.Errorf("the message next to 'Given to' reads %q", got)
	}
	b.Fill("#given_to", "Ann and her daughter")
	techSetDate(b, "#given_on", "2026-03-02")
	b.Click("#record-copy")
	if got := b.Text("[data-testid=copies]"); got != "2 March 2026: to Ann and her daughter, Large print (version 2)" {
		t.Errorf("the copies given read %q", got)
	}
	if got := optionTexts(t, b, "#format"); !strings.Contains(got, "Large print") || !strings.Contains(got, "Read aloud and talked through") {
		t.Errorf("the copy formats offered read %s", got)
	}
	techFitsPhone(t, b, "the use page", "[data-testid=items]", "[data-testid=reviews]", "[data-testid=copies]", "#record-copy")
}

// The register's edit form and its history: the manager changes the
// supplier, is asked why, gives a reason and sees version 2 in the history
// with the reason and their name. When someone else saves in between, the
// manager is told, keeps what they typed, and can save again.
func TestJourneyTheManagerChangesARegisterEntryWithAReasonAndSeesItsHistory(t *testing.T) {
	s, bed := techScenario(t)
	b := techBrowser(t, s, s.Manager)

	b.Go("/governance/technology/" + bed.ID)
	b.Click("a[href='/governance/technology/" + bed.ID + "/edit']")
	b.MustSee("Change BedSense")
	b.Fill("#supplier", "Sensa Care Ltd")
	b.Click("#save-technology")
	techSee(b, "There is a problem", "Say why the register entry is changing")
	if got := b.Text("#change_reason-error"); got != "Say why the register entry is changing" {
		t.Errorf("the message next to the reason reads %q", got)
	}
	supplier := techValue(t, b, "#supplier")
	if supplier != "Sensa Care Ltd" {
		t.Errorf("the supplier typed was not kept: %q", supplier)
	}
	techFitsPhone(t, b, "the register form with its message", "#change_reason", "#save-technology")

	b.Fill("#change_reason", "The supplier was renamed")
	b.Click("#save-technology")
	b.MustSee("Sensa Care Ltd")
	if got := b.Text("[data-testid=history]"); !strings.Contains(got, "Version 2: The supplier was renamed – Test manager") ||
		!strings.Contains(got, "Version 1: Added to the register – Test manager") {
		t.Errorf("the history reads %q", got)
	}
	techFitsPhone(t, b, "the register entry", "[data-testid=history]", "[data-testid=technology-name]")

	// Someone else saves while the manager has the form open.
	b.Click("a[href='/governance/technology/" + bed.ID + "/edit']")
	e, err := s.Tech.Get(s.Ctx, s.Manager.Actor, bed.ID)
	if err != nil {
		t.Fatal(err)
	}
	other := e.Technology
	other.PolicyReference = "POL-99"
	other.PolicyReviewMonths = 12
	s.Clock.Advance(time.Minute)
	if _, err := s.Tech.Save(s.Ctx, s.Manager.Actor, other, "Policy added"); err != nil {
		t.Fatal(err)
	}
	b.Fill("#contingency", "Hourly checks, agreed with each person")
	b.Fill("#change_reason", "Contingency agreed with the residents' forum")
	b.Click("#save-technology")
	b.MustSee("Someone else changed this register entry while you were editing it (now version 3)")
	contingency := techValue(t, b, "#contingency")
	if contingency != "Hourly checks, agreed with each person" {
		t.Errorf("the contingency typed was not kept: %q", contingency)
	}
	b.Click("#save-technology")
	b.MustSee("Version 4: Contingency agreed with the residents' forum")
	b.MustSee("Hourly checks, agreed with each person")
}
