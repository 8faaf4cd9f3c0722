package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/imports"
	"hearth/internal/people"
)

// upload sends a file to the import page as a browser does.
func upload(t *testing.T, c *apptest.Client, kind, name string, data []byte, dry bool) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", c.CSRF())
	_ = mw.WriteField("kind", kind)
	if dry {
		_ = mw.WriteField("dry_run", "yes")
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.Base+"/admin/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func thousandPeople(bad int) []byte {
	var b bytes.Buffer
	b.WriteString("given_name,family_name,date_of_birth,location\n")
	for i := range 1000 {
		dob := fmt.Sprintf("%02d/%02d/19%02d", 1+i%28, 1+i%12, 30+i%60)
		if i+2 == bad {
			dob = "1950-13-45"
		}
		fmt.Fprintf(&b, "Person%04d,Price,%s,Rowan House\n", i, dob)
	}
	return b.Bytes()
}

func TestTheImportPageRefusesBadFilesPlainlyAndImportsGoodOnesWhole(t *testing.T) {
	s := apptest.NewScenario(t)
	admin := s.Staff("admin", access.Administrator)
	srv := s.Server()
	c := s.Client(srv.URL)
	c.SignIn(admin)
	if r := c.Get("/admin/import"); r.Status != http.StatusOK || !strings.Contains(r.Body, "<code>given_name</code>") {
		t.Fatalf("the import page: %d", r.Status)
	}
	cases := []struct {
		name   string
		file   string
		data   []byte
		status int
		want   string
	}{
		{"one bad row among a thousand", "people.csv", thousandPeople(502), http.StatusUnprocessableEntity,
			`people.csv has 1 problem, so nothing was imported`},
		{"a file that is not CSV", "photo.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), http.StatusUnprocessableEntity, "The file is not a CSV file of UTF-8 text"},
		{"an empty file", "empty.csv", []byte{}, http.StatusUnprocessableEntity, "The file is empty"},
		{"no file at all", "", nil, http.StatusUnprocessableEntity, "Choose a CSV file to import"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := upload(t, c, imports.People, tc.file, tc.data, false)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want %d and %q\n%s", status, tc.status, tc.want, body)
			}
		})
	}
	_, body := upload(t, c, imports.People, "people.csv", thousandPeople(502), false)
	if !strings.Contains(body, ">502</td>") || !strings.Contains(body, "date_of_birth") || !strings.Contains(body, `&#34;1950-13-45&#34; is not a date`) {
		t.Errorf("the bad row is not named by row and column:\n%s", body)
	}
	if n := s.Count(`SELECT COUNT(*) FROM people`); n != 1 {
		t.Fatalf("refused files imported %d people", n-1)
	}

	// Over the size limit: a file just over is read and refused; one far
	// over is refused before it is read. Both say so plainly.
	big := bytes.Repeat([]byte("a,b,c,d\n"), imports.MaxFileBytes/8+1024)
	status, body := upload(t, c, imports.People, "big.csv", big, false)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "The file is too large: the limit is 16 MB") {
		t.Fatalf("a file just over the limit: %d\n%s", status, body)
	}
	huge := bytes.Repeat([]byte("a,b,c,d\n"), imports.MaxFileBytes/4)
	status, body = upload(t, c, imports.People, "huge.csv", huge, false)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large: the limit is 16 MB") {
		t.Fatalf("a file far over the limit: %d\n%s", status, body)
	}

	status, body = upload(t, c, imports.People, "people.csv", thousandPeople(0), true)
	if status != http.StatusOK || !strings.Contains(body, "people.csv is ready: 1000 rows would be imported. Nothing was changed.") {
		t.Fatalf("a dry run: %d\n%s", status, body)
	}
	status, body = upload(t, c, imports.People, "people.csv", thousandPeople(0), false)
	if status != http.StatusOK || !strings.Contains(body, "Imported 1000 rows from people.csv") {
		t.Fatalf("the import: %d\n%s", status, body)
	}
	res, err := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "price"})
	if err != nil || res.Total != 1000 {
		t.Fatalf("after the import the manager finds %d (%v)", res.Total, err)
	}

	// A registered manager is refused, and told why.
	m := s.Client(srv.URL)
	m.SignIn(s.Manager)
	if r := m.Get("/admin/import"); r.Status != http.StatusForbidden {
		t.Errorf("a registered manager opens the import page: %d", r.Status)
	}
}
