package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/go-jose/go-jose/v4"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// The administrator registers the GP practice's system on a phone, first
// pasting its private key by mistake (told so, the name kept), then its
// public keys, and is shown the client ID to hand over. The IG lead then
// records the data-sharing agreement with it, first forgetting everything
// but the partner (told field by field), sees it in force and due for
// review, and ends it.
func TestJourneyTheAdministratorRegistersAPartnerAndTheIGLeadRecordsAndEndsItsAgreement(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	srv := s.Server()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(key any) string {
		b, _ := json.MarshalIndent(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key, KeyID: "riverside-2026", Algorithm: "ES384", Use: "sig"}}}, "", "  ")
		return string(b)
	}

	b := browsertest.New(t)
	b.Base = srv.URL
	staffSignIn(t, s, b, admin)
	clickMenu(t, b, "/governance/partners")
	b.MustSee("No partner systems are registered.")
	b.Fill("#name", "Riverside GP Surgery")
	b.Fill("#contact", "it@riverside.example.nhs.uk")
	b.Run(chromedp.SetValue("#jwks", keys(k)))
	b.Click("label[for=scope-Patient]")
	b.Click("label[for=scope-Observation]")
	b.Click("#register-partner")
	b.MustSee("There is a problem")
	b.MustSee(`Key 1 (kid "riverside-2026") is a private or secret key: paste the public keys only`)
	if v, err := chromedp.Run(b.Context(), chromedp.Value("#name")); err != nil || v != "Riverside GP Surgery" {
		t.Fatalf("the name typed was lost: %q (%v)", v, err)
	}
	b.Run(chromedp.SetValue("#jwks", keys(&k.PublicKey)))
	b.Click("#register-partner")
	b.MustSee("Riverside GP Surgery is registered. Give its administrators these details:")
	b.MustSee(srv.URL + "/fhir/auth/token")
	b.MustSee("system/Patient.rs system/Observation.rs")
	b.MustSee("riverside-2026 (ES384)")
	clientID := b.Text("[data-testid=client-id]")
	fitsPhone(t, b, "the partner systems page")
	noConsoleErrors(t, b)

	g := browsertest.New(t)
	g.Base = srv.URL
	staffSignIn(t, s, g, ig)
	clickMenu(t, g, "/governance/agreements")
	g.MustSee("No agreements are recorded. Partner systems receive nothing until one is.")
	g.Fill("#partner", clientID)
	g.Click("#record-agreement")
	for _, want := range []string{"There is a problem", "Say what the information is shared for, in at least 10 characters",
		"Choose the UK GDPR article 6 lawful basis for the sharing", "health and care information is special category data",
		"Choose at least one category of information the agreement covers", "Enter the date the agreement starts",
		"Enter the date the agreement is to be reviewed by"} {
		g.MustSee(want)
	}
	g.Fill("#purpose", "Direct care: the practice sees Rowan House's care record for its registered patients' reviews")
	g.Click("label[for=article6-6-1-e]")
	g.Click("label[for=article9-9-2-h]")
	g.Click("label[for=category-identity]")
	g.Click("label[for=category-care-record]")
	g.Fill("#reference", "DSA-2026-014")
	today := s.Clock.Now().Format("2006-01-02")
	g.Run(chromedp.SetValue("#starts", today), chromedp.SetValue("#review_on", s.Clock.Now().AddDate(0, 0, 20).Format("2006-01-02")))
	g.Click("#record-agreement")
	g.MustSee("The agreement was recorded.")
	g.MustSee("Riverside GP Surgery: In force")
	g.MustSee("Article 6(1)(e), Public task")
	g.MustSee("Article 9(2)(h), Health or social care")
	g.MustSee("Identity, Care record")
	g.MustSee("Riverside GP Surgery: review by 23 March 2026")
	fitsPhone(t, g, "the agreements page")

	g.Click("[data-testid='end-Riverside GP Surgery']")
	g.Fill("textarea[name=reason]", "The practice has moved to another provider's system")
	g.Click("form[action$='/end'] button")
	g.MustSee("The agreement was ended. The partner receives nothing more under it.")
	g.MustSee("Riverside GP Surgery: Ended")
	g.MustSee("No agreement is due for review in the next 30 days.")
	noConsoleErrors(t, g)
}
