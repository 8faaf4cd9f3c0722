package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// Bad input: a date typed into the register's boxes that is not a real
// date is refused naming the field, and nothing is saved (without the
// check the register would read it as no date at all).
func TestTheRegisterRefusesADateThatIsNotARealDate(t *testing.T) {
	s, _ := techScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	before := s.Count(`SELECT COUNT(*) FROM tech_technologies`)
	r := c.Post("/governance/technology", url.Values{"name": {"NightSound"}, "supplier": {"Acme"},
		"dtac_date_day": {"31"}, "dtac_date_month": {"2"}, "dtac_date_year": {"2026"}, "dtac_outcome": {"pass"}})
	if r.Status != 422 {
		t.Fatalf("status %d, want 422", r.Status)
	}
	if !strings.Contains(r.Body, "DTAC date must be a real date") {
		t.Errorf("the page does not name the field and the rule:\n%.2000s", r.Body)
	}
	if after := s.Count(`SELECT COUNT(*) FROM tech_technologies`); after != before {
		t.Errorf("%d technologies before, %d after", before, after)
	}
}
