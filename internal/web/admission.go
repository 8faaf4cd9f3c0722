package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth"
	"hearth/internal/people"
)

// admissionRoutes are admitting a person, their care team, moving them,
// ending their care, finding people and the care teams at a location.
func (s *Server) admissionRoutes() {
	s.handle("GET", "/search", Personal, s.home)
	s.handle("GET", "/people/new", Personal, s.admissionForm)
	s.handle("POST", "/people/new", Personal, s.admit)
	s.handle("POST", "/people/{id}/care-team", Personal, s.addTeamMember)
	s.handle("POST", "/people/{id}/care-team/{member}/end", Personal, s.endTeamMember)
	s.handle("GET", "/people/{id}/transfer", Personal, s.transferForm)
	s.handle("POST", "/people/{id}/transfer", Personal, s.transfer)
	s.handle("GET", "/people/{id}/end-care", Personal, s.endCareForm)
	s.handle("POST", "/people/{id}/end-care", Personal, s.endCare)
	s.handle("GET", "/locations/{id}/teams", Personal, s.teamsPage)
}

// dateField is what the "dateinput" template needs.
type dateField struct {
	ID, Label, Hint, Error string
	Day, Month, Year       string
}

// formDate reads the three boxes of a date input named prefix. Empty boxes
// are the zero time; boxes that make no real date are reported in bad.
func formDate(f url.Values, prefix string) (t time.Time, bad bool) {
	d, m, y := strings.TrimSpace(f.Get(prefix+"_day")), strings.TrimSpace(f.Get(prefix+"_month")), strings.TrimSpace(f.Get(prefix+"_year"))
	if d == "" && m == "" && y == "" {
		return time.Time{}, false
	}
	t, ok := hearth.DateOf(d, m, y)
	return t, !ok
}

// realDate replaces the service's "enter the date" with what was actually
// wrong when the boxes held something that is not a date: the service was
// still asked (so the attempt is decided and audited), with no date.
func realDate(err error, bad bool, field, example string) error {
	var herr *hearth.Error
	if !bad || !errors.As(err, &herr) {
		return err
	}
	msg := field + " must be a real date, for example " + example
	for i, p := range herr.Problems {
		if p.Field == field {
			herr.Problems[i].Message = msg
			return err
		}
	}
	herr.Problems = append(herr.Problems, hearth.Problem{Field: field, Message: msg})
	return err
}

func dateOf(f url.Values, prefix, label, hint string, fields map[string]string, t time.Time) dateField {
	df := dateField{ID: prefix, Label: label, Hint: hint, Error: fields[label]}
	if f != nil && (f.Get(prefix+"_day") != "" || f.Get(prefix+"_month") != "" || f.Get(prefix+"_year") != "") {
		df.Day, df.Month, df.Year = f.Get(prefix+"_day"), f.Get(prefix+"_month"), f.Get(prefix+"_year")
	} else if !t.IsZero() {
		df.Day, df.Month, df.Year = t.Format("2"), t.Format("1"), t.Format("2006")
	}
	return df
}

type admissionView struct {
	Locations []people.Location
	Sexes     []people.Choice
	Form      url.Values
	Duplicate bool
	Today     time.Time
}

func (v admissionView) Date(prefix, label, hint string, fields map[string]string) dateField {
	var def time.Time
	if prefix == "start" {
		def = v.Today
	}
	return dateOf(v.Form, prefix, label, hint, fields, def)
}

func (s *Server) admissionView(r *http.Request, c *call, form url.Values) (admissionView, error) {
	locs, err := s.People.AdmissionChoices(r.Context(), c.actor)
	if err != nil {
		return admissionView{}, err
	}
	if form == nil {
		form = url.Values{}
	}
	return admissionView{Locations: locs, Sexes: people.Sexes, Form: form, Today: s.Clock().In(london)}, nil
}

func (s *Server) admissionForm(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.admissionView(r, c, nil)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "people_new", "Admit someone", v)
	return nil
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostForm
	dob, badDOB := formDate(f, "dob")
	start, badStart := formDate(f, "start")
	n := people.NewPerson{LocationID: f.Get("location"), GivenName: f.Get("given_name"), FamilyName: f.Get("family_name"),
		PreferredName: f.Get("preferred_name"), DateOfBirth: dob, NHSNumber: f.Get("nhs_number"), Sex: f.Get("sex"), Gender: f.Get("gender"),
		Address: f.Get("address"), Postcode: f.Get("postcode"), GPPractice: f.Get("gp_practice"), CareStartsOn: start,
		ConfirmedNotDuplicate: f.Get("confirm_new") == "yes"}
	if badStart {
		// Asked without it, the service would start care today: refuse.
		n.CareStartsOn = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	p, err := s.People.Register(r.Context(), c.actor, n)
	if err != nil {
		err = realDate(err, badDOB, "Date of birth", "14 6 1941")
		err = realDate(err, badStart, "Start of care", "3 3 2026")
		v, verr := s.admissionView(r, c, f)
		if verr != nil {
			return verr
		}
		v.Duplicate = people.IsPossibleDuplicate(err)
		return s.formError(w, r, c, err, "people_new", "Admit someone", v)
	}
	http.Redirect(w, r, "/people/"+p.ID+"?admitted=1", http.StatusSeeOther)
	return nil
}

