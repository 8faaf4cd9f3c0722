package partners

// The token endpoint of SMART Backend Services (HL7 SMART App Launch v2,
// "Backend Services"): the client_credentials grant with a signed JWT
// assertion as the client's credential (RFC 7523 section 2.2), and the
// bearer tokens it hands out (RFC 6750).

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/store"
)

// Paths the FHIR API serves the token endpoint and the SMART configuration
// at, under the server's public URL.
const (
	TokenPath         = "/fhir/auth/token"
	ConfigurationPath = "/fhir/.well-known/smart-configuration"
)

// The request's fixed values.
const (
	GrantClientCredentials = "client_credentials"
	AssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

const (
	// maxAssertionLife is how far ahead an assertion may expire: SMART
	// asks for no more than five minutes.
	maxAssertionLife = 5 * time.Minute
	// clockSkew is how far the partner's clock may be from ours.
	clockSkew = 30 * time.Second
	// maxAssertion bounds the assertion: a JWT with an RSA signature is
	// well under 2 KB.
	maxAssertion = 8 << 10
)

// TokenRequest is a token request as the endpoint received it.
type TokenRequest struct {
	GrantType     string // grant_type
	AssertionType string // client_assertion_type
	Assertion     string // client_assertion
	Scope         string // scope
	ClientID      string // client_id: optional, but the assertion's issuer when given
	// Endpoint is the token endpoint's URL as this server is configured to
	// be reached: the audience the assertion must name.
	Endpoint   string
	ClientAddr string
	RequestID  string
}

// Token is an access token granted to a partner system.
type Token struct {
	AccessToken string
	ExpiresIn   int // seconds
	Scope       string
	PartnerID   string
}

// OAuthError is a token request refused, as RFC 6749 section 5.2 answers:
// an error code and a description naming the rule.
type OAuthError struct {
	Code        string
	Description string
}

// The error codes of RFC 6749 section 5.2. SMART Backend Services answers
// every failure to authenticate the client (a bad signature, audience,
// expiry or a reused jti) with invalid_client.
const (
	InvalidRequest       = "invalid_request"
	InvalidClient        = "invalid_client"
	InvalidScope         = "invalid_scope"
	UnsupportedGrantType = "unsupported_grant_type"
)

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

// Status is the HTTP status to answer with: 401 when the client could not
// be authenticated, 400 otherwise.
func (e *OAuthError) Status() int {
	if e.Code == InvalidClient {
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

func oauthErr(code, format string, args ...any) *OAuthError {
	return &OAuthError{Code: code, Description: fmt.Sprintf(format, args...)}
}

// IssueToken checks a token request and, if the client proves who it is
// and asks only for scopes it is registered for, issues an access token.
// Refusals are *OAuthError; any other error is a fault. Issue, and refusal
// of a request whose assertion names a registered partner, are audited.
func (s *Service) IssueToken(ctx context.Context, req TokenRequest) (Token, error) {
	var tok Token
	now := s.now()
	var partner Partner
	err := s.checkForm(req)
	var parsed *jwt.JSONWebToken
	var kid string
	var claims jwt.Claims
	var scopes Scopes
	if err == nil {
		parsed, kid, claims, err = parseAssertion(req)
	}
	if err == nil {
		scopes, err = ParseScopes(req.Scope)
		if err != nil {
			err = oauthErr(InvalidScope, "%v", err)
		}
	}
	if err == nil {
		err = s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
			var keys KeySet
			var err error
			partner, keys, err = loadPartner(q, claims.Issuer)
			if err != nil {
				return err
			}
			if err := verifyAssertion(parsed, kid, keys, partner.ID, req.Endpoint, now, &claims); err != nil {
				return err
			}
			if missing, ok := partner.Scopes.within(scopes); !ok {
				return oauthErr(InvalidScope, "%s is not a scope this client is registered for (it may have: %s)", missing, partner.Scopes)
			}
			if err := useJTI(q, partner.ID, claims.ID, claims.Expiry.Time(), now); err != nil {
				return err
			}
			tok, err = s.grant(q, partner, scopes, now)
			if err != nil {
				return err
			}
			return q.Note(audit.Event{At: now, ActorID: partner.ID, ActorName: partner.Name, ActorRole: access.KindSystem.String(),
				ActorKind: access.KindSystem.String(), Action: "token", ResourceType: "Device", ResourceID: partner.ID,
				Outcome: audit.OutcomeSuccess, Detail: "access token issued for " + tok.Scope,
				ClientAddr: req.ClientAddr, RequestID: req.RequestID})
		})
	}
	if err == nil {
		return tok, nil
	}
	var oe *OAuthError
	if !errors.As(err, &oe) {
		return Token{}, fmt.Errorf("partners: issue token: %w", err)
	}
	if partner.ID != "" {
		// Someone asked in a registered partner's name and was refused:
		// worth the IG lead's attention. Requests naming no registered
		// partner are not audited, so strangers cannot fill the log.
		if _, aerr := s.door.Audit().AppendNow(ctx, audit.Event{At: now, ActorID: partner.ID, ActorName: partner.Name,
			ActorRole: access.KindSystem.String(), ActorKind: access.KindSystem.String(), Action: "token", ResourceType: "Device",
			ResourceID: partner.ID, Outcome: audit.OutcomeDenied, Detail: oe.Error(), ClientAddr: req.ClientAddr,
			RequestID: req.RequestID}); aerr != nil {
			return Token{}, fmt.Errorf("partners: audit a refused token request: %w", aerr)
		}
	}
	return Token{}, oe
}

func (s *Service) checkForm(req TokenRequest) error {
	switch {
	case req.GrantType == "":
		return oauthErr(InvalidRequest, "grant_type is required: use %s", GrantClientCredentials)
	case req.GrantType != GrantClientCredentials:
		return oauthErr(UnsupportedGrantType, "grant_type %q is not supported: use %s", truncate(req.GrantType), GrantClientCredentials)
	case req.AssertionType != AssertionTypeJWTBearer:
		return oauthErr(InvalidRequest, "client_assertion_type must be %s", AssertionTypeJWTBearer)
	case req.Assertion == "":
		return oauthErr(InvalidRequest, "client_assertion is required: a JWT signed with the client's private key")
	case len(req.Assertion) > maxAssertion:
		return oauthErr(InvalidRequest, "client_assertion is too long: the limit is %d KB", maxAssertion>>10)
	case strings.TrimSpace(req.Scope) == "":
		return oauthErr(InvalidRequest, "scope is required: ask for SMART v2 system scopes such as system/Patient.rs")
	case req.Endpoint == "":
		return errors.New("partners: the token endpoint's own URL is not known")
	}
	return nil
}

// parseAssertion reads the assertion's header and claims before its
// signature is checked, to find whose key should verify it. Nothing read
// here is trusted until verifyAssertion has checked the signature.
func parseAssertion(req TokenRequest) (*jwt.JSONWebToken, string, jwt.Claims, error) {
	var claims jwt.Claims
	tok, err := jwt.ParseSigned(req.Assertion, []jose.SignatureAlgorithm{jose.RS384, jose.ES384})
	if err != nil {
		return nil, "", claims, oauthErr(InvalidClient, "client_assertion must be a JWT signed with RS384 or ES384")
	}
	if len(tok.Headers) != 1 || tok.Headers[0].KeyID == "" {
		return nil, "", claims, oauthErr(InvalidClient, "client_assertion must name the key that signed it (kid in its header)")
	}
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return nil, "", claims, oauthErr(InvalidClient, "client_assertion's claims could not be read")
	}
	switch {
	case claims.Issuer == "":
		return nil, "", claims, oauthErr(InvalidClient, "client_assertion must name the client (iss)")
	case claims.Subject != claims.Issuer:
		return nil, "", claims, oauthErr(InvalidClient, "client_assertion's sub must equal its iss: both are the client_id")
	case req.ClientID != "" && req.ClientID != claims.Issuer:
		return nil, "", claims, oauthErr(InvalidClient, "client_id does not match the assertion's issuer")
	}
	return tok, tok.Headers[0].KeyID, claims, nil
}

