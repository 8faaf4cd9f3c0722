package imports

import (
	"testing"
)

// FuzzRead feeds read, and the row readers after it, whatever bytes an
// upload could hold. Whatever the file, read either refuses it with at
// least one problem or returns a table whose header names every required
// column and whose rows are as wide as the header (or blank), and the row
// readers never panic on that table.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"given_name,family_name,date_of_birth,nhs_number,location\nAnn,Smith,1940-01-02,9434765919,Rowan House\n",
		"\xef\xbb\xbfusername,name,role,locations\njo,Jo Bloggs,carer,Rowan House\n",
		"nhs_number,username,start\n9434765919,jo,2026-01-01\n,,\n",
		"a,\"b\nc\",d\n",
		"\"unterminated",
		"given_name,given_name\n",
		"\x00\x01",
		"",
	} {
		f.Add([]byte(seed), People)
		f.Add([]byte(seed), Staff)
		f.Add([]byte(seed), Teams)
	}
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		if _, ok := columns[kind]; !ok {
			return
		}
		table, header, problems := read(data, kind)
		if len(problems) > 0 {
			if table != nil {
				t.Fatalf("read refused the file (%v) yet returned a table", problems)
			}
			for _, p := range problems {
				if p.Rule == "" {
					t.Fatalf("a problem without a rule: %+v", p)
				}
			}
			return
		}
		if len(table) == 0 {
			t.Fatal("read accepted a file with no header row")
		}
		for _, c := range columns[kind] {
			if i, ok := header[c.name]; ok && (i < 0 || i >= len(table[0])) {
				t.Fatalf("column %s at %d is outside the header of %d", c.name, i, len(table[0]))
			} else if c.required && !ok {
				t.Fatalf("read accepted a file without the required column %s", c.name)
			}
		}
		for n, rec := range table[1:] {
			if len(rec) != len(table[0]) && !(len(rec) == 1) {
				t.Fatalf("row %d has %d values, header %d", n+2, len(rec), len(table[0]))
			}
		}
		switch kind {
		case Teams:
			teamRows(table, header)
		default:
			personRows(table, header)
		}
	})
}
