package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// The portal: pages for people who draw on care and their representatives,
// under /my/{id}/… (the person whose record it is), the invitation page at
// /portal/invitation, and the staff side (invitations, replies as the
// service, withheld items, the corrections queue). Portal pages have their
// own layout: plain English, large print and easy read, no staff menu.

type portalUI struct {
	s     *Server
	pages map[string]*template.Template
}

// portalPage is what every portal template receives.
type portalPage struct {
	Title     string
	CSRF      string
	UserName  string
	Kind      string // "person" or "representative"
	PersonID  string // the record the page is about, for the menu
	Prefs     portal.Preferences
	Data      any
	Error     *hearth.Error
	Fields    map[string]string
	Form      map[string]string // what was typed, kept on a failed form
	RequestID string
	Can       portal.Offer // what the menu offers for PersonID, by the door's rules
}

// Easy is whether to show the easy-read version of a page.
func (p portalPage) Easy() bool { return p.Prefs.EasyRead }

func (s *Server) portalRoutes() {
	if s.Portal == nil {
		return
	}
	ui := &portalUI{s: s, pages: map[string]*template.Template{}}
	for _, name := range []string{"home", "overview", "record", "consent", "history", "check", "corrections", "messages", "copy",
		"invitation", "message", "techuse"} {
		t, err := template.New("portal_layout.html").Funcs(funcs).ParseFS(templateFiles,
			"templates/portal_layout.html", "templates/partials.html", "templates/portal_"+name+".html")
		if err != nil {
			panic(fmt.Sprintf("portal template %s: %v", name, err)) // embedded at build time: a test catches it
		}
		ui.pages[name] = t
	}
	s.handle("GET", "/portal/invitation", Public, ui.invitationPage)
	s.handle("POST", "/portal/invitation", Public, ui.acceptInvitation)

	s.handle("GET", "/my", Personal, ui.portalOnly(ui.home))
	s.handle("GET", "/my/{id}", Personal, ui.portalOnly(ui.overview))
	s.handle("POST", "/my/{id}/preferences", Personal, ui.portalOnly(ui.setPreferences))
	s.handle("GET", "/my/{id}/record", Personal, ui.portalOnly(ui.record))
	s.handle("POST", "/my/{id}/about-me", Personal, ui.portalOnly(ui.addAboutMe))
	s.handle("GET", "/my/{id}/history", Personal, ui.portalOnly(ui.history))
	s.handle("GET", "/my/{id}/history/receipt", Personal, ui.portalOnly(ui.receipt))
	s.handle("GET", "/my/{id}/receipts", Personal, ui.portalOnly(ui.checkPage))
	s.handle("POST", "/my/{id}/receipts", Personal, ui.portalOnly(ui.checkReceipt))
	s.handle("GET", "/my/{id}/corrections", Personal, ui.portalOnly(ui.corrections))
	s.handle("POST", "/my/{id}/corrections", Personal, ui.portalOnly(ui.requestCorrection))
	s.handle("POST", "/my/{id}/concerns", Personal, ui.portalOnly(ui.raiseConcern))
	s.handle("GET", "/my/{id}/technology/{use}", Personal, ui.portalOnly(ui.techUse))
	s.handle("GET", "/my/{id}/technology/{use}/copy.pdf", Personal, ui.portalOnly(ui.techUsePDF))
	s.handle("GET", "/my/{id}/messages", Personal, ui.portalOnly(ui.messages))
	s.handle("POST", "/my/{id}/messages", Personal, ui.portalOnly(ui.sendMessage))
	s.handle("GET", "/my/{id}/copy", Personal, ui.portalOnly(ui.copyHTML))
	s.handle("GET", "/my/{id}/copy.json", Personal, ui.portalOnly(ui.copyFHIR))
	ui.consentRoutes()

	// Staff.
	s.handle("GET", "/people/{id}/portal", Personal, ui.staffPage)
	s.handle("POST", "/people/{id}/portal/invitations", Personal, ui.invite)
	s.handle("POST", "/people/{id}/portal/messages", Personal, ui.reply)
	s.handle("POST", "/people/{id}/portal/withheld", Personal, ui.withhold)
	s.handle("GET", "/corrections", Personal, ui.queue)
	s.handle("POST", "/corrections/{id}", Personal, ui.decideCorrection)
	s.handle("GET", "/portal/withheld", Personal, ui.withheldReviews)
	s.handle("POST", "/portal/withheld/{id}", Personal, ui.reviewWithheld)
	s.addSection("Portal, messages and withheld items", "/portal", "Invite them or a representative, reply to messages as the service, withhold an entry")
}

