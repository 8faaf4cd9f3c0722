package web

import (
	"net/http"

	"hearth"
	"hearth/internal/people"
)

type homeView struct {
	People []people.Person
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.People.Visible(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "home", "Your people", homeView{People: list})
	return nil
}

type personView struct {
	people.Page
	Sections []section
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := s.People.LoadPage(r.Context(), c.actor, r.PathValue("id"), s.cfg.HistoryLimit)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "person", pg.Person.FullName(), personView{Page: pg, Sections: s.sections})
	return nil
}

func (s *Server) openBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.BreakGlass.Open(r.Context(), c.actor, r.PostFormValue("nhs_number"), r.PostFormValue("reason"))
	if err != nil {
		if herr, ok := err.(*hearth.Error); ok && herr.Kind == hearth.KindInvalid {
			s.renderWith(w, r, c, statusOf(err), "breakglass", page{Title: "Emergency access", Error: herr,
				Data: map[string]string{"NHSNumber": r.PostFormValue("nhs_number"), "Reason": r.PostFormValue("reason")}})
			return nil
		}
		return err
	}
	http.Redirect(w, r, "/people/"+g.PersonID, http.StatusSeeOther)
	return nil
}

func (s *Server) breakGlassReviews(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.BreakGlass.Unreviewed(r.Context(), c.actor)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "reviews", "Break-glass uses to review", list)
	return nil
}

func (s *Server) reviewBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.BreakGlass.Review(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/break-glass", http.StatusSeeOther)
	return nil
}
