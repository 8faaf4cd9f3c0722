package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// Kind failures (issue 12 item 5): when the database is full, read-only,
// unreachable or stalled, a page answers 503 with Retry-After and words a
// care worker understands, a form is shown again with everything typed and
// the same idempotency key, the server serves again by itself when the
// database is back, and a form sent again is never saved twice.

var (
	formTag     = regexp.MustCompile(`(?s)<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// formFields returns the hidden fields of the first form on the page that
// posts to action and holds the text marker (any, when empty).
func formFields(t *testing.T, body, action, marker string) url.Values {
	t.Helper()
	for _, m := range formTag.FindAllStringSubmatch(body, -1) {
		if html.UnescapeString(m[1]) != action || !strings.Contains(m[2], marker) {
			continue
		}
		f := url.Values{}
		for _, in := range hiddenInput.FindAllStringSubmatch(m[2], -1) {
			f.Add(in[1], html.UnescapeString(in[2]))
		}
		return f
	}
	t.Fatalf("no form posting to %s holding %q on the page:\n%s", action, marker, body)
	return nil
}

// faultyScenario is the usual cast; on PostgreSQL the app reaches the
// database through a fault proxy, and every request has a deadline.
func faultyScenario(t *testing.T) (*apptest.Scenario, *storetest.Proxy) {
	t.Helper()
	opts := apptest.Options{RequestTimeout: 3 * time.Second, Timeouts: store.Timeouts{Connect: 2 * time.Second}}
	var proxy *storetest.Proxy
	if storetest.Engine() == "postgres" {
		opts.Through = func(dsn string) string { d, p := storetest.Through(t, dsn); proxy = p; return d }
	}
	return apptest.NewScenarioWith(t, opts), proxy
}

// outage is one way the database fails, and how it comes back.
type outage struct {
	name        string
	start, stop func()
	// roomLeft: a full database whose pages still have room for a small
	// write (the heartbeat, an audit event) though not for a long note.
	roomLeft bool
}

func outages(t *testing.T, s *apptest.Scenario, proxy *storetest.Proxy) []outage {
	if proxy == nil {
		return []outage{
			{name: "the SQLite file is read-only",
				start: func() { storetest.OnEveryConnection(t, s.DB, `PRAGMA query_only = 1`) },
				stop:  func() { storetest.OnEveryConnection(t, s.DB, `PRAGMA query_only = 0`) }},
			{name: "the disk is full", roomLeft: true,
				start: func() {
					// No page beyond those the file has now, and none of
					// them free: the disk is full.
					storetest.Tamper(t, s.DB, `CREATE TABLE disk_filler (b BLOB)`)
					var pages int
					if err := s.DB.QueryRow(s.Ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
						t.Fatal(err)
					}
					storetest.OnEveryConnection(t, s.DB, `PRAGMA max_page_count = `+strconv.Itoa(pages))
					for i := 0; i < 10000; i++ {
						if _, err := s.DB.Exec(s.Ctx, `INSERT INTO disk_filler (b) VALUES (zeroblob(1000))`); err != nil {
							break
						}
					}
				},
				stop: func() { storetest.OnEveryConnection(t, s.DB, `PRAGMA max_page_count = 1073741823`) }},
		}
	}
	return []outage{
		{name: "PostgreSQL is unreachable", start: proxy.Cut, stop: proxy.Restore},
		{name: "PostgreSQL has stalled", start: proxy.Stall, stop: proxy.Restore},
		{name: "PostgreSQL is read-only",
			start: func() { storetest.OnEveryConnection(t, s.DB, `SET default_transaction_read_only = on`) },
			stop:  func() { storetest.OnEveryConnection(t, s.DB, `SET default_transaction_read_only = off`) }},
	}
}

// noteForm is the daily notes form as a care worker fills it in.
func noteForm(t *testing.T, c *apptest.Client, s *apptest.Scenario, body string) (string, url.Values) {
	t.Helper()
	path := "/people/" + s.Ann.ID + "/notes"
	page := c.Get(path)
	if page.Status != http.StatusOK {
		t.Fatalf("notes page: %d", page.Status)
	}
	f := formFields(t, page.Body, path, `name="body"`)
	if f.Get("idem") == "" {
		t.Fatalf("the notes form carries no idempotency key: %v", f)
	}
	at := s.Clock.Now().Add(-10 * time.Minute)
	f.Set("category", "mood")
	f.Set("body", body)
	f.Set("care_date", at.Format("2006-01-02"))
	f.Set("care_time", at.Format("15:04"))
	return path, f
}

func TestWhenTheDatabaseCannotSaveTheFormComesBackWithEverythingTypedAndSendsOnceItIsBack(t *testing.T) {
	names := []string{"the SQLite file is read-only", "the disk is full"}
	if storetest.Engine() == "postgres" {
		names = []string{"PostgreSQL is unreachable", "PostgreSQL has stalled", "PostgreSQL is read-only"}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, proxy := faultyScenario(t)
			o := outagesByName(t, s, proxy, name)
			srv := s.Server()
			c := s.Client(srv.URL)
			c.SignIn(s.Carer)
			// Longer than a page in bytes, in under 4,000 characters: a
			// full disk has no room for it.
			note := "Ann chose the blue cardigan and walked to the garden with her frame. " + strings.Repeat("Ŵyr Ann — ", 380)
			path, form := noteForm(t, c, s, note)
			if r := c.Get("/readyz"); r.Status != http.StatusOK {
				t.Fatalf("/readyz before the outage: %d", r.Status)
			}

			o.start()
			r := c.PostRaw(path, form)
			if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Fatalf("saving a note: %d (Retry-After %q), want 503 with Retry-After\n%s", r.Status, r.Header.Get("Retry-After"), r.Body)
			}
			for _, want := range []string{"Hearth cannot save right now", "has not been saved", "Send it again", "Ann chose the blue cardigan"} {
				if !strings.Contains(r.Body, want) {
					t.Errorf("the page does not say %q:\n%s", want, r.Body)
				}
			}
			again := formFields(t, r.Body, path, `id="send-again"`)
			for _, field := range []string{"csrf", "idem", "body", "category", "care_date", "care_time"} {
				if again.Get(field) != form.Get(field) {
					t.Errorf("sent again, %s is %q, want %q as typed", field, again.Get(field), form.Get(field))
				}
			}
			if h := c.Get("/healthz"); h.Status != http.StatusOK {
				t.Errorf("/healthz during the outage: %d, want 200 (the process is alive)", h.Status)
			}
			if ready := c.Get("/readyz"); ready.Status != http.StatusServiceUnavailable && !o.roomLeft {
				t.Errorf("/readyz during the outage: %d, want 503", ready.Status)
			}
			// Reading a record writes its audit event first, so a page
			// about a person cannot open either; it says so.
			if page := c.Get(path); o.roomLeft {
				// Its audit event still fits.
			} else if page.Status != http.StatusServiceUnavailable || !strings.Contains(page.Body, "Hearth cannot open this page right now") ||
				page.Header.Get("Retry-After") == "" {
				t.Errorf("opening a page during %s: %d, want 503 saying so\n%s", o.name, page.Status, page.Body)
			}

			o.stop()
			r = c.PostRaw(path, again)
			if r.Status != http.StatusSeeOther || r.Location != path {
				t.Fatalf("sent again once the database was back: %d %q, want 303 to %s\n%s", r.Status, r.Location, path, r.Body)
			}
			if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); n != 1 {
				t.Errorf("%d notes, want 1", n)
			}
			if ready := c.Get("/readyz"); ready.Status != http.StatusOK {
				t.Errorf("/readyz once the database was back: %d, want 200", ready.Status)
			}
		})
	}
}

func outagesByName(t *testing.T, s *apptest.Scenario, proxy *storetest.Proxy, name string) outage {
	for _, o := range outages(t, s, proxy) {
		if o.name == name {
			return o
		}
	}
	t.Fatalf("no outage %q", name)
	return outage{}
}

func TestSigningInWhileTheDatabaseIsUnreachableSaysSoAndKeepsTheUsername(t *testing.T) {
	s, proxy := faultyScenario(t)
	o := outages(t, s, proxy)[0]
	srv := s.Server()
	c := s.Client(srv.URL)
	c.Get("/signin")
	o.start()
	r := c.Post("/signin", url.Values{"username": {s.Carer.Username}, "password": {apptest.Password}})
	if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("signing in: %d, want 503 with Retry-After\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, "Send it again") || !strings.Contains(r.Body, `value="`+s.Carer.Username+`"`) {
		t.Errorf("the sign-in page does not say to try again, keeping the username:\n%s", r.Body)
	}
	if strings.Contains(r.Body, apptest.Password) {
		t.Error("the password was sent back to the browser")
	}
	o.stop()
	c.SignIn(s.Carer)
}

// The connection to PostgreSQL breaks just after COMMIT is sent: the note
// is saved and audited, but Hearth never hears so and cannot look. The
// care worker is told plainly that Hearth cannot tell; sending the form
// again finds the first note and shows it, and there is exactly one.
func TestAFormSentAgainAfterTheConnectionDroppedAtCommitIsSavedOnce(t *testing.T) {
	if storetest.Engine() != "postgres" {
		t.Skip("a network between Hearth and PostgreSQL")
	}
	s, proxy := faultyScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)
	path, form := noteForm(t, c, s, "Ann's daughter visited and they looked at photographs")

	proxy.DropAtCommit("INSERT INTO daily_notes", true)
	r := c.PostRaw(path, form)
	if proxy.Dropped() != 1 {
		t.Fatalf("%d commits dropped, want 1", proxy.Dropped())
	}
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "Hearth cannot tell whether this was saved") ||
		!strings.Contains(r.Body, "it will not be saved twice") {
		t.Fatalf("after the commit's answer was lost: %d, want 503 saying Hearth cannot tell\n%s", r.Status, r.Body)
	}
	again := formFields(t, r.Body, path, `id="send-again"`)
	if again.Get("idem") != form.Get("idem") {
		t.Fatalf("the form to send again has key %q, want the first %q", again.Get("idem"), form.Get("idem"))
	}

	proxy.Restore()
	if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); n != 1 {
		t.Fatalf("%d notes after the lost answer, want 1 (PostgreSQL committed it)", n)
	}
	for i := range 2 {
		r = c.PostRaw(path, again)
		if r.Status != http.StatusSeeOther || r.Location != path {
			t.Fatalf("sending it again (%d): %d %q, want 303 to the notes\n%s", i+1, r.Status, r.Location, r.Body)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); n != 1 {
		t.Errorf("%d notes after sending it again, want exactly 1", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-record'`, s.Carer.ID); n != 1 {
		t.Errorf("%d write-record events, want the one saved with the note", n)
	}
	if notes := c.Get(path); !strings.Contains(notes.Body, "looked at photographs") {
		t.Error("the notes page does not show the saved note")
	}
}