// portalOnly refuses staff on the portal's own pages, after the door has
// decided and audited their request.
func (ui *portalUI) portalOnly(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if portal.IsPortalKind(c.actor.Kind) {
			return h(w, r, c)
		}
		return ui.fail(w, r, c, ui.s.Portal.RefuseStaff(r.Context(), c.actor, r.PathValue("id")))
	}
}

// portalGuard keeps portal accounts on portal pages: a person or
// representative who follows a link to a staff page is refused by the door
// (decided and audited, about the person the page names) and told so
// plainly, and "/" takes them to their own home. It returns false when it
// has answered.
func (s *Server) portalGuard(w http.ResponseWriter, r *http.Request, c *call) bool {
	if !portal.IsPortalKind(c.actor.Kind) {
		return true
	}
	p := r.URL.Path
	if p == "/my" || strings.HasPrefix(p, "/my/") || strings.HasPrefix(p, "/portal/") {
		return true
	}
	personID := ""
	if strings.HasPrefix(p, "/people/") {
		personID = r.PathValue("id")
	}
	err := s.Portal.RefuseStaffPage(r.Context(), c.actor, personID)
	if p == "/" && r.Method == http.MethodGet && errors.Is(err, portal.ErrStaffOnly) {
		http.Redirect(w, r, "/my", http.StatusSeeOther)
		return false
	}
	s.renderError(w, r, c, err)
	return false
}

