package people

// The organisation: the provider and its locations. Organisation data is no
// one's care record, so the command line sets it up through the door's
// Organisation exception; a signed-in person changes it through a
// provider-level decision (access.ManageLocations), audited like any other.
// Locations are never deleted: they are renamed (the old name kept) and
// closed, once nobody is placed there.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// Location kinds. A location has a broad kind (Location.Kind: care home,
// home care branch or inpatient ward), which the technology register
// approves by, and a setting (Location.Setting), the finer kind the
// provider chose.
const (
	CareHome          = "care_home"          // a kind and a setting
	DomiciliaryBranch = "domiciliary_branch" // a kind: home care branches and supported living
	InpatientWard     = "inpatient_ward"     // a kind: mental health wards

	NursingHome      = "nursing_home"
	HomeCareBranch   = "home_care_branch"
	SupportedLiving  = "supported_living"
	MentalHealthWard = "mental_health_ward"
)

// Settings are the kinds of location a provider can open, in the order
// forms offer them.
var Settings = []string{CareHome, NursingHome, HomeCareBranch, SupportedLiving, MentalHealthWard}

// broadKind is each setting's kind.
var broadKind = map[string]string{
	CareHome:         CareHome,
	NursingHome:      CareHome,
	HomeCareBranch:   DomiciliaryBranch,
	SupportedLiving:  DomiciliaryBranch,
	MentalHealthWard: InpatientWard,
}

// settingOfKind is how a location made before settings existed reads.
var settingOfKind = map[string]string{CareHome: CareHome, DomiciliaryBranch: HomeCareBranch, InpatientWard: MentalHealthWard}

// ParseSetting reads a kind of location as people type it ("Nursing home",
// "nursing-home", "nursing_home"), including the three older kind names,
// and returns the setting, or "" when it is none of them.
func ParseSetting(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "_", "-", "_").Replace(s)
	if _, ok := broadKind[s]; ok {
		return s
	}
	return settingOfKind[s]
}

// LocationKindTitle is a location's kind or setting in words.
func LocationKindTitle(kind string) string {
	switch kind {
	case CareHome:
		return "Care home"
	case NursingHome:
		return "Nursing home"
	case DomiciliaryBranch, HomeCareBranch:
		return "Home care branch"
	case SupportedLiving:
		return "Supported living"
	case InpatientWard:
		return "Inpatient ward"
	case MentalHealthWard:
		return "Mental health ward"
	}
	return kind
}

// Provider is the registered care provider.
type Provider struct {
	ID, Name      string
	CQCProviderID string // the Care Quality Commission's provider ID, such as 1-101234567
	ODSCode       string // the NHS Organisation Data Service code
}

// Location is a care home, nursing home, home care branch, supported
// living service or mental health ward.
type Location struct {
	ID, ProviderID, Name string
	Kind                 string // the broad kind: CareHome, DomiciliaryBranch or InpatientWard
	Setting              string // the finer kind: one of Settings
	CQCLocationID        string
	ClosedAt             time.Time // zero while open
}

// Open reports whether the location is open.
func (l Location) Open() bool { return l.ClosedAt.IsZero() }

// SettingTitle is the location's setting in words.
func (l Location) SettingTitle() string { return LocationKindTitle(l.Setting) }

var (
	cqcID   = regexp.MustCompile(`^1-[0-9]{1,15}$`)
	odsCode = regexp.MustCompile(`^[A-Z0-9]{3,6}$`)
)

// ValidCQCID reports whether s has the form of a CQC provider or location
// ID: "1-" followed by digits.
func ValidCQCID(s string) bool { return cqcID.MatchString(s) }

// NewProvider is what setting up a provider needs.
type NewProvider struct {
	Name          string
	CQCProviderID string // optional
	ODSCode       string // optional
}

