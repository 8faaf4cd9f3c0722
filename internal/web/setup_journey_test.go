package web_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// A registered manager opens a nursing home from the menu, is told plainly
// what is wrong with a bad CQC ID, renames the home and closes it; its
// history says who did what. Rowan House, where Ann lives, cannot close.
func TestJourneyAManagerOpensRenamesAndClosesALocation(t *testing.T) {
	s := apptest.NewScenario(t)
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)
	clickMenu(t, b, "/admin/locations")
	b.MustSee("Open a location")
	b.MustSee("Rowan House")
	// The provider's registration numbers, checked as typed.
	b.Click("#provider-details")
	b.Fill("#cqc_provider_id", "101234567")
	b.Click("#save-provider")
	b.MustSee(`CQC provider ID must be "1-" followed by digits`)
	b.Fill("#cqc_provider_id", "1-101234567")
	b.Fill("#ods_code", "vnx12")
	b.Click("#save-provider")
	b.MustSee("Test Care Ltd · CQC 1-101234567 · ODS VNX12")
	b.Fill("#name", "Elm Court")
	b.Click("label[for=kind-nursing_home]")
	b.Fill("#cqc_location_id", "CQC-99")
	b.Click("#open-location")
	b.MustSee(`CQC location ID must be "1-" followed by digits`)
	b.Fill("#cqc_location_id", "1-123456789")
	b.Click("#open-location")
	b.MustSee("Elm Court is open. You manage it")
	b.MustSee("Nursing home · CQC 1-123456789")
	b.Fill("#name", "Elm Court Nursing Home")
	b.Click("#rename")
	if got := b.Text("[data-testid=location-name]"); got != "Elm Court Nursing Home" {
		t.Fatalf("after renaming the heading is %q", got)
	}
	b.MustSee("renamed from Elm Court to Elm Court Nursing Home by Test manager")
	b.Click("#close-location")
	if got := b.Text("[data-testid=status]"); !strings.HasPrefix(got, "Closed on") {
		t.Fatalf("after closing the status is %q", got)
	}
	b.MustSee("closed by Test manager")

	b.Go("/admin/locations")
	b.Click("a[href='/admin/locations/" + s.Home.ID + "']")
	b.MustSee("Rowan House cannot close while people are placed here")
	b.Click("#close-location")
	b.MustSee("Rowan House cannot close while 1 person is placed there. Move them to another location or end their care first.")
}

