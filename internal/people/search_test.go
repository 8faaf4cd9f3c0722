package people_test

import (
	"fmt"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/people"
)

func TestFoldingMakesNamesFindableWithoutAccentsOrCase(t *testing.T) {
	for in, want := range map[string]string{
		"Siân":           "sian",
		"Seán Ó Briain":  "sean o briain",
		"O'Brien":        "obrien",
		"Smith-Jones":    "smithjones",
		"Zoë  Łukasz":    "zoe lukasz",
		"Straße":         "strasse",
		"  Gwenllïan  ":  "gwenllian",
		"ÆTHELFLÆD Ødeg": "aethelflaed odeg",
	} {
		if got := people.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSearchFindsPeopleByPartOfANameNHSNumberOrDateOfBirth(t *testing.T) {
	s := apptest.NewScenario(t)
	sian, err := s.People.Register(s.Ctx, s.Manager.Actor, people.NewPerson{LocationID: s.Home.ID, GivenName: "Siân", FamilyName: "Llewellyn",
		PreferredName: "Nain", DateOfBirth: time.Date(1938, 2, 14, 0, 0, 0, 0, time.UTC), NHSNumber: "401 023 2137"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, text string
		want       []string
		by         string
	}{
		{"part of a name, without the accent", "sian", []string{"Siân"}, "name"},
		{"part of a family name, in capitals", "LLEW", []string{"Siân"}, "name"},
		{"what she likes to be called", "nain", []string{"Siân"}, "name"},
		{"two parts of a name, in any order", "jon ann", []string{"Ann"}, "name"},
		{"an NHS number with spaces", "401 023 2137", []string{"Siân"}, "nhs-number"},
		{"an NHS number without spaces", "9434765919", []string{"Ann"}, "nhs-number"},
		{"a date of birth as typed in the UK", "14/02/1938", []string{"Siân"}, "date-of-birth"},
		{"a date of birth without leading zeros", "14/6/1941", []string{"Ann"}, "date-of-birth"},
		{"a name nobody has", "zebedee", nil, "name"},
		{"a wildcard is only a character", "%", nil, "name"},
		{"nothing lists everyone", "", []string{"Ann", "Siân"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range res.People {
				got = append(got, p.GivenName)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || res.Total != len(tc.want) || res.By != tc.by {
				t.Fatalf("found %v (total %d, by %q), want %v by %q", got, res.Total, res.By, tc.want, tc.by)
			}
		})
	}
	// Only people the actor may see are candidates: the care worker on
	// Ann's team does not find Siân, whatever they type.
	res, err := s.People.Search(s.Ctx, s.Carer.Actor, people.Query{Text: "sian"})
	if err != nil || res.Total != 0 {
		t.Fatalf("the care worker finds %d (%v)", res.Total, err)
	}
	res, err = s.People.Search(s.Ctx, s.OtherCarer.Actor, people.Query{})
	if err != nil || res.Total != 0 {
		t.Fatalf("a care worker on no team finds %d (%v)", res.Total, err)
	}
	// A search result is a read of each person it shows, audited as such.
	before := s.Count(`SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND action = 'view-person'`, sian.ID)
	if _, err := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "llewellyn"}); err != nil {
		t.Fatal(err)
	}
	if after := s.Count(`SELECT COUNT(*) FROM audit_events WHERE person_id = ? AND action = 'view-person' AND detail = 'search result'`, sian.ID); after != before+1 {
		t.Errorf("the search result was not audited as a read of Siân (%d -> %d)", before, after)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'list-people' AND detail LIKE '%4010232137%'`); n != 0 {
		t.Error("the NHS number searched for is written in the audit log")
	}
}

func TestSearchIsFilteredByLocationAndPagedWithATotal(t *testing.T) {
	s := apptest.NewScenario(t)
	elm := s.Location("Elm Court", people.NursingHome)
	deputy := s.Staff("deputy", access.RegisteredManager, s.Home, elm)
	for i := range 45 {
		loc := s.Home
		if i%3 == 0 {
			loc = elm
		}
		if _, err := s.People.Register(s.Ctx, deputy.Actor, people.NewPerson{LocationID: loc.ID, GivenName: fmt.Sprintf("Person%02d", i),
			FamilyName: "Price", DateOfBirth: time.Date(1950, 1, 1+i%28, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.People.Search(s.Ctx, deputy.Actor, people.Query{Text: "price", LocationID: elm.ID})
	if err != nil || res.Total != 15 {
		t.Fatalf("at Elm Court: %d (%v)", res.Total, err)
	}
	seen := map[string]bool{}
	for offset := 0; offset < 46; offset += 20 {
		res, err := s.People.Search(s.Ctx, deputy.Actor, people.Query{Offset: offset, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 46 {
			t.Fatalf("total %d, want 46 (Ann and 45 Prices)", res.Total)
		}
		for _, p := range res.People {
			if seen[p.ID] {
				t.Fatalf("%s shown on two pages", p.FullName())
			}
			seen[p.ID] = true
		}
	}
	if len(seen) != 46 {
		t.Fatalf("the pages together showed %d people, want 46", len(seen))
	}
	if res, _ := s.People.Search(s.Ctx, deputy.Actor, people.Query{Limit: 5000}); res.Limit != people.MaxPage || len(res.People) != 46 {
		t.Errorf("asked for 5000 to a page: pages of %d, %d shown", res.Limit, len(res.People))
	}
}

// People written before the search key existed are found once Hearth
// starts: the key is filled in from their names, and nothing of theirs
// changes.
func TestPeopleWrittenBeforeTheSearchKeyAreFoundAfterAStart(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.DB.Exec(s.Ctx, `UPDATE people SET search_key = '' WHERE id = ?`, s.Ann.ID); err != nil {
		t.Fatal(err)
	}
	if res, _ := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "ann"}); res.Total != 0 {
		t.Fatal("found without a key")
	}
	n, err := s.People.RefreshSearchKeys(s.Ctx)
	if err != nil || n != 1 {
		t.Fatalf("refreshed %d (%v)", n, err)
	}
	if res, _ := s.People.Search(s.Ctx, s.Manager.Actor, people.Query{Text: "ann"}); res.Total != 1 {
		t.Fatal("not found after the refresh")
	}
	p, _ := s.People.Get(s.Ctx, s.Manager.Actor, s.Ann.ID)
	if p.GivenName != "Ann" || p.FamilyName != "Jones" {
		t.Fatalf("the refresh changed her name: %+v", p)
	}
}
