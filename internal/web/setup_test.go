package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
)

func TestTheLocationsPagesAreForTheRolesThatManageLocations(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	cases := []struct {
		who  apptest.Staff
		want int
	}{
		{s.Manager, http.StatusOK},
		{s.Staff("admin", access.Administrator), http.StatusOK},
		{s.Carer, http.StatusForbidden},
		{s.Staff("iglead", access.IGLead, s.Home), http.StatusForbidden},
	}
	for _, tc := range cases {
		c := s.Client(srv.URL)
		c.SignIn(tc.who)
		if r := c.Get("/admin/locations"); r.Status != tc.want {
			t.Errorf("%s: status %d, want %d", tc.who.Role.Title(), r.Status, tc.want)
		}
	}
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	r := c.Post("/admin/locations", url.Values{"name": {""}, "kind": {"hospital"}, "cqc_location_id": {"99"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Enter the location&#39;s name") ||
		!strings.Contains(r.Body, "Choose care home, nursing home") || !strings.Contains(r.Body, "CQC location ID must be") {
		t.Fatalf("bad input: %d\n%s", r.Status, r.Body)
	}
	r = c.Post("/admin/locations/"+s.Home.ID+"/close", nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "cannot close while 1 person is placed there") {
		t.Fatalf("closing a location with people: %d\n%s", r.Status, r.Body)
	}
}

func TestAdmittingSomeoneFromTheFormAndWhatTheyAreRefused(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	r := c.Get("/people/new")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Rowan House (Care home)") {
		t.Fatalf("the admission form: %d\n%s", r.Status, r.Body)
	}
	form := func(change func(url.Values)) url.Values {
		f := url.Values{"location": {s.Home.ID}, "given_name": {"Bryn"}, "family_name": {"Evans"}, "dob_day": {"2"}, "dob_month": {"9"},
			"dob_year": {"1947"}, "nhs_number": {"401 023 2137"}, "sex": {"male"}, "start_day": {"3"}, "start_month": {"3"}, "start_year": {"2026"}}
		change(f)
		return f
	}
	cases := []struct {
		name   string
		change func(url.Values)
		want   string
	}{
		{"an invalid NHS number", func(f url.Values) { f.Set("nhs_number", "401 023 2138") }, "NHS number must be 10 digits with a valid check digit"},
		{"a duplicate NHS number", func(f url.Values) { f.Set("nhs_number", s.AnnNHS) }, "Someone with this NHS number is already registered"},
		{"a date of birth that is not a date", func(f url.Values) { f.Set("dob_day", "31"); f.Set("dob_month", "2") }, "Date of birth must be a real date"},
		{"no date of birth", func(f url.Values) { f.Del("dob_day"); f.Del("dob_month"); f.Del("dob_year") }, "Enter the date of birth"},
		{"a location the manager does not run", func(f url.Values) { f.Set("location", s.Location("Riverside", "home_care_branch").ID) },
			"You can only admit people to a location you manage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post("/people/new", form(tc.change))
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(strings.ReplaceAll(r.Body, "&#39;", "'"), tc.want) {
				t.Fatalf("status %d, want %q\n%s", r.Status, tc.want, r.Body)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM people`); n != 1 {
		t.Fatalf("refused admissions made %d people", n-1)
	}
	r = c.Post("/people/new", form(func(url.Values) {}))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "?admitted=1") {
		t.Fatalf("admitting Bryn: %d\n%s", r.Status, r.Body)
	}
	r = c.Get(r.Location)
	for _, want := range []string{"Bryn is admitted to Rowan House", "401 023 2137", "Male", "Care started", "3 March 2026", "Rowan House, from 3 March 2026 (now)"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("Bryn's page lacks %q", want)
		}
	}
	// Same name and date of birth: a warning to confirm.
	twin := form(func(f url.Values) { f.Del("nhs_number") })
	r = c.Post("/people/new", twin)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "They may already be registered") || !strings.Contains(r.Body, `id="confirm_new"`) {
		t.Fatalf("a second Bryn Evans born the same day: %d\n%s", r.Status, r.Body)
	}
	twin.Set("confirm_new", "yes")
	if r = c.Post("/people/new", twin); r.Status != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", r.Status, r.Body)
	}
	// A care worker has no location to admit to.
	cw := s.Client(srv.URL)
	cw.SignIn(s.Carer)
	if r := cw.Get("/people/new"); !strings.Contains(r.Body, "you do not manage one") {
		t.Fatalf("a care worker's admission form:\n%s", r.Body)
	}
}
