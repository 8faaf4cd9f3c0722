package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth"
	"hearth/internal/consent"
	"hearth/internal/tech"
)

// consentRoutes serve the consent and capacity page for a person, the forms
// that record consent, capacity, representatives and best-interests
// decisions, and the printable consent forms. The
// rules live in package consent; these handlers translate.
func (s *Server) consentRoutes() {
	s.addSection("Consent and capacity", "/consent", "What the person has agreed to, who may decide for them, and capacity assessments")
	s.handle("GET", "/people/{id}/consent", Personal, s.consentPage)
	s.handle("GET", "/people/{id}/consent/new", Personal, s.consentNew)
	s.handle("POST", "/people/{id}/consent", Personal, s.consentGive)
	s.handle("POST", "/people/{id}/consent/withdraw", Personal, s.consentWithdraw)
	s.handle("GET", "/people/{id}/consent/form", Personal, s.consentPrintable)
	s.handle("GET", "/people/{id}/capacity/new", Personal, s.capacityNew)
	s.handle("POST", "/people/{id}/capacity", Personal, s.capacityRecord)
	s.handle("GET", "/people/{id}/representatives/new", Personal, s.representativeNew)
	s.handle("POST", "/people/{id}/representatives", Personal, s.representativeRecord)
	s.handle("GET", "/people/{id}/best-interests/new", Personal, s.bestInterestsNew)
	s.handle("POST", "/people/{id}/best-interests", Personal, s.bestInterestsRecord)
	s.handle("GET", "/people/{id}/lawful-basis/new", Personal, s.lawfulBasisNew)
	s.handle("POST", "/people/{id}/lawful-basis", Personal, s.lawfulBasisRecord)
	s.handle("GET", "/people/{id}/representatives/end", Personal, s.representativeEndPage)
	s.handle("POST", "/people/{id}/representatives/end", Personal, s.representativeEnd)
}

// consentView is what the consent templates receive.
type consentView struct {
	consent.Page
	Form   url.Values // what was typed, re-shown after a problem
	Kind   string     // which recording form: consent, capacity, representative, best-interests
	Notice string     // a message that is not a form problem ("already withdrawn")
	Done   string     // what was just recorded
	Vocab  consentVocab
	Easy   bool // the easy-read printable form
	// Technologies are the register's entries, to choose from by name
	// (never typed as an ID); empty when the actor may not read it.
	Technologies []tech.Technology
}

// TechnologyDecision is the decision key for choosing a technology in a
// capacity assessment's list.
func (consentView) TechnologyDecision(id string) string { return consent.TechnologyDecision(id) }

// consentVocab is the lists the forms offer, with their words.
type consentVocab struct{}

type option struct{ Value, Title string }

func options(values []string, title func(string) string) []option {
	out := make([]option, len(values))
	for i, v := range values {
		out[i] = option{v, title(v)}
	}
	return out
}

func (consentVocab) Purposes() []option { return options(consent.Purposes, consent.PurposeTitle) }
func (consentVocab) Scopes() []option   { return options(consent.Scopes, consent.ScopeTitle) }
func (consentVocab) Channels() []option { return options(consent.Channels, consent.ChannelTitle) }
func (consentVocab) Formats() []option  { return options(consent.InfoFormats, consent.InfoFormatTitle) }
func (consentVocab) Authorities() []option {
	return options(consent.Authorities, consent.AuthorityTitle)
}
func (consentVocab) Decisions() []option {
	return options(consent.NamedDecisions, consent.DecisionTitle)
}
func (consentVocab) Bases() []option { return options(consent.OtherBases, consent.BasisTitle) }

