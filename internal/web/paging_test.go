package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

// Every list that grows is paged in a stable order with a visible count:
// nothing stops without saying so.
func TestListsThatGrowArePagedWithACount(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	for i := range 30 {
		if _, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: fmt.Sprintf("Note number %02d", i),
			CareAt: s.Clock.Now().Add(-time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 12 {
		if _, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.Fall, At: s.Clock.Now().Add(-time.Duration(i+1) * time.Hour),
			Place: "Lounge", Note: fmt.Sprintf("Fall number %02d", i), Injury: "None"}); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 { // more than a page of Ann's access history
		if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 22 {
		if _, err := s.People.Register(s.Ctx, s.Manager.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: fmt.Sprintf("Resident%02d", i),
			FamilyName: "Hughes", DateOfBirth: time.Date(1940, 1, 1+i, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.Client(srv.URL)
	c.SignIn(s.Manager)
	cases := []struct {
		name, path string
		want       []string
		not        []string
	}{
		{"daily notes, first page", "/people/" + s.Ann.ID + "/notes", []string{"Showing 1–25 of 30 notes", "Note number 00", "Note number 24", `data-testid="next-page"`},
			[]string{"Note number 25"}},
		{"daily notes, second page", "/people/" + s.Ann.ID + "/notes?page=2", []string{"Showing 26–30 of 30 notes", "Note number 29", `data-testid="previous-page"`},
			[]string{"Note number 24"}},
		{"falls, first page", "/people/" + s.Ann.ID + "/observations", []string{"Showing 1–10 of 12 falls", "Fall number 09"}, []string{"Fall number 10"}},
		{"falls, second page", "/people/" + s.Ann.ID + "/observations?falls=2", []string{"Showing 11–12 of 12 falls", "Fall number 11"}, nil},
		{"people, first page", "/", []string{"Showing 1–20 of 23 people", "Resident00 Hughes"}, []string{"Ann Jones"}},
		{"people, second page", "/?page=2", []string{"Showing 21–23 of 23 people", "Ann Jones"}, []string{"Resident00 Hughes"}},
		{"the person's access history", "/people/" + s.Ann.ID + "/history", []string{"Showing 1–50 of", "entries", `href="/people/` + s.Ann.ID + `/history?page=2"`}, nil},
		{"a page past the end", "/?page=9", []string{"No more people: all 23 are on earlier pages", `href="/?page=2"`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Get(tc.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(r.Body, w) {
					t.Errorf("shows %q", w)
				}
			}
		})
	}

	// The portal's "who has seen my record" and the review queues too.
	ann := portalAccount(t, s, "ann.jones", "", "")
	pc := s.Client(srv.URL)
	pc.SignIn(ann)
	r := pc.Get("/my/" + s.Ann.ID + "/history")
	if !strings.Contains(r.Body, "Showing 1–50 of") || !strings.Contains(r.Body, `data-testid="next-page"`) {
		t.Errorf("the portal history does not say it is a page:\n%s", r.Body)
	}
	r = pc.Get("/my/" + s.Ann.ID + "/history?page=2")
	if !strings.Contains(r.Body, "Showing 51–") {
		t.Errorf("the portal history's second page:\n%s", r.Body)
	}
	ig := s.Staff("iglead", access.IGLead, s.Home)
	for range 27 {
		s.Clock.Advance(time.Minute)
		if _, err := s.BreakGlass.Open(s.Ctx, s.OtherCarer.Actor, s.AnnNHS, "Ann fell and I am the only one on shift"); err != nil {
			t.Fatal(err)
		}
	}
	gc := s.Client(srv.URL)
	gc.SignIn(ig)
	if r := gc.Get("/governance/break-glass"); !strings.Contains(r.Body, "Showing 1–25 of 27 uses") {
		t.Errorf("the break-glass queue does not count:\n%s", r.Body)
	}
	if r := gc.Get("/governance/break-glass?page=2"); !strings.Contains(r.Body, "Showing 26–27 of 27 uses") {
		t.Errorf("the break-glass queue's second page:\n%s", r.Body)
	}
	if r := gc.Get("/portal/withheld"); !strings.Contains(r.Body, "No items") {
		t.Errorf("the withheld queue does not count:\n%s", r.Body)
	}
	if r := c.Get("/corrections"); !strings.Contains(r.Body, "No requests") {
		t.Errorf("the correction queue does not count:\n%s", r.Body)
	}
}
