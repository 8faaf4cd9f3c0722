package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/governance"
	"hearth/internal/people"
)

// Inspection grants: the information governance lead's page to grant, review
// and end them, and the inspector's home. What an inspector may read is
// decided by the door from their grants (internal/governance); these pages
// only say so.

func (s *Server) inspectionRoutes() {
	if s.Governance == nil {
		return
	}
	s.handle("GET", "/governance/inspections", Personal, s.inspectionsPage)
	s.handle("POST", "/governance/inspections", Personal, s.grantInspection)
	s.handle("POST", "/governance/inspections/{id}/end", Personal, s.endInspection)
}

// grantRow is a grant as the lead's list shows it: its status in words,
// and its "End now" form, with what was typed and why it was refused.
type grantRow struct {
	governance.Grant
	Status      string
	Current     bool
	CSRF        string
	TypedReason string
	EndProblem  string
}

type inspectionsView struct {
	Grants     []grantRow
	Choices    governance.Choices
	MaxWords   string
	Form       url.Values // what was typed, on a refused grant
	EndID      string     // the grant whose "End now" form was refused
	EndReason  string
	EndProblem string
}

// Checked reports whether the grant form had the location ticked.
func (v inspectionsView) Checked(locationID string) bool {
	return v.Form != nil && slices.Contains(v.Form["location"], locationID)
}

func (s *Server) inspectionsPage(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.showInspections(w, r, c, http.StatusOK, nil, inspectionsView{})
}

func (s *Server) showInspections(w http.ResponseWriter, r *http.Request, c *call, status int, herr *hearth.Error, v inspectionsView) error {
	ctx := r.Context()
	list, err := s.Governance.List(ctx, c.actor)
	if err != nil {
		return err
	}
	if v.Choices, err = s.Governance.Choices(ctx, c.actor); err != nil {
		return err
	}
	now := s.Clock()
	for _, g := range list {
		row := grantRow{Grant: g, Status: grantStatus(g, now), Current: g.Current(now), CSRF: c.sess.CSRFToken}
		if g.ID == v.EndID {
			row.TypedReason, row.EndProblem = v.EndReason, v.EndProblem
		}
		v.Grants = append(v.Grants, row)
	}
	v.MaxWords = governance.Words(v.Choices.Max)
	if v.Form == nil {
		// A new grant starts now unless the lead says otherwise.
		start := now.In(london)
		v.Form = url.Values{"start_date": {start.Format("2006-01-02")}, "start_time": {start.Format("15:04")}}
	}
	s.renderWith(w, r, c, status, "inspections", page{Title: "Inspections", Error: herr, Data: v})
	return nil
}

// grantStatus says where a grant is, in words and UK time.
func grantStatus(g governance.Grant, now time.Time) string {
	switch g.Status(now) {
	case governance.Scheduled:
		return "Starts " + ukDateTime(g.StartsAt) + ", until " + ukDateTime(g.EndsAt)
	case governance.Active:
		return "Active until " + ukDateTime(g.EndsAt)
	case governance.Ended:
		if !g.EndedAt.After(g.StartsAt) {
			return "Cancelled before it started, on " + ukDateTime(g.EndedAt) + " by " + g.EndedBy
		}
		return "Ended early on " + ukDateTime(g.EndedAt) + " by " + g.EndedBy
	}
	return "Ended on " + ukDateTime(g.EndsAt)
}

func (s *Server) grantInspection(w http.ResponseWriter, r *http.Request, c *call) error {
	f := r.PostFormValue
	_, err := s.Governance.Grant(r.Context(), c.actor, governance.NewGrant{InspectorID: f("inspector"), LocationIDs: r.PostForm["location"],
		Purpose: f("purpose"), StartsAt: ukClock(f("start_date"), f("start_time")), EndsAt: ukClock(f("end_date"), f("end_time"))})
	if herr, ok := formProblem(err); ok {
		return s.showInspections(w, r, c, statusOf(err), herr, inspectionsView{Form: r.PostForm})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/inspections", http.StatusSeeOther)
	return nil
}

func (s *Server) endInspection(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	_, err := s.Governance.End(r.Context(), c.actor, id, r.PostFormValue("reason"))
	if herr, ok := formProblem(err); ok {
		// The problem is shown beside the grant's own form, and in the
		// summary at the top of the page.
		msg := herr.Message
		if len(herr.Problems) > 0 {
			msg = herr.Problems[0].Message
		} else {
			herr = &hearth.Error{Kind: herr.Kind, Message: herr.Message, Problems: []hearth.Problem{{Field: "Reason", Message: msg}}}
		}
		return s.showInspections(w, r, c, statusOf(err), herr, inspectionsView{EndID: id, EndReason: r.PostFormValue("reason"), EndProblem: msg})
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/governance/inspections", http.StatusSeeOther)
	return nil
}

// inspectorHomeView is what an inspector sees first: until when they may
// read, and the people their live grants cover.
type inspectorHomeView struct {
	Live      []governance.Grant
	Scheduled []governance.Grant
	Ended     *governance.Grant // the most recent grant that is over, when none is live
	People    []people.Person
}

// inspectorHome is the home page of an inspector's account.
func (s *Server) inspectorHome(w http.ResponseWriter, r *http.Request, c *call) error {
	var v inspectorHomeView
	if s.Governance != nil {
		mine, err := s.Governance.Mine(r.Context(), c.actor)
		if err != nil {
			return err
		}
		now := s.Clock()
		for i, g := range mine {
			switch g.Status(now) {
			case governance.Active:
				v.Live = append(v.Live, g)
			case governance.Scheduled:
				v.Scheduled = append(v.Scheduled, g)
			default:
				if v.Ended == nil {
					v.Ended = &mine[i]
				}
			}
		}
	}
	if len(v.Live) > 0 {
		var err error
		if v.People, err = s.People.Visible(r.Context(), c.actor); err != nil {
			return err
		}
	}
	s.render(w, r, c, http.StatusOK, "inspector_home", "Inspection", v)
	return nil
}

// explainRefusal turns a refusal an inspector meets once their access has
// ended into a plain message saying so, rather than "not found": whatever
// they open, the answer is the same and names no one. A refusal while a
// grant is live (someone at a location it does not cover) stays as it is.
func (s *Server) explainRefusal(r *http.Request, c *call, err error) error {
	if c.actor.Kind != access.KindInspector || !door.IsDenial(err) || s.Governance == nil {
		return err
	}
	mine, gerr := s.Governance.Mine(r.Context(), c.actor)
	if gerr != nil {
		return err
	}
	now := s.Clock()
	var last time.Time
	for _, g := range mine {
		if g.Status(now) == governance.Active {
			return err
		}
		if g.Status(now) != governance.Scheduled && g.Until().After(last) {
			last = g.Until()
		}
	}
	msg := "You have no inspection access at the moment. The provider's information governance lead grants it."
	if !last.IsZero() {
		msg = fmt.Sprintf("Your inspection access ended on %s. You can no longer see anyone's record. "+
			"Ask the provider's information governance lead if you need access again.", ukDateTime(last))
	}
	return &hearth.Error{Kind: hearth.KindForbidden, Message: msg, Err: err}
}
