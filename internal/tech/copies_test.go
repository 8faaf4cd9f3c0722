package tech_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"hearth/internal/tech"
)

// utf16BE is s as fpdf writes a UTF-8 string into the file (outline titles,
// metadata): UTF-16, big-endian.
func utf16BE(s string) []byte {
	var b bytes.Buffer
	for _, r := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(r >> 8))
		b.WriteByte(byte(r))
	}
	return b.Bytes()
}

// The person's copy states principle 2's eight items in order, then the
// lawful basis, rights, risks, concerns and the provider with the date, each
// in whole sentences that do not run together.
func TestThePersonsCopyGivesTheEightItemsInOrderThenLawRightsRisksConcernsAndProvider(t *testing.T) {
	f := newFixture(t)
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, f.Ann.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	pg, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, "copy")
	if err != nil {
		t.Fatal(err)
	}
	secs := pg.Sections()
	want := []struct {
		key   string
		words []string
	}{
		{tech.SectionWhat, []string{"BedSense", "is a technology for"}},
		{tech.SectionWhy, []string{"Ann has fallen twice at night"}},
		{tech.SectionWhenHow, []string{"Sensor mat under the mattress"}},
		{tech.SectionInfo, []string{"We explained what the mat senses", "It was given as: Spoken, with a large-print leaflet."}},
		{tech.SectionDecision, []string{"Ann decided herself", "gave consent themself"}},
		{tech.SectionData, []string{"Alerts go to night staff pagers", "It is used only for"}},
		{tech.SectionReview, []string{"The next review is on 3 June 2026.", "count falls"}},
		{tech.SectionWithdraw, []string{"the mat is removed the same day", "withdraw consent at any time"}},
		{tech.SectionLaw, []string{"rests on consent", "Article 9(2)(h)"}},
		{tech.SectionRights, []string{"right to object", "right to see the information", "right to complain", "Information Commissioner"}},
		{tech.SectionRisks, []string{"risk", "Less intrusive than checks every hour", "What reduces the risks: night staff sit with Ann"}},
		{tech.SectionConcern, []string{"Raise a concern", "tell any member of staff"}},
		{tech.SectionProvider, []string{"Contact:", "This copy was made on"}},
	}
	if len(secs) != len(want) {
		t.Fatalf("%d sections, want %d", len(secs), len(want))
	}
	runTogether := regexp.MustCompile(`[a-z] [A-Z][a-z]+ (from|is|it) `)
	for i, w := range want {
		s := secs[i]
		if s.Key != w.key {
			t.Fatalf("section %d is %q, want %q", i+1, s.Key, w.key)
		}
		if i < 8 && s.Number != i+1 {
			t.Errorf("section %q numbered %d", s.Key, s.Number)
		}
		text := s.Text()
		for _, word := range w.words {
			if !strings.Contains(text, word) {
				t.Errorf("%s: %q does not say %q", s.Heading, text, word)
			}
		}
		for _, para := range s.Paragraphs {
			if !strings.HasSuffix(para, ".") && !strings.HasSuffix(para, "?") {
				t.Errorf("%s: a paragraph does not end a sentence: %q", s.Heading, para)
			}
			if m := runTogether.FindString(para); m != "" {
				t.Errorf("%s: sentences run together at %q in %q", s.Heading, m, para)
			}
		}
	}
	if !strings.Contains(secs[12].Text(), f.Ann.LocationName) {
		t.Errorf("the provider section does not name where: %q", secs[12].Text())
	}

	// Easy read: its own words, one short idea a line, a symbol with a text
	// alternative for each part, the eight items in the same order.
	easy := pg.EasyRead()
	var numbers []int
	for _, e := range easy {
		if e.Icon == "" || e.Alt == "" {
			t.Errorf("easy read %q has no symbol or no text alternative", e.Heading)
		}
		for _, l := range e.Lines {
			if n := len(strings.Fields(l)); n > 20 {
				t.Errorf("easy read line of %d words: %q", n, l)
			}
		}
		if e.Number > 0 {
			numbers = append(numbers, e.Number)
		}
	}
	if len(numbers) != 8 {
		t.Fatalf("easy read has %d of the eight items", len(numbers))
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("easy read items out of order: %v", numbers)
		}
	}
	if easy[0].Key == "status" {
		t.Fatalf("a live use is shown as stopped: %+v", easy[0])
	}

	// The PDF carries every heading, in order, as its outline.
	for _, version := range []string{"standard", "large-print"} {
		pdf, err := pg.PDF(version)
		if err != nil {
			t.Fatal(err)
		}
		at := 0
		for _, s := range secs {
			i := bytes.Index(pdf[at:], utf16BE(s.Heading))
			if i < 0 {
				t.Fatalf("%s PDF: heading %q missing or out of order", version, s.Heading)
			}
			at += i
		}
		for _, meta := range []string{"/Lang (en-GB)", "/Subject", "/Author", "/CreationDate"} {
			if !bytes.Contains(pdf, []byte(meta)) {
				t.Errorf("%s PDF lacks %s", version, meta)
			}
		}
	}
	easyPDF, err := pg.PDF("easy-read")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(easyPDF, utf16BE("How to stop it")) {
		t.Error("the easy-read PDF lacks its own headings")
	}

	// Withdrawn: every version says it is stopped, easy read first.
	if _, err := f.Consent.Withdraw(f.Ctx, f.Manager.Actor, f.Ann.ID, u.BasisID, "Ann asked for the mat to go"); err != nil {
		t.Fatal(err)
	}
	pg, err = f.Tech.GetUse(f.Ctx, f.Manager.Actor, f.Ann.ID, u.ID, "copy")
	if err != nil {
		t.Fatal(err)
	}
	easy = pg.EasyRead()
	if easy[0].Key != "status" || easy[0].Heading != "Stopped" || !strings.Contains(strings.Join(easy[0].Lines, " "), "withdrawn") {
		t.Fatalf("easy read of a stopped use: %+v", easy[0])
	}
	if text := pg.Sections()[7].Text(); !strings.Contains(text, "Now: stopped") {
		t.Fatalf("the withdrawal section does not say it is stopped: %q", text)
	}
}