func (consentVocab) PurposeTitle(p string) string   { return consent.PurposeTitle(p) }
func (consentVocab) AuthorityTitle(a string) string { return consent.AuthorityTitle(a) }
func (consentVocab) FormatTitle(f string) string    { return consent.InfoFormatTitle(f) }
func (consentVocab) ScopeTitle(s string) string     { return consent.ScopeTitle(s) }
func (consentVocab) ChannelTitle(c string) string   { return consent.ChannelTitle(c) }
func (consentVocab) Has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) showConsent(w http.ResponseWriter, r *http.Request, c *call, status int, tmpl, kind string, herr *hearth.Error, form url.Values) error {
	pg, err := s.Consent.Page(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if form == nil {
		form = r.URL.Query()
	}
	v := consentView{Page: pg, Form: form, Kind: kind, Done: r.URL.Query().Get("done"), Easy: r.URL.Query().Get("easy") == "1"}
	if kind == "consent" || kind == "capacity" || kind == "best-interests" {
		// The register is organisation data; staff who may not read it
		// still see the named decisions.
		if list, err := s.Tech.Register(r.Context(), c.actor); err == nil {
			for _, t := range list {
				if t.Status != tech.StatusProposed {
					v.Technologies = append(v.Technologies, t)
				}
			}
		}
	}
	p := page{Title: "Consent and capacity: " + pg.Person.FullName(), Data: v}
	if herr != nil {
		if len(herr.Problems) > 0 {
			p.Error = herr
		} else {
			v.Notice = herr.Message
			p.Data = v
		}
	}
	switch kind {
	case "consent":
		p.Title = "Record a consent decision"
	case "capacity":
		p.Title = "Record a capacity assessment"
	case "representative":
		p.Title = "Record a representative"
	case "best-interests":
		p.Title = "Record a best-interests decision"
	case "lawful-basis":
		p.Title = "Record a lawful basis other than consent"
	case "end-representative":
		p.Title = "End a representative's authority"
	case "printable":
		p.Title = "Consent form: " + pg.Person.FullName()
	}
	s.renderWith(w, r, c, status, tmpl, p)
	return nil
}

// formProblem re-shows the form for bad input and conflicts; any other
// error goes to the error page.
func (s *Server) formProblem(w http.ResponseWriter, r *http.Request, c *call, tmpl, kind string, err error) error {
	var herr *hearth.Error
	if errors.As(err, &herr) && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict) {
		return s.showConsent(w, r, c, statusOf(err), tmpl, kind, herr, r.PostForm)
	}
	return err
}

func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_page", "", nil, nil)
}

func (s *Server) consentNew(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "consent", nil, nil)
}

func (s *Server) capacityNew(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "capacity", nil, nil)
}

func (s *Server) representativeNew(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "representative", nil, nil)
}

func (s *Server) bestInterestsNew(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "best-interests", nil, nil)
}

func (s *Server) consentPrintable(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_printable", "printable", nil, nil)
}

// dates reads optional ISO dates (from <input type="date">) and notes those
// that are not dates, for the service to report after the door decides.
type dates struct {
	r        *http.Request
	problems hearth.Problems
}

func (d *dates) get(name, field string) time.Time {
	v := strings.TrimSpace(d.r.PostFormValue(name))
	if v == "" {
		return time.Time{}
	}
	var t time.Time
	var ok bool
	if len(v) > 10 && v[10] == 'T' {
		// <input type="datetime-local">: a day and a time in UK time.
		t, ok = parseDayAndClock(v[:10], v[11:])
	} else {
		t, ok = parseDay(v)
	}
	if !ok {
		d.problems.Add(field, field+" must be a real date, like 3 March 2026")
		return time.Time{}
	}
	return t
}

