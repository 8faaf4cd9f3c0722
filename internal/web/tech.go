package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hearth"
	"hearth/internal/people"
	"hearth/internal/tech"
)

// techRoutes are technology governance: the register, each
// person's technology page and use records, copies for the person, reviews,
// outcomes, concerns, feedback, training and the governance reports.
func (s *Server) techRoutes() {
	s.addSection("Technology", "/technology", "Technology used in their care, its lawful basis, reviews and concerns")

	s.handle("GET", "/governance/technology", Personal, s.techRegister)
	s.handle("GET", "/governance/technology/new", Personal, s.techNew)
	s.handle("POST", "/governance/technology", Personal, s.techSave)
	s.handle("GET", "/governance/technology/{id}", Personal, s.techView)
	s.handle("GET", "/governance/technology/{id}/edit", Personal, s.techEdit)
	s.handle("POST", "/governance/technology/{id}", Personal, s.techSave)
	s.handle("POST", "/governance/technology/{id}/feedback", Personal, s.techFeedback)
	s.handle("GET", "/governance/technology/{id}/outcomes", Personal, s.techOutcomes)
	s.handle("GET", "/governance/technology-blanket", Personal, s.techBlanket)
	s.handle("GET", "/governance/technology-concerns", Personal, s.techConcerns)
	s.handle("GET", "/governance/training", Personal, s.techTraining)
	s.handle("POST", "/governance/training", Personal, s.techTrainingSave)
	s.handle("GET", "/governance/inclusion/{id}", Personal, s.techInclusionSummary)

	s.handle("GET", "/people/{id}/technology", Personal, s.techPerson)
	s.handle("POST", "/people/{id}/technology", Personal, s.techUseCreate)
	s.handle("GET", "/people/{id}/technology/uses/{use}", Personal, s.techUse)
	s.handle("POST", "/people/{id}/technology/uses/{use}", Personal, s.techUseUpdate)
	s.handle("POST", "/people/{id}/technology/uses/{use}/reviews", Personal, s.techReview)
	s.handle("POST", "/people/{id}/technology/uses/{use}/outcomes", Personal, s.techOutcome)
	s.handle("POST", "/people/{id}/technology/uses/{use}/copies", Personal, s.techCopyGiven)
	s.handle("GET", "/people/{id}/technology/uses/{use}/copy", Personal, s.techCopy)
	s.handle("GET", "/people/{id}/technology/uses/{use}/copy.pdf", Personal, s.techCopyPDF)
	s.handle("POST", "/people/{id}/technology/concerns", Personal, s.techConcernRaise)
	s.handle("POST", "/people/{id}/technology/concerns/{concern}", Personal, s.techConcernUpdate)
	s.handle("POST", "/people/{id}/technology/profile", Personal, s.techProfile)
	s.handle("POST", "/people/{id}/technology/inclusion", Personal, s.techInclusion)
}

// techForm re-shows a form with the person's input kept after bad input;
// any other error is rendered as a page.
func (s *Server) techForm(w http.ResponseWriter, r *http.Request, c *call, err error, name, title string, data any) error {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict || herr.Kind == hearth.KindForbidden) {
		s.renderWith(w, r, c, statusOf(err), name, page{Title: title, Error: herr, Data: data})
		return nil
	}
	return err
}

type techRegisterView struct {
	Technologies []tech.Technology
	Locations    []people.Location // each links to its digital inclusion summary
}

