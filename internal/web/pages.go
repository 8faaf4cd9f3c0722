package web

import (
	"net/http"
	"strconv"

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
	if c.actor.Kind == access.KindInspector {
		return s.inspectorHome(w, r, c)
	}
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
// attention now, and who has seen their record lately. It is one scope, so
// one transaction and one commit of its audit events: each part is still
// its own decision (the alerts a read of the care record, the technology a
// read of the technology use records, asked only of roles that hold those
// permissions; the door decides and audits either way).
func (s *Server) personPage(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx, id := r.Context(), r.PathValue("id")
	var v personView
	perms := c.actor.Role.Info().Permissions
	pg, err := s.People.LoadPage(ctx, c.actor, id, s.cfg.RecentLimit, func(sc *door.Scope) error {
		var err error
		if perms.Has(access.ReadRecord) {
			if v.Alerts, err = s.Care.AlertsIn(sc, id); err != nil {
				return err
			}
		}
		if perms.Has(access.ReadTechUse) {
			if v.Technology, err = s.Tech.AttentionIn(sc, []string{id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	v.Page, v.Sections = pg, s.sections
	s.render(w, r, c, http.StatusOK, "person", pg.Person.FullName(), v)
	return nil
}

// historyPage is a page of a person's access history with its place in it.
type historyPage struct {
	people.History
	Prev, Next int // offsets of the newer and older pages; -1 for none
}

// personHistory is the whole of who has seen the record, a page at a time.
func (s *Server) personHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	from, _ := strconv.Atoi(r.URL.Query().Get("from"))
	h, err := s.People.History(r.Context(), c.actor, r.PathValue("id"), max(from, 0), s.cfg.HistoryLimit)
	if err != nil {
		return err
	}
	v := historyPage{History: h, Prev: -1, Next: -1}
	if h.Offset > 0 {
		v.Prev = max(h.Offset-s.cfg.HistoryLimit, 0)
	}
	if h.Offset+len(h.Access) < h.Total {
		v.Next = h.Offset + len(h.Access)
	}
	s.render(w, r, c, http.StatusOK, "person_history", "Who has seen "+h.Person.FullName()+"'s record", v)
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
