package web_test

import (
	"strings"
	"testing"

	"hearth/internal/apptest"
	"hearth/internal/consent"
)

// A consulted family member sees Ann's care record because Ann agreed to
// share it with him. When she withdraws that consent, his refusal names the
// real cause in plain words, not "not on this person's care team".
func TestARepresentativesRefusalNamesTheWithdrawnConsent(t *testing.T) {
	s := apptest.NewScenario(t)
	tom := portalAccount(t, s, "tom.jones", "Tom Jones", consent.AuthorityFamily)
	c, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeSharing, Recipient: "Tom Jones",
		Decision: "permit", Scope: []string{consent.ScopeCareRecord}, Recipients: "Tom Jones", InfoGiven: "Talked it through", InfoFormat: "standard"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Portal.CareRecord(s.Ctx, tom.Actor, s.Ann.ID, 7); err != nil {
		t.Fatalf("with Ann's consent, Tom reads her care record: %v", err)
	}
	if _, err := s.Consent.Withdraw(s.Ctx, s.Manager.Actor, s.Ann.ID, c.ID, "Ann asked"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Portal.CareRecord(s.Ctx, tom.Actor, s.Ann.ID, 7)
	if err == nil || err.Error() == "" {
		t.Fatal("Tom still reads the care record")
	}
	if got := err.Error(); !strings.Contains(got, "withdrew their consent to share this with you") || strings.Contains(got, "care team") {
		t.Fatalf("Tom is told %q", got)
	}
}
