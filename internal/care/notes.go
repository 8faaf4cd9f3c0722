package care

// Daily notes at the point of care: a category, a few words, the time of the
// care. The time of recording is the clock's; a note written long after the
// care is flagged late, because a late note is less reliable and an
// inspector asks about them (CQC Regulation 17: contemporaneous records).
// Notes are append-only: a correction is a new note pointing at the one it
// corrects, with a reason, and both stay readable.

import (
	"context"
	"fmt"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// DefaultLateAfter is how long after the care a note may be recorded before
// it is flagged late.
const DefaultLateAfter = 2 * time.Hour

// MaxNoteAge is how far back a time of care may be: older is implausible
// for a note written at the point of care (history is imported instead).
const MaxNoteAge = 7 * 24 * time.Hour

// NoteCategories are the chips on the note form.
var NoteCategories = []Choice{
	{"personal-care", "Personal care"},
	{"eating-drinking", "Eating and drinking"},
	{"mood", "Mood and wellbeing"},
	{"activity", "Activity"},
	{"health", "Health"},
	{"medication", "Medication"},
	{"visitors", "Visitors"},
	{"other", "Other"},
}

// SetLateNoteAfter sets how long after the care a note becomes late; zero or
// less keeps the default. Called while wiring the app.
func (s *Service) SetLateNoteAfter(d time.Duration) {
	if d > 0 {
		s.lateAfter = d
	}
}

// LateNoteAfter is the threshold in force.
func (s *Service) LateNoteAfter() time.Duration {
	if s.lateAfter > 0 {
		return s.lateAfter
	}
	return DefaultLateAfter
}

// Note is one daily note.
type Note struct {
	ID          string
	PersonID    string
	Category    string
	Body        string
	CareAt      time.Time
	RecordedAt  time.Time
	Late        bool
	Imported    bool   // brought in from earlier records, not written here
	CorrectsID  string // the note this one corrects
	Reason      string // why it was corrected
	CorrectedBy string // the note that corrects this one, if any
	Author      EntryAuthor
}

// CategoryTitle is the note's category in words.
func (n Note) CategoryTitle() string { return recTitle(NoteCategories, n.Category) }

// Corrected reports whether a newer version replaces this note.
func (n Note) Corrected() bool { return n.CorrectedBy != "" }

// NoteDraft is a new note or a correction.
type NoteDraft struct {
	Category string
	Body     string
	CareAt   time.Time
	Reason   string // for a correction: why
	// Unread holds problems the adapter found reading the form (a time
	// that is not a time). They are reported after the access decision,
	// so even an unreadable form is decided and audited.
	Unread hearth.Problems
}

// NotesPage is the daily notes page.
type NotesPage struct {
	Person   people.Person
	Notes    []Note // newest care first
	Days     int
	CanWrite bool // add a note
	// CanCorrect: correct a note, which stays allowed once care has ended.
	CanCorrect bool
	LateAfter  time.Duration
	Total      int // every note in those days, of which Notes is the page from Offset
	Offset     int
	Limit      int // zero: every note
}

// Notes reads the notes whose care was in the last days days (7 when zero;
// at most a year), newest first, corrections beside what they correct.
func (s *Service) Notes(ctx context.Context, actor door.Actor, personID string, days int) (NotesPage, error) {
	return s.NotesPaged(ctx, actor, personID, days, 0, 0)
}

// NotesPaged reads a page of those notes, from offset for up to limit (all
// of them when limit is zero), with how many there are in all: the order
// is stable, so pages neither repeat nor skip a note.
func (s *Service) NotesPaged(ctx context.Context, actor door.Actor, personID string, days, offset, limit int) (NotesPage, error) {
	if days <= 0 {
		days = 7
	}
	days = min(days, 366)
	var pg NotesPage
	err := s.door.Read(ctx, actor, func(sc *door.Scope) error {
		pg = NotesPage{Days: days, LateAfter: s.LateNoteAfter(), Offset: max(offset, 0), Limit: max(limit, 0)}
		_, p, err := recOpen(sc, access.ReadRecord, personID, "Observation", "", fmt.Sprintf("daily notes, last %d days", days))
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite, pg.CanCorrect = p, recMayFor(actor, p, access.WriteRecord), recMay(actor, access.WriteRecord)
		out, err := sc.Unwithheld(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			Detail: "a withheld daily note"}, "DailyNote")
		if err != nil {
			return err
		}
		notWithheld, args := out.Not("n.id")
		where := `n.person_id = ? AND n.care_at >= ? AND ` + notWithheld
		args = append([]any{personID, sc.Now().Add(-time.Duration(days) * 24 * time.Hour)}, args...)
		if err := sc.QueryRow(`SELECT COUNT(*) FROM daily_notes n WHERE `+where, args...).Scan(&pg.Total); err != nil {
			return err
		}
		page := ""
		if pg.Limit > 0 {
			page = fmt.Sprintf(` LIMIT %d OFFSET %d`, pg.Limit, pg.Offset)
		}
		pg.Notes, err = loadNotes(sc, where, page, args...)
		return err
	})
	return pg, err
}

