package care_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

func riskDraft(s *apptest.Scenario) care.RiskDraft {
	return care.RiskDraft{Title: "Falls at night", CouldHappen: "A fall on the way to the toilet", Likelihood: "medium", Impact: "high",
		Reduces: "Night light, sensor mat by agreement, walking frame by the bed", PersonsWords: "I don't want to be watched all night",
		Involved: care.Involvement{Kinds: []string{"person", "staff"}}, ReviewOn: s.Clock.Now().AddDate(0, 3, 0)}
}

func TestRiskAssessmentsAreVersionedWithAConflictForAStaleSave(t *testing.T) {
	s := apptest.NewScenario(t)
	v1, err := s.Care.SaveRisk(s.Ctx, s.Manager.Actor, s.Ann.ID, "", riskDraft(s))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Rating() != "High" {
		t.Fatalf("first: %+v rating %s", v1, v1.Rating())
	}
	d := v1.Draft()
	d.Likelihood, d.Reason = "low", "No falls in three months"
	v2, err := s.Care.SaveRisk(s.Ctx, s.Manager.Actor, s.Ann.ID, v1.RiskID, d)
	if err != nil || v2.Version != 2 || v2.Rating() != "Medium" {
		t.Fatalf("second: %+v %v", v2, err)
	}
	if _, err := s.Care.SaveRisk(s.Ctx, s.Manager.Actor, s.Ann.ID, v1.RiskID, d); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("a save based on version 1 after version 2: %v", err)
	}
	pg, err := s.Care.Risk(s.Ctx, s.Carer.Actor, s.Ann.ID, v1.RiskID, 1)
	if err != nil || pg.Shown.Likelihood != "medium" || pg.Latest != 2 {
		t.Fatalf("version 1: %+v %v", pg.Shown, err)
	}
	if _, err := s.Care.SaveRisk(s.Ctx, s.Carer.Actor, s.Ann.ID, "", riskDraft(s)); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("a care worker writing a risk assessment: %v", err)
	}
	d = riskDraft(s)
	d.Reduces = strings.Repeat("x", 4001)
	if _, err := s.Care.SaveRisk(s.Ctx, s.Manager.Actor, s.Ann.ID, "", d); !strings.Contains(problem(err, "What reduces it"), "4000") {
		t.Fatalf("over-long: %v", err)
	}
}

func TestASafetyPlanIsVersionedAndItsOverdueReviewIsFlagged(t *testing.T) {
	s := apptest.NewScenario(t)
	d := care.SafetyDraft{Triggers: "Loud arguments; the anniversary of my husband's death", WarningSigns: "I stop eating and stay in my room",
		WhatHelps: "Sitting in the garden with someone; my sister's phone calls", Contacts: "Sue (daughter) 07700 900123; crisis team 0800 000 0000",
		Involved: care.Involvement{Kinds: []string{"person", "family"}, Names: "Sue"}, ReviewOn: s.Clock.Now().AddDate(0, 0, 14)}
	v1, err := s.Care.SaveSafetyPlan(s.Ctx, s.Manager.Actor, s.Ann.ID, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Care.SaveSafetyPlan(s.Ctx, s.Manager.Actor, s.Ann.ID, d); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("a second first version: %v", err)
	}
	next := v1.Draft()
	next.WhatHelps, next.Reason = "Sitting in the garden; music from the 1960s", "Ann added music"
	if v2, err := s.Care.SaveSafetyPlan(s.Ctx, s.Manager.Actor, s.Ann.ID, next); err != nil || v2.Version != 2 {
		t.Fatalf("second version: %v", err)
	}
	s.Clock.Advance(15 * 24 * time.Hour)
	pg, err := s.Care.Risks(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil || pg.Safety == nil || pg.Safety.Version != 2 || !pg.Safety.Overdue || pg.Overdue != 1 {
		t.Fatalf("risks page: %+v %v", pg, err)
	}
	sp, err := s.Care.SafetyPlan(s.Ctx, s.Carer.Actor, s.Ann.ID, 1)
	if err != nil || sp.Shown.WhatHelps != d.WhatHelps || len(sp.Versions) != 2 {
		t.Fatalf("version 1: %+v %v", sp.Shown, err)
	}
}
