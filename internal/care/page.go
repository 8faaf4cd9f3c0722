package care

// What the record's pages share: who wrote an entry, text limits, who was
// involved in writing a plan, review dates and the optimistic version check.
// Helpers here are prefixed rec so they do not collide with the other half
// of the package (observations, medicines, visits).

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Limits on free text: long enough for a careful entry, short enough that a
// pasted document or a flood cannot land in the record.
const (
	MaxText  = 4000 // a note, a plan's sections, an About Me entry
	MaxShort = 200  // titles, names, reasons for a change
)

// EntryAuthor is who wrote an entry, as they were when they wrote it.
type EntryAuthor struct {
	ID   string
	Name string
	Role string // staff role name, or "person" / "representative"
	Kind string // access.Kind name: staff, person, representative
}

// Own reports whether the person themself wrote the entry.
func (a EntryAuthor) Own() bool { return a.Kind == access.KindPerson.String() }

// Representative reports whether a lawful representative wrote it.
func (a EntryAuthor) Representative() bool { return a.Kind == access.KindRepresentative.String() }

// RoleTitle is the author's role in words.
func (a EntryAuthor) RoleTitle() string {
	if r := access.ParseRole(a.Role); r != access.RoleNone {
		return r.Title()
	}
	switch a.Kind {
	case access.KindPerson.String():
		return "the person"
	case access.KindRepresentative.String():
		return "representative"
	}
	return a.Role
}

func recAuthor(a door.Actor) EntryAuthor {
	return EntryAuthor{ID: a.ID, Name: a.Name, Role: a.RoleName(), Kind: a.Kind.String()}
}

// recText trims v and checks it against the rules for field.
func recText(p *hearth.Problems, field string, v *string, required bool, max int, missing string) {
	*v = strings.TrimSpace(strings.ReplaceAll(*v, "\r\n", "\n"))
	switch {
	case required && *v == "":
		p.Add(field, missing)
	case utf8.RuneCountInString(*v) > max:
		p.Add(field, fmt.Sprintf("%s must be %d characters or fewer (it has %d)", field, max, utf8.RuneCountInString(*v)))
	}
}

// Involvement kinds: who took part in writing a plan (co-production).
var InvolvementKinds = []Choice{
	{"person", "The person"},
	{"family", "Family or friends"},
	{"representative", "A lawful representative"},
	{"staff", "Staff"},
}

func recTitle(list []Choice, key string) string {
	for _, c := range list {
		if c.Value == key {
			return c.Title
		}
	}
	return key
}

func recValid(list []Choice, key string) bool {
	for _, c := range list {
		if c.Value == key {
			return true
		}
	}
	return false
}

// Involvement is who was involved in writing a plan or assessment.
type Involvement struct {
	Kinds []string // from InvolvementKinds
	Names string   // names and roles, in words
}

// Has reports whether kind took part.
func (i Involvement) Has(kind string) bool {
	for _, k := range i.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Titles lists who took part, in words.
func (i Involvement) Titles() []string {
	out := make([]string, 0, len(i.Kinds))
	for _, k := range i.Kinds {
		out = append(out, recTitle(InvolvementKinds, k))
	}
	return out
}

func (i *Involvement) check(p *hearth.Problems) {
	seen := map[string]bool{}
	var kinds []string
	for _, k := range i.Kinds {
		if k == "" || seen[k] {
			continue
		}
		if !recValid(InvolvementKinds, k) {
			p.Add("Who was involved", "Choose who was involved from the list")
			return
		}
		seen[k] = true
		kinds = append(kinds, k)
	}
	i.Kinds = kinds
	if len(i.Kinds) == 0 {
		p.Add("Who was involved", "Say who was involved in writing this, including the person if they were")
	}
	recText(p, "Names and roles", &i.Names, false, MaxShort*2, "")
}

func (i Involvement) stored() string { return strings.Join(i.Kinds, ",") }

func recInvolvement(kinds, names string) Involvement {
	var k []string
	if kinds != "" {
		k = strings.Split(kinds, ",")
	}
	return Involvement{Kinds: k, Names: names}
}

// recDay is the calendar day of t, as stored in a DATE column.
func recDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// recToday is today's date in the UK, where the care happens.
func recToday(now time.Time) time.Time {
	return recDay(now.In(recLondon))
}

var recLondon = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// recReviewDate checks a review date: set, not in the past, and within two
// years (a plan nobody looks at for longer is not being reviewed).
func recReviewDate(p *hearth.Problems, field string, d *time.Time, now time.Time) {
	if d.IsZero() {
		p.Add(field, "Enter the date this will next be reviewed")
		return
	}
	*d = recDay(*d)
	today := recToday(now)
	switch {
	case d.Before(today):
		p.Add(field, "Review date must be today or later")
	case d.After(today.AddDate(2, 0, 0)):
		p.Add(field, "Review date must be within the next 2 years")
	}
}

// Overdue reports whether a review date has passed.
func Overdue(reviewOn, now time.Time) bool { return recDay(reviewOn).Before(recToday(now)) }

// recConflict is the message when someone saved a newer version first.
func recConflict(what string, latest int, by string, at time.Time) error {
	return &hearth.Error{Kind: hearth.KindConflict, Message: fmt.Sprintf(
		"Someone else changed this %s since you opened it: %s saved version %d at %s UK time. Nothing was saved, and nothing is lost: your text is below. Read their version, then save yours again if it is still right.",
		what, by, latest, at.In(recLondon).Format("15:04 on 2 January 2006"))}
}

// recCheckVersion compares the version a save was based on with the newest.
// query returns the newest version's number, author name and time.
func recCheckVersion(sc *door.Scope, what, query string, id string, basedOn int) (int, error) {
	var latest int
	var by string
	var at time.Time
	err := sc.QueryRow(query, id).Scan(&latest, &by, &at)
	if err != nil && !recNoRows(err) {
		return 0, err
	}
	if latest != basedOn {
		if latest == 0 {
			return 0, hearth.NotFound("That " + what)
		}
		return 0, recConflict(what, latest, by, at)
	}
	return latest + 1, nil
}

// recOpen decides action on the person and loads them to head the page.
func recOpen(sc *door.Scope, action access.Action, personID, resourceType, resourceID, detail string) (*door.Access, people.Person, error) {
	a, err := sc.Allow(door.Request{Action: action, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		ResourceType: resourceType, ResourceID: resourceID, Detail: detail})
	if err != nil {
		return nil, people.Person{}, err
	}
	p, err := people.Load(sc, personID)
	return a, p, err
}

// recMay says whether to offer a form: the role allows the action. It is a
// hint for the page, not a decision: the save itself is decided and audited
// (a page view then does not litter the person's access history with
// refusals nobody attempted).
func recMay(a door.Actor, action access.Action) bool {
	switch a.Kind {
	case access.KindStaff:
		return action != access.Contribute && a.Role.Info().Permissions.Has(action)
	case access.KindPerson, access.KindRepresentative:
		return action == access.Contribute
	}
	return false
}

// recMayFor is recMay for a person's record: once their care has ended
// nothing is offered but what is still allowed (access.Decide refuses the
// rest whatever the page offers).
func recMayFor(a door.Actor, p people.Person, action access.Action) bool {
	return recMay(a, action) && (!p.Ended() || access.AllowedAfterCareEnds(action))
}

func recNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// writeAction is what a write of an entry to the record asks for: staff
// write the record; the person and their representative contribute to it.
func writeAction(a door.Actor) access.Action {
	if a.Kind == access.KindPerson || a.Kind == access.KindRepresentative {
		return access.Contribute
	}
	return access.WriteRecord
}
