package web_test

import (
	"net/http"
	"strings"
	"testing"

	"hearth/internal/consent"
)

// The two-stage test asks each question with an explicit yes or no and
// presumes capacity (MCA 2005 s1(2)): an unanswered question is an error
// naming it and records nothing, never "cannot". Technologies are chosen
// from the register by name, and what is recorded names them, never IDs.
func TestTheCapacityFormAsksEachQuestionAndNeverReadsAMissingAnswerAsCannot(t *testing.T) {
	s, bed := techScenario(t)
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	base := "/people/" + s.Ann.ID
	form := c.Get(base + "/capacity/new")
	wantBody(t, form, http.StatusOK, `name="impairment" type="radio" value="yes"`, `name="impairment" type="radio" value="no"`,
		`name="communicate" type="radio" value="no"`, ">Use of BedSense</option>", "is assumed to have capacity")
	if strings.Contains(form.Body, `type="checkbox" value="yes"`) && strings.Contains(form.Body, `name="understand" type="checkbox"`) {
		t.Error("stage two is still checkboxes")
	}
	if strings.Contains(form.Body, "technology:") && strings.Contains(form.Body, "its reference") {
		t.Error("staff are still asked to type a technology reference")
	}
	key := consent.TechnologyDecision(bed.ID)
	common := []string{"decision", key, "assessor", "Eilidh Ross, nurse", "assessed_at", "2026-03-03T09:00", "evidence", "Talked it through"}
	cases := []struct {
		name  string
		form  []string
		wants []string
	}{
		{"a form with nothing answered", nil, []string{"Select yes or no: is there an impairment"}},
		{"an impairment but no stage-two answers", []string{"impairment", "yes"},
			[]string{"Select yes or no: can they understand", "Select yes or no: can they retain", "Select yes or no: can they use or weigh", "Select yes or no: can they communicate"}},
		{"one stage-two answer missing", []string{"impairment", "yes", "understand", "no", "retain", "yes", "use_weigh", "yes"},
			[]string{"Select yes or no: can they communicate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Post(base+"/capacity", consentForm(append(append([]string{}, common...), tc.form...)...))
			wantBody(t, r, http.StatusUnprocessableEntity, tc.wants...)
			if strings.Contains(r.Body, "Lacks capacity") {
				t.Error("an unanswered form reads as lacking capacity")
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM capacity_assessments`); n != 0 {
		t.Fatalf("%d assessments recorded from unanswered forms", n)
	}
	// No impairment: capacity, with stage two not asked.
	r := c.Post(base+"/capacity", consentForm(append(append([]string{}, common...), "impairment", "no")...))
	if r.Status != http.StatusOK && r.Status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", r.Status, r.Body)
	}
	var outcome, decision string
	if err := s.DB.QueryRow(s.Ctx, `SELECT outcome, decision FROM capacity_assessments`).Scan(&outcome, &decision); err != nil {
		t.Fatal(err)
	}
	if outcome != consent.HasCapacity || decision != "Use of BedSense" {
		t.Fatalf("recorded %q about %q", outcome, decision)
	}
	page := c.Get(base + "/consent")
	if strings.Contains(page.Body, bed.ID) && strings.Contains(page.Body, "technology "+bed.ID) {
		t.Error("the consent page shows the technology's ID")
	}
	wantBody(t, page, http.StatusOK, "Use of BedSense")
	// The consent form offers the register by name.
	wantBody(t, c.Get(base+"/consent/new"), http.StatusOK, `<select class="nhsuk-select" id="technology_id" name="technology_id">`, ">BedSense</option>")
}