func loadPartner(q door.Querier, clientID string) (Partner, KeySet, error) {
	if !hearth.ValidID(clientID) {
		return Partner{}, KeySet{}, oauthErr(InvalidClient, "the client is not registered, or has been disabled")
	}
	p, keys, err := scanPartner(q.QueryRow(`SELECT id, name, contact, jwks, scopes, created_by_name, created_at, disabled_at,
		disabled_by_name FROM partners WHERE id = ?`, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return Partner{}, KeySet{}, oauthErr(InvalidClient, "the client is not registered, or has been disabled")
	}
	if err != nil {
		return Partner{}, KeySet{}, err
	}
	if !p.Active() {
		// Named, so the refusal is audited against the partner.
		return p, keys, oauthErr(InvalidClient, "the client is not registered, or has been disabled")
	}
	return p, keys, nil
}

// verifyAssertion checks the signature with the partner's registered key
// named by kid, then the claims SMART requires: issued by and about the
// client, for this token endpoint, unexpired, expiring within five
// minutes, with a jti.
func verifyAssertion(tok *jwt.JSONWebToken, kid string, keys KeySet, clientID, endpoint string, now time.Time, claims *jwt.Claims) error {
	key, ok := keys.byID(kid)
	if !ok {
		return oauthErr(InvalidClient, "client_assertion is signed with key %q, which is not registered for this client", truncate(kid))
	}
	if tok.Headers[0].Algorithm != key.Algorithm {
		return oauthErr(InvalidClient, "client_assertion is signed with %s but key %q is registered for %s", tok.Headers[0].Algorithm, kid, key.Algorithm)
	}
	*claims = jwt.Claims{}
	if err := tok.Claims(key.Key, claims); err != nil {
		return oauthErr(InvalidClient, "client_assertion's signature does not verify with the client's registered key %q", kid)
	}
	switch {
	case claims.Expiry == nil:
		return oauthErr(InvalidClient, "client_assertion must say when it expires (exp)")
	case claims.ID == "":
		return oauthErr(InvalidClient, "client_assertion must have a unique ID (jti)")
	case len(claims.ID) > 255:
		return oauthErr(InvalidClient, "client_assertion's jti must be 255 characters or fewer")
	case !claims.Audience.Contains(endpoint):
		return oauthErr(InvalidClient, "client_assertion's audience (aud) must be this token endpoint, %s", endpoint)
	case claims.Expiry.Time().After(now.Add(maxAssertionLife + clockSkew)):
		return oauthErr(InvalidClient, "client_assertion expires more than 5 minutes ahead: exp must be at most 5 minutes after now")
	}
	err := claims.ValidateWithLeeway(jwt.Expected{Issuer: clientID, Subject: clientID, Time: now}, clockSkew)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return oauthErr(InvalidClient, "client_assertion has expired (exp): sign a new one for each request")
	case errors.Is(err, jwt.ErrNotValidYet):
		return oauthErr(InvalidClient, "client_assertion is not valid yet (nbf)")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return oauthErr(InvalidClient, "client_assertion was issued in the future (iat): check the client's clock")
	}
	return oauthErr(InvalidClient, "client_assertion's claims are not valid: %v", err)
}

