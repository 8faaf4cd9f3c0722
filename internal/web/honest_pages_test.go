package web_test

import (
	"net/http"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
)

// A son with a lasting power of attorney for property and finance sees
// whose record it is, and nothing about care: his home page must not say he
// can read or add to the record, and it offers no link that ends in
// "Denied". What it offers comes from the door's own rules (Scope.Would).
func TestAPropertyAndFinanceAttorneysHomePageOffersOnlyWhatHisAuthorityAllows(t *testing.T) {
	s := apptest.NewScenario(t)
	tom := portalAccount(t, s, "tom.jones", "Tom Jones", consent.AuthorityLPAPropertyFinance)
	c := s.Client(s.Server().URL)
	c.SignIn(tom)
	home := c.Get("/my/" + s.Ann.ID)
	if home.Status != http.StatusOK {
		t.Fatalf("status %d", home.Status)
	}
	for _, never := range []string{"You can read it", "add to it", `href="/my/` + s.Ann.ID + `/record"`, `href="/my/` + s.Ann.ID + `/history"`,
		`href="/my/` + s.Ann.ID + `/consent"`, `href="/my/` + s.Ann.ID + `/copy"`} {
		if strings.Contains(home.Body, never) {
			t.Errorf("Tom's home page offers %q", never)
		}
	}
	if !strings.Contains(home.Body, "Your recorded authority does not cover Ann") {
		t.Error("Tom is not told why he cannot read the care record")
	}
	// Every link it does offer to Ann's record opens.
	for _, link := range linksTo(home.Body, "/my/"+s.Ann.ID) {
		if r := c.Get(link); r.Status != http.StatusOK || strings.Contains(r.Body, "Denied") {
			t.Errorf("Tom's link %s: %d", link, r.Status)
		}
	}

	// Ann herself is offered all of it.
	ann := portalAccount(t, s, "ann.jones", "", "")
	a := s.Client(s.Server().URL)
	a.SignIn(ann)
	page := a.Get("/my/" + s.Ann.ID)
	for _, want := range []string{"You can read it and add to it", `href="/my/` + s.Ann.ID + `/record"`, `href="/my/` + s.Ann.ID + `/history"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("Ann's home page does not offer %q", want)
		}
	}
}

// Opening a blank consent form to print is a read of the consent page, not
// "recorded consent" in the person's history.
func TestOpeningABlankConsentFormIsNotRecordedAsRecordingConsent(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	r := c.Get("/people/" + s.Ann.ID + "/consent/form?purpose=photographs")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
	evs, err := s.Audit.ByRequest(s.Ctx, r.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Action == "record-consent" {
			t.Fatalf("opening a blank form was audited as recording consent: %+v", e)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'record-consent'`); n != 0 {
		t.Fatalf("%d record-consent events from opening a form", n)
	}
}

// linksTo lists the hrefs in body that start with prefix.
func linksTo(body, prefix string) []string {
	var out []string
	for _, part := range strings.Split(body, `href="`)[1:] {
		href := part[:strings.Index(part, `"`)]
		if strings.HasPrefix(href, prefix+"/") {
			out = append(out, strings.ReplaceAll(href, "&amp;", "&"))
		}
	}
	return out
}

// The information governance lead may see who a person is but not their
// care record: the person page links no section that would end in Denied,
// and still links the ones she may open. The care worker sees them all.
func TestThePersonPageLinksOnlySectionsTheViewerMayOpen(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	for _, who := range []struct {
		name  string
		staff apptest.Staff
		must  []string
	}{
		{"the IG lead", ig, []string{"/consent"}},
		{"Ann's care worker", s.Carer, []string{"/notes", "/care-plans", "/medicines", "/consent"}},
	} {
		t.Run(who.name, func(t *testing.T) {
			c := s.Client(s.Server().URL)
			c.SignIn(who.staff)
			page := c.Get("/people/" + s.Ann.ID)
			if page.Status != http.StatusOK {
				t.Fatalf("status %d", page.Status)
			}
			links := linksTo(page.Body, "/people/"+s.Ann.ID)
			for _, want := range who.must {
				if !strings.Contains(strings.Join(links, " "), "/people/"+s.Ann.ID+want) {
					t.Errorf("no link to %s", want)
				}
			}
			for _, l := range links {
				if r := c.Get(l); r.Status == http.StatusForbidden || r.Status == http.StatusNotFound {
					t.Errorf("%s ends in %d", l, r.Status)
				}
			}
		})
	}
}
