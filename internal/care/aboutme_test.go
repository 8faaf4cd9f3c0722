package care_test

import (
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/door"
)

func TestAboutMeEntriesShowWhoWroteThemAndWhatThePersonWroteIsMarkedAsTheirs(t *testing.T) {
	s := apptest.NewScenario(t)
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: "what-matters", Body: "Her cat, Smudge"}); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(60e9)
	if _, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, care.AboutMeDraft{Section: "communication",
		Body: "Speak clearly, face me", Formats: []string{"large-print", "hearing-loop"}, Support: "Check my hearing aid is in"}); err != nil {
		t.Fatal(err)
	}
	// Ann herself, through the portal: the portal's fact source says a
	// person account is the person; this test stands in for it.
	s.Door.AddSource(selfSource{})
	ann := door.Actor{Subject: access.Subject{ID: s.Ann.ID, Kind: access.KindPerson}, Name: "Ann Jones", RequestID: "test"}
	s.Clock.Advance(60e9)
	if _, err := s.Care.AddAboutMe(s.Ctx, ann, s.Ann.ID, care.AboutMeDraft{Section: "what-matters", Body: "My garden and my grandchildren"}); err != nil {
		t.Fatal(err)
	}
	pg, err := s.Care.AboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Sections) != len(care.AboutMeSections) || !pg.CanWrite {
		t.Fatalf("sections: %d", len(pg.Sections))
	}
	var matters, comm care.AboutMeSection
	for _, sec := range pg.Sections {
		switch sec.Key {
		case "what-matters":
			matters = sec
		case "communication":
			comm = sec
		}
	}
	if len(comm.Entries) != 1 || strings.Join(comm.Entries[0].FormatTitles(), ",") != "Large print,Hearing loop" ||
		comm.Entries[0].Support != "Check my hearing aid is in" {
		t.Fatalf("communication: %+v", comm.Entries)
	}
	// The person's own entry is first (newest) and marked as theirs.
	if len(matters.Entries) != 2 || !matters.Entries[0].Author.Own() || matters.Entries[1].Author.Own() ||
		matters.Entries[1].Author.Name != s.Carer.DisplayName {
		t.Fatalf("what matters: %+v", matters.Entries)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'contribute' AND decision = 'permit' AND purpose = 'own-record'`, s.Ann.ID); n != 1 {
		t.Fatalf("the person's contribution is not audited as contribute: %d", n)
	}
}

// selfSource says a person account whose ID is the person's is that person.
type selfSource struct{}

func (selfSource) LoadFacts(_ *door.Scope, q door.FactQuery, f *access.Facts) error {
	if q.Actor.Kind == access.KindPerson && q.Actor.ID == q.PersonID {
		f.Self = true
	}
	return nil
}

func TestAboutMeRefusesFormatsOutsideCommunicationAndOverLongText(t *testing.T) {
	s := apptest.NewScenario(t)
	cases := []struct {
		name, field, want string
		d                 care.AboutMeDraft
	}{
		{"an unknown section", "Section", "Choose which part", care.AboutMeDraft{Section: "horoscope", Body: "x"}},
		{"formats outside communication", "Formats", "belong in 'My communication'", care.AboutMeDraft{Section: "worries", Body: "x", Formats: []string{"braille"}}},
		{"an unknown format", "Formats", "Choose formats from the list", care.AboutMeDraft{Section: "communication", Formats: []string{"telepathy"}}},
		{"text over the limit", "What to add", "4000 characters or fewer", care.AboutMeDraft{Section: "history", Body: strings.Repeat("é", 4001)}},
		{"nothing written", "What to add", "Write what to add", care.AboutMeDraft{Section: "history"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Care.AddAboutMe(s.Ctx, s.Carer.Actor, s.Ann.ID, c.d)
			if !strings.Contains(problem(err, c.field), c.want) {
				t.Fatalf("want %s: %q, got %v", c.field, c.want, err)
			}
		})
	}
	if n := s.Count(`SELECT COUNT(*) FROM about_me_entries`); n != 0 {
		t.Fatalf("refused entries stored: %d", n)
	}
}
