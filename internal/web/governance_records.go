package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/governance"
)

// Governance records (issue 14 items 6-9): incidents and personal data
// breaches with each person's letter, retention and disposal, the policies
// register and the evidence report; and, in the portal, the breaches that
// affected the person with their letter. The rules are in
// internal/governance; these pages only translate.

// time24 shows a moment in UK time with a 24-hour clock ("3 March 2026 at
// 14:05"), as the governance pages and their PDFs do.
func init() { funcs["time24"] = governance.UKDateTime }

func (s *Server) governanceRecordsRoutes() {
	if s.Governance == nil {
		return
	}
	s.handle("GET", "/governance/incidents", Personal, s.incidentsPage)
	s.handle("POST", "/governance/incidents", Personal, s.recordIncident)
	s.handle("GET", "/governance/incidents/{id}", Personal, s.incidentPage)
	s.handle("POST", "/governance/incidents/{id}/assessment", Personal, s.assessBreach)
	s.handle("POST", "/governance/incidents/{id}/close", Personal, s.closeIncident)
	s.handle("GET", "/governance/incidents/{id}/letters/{person}", Personal, s.breachLetter)
	s.handle("GET", "/governance/incidents/{id}/letters/{person}/letter.pdf", Personal, s.breachLetterPDF)

	s.handle("GET", "/governance/retention", Personal, s.retentionPage)
	s.handle("POST", "/governance/retention/rules", Personal, s.setRetention)
	s.handle("POST", "/governance/retention/holds", Personal, s.placeHold)
	s.handle("POST", "/governance/retention/holds/{id}/lift", Personal, s.liftHold)
	s.handle("POST", "/governance/retention/disposals", Personal, s.requestDisposal)
	s.handle("POST", "/governance/retention/disposals/{id}/approve", Personal, s.approveDisposal)
	s.handle("POST", "/governance/retention/disposals/{id}/cancel", Personal, s.cancelDisposal)
	s.handle("POST", "/governance/retention/disposals/{id}/restore", Personal, s.restoreDisposal)
	s.handle("POST", "/governance/retention/disposals/{id}/purge", Personal, s.purgeDisposal)
	s.handle("GET", "/governance/retention/disposals/{id}/certificate", Personal, s.certificatePage)
	s.handle("GET", "/governance/retention/disposals/{id}/certificate.pdf", Personal, s.certificatePDF)

	s.handle("GET", "/governance/policies", Personal, s.policiesPage)
	s.handle("POST", "/governance/policies", Personal, s.addPolicy)
	s.handle("POST", "/governance/policies/{id}/review", Personal, s.reviewPolicy)

	s.handle("GET", "/governance/evidence", Personal, s.evidencePage)
	s.handle("GET", "/governance/evidence.pdf", Personal, s.evidencePDF)

	s.breachPortalRoutes()
}

// --- Incidents and breaches ---

type incidentsView struct {
	Incidents  []governance.Incident
	People     []governance.Affected
	Kinds      []governance.Choice
	Severities []governance.Choice
	Form       url.Values
	Now        time.Time
}

// Chosen reports whether the form had the person ticked.
func (v incidentsView) Chosen(id string) bool {
	return v.Form != nil && slices.Contains(v.Form["person"], id)
}

func (s *Server) incidentsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showIncidents(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) showIncidents(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values) error {
	ctx := r.Context()
	list, err := s.Governance.Incidents(ctx, c.actor)
	if err != nil {
		return err
	}
	choices, err := s.Governance.IncidentChoices(ctx, c.actor)
	if err != nil {
		return err
	}
	if form == nil {
		now := s.Clock().In(london)
		form = url.Values{"occurred_date": {now.Format("2006-01-02")}, "occurred_time": {now.Format("15:04")}}
	}
	v := incidentsView{Incidents: list, People: choices, Kinds: governance.IncidentKinds, Severities: governance.Severities, Form: form, Now: s.Clock()}
	s.renderWith(w, r, c, status, "incidents", page{Title: "Incidents", Error: herr, Data: v})
	return nil
}

