package portal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
	"hearth/internal/portal"
)

// A member of staff whose role does not allow emergency access asks for it
// on Ann's record, typing what they like as the reason. Ann is told that
// someone without access tried, with their role and the time: not who, and
// not what they typed, in her history, her copy of the record and the
// receipt, which still verifies and holds no address or request ID. The
// information governance lead reads all of it on the person page; other
// staff see who was refused, but not the text.
func TestARefusedEmergencyAccessByStaffIsShownToThePersonWithoutNameOrText(t *testing.T) {
	f := newFixture(t)
	ann := f.personAccount(f.Ann, "ann.jones")
	admin := f.Staff("admin", access.Administrator, f.Home)
	const typed = "she owes me money"
	_, err := f.BreakGlass.Open(f.Ctx, admin.Actor, f.AnnNHS, "emergency: "+typed)
	wantKind(t, err, hearth.KindForbidden)
	refused := f.lastEvent(admin.ID)
	if refused.Decision != "deny" || refused.PersonID != f.Ann.ID || !strings.Contains(refused.Detail, typed) ||
		refused.ClientAddr == "" || refused.RequestID == "" {
		t.Fatalf("the refusal was not audited in full for the governance lead: %+v", refused)
	}
	if _, err := f.Audit.Seal(f.Ctx); err != nil {
		t.Fatal(err)
	}

	h, err := f.Portal.History(f.Ctx, ann, f.Ann.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var line *audit.PersonEvent
	for i, e := range h.Events {
		if e.ID == refused.ID {
			line = &h.Events[i]
		}
	}
	if line == nil {
		t.Fatal("the refused attempt is missing from Ann's history")
	}
	if !line.Stranger || !line.Refused || line.Name != "" || line.Why != "" || line.Detail != "" ||
		line.Role != "administrator" || !line.At.Equal(refused.At) || !line.Receipt {
		t.Errorf("Ann sees %+v, want someone without access, their role and time, and a receipt", *line)
	}

	r, err := f.Portal.Receipt(f.Ctx, ann, f.Ann.ID, refused.ID)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := json.Marshal(r)
	for _, secret := range []string{refused.ClientAddr, refused.RequestID, refused.Salt, admin.ID, admin.DisplayName, typed, "does not allow"} {
		if strings.Contains(string(text), secret) {
			t.Errorf("the receipt holds %q: %s", secret, text)
		}
	}
	if res := portal.VerifyReceiptJSON(text, f.Portal.VerifierKey()); !res.OK {
		t.Fatalf("the receipt does not verify: %s", res.Problem)
	}
	checked, err := f.Portal.CheckReceipt(f.Ctx, ann, f.Ann.ID, text)
	if err != nil || !checked.OK || !checked.Line.Stranger || checked.Line.Role != "administrator" {
		t.Fatalf("checked on the page: %+v %v", checked, err)
	}

	bundle, err := f.FHIR.Copy(f.Ctx, ann, f.Ann.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{typed, admin.DisplayName, admin.ID, refused.ClientAddr} {
		if strings.Contains(string(bundle), secret) {
			t.Errorf("Ann's copy of her record holds %q", secret)
		}
	}
	if !strings.Contains(string(bundle), "Someone without access") {
		t.Errorf("Ann's copy does not say someone without access tried")
	}

	ig := f.Staff("iglead", access.IGLead, f.Home)
	tests := []struct {
		name     string
		staff    apptest.Staff
		seesText bool
	}{
		{"the information governance lead reads what was typed", ig, true},
		{"the registered manager sees who was refused but not what they typed", f.Manager, false},
		{"a carer on the care team sees who was refused but not what they typed", f.Carer, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg, err := f.People.LoadPage(f.Ctx, tt.staff.Actor, f.Ann.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range pg.Access {
				if e.ID != refused.ID {
					continue
				}
				found = true
				if e.ActorName != admin.DisplayName || e.ReasonText == "" {
					t.Errorf("staff do not see who was refused and why: %+v", e)
				}
				if got := strings.Contains(e.Detail, typed); got != tt.seesText {
					t.Errorf("sees what was typed: %t, want %t", got, tt.seesText)
				}
			}
			if !found {
				t.Fatal("the refused attempt is missing from the person page")
			}
		})
	}
}
