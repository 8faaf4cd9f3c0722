package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must be known wherever Hearth runs

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/people"
)

var london = mustLocation("Europe/London")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err) // the embedded tzdata always has it
	}
	return loc
}

// Dates are shown as people in the UK write them, in UK time.
func ukDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006")
}

// Dates of birth and other calendar dates carry no time of day: they are
// shown as stored, not moved across time zones.
func ukDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

func ukDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006 at 15:04")
}

// ukTime is a time of day as care records write it: 24-hour, 07:45, 13:20.
func ukTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("15:04")
}

var funcs = template.FuncMap{
	"date":         ukDate,
	"day":          ukDay,
	"datetime":     ukDateTime,
	"clock":        ukTime,
	"iso":          func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"nhsNumber":    people.FormatNHSNumber,
	"roleTitle":    roleTitle,
	"yesno":        yesNoQuestion,
	"actorTitle":   actorTitle,
	"locationKind": people.LocationKindTitle,
	"actionTitle":  actionTitle,
	"add":          func(a, b int) int { return a + b },
}

// roleTitle names an audited role for people: a staff role's title, or the
// kind of account.
func roleTitle(name string) string {
	if r := access.ParseRole(name); r != access.RoleNone {
		return r.Title()
	}
	switch name {
	case "person":
		return "The person"
	case "representative":
		return "Representative"
	case "system":
		return "Partner system"
	case "inspector":
		return "Inspector"
	}
	return name
}

// actorTitle says who accessed a record, after their name, in the access
// history: their role, and for an inspector that it was a read-only
// inspection, so a person reading their history sees at once that a
// regulator looked and could change nothing.
func actorTitle(kind, role string) string {
	if kind == access.KindInspector.String() {
		return "Inspector, read-only inspection"
	}
	return roleTitle(role)
}

// actionTitles say what each audited action was, as the access history
// shows it after the name of whoever did it: a sentence in plain English,
// never the action's code (a test walks every action).
var actionTitles = map[string]string{
	"view-person":          "Viewed their details.",
	"read-record":          "Read their care record.",
	"write-record":         "Added to their care record.",
	"write-plan":           "Changed a care plan or risk assessment.",
	"read-medicines":       "Read their medicines.",
	"administer-medicines": "Recorded a medicine dose.",
	"manage-medicines":     "Changed their medicines list.",
	"read-consent":         "Read their consent and capacity records.",
	"record-consent":       "Recorded a consent or capacity decision.",
	"read-tech-use":        "Read their technology use records.",
	"record-tech-use":      "Recorded how a technology is used in their care.",
	"operate-tech-use":     "Operated a technology used in their care.",
	"read-access-log":      "Looked at who has seen their record.",
	"manage-people":        "Changed their registration or care team.",
	"break-glass":          "Opened their record in an emergency.",
	"contribute":           "Added to their own record.",
	"review-withheld":      "Reviewed entries kept back from their own view.",
	"raise-concern":        "Raised a concern about their care or a technology.",
	"manage-concerns":      "Looked into a concern about their care or a technology.",
	"withhold-item":        "Kept an entry back from their own view, with a reason.",
	"manage-corrections":   "Dealt with a request to correct their record.",
	"export-record":        "Made a copy of everything in their record.",
	"send-message":         "Sent or read a secure message.",
	"list-people":          "Searched or listed people, and saw their name.",
	"manage-training":      "Changed the staff training records.",
	"manage-accounts":      "Changed a sign-in account.",
	"review-break-glass":   "Reviewed an emergency opening of their record.",
	"manage-tech-register": "Changed the technology register.",
	"view-governance":      "Looked at governance and quality reports.",
	"manage-inspections":   "Managed an inspector's access.",
	"manage-incidents":     "Recorded or read an incident or personal data breach that involved them.",
	"manage-retention":     "Reviewed how long their record is kept, or its disposal.",
	"manage-policies":      "Changed the policies register.",
	"give-feedback":        "Gave feedback about a technology.",
	"manage-agreements":    "Managed a data-sharing agreement.",
	"manage-locations":     "Changed a location.",
	"manage-staff":         "Changed a member of staff's role or locations.",
	"import-records":       "Added to Hearth by an import.",
}

// actionTitle says what an audited action was, for the access history.
func actionTitle(action string) string {
	if t, ok := actionTitles[action]; ok {
		return t
	}
	return "Did something recorded as " + strings.ReplaceAll(action, "-", " ") + "."
}

