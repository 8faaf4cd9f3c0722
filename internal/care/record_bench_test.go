package care_test

import (
	"fmt"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

// BenchmarkPersonRecord loads every section of one person's care record
// (About Me, care plans, daily notes for the last 7 days, risks and the
// safety plan), each access decided and audited, over six weeks of
// history: about 4 notes a day, 9 care plans of 3 versions, About Me
// entries and 3 risk assessments. Run it on both engines:
//
//	go test -run '^$' -bench PersonRecord ./internal/care/
//	HEARTH_TEST_ENGINE=postgres HEARTH_TEST_POSTGRES=... go test -run '^$' -bench PersonRecord ./internal/care/
func BenchmarkPersonRecord(b *testing.B) {
	s := apptest.NewScenario(b)
	senior := s.Staff("senior", access.SeniorCarer)
	s.Assign(s.Manager, s.Ann, senior)
	now := s.Clock.Now()
	var history []care.HistoricNote
	for d := 42; d >= 1; d-- {
		for i := range 4 {
			at := now.AddDate(0, 0, -d).Add(time.Duration(i*4) * time.Hour)
			history = append(history, care.HistoricNote{NoteDraft: care.NoteDraft{Category: care.NoteCategories[i%len(care.NoteCategories)].Value,
				Body: fmt.Sprintf("Note %d on day %d: ate well, chatted about the garden", i, d), CareAt: at}, RecordedAt: at.Add(30 * time.Minute)})
		}
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(s.Care.ImportNotes(s.Ctx, s.Carer.Actor, s.Ann.ID, history))
	for i := range 12 {
		_, err := s.Care.RecordNote(s.Ctx, s.Carer.Actor, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Cheerful", CareAt: now.Add(-time.Duration(i) * 10 * time.Hour)})
		must(err)
	}
	for _, sec := range care.AboutMeSections {
		for range 2 {
			_, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: sec.Key, Body: "In my words: " + sec.Title})
			must(err)
		}
	}
	for _, area := range care.PlanAreas {
		d := care.PlanDraft{Area: area.Value, Title: "My own plan", Outcome: "What I want", HowMet: "How it is met", Involved: care.Involvement{Kinds: []string{"person"}},
			Agreement: "agreed", ReviewOn: now.AddDate(0, 1, 0)}
		v, err := s.Care.NewCarePlan(s.Ctx, senior.Actor, s.Ann.ID, d)
		must(err)
		for n := 1; n < 3; n++ {
			d := v.Draft()
			d.Reason = "Monthly review"
			v, err = s.Care.ReviseCarePlan(s.Ctx, senior.Actor, s.Ann.ID, v.PlanID, d)
			must(err)
		}
	}
	for i := range 3 {
		_, err := s.Care.SaveRisk(s.Ctx, senior.Actor, s.Ann.ID, "", care.RiskDraft{Title: fmt.Sprintf("Risk %d", i), CouldHappen: "A fall", Likelihood: "low",
			Impact: "high", Reduces: "A frame", Involved: care.Involvement{Kinds: []string{"person"}}, ReviewOn: now.AddDate(0, 2, 0)})
		must(err)
	}
	_, err := s.Care.SaveSafetyPlan(s.Ctx, senior.Actor, s.Ann.ID, care.SafetyDraft{Triggers: "t", WarningSigns: "w", WhatHelps: "h", Contacts: "c",
		Involved: care.Involvement{Kinds: []string{"person"}}, ReviewOn: now.AddDate(0, 1, 0)})
	must(err)

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a, err := s.Care.AboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID)
		must(err)
		p, err := s.Care.CarePlans(s.Ctx, s.Carer.Actor, s.Ann.ID)
		must(err)
		n, err := s.Care.Notes(s.Ctx, s.Carer.Actor, s.Ann.ID, 7)
		must(err)
		r, err := s.Care.Risks(s.Ctx, s.Carer.Actor, s.Ann.ID)
		must(err)
		if len(a.Sections) != 9 || len(p.Plans) != 9 || len(n.Notes) < 28 || len(r.Risks) != 3 || r.Safety == nil {
			b.Fatalf("record incomplete: %d sections, %d plans, %d notes, %d risks", len(a.Sections), len(p.Plans), len(n.Notes), len(r.Risks))
		}
	}
}