func (s *Server) techRegister(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.Tech.Register(r.Context(), c.actor)
	if err != nil {
		return err
	}
	locs, err := s.Tech.Locations(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_register", "Technology register", techRegisterView{Technologies: list, Locations: locs})
	return nil
}

type techEditView struct {
	editChoices
	Tech      tech.Technology
	Locations []people.Location
	Reason    string
	Measures  string
}

// editChoices are the register form's lists.
type editChoices struct{}

func (editChoices) SurveillanceTypes() []tech.Answer {
	return tech.Answers(tech.SurveillanceTypes, tech.SurveillanceTitle)
}
func (editChoices) Qualities() []string    { return tech.EvidenceQualities }
func (editChoices) Tiers() []string        { return []string{"A", "B", "C"} }
func (editChoices) ServiceTypes() []string { return tech.ServiceTypes }
func (editChoices) Statuses() []string     { return tech.Statuses }
func (editChoices) ReviewOutcomes() []tech.Answer {
	return tech.Answers([]string{tech.ReviewContinue, tech.ReviewChange, tech.ReviewStop}, tech.ReviewOutcomeTitle)
}

func measuresText(ms []tech.Measure) string {
	var lines []string
	for _, m := range ms {
		if m.Experience {
			lines = append(lines, m.Name+" | experience")
			continue
		}
		lines = append(lines, m.Name+" | "+m.Unit+" | "+strconv.FormatFloat(m.Min, 'g', -1, 64)+" | "+strconv.FormatFloat(m.Max, 'g', -1, 64))
	}
	return strings.Join(lines, "\n")
}

// parseMeasures reads one measure a line: "Name | unit | min | max", or
// "Name | experience" for a 1 to 5 experience score.
func parseMeasureLines(text string) []tech.Measure {
	var out []tech.Measure
	for _, line := range strings.Split(text, "\n") {
		parts := strings.Split(line, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		if parts[0] == "" {
			continue
		}
		m := tech.Measure{Name: parts[0]}
		if len(parts) > 1 && strings.EqualFold(parts[1], "experience") {
			m.Experience = true
		} else {
			if len(parts) > 1 {
				m.Unit = parts[1]
			}
			if len(parts) > 2 {
				m.Min, _ = strconv.ParseFloat(parts[2], 64)
			}
			m.Max = 100
			if len(parts) > 3 {
				m.Max, _ = strconv.ParseFloat(parts[3], 64)
			}
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) techNew(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.Tech.Register(r.Context(), c.actor); err != nil {
		return err
	}
	locs, err := s.Tech.Locations(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_edit", "Add a technology", techEditView{Tech: tech.Technology{Status: tech.StatusProposed}, Locations: locs})
	return nil
}

func (s *Server) techEdit(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.Tech.Get(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_edit", "Change "+e.Name, techEditView{Tech: e.Technology, Locations: e.Locations, Measures: measuresText(e.Measures)})
	return nil
}

func techFromForm(r *http.Request) tech.Technology {
	f := r.PostForm
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(f.Get(k))); return n }
	var t tech.Technology
	t.ID = r.PathValue("id")
	t.Version = num("version")
	t.Name, t.Supplier, t.Kind = f.Get("name"), f.Get("supplier"), f.Get("kind")
	t.Surveillance, t.SurveillanceType = f.Get("surveillance") == "yes", f.Get("surveillance_type")
	t.VisitLocation = f.Get("visit_location") == "yes"
	t.IntendedUse = f.Get("intended_use")
	t.Evidence = tech.Evidence{Summary: f.Get("evidence_summary"), Quality: f.Get("evidence_quality"), Date: tech.ParseDay(f.Get("evidence_date")),
		Reviewer: f.Get("evidence_reviewer"), Tier: f.Get("evidence_tier")}
	t.DTAC = tech.Assessment{Date: tech.ParseDay(f.Get("dtac_date")), Outcome: f.Get("dtac_outcome")}
	t.DPIA = tech.Assessment{Date: tech.ParseDay(f.Get("dpia_date")), Outcome: f.Get("dpia_outcome"), Reference: f.Get("dpia_reference")}
	t.EHIA = tech.Assessment{Date: tech.ParseDay(f.Get("ehia_date")), Outcome: f.Get("ehia_outcome")}
	t.Coproduction = tech.Coproduction{Who: f.Get("coproduction_who"), Date: tech.ParseDay(f.Get("coproduction_date"))}
	t.ApprovedLocations, t.ApprovedServiceTypes = f["approved_locations"], f["approved_service_types"]
	t.PolicyReference, t.PolicyReviewMonths = f.Get("policy_reference"), num("policy_review_months")
	t.PolicyReviewed = tech.ParseDay(f.Get("policy_reviewed"))
	t.TrainingModule, t.RefresherMonths = f.Get("training_module"), num("refresher_months")
	t.Contingency, t.Status, t.EvaluationPlan = f.Get("contingency"), f.Get("status"), f.Get("evaluation_plan")
	t.Measures = parseMeasureLines(f.Get("measures"))
	return t
}

// registerDays are the register form's dates, by form name, with the
// words an error names them by.
var registerDays = []struct{ name, field string }{
	{"evidence_date", "Evidence review date"}, {"dtac_date", "DTAC date"}, {"dpia_date", "DPIA date"},
	{"ehia_date", "Equality and health inequalities impact assessment date"}, {"coproduction_date", "Co-production date"},
	{"policy_reviewed", "Policy last reviewed"},
}

// typedDays refuses a date typed into the boxes that is not a real date
// (31 2 2026): the register would otherwise read it as no date at all.
func typedDays(f url.Values) error {
	var p hearth.Problems
	for _, d := range registerDays {
		v := strings.TrimSpace(f.Get(d.name))
		p.Check(v == "" || !tech.ParseDay(v).IsZero(), d.field, d.field+" must be a real date, for example 15 3 2026")
	}
	return p.Err()
}

func (s *Server) techSave(w http.ResponseWriter, r *http.Request, c *call) error {
	t := techFromForm(r)
	var saved tech.Technology
	err := typedDays(r.PostForm)
	if err == nil {
		saved, err = s.Tech.Save(r.Context(), c.actor, t, r.PostFormValue("change_reason"))
	}
	if err != nil {
		locs, lerr := s.Tech.Locations(r.Context())
		if lerr != nil {
			return lerr
		}
		// After a conflict the form carries the latest version, so that
		// saving again (once the editor has checked) is possible.
		if hearth.KindOf(err) == hearth.KindConflict {
			if e, gerr := s.Tech.Get(r.Context(), c.actor, t.ID); gerr == nil {
				t.Version = e.Version
			}
		}
		return s.techForm(w, r, c, err, "tech_edit", "Check the register entry", techEditView{Tech: t, Locations: locs,
			Reason: r.PostFormValue("change_reason"), Measures: r.PostFormValue("measures")})
	}
	http.Redirect(w, r, "/governance/technology/"+saved.ID, http.StatusSeeOther)
	return nil
}

type techEntryView struct {
	tech.Entry
	Feedback []tech.Feedback
	Missing  []string
}

func (s *Server) techView(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.Tech.Get(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	fb, err := s.Tech.FeedbackFor(r.Context(), c.actor, e.ID)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_view", e.Name, techEntryView{Entry: e, Feedback: fb, Missing: e.Missing()})
	return nil
}

func (s *Server) techFeedback(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Tech.GiveFeedback(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("feedback"), r.PostFormValue("anonymous") == "yes")
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_thanks", "Feedback received", nil)
	return nil
}

func (s *Server) techOutcomes(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, err := s.Tech.OutcomesFor(r.Context(), c.actor, tech.OutcomeQuery{TechnologyID: r.PathValue("id"), LocationID: r.URL.Query().Get("location")})
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_outcomes", "Outcomes: "+rep.Technology.Name, rep)
	return nil
}

func (s *Server) techBlanket(w http.ResponseWriter, r *http.Request, c *call) error {
	share, _ := strconv.ParseFloat(r.URL.Query().Get("share"), 64)
	rep, err := s.Tech.Blanket(r.Context(), c.actor, share/100)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_blanket", "Possible blanket use of technology", rep)
	return nil
}

func (s *Server) techConcerns(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.Tech.Concerns(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_concerns", "Technology concerns", list)
	return nil
}

type techTrainingView struct {
	tech.TrainingPage
	Form url.Values
}

func (s *Server) techTraining(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Tech.TrainingRecords(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_training", "Training records", techTrainingView{TrainingPage: pg})
	return nil
}

func (s *Server) techTrainingSave(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Tech.RecordTraining(r.Context(), c.actor, tech.NewTraining{UserID: r.PostFormValue("user_id"), Module: r.PostFormValue("module"),
		CompletedOn: r.PostFormValue("completed_on"), ExpiresOn: r.PostFormValue("expires_on")})
	if err != nil {
		pg, perr := s.Tech.TrainingRecords(r.Context(), c.actor)
		if perr != nil {
			return err
		}
		return s.techForm(w, r, c, err, "tech_training", "Training records", techTrainingView{TrainingPage: pg, Form: r.PostForm})
	}
	http.Redirect(w, r, "/governance/training", http.StatusSeeOther)
	return nil
}

func (s *Server) techInclusionSummary(w http.ResponseWriter, r *http.Request, c *call) error {
	sum, err := s.Tech.LocationInclusion(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_inclusion", "Digital inclusion: "+sum.Location.Name, sum)
	return nil
}

// techField is one text box of the use form, with what was typed and
// any message about it.
type techField struct {
	Name, Label, Value, Error string
}

// useFields are the use form's text boxes: the eight items (bar the
// technology and the review date) and what principles 1 and 6 add.
var useFields = [][3]string{
	{"reason", "2. Why it is being used for this person", "Reason"},
	{"specific", "What is specific to this person (you will be asked for this when the reason is nearly the same as others' at this location)", "What is specific to this person"},
	{"when_how", "3. When and how it will be used", "When and how"},
	{"information_given", "4. The information given to them and their family or carers", "Information given"},
	{"information_format", "4. In what format", "Information format"},
	{"decision_process", "5. How the decision was made", "Decision-making process"},
	{"data_use", "6. How their data from it will be used (only for their care unless consent or another lawful basis says otherwise)", "How their data will be used"},
	{"review_plan", "7. What the review will involve", "What the review will involve"},
	{"withdrawal", "8. How they can withdraw consent", "How to withdraw consent"},
	{"rights", "The rights engaged, and why this use is proportionate", "Rights and proportionality"},
	{"safety_assessment", "For safety or monitoring: the proportionality assessment", "Proportionality assessment"},
	{"relational_care", "For safety or monitoring: the relational care alongside it", "Relational care"},
	{"alternatives", "Less restrictive alternatives considered", "Less restrictive alternatives"},
}

func useInputs(form url.Values, err error) []techField {
	msgs := map[string]string{}
	var herr *hearth.Error
	if errors.As(err, &herr) {
		for _, p := range herr.Problems {
			if _, ok := msgs[p.Field]; !ok {
				msgs[p.Field] = p.Message
			}
		}
	}
	var out []techField
	for _, f := range useFields {
		out = append(out, techField{Name: f[0], Label: f[1], Value: form.Get(f[0]), Error: msgs[f[2]]})
	}
	return out
}

type techPersonView struct {
	tech.PersonPage
	Inputs       []techField
	Form         url.Values
	Chosen       string
	Options      map[string][]string
	Chars        []tech.Characteristic
	Flags        []tech.Characteristic
	Devices      []tech.Answer
	Confidence   []tech.Answer
	Channels     []tech.Answer
	InfoFormats  []string
	ConcernTechs []tech.Technology
}

func (s *Server) techPersonView(pg tech.PersonPage, form url.Values, err error) techPersonView {
	return techPersonView{PersonPage: pg, Form: form, Inputs: useInputs(form, err), Chosen: form.Get("technology_id"),
		Chars: append(append([]tech.Characteristic{}, tech.Characteristics...), tech.Flags...), Flags: tech.Flags,
		Devices: tech.Answers(tech.InclusionDevices, tech.AnswerTitle), Confidence: tech.Answers(tech.InclusionConfidence, tech.AnswerTitle),
		Channels: tech.Answers(tech.InclusionChannels, tech.AnswerTitle)}
}

func (s *Server) techPerson(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Tech.PersonTechnology(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_person", "Technology: "+pg.Person.FullName(), s.techPersonView(pg, r.URL.Query(), nil))
	return nil
}

func useFromForm(r *http.Request) tech.NewUse {
	f := r.PostForm
	v, _ := strconv.Atoi(f.Get("version"))
	return tech.NewUse{TechnologyID: f.Get("technology_id"), RequestedFor: f["person_id"], NextReview: f.Get("next_review"),
		Version: v, ChangeReason: f.Get("change_reason"),
		Record: tech.Record{Reason: f.Get("reason"), WhenHow: f.Get("when_how"), InformationGiven: f.Get("information_given"),
			InformationFormat: f.Get("information_format"), DecisionProcess: f.Get("decision_process"), DataUse: f.Get("data_use"),
			ReviewPlan: f.Get("review_plan"), Withdrawal: f.Get("withdrawal"), Rights: f.Get("rights"),
			SafetyAssessment: f.Get("safety_assessment"), RelationalCare: f.Get("relational_care"), Alternatives: f.Get("alternatives"),
			Specific: f.Get("specific")}}
}

// techPersonRetry re-shows the person's technology page with the form as
// typed. Reading the page again is its own audited read.
func (s *Server) techPersonRetry(w http.ResponseWriter, r *http.Request, c *call, err error) error {
	var herr *hearth.Error
	if !errors.As(err, &herr) || (herr.Kind != hearth.KindInvalid && herr.Kind != hearth.KindForbidden && herr.Kind != hearth.KindConflict) {
		return err
	}
	pg, perr := s.Tech.PersonTechnology(r.Context(), c.actor, r.PathValue("id"))
	if perr != nil {
		return err
	}
	return s.techForm(w, r, c, err, "tech_person", "Technology: "+pg.Person.FullName(), s.techPersonView(pg, r.PostForm, err))
}

func (s *Server) techUseCreate(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := s.Tech.CreateUse(r.Context(), c.actor, r.PathValue("id"), useFromForm(r))
	if err != nil {
		return s.techPersonRetry(w, r, c, err)
	}
	http.Redirect(w, r, "/people/"+u.PersonID+"/technology/uses/"+u.ID, http.StatusSeeOther)
	return nil
}

type techUseView struct {
	editChoices
	tech.UsePage
	Items       []tech.Item
	Form        url.Values
	CopyFormats []tech.Answer
}

var copyFormats = tech.Answers(tech.CopyFormats, tech.CopyFormatTitle)

func (s *Server) techUse(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.Tech.GetUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "")
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_use", pg.Use.TechnologyName+": "+pg.Person.FullName(), techUseView{UsePage: pg, Items: pg.Items(), CopyFormats: copyFormats})
	return nil
}

// techUseRetry re-shows the use page with what was typed.
func (s *Server) techUseRetry(w http.ResponseWriter, r *http.Request, c *call, err error) error {
	var herr *hearth.Error
	if !errors.As(err, &herr) || (herr.Kind != hearth.KindInvalid && herr.Kind != hearth.KindForbidden && herr.Kind != hearth.KindConflict) {
		return err
	}
	pg, perr := s.Tech.GetUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "")
	if perr != nil {
		return err
	}
	return s.techForm(w, r, c, err, "tech_use", pg.Use.TechnologyName, techUseView{UsePage: pg, Items: pg.Items(), Form: r.PostForm, CopyFormats: copyFormats})
}

func (s *Server) techUseUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.Tech.UpdateUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), useFromForm(r)); err != nil {
		return s.techUseRetry(w, r, c, err)
	}
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
	return nil
}

func (s *Server) techReview(w http.ResponseWriter, r *http.Request, c *call) error {
	measures := map[string]string{}
	for k, v := range r.PostForm {
		if key, ok := strings.CutPrefix(k, "measure_"); ok && len(v) > 0 {
			measures[key] = v[0]
		}
	}
	_, err := s.Tech.RecordReview(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), tech.NewReview{Outcome: r.PostFormValue("outcome"),
		PersonViews: r.PostFormValue("person_views"), Notes: r.PostFormValue("notes"), NextReview: r.PostFormValue("review_next"), Measures: measures})
	if err != nil {
		return s.techUseRetry(w, r, c, err)
	}
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/reviews"), http.StatusSeeOther)
	return nil
}

func (s *Server) techOutcome(w http.ResponseWriter, r *http.Request, c *call) error {
	err := s.Tech.RecordOutcome(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), r.PostFormValue("measure"), r.PostFormValue("value"), r.PostFormValue("observed_on"))
	if err != nil {
		return s.techUseRetry(w, r, c, err)
	}
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/outcomes"), http.StatusSeeOther)
	return nil
}

func (s *Server) techCopyGiven(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Tech.RecordCopy(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), r.PostFormValue("given_to"), r.PostFormValue("format"), r.PostFormValue("given_on"))
	if err != nil {
		return s.techUseRetry(w, r, c, err)
	}
	http.Redirect(w, r, strings.TrimSuffix(r.URL.Path, "/copies"), http.StatusSeeOther)
	return nil
}

type techCopyView struct {
	tech.UsePage
	Items   []tech.Item
	Version string // standard, easy-read, large-print
}

func (s *Server) techCopy(w http.ResponseWriter, r *http.Request, c *call) error {
	version := copyVersion(r)
	pg, err := s.Tech.GetUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "copy for the person ("+version+")")
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "tech_copy", "Using "+pg.Use.TechnologyName+" in "+pg.Person.CalledName()+"'s care", techCopyView{UsePage: pg, Items: pg.Items(), Version: version})
	return nil
}

