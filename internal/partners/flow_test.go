package partners_test

import (
	"fmt"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
)

// The whole of partner access, end to end: a partner generates an ES384
// key, the administrator registers its JWKS, the partner signs an assertion
// with go-jose and gets a token, the FHIR API authenticates the token, and
// each read is a door decision as the partner about Ann, whose consent and
// the partner's agreement come and go.
func TestAPartnerReadsOnlyUnderAnAgreementInForceAndThePersonsConsent(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "riverside-2026")
	p := w.register("Riverside GP Surgery", "system/Patient.rs system/Observation.rs", key)

	tok := w.token(p, key, "system/Patient.rs system/Observation.rs")
	if tok.ExpiresIn != 300 || tok.Scope != "system/Patient.rs system/Observation.rs" || len(tok.AccessToken) < 40 {
		t.Fatalf("token: %+v", tok)
	}
	actor, scopes, err := w.authenticate(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if actor.ID != p.ID || actor.Kind != access.KindSystem || actor.Name != "Riverside GP Surgery" || actor.ClientAddr != "198.51.100.7" {
		t.Fatalf("the acting system: %+v", actor)
	}
	if !scopes.CanRead("Observation") || !scopes.CanSearch("Patient") || scopes.CanRead("MedicationAdministration") {
		t.Fatalf("granted scopes: %s", scopes)
	}

	c := w.consentToShare("Riverside GP Surgery", "care-record")
	var agreementID string
	steps := []struct {
		name     string
		before   func()
		action   access.Action
		resource string
		permit   bool
		reason   access.Reason
	}{
		{name: "with Ann's consent but no agreement, the partner is refused",
			action: access.ReadRecord, resource: "Observation", reason: access.DenyNoAgreement},
		{name: "under an agreement covering the care record and with Ann's consent, the partner reads her observations",
			before: func() { agreementID = w.agree(p, "identity", "care-record").ID },
			action: access.ReadRecord, resource: "Observation", permit: true, reason: access.PermitSharing},
		{name: "and sees who she is",
			action: access.ViewPerson, resource: "Patient", permit: true, reason: access.PermitSharing},
		{name: "the agreement does not cover her medicines",
			action: access.ReadMedicines, resource: "MedicationAdministration", reason: access.DenyOutsideAgreement},
		{name: "a partner system never writes",
			action: access.WriteRecord, resource: "Observation", reason: access.DenyReadOnly},
		{name: "once Ann withdraws her consent, the next request is refused",
			before: func() {
				if _, err := w.Consent.Withdraw(w.Ctx, w.Manager.Actor, w.Ann.ID, c.ID, "Told her care worker she no longer wants the GP to see it"); err != nil {
					t.Fatal(err)
				}
			},
			action: access.ReadRecord, resource: "Observation", reason: access.DenyNoConsent},
		{name: "when she consents again, the partner reads again",
			before: func() { c = w.consentToShare("Riverside GP Surgery", "care-record") },
			action: access.ReadRecord, resource: "Observation", permit: true, reason: access.PermitSharing},
		{name: "once the IG lead ends the agreement, the next request is refused",
			before: func() {
				if err := w.Partners.EndAgreement(w.Ctx, w.IGLead.Actor, agreementID, "The practice closed its contract"); err != nil {
					t.Fatal(err)
				}
			},
			action: access.ReadRecord, resource: "Observation", reason: access.DenyNoAgreement},
	}
	for i, st := range steps {
		if st.before != nil {
			st.before()
		}
		a := actor
		a.RequestID = fmt.Sprintf("flow-%d", i)
		err := w.read(a, st.action, st.resource)
		if st.permit != (err == nil) {
			t.Fatalf("%s: got %v", st.name, err)
		}
		if !st.permit && hearth.KindOf(err) != hearth.KindNotFound {
			// A refusal tells the partner nothing about whether Ann draws
			// on care here.
			t.Errorf("%s: the partner was told %v, want not found", st.name, err)
		}
		evs, err := w.Audit.ByRequest(w.Ctx, a.RequestID)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 {
			t.Fatalf("%s: %d audit events, want 1", st.name, len(evs))
		}
		ev := evs[0]
		if ev.Reason != st.reason.String() || ev.ActorName != "Riverside GP Surgery" || ev.ActorKind != "system" ||
			ev.ActorID != p.ID || ev.PersonID != w.Ann.ID || ev.Purpose != "sharing" || ev.ResourceType != st.resource {
			t.Errorf("%s: audited as %+v", st.name, ev)
		}
		if st.permit && (ev.BasisID != c.ID || !strings.Contains(ev.Detail, "data-sharing agreement "+agreementID)) {
			t.Errorf("%s: the permit names basis %q and detail %q, want consent %s and agreement %s", st.name, ev.BasisID, ev.Detail, c.ID, agreementID)
		}
	}

	// Ann's care team sees each of those requests in her access history,
	// under the partner's name.
	pg, err := w.People.LoadPage(w.Ctx, w.Manager.Actor, w.Ann.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range pg.Access {
		if ev.ActorName == "Riverside GP Surgery" && ev.ActorRole == "system" {
			n++
		}
	}
	if n != len(steps) {
		t.Errorf("Ann's access history shows %d requests by the partner, want %d", n, len(steps))
	}
}

// A partner's search is limited to the people it may receive, in SQL
// (door.Reach): no one without an agreement in force, and then only people
// whose consent or other lawful basis names the partner.
func TestAPartnersSearchReachesOnlyPeopleSharedWithIt(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	other := w.register("Hillside Pharmacy", "system/Patient.rs", es384(t, "k2"))
	bob := w.Person(w.Manager, w.Home, "Bob", "Evans", "9434765870")
	w.consentToShare("Riverside GP Surgery", "care-record")
	actor, _, err := w.authenticate(w.token(p, key, "system/Patient.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	reach := func() []string {
		var ids []string
		err := w.Door.Run(w.Ctx, actor, func(sc *door.Scope) error {
			if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Sharing, ResourceType: "Patient"}); err != nil {
				return err
			}
			cond, args := sc.Reach("p.id", "p.location_id")
			rows, err := sc.Query(`SELECT p.id FROM people p WHERE `+cond+` ORDER BY p.id`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if got := reach(); len(got) != 0 {
		t.Fatalf("without an agreement the partner reaches %v", got)
	}
	w.agree(p, "identity", "care-record")
	w.agree(other, "identity")
	if got := reach(); len(got) != 1 || got[0] != w.Ann.ID {
		t.Fatalf("under an agreement the partner reaches %v, want only Ann (%s), not Bob (%s)", got, w.Ann.ID, bob.ID)
	}
}
