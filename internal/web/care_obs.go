package web

// Observations and alerts, medicines (eMAR), home-care visits and 'my
// shift'. Handlers translate forms to the care service's inputs and back;
// the rules (limits, NEWS2, PRN gaps, witnesses, missed and late) live in
// internal/care. A refused form is shown again with the input kept and the
// message beside the field.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/tech"
)

func (s *Server) careObsRoutes() {
	s.addSection("Alerts and observations", "/observations", "Alerts first; then fluids against the daily target, food, weight and BMI, vital signs with NEWS2, falls")
	s.addSection("Medicines", "/medicines", "Today's rounds, when-required doses and the medicines list")
	s.addSection("Visits", "/visits", "Home care visits: check in and out, tasks done")

	s.handle("GET", "/people/{id}/observations", Personal, s.observationsPage)
	s.handle("POST", "/people/{id}/observations", Personal, s.recordObservation)
	s.handle("POST", "/people/{id}/observations/target", Personal, s.setFluidTarget)

	s.handle("GET", "/people/{id}/medicines", Personal, s.medicinesPage)
	s.handle("POST", "/people/{id}/medicines", Personal, s.addMedicine)
	s.handle("POST", "/people/{id}/medicines/doses", Personal, s.recordDose)
	s.handle("POST", "/people/{id}/medicines/stop", Personal, s.stopMedicine)
	s.handle("POST", "/people/{id}/medicines/correct", Personal, s.correctDose)

	s.handle("GET", "/people/{id}/visits", Personal, s.visitsPage)
	s.handle("POST", "/people/{id}/visits", Personal, s.scheduleVisit)
	s.handle("POST", "/people/{id}/visits/check-in", Personal, s.checkInVisit)
	s.handle("POST", "/people/{id}/visits/check-out", Personal, s.checkOutVisit)

	s.handle("GET", "/locations/{id}/alerts", Personal, s.locationAlertsPage)
	s.handle("GET", "/locations/{id}/visits", Personal, s.locationVisitsPage)
	s.handle("GET", "/shift", Personal, s.shiftPage)
}

// formProblem reports whether err is one to show on the form again.
func formProblem(err error) (*hearth.Error, bool) {
	herr, ok := err.(*hearth.Error)
	if ok && (herr.Kind == hearth.KindInvalid || herr.Kind == hearth.KindConflict) {
		return herr, true
	}
	return nil, false
}

// --- Observations ---

type obsView struct {
	care.ObsPage
	Meals, Portions []care.Choice
	ACVPU           []care.Choice
	Form            url.Values
	Open            string // which form to show open: the one refused
	Now             string // "2026-03-03T14:30", UK, for the time fields
	CheckAt         string
	// The pages of the lists that grow.
	VitalsPager, FallsPager, WeightsPager pager
}

func (s *Server) observationsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showObservations(w, r, c, http.StatusOK, nil, url.Values{}, "")
}

func (s *Server) showObservations(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values, open string) error {
	pg, err := s.Care.ObservationsPaged(r.Context(), c.actor, r.PathValue("id"), care.ObsPaging{
		Vitals:  pageOffset(r, "vitals", care.ObsPageSize),
		Falls:   pageOffset(r, "falls", care.ObsPageSize),
		Weights: pageOffset(r, "weights", care.ObsPageSize)})
	if err != nil {
		return err
	}
	check := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(pg.FluidsCheckAt)
	s.renderWith(w, r, c, status, "care_obs_observations", page{Title: "Observations – " + pg.Person.FullName(), Error: herr,
		Data: obsView{ObsPage: pg, Meals: care.Meals, Portions: care.Portions, ACVPU: care.ACVPULevels, Form: form, Open: open,
			VitalsPager:  newPager(r, "vitals", pg.VitalsOffset, care.ObsPageSize, len(pg.Vitals), pg.VitalsTotal, "vital signs reading", "vital signs readings"),
			FallsPager:   newPager(r, "falls", pg.FallsOffset, care.ObsPageSize, len(pg.Falls), pg.FallsTotal, "fall", "falls"),
			WeightsPager: newPager(r, "weights", pg.WeightsOffset, care.ObsPageSize, len(pg.WeightReadings), pg.WeightsTotal, "weight", "weights"),
			Now:          pg.Now.In(london).Format("2006-01-02T15:04"), CheckAt: check.Format("15:04")}})
	return nil
}

