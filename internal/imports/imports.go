// Package imports reads a provider's existing records from CSV files
// (people, staff and care teams) so that a provider can start with what it
// already has, from the command line (`hearth import`) or the
// administrator's upload page. It knows the file formats (docs/import.md):
// UTF-8, a byte-order mark tolerated, a header row naming the columns, UK
// dates. The rules and the writing are the people and accounts services':
// every import is decided and audited, checked whole, and written all or
// nothing; a dry run writes nothing.
package imports

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/door"
	"hearth/internal/people"
)

// MaxFileBytes is the largest file an import takes: room for about 100,000
// people.
const MaxFileBytes = 16 << 20

// Kinds of file.
const (
	People = "people"
	Staff  = "staff"
	Teams  = "teams"
)

// Problem is one broken rule, where a person can find it in their
// spreadsheet: the row (the header is row 1) and the column.
type Problem struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Rule   string `json:"rule"`
}

func (p Problem) String() string {
	switch {
	case p.Row == 0:
		return p.Rule
	case p.Column == "":
		return fmt.Sprintf("Row %d: %s", p.Row, p.Rule)
	}
	return fmt.Sprintf("Row %d, column %s: %s", p.Row, p.Column, p.Rule)
}

// Result is what an import did, or (a dry run) would do.
type Result struct {
	Kind     string
	Rows     int
	Created  int
	DryRun   bool
	Problems []Problem
	Invited  []accounts.InvitedRow // staff: each invitation and its link's token, shown once
}

// ErrRefused is returned when the file had problems: nothing was written.
var ErrRefused = hearth.Errorf(hearth.KindInvalid, "The file has problems, so nothing was imported")

// File is an uploaded or named file.
type File struct {
	Name string
	Data []byte
}

// Service runs imports.
type Service struct {
	people   *people.Service
	accounts *accounts.Service
}

// New returns the import service.
func New(p *people.Service, a *accounts.Service) *Service { return &Service{people: p, accounts: a} }

// Options are how an import runs.
type Options struct {
	DryRun   bool
	Progress func(done, total int) // rows checked, then written; may be nil
	Meta     accounts.Meta
}

// columns are each kind's columns, in the order docs/import.md gives them;
// required ones are marked.
var columns = map[string][]column{
	People: {{"given_name", true}, {"family_name", true}, {"preferred_name", false}, {"date_of_birth", true}, {"nhs_number", false},
		{"sex", false}, {"gender", false}, {"address", false}, {"postcode", false}, {"gp_practice", false}, {"location", true}, {"start_of_care", false}},
	Staff: {{"username", true}, {"name", true}, {"email", false}, {"role", true}, {"locations", false}},
	Teams: {{"nhs_number", false}, {"person_id", false}, {"username", true}, {"start", false}, {"end", false}},
}

type column struct {
	name     string
	required bool
}

// Columns lists a kind's columns, for the upload page and the docs.
func Columns(kind string) (required, optional []string) {
	for _, c := range columns[kind] {
		if c.required {
			required = append(required, c.name)
		} else {
			optional = append(optional, c.name)
		}
	}
	return required, optional
}

// fieldColumns maps the services' field names to each kind's columns.
var fieldColumns = map[string]map[string]string{
	People: {"Given name": "given_name", "Family name": "family_name", "Preferred name": "preferred_name", "Date of birth": "date_of_birth",
		"NHS number": "nhs_number", "Sex": "sex", "Gender": "gender", "Address": "address", "Postcode": "postcode",
		"GP practice": "gp_practice", "Start of care": "start_of_care", "Location": "location"},
	Staff: {"Username": "username", "Name": "name", "Email": "email", "Role": "role", "Locations": "locations"},
	Teams: {"NHS number": "nhs_number", "Person": "person_id", "Username": "username", "Start": "start", "End": "end"},
}

