package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/internal/apptest"
	"hearth/internal/web"
)

// hostile is text a careless system would run or render: SQL metacharacters
// and markup. Hearth must store it verbatim and always show it escaped.
const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>'; DROP TABLE people;-- " OR 1=1 --`

// fieldNames are the form fields Hearth's forms use; every POST route gets all
// of them filled with hostile text.
var fieldNames = []string{"username", "password", "code", "nhs_number", "reason", "note", "text", "title", "name",
	"given_name", "family_name", "detail", "outcome", "words", "category", "how", "information", "recipient", "body"}

func TestHostileTextInEveryFieldIsNeverRunNorBreaksAnything(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	form := url.Values{}
	for _, f := range fieldNames {
		form.Set(f, hostile)
	}
	for _, rt := range s.Web.Routes() {
		if rt.Method != http.MethodPost {
			continue
		}
		for _, who := range []apptest.Staff{s.Carer, s.Manager} {
			c := s.Client(srv.URL)
			c.SignIn(who)
			path := strings.NewReplacer("{id}", s.Ann.ID, "{$}", "").Replace(rt.Path)
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if rt.Access == web.Public {
				c.Get("/signin") // a fresh token for the sign-in forms
			}
			r := c.Post(path, f)
			if r.Status >= 500 {
				t.Errorf("POST %s as %s with hostile text: status %d", rt.Path, who.Username, r.Status)
			}
			if strings.Contains(r.Body, "<script>alert") || strings.Contains(r.Body, "<img src=x") {
				t.Errorf("POST %s as %s echoed hostile markup unescaped", rt.Path, who.Username)
			}
		}
	}
	// The people table is still there, and still holds Ann.
	if n := s.Count(`SELECT COUNT(*) FROM people WHERE id = ?`, s.Ann.ID); n != 1 {
		t.Fatal("Ann's record is gone")
	}
}

func TestASignInUsernameWithMarkupIsShownBackEscaped(t *testing.T) {
	s := apptest.NewScenario(t)
	c := s.Client(s.Server().URL)
	c.Get("/signin")
	r := c.Post("/signin", url.Values{"username": {hostile}, "password": {"whatever it is"}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("got %d", r.Status)
	}
	if strings.Contains(r.Body, "<script>alert") || !strings.Contains(r.Body, "&lt;script&gt;alert") {
		t.Fatal("the username was not shown back escaped")
	}
}