func (s *Server) recordIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostFormValue
	in, err := s.Governance.RecordIncident(r.Context(), c.actor, governance.NewIncident{Kind: f("kind"), Severity: f("severity"),
		Summary: f("summary"), WhatHappened: f("what_happened"), ImmediateAction: f("immediate_action"),
		OccurredAt: ukClock(f("occurred_date"), f("occurred_time")), AwareAt: ukClock(f("aware_date"), f("aware_time")),
		PersonIDs: r.PostForm["person"], NoPeopleReason: f("no_people_reason")})
	if herr, ok := formProblem(err); ok {
		return s.showIncidents(w, r, c, statusOf(err), herr, r.PostForm)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/incidents/"+in.ID, http.StatusSeeOther)
	return nil
}

type incidentView struct {
	governance.Incident
	Clock string
	Risks []governance.Choice
	Form  url.Values
}

func (s *Server) incidentPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showIncident(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) showIncident(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values) error {
	in, err := s.Governance.Incident(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if form == nil {
		form = url.Values{"risk": {in.Risk}, "risk_notes": {in.RiskNotes}, "ico_reference": {in.ICOReference},
			"not_reported_why": {in.NotReportedWhy}, "tell": {in.TellPeople}, "tell_reason": {in.TellReason},
			"meaning": {in.Letter.Meaning}, "next": {in.Letter.Next}, "contact": {in.Letter.Contact}}
		if !in.ICOReportedAt.IsZero() {
			t := in.ICOReportedAt.In(london)
			form.Set("reported_date", t.Format("2006-01-02"))
			form.Set("reported_time", t.Format("15:04"))
		}
	}
	v := incidentView{Incident: in, Clock: in.Clock(s.Clock()), Risks: governance.Risks, Form: form}
	s.renderWith(w, r, c, status, "incident", page{Title: in.Summary, Error: herr, Data: v})
	return nil
}

func (s *Server) assessBreach(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostFormValue
	_, err := s.Governance.AssessBreach(r.Context(), c.actor, r.PathValue("id"), governance.BreachAssessment{Risk: f("risk"),
		RiskNotes: f("risk_notes"), ICOReportedAt: ukClock(f("reported_date"), f("reported_time")), ICOReference: f("ico_reference"),
		NotReportedWhy: f("not_reported_why"), TellPeople: f("tell"), TellReason: f("tell_reason"),
		Letter: governance.Letter{Meaning: f("meaning"), Next: f("next"), Contact: f("contact")}})
	if herr, ok := formProblem(err); ok {
		return s.showIncident(w, r, c, statusOf(err), herr, r.PostForm)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/incidents/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) closeIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.CloseIncident(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("closure_notes"))
	if herr, ok := formProblem(err); ok {
		return s.showIncident(w, r, c, statusOf(err), herr, nil)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/incidents/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

type letterView struct {
	governance.LetterPage
	PDF  string // the letter's PDF link
	Back string
}

func (s *Server) breachLetter(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := s.Governance.BreachLetter(r.Context(), c.actor, r.PathValue("id"), r.PathValue("person"))
	if err != nil {
		return err
	}
	base := "/governance/incidents/" + r.PathValue("id")
	s.render(w, r, c, http.StatusOK, "breach_letter", "Letter to "+lp.Person.FullName(),
		letterView{LetterPage: lp, PDF: base + "/letters/" + lp.Person.ID + "/letter.pdf", Back: base})
	return nil
}

func (s *Server) breachLetterPDF(w http.ResponseWriter, r *http.Request, c *call) error {
	lp, err := s.Governance.BreachLetter(r.Context(), c.actor, r.PathValue("id"), r.PathValue("person"))
	if err != nil {
		return err
	}
	return writePDF(w, "breach-letter.pdf", lp.PDF)
}

func writePDF(w http.ResponseWriter, name string, build func() ([]byte, error)) error {
	pdf, err := build()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	_, err = w.Write(pdf)
	return err
}

// --- Retention and disposal ---

type retentionView struct {
	governance.RetentionPage
	Now       time.Time
	Actor     string // the signed-in account, so the page offers approval only to someone else
	Form      url.Values
	RestoreBy string // the restore period in words
}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showRetention(w, r, c, http.StatusOK, nil, nil)
}

func (s *Server) showRetention(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values) error {
	pg, err := s.Governance.Retention(r.Context(), c.actor)
	if err != nil {
		return err
	}
	v := retentionView{RetentionPage: pg, Now: s.Clock(), Actor: c.actor.ID, Form: form, RestoreBy: governance.Words(governance.RestorePeriod)}
	s.renderWith(w, r, c, status, "retention", page{Title: "Retention and disposal", Error: herr, Data: v})
	return nil
}

// retentionDone answers a retention form: back to the page, or the page
// again with the problem.
func (s *Server) retentionDone(w http.ResponseWriter, r *http.Request, c *call, err error, to string) error {
	if herr, ok := formProblem(err); ok {
		return s.showRetention(w, r, c, statusOf(err), herr, r.PostForm)
	} else if err != nil {
		return err
	}
	if to == "" {
		to = "/governance/retention"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

func (s *Server) setRetention(w http.ResponseWriter, r *http.Request, c *call) error {
	years, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("years")))
	err := s.Governance.SetRetention(r.Context(), c.actor, r.PostFormValue("record_type"), years, r.PostFormValue("note"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) placeHold(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.PlaceHold(r.Context(), c.actor, r.PostFormValue("person"), r.PostFormValue("reason"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) liftHold(w http.ResponseWriter, r *http.Request, c *call) error {
	err := s.Governance.LiftHold(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("reason"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) requestDisposal(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.RequestDisposal(r.Context(), c.actor, r.PostFormValue("person"), r.PostFormValue("reason"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) approveDisposal(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.Governance.ApproveDisposal(r.Context(), c.actor, r.PathValue("id"))
	return s.retentionDone(w, r, c, err, "/governance/retention/disposals/"+d.ID+"/certificate")
}

func (s *Server) cancelDisposal(w http.ResponseWriter, r *http.Request, c *call) error {
	err := s.Governance.CancelDisposal(r.Context(), c.actor, r.PathValue("id"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) restoreDisposal(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.RestoreDisposal(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("reason"))
	return s.retentionDone(w, r, c, err, "")
}

func (s *Server) purgeDisposal(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.Governance.PurgeDisposal(r.Context(), c.actor, r.PathValue("id"))
	return s.retentionDone(w, r, c, err, "/governance/retention/disposals/"+d.ID+"/certificate")
}

type certificateView struct {
	governance.Disposal
	Lines []governance.Item
}

func (s *Server) certificatePage(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.Governance.Certificate(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "disposal_certificate", "Certificate of disposal", certificateView{Disposal: d, Lines: d.CertificateLines(s.Clock())})
	return nil
}

func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.Governance.Certificate(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writePDF(w, "disposal-certificate.pdf", func() ([]byte, error) { return d.PDF(s.Clock()) })
}

// --- Policies ---

type policiesView struct {
	governance.PoliciesPage
	Now    time.Time
	Form   url.Values
	Review string // the policy whose review form was refused
}

// Ticked reports whether the add form had the technology ticked.
func (v policiesView) Ticked(id string) bool {
	return v.Form != nil && slices.Contains(v.Form["technology"], id)
}

func (s *Server) policiesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showPolicies(w, r, c, http.StatusOK, nil, policiesView{})
}

func (s *Server) showPolicies(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, v policiesView) error {
	pg, err := s.Governance.Policies(r.Context(), c.actor)
	if err != nil {
		return err
	}
	v.PoliciesPage, v.Now = pg, s.Clock()
	s.renderWith(w, r, c, status, "policies", page{Title: "Policies", Error: herr, Data: v})
	return nil
}

func policyForm(r *http.Request) governance.NewPolicy {
	f := r.PostFormValue
	months, _ := strconv.Atoi(strings.TrimSpace(f("review_months")))
	next, _ := hearth.ParseUKDate(f("next_review"))
	if t, err := time.Parse("2006-01-02", f("next_review")); err == nil {
		next = t
	}
	return governance.NewPolicy{Title: f("title"), Version: f("version"), Owner: f("owner"), ReviewMonths: months, NextReview: next,
		TechnologyIDs: r.PostForm["technology"]}
}

func (s *Server) addPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.AddPolicy(r.Context(), c.actor, policyForm(r))
	if herr, ok := formProblem(err); ok {
		return s.showPolicies(w, r, c, statusOf(err), herr, policiesView{Form: r.PostForm})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/policies", http.StatusSeeOther)
	return nil
}

func (s *Server) reviewPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	_, err := s.Governance.ReviewPolicy(r.Context(), c.actor, r.PathValue("id"), policyForm(r))
	if herr, ok := formProblem(err); ok {
		return s.showPolicies(w, r, c, statusOf(err), herr, policiesView{Review: r.PathValue("id")})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/policies", http.StatusSeeOther)
	return nil
}

// --- The evidence report ---

func (s *Server) evidencePage(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.Governance.Evidence(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "evidence", "Evidence report", e)
	return nil
}

func (s *Server) evidencePDF(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := s.Governance.Evidence(r.Context(), c.actor)
	if err != nil {
		return err
	}
	return writePDF(w, "evidence-report.pdf", e.PDF)
}

// --- In the portal: the breaches that affected the person ---

func (s *Server) breachPortalRoutes() {
	if s.Portal == nil {
		return
	}
	ui := &portalUI{s: s, pages: map[string]*template.Template{}}
	for _, name := range []string{"breaches", "breach", "message"} {
		t, err := template.New("portal_layout.html").Funcs(funcs).ParseFS(templateFiles,
			"templates/portal_layout.html", "templates/partials.html", "templates/portal_"+name+".html")
		if err != nil {
			panic(fmt.Sprintf("portal template %s: %v", name, err)) // embedded at build time: a test catches it
		}
		ui.pages[name] = t
	}
	s.handle("GET", "/my/{id}/breaches", Personal, ui.portalOnly(func(w http.ResponseWriter, r *http.Request, c *call) error {
		list, err := s.Governance.MyBreaches(r.Context(), c.actor, r.PathValue("id"))
		if err != nil {
			return ui.fail(w, r, c, err)
		}
		ui.render(w, r, c, http.StatusOK, "breaches", portalPage{Title: "Incidents involving your information", Data: list})
		return nil
	}))
	s.handle("GET", "/my/{id}/breaches/{incident}", Personal, ui.portalOnly(func(w http.ResponseWriter, r *http.Request, c *call) error {
		lp, err := s.Governance.MyLetter(r.Context(), c.actor, r.PathValue("id"), r.PathValue("incident"))
		if err != nil {
			return ui.fail(w, r, c, err)
		}
		ui.render(w, r, c, http.StatusOK, "breach", portalPage{Title: "About your personal information",
			Data: letterView{LetterPage: lp, PDF: "/my/" + lp.Person.ID + "/breaches/" + lp.Incident.ID + "/letter.pdf",
				Back: "/my/" + lp.Person.ID + "/breaches"}})
		return nil
	}))
	s.handle("GET", "/my/{id}/breaches/{incident}/letter.pdf", Personal, ui.portalOnly(func(w http.ResponseWriter, r *http.Request, c *call) error {
		lp, err := s.Governance.MyLetter(r.Context(), c.actor, r.PathValue("id"), r.PathValue("incident"))
		if err != nil {
			return ui.fail(w, r, c, err)
		}
		return writePDF(w, "about-your-information.pdf", lp.PDF)
	}))
}
