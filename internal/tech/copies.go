package tech

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"time"
	"unicode"

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

// Item is one of the eight items, as the staff page lists them.
type Item struct {
	Number   int
	Question string // "What the technology is"
	EasyRead string // easy read heading: "What it is"
	Answer   string
}

// Items are the eight items of NHS principle 2, in order, as the person's
// copy words them (the first eight of Sections).
func (pg UsePage) Items() []Item {
	var out []Item
	easy := pg.EasyRead()
	for _, sec := range pg.Sections() {
		if sec.Number == 0 {
			continue
		}
		it := Item{Number: sec.Number, Question: strings.TrimPrefix(sec.Heading, fmt.Sprintf("%d. ", sec.Number)), Answer: sec.Text()}
		for _, e := range easy {
			if e.Number == sec.Number {
				it.EasyRead = e.Heading
			}
		}
		out = append(out, it)
	}
	return out
}

// Section is one part of the person's copy: a heading and paragraphs, each
// paragraph one or more whole sentences.
type Section struct {
	Number     int // 1 to 8 for the items of principle 2; 0 for the rest
	Key        string
	Heading    string
	Paragraphs []string
}

// Text is the section's paragraphs as plain text, a blank line between.
func (s Section) Text() string { return strings.Join(s.Paragraphs, "\n\n") }

// sentence makes s one or more whole sentences: trimmed, a capital first,
// ending with a full stop, so that texts put side by side never run
// together ("…for Mo's care Information from it…").
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.TrimRight(s, ";,: ")
	r := []rune(s)
	if unicode.IsLower(r[0]) {
		r[0] = unicode.ToUpper(r[0])
	}
	s = string(r)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "!") && !strings.HasSuffix(s, "?") {
		s += "."
	}
	return s
}

