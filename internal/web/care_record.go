package web

// The care record's staff pages (About Me, care plans, daily notes, risk
// assessments and safety plans). Handlers translate forms to the care
// service's drafts and back; the rules live in internal/care. Forms that are
// refused are shown again with the person's input kept and the message next
// to the field; a save that lost a race shows the other person's version
// beside the text that was not saved.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/people"
)

func (s *Server) careRecordRoutes() {
	s.addSection("About Me", "/about-me", "What matters to them, how to communicate, in their own words")
	s.addSection("Care plans", "/care-plans", "One plan per need, with the person's agreement and review dates")
	s.addSection("Daily notes", "/notes", "Add a note at the point of care; see the last week")
	s.addSection("Risks and safety plan", "/risks", "Risk assessments and the safety plan, in their words")

	s.handle("GET", "/people/{id}/about-me", Personal, s.aboutMePage)
	s.handle("POST", "/people/{id}/about-me", Personal, s.addAboutMe)

	s.handle("GET", "/people/{id}/care-plans", Personal, s.carePlansPage)
	s.handle("POST", "/people/{id}/care-plans", Personal, s.newCarePlan)
	s.handle("GET", "/people/{id}/care-plans/new", Personal, s.newCarePlanForm)
	s.handle("GET", "/people/{id}/care-plans/{plan}", Personal, s.carePlanPage)
	s.handle("GET", "/people/{id}/care-plans/{plan}/edit", Personal, s.editCarePlanForm)
	s.handle("POST", "/people/{id}/care-plans/{plan}", Personal, s.reviseCarePlan)

	s.handle("GET", "/people/{id}/notes", Personal, s.notesPage)
	s.handle("POST", "/people/{id}/notes", Personal, s.recordNote)
	s.handle("GET", "/people/{id}/notes/{note}/correct", Personal, s.correctNoteForm)
	s.handle("POST", "/people/{id}/notes/{note}/correct", Personal, s.correctNote)

	s.handle("GET", "/people/{id}/risks", Personal, s.risksPage)
	s.handle("POST", "/people/{id}/risks", Personal, s.newRisk)
	s.handle("GET", "/people/{id}/risks/new", Personal, s.newRiskForm)
	s.handle("GET", "/people/{id}/risks/{risk}", Personal, s.riskPage)
	s.handle("GET", "/people/{id}/risks/{risk}/edit", Personal, s.editRiskForm)
	s.handle("POST", "/people/{id}/risks/{risk}", Personal, s.reviseRisk)
	s.handle("GET", "/people/{id}/safety-plan", Personal, s.safetyPlanPage)
	s.handle("GET", "/people/{id}/safety-plan/edit", Personal, s.editSafetyForm)
	s.handle("POST", "/people/{id}/safety-plan", Personal, s.saveSafetyPlan)
}

// recordFormError reports whether err should re-show the form (bad input or
// a lost race) rather than an error page.
func recordFormError(err error) (*hearth.Error, bool) {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict) {
		return herr, true
	}
	return nil, false
}

// --- About Me ---

type aboutMeView struct {
	care.AboutMePage
	Formats     []care.Choice
	Form        url.Values
	Now         time.Time
	CanWithhold bool // offer "Withhold from …" beside each entry (withhold_links.go)
}

// Checked reports whether a checkbox was ticked on the form being re-shown.
func (v aboutMeView) Checked(name, value string) bool { return formHas(v.Form, name, value) }

func formHas(f url.Values, name, value string) bool {
	for _, x := range f[name] {
		if x == value {
			return true
		}
	}
	return false
}

func (s *Server) aboutMePage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showAboutMe(w, r, c, http.StatusOK, nil, url.Values{})
}

