package partners_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
)

// testMapper stands in for the FHIR API's mapping: it reads through the
// scope it is given, as the real one will, and makes one Patient or two
// Observations per person.
func testMapper(sc *door.Scope, _ partners.Export, personID string, types []string) (func(func(string, []byte) error) error, error) {
	var given string
	if err := sc.QueryRow(`SELECT given_name FROM people WHERE id = ?`, personID).Scan(&given); err != nil {
		return nil, err
	}
	return func(emit func(string, []byte) error) error {
		for _, t := range types {
			var out []string
			switch t {
			case "Patient":
				out = []string{fmt.Sprintf(`{"resourceType": "Patient", "id": %q, "name": [{"given": [%q]}]}`, personID, given)}
			case "Observation":
				out = []string{
					fmt.Sprintf(`{"resourceType":"Observation","id":"%s-1","subject":{"reference":"Patient/%s"}}`, personID, personID),
					fmt.Sprintf(`{"resourceType":"Observation","id":"%s-2","subject":{"reference":"Patient/%s"}}`, personID, personID),
				}
			}
			for _, r := range out {
				if err := emit(t, []byte(r)); err != nil {
					return err
				}
			}
		}
		return nil
	}, nil
}

// A partner's export holds only the people shared with it and only the
// types both its scopes and its agreement cover; each person is decided
// and audited as the partner; the files expire.
func TestABulkExportHoldsOnlyWhatTheAgreementAndConsentAllow(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs system/Observation.rs system/MedicationAdministration.rs", key)
	w.agree(p, "identity", "care-record")
	w.consentToShare("Riverside GP Surgery", "care-record")
	bob := w.Person(w.Manager, w.Home, "Bob", "Evans", "9434765870") // no consent for the partner
	actor, scopes, err := w.authenticate(w.token(p, key, "system/Patient.rs system/Observation.rs system/MedicationAdministration.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}

	e, err := w.Partners.StartExport(w.Ctx, actor, scopes, partners.ExportRequest{Level: "system", URL: "https://hearth.test/fhir/$export"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(e.Types, ",") != "Patient,Observation" {
		t.Fatalf("types %v: want those both the scopes and the agreement cover", e.Types)
	}
	if _, m, err := w.Partners.ExportStatus(w.Ctx, actor, e.ID, nil); err != nil || m != nil {
		t.Fatalf("a queued export has a manifest: %v %v", m, err)
	}
	id, err := w.Partners.NextExport(w.Ctx)
	if err != nil || id != e.ID {
		t.Fatalf("claim: %q %v", id, err)
	}
	if again, _ := w.Partners.NextExport(w.Ctx); again != "" {
		t.Fatalf("the export was claimed twice")
	}
	if err := w.Partners.RunExport(w.Ctx, id, testMapper); err != nil {
		t.Fatal(err)
	}
	e, m, err := w.Partners.ExportStatus(w.Ctx, actor, e.ID, func(f string) string { return "https://hearth.test/fhir/export-files/" + f })
	if err != nil || m == nil || e.Status != partners.ExportCompleted || e.People != 1 {
		t.Fatalf("status %+v, manifest %+v, %v", e, m, err)
	}
	counts := map[string]int{}
	for _, o := range m.Output {
		counts[o.Type] += o.Count
		f, err := w.Partners.ExportFile(w.Ctx, actor, e.ID, strings.TrimPrefix(o.URL, "https://hearth.test/fhir/export-files/"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(f.Body, "\n"), "\n")
		if len(lines) != o.Count || strings.Contains(f.Body, bob.ID) {
			t.Errorf("%s file: %d lines for count %d, or Bob in it:\n%s", o.Type, len(lines), o.Count, f.Body)
		}
		for _, l := range lines {
			var r map[string]any
			if err := json.Unmarshal([]byte(l), &r); err != nil || r["resourceType"] != o.Type {
				t.Errorf("not an NDJSON line of %s: %q", o.Type, l)
			}
		}
	}
	if counts["Patient"] != 1 || counts["Observation"] != 2 || len(counts) != 2 || !m.RequiresAccessToken || m.Request != "https://hearth.test/fhir/$export" {
		t.Fatalf("manifest %+v", m)
	}

	evs, err := w.Audit.ByRequest(w.Ctx, "export-"+e.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if ev.PersonID == bob.ID || ev.ActorName != "Riverside GP Surgery" || ev.Decision != "permit" {
			t.Errorf("audited: %+v", ev)
		}
		if ev.PersonID == w.Ann.ID {
			seen[ev.ResourceType] = true
		}
	}
	if !seen["Patient"] || !seen["Observation"] {
		t.Errorf("Ann's export is not audited per type: %v", seen)
	}

	otherKey := es384(t, "k2")
	other := w.register("Hillside Pharmacy", "system/Patient.rs", otherKey)
	otherActor, _, err := w.authenticate(w.token(other, otherKey, "system/Patient.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Partners.ExportStatus(w.Ctx, otherActor, e.ID, nil); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("another partner sees the export: %v", err)
	}
	if _, err := w.Partners.ExportFile(w.Ctx, otherActor, e.ID, strings.TrimPrefix(m.Output[0].URL, "https://hearth.test/fhir/export-files/")); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("another partner fetches a file: %v", err)
	}

	w.Clock.Advance(6 * time.Hour)
	if n, err := w.Partners.ExpireExports(w.Ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if _, err := w.Partners.ExportFile(w.Ctx, actor, e.ID, strings.TrimPrefix(m.Output[0].URL, "https://hearth.test/fhir/export-files/")); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("an expired file: %v", err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d files kept after expiry", n)
	}
}

// A kick-off the partner's agreement or scopes do not cover is refused,
// and nothing is queued.
func TestABulkExportOutsideTheAgreementOrScopesIsRefused(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs system/Observation.rs", key)
	actor, scopes, err := w.authenticate(w.token(p, key, "system/Patient.rs system/Observation.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	start := func(r partners.ExportRequest) error {
		_, err := w.Partners.StartExport(w.Ctx, actor, scopes, r)
		return err
	}
	if err := start(partners.ExportRequest{Level: "system"}); hearth.KindOf(err) != hearth.KindForbidden || !strings.Contains(err.Error(), "No data-sharing agreement") {
		t.Errorf("without an agreement: %v", err)
	}
	w.agree(p, "identity")
	cases := []struct {
		name string
		req  partners.ExportRequest
		kind hearth.Kind
		says string
	}{
		{"a type the agreement does not cover", partners.ExportRequest{Level: "system", Types: []string{"Observation"}}, hearth.KindForbidden, "outside this client's scopes or its data-sharing agreement"},
		{"a type the scopes do not cover", partners.ExportRequest{Level: "system", Types: []string{"Consent"}}, hearth.KindForbidden, "outside this client's scopes"},
		{"a type no partner can export", partners.ExportRequest{Level: "system", Types: []string{"AuditEvent"}}, hearth.KindInvalid, "AuditEvent is not a resource type partner systems can export"},
		{"an unknown level", partners.ExportRequest{Level: "everyone"}, hearth.KindInvalid, "system, Patient or Group level"},
		{"a Group that is not one of its agreements", partners.ExportRequest{Level: "group", GroupID: hearth.NewID()}, hearth.KindNotFound, "That group"},
		{"a Group that is not an ID", partners.ExportRequest{Level: "group", GroupID: "everyone"}, hearth.KindNotFound, "That group"},
		{"a problem the API found", partners.ExportRequest{Level: "system", Problems: hearth.Problems{{Field: "Prefer", Message: "Send Prefer: respond-async"}}}, hearth.KindInvalid, "Send Prefer: respond-async"},
		{"a _since in the future", partners.ExportRequest{Level: "patient", Since: w.Clock.Now().Add(time.Hour)}, hearth.KindInvalid, "_since must not be in the future"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := start(tc.req)
			if hearth.KindOf(err) != tc.kind || !strings.Contains(errorText(err), tc.says) {
				t.Fatalf("got %v, want %v saying %q", err, tc.kind, tc.says)
			}
		})
	}
	if _, err := w.Partners.StartExport(w.Ctx, w.Manager.Actor, scopes, partners.ExportRequest{Level: "system"}); hearth.KindOf(err) != hearth.KindForbidden {
		t.Errorf("a member of staff: %v", err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_exports`); n != 0 {
		t.Errorf("%d exports queued by refused requests", n)
	}
	e, err := w.Partners.StartExport(w.Ctx, actor, scopes, partners.ExportRequest{Level: "patient", Types: []string{"Patient"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Partners.CancelExport(w.Ctx, actor, e.ID); err != nil {
		t.Fatal(err)
	}
	if id, _ := w.Partners.NextExport(w.Ctx); id != "" {
		t.Errorf("a cancelled export was claimed")
	}
}

// errorText is the error with every problem's message, for matching.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	var herr *hearth.Error
	if errorsAs(err, &herr) {
		s := herr.Message
		for _, p := range herr.Problems {
			s += "; " + p.Message
		}
		return s
	}
	return err.Error()
}

// An export interrupted by the server stopping goes back in the queue with
// nothing written, to run again from the start; one cancelled by its
// partner keeps nothing either.
func TestAnInterruptedExportIsQueuedAgainAndACancelledOneKeepsNothing(t *testing.T) {
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs", key)
	w.agree(p, "identity")
	w.consentToShare("Riverside GP Surgery", "care-record")
	actor, scopes, err := w.authenticate(w.token(p, key, "system/Patient.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.Partners.StartExport(w.Ctx, actor, scopes, partners.ExportRequest{Level: partners.LevelSystem})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(w.Ctx)
	stopping := func(sc *door.Scope, e partners.Export, personID string, types []string) (func(func(string, []byte) error) error, error) {
		stop() // the server is told to stop while the batch is being written
		return testMapper(sc, e, personID, types)
	}
	if n, err := w.Partners.RunQueuedExports(ctx, stopping); n != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %d %v", n, err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_exports WHERE status = 'accepted'`); n != 1 {
		t.Errorf("the interrupted export is not queued again")
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d files kept from the interrupted run", n)
	}
	if n, err := w.Partners.RunQueuedExports(w.Ctx, testMapper); n != 1 || err != nil {
		t.Fatalf("run again: %d %v", n, err)
	}
	if _, m, err := w.Partners.ExportStatus(w.Ctx, actor, e.ID, func(id string) string { return id }); err != nil || m == nil || len(m.Output) != 1 {
		t.Fatalf("run again: %+v %v", m, err)
	}
	if err := w.Partners.CancelExport(w.Ctx, actor, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Partners.ExportStatus(w.Ctx, actor, e.ID, nil); hearth.KindOf(err) != hearth.KindNotFound {
		t.Errorf("a cancelled export's status: %v", err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d files kept after cancelling", n)
	}
}

// A type's resources span as many files as they need: each file is about
// the size limit, and together they hold every resource once.
func TestAnExportSplitsATypeAcrossFiles(t *testing.T) {
	defer partners.SetMaxFileBytes(1)()
	w := newWorld(t)
	key := es384(t, "k1")
	p := w.register("Riverside GP Surgery", "system/Patient.rs system/Observation.rs", key)
	w.agree(p, "identity", "care-record")
	w.consentToShare("Riverside GP Surgery", "care-record")
	cath := w.Person(w.Manager, w.Home, "Cath", "Price", "9434765803")
	if _, err := w.Consent.Give(w.Ctx, w.Manager.Actor, consent.NewConsent{PersonID: cath.ID, Purpose: consent.PurposeSharing, Recipient: "Riverside GP Surgery",
		Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "What the practice sees", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	actor, scopes, err := w.authenticate(w.token(p, key, "system/Patient.rs system/Observation.rs").AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	e, err := w.Partners.StartExport(w.Ctx, actor, scopes, partners.ExportRequest{Level: partners.LevelSystem})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Partners.RunQueuedExports(w.Ctx, testMapper); err != nil {
		t.Fatal(err)
	}
	_, m, err := w.Partners.ExportStatus(w.Ctx, actor, e.ID, func(id string) string { return id })
	if err != nil {
		t.Fatal(err)
	}
	files, lines := map[string]int{}, map[string]int{}
	for _, o := range m.Output {
		f, err := w.Partners.ExportFile(w.Ctx, actor, e.ID, o.URL)
		if err != nil {
			t.Fatal(err)
		}
		files[o.Type]++
		lines[o.Type] += strings.Count(f.Body, "\n")
		if strings.Count(f.Body, "\n") != o.Count {
			t.Errorf("a %s file of %d lines counted %d", o.Type, strings.Count(f.Body, "\n"), o.Count)
		}
	}
	if files["Patient"] != 2 || files["Observation"] != 2 || lines["Patient"] != 2 || lines["Observation"] != 4 {
		t.Fatalf("files %v, lines %v: want one file per person per type (each over the limit) holding every resource once", files, lines)
	}
}