func paragraphs(texts ...string) []string {
	var out []string
	for _, t := range texts {
		if t = sentence(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Section keys, in the order the copy gives them: the eight items of NHS
// principle 2, then what the person also needs to know to rely on it.
const (
	SectionWhat       = "what"
	SectionWhy        = "why"
	SectionWhenHow    = "when-how"
	SectionInfo       = "information"
	SectionDecision   = "decision"
	SectionData       = "data"
	SectionReview     = "review"
	SectionWithdraw   = "withdraw"
	SectionLaw        = "lawful-basis"
	SectionRights     = "rights"
	SectionRisks      = "risks"
	SectionConcern    = "concern"
	SectionProvider   = "provider"
	SectionStatusNote = "status"
)

// ICOHelpline is the Information Commissioner's Office, where anyone may
// complain about how their information is handled.
const ICOHelpline = "the Information Commissioner's Office (ico.org.uk, 0303 123 1113)"

// decisionWords says how the decision was made and who consented, or the
// best-interests decision, from the lawful basis worked out now.
func (pg UsePage) decisionWords() string {
	u, name := pg.Use, pg.Person.CalledName()
	b := u.Basis
	switch u.BasisKind {
	case "consent":
		if b.GivenBy == "" || b.GivenBy == "the person" {
			return name + " gave consent themself."
		}
		return b.GivenBy + " gave consent for " + name + ", because " + name + " could not make this decision at the time."
	case "best-interests":
		who := b.GivenBy
		if who == "" {
			who = "the decision maker"
		}
		return name + " could not make this decision at the time and no one had authority to consent for them, so a best-interests decision was made by " +
			who + ", with the people who know " + name + " best."
	case "":
		return ""
	}
	return "It is used under a recorded lawful basis: " + strings.ToLower(basisTitle(u.BasisKind)) + "."
}

func basisTitle(k string) string {
	switch k {
	case "safeguarding":
		return "Safeguarding"
	case "court-order":
		return "A court order"
	case "vital-interests":
		return "Protecting someone's life (vital interests)"
	case "legal-obligation":
		return "A legal duty"
	}
	return k
}

// Sections are the person's copy in plain English, in order: the eight
// items of NHS principle 2 (the technology's name; why it is used; when and
// how; the information given; how the decision was made, with who consented
// or the best-interests decision; how its data is used; when it will be
// reviewed and what the review covers; how to withdraw consent), then the
// lawful basis, the person's rights, the risks and what reduces them, how to
// raise a concern, and who the provider is, with the date of the copy.
func (pg UsePage) Sections() []Section {
	u, t := pg.Use, pg.Technology
	name := pg.Person.CalledName()
	what := t.Name
	if t.Supplier != "" {
		what += ", from " + t.Supplier
	}
	what += ", is a technology for " + strings.ToLower(KindTitle(t.Kind)) + "."
	whatParas := []string{what}
	if t.IntendedUse != "" {
		whatParas = append(whatParas, "What it is for: "+lowerFirst(sentence(t.IntendedUse)))
	}
	if t.Surveillance {
		whatParas = append(whatParas, "It is a kind of monitoring ("+strings.ToLower(SurveillanceTitle(t.SurveillanceType))+").")
	}
	decision := paragraphs(u.DecisionProcess, pg.decisionWords())
	if u.Basis.Reason != "" {
		decision = append(decision, "What the record shows today: "+lowerFirst(sentence(u.Basis.Reason)))
	}
	review := []string{"The next review is on " + UKDay(u.NextReview) + "."}
	if u.NextReview.IsZero() {
		review = []string{"A date for the next review has not been set yet."}
	}
	review = append(review, paragraphs(u.ReviewPlan)...)
	review = append(review, name+" and the people "+name+" chooses can take part in the review.")
	withdraw := paragraphs(u.Withdrawal)
	withdraw = append(withdraw, name+", or whoever gave consent for "+name+", can withdraw consent at any time, by telling any member of staff or in the Hearth portal under Consent.",
		"Saying no does not change the rest of "+name+"'s care.")
	if !u.Live() && u.StateText != "" {
		withdraw = append(withdraw, "Now: "+lowerFirst(sentence(u.StateText)))
	}
	law := []string{
		"Using " + t.Name + " rests on " + map[bool]string{true: "consent", false: "a best-interests decision"}[u.BasisKind != "best-interests"] + ", as item 5 says.",
		"The law that lets us keep the information it produces is the UK General Data Protection Regulation: Article 6(1)(e), a task in the public interest or (for privately arranged care) Article 6(1)(b), a contract for care; and Article 9(2)(h), providing health and social care.",
	}
	if u.BasisKind != "consent" && u.BasisKind != "best-interests" && u.BasisKind != "" {
		law[0] = "Using " + t.Name + " rests on a recorded lawful basis: " + strings.ToLower(basisTitle(u.BasisKind)) + "."
	}
	if u.Rights != "" {
		law = append(law, "How "+name+"'s human rights were weighed: "+lowerFirst(sentence(u.Rights)))
	}
	rights := []string{
		name + " has the right to object to " + t.Name + " and to say no at any time.",
		name + " has the right to see the information we hold, including what " + t.Name + " produces: ask any member of staff, or use the Hearth portal.",
		name + " has the right to ask us to correct anything that is wrong.",
		name + " has the right to complain: to us first, and then to " + ICOHelpline + " about information, or to the Local Government and Social Care Ombudsman about care.",
	}
	var risks []string
	if t.Surveillance {
		risks = append(risks, "The main risk is to privacy: monitoring can feel intrusive, and information about "+name+" could be seen by people who should not see it.")
	} else {
		risks = append(risks, "The main risks are to privacy, and that the technology stops working when it is needed.")
	}
	risks = append(risks, paragraphs(u.SafetyAssessment)...)
	if u.Alternatives != "" {
		risks = append(risks, "Other ways that were considered: "+lowerFirst(sentence(u.Alternatives)))
	}
	if u.RelationalCare != "" {
		risks = append(risks, "What reduces the risks: "+lowerFirst(sentence(u.RelationalCare)))
	}
	if t.DPIA.Recorded() {
		risks = append(risks, "Before it was used, we checked how it protects information (a data protection impact assessment"+refText(t.DPIA.Reference)+").")
	}
	if t.Contingency != "" {
		risks = append(risks, "If it stops working: "+lowerFirst(sentence(t.Contingency)))
	}
	where := pg.Person.LocationName
	if where == "" {
		where = "the service"
	}
	concern := []string{
		"If " + name + " or the family are worried about " + t.Name + ", tell any member of staff or the registered manager at " + where + ", or use \"Raise a concern\" in the Hearth portal.",
		"Every concern is recorded and looked into, and we will tell you what we did.",
	}
	provider := pg.Provider.Name
	if provider == "" {
		provider = "Your care provider"
	}
	who := []string{
		provider + ", " + where + ".",
		"Contact: the registered manager at " + where + ", by asking any member of staff, or by a message in the Hearth portal.",
		fmt.Sprintf("This copy was made on %s, from version %d of the record (updated %s).", UKDay(pg.MadeAt), u.Version, UKDay(u.UpdatedAt)),
	}
	return []Section{
		{1, SectionWhat, "1. What the technology is", whatParas},
		{2, SectionWhy, "2. Why it is used for " + name, paragraphs(u.Reason)},
		{3, SectionWhenHow, "3. When and how it is used", paragraphs(u.WhenHow)},
		{4, SectionInfo, "4. What " + name + " and the family were told", append(paragraphs(u.InformationGiven), paragraphs("It was given as: "+u.InformationFormat)...)},
		{5, SectionDecision, "5. How the decision was made", decision},
		{6, SectionData, "6. How the information it produces is used", append(paragraphs(u.DataUse),
			"It is used only for "+name+"'s care, unless "+name+" agrees otherwise or the law requires it.")},
		{7, SectionReview, "7. When it will be reviewed, and what the review covers", review},
		{8, SectionWithdraw, "8. How to withdraw consent", withdraw},
		{0, SectionLaw, "The law that allows it", law},
		{0, SectionRights, name + "'s rights", rights},
		{0, SectionRisks, "Risks, and what reduces them", risks},
		{0, SectionConcern, "How to raise a concern", concern},
		{0, SectionProvider, "Who we are", who},
	}
}

func refText(ref string) string {
	if ref == "" {
		return ""
	}
	return ", reference " + ref
}

// EasySection is one part of the easy-read copy: a symbol (Icon names one
// of the copy's inline SVG symbols; Alt is its text alternative), a short
// heading, and short sentences, one idea each.
type EasySection struct {
	Number  int // 1 to 8 for the items of principle 2; 0 for the rest
	Key     string
	Icon    string
	Alt     string
	Heading string
	Lines   []string
}

// shortSentences splits staff text into sentences, one a line, so an easy
// read line carries one idea (a semicolon ends an idea too).
func shortSentences(s string) []string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "; ", ". ")
	var out []string
	for _, part := range strings.SplitAfter(s, ". ") {
		if part = sentence(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// EasyRead is the person's copy written for easy read: short sentences, one
// idea each, with a symbol beside each part, in the same order as Sections.
// It speaks to the person ("you"), and says first, in its own part, when
// the technology is stopped.
func (pg UsePage) EasyRead() []EasySection {
	u, t := pg.Use, pg.Technology
	name := pg.Person.CalledName()
	var out []EasySection
	if !u.Live() {
		lines := []string{"We have stopped using " + t.Name + "."}
		if u.StateText != "" {
			lines = append(lines, shortSentences(u.StateText)...)
		}
		out = append(out, EasySection{0, SectionStatusNote, "stop", "A stop sign", "Stopped", lines})
	}
	what := []string{"This is about " + t.Name + ".", t.Name + " is a kind of technology."}
	if t.Surveillance {
		what = append(what, "It is a kind of monitoring.")
	}
	what = append(what, shortSentences(t.IntendedUse)...)
	decided := []string{"You said yes to " + t.Name + "."}
	switch u.BasisKind {
	case "consent":
		if u.Basis.GivenBy != "" && u.Basis.GivenBy != "the person" {
			decided = []string{"You could not decide about this at the time.", u.Basis.GivenBy + " said yes for you.", "They have the right to do this."}
		}
	case "best-interests":
		decided = []string{"You could not decide about this at the time.", "We talked to people who know you well.", "We decided it is best for you."}
	default:
		decided = []string{"The law lets us use it."}
	}
	review := []string{"We will check how it is going."}
	if !u.NextReview.IsZero() {
		review = append(review, "We will check on "+UKDay(u.NextReview)+".")
	}
	review = append(review, "We will ask how you feel about it.", "You can bring someone with you.")
	where := pg.Person.LocationName
	if where == "" {
		where = "your care service"
	}
	provider := pg.Provider.Name
	if provider == "" {
		provider = "Your care provider"
	}
	out = append(out,
		EasySection{1, SectionWhat, "device", "A small device", "What it is", what},
		EasySection{2, SectionWhy, "question", "A question mark", "Why we use it", append([]string{"We use it to help you."}, shortSentences(u.Reason)...)},
		EasySection{3, SectionWhenHow, "clock", "A clock", "When we use it", shortSentences(u.WhenHow)},
		EasySection{4, SectionInfo, "talk", "Two people talking", "What we told you", append(shortSentences(u.InformationGiven),
			"We gave you the information as "+strings.TrimSuffix(u.InformationFormat, ".")+".")},
		EasySection{5, SectionDecision, "people", "A group of people", "Who decided", decided},
		EasySection{6, SectionData, "folder", "A folder", "Your information", append(shortSentences(u.DataUse), "We use it only for your care.")},
		EasySection{7, SectionReview, "calendar", "A calendar", "When we check it again", review},
		EasySection{8, SectionWithdraw, "stop", "A stop sign", "How to stop it", []string{"You can say stop at any time.", "Tell any member of staff.",
			"Or use the Hearth portal.", "Saying stop will not change the rest of your care."}},
		EasySection{0, SectionLaw, "scales", "Scales of justice", "The law", []string{"The law lets us keep information to give you care.",
			"We must keep it safe."}},
		EasySection{0, SectionRights, "hand", "A raised hand", "Your rights", []string{"You can say no.", "You can see your information.",
			"You can ask us to put things right.", "You can complain."}},
		EasySection{0, SectionRisks, "shield", "A shield", "Keeping you safe", []string{"Technology can feel like someone is watching.",
			"We only use it in the way we told you.", "Staff still come to see you.", "If it stops working, staff will check on you in person."}},
		EasySection{0, SectionConcern, "worried", "A worried face", "If you are worried", []string{"Tell any member of staff.",
			"Or tell the manager at " + where + ".", "We will listen.", "We will tell you what we did."}},
		EasySection{0, SectionProvider, "house", "A house", "Who we are", []string{"We are " + provider + ".", "This is about " + name + ".",
			"We made this on " + UKDay(pg.MadeAt) + "."}},
	)
	return out
}

//go:embed fonts/DejaVuSans.ttf
var fontRegular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var fontBold []byte

// PDF renders the person's copy as a PDF, in the standard, large-print or
// easy-read version, with the same sections as the page. It embeds DejaVu
// Sans (a TrueType font with full Latin coverage, subset into the file) so
// names such as Siân, Ó Briain and Gwenllian's ŵ come through; fpdf's core
// fonts are cp1252 only. Large print sets body text at 18pt (16pt is the
// least large print should be), easy read at 16pt.
//
// fpdf (codeberg.org/go-pdf/fpdf v0.12.0) cannot write a tagged PDF: it has
// no structure tree (/StructTreeRoot), no marked content for text and no
// /MarkInfo, so headings and reading order cannot be tagged. It does write
// what it supports: the title, language (en-GB), subject, author, creator,
// keywords, creation date, and an outline (bookmarks) of the headings, so a
// reader can move between sections. docs/person-copy.md says so.
func (pg UsePage) PDF(version string) ([]byte, error) {
	size, line := 12.0, 6.0
	switch version {
	case "large-print":
		size, line = 18.0, 9.0
	case "easy-read":
		size, line = 16.0, 9.0
	}
	title := "Using " + pg.Technology.Name + " in " + pg.Person.CalledName() + "'s care"
	f := fpdf.New("P", "mm", "A4", "")
	f.SetTitle(title+" – "+pg.Person.FullName(), true)
	f.SetSubject("The person's copy of their technology use record (NHS principle 2)", true)
	provider := pg.Provider.Name
	if provider == "" {
		provider = "Hearth"
	}
	f.SetAuthor(provider, true)
	f.SetCreator("Hearth", true)
	f.SetKeywords(pg.Technology.Name+", technology use, consent, "+version, true)
	f.SetLang("en-GB")
	if !pg.MadeAt.IsZero() {
		f.SetCreationDate(pg.MadeAt)
		f.SetModificationDate(pg.MadeAt)
	}
	f.AddUTF8FontFromBytes("DejaVu", "", fontRegular)
	f.AddUTF8FontFromBytes("DejaVu", "B", fontBold)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont("DejaVu", "", 10)
		f.CellFormat(0, 10, fmt.Sprintf("Page %d of {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	heading := func(text string, level int, sz float64) {
		f.Ln(line / 2)
		f.Bookmark(text, level, -1)
		f.SetFont("DejaVu", "B", sz)
		f.MultiCell(0, line+1, text, "", "L", false)
		f.SetFont("DejaVu", "", size)
	}
	if version == "easy-read" {
		heading(pg.Technology.Name+": about you", 0, size+8)
		for _, sec := range pg.EasyRead() {
			heading(sec.Heading, 1, size+3)
			for _, l := range sec.Lines {
				f.MultiCell(0, line, l, "", "L", false)
			}
		}
	} else {
		heading(title, 0, size+8)
		f.MultiCell(0, line, "For "+pg.Person.FullName()+".", "", "L", false)
		if !pg.Use.Live() {
			f.Ln(2)
			f.SetFont("DejaVu", "B", size)
			f.MultiCell(0, line, sentence(pg.Use.StateText), "", "L", false)
			f.SetFont("DejaVu", "", size)
		}
		for _, sec := range pg.Sections() {
			heading(sec.Heading, 1, size+2)
			for i, para := range sec.Paragraphs {
				if i > 0 {
					f.Ln(line / 3)
				}
				f.MultiCell(0, line, para, "", "L", false)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("tech: PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// FormatText is the copy's format in words.
func (c Copy) FormatText() string { return CopyFormatTitle(c.Format) }
