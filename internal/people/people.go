// Package people owns the organisation (provider, locations), the people who
// draw on care (identity, with the NHS number checked), and care teams: which
// staff member supports whom, from when to when. Every read and write of a
// person goes through the door, which decides and audits it.
package people

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/store"
)

// Person is someone who draws on care.
type Person struct {
	ID            string
	LocationID    string
	LocationName  string
	GivenName     string
	FamilyName    string
	PreferredName string
	DateOfBirth   time.Time
	NHSNumber     string
	Address       string
	Postcode      string
	Sex           string // one of Sexes' values, or "" when not recorded
	Gender        string // as the person describes it, in their words
	GPPractice    string
	CareStartsOn  time.Time // zero when not recorded (people registered before it was asked)
	CreatedAt     time.Time
	End           EndOfCare // zero while their care goes on
}

// Ended reports whether the person's care has ended: their record is kept,
// read-only except for corrections.
func (p Person) Ended() bool { return !p.End.RecordedAt.IsZero() }

// SexTitle is the person's recorded sex in words.
func (p Person) SexTitle() string { return choiceTitle(Sexes, p.Sex) }

// Choice is one option of a fixed list: the stored value and its words.
type Choice struct{ Value, Title string }

// Sexes are the options for sex, mapped one-to-one to FHIR
// AdministrativeGender. Gender is asked separately, in the person's words.
var Sexes = []Choice{{"female", "Female"}, {"male", "Male"}, {"other", "Another description"}, {"unknown", "Not known or not said"}}

func choiceTitle(list []Choice, v string) string {
	for _, c := range list {
		if c.Value == v {
			return c.Title
		}
	}
	return v
}

func validChoice(list []Choice, v string) bool {
	for _, c := range list {
		if c.Value == v {
			return true
		}
	}
	return false
}

// FullName is the person's given and family names.
func (p Person) FullName() string { return p.GivenName + " " + p.FamilyName }

// CalledName is what the person likes to be called.
func (p Person) CalledName() string {
	if p.PreferredName != "" {
		return p.PreferredName
	}
	return p.GivenName
}

// Age in whole years at now: one more on each birthday. Compared by month
// and day, not day of the year, which a leap year shifts. Someone born on
// 29 February turns a year older on 1 March in other years.
func (p Person) Age(now time.Time) int {
	dob := p.DateOfBirth.UTC()
	now = now.In(time.UTC)
	y := now.Year() - dob.Year()
	if now.Month() < dob.Month() || (now.Month() == dob.Month() && now.Day() < dob.Day()) {
		y--
	}
	return y
}

// TeamMember is one care-team assignment.
type TeamMember struct {
	ID       string
	UserID   string
	Name     string
	Role     access.Role
	StartsAt time.Time
	EndsAt   time.Time // zero: open-ended
}

// Service reads and changes people through the door.
type Service struct {
	door *door.Door
}

// New returns the people service.
func New(d *door.Door) *Service { return &Service{door: d} }

// Purpose picks the purpose a staff member acts for on their own screens:
// the information governance lead acts for governance, everyone else for
// direct care.
func Purpose(a door.Actor) access.Purpose {
	switch {
	case a.Kind == access.KindPerson:
		return access.OwnRecord
	case a.Kind == access.KindRepresentative:
		return access.ProxyAccess
	case a.Kind == access.KindInspector:
		return access.Inspection
	case a.Role == access.IGLead:
		return access.Governance
	case a.Kind == access.KindService:
		return access.Contingency
	}
	return access.DirectCare
}

// ProviderOf reads the provider from a scope or a Plain transaction:
// organisation data.
func ProviderOf(q door.Querier) (Provider, error) {
	var p Provider
	err := q.QueryRow(`SELECT id, name FROM providers ORDER BY created_at LIMIT 1`).Scan(&p.ID, &p.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return p, hearth.NotFound("The provider")
	}
	return p, err
}

