package fhir

// Partner systems: the bearer tokens internal/partners issues (SMART
// Backend Services) make the API act as the partner. docs/partners.md has
// the flow; docs/architecture.md ("Partner systems") the door's side.

import (
	"net/http"

	"hearth/internal/access"
	"hearth/internal/partners"
)

// PartnerTokens authenticates partner systems by their access tokens. The
// API then acts as the partner, an actor of kind system, for sharing, with
// the partner itself as the recipient of everything, within the scopes the
// token was granted: every request is a door decision as the partner,
// audited and shown in each person's access history under its name. A
// request with no Authorization header is left to the staff session; one
// with a header that is not a live token is refused (401, with a
// WWW-Authenticate challenge saying why).
func PartnerTokens(p *partners.Service) Authenticator {
	return AuthenticatorFunc(func(r *http.Request) (Caller, bool, error) {
		if r.Header.Get("Authorization") == "" {
			return Caller{}, false, nil
		}
		actor, scopes, err := p.Authenticate(r)
		if err != nil {
			return Caller{}, false, err
		}
		return Caller{Actor: actor, Purpose: access.Sharing, Recipient: actor.Name, Scopes: scopes}, true, nil
	})
}