const noteColumns = `n.id, n.person_id, n.category, n.body, n.care_at, n.recorded_at, n.late, n.imported,
	COALESCE(n.corrects_id, ''), n.reason, COALESCE(c.id, ''), n.author_id, n.author_name, n.author_role`

// loadNotes reads the notes matching where, newest care first (a stable
// order: ties broken by when written, then ID), limited by page ("" or a
// LIMIT and OFFSET clause).
func loadNotes(sc *door.Scope, where, page string, args ...any) ([]Note, error) {
	rows, err := sc.Query(`SELECT `+noteColumns+` FROM daily_notes n LEFT JOIN daily_notes c ON c.corrects_id = n.id
		WHERE `+where+` ORDER BY n.care_at DESC, n.recorded_at DESC, n.id DESC`+page, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.ID, &n.PersonID, &n.Category, &n.Body, &n.CareAt, &n.RecordedAt, &n.Late, &n.Imported,
			&n.CorrectsID, &n.Reason, &n.CorrectedBy, &n.Author.ID, &n.Author.Name, &n.Author.Role); err != nil {
			return nil, err
		}
		n.Author.Kind = access.KindStaff.String()
		out = append(out, n)
	}
	return out, rows.Err()
}

// NoteForm opens the form to correct a note: the note and whom it is about.
func (s *Service) NoteForm(ctx context.Context, actor door.Actor, personID, noteID string) (people.Person, Note, error) {
	var p people.Person
	var n Note
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		var err error
		// A correction: still allowed once care has ended.
		if _, err = sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", ResourceID: noteID, Detail: "open a note to correct it", Correction: true}); err != nil {
			return err
		}
		if p, err = people.Load(sc, personID); err != nil {
			return err
		}
		n, err = loadNote(sc, personID, noteID)
		return err
	})
	return p, n, err
}

func loadNote(sc *door.Scope, personID, noteID string) (Note, error) {
	if !hearth.ValidID(noteID) {
		return Note{}, hearth.NotFound("That note")
	}
	list, err := loadNotes(sc, `n.person_id = ? AND n.id = ?`, "", personID, noteID)
	if err != nil {
		return Note{}, err
	}
	if len(list) == 0 {
		return Note{}, hearth.NotFound("That note")
	}
	return list[0], nil
}

// RecordNote adds a daily note. The time of care is the carer's; the time
// of recording is the clock's.
func (s *Service) RecordNote(ctx context.Context, actor door.Actor, personID string, d NoteDraft) (Note, error) {
	var n Note
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", Detail: "daily note"})
		if err != nil {
			return err
		}
		if err := d.validate(sc.Now(), false); err != nil {
			return err
		}
		n, err = s.insertNote(sc, personID, d, "")
		a.ResourceID = n.ID
		return err
	})
	return n, err
}

// CorrectNote records a new version of a note, pointing at it, with the
// reason. The original stays, marked as corrected. Only the newest version
// can be corrected, so versions form a line, not a tree.
func (s *Service) CorrectNote(ctx context.Context, actor door.Actor, personID, noteID string, d NoteDraft) (Note, error) {
	var n Note
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", ResourceID: noteID, Detail: "daily note corrected", Correction: true})
		if err != nil {
			return err
		}
		orig, err := loadNote(sc, personID, noteID)
		if err != nil {
			return err
		}
		if err := d.validate(sc.Now(), true); err != nil {
			return err
		}
		if orig.Corrected() {
			return hearth.Errorf(hearth.KindConflict, "This note has already been corrected. Correct the newer version instead; nothing was saved.")
		}
		n, err = s.insertNote(sc, personID, d, orig.ID)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "Someone else corrected this note at the same moment. Nothing was saved: read their correction first.")
		}
		a.Detail = "daily note corrected by " + n.ID
		return err
	})
	return n, err
}

