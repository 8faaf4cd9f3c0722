package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/people"
)

// setupRoutes are the pages that set a provider up and keep it running:
// locations, staff (invitations, roles and locations, leavers, second-factor
// resets) and accepting an invitation.
func (s *Server) setupRoutes() {
	s.handle("GET", "/admin/locations", Personal, s.locationsPage)
	s.handle("POST", "/admin/provider", Personal, s.updateProvider)
	s.handle("POST", "/admin/locations", Personal, s.openLocation)
	s.handle("GET", "/admin/locations/{id}", Personal, s.locationPage)
	s.handle("POST", "/admin/locations/{id}/rename", Personal, s.renameLocation)
	s.handle("POST", "/admin/locations/{id}/close", Personal, s.closeLocation)

	s.handle("GET", "/staff", Personal, s.staffList)
	s.handle("GET", "/staff/invite", Personal, s.inviteForm)
	s.handle("POST", "/staff/invite", Personal, s.invite)
	s.handle("GET", "/staff/{id}", Personal, s.staffMember)
	s.handle("POST", "/staff/{id}", Personal, s.staffChange)
	s.handle("POST", "/staff/{id}/leaver", Personal, s.staffLeaver)
	s.handle("POST", "/staff/{id}/mfa-reset", Personal, s.mfaResetRequest)
	s.handle("POST", "/staff/mfa-resets/{id}/approve", Personal, s.mfaResetApprove)

	// Accepting an invitation: before there is an account. The link's
	// token is the credential; accounts audits every attempt.
	s.handle("GET", "/invitation/{token}", Public, s.invitationPage)
	s.handle("POST", "/invitation/{token}", Public, s.acceptInvitation)
}

// formError re-shows a form after input it cannot take (invalid, a
// conflict, or a refusal the form can explain); anything else is rendered
// as an error page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, c *call, err error, name, title string, data any) error {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict || herr.Kind == hearth.KindForbidden) {
		if len(herr.Problems) == 0 {
			// The error summary lists problems; a refusal or conflict is one.
			herr = &hearth.Error{Kind: herr.Kind, Message: herr.Message, Problems: []hearth.Problem{{Field: "Form", Message: herr.Message}}, Err: herr}
		}
		s.renderWith(w, r, c, statusOf(err), name, page{Title: title, Error: herr, Data: data})
		return nil
	}
	return err
}

type locationsView struct {
	people.LocationsAdmin
	Settings     []people.Choice
	Form         url.Values
	ProviderForm url.Values // what was typed into the provider's details, when refused
}

// Provider is a value for the provider form: what was typed, or what is
// recorded.
func (v locationsView) ProviderField(field string) string {
	if v.ProviderForm != nil {
		return v.ProviderForm.Get(field)
	}
	switch field {
	case "provider_name":
		return v.LocationsAdmin.Provider.Name
	case "cqc_provider_id":
		return v.LocationsAdmin.Provider.CQCProviderID
	case "ods_code":
		return v.LocationsAdmin.Provider.ODSCode
	}
	return ""
}

func settingChoices() []people.Choice {
	var out []people.Choice
	for _, k := range people.Settings {
		out = append(out, people.Choice{Value: k, Title: people.LocationKindTitle(k)})
	}
	return out
}

func (s *Server) locationsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.People.LocationsAdmin(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "admin_locations", "Locations", locationsView{LocationsAdmin: pg, Settings: settingChoices(), Form: url.Values{}})
	return nil
}

func (s *Server) updateProvider(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostFormValue
	err := s.People.UpdateProvider(r.Context(), c.actor, people.NewProvider{Name: f("provider_name"), CQCProviderID: f("cqc_provider_id"), ODSCode: f("ods_code")})
	if err != nil {
		pg, lerr := s.People.LocationsAdmin(r.Context(), c.actor)
		if lerr != nil {
			return err
		}
		return s.formError(w, r, c, err, "admin_locations", "Locations", locationsView{LocationsAdmin: pg, Settings: settingChoices(),
			Form: url.Values{}, ProviderForm: r.PostForm})
	}
	http.Redirect(w, r, "/admin/locations", http.StatusSeeOther)
	return nil
}

