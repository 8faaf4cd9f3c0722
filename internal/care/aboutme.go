package care

// About Me follows the sections of the PRSB About Me standard (v2.0, March
// 2025): free text in the person's words, added to over time. Entries are
// append-only; each shows who wrote it and when, and what the person wrote
// themself (through the portal) is marked as theirs.

import (
	"context"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// AboutMeSections are the sections, in the order About Me shows them.
var AboutMeSections = []AboutMeSection{
	{Key: "please-call-me", Title: "Please call me", Hint: "The name I like to be called, and how to say it"},
	{Key: "what-matters", Title: "What matters to me", Hint: "The things and people that make a good day"},
	{Key: "important-people", Title: "People who are important to me", Hint: "Who they are, and their part in my life and care"},
	{Key: "communication", Title: "My communication", Hint: "How to talk with me, and the formats and support I need (Accessible Information Standard)"},
	{Key: "preferences", Title: "My preferences and routines", Hint: "How I like my day, my food, my care"},
	{Key: "beliefs", Title: "My religious, cultural and spiritual needs", Hint: "Faith, festivals, food, dress and customs"},
	{Key: "worries", Title: "Things that worry or upset me", Hint: "And what to do about them"},
	{Key: "stay-well", Title: "What helps me stay well", Hint: "Physically and in my mind"},
	{Key: "history", Title: "My history", Hint: "Optional: my life so far, if I want to share it"},
}

// AccessibleFormats are the Accessible Information Standard's usual needs:
// the format information must come in and the support a conversation needs.
var AccessibleFormats = []Choice{
	{"large-print", "Large print"},
	{"easy-read", "Easy read"},
	{"braille", "Braille"},
	{"bsl", "British Sign Language interpreter"},
	{"hearing-loop", "Hearing loop"},
	{"other", "Other (say below)"},
}

// AboutMeSection is one section and, when read, its entries newest first.
type AboutMeSection struct {
	Key, Title, Hint string
	Entries          []AboutMeEntry
}

// AboutMeEntry is one entry in a section.
type AboutMeEntry struct {
	ID        string
	Section   string
	Body      string
	Formats   []string // Accessible Information Standard formats (communication)
	Support   string   // support needed (communication)
	Author    EntryAuthor
	WrittenAt time.Time
}

// FormatTitles are the entry's formats in words.
func (e AboutMeEntry) FormatTitles() []string {
	out := make([]string, 0, len(e.Formats))
	for _, f := range e.Formats {
		out = append(out, recTitle(AccessibleFormats, f))
	}
	return out
}

// AboutMeDraft is a new entry.
type AboutMeDraft struct {
	Section string
	Body    string
	Formats []string
	Support string
}

// AboutMePage is everything the About Me page shows.
type AboutMePage struct {
	Person   people.Person
	Sections []AboutMeSection
	CanWrite bool
}

// AboutMe reads a person's About Me, every section, every entry.
func (s *Service) AboutMe(ctx context.Context, actor door.Actor, personID string) (AboutMePage, error) {
	var pg AboutMePage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "QuestionnaireResponse", "", "About Me")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, writeAction(actor))
		out, err := sc.Unwithheld(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			Detail: "a withheld About Me entry"}, "QuestionnaireResponse")
		if err != nil {
			return err
		}
		pg.Sections, err = aboutMeSections(ctx, sc, personID, out)
		return err
	})
	return pg, err
}

