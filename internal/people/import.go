package people

// Importing people and care teams from a provider's existing records, all
// or nothing: every row is checked first, and one broken rule anywhere
// means nothing is written; a dry run checks and writes nothing. Each run
// is one door scope under the administrator's ImportRecords permission:
// one audited decision for the import, then one per person created (or
// care-team membership added), naming them, so each person's access
// history shows how their record began. The file format (CSV) is the
// imports package's; this is the rules.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// RowProblem is one broken rule in one row of an import, naming the field
// as the admission form does.
type RowProblem struct {
	Row     int // as a spreadsheet numbers it: the header is row 1
	Field   string
	Message string
}

// ImportOptions are how an import runs.
type ImportOptions struct {
	DryRun   bool
	Source   string                // the file's name, for the audit log
	Progress func(done, total int) // called as rows are checked and written; may be nil
}

// ImportResult is what an import did, or would do.
type ImportResult struct {
	Rows     int // rows read
	Created  int // written (zero for a dry run, or when anything was wrong)
	Problems []RowProblem
	DryRun   bool
}

// ErrImportRefused is returned (wrapped) when a file had problems: nothing
// was written. The problems are in the ImportResult.
var ErrImportRefused = hearth.Errorf(hearth.KindInvalid, "The file has problems, so nothing was imported")

// PersonRow is one person read from a file.
type PersonRow struct {
	Row      int
	Person   NewPerson
	Location string // the location's name or ID, as written in the file
}

// importDecision is the import's own audited decision.
func importDecision(sc *door.Scope, what string, opts ImportOptions, rows int) (*door.Access, error) {
	verb := "import"
	if opts.DryRun {
		verb = "dry run"
	}
	return sc.Allow(door.Request{Action: access.ImportRecords, Purpose: access.Administration, ResourceType: "Import",
		Detail: fmt.Sprintf("%s of %s from %s: %d rows", verb, what, opts.Source, rows)})
}

// ImportPeople admits the people read from a file. earlier are problems
// found reading it (a date that is not a date): they refuse the import like
// any other, but only after the import is decided, so every attempt is
// audited.
func (s *Service) ImportPeople(ctx context.Context, actor door.Actor, rows []PersonRow, earlier []RowProblem, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{Rows: len(rows), DryRun: opts.DryRun}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		imp, err := importDecision(sc, "people", opts, len(rows))
		if err != nil {
			return err
		}
		res.Problems = append(res.Problems, earlier...)
		if len(rows) == 0 && len(earlier) == 0 {
			res.Problems = append(res.Problems, RowProblem{Row: 1, Field: "File", Message: "There are no people in the file: only a header row"})
		}
		locs, err := locationsByName(sc)
		if err != nil {
			return err
		}
		now := sc.Now()
		seen := map[string]int{}
		var numbers []string
		for i := range rows {
			r := &rows[i]
			var p hearth.Problems
			l, ok := locs.find(r.Location)
			switch {
			case strings.TrimSpace(r.Location) == "":
				p.Add("Location", "Give the location's name")
			case !ok:
				p.Add("Location", fmt.Sprintf("There is no location called %q", r.Location))
			case !l.Open():
				p.Add("Location", fmt.Sprintf("%s has closed", l.Name))
			default:
				r.Person.LocationID = l.ID
			}
			if err := r.Person.validate(now); err != nil {
				var herr *hearth.Error
				if errors.As(err, &herr) {
					for _, pr := range herr.Problems {
						if pr.Field != "Location" || len(p) == 0 {
							p = append(p, pr)
						}
					}
				}
			}
			for _, pr := range p {
				res.Problems = append(res.Problems, RowProblem{Row: r.Row, Field: pr.Field, Message: pr.Message})
			}
			if nhs := r.Person.NHSNumber; nhs != "" && ValidNHSNumber(nhs) {
				if first, dup := seen[nhs]; dup {
					res.Problems = append(res.Problems, RowProblem{Row: r.Row, Field: "NHS number",
						Message: fmt.Sprintf("The same NHS number is on row %d", first)})
				} else {
					seen[nhs] = r.Row
					numbers = append(numbers, nhs)
				}
			}
			progress(opts, i+1, len(rows))
		}
		taken, err := nhsTaken(sc, numbers)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if taken[r.Person.NHSNumber] {
				res.Problems = append(res.Problems, RowProblem{Row: r.Row, Field: "NHS number", Message: "Someone with this NHS number is already registered"})
			}
		}
		sortProblems(res.Problems)
		imp.Detail += fmt.Sprintf(", %d problems", len(res.Problems))
		if len(res.Problems) > 0 {
			return ErrImportRefused
		}
		if opts.DryRun {
			return nil
		}
		for i, r := range rows {
			p, err := importPerson(sc, r.Person, locs.byID[r.Person.LocationID].Name, actor.ID)
			if err != nil {
				return fmt.Errorf("row %d: %w", r.Row, err)
			}
			if _, err := sc.Allow(door.Request{Action: access.ImportRecords, Purpose: access.Administration, PersonID: p.ID,
				ResourceType: "Patient", ResourceID: p.ID, Detail: fmt.Sprintf("admitted to %s by import from %s, row %d", p.LocationName, opts.Source, r.Row)}); err != nil {
				return err
			}
			res.Created++
			progress(opts, i+1, len(rows))
		}
		imp.Detail += fmt.Sprintf("; %d people admitted", res.Created)
		return nil
	})
	if errors.Is(err, ErrImportRefused) {
		res.Created = 0
	}
	return res, err
}

