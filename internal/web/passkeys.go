package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"hearth"
	"hearth/internal/accounts"
	"hearth/internal/portal"
)

// Passkeys: people who draw on care and their representatives add a
// passkey from the portal after signing in with their authenticator code,
// and may then use it instead of the code (the password step stays). The
// browser side is static/passkeys.js, loaded only on the two pages that
// need it (the CSP forbids inline script). The ceremony endpoints answer
// JSON; their forms carry the session's CSRF token like every other POST.
//
// These routes touch no one's care record: only the account's own
// credentials, audited by accounts as passkey-add, passkey-use,
// passkey-remove and sign-in-mfa.

type passkeysUI struct {
	s    *Server
	page *portalUI
}

func (s *Server) passkeyRoutes() {
	if s.Portal == nil {
		return
	}
	t, err := template.New("portal_layout.html").Funcs(funcs).ParseFS(templateFiles,
		"templates/portal_layout.html", "templates/portal_passkeys.html")
	if err != nil {
		panic(fmt.Sprintf("passkeys template: %v", err)) // embedded at build time: a test catches it
	}
	ui := &passkeysUI{s: s, page: &portalUI{s: s, pages: map[string]*template.Template{"passkeys": t}}}
	s.handle("GET", "/portal/passkeys", Account, ui.list)
	s.handle("POST", "/portal/passkeys/options", Account, ui.registrationOptions)
	s.handle("POST", "/portal/passkeys", Account, ui.register)
	s.handle("POST", "/portal/passkeys/{passkey}/remove", Account, ui.remove)
	s.handle("POST", "/signin/passkey/options", Public, ui.signInOptions)
	s.handle("POST", "/signin/passkey", Public, ui.signIn)
	s.handle("POST", "/signin/passkey-alone/options", Public, ui.aloneOptions)
	s.handle("POST", "/signin/passkey-alone", Public, ui.alone)
}

// preSession is the sign-in page's pre-session cookie, which a passkey
// used alone keeps its challenge with (the form's CSRF check has already
// matched it).
func preSession(r *http.Request) string {
	if ck, err := r.Cookie(preSessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// aloneOptions starts signing in with a passkey alone, from the sign-in
// page: no username, no password (accounts.SignInWithPasskey says why that
// is safe, and why it is not held back by the password's limits).
func (ui *passkeysUI) aloneOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	opts, err := ui.s.Accounts.BeginPasskeyAlone(r.Context(), preSession(r), rp)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	jsonAnswer(w, http.StatusOK, opts)
	return nil
}

func (ui *passkeysUI) alone(w http.ResponseWriter, r *http.Request, c *call) error {
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	token, _, err := ui.s.Accounts.SignInWithPasskey(r.Context(), preSession(r), rp, []byte(r.PostFormValue("credential")), meta(r))
	if err != nil {
		return ui.jsonFail(w, err)
	}
	ui.s.setSessionCookie(w, token)
	jsonAnswer(w, http.StatusOK, map[string]string{"redirect": "/"})
	return nil
}

// relyingParty is Hearth as the passkey's owner: the configured public
// origin, or else the origin this request came to.
func (s *Server) relyingParty(r *http.Request) (accounts.RelyingParty, error) {
	origin := s.cfg.PublicURL
	if origin == "" {
		scheme := "http"
		if r.TLS != nil || s.cfg.SecureCookies {
			scheme = "https"
		}
		origin = scheme + "://" + r.Host
	}
	return accounts.RelyingPartyFor(origin)
}

type passkeysView struct {
	List  []accounts.Passkey
	Added bool
}

// portalAccountOnly keeps the passkey pages to the portal's accounts.
func (ui *passkeysUI) portalAccountOnly(c *call) error {
	if portal.IsPortalKind(c.sess.User.Kind) {
		return nil
	}
	return portal.ErrNotPortalAccount
}

func (ui *passkeysUI) list(w http.ResponseWriter, r *http.Request, c *call) error {
	return ui.show(w, r, c, http.StatusOK, nil)
}

func (ui *passkeysUI) show(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error) error {
	if err := ui.portalAccountOnly(c); err != nil {
		return err
	}
	list, err := ui.s.Accounts.Passkeys(r.Context(), c.sess.User.ID)
	if err != nil {
		return err
	}
	ui.page.render(w, r, c, status, "passkeys", portalPage{Title: "Passkeys", PersonID: "-", Error: herr,
		Data: passkeysView{List: list, Added: r.URL.Query().Get("added") == "1"}, Form: formValues(r, "name")})
	return nil
}

// jsonAnswer writes v, or an error as {"error": message} with its status.
func jsonAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// jsonFail answers a ceremony error: a plain message for the page to show,
// or the common fault path for anything unexpected.
func (ui *passkeysUI) jsonFail(w http.ResponseWriter, err error) error {
	var herr *hearth.Error
	if !errors.As(err, &herr) || statusOf(err) == http.StatusInternalServerError {
		return err
	}
	msg := herr.Message
	if len(herr.Problems) > 0 {
		msg = herr.Problems[0].Message
	}
	jsonAnswer(w, statusOf(err), map[string]string{"error": msg})
	return nil
}

func (ui *passkeysUI) registrationOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := ui.portalAccountOnly(c); err != nil {
		return ui.jsonFail(w, err)
	}
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	opts, err := ui.s.Accounts.BeginPasskeyRegistration(r.Context(), c.sess, rp)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	jsonAnswer(w, http.StatusOK, opts)
	return nil
}

func (ui *passkeysUI) register(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := ui.portalAccountOnly(c); err != nil {
		return ui.jsonFail(w, err)
	}
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	_, err = ui.s.Accounts.FinishPasskeyRegistration(r.Context(), c.sess, rp, r.PostFormValue("name"),
		[]byte(r.PostFormValue("credential")), meta(r))
	if err != nil {
		return ui.jsonFail(w, err)
	}
	jsonAnswer(w, http.StatusOK, map[string]string{"redirect": "/portal/passkeys?added=1"})
	return nil
}

func (ui *passkeysUI) remove(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := ui.portalAccountOnly(c); err != nil {
		return err
	}
	if err := ui.s.Accounts.RemovePasskey(r.Context(), c.sess, r.PathValue("passkey"), meta(r)); err != nil {
		return err
	}
	http.Redirect(w, r, "/portal/passkeys", http.StatusSeeOther)
	return nil
}

func (ui *passkeysUI) signInOptions(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.token == "" {
		return ui.jsonFail(w, hearth.Errorf(hearth.KindUnauthenticated, "Your session has ended. Sign in again."))
	}
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	opts, err := ui.s.Accounts.BeginPasskeySignIn(r.Context(), c.token, rp)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	jsonAnswer(w, http.StatusOK, opts)
	return nil
}

func (ui *passkeysUI) signIn(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.token == "" {
		return ui.jsonFail(w, hearth.Errorf(hearth.KindUnauthenticated, "Your session has ended. Sign in again."))
	}
	rp, err := ui.s.relyingParty(r)
	if err != nil {
		return ui.jsonFail(w, err)
	}
	token, err := ui.s.Accounts.FinishPasskeySignIn(r.Context(), c.token, rp, []byte(r.PostFormValue("credential")), meta(r))
	if err != nil {
		return ui.jsonFail(w, err)
	}
	ui.s.setSessionCookie(w, token)
	jsonAnswer(w, http.StatusOK, map[string]string{"redirect": "/"})
	return nil
}
