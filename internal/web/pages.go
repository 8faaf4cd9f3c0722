package web

import (
	"net/http"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
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
	Sections   []section
	Alerts     []care.Alert // from the observations: fluids, weight, NEWS2
	Technology []tech.Use   // stopped uses and overdue reviews
}

// personPage shows who the person is, who supports them, what needs
// attention now, and who has seen their record. Each part is its own
// decision: the alerts are a read of the care record and the technology a
// read of the technology use records, asked only of roles that hold those
// permissions (the door decides and audits either way).
func (s *Server) personPage(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx, id := r.Context(), r.PathValue("id")
	pg, err := s.People.LoadPage(ctx, c.actor, id, pageOffset(r, "history", s.cfg.HistoryLimit), s.cfg.HistoryLimit)
	if err != nil {
		return err
	}
	v := personView{Page: pg, Sections: s.sections}
	perms := c.actor.Role.Info().Permissions
	if perms.Has(access.ReadRecord) {
		if v.Alerts, err = s.Care.Alerts(ctx, c.actor, id); err != nil && !door.IsDenial(err) {
			return err
		}
	}
	if perms.Has(access.ReadTechUse) {
		if v.Technology, err = s.Tech.Attention(ctx, c.actor, []string{id}); err != nil && !door.IsDenial(err) {
			return err
		}
	}
	s.render(w, r, c, http.StatusOK, "person", pg.Person.FullName(), v)
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
