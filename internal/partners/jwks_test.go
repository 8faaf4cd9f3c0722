package partners_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"hearth"
	"hearth/internal/partners"
)

func keySet(t *testing.T, keys ...jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A pasted JWKS is stored only if every key is public, has a kid of its
// own and is an RS384 or ES384 signing key; otherwise the administrator is
// told which key breaks which rule.
func TestAPastedKeySetIsCheckedKeyByKey(t *testing.T) {
	ec := es384(t, "ec-1")
	rsa := rs384(t, "rsa-1", 2048)
	weak := rs384(t, "weak", 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub := func(k signingKey) jose.JSONWebKey {
		return jose.JSONWebKey{Key: k.pub, KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
	}
	cases := []struct {
		name string
		jwks string
		says string // "" when the set is accepted
	}{
		{"one ES384 public key", keySet(t, pub(ec)), ""},
		{"one RS384 public key", keySet(t, pub(rsa)), ""},
		{"an ES384 and an RS384 key, for rotation", keySet(t, pub(ec), pub(rsa)), ""},
		{"a key without a use", keySet(t, jose.JSONWebKey{Key: ec.pub, KeyID: "x", Algorithm: "ES384"}), ""},
		{"nothing pasted", "  ", "Paste the partner system's public keys"},
		{"not JSON", "-----BEGIN PUBLIC KEY-----", "must be a JSON Web Key Set"},
		{"a single key rather than a set", string(must(json.Marshal(pub(ec)))), "has no keys"},
		{"an empty set", `{"keys": []}`, "has no keys"},
		{"an elliptic-curve private key", keySet(t, jose.JSONWebKey{Key: ec.priv, KeyID: "ec-1", Algorithm: "ES384"}), `Key 1 (kid "ec-1") is a private or secret key`},
		{"an RSA private key second in the set", keySet(t, pub(ec), jose.JSONWebKey{Key: rsa.priv, KeyID: "rsa-1", Algorithm: "RS384"}), `Key 2 (kid "rsa-1") is a private or secret key`},
		{"a shared secret", `{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"s","alg":"HS256"}]}`, "is a private or secret key"},
		{"a key without a kid", keySet(t, jose.JSONWebKey{Key: ec.pub, Algorithm: "ES384"}), "Key 1 has no key ID"},
		{"two keys with one kid", keySet(t, pub(ec), jose.JSONWebKey{Key: rsa.pub, KeyID: "ec-1", Algorithm: "RS384"}), "repeats a key ID"},
		{"a key without an algorithm", keySet(t, jose.JSONWebKey{Key: ec.pub, KeyID: "ec-1"}), `add "alg": "ES384"`},
		{"an RS256 key", keySet(t, jose.JSONWebKey{Key: rsa.pub, KeyID: "r", Algorithm: "RS256"}), "uses RS256: SMART Backend Services accepts RS384 or ES384 only"},
		{"a P-256 key claiming ES384", keySet(t, jose.JSONWebKey{Key: &p256.PublicKey, KeyID: "p", Algorithm: "ES384"}), "not an elliptic-curve key on P-384"},
		{"an RSA key claiming ES384", keySet(t, jose.JSONWebKey{Key: rsa.pub, KeyID: "r", Algorithm: "ES384"}), "not an elliptic-curve key on P-384"},
		{"an elliptic-curve key claiming RS384", keySet(t, jose.JSONWebKey{Key: ec.pub, KeyID: "e", Algorithm: "RS384"}), "not an RSA key"},
		{"a 1024-bit RSA key", keySet(t, pub(weak)), "1024-bit RSA key: RS384 keys must be at least 2048 bits"},
		{"a key for encryption", keySet(t, jose.JSONWebKey{Key: ec.pub, KeyID: "e", Algorithm: "ES384", Use: "enc"}), `keys here verify signatures`},
		{"a key with a broken member", `{"keys":[{"kty":"EC","crv":"P-384","x":"!!","y":"!!","kid":"e","alg":"ES384"}]}`, "could not be read as a JSON Web Key"},
		{"a set far too large", `{"keys":[` + strings.Repeat(" ", 70<<10) + `]}`, "too large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := partners.ParseJWKS(tc.jwks)
			switch {
			case tc.says == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.says != "" && (err == nil || !strings.Contains(err.Error(), tc.says)):
				t.Fatalf("got %v, want an error saying %q", err, tc.says)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// Registration names the field and the rule for each thing wrong, and
// stores nothing.
func TestRegisteringAPartnerWithBadInputChangesNothing(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	w.register("Riverside GP Surgery", "system/Patient.rs", key)
	good := partners.NewPartner{Name: "Hillside Pharmacy", JWKS: jwks(t, key), Scopes: "system/Patient.rs"}
	cases := []struct {
		name  string
		edit  func(n *partners.NewPartner)
		field string
		says  string
	}{
		{"no name", func(n *partners.NewPartner) { n.Name = " " }, "Name", "Enter the partner organisation's name"},
		{"a name already registered, in other letters", func(n *partners.NewPartner) { n.Name = "RIVERSIDE gp surgery" }, "Name", "already registered"},
		{"a name too long", func(n *partners.NewPartner) { n.Name = strings.Repeat("n", 201) }, "Name", "200 characters or fewer"},
		{"a private key", func(n *partners.NewPartner) {
			n.JWKS = keySet(t, jose.JSONWebKey{Key: key.priv, KeyID: "k1", Algorithm: "ES384"})
		}, "Public keys", "private or secret key"},
		{"no scopes", func(n *partners.NewPartner) { n.Scopes = "" }, "Scopes", "Choose at least one"},
		{"a write scope", func(n *partners.NewPartner) { n.Scopes = "system/Patient.cruds" }, "Scopes", "may only read (r) and search (s)"},
		{"a resource type no agreement covers", func(n *partners.NewPartner) { n.Scopes = "system/AuditEvent.rs" }, "Scopes", "no data-sharing agreement can cover"},
	}
	before := w.Count(`SELECT COUNT(*) FROM partners`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := good
			tc.edit(&n)
			_, err := w.Partners.Register(w.Ctx, partners.ByActor(w.Admin.Actor), n)
			var herr *hearth.Error
			if hearth.KindOf(err) != hearth.KindInvalid || !errorsAs(err, &herr) || len(herr.Problems) == 0 {
				t.Fatalf("got %v, want invalid", err)
			}
			found := false
			for _, p := range herr.Problems {
				found = found || p.Field == tc.field && strings.Contains(p.Message, tc.says)
			}
			if !found {
				t.Fatalf("problems %+v do not name %s saying %q", herr.Problems, tc.field, tc.says)
			}
		})
	}
	if n := w.Count(`SELECT COUNT(*) FROM partners`); n != before {
		t.Errorf("bad input registered %d partners", n-before)
	}
}

// Only the administrator registers, lists and disables partner systems,
// and each attempt is a door decision.
func TestOnlyTheAdministratorManagesPartnerSystems(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	for _, who := range []struct {
		name  string
		actor func() partners.By
	}{
		{"the IG lead", func() partners.By { return partners.ByActor(w.IGLead.Actor) }},
		{"a registered manager", func() partners.By { return partners.ByActor(w.Manager.Actor) }},
		{"a care worker", func() partners.By { return partners.ByActor(w.Carer.Actor) }},
	} {
		t.Run(who.name+" may not", func(t *testing.T) {
			_, err := w.Partners.Register(w.Ctx, who.actor(), partners.NewPartner{Name: "X Ltd", JWKS: jwks(t, key), Scopes: "system/Patient.rs"})
			if hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("register: %v", err)
			}
			if _, err := w.Partners.Partners(w.Ctx, who.actor()); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("list: %v", err)
			}
			if _, err := w.Partners.Disable(w.Ctx, who.actor(), p.ID); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("disable: %v", err)
			}
		})
	}
	list, err := w.Partners.Partners(w.Ctx, partners.ByActor(w.Admin.Actor))
	if err != nil || len(list) != 1 || list[0].ID != p.ID || len(list[0].Keys) != 1 || list[0].Keys[0].ID != "k1" {
		t.Fatalf("the administrator's list: %+v, %v", list, err)
	}
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), p.ID); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("disabling twice: %v, want a conflict", err)
	}
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), "not-an-id"); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("disabling a partner that does not exist: %v, want not found", err)
	}
}