func (ui *portalUI) render(w http.ResponseWriter, r *http.Request, c *call, status int, name string, p portalPage) {
	t, ok := ui.pages[name]
	if !ok {
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	p.RequestID = requestID(r)
	if c != nil && c.token != "" {
		p.CSRF = c.sess.CSRFToken
		if c.signed {
			p.UserName, p.Kind = c.sess.User.DisplayName, c.sess.User.Kind.String()
			if prefs, err := ui.s.Portal.PreferencesOf(r.Context(), c.sess.User.ID); err == nil {
				p.Prefs = prefs
			}
		}
	}
	if p.PersonID == "" {
		p.PersonID = r.PathValue("id")
	}
	if c != nil && c.signed && p.PersonID != "" && p.PersonID != "-" {
		if can, err := ui.s.Portal.Offer(r.Context(), c.actor, p.PersonID); err == nil {
			p.Can = can
		}
	}
	if p.Error != nil && len(p.Error.Problems) > 0 {
		p.Fields = map[string]string{}
		for _, pr := range p.Error.Problems {
			if _, seen := p.Fields[pr.Field]; !seen {
				p.Fields[pr.Field] = pr.Message
			}
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		ui.s.Log.Error("render", "template", name, "err", err, "request_id", p.RequestID)
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error on a portal page. Staff get the plain message that
// these pages are not for them (after the door has refused and audited);
// a record that is missing and one that is someone else's read the same.
func (ui *portalUI) fail(w http.ResponseWriter, r *http.Request, c *call, err error) error {
	if !portal.IsPortalKind(c.actor.Kind) {
		if herr, ok := err.(*hearth.Error); ok && herr.Kind != hearth.KindInternal {
			err = portal.ErrNotPortalAccount
		}
	}
	status := statusOf(err)
	var herr *hearth.Error
	if !errors.As(err, &herr) || status == http.StatusInternalServerError {
		return err // logged and shown as a fault by the common path
	}
	title := "There is a problem"
	if status == http.StatusNotFound {
		title = "We could not find that record"
		herr = &hearth.Error{Kind: hearth.KindNotFound, Message: "Check the link. You can only see your own record, or the records of people you represent."}
	}
	ui.render(w, r, c, status, "message", portalPage{Title: title, Error: herr, PersonID: "-"})
	return nil
}

// formFail re-shows a form with its problems, or fails.
func (ui *portalUI) formFail(w http.ResponseWriter, r *http.Request, c *call, err error, reshow func(*hearth.Error) error) error {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict) {
		return reshow(herr)
	}
	return ui.fail(w, r, c, err)
}

func formValues(r *http.Request, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = r.PostFormValue(n)
	}
	return m
}

// --- Invitations (public) -------------------------------------------------

// invitationToken is the anonymous CSRF token for the invitation form, in
// a cookie scoped to that page (the sign-in form's is scoped to /signin).
func (ui *portalUI) invitationToken(w http.ResponseWriter, r *http.Request, c *call) string {
	if c.token != "" {
		return c.sess.CSRFToken
	}
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 20 {
		return ck.Value
	}
	token := newRequestID() + newRequestID()
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: token, Path: "/portal/invitation", HttpOnly: true,
		Secure: ui.s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return token
}

func (ui *portalUI) invitationPage(w http.ResponseWriter, r *http.Request, c *call) error {
	p := portalPage{Title: "Set up your account", Form: map[string]string{"code": r.URL.Query().Get("code")}, PersonID: "-",
		CSRF: ui.invitationToken(w, r, c)}
	ui.render(w, r, c, http.StatusOK, "invitation", p)
	return nil
}

func (ui *portalUI) acceptInvitation(w http.ResponseWriter, r *http.Request, c *call) error {
	form := formValues(r, "code", "username")
	if !ui.s.limiter.allow("invitation:" + clientAddr(r)) {
		ui.renderInvitation(w, r, c, http.StatusTooManyRequests, form, hearth.Errorf(hearth.KindTooMany, "Too many attempts from this device. Wait a minute and try again."))
		return nil
	}
	var p hearth.Problems
	p.Check(strings.TrimSpace(form["code"]) != "", "Code", "Enter the code from your invitation")
	p.Check(r.PostFormValue("password") == r.PostFormValue("confirm"), "Confirm", "The two passwords are not the same")
	if err := p.Err(); err != nil {
		ui.renderInvitation(w, r, c, statusOf(err), form, err.(*hearth.Error))
		return nil
	}
	_, err := ui.s.Portal.Accept(r.Context(), portal.Acceptance{Code: form["code"], Username: form["username"],
		Password: r.PostFormValue("password"), Meta: meta(r)})
	if err != nil {
		var herr *hearth.Error
		if errors.As(err, &herr) && statusOf(err) != http.StatusInternalServerError {
			ui.renderInvitation(w, r, c, statusOf(err), form, herr)
			return nil
		}
		return err
	}
	ui.render(w, r, c, http.StatusOK, "message", portalPage{Title: "Your account is ready", PersonID: "-",
		Data: map[string]any{"Ready": true, "Username": strings.ToLower(strings.TrimSpace(form["username"]))}})
	return nil
}

func (ui *portalUI) renderInvitation(w http.ResponseWriter, r *http.Request, c *call, status int, form map[string]string, herr *hearth.Error) {
	if herr.Kind != hearth.KindInvalid {
		herr = &hearth.Error{Kind: hearth.KindInvalid, Message: herr.Message, Problems: []hearth.Problem{{Field: "Username", Message: herr.Message}}}
	}
	ui.render(w, r, c, status, "invitation", portalPage{Title: "Set up your account", Error: herr, Form: form, PersonID: "-",
		CSRF: ui.invitationToken(w, r, c)})
}

// --- What a person sees ---------------------------------------------------

func (ui *portalUI) home(w http.ResponseWriter, r *http.Request, c *call) error {
	targets, err := ui.s.Portal.Targets(r.Context(), c.actor)
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	if len(targets) == 1 && targets[0].Allowed && c.actor.Kind == access.KindPerson {
		http.Redirect(w, r, "/my/"+targets[0].PersonID, http.StatusSeeOther)
		return nil
	}
	ui.render(w, r, c, http.StatusOK, "home", portalPage{Title: "Your records", Data: targets, PersonID: "-"})
	return nil
}

func (ui *portalUI) overview(w http.ResponseWriter, r *http.Request, c *call) error {
	o, err := ui.s.Portal.Overview(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, http.StatusOK, "overview", portalPage{Title: o.Person.FullName(), Data: o})
	return nil
}

func (ui *portalUI) setPreferences(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	p := portal.Preferences{LargePrint: r.PostFormValue("large_print") == "yes", EasyRead: r.PostFormValue("easy_read") == "yes"}
	if err := ui.s.Portal.SetPreferences(r.Context(), c.actor, id, p); err != nil {
		return ui.fail(w, r, c, err)
	}
	http.Redirect(w, r, "/my/"+id, http.StatusSeeOther)
	return nil
}

func (ui *portalUI) record(w http.ResponseWriter, r *http.Request, c *call) error {
	return ui.showRecord(w, r, c, http.StatusOK, nil, nil)
}

func (ui *portalUI) showRecord(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form map[string]string) error {
	rec, err := ui.s.Portal.CareRecord(r.Context(), c.actor, r.PathValue("id"), 30)
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, status, "record", portalPage{Title: "Your care record", Data: rec, Error: herr, Form: form})
	return nil
}

func (ui *portalUI) addAboutMe(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := ui.s.Portal.AddAboutMe(r.Context(), c.actor, id, r.PostFormValue("section"), r.PostFormValue("body"))
	if err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showRecord(w, r, c, statusOf(herr), herr, formValues(r, "section", "body"))
		})
	}
	http.Redirect(w, r, "/my/"+id+"/record#about-me", http.StatusSeeOther)
	return nil
}

