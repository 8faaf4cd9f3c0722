package consent_test

import (
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/consent"
)

func TestEndingARepresentativesAuthorityNeedsADateAndAReasonAndStopsTheirAccessAtOnce(t *testing.T) {
	f := newFixture(t)
	f.assess(consent.DecisionCareAndSupport, true, f.Clock.Now().Add(-time.Hour))
	r := f.representative("Mary Jones", consent.AuthorityLPAHealthWelfare, true)
	mary := f.representativeAccount(r, "mary")
	if d, err := f.proxyRead(mary, access.ReadRecord); err != nil || !d.Permit {
		t.Fatalf("before the end the attorney reads within authority: %v %+v", err, d)
	}
	today := f.Clock.Now().UTC().Truncate(24 * time.Hour)
	bad := []struct {
		name    string
		endsOn  time.Time
		reason  string
		field   string
		message string
	}{
		{"no end date", time.Time{}, "The LPA was revoked by the court", "End date", "Enter the date the authority ends"},
		{"an end before the start", r.StartsOn.Add(-day), "The LPA was revoked by the court", "End date", "on or after the start date"},
		{"no reason", today, "", "Reason", "Say why the authority ends"},
		{"a reason too short to say why", today, "revoked", "Reason", "at least 10 characters"},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			_, err := f.Consent.EndRepresentative(f.Ctx, f.Manager.Actor, f.Ann.ID, r.ID, tc.endsOn, tc.reason)
			wantProblem(t, err, tc.field, tc.message)
			if d, err := f.proxyRead(mary, access.ReadRecord); err != nil || !d.Permit {
				t.Fatalf("a refused ending changed the attorney's access: %v %+v", err, d)
			}
		})
	}
	if _, err := f.Consent.EndRepresentative(f.Ctx, f.Carer.Actor, f.Ann.ID, r.ID, today, "The LPA was revoked by the court"); hearth.KindOf(err) != hearth.KindForbidden {
		t.Fatalf("a care worker without RecordConsent ended an authority: %v", err)
	}
	ended, err := f.Consent.EndRepresentative(f.Ctx, f.Manager.Actor, f.Ann.ID, r.ID, today, "The LPA was revoked by the Court of Protection")
	if err != nil {
		t.Fatal(err)
	}
	if ended.EndReason != "The LPA was revoked by the Court of Protection" || ended.EndedBy != f.Manager.DisplayName || !ended.EndsOn.Equal(today) {
		t.Fatalf("ended: %+v", ended)
	}
	d, err := f.proxyRead(mary, access.ReadRecord)
	if err != nil || d.Permit || d.Reason != access.DenyNoAuthority {
		t.Fatalf("the attorney still reads after the end: %v %+v", err, d)
	}
	if d, _ := f.proxyRead(mary, access.ViewPerson); d.Permit {
		t.Fatalf("the attorney still sees who Ann is after the end: %+v", d)
	}
	if _, err := f.Consent.EndRepresentative(f.Ctx, f.Manager.Actor, f.Ann.ID, r.ID, today, "The LPA was revoked again"); hearth.KindOf(err) != hearth.KindConflict {
		t.Fatalf("ending an ended authority: want conflict, got %v", err)
	}
	pg, err := f.Consent.Page(f.Ctx, f.Manager.Actor, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Representatives) != 1 || pg.Representatives[0].EndReason != "The LPA was revoked by the Court of Protection" || pg.Representatives[0].Live(pg.Now) {
		t.Fatalf("the page does not keep the ended representative with why: %+v", pg.Representatives)
	}
}

