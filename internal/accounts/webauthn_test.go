package accounts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
)

// softKey is a software authenticator for these tests: one ES256 key pair
// with a signature counter, answering the server's options the way a
// browser and a security key would (W3C WebAuthn Level 3, sections 6.1,
// 6.5 and 7). The browser journey uses Chromium's virtual authenticator.
type softKey struct {
	t       *testing.T
	key     *ecdsa.PrivateKey
	id      []byte
	counter uint32
	origin  string
}

func newSoftKey(t *testing.T, origin string) *softKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{t: t, key: k, id: id, counter: 0, origin: origin}
}

func (k *softKey) clientData(typ string, challenge protocol.URLEncodedBase64) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": b64url.EncodeToString(challenge), "origin": k.origin, "crossOrigin": false})
	return b
}

func (k *softKey) authData(rpID string, flags byte, extra []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, k.counter)
	return append(out, extra...)
}

// create answers registration options as navigator.credentials.create does.
func (k *softKey) create(opts *protocol.CredentialCreation) []byte {
	k.t.Helper()
	pk := opts.Response
	x, y := k.key.PublicKey.X.FillBytes(make([]byte, 32)), k.key.PublicKey.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		k.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.id)))
	attested = append(append(attested, k.id...), cose...)
	ad := k.authData(pk.RelyingParty.ID, 0x01|0x04|0x40, attested) // UP, UV, AT
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64url.EncodeToString(k.id), "rawId": b64url.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64url.EncodeToString(k.clientData("webauthn.create", pk.Challenge)),
			"attestationObject": b64url.EncodeToString(att), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{}})
	return b
}

// get answers sign-in options as navigator.credentials.get does, counting
// one more use.
func (k *softKey) get(opts *protocol.CredentialAssertion, userID string) []byte {
	k.t.Helper()
	k.counter++
	return k.sign(opts.Response.Challenge, opts.Response.RelyingPartyID, userID)
}

func (k *softKey) sign(challenge protocol.URLEncodedBase64, rpID, userID string) []byte {
	k.t.Helper()
	return k.signWithFlags(challenge, rpID, userID, 0x01|0x04) // user present, user verified
}

// signWithFlags answers with the given authenticator data flags.
func (k *softKey) signWithFlags(challenge protocol.URLEncodedBase64, rpID, userID string, flags byte) []byte {
	k.t.Helper()
	cd := k.clientData("webauthn.get", challenge)
	ad := k.authData(rpID, flags, nil)
	cdh := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdh[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"id": b64url.EncodeToString(k.id), "rawId": b64url.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64url.EncodeToString(cd), "authenticatorData": b64url.EncodeToString(ad),
			"signature": b64url.EncodeToString(sig), "userHandle": b64url.EncodeToString([]byte(userID))},
		"clientExtensionResults": map[string]any{}})
	return b
}

var testRP = RelyingParty{ID: "hearth.example.org", Origin: "https://hearth.example.org", Name: "Hearth"}

// personWithPasskey is a portal person, enrolled with TOTP, who has added
// key as a passkey from a full session.
func (a *testApp) personWithPasskey(username string, key *softKey) (User, string) {
	a.t.Helper()
	u, err := a.svc.CreateUser(a.ctx, NewUser{Kind: access.KindPerson, Username: username, DisplayName: "Person " + username,
		Password: testPassword, By: operator, Meta: a.meta})
	if err != nil {
		a.t.Fatal(err)
	}
	secret, _, token := a.enrol(u)
	sess, err := a.svc.LoadSession(a.ctx, token)
	if err != nil {
		a.t.Fatal(err)
	}
	opts, err := a.svc.BeginPasskeyRegistration(a.ctx, sess, testRP)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.svc.FinishPasskeyRegistration(a.ctx, sess, testRP, "My phone", key.create(opts), a.meta); err != nil {
		a.t.Fatalf("add passkey: %v", err)
	}
	u, _ = a.svc.Get(a.ctx, u.ID)
	return u, secret
}

// pending signs in with the password and returns the StageMFA token.
func (a *testApp) pending(u User) string {
	a.t.Helper()
	token, sess, err := a.svc.SignIn(a.ctx, u.Username, testPassword, a.meta)
	if err != nil || sess.Stage != StageMFA {
		a.t.Fatalf("sign in: %v (stage %q)", err, sess.Stage)
	}
	return token
}

