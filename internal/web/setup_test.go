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
