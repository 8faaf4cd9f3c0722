package tech

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Copy formats: the person's copy of their use record (NHS principle 2:
// "patients must be given a copy of this").
var CopyFormats = []string{"printed", "pdf", "easy-read", "large-print", "read-aloud", "other"}

// CopyFormatTitle is a copy format in words.
func CopyFormatTitle(f string) string {
	switch f {
	case "printed":
		return "Printed copy"
	case "pdf":
		return "PDF by email or on a device"
	case "easy-read":
		return "Easy read"
	case "large-print":
		return "Large print"
	case "read-aloud":
		return "Read aloud and talked through"
	case "other":
		return "Another format"
	}
	return f
}

// Copy records that a copy was given: when, to whom, in what format, and
// which version of the record it showed.
type Copy struct {
	ID         string
	UseID      string
	UseVersion int
	GivenTo    string
	Format     string
	GivenOn    time.Time
}

// RecordCopy records that a copy of the use record was given (RecordTechUse).
func (s *Service) RecordCopy(ctx context.Context, actor door.Actor, personID, useID, givenTo, format, givenOn string) (Copy, error) {
	var c Copy
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.RecordTechUse, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "DocumentReference", ResourceID: useID, Detail: "recorded a copy given"})
		if err != nil {
			return err
		}
		u, err := loadUse(sc, personID, useID)
		if err != nil {
			return err
		}
		givenTo = clean(givenTo)
		var p hearth.Problems
		text(&p, "Given to", givenTo, "Say who the copy was given to: the person, or who acts for them", maxShort)
		p.Check(has(CopyFormats, format), "Format", "Choose the format the copy was given in")
		on := ParseDay(givenOn)
		if strings.TrimSpace(givenOn) == "" {
			on = day(sc.Now())
		}
		switch {
		case on.IsZero():
			p.Add("Given on", "Enter the date as a date, for example 2026-03-03")
		case on.After(day(sc.Now())):
			p.Add("Given on", "The date the copy was given must not be in the future")
		}
		if err := p.Err(); err != nil {
			return err
		}
		c = Copy{ID: hearth.NewID(), UseID: useID, UseVersion: u.Version, GivenTo: givenTo, Format: format, GivenOn: on}
		a.Detail = fmt.Sprintf("copy of the %s use record (version %d) given to %s: %s", u.TechnologyName, u.Version, givenTo, CopyFormatTitle(format))
		_, err = sc.Exec(`INSERT INTO tech_copies (id, use_id, person_id, use_version, given_to, format, given_on, recorded_at, recorded_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, useID, personID, c.UseVersion, c.GivenTo, c.Format, c.GivenOn, sc.Now(), actor.ID)
		return err
	})
	return c, err
}

func copiesOf(sc *door.Scope, useID string) ([]Copy, error) {
	rows, err := sc.Query(`SELECT id, use_id, use_version, given_to, format, given_on FROM tech_copies WHERE use_id = ? ORDER BY given_on DESC, recorded_at DESC`, useID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Copy
	for rows.Next() {
		var c Copy
		if err := rows.Scan(&c.ID, &c.UseID, &c.UseVersion, &c.GivenTo, &c.Format, &c.GivenOn); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Item is one of the eight items, as the person's copy says it.
type Item struct {
	Number   int
	Question string // standard: "What is the technology?"
	EasyRead string // easy read: "What it is"
	Answer   string
}

// Items are the eight items of NHS principle 2 in plain English, in order,
// for the person's copy in every format.
func (pg UsePage) Items() []Item {
	u, t := pg.Use, pg.Technology
	name := pg.Person.CalledName()
	what := t.Name
	if t.Supplier != "" {
		what += " (from " + t.Supplier + ")"
	}
	what += ". " + KindTitle(t.Kind) + "."
	if t.Surveillance {
		what += " It is a kind of monitoring: " + strings.ToLower(SurveillanceTitle(t.SurveillanceType)) + "."
	}
	info := u.InformationGiven + " Format: " + u.InformationFormat + "."
	data := u.DataUse + " Information from it is used only for " + name + "'s care, unless " + name +
		" agrees otherwise or the law allows it."
	review := "The next review is on " + UKDay(u.NextReview) + ". " + u.ReviewPlan
	return []Item{
		{1, "What is the technology?", "What it is", what},
		{2, "Why is it being used for " + name + "?", "Why we use it", u.Reason},
		{3, "When and how will it be used?", "When and how", u.WhenHow},
		{4, "What information was given, and how?", "What we told you", info},
		{5, "How was the decision made?", "How we decided", u.DecisionProcess},
		{6, "How will " + name + "'s information from it be used?", "Your information", data},
		{7, "When will it be reviewed, and what will the review involve?", "When we check it again", review},
		{8, "How can " + name + " withdraw consent?", "How to say no or stop", u.Withdrawal},
	}
}

//go:embed fonts/DejaVuSans.ttf
var fontRegular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var fontBold []byte

// PDF renders the person's copy as a PDF. It embeds DejaVu Sans (a TrueType
// font with full Latin coverage, subset into the file) so names such as
// Siân, Ó Briain and Gwenllian's ŵ come through; fpdf's core fonts are
// cp1252 only. largePrint sets the text at 16pt instead of 12pt.
func (pg UsePage) PDF(largePrint bool) ([]byte, error) {
	size, line := 12.0, 6.0
	if largePrint {
		size, line = 16.0, 8.5
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle(pg.Technology.Name+" – "+pg.Person.FullName(), true)
	f.SetAuthor("Hearth", true)
	f.SetLang("en-GB")
	f.AddUTF8FontFromBytes("DejaVu", "", fontRegular)
	f.AddUTF8FontFromBytes("DejaVu", "B", fontBold)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont("DejaVu", "", 9)
		f.CellFormat(0, 10, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont("DejaVu", "B", size+6)
	f.MultiCell(0, line+2, "Using "+pg.Technology.Name+" in "+pg.Person.CalledName()+"'s care", "", "L", false)
	f.SetFont("DejaVu", "", size)
	f.MultiCell(0, line, fmt.Sprintf("For %s. Record version %d, updated %s.", pg.Person.FullName(), pg.Use.Version, UKDay(pg.Use.UpdatedAt)), "", "L", false)
	if !pg.Use.Live() {
		f.Ln(2)
		f.SetFont("DejaVu", "B", size)
		f.MultiCell(0, line, pg.Use.StateText, "", "L", false)
	}
	for _, it := range pg.Items() {
		f.Ln(line / 2)
		f.SetFont("DejaVu", "B", size+1)
		f.MultiCell(0, line, fmt.Sprintf("%d. %s", it.Number, it.Question), "", "L", false)
		f.SetFont("DejaVu", "", size)
		f.MultiCell(0, line, it.Answer, "", "L", false)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("tech: PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// FormatText is the copy's format in words.
func (c Copy) FormatText() string { return CopyFormatTitle(c.Format) }
