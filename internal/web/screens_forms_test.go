package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/apptest"
)

// Every form that writes carries a CSRF token and one idempotency key of
// its own, on every page a manager and a care worker use, so a double
// press cannot record twice anywhere (issue 15).
func TestEveryWritingFormOnTheCarePagesCarriesAnIdempotencyKey(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	key := regexp.MustCompile(`name="idem" value="([^"]+)"`)
	for _, who := range []apptest.Staff{s.Manager, s.Carer} {
		c := s.Client(srv.URL)
		c.SignIn(who)
		seen := map[string]bool{}
		forms := 0
		for _, section := range []string{"", "/notes", "/observations", "/medicines", "/visits", "/care-plans", "/care-plans/new",
			"/about-me", "/risks", "/consent", "/technology", "/history"} {
			path := "/people/" + s.Ann.ID + section
			page := c.Get(path)
			if page.Status != http.StatusOK {
				continue // a page this role does not have
			}
			for _, m := range formTag.FindAllStringSubmatch(page.Body, -1) {
				if !strings.Contains(m[0], `method="post"`) {
					continue
				}
				forms++
				if !strings.Contains(m[2], `name="csrf"`) {
					t.Errorf("%s: a form posting to %s has no CSRF token", path, m[1])
				}
				keys := key.FindAllStringSubmatch(m[2], -1)
				if len(keys) != 1 {
					t.Errorf("%s: a form posting to %s has %d idempotency keys, want 1", path, m[1], len(keys))
					continue
				}
				if seen[keys[0][1]] {
					t.Errorf("%s: two forms share the key %s", path, keys[0][1])
				}
				seen[keys[0][1]] = true
			}
		}
		if forms < 10 {
			t.Errorf("%s: only %d writing forms found on the care pages; the walk is not reaching them", who.Username, forms)
		}
	}
}

// A drink sent twice with its time typed in the date boxes is recorded
// once: the boxes are joined the same way each time, so the second send is
// recognised as the first.
func TestADrinkWithItsTimeInBoxesSentTwiceIsRecordedOnce(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	path := "/people/" + s.Ann.ID + "/observations"
	page := c.Get(path)
	form := formFields(t, page.Body, path, `id="save-fluid"`)
	form.Set("amount", "150")
	now := s.Clock.Now().In(london(t))
	form.Set("direction", "in")
	form.Set("when_day", itoa(now.Day()))
	form.Set("when_month", itoa(int(now.Month())))
	form.Set("when_year", itoa(now.Year()))
	form.Set("when_hour", itoa(now.Hour()))
	form.Set("when_minute", "00")
	first, second := c.PostRaw(path, form), c.PostRaw(path, form)
	if first.Status != http.StatusSeeOther || second.Status != first.Status || second.Location != first.Location {
		t.Fatalf("first %d %q, second %d %q: want the same 303\n%s", first.Status, first.Location, second.Status, second.Location, second.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM observations WHERE person_id = ? AND amount_ml = 150`, s.Ann.ID); n != 1 {
		t.Errorf("%d drinks recorded, want 1", n)
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}