func (s *Server) showAboutMe(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values) error {
	pg, err := s.Care.AboutMe(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.renderWith(w, r, c, status, "care_aboutme", page{Title: "About Me – " + pg.Person.FullName(), Error: herr,
		Data: aboutMeView{AboutMePage: pg, Formats: care.AccessibleFormats, Form: form, CanWithhold: s.mayWithhold(c)}})
	return nil
}

func (s *Server) addAboutMe(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := s.Care.AddAboutMe(r.Context(), c.actor, id, care.AboutMeDraft{Section: r.PostFormValue("section"),
		Body: r.PostFormValue("body"), Formats: r.PostForm["formats"], Support: r.PostFormValue("support")})
	if herr, ok := recordFormError(err); ok {
		return s.showAboutMe(w, r, c, statusOf(err), herr, r.PostForm)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/about-me#"+r.PostFormValue("section"), http.StatusSeeOther)
	return nil
}

// --- Daily notes ---

type notesView struct {
	care.NotesPage
	Categories []care.Choice
	Form       url.Values
	LateHours  string
	// CanWithhold offers a link from each note to withhold it from the
	// person on the portal page (which decides and audits).
	CanWithhold bool
	Pager       pager
}

// notesPage is how many daily notes a page shows.
const notesPage = 25

func (s *Server) notesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showNotes(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) showNotes(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values) error {
	days, _ := strconv.Atoi(r.URL.Query().Get("days"))
	pg, err := s.Care.NotesPaged(r.Context(), c.actor, r.PathValue("id"), days, pageOffset(r, "page", notesPage), notesPage)
	if err != nil {
		return err
	}
	if form == nil {
		now := s.Clock().In(london)
		form = url.Values{"care_date": {now.Format("2006-01-02")}, "care_time": {now.Format("15:04")}}
	}
	s.renderWith(w, r, c, status, "care_notes", page{Title: "Daily notes – " + pg.Person.FullName(), Error: herr,
		Data: notesView{NotesPage: pg, Categories: care.NoteCategories, Form: form, LateHours: hoursText(pg.LateAfter),
			Pager:       newPager(r, "page", pg.Offset, pg.Limit, len(pg.Notes), pg.Total, "note", "notes"),
			CanWithhold: s.Portal != nil && c.actor.Kind == access.KindStaff && c.actor.Role.Info().Permissions.Has(access.WithholdItem)}})
	return nil
}

func hoursText(d time.Duration) string {
	if d%time.Hour == 0 {
		if d == time.Hour {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return fmt.Sprintf("%d minutes", d/time.Minute)
}

// noteDraft reads a note form. Date and time are UK local time.
func noteDraft(r *http.Request) care.NoteDraft {
	d := care.NoteDraft{Category: r.PostFormValue("category"), Body: r.PostFormValue("body"), Reason: r.PostFormValue("reason")}
	date, clock := strings.TrimSpace(r.PostFormValue("care_date")), strings.TrimSpace(r.PostFormValue("care_time"))
	if t, ok := parseDayAndClock(date, clock); !ok {
		d.Unread.Add("Time of care", "Enter the date and time of care, such as 3 March 2026 at 14:30")
	} else {
		d.CareAt = t
	}
	return d
}

func (s *Server) recordNote(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := s.Care.RecordNote(r.Context(), c.actor, id, noteDraft(r))
	if herr, ok := recordFormError(err); ok {
		return s.showNotes(w, r, c, statusOf(err), herr, r.PostForm)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/notes", http.StatusSeeOther)
	return nil
}

func (s *Server) correctNoteForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showCorrectNote(w, r, c, http.StatusOK, nil)
}

func (s *Server) showCorrectNote(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error) error {
	p, n, err := s.Care.NoteForm(r.Context(), c.actor, r.PathValue("id"), r.PathValue("note"))
	if err != nil {
		return err
	}
	form := r.PostForm
	if r.Method != http.MethodPost {
		at := n.CareAt.In(london)
		form = url.Values{"category": {n.Category}, "body": {n.Body}, "care_date": {at.Format("2006-01-02")}, "care_time": {at.Format("15:04")}}
	}
	fields := []recField{
		{Key: "Category", Name: "category", Label: "What is it about?", Kind: "radios", Options: care.NoteCategories},
		{Key: "Note", Name: "body", Label: "The corrected note", Kind: "textarea", Rows: 5, Max: care.MaxText},
		{Key: "Time of care", Name: "care_date", Label: "Date of care", Kind: "date"},
		{Key: "Time of care", Name: "care_time", Label: "Time of care", Kind: "time"},
		{Key: "Reason for the correction", Name: "reason", Label: "Why does it need correcting?", Hint: "The original note stays in the record, marked as corrected, with this reason.", Kind: "input", Max: care.MaxShort * 2},
	}
	v := recFormView{Person: p, Heading: "Correct a daily note", Caption: "Daily notes",
		Action: fmt.Sprintf("/people/%s/notes/%s/correct", p.ID, n.ID), Submit: "Save the correction", Back: "/people/" + p.ID + "/notes",
		Intro:  fmt.Sprintf("Written by %s on %s: “%s”", n.Author.Name, ukDateTime(n.RecordedAt), n.Body),
		Fields: fillFields(fields, form, herr)}
	s.renderWith(w, r, c, status, "care_form", page{Title: "Correct a daily note – " + p.FullName(), Error: herr, Data: v})
	return nil
}

func (s *Server) correctNote(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := s.Care.CorrectNote(r.Context(), c.actor, id, r.PathValue("note"), noteDraft(r))
	if herr, ok := recordFormError(err); ok {
		return s.showCorrectNote(w, r, c, statusOf(err), herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/notes", http.StatusSeeOther)
	return nil
}

// --- Generic form (plans, risks, safety plan, corrections) ---

// recField is one field of a record form.
type recField struct {
	Key     string // the field as named in validation messages
	Name    string // the form field
	Label   string
	Hint    string
	Kind    string // input, textarea, date, time, radios, checkboxes
	Rows    int
	Max     int
	Options []care.Choice
	Value   string
	Values  []string
	Error   string
}

// Has reports whether option v is chosen.
func (f recField) Has(v string) bool {
	if f.Kind == "radios" {
		return f.Value == v
	}
	for _, x := range f.Values {
		if x == v {
			return true
		}
	}
	return false
}

func fillFields(fields []recField, form url.Values, herr *hearth.Error) []recField {
	for i := range fields {
		f := &fields[i]
		f.Value, f.Values = form.Get(f.Name), form[f.Name]
		if herr != nil {
			for _, p := range herr.Problems {
				if p.Field == f.Key && f.Error == "" {
					f.Error = p.Message
				}
			}
		}
	}
	return fields
}

// recShown is a labelled value of someone else's version, shown on a
// conflict.
type recShown struct{ Label, Value string }

type recFormView struct {
	Person        people.Person
	Heading       string
	Caption       string
	Intro         string
	Action        string
	Submit        string
	Back          string
	Fields        []recField
	BasedOn       int
	Conflict      string
	Theirs        []recShown
	TheirsVersion int
}

func reviewValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func readDate(form url.Values, name, field string, p *hearth.Problems) time.Time {
	v := strings.TrimSpace(form.Get(name))
	if v == "" {
		return time.Time{}
	}
	t, ok := parseDay(v)
	if !ok {
		p.Add(field, "Enter a real date, such as 3 June 2026")
	}
	return t
}

// --- Care plans ---

type plansView struct {
	care.PlansPage
	Now         time.Time
	CanWithhold bool // offer "Withhold from …" beside each plan (withhold_links.go)
}

func (s *Server) carePlansPage(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Care.CarePlans(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_plans", "Care plans – "+pg.Person.FullName(), plansView{PlansPage: pg, Now: s.Clock(), CanWithhold: s.mayWithhold(c)})
	return nil
}

func (s *Server) carePlanPage(w http.ResponseWriter, r *http.Request, c *call) error {
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	pg, err := s.Care.CarePlan(r.Context(), c.actor, r.PathValue("id"), r.PathValue("plan"), version)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_plan", pg.Shown.Title+" – "+pg.Person.FullName(), planView{PlanPage: pg, CanWithhold: s.mayWithhold(c)})
	return nil
}

func planFields(newPlan bool) []recField {
	var f []recField
	if newPlan {
		f = append(f, recField{Key: "Need", Name: "area", Label: "Which need is this plan for?", Kind: "radios", Options: care.PlanAreas},
			recField{Key: "Title", Name: "title", Label: "Title, for 'Something else'", Hint: "Such as 'Managing my diabetes'", Kind: "input", Max: care.MaxShort})
	}
	f = append(f,
		recField{Key: "What I want", Name: "outcome", Label: "What I want (the outcome, in the person's own words)", Kind: "textarea", Rows: 4, Max: care.MaxText},
		recField{Key: "How this will be met", Name: "how_met", Label: "How this will be met", Hint: "Who does what, when, and what the person does themself", Kind: "textarea", Rows: 5, Max: care.MaxText},
		recField{Key: "Preferences", Name: "preferences", Label: "Preferences", Hint: "How they like it done", Kind: "textarea", Rows: 3, Max: care.MaxText},
		recField{Key: "Who was involved", Name: "involved", Label: "Who was involved in writing it?", Kind: "checkboxes", Options: care.InvolvementKinds},
		recField{Key: "Names and roles", Name: "involved_names", Label: "Their names and roles", Hint: "Such as 'Sue Jones, daughter; Kwame Mensah, senior carer'", Kind: "input", Max: care.MaxShort * 2},
		recField{Key: "Agreement", Name: "agreement", Label: "Does the person agree with this plan?", Kind: "radios", Options: care.Agreements},
		recField{Key: "In their words", Name: "agreement_words", Label: "What they said, in their words", Hint: "Needed if they agreed with changes or did not agree", Kind: "textarea", Rows: 2, Max: care.MaxText},
		recField{Key: "Review date", Name: "review_on", Label: "Review by", Kind: "date"},
		recField{Key: "Reason for the change", Name: "reason", Label: "Why is it changing?", Hint: "Such as 'Monthly review' or 'Prefers a bath now'", Kind: "input", Max: care.MaxShort * 2},
	)
	return f
}

func planValues(d care.PlanDraft) url.Values {
	return url.Values{"area": {d.Area}, "title": {d.Title}, "outcome": {d.Outcome}, "how_met": {d.HowMet}, "preferences": {d.Preferences},
		"involved": d.Involved.Kinds, "involved_names": {d.Involved.Names}, "agreement": {d.Agreement},
		"agreement_words": {d.AgreementWords}, "review_on": {reviewValue(d.ReviewOn)}, "based_on": {strconv.Itoa(d.BasedOn)}}
}

func readPlanDraft(form url.Values) care.PlanDraft {
	d := care.PlanDraft{Area: form.Get("area"), Title: form.Get("title"), Outcome: form.Get("outcome"), HowMet: form.Get("how_met"),
		Preferences: form.Get("preferences"), Involved: care.Involvement{Kinds: form["involved"], Names: form.Get("involved_names")},
		Agreement: form.Get("agreement"), AgreementWords: form.Get("agreement_words"), Reason: form.Get("reason")}
	d.BasedOn, _ = strconv.Atoi(form.Get("based_on"))
	d.ReviewOn = readDate(form, "review_on", "Review date", &d.Unread)
	return d
}

func (s *Server) newCarePlanForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showPlanForm(w, r, c, http.StatusOK, "", url.Values{"area": {r.URL.Query().Get("area")}}, nil)
}

func (s *Server) editCarePlanForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showPlanForm(w, r, c, http.StatusOK, r.PathValue("plan"), nil, nil)
}

// showPlanForm shows the new or edit form. form nil means start from the
// newest version; on a conflict the newest version is shown beside the
// text that was not saved, and the form is now based on it.
func (s *Server) showPlanForm(w http.ResponseWriter, r *http.Request, c *call, status int, planID string, form url.Values, herr *hearth.Error) error {
	pg, err := s.Care.PlanForm(r.Context(), c.actor, r.PathValue("id"), planID)
	if err != nil {
		return err
	}
	p := pg.Person
	v := recFormView{Person: p, Caption: "Care plans", Back: "/people/" + p.ID + "/care-plans"}
	if planID == "" {
		v.Heading, v.Action, v.Submit = "Write a care plan", "/people/"+p.ID+"/care-plans", "Save the plan"
		v.Intro = "Write it with " + p.CalledName() + ", in their words where you can."
		v.Fields = fillFields(planFields(true), form, herr)
		v.Fields = v.Fields[:len(v.Fields)-1] // a first version needs no reason
	} else {
		cur := pg.Versions[0]
		if form == nil {
			form = planValues(cur.Draft())
		}
		v.Heading = "Change the plan: " + cur.Title
		v.Action, v.Submit = "/people/"+p.ID+"/care-plans/"+cur.PlanID, "Save version "+strconv.Itoa(cur.Version+1)
		v.Back = "/people/" + p.ID + "/care-plans/" + cur.PlanID
		v.Intro = fmt.Sprintf("You are changing version %d, written by %s on %s. Saving makes version %d; version %d stays readable.",
			cur.Version, cur.Author.Name, ukDateTime(cur.WrittenAt), cur.Version+1, cur.Version)
		v.BasedOn = cur.Version
		v.Fields = fillFields(planFields(false), form, herr)
		if herr != nil && herr.Kind == hearth.KindConflict {
			v.Conflict, v.TheirsVersion = herr.Message, cur.Version
			v.Theirs = []recShown{{"What I want", cur.Outcome}, {"How this will be met", cur.HowMet}, {"Preferences", cur.Preferences},
				{"Agreement", cur.AgreementTitle() + ". " + cur.AgreementWords}, {"Review by", ukDay(cur.ReviewOn)}, {"Why it changed", cur.Reason}}
		}
	}
	s.renderWith(w, r, c, status, "care_form", page{Title: v.Heading + " – " + p.FullName(), Error: herr, Data: v})
	return nil
}

func (s *Server) newCarePlan(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	v, err := s.Care.NewCarePlan(r.Context(), c.actor, id, readPlanDraft(r.PostForm))
	if herr, ok := recordFormError(err); ok {
		return s.showPlanForm(w, r, c, statusOf(err), "", r.PostForm, herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/care-plans/"+v.PlanID, http.StatusSeeOther)
	return nil
}

func (s *Server) reviseCarePlan(w http.ResponseWriter, r *http.Request, c *call) error {
	id, plan := r.PathValue("id"), r.PathValue("plan")
	_, err := s.Care.ReviseCarePlan(r.Context(), c.actor, id, plan, readPlanDraft(r.PostForm))
	if herr, ok := recordFormError(err); ok {
		return s.showPlanForm(w, r, c, statusOf(err), plan, r.PostForm, herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/care-plans/"+plan, http.StatusSeeOther)
	return nil
}

// --- Risks and safety plan ---

func (s *Server) risksPage(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Care.Risks(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_risks", "Risks and safety plan – "+pg.Person.FullName(), pg)
	return nil
}

func (s *Server) riskPage(w http.ResponseWriter, r *http.Request, c *call) error {
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	pg, err := s.Care.Risk(r.Context(), c.actor, r.PathValue("id"), r.PathValue("risk"), version)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_risk", pg.Shown.Title+" – "+pg.Person.FullName(), pg)
	return nil
}

var riskFields = []recField{
	{Key: "The risk", Name: "title", Label: "The risk, in a few words", Hint: "Such as 'Falls when walking at night'", Kind: "input", Max: care.MaxShort},
	{Key: "What could happen", Name: "could_happen", Label: "What could happen", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "Likelihood", Name: "likelihood", Label: "How likely is it?", Kind: "radios", Options: care.Levels},
	{Key: "Impact", Name: "impact", Label: "How serious would it be?", Kind: "radios", Options: care.Levels},
	{Key: "What reduces it", Name: "reduces", Label: "What reduces it", Hint: "What the person, staff and others do; what the person is happy to accept", Kind: "textarea", Rows: 4, Max: care.MaxText},
	{Key: "In their words", Name: "persons_words", Label: "In the person's words", Hint: "How they see this risk, and what they want", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "Who was involved", Name: "involved", Label: "Who was involved?", Kind: "checkboxes", Options: care.InvolvementKinds},
	{Key: "Names and roles", Name: "involved_names", Label: "Their names and roles", Kind: "input", Max: care.MaxShort * 2},
	{Key: "Review date", Name: "review_on", Label: "Review by", Kind: "date"},
	{Key: "Reason for the change", Name: "reason", Label: "Why is it changing?", Kind: "input", Max: care.MaxShort * 2},
}

func riskValues(d care.RiskDraft) url.Values {
	return url.Values{"title": {d.Title}, "could_happen": {d.CouldHappen}, "likelihood": {d.Likelihood}, "impact": {d.Impact},
		"reduces": {d.Reduces}, "persons_words": {d.PersonsWords}, "involved": d.Involved.Kinds, "involved_names": {d.Involved.Names},
		"review_on": {reviewValue(d.ReviewOn)}}
}

func readRiskDraft(form url.Values) care.RiskDraft {
	d := care.RiskDraft{Title: form.Get("title"), CouldHappen: form.Get("could_happen"), Likelihood: form.Get("likelihood"),
		Impact: form.Get("impact"), Reduces: form.Get("reduces"), PersonsWords: form.Get("persons_words"),
		Involved: care.Involvement{Kinds: form["involved"], Names: form.Get("involved_names")}, Reason: form.Get("reason")}
	d.BasedOn, _ = strconv.Atoi(form.Get("based_on"))
	d.ReviewOn = readDate(form, "review_on", "Review date", &d.Unread)
	return d
}

func (s *Server) newRiskForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showRiskForm(w, r, c, http.StatusOK, "", url.Values{}, nil)
}

func (s *Server) editRiskForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showRiskForm(w, r, c, http.StatusOK, r.PathValue("risk"), nil, nil)
}

func (s *Server) showRiskForm(w http.ResponseWriter, r *http.Request, c *call, status int, riskID string, form url.Values, herr *hearth.Error) error {
	pg, err := s.Care.RiskForm(r.Context(), c.actor, r.PathValue("id"), riskID)
	if err != nil {
		return err
	}
	p := pg.Person
	fields := append([]recField(nil), riskFields...)
	v := recFormView{Person: p, Caption: "Risks and safety plan", Back: "/people/" + p.ID + "/risks"}
	if riskID == "" {
		v.Heading, v.Action, v.Submit = "Assess a risk", "/people/"+p.ID+"/risks", "Save the risk assessment"
		v.Fields = fillFields(fields[:len(fields)-1], form, herr)
	} else {
		cur := pg.Versions[0]
		if form == nil {
			form = riskValues(cur.Draft())
		}
		v.Heading, v.Action, v.Submit = "Change the risk assessment: "+cur.Title, "/people/"+p.ID+"/risks/"+cur.RiskID, "Save version "+strconv.Itoa(cur.Version+1)
		v.BasedOn, v.Back = cur.Version, "/people/"+p.ID+"/risks/"+cur.RiskID
		v.Fields = fillFields(fields, form, herr)
		if herr != nil && herr.Kind == hearth.KindConflict {
			v.Conflict, v.TheirsVersion = herr.Message, cur.Version
			v.Theirs = []recShown{{"What could happen", cur.CouldHappen}, {"Likelihood and impact", cur.LikelihoodTitle() + " / " + cur.ImpactTitle()},
				{"What reduces it", cur.Reduces}, {"In their words", cur.PersonsWords}, {"Review by", ukDay(cur.ReviewOn)}}
		}
	}
	s.renderWith(w, r, c, status, "care_form", page{Title: v.Heading + " – " + p.FullName(), Error: herr, Data: v})
	return nil
}

func (s *Server) newRisk(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	v, err := s.Care.SaveRisk(r.Context(), c.actor, id, "", readRiskDraft(r.PostForm))
	if herr, ok := recordFormError(err); ok {
		return s.showRiskForm(w, r, c, statusOf(err), "", r.PostForm, herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/risks/"+v.RiskID, http.StatusSeeOther)
	return nil
}

func (s *Server) reviseRisk(w http.ResponseWriter, r *http.Request, c *call) error {
	id, risk := r.PathValue("id"), r.PathValue("risk")
	_, err := s.Care.SaveRisk(r.Context(), c.actor, id, risk, readRiskDraft(r.PostForm))
	if herr, ok := recordFormError(err); ok {
		return s.showRiskForm(w, r, c, statusOf(err), risk, r.PostForm, herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/risks/"+risk, http.StatusSeeOther)
	return nil
}

func (s *Server) safetyPlanPage(w http.ResponseWriter, r *http.Request, c *call) error {
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	pg, err := s.Care.SafetyPlan(r.Context(), c.actor, r.PathValue("id"), version)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_safety", "Safety plan – "+pg.Person.FullName(), pg)
	return nil
}

var safetyFields = []recField{
	{Key: "Triggers", Name: "triggers", Label: "Triggers", Hint: "What can lead to a crisis, in the person's words where you can", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "Early warning signs", Name: "warning_signs", Label: "Early warning signs", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "What helps", Name: "what_helps", Label: "What helps", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "Who to contact", Name: "contacts", Label: "Who to contact", Hint: "Names, and how to reach them", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "In their words", Name: "persons_words", Label: "In the person's words", Kind: "textarea", Rows: 3, Max: care.MaxText},
	{Key: "Who was involved", Name: "involved", Label: "Who was involved?", Kind: "checkboxes", Options: care.InvolvementKinds},
	{Key: "Names and roles", Name: "involved_names", Label: "Their names and roles", Kind: "input", Max: care.MaxShort * 2},
	{Key: "Review date", Name: "review_on", Label: "Review by", Kind: "date"},
	{Key: "Reason for the change", Name: "reason", Label: "Why is it changing?", Hint: "Leave blank for a first safety plan", Kind: "input", Max: care.MaxShort * 2},
}

func (s *Server) editSafetyForm(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showSafetyForm(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) showSafetyForm(w http.ResponseWriter, r *http.Request, c *call, status int, form url.Values, herr *hearth.Error) error {
	pg, err := s.Care.SafetyForm(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := pg.Person
	v := recFormView{Person: p, Caption: "Risks and safety plan", Heading: "Write the safety plan", Action: "/people/" + p.ID + "/safety-plan",
		Submit: "Save the safety plan", Back: "/people/" + p.ID + "/safety-plan"}
	if pg.Shown != nil {
		cur := pg.Shown
		if form == nil {
			d := cur.Draft()
			form = url.Values{"triggers": {d.Triggers}, "warning_signs": {d.WarningSigns}, "what_helps": {d.WhatHelps}, "contacts": {d.Contacts},
				"persons_words": {d.PersonsWords}, "involved": d.Involved.Kinds, "involved_names": {d.Involved.Names}, "review_on": {reviewValue(d.ReviewOn)}}
		}
		v.Heading, v.BasedOn, v.Submit = "Change the safety plan", cur.Version, "Save version "+strconv.Itoa(cur.Version+1)
		if herr != nil && herr.Kind == hearth.KindConflict {
			v.Conflict, v.TheirsVersion = herr.Message, cur.Version
			v.Theirs = []recShown{{"Triggers", cur.Triggers}, {"Early warning signs", cur.WarningSigns}, {"What helps", cur.WhatHelps}, {"Who to contact", cur.Contacts}}
		}
	}
	v.Fields = fillFields(append([]recField(nil), safetyFields...), form, herr)
	s.renderWith(w, r, c, status, "care_form", page{Title: v.Heading + " – " + p.FullName(), Error: herr, Data: v})
	return nil
}

func (s *Server) saveSafetyPlan(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostForm
	d := care.SafetyDraft{Triggers: f.Get("triggers"), WarningSigns: f.Get("warning_signs"), WhatHelps: f.Get("what_helps"),
		Contacts: f.Get("contacts"), PersonsWords: f.Get("persons_words"), Involved: care.Involvement{Kinds: f["involved"], Names: f.Get("involved_names")},
		Reason: f.Get("reason")}
	d.BasedOn, _ = strconv.Atoi(f.Get("based_on"))
	d.ReviewOn = readDate(f, "review_on", "Review date", &d.Unread)
	_, err := s.Care.SaveSafetyPlan(r.Context(), c.actor, id, d)
	if herr, ok := recordFormError(err); ok {
		return s.showSafetyForm(w, r, c, statusOf(err), f, herr)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/safety-plan", http.StatusSeeOther)
	return nil
}
