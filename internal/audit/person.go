package audit

import (
	"time"

	"hearth/internal/access"
)

// PersonEvent is one line of a person's access history as they, or their
// representative, may see it. It holds only what a format 2 leaf shows (see
// docs/audit-leaf.md), so the history page, the copy of the record and a
// receipt all tell the person the same thing:
//
//   - an access that was allowed shows who, in what role, what, why and
//     the detail Hearth wrote;
//   - an attempt refused to someone else (a member of staff, an inspector,
//     a portal account not linked to the person) shows only that someone
//     without access tried, in what role and when: not their name, and not
//     the text that came with it, which anyone with a staff login could
//     otherwise write into any person's history (a break-glass reason is
//     typed freely). The information governance lead reads it in Hearth;
//   - a refusal of the person's own account or of their representative's
//     (an entry withheld from them, an action outside a representative's
//     authority) is theirs, and says so.
type PersonEvent struct {
	ID           string // empty for this visit's own events, not written yet
	At           time.Time
	Name         string // who; empty for a stranger's refused attempt
	Role         string // the actor's role name, as audited
	Kind         string // staff, person, representative, inspector, system
	Action       string
	ResourceType string
	ResourceID   string
	Purpose      string
	Reason       string // the decision's reason code
	Outcome      string
	BreakGlass   bool
	Refused      bool
	// Stranger marks an attempt refused to someone without access to the
	// person's record: the page says so, and nothing more.
	Stranger bool
	Why      string // the reason in words; empty for a stranger
	Detail   string // what Hearth wrote about the access; empty for a stranger
	// Receipt says a receipt can be downloaded for the event: it was written
	// in leaf format 2. Events from before format 2 have none, as their
	// leaves commit to every field in the clear.
	Receipt bool
}

// ForPerson returns the event as the person it is about may see it, shown
// to the account viewer (the person's own or their representative's).
func (e Event) ForPerson(viewer string) PersonEvent {
	v := PersonEvent{ID: e.ID, At: e.At, Name: e.ActorName, Role: e.ActorRole, Kind: e.ActorKind, Action: e.Action,
		ResourceType: e.ResourceType, ResourceID: e.ResourceID, Purpose: e.Purpose, Reason: e.Reason,
		Outcome: e.Outcome, BreakGlass: e.BreakGlass, Refused: e.Refused(), Why: e.ReasonText, Detail: e.Detail,
		Receipt: e.ID != "" && e.LeafFormat == LeafV2}
	if !v.Refused {
		return v
	}
	if !e.ownRefusal(viewer) {
		return PersonEvent{ID: v.ID, At: v.At, Role: v.Role, Kind: v.Kind, Action: v.Action, ResourceType: v.ResourceType,
			ResourceID: v.ResourceID, Purpose: v.Purpose, Reason: v.Reason, Outcome: v.Outcome, Refused: true,
			Stranger: true, Receipt: v.Receipt}
	}
	if e.Reason == access.DenyWithheld.String() {
		switch {
		case viewer != "" && e.ActorID == viewer:
			v.Why = "An entry withheld from you was not shown."
		case e.ActorName != "":
			v.Why = "An entry withheld from " + e.ActorName + " was not shown."
		default:
			v.Why = "An entry withheld from them was not shown."
		}
	}
	return v
}

// ownRefusal reports whether a refused event was the viewer's own, or that
// of the person's own account or their representative's, as opposed to
// someone without access. Beyond the viewer's own, only the reasons
// access.Decide gives after it has found the account linked to the person
// count: a portal account refused for having no link (or for the wrong
// purpose, which Decide checks first) may be anyone's, and is treated as a
// stranger's.
func (e Event) ownRefusal(viewer string) bool {
	if viewer != "" && e.ActorID == viewer {
		return true
	}
	switch e.ActorKind {
	case access.KindPerson.String():
		return e.Reason == access.DenyWithheld.String()
	case access.KindRepresentative.String():
		return e.Reason == access.DenyWithheld.String() || e.Reason == access.DenyOutsideAuthority.String()
	}
	return false
}

// WithoutRefusedText returns the event with the text of a refused attempt
// left out, for staff other than the information governance lead: who was
// refused, when and why still show, but what they typed does not (it is the
// lead's to review).
func (e Event) WithoutRefusedText() Event {
	if e.Refused() {
		e.Detail = ""
	}
	return e
}