func (n *NewProvider) validate() error {
	var p hearth.Problems
	n.Name, n.CQCProviderID = strings.TrimSpace(n.Name), strings.TrimSpace(n.CQCProviderID)
	n.ODSCode = strings.ToUpper(strings.TrimSpace(n.ODSCode))
	p.Check(n.Name != "", "Provider name", "Enter the provider's name")
	p.Check(utf8.RuneCountInString(n.Name) <= 200, "Provider name", "Provider name must be 200 characters or fewer")
	p.Check(n.CQCProviderID == "" || ValidCQCID(n.CQCProviderID), "CQC provider ID",
		`CQC provider ID must be "1-" followed by digits, such as 1-101234567`)
	p.Check(n.ODSCode == "" || odsCode.MatchString(n.ODSCode), "ODS code", "ODS code must be 3 to 6 letters or digits, such as VNXYZ")
	return p.Err()
}

// NewLocation is what opening a location needs.
type NewLocation struct {
	Name          string
	Kind          string // a setting, or one of the older kind names
	CQCLocationID string // optional
}

func (n *NewLocation) validate(p *hearth.Problems, field string) (setting string) {
	n.Name, n.CQCLocationID = strings.TrimSpace(n.Name), strings.TrimSpace(n.CQCLocationID)
	p.Check(n.Name != "", field+"name", "Enter the location's name")
	p.Check(utf8.RuneCountInString(n.Name) <= 200, field+"name", "Location name must be 200 characters or fewer")
	setting = ParseSetting(n.Kind)
	p.Check(setting != "", field+"kind", "Choose care home, nursing home, home care branch, supported living or mental health ward")
	p.Check(n.CQCLocationID == "" || ValidCQCID(n.CQCLocationID), field+"CQC location ID",
		`CQC location ID must be "1-" followed by digits, such as 1-123456789`)
	return setting
}

// ErrProviderExists is returned when a database already has a provider.
var ErrProviderExists = hearth.Errorf(hearth.KindConflict, "This database already has a provider")

// SetUp records the provider and its first locations in one transaction,
// on a database that has none: how `hearth init` starts a provider from
// nothing. Organisation data, reached through the Organisation exception.
func (s *Service) SetUp(ctx context.Context, np NewProvider, locs []NewLocation) (Provider, []Location, error) {
	var p hearth.Problems
	if err := np.validate(); err != nil {
		p = append(p, err.(*hearth.Error).Problems...)
	}
	if len(locs) == 0 {
		p.Add("Location", "Give at least one location")
	}
	settings := make([]string, len(locs))
	for i := range locs {
		field := "Location "
		if len(locs) > 1 {
			field = fmt.Sprintf("Location %d ", i+1)
		}
		settings[i] = locs[i].validate(&p, field)
	}
	if err := p.Err(); err != nil {
		return Provider{}, nil, err
	}
	now := s.door.Clock()()
	prov := Provider{ID: hearth.NewID(), Name: np.Name, CQCProviderID: np.CQCProviderID, ODSCode: np.ODSCode}
	var out []Location
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		var n int
		if err := q.QueryRow(`SELECT COUNT(*) FROM providers`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrProviderExists
		}
		if _, err := q.Exec(`INSERT INTO providers (id, name, cqc_provider_id, ods_code, created_at) VALUES (?, ?, ?, ?, ?)`,
			prov.ID, prov.Name, prov.CQCProviderID, prov.ODSCode, now); err != nil {
			return err
		}
		for i, nl := range locs {
			l, err := insertLocation(q, prov.ID, nl, settings[i], now, "", "command line")
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	return prov, out, err
}

// CreateProvider records the provider. Organisation data, not personal data.
func (s *Service) CreateProvider(ctx context.Context, name string, now time.Time) (Provider, error) {
	p := Provider{ID: hearth.NewID(), Name: strings.TrimSpace(name)}
	if p.Name == "" {
		return p, hearth.Invalid("Name", "Enter the provider's name")
	}
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		_, err := q.Exec(`INSERT INTO providers (id, name, created_at) VALUES (?, ?, ?)`, p.ID, p.Name, now)
		return err
	})
	return p, err
}

