package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/audit"
)

// A member of staff whose role does not allow emergency access asks for it
// anyway, typing whatever they like as the reason. The person's history must
// show that someone without access tried, with their role and the time, and
// nothing of what they typed or who they are; the receipt for that line must
// hold no client address or request ID and still check out.
func TestARefusedEmergencyAccessShowsThePersonSomeoneWithoutAccessAndItsReceiptHidesTheRequest(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	ann := portalAccount(t, s, "ann.jones", "", "")
	admin := s.Staff("admin", access.Administrator, s.Home)
	const typed = "Ann owes me money <b>call me</b>"

	staff := s.Client(srv.URL)
	staff.SignIn(admin)
	staff.Get("/")
	tried := staff.Post("/break-glass", url.Values{"nhs_number": {s.AnnNHS}, "reason": {typed}})
	if tried.Status != http.StatusForbidden {
		t.Fatalf("break-glass by an administrator: %d\n%s", tried.Status, tried.Body)
	}
	evs, err := s.Audit.ByRequest(s.Ctx, tried.RequestID)
	if err != nil || len(evs) != 1 || evs[0].Decision != "deny" || evs[0].ClientAddr == "" {
		t.Fatalf("the refusal was not audited with its request: %+v %v", evs, err)
	}
	refused := evs[0]
	if _, err := s.Audit.Seal(s.Ctx); err != nil {
		t.Fatal(err)
	}

	c := s.Client(srv.URL)
	c.SignIn(ann)
	h := c.Get("/my/" + s.Ann.ID + "/history")
	if h.Status != http.StatusOK {
		t.Fatalf("history: %d\n%s", h.Status, h.Body)
	}
	for _, secret := range []string{"owes me money", "call me", admin.DisplayName} {
		if strings.Contains(h.Body, secret) {
			t.Errorf("the person's history shows %q from a refused attempt", secret)
		}
	}
	if !strings.Contains(h.Body, "Someone without access tried to open your record") || !strings.Contains(h.Body, "(Administrator)") {
		t.Errorf("the person's history does not say someone without access tried, with their role:\n%s", h.Body)
	}

	// Her copy of the record, as a page and as FHIR, says the same.
	for _, path := range []string{"/copy", "/copy.json"} {
		cp := c.Get("/my/" + s.Ann.ID + path)
		if cp.Status != http.StatusOK || !strings.Contains(cp.Body, "Someone without access") {
			t.Errorf("%s: %d, does not say someone without access tried", path, cp.Status)
		}
		// The FHIR copy names its code systems under the server's own URL,
		// which in a test holds the same loopback address as the refused
		// request: the address must not appear anywhere else.
		body := strings.ReplaceAll(cp.Body, srv.URL, "")
		for _, secret := range []string{"owes me money", admin.DisplayName, refused.ClientAddr} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q", path, secret)
			}
		}
	}

	r := c.Get("/my/" + s.Ann.ID + "/history/receipt?event=" + refused.ID)
	if r.Status != http.StatusOK {
		t.Fatalf("receipt: %d\n%s", r.Status, r.Body)
	}
	for _, secret := range []string{refused.ClientAddr, refused.RequestID, "owes me money", admin.DisplayName, admin.ID} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the receipt shows %q:\n%s", secret, r.Body)
		}
	}
	var rc audit.Receipt
	if err := json.Unmarshal([]byte(r.Body), &rc); err != nil || rc.Event.ID != refused.ID {
		t.Fatalf("receipt body: %v\n%s", err, r.Body)
	}
	// Staff: the governance lead reads what was typed; the manager sees who
	// was refused, not the text.
	ig := s.Staff("iglead", access.IGLead, s.Home)
	for _, tt := range []struct {
		staff    apptest.Staff
		seesText bool
	}{{ig, true}, {s.Manager, false}} {
		sc := s.Client(srv.URL)
		sc.SignIn(tt.staff)
		// The person page shows the latest entries; the attempt is further
		// back, on the whole history.
		page := sc.Get("/people/" + s.Ann.ID + "/history")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, admin.DisplayName+" (Administrator)") {
			t.Fatalf("access history for %s: %d\n%s", tt.staff.Username, page.Status, page.Body)
		}
		if got := strings.Contains(page.Body, "owes me money"); got != tt.seesText {
			t.Errorf("the access history shows %s what was typed: %t, want %t", tt.staff.Username, got, tt.seesText)
		}
	}

	c.Get("/my/" + s.Ann.ID + "/receipts")
	ok := c.Post("/my/"+s.Ann.ID+"/receipts", url.Values{"receipt": {r.Body}})
	if ok.Status != http.StatusOK || !strings.Contains(ok.Body, "The receipt checks out") ||
		!strings.Contains(ok.Body, "Someone without access (Administrator)") || strings.Contains(ok.Body, "owes me money") {
		t.Fatalf("check: %d\n%s", ok.Status, ok.Body)
	}
}