func (s *Service) insertNote(sc *door.Scope, personID string, d NoteDraft, corrects string) (Note, error) {
	now := sc.Now()
	n := Note{ID: hearth.NewID(), PersonID: personID, Category: d.Category, Body: d.Body, CareAt: d.CareAt.UTC(),
		RecordedAt: now, Late: now.Sub(d.CareAt) > s.LateNoteAfter(), CorrectsID: corrects, Reason: d.Reason, Author: recAuthor(sc.Actor())}
	_, err := sc.Exec(`INSERT INTO daily_notes (id, person_id, category, body, care_at, recorded_at, late,
		corrects_id, reason, author_id, author_name, author_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ID, personID, n.Category, n.Body, n.CareAt, n.RecordedAt, n.Late, store.Null(corrects), n.Reason,
		n.Author.ID, n.Author.Name, n.Author.Role)
	return n, err
}

func (d *NoteDraft) validate(now time.Time, correction bool) error {
	p := append(hearth.Problems(nil), d.Unread...)
	p.Check(recValid(NoteCategories, d.Category), "Category", "Choose what the note is about")
	recText(&p, "Note", &d.Body, true, MaxText, "Write what happened")
	if correction {
		recText(&p, "Reason for the correction", &d.Reason, true, MaxShort*2, "Say why the note needs correcting")
	} else {
		d.Reason = ""
	}
	if len(d.Unread) == 0 {
		switch {
		case d.CareAt.IsZero():
			p.Add("Time of care", "Enter the time of care")
		case d.CareAt.After(now):
			p.Add("Time of care", "Time of care must not be in the future")
		case now.Sub(d.CareAt) > MaxNoteAge:
			p.Add("Time of care", "Time of care must be within the last 7 days: a note about care longer ago than that is not plausible")
		}
	}
	return p.Err()
}

// HistoricNote is a note from earlier records (paper, or a system Hearth
// replaces), with when it was first written.
type HistoricNote struct {
	NoteDraft
	RecordedAt time.Time
}

// ImportNotes brings a person's earlier daily notes into Hearth, in one
// audited write, each marked as imported. Times come from the earlier
// record, so the 7-day rule for point-of-care notes does not apply; a note
// must still have been recorded after its care and before now.
func (s *Service) ImportNotes(ctx context.Context, actor door.Actor, personID string, notes []HistoricNote) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, err := s.ImportNotesIn(sc, personID, notes)
		return err
	})
}

// ImportNotesIn is ImportNotes inside a scope that holds other work too
// (an import of many people, all or nothing); it returns the new notes' ids.
func (s *Service) ImportNotesIn(sc *door.Scope, personID string, notes []HistoricNote) ([]string, error) {
	a, err := sc.Allow(door.Request{Action: access.WriteRecord, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		ResourceType: "Observation", Detail: fmt.Sprintf("imported %d daily notes from earlier records", len(notes))})
	if err != nil {
		return nil, err
	}
	author := recAuthor(sc.Actor())
	var ids []string
	for i, h := range notes {
		var p hearth.Problems
		p.Check(recValid(NoteCategories, h.Category), "Category", "Choose what the note is about")
		recText(&p, "Note", &h.Body, true, MaxText, "Write what happened")
		p.Check(!h.CareAt.IsZero() && !h.RecordedAt.Before(h.CareAt) && !h.RecordedAt.After(sc.Now()),
			"Time of care", "An imported note must be recorded after its care and before now")
		if err := p.Err(); err != nil {
			return nil, fmt.Errorf("note %d: %w", i+1, err)
		}
		id := hearth.NewID()
		if i == 0 {
			a.ResourceID = id
		}
		if _, err := sc.Exec(`INSERT INTO daily_notes (id, person_id, category, body, care_at, recorded_at, late,
			imported, reason, author_id, author_name, author_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)`,
			id, personID, h.Category, h.Body, h.CareAt.UTC(), h.RecordedAt.UTC(), h.RecordedAt.Sub(h.CareAt) > s.LateNoteAfter(),
			true, author.ID, author.Name, author.Role); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}
