package web_test

import (
	"regexp"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
)

var menuItem = regexp.MustCompile(`nhsuk-header__navigation-link" href="([^"]+)">([^<]+)</a>`)

func TestTheMenuOffersThePagesEachRoleCanUse(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	admin := s.Staff("admin", access.Administrator)
	inspector := s.Inspector("inspector")
	cases := []struct {
		who  apptest.Staff
		want string
	}{
		{s.Carer, "Your people, My shift"},
		{s.Manager, "Your people, Needs attention, Admit someone, My shift, Technology, Concerns, Training, Corrections, Withheld items, Incidents, Retention, Policies, Evidence report, Locations, Staff"},
		{ig, "Your people, Technology, Break-glass reviews, Withheld items, Inspections, Data-sharing agreements, Incidents, Retention, Policies, Evidence report"},
		{admin, "Your people, Partner systems, Locations, Staff, Import"},
		{inspector, "Inspection"},
	}
	srv := s.Server()
	for _, tc := range cases {
		c := s.Client(srv.URL)
		c.SignIn(tc.who)
		var got []string
		for _, m := range menuItem.FindAllStringSubmatch(c.Get("/").Body, -1) {
			got = append(got, m[2])
		}
		if strings.Join(got, ", ") != tc.want {
			t.Errorf("%s's menu: %q, want %q", tc.who.Username, strings.Join(got, ", "), tc.want)
		}
	}
}