// NewPerson is what registering (admitting) a person needs.
type NewPerson struct {
	LocationID    string
	GivenName     string
	FamilyName    string
	PreferredName string
	DateOfBirth   time.Time
	NHSNumber     string
	Address       string
	Postcode      string
	Sex           string
	Gender        string
	GPPractice    string
	CareStartsOn  time.Time // the day care starts; today when zero
	// ConfirmedNotDuplicate: whoever admits the person has checked that
	// someone already registered with the same name and date of birth is
	// someone else.
	ConfirmedNotDuplicate bool
}

// Limits on free text, so a form cannot flood the record.
const (
	maxName    = 100
	maxAddress = 300
)

// validate checks n and tidies it. It names fields as the admission form
// does; an import maps them to its columns.
func (n *NewPerson) validate(now time.Time) error {
	var p hearth.Problems
	n.GivenName, n.FamilyName = strings.TrimSpace(n.GivenName), strings.TrimSpace(n.FamilyName)
	n.PreferredName, n.Address, n.Postcode = strings.TrimSpace(n.PreferredName), strings.TrimSpace(n.Address), strings.ToUpper(strings.TrimSpace(n.Postcode))
	n.Sex, n.Gender, n.GPPractice = strings.TrimSpace(n.Sex), strings.TrimSpace(n.Gender), strings.TrimSpace(n.GPPractice)
	p.Check(n.GivenName != "", "Given name", "Enter the person's given name")
	p.Check(utf8.RuneCountInString(n.GivenName) <= maxName, "Given name", fmt.Sprintf("Given name must be %d characters or fewer", maxName))
	p.Check(n.FamilyName != "", "Family name", "Enter the person's family name")
	p.Check(utf8.RuneCountInString(n.FamilyName) <= maxName, "Family name", fmt.Sprintf("Family name must be %d characters or fewer", maxName))
	p.Check(utf8.RuneCountInString(n.PreferredName) <= maxName, "Preferred name", fmt.Sprintf("Preferred name must be %d characters or fewer", maxName))
	switch {
	case n.DateOfBirth.IsZero():
		p.Add("Date of birth", "Enter the date of birth")
	case !n.DateOfBirth.Before(now):
		p.Add("Date of birth", "Date of birth must be in the past")
	case n.DateOfBirth.Before(now.AddDate(-130, 0, 0)):
		p.Add("Date of birth", "Date of birth must be within the last 130 years")
	}
	if n.NHSNumber != "" {
		if !ValidNHSNumber(n.NHSNumber) {
			p.Add("NHS number", "NHS number must be 10 digits with a valid check digit")
		} else {
			n.NHSNumber = NormaliseNHSNumber(n.NHSNumber)
		}
	}
	p.Check(n.Sex == "" || validChoice(Sexes, n.Sex), "Sex", "Choose female, male, another description, or not known")
	p.Check(utf8.RuneCountInString(n.Gender) <= maxName, "Gender", fmt.Sprintf("Gender must be %d characters or fewer", maxName))
	p.Check(utf8.RuneCountInString(n.Address) <= maxAddress, "Address", fmt.Sprintf("Address must be %d characters or fewer", maxAddress))
	p.Check(utf8.RuneCountInString(n.Postcode) <= 10, "Postcode", "Postcode must be 10 characters or fewer")
	p.Check(utf8.RuneCountInString(n.GPPractice) <= 200, "GP practice", "GP practice must be 200 characters or fewer")
	if n.CareStartsOn.IsZero() {
		n.CareStartsOn = day(now)
	}
	switch {
	case !n.DateOfBirth.IsZero() && n.CareStartsOn.Before(n.DateOfBirth):
		p.Add("Start of care", "Start of care must be after the date of birth")
	case n.CareStartsOn.After(now.AddDate(1, 0, 0)):
		p.Add("Start of care", "Start of care must be within the next year")
	}
	p.Check(n.LocationID != "", "Location", "Choose a location")
	return p.Err()
}

