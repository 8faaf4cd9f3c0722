package fhir_test

// Partner systems over HTTP, end to end: registered by the administrator,
// an agreement recorded by the IG lead, a token from the token endpoint for
// a signed assertion, then the API as the partner. docs/partners.md is the
// contract these hold it to.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/consent"
	"hearth/internal/partners"
)

// riverside is the partner system in these tests, as consents name it.
const riverside = "Riverside GP Surgery"

// partnerWorld is the usual cast, an HTTP server, and a registered partner
// system holding its private key.
type partnerWorld struct {
	*apptest.Scenario
	t      *testing.T
	srv    *httptest.Server
	admin  apptest.Staff
	ig     apptest.Staff
	key    *ecdsa.PrivateKey
	kid    string
	p      partners.Partner
	tokens int
}

func newPartnerWorld(t *testing.T, scopes string) *partnerWorld {
	t.Helper()
	s := apptest.NewScenario(t)
	w := &partnerWorld{Scenario: s, t: t, srv: s.Server(), admin: s.Staff("admin", access.Administrator), ig: s.Staff("iglead", access.IGLead, s.Home)}
	w.key, w.kid = newKey(t), "riverside-1"
	w.p = w.register(riverside, scopes, w.key, w.kid)
	return w
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (w *partnerWorld) register(name, scopes string, key *ecdsa.PrivateKey, kid string) partners.Partner {
	w.t.Helper()
	return registerPartner(w.t, w.App, w.admin, name, scopes, key, kid)
}

// registerPartner registers a partner system with the public half of key,
// as the administrator would.
func registerPartner(t testing.TB, a *apptest.App, admin apptest.Staff, name, scopes string, key *ecdsa.PrivateKey, kid string) partners.Partner {
	t.Helper()
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: "ES384", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Partners.Register(a.Ctx, partners.ByActor(admin.Actor), partners.NewPartner{Name: name, Contact: "it@example.nhs.uk",
		JWKS: string(set), Scopes: scopes})
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return p
}

// agree records an agreement with the partner covering categories, in
// force since a month ago.
func (w *partnerWorld) agree(p partners.Partner, categories ...string) partners.Agreement {
	w.t.Helper()
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	g, err := w.Partners.RecordAgreement(w.Ctx, w.ig.Actor, partners.NewAgreement{PartnerID: p.ID,
		Purpose: "Direct care: the GP practice sees the care home's record", Article6: "6-1-e", Article9: "9-2-h",
		Categories: categories, Starts: day.AddDate(0, -1, 0), ReviewOn: day.AddDate(1, 0, 0)})
	if err != nil {
		w.t.Fatalf("record agreement: %v", err)
	}
	return g
}

// consentToShare records the person's consent to share with recipient.
func (w *partnerWorld) consentToShare(personID, recipient string, scope ...string) consent.Consent {
	w.t.Helper()
	c, err := w.Consent.Give(w.Ctx, w.Manager.Actor, consent.NewConsent{PersonID: personID, Purpose: consent.PurposeSharing,
		Recipient: recipient, Decision: "permit", Scope: scope, Recipients: "The GP and practice nurses",
		InfoGiven: "Explained what the practice would see and how to say no later", InfoFormat: "standard"})
	if err != nil {
		w.t.Fatalf("consent: %v", err)
	}
	return c
}

func (w *partnerWorld) tokenURL() string { return w.srv.URL + partners.TokenPath }

// assertion is a client assertion as a partner's system signs it: by
// default for this client and the token endpoint, expiring in four
// minutes, with a fresh jti.
func (w *partnerWorld) assertion(clientID string, key *ecdsa.PrivateKey, kid string, edit func(*jwt.Claims)) string {
	w.t.Helper()
	return signAssertion(w.t, clientID, key, kid, w.tokenURL(), w.Clock.Now(), edit)
}

// signAssertion signs a client assertion with go-jose, as a partner's
// system would: for the client and the token endpoint aud, expiring in
// four minutes from now, with a fresh jti; edit changes the claims first.
func signAssertion(t testing.TB, clientID string, key *ecdsa.PrivateKey, kid, aud string, now time.Time, edit func(*jwt.Claims)) string {
	t.Helper()
	var b [16]byte
	_, _ = rand.Read(b[:])
	claims := jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{aud},
		Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: hex.EncodeToString(b[:])}
	if edit != nil {
		edit(&claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// askToken posts a token request to the token endpoint and returns the
// status and the JSON answer.
func (w *partnerWorld) askToken(assertion, scope string) (int, map[string]any) {
	w.t.Helper()
	return askToken(w.t, w.tokenURL(), assertion, scope)
}

func askToken(t testing.TB, tokenURL, assertion, scope string) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(tokenURL, neturl.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {partners.AssertionTypeJWTBearer}, "client_assertion": {assertion}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("token endpoint answered %d, not JSON: %s", resp.StatusCode, raw)
	}
	return resp.StatusCode, body
}

// token gets an access token for the partner with its own key.
func (w *partnerWorld) token(scope string) string {
	w.t.Helper()
	return w.tokenFor(w.p, w.key, w.kid, scope)
}

func (w *partnerWorld) tokenFor(p partners.Partner, key *ecdsa.PrivateKey, kid, scope string) string {
	w.t.Helper()
	status, body := w.askToken(w.assertion(p.ID, key, kid, nil), scope)
	tok, _ := body["access_token"].(string)
	if status != 200 || tok == "" {
		w.t.Fatalf("token: %d %v", status, body)
	}
	return tok
}

// call is one API request with a bearer token ("" sends none).
func (w *partnerWorld) call(token, method, path string, headers ...string) reply {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

func (w *partnerWorld) get(token, path string) reply {
	w.t.Helper()
	return w.call(token, "GET", path)
}

// events are the audit events a request caused.
func (w *partnerWorld) events(r reply) []audit.Event {
	w.t.Helper()
	evs, err := w.Audit.ByRequest(w.Ctx, r.Header.Get("X-Request-ID"))
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

// refusedAsNotFound checks a partner's request about a person was answered
// 404 with an OperationOutcome, and audited as a refusal for the reason
// given, as the partner, about that person.
func (w *partnerWorld) refusedAsNotFound(r reply, personID, reason string) {
	w.t.Helper()
	if r.Status != http.StatusNotFound || issues(w.t, r)[0]["code"] != "not-found" {
		w.t.Fatalf("want 404 not-found, got %d %s", r.Status, r.Body)
	}
	evs := w.events(r)
	for _, ev := range evs {
		if ev.PersonID == personID && ev.Decision == "deny" && ev.Reason == reason && ev.ActorName == riverside && ev.ActorKind == "system" {
			return
		}
	}
	w.t.Fatalf("no refusal for %s audited: %+v", reason, evs)
}

// A partner's token makes every call a door decision as the partner: a
// system acting for sharing, to itself, audited per person, and shown in
// the person's history under its name. Its searches reach only the people
// shared with it.
func TestAPartnersTokenMakesEveryCallADoorDecisionAsThePartner(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs system/Observation.rs")
	w.agree(w.p, "identity", "care-record")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	bob := w.Person(w.Manager, w.Home, "Bob", "Evans", "9434765870") // no consent for the partner
	drink := drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Hour))
	tok := w.token("system/Patient.rs system/Observation.rs")

	checkAudited := func(name string, r reply, people ...string) {
		t.Helper()
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		seen := map[string]bool{}
		for _, ev := range w.events(r) {
			if ev.ActorID != w.p.ID || ev.ActorName != riverside || ev.ActorKind != "system" || ev.Purpose != "sharing" {
				t.Errorf("%s: audited as someone else: %+v", name, ev)
			}
			if ev.PersonID != "" && ev.Decision == "permit" {
				seen[ev.PersonID] = true
			}
		}
		for _, p := range people {
			if !seen[p] {
				t.Errorf("%s: the read of %s is not audited", name, p)
			}
		}
		if seen[bob.ID] {
			t.Errorf("%s: Bob, who has not consented, was read", name)
		}
	}
	r := w.get(tok, "/fhir/Patient/"+w.Ann.ID)
	checkAudited("read", r, w.Ann.ID)
	r = w.get(tok, "/fhir/Observation/"+drink.ID)
	checkAudited("read an observation", r, w.Ann.ID)
	r = w.get(tok, "/fhir/Patient")
	checkAudited("search everyone", r, w.Ann.ID)
	if got := entriesOf(r.JSON(t)); len(got) != 1 || got[0]["id"] != w.Ann.ID {
		t.Errorf("a partner's search reaches beyond the people shared with it: %s", r.Body)
	}
	r = w.get(tok, "/fhir/Observation?patient="+bob.ID)
	checkAudited("search someone not shared", r)
	if got := entriesOf(r.JSON(t)); len(got) != 0 {
		t.Errorf("Bob's observations: %s", r.Body)
	}
	r = w.get(tok, "/fhir/Patient/"+w.Ann.ID+"/$everything")
	checkAudited("$everything", r, w.Ann.ID)
	types := map[string]bool{}
	for _, e := range entriesOf(r.JSON(t)) {
		types[e["resourceType"].(string)] = true
	}
	if !types["Patient"] || !types["Observation"] || len(types) != 2 {
		t.Errorf("$everything holds %v: want only what the scopes and agreement cover", types)
	}
	w.refusedAsNotFound(w.get(tok, "/fhir/Patient/"+bob.ID), bob.ID, "no-consent")

	// Ann's history, as the API gives it to her care team, names the partner.
	staff := signedIn(t, w.Scenario, w.srv.URL, w.Manager)
	h := staff.get("/fhir/AuditEvent?patient=" + w.Ann.ID + "&_count=500")
	if h.Status != 200 || !strings.Contains(string(h.Body), riverside) {
		t.Errorf("Ann's history does not show the partner: %d %.500s", h.Status, h.Body)
	}
}

// A token is refused at the API unless it is one the token endpoint
// issued and it is live: without one, or with anything else, the answer
// is 401 with a challenge.
func TestAnAPICallWithoutALiveTokenIs401WithAChallenge(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	for _, tc := range []struct{ name, token, challenge string }{
		{"no token", "", `Bearer realm="hearth"`},
		{"a made-up token", "not-a-token", `error="invalid_token"`},
		{"the signed assertion instead of a token", w.assertion(w.p.ID, w.key, w.kid, nil), `error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.get(tc.token, "/fhir/Patient/"+w.Ann.ID)
			if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), tc.challenge) || issues(t, r)[0]["code"] != "login" {
				t.Fatalf("%d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
			}
		})
	}
}

// An assertion for another audience gets no token, so the partner's call
// is refused.
func TestATokenForTheWrongAudienceIsRefusedAtTheEndpointAndTheAPI(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	status, body := w.askToken(w.assertion(w.p.ID, w.key, w.kid, func(c *jwt.Claims) {
		c.Audience = jwt.Audience{"https://elsewhere.example" + partners.TokenPath}
	}), "system/Patient.rs")
	if status != 401 || body["error"] != "invalid_client" || !strings.Contains(body["error_description"].(string), "audience") {
		t.Fatalf("token endpoint: %d %v", status, body)
	}
	tok, _ := body["access_token"].(string)
	if r := w.get(tok, "/fhir/Patient/"+w.Ann.ID); r.Status != 401 {
		t.Fatalf("API: %d %s", r.Status, r.Body)
	}
}

// A token lasts five minutes; after that the API refuses it as invalid.
func TestAnExpiredTokenIsRefusedAtTheAPI(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	tok := w.token("system/Patient.rs")
	if r := w.get(tok, "/fhir/Patient/"+w.Ann.ID); r.Status != 200 {
		t.Fatalf("a live token: %d %s", r.Status, r.Body)
	}
	w.Clock.Advance(5 * time.Minute)
	r := w.get(tok, "/fhir/Patient/"+w.Ann.ID)
	if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("an expired token: %d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
	}
	if evs := w.events(r); len(evs) != 0 {
		t.Errorf("a refused token reached the door: %+v", evs)
	}
}

// An assertion is used once: sent again it gets no second token, and what
// it was refused with opens nothing.
func TestAReusedAssertionGetsNoSecondToken(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	a := w.assertion(w.p.ID, w.key, w.kid, nil)
	status, first := w.askToken(a, "system/Patient.rs")
	if status != 200 {
		t.Fatalf("first use: %d %v", status, first)
	}
	status, again := w.askToken(a, "system/Patient.rs")
	if status != 401 || again["error"] != "invalid_client" || !strings.Contains(again["error_description"].(string), "jti") {
		t.Fatalf("second use: %d %v", status, again)
	}
	tok, _ := again["access_token"].(string)
	if r := w.get(tok, "/fhir/Patient/"+w.Ann.ID); r.Status != 401 {
		t.Errorf("the API after a reused assertion: %d %s", r.Status, r.Body)
	}
	if r := w.get(first["access_token"].(string), "/fhir/Patient/"+w.Ann.ID); r.Status != 200 {
		t.Errorf("the first token stopped working: %d %s", r.Status, r.Body)
	}
}

// An assertion signed with a key the client did not register is refused,
// whatever kid it names.
func TestAnAssertionSignedWithAKeyNotInTheClientsJWKSIsRefused(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	stranger := newKey(t)
	for _, tc := range []struct{ name, kid, says string }{
		{"the registered kid, another key", w.kid, "signature does not verify"},
		{"a kid never registered", "stolen-1", "not registered for this client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := w.askToken(w.assertion(w.p.ID, stranger, tc.kid, nil), "system/Patient.rs")
			if status != 401 || body["error"] != "invalid_client" || !strings.Contains(body["error_description"].(string), tc.says) {
				t.Fatalf("%d %v", status, body)
			}
			tok, _ := body["access_token"].(string)
			if r := w.get(tok, "/fhir/Patient/"+w.Ann.ID); r.Status != 401 {
				t.Errorf("API: %d %s", r.Status, r.Body)
			}
		})
	}
}

// A call outside the token's scopes is refused with 403 and an
// insufficient_scope challenge, before anything is read; no scope reaches
// the directory, which no agreement covers.
func TestACallOutsideTheClientsScopesIsRefusedWith403(t *testing.T) {
	w := newPartnerWorld(t, "system/*.rs")
	w.agree(w.p, "identity", "care-record")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	narrow := w.token("system/Patient.rs")
	wide := w.token("system/*.rs")
	for _, tc := range []struct{ name, token, path, scope string }{
		{"a search of a type not granted", narrow, "/fhir/Observation?patient=" + w.Ann.ID, "system/Observation.s"},
		{"a read of a type not granted", narrow, "/fhir/Observation/" + drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Hour)).ID, "system/Observation.r"},
		{"the staff directory", wide, "/fhir/Practitioner", "system/Practitioner.s"},
		{"the provider's locations", wide, "/fhir/Location/" + w.Home.ID, "system/Location.r"},
		{"the access log", wide, "/fhir/AuditEvent?patient=" + w.Ann.ID, "system/AuditEvent.s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.get(tc.token, tc.path)
			if r.Status != 403 || issues(t, r)[0]["code"] != "forbidden" ||
				!strings.Contains(r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) || !strings.Contains(string(r.Body), tc.scope) {
				t.Fatalf("%d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
			}
			if evs := w.events(r); len(evs) != 0 {
				t.Errorf("refused by scope, yet decided: %+v", evs)
			}
		})
	}
	if r := w.get(wide, "/fhir/Observation?patient="+w.Ann.ID); r.Status != 200 {
		t.Errorf("system/*.rs reaches what the agreement covers: %d %s", r.Status, r.Body)
	}
}

// A partner with no agreement in force receives nothing about anyone, and
// is told only that there is nothing to find; the refusal is audited with
// its real reason.
func TestAPartnerWithNoAgreementIsToldNotFoundAndTheRefusalIsAudited(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	tok := w.token("system/Patient.rs")
	w.refusedAsNotFound(w.get(tok, "/fhir/Patient/"+w.Ann.ID), w.Ann.ID, "no-agreement")
	r := w.get(tok, "/fhir/Patient")
	if r.Status != 200 || len(entriesOf(r.JSON(t))) != 0 {
		t.Errorf("a search without an agreement: %d %s", r.Status, r.Body)
	}
}

// Ending the agreement, or the person withdrawing their consent, stops the
// partner at its very next request, with the same token.
func TestEndingTheAgreementOrWithdrawingConsentStopsAccessAtTheNextRequest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stop   func(w *partnerWorld, g partners.Agreement, c consent.Consent) error
		reason string
	}{
		{"the agreement is ended", func(w *partnerWorld, g partners.Agreement, _ consent.Consent) error {
			return w.Partners.EndAgreement(w.Ctx, w.ig.Actor, g.ID, "The practice no longer looks after residents here")
		}, "no-agreement"},
		{"the person withdraws their consent", func(w *partnerWorld, _ partners.Agreement, c consent.Consent) error {
			_, err := w.Consent.Withdraw(w.Ctx, w.Manager.Actor, w.Ann.ID, c.ID, "Told her key worker she has changed her mind")
			return err
		}, "no-consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newPartnerWorld(t, "system/Patient.rs")
			g := w.agree(w.p, "identity")
			c := w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
			tok := w.token("system/Patient.rs")
			if r := w.get(tok, "/fhir/Patient/"+w.Ann.ID); r.Status != 200 {
				t.Fatalf("before: %d %s", r.Status, r.Body)
			}
			if err := tc.stop(w, g, c); err != nil {
				t.Fatal(err)
			}
			w.refusedAsNotFound(w.get(tok, "/fhir/Patient/"+w.Ann.ID), w.Ann.ID, tc.reason)
			w.refusedAsNotFound(w.get(tok, "/fhir/Patient/"+w.Ann.ID+"/$everything"), w.Ann.ID, tc.reason)
		})
	}
}

// The CapabilityStatement tells a partner where to get a token and what
// bulk export offers, truthfully.
func TestTheCapabilityStatementSaysHowPartnersConnectAndExport(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	caps := w.get("", "/fhir/metadata").JSON(t)
	rest := caps["rest"].([]any)[0].(map[string]any)
	sec := rest["security"].(map[string]any)
	oauth := sec["extension"].([]any)[0].(map[string]any)
	if oauth["url"] != "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris" ||
		oauth["extension"].([]any)[0].(map[string]any)["valueUri"] != w.tokenURL() {
		t.Errorf("the token endpoint is not where partners ask for tokens: %v", oauth)
	}
	if inst, _ := caps["instantiates"].([]any); len(inst) != 1 || inst[0] != "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" {
		t.Errorf("instantiates %v", caps["instantiates"])
	}
	ops := map[string]string{}
	for _, o := range rest["operation"].([]any) {
		ops["system"] = o.(map[string]any)["definition"].(string)
	}
	for _, r := range rest["resource"].([]any) {
		res := r.(map[string]any)
		list, _ := res["operation"].([]any)
		for _, o := range list {
			if o.(map[string]any)["name"] == "export" {
				ops[res["type"].(string)] = o.(map[string]any)["definition"].(string)
			}
		}
		if res["type"] == "Group" && res["interaction"] != nil {
			t.Errorf("Group offers interactions it does not have: %v", res["interaction"])
		}
	}
	if ops["system"] != "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export" ||
		ops["Patient"] != "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export" ||
		ops["Group"] != "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export" {
		t.Errorf("export operations: %v", ops)
	}
}