// useJTI records the assertion's jti until the assertion expires, and
// refuses one already used. Expired records are dropped as it goes.
func useJTI(q door.Tx, partnerID, jti string, expires, now time.Time) error {
	if _, err := q.Exec(`DELETE FROM partner_assertions WHERE expires_at < ?`, now.Add(-clockSkew)); err != nil {
		return err
	}
	var n int
	if err := q.QueryRow(`SELECT COUNT(*) FROM partner_assertions WHERE partner_id = ? AND jti = ?`, partnerID, jti).Scan(&n); err != nil {
		return err
	}
	reused := oauthErr(InvalidClient, "client_assertion's jti %q has been used before: sign a new assertion for each request", truncate(jti))
	if n > 0 {
		return reused
	}
	_, err := q.Exec(`INSERT INTO partner_assertions (partner_id, jti, expires_at) VALUES (?, ?, ?)`, partnerID, jti, expires.UTC())
	if store.IsUniqueViolation(err) {
		// The same assertion sent twice at once: one of them wins.
		return reused
	}
	return err
}

// grant stores a new access token's hash and returns the token.
func (s *Service) grant(q door.Tx, p Partner, scopes Scopes, now time.Time) (Token, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	expires := now.Add(s.cfg.TokenLifetime)
	if _, err := q.Exec(`DELETE FROM partner_tokens WHERE expires_at <= ?`, now); err != nil {
		return Token{}, err
	}
	if _, err := q.Exec(`INSERT INTO partner_tokens (token_hash, partner_id, scopes, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash(token), p.ID, scopes.String(), now, expires); err != nil {
		return Token{}, err
	}
	return Token{AccessToken: token, ExpiresIn: int(s.cfg.TokenLifetime / time.Second), Scope: scopes.String(), PartnerID: p.ID}, nil
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// AuthError is a bearer token refused (RFC 6750 section 3): the FHIR API
// answers with Status and a WWW-Authenticate header of Challenge.
type AuthError struct {
	Code        string // "" when the request carried no token at all
	Description string
}

func (e *AuthError) Error() string {
	if e.Code == "" {
		return e.Description
	}
	return e.Code + ": " + e.Description
}

// Unwrap makes an AuthError read as unauthenticated (or, for too narrow a
// scope, forbidden) to code that maps hearth error kinds.
func (e *AuthError) Unwrap() error {
	if e.Code == "insufficient_scope" {
		return hearth.Errorf(hearth.KindForbidden, "%s", e.Description)
	}
	return hearth.Errorf(hearth.KindUnauthenticated, "%s", e.Description)
}

// Status is 403 for a token whose scopes do not reach the request, 401
// otherwise.
func (e *AuthError) Status() int {
	if e.Code == "insufficient_scope" {
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// Challenge is the WWW-Authenticate header value to send with the refusal.
func (e *AuthError) Challenge() string {
	c := `Bearer realm="hearth"`
	if e.Code != "" {
		c += fmt.Sprintf(`, error="%s", error_description="%s"`, e.Code, strings.ReplaceAll(e.Description, `"`, `'`))
	}
	return c
}

