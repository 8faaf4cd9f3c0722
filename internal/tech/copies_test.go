package tech_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"hearth/internal/consent"
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

// When an assessment finds Ann can decide about her bed sensor, her
// attorney's consent stops counting at once: the use is paused (not used)
// until Ann decides, and staff are told to ask her now. When Ann consents
// herself, the use goes on, with no stale "Do not use it".
func TestAUseOnAnAttorneysConsentIsPausedTheMomentThePersonCanDecideAndGoesOnWhenSheConsents(t *testing.T) {
	f := newFixture(t)
	bob := f.Person(f.Manager, f.Home, "Bob", "Hughes", "")
	key := consent.TechnologyDecision(f.Bed.ID)
	assess := func(lacks bool) {
		t.Helper()
		if _, err := f.Consent.RecordAssessment(f.Ctx, f.Manager.Actor, consent.NewAssessment{PersonID: bob.ID, Decision: key,
			AssessedAt: f.Clock.Now(), Assessor: "Eilidh Ross, nurse", Impairment: true, Understand: !lacks, Retain: !lacks, UseWeigh: !lacks,
			Communicate: true, Evidence: "Talked it through twice"}); err != nil {
			t.Fatal(err)
		}
	}
	assess(true)
	rep, err := f.Consent.RecordRepresentative(f.Ctx, f.Manager.Actor, consent.NewRepresentative{PersonID: bob.ID, Name: "Mary Hughes",
		Relationship: "daughter", Authority: consent.AuthorityLPAHealthWelfare, EvidenceReference: "OPG 1", VerifiedBy: "Grace",
		VerifiedOn: f.Clock.Now(), StartsOn: f.Clock.Now().AddDate(-1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Consent.Give(f.Ctx, f.Manager.Actor, consent.NewConsent{PersonID: bob.ID, Purpose: consent.PurposeTechnology, TechnologyID: f.Bed.ID,
		TechnologyName: f.Bed.Name, Decision: "permit", RepresentativeID: rep.ID, InfoGiven: "What the mat senses", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, bob.ID, validUse(f.Bed.ID))
	if err != nil {
		t.Fatal(err)
	}
	f.Clock.Advance(time.Hour)
	assess(false)
	pg, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, bob.ID, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if pg.Use.State != tech.UsePaused || pg.Use.Live() || !strings.Contains(pg.Use.StateText, "ask Bob now") {
		t.Fatalf("the moment Bob can decide: %s %q", pg.Use.State, pg.Use.StateText)
	}
	att, err := f.Tech.Attention(f.Ctx, f.Manager.Actor, []string{bob.ID})
	if err != nil || len(att) != 1 || att[0].State != tech.UsePaused {
		t.Fatalf("staff are not told: %+v %v", att, err)
	}
	f.Clock.Advance(time.Hour)
	if _, err := f.Consent.Give(f.Ctx, f.Manager.Actor, consent.NewConsent{PersonID: bob.ID, Purpose: consent.PurposeTechnology, TechnologyID: f.Bed.ID,
		TechnologyName: f.Bed.Name, Decision: "permit", InfoGiven: "What the mat senses, again, with Bob", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	pg, err = f.Tech.GetUse(f.Ctx, f.Manager.Actor, bob.ID, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !pg.Use.Live() || pg.Use.Basis.GivenBy != "the person" {
		t.Fatalf("after Bob consents himself: %s %q %+v", pg.Use.State, pg.Use.StateText, pg.Use.Basis)
	}
	if att, err := f.Tech.Attention(f.Ctx, f.Manager.Actor, []string{bob.ID}); err != nil || len(att) != 0 {
		t.Fatalf("a stale banner after Bob consented: %+v %v", att, err)
	}
}