// day is the calendar day of t, as stored for dates without a time.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// errPossibleDuplicate marks the warning that someone with the same name
// and date of birth is already registered.
var errPossibleDuplicate = errors.New("possible duplicate")

// IsPossibleDuplicate reports whether err is the warning that someone with
// the same name and date of birth is already registered: the admission
// can go ahead once whoever is admitting confirms it is someone else.
func IsPossibleDuplicate(err error) bool { return errors.Is(err, errPossibleDuplicate) }

// Register admits a new person at a location. Only a role with a
// relationship to that location (a registered manager there) may: anyone
// else is refused, and the refusal is audited. The NHS number, when given,
// must be new to the provider; the same name and date of birth as someone
// already registered needs confirming (NewPerson.ConfirmedNotDuplicate).
func (s *Service) Register(ctx context.Context, actor door.Actor, n NewPerson) (Person, error) {
	var p Person
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		p, err = RegisterIn(sc, n)
		return err
	})
	return p, err
}

// RegisterIn admits a person inside a scope that may hold other work too
// (an import of many people and their history, all or nothing): decided,
// checked and audited as Register is.
func RegisterIn(sc *door.Scope, n NewPerson) (Person, error) {
	var p Person
	a, err := sc.Allow(door.Request{Action: access.ManagePeople, Purpose: access.DirectCare,
		LocationID: n.LocationID, ResourceType: "Patient", Detail: "admitted"})
	if door.IsDenial(err) && hearth.KindOf(err) == hearth.KindNotFound {
		// No role at that location: said in words on the form. A refusal
		// for another reason (an inspector's read-only access) stands.
		return p, hearth.Invalid("Location", "You can only admit people to a location you manage")
	}
	if err != nil {
		return p, err
	}
	if err := n.validate(sc.Now()); err != nil {
		return p, err
	}
	if err := checkOpenLocation(sc, n.LocationID, "Location"); err != nil {
		return p, err
	}
	taken, err := nhsTaken(sc, []string{n.NHSNumber})
	if err != nil {
		return p, err
	}
	if taken[n.NHSNumber] {
		return p, hearth.Invalid("NHS number", "Someone with this NHS number is already registered")
	}
	if !n.ConfirmedNotDuplicate {
		same, err := sameNameAndBirth(sc, n)
		if err != nil {
			return p, err
		}
		if same > 0 {
			return p, &hearth.Error{Kind: hearth.KindConflict, Err: errPossibleDuplicate,
				Message: fmt.Sprintf("%s %s, born %s, may already be registered: %s the same name and date of birth. Check this is someone else, then confirm.",
					n.GivenName, n.FamilyName, n.DateOfBirth.Format("2 January 2006"), plural(same, "person has", "people have")),
				Problems: []hearth.Problem{{Field: "Confirm", Message: "Confirm this is not someone already registered"}}}
		}
	}
	p, err = insertPerson(sc, n, sc.Actor().ID)
	a.PersonID, a.ResourceID = p.ID, p.ID
	a.Detail = "admitted to " + p.LocationName
	return p, err
}