// A registered manager invites a care worker; the care worker opens the
// link in their own browser, chooses a password, sets up their
// authenticator and reaches their (empty) list. The manager then changes
// them to a senior carer, asks for their authenticator to be reset (a
// deputy approves it), and finally records them as a leaver. A reused link
// says so plainly.
func TestJourneyStaffAreInvitedChangedResetAndLeave(t *testing.T) {
	s := apptest.NewScenario(t)
	deputy := s.Staff("deputy", access.RegisteredManager, s.Home)
	srv := s.Server()
	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, s.Manager)
	clickMenu(t, b, "/staff")
	b.MustSee("Members of staff")
	b.Click("#invite")
	for _, role := range []string{"Care worker", "Senior carer", "Nurse", "Registered manager"} {
		b.MustSee(role)
	}
	if strings.Contains(b.Text("main"), "Administrator") || strings.Contains(b.Text("main"), "Information governance lead") {
		t.Fatal("a registered manager is offered roles above their own")
	}
	b.Fill("#name", "Sam Patel")
	b.Fill("#username", "sam patel")
	b.Click("#send-invitation")
	b.MustSee("Username must be 3 to 64 letters")
	b.MustSee("Choose a role")
	b.Fill("#username", "sam.patel")
	b.Click("label[for=role-care_worker]")
	b.Click("label[for='location-" + s.Home.ID + "']")
	b.Click("#send-invitation")
	b.MustSee("Sam Patel is invited")
	link := b.Text("[data-testid=invitation-link]")
	if !strings.Contains(link, "/invitation/") {
		t.Fatalf("the link shown is %q", link)
	}
	b.MustSee("Sam Patel (sam.patel), Care worker: invited by Test manager")

	sam := browsertest.New(t)
	sam.Base = srv.URL
	sam.Go(link)
	sam.MustSee("Test manager invited you, Sam Patel, to Hearth as Care worker at Rowan House")
	sam.Fill("#password", "a short one")
	sam.Fill("#password2", "a short one")
	sam.Click("#accept")
	sam.MustSee("Password must be at least 12 characters long")
	sam.Fill("#password", "sam's long enough passphrase")
	sam.Fill("#password2", "sam's long enough passphrase")
	sam.Click("#accept")
	sam.MustSee("Set up your authenticator app")
	secret := sam.Text("[data-testid=totp-secret]")
	sam.Fill("#code", accounts.Code(secret, s.Clock.Now()))
	sam.Click("#confirm-code")
	sam.MustSee("Save your recovery codes")
	sam.Click("#continue")
	sam.MustSee("Your people")
	sam.MustSee("Sam Patel")

	// The link works once.
	other := browsertest.New(t)
	other.Go(link)
	other.MustSee("This invitation has already been used. Sign in with the username and password you chose.")

	b.Go("/staff")
	u, err := s.Accounts.ByUsername(s.Ctx, "sam.patel")
	if err != nil {
		t.Fatal(err)
	}
	b.Click("a[href='/staff/" + u.ID + "']")
	b.MustSee("Sam Patel")
	b.Click("label[for=role-senior_carer]")
	b.Click("#save-staff")
	b.MustSee("Their role and locations are changed")
	if got := b.Text("[data-testid=role]"); got != "Senior carer" {
		t.Fatalf("role shown: %q", got)
	}
	b.Fill("#reason", "Lost phone and codes; checked in person")
	b.Click("#ask-reset")
	b.MustSee("The reset is waiting for a second senior member of staff")
	b.Go("/staff")
	b.MustSee("Lost phone and codes; checked in person (asked by Test manager")

	d := browsertest.New(t)
	d.Base = srv.URL
	staffSignIn(t, s, d, deputy)
	d.Go("/staff")
	d.Click("button[id^=approve-]")
	d.Go("/staff/" + u.ID)
	if got := d.Text("[data-testid=status]"); got != "Authenticator not set up yet" {
		t.Fatalf("after the reset the status reads %q", got)
	}
	sam.Go("/")
	sam.MustSee("Sign in")

	b.Go("/staff/" + u.ID)
	b.Click("#leaver")
	b.MustSee("Sam Patel has left: they can no longer sign in")
	if got := b.Text("[data-testid=status]"); got != "Left" {
		t.Fatalf("after leaving the status reads %q", got)
	}
}

