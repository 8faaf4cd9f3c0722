package web

// Partner systems and data-sharing agreements: the administrator registers
// partner systems (their public keys and the scopes they may have); the
// information governance lead records, reviews and ends the agreements
// they receive information under, and sees those due for review. The
// token endpoint partner systems call is here too, because it is HTTP; the
// rules are the partners package's.

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"hearth"
	"hearth/internal/partners"
)

func (s *Server) partnerRoutes() {
	s.handle("GET", "/governance/partners", Personal, s.partnersPage)
	s.handle("POST", "/governance/partners", Personal, s.partnerRegister)
	s.handle("POST", "/governance/partners/{partner}/disable", Personal, s.partnerDisable)
	s.handle("GET", "/governance/agreements", Personal, s.agreementsPage)
	s.handle("POST", "/governance/agreements", Personal, s.agreementRecord)
	s.handle("POST", "/governance/agreements/{agreement}/end", Personal, s.agreementEnd)
	s.handle("POST", "/governance/agreements/{agreement}/review", Personal, s.agreementReview)
	s.handleOAuth("POST", partners.TokenPath, s.partnerToken)
	s.handleOAuth("GET", partners.ConfigurationPath, s.smartConfiguration)
}

// handleOAuth registers an endpoint that partner systems call, not people:
// Public, with no session and no form token, because the caller proves who
// it is with a signed assertion rather than a cookie (a browser on another
// site still cannot post to it: the cross-origin check runs first). The
// route walk lists these as exempt.
func (s *Server) handleOAuth(method, path string, h http.HandlerFunc) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Access: Public})
	s.mux.Handle(method+" "+path, h)
}