// insertPerson writes a validated new person and their first placement.
func insertPerson(sc *door.Scope, n NewPerson, by string) (Person, error) {
	now := sc.Now()
	p := Person{ID: hearth.NewID(), LocationID: n.LocationID, GivenName: n.GivenName, FamilyName: n.FamilyName,
		PreferredName: n.PreferredName, DateOfBirth: n.DateOfBirth, NHSNumber: n.NHSNumber, Address: n.Address,
		Postcode: n.Postcode, Sex: n.Sex, Gender: n.Gender, GPPractice: n.GPPractice, CareStartsOn: n.CareStartsOn, CreatedAt: now}
	if err := sc.QueryRow(`SELECT name FROM locations WHERE id = ?`, p.LocationID).Scan(&p.LocationName); err != nil {
		return p, err
	}
	_, err := sc.Exec(`INSERT INTO people (id, location_id, given_name, family_name, preferred_name,
		date_of_birth, nhs_number, address, postcode, sex, gender, gp_practice, care_starts_on, search_key, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.LocationID, p.GivenName, p.FamilyName, p.PreferredName, p.DateOfBirth, store.Null(p.NHSNumber),
		p.Address, p.Postcode, p.Sex, p.Gender, p.GPPractice, p.CareStartsOn, SearchKey(p.GivenName, p.FamilyName, p.PreferredName), p.CreatedAt, by)
	if store.IsUniqueViolation(err) {
		return p, hearth.Invalid("NHS number", "Someone with this NHS number is already registered")
	}
	if err != nil {
		return p, err
	}
	_, err = sc.Exec(`INSERT INTO person_placements (id, person_id, location_id, starts_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		hearth.NewID(), p.ID, p.LocationID, p.CareStartsOn, "admitted", by)
	return p, err
}

// checkOpenLocation reads whether a location exists and is open.
func checkOpenLocation(sc *door.Scope, id, field string) error {
	var closed sql.NullTime
	err := sc.QueryRow(`SELECT closed_at FROM locations WHERE id = ?`, id).Scan(&closed)
	if errors.Is(err, sql.ErrNoRows) {
		return hearth.Invalid(field, "Choose a location that exists")
	}
	if err != nil {
		return err
	}
	if closed.Valid {
		return hearth.Invalid(field, "That location has closed: choose one that is open")
	}
	return nil
}

// nhsTaken reports which of the NHS numbers are already registered: a
// check made only to refuse a second record, never shown as a list.
func nhsTaken(sc *door.Scope, numbers []string) (map[string]bool, error) {
	out := map[string]bool{}
	var args []any
	for _, n := range numbers {
		if n != "" {
			args = append(args, n)
		}
	}
	for start := 0; start < len(args); start += 500 {
		chunk := args[start:min(start+500, len(args))]
		rows, err := sc.Query(`SELECT nhs_number FROM people WHERE nhs_number IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")+`)`, chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			out[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameNameAndBirth counts people already registered with n's date of
// birth whose given and family names fold to the same as n's.
func sameNameAndBirth(sc *door.Scope, n NewPerson) (int, error) {
	rows, err := sc.Query(`SELECT given_name, family_name FROM people WHERE date_of_birth = ?`, n.DateOfBirth)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	same := 0
	given, family := Fold(n.GivenName), Fold(n.FamilyName)
	for rows.Next() {
		var g, f string
		if err := rows.Scan(&g, &f); err != nil {
			return 0, err
		}
		if Fold(g) == given && Fold(f) == family {
			same++
		}
	}
	return same, rows.Err()
}

const personColumns = `p.id, p.location_id, l.name, p.given_name, p.family_name, p.preferred_name, p.date_of_birth,
	COALESCE(p.nhs_number, ''), p.address, p.postcode, p.sex, p.gender, p.gp_practice, p.care_starts_on, p.created_at,
	p.care_ended_on, p.end_reason, p.end_note, p.ended_at`

func scanPerson(row interface{ Scan(...any) error }) (Person, error) {
	var p Person
	var starts, endedOn, endedAt sql.NullTime
	err := row.Scan(&p.ID, &p.LocationID, &p.LocationName, &p.GivenName, &p.FamilyName, &p.PreferredName,
		&p.DateOfBirth, &p.NHSNumber, &p.Address, &p.Postcode, &p.Sex, &p.Gender, &p.GPPractice, &starts, &p.CreatedAt,
		&endedOn, &p.End.Reason, &p.End.Note, &endedAt)
	p.DateOfBirth = p.DateOfBirth.UTC()
	if starts.Valid {
		p.CareStartsOn = starts.Time.UTC()
	}
	if endedOn.Valid {
		p.End.On = endedOn.Time.UTC()
	}
	if endedAt.Valid {
		p.End.RecordedAt = endedAt.Time.UTC()
	}
	return p, err
}

// Load reads a person inside a scope that has already allowed access to
// them. Other packages call it to head their pages.
func Load(sc *door.Scope, id string) (Person, error) {
	if err := sc.Require(id); err != nil {
		return Person{}, err
	}
	p, err := scanPerson(sc.QueryRow(`SELECT `+personColumns+` FROM people p JOIN locations l ON l.id = p.location_id WHERE p.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, hearth.NotFound("That record")
	}
	return p, err
}

// Get returns one person, if actor may see them.
func (s *Service) Get(ctx context.Context, actor door.Actor, id string) (Person, error) {
	var p Person
	err := s.door.Do(ctx, actor, door.Request{Action: access.ViewPerson, Purpose: Purpose(actor), PersonID: id, ResourceType: "Patient", ResourceID: id},
		func(sc *door.Scope, _ *door.Access) error {
			var err error
			p, err = Load(sc, id)
			return err
		})
	return p, err
}

// Visible lists the people actor may see, each an audited read: those on
// their care team, at locations where they hold a location-wide role, and
// those they hold live break-glass access to.
func (s *Service) Visible(ctx context.Context, actor door.Actor) ([]Person, error) {
	var out []Person
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		query, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: Purpose(actor), ResourceType: "Patient"})
		if err != nil {
			return err
		}
		reach, args := sc.Reach("p.id", "p.location_id")
		candidates, err := queryPeople(sc, `SELECT `+personColumns+` FROM people p JOIN locations l ON l.id = p.location_id
			WHERE `+reach+` ORDER BY p.family_name, p.given_name, p.id`, args...)
		if err != nil {
			return err
		}
		out, err = door.Filter(sc, door.Request{Action: access.ViewPerson, Purpose: Purpose(actor), ResourceType: "Patient", Detail: "saw their name in a list of people"},
			candidates, func(p Person) string { return p.ID })
		if err != nil {
			return err
		}
		query.Detail = fmt.Sprintf("listed %d people", len(out))
		return nil
	})
	return out, err
}