// Import reads f as a file of kind and imports it. Whatever the file holds
// (garbage included) the import is decided and audited first; problems in
// the file refuse it whole, reported with row, column and rule.
func (s *Service) Import(ctx context.Context, actor door.Actor, kind string, f File, opts Options) (Result, error) {
	res := Result{Kind: kind, DryRun: opts.DryRun}
	name := f.Name
	if name == "" {
		name = "a file"
	}
	var fileProblems []Problem
	var table [][]string
	var header map[string]int
	if _, ok := columns[kind]; !ok {
		fileProblems = append(fileProblems, Problem{Rule: "Choose what the file holds: people, staff or care teams"})
		kind = ""
	}
	switch {
	case f.Name == "" && len(f.Data) == 0:
		fileProblems = append(fileProblems, Problem{Rule: "Choose a CSV file to import"})
	case kind != "":
		table, header, fileProblems = read(f.Data, kind)
	}
	switch kind {
	case Staff:
		return s.importStaff(ctx, actor, res, name, table, header, fileProblems, opts)
	case Teams:
		rows, problems := teamRows(table, header)
		r, err := s.people.ImportTeams(ctx, actor, rows, toPeopleProblems(append(fileProblems, problems...)),
			people.ImportOptions{DryRun: opts.DryRun, Source: name, Progress: opts.Progress})
		return finish(res, r, Teams, err)
	}
	rows, problems := personRows(table, header)
	what := People
	if kind == "" {
		what = "an unknown kind of file"
	}
	r, err := s.people.ImportPeople(ctx, actor, rows, toPeopleProblems(append(fileProblems, problems...)),
		people.ImportOptions{DryRun: opts.DryRun, Source: name + " (" + what + ")", Progress: opts.Progress})
	return finish(res, r, kind, err)
}

// finish turns the service's answer into the import's, with problems named
// by column.
func finish(res Result, r people.ImportResult, kind string, err error) (Result, error) {
	res.Rows, res.Created = r.Rows, r.Created
	for _, p := range r.Problems {
		res.Problems = append(res.Problems, Problem{Row: p.Row, Column: p.Field, Rule: p.Message})
	}
	res.Problems = named(kind, res.Problems)
	if errors.Is(err, people.ErrImportRefused) {
		return res, ErrRefused
	}
	return res, err
}

// named sorts problems by row and names each by its column. A cell the
// reader could not read (a date that is not a date) is reported once, by
// the reader: the rules' "enter the date of birth" for the same cell would
// be a second, wrong message. Problems' Column holds the service's field
// name, or "col:" and a column for the reader's own.
func named(kind string, ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int { return a.Row - b.Row })
	read := map[string]bool{}
	out := make([]Problem, 0, len(ps))
	for _, p := range ps {
		col := columnOf(kind, p.Column)
		key := fmt.Sprint(p.Row, "\x00", col)
		if strings.HasPrefix(p.Column, "col:") {
			read[key] = true
		} else if read[key] && col != "" {
			continue
		}
		out = append(out, Problem{Row: p.Row, Column: col, Rule: p.Rule})
	}
	return out
}

func columnOf(kind, field string) string {
	if c, ok := fieldColumns[kind][field]; ok {
		return c
	}
	if strings.HasPrefix(field, "col:") {
		return strings.TrimPrefix(field, "col:")
	}
	return ""
}

// toPeopleProblems carries problems found reading the file into the
// service, which reports them after deciding the import.
func toPeopleProblems(ps []Problem) []people.RowProblem {
	out := make([]people.RowProblem, 0, len(ps))
	for _, p := range ps {
		field := ""
		if p.Column != "" {
			field = "col:" + p.Column
		}
		out = append(out, people.RowProblem{Row: p.Row, Field: field, Message: p.Rule})
	}
	return out
}