// CreateLocation records a location of the provider, from the command line
// or a test: kind is a setting or one of the older kind names.
func (s *Service) CreateLocation(ctx context.Context, providerID, name, kind string, now time.Time) (Location, error) {
	nl := NewLocation{Name: name, Kind: kind}
	var pr hearth.Problems
	setting := nl.validate(&pr, "")
	if err := pr.Err(); err != nil {
		return Location{}, err
	}
	var l Location
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		var err error
		l, err = insertLocation(q, providerID, nl, setting, now, "", "command line")
		return err
	})
	return l, err
}

func insertLocation(q door.Tx, providerID string, nl NewLocation, setting string, now time.Time, byID, byName string) (Location, error) {
	l := Location{ID: hearth.NewID(), ProviderID: providerID, Name: nl.Name, Kind: broadKind[setting], Setting: setting,
		CQCLocationID: nl.CQCLocationID}
	if _, err := q.Exec(`INSERT INTO locations (id, provider_id, name, kind, setting, cqc_location_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, l.ID, l.ProviderID, l.Name, l.Kind, l.Setting, l.CQCLocationID, now); err != nil {
		return l, err
	}
	return l, locationHistory(q, l.ID, now, "opened", "", l.Name, byID, byName)
}

func locationHistory(q door.Tx, locationID string, at time.Time, change, oldName, newName, byID, byName string) error {
	_, err := q.Exec(`INSERT INTO location_history (id, location_id, at, change, old_name, new_name, by_id, by_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hearth.NewID(), locationID, at, change, oldName, newName, byID, byName)
	return err
}

// Locations lists every location, open and closed.
func (s *Service) Locations(ctx context.Context) ([]Location, error) {
	var out []Location
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		var err error
		out, err = ListLocations(q)
		return err
	})
	return out, err
}

const locationColumns = `l.id, l.provider_id, l.name, l.kind, l.setting, l.cqc_location_id, l.closed_at`

func scanLocation(row interface{ Scan(...any) error }) (Location, error) {
	var l Location
	var closed sql.NullTime
	err := row.Scan(&l.ID, &l.ProviderID, &l.Name, &l.Kind, &l.Setting, &l.CQCLocationID, &closed)
	if l.Setting == "" {
		l.Setting = settingOfKind[l.Kind]
	}
	if closed.Valid {
		l.ClosedAt = closed.Time.UTC()
	}
	return l, err
}

// ListLocations reads every location, open ones first, by name, from a
// scope or a Plain transaction: organisation data.
func ListLocations(q door.Querier) ([]Location, error) {
	return queryLocations(q, `1 = 1`)
}