// InReach lists the people within the actor's reach (door.Scope.Reach)
// who match cond (a condition on p, the people table, with its args), by
// name: the candidates for a list, each of whom the caller then decides
// with door.Filter. The scope must already have permitted the list.
func InReach(sc *door.Scope, cond string, args ...any) ([]Person, error) {
	reach, reachArgs := sc.Reach("p.id", "p.location_id")
	if cond == "" {
		cond = "1 = 1"
	}
	rows, err := sc.Query(`SELECT `+personColumns+` FROM people p JOIN locations l ON l.id = p.location_id
		WHERE `+reach+` AND (`+cond+`) ORDER BY p.family_name, p.given_name, p.id`, append(reachArgs, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Team returns a person's care team, current and past, inside an allowed
// scope.
func Team(sc *door.Scope, personID string) ([]TeamMember, error) {
	if err := sc.Require(personID); err != nil {
		return nil, err
	}
	rows, err := sc.Query(`SELECT c.id, c.user_id, u.display_name, u.role, c.starts_at, c.ends_at
		FROM care_team c JOIN users u ON u.id = c.user_id WHERE c.person_id = ? ORDER BY c.starts_at, u.display_name`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TeamMember
	for rows.Next() {
		var m TeamMember
		var role string
		var ends sql.NullTime
		if err := rows.Scan(&m.ID, &m.UserID, &m.Name, &role, &m.StartsAt, &ends); err != nil {
			return nil, err
		}
		m.Role = access.ParseRole(role)
		if ends.Valid {
			m.EndsAt = ends.Time
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Page is what the person page shows: who the person is, where they have
// been placed, who supports them, and who has seen their record lately.
type Page struct {
	Person        Person
	Team          []TeamMember
	Placements    []Placement
	Access        []audit.Event // this visit first, then the newest from the log
	MoreAccess    bool          // older entries are on the history page
	CanSeeLog     bool
	CanManage     bool          // the actor's role may change the registration and care team, and care goes on
	StaffOptions  []StaffOption // who can be put on the care team, when CanManage
	BreakGlass    bool          // this view relies on break-glass access
	Decision      access.Decision
	LocationNames map[string]string // open locations the actor may move people to, by ID, when CanManage
}

// LoadPage reads the person page in one scope: one transaction, one commit
// of its audit events. Viewing the person and reading their access history
// are two decisions, each audited; also runs in the same scope after the
// person is decided (the web adds the care record's alerts and the
// technology needing attention, which this package cannot import), so that
// the history, read last, includes every decision of this very visit. The
// history shows the newest historyLimit entries (every one when
// historyLimit is zero or less); the whole history is paged by History.
func (s *Service) LoadPage(ctx context.Context, actor door.Actor, id string, historyLimit int, also ...func(sc *door.Scope) error) (Page, error) {
	var pg Page
	// A read: a snapshot, then its events through the writer (door.Read).
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		pg = Page{}
		purpose := Purpose(actor)
		a, err := sc.Allow(door.Request{Action: access.ViewPerson, Purpose: purpose, PersonID: id, ResourceType: "Patient", ResourceID: id})
		if err != nil {
			return err
		}
		pg.Decision, pg.BreakGlass = a.Decision, a.Decision.BreakGlass
		if pg.Person, err = Load(sc, id); err != nil {
			return err
		}
		if pg.Team, err = Team(sc, id); err != nil {
			return err
		}
		if pg.Placements, err = Placements(sc, id); err != nil {
			return err
		}
		// What to offer is the role's permission; the change itself is
		// decided and audited when it is asked for.
		pg.CanManage = actor.Kind == access.KindStaff && actor.Role.Info().Permissions.Has(access.ManagePeople) && !pg.Person.Ended()
		if pg.CanManage {
			if pg.StaffOptions, err = staffOptions(sc); err != nil {
				return err
			}
			if pg.LocationNames, err = movableTo(sc); err != nil {
				return err
			}
		}
		for _, fn := range also {
			if err := fn(sc); err != nil {
				return err
			}
		}
		logAccess, err := sc.Check(door.Request{Action: access.ReadAccessLog, Purpose: purpose, PersonID: id, ResourceType: "AuditEvent"})
		if err != nil {
			return err
		}
		if pg.CanSeeLog = logAccess.Decision.Permit; pg.CanSeeLog {
			// This visit's own events are appended when the scope commits;
			// they are shown first, from the scope, so the list is complete.
			var past []audit.Event
			if historyLimit > 0 {
				past, pg.MoreAccess, err = sc.RecentAccess(id, historyLimit)
			} else {
				past, _, err = sc.AccessHistory(id, 0, 0)
			}
			if err != nil {
				return err
			}
			pg.Access = append(sc.Pending(), past...)
			if !actor.Role.Info().Permissions.Has(access.ReviewBreakGlass) {
				pg.Access = withoutRefusedText(pg.Access)
			}
		}
		return err
	})
	return pg, err
}

// movableTo lists the open locations the actor's role reaches, for the
// transfer form: every open location for a provider-wide role, their own
// for a location-wide one. Organisation data.
func movableTo(sc *door.Scope) (map[string]string, error) {
	mine, err := managedLocations(sc)
	if err != nil {
		return nil, err
	}
	locs, err := queryLocations(sc, `l.closed_at IS NULL`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range locs {
		if mine == nil || mine[l.ID] {
			out[l.ID] = l.Name
		}
	}
	return out, nil
}

// withoutRefusedText keeps what someone refused typed (a break-glass
// reason is free text) for the information governance lead, who reviews
// it; other staff see who was refused, when and why.
func withoutRefusedText(events []audit.Event) []audit.Event {
	for i := range events {
		events[i] = events[i].WithoutRefusedText()
	}
	return events
}

// History is a page of a person's access history, for staff.
type History struct {
	Person Person
	Access []audit.Event
	Offset int // entries before this page (this visit's own come first)
	Total  int // entries in all
}

// History reads one page of who has seen or changed the person's record,
// newest first, from offset for up to limit entries. It is a read of the
// access log, decided and audited, and like the person page it shows this
// visit first.
func (s *Service) History(ctx context.Context, actor door.Actor, id string, offset, limit int) (History, error) {
	var h History
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		h = History{}
		if _, err := sc.Allow(door.Request{Action: access.ReadAccessLog, Purpose: Purpose(actor), PersonID: id,
			ResourceType: "AuditEvent", Detail: "access history"}); err != nil {
			return err
		}
		var err error
		if h.Person, err = Load(sc, id); err != nil {
			return err
		}
		pending := sc.Pending()
		h.Offset = max(offset, 0)
		past, total, err := sc.AccessHistory(id, max(h.Offset-len(pending), 0), limit)
		if err != nil {
			return err
		}
		h.Total = total + len(pending)
		h.Access = past
		if h.Offset < len(pending) {
			h.Access = append(pending[h.Offset:], past...)
			h.Access = h.Access[:min(len(h.Access), limit)]
		}
		if !actor.Role.Info().Permissions.Has(access.ReviewBreakGlass) {
			h.Access = withoutRefusedText(h.Access)
		}
		return nil
	})
	return h, err
}

// AssignCareTeam puts a staff member on a person's care team from starts to
// ends (zero: open-ended).
func (s *Service) AssignCareTeam(ctx context.Context, actor door.Actor, personID, userID string, starts, ends time.Time) (TeamMember, error) {
	m := TeamMember{ID: hearth.NewID(), UserID: userID, StartsAt: starts, EndsAt: ends}
	err := s.door.Do(ctx, actor, door.Request{Action: access.ManagePeople, Purpose: access.DirectCare, PersonID: personID,
		ResourceType: "CareTeam", Detail: "care team assignment"}, func(sc *door.Scope, a *door.Access) error {
		a.ResourceID = m.ID
		var p hearth.Problems
		p.Check(!starts.IsZero(), "Start", "Enter when the assignment starts")
		p.Check(ends.IsZero() || ends.After(starts), "End", "The end must be after the start")
		var kind, role string
		var err error = sql.ErrNoRows
		if hearth.ValidID(userID) {
			err = sc.QueryRow(`SELECT kind, role FROM users WHERE id = ? AND disabled_at IS NULL`, userID).Scan(&kind, &role)
		}
		if errors.Is(err, sql.ErrNoRows) {
			p.Add("Staff member", "Choose an active staff member")
		} else if err != nil {
			return err
		} else if kind != "staff" {
			p.Add("Staff member", "Only staff can be on a care team")
		}
		if err := p.Err(); err != nil {
			return err
		}
		// An overlapping membership already covers them.
		overlap, args := `SELECT COUNT(*) FROM care_team WHERE person_id = ? AND user_id = ? AND (ends_at IS NULL OR ends_at > ?)`,
			[]any{personID, userID, starts}
		if !ends.IsZero() {
			overlap += ` AND starts_at < ?`
			args = append(args, ends)
		}
		var open int
		if err := sc.QueryRow(overlap, args...).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return hearth.Invalid("Staff member", "They are already on the care team for those dates")
		}
		m.Role = access.ParseRole(role)
		_, err = sc.Exec(`INSERT INTO care_team (id, person_id, user_id, starts_at, ends_at, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, m.ID, personID, userID, starts, store.NullTime(ends), s.door.Clock()(), actor.ID)
		return err
	})
	return m, err
}

// queryPeople runs a query of personColumns in the scope (a list the caller
// then narrows with door.Filter) and reads the people in its order.
func queryPeople(sc *door.Scope, query string, args ...any) ([]Person, error) {
	rows, err := sc.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