// Scopes are SMART v2 system scopes for reading and searching the types
// an agreement can cover.
func TestScopesAreSMARTv2SystemScopesThatOnlyRead(t *testing.T) {
	cases := []struct {
		scope string
		ok    bool
		read  bool
	}{
		{"system/Patient.rs", true, true},
		{"system/Observation.r", true, true},
		{"system/Observation.s", true, false},
		{"system/*.rs", true, true},
		{"system/Patient.sr", false, false},
		{"system/Patient.cruds", false, false},
		{"system/Patient.read", false, false},
		{"patient/Patient.rs", false, false},
		{"system/Practitioner.rs", false, false},
		{"system/.rs", false, false},
		{"system/Patient", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.scope, func(t *testing.T) {
			s, err := partners.ParseScope(tc.scope)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v", err)
			}
			if tc.ok && (s.String() != tc.scope || s.Read != tc.read) {
				t.Fatalf("read back as %s (read %v)", s, s.Read)
			}
		})
	}
	all, _ := partners.ParseScopes("system/*.rs")
	if !all.CanRead("MedicationAdministration") || !all.CanSearch("Consent") {
		t.Error("system/*.rs does not reach every type")
	}
	some, _ := partners.ParseScopes("system/Observation.r system/Observation.r")
	if len(some) != 1 || some.CanSearch("Observation") || some.CanRead("Patient") {
		t.Errorf("system/Observation.r reads as %s", some)
	}
}

func errorsAs(err error, target **hearth.Error) bool { return errors.As(err, target) }