func (s *Server) openLocation(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostFormValue
	l, err := s.People.OpenLocation(r.Context(), c.actor, people.NewLocation{Name: f("name"), Kind: f("kind"), CQCLocationID: f("cqc_location_id")})
	if err != nil {
		pg, lerr := s.People.LocationsAdmin(r.Context(), c.actor)
		if lerr != nil {
			return lerr
		}
		return s.formError(w, r, c, err, "admin_locations", "Locations", locationsView{LocationsAdmin: pg, Settings: settingChoices(), Form: r.PostForm})
	}
	http.Redirect(w, r, "/admin/locations/"+l.ID+"?opened=1", http.StatusSeeOther)
	return nil
}

type locationView struct {
	people.LocationSummary
	Opened bool
	Form   url.Values
}

func (s *Server) locationPage(w http.ResponseWriter, r *http.Request, c *call) error {
	l, err := s.People.Location(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "admin_location", l.Name, locationView{LocationSummary: l, Opened: r.URL.Query().Get("opened") == "1", Form: url.Values{}})
	return nil
}

func (s *Server) renameLocation(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := s.People.RenameLocation(r.Context(), c.actor, id, r.PostFormValue("name")); err != nil {
		return s.relocate(w, r, c, id, err)
	}
	http.Redirect(w, r, "/admin/locations/"+id, http.StatusSeeOther)
	return nil
}

func (s *Server) closeLocation(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := s.People.CloseLocation(r.Context(), c.actor, id); err != nil {
		return s.relocate(w, r, c, id, err)
	}
	http.Redirect(w, r, "/admin/locations/"+id, http.StatusSeeOther)
	return nil
}

// relocate re-shows a location's page with what went wrong.
func (s *Server) relocate(w http.ResponseWriter, r *http.Request, c *call, id string, err error) error {
	if door := hearth.KindOf(err); door == hearth.KindNotFound {
		return err
	}
	l, lerr := s.People.Location(r.Context(), c.actor, id)
	if lerr != nil {
		return err
	}
	return s.formError(w, r, c, err, "admin_location", l.Name, locationView{LocationSummary: l, Form: r.PostForm})
}

// Staff.

type staffListView struct {
	accounts.StaffPage
	Pager     pager
	Locations map[string]string
	Invited   *invitedView // the invitation just made, with its link shown once
}

type invitedView struct {
	accounts.Invitation
	Link string
}

// locationNames maps every location's ID to its name, for staff pages.
func (s *Server) locationNames(r *http.Request) (map[string]string, []people.Location, error) {
	locs, err := s.People.Locations(r.Context())
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, l := range locs {
		names[l.ID] = l.Name
	}
	return names, locs, nil
}

const staffPage = 50

func (s *Server) staffList(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Accounts.StaffList(r.Context(), c.sess.User.Actor(), pageOffset(r, "page", staffPage), staffPage, meta(r))
	if err != nil {
		return err
	}
	names, _, err := s.locationNames(r)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "staff_list", "Staff", staffListView{StaffPage: pg, Locations: names,
		Pager: newPager(r, "page", pg.Offset, pg.Limit, len(pg.Staff), pg.Total, "member of staff", "staff")})
	return nil
}

type inviteView struct {
	Roles     []access.Role
	Locations []people.Location // open locations the inviter may give
	Form      url.Values
}

// inviteChoices are the roles and open locations the inviter may give.
func (s *Server) inviteChoices(r *http.Request, c *call) (inviteView, error) {
	_, locs, err := s.locationNames(r)
	if err != nil {
		return inviteView{}, err
	}
	v := inviteView{Roles: access.GivableRoles(c.actor.Role), Form: url.Values{}}
	mine := map[string]bool{}
	for _, id := range c.sess.User.LocationIDs {
		mine[id] = true
	}
	for _, l := range locs {
		if l.Open() && (!c.actor.Role.Info().LocationWide || mine[l.ID]) {
			v.Locations = append(v.Locations, l)
		}
	}
	return v, nil
}

func (s *Server) inviteForm(w http.ResponseWriter, r *http.Request, c *call) error {
	// Deciding the staff list is the decision to show the form.
	if _, err := s.Accounts.StaffList(r.Context(), c.sess.User.Actor(), 0, 1, meta(r)); err != nil {
		return err
	}
	v, err := s.inviteChoices(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "staff_invite", "Invite a member of staff", v)
	return nil
}