// importPerson writes one checked person: importPerson is insertPerson
// without reading the location's name again for each row.
func importPerson(sc *door.Scope, n NewPerson, locationName, by string) (Person, error) {
	now := sc.Now()
	p := Person{ID: hearth.NewID(), LocationID: n.LocationID, LocationName: locationName, GivenName: n.GivenName, FamilyName: n.FamilyName,
		PreferredName: n.PreferredName, DateOfBirth: n.DateOfBirth, NHSNumber: n.NHSNumber, Address: n.Address,
		Postcode: n.Postcode, Sex: n.Sex, Gender: n.Gender, GPPractice: n.GPPractice, CareStartsOn: n.CareStartsOn, CreatedAt: now}
	var nhs any
	if p.NHSNumber != "" {
		nhs = p.NHSNumber
	}
	if _, err := sc.Exec(`INSERT INTO people (id, location_id, given_name, family_name, preferred_name,
		date_of_birth, nhs_number, address, postcode, sex, gender, gp_practice, care_starts_on, search_key, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.LocationID, p.GivenName, p.FamilyName, p.PreferredName, p.DateOfBirth, nhs,
		p.Address, p.Postcode, p.Sex, p.Gender, p.GPPractice, p.CareStartsOn, SearchKey(p.GivenName, p.FamilyName, p.PreferredName), p.CreatedAt, by); err != nil {
		return p, err
	}
	_, err := sc.Exec(`INSERT INTO person_placements (id, person_id, location_id, starts_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		hearth.NewID(), p.ID, p.LocationID, p.CareStartsOn, "admitted by import", by)
	return p, err
}

func progress(opts ImportOptions, done, total int) {
	if opts.Progress != nil {
		opts.Progress(done, total)
	}
}

func sortProblems(ps []RowProblem) {
	// Insertion sort by row: the lists are short, and stable keeps each
	// row's problems in the order they were found.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Row < ps[j-1].Row; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// locationIndex finds locations by name (case does not matter) or ID.
type locationIndex struct {
	byName map[string]Location
	byID   map[string]Location
}

func locationsByName(sc *door.Scope) (locationIndex, error) {
	all, err := ListLocations(sc)
	if err != nil {
		return locationIndex{}, err
	}
	idx := locationIndex{byName: map[string]Location{}, byID: map[string]Location{}}
	for _, l := range all {
		idx.byID[l.ID] = l
		key := strings.ToLower(l.Name)
		if prev, ok := idx.byName[key]; !ok || (!prev.Open() && l.Open()) {
			idx.byName[key] = l
		}
	}
	return idx, nil
}

func (idx locationIndex) find(s string) (Location, bool) {
	s = strings.TrimSpace(s)
	if l, ok := idx.byID[s]; ok {
		return l, true
	}
	l, ok := idx.byName[strings.ToLower(s)]
	return l, ok
}

// TeamRow is one care-team membership read from a file: the person by NHS
// number (or Hearth's ID), the member of staff by username.
type TeamRow struct {
	Row       int
	NHSNumber string
	PersonID  string
	Username  string
	Starts    time.Time // zero: today
	Ends      time.Time // zero: open-ended
}

// ImportTeams adds the care-team memberships read from a file, all or
// nothing, audited as one import and one decision per membership.
func (s *Service) ImportTeams(ctx context.Context, actor door.Actor, rows []TeamRow, earlier []RowProblem, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{Rows: len(rows), DryRun: opts.DryRun}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		imp, err := importDecision(sc, "care teams", opts, len(rows))
		if err != nil {
			return err
		}
		res.Problems = append(res.Problems, earlier...)
		if len(rows) == 0 && len(earlier) == 0 {
			res.Problems = append(res.Problems, RowProblem{Row: 1, Field: "File", Message: "There are no care-team members in the file: only a header row"})
		}
		now := sc.Now()
		type member struct{ person, user, name string }
		resolved := make([]member, len(rows))
		pairs := map[[2]string]int{}
		for i, r := range rows {
			var p hearth.Problems
			var m member
			switch {
			case r.PersonID != "":
				var ended sql.NullTime
				err := sql.ErrNoRows
				if hearth.ValidID(r.PersonID) {
					err = sc.QueryRow(`SELECT id, ended_at FROM people WHERE id = ?`, r.PersonID).Scan(&m.person, &ended)
				}
				if errors.Is(err, sql.ErrNoRows) {
					p.Add("Person", "There is no one with this ID")
				} else if err != nil {
					return err
				} else if ended.Valid {
					p.Add("Person", "Their care has ended")
				}
			case r.NHSNumber == "":
				p.Add("NHS number", "Give the person's NHS number")
			case !ValidNHSNumber(r.NHSNumber):
				p.Add("NHS number", "NHS number must be 10 digits with a valid check digit")
			default:
				var ended sql.NullTime
				err := sc.QueryRow(`SELECT id, ended_at FROM people WHERE nhs_number = ?`, NormaliseNHSNumber(r.NHSNumber)).Scan(&m.person, &ended)
				if errors.Is(err, sql.ErrNoRows) {
					p.Add("NHS number", "No one registered has this NHS number")
				} else if err != nil {
					return err
				} else if ended.Valid {
					p.Add("NHS number", "Their care has ended")
				}
			}
			var kind string
			var disabled sql.NullTime
			err := sc.QueryRow(`SELECT id, kind, disabled_at, display_name FROM users WHERE username = ?`, strings.ToLower(strings.TrimSpace(r.Username))).
				Scan(&m.user, &kind, &disabled, &m.name)
			switch {
			case strings.TrimSpace(r.Username) == "":
				p.Add("Username", "Give the member of staff's username")
			case errors.Is(err, sql.ErrNoRows):
				p.Add("Username", "No member of staff has this username")
			case err != nil:
				return err
			case kind != "staff":
				p.Add("Username", "Only staff can be on a care team")
			case disabled.Valid:
				p.Add("Username", "They have left")
			case m.user == actor.ID:
				p.Add("Username", "You cannot put yourself on a care team by import")
			}
			starts := r.Starts
			if starts.IsZero() {
				starts = now
			}
			p.Check(r.Ends.IsZero() || r.Ends.After(starts), "End", "The end must be after the start")
			if m.person != "" && m.user != "" {
				key := [2]string{m.person, m.user}
				if first, dup := pairs[key]; dup {
					p.Add("Username", fmt.Sprintf("The same person and member of staff are on row %d", first))
				}
				pairs[key] = r.Row
				var open int
				if err := sc.QueryRow(`SELECT COUNT(*) FROM care_team WHERE person_id = ? AND user_id = ? AND (ends_at IS NULL OR ends_at > ?)`,
					m.person, m.user, starts).Scan(&open); err != nil {
					return err
				}
				p.Check(open == 0, "Username", "They are already on this person's care team")
			}
			for _, pr := range p {
				res.Problems = append(res.Problems, RowProblem{Row: r.Row, Field: pr.Field, Message: pr.Message})
			}
			rows[i].Starts = starts
			resolved[i] = m
			progress(opts, i+1, len(rows))
		}
		sortProblems(res.Problems)
		imp.Detail += fmt.Sprintf(", %d problems", len(res.Problems))
		if len(res.Problems) > 0 {
			return ErrImportRefused
		}
		if opts.DryRun {
			return nil
		}
		for i, r := range rows {
			m := resolved[i]
			id := hearth.NewID()
			var ends any
			if !r.Ends.IsZero() {
				ends = r.Ends
			}
			if _, err := sc.Exec(`INSERT INTO care_team (id, person_id, user_id, starts_at, ends_at, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, m.person, m.user, r.Starts, ends, now, actor.ID); err != nil {
				return fmt.Errorf("row %d: %w", r.Row, err)
			}
			if _, err := sc.Allow(door.Request{Action: access.ImportRecords, Purpose: access.Administration, PersonID: m.person,
				ResourceType: "CareTeam", ResourceID: id, Detail: fmt.Sprintf("%s put on the care team by import from %s, row %d", m.name, opts.Source, r.Row)}); err != nil {
				return err
			}
			res.Created++
			progress(opts, i+1, len(rows))
		}
		imp.Detail += fmt.Sprintf("; %d care-team memberships added", res.Created)
		return nil
	})
	if errors.Is(err, ErrImportRefused) {
		res.Created = 0
	}
	return res, err
}

// MayImport decides (and audits) whether the actor may import records, for
// the page that offers it.
func (s *Service) MayImport(ctx context.Context, actor door.Actor) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, err := sc.Allow(door.Request{Action: access.ImportRecords, Purpose: access.Administration, ResourceType: "Import", Detail: "import page"})
		return err
	})
}