func TestAPasskeyAddedAfterTOTPSignInReplacesTheCodeAndIsAudited(t *testing.T) {
	a := newTestApp(t)
	key := newSoftKey(t, testRP.Origin)
	u, _ := a.personWithPasskey("ann", key)
	a.audited("passkey-add", audit.OutcomeSuccess, u.ID, `added passkey "My phone"`)

	list, err := a.svc.Passkeys(a.ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].Name != "My phone" || !list[0].LastUsedAt.IsZero() {
		t.Fatalf("passkeys %+v, %v", list, err)
	}

	pending := a.pending(u)
	opts, err := a.svc.BeginPasskeySignIn(a.ctx, pending, testRP)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Response.AllowedCredentials) != 1 || string(opts.Response.AllowedCredentials[0].CredentialID) != string(key.id) {
		t.Fatalf("allowed credentials %+v", opts.Response.AllowedCredentials)
	}
	full, err := a.svc.FinishPasskeySignIn(a.ctx, pending, testRP, key.get(opts, u.ID), a.meta)
	if err != nil {
		t.Fatalf("sign in with passkey: %v", err)
	}
	sess, err := a.svc.LoadSession(a.ctx, full)
	if err != nil || !sess.Full() || sess.User.ID != u.ID {
		t.Fatalf("session after passkey %+v, %v", sess, err)
	}
	if _, err := a.svc.LoadSession(a.ctx, pending); err == nil {
		t.Error("the pending session still works after the passkey promoted it")
	}
	a.audited("sign-in-mfa", audit.OutcomeSuccess, u.ID, "signed in with a passkey")
	a.audited("passkey-use", audit.OutcomeSuccess, u.ID, `signed in with passkey "My phone"`)
	list, _ = a.svc.Passkeys(a.ctx, u.ID)
	if list[0].LastUsedAt.IsZero() {
		t.Error("last used time not recorded")
	}

	if err := a.svc.RemovePasskey(a.ctx, sess, list[0].ID, a.meta); err != nil {
		t.Fatal(err)
	}
	a.audited("passkey-remove", audit.OutcomeSuccess, u.ID, `removed passkey "My phone"`)
	if _, err := a.svc.BeginPasskeySignIn(a.ctx, a.pending(u), testRP); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("sign-in options after removing the only passkey: %v", err)
	}
}

func TestAPasskeyAnswerIsRefusedWhenItCannotBeTrusted(t *testing.T) {
	tests := []struct {
		name   string
		answer func(a *testApp, u User, key *softKey, pending *string) []byte
		detail string
	}{
		{"a cloned authenticator whose counter does not go up", func(a *testApp, u User, key *softKey, pending *string) []byte {
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			// The genuine key signs in once, moving the counter to 1 ...
			if _, err := a.svc.FinishPasskeySignIn(a.ctx, *pending, testRP, key.get(opts, u.ID), a.meta); err != nil {
				a.t.Fatal(err)
			}
			// ... and a copy of it, still at 1, tries again.
			*pending = a.pending(u)
			opts, _ = a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			return key.sign(opts.Response.Challenge, testRP.ID, u.ID)
		}, "signature counter 1 did not go up from 1"},
		{"an answer for another site (a phishing proxy)", func(a *testApp, u User, key *softKey, pending *string) []byte {
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			key.origin = "https://hearth-example.org.evil.test"
			return key.get(opts, u.ID)
		}, "passkey refused"},
		{"an answer to a challenge already used", func(a *testApp, u User, key *softKey, pending *string) []byte {
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			answer := key.get(opts, u.ID)
			if _, err := a.svc.FinishPasskeySignIn(a.ctx, *pending, testRP, answer, a.meta); err != nil {
				a.t.Fatal(err)
			}
			*pending = a.pending(u)
			return answer
		}, "no live challenge"},
		{"an answer after the challenge expired", func(a *testApp, u User, key *softKey, pending *string) []byte {
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			a.clock.Advance(ChallengeLife + time.Second)
			return key.get(opts, u.ID)
		}, "no live challenge"},
		{"an answer to another session's challenge", func(a *testApp, u User, key *softKey, pending *string) []byte {
			other := a.pending(u)
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, other, testRP)
			return key.get(opts, u.ID)
		}, "no live challenge"},
		{"a passkey that is not the account's", func(a *testApp, u User, key *softKey, pending *string) []byte {
			opts, _ := a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			return newSoftKey(a.t, testRP.Origin).get(opts, u.ID)
		}, "passkey refused"},
		{"a malformed answer", func(a *testApp, u User, key *softKey, pending *string) []byte {
			_, _ = a.svc.BeginPasskeySignIn(a.ctx, *pending, testRP)
			return []byte(`{"id":"x"}`)
		}, "passkey refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestApp(t)
			key := newSoftKey(t, testRP.Origin)
			u, _ := a.personWithPasskey("ann", key)
			pending := a.pending(u)
			answer := tt.answer(a, u, key, &pending)
			token, err := a.svc.FinishPasskeySignIn(a.ctx, pending, testRP, answer, a.meta)
			if err == nil || token != "" {
				t.Fatalf("accepted: token %q", token)
			}
			if k := hearth.KindOf(err); k != hearth.KindUnauthenticated && k != hearth.KindInvalid {
				t.Fatalf("error %v of kind %d", err, k)
			}
			if strings.Contains(err.Error(), "counter") || strings.Contains(err.Error(), "origin") {
				t.Errorf("the message gives away why: %q", err)
			}
			if _, lerr := a.svc.LoadSession(a.ctx, pending); lerr != nil {
				t.Fatalf("the pending session ended: %v", lerr)
			}
			if s, _ := a.svc.LoadSession(a.ctx, pending); s.Full() {
				t.Fatal("the session was promoted")
			}
			a.audited("sign-in-mfa", audit.OutcomeFailed, u.ID, tt.detail)
		})
	}
}