// A registered manager admits Bryn from the menu (a wrong NHS number is
// refused plainly), puts a care worker on his team, sees the team at the
// home, moves him to a new nursing home and then ends his care. The care
// worker finds him by part of his name while his care goes on, and not
// after; the manager still finds him when asking for ended care too.
func TestJourneyAManagerAdmitsMovesAndEndsCareAndACareWorkerFindsThem(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, s.Manager)
	clickMenu(t, b, "/people/new")
	b.MustSee("Admit someone")
	b.Fill("#given_name", "Bryn")
	b.Fill("#family_name", "Evans")
	b.Fill("#dob_day", "2")
	b.Fill("#dob_month", "9")
	b.Fill("#dob_year", "1947")
	b.Fill("#nhs_number", "401 023 2138")
	b.Click("label[for=sex-male]")
	b.Fill("#gender", "Man")
	b.Fill("#gp_practice", "Riverside Surgery")
	b.Click("#admit")
	b.MustSee("NHS number must be 10 digits with a valid check digit")
	b.Fill("#nhs_number", "401 023 2137")
	b.Click("#admit")
	b.MustSee("Bryn is admitted to Rowan House")
	b.MustSee("Riverside Surgery")
	b.Click("#add-member")
	b.Fill("#user_id", s.OtherCarer.ID)
	b.Click("#add-to-team")
	if got := b.Text("[data-testid=care-team]"); !strings.Contains(got, "Test other – Care worker") {
		t.Fatalf("Bryn's team reads %q", got)
	}
	bryn := strings.TrimPrefix(b.URL(), srv.URL+"/people/")
	bryn = strings.Split(strings.Split(bryn, "?")[0], "#")[0]
	// A second membership, ended the same day, with its dates shown.
	b.Click("#add-member")
	b.Fill("#user_id", s.Carer.ID)
	b.Click("#add-to-team")
	b.Click("button[id^=end-]:not([id='end-care'])")
	if got := b.Text("[data-testid=care-team]"); !strings.Contains(got, "Test carer – Care worker, from 3 March 2026 to 3 March 2026") {
		t.Fatalf("after ending a membership Bryn's team reads %q", got)
	}

	// Another Bryn Evans born the same day: a warning, then confirmed.
	b.Go("/people/new")
	b.Fill("#given_name", "Bryn")
	b.Fill("#family_name", "Evans")
	b.Fill("#dob_day", "2")
	b.Fill("#dob_month", "9")
	b.Fill("#dob_year", "1947")
	b.Click("#admit")
	b.MustSee("They may already be registered")
	b.MustSee("1 person has the same name and date of birth")
	b.Click("label[for=confirm_new]")
	b.Click("#admit")
	b.MustSee("Bryn is admitted to Rowan House")
	b.Go("/people/" + bryn)

	b.Go("/locations/" + s.Home.ID + "/teams")
	b.MustSee("Care teams at Rowan House")
	if got := b.Text("[data-testid=teams]"); !strings.Contains(got, "Bryn Evans") || !strings.Contains(got, "Test other (Care worker)") ||
		!strings.Contains(got, "Test carer (Care worker)") {
		t.Fatalf("the teams at Rowan House read %q", got)
	}
	b.MustSee("Showing all 3 people")

	w := browsertest.New(t)
	w.Base = srv.URL
	staffSignIn(t, s, w, s.OtherCarer)
	w.Fill("#q", "bry")
	w.Click("#search")
	w.MustSee("Bryn Evans")
	w.MustSee("Showing all 1 person")

	b.Go("/admin/locations")
	b.Fill("#name", "Elm Court")
	b.Click("label[for=kind-nursing_home]")
	b.Click("#open-location")
	b.Go("/people/" + bryn)
	b.Click("#move")
	b.Run(setSelectByText("#location", "Elm Court"))
	b.Fill("#reason", "Needs nursing care")
	b.Click("#move-now")
	if got := b.Text("[data-testid=placements]"); !strings.Contains(got, "Elm Court, from") || !strings.Contains(got, "(now): Needs nursing care") ||
		!strings.Contains(got, "Rowan House, from") {
		t.Fatalf("after the move, where Bryn has been reads %q", got)
	}

	b.Click("#end-care")
	b.Click("#end-care-now")
	b.MustSee("Choose why care ended")
	b.Click("label[for=reason-discharged]")
	b.Fill("#note", "Home to his family")
	b.Click("#end-care-now")
	b.MustSee("This record is kept and is read-only: only corrections can be made.")
	b.MustSee("(Discharged): Home to his family")
	if strings.Contains(b.Text("main"), "Move Bryn") || strings.Contains(b.Text("main"), "Add someone to the care team") {
		t.Fatal("an ended record still offers changes")
	}

	w.Go("/")
	w.Fill("#q", "bry")
	w.Click("#search")
	w.MustSee("Nobody you may see matches that")

	// The manager finds only the other Bryn Evans, unless asking for ended
	// care too.
	b.Go("/")
	b.Fill("#q", "evans")
	b.Click("#search")
	b.MustSee("Showing all 1 person")
	if strings.Contains(b.Text("[data-testid=people]"), "Care ended") {
		t.Fatal("the ended Bryn is on the manager's list")
	}
	b.Go("/search?q=evans&ended=yes")
	b.MustSee("Showing all 2 people")
	b.MustSee("Care ended")
}

