package partners_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"hearth"
	"hearth/internal/partners"
)

// Every way a token request can break a rule is refused with the OAuth 2.0
// error RFC 6749 section 5.2 names (SMART: invalid_client for anything
// wrong with the client's proof of identity), a description naming the
// rule, and no token issued.
func TestTokenRequestsThatBreakARuleAreRefusedAndIssueNothing(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs system/Observation.rs", key)
	gone := es384(t, "k1")
	disabled := w.register("Closed Practice", "system/Patient.rs", gone)
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), disabled.ID); err != nil {
		t.Fatal(err)
	}
	now := w.Clock.Now()
	valid := func(change func(c *jwt.Claims)) string {
		c := claimsFor(p.ID, now)
		if change != nil {
			change(&c)
		}
		return sign(t, key, c)
	}
	used := valid(nil)
	if _, err := w.Partners.IssueToken(w.Ctx, tokenRequest(used, "system/Patient.rs")); err != nil {
		t.Fatalf("the first use of an assertion: %v", err)
	}
	hs256, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("a shared secret that is long enough!")},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	hsAssertion, _ := jwt.Signed(hs256).Claims(claimsFor(p.ID, now)).Serialize()

	cases := []struct {
		name   string
		req    partners.TokenRequest
		code   string
		status int
		says   string
	}{
		{"an assertion for another server's token endpoint", tokenRequest(valid(func(c *jwt.Claims) {
			c.Audience = jwt.Audience{"https://elsewhere.example/token"}
		}), "system/Patient.rs"), partners.InvalidClient, 401, "audience (aud) must be this token endpoint, " + endpoint},
		{"an expired assertion", tokenRequest(valid(func(c *jwt.Claims) {
			c.Expiry = jwt.NewNumericDate(now.Add(-2 * time.Minute))
			c.IssuedAt = jwt.NewNumericDate(now.Add(-7 * time.Minute))
		}), "system/Patient.rs"), partners.InvalidClient, 401, "has expired"},
		{"an assertion expiring more than five minutes ahead", tokenRequest(valid(func(c *jwt.Claims) {
			c.Expiry = jwt.NewNumericDate(now.Add(10 * time.Minute))
		}), "system/Patient.rs"), partners.InvalidClient, 401, "more than 5 minutes ahead"},
		{"an assertion whose jti was used before", tokenRequest(used, "system/Patient.rs"), partners.InvalidClient, 401, "has been used before"},
		{"an assertion without a jti", tokenRequest(valid(func(c *jwt.Claims) { c.ID = "" }), "system/Patient.rs"),
			partners.InvalidClient, 401, "unique ID (jti)"},
		{"an assertion without an expiry", tokenRequest(valid(func(c *jwt.Claims) { c.Expiry = nil }), "system/Patient.rs"),
			partners.InvalidClient, 401, "when it expires (exp)"},
		{"an assertion about someone other than its issuer", tokenRequest(valid(func(c *jwt.Claims) { c.Subject = hearth.NewID() }), "system/Patient.rs"),
			partners.InvalidClient, 401, "sub must equal its iss"},
		{"an assertion signed with a key not in the client's JWKS, under a registered kid",
			tokenRequest(sign(t, es384(t, "k1"), claimsFor(p.ID, now)), "system/Patient.rs"), partners.InvalidClient, 401, "does not verify"},
		{"an assertion signed with a key not in the client's JWKS, under its own kid",
			tokenRequest(sign(t, es384(t, "stolen"), claimsFor(p.ID, now)), "system/Patient.rs"), partners.InvalidClient, 401, `key "stolen", which is not registered`},
		{"an assertion signed with RS256", tokenRequest(func() string {
			k := rs384(t, "k1", 2048)
			k.alg = jose.RS256
			return sign(t, k, claimsFor(p.ID, now))
		}(), "system/Patient.rs"), partners.InvalidClient, 401, "RS384 or ES384"},
		{"an assertion MACed with a shared secret", tokenRequest(hsAssertion, "system/Patient.rs"), partners.InvalidClient, 401, "RS384 or ES384"},
		{"an assertion without a kid", tokenRequest(func() string {
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES384, Key: key.priv}, (&jose.SignerOptions{}).WithType("JWT"))
			s, _ := jwt.Signed(signer).Claims(claimsFor(p.ID, now)).Serialize()
			return s
		}(), "system/Patient.rs"), partners.InvalidClient, 401, "(kid in its header)"},
		{"something that is not a JWT", tokenRequest("not.a.jwt", "system/Patient.rs"), partners.InvalidClient, 401, "must be a JWT"},
		{"a client nobody registered", tokenRequest(sign(t, key, claimsFor(hearth.NewID(), now)), "system/Patient.rs"),
			partners.InvalidClient, 401, "not registered, or has been disabled"},
		{"a disabled client", tokenRequest(sign(t, gone, claimsFor(disabled.ID, now)), "system/Patient.rs"),
			partners.InvalidClient, 401, "not registered, or has been disabled"},
		{"a client_id that is not the assertion's issuer", func() partners.TokenRequest {
			r := tokenRequest(valid(nil), "system/Patient.rs")
			r.ClientID = disabled.ID
			return r
		}(), partners.InvalidClient, 401, "client_id does not match"},
		{"a scope the client is not registered for", tokenRequest(valid(nil), "system/Patient.rs system/MedicationAdministration.rs"),
			partners.InvalidScope, 400, "system/MedicationAdministration.rs is not a scope this client is registered for"},
		{"a scope that writes", tokenRequest(valid(nil), "system/Observation.cruds"), partners.InvalidScope, 400, "may only read (r) and search (s)"},
		{"a SMART v1 scope", tokenRequest(valid(nil), "system/Patient.read"), partners.InvalidScope, 400, "ask for system/Patient.rs instead"},
		{"a user scope", tokenRequest(valid(nil), "user/Patient.rs"), partners.InvalidScope, 400, "not a system scope"},
		{"no scope", tokenRequest(valid(nil), ""), partners.InvalidRequest, 400, "scope is required"},
		{"another grant type", func() partners.TokenRequest {
			r := tokenRequest(valid(nil), "system/Patient.rs")
			r.GrantType = "password"
			return r
		}(), partners.UnsupportedGrantType, 400, "use client_credentials"},
		{"no grant type", func() partners.TokenRequest {
			r := tokenRequest(valid(nil), "system/Patient.rs")
			r.GrantType = ""
			return r
		}(), partners.InvalidRequest, 400, "grant_type is required"},
		{"another assertion type", func() partners.TokenRequest {
			r := tokenRequest(valid(nil), "system/Patient.rs")
			r.AssertionType = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
			return r
		}(), partners.InvalidRequest, 400, "client_assertion_type must be"},
		{"no assertion", tokenRequest("", "system/Patient.rs"), partners.InvalidRequest, 400, "client_assertion is required"},
	}
	tokens := w.Count(`SELECT COUNT(*) FROM partner_tokens`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.Partners.IssueToken(w.Ctx, tc.req)
			var oe *partners.OAuthError
			if !errors.As(err, &oe) {
				t.Fatalf("got %v, want an OAuth error", err)
			}
			if oe.Code != tc.code || oe.Status() != tc.status || !strings.Contains(oe.Description, tc.says) {
				t.Fatalf("got %s (%d): %q; want %s (%d) saying %q", oe.Code, oe.Status(), oe.Description, tc.code, tc.status, tc.says)
			}
		})
	}
	if n := w.Count(`SELECT COUNT(*) FROM partner_tokens`); n != tokens {
		t.Errorf("refused requests issued %d tokens", n-tokens)
	}
}

