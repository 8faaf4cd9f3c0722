package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

func planDraft(s *apptest.Scenario) care.PlanDraft {
	return care.PlanDraft{Area: "personal-care", Outcome: "I want to wash myself as much as I can",
		HowMet: "Help with my back and feet only", Preferences: "A shower in the morning, not a bath",
		Involved: care.Involvement{Kinds: []string{"person", "family"}, Names: "Ann; her daughter Sue"}, Agreement: "agreed",
		ReviewOn: s.Clock.Now().AddDate(0, 1, 0)}
}

func TestACarePlanChangeIsANewVersionAndEarlierVersionsStayReadable(t *testing.T) {
	s := apptest.NewScenario(t)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	v1, err := s.Care.NewCarePlan(s.Ctx, senior.Actor, s.Ann.ID, planDraft(s))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Reason != "First written" || v1.Title != "Personal care" {
		t.Fatalf("first version: %+v", v1)
	}
	d := v1.Draft()
	d.Preferences = "A bath on Sundays"
	d.Reason = "Ann asked for a bath on Sundays"
	s.Clock.Advance(time.Hour)
	v2, err := s.Care.ReviseCarePlan(s.Ctx, senior.Actor, s.Ann.ID, v1.PlanID, d)
	if err != nil {
		t.Fatal(err)
	}
	if v2.Version != 2 || v2.Author.Name != senior.DisplayName || !v2.WrittenAt.Equal(s.Clock.Now()) {
		t.Fatalf("second version: %+v", v2)
	}
	pg, err := s.Care.CarePlan(s.Ctx, s.Carer.Actor, s.Ann.ID, v1.PlanID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Shown.Preferences != "A shower in the morning, not a bath" || pg.Latest != 2 || len(pg.Versions) != 2 || pg.CanWrite {
		t.Fatalf("version 1 as read by a care worker: %+v", pg)
	}
	list, _ := s.Care.CarePlans(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if len(list.Plans) != 1 || list.Plans[0].Version != 2 || list.Plans[0].Preferences != "A bath on Sundays" {
		t.Fatalf("current plans: %+v", list.Plans)
	}
	// One plan per need: a second personal care plan is refused.
	if _, err := s.Care.NewCarePlan(s.Ctx, senior.Actor, s.Ann.ID, planDraft(s)); problem(err, "Need") == "" {
		t.Fatalf("second plan for the same need: %v", err)
	}
}

func TestTwoPeopleEditingTheSameVersionTheSecondGetsAConflictAndLosesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	v1, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, planDraft(s))
	if err != nil {
		t.Fatal(err)
	}
	first, second := v1.Draft(), v1.Draft()
	first.HowMet, first.Reason = "Help with back, feet and hair", "Review"
	second.HowMet, second.Reason = "Help with feet only, she manages her back now", "Ann is stronger"
	if _, err := s.Care.ReviseCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, v1.PlanID, first); err != nil {
		t.Fatal(err)
	}
	_, err = s.Care.ReviseCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, v1.PlanID, second)
	if hearth.KindOf(err) != hearth.KindConflict || !strings.Contains(err.Error(), "Someone else changed this care plan since you opened it") ||
		!strings.Contains(err.Error(), "version 2") {
		t.Fatalf("want a conflict naming version 2, got %v", err)
	}
	if second.HowMet != "Help with feet only, she manages her back now" {
		t.Fatal("the losing draft was changed")
	}
	if n := s.Count(`SELECT COUNT(*) FROM care_plan_versions WHERE plan_id = ?`, v1.PlanID); n != 2 {
		t.Fatalf("want 2 versions, got %d", n)
	}
	if n := audited(s, s.Manager.ID, "write-plan", "invalid"); n != 1 {
		t.Fatalf("the conflicting save is not audited: %d", n)
	}
}

func TestACareWorkerCannotChangeACarePlanAndTheAttemptIsAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	v1, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, planDraft(s))
	if err != nil {
		t.Fatal(err)
	}
	d := v1.Draft()
	d.Reason = "I think so"
	for name, try := range map[string]func() error{
		"revise": func() error {
			_, err := s.Care.ReviseCarePlan(s.Ctx, s.Carer.Actor, s.Ann.ID, v1.PlanID, d)
			return err
		},
		"new": func() error {
			d := planDraft(s)
			d.Area = "mobility"
			_, err := s.Care.NewCarePlan(s.Ctx, s.Carer.Actor, s.Ann.ID, d)
			return err
		},
		"form": func() error { _, err := s.Care.PlanForm(s.Ctx, s.Carer.Actor, s.Ann.ID, v1.PlanID); return err },
	} {
		if err := try(); hearth.KindOf(err) != hearth.KindForbidden {
			t.Errorf("%s: want forbidden, got %v", name, err)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'write-plan' AND decision = 'deny' AND reason = 'no-permission'`, s.Carer.ID); n != 3 {
		t.Fatalf("want 3 audited refusals, got %d", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM care_plan_versions`); n != 1 {
		t.Fatalf("a refused change was stored: %d versions", n)
	}
}

func TestCarePlanRulesNameTheFieldAndChangeNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	cases := []struct {
		name, field, want string
		edit              func(d *care.PlanDraft)
	}{
		{"an outcome over the limit", "What I want", "4000 characters or fewer", func(d *care.PlanDraft) { d.Outcome = strings.Repeat("x", 4001) }},
		{"no outcome", "What I want", "in their own words", func(d *care.PlanDraft) { d.Outcome = "" }},
		{"nobody involved", "Who was involved", "Say who was involved", func(d *care.PlanDraft) { d.Involved.Kinds = nil }},
		{"not agreed without their words", "In their words", "what the person said", func(d *care.PlanDraft) { d.Agreement = "not-agreed" }},
		{"a review date in the past", "Review date", "today or later", func(d *care.PlanDraft) { d.ReviewOn = s.Clock.Now().AddDate(0, 0, -1) }},
		{"a custom plan without a title", "Title", "Give the plan a title", func(d *care.PlanDraft) { d.Area = "custom" }},
		{"an unknown need", "Need", "Choose the need", func(d *care.PlanDraft) { d.Area = "astrology" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := planDraft(s)
			c.edit(&d)
			_, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, d)
			if !strings.Contains(problem(err, c.field), c.want) {
				t.Fatalf("want %s: %q, got %v", c.field, c.want, err)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM care_plans`); n != 0 {
		t.Fatalf("refused plans were stored: %d", n)
	}
}

func TestAnOverdueReviewIsCountedOnTheCarePlansPage(t *testing.T) {
	s := apptest.NewScenario(t)
	d := planDraft(s)
	d.ReviewOn = s.Clock.Now().AddDate(0, 0, 7)
	if _, err := s.Care.NewCarePlan(s.Ctx, s.Manager.Actor, s.Ann.ID, d); err != nil {
		t.Fatal(err)
	}
	pg, _ := s.Care.CarePlans(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if pg.Overdue != 0 || pg.Plans[0].Overdue {
		t.Fatal("a plan due next week is overdue")
	}
	s.Clock.Advance(8 * 24 * time.Hour)
	pg, _ = s.Care.CarePlans(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if pg.Overdue != 1 || !pg.Plans[0].Overdue {
		t.Fatal("a plan a day past its review is not overdue")
	}
}
