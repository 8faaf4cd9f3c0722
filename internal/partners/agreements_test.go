package partners_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/partners"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Recording an agreement with something wrong names the field and the rule
// and records nothing.
func TestAnAgreementWithBadInputIsRefusedFieldByField(t *testing.T) {
	w := newWorld(t)
	p := w.register("Riverside GP Surgery", "system/Patient.rs", es384(t, "k1"))
	gone := w.register("Closed Practice", "system/Patient.rs", es384(t, "k1"))
	if _, err := w.Partners.Disable(w.Ctx, partners.ByActor(w.Admin.Actor), gone.ID); err != nil {
		t.Fatal(err)
	}
	good := partners.NewAgreement{PartnerID: p.ID, Purpose: "Direct care by the registered GP practice", Article6: "6-1-e",
		Article9: "9-2-h", Categories: []string{"identity", "care-record"}, Starts: day(2026, 3, 1), ReviewOn: day(2027, 3, 1)}
	cases := []struct {
		name  string
		edit  func(n *partners.NewAgreement)
		field string
		says  string
	}{
		{"no partner", func(n *partners.NewAgreement) { n.PartnerID = "" }, "Partner", "Choose the partner system"},
		{"a partner that does not exist", func(n *partners.NewAgreement) { n.PartnerID = hearth.NewID() }, "Partner", "Choose the partner system"},
		{"a disabled partner", func(n *partners.NewAgreement) { n.PartnerID = gone.ID }, "Partner", "Choose the partner system"},
		{"a purpose too short to mean anything", func(n *partners.NewAgreement) { n.Purpose = "care" }, "Purpose", "at least 10 characters"},
		{"no article 6 condition", func(n *partners.NewAgreement) { n.Article6 = "" }, "Article 6 condition", "article 6 lawful basis"},
		{"an article 9 condition that is not in the list", func(n *partners.NewAgreement) { n.Article9 = "9-2-z" }, "Article 9 condition", "special category data"},
		{"an article 6 key given as article 9", func(n *partners.NewAgreement) { n.Article9 = "6-1-e" }, "Article 9 condition", "special category data"},
		{"no categories", func(n *partners.NewAgreement) { n.Categories = nil }, "Categories", "at least one category"},
		{"a category not in the list", func(n *partners.NewAgreement) { n.Categories = []string{"identity", "everything"} }, "Categories", "from the list"},
		{"no start date", func(n *partners.NewAgreement) { n.Starts = time.Time{} }, "Start date", "Enter the date the agreement starts"},
		{"an end before the start", func(n *partners.NewAgreement) { n.LastDay = day(2026, 2, 28) }, "End date", "on or after the start date"},
		{"no review date", func(n *partners.NewAgreement) { n.ReviewOn = time.Time{} }, "Review date", "Enter the date the agreement is to be reviewed"},
		{"a review before the start", func(n *partners.NewAgreement) { n.ReviewOn = day(2026, 2, 1) }, "Review date", "after the start date"},
		{"a date the form could not read", func(n *partners.NewAgreement) {
			n.Problems.Add("End date", "End date must be a real date, like 3 March 2026")
		}, "End date", "must be a real date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := good
			n.Problems = nil
			tc.edit(&n)
			_, err := w.Partners.RecordAgreement(w.Ctx, w.IGLead.Actor, n)
			var herr *hearth.Error
			if !errorsAs(err, &herr) || herr.Kind != hearth.KindInvalid {
				t.Fatalf("got %v, want invalid", err)
			}
			found := false
			for _, pr := range herr.Problems {
				found = found || pr.Field == tc.field && strings.Contains(pr.Message, tc.says)
			}
			if !found {
				t.Fatalf("problems %+v do not name %s saying %q", herr.Problems, tc.field, tc.says)
			}
		})
	}
	if n := w.Count(`SELECT COUNT(*) FROM data_sharing_agreements`); n != 0 {
		t.Errorf("bad input recorded %d agreements", n)
	}
	if _, err := w.Partners.RecordAgreement(w.Ctx, w.IGLead.Actor, good); err != nil {
		t.Fatalf("the good agreement: %v", err)
	}
}

// Only the IG lead records, reviews and ends agreements.
func TestOnlyTheIGLeadManagesAgreements(t *testing.T) {
	w := newWorld(t)
	p := w.register("Riverside GP Surgery", "system/Patient.rs", es384(t, "k1"))
	g := w.agree(p, "identity")
	n := partners.NewAgreement{PartnerID: p.ID, Purpose: "Direct care by the registered GP practice", Article6: "6-1-e",
		Article9: "9-2-h", Categories: []string{"identity"}, Starts: day(2026, 3, 1), ReviewOn: day(2027, 3, 1)}
	for _, who := range []struct {
		name  string
		actor door.Actor
	}{
		{"the administrator", w.Admin.Actor},
		{"a registered manager", w.Manager.Actor},
		{"a care worker", w.Carer.Actor},
	} {
		t.Run(who.name+" may not", func(t *testing.T) {
			actor := who.actor
			if _, err := w.Partners.RecordAgreement(w.Ctx, actor, n); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("record: %v", err)
			}
			if _, err := w.Partners.Agreements(w.Ctx, actor); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("list: %v", err)
			}
			if err := w.Partners.EndAgreement(w.Ctx, actor, g.ID, "no longer needed"); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("end: %v", err)
			}
			if err := w.Partners.ReviewAgreement(w.Ctx, actor, g.ID, day(2027, 1, 1), "", nil); hearth.KindOf(err) != hearth.KindForbidden {
				t.Errorf("review: %v", err)
			}
		})
	}
}