// Token requests in a registered partner's name are audited, issued or
// refused, against that partner; a stranger's are not, so strangers cannot
// fill the log.
func TestTokenRequestsInAPartnersNameAreAudited(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	now := w.Clock.Now()
	cases := []struct {
		name    string
		req     partners.TokenRequest
		outcome string
	}{
		{"an issued token", tokenRequest(sign(t, key, claimsFor(p.ID, now)), "system/Patient.rs"), "success"},
		{"a refusal naming a registered partner", tokenRequest(sign(t, es384(t, "k1"), claimsFor(p.ID, now)), "system/Patient.rs"), "denied"},
		{"a refusal naming no registered partner", tokenRequest(sign(t, key, claimsFor(hearth.NewID(), now)), "system/Patient.rs"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.RequestID = hearth.NewID()
			_, _ = w.Partners.IssueToken(w.Ctx, tc.req)
			evs, err := w.Audit.ByRequest(w.Ctx, tc.req.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.outcome == "" {
				if len(evs) != 0 {
					t.Fatalf("a stranger's request was audited: %+v", evs)
				}
				return
			}
			if len(evs) != 1 || evs[0].Outcome != tc.outcome || evs[0].ActorID != p.ID || evs[0].ActorName != p.Name ||
				evs[0].Action != "token" || evs[0].ClientAddr != "198.51.100.7" {
				t.Fatalf("audited as %+v", evs)
			}
		})
	}
}

// A bearer token is refused when missing, unknown, expired or its partner
// disabled; each refusal carries the WWW-Authenticate challenge RFC 6750
// asks for.
func TestBearerTokensAreRefusedWhenTheyNoLongerHold(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	expiring := w.token(p, key, "system/Patient.rs").AccessToken
	w.Clock.Advance(5 * time.Minute)
	live := w.token(p, key, "system/Patient.rs").AccessToken
	if _, _, err := w.authenticate(live); err != nil {
		t.Fatalf("a live token: %v", err)
	}
	other := w.register("Closed Practice", "system/Patient.rs", key)
	disabledToken := w.token(other, key, "system/Patient.rs").AccessToken
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), other.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		header    string
		challenge string
	}{
		{"no token at all", "", `Bearer realm="hearth"`},
		{"a token sent as Basic", "Basic " + live, `Bearer realm="hearth"`},
		{"a token nobody issued", "Bearer " + strings.Repeat("x", 43), `error="invalid_token"`},
		{"a token that has expired", "Bearer " + expiring, `error="invalid_token"`},
		{"a token of a partner since disabled", "Bearer " + disabledToken, `error="invalid_token"`},
		{"an absurdly long token", "Bearer " + strings.Repeat("x", 5000), `error="invalid_token"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequestWithContext(w.Ctx, http.MethodGet, "https://hearth.test/fhir/Patient", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			_, _, err := w.Partners.Authenticate(r)
			var ae *partners.AuthError
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an AuthError", err)
			}
			if ae.Status() != http.StatusUnauthorized || !strings.Contains(ae.Challenge(), tc.challenge) ||
				hearth.KindOf(err) != hearth.KindUnauthenticated {
				t.Fatalf("got %d %q (%v)", ae.Status(), ae.Challenge(), hearth.KindOf(err))
			}
		})
	}
	if ae := partners.InsufficientScope("system/Observation.rs"); ae.Status() != http.StatusForbidden ||
		!strings.Contains(ae.Challenge(), `error="insufficient_scope"`) {
		t.Errorf("insufficient scope: %d %q", ae.Status(), ae.Challenge())
	}
}

// An assertion sent twenty times at once gets exactly one token, on both
// engines: its jti is used once.
func TestAnAssertionSentManyTimesAtOnceGetsOneToken(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	req := tokenRequest(sign(t, key, claimsFor(p.ID, w.Clock.Now())), "system/Patient.rs")
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := w.Partners.IssueToken(w.Ctx, req)
			errs <- err
		}()
	}
	issued, reused := 0, 0
	for range n {
		err := <-errs
		var oe *partners.OAuthError
		switch {
		case err == nil:
			issued++
		case errors.As(err, &oe) && strings.Contains(oe.Description, "has been used before"):
			reused++
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if issued != 1 || reused != n-1 || w.Count(`SELECT COUNT(*) FROM partner_tokens`) != 1 {
		t.Fatalf("%d issued, %d refused as reused, %d tokens stored", issued, reused, w.Count(`SELECT COUNT(*) FROM partner_tokens`))
	}
}