func aboutMeSections(ctx context.Context, sc *door.Scope, personID string, withheld door.Excluded) ([]AboutMeSection, error) {
	notWithheld, args := withheld.Not("id")
	rows, err := sc.Query(`SELECT id, section, body, formats, support, author_id, author_name, author_role, author_kind, written_at
		FROM about_me_entries WHERE person_id = ? AND `+notWithheld+` ORDER BY written_at DESC, id DESC`, append([]any{personID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	bySection := map[string][]AboutMeEntry{}
	for rows.Next() {
		var e AboutMeEntry
		var formats string
		if err := rows.Scan(&e.ID, &e.Section, &e.Body, &formats, &e.Support, &e.Author.ID, &e.Author.Name, &e.Author.Role,
			&e.Author.Kind, &e.WrittenAt); err != nil {
			return nil, err
		}
		if formats != "" {
			e.Formats = strings.Split(formats, ",")
		}
		bySection[e.Section] = append(bySection[e.Section], e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]AboutMeSection, len(AboutMeSections))
	for i, sec := range AboutMeSections {
		sec.Entries = bySection[sec.Key]
		out[i] = sec
	}
	return out, nil
}

// AddAboutMe adds an entry. Staff write the record (WriteRecord); the
// person and their representative contribute to their own (Contribute),
// and what they write is marked as theirs.
func (s *Service) AddAboutMe(ctx context.Context, actor door.Actor, personID string, d AboutMeDraft) (AboutMeEntry, error) {
	var e AboutMeEntry
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		e, err = s.AddAboutMeIn(sc, personID, d)
		return err
	})
	return e, err
}

// AddAboutMeIn is AddAboutMe inside a scope that holds other work too (an
// import, all or nothing): decided and audited as AddAboutMe is.
func (s *Service) AddAboutMeIn(sc *door.Scope, personID string, d AboutMeDraft) (AboutMeEntry, error) {
	var e AboutMeEntry
	actor := sc.Actor()
	a, err := sc.Allow(door.Request{Action: writeAction(actor), Purpose: people.Purpose(actor), PersonID: personID,
		ResourceType: "QuestionnaireResponse", Detail: aboutMeDetail(d.Section)})
	if err != nil {
		return e, err
	}
	if err := d.validate(); err != nil {
		return e, err
	}
	e = AboutMeEntry{ID: hearth.NewID(), Section: d.Section, Body: d.Body, Formats: d.Formats, Support: d.Support,
		Author: recAuthor(actor), WrittenAt: sc.Now()}
	a.ResourceID = e.ID
	_, err = sc.Exec(`INSERT INTO about_me_entries (id, person_id, section, body, formats, support,
		author_id, author_name, author_role, author_kind, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, personID, e.Section, e.Body, strings.Join(e.Formats, ","), e.Support, e.Author.ID, e.Author.Name,
		e.Author.Role, e.Author.Kind, e.WrittenAt)
	return e, err
}

// aboutMeDetail names the section for the audit log, never echoing input.
func aboutMeDetail(section string) string {
	if recValid(aboutMeChoices(), section) {
		return "About Me: " + recTitle(aboutMeChoices(), section)
	}
	return "About Me"
}

func aboutMeChoices() []Choice {
	out := make([]Choice, len(AboutMeSections))
	for i, sec := range AboutMeSections {
		out[i] = Choice{Value: sec.Key, Title: sec.Title}
	}
	return out
}

func (d *AboutMeDraft) validate() error {
	var p hearth.Problems
	p.Check(recValid(aboutMeChoices(), d.Section), "Section", "Choose which part of About Me this is for")
	var formats []string
	seen := map[string]bool{}
	for _, f := range d.Formats {
		if f == "" || seen[f] {
			continue
		}
		if !recValid(AccessibleFormats, f) {
			p.Add("Formats", "Choose formats from the list")
			break
		}
		seen[f] = true
		formats = append(formats, f)
	}
	d.Formats = formats
	if d.Section != "communication" && (len(d.Formats) > 0 || strings.TrimSpace(d.Support) != "") {
		p.Add("Formats", "Formats and support needed belong in 'My communication'")
	}
	recText(&p, "Support needed", &d.Support, false, MaxShort*5, "")
	recText(&p, "What to add", &d.Body, len(d.Formats) == 0 && d.Support == "", MaxText, "Write what to add, in the person's own words where you can")
	return p.Err()
}