func queryLocations(q door.Querier, where string, args ...any) ([]Location, error) {
	rows, err := q.Query(`SELECT `+locationColumns+` FROM locations l WHERE `+where+`
		ORDER BY CASE WHEN l.closed_at IS NULL THEN 0 ELSE 1 END, l.name, l.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Location
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Provider returns the provider (Hearth holds one per database), or a
// not-found error on a database nobody has set up yet.
func (s *Service) Provider(ctx context.Context) (Provider, error) {
	var p Provider
	err := s.door.Outside(ctx, door.Organisation, func(q *door.Plain) error {
		return q.QueryRow(`SELECT id, name, cqc_provider_id, ods_code FROM providers ORDER BY created_at LIMIT 1`).
			Scan(&p.ID, &p.Name, &p.CQCProviderID, &p.ODSCode)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return p, hearth.NotFound("The provider")
	}
	return p, err
}

// LocationSummary is a location with what its page shows.
type LocationSummary struct {
	Location
	People  int // people placed there whose care has not ended
	Staff   int // staff who work there
	History []LocationChange
	Mine    bool // the actor manages it (or manages every location)
}

// LocationChange is one line of a location's history.
type LocationChange struct {
	At               time.Time
	Change           string // opened, renamed, closed
	OldName, NewName string
	ByName           string
}

// LocationsAdmin is the locations page.
type LocationsAdmin struct {
	Provider  Provider
	Locations []LocationSummary
}

func (s *Service) manageLocations(sc *door.Scope, locationID, detail string) (*door.Access, error) {
	return sc.Allow(door.Request{Action: access.ManageLocations, Purpose: access.Administration, LocationID: locationID,
		ResourceType: "Location", ResourceID: locationID, Detail: detail})
}

// LocationsAdmin reads the provider and every location with how many
// people and staff are there, for whoever may manage locations.
func (s *Service) LocationsAdmin(ctx context.Context, actor door.Actor) (LocationsAdmin, error) {
	var pg LocationsAdmin
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := s.manageLocations(sc, "", "locations list"); err != nil {
			return err
		}
		if err := sc.QueryRow(`SELECT id, name, cqc_provider_id, ods_code FROM providers ORDER BY created_at LIMIT 1`).
			Scan(&pg.Provider.ID, &pg.Provider.Name, &pg.Provider.CQCProviderID, &pg.Provider.ODSCode); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		locs, err := ListLocations(sc)
		if err != nil {
			return err
		}
		mine, err := managedLocations(sc)
		if err != nil {
			return err
		}
		for _, l := range locs {
			sum, err := summarise(sc, l)
			if err != nil {
				return err
			}
			sum.Mine = mine == nil || mine[l.ID]
			pg.Locations = append(pg.Locations, sum)
		}
		return nil
	})
	return pg, err
}

// managedLocations is the set of locations the actor's location-wide role
// covers, or nil when their role covers the whole provider.
func managedLocations(sc *door.Scope) (map[string]bool, error) {
	a := sc.Actor()
	if !a.Role.Info().LocationWide {
		return nil, nil
	}
	rows, err := sc.Query(`SELECT location_id FROM staff_locations WHERE user_id = ?`, a.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

func summarise(sc *door.Scope, l Location) (LocationSummary, error) {
	sum := LocationSummary{Location: l}
	// Counts only: how many, never who.
	if err := sc.QueryRow(`SELECT COUNT(*) FROM people WHERE location_id = ? AND ended_at IS NULL`, l.ID).Scan(&sum.People); err != nil {
		return sum, err
	}
	if err := sc.QueryRow(`SELECT COUNT(*) FROM staff_locations s JOIN users u ON u.id = s.user_id
		WHERE s.location_id = ? AND u.disabled_at IS NULL`, l.ID).Scan(&sum.Staff); err != nil {
		return sum, err
	}
	rows, err := sc.Query(`SELECT at, change, old_name, new_name, by_name FROM location_history WHERE location_id = ? ORDER BY at DESC, id DESC`, l.ID)
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	for rows.Next() {
		var c LocationChange
		if err := rows.Scan(&c.At, &c.Change, &c.OldName, &c.NewName, &c.ByName); err != nil {
			return sum, err
		}
		sum.History = append(sum.History, c)
	}
	return sum, rows.Err()
}

// OpenLocation opens a new location. A registered manager who opens one
// manages it from then on (their location-wide role covers it).
func (s *Service) OpenLocation(ctx context.Context, actor door.Actor, nl NewLocation) (Location, error) {
	var l Location
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := s.manageLocations(sc, "", "opened a location")
		if err != nil {
			return err
		}
		var p hearth.Problems
		setting := nl.validate(&p, "")
		if err := p.Err(); err != nil {
			return err
		}
		var providerID string
		if err := sc.QueryRow(`SELECT id FROM providers ORDER BY created_at LIMIT 1`).Scan(&providerID); err != nil {
			return fmt.Errorf("people: find the provider: %w", err)
		}
		if l, err = insertLocation(sc, providerID, nl, setting, sc.Now(), actor.ID, actor.Name); err != nil {
			return err
		}
		a.ResourceID, a.Detail = l.ID, fmt.Sprintf("opened %s (%s)", l.Name, LocationKindTitle(l.Setting))
		if actor.Role.Info().LocationWide {
			_, err = sc.Exec(`INSERT INTO staff_locations (user_id, location_id) VALUES (?, ?)`, actor.ID, l.ID)
		}
		return err
	})
	return l, err
}

func loadLocation(sc *door.Scope, id string) (Location, error) {
	if !hearth.ValidID(id) {
		return Location{}, hearth.NotFound("That location")
	}
	l, err := scanLocation(sc.QueryRow(`SELECT `+locationColumns+` FROM locations l WHERE l.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, hearth.NotFound("That location")
	}
	return l, err
}

