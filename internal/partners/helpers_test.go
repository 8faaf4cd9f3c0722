package partners_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
)

// endpoint is the token endpoint's URL in these tests: the audience every
// assertion must name.
const endpoint = "https://hearth.test" + partners.TokenPath

// signingKey is a partner's key pair as the partner holds it.
type signingKey struct {
	alg  jose.SignatureAlgorithm
	kid  string
	priv any
	pub  any
}

func es384(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{alg: jose.ES384, kid: kid, priv: k, pub: &k.PublicKey}
}

func rs384(t testing.TB, kid string, bits int) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{alg: jose.RS384, kid: kid, priv: k, pub: &k.PublicKey}
}

// jwks is the public key set a partner gives the administrator.
func jwks(t testing.TB, keys ...signingKey) string {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign makes a client assertion with go-jose, as a partner's system would.
func sign(t testing.TB, k signingKey, claims jwt.Claims) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// claimsFor are the claims SMART asks for: issued by and about the client,
// for the token endpoint, expiring in four minutes, with a fresh jti.
func claimsFor(clientID string, now time.Time) jwt.Claims {
	return jwt.Claims{Issuer: clientID, Subject: clientID, Audience: jwt.Audience{endpoint},
		Expiry: jwt.NewNumericDate(now.Add(4 * time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: newJTI()}
}

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func tokenRequest(assertion, scope string) partners.TokenRequest {
	return partners.TokenRequest{GrantType: partners.GrantClientCredentials, AssertionType: partners.AssertionTypeJWTBearer,
		Assertion: assertion, Scope: scope, Endpoint: endpoint, ClientAddr: "198.51.100.7", RequestID: "token-test"}
}

// world is the usual cast plus the people who manage partners: an
// administrator, who registers partner systems, and the information
// governance lead, who records agreements.
type world struct {
	*apptest.Scenario
	Admin  apptest.Staff
	IGLead apptest.Staff
}

func newWorld(t testing.TB) *world {
	s := apptest.NewScenario(t)
	return &world{Scenario: s, Admin: s.Staff("admin", access.Administrator), IGLead: s.Staff("iglead", access.IGLead, s.Home)}
}

func (w *world) register(name string, scopes string, keys ...signingKey) partners.Partner {
	w.T.Helper()
	p, err := w.Partners.Register(w.Ctx, partners.ByActor(w.Admin.Actor), partners.NewPartner{Name: name, Contact: "it@example.nhs.uk",
		JWKS: jwks(w.T, keys...), Scopes: scopes})
	if err != nil {
		w.T.Fatalf("register %s: %v", name, err)
	}
	return p
}

func (w *world) agree(p partners.Partner, categories ...string) partners.Agreement {
	w.T.Helper()
	day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	g, err := w.Partners.RecordAgreement(w.Ctx, w.IGLead.Actor, partners.NewAgreement{PartnerID: p.ID,
		Purpose: "Direct care: the GP practice sees the care home's record", Article6: "6-1-e", Article9: "9-2-h",
		Categories: categories, Starts: day.AddDate(0, -1, 0), ReviewOn: day.AddDate(1, 0, 0)})
	if err != nil {
		w.T.Fatalf("record agreement: %v", err)
	}
	return g
}

// consentToShare records Ann's consent to share her care record with
// recipient, as her care team would.
func (w *world) consentToShare(recipient string, scope ...string) consent.Consent {
	w.T.Helper()
	c, err := w.Consent.Give(w.Ctx, w.Manager.Actor, consent.NewConsent{PersonID: w.Ann.ID, Purpose: consent.PurposeSharing,
		Recipient: recipient, Decision: "permit", Scope: scope, Recipients: "The GP and practice nurses",
		InfoGiven: "Explained what the practice would see and how to say no later", InfoFormat: "standard"})
	if err != nil {
		w.T.Fatalf("consent: %v", err)
	}
	return c
}

// token gets an access token for the partner with key.
func (w *world) token(p partners.Partner, k signingKey, scope string) partners.Token {
	w.T.Helper()
	tok, err := w.Partners.IssueToken(w.Ctx, tokenRequest(sign(w.T, k, claimsFor(p.ID, w.Clock.Now())), scope))
	if err != nil {
		w.T.Fatalf("token: %v", err)
	}
	return tok
}

// authenticate is the FHIR API's first step: the bearer token back to the
// acting system.
func (w *world) authenticate(token string) (door.Actor, partners.Scopes, error) {
	r, _ := http.NewRequestWithContext(w.Ctx, http.MethodGet, "https://hearth.test/fhir/Patient", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	r.RemoteAddr = "198.51.100.7:443"
	return w.Partners.Authenticate(r)
}

// read is one FHIR read as the partner: a door decision about Ann.
func (w *world) read(actor door.Actor, action access.Action, resourceType string) error {
	return w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
		_, err := sc.Allow(door.Request{Action: action, Purpose: access.Sharing, PersonID: w.Ann.ID, ResourceType: resourceType})
		return err
	})
}