func (s *Server) addTeamMember(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	f := r.PostForm
	starts, badStart := formDate(f, "team_start")
	ends, badEnd := formDate(f, "team_end")
	if starts.IsZero() && !badStart {
		starts = s.Clock()
	}
	if badEnd {
		ends = starts // refused as before the start, then worded below
	}
	_, err := s.People.AssignCareTeam(r.Context(), c.actor, id, f.Get("user_id"), starts, ends)
	if err != nil {
		err = realDate(err, badStart, "Start", "3 3 2026")
		err = realDate(err, badEnd, "End", "3 9 2026")
		return s.personAgain(w, r, c, id, err)
	}
	http.Redirect(w, r, "/people/"+id+"#care-team", http.StatusSeeOther)
	return nil
}

func (s *Server) endTeamMember(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	ends, bad := formDate(r.PostForm, "ends")
	if bad {
		return s.personAgain(w, r, c, id, hearth.Invalid("End", "End must be a real date, for example 3 9 2026"))
	}
	if err := s.People.EndCareTeam(r.Context(), c.actor, id, r.PathValue("member"), ends); err != nil {
		return s.personAgain(w, r, c, id, err)
	}
	http.Redirect(w, r, "/people/"+id+"#care-team", http.StatusSeeOther)
	return nil
}

// personAgain re-shows the person page with what went wrong with a form on
// it.
func (s *Server) personAgain(w http.ResponseWriter, r *http.Request, c *call, id string, err error) error {
	var herr *hearth.Error
	if !errors.As(err, &herr) || (herr.Kind != hearth.KindInvalid && herr.Kind != hearth.KindConflict && herr.Kind != hearth.KindForbidden) {
		return err
	}
	v, verr := s.personView(r, c, id)
	if verr != nil {
		return err
	}
	v.Form = r.PostForm
	return s.formError(w, r, c, err, "person", v.Person.FullName(), v)
}

type moveView struct {
	Person    people.Person
	Locations map[string]string
	Reasons   []people.Choice
	Form      url.Values
	Today     time.Time
}

func (v moveView) Date(fields map[string]string) dateField {
	return dateOf(v.Form, "ended", "Date care ended", "For example, 3 3 2026", fields, v.Today)
}

func (s *Server) moveView(r *http.Request, c *call, id string, form url.Values) (moveView, error) {
	pg, err := s.People.LoadPage(r.Context(), c.actor, id, 1)
	if err != nil {
		return moveView{}, err
	}
	if form == nil {
		form = url.Values{}
	}
	return moveView{Person: pg.Person, Locations: pg.LocationNames, Reasons: people.EndReasons, Form: form, Today: s.Clock().In(london)}, nil
}

func (s *Server) transferForm(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.moveView(r, c, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "person_transfer", "Move "+v.Person.FullName(), v)
	return nil
}

func (s *Server) transfer(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	if err := s.People.Transfer(r.Context(), c.actor, id, r.PostFormValue("location"), r.PostFormValue("reason")); err != nil {
		v, verr := s.moveView(r, c, id, r.PostForm)
		if verr != nil {
			return err
		}
		return s.formError(w, r, c, err, "person_transfer", "Move "+v.Person.FullName(), v)
	}
	http.Redirect(w, r, "/people/"+id, http.StatusSeeOther)
	return nil
}

func (s *Server) endCareForm(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.moveView(r, c, r.PathValue("id"), nil)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "person_end", "End "+v.Person.FullName()+"'s care", v)
	return nil
}

func (s *Server) endCare(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	on, bad := formDate(r.PostForm, "ended")
	err := s.People.EndCare(r.Context(), c.actor, id, people.EndOfCare{Reason: r.PostFormValue("reason"), On: on, Note: r.PostFormValue("note")})
	if err != nil {
		err = realDate(err, bad, "Date care ended", "3 3 2026")
		v, verr := s.moveView(r, c, id, r.PostForm)
		if verr != nil {
			return err
		}
		return s.formError(w, r, c, err, "person_end", "End "+v.Person.FullName()+"'s care", v)
	}
	http.Redirect(w, r, "/people/"+id, http.StatusSeeOther)
	return nil
}

type teamsView struct {
	people.LocationTeams
	Pager pager
}

const teamsPageSize = 20

func (s *Server) teamsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	lt, err := s.People.TeamsAt(r.Context(), c.actor, r.PathValue("id"), pageOffset(r, "page", teamsPageSize), teamsPageSize)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "location_teams", "Care teams at "+lt.Location.Name, teamsView{LocationTeams: lt,
		Pager: newPager(r, "page", lt.Offset, lt.Limit, len(lt.People), lt.Total, "person", "people")})
	return nil
}