// setSelectByText chooses the option of a <select> whose text is text, as a
// person picking from the list would (Fill chooses by value).
func setSelectByText(selector, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector(` + strconv.Quote(selector) + `);
		for (const o of s.options) { if (o.text.trim() === ` + strconv.Quote(text) + `) { s.value = o.value; } }
		s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
}

// Who has seen Ann's record no longer stops without saying so: the page
// says how many there are, and the next page shows the older ones.
func TestJourneyTheAccessHistoryIsPagedWithACount(t *testing.T) {
	s := apptest.NewScenario(t)
	for range 60 {
		if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			t.Fatal(err)
		}
	}
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, s.Manager)
	// The person page shows the latest entries and links to the whole
	// history, which is paged with a count.
	b.Go("/people/" + s.Ann.ID)
	b.Click("[data-testid=whole-history]")
	if got := b.Text("[data-testid=pager-page] [data-testid=showing]"); !strings.HasPrefix(got, "Showing 1–50 of ") {
		t.Fatalf("the history's count reads %q", got)
	}
	b.Click("[data-testid=pager-page] [data-testid=next-page]")
	if got := b.Text("[data-testid=pager-page] [data-testid=showing]"); !strings.HasPrefix(got, "Showing 51–") {
		t.Fatalf("the second page's count reads %q", got)
	}
	b.MustSee("Test carer (Care worker)")
}

// The administrator imports people from a spreadsheet: a file with a
// wrong date is refused with the row and column named and nothing
// imported; the corrected file is checked (nothing changes) and then
// imported, and a registered manager finds the people it brought.
func TestJourneyTheAdministratorImportsPeopleFromACSVFile(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "given_name,family_name,date_of_birth,nhs_number,location\n"
	bad := write("residents.csv", header+"Siân,Llewellyn,14/02/1938,401 023 2137,Rowan House\nBryn,Evans,31/02/1947,,Rowan House\n")
	b := browsertest.New(t)
	b.Base = s.Server().URL
	staffSignIn(t, s, b, admin)
	clickMenu(t, b, "/admin/import")
	b.MustSee("Import records")
	b.Click("label[for=dry_run]") // untick: import for real
	b.Run(chromedp.SetUploadFiles("#file", []string{bad}))
	b.Click("#send-file")
	b.MustSee("residents.csv has 1 problem, so nothing was imported")
	if got := b.Text("[data-testid=import-problem]"); !strings.Contains(got, "3") || !strings.Contains(got, "date_of_birth") ||
		!strings.Contains(got, `"31/02/1947" is not a date`) {
		t.Fatalf("the problem reads %q", got)
	}
	// Put right in the spreadsheet and saved again, under the same name.
	good := write("residents.csv", header+"Siân,Llewellyn,14/02/1938,401 023 2137,Rowan House\nBryn,Evans,28/02/1947,,Rowan House\n")
	b.Click("label[for=dry_run]") // tick: only check
	b.Run(chromedp.SetUploadFiles("#file", []string{good}))
	b.Click("#send-file")
	b.MustSee("residents.csv is ready: 2 rows would be imported. Nothing was changed.")
	b.Click("label[for=dry_run]")
	b.Run(chromedp.SetUploadFiles("#file", []string{good}))
	b.Click("#send-file")
	b.MustSee("Imported 2 rows from residents.csv")

	m := browsertest.New(t)
	m.Base = b.Base
	staffSignIn(t, s, m, s.Manager)
	m.Fill("#q", "sian")
	m.Click("#search")
	m.MustSee("Siân Llewellyn")
}