func (s *Server) invite(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostForm
	inv, token, err := s.Accounts.Invite(r.Context(), c.sess.User.Actor(), accounts.NewInvitation{Username: f.Get("username"),
		DisplayName: f.Get("name"), Email: f.Get("email"), Role: access.ParseRole(f.Get("role")), LocationIDs: f["locations"]}, meta(r))
	if err != nil {
		v, verr := s.inviteChoices(r, c)
		if verr != nil {
			return verr
		}
		v.Form = f
		return s.formError(w, r, c, err, "staff_invite", "Invite a member of staff", v)
	}
	pg, err := s.Accounts.StaffList(r.Context(), c.sess.User.Actor(), 0, staffPage, meta(r))
	if err != nil {
		return err
	}
	names, _, err := s.locationNames(r)
	if err != nil {
		return err
	}
	// The link is shown this once: only its hash is kept.
	s.render(w, r, c, http.StatusOK, "staff_list", "Staff", staffListView{StaffPage: pg, Locations: names,
		Pager:   newPager(r, "page", pg.Offset, pg.Limit, len(pg.Staff), pg.Total, "member of staff", "staff"),
		Invited: &invitedView{Invitation: inv, Link: s.origin(r) + "/invitation/" + token}})
	return nil
}

// origin is where people reach Hearth: the configured public URL, or the
// request's own host.
func (s *Server) origin(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type staffMemberView struct {
	accounts.StaffMember
	Roles     []access.Role
	Locations []people.Location
	Names     map[string]string
	Form      url.Values
	Done      string
}

// Has reports whether the member of staff works at the location.
func (v staffMemberView) Has(id string) bool {
	if v.Form != nil && len(v.Form["locations"]) > 0 {
		for _, l := range v.Form["locations"] {
			if l == id {
				return true
			}
		}
		return false
	}
	for _, l := range v.LocationIDs {
		if l == id {
			return true
		}
	}
	return false
}

func (s *Server) staffMemberView(r *http.Request, c *call, id string) (staffMemberView, error) {
	m, err := s.Accounts.StaffMemberPage(r.Context(), c.sess.User.Actor(), id, meta(r))
	if err != nil {
		return staffMemberView{}, err
	}
	choices, err := s.inviteChoices(r, c)
	if err != nil {
		return staffMemberView{}, err
	}
	names, _, err := s.locationNames(r)
	if err != nil {
		return staffMemberView{}, err
	}
	return staffMemberView{StaffMember: m, Roles: choices.Roles, Locations: choices.Locations, Names: names}, nil
}

func (s *Server) staffMember(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.staffMemberView(r, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Done = r.URL.Query().Get("done")
	s.render(w, r, c, http.StatusOK, "staff_member", v.DisplayName, v)
	return nil
}

// staffAgain re-shows a member of staff's page with what went wrong.
func (s *Server) staffAgain(w http.ResponseWriter, r *http.Request, c *call, id string, err error) error {
	if hearth.KindOf(err) == hearth.KindNotFound {
		return err
	}
	v, verr := s.staffMemberView(r, c, id)
	if verr != nil {
		return err
	}
	v.Form = r.PostForm
	return s.formError(w, r, c, err, "staff_member", v.DisplayName, v)
}

func (s *Server) staffChange(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	err := s.Accounts.UpdateStaff(r.Context(), c.sess.User.Actor(), id, accounts.StaffChange{Role: access.ParseRole(r.PostFormValue("role")),
		LocationIDs: r.PostForm["locations"]}, meta(r))
	if err != nil {
		return s.staffAgain(w, r, c, id, err)
	}
	http.Redirect(w, r, "/staff/"+id+"?done=changed", http.StatusSeeOther)
	return nil
}

func (s *Server) staffLeaver(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := s.Accounts.Leaver(r.Context(), c.sess.User.Actor(), id, meta(r)); err != nil {
		return s.staffAgain(w, r, c, id, err)
	}
	http.Redirect(w, r, "/staff/"+id+"?done=left", http.StatusSeeOther)
	return nil
}

func (s *Server) mfaResetRequest(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := s.Accounts.RequestMFAReset(r.Context(), c.sess.User.Actor(), id, r.PostFormValue("reason"), meta(r)); err != nil {
		return s.staffAgain(w, r, c, id, err)
	}
	http.Redirect(w, r, "/staff/"+id+"?done=reset-asked", http.StatusSeeOther)
	return nil
}

func (s *Server) mfaResetApprove(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.Accounts.ApproveMFAReset(r.Context(), c.sess.User.Actor(), r.PathValue("id"), meta(r)); err != nil {
		if hearth.KindOf(err) == hearth.KindNotFound {
			return err
		}
		pg, lerr := s.Accounts.StaffList(r.Context(), c.sess.User.Actor(), 0, staffPage, meta(r))
		if lerr != nil {
			return err
		}
		names, _, nerr := s.locationNames(r)
		if nerr != nil {
			return nerr
		}
		return s.formError(w, r, c, err, "staff_list", "Staff", staffListView{StaffPage: pg, Locations: names,
			Pager: newPager(r, "page", pg.Offset, pg.Limit, len(pg.Staff), pg.Total, "member of staff", "staff")})
	}
	http.Redirect(w, r, "/staff?done=reset", http.StatusSeeOther)
	return nil
}

// Invitations.

type invitationView struct {
	accounts.Invitation
	Token     string
	Locations []string
	Problem   string // why the link cannot be used, when it cannot
}

func (s *Server) invitationView(r *http.Request, inv accounts.Invitation, err error) invitationView {
	v := invitationView{Invitation: inv, Token: r.PathValue("token")}
	if err != nil {
		v.Problem = err.(*hearth.Error).Message
		return v
	}
	names, _, _ := s.locationNames(r)
	for _, id := range inv.LocationIDs {
		v.Locations = append(v.Locations, names[id])
	}
	return v
}

// invitationPage is where an invited member of staff chooses a password.
// An unknown, altered, used or expired link says so and what to do.
func (s *Server) invitationPage(w http.ResponseWriter, r *http.Request, c *call) error {
	inv, err := s.Accounts.OpenInvitation(r.Context(), r.PathValue("token"))
	var herr *hearth.Error
	if err != nil && !errors.As(err, &herr) {
		return err
	}
	status := http.StatusOK
	if err != nil {
		status = statusOf(err)
	}
	s.renderWith(w, r, c, status, "invitation", page{Title: "Set up your Hearth account", CSRF: s.invitationCSRF(w, r, c),
		Data: s.invitationView(r, inv, err)})
	return nil
}

func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request, c *call) error {
	token := r.PathValue("token")
	show := func(err error) error {
		var herr *hearth.Error
		if !errors.As(err, &herr) || statusOf(err) == http.StatusInternalServerError {
			return err
		}
		inv, oerr := s.Accounts.OpenInvitation(r.Context(), token)
		v := s.invitationView(r, inv, oerr)
		if herr.Kind != hearth.KindInvalid {
			v.Problem = herr.Message
			herr = nil
		}
		s.renderWith(w, r, c, statusOf(err), "invitation", page{Title: "Set up your Hearth account", CSRF: s.invitationCSRF(w, r, c), Error: herr, Data: v})
		return nil
	}
	if !s.limiter.allow("invitation:" + clientAddr(r)) {
		return show(hearth.Errorf(hearth.KindTooMany, "Too many attempts from this device. Wait a minute and try again."))
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		return show(hearth.Invalid("Password", "The two passwords are not the same"))
	}
	sessToken, _, err := s.Accounts.AcceptInvitation(r.Context(), token, r.PostFormValue("password"), meta(r))
	if err != nil {
		return show(err)
	}
	s.setSessionCookie(w, sessToken)
	http.Redirect(w, r, "/signin/enrol", http.StatusSeeOther)
	return nil
}

// invitationCSRF is the anonymous anti-forgery token for the invitation
// form, in a cookie scoped to /invitation/ (the sign-in form's is scoped to
// /signin), or the session's when someone is signed in on this browser.
func (s *Server) invitationCSRF(w http.ResponseWriter, r *http.Request, c *call) string {
	if c.token != "" {
		return c.sess.CSRFToken
	}
	if ck, err := r.Cookie(preSessionCookie); err == nil && len(ck.Value) >= 20 {
		return ck.Value
	}
	token := newRequestID() + newRequestID()
	http.SetCookie(w, &http.Cookie{Name: preSessionCookie, Value: token, Path: "/invitation/", HttpOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	return token
}
