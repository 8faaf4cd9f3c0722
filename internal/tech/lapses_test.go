package tech_test

import (
	"strings"
	"testing"
	"time"

	"hearth/internal/tech"
)

func (f *fixture) useFor(t *testing.T) tech.Use {
	t.Helper()
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) stateOf(t *testing.T, useID string) tech.Use {
	t.Helper()
	pg, err := f.Tech.PersonTechnology(f.Ctx, f.Manager.Actor, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range pg.Uses {
		if u.ID == useID {
			return u
		}
	}
	t.Fatalf("use %s not on the person's page", useID)
	return tech.Use{}
}

func (f *fixture) attention(t *testing.T) []tech.Use {
	t.Helper()
	got, err := f.Tech.Attention(f.Ctx, f.Carer.Actor, []string{f.Ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The finding: removing a technology's DPIA stopped new uses, but
// the existing ones stayed "In use". Now each stops at once and is flagged.
func TestRemovingAnAssessmentStopsEveryExistingUseAtOnce(t *testing.T) {
	cases := []struct {
		name   string
		change func(*tech.Technology)
		says   string
	}{
		{"the DPIA removed", func(b *tech.Technology) { b.DPIA = tech.Assessment{} }, "no dpia recorded"},
		{"the DTAC failed", func(b *tech.Technology) { b.DTAC.Outcome = tech.OutcomeFail }, "dtac assessment did not pass"},
		{"the evidence found insufficient", func(b *tech.Technology) { b.Evidence.Quality = "insufficient" }, "evidence insufficient"},
		{"the technology withdrawn", func(b *tech.Technology) { b.Status = tech.StatusWithdrawn }, "has been withdrawn"},
		{"the setting no longer approved", func(b *tech.Technology) { b.ApprovedServiceTypes = nil }, "not an approved setting"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			u := f.useFor(t)
			if got := f.stateOf(t, u.ID); !got.Live() || got.NeedsAttention() {
				t.Fatalf("a use in good standing: %+v", got.StateText)
			}
			bed := f.Bed
			c.change(&bed)
			if c.name == "the technology withdrawn" {
				bed.Contingency = "Hourly checks"
			}
			if _, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Change"); err != nil {
				t.Fatal(err)
			}
			got := f.stateOf(t, u.ID)
			if got.Live() || got.State != tech.UseStopped || !strings.Contains(strings.ToLower(got.StateText), c.says) {
				t.Fatalf("after %s the use reads %q (%s)", c.name, got.StateText, got.State)
			}
			att := f.attention(t)
			if len(att) != 1 || att[0].ID != u.ID || !strings.Contains(att[0].AttentionText(), "Do not use it.") {
				t.Fatalf("the care worker's attention list: %+v", att)
			}
		})
	}
}

// An assessment that passed but is out of date, or a policy overdue for
// review, gives LapseGrace: flagged with the day it stops, then stopped.
func TestAnOutOfDateAssessmentOrPolicyGivesAGracePeriodThenStopsTheUse(t *testing.T) {
	f := newFixture(t)
	bed := f.Bed
	bed.PolicyReviewed = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) // 12-monthly: due 1 February 2027
	var err error
	if f.Bed, err = f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Policy reviewed"); err != nil {
		t.Fatal(err)
	}
	u := f.useFor(t)
	// The DPIA (5 January 2026) is due again on 5 January 2027.
	f.Clock.Set(time.Date(2027, 1, 4, 12, 0, 0, 0, time.UTC))
	f.train(f.Manager, "BedSense safe use", "2027-01-04", "")
	if got := f.stateOf(t, u.ID); len(got.Lapses) != 0 {
		t.Fatalf("lapses a day before the due date: %+v", got.Lapses)
	}
	f.Clock.Set(time.Date(2027, 1, 6, 12, 0, 0, 0, time.UTC))
	got := f.stateOf(t, u.ID)
	if !got.Live() || len(got.Lapses) == 0 || !strings.Contains(got.AttentionText(), "The DPIA was last done on 5 January 2026") ||
		!strings.Contains(got.AttentionText(), "it must stop on 2 February 2027 unless renewed") {
		t.Fatalf("within the grace period: live=%v %q", got.Live(), got.AttentionText())
	}
	if att := f.attention(t); len(att) != 1 {
		t.Fatalf("the lapse is not in the care worker's attention list: %+v", att)
	}
	f.Clock.Set(time.Date(2027, 2, 2, 9, 0, 0, 0, time.UTC))
	got = f.stateOf(t, u.ID)
	if got.Live() || !strings.Contains(got.StateText, "the DPIA was last done on 5 January 2026") ||
		strings.Contains(got.StateText, "policy POL-12") {
		t.Fatalf("after the grace period: %s %q", got.State, got.StateText)
	}
	// The policy fell due on 1 February 2027: still in its own grace period.
	policy := false
	for _, l := range got.Lapses {
		if strings.Contains(l.Text, "policy POL-12") && !l.AtOnce && l.StopBy.Format("2006-01-02") == "2027-03-01" {
			policy = true
		}
	}
	if !policy {
		t.Errorf("the overdue policy review is not flagged to stop on 1 March 2027: %+v", got.Lapses)
	}
	// Renewing the assessments and the policy review lets it go on.
	bed = f.Bed
	renewed := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	bed.DPIA.Date, bed.DTAC.Date, bed.EHIA.Date, bed.Evidence.Date, bed.Coproduction.Date, bed.PolicyReviewed = renewed, renewed, renewed, renewed, renewed, renewed
	if _, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Annual reassessment"); err != nil {
		t.Fatal(err)
	}
	if got := f.stateOf(t, u.ID); !got.Live() || len(got.Lapses) != 0 {
		t.Fatalf("after renewal: %q %+v", got.StateText, got.Lapses)
	}
}

// An operator's lapsed training does not stop the person's use: it is
// flagged while no one who works with them is trained, and the untrained
// reader is told not to operate it.
func TestLapsedTrainingFlagsTheUseButDoesNotStopIt(t *testing.T) {
	f := newFixture(t)
	u := f.useFor(t)
	// Training recorded on 10 January 2026 lasts 12 months.
	f.Clock.Set(time.Date(2026, 12, 20, 9, 0, 0, 0, time.UTC))
	bed := f.Bed
	d := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	bed.DPIA.Date, bed.DTAC.Date, bed.EHIA.Date, bed.Evidence.Date = d, d, d, d
	if _, err := f.Tech.Save(f.Ctx, f.Manager.Actor, bed, "Reassessed"); err != nil {
		t.Fatal(err)
	}
	if got := f.stateOf(t, u.ID); got.NoOneTrained {
		t.Fatal("the manager's current training is not counted")
	}
	f.Clock.Set(time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC))
	got := f.stateOf(t, u.ID)
	if !got.Live() || !got.NoOneTrained || !got.YourTrainingLapsed ||
		!strings.Contains(got.AttentionText(), "No one who works with this person has current training") {
		t.Fatalf("after the training lapsed: live=%v %q", got.Live(), got.AttentionText())
	}
}