// read checks the file is UTF-8 CSV with a header naming kind's columns,
// and returns its rows (header first) and where each column is.
func read(data []byte, kind string) ([][]string, map[string]int, []Problem) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark, as spreadsheets save
	switch {
	case len(data) > MaxFileBytes:
		return nil, nil, []Problem{{Rule: fmt.Sprintf("The file is too large: the limit is %d MB", MaxFileBytes>>20)}}
	case len(bytes.TrimSpace(data)) == 0:
		return nil, nil, []Problem{{Rule: "The file is empty"}}
	case bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data):
		return nil, nil, []Problem{{Rule: "The file is not a CSV file of UTF-8 text. Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"}}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var table [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			rule := "This is not a CSV file Hearth can read"
			if errors.As(err, &pe) {
				rule = fmt.Sprintf("This is not a CSV file Hearth can read: %s (line %d)", pe.Err, pe.StartLine)
			}
			return nil, nil, []Problem{{Row: len(table) + 1, Rule: rule}}
		}
		table = append(table, rec)
	}
	header := map[string]int{}
	var problems []Problem
	known := map[string]bool{}
	for _, c := range columns[kind] {
		known[c.name] = true
	}
	for i, h := range table[0] {
		name := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(h)))
		switch {
		case name == "":
			continue
		case !known[name]:
			problems = append(problems, Problem{Row: 1, Column: h, Rule: "Hearth does not know this column: " + knownList(kind)})
		default:
			if _, twice := header[name]; twice {
				problems = append(problems, Problem{Row: 1, Column: h, Rule: "This column is named twice"})
				continue
			}
			header[name] = i
		}
	}
	for _, c := range columns[kind] {
		if _, ok := header[c.name]; c.required && !ok {
			problems = append(problems, Problem{Row: 1, Column: c.name, Rule: "The first row must name this column: " + knownList(kind)})
		}
	}
	if kind == Teams {
		_, nhs := header["nhs_number"]
		_, id := header["person_id"]
		if !nhs && !id {
			problems = append(problems, Problem{Row: 1, Column: "nhs_number", Rule: "The first row must name nhs_number (or person_id)"})
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	for i, rec := range table[1:] {
		if len(rec) != len(table[0]) && !(len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			return nil, nil, []Problem{{Row: i + 2, Rule: fmt.Sprintf("This row has %d values but the first row names %d columns", len(rec), len(table[0]))}}
		}
	}
	return table, header, nil
}

func knownList(kind string) string {
	req, opt := Columns(kind)
	s := "the columns are " + strings.Join(req, ", ")
	if len(opt) > 0 {
		s += " and, if you have them, " + strings.Join(opt, ", ")
	}
	return s + " (docs/import.md)"
}

// cell is one value of a row, trimmed, or "" when the column is absent.
func cell(rec []string, header map[string]int, name string) string {
	i, ok := header[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// date reads a UK date from a cell; an empty cell is the zero time.
func date(rec []string, header map[string]int, name string, row int, problems *[]Problem) time.Time {
	v := cell(rec, header, name)
	if v == "" {
		return time.Time{}
	}
	t, ok := hearth.ParseUKDate(v)
	if !ok {
		*problems = append(*problems, Problem{Row: row, Column: name, Rule: fmt.Sprintf("%q is not a date: write it day/month/year, such as 14/06/1941", v)})
	}
	return t
}

// dataRows are the rows after the header, with their spreadsheet numbers,
// blank lines left out.
func dataRows(table [][]string) ([][]string, []int) {
	var rows [][]string
	var nums []int
	for i, rec := range table {
		if i == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		rows = append(rows, rec)
		nums = append(nums, i+1)
	}
	return rows, nums
}

var sexes = map[string]string{"f": "female", "female": "female", "m": "male", "male": "male", "other": "other", "unknown": "unknown",
	"not known": "unknown", "u": "unknown", "": ""}

func personRows(table [][]string, header map[string]int) ([]people.PersonRow, []Problem) {
	recs, nums := dataRows(table)
	out := make([]people.PersonRow, 0, len(recs))
	var problems []Problem
	for i, rec := range recs {
		row := nums[i]
		sex, ok := sexes[strings.ToLower(cell(rec, header, "sex"))]
		if !ok {
			sex = cell(rec, header, "sex") // refused by the rules, naming the column
		}
		out = append(out, people.PersonRow{Row: row, Location: cell(rec, header, "location"), Person: people.NewPerson{
			GivenName: cell(rec, header, "given_name"), FamilyName: cell(rec, header, "family_name"),
			PreferredName: cell(rec, header, "preferred_name"), DateOfBirth: date(rec, header, "date_of_birth", row, &problems),
			NHSNumber: cell(rec, header, "nhs_number"), Sex: sex, Gender: cell(rec, header, "gender"), Address: cell(rec, header, "address"),
			Postcode: cell(rec, header, "postcode"), GPPractice: cell(rec, header, "gp_practice"),
			CareStartsOn: date(rec, header, "start_of_care", row, &problems)}})
	}
	return out, problems
}

func teamRows(table [][]string, header map[string]int) ([]people.TeamRow, []Problem) {
	recs, nums := dataRows(table)
	out := make([]people.TeamRow, 0, len(recs))
	var problems []Problem
	for i, rec := range recs {
		row := nums[i]
		out = append(out, people.TeamRow{Row: row, NHSNumber: cell(rec, header, "nhs_number"), PersonID: cell(rec, header, "person_id"),
			Username: cell(rec, header, "username"), Starts: date(rec, header, "start", row, &problems), Ends: date(rec, header, "end", row, &problems)})
	}
	return out, problems
}

func parseRole(s string) access.Role {
	if r := access.ParseRole(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))); r != access.RoleNone {
		return r
	}
	for _, r := range access.Roles() {
		if strings.EqualFold(r.Title(), strings.TrimSpace(s)) {
			return r
		}
	}
	return access.RoleNone
}

func (s *Service) importStaff(ctx context.Context, actor door.Actor, res Result, name string, table [][]string, header map[string]int,
	fileProblems []Problem, opts Options) (Result, error) {
	recs, nums := dataRows(table)
	rows := make([]accounts.StaffRow, 0, len(recs))
	var earlier []accounts.StaffProblem
	for _, p := range fileProblems {
		earlier = append(earlier, accounts.StaffProblem{Row: p.Row, Field: "col:" + p.Column, Message: p.Rule})
	}
	for i, rec := range recs {
		role := parseRole(cell(rec, header, "role"))
		if role == access.RoleNone && cell(rec, header, "role") != "" {
			earlier = append(earlier, accounts.StaffProblem{Row: nums[i], Field: "col:role",
				Message: fmt.Sprintf("%q is not a role: use care worker, senior carer, nurse, registered manager, information governance lead or administrator", cell(rec, header, "role"))})
		}
		var locs []string
		for _, l := range strings.Split(cell(rec, header, "locations"), ";") {
			if l = strings.TrimSpace(l); l != "" {
				locs = append(locs, l)
			}
		}
		rows = append(rows, accounts.StaffRow{Row: nums[i], Locations: locs, Invitation: accounts.NewInvitation{Username: cell(rec, header, "username"),
			DisplayName: cell(rec, header, "name"), Email: cell(rec, header, "email"), Role: role}})
	}
	locs, err := s.people.Locations(ctx)
	if err != nil {
		return res, err
	}
	ids := map[string]string{}
	for _, l := range locs {
		if l.Open() {
			ids[strings.ToLower(l.Name)] = l.ID
			ids[strings.ToLower(l.ID)] = l.ID
		}
	}
	by := accounts.Actor{ID: actor.ID, Name: actor.Name, Role: actor.Role.String(), Kind: actor.Kind.String()}
	meta := opts.Meta
	if meta.ClientAddr == "" {
		meta = accounts.Meta{ClientAddr: actor.ClientAddr, RequestID: actor.RequestID}
	}
	invited, problems, err := s.accounts.ImportStaff(ctx, by, rows, earlier, ids,
		accounts.StaffImport{DryRun: opts.DryRun, Source: name, Progress: opts.Progress}, meta)
	res.Rows, res.Created, res.Invited = len(rows), len(invited), invited
	for _, p := range problems {
		res.Problems = append(res.Problems, Problem{Row: p.Row, Column: p.Field, Rule: p.Message})
	}
	res.Problems = named(Staff, res.Problems)
	if errors.Is(err, accounts.ErrStaffImportRefused) {
		return res, ErrRefused
	}
	return res, err
}
