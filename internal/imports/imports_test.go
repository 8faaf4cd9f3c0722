package imports_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/imports"
	"hearth/internal/people"
)

const peopleHeader = "given_name,family_name,preferred_name,date_of_birth,nhs_number,sex,gender,address,postcode,gp_practice,location,start_of_care\n"

// nhs makes the ith valid NHS number in the 999 test range.
func nhs(i int) string {
	for n := i; ; n++ {
		nine := fmt.Sprintf("999%06d", n)
		if d := people.CheckDigit(nine); d >= 0 {
			return fmt.Sprintf("%s%d", nine, d)
		}
	}
}

// peopleCSV is n people at Rowan House with distinct NHS numbers.
func peopleCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString(peopleHeader)
	used := map[string]bool{}
	next := 0
	for i := range n {
		num := nhs(next)
		for used[num] {
			next++
			num = nhs(next)
		}
		used[num] = true
		next++
		fmt.Fprintf(&b, "Person%05d,Jones,,%02d/%02d/19%02d,%s,female,Woman,\"%d High Street, Leeds\",LS1 1AA,Park Surgery,Rowan House,01/03/2026\n",
			i, 1+i%28, 1+i%12, 30+i%60, num, i)
	}
	return b.Bytes()
}

func TestOneBadRowAmongAThousandIsNamedAndNothingIsImported(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	data := peopleCSV(1000)
	lines := strings.Split(string(data), "\n")
	// Row 638 of the spreadsheet (the header is row 1): 30 February.
	fields := strings.Split(lines[637], ",")
	fields[3] = "30/02/1950"
	lines[637] = strings.Join(fields, ",")
	bad := []byte(strings.Join(lines, "\n"))
	before := s.Count(`SELECT COUNT(*) FROM people`)
	for _, dry := range []bool{true, false} {
		res, err := s.Imports.Import(s.Ctx, admin.Actor, imports.People, imports.File{Name: "people.csv", Data: bad}, imports.Options{DryRun: dry})
		if hearth.KindOf(err) != hearth.KindInvalid {
			t.Fatalf("dry run %v: %v", dry, err)
		}
		if len(res.Problems) != 1 || res.Problems[0].Row != 638 || res.Problems[0].Column != "date_of_birth" ||
			!strings.Contains(res.Problems[0].Rule, `"30/02/1950" is not a date`) {
			t.Fatalf("dry run %v: problems %v", dry, res.Problems)
		}
		if res.Problems[0].String() != `Row 638, column date_of_birth: "30/02/1950" is not a date: write it day/month/year, such as 14/06/1941` {
			t.Errorf("the problem reads %q", res.Problems[0])
		}
		if after := s.Count(`SELECT COUNT(*) FROM people`); after != before || res.Created != 0 {
			t.Fatalf("dry run %v imported %d people", dry, after-before)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'import-records' AND resource_type = 'Import' AND outcome = 'invalid'`); n != 2 {
		t.Errorf("%d refused imports audited, want 2", n)
	}
}

func TestAGoodFileIsImportedWholeAndAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	data := append([]byte("\xef\xbb\xbf"), peopleCSV(50)...) // a byte-order mark, as Excel saves
	res, err := s.Imports.Import(s.Ctx, admin.Actor, imports.People, imports.File{Name: "people.csv", Data: data}, imports.Options{DryRun: true})
	if err != nil || res.Rows != 50 || res.Created != 0 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM people`); n != 1 {
		t.Fatalf("the dry run imported %d people", n-1)
	}
	var done int
	res, err = s.Imports.Import(s.Ctx, admin.Actor, imports.People, imports.File{Name: "people.csv", Data: data},
		imports.Options{Progress: func(d, total int) { done = d }})
	if err != nil || res.Created != 50 || done != 50 {
		t.Fatalf("import: %+v %v (progress %d)", res, err, done)
	}
	if n := s.Count(`SELECT COUNT(*) FROM people WHERE given_name LIKE 'Person%' AND location_id = ? AND gp_practice = 'Park Surgery'`, s.Home.ID); n != 50 {
		t.Fatalf("%d people imported", n)
	}
	// One event for the import, one for each person created, naming them.
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'import-records' AND resource_type = 'Import' AND outcome = 'success'`); n != 2 {
		t.Errorf("%d import events (the dry run and the import), want 2", n)
	}
	if n := s.Count(`SELECT COUNT(DISTINCT person_id) FROM audit_events WHERE action = 'import-records' AND resource_type = 'Patient' AND person_id <> ''`); n != 50 {
		t.Errorf("%d people with an audited creation, want 50", n)
	}
	p, err := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "person00007"})
	if err != nil || p.Total != 1 || p.People[0].DateOfBirth.Format("02/01/2006") != "08/08/1937" {
		t.Fatalf("an imported person: %+v %v", p, err)
	}
	// The same file again: every NHS number is now taken.
	res, err = s.Imports.Import(s.Ctx, admin.Actor, imports.People, imports.File{Name: "people.csv", Data: data}, imports.Options{})
	if hearth.KindOf(err) != hearth.KindInvalid || len(res.Problems) != 50 || res.Problems[0].Column != "nhs_number" {
		t.Fatalf("importing twice: %d problems %v", len(res.Problems), err)
	}
}

func TestFilesThatAreNotCSVAreRefusedPlainly(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	cases := []struct {
		name string
		kind string
		data []byte
		want string
	}{
		{"an empty file", imports.People, nil, "Choose a CSV file to import"},
		{"a file of nothing but a byte-order mark and blank lines", imports.People, []byte("\xef\xbb\xbf\n\n"), "The file is empty"},
		{"a picture", imports.People, png, "The file is not a CSV file of UTF-8 text"},
		{"text in another encoding (Latin-1)", imports.People, []byte(peopleHeader + "Si\xe2n,Jones\n"), "The file is not a CSV file of UTF-8 text"},
		{"a file over the size limit", imports.People, bytes.Repeat([]byte("a"), imports.MaxFileBytes+1), "The file is too large: the limit is 16 MB"},
		{"a quote left open", imports.People, []byte(peopleHeader + `Ann,"Jones,,01/01/1950` + "\n"), "This is not a CSV file Hearth can read"},
		{"a header of other columns", imports.People, []byte("name,dob\nAnn,01/01/1950\n"), "Hearth does not know this column"},
		{"a row with too few values", imports.People, []byte(peopleHeader + "Ann,Jones\n"), "This row has 2 values but the first row names 12 columns"},
		{"only a header", imports.People, []byte(peopleHeader), "There are no people in the file"},
		{"no kind of file", "", peopleCSV(1), "Choose what the file holds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := "upload.csv"
			if tc.data == nil {
				name = ""
			}
			res, err := s.Imports.Import(s.Ctx, admin.Actor, tc.kind, imports.File{Name: name, Data: tc.data}, imports.Options{})
			if hearth.KindOf(err) != hearth.KindInvalid {
				t.Fatalf("got %v", err)
			}
			var all []string
			for _, p := range res.Problems {
				all = append(all, p.String())
			}
			if !strings.Contains(strings.Join(all, "\n"), tc.want) {
				t.Fatalf("problems %q, want %q", all, tc.want)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM people`); n != 1 {
		t.Fatalf("refused files imported %d people", n-1)
	}
}

func TestOnlyTheAdministratorImports(t *testing.T) {
	s := apptest.NewScenario(t)
	for _, who := range []apptest.Staff{s.Manager, s.Carer} {
		_, err := s.Imports.Import(s.Ctx, who.Actor, imports.People, imports.File{Name: "people.csv", Data: peopleCSV(2)}, imports.Options{})
		if hearth.KindOf(err) != hearth.KindForbidden {
			t.Errorf("%s imports: %v", who.Role.Title(), err)
		}
	}
	if n := s.Count(`SELECT COUNT(*) FROM people`); n != 1 {
		t.Fatal("a refused import wrote people")
	}
}

func TestStaffAndCareTeamsAreImportedToo(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	staff := []byte("username,name,email,role,locations\n" +
		"sam.patel,Sam Patel,sam@example.org,Care worker,Rowan House\n" +
		"jo.bloggs,Jo Bloggs,,nurse,rowan house\n")
	res, err := s.Imports.Import(s.Ctx, admin.Actor, imports.Staff, imports.File{Name: "staff.csv", Data: staff}, imports.Options{})
	if err != nil || len(res.Invited) != 2 || res.Invited[0].Token == "" {
		t.Fatalf("staff: %+v %v", res, err)
	}
	if _, _, err := s.Accounts.AcceptInvitation(s.Ctx, res.Invited[0].Token, apptest.Password, accounts.Meta{}); err != nil {
		t.Fatalf("accepting an imported invitation: %v", err)
	}
	bad := []byte("username,name,role,locations\nsam.patel,Sam Again,wizard,Nowhere\n")
	res, err = s.Imports.Import(s.Ctx, admin.Actor, imports.Staff, imports.File{Name: "staff.csv", Data: bad}, imports.Options{})
	if hearth.KindOf(err) != hearth.KindInvalid || len(res.Problems) != 3 {
		t.Fatalf("bad staff: %v %v", res.Problems, err)
	}
	for i, col := range []string{"role", "locations", "username"} {
		if res.Problems[i].Row != 2 || res.Problems[i].Column != col {
			t.Errorf("problem %d: %v", i, res.Problems[i])
		}
	}

	bryn := s.Person(s.Manager, s.Home, "Bryn", "Evans", "4010232137")
	teams := []byte("nhs_number,username,start,end\n401 023 2137,sam.patel,01/03/2026,\n" + s.AnnNHS + ",sam.patel,,31/12/2026\n")
	res, err = s.Imports.Import(s.Ctx, admin.Actor, imports.Teams, imports.File{Name: "teams.csv", Data: teams}, imports.Options{})
	if err != nil || res.Created != 2 {
		t.Fatalf("teams: %+v %v", res, err)
	}
	sam, _ := s.Accounts.ByUsername(s.Ctx, "sam.patel")
	if n := s.Count(`SELECT COUNT(*) FROM care_team WHERE user_id = ? AND person_id IN (?, ?)`, sam.ID, bryn.ID, s.Ann.ID); n != 2 {
		t.Fatalf("%d memberships", n)
	}
	res, err = s.Imports.Import(s.Ctx, admin.Actor, imports.Teams, imports.File{Name: "teams.csv",
		Data: []byte("nhs_number,username\n4010232138,sam.patel\n4010232137,nobody\n4010232137,admin\n")}, imports.Options{})
	if hearth.KindOf(err) != hearth.KindInvalid || len(res.Problems) != 3 || !strings.Contains(res.Problems[2].Rule, "yourself") {
		t.Fatalf("bad teams: %v %v", res.Problems, err)
	}
}