type historyView struct {
	portal.History
	Key   string
	Pager pager
}

// history is who has seen the record, a page at a time with the count: it
// never stops without saying so.
func (ui *portalUI) history(w http.ResponseWriter, r *http.Request, c *call) error {
	limit := ui.s.cfg.HistoryLimit
	offset := pageOffset(r, "page", limit)
	h, err := ui.s.Portal.History(r.Context(), c.actor, r.PathValue("id"), offset, limit)
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, http.StatusOK, "history", portalPage{Title: "Who has seen your record", Data: historyView{History: h,
		Pager: newPager(r, "page", h.Offset, limit, len(h.Events), h.Total, "entry", "entries")}})
	return nil
}

func (ui *portalUI) receipt(w http.ResponseWriter, r *http.Request, c *call) error {
	eventID := r.URL.Query().Get("event")
	rc, err := ui.s.Portal.Receipt(r.Context(), c.actor, r.PathValue("id"), eventID)
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	b, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="hearth-receipt-`+rc.Event.ID+`.json"`)
	_, _ = w.Write(b)
	return nil
}

type checkView struct {
	Checked bool
	Result  portal.CheckedReceipt
	Key     string
}

func (ui *portalUI) checkPage(w http.ResponseWriter, r *http.Request, c *call) error {
	// Opening the page is a decided, audited visit like the others.
	if _, err := ui.s.Portal.Overview(r.Context(), c.actor, r.PathValue("id")); err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, http.StatusOK, "check", portalPage{Title: "Check a receipt", Data: checkView{Key: ui.verifierKey()}})
	return nil
}

func (ui *portalUI) verifierKey() string { return ui.s.Portal.VerifierKey() }

func (ui *portalUI) checkReceipt(w http.ResponseWriter, r *http.Request, c *call) error {
	text := []byte(strings.TrimSpace(r.PostFormValue("receipt")))
	res, err := ui.s.Portal.CheckReceipt(r.Context(), c.actor, r.PathValue("id"), text)
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	status := http.StatusOK
	if !res.OK {
		status = http.StatusUnprocessableEntity
	}
	ui.render(w, r, c, status, "check", portalPage{Title: "Check a receipt", Data: checkView{Checked: true, Result: res, Key: ui.verifierKey()},
		Form: map[string]string{"receipt": string(text)}})
	return nil
}

type correctionsView struct {
	List     []portal.Correction
	Concerns portal.Concerns
}

// TechChoice is the technology the concern form has chosen: what was typed
// back, or the first of the person's technologies (the default path when
// they have any), or "other".
func (v correctionsView) TechChoice(form map[string]string) string {
	if t, ok := form["technology"]; ok && t != "" {
		return t
	}
	if len(v.Concerns.Technologies) > 0 {
		return v.Concerns.Technologies[0].TechnologyID
	}
	return "other"
}

func (ui *portalUI) corrections(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	return ui.showCorrections(w, r, c, http.StatusOK, nil, map[string]string{"resource_type": q.Get("type"), "resource_id": q.Get("entry"), "entry": q.Get("about"),
		"technology": q.Get("technology")})
}

func (ui *portalUI) showCorrections(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form map[string]string) error {
	list, err := ui.s.Portal.Corrections(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	concerns, err := ui.s.Portal.Concerns(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, status, "corrections", portalPage{Title: "Ask for a correction or raise a concern", Data: correctionsView{List: list, Concerns: concerns}, Error: herr, Form: form})
	return nil
}

func (ui *portalUI) requestCorrection(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := ui.s.Portal.RequestCorrection(r.Context(), c.actor, id, portal.NewCorrection{ResourceType: r.PostFormValue("resource_type"),
		ResourceID: r.PostFormValue("resource_id"), Entry: r.PostFormValue("entry"), Request: r.PostFormValue("request")})
	if err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showCorrections(w, r, c, statusOf(herr), herr, formValues(r, "resource_type", "resource_id", "entry", "request"))
		})
	}
	http.Redirect(w, r, "/my/"+id+"/corrections#requests", http.StatusSeeOther)
	return nil
}

// raiseConcern sends a concern about one of the person's technologies to
// the technology package's concern path, or, for "Something else" (or a
// form without a technology), records a general concern.
func (ui *portalUI) raiseConcern(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	technology := strings.TrimSpace(r.PostFormValue("technology"))
	var err error
	data := map[string]any{"Concern": true}
	if technology == "" || technology == "other" {
		_, err = ui.s.Portal.RaiseConcern(r.Context(), c.actor, id, r.PostFormValue("about"), r.PostFormValue("concern"))
	} else {
		var tc tech.Concern
		tc, err = ui.s.Portal.RaiseTechnologyConcern(r.Context(), c.actor, id, technology, r.PostFormValue("concern"))
		data = map[string]any{"TechConcern": tc}
	}
	if err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showCorrections(w, r, c, statusOf(herr), herr, formValues(r, "about", "concern", "technology"))
		})
	}
	ui.render(w, r, c, http.StatusOK, "message", portalPage{Title: "Your concern has been sent", Data: data})
	return nil
}

// portalTechUse is one technology use record as the person's own copy.
type portalTechUse struct {
	tech.UsePage
	Items   []tech.Item
	Version string // standard, easy-read, large-print
}

func copyVersion(r *http.Request) string {
	switch v := r.URL.Query().Get("version"); v {
	case "easy-read", "large-print":
		return v
	}
	return "standard"
}

func (ui *portalUI) techUse(w http.ResponseWriter, r *http.Request, c *call) error {
	version := copyVersion(r)
	pg, err := ui.s.Portal.TechnologyUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "portal: own copy of the technology use record ("+version+")")
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, http.StatusOK, "techuse", portalPage{Title: pg.Use.TechnologyName + ": your technology use record",
		Data: portalTechUse{UsePage: pg, Items: pg.Items(), Version: version}})
	return nil
}

func (ui *portalUI) techUsePDF(w http.ResponseWriter, r *http.Request, c *call) error {
	version := copyVersion(r)
	pg, err := ui.s.Portal.TechnologyUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "portal: own copy of the technology use record (PDF, "+version+")")
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	pdf, err := pg.PDF(version)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="technology-use.pdf"`)
	_, err = w.Write(pdf)
	return err
}

