package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
)

// partnerKey is a partner system's ES384 key and the JWKS it hands over.
func partnerKey(t *testing.T, kid string) (*ecdsa.PrivateKey, string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES384", Use: "sig"}}})
	return k, string(b)
}

func partnerAssertion(t *testing.T, k *ecdsa.PrivateKey, kid, clientID, aud, jti string, now time.Time) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: jose.JSONWebKey{Key: k, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
		Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)), ID: jti}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The token endpoint over HTTP: a form post answered with JSON, never
// cached, errors as RFC 6749 section 5.2 shapes them; the SMART
// configuration says where it is.
func TestTheTokenEndpointAnswersPartnerSystemsInOAuthTerms(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	srv := s.Server()
	key, set := partnerKey(t, "k1")
	p, err := s.Partners.Register(s.Ctx, partners.ByActor(admin.Actor), partners.NewPartner{Name: "Riverside GP Surgery", JWKS: set, Scopes: "system/Patient.rs"})
	if err != nil {
		t.Fatal(err)
	}
	tokenURL := srv.URL + partners.TokenPath
	form := func(aud, jti string, extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {partners.AssertionTypeJWTBearer},
			"client_assertion": {partnerAssertion(t, key, "k1", p.ID, aud, jti, s.Clock.Now())}, "scope": {"system/Patient.rs"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Add(extra[i], extra[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		body   url.Values
		status int
		error  string
	}{
		{"a good request gets a token", form(tokenURL, "jti-1"), 200, ""},
		{"the same assertion again is refused", form(tokenURL, "jti-1"), 401, "invalid_client"},
		{"an assertion for another audience is refused", form("https://elsewhere.example/token", "jti-2"), 401, "invalid_client"},
		{"a scope sent twice is refused", form(tokenURL, "jti-3", "scope", "system/Patient.rs"), 400, "invalid_request"},
		{"a request that is not a form is refused", nil, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.PostForm(tokenURL, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" ||
				resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Pragma") != "no-cache" {
				t.Fatalf("status %d, headers %v: %s", resp.StatusCode, resp.Header, raw)
			}
			if tc.error == "" {
				if body["token_type"] != "bearer" || body["expires_in"] != float64(300) || body["scope"] != "system/Patient.rs" || body["access_token"] == "" {
					t.Fatalf("token response: %s", raw)
				}
				r, _ := http.NewRequestWithContext(s.Ctx, http.MethodGet, srv.URL+"/fhir/Patient", nil)
				r.Header.Set("Authorization", "Bearer "+body["access_token"].(string))
				actor, _, err := s.Partners.Authenticate(r)
				if err != nil || actor.ID != p.ID || actor.Name != p.Name {
					t.Fatalf("the token authenticates as %+v, %v", actor, err)
				}
				return
			}
			if body["error"] != tc.error || body["error_description"] == "" {
				t.Fatalf("error response: %s", raw)
			}
		})
	}

	resp, err := http.Get(srv.URL + partners.ConfigurationPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var conf map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&conf); err != nil || resp.StatusCode != 200 {
		t.Fatalf("configuration: %d %v", resp.StatusCode, err)
	}
	if conf["token_endpoint"] != tokenURL || !strings.Contains(strings.Join(toStrings(conf["token_endpoint_auth_signing_alg_values_supported"]), " "), "ES384") {
		t.Errorf("configuration: %v", conf)
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// The administrator's screen: bad keys are named and nothing is stored;
// good ones register the partner and show the client ID to hand over;
// anyone else is refused, and the refusal audited.
func TestTheAdministratorRegistersAndDisablesPartnerSystemsOnScreen(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	srv := s.Server()
	_, set := partnerKey(t, "k1")
	c := s.Client(srv.URL)
	c.SignIn(admin)
	if r := c.Get("/governance/partners"); r.Status != 200 || !strings.Contains(r.Body, "No partner systems are registered") {
		t.Fatalf("the empty page: %d", r.Status)
	}
	r := c.Post("/governance/partners", url.Values{"name": {"Riverside GP Surgery"}, "jwks": {`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"s"}]}`},
		"scope": {"system/Patient.rs"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "is a private or secret key") || !strings.Contains(r.Body, "Riverside GP Surgery") {
		t.Fatalf("a secret key: %d", r.Status)
	}
	if n := s.Count(`SELECT COUNT(*) FROM partners`); n != 0 {
		t.Fatalf("a refused registration stored %d partners", n)
	}
	r = c.Post("/governance/partners", url.Values{"name": {"Riverside GP Surgery"}, "jwks": {set}, "scope": {"system/Patient.rs", "system/Observation.rs"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/governance/partners?registered=") {
		t.Fatalf("registering: %d %s", r.Status, r.Location)
	}
	id := strings.TrimPrefix(r.Location, "/governance/partners?registered=")
	r = c.Get(r.Location)
	if !strings.Contains(r.Body, id) || !strings.Contains(r.Body, srv.URL+partners.TokenPath) || !strings.Contains(r.Body, "system/Patient.rs system/Observation.rs") {
		t.Fatalf("the registered partner's details are not shown")
	}
	if r = c.Post("/governance/partners/"+id+"/disable", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("disabling: %d", r.Status)
	}
	if r = c.Get("/governance/partners"); !strings.Contains(r.Body, "Disabled") {
		t.Fatal("the disabled partner is not shown as disabled")
	}

	other := s.Client(srv.URL)
	other.SignIn(s.Manager)
	r = other.Get("/governance/partners")
	evs, err := s.Audit.ByRequest(s.Ctx, r.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusForbidden || len(evs) != 1 || evs[0].Decision != "deny" || evs[0].ActorID != s.Manager.ID {
		t.Fatalf("a manager opening partner systems: %d, %+v", r.Status, evs)
	}
}

// The IG lead's screen: an agreement with something missing names each
// field; a good one is listed, due for review when its review date is
// near, and can be ended.
func TestTheIGLeadRecordsReviewsAndEndsAgreementsOnScreen(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	srv := s.Server()
	_, set := partnerKey(t, "k1")
	p, err := s.Partners.Register(s.Ctx, partners.ByActor(admin.Actor), partners.NewPartner{Name: "Riverside GP Surgery", JWKS: set, Scopes: "system/Patient.rs"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client(srv.URL)
	c.SignIn(ig)
	if r := c.Get("/governance/agreements"); r.Status != 200 || !strings.Contains(r.Body, "No agreements are recorded") {
		t.Fatalf("the empty page: %d", r.Status)
	}
	r := c.Post("/governance/agreements", url.Values{"partner": {p.ID}, "purpose": {"care"}, "starts": {"2026-02-30"}})
	for _, want := range []string{"in at least 10 characters", "article 6 lawful basis", "special category data",
		"at least one category", "Start date must be a real date", "Enter the date the agreement is to be reviewed by"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the refusal does not say %q", want)
		}
	}
	if r.Status != http.StatusUnprocessableEntity || s.Count(`SELECT COUNT(*) FROM data_sharing_agreements`) != 0 {
		t.Fatalf("bad input: %d", r.Status)
	}
	r = c.Post("/governance/agreements", url.Values{"partner": {p.ID}, "purpose": {"Direct care by the registered GP practice"},
		"article6": {"6-1-e"}, "article9": {"9-2-h"}, "category": {"identity", "care-record"}, "starts": {"2026-03-01"},
		"review_on": {"2026-03-20"}, "reference": {"DSA-2026-014"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("recording: %d", r.Status)
	}
	r = c.Get(r.Location)
	for _, want := range []string{"The agreement was recorded", "Riverside GP Surgery: <span data-testid=\"status\">In force", "review by 20 March 2026",
		"Article 6(1)(e), Public task", "Article 9(2)(h), Health or social care", "Identity, Care record", "DSA-2026-014"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the list does not show %q", want)
		}
	}
	var gid string
	if err := s.DB.QueryRow(s.Ctx, `SELECT id FROM data_sharing_agreements`).Scan(&gid); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Body, `<code data-testid="group">Group/`+gid+`</code>`) {
		t.Errorf("the agreement does not show its Group for bulk export")
	}
	if r = c.Post("/governance/agreements/"+gid+"/end", url.Values{"reason": {""}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Say why the agreement is ending") {
		t.Fatalf("ending without a reason: %d", r.Status)
	}
	if r = c.Post("/governance/agreements/"+hearth.NewID()+"/end", url.Values{"reason": {"Contract closed"}}); r.Status != http.StatusNotFound {
		t.Fatalf("ending an agreement that does not exist: %d", r.Status)
	}
	if r = c.Post("/governance/agreements/"+gid+"/end", url.Values{"reason": {"Contract closed"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("ending: %d", r.Status)
	}
	if r = c.Get("/governance/agreements"); !strings.Contains(r.Body, `<span data-testid="status">Ended</span>`) || !strings.Contains(r.Body, "No agreement is due for review") {
		t.Fatal("the ended agreement is not shown as ended and out of the review list")
	}
}

// A partner's read shows in the person's access history under the
// partner's name, marked as a partner system.
func TestAPartnersReadShowsInTheAccessHistoryUnderItsName(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	_, set := partnerKey(t, "k1")
	p, err := s.Partners.Register(s.Ctx, partners.ByActor(admin.Actor), partners.NewPartner{Name: "Riverside GP Surgery", JWKS: set, Scopes: "system/Patient.rs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Partners.RecordAgreement(s.Ctx, ig.Actor, partners.NewAgreement{PartnerID: p.ID, Purpose: "Direct care by the registered GP practice",
		Article6: "6-1-e", Article9: "9-2-h", Categories: []string{"identity"}, Starts: s.Clock.Now().Truncate(24 * time.Hour),
		ReviewOn: s.Clock.Now().AddDate(1, 0, 0).Truncate(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeSharing,
		Recipient: "Riverside GP Surgery", Decision: "permit", Scope: []string{consent.ScopeCareRecord},
		InfoGiven: "Explained what the practice would see", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	partner := door.Actor{Subject: access.Subject{ID: p.ID, Kind: access.KindSystem}, Name: p.Name}
	if err := s.Door.Run(s.Ctx, partner, func(sc *door.Scope) error {
		_, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: access.Sharing, PersonID: s.Ann.ID, ResourceType: "Patient"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := s.Client(s.Server().URL)
	c.SignIn(s.Manager)
	if r := c.Get("/people/" + s.Ann.ID); !strings.Contains(r.Body, "Riverside GP Surgery (Partner system)") {
		t.Fatal("Ann's access history does not show the partner by name")
	}
}