func (s *Server) consentGive(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	n := consent.NewConsent{PersonID: id, Purpose: r.PostFormValue("purpose"), Recipient: r.PostFormValue("recipient"),
		TechnologyID: r.PostFormValue("technology_id"), TechnologyName: r.PostFormValue("technology_name"),
		Channel: r.PostFormValue("channel"), Decision: r.PostFormValue("decision"), Scope: r.PostForm["scope"],
		Recipients: r.PostFormValue("recipients"), RepresentativeID: r.PostFormValue("representative"),
		InfoGiven: r.PostFormValue("info_given"), InfoFormat: r.PostFormValue("info_format"),
		InfoFormatDetail: r.PostFormValue("info_format_detail"), Replaces: r.PostFormValue("replaces")}
	n.Starts = d.get("starts", "Start date")
	n.Ends = d.get("ends", "End date")
	n.ReviewOn = d.get("review_on", "Review date")
	if today := s.Clock().UTC().Truncate(24 * time.Hour); n.Starts.Equal(today) {
		// Starting today means from now, not from midnight.
		n.Starts = time.Time{}
	}
	n.Problems = d.problems
	if _, err := s.Consent.Give(r.Context(), c.actor, n); err != nil {
		return s.formProblem(w, r, c, "consent_record", "consent", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=consent", http.StatusSeeOther)
	return nil
}

func (s *Server) consentWithdraw(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	// Staff may record the withdrawal at a representative's request: the
	// consent service re-checks that representative's authority now.
	if _, err := s.Consent.WithdrawFor(r.Context(), c.actor, id, r.PostFormValue("consent"), r.PostFormValue("requested_by"), r.PostFormValue("how")); err != nil {
		return s.formProblem(w, r, c, "consent_page", "", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=withdrawn", http.StatusSeeOther)
	return nil
}

func checked(r *http.Request, name string) bool { return r.PostFormValue(name) == "yes" }

// capacityAnswers reads the two-stage test's yes/no questions. MCA 2005
// s1(2) presumes capacity: an unanswered question is an error naming it,
// never read as "cannot"; when stage one finds no impairment, stage two is
// not asked (the person has capacity for the decision).
func capacityAnswers(r *http.Request, n *consent.NewAssessment, p *hearth.Problems) {
	answer := func(name, field, question string) (yes, ok bool) {
		switch r.PostFormValue(name) {
		case "yes":
			return true, true
		case "no":
			return false, true
		}
		p.Add(field, "Select yes or no: "+question)
		return false, false
	}
	impairment, ok := answer("impairment", "Impairment", "is there an impairment of, or a disturbance in the functioning of, the mind or brain?")
	n.Impairment = impairment
	n.Understand, n.Retain, n.UseWeigh, n.Communicate = true, true, true, true
	if !ok || !impairment {
		return
	}
	n.Understand, _ = answer("understand", "Understand", "can they understand the information relevant to the decision?")
	n.Retain, _ = answer("retain", "Retain", "can they retain that information long enough to decide?")
	n.UseWeigh, _ = answer("use_weigh", "Use or weigh", "can they use or weigh that information as part of deciding?")
	n.Communicate, _ = answer("communicate", "Communicate", "can they communicate their decision, by any means?")
}

func (s *Server) capacityRecord(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	decision := r.PostFormValue("decision")
	if decision == "" || decision == "other" {
		decision = r.PostFormValue("decision_other")
	}
	n := consent.NewAssessment{PersonID: id, Decision: decision, Assessor: r.PostFormValue("assessor"),
		Outcome: r.PostFormValue("outcome"), Evidence: r.PostFormValue("evidence"), Fluctuating: checked(r, "fluctuating")}
	n.AssessedAt = d.get("assessed_at", "Assessed at")
	n.NextReview = d.get("next_review", "Next reassessment")
	capacityAnswers(r, &n, &d.problems)
	n.Problems = d.problems
	if _, err := s.Consent.RecordAssessment(r.Context(), c.actor, n); err != nil {
		return s.formProblem(w, r, c, "consent_record", "capacity", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=capacity", http.StatusSeeOther)
	return nil
}

func (s *Server) representativeRecord(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	n := consent.NewRepresentative{PersonID: id, Name: r.PostFormValue("name"), Relationship: r.PostFormValue("relationship"),
		Authority: r.PostFormValue("authority"), Scope: r.PostFormValue("scope"), Contact: r.PostFormValue("contact"),
		EvidenceReference: r.PostFormValue("evidence_reference"), VerifiedBy: r.PostFormValue("verified_by")}
	n.VerifiedOn = d.get("verified_on", "Verified on")
	n.StartsOn = d.get("starts_on", "Start date")
	n.EndsOn = d.get("ends_on", "End date")
	n.Problems = d.problems
	if _, err := s.Consent.RecordRepresentative(r.Context(), c.actor, n); err != nil {
		return s.formProblem(w, r, c, "consent_record", "representative", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=representative", http.StatusSeeOther)
	return nil
}

func (s *Server) bestInterestsRecord(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	decision := r.PostFormValue("decision")
	if decision == "" || decision == "other" {
		decision = r.PostFormValue("decision_other")
	}
	n := consent.NewBestInterests{PersonID: id, Decision: decision, TechnologyID: r.PostFormValue("technology_id"),
		Consulted: r.PostFormValue("consulted"), NobodyReason: r.PostFormValue("nobody_reason"), Wishes: r.PostFormValue("wishes"),
		Options: r.PostFormValue("options"), Outcome: r.PostFormValue("outcome"), Reasons: r.PostFormValue("reasons"),
		DecisionMaker: r.PostFormValue("decision_maker")}
	n.ReviewOn = d.get("review_on", "Review date")
	n.Problems = d.problems
	if _, err := s.Consent.RecordBestInterests(r.Context(), c.actor, n); err != nil {
		return s.formProblem(w, r, c, "consent_record", "best-interests", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=best-interests", http.StatusSeeOther)
	return nil
}

func (s *Server) lawfulBasisNew(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "lawful-basis", nil, nil)
}

// lawfulBasisRecord records safeguarding, a court order, vital interests or
// a legal obligation as the basis for information leaving the care team;
// the door's sharing decision uses it, marked special in the audit log.
func (s *Server) lawfulBasisRecord(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	n := consent.NewLawfulBasis{PersonID: id, Kind: r.PostFormValue("basis"), Recipient: r.PostFormValue("recipient"), Reason: r.PostFormValue("reason")}
	n.Starts = d.get("starts", "Start date")
	n.Ends = d.get("ends", "End date")
	if today := s.Clock().UTC().Truncate(24 * time.Hour); n.Starts.Equal(today) {
		n.Starts = time.Time{} // today means from now
	}
	n.Problems = d.problems
	if _, err := s.Consent.RecordLawfulBasis(r.Context(), c.actor, n); err != nil {
		return s.formProblem(w, r, c, "consent_record", "lawful-basis", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=lawful-basis#lawful-bases", http.StatusSeeOther)
	return nil
}

func (s *Server) representativeEndPage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if q.Get("ends_on") == "" {
		q.Set("ends_on", s.Clock().In(london).Format("2006-01-02"))
	}
	return s.showConsent(w, r, c, http.StatusOK, "consent_record", "end-representative", nil, q)
}

// representativeEnd ends a representative's authority on a date, with why.
func (s *Server) representativeEnd(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	d := dates{r: r}
	endsOn := d.get("ends_on", "End date")
	if len(d.problems) > 0 {
		endsOn = time.Time{}
	}
	_, err := s.Consent.EndRepresentative(r.Context(), c.actor, id, r.PostFormValue("representative"), endsOn, r.PostFormValue("reason"))
	if err != nil {
		var herr *hearth.Error
		if len(d.problems) > 0 && errors.As(err, &herr) && herr.Kind == hearth.KindInvalid {
			// Say the date was not a date, not that it was missing.
			p := d.problems
			for _, pr := range herr.Problems {
				if pr.Field != "End date" {
					p = append(p, pr)
				}
			}
			err = p.Err()
		}
		return s.formProblem(w, r, c, "consent_record", "end-representative", err)
	}
	http.Redirect(w, r, "/people/"+id+"/consent?done=representative-ended", http.StatusSeeOther)
	return nil
}

// printable is what the printable consent form says for the purpose asked
// for, in plain words and in easy read.
type printable struct {
	Purpose, Title, Target string
	What                   []string // what the person is asked, one idea per line
	Who                    []string // who will see it
}

// Printable is the form's text for the purpose in the query string.
func (v consentView) Printable() printable {
	q := v.Form
	name := v.Person.CalledName()
	p := printable{Purpose: q.Get("purpose")}
	if p.Purpose == "" {
		p.Purpose = consent.PurposeCareDelivery
	}
	p.Title = consent.PurposeTitle(p.Purpose)
	team := "The staff who support " + name + " at " + v.Person.LocationName + "."
	switch p.Purpose {
	case consent.PurposeCareDelivery:
		p.What = []string{"We will support you with your care.", "We will write down the care we give you.", "You can say what care you want and do not want."}
		p.Who = []string{team}
	case consent.PurposeSharing:
		p.Target = q.Get("recipient")
		if p.Target == "" {
			p.Target = "______________________"
		}
		p.Title = "Sharing information with " + p.Target
		p.What = []string{"We would like to share information about you with " + p.Target + ".", "We will only share the parts of your record you agree to.", "We will share it to help with your care."}
		p.Who = []string{team, p.Target + "."}
	case consent.PurposeTechnology:
		p.Target = q.Get("technology_name")
		if p.Target == "" {
			p.Target = "______________________"
		}
		p.Title = "Using " + p.Target
		p.What = []string{"We would like to use " + p.Target + " to help with your care.", "We will explain what it does and what it records.", "You can ask us to stop using it."}
		p.Who = []string{team}
	case consent.PurposePhotographs:
		p.What = []string{"We would like to take photographs of you.", "Photographs help staff know you and your things.", "We keep them in your care record."}
		p.Who = []string{team}
	case consent.PurposeDigitalCommunication:
		p.Target = consent.ChannelTitle(q.Get("channel"))
		if q.Get("channel") == "" {
			p.Target = "email, text message or phone"
		}
		p.Title = "Contacting you by " + p.Target
		p.What = []string{"We would like to contact you by " + p.Target + ".", "We will use it for messages about your care.", "We will not use it for anything else."}
		p.Who = []string{team}
	case consent.PurposeSecondaryUse:
		p.What = []string{"We would like to use information about your care to improve our service or for research.", "We will remove your name where we can.", "Saying no will not change your care."}
		p.Who = []string{"The provider's quality and research team.", team}
	}
	return p
}

// yesNo is one explicit yes/no question on a form, for the "yesno" template.
type yesNo struct {
	Name, Field, Question, Hint string
	Form                        url.Values
	Errors                      map[string]string
}

func yesNoQuestion(name, field, question, hint string, form url.Values, errors map[string]string) yesNo {
	return yesNo{Name: name, Field: field, Question: question, Hint: hint, Form: form, Errors: errors}
}