func (ui *portalUI) messages(w http.ResponseWriter, r *http.Request, c *call) error {
	return ui.showMessages(w, r, c, http.StatusOK, nil, nil)
}

func (ui *portalUI) showMessages(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form map[string]string) error {
	list, err := ui.s.Portal.Messages(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, status, "messages", portalPage{Title: "Messages with your care team", Data: list, Error: herr, Form: form})
	return nil
}

func (ui *portalUI) sendMessage(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if _, err := ui.s.Portal.Send(r.Context(), c.actor, id, r.PostFormValue("message")); err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showMessages(w, r, c, statusOf(herr), herr, formValues(r, "message"))
		})
	}
	http.Redirect(w, r, "/my/"+id+"/messages#latest", http.StatusSeeOther)
	return nil
}

func (ui *portalUI) copyHTML(w http.ResponseWriter, r *http.Request, c *call) error {
	cp, err := ui.s.Portal.Copy(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	ui.render(w, r, c, http.StatusOK, "copy", portalPage{Title: "A copy of your record", Data: cp})
	return nil
}

func (ui *portalUI) copyFHIR(w http.ResponseWriter, r *http.Request, c *call) error {
	b, err := ui.s.FHIR.Copy(r.Context(), c.actor, r.PathValue("id"), ui.s.FHIR.BaseFor(r))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Header().Set("Content-Disposition", `attachment; filename="hearth-record.json"`)
	_, _ = w.Write(b)
	return nil
}

// --- Staff side -----------------------------------------------------------

type staffPortalView struct {
	portal.StaffView
	Code       string
	Link       string
	Invitation portal.Invitation
	Form       map[string]string
}

func (ui *portalUI) staffPage(w http.ResponseWriter, r *http.Request, c *call) error {
	// A link from an entry ("Withhold from …") fills in which entry.
	q := r.URL.Query()
	return ui.showStaff(w, r, c, http.StatusOK, staffPortalView{}, nil, map[string]string{"resource_type": q.Get("type"), "resource_id": q.Get("entry")})
}

func (ui *portalUI) showStaff(w http.ResponseWriter, r *http.Request, c *call, status int, v staffPortalView, herr *hearth.Error, form map[string]string) error {
	sv, err := ui.s.Portal.Staff(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.StaffView, v.Form = sv, form
	if v.Code != "" {
		v.Link = "/portal/invitation?code=" + v.Code
	}
	ui.s.renderWith(w, r, c, status, "portal_staff", page{Title: "Portal: " + sv.Person.FullName(), Data: v, Error: herr})
	return nil
}

func (ui *portalUI) invite(w http.ResponseWriter, r *http.Request, c *call) error {
	// "person", or "rep:" and the representatives record's ID.
	who, repID := r.PostFormValue("who"), ""
	kind := access.KindNone
	switch {
	case who == "person":
		kind = access.KindPerson
	case strings.HasPrefix(who, "rep:"):
		kind, repID = access.KindRepresentative, strings.TrimPrefix(who, "rep:")
	}
	inv, code, err := ui.s.Portal.Invite(r.Context(), c.actor, portal.NewInvitation{PersonID: r.PathValue("id"), Kind: kind,
		RepresentativeID: repID, Name: r.PostFormValue("name")})
	if err != nil {
		if hearth.KindOf(err) == hearth.KindInvalid {
			return ui.showStaff(w, r, c, statusOf(err), staffPortalView{}, err.(*hearth.Error), formValues(r, "who", "representative", "name"))
		}
		return err
	}
	return ui.showStaff(w, r, c, http.StatusOK, staffPortalView{Code: code, Invitation: inv}, nil, nil)
}

func (ui *portalUI) reply(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if _, err := ui.s.Portal.Send(r.Context(), c.actor, id, r.PostFormValue("message")); err != nil {
		if hearth.KindOf(err) == hearth.KindInvalid {
			return ui.showStaff(w, r, c, statusOf(err), staffPortalView{}, err.(*hearth.Error), formValues(r, "message"))
		}
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/portal#messages", http.StatusSeeOther)
	return nil
}

func (ui *portalUI) withhold(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := ui.s.Portal.Withhold(r.Context(), c.actor, id, portal.NewWithheld{ResourceType: r.PostFormValue("resource_type"),
		ResourceID: r.PostFormValue("resource_id"), Category: r.PostFormValue("category"), Reason: r.PostFormValue("reason")})
	if err != nil {
		if hearth.KindOf(err) == hearth.KindInvalid {
			return ui.showStaff(w, r, c, statusOf(err), staffPortalView{}, err.(*hearth.Error), formValues(r, "resource_type", "resource_id", "category", "reason"))
		}
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/portal#withheld", http.StatusSeeOther)
	return nil
}

// queuePage is how many requests or marks a review queue shows at once.
const queuePage = 25

func (ui *portalUI) correctionQueue(r *http.Request, c *call) (queueView, error) {
	q, err := ui.s.Portal.CorrectionQueuePage(r.Context(), c.actor, pageOffset(r, "page", queuePage), queuePage)
	return queueView{List: q.Corrections, Pager: newPager(r, "page", q.Offset, queuePage, len(q.Corrections), q.Total, "request", "requests")}, err
}

func (ui *portalUI) queue(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := ui.correctionQueue(r, c)
	if err != nil {
		return err
	}
	ui.s.renderWith(w, r, c, http.StatusOK, "portal_queue", page{Title: "Requests to correct a record", Data: v})
	return nil
}

func (ui *portalUI) decideCorrection(w http.ResponseWriter, r *http.Request, c *call) error {
	err := ui.s.Portal.DecideCorrection(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("decision"), r.PostFormValue("outcome"))
	if err != nil {
		if k := hearth.KindOf(err); k == hearth.KindInvalid || k == hearth.KindConflict {
			v, lerr := ui.correctionQueue(r, c)
			if lerr != nil {
				return lerr
			}
			v.Form = map[string]string{"id": r.PathValue("id"), "outcome": r.PostFormValue("outcome")}
			ui.s.renderWith(w, r, c, statusOf(err), "portal_queue", page{Title: "Requests to correct a record", Error: err.(*hearth.Error), Data: v})
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/corrections", http.StatusSeeOther)
	return nil
}

func (ui *portalUI) withheldQueue(r *http.Request, c *call) (withheldView, error) {
	q, err := ui.s.Portal.WithheldReviewPage(r.Context(), c.actor, pageOffset(r, "page", queuePage), queuePage)
	return withheldView{List: q.Items, Pager: newPager(r, "page", q.Offset, queuePage, len(q.Items), q.Total, "item", "items")}, err
}

func (ui *portalUI) withheldReviews(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := ui.withheldQueue(r, c)
	if err != nil {
		return err
	}
	ui.s.renderWith(w, r, c, http.StatusOK, "portal_withheld", page{Title: "Withheld items to review", Data: v})
	return nil
}

func (ui *portalUI) reviewWithheld(w http.ResponseWriter, r *http.Request, c *call) error {
	err := ui.s.Portal.ReviewWithheld(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("outcome"), r.PostFormValue("note"))
	if err != nil {
		if k := hearth.KindOf(err); k == hearth.KindInvalid || k == hearth.KindConflict {
			v, lerr := ui.withheldQueue(r, c)
			if lerr != nil {
				return lerr
			}
			v.Form = map[string]string{"id": r.PathValue("id"), "note": r.PostFormValue("note")}
			ui.s.renderWith(w, r, c, statusOf(err), "portal_withheld", page{Title: "Withheld items to review", Error: err.(*hearth.Error), Data: v})
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/portal/withheld", http.StatusSeeOther)
	return nil
}

type queueView struct {
	List  []portal.Correction
	Form  map[string]string
	Pager pager
}

type withheldView struct {
	List  []portal.Withheld
	Form  map[string]string
	Pager pager
}

// --- Consent --------------------------------------------------------------

func (ui *portalUI) consentRoutes() {
	s := ui.s
	s.handle("GET", "/my/{id}/consent", Personal, ui.portalOnly(ui.consentPage))
	s.handle("POST", "/my/{id}/consent/give", Personal, ui.portalOnly(ui.giveConsent))
	s.handle("GET", "/my/{id}/consent/withdraw", Personal, ui.portalOnly(ui.confirmWithdraw))
	s.handle("POST", "/my/{id}/consent/withdraw", Personal, ui.portalOnly(ui.withdrawConsent))
	s.handle("POST", "/my/{id}/consent/again", Personal, ui.portalOnly(ui.giveAgain))
	s.handle("POST", "/my/{id}/channels", Personal, ui.portalOnly(ui.setChannels))
}

func (ui *portalUI) consentPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return ui.showConsent(w, r, c, http.StatusOK, nil, nil)
}

func (ui *portalUI) showConsent(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form map[string]string) error {
	v, err := ui.s.Portal.ConsentView(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return ui.fail(w, r, c, err)
	}
	if form == nil {
		form = map[string]string{"done": r.URL.Query().Get("done"), "consent": r.URL.Query().Get("consent")}
	}
	title := "Your consent and choices"
	if id := form["confirm"]; id != "" {
		title = "Are you sure you want to withdraw this consent?"
		found := false
		for _, it := range v.Consents {
			if it.ID == id && it.Counts {
				form["confirm_title"], found = it.Title, true
			}
		}
		if !found {
			// Not one of theirs, or no longer in force: nothing to confirm.
			return ui.fail(w, r, c, hearth.NotFound("The consent"))
		}
	}
	if form["done"] == "withdrawn" {
		for _, it := range v.Consents {
			if it.ID == form["consent"] && !it.WithdrawnAt.IsZero() {
				form["withdrawn_title"] = it.Title
			}
		}
	}
	ui.render(w, r, c, status, "consent", portalPage{Title: title, Data: v, Error: herr, Form: form})
	return nil
}

// confirmWithdraw asks before a consent is withdrawn: withdrawing stops it
// counting at once and tells the care team, so one stray tap must not do it.
func (ui *portalUI) confirmWithdraw(w http.ResponseWriter, r *http.Request, c *call) error {
	return ui.showConsent(w, r, c, http.StatusOK, nil, map[string]string{"confirm": r.URL.Query().Get("consent")})
}

// giveAgain undoes a withdrawal by giving the same consent again.
func (ui *portalUI) giveAgain(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if _, err := ui.s.Portal.GiveAgain(r.Context(), c.actor, id, r.PostFormValue("consent")); err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showConsent(w, r, c, statusOf(herr), herr, nil)
		})
	}
	http.Redirect(w, r, "/my/"+id+"/consent?done=given-again", http.StatusSeeOther)
	return nil
}

func (ui *portalUI) giveConsent(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := ui.s.Portal.GiveConsent(r.Context(), c.actor, id, r.PostFormValue("purpose"), "", r.PostFormValue("decision"))
	if err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showConsent(w, r, c, statusOf(herr), herr, formValues(r, "purpose", "decision"))
		})
	}
	http.Redirect(w, r, "/my/"+id+"/consent?done=given", http.StatusSeeOther)
	return nil
}

func (ui *portalUI) withdrawConsent(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		// Not confirmed: ask, and change nothing.
		return ui.showConsent(w, r, c, http.StatusOK, nil, map[string]string{"confirm": r.PostFormValue("consent")})
	}
	_, err := ui.s.Portal.WithdrawConsent(r.Context(), c.actor, id, r.PostFormValue("consent"))
	if err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			if len(herr.Problems) == 0 {
				herr = &hearth.Error{Kind: herr.Kind, Message: herr.Message, Problems: []hearth.Problem{{Field: "Consent", Message: herr.Message}}}
			}
			return ui.showConsent(w, r, c, statusOf(herr), herr, nil)
		})
	}
	http.Redirect(w, r, "/my/"+id+"/consent?done=withdrawn&consent="+url.QueryEscape(r.PostFormValue("consent")), http.StatusSeeOther)
	return nil
}

func (ui *portalUI) setChannels(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	want := map[string]bool{}
	for _, ch := range r.PostForm["channel"] {
		want[ch] = true
	}
	if err := ui.s.Portal.SetChannels(r.Context(), c.actor, id, want); err != nil {
		return ui.formFail(w, r, c, err, func(herr *hearth.Error) error {
			return ui.showConsent(w, r, c, statusOf(herr), herr, nil)
		})
	}
	http.Redirect(w, r, "/my/"+id+"/consent?done=channels#channels", http.StatusSeeOther)
	return nil
}