func (s *Server) loadTemplates() error {
	s.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return err
	}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/partials.html", name)
		if err != nil {
			return fmt.Errorf("template %s: %w", base, err)
		}
		s.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return nil
}

// page is what every template receives.
type page struct {
	Title     string
	CSRF      string
	User      *pageUser
	Data      any
	Error     *hearth.Error
	Fields    map[string]string // field -> message, for inline errors
	RequestID string
	// fieldIDs maps a field with a problem to the id of its input, so the
	// error summary can link to it: filled by ErrorFor and Describe as the
	// content renders, then read by the summary on a second rendering.
	fieldIDs map[string]string
}

// FieldID is the id of the input the error summary links to for field, or
// "" when the page has no input for it.
func (p page) FieldID(field string) string { return p.fieldIDs[field] }

// ErrorFor is the NHS.UK error message for field, placed above its input
// (whose id is inputID), or nothing when the field has no problem. Its id is
// what Describe points the input's aria-describedby at.
func (p page) ErrorFor(field, inputID string) template.HTML {
	msg, ok := p.Fields[field]
	if !ok {
		return ""
	}
	p.link(field, inputID)
	return template.HTML(`<span class="nhsuk-error-message" id="` + template.HTMLEscapeString(inputID) + `-error"><span class="nhsuk-u-visually-hidden">Error:</span> ` +
		template.HTMLEscapeString(msg) + `</span>`)
}

// Describe is the attributes an input needs when its field has a problem:
// aria-describedby naming the error message (and hint, when the input has
// one), so a screen reader reads the message with the label.
func (p page) Describe(field, inputID, hintID string) template.HTMLAttr {
	ids := hintID
	if _, bad := p.Fields[field]; bad {
		p.link(field, inputID)
		ids = strings.TrimSpace(hintID + " " + inputID + "-error")
	}
	if ids == "" {
		return ""
	}
	return template.HTMLAttr(`aria-describedby="` + template.HTMLEscapeString(ids) + `"`)
}

// ErrClass is the error border an input, textarea or select gets when its
// field has a problem: " nhsuk-input--error" (or the suffix given).
func (p page) ErrClass(field, class string) string {
	if _, bad := p.Fields[field]; bad {
		return " " + class
	}
	return ""
}

// GroupErr is the form group's error class when field has a problem.
func (p page) GroupErr(field string) string { return p.ErrClass(field, "nhsuk-form-group--error") }

func (p page) link(field, inputID string) {
	if p.fieldIDs != nil {
		if _, seen := p.fieldIDs[field]; !seen {
			p.fieldIDs[field] = inputID
		}
	}
}

type pageUser struct {
	Name, Role string
	Menu       []menuLink
}

type menuLink struct{ Title, Href string }

// menuFor is the header menu for an account: the pages its kind and role can
// use. It only hides links; every page still asks the door.
func menuFor(u accounts.User) []menuLink {
	switch u.Kind {
	case access.KindStaff:
	case access.KindInspector:
		// Reading is all an inspector may do: the people their grants
		// cover, from the home page.
		return []menuLink{{"Inspection", "/"}}
	default:
		return []menuLink{{"My record", "/my"}}
	}
	perms := u.Role.Info().Permissions
	links := []menuLink{{"Your people", "/"}}
	if landsOnAttention(u.Role) {
		links = append(links, menuLink{"Needs attention", "/attention"})
	}
	for _, l := range []struct {
		action access.Action
		link   menuLink
	}{
		{access.ManagePeople, menuLink{"Admit someone", "/people/new"}},
		{access.WriteRecord, menuLink{"My shift", "/shift"}},
		{access.ManageTechRegister, menuLink{"Technology", "/governance/technology"}},
		{access.ManageConcerns, menuLink{"Concerns", "/governance/technology-concerns"}},
		{access.ManageTraining, menuLink{"Training", "/governance/training"}},
		{access.ManageCorrections, menuLink{"Corrections", "/corrections"}},
		{access.ReviewBreakGlass, menuLink{"Break-glass reviews", "/governance/break-glass"}},
		{access.ReviewWithheld, menuLink{"Withheld items", "/portal/withheld"}},
		{access.ManageInspections, menuLink{"Inspections", "/governance/inspections"}},
		{access.ManageAgreements, menuLink{"Data-sharing agreements", "/governance/agreements"}},
		{access.ManageIncidents, menuLink{"Incidents", "/governance/incidents"}},
		{access.ManageRetention, menuLink{"Retention", "/governance/retention"}},
		{access.ManagePolicies, menuLink{"Policies", "/governance/policies"}},
		{access.ViewGovernance, menuLink{"Evidence report", "/governance/evidence"}},
		{access.ManageAccounts, menuLink{"Partner systems", "/governance/partners"}},
		{access.ManageLocations, menuLink{"Locations", "/admin/locations"}},
		{access.ManageStaff, menuLink{"Staff", "/staff"}},
		{access.ImportRecords, menuLink{"Import", "/admin/import"}},
	} {
		if perms.Has(l.action) {
			links = append(links, l.link)
		}
	}
	return links
}

