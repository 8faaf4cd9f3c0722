package consent_test

import (
	"strings"
	"testing"
	"time"

	"hearth/internal/consent"
	"hearth/internal/door"
)

// A withdrawal of consent to care reaches the care team at once: it is on
// the list for everyone who may see the person, in words, until a later
// decision about the same thing replaces it. Withdrawals of other consents
// (photographs) are not on it.
func TestRecentWithdrawalsListsStandingWithdrawalsOfCareAndTechnologyForPeopleTheViewerMaySee(t *testing.T) {
	f := newFixture(t)
	since := f.Clock.Now().Add(-consent.WithdrawalWindow)
	care := f.give(consent.NewConsent{Purpose: consent.PurposeCareDelivery, Scope: []string{consent.ScopeAll}})
	photos := f.give(consent.NewConsent{Purpose: consent.PurposePhotographs})
	for _, c := range []consent.Consent{care, photos} {
		if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "withdrawn on the Hearth portal"); err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.Consent.RecentWithdrawals(f.Ctx, f.Manager.Actor, since)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ConsentID != care.ID || list[0].PersonID != f.Ann.ID {
		t.Fatalf("withdrawals: %+v", list)
	}
	if s := list[0].Sentence(); !strings.Contains(s, "withdrew consent to care and support on") || !strings.Contains(s, "(withdrawn on the Hearth portal)") {
		t.Fatalf("in words: %q", s)
	}
	// Someone with no relationship to Ann sees nothing.
	if list, err := f.Consent.RecentWithdrawals(f.Ctx, f.OtherCarer.Actor, since); err != nil || len(list) != 0 {
		t.Fatalf("a care worker on no one's care team sees %+v (%v)", list, err)
	}
	// Ann's care worker does.
	if list, err := f.Consent.RecentWithdrawals(f.Ctx, f.Carer.Actor, since); err != nil || len(list) != 1 {
		t.Fatalf("Ann's care worker sees %+v (%v)", list, err)
	}
	// Ann gives it again: the withdrawal no longer stands.
	f.Clock.Advance(time.Minute)
	f.give(consent.NewConsent{Purpose: consent.PurposeCareDelivery, Scope: []string{consent.ScopeAll}})
	if list, err := f.Consent.RecentWithdrawals(f.Ctx, f.Manager.Actor, since); err != nil || len(list) != 0 {
		t.Fatalf("after consent was given again: %+v (%v)", list, err)
	}
}

// The same withdrawals are a figure on Needs attention, counted for the
// people the reader may see, until a later decision replaces them.
func TestAStandingWithdrawalIsAFigureOnNeedsAttention(t *testing.T) {
	f := newFixture(t)
	withdrawn := func(who door.Actor) int {
		t.Helper()
		ov, err := f.Attention.Overview(f.Ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		for _, fig := range ov.Figures {
			if fig.Key == "consent-withdrawn" {
				return fig.Total
			}
		}
		t.Fatal("no consent-withdrawn figure on Needs attention")
		return 0
	}
	care := f.give(consent.NewConsent{Purpose: consent.PurposeCareDelivery, Scope: []string{consent.ScopeAll}})
	if n := withdrawn(f.Manager.Actor); n != 0 {
		t.Fatalf("before any withdrawal: %d", n)
	}
	if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, care.ID, "withdrawn on the Hearth portal"); err != nil {
		t.Fatal(err)
	}
	if n := withdrawn(f.Manager.Actor); n != 1 {
		t.Fatalf("after Ann withdrew consent to care: %d, want 1", n)
	}
	f.Clock.Advance(time.Minute)
	f.give(consent.NewConsent{Purpose: consent.PurposeCareDelivery, Scope: []string{consent.ScopeAll}})
	if n := withdrawn(f.Manager.Actor); n != 0 {
		t.Fatalf("after consent was given again: %d, want 0", n)
	}
}