// Location reads one location with its counts and history, for whoever may
// manage it.
func (s *Service) Location(ctx context.Context, actor door.Actor, id string) (LocationSummary, error) {
	var sum LocationSummary
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := s.manageLocations(sc, id, "location page"); err != nil {
			return err
		}
		l, err := loadLocation(sc, id)
		if err != nil {
			return err
		}
		sum, err = summarise(sc, l)
		sum.Mine = true
		return err
	})
	return sum, err
}

// RenameLocation gives a location a new name; the old one stays in its
// history.
func (s *Service) RenameLocation(ctx context.Context, actor door.Actor, id, name string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := s.manageLocations(sc, id, "renamed a location")
		if err != nil {
			return err
		}
		l, err := loadLocation(sc, id)
		if err != nil {
			return err
		}
		name = strings.TrimSpace(name)
		var p hearth.Problems
		p.Check(name != "", "New name", "Enter the location's new name")
		p.Check(utf8.RuneCountInString(name) <= 200, "New name", "Location name must be 200 characters or fewer")
		p.Check(name != l.Name, "New name", "Enter a name different from the one it has")
		p.Check(l.Open(), "New name", "A closed location cannot be renamed")
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`UPDATE locations SET name = ? WHERE id = ?`, name, id); err != nil {
			return err
		}
		a.Detail = fmt.Sprintf("renamed %s to %s", l.Name, name)
		return locationHistory(sc, id, sc.Now(), "renamed", l.Name, name, actor.ID, actor.Name)
	})
}

// CloseLocation closes a location. Nobody whose care goes on may be placed
// there: they are moved or their care is ended first. A closed location
// stays, with its history, and takes no one new.
func (s *Service) CloseLocation(ctx context.Context, actor door.Actor, id string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := s.manageLocations(sc, id, "closed a location")
		if err != nil {
			return err
		}
		l, err := loadLocation(sc, id)
		if err != nil {
			return err
		}
		if !l.Open() {
			return hearth.Errorf(hearth.KindConflict, "%s is already closed", l.Name)
		}
		var n int
		if err := sc.QueryRow(`SELECT COUNT(*) FROM people WHERE location_id = ? AND ended_at IS NULL`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return hearth.Invalid("Location", fmt.Sprintf("%s cannot close while %s placed there. Move them to another location or end their care first.",
				l.Name, plural(n, "person is", "people are")))
		}
		if _, err := sc.Exec(`UPDATE locations SET closed_at = ? WHERE id = ?`, sc.Now(), id); err != nil {
			return err
		}
		a.Detail = "closed " + l.Name
		return locationHistory(sc, id, sc.Now(), "closed", "", l.Name, actor.ID, actor.Name)
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// UpdateProvider changes the provider's name and registration numbers, for
// whoever may manage locations.
func (s *Service) UpdateProvider(ctx context.Context, actor door.Actor, np NewProvider) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := s.manageLocations(sc, "", "changed the provider's details")
		if err != nil {
			return err
		}
		if err := np.validate(); err != nil {
			return err
		}
		res, err := sc.Exec(`UPDATE providers SET name = ?, cqc_provider_id = ?, ods_code = ?
			WHERE id = (SELECT id FROM providers ORDER BY created_at LIMIT 1)`, np.Name, np.CQCProviderID, np.ODSCode)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return hearth.NotFound("The provider")
		}
		a.Detail = fmt.Sprintf("changed the provider's details: %s, CQC %q, ODS %q", np.Name, np.CQCProviderID, np.ODSCode)
		return nil
	})
}