// InsufficientScope is the refusal for a call its token's scopes do not
// reach (scope is what it would need, such as system/Observation.rs).
func InsufficientScope(scope string) *AuthError {
	return &AuthError{Code: "insufficient_scope", Description: "The access token's scopes do not include " + scope}
}

// Authenticate reads the request's bearer token and returns the partner
// system acting, as the door knows it, and the scopes its token was
// granted. The caller sets the actor's RequestID. A missing, unknown or
// expired token, or one whose partner has been disabled, is an *AuthError:
// answer 401 with its Challenge.
func (s *Service) Authenticate(r *http.Request) (door.Actor, Scopes, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return door.Actor{}, nil, &AuthError{Description: "Send an access token from " + TokenPath + " as Authorization: Bearer <token>"}
	}
	invalid := &AuthError{Code: "invalid_token", Description: "The access token is unknown or has expired: ask for a new one"}
	if len(token) > 200 {
		return door.Actor{}, nil, invalid
	}
	now := s.now()
	var actor door.Actor
	var scopes Scopes
	err := s.door.Outside(r.Context(), door.PartnerSystems, func(q *door.Plain) error {
		var id, name, granted string
		var expires time.Time
		err := q.QueryRow(`SELECT t.partner_id, p.name, t.scopes, t.expires_at FROM partner_tokens t
			JOIN partners p ON p.id = t.partner_id WHERE t.token_hash = ? AND p.disabled_at IS NULL`, tokenHash(token)).
			Scan(&id, &name, &granted, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return invalid
		} else if err != nil {
			return err
		}
		if !now.Before(expires) {
			return invalid
		}
		if scopes, err = ParseScopes(granted); err != nil {
			return err
		}
		actor = door.Actor{Subject: access.Subject{ID: id, Kind: access.KindSystem}, Name: name, ClientAddr: clientAddr(r)}
		return nil
	})
	if err != nil {
		return door.Actor{}, nil, err
	}
	return actor, scopes, nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Configuration is the SMART configuration document (served at
// ConfigurationPath) for a server reached at base: where the token
// endpoint is and what it accepts.
func Configuration(base string) map[string]any {
	scopes := []string{"system/*.rs"}
	for _, c := range Categories {
		for _, t := range c.ResourceTypes {
			scopes = append(scopes, "system/"+t+".rs")
		}
	}
	return map[string]any{
		"token_endpoint":                                   strings.TrimSuffix(base, "/") + TokenPath,
		"grant_types_supported":                            []string{GrantClientCredentials},
		"token_endpoint_auth_methods_supported":            []string{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []string{string(jose.RS384), string(jose.ES384)},
		"scopes_supported":                                 scopes,
		"capabilities":                                     []string{"client-confidential-asymmetric", "permission-v2"},
	}
}
