package web_test

import (
	"net/http"
	"strings"
	"testing"

	"hearth/internal/apptest"
)

// The person page shows the latest accesses and links to the whole history,
// which pages through every one of them.
func TestThePersonPageShowsTheLatestAccessesAndTheWholeHistoryPagesThroughTheRest(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Carer)
	var page apptest.Response
	for range 16 { // five decisions a visit (consent withdrawals among them): more than a page of history
		page = c.Get("/people/" + s.Ann.ID)
	}
	if rows := strings.Count(page.Body, `<tr role="row" class="nhsuk-table__row`); rows > 25 {
		t.Errorf("the person page shows %d accesses, want the latest twenty (and this visit's own)", rows)
	}
	if !strings.Contains(page.Body, `data-testid="whole-history"`) {
		t.Fatal("the person page does not link to the whole history")
	}
	first := c.Get("/people/" + s.Ann.ID + "/history")
	if first.Status != http.StatusOK || !strings.Contains(first.Body, "Showing 1–50 of") || !strings.Contains(first.Body, `data-testid="next-page"`) {
		t.Fatalf("first page of the history: %d\n%s", first.Status, first.Body)
	}
	if strings.Contains(first.Body, `data-testid="previous-page"`) {
		t.Error("the first page offers newer entries")
	}
	second := c.Get("/people/" + s.Ann.ID + "/history?page=2")
	if second.Status != http.StatusOK || !strings.Contains(second.Body, "Showing 51–") || !strings.Contains(second.Body, `data-testid="previous-page"`) {
		t.Fatalf("second page of the history: %d\n%s", second.Status, second.Body)
	}
	// Opening the history is itself a read of the access log, audited.
	evs, err := s.Audit.ByRequest(s.Ctx, second.RequestID)
	if err != nil || len(evs) != 1 || evs[0].Action != "read-access-log" || evs[0].PersonID != s.Ann.ID {
		t.Fatalf("the history's own audit: %+v, %v", evs, err)
	}
}

func TestSomeoneNotOnThePersonsTeamCannotOpenTheirHistory(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.OtherCarer)
	if r := c.Get("/people/" + s.Ann.ID + "/history"); r.Status != http.StatusNotFound {
		t.Fatalf("history for someone not on the team: %d", r.Status)
	}
}