func TestAFormSentTwiceIsSavedOnceAndAnsweredAlike(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)

	t.Run("one after the other", func(t *testing.T) {
		path, form := noteForm(t, c, s, "Ann slept well")
		first, second := c.PostRaw(path, form), c.PostRaw(path, form)
		if first.Status != http.StatusSeeOther || second.Status != first.Status || second.Location != first.Location {
			t.Fatalf("first %d %q, second %d %q: want the same 303", first.Status, first.Location, second.Status, second.Location)
		}
		if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE body = 'Ann slept well'`); n != 1 {
			t.Errorf("%d notes, want 1", n)
		}
	})
	t.Run("both at once, as a double press", func(t *testing.T) {
		path, form := noteForm(t, c, s, "Ann had porridge")
		var wg sync.WaitGroup
		got := make([]apptest.Response, 4)
		for i := range got {
			wg.Go(func() { got[i] = c.PostRaw(path, form) })
		}
		wg.Wait()
		for i, r := range got {
			if r.Status != http.StatusSeeOther || r.Location != path {
				t.Errorf("press %d: %d %q, want 303 to %s\n%s", i+1, r.Status, r.Location, path, r.Body)
			}
		}
		if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE body = 'Ann had porridge'`); n != 1 {
			t.Errorf("%d notes, want 1", n)
		}
	})
	t.Run("a medicine dose", func(t *testing.T) {
		m, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, s.Ann.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg",
			Dose: "2 tablets", Route: "oral", PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: s.Clock.Now().AddDate(0, 0, -1),
			Prescriber: "Dr Rees", Source: "gp"})
		if err != nil {
			t.Fatal(err)
		}
		path := "/people/" + s.Ann.ID + "/medicines/doses"
		page := c.Get("/people/" + s.Ann.ID + "/medicines")
		form := formFields(t, page.Body, path, `name="medicine" value="`+m.ID+`"`)
		form.Set("outcome", "given")
		first, second := c.PostRaw(path, form), c.PostRaw(path, form)
		if first.Status != http.StatusSeeOther || second.Status != http.StatusSeeOther || second.Location != first.Location {
			t.Fatalf("a dose sent twice: %d %q then %d %q, want the same 303 both times\n%s", first.Status, first.Location,
				second.Status, second.Location, second.Body)
		}
		if n := s.Count(`SELECT COUNT(*) FROM medicine_doses WHERE medicine_id = ?`, m.ID); n != 1 {
			t.Errorf("%d doses recorded, want 1", n)
		}
	})
}

