package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/governance"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// entries are one person's entries of each kind a request can name.
type entries struct {
	plan, note, noteToWithhold, risk, use, concern, obs, prn, dose, stoppable, visit string
	consent, repConsent, ownConsent, rep, endableRep, event, visitTask, member       string
	breach                                                                           string
}

// ownedEntries records one of each kind of entry for p, as the manager.
// Every free-text field carries marker, so a page that showed the entry
// to the wrong person would show the marker.
func ownedEntries(t *testing.T, s *apptest.Scenario, p people.Person, bed tech.Technology, marker string) entries {
	t.Helper()
	var e entries
	ok := func(id string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatalf("%s's entries: %v", p.GivenName, err)
		}
		return id
	}
	ctx, m, now := s.Ctx, s.Manager.Actor, s.Clock.Now()
	plan, err := s.Care.NewCarePlan(ctx, m, p.ID, care.PlanDraft{Area: "personal-care", Outcome: marker + " wants to wash herself",
		HowMet: "Help with back and feet", Preferences: "A shower in the morning", Involved: care.Involvement{Kinds: []string{"person"}},
		Agreement: "agreed", ReviewOn: now.AddDate(0, 1, 0)})
	e.plan = ok(plan.PlanID, err)
	note, err := s.Care.RecordNote(ctx, m, p.ID, care.NoteDraft{Category: "mood", Body: marker + " sang along to the radio", CareAt: now.Add(-time.Hour)})
	e.note = ok(note.ID, err)
	note, err = s.Care.RecordNote(ctx, m, p.ID, care.NoteDraft{Category: "mood", Body: marker + " talked about her son's wife", CareAt: now.Add(-time.Hour)})
	e.noteToWithhold = ok(note.ID, err)
	risk, err := s.Care.SaveRisk(ctx, m, p.ID, "", care.RiskDraft{Title: "Falls at night", CouldHappen: marker + " falls on the way to the toilet",
		Likelihood: "medium", Impact: "high", Reduces: "A night light", PersonsWords: "I don't want to be watched",
		Involved: care.Involvement{Kinds: []string{"person"}}, ReviewOn: now.AddDate(0, 3, 0)})
	e.risk = ok(risk.RiskID, err)
	use, err := s.Tech.CreateUse(ctx, m, p.ID, tech.NewUse{TechnologyID: bed.ID, NextReview: "2026-06-03", Record: tech.Record{
		Reason: marker + " has fallen twice at night", WhenHow: "Mat under the mattress at night", InformationGiven: "What it senses",
		InformationFormat: "Spoken", DecisionProcess: "Decided with her daughter", DataUse: "Alerts to night staff only",
		ReviewPlan: "Ask how it feels", Withdrawal: "Tell any member of staff", Rights: "Privacy: only getting up is sensed",
		SafetyAssessment: "Less intrusive than hourly checks", RelationalCare: "Staff sit with her", Alternatives: "Hourly checks"}})
	e.use = ok(use.ID, err)
	concern, err := s.Tech.RaiseConcern(ctx, m, p.ID, bed.ID, marker+" says the mat wakes her")
	e.concern = ok(concern.ID, err)
	obs, err := s.Care.Record(ctx, m, p.ID, care.ObsInput{Kind: care.Weight, Weight: "64.2", Note: marker + " weighed after breakfast", At: now.Add(-time.Hour)})
	e.obs = ok(obs.ID, err)
	prn, err := s.Care.AddMedicine(ctx, m, p.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets", Route: "oral",
		PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: now.AddDate(0, 0, -7), Prescriber: "Dr Rees", Source: "gp",
		Instructions: marker + " takes it for knee pain"})
	e.prn = ok(prn.ID, err)
	dose, err := s.Care.RecordDose(ctx, m, p.ID, care.DoseInput{MedicineID: prn.ID, Outcome: care.Given, At: now.Add(-6 * time.Hour), Note: marker + " took it with water"})
	e.dose = ok(dose.ID, err)
	stoppable, err := s.Care.AddMedicine(ctx, m, p.ID, care.MedicineInput{Name: "Senna", Strength: "7.5 mg", Dose: "1 tablet", Route: "oral",
		PRN: true, MinIntervalHours: "12", Max24h: "2", StartDate: now.AddDate(0, 0, -7), Prescriber: "Dr Rees", Source: "gp",
		Instructions: marker + " only when needed"})
	e.stoppable = ok(stoppable.ID, err)
	visit, err := s.Care.ScheduleVisit(ctx, m, p.ID, care.VisitInput{Start: now.Add(-10 * time.Minute), End: now.Add(50 * time.Minute),
		PlannedMinutes: "30", Tasks: "Help with breakfast\n", AssignedTo: s.Manager.ID, Note: marker + " likes tea first"})
	e.visit = ok(visit.ID, err)
	if err := s.DB.QueryRow(ctx, `SELECT id FROM visit_tasks WHERE visit_id = ?`, visit.ID).Scan(&e.visitTask); err != nil {
		t.Fatal(err)
	}
	c, err := s.Consent.Give(ctx, m, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposePhotographs, Decision: "permit",
		InfoGiven: marker + " was told who sees the photographs", InfoFormat: "standard"})
	e.consent = ok(c.ID, err)
	c, err = s.Consent.Give(ctx, m, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposePhotographs, Decision: "permit",
		InfoGiven: marker + " was told again who sees the photographs", InfoFormat: "easy-read"})
	e.repConsent = ok(c.ID, err)
	c, err = s.Consent.Give(ctx, m, consent.NewConsent{PersonID: p.ID, Purpose: consent.PurposeDigitalCommunication, Channel: "email",
		Decision: "permit", InfoGiven: marker + " was told what email is used for", InfoFormat: "standard"})
	e.ownConsent = ok(c.ID, err)
	for _, dst := range []*string{&e.rep, &e.endableRep} {
		r, err := s.Consent.RecordRepresentative(ctx, m, consent.NewRepresentative{PersonID: p.ID, Name: marker + " Attorney " + hearth.NewID()[30:],
			Relationship: "daughter", Authority: consent.AuthorityLPAHealthWelfare, EvidenceReference: "OPG 7000-1234-5678",
			StartsOn: now.AddDate(0, -1, 0), VerifiedBy: "Grace Obi", VerifiedOn: now.AddDate(0, 0, -20)})
		*dst = ok(r.ID, err)
	}
	tm, err := s.People.AssignCareTeam(ctx, m, p.ID, s.OtherCarer.ID, now.AddDate(0, 0, -1), time.Time{})
	e.member = ok(tm.ID, err)
	// A breach that affected only p, which p has been told about.
	breach, err := s.Governance.RecordIncident(ctx, m, governance.NewIncident{Kind: governance.KindBreach, Severity: "moderate",
		Summary: marker + "'s care plan emailed to the wrong family", WhatHappened: "A care plan was emailed to another family.",
		ImmediateAction: "Asked them to delete it.", OccurredAt: now.Add(-2 * time.Hour), PersonIDs: []string{p.ID}})
	e.breach = ok(breach.ID, err)
	if _, err := s.Governance.AssessBreach(ctx, m, breach.ID, governance.BreachAssessment{Risk: "risk", RiskNotes: "Names were seen.",
		ICOReportedAt: now.Add(-time.Hour), ICOReference: "IC-1", TellPeople: "yes",
		Letter: governance.Letter{Meaning: "Another family saw your care plan.", Next: "We are retraining staff.", Contact: "Jo, 01234 567890"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.People.Get(ctx, m, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Audit.Seal(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(ctx, `SELECT id FROM audit_events WHERE person_id = ? ORDER BY id DESC LIMIT 1`, p.ID).Scan(&e.event); err != nil {
		t.Fatal(err)
	}
	return e
}

// named is where a request names an entry: in its path (the placeholder
// after {id}), a query parameter, or a form field.
type named struct {
	route string // the registered route, "POST /people/{id}/care-plans/{plan}"
	query string // for a GET: the query parameter naming the entry
	field string // for a POST: the form field naming the entry
	// prefix goes before the entry ID in the field ("rep:" for an invitation).
	prefix string
}

// TestAnEntryOfAnotherPersonLooksExactlyLikeAMissingOne names, for every
// route whose path names an entry after the person and every form field or
// query parameter that names one, Bob's entry under Ann's ID. The answer
// must be the answer for an ID nobody has: the same status and page, nothing
// stored, an audited not-found or invalid outcome, nothing about Bob, and
// none of his entry's words. Ann's own entry on the same route succeeds, so
// the refusal is about whose entry it is, not about the form.
func TestAnEntryOfAnotherPersonLooksExactlyLikeAMissingOne(t *testing.T) {
	s, bed := techScenario(t)
	srv := s.Server()
	bob := s.Person(s.Manager, s.Home, "Bob", "Hughes", "9434765870")
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: bob.ID, Purpose: consent.PurposeTechnology,
		TechnologyID: bed.ID, TechnologyName: bed.Name, Decision: "permit", InfoGiven: "What the mat senses", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	annE := ownedEntries(t, s, s.Ann, bed, "Ann")
	const secret = "Bobsecret"
	bobE := ownedEntries(t, s, bob, bed, secret)
	// Ann lacks capacity to decide about photographs, so her attorney may
	// consent for her (the control for a consent given by a representative).
	if _, err := s.Consent.RecordAssessment(s.Ctx, s.Manager.Actor, consent.NewAssessment{PersonID: s.Ann.ID, Decision: consent.DecisionPhotographs,
		AssessedAt: s.Clock.Now().Add(-time.Hour), Assessor: "Eilidh Ross, nurse", Impairment: true, Communicate: true,
		Evidence: "Ann could not retain what the photographs were for"}); err != nil {
		t.Fatal(err)
	}

	staff := s.Client(srv.URL)
	staff.SignIn(s.Manager)
	annAccount := portalAccount(t, s, "ann.jones", "", "")
	own := s.Client(srv.URL)
	own.SignIn(annAccount)
	own.Get("/my/" + s.Ann.ID)

	today := s.Clock.Now().Format("2006-01-02")
	plan := url.Values{"area": {"personal-care"}, "outcome": {"I want to wash myself"}, "how_met": {"Help with my back"},
		"preferences": {"Morning shower"}, "involved": {"person"}, "agreement": {"agreed"}, "review_on": {"2026-05-01"},
		"based_on": {"1"}, "reason": {"Ann asked for a bath on Sundays"}}
	risk := url.Values{"title": {"Falls at night"}, "could_happen": {"A fall"}, "likelihood": {"low"}, "impact": {"high"},
		"reduces": {"A night light"}, "persons_words": {"Fine"}, "involved": {"person"}, "review_on": {"2026-05-01"},
		"based_on": {"1"}, "reason": {"No falls in a month"}}
	use := useForm(bed.ID)
	use.Set("version", "1")
	use.Set("change_reason", "Ann asked for the mat to be moved")

	cases := []struct {
		name   string
		where  named
		c      *apptest.Client
		form   url.Values
		ann    string
		bob    string
		stored string // a query whose answer must not change when the entry is someone else's
	}{
		{"A care plan is shown only under its own person", named{route: "GET /people/{id}/care-plans/{plan}"}, staff, nil, annE.plan, bobE.plan, ""},
		{"A care plan is edited only under its own person", named{route: "GET /people/{id}/care-plans/{plan}/edit"}, staff, nil, annE.plan, bobE.plan, ""},
		{"A care plan is changed only under its own person", named{route: "POST /people/{id}/care-plans/{plan}"}, staff, plan, annE.plan, bobE.plan,
			`SELECT COUNT(*) FROM care_plan_versions`},
		{"A note is offered for correction only under its own person", named{route: "GET /people/{id}/notes/{note}/correct"}, staff, nil, annE.note, bobE.note, ""},
		{"A note is corrected only under its own person", named{route: "POST /people/{id}/notes/{note}/correct"}, staff,
			url.Values{"category": {"mood"}, "body": {"Ann sang along to the radio all morning"}, "care_date": {today}, "care_time": {"08:00"},
				"reason": {"The time was wrong"}}, annE.note, bobE.note, `SELECT COUNT(*) FROM daily_notes`},
		{"A risk assessment is shown only under its own person", named{route: "GET /people/{id}/risks/{risk}"}, staff, nil, annE.risk, bobE.risk, ""},
		{"A risk assessment is edited only under its own person", named{route: "GET /people/{id}/risks/{risk}/edit"}, staff, nil, annE.risk, bobE.risk, ""},
		{"A risk assessment is changed only under its own person", named{route: "POST /people/{id}/risks/{risk}"}, staff, risk, annE.risk, bobE.risk,
			`SELECT COUNT(*) FROM risk_versions`},
		{"A technology use is shown only under its own person", named{route: "GET /people/{id}/technology/uses/{use}"}, staff, nil, annE.use, bobE.use, ""},
		{"A technology use's copy is shown only under its own person", named{route: "GET /people/{id}/technology/uses/{use}/copy"}, staff, nil, annE.use, bobE.use, ""},
		{"A technology use's PDF is made only under its own person", named{route: "GET /people/{id}/technology/uses/{use}/copy.pdf"}, staff, nil, annE.use, bobE.use, ""},
		{"A technology use is changed only under its own person", named{route: "POST /people/{id}/technology/uses/{use}"}, staff, use, annE.use, bobE.use,
			`SELECT COUNT(*) FROM tech_use_versions`},
		{"A technology use is reviewed only under its own person", named{route: "POST /people/{id}/technology/uses/{use}/reviews"}, staff,
			url.Values{"outcome": {"continue"}, "person_views": {"Ann is happy with it"}, "notes": {"No falls"}, "review_next": {"2026-09-01"}},
			annE.use, bobE.use, `SELECT COUNT(*) FROM tech_reviews`},
		{"A technology outcome is recorded only under its own person", named{route: "POST /people/{id}/technology/uses/{use}/outcomes"}, staff,
			url.Values{"measure": {"experience"}, "value": {"4"}, "observed_on": {today}}, annE.use, bobE.use, `SELECT COUNT(*) FROM tech_outcomes`},
		{"A copy given is recorded only under its own person", named{route: "POST /people/{id}/technology/uses/{use}/copies"}, staff,
			url.Values{"given_to": {"Ann"}, "format": {"printed"}, "given_on": {today}}, annE.use, bobE.use, `SELECT COUNT(*) FROM tech_copies`},
		{"A technology concern is taken forward only under its own person", named{route: "POST /people/{id}/technology/concerns/{concern}"}, staff,
			url.Values{"status": {"investigating"}, "outcome": {"Looking into it"}, "version": {"1"}}, annE.concern, bobE.concern,
			`SELECT COALESCE(SUM(version), 0) FROM tech_concerns`},
		{"A care team membership is ended only under its own person", named{route: "POST /people/{id}/care-team/{member}/end"}, staff,
			url.Values{}, annE.member, bobE.member, `SELECT COUNT(*) FROM care_team WHERE ends_at IS NOT NULL`},
		{"The person sees only her own technology use", named{route: "GET /my/{id}/technology/{use}"}, own, nil, annE.use, bobE.use, ""},
		{"The person's PDF copy is only of her own technology use", named{route: "GET /my/{id}/technology/{use}/copy.pdf"}, own, nil, annE.use, bobE.use, ""},
		{"The person reads only a letter about a breach that affected her", named{route: "GET /my/{id}/breaches/{incident}"}, own, nil, annE.breach, bobE.breach, ""},
		{"The person's PDF letter is only about a breach that affected her", named{route: "GET /my/{id}/breaches/{incident}/letter.pdf"}, own, nil, annE.breach, bobE.breach, ""},

		{"An observation is corrected only under its own person", named{route: "POST /people/{id}/observations", field: "corrects"}, staff,
			url.Values{"kind": {care.Weight}, "weight": {"64.8"}, "when": {s.Clock.Now().Add(-time.Hour).Format("2006-01-02T15:04")},
				"correction_reason": {"The scales were not zeroed"}}, annE.obs, bobE.obs, `SELECT COUNT(*) FROM observations`},
		{"A dose is given only of the person's own medicine", named{route: "POST /people/{id}/medicines/doses", field: "medicine"}, staff,
			url.Values{"outcome": {care.Given}, "note": {"With water"}}, annE.prn, bobE.prn, `SELECT COUNT(*) FROM medicine_doses`},
		{"A dose is corrected only under its own person", named{route: "POST /people/{id}/medicines/correct", field: "dose"}, staff,
			url.Values{"outcome": {care.Refused}, "reason_code": {care.DoseReasons[care.Refused][0].Value}, "why": {"Recorded against the wrong person"}},
			annE.dose, bobE.dose, `SELECT COUNT(*) FROM medicine_doses`},
		{"A medicine is stopped only under its own person", named{route: "POST /people/{id}/medicines/stop", field: "medicine"}, staff,
			url.Values{"version": {"1"}, "reason": {"GP stopped it at review"}}, annE.stoppable, bobE.stoppable,
			`SELECT COUNT(*) FROM medicines WHERE stopped_at IS NOT NULL`},
		{"A visit is checked into only under its own person", named{route: "POST /people/{id}/visits/check-in", field: "visit"}, staff,
			url.Values{}, annE.visit, bobE.visit, `SELECT COUNT(*) FROM visits WHERE checked_in_at IS NOT NULL`},
		{"A visit is checked out of only under its own person", named{route: "POST /people/{id}/visits/check-out", field: "visit"}, staff,
			url.Values{"note": {"All done"}, "task-" + annE.visitTask: {"done"}}, annE.visit, bobE.visit, `SELECT COUNT(*) FROM visits WHERE checked_out_at IS NOT NULL`},
		{"A consent is withdrawn only under its own person", named{route: "POST /people/{id}/consent/withdraw", field: "consent"}, staff,
			url.Values{"how": {"Ann said so at lunch"}}, annE.consent, bobE.consent, `SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NOT NULL`},
		{"A consent is given only by the person's own representative", named{route: "POST /people/{id}/consent", field: "representative"}, staff,
			url.Values{"purpose": {consent.PurposePhotographs}, "decision": {"permit"}, "info_given": {"Who sees the photographs"}, "info_format": {"standard"}},
			annE.rep, bobE.rep, `SELECT COUNT(*) FROM consents`},
		{"A consent replaces only one of the person's own consents", named{route: "POST /people/{id}/consent", field: "replaces"}, staff,
			url.Values{"purpose": {consent.PurposeSecondaryUse}, "decision": {"deny"}, "info_given": {"What research is"}, "info_format": {"standard"}},
			annE.consent, bobE.consent, `SELECT COUNT(*) FROM consents`},
		{"A withdrawal is requested only by the person's own representative", named{route: "POST /people/{id}/consent/withdraw", field: "requested_by"}, staff,
			url.Values{"consent": {annE.repConsent}, "how": {"Her attorney phoned"}}, annE.rep, bobE.rep,
			`SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NOT NULL`},
		{"A representative's authority is ended only under its own person", named{route: "POST /people/{id}/representatives/end", field: "representative"}, staff,
			url.Values{"ends_on": {today}, "reason": {"The LPA was revoked by the court"}}, annE.endableRep, bobE.endableRep,
			`SELECT COUNT(*) FROM representatives WHERE ended_at IS NOT NULL`},
		{"The form to end a representative's authority shows only the person's own", named{route: "GET /people/{id}/representatives/end", query: "representative"}, staff,
			nil, annE.endableRep, bobE.endableRep, ""},
		{"The consent form offers only the person's own representative", named{route: "GET /people/{id}/consent/new", query: "representative"}, staff,
			nil, annE.rep, bobE.rep, ""},
		{"The withhold form fills in only the person's own entry", named{route: "GET /people/{id}/portal", query: "entry"}, staff,
			nil, annE.noteToWithhold, bobE.noteToWithhold, ""},
		{"Only the person's own representative is invited to the portal", named{route: "POST /people/{id}/portal/invitations", field: "who", prefix: "rep:"}, staff,
			url.Values{"name": {"Mary Jones"}}, annE.rep, bobE.rep, `SELECT COUNT(*) FROM portal_invitations`},
		{"Only the person's own entry is withheld from them", named{route: "POST /people/{id}/portal/withheld", field: "resource_id"}, staff,
			url.Values{"resource_type": {"DailyNote"}, "category": {portal.WithheldThirdParty}, "reason": {"About her son's wife, not Ann"}},
			annE.noteToWithhold, bobE.noteToWithhold, `SELECT COUNT(*) FROM withheld_items`},
		{"A technology use is recorded only for the person in the path", named{route: "POST /people/{id}/technology", field: "person_id"}, staff,
			useForm(bed.ID), s.Ann.ID, bob.ID, `SELECT COUNT(*) FROM tech_uses`},
		{"The person asks to correct only her own entry", named{route: "POST /my/{id}/corrections", field: "resource_id"}, own,
			url.Values{"resource_type": {"DailyNote"}, "entry": {"Daily note"}, "request": {"I did not sing, I hummed"}},
			annE.note, bobE.note, `SELECT COUNT(*) FROM correction_requests`},
		{"The correction form fills in only the person's own entry", named{route: "GET /my/{id}/corrections", query: "entry"}, own,
			nil, annE.note, bobE.note, ""},
		{"The person withdraws only her own consent", named{route: "POST /my/{id}/consent/withdraw", field: "consent"}, own,
			url.Values{"confirm": {"yes"}}, annE.ownConsent, bobE.ownConsent, `SELECT COUNT(*) FROM consents WHERE withdrawn_at IS NOT NULL`},
		{"The person gets a receipt only for an access to her own record", named{route: "GET /my/{id}/history/receipt", query: "event"}, own,
			nil, annE.event, bobE.event, ""},
	}

	// Every route that names an entry in its path after the person must be
	// here: a new one fails until it is added.
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.where.route] = true
	}
	for _, rt := range s.Web.Routes() {
		key := rt.Method + " " + rt.Path
		if personInPath(rt.Path) && len(placeholder.FindAllString(rt.Path, -1)) > 1 && !covered[key] {
			t.Errorf("%s names an entry after the person: add it to this test", key)
		}
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path, _ := strings.Cut(tc.where.route, " ")
			do := func(entry string) apptest.Response {
				t.Helper()
				p := strings.ReplaceAll(path, "{id}", s.Ann.ID)
				p = placeholder.ReplaceAllString(p, entry)
				if method == http.MethodGet {
					if tc.where.query != "" {
						p += "?" + url.Values{tc.where.query: {entry}}.Encode()
					}
					return tc.c.Get(p)
				}
				form := copyValues(tc.form)
				if tc.where.field != "" {
					form.Set(tc.where.field, tc.where.prefix+entry)
				}
				return tc.c.Post(p, form)
			}
			stored := func() int {
				if tc.stored == "" {
					return 0
				}
				return s.Count(tc.stored)
			}
			missingID := hearth.NewID()
			before := stored()
			other, missing := do(tc.bob), do(missingID)
			if after := stored(); after != before {
				t.Errorf("something was stored: %d before, %d after", before, after)
			}
			if other.Status != missing.Status {
				t.Errorf("Bob's entry answers %d, a missing one %d", other.Status, missing.Status)
			}
			if tc.where.query == "" && other.Status < 400 {
				t.Errorf("Bob's entry was accepted under Ann: %d %s", other.Status, other.Location)
			}
			normal := func(r apptest.Response, entry string) string {
				b := r.Body
				if i, j := strings.Index(b, "<main"), strings.Index(b, "</main>"); i >= 0 && j > i {
					b = b[i:j]
				}
				b = strings.ReplaceAll(b, entry, "ENTRY")
				b = idemValue.ReplaceAllString(b, `name="idem"`) // each form's own idempotency key
				return strings.ReplaceAll(b, r.RequestID, "REQUEST")
			}
			if a, b := normal(other, tc.bob), normal(missing, missingID); a != b {
				t.Errorf("Bob's entry and a missing one give different pages:\n%s", firstDifference(a, b))
			}
			if strings.Contains(other.Body, secret) || strings.Contains(other.Body, bob.ID) {
				t.Errorf("the page shows Bob's entry or names him")
			}
			evs, err := s.Audit.ByRequest(s.Ctx, other.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			refused := false
			for _, e := range evs {
				if e.PersonID == bob.ID {
					t.Errorf("an event about Bob in a request about Ann: %+v", e)
				}
				refused = refused || e.Outcome == audit.OutcomeNotFound || e.Outcome == audit.OutcomeInvalid
			}
			if !refused && tc.where.query == "" {
				t.Errorf("no event was audited as not found or invalid: %+v", evs)
			}

			// Ann's own entry on the same route works: the refusal above
			// was about whose entry it was.
			if mine := do(tc.ann); mine.Status >= 400 {
				t.Errorf("Ann's own entry was refused: %d\n%s", mine.Status, problemText(mine.Body))
			}
		})
	}
}

var idemValue = regexp.MustCompile(`name="idem" value="[^"]+"`)

// problemText is the error summary of a page, for a failure message.
func problemText(body string) string {
	if i := strings.Index(body, "nhsuk-error-summary"); i >= 0 {
		end := min(len(body), i+1500)
		return body[i:end]
	}
	if i := strings.Index(body, "<main"); i >= 0 {
		return body[i:min(len(body), i+1500)]
	}
	return body[:min(len(body), 500)]
}

// firstDifference shows where two pages part, for a failure message.
func firstDifference(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-300)
	return a[from:min(len(a), i+300)] + "\n--- where a missing entry gives ---\n" + b[from:min(len(b), i+300)]
}