func (s *Server) techCopyPDF(w http.ResponseWriter, r *http.Request, c *call) error {
	version := copyVersion(r)
	pg, err := s.Tech.GetUse(r.Context(), c.actor, r.PathValue("id"), r.PathValue("use"), "copy for the person (PDF, "+version+")")
	if err != nil {
		return err
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

func (s *Server) techConcernRaise(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.Tech.RaiseConcern(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("technology_id"), r.PostFormValue("concern")); err != nil {
		return s.techPersonRetry(w, r, c, err)
	}
	http.Redirect(w, r, "/people/"+r.PathValue("id")+"/technology#concerns", http.StatusSeeOther)
	return nil
}

func (s *Server) techConcernUpdate(w http.ResponseWriter, r *http.Request, c *call) error {
	v, _ := strconv.Atoi(r.PostFormValue("version"))
	if _, err := s.Tech.UpdateConcern(r.Context(), c.actor, r.PathValue("id"), r.PathValue("concern"), r.PostFormValue("status"), r.PostFormValue("outcome"), v); err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/technology-concerns", http.StatusSeeOther)
	return nil
}

func (s *Server) techProfile(w http.ResponseWriter, r *http.Request, c *call) error {
	values := map[string]string{}
	for _, ch := range append(append([]tech.Characteristic{}, tech.Characteristics...), tech.Flags...) {
		values[ch.Key] = r.PostFormValue(ch.Key)
	}
	if err := s.Tech.RecordProfile(r.Context(), c.actor, r.PathValue("id"), values); err != nil {
		return s.techPersonRetry(w, r, c, err)
	}
	http.Redirect(w, r, "/people/"+r.PathValue("id")+"/technology#profile", http.StatusSeeOther)
	return nil
}

func (s *Server) techInclusion(w http.ResponseWriter, r *http.Request, c *call) error {
	in := tech.Inclusion{Devices: r.PostForm["devices"], Confidence: r.PostFormValue("confidence"), Channels: r.PostForm["channels"], Support: r.PostFormValue("support")}
	if err := s.Tech.RecordInclusion(r.Context(), c.actor, r.PathValue("id"), in); err != nil {
		return s.techPersonRetry(w, r, c, err)
	}
	http.Redirect(w, r, "/people/"+r.PathValue("id")+"/technology#inclusion", http.StatusSeeOther)
	return nil
}
