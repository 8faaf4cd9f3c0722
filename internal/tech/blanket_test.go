package tech_test

import (
	"fmt"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/tech"
)

// The finding: 20 uses of one technology at one location with the
// same pasted reason were accepted without a word, and the report listed
// about 190 pairs with no links. Now the third such use is refused until
// the recorder says what is specific to the person, and the report is one
// line for the technology and location, linking each use.
func TestACopiedReasonIsCaughtWhenRecordedAndReportedAsOneLine(t *testing.T) {
	f := newFixture(t)
	pasted := "Risk of falls at night. Staff to be alerted when resident gets up."
	var ids []string
	for i := 0; i < 20; i++ {
		p := f.Person(f.Manager, f.Home, fmt.Sprintf("Res%02d", i), "Test", "")
		f.consent(p, f.Bed)
		n := validUse(f.Bed.ID)
		n.Reason = pasted
		if i%3 == 1 {
			n.Reason = "risk of falls at night; staff to be alerted when resident gets up" // case and punctuation do not hide it
		}
		before := f.Count(`SELECT COUNT(*) FROM tech_uses`)
		u, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n)
		if i < tech.BlanketMatches {
			if err != nil {
				t.Fatalf("use %d: %v", i, err)
			}
			ids = append(ids, u.ID)
			continue
		}
		if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(problems(err), "What is specific to this person: This reason is nearly the same as the reasons for") ||
			!strings.Contains(problems(err), fmt.Sprintf("%d other people using BedSense at Rowan House", i)) {
			t.Fatalf("use %d with the pasted reason: %v", i, err)
		}
		if f.Count(`SELECT COUNT(*) FROM tech_uses`) != before {
			t.Fatalf("a refused use was saved")
		}
		n.Specific = "   "
		if _, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n); !strings.Contains(problems(err), "What is specific to this person") {
			t.Fatalf("blank specifics accepted: %v", err)
		}
		n.Specific = fmt.Sprintf("Res%02d had %d falls since March and cannot use a call bell", i, i%4+1)
		if u, err = f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n); err != nil {
			t.Fatalf("use %d with what is specific: %v", i, err)
		}
		ids = append(ids, u.ID)
	}
	if _, err := f.Tech.GetUse(f.Ctx, f.Manager.Actor, f.Person(f.Manager, f.Home, "Zed", "Test", "").ID, ids[5], ""); err == nil {
		t.Fatal("a use read through the wrong person")
	}
	rep, err := f.Tech.Blanket(f.Ctx, f.Manager.Actor, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Lines) != 1 {
		t.Fatalf("%d lines, want one for BedSense at Rowan House: %+v", len(rep.Lines), rep.Lines)
	}
	l := rep.Lines[0]
	// 20 users among 22 people at Rowan House (Ann, the 20, Zed).
	if l.Technology != "BedSense" || l.Location != "Rowan House" || l.Using != 20 || l.People != 22 || l.NearIdentical != 20 || !l.Flagged || l.SharePercent() != 91 {
		t.Fatalf("line = %+v", l)
	}
	if len(l.Uses) != 20 || l.Unseen != 0 {
		t.Fatalf("the manager sees %d uses and %d unseen", len(l.Uses), l.Unseen)
	}
	linked := map[string]bool{}
	for _, u := range l.Uses {
		linked[u.UseID] = u.Near && u.PersonName != ""
	}
	for _, id := range ids {
		if !linked[id] {
			t.Errorf("use %s is not linked as nearly identical", id)
		}
	}
}

// A different reason for a different person is not caught.
func TestASpecificReasonIsNotCaught(t *testing.T) {
	f := newFixture(t)
	for i, reason := range []string{"Ann has fallen twice at night getting up to the toilet",
		"Bob wanders at night and has left the building twice", "Cat had a seizure at night last month and lives alone on the top floor"} {
		p := f.Person(f.Manager, f.Home, fmt.Sprintf("P%d", i), "Test", "")
		f.consent(p, f.Bed)
		n := validUse(f.Bed.ID)
		n.Reason = reason
		if _, err := f.Tech.CreateUse(f.Ctx, f.Manager.Actor, p.ID, n); err != nil {
			t.Fatalf("%q: %v", reason, err)
		}
	}
}