// accountTitle is what the header says the account is.
func accountTitle(u accounts.User) string {
	switch u.Kind {
	case access.KindStaff:
		return u.Role.Title()
	case access.KindRepresentative:
		return "Representative"
	case access.KindInspector:
		return "Inspector"
	}
	return "Your own record"
}

// render writes a full page with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, name, title string, data any) {
	s.renderWith(w, r, c, status, name, page{Title: title, Data: data})
}

func (s *Server) renderWith(w http.ResponseWriter, r *http.Request, c *call, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		s.Log.Error("no such template", "name", name)
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	p.RequestID = requestID(r)
	if c != nil && c.token != "" {
		p.CSRF = c.sess.CSRFToken
		if c.signed {
			u := c.sess.User
			p.User = &pageUser{Name: u.DisplayName, Role: accountTitle(u), Menu: menuFor(u)}
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
	if p.Fields != nil {
		// The summary comes before the form in the page, so the first
		// rendering learns which input each field's message sits on and
		// the second links the summary to them. A field a template has not
		// told us about links to an input named after it, when the page
		// has one.
		p.fieldIDs = map[string]string{}
		if err := t.Execute(&buf, p); err == nil {
			for field := range p.Fields {
				if _, ok := p.fieldIDs[field]; ok {
					continue
				}
				for _, id := range guessIDs(field) {
					if bytes.Contains(buf.Bytes(), []byte(` id="`+id+`"`)) {
						p.fieldIDs[field] = id
						break
					}
				}
			}
		}
		buf.Reset()
	}
	if err := t.Execute(&buf, p); err != nil {
		s.Log.Error("render", "template", name, "err", err, "request_id", p.RequestID)
		http.Error(w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	_, _ = w.Write(withIdempotencyKeys(buf.Bytes()))
}

// guessIDs are the ids an input for field is likely to have: "NHS
// number" is nhs_number or nhs-number.
func guessIDs(field string) []string {
	words := strings.Fields(strings.ToLower(field))
	if len(words) == 0 {
		return nil
	}
	return []string{strings.Join(words, "_"), strings.Join(words, "-")}
}

// statusOf maps an error kind to its HTTP status: the one place this
// happens for HTML.
func statusOf(err error) int {
	switch hearth.KindOf(err) {
	case hearth.KindInvalid:
		return http.StatusUnprocessableEntity
	case hearth.KindNotFound:
		return http.StatusNotFound
	case hearth.KindForbidden:
		return http.StatusForbidden
	case hearth.KindConflict:
		return http.StatusConflict
	case hearth.KindUnauthenticated:
		return http.StatusUnauthorized
	case hearth.KindTooMany:
		return http.StatusTooManyRequests
	case hearth.KindUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// renderError shows err as a page. Hearth's own errors carry a message safe
// to show; anything else is logged with the request ID and shown as a
// generic fault, so internals never reach the screen.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	if errors.Is(err, hearth.ErrStoreUnavailable) {
		s.renderUnavailable(w, r, c, err)
		return
	}
	status := statusOf(err)
	var herr *hearth.Error
	errors.As(err, &herr)
	if status == http.StatusInternalServerError || herr == nil {
		s.Log.Error("request failed", "request_id", requestID(r), "err", err)
		herr = &hearth.Error{Kind: hearth.KindInternal, Message: "Something went wrong. The problem has been logged; quote reference " + requestID(r) + "."}
	}
	if errors.Is(err, errBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	title := "There is a problem"
	if status == http.StatusNotFound {
		title = "Record not found"
	}
	// Emergency access is offered to staff only: an inspector's access is
	// read-only and bounded by their grant, and a portal account has none.
	kind := access.KindNone
	if c != nil {
		kind = c.actor.Kind
	}
	s.renderWith(w, r, c, status, "error", page{Title: title, Error: herr, Data: map[string]any{"NotFound": status == http.StatusNotFound,
		"Staff": kind == access.KindStaff, "Inspector": kind == access.KindInspector}})
}

func equalStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