func (s *Server) recordObservation(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostFormValue
	in := care.ObsInput{Kind: f("kind"), When: f("when"), Amount: f("amount"), What: f("what"), Meal: f("meal"), Portion: f("portion"),
		Weight: f("weight"), Height: f("height"), RespRate: f("resp_rate"), SpO2: f("spo2"), SpO2Scale: f("spo2_scale"),
		Oxygen: f("oxygen"), Systolic: f("systolic"), Pulse: f("pulse"), Consciousness: f("consciousness"),
		Temperature: f("temperature"), Place: f("place"), Injury: f("injury"), Actions: f("actions"), Note: f("note"),
		Corrects: f("corrects"), Reason: f("correction_reason")}
	if in.Kind == care.FluidIn && f("direction") == "out" {
		in.Kind = care.FluidOut
	}
	o, err := s.Care.Record(r.Context(), c.actor, id, in)
	if herr, ok := formProblem(err); ok {
		open := f("form")
		if open == "" {
			open = "fluids"
		}
		return s.showObservations(w, r, c, statusOf(err), herr, r.PostForm, open)
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/observations#"+obsAnchor(o.Kind), http.StatusSeeOther)
	return nil
}

func obsAnchor(kind string) string {
	switch kind {
	case care.FluidIn, care.FluidOut:
		return "fluids"
	case care.Weight, care.Height:
		return "weight"
	case care.VitalSign:
		return "vitals"
	}
	return kind
}

func (s *Server) setFluidTarget(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	err := s.Care.SetFluidTarget(r.Context(), c.actor, id, r.PostFormValue("target"), r.PostFormValue("note"))
	if herr, ok := formProblem(err); ok {
		return s.showObservations(w, r, c, statusOf(err), herr, r.PostForm, "target")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/observations#fluids", http.StatusSeeOther)
	return nil
}

// --- Medicines ---

type medicinesView struct {
	care.MedicinesPage
	Routes, Sources, Outcomes []care.Choice
	Reasons                   []care.Choice
	Form                      url.Values
	Open                      string
	Today                     string
}

func (s *Server) medicinesPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showMedicines(w, r, c, http.StatusOK, nil, url.Values{}, "")
}

func (s *Server) showMedicines(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values, open string) error {
	pg, err := s.Care.Medicines(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	var reasons []care.Choice
	for _, o := range []string{care.Refused, care.Omitted, care.NotAvailable} {
		reasons = append(reasons, care.DoseReasons[o]...)
	}
	s.renderWith(w, r, c, status, "care_obs_medicines", page{Title: "Medicines – " + pg.Person.FullName(), Error: herr,
		Data: medicinesView{MedicinesPage: pg, Routes: care.MedicineRoutes, Sources: care.MedicineSources, Outcomes: care.DoseOutcomes,
			Reasons: reasons, Form: form, Open: open, Today: pg.Now.In(london).Format("2006-01-02")}})
	return nil
}

// formDay reads a date as typed (dates.go); zero when it is not one (the
// service then says what is missing).
func formDay(v string) time.Time {
	t, _ := parseDay(v)
	return t
}

func (s *Server) addMedicine(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostFormValue
	_, err := s.Care.AddMedicine(r.Context(), c.actor, id, care.MedicineInput{Name: f("name"), Strength: f("strength"), Dose: f("dose"),
		Route: f("route"), Times: f("times"), PRN: f("prn") == "yes", MinIntervalHours: f("min_hours"), Max24h: f("max_24h"),
		StartDate: formDay(f("start_date")), EndDate: formDay(f("end_date")), Prescriber: f("prescriber"), Source: f("source"),
		Controlled: f("controlled") == "yes", Instructions: f("instructions")})
	if herr, ok := formProblem(err); ok {
		return s.showMedicines(w, r, c, statusOf(err), herr, r.PostForm, "add")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/medicines#list", http.StatusSeeOther)
	return nil
}

func (s *Server) recordDose(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostFormValue
	slot, _ := time.Parse(time.RFC3339, f("slot"))
	_, err := s.Care.RecordDose(r.Context(), c.actor, id, care.DoseInput{MedicineID: f("medicine"), ScheduledFor: slot,
		Outcome: f("outcome"), ReasonCode: f("reason_code"), Note: f("note"), WitnessID: f("witness"), WitnessPassword: f("witness_password")})
	if herr, ok := formProblem(err); ok {
		form := url.Values{}
		for k, v := range r.PostForm {
			if k != "witness_password" { // never echo a password back
				form[k] = v
			}
		}
		return s.showMedicines(w, r, c, statusOf(err), herr, form, "dose-"+f("medicine")+f("slot"))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/medicines#rounds", http.StatusSeeOther)
	return nil
}

func (s *Server) correctDose(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostFormValue
	_, err := s.Care.CorrectDose(r.Context(), c.actor, id, f("dose"), care.DoseInput{Outcome: f("outcome"), ReasonCode: f("reason_code"),
		Note: f("note"), WitnessID: f("witness"), WitnessPassword: f("witness_password")}, f("why"))
	if herr, ok := formProblem(err); ok {
		form := url.Values{}
		for k, v := range r.PostForm {
			if k != "witness_password" {
				form[k] = v
			}
		}
		return s.showMedicines(w, r, c, statusOf(err), herr, form, "correct-"+f("dose"))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/medicines#history", http.StatusSeeOther)
	return nil
}

func (s *Server) stopMedicine(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	err := s.Care.StopMedicine(r.Context(), c.actor, id, r.PostFormValue("medicine"), version, r.PostFormValue("reason"))
	if herr, ok := formProblem(err); ok {
		return s.showMedicines(w, r, c, statusOf(err), herr, r.PostForm, "stop-"+r.PostFormValue("medicine"))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/medicines#list", http.StatusSeeOther)
	return nil
}

// --- Visits ---

type visitsView struct {
	care.VisitsPage
	Form  url.Values
	Open  string
	Today string
}

func (s *Server) visitsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showVisits(w, r, c, http.StatusOK, nil, url.Values{}, "")
}

func (s *Server) showVisits(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, form url.Values, open string) error {
	pg, err := s.Care.Visits(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if pg.Location.Offered {
		// The one page that may ask for the browser's location, and only
		// while a technology use for this person allows recording it; every
		// other page keeps geolocation=() (middleware.go).
		w.Header().Set("Permissions-Policy", geolocationSelfPolicy)
	}
	s.renderWith(w, r, c, status, "care_obs_visits", page{Title: "Visits – " + pg.Person.FullName(), Error: herr,
		Data: visitsView{VisitsPage: pg, Form: form, Open: open, Today: pg.Now.In(london).Format("2006-01-02")}})
	return nil
}

// ukClock reads a date and a time of day typed in the UK; zero if either is
// missing or malformed (the service then says what is missing).
func ukClock(date, clock string) time.Time {
	t, _ := parseDayAndClock(date, clock)
	return t
}

func (s *Server) scheduleVisit(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostFormValue
	_, err := s.Care.ScheduleVisit(r.Context(), c.actor, id, care.VisitInput{Start: ukClock(f("date"), f("from")), End: ukClock(f("date"), f("to")),
		PlannedMinutes: f("minutes"), Tasks: f("tasks"), AssignedTo: f("assigned_to"), Note: f("note")})
	if herr, ok := formProblem(err); ok {
		return s.showVisits(w, r, c, statusOf(err), herr, r.PostForm, "schedule")
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/visits", http.StatusSeeOther)
	return nil
}

func (s *Server) checkInVisit(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	// A location only if the form carries one (the page's script fills
	// these in when the care worker chose to share it); the service refuses
	// it, and the whole check-in, unless a technology use allows it.
	err := s.Care.CheckInWith(r.Context(), c.actor, id, r.PostFormValue("visit"), time.Time{}, care.GeoInput{
		Latitude: r.PostFormValue("latitude"), Longitude: r.PostFormValue("longitude"), Accuracy: r.PostFormValue("accuracy")})
	if herr, ok := formProblem(err); ok {
		return s.showVisits(w, r, c, statusOf(err), herr, r.PostForm, "visit-"+r.PostFormValue("visit"))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/visits#visit-"+r.PostFormValue("visit"), http.StatusSeeOther)
	return nil
}

func (s *Server) checkOutVisit(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	tasks := map[string]care.TaskOutcome{}
	for k, v := range r.PostForm {
		if taskID, ok := strings.CutPrefix(k, "task-"); ok && len(v) > 0 {
			tasks[taskID] = care.TaskOutcome{Set: v[0] == "done" || v[0] == "not-done", Done: v[0] == "done",
				Reason: r.PostFormValue("reason-" + taskID)}
		}
	}
	err := s.Care.CheckOut(r.Context(), c.actor, id, r.PostFormValue("visit"), time.Time{}, tasks, r.PostFormValue("note"))
	if herr, ok := formProblem(err); ok {
		return s.showVisits(w, r, c, statusOf(err), herr, r.PostForm, "visit-"+r.PostFormValue("visit"))
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/people/"+id+"/visits#visit-"+r.PostFormValue("visit"), http.StatusSeeOther)
	return nil
}

// --- Location lists and my shift ---

type locationAlertsView struct {
	Location string
	People   []care.PersonAlerts
}

func (s *Server) locationAlertsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	loc, list, err := s.Care.LocationAlerts(r.Context(), c.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_obs_location_alerts", "Alerts at "+loc.Name, locationAlertsView{Location: loc.Name, People: list})
	return nil
}

type locationVisitsView struct {
	care.LocationVisits
	Date, Prev, Next string
}

func (s *Server) locationVisitsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	lv, err := s.Care.VisitsAt(r.Context(), c.actor, r.PathValue("id"), formDay(r.URL.Query().Get("date")))
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "care_obs_location_visits", "Visits – "+lv.Location.Name, locationVisitsView{LocationVisits: lv,
		Date: lv.Day.Format("2006-01-02"), Prev: lv.Day.AddDate(0, 0, -1).Format("2006-01-02"), Next: lv.Day.AddDate(0, 0, 1).Format("2006-01-02")})
	return nil
}

// shiftView is 'my shift' with, per person, the technology uses that have
// stopped (lawful basis withdrawn or ended) or whose review is overdue.
type shiftView struct {
	care.Shift
	Technology map[string][]tech.Use
	Withdrawn  map[string][]consent.Withdrawal // consent to care or a technology withdrawn, standing now
}

func (s *Server) shiftPage(w http.ResponseWriter, r *http.Request, c *call) error {
	v := shiftView{Technology: map[string][]tech.Use{}, Withdrawn: map[string][]consent.Withdrawal{}}
	var also []func(sc *door.Scope, ids []string) error
	if c.actor.Role.Info().Permissions.Has(access.ReadConsent) {
		also = append(also, func(sc *door.Scope, ids []string) error {
			ws, err := s.Consent.WithdrawalsIn(sc, ids, sc.Now().Add(-consent.WithdrawalWindow))
			for _, w := range ws {
				v.Withdrawn[w.PersonID] = append(v.Withdrawn[w.PersonID], w)
			}
			return err
		})
	}
	if c.actor.Role.Info().Permissions.Has(access.ReadTechUse) {
		// In the shift's own scope: one transaction for the whole page.
		also = append(also, func(sc *door.Scope, ids []string) error {
			uses, err := s.Tech.AttentionIn(sc, ids)
			for _, u := range uses {
				v.Technology[u.PersonID] = append(v.Technology[u.PersonID], u)
			}
			return err
		})
	}
	sh, err := s.Care.MyShift(r.Context(), c.actor, also...)
	if err != nil {
		return err
	}
	v.Shift = sh
	s.render(w, r, c, http.StatusOK, "care_obs_shift", "My shift", v)
	return nil
}

// InputTime is t as a datetime-local field holds it, in UK time.
func (v obsView) InputTime(t time.Time) string { return t.In(london).Format("2006-01-02T15:04") }

// FormFor is the refused form's input when name is the form shown open, so
// each form keeps only its own input.
func (v obsView) FormFor(name string) url.Values { return formFor(v.Open, name, v.Form) }

// FormFor is the refused form's input for the named form.
func (v medicinesView) FormFor(name string) url.Values { return formFor(v.Open, name, v.Form) }

// FormFor is the refused form's input for the named form.
func (v visitsView) FormFor(name string) url.Values { return formFor(v.Open, name, v.Form) }

func formFor(open, name string, form url.Values) url.Values {
	if open == name {
		return form
	}
	return url.Values{}
}

// doseForm is what the dose form template needs for one slot or one PRN
// medicine.
type doseForm struct {
	Key, MedID, Slot, CSRF, Label string
	Open, Controlled              bool
	V                             medicinesView
	F                             map[string]string
}

// SlotForm is the form for a scheduled dose.
func (v medicinesView) SlotForm(sl care.Slot, csrf string, fields map[string]string) doseForm {
	return doseForm{Key: strconv.FormatInt(sl.At.Unix(), 10) + "-" + sl.Medicine.ID[len(sl.Medicine.ID)-6:], MedID: sl.Medicine.ID,
		Slot: sl.SlotValue(), CSRF: csrf, Label: "Record", Open: v.Open == "dose-"+sl.Medicine.ID+sl.SlotValue(),
		Controlled: sl.Medicine.Controlled, V: v, F: fields}
}

// PRNForm is the form for a when-required dose.
func (v medicinesView) PRNForm(m care.Medicine, csrf string, fields map[string]string) doseForm {
	return doseForm{Key: m.ID, MedID: m.ID, CSRF: csrf, Label: "Record dose", Open: v.Open == "dose-"+m.ID,
		Controlled: m.Controlled, V: v, F: fields}
}

// permissionsPolicy turns off powerful browser features on every page.
// geolocationSelfPolicy is the same but lets this origin ask for the
// location: the visits page sets it only when a technology use for the
// person allows recording location at check-in (care_obs.go).
const (
	permissionsPolicy     = "geolocation=(), camera=(), microphone=(), payment=()"
	geolocationSelfPolicy = "geolocation=(self), camera=(), microphone=(), payment=()"
)

// TimeField is the field whose problem the "When" boxes of form show:
// "Time" on the form that was refused, none on the others, so a wrong time
// on the meal form is not shown against every form on the page.
func (v obsView) TimeField(form string) string {
	if v.Open == form {
		return "Time"
	}
	return ""
}