func TestAddingAPasskeyNeedsAFullSessionAndALiveChallenge(t *testing.T) {
	a := newTestApp(t)
	key := newSoftKey(t, testRP.Origin)
	u, _ := a.personWithPasskey("ann", key)

	// A session still waiting for its second factor cannot add one.
	pendingTok := a.pending(u)
	pendingSess, err := a.svc.LoadSession(a.ctx, pendingTok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.BeginPasskeyRegistration(a.ctx, pendingSess, testRP); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("pending session began registration: %v", err)
	}

	full, err := a.svc.FinishPasskeySignIn(a.ctx, pendingTok, testRP, func() []byte {
		opts, err := a.svc.BeginPasskeySignIn(a.ctx, pendingTok, testRP)
		if err != nil {
			t.Fatal(err)
		}
		return key.get(opts, u.ID)
	}(), a.meta)
	if err != nil {
		t.Fatal(err)
	}
	sess, _ := a.svc.LoadSession(a.ctx, full)

	// No challenge asked for: refused and audited.
	second := newSoftKey(t, testRP.Origin)
	if _, err := a.svc.FinishPasskeyRegistration(a.ctx, sess, testRP, "Tablet", second.create(&protocol.CredentialCreation{
		Response: protocol.PublicKeyCredentialCreationOptions{RelyingParty: protocol.RelyingPartyEntity{ID: testRP.ID},
			Challenge: protocol.URLEncodedBase64("not asked for")}}), a.meta); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("registration without a challenge: %v", err)
	}
	a.audited("passkey-add", audit.OutcomeFailed, u.ID, "no live challenge")

	// The same authenticator again is excluded by the options and refused.
	opts, err := a.svc.BeginPasskeyRegistration(a.ctx, sess, testRP)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Response.CredentialExcludeList) != 1 {
		t.Errorf("exclude list %+v", opts.Response.CredentialExcludeList)
	}
	if _, err := a.svc.FinishPasskeyRegistration(a.ctx, sess, testRP, "Again", key.create(opts), a.meta); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("the same passkey twice: %v", err)
	}
	a.audited("passkey-add", audit.OutcomeFailed, u.ID, "credential already registered")

	// A too-long name is bad input, named.
	opts, _ = a.svc.BeginPasskeyRegistration(a.ctx, sess, testRP)
	_, err = a.svc.FinishPasskeyRegistration(a.ctx, sess, testRP, strings.Repeat("n", 61), second.create(opts), a.meta)
	wantKind(t, err, hearth.KindInvalid, "60 characters or fewer")

	// Someone else's passkey cannot be removed, and reads as not found.
	other := newSoftKey(t, testRP.Origin)
	bob, _ := a.personWithPasskey("bob", other)
	bobKeys, _ := a.svc.Passkeys(a.ctx, bob.ID)
	wantKind(t, a.svc.RemovePasskey(a.ctx, sess, bobKeys[0].ID, a.meta), hearth.KindNotFound, "")
	if left, _ := a.svc.Passkeys(a.ctx, bob.ID); len(left) != 1 {
		t.Error("another account's passkey was removed")
	}
}

func TestAPasskeyBelongsToTheSitesNameNeverAnAddress(t *testing.T) {
	tests := []struct {
		origin string
		wantID string // "" when refused
	}{
		{"https://hearth.example.org", "hearth.example.org"},
		{"http://localhost:8080", "localhost"},
		{"http://127.0.0.1:8080", ""},
		{"https://[::1]:8443", ""},
		{"ftp://hearth.example.org", ""},
		{"hearth.example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			rp, err := RelyingPartyFor(tt.origin)
			if tt.wantID == "" {
				if err == nil {
					t.Fatalf("accepted as %+v", rp)
				}
				return
			}
			if err != nil || rp.ID != tt.wantID || rp.Origin != tt.origin {
				t.Fatalf("got %+v, %v", rp, err)
			}
		})
	}
}

func TestAnMFAResetRemovesThePasskeysToo(t *testing.T) {
	a := newTestApp(t)
	key := newSoftKey(t, testRP.Origin)
	u, _ := a.personWithPasskey("ann", key)
	if err := a.svc.ResetMFA(a.ctx, u.ID, operator, a.meta); err != nil {
		t.Fatal(err)
	}
	if list, err := a.svc.Passkeys(a.ctx, u.ID); err != nil || len(list) != 0 {
		t.Fatalf("passkeys after an MFA reset: %+v, %v", list, err)
	}
	a.audited("mfa-reset", audit.OutcomeSuccess, "", "recovery codes and 1 passkey of ann")
}