// An agreement runs from midnight in London on its first day to midnight
// after its last; it is due for review within 30 days of its review date;
// ending it is final.
func TestAnAgreementsDatesEndAndReview(t *testing.T) {
	w := newWorld(t) // the clock is 10:00 on 3 March 2026
	p := w.register("Riverside GP Surgery", "system/Patient.rs", es384(t, "k1"))
	g, err := w.Partners.RecordAgreement(w.Ctx, w.IGLead.Actor, partners.NewAgreement{PartnerID: p.ID,
		Purpose: "Direct care by the registered GP practice", Article6: "6-1-e", Article9: "9-2-h",
		Categories: []string{"identity", "identity", "medicines"}, Reference: "DSA-2026-014",
		Starts: day(2026, 3, 1), LastDay: day(2026, 6, 30), ReviewOn: day(2026, 3, 20)})
	if err != nil {
		t.Fatal(err)
	}
	london, _ := time.LoadLocation("Europe/London")
	if !g.Starts.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, london)) || !g.Ends.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, london)) {
		t.Errorf("runs from %v to %v", g.Starts, g.Ends)
	}
	if got := g.LastDay().Format("2 January 2006"); got != "30 June 2026" {
		t.Errorf("last day %s", got)
	}
	if strings.Join(g.Categories, ",") != "identity,medicines" {
		t.Errorf("categories %v", g.Categories)
	}
	pg, err := w.Partners.Agreements(w.Ctx, w.IGLead.Actor)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Agreements) != 1 || len(pg.Due) != 1 || pg.Agreements[0].Status(pg.Now) != "In force" || pg.Due[0].ReviewOverdue(pg.Now) {
		t.Fatalf("page: %+v", pg)
	}
	c6, c9 := pg.Agreements[0].Article6Condition(), pg.Agreements[0].Article9Condition()
	if c6.Article != "6(1)(e)" || !strings.Contains(c6.Wording, "public interest") || c9.Article != "9(2)(h)" || !strings.Contains(c9.Wording, "social care") {
		t.Errorf("conditions: %+v %+v", c6, c9)
	}

	if err := w.Partners.ReviewAgreement(w.Ctx, w.IGLead.Actor, g.ID, day(2026, 3, 2), "", nil); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("a next review in the past: %v", err)
	}
	if err := w.Partners.ReviewAgreement(w.Ctx, w.IGLead.Actor, g.ID, day(2026, 9, 1), "Still needed; contacts checked", nil); err != nil {
		t.Fatal(err)
	}
	if pg, _ = w.Partners.Agreements(w.Ctx, w.IGLead.Actor); len(pg.Due) != 0 || pg.Agreements[0].ReviewedBy != "Test iglead" {
		t.Errorf("after review: due %d, reviewed by %q", len(pg.Due), pg.Agreements[0].ReviewedBy)
	}

	if err := w.Partners.EndAgreement(w.Ctx, w.IGLead.Actor, g.ID, ""); hearth.KindOf(err) != hearth.KindInvalid {
		t.Errorf("ending without a reason: %v", err)
	}
	if err := w.Partners.EndAgreement(w.Ctx, w.IGLead.Actor, g.ID, "The practice closed its contract"); err != nil {
		t.Fatal(err)
	}
	if err := w.Partners.EndAgreement(w.Ctx, w.IGLead.Actor, g.ID, "The practice closed its contract"); hearth.KindOf(err) != hearth.KindConflict {
		t.Errorf("ending twice: %v", err)
	}
	if err := w.Partners.EndAgreement(w.Ctx, w.IGLead.Actor, hearth.NewID(), "The practice closed its contract"); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("ending an agreement that does not exist: %v", err)
	}
	if pg, _ = w.Partners.Agreements(w.Ctx, w.IGLead.Actor); pg.Agreements[0].Status(pg.Now) != "Ended" || pg.Agreements[0].EndReason == "" {
		t.Errorf("after ending: %s", pg.Agreements[0].Status(pg.Now))
	}
}

// An agreement that has expired by its own end date stops access just as
// one ended early does.
func TestAnExpiredAgreementStopsAccess(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	if _, err := w.Partners.RecordAgreement(w.Ctx, w.IGLead.Actor, partners.NewAgreement{PartnerID: p.ID,
		Purpose: "Direct care by the registered GP practice", Article6: "6-1-e", Article9: "9-2-h",
		Categories: []string{"identity"}, Starts: day(2026, 3, 1), LastDay: day(2026, 3, 3), ReviewOn: day(2026, 3, 2)}); err != nil {
		t.Fatal(err)
	}
	w.consentToShare("Riverside GP Surgery", "care-record")
	actor, _, err := w.authenticate(w.token(p, key, "system/Patient.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.read(actor, access.ViewPerson, "Patient"); err != nil {
		t.Fatalf("on its last day: %v", err)
	}
	w.Clock.Set(time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)) // midnight after the last day, in London (GMT in March)
	actor, _, err = w.authenticate(w.token(p, key, "system/Patient.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.read(actor, access.ViewPerson, "Patient"); hearth.KindOf(err) != hearth.KindNotFound {
		t.Fatalf("the day after: %v", err)
	}
}