func TestStaffWithdrawingAtARepresentativesRequestRecheckThatTheirAuthorityIsStillLive(t *testing.T) {
	cases := []struct {
		name  string
		ended bool
		want  string // "" withdrawn; else the refusal on "Requested by" contains this
	}{
		{"A live attorney's request to withdraw is recorded with who asked", false, ""},
		{"A former attorney's request to withdraw is refused, naming when their authority ended", true, "authority ended on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.assess(consent.TechnologyDecision("sensor-1"), true, f.Clock.Now().Add(-time.Hour))
			r := f.representative("Mary Jones", consent.AuthorityLPAHealthWelfare, true)
			c, err := f.giveAs(r.ID, techConsent())
			if err != nil {
				t.Fatal(err)
			}
			if tc.ended {
				if _, err := f.Consent.EndRepresentative(f.Ctx, f.Manager.Actor, f.Ann.ID, r.ID, f.Clock.Now().UTC().Truncate(24*time.Hour),
					"The LPA was revoked by the Court of Protection"); err != nil {
					t.Fatal(err)
				}
			}
			w, err := f.Consent.WithdrawFor(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, r.ID, "Mary phoned the office")
			if tc.want != "" {
				wantProblem(t, err, "Requested by", tc.want)
				if n := f.Count(`SELECT COUNT(*) FROM consents WHERE id = ? AND withdrawn_at IS NULL`, c.ID); n != 1 {
					t.Fatal("a refused withdrawal changed the consent")
				}
				if n := f.Count(`SELECT COUNT(*) FROM audit_events WHERE resource_id = ? AND detail = 'consent withdrawn' AND decision = 'permit'`, c.ID); n == 0 {
					t.Fatal("the refused attempt was not audited")
				}
				// Staff can still record a withdrawal the person asked for.
				if _, err := f.Consent.WithdrawFor(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, "", "Ann asked at breakfast"); err != nil {
					t.Fatal(err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !w.Withdrawn() || !strings.Contains(w.WithdrawnHow, "At the request of Mary Jones (lasting power of attorney for health and welfare)") ||
				!strings.Contains(w.WithdrawnHow, "Mary phoned the office") {
				t.Fatalf("withdrawn: %+v", w)
			}
			if b := f.techBasis("sensor-1"); b.Active {
				t.Fatalf("the withdrawn consent still counts: %+v", b)
			}
		})
	}
	t.Run("Someone not recorded as Ann's representative is refused", func(t *testing.T) {
		f := newFixture(t)
		c := f.give(consent.NewConsent{Purpose: consent.PurposePhotographs})
		_, err := f.Consent.WithdrawFor(f.Ctx, f.Manager.Actor, f.Ann.ID, c.ID, hearth.NewID(), "")
		wantProblem(t, err, "Requested by", "Choose a representative recorded for this person")
	})
}

func TestALawfulBasisOtherThanConsentNeedsItsKindRecipientReasonAndDates(t *testing.T) {
	f := newFixture(t)
	now := f.Clock.Now()
	cases := []struct {
		name    string
		n       consent.NewLawfulBasis
		field   string
		message string
	}{
		{"no basis", consent.NewLawfulBasis{Recipient: "Adult social care", Reason: "Section 42 enquiry"}, "Basis", "Choose the lawful basis"},
		{"not a basis the law gives", consent.NewLawfulBasis{Kind: "convenience", Recipient: "Adult social care", Reason: "Section 42 enquiry"}, "Basis", "Choose the lawful basis"},
		{"no recipient", consent.NewLawfulBasis{Kind: consent.BasisSafeguarding, Reason: "Section 42 enquiry"}, "Recipient", "Name who the information goes to"},
		{"no reason", consent.NewLawfulBasis{Kind: consent.BasisCourtOrder, Recipient: "Court of Protection"}, "Reason", "Say why"},
		{"an end before the start", consent.NewLawfulBasis{Kind: consent.BasisSafeguarding, Recipient: "Adult social care", Reason: "Section 42 enquiry",
			Starts: now, Ends: now.Add(-day)}, "End date", "End date must be after the start date"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.n.PersonID = f.Ann.ID
			_, err := f.Consent.RecordLawfulBasis(f.Ctx, f.Manager.Actor, tc.n)
			wantProblem(t, err, tc.field, tc.message)
		})
	}
	if n := f.Count(`SELECT COUNT(*) FROM lawful_bases`); n != 0 {
		t.Fatalf("%d bases written from bad input", n)
	}
	lb, err := f.Consent.RecordLawfulBasis(f.Ctx, f.Manager.Actor, consent.NewLawfulBasis{PersonID: f.Ann.ID, Kind: consent.BasisVitalInterests,
		Recipient: "North West Ambulance Service", Reason: "Ann collapsed and could not be asked", Ends: now.Add(2 * day)})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := f.Consent.Page(f.Ctx, f.Manager.Actor, f.Ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.LawfulBases) != 1 || pg.LawfulBases[0].ID != lb.ID || pg.LawfulBases[0].RecordedBy != f.Manager.DisplayName || !pg.LawfulBases[0].Live(pg.Now) {
		t.Fatalf("page bases: %+v", pg.LawfulBases)
	}
	f.Clock.Advance(3 * day)
	if d, err := f.share("North West Ambulance Service"); err == nil || d.Permit {
		t.Fatalf("an ended vital-interests basis still lets data leave: %+v", d)
	}
}
