package care_test

import (
	"strconv"
	"testing"
	"time"

	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/people"
)

// benchPeople gives the carer n people with three weeks of drinks, meals,
// weekly weights and a four-times-a-day medicine given throughout, as the
// demo does, and returns them.
func benchPeople(b *testing.B, s *apptest.Scenario, n int) []people.Person {
	b.Helper()
	list := []people.Person{s.Ann}
	for i := 1; i < n; i++ {
		p := s.Person(s.Manager, s.Home, "Person", strconv.Itoa(i), "")
		s.Assign(s.Manager, p, s.Carer)
		list = append(list, p)
	}
	now := s.Clock.Now()
	for _, p := range list {
		if err := s.Care.SetFluidTarget(s.Ctx, s.Manager.Actor, p.ID, "1500", ""); err != nil {
			b.Fatal(err)
		}
		var obs []care.ObsInput
		for d := 21; d >= 1; d-- {
			for h := 8; h <= 20; h += 2 {
				obs = append(obs, care.ObsInput{Kind: care.FluidIn, Amount: "200", What: "Tea", At: now.AddDate(0, 0, -d).Add(time.Duration(h-10) * time.Hour)})
			}
			obs = append(obs, care.ObsInput{Kind: care.Food, Meal: "lunch", Portion: "half", At: now.AddDate(0, 0, -d)})
			if d%7 == 0 {
				obs = append(obs, care.ObsInput{Kind: care.Weight, Weight: "60.5", At: now.AddDate(0, 0, -d)})
			}
		}
		if err := s.Care.RecordMany(s.Ctx, s.Carer.Actor, p.ID, obs); err != nil {
			b.Fatal(err)
		}
		m, err := s.Care.AddMedicine(s.Ctx, s.Manager.Actor, p.ID, care.MedicineInput{Name: "Metformin", Dose: "1 tablet", Route: "oral",
			Source: "gp", Times: "08:00, 13:00, 18:00, 22:00", StartDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			b.Fatal(err)
		}
		var doses []care.DoseInput
		for d := 21; d >= 1; d-- {
			for _, h := range []int{8, 13, 18, 22} {
				slot := time.Date(2026, 3, 3-d, h, 0, 0, 0, time.UTC)
				doses = append(doses, care.DoseInput{MedicineID: m.ID, ScheduledFor: slot, At: slot, Outcome: care.Given})
			}
		}
		if err := s.Care.RecordDoses(s.Ctx, s.Carer.Actor, p.ID, doses); err != nil {
			b.Fatal(err)
		}
	}
	return list
}

// BenchmarkMyShiftForTenPeople: 'my shift' for a care worker with ten
// people, each with three weeks of history: every person decided and
// audited twice (record and medicines), alerts and due doses computed.
func BenchmarkMyShiftForTenPeople(b *testing.B) {
	s := apptest.NewScenario(b)
	benchPeople(b, s, 10)
	for b.Loop() {
		if _, err := s.Care.MyShift(s.Ctx, s.Carer.Actor); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObservationsPage: one person's observations page with three
// weeks of history, decided and audited.
func BenchmarkObservationsPage(b *testing.B) {
	s := apptest.NewScenario(b)
	benchPeople(b, s, 1)
	for b.Loop() {
		if _, err := s.Care.Observations(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMedicinesPage: one person's medicines page (rounds, PRN state,
// the last week) with three weeks of administration records.
func BenchmarkMedicinesPage(b *testing.B) {
	s := apptest.NewScenario(b)
	benchPeople(b, s, 1)
	for b.Loop() {
		if _, err := s.Care.Medicines(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			b.Fatal(err)
		}
	}
}