// Bad input: a key that was used for one form, sent with another.
func TestAKeyUsedForADifferentFormIsRefusedAndChangesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Carer)
	path, form := noteForm(t, c, s, "Ann read the paper")
	if r := c.PostRaw(path, form); r.Status != http.StatusSeeOther {
		t.Fatalf("first: %d", r.Status)
	}
	form.Set("body", "Ann went to bed early")
	r := c.PostRaw(path, form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This form was sent before with different details") {
		t.Fatalf("the same key with a different note: %d, want 422 saying why\n%s", r.Status, r.Body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM daily_notes WHERE person_id = ?`, s.Ann.ID); n != 1 {
		t.Errorf("%d notes, want only the first", n)
	}
	form.Set("idem", "not a key!")
	if r := c.PostRaw(path, form); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a malformed key: %d, want 422", r.Status)
	}
}

func TestEveryFormCarriesItsOwnIdempotencyKey(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	page := c.Get("/people/" + s.Ann.ID + "/medicines")
	forms := formTag.FindAllStringSubmatch(page.Body, -1)
	if len(forms) < 2 {
		t.Fatalf("only %d forms on the medicines page", len(forms))
	}
	seen := map[string]bool{}
	for _, m := range forms {
		if !strings.Contains(m[0], `method="post"`) {
			continue
		}
		keys := regexp.MustCompile(`name="idem" value="([^"]+)"`).FindAllStringSubmatch(m[2], -1)
		if len(keys) != 1 {
			t.Errorf("a form posting to %s has %d keys, want 1", m[1], len(keys))
			continue
		}
		if seen[keys[0][1]] {
			t.Errorf("two forms share the key %s", keys[0][1])
		}
		seen[keys[0][1]] = true
	}
}
