package demo_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store/storetest"
)

// Every document the demo produces about a person (their record as a copy
// of everything, and each technology use as the person's copy renders it)
// is about that person: it names no other person of the demo, by first name
// or full name, unless that name is a member of staff or a representative.
// Once Mohammed's copy said "Beryl asked for it after a fall last winter",
// which in a provider's evaluation reads as a data breach.
func TestNoPersonsDocumentsNameAnotherPersonOfTheDemo(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: storetest.DSN(t), AuditKeyFile: filepath.Join(t.TempDir(), "audit.key"), Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	res, err := demo.Seed(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// Names that may appear in anyone's documents: staff and representatives.
	allowed := map[string]bool{}
	for _, acc := range res.Accounts {
		allowed[acc.Name] = true
		allowed[strings.Fields(acc.Name)[0]] = true
	}
	var everyone []people.Person
	seen := map[string]bool{}
	docs := map[string]string{} // person ID -> everything rendered about them
	uses := 0
	for _, manager := range []string{"grace", "tomasz"} {
		u, err := a.Accounts.ByUsername(ctx, manager)
		if err != nil {
			t.Fatal(err)
		}
		actor := door.Actor{Subject: u.Subject(), Name: u.DisplayName, RequestID: "test"}
		list, err := a.People.Visible(ctx, actor)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range list {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			everyone = append(everyone, p)
			var b strings.Builder
			c, err := a.Portal.Copy(ctx, actor, p.ID)
			if err != nil {
				t.Fatalf("copy of everything for %s: %v", p.FullName(), err)
			}
			c.History = nil // who looked, by staff name: not the person's documents' words
			raw, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(raw)
			pt, err := a.Tech.PersonTechnology(ctx, actor, p.ID)
			if err != nil {
				t.Fatalf("technology for %s: %v", p.FullName(), err)
			}
			for _, use := range pt.Uses {
				pg, err := a.Tech.GetUse(ctx, actor, p.ID, use.ID, "test: the person's copy")
				if err != nil {
					t.Fatal(err)
				}
				uses++
				for _, s := range pg.Sections() {
					b.WriteString("\n" + s.Heading + "\n" + s.Text())
				}
				for _, s := range pg.EasyRead() {
					b.WriteString("\n" + s.Heading + "\n" + strings.Join(s.Lines, "\n"))
				}
			}
			docs[p.ID] = b.String()
		}
	}
	if len(everyone) != res.People {
		t.Fatalf("read %d people, the demo has %d", len(everyone), res.People)
	}
	if uses < 4 {
		t.Fatalf("read %d technology uses, the demo has 4", uses)
	}
	for _, p := range everyone {
		for _, other := range everyone {
			if other.ID == p.ID {
				continue
			}
			for _, name := range []string{other.FullName(), other.GivenName} {
				if allowed[name] || name == p.GivenName || name == p.FamilyName || name == p.PreferredName {
					continue
				}
				re := regexp.MustCompile(`(^|[^\p{L}])` + regexp.QuoteMeta(name) + `($|[^\p{L}])`)
				if loc := re.FindStringIndex(docs[p.ID]); loc != nil {
					from, to := max(0, loc[0]-80), min(len(docs[p.ID]), loc[1]+80)
					t.Errorf("%s's documents name %s: …%s…", p.FullName(), name, docs[p.ID][from:to])
				}
			}
		}
	}
}
