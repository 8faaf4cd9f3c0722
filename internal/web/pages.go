package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/breakglass"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/tech"
)

type homeView struct {
	People    []people.Person
	Results   people.Results
	Pager     pager
	Query     string
	Location  string
	Ended     bool
	Locations []people.Location // to filter by
	Searched  bool
	// Attention: the reader's landing page is Needs attention (registered
	// managers and nurses), linked at the top.
	Attention bool
}

const peoplePage = 20

// home is the people the actor supports, and the search for them: by part
// of a name, an NHS number or a date of birth, within a location, with or
// without people whose care has ended. A page at a time, with the count.
func (s *Server) home(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.actor.Kind == access.KindInspector {
		return s.inspectorHome(w, r, c)
	}
	q := r.URL.Query()
	v := homeView{Query: strings.TrimSpace(q.Get("q")), Location: q.Get("location"), Ended: q.Get("ended") == "yes"}
	v.Searched = v.Query != "" || v.Location != "" || v.Ended
	v.Attention = landsOnAttention(c.actor.Role)
	res, err := s.People.Search(r.Context(), c.actor, people.Query{Text: v.Query, LocationID: v.Location, IncludeEnded: v.Ended,
		Offset: pageOffset(r, "page", peoplePage), Limit: peoplePage})
	if err != nil {
		return err
	}
	v.Results, v.People = res, res.People
	v.Pager = newPager(r, "page", res.Offset, res.Limit, len(res.People), res.Total, "person", "people")
	locs, err := s.People.Locations(r.Context())
	if err != nil {
		return err
	}
	for _, l := range locs {
		if l.Open() {
			v.Locations = append(v.Locations, l)
		}
	}
	s.render(w, r, c, http.StatusOK, "home", "Your people", v)
	return nil
}

type personView struct {
	people.Page
	Sections   []section
	Alerts     []care.Alert         // from the observations: fluids, weight, NEWS2
	Technology []tech.Use           // stopped uses and overdue reviews
	Withdrawn  []consent.Withdrawal // consent to care or a technology withdrawn, standing now
	Form       url.Values           // what was typed into a form on the page that was refused
	Admitted   bool
	Today      time.Time
}

// Date is a date input on the person page's forms.
func (v personView) Date(prefix, label string, fields map[string]string) dateField {
	var def time.Time
	if prefix == "team_start" || prefix == "ends" {
		def = v.Today
	}
	return dateOf(v.Form, prefix, label, "For example, "+v.Today.Format("2 1 2006"), fields, def)
}

// sectionNeeds is the action each section of the person page decides when
// it is opened: the page links only the sections the door would allow
// (Scope.Would), so no link on it ends in "Denied".
var sectionNeeds = map[string]access.Action{
	"/about-me": access.ReadRecord, "/care-plans": access.ReadRecord, "/notes": access.ReadRecord, "/risks": access.ReadRecord,
	"/observations": access.ReadRecord, "/medicines": access.ReadMedicines, "/visits": access.ReadRecord,
	"/consent": access.ReadConsent, "/technology": access.ReadTechUse,
}

// offeredSections keeps the sections whose action the actor would be
// allowed for this person, decided without auditing (nothing is read).
func offeredSections(sc *door.Scope, all []section, personID string) ([]section, error) {
	var out []section
	for _, sec := range all {
		if a, ok := sectionNeeds[sec.Path]; ok {
			d, err := sc.Would(door.Request{Action: a, Purpose: people.Purpose(sc.Actor()), PersonID: personID, ResourceType: "Patient"})
			if err != nil {
				return nil, err
			}
			if !d.Permit {
				continue
			}
		}
		out = append(out, sec)
	}
	return out, nil
}

// personPage shows who the person is, who supports them, what needs
// attention now, and who has seen their record lately. It is one scope, so
// one transaction and one commit of its audit events: each part is still
// its own decision (the alerts a read of the care record, the technology a
// read of the technology use records, asked only of roles that hold those
// permissions; the door decides and audits either way).
func (s *Server) personPage(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.personView(r, c, r.PathValue("id"))
	if err != nil {
		return err
	}
	v.Admitted = r.URL.Query().Get("admitted") == "1"
	s.render(w, r, c, http.StatusOK, "person", v.Person.FullName(), v)
	return nil
}

// personView reads the person page and what the web adds to it in one
// scope: the alerts (a read of the care record) and the technology needing
// attention (a read of the technology use records), asked only of roles
// that hold those permissions; the door decides and audits either way.
func (s *Server) personView(r *http.Request, c *call, id string) (personView, error) {
	v := personView{Sections: s.sections, Today: s.Clock().In(london)}
	perms := c.actor.Role.Info().Permissions
	pg, err := s.People.LoadPage(r.Context(), c.actor, id, s.cfg.RecentLimit, func(sc *door.Scope) error {
		var err error
		if v.Sections, err = offeredSections(sc, s.sections, id); err != nil {
			return err
		}
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
		if perms.Has(access.ReadConsent) {
			if v.Withdrawn, err = s.Consent.WithdrawalsIn(sc, []string{id}, sc.Now().Add(-consent.WithdrawalWindow)); err != nil {
				return err
			}
		}
		return nil
	})
	v.Page = pg
	return v, err
}

// historyPage is a page of a person's access history with its place in it.
type historyPage struct {
	people.History
	Pager pager
}

// personHistory is the whole of who has seen the record, a page at a time,
// with a visible count: nothing is cut off without saying so.
func (s *Server) personHistory(w http.ResponseWriter, r *http.Request, c *call) error {
	offset := pageOffset(r, "page", s.cfg.HistoryLimit)
	h, err := s.People.History(r.Context(), c.actor, r.PathValue("id"), offset, s.cfg.HistoryLimit)
	if err != nil {
		return err
	}
	v := historyPage{History: h, Pager: newPager(r, "page", h.Offset, s.cfg.HistoryLimit, len(h.Access), h.Total, "entry", "entries")}
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
	q, err := s.BreakGlass.UnreviewedPage(r.Context(), c.actor, pageOffset(r, "page", queuePage), queuePage)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "reviews", "Break-glass uses to review", reviewsView{List: q.Grants,
		Pager: newPager(r, "page", q.Offset, queuePage, len(q.Grants), q.Total, "use", "uses")})
	return nil
}

func (s *Server) reviewBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.BreakGlass.Review(r.Context(), c.actor, r.PathValue("id"), r.PostFormValue("note")); err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/break-glass", http.StatusSeeOther)
	return nil
}

type reviewsView struct {
	List  []breakglass.Grant
	Pager pager
}