// publicBase is the origin partner systems reach Hearth at: the configured
// public URL, or else the one this request came to.
func (s *Server) publicBase(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// scopeChoice is one resource type a partner system may be allowed to read
// and search, grouped by the category an agreement would cover it under.
type scopeChoice struct {
	Scope, ResourceType, Category string
}

type partnersView struct {
	Partners      []partners.Partner
	Registered    *partners.Partner // just registered: its client ID to hand over
	Choices       []scopeChoice
	TokenURL      string
	Configuration string
	Form          map[string][]string
}

func (v partnersView) Chosen(scope string) bool { return slices.Contains(v.Form["scope"], scope) }

// Get is a field of the form being shown again.
func (v partnersView) Get(name string) string { return first(v.Form[name]) }

func first(vs []string) string {
	if len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func scopeChoices() []scopeChoice {
	var out []scopeChoice
	for _, c := range partners.Categories {
		for _, t := range c.ResourceTypes {
			out = append(out, scopeChoice{Scope: "system/" + t + ".rs", ResourceType: t, Category: c.Title})
		}
	}
	return out
}

func (s *Server) showPartners(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error) error {
	list, err := s.Partners.Partners(r.Context(), partners.ByActor(c.actor))
	if err != nil {
		return err
	}
	base := s.publicBase(r)
	v := partnersView{Partners: list, Choices: scopeChoices(), TokenURL: base + partners.TokenPath,
		Configuration: base + partners.ConfigurationPath, Form: r.PostForm}
	if id := r.URL.Query().Get("registered"); id != "" {
		for i := range list {
			if list[i].ID == id {
				v.Registered = &list[i]
			}
		}
	}
	s.renderWith(w, r, c, status, "partners", page{Title: "Partner systems", Error: herr, Data: v})
	return nil
}

func (s *Server) partnersPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showPartners(w, r, c, http.StatusOK, nil)
}

func (s *Server) partnerRegister(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.Partners.Register(r.Context(), partners.ByActor(c.actor), partners.NewPartner{Name: r.PostFormValue("name"),
		Contact: r.PostFormValue("contact"), JWKS: r.PostFormValue("jwks"), Scopes: strings.Join(r.PostForm["scope"], " ")})
	if herr := formError(err); herr != nil {
		return s.showPartners(w, r, c, statusOf(err), herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/partners?registered="+p.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) partnerDisable(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Partners.Disable(r.Context(), partners.ByActor(c.actor), r.PathValue("partner"))
	if herr := formError(err); herr != nil {
		return s.showPartners(w, r, c, statusOf(err), herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/partners", http.StatusSeeOther)
	return nil
}

// formError is err when the form should be shown again with it: bad input
// or a conflict. Anything else goes to the error page.
func formError(err error) *hearth.Error {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict) {
		return herr
	}
	return nil
}

type agreementsView struct {
	partners.AgreementsPage
	Categories []partners.Category
	Article6   []partners.Condition
	Article9   []partners.Condition
	Form       map[string][]string
	Notice     string
	Done       string
}

// Get is a field of the form being shown again.
func (v agreementsView) Get(name string) string { return first(v.Form[name]) }

func (v agreementsView) Has(name, value string) bool { return slices.Contains(v.Form[name], value) }

func (s *Server) showAgreements(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error) error {
	pg, err := s.Partners.Agreements(r.Context(), c.actor)
	if err != nil {
		return err
	}
	v := agreementsView{AgreementsPage: pg, Categories: partners.Categories, Article6: partners.Article6, Article9: partners.Article9,
		Form: r.PostForm, Done: r.URL.Query().Get("done")}
	p := page{Title: "Data-sharing agreements", Data: v}
	if herr != nil {
		if len(herr.Problems) > 0 {
			p.Error = herr
		} else {
			v.Notice = herr.Message
			p.Data = v
		}
	}
	s.renderWith(w, r, c, status, "agreements", p)
	return nil
}

func (s *Server) agreementsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showAgreements(w, r, c, http.StatusOK, nil)
}

func (s *Server) agreementRecord(w http.ResponseWriter, r *http.Request, c *call) error {
	d := dates{r: r}
	n := partners.NewAgreement{PartnerID: r.PostFormValue("partner"), Purpose: r.PostFormValue("purpose"),
		Article6: r.PostFormValue("article6"), Article9: r.PostFormValue("article9"), Categories: r.PostForm["category"],
		Reference: r.PostFormValue("reference")}
	n.Starts = d.get("starts", "Start date")
	n.LastDay = d.get("ends", "End date")
	n.ReviewOn = d.get("review_on", "Review date")
	n.Problems = d.problems
	if _, err := s.Partners.RecordAgreement(r.Context(), c.actor, n); err != nil {
		if herr := formError(err); herr != nil {
			return s.showAgreements(w, r, c, statusOf(err), herr)
		}
		return err
	}
	http.Redirect(w, r, "/governance/agreements?done=recorded", http.StatusSeeOther)
	return nil
}

func (s *Server) agreementEnd(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.Partners.EndAgreement(r.Context(), c.actor, r.PathValue("agreement"), r.PostFormValue("reason")); err != nil {
		if herr := formError(err); herr != nil {
			return s.showAgreements(w, r, c, statusOf(err), herr)
		}
		return err
	}
	http.Redirect(w, r, "/governance/agreements?done=ended", http.StatusSeeOther)
	return nil
}

func (s *Server) agreementReview(w http.ResponseWriter, r *http.Request, c *call) error {
	d := dates{r: r}
	next := d.get("next_review", "Next review date")
	if err := s.Partners.ReviewAgreement(r.Context(), c.actor, r.PathValue("agreement"), next, r.PostFormValue("note"), d.problems); err != nil {
		if herr := formError(err); herr != nil {
			return s.showAgreements(w, r, c, statusOf(err), herr)
		}
		return err
	}
	http.Redirect(w, r, "/governance/agreements?done=reviewed", http.StatusSeeOther)
	return nil
}

// partnerToken is the SMART Backend Services token endpoint: a form post
// (RFC 6749 section 4.4) answered with JSON, errors as section 5.2 says.
func (s *Server) partnerToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Pragma", "no-cache") // with the middleware's Cache-Control: no-store, as RFC 6749 section 5.1 asks
	if !s.limiter.allow("token|" + clientAddr(r)) {
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": partners.InvalidRequest,
			"error_description": "Too many token requests from this address: wait a minute and try again"})
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": partners.InvalidRequest,
			"error_description": "The request body must be a form (application/x-www-form-urlencoded) within the size limit"})
		return
	}
	for name, vs := range r.PostForm {
		if len(vs) > 1 {
			// RFC 6749 section 3.2: no parameter more than once.
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": partners.InvalidRequest,
				"error_description": name + " must be sent once"})
			return
		}
	}
	f := r.PostForm
	tok, err := s.Partners.IssueToken(r.Context(), partners.TokenRequest{GrantType: f.Get("grant_type"),
		AssertionType: f.Get("client_assertion_type"), Assertion: f.Get("client_assertion"), Scope: f.Get("scope"),
		ClientID: f.Get("client_id"), Endpoint: s.publicBase(r) + partners.TokenPath, ClientAddr: clientAddr(r), RequestID: requestID(r)})
	var oe *partners.OAuthError
	switch {
	case errors.As(err, &oe):
		writeJSON(w, oe.Status(), map[string]string{"error": oe.Code, "error_description": oe.Description})
	case err != nil:
		s.Log.Error("token request failed", "request_id", requestID(r), "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error",
			"error_description": "Something went wrong. The problem has been logged; quote reference " + requestID(r) + "."})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok.AccessToken, "token_type": "bearer",
			"expires_in": tok.ExpiresIn, "scope": tok.Scope})
	}
}

// smartConfiguration tells partner systems where the token endpoint is and
// what it accepts (SMART App Launch v2, "Conformance").
func (s *Server) smartConfiguration(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, partners.Configuration(s.publicBase(r)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
