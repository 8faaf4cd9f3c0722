package fhir_test

// Bulk Data Access ($export) over HTTP as a partner system: the kick-off,
// the status URL, the manifest and the NDJSON files, as the Bulk Data IG
// v2 asks, holding only the people and categories the agreement and each
// person's consent cover. Exports run synchronously here
// (App.RunQueuedExports); hearth serve runs them in the background.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/consent"
)

// manifest is a completed export's manifest, as a client reads it.
type manifest struct {
	TransactionTime     string `json:"transactionTime"`
	Request             string `json:"request"`
	RequiresAccessToken bool   `json:"requiresAccessToken"`
	Output              []struct {
		Type  string `json:"type"`
		URL   string `json:"url"`
		Count int    `json:"count"`
	} `json:"output"`
	Error []any `json:"error"`
}

// kickOff asks for an export as Bulk Data clients do, and returns the
// answer and the status URL.
func (w *partnerWorld) kickOff(token, path string) (reply, string) {
	w.t.Helper()
	r := w.call(token, "GET", path, "Prefer", "respond-async")
	return r, r.Header.Get("Content-Location")
}

// at is a request to an absolute URL the API gave (a status or file URL).
func (w *partnerWorld) at(token, method, u string) reply {
	w.t.Helper()
	return w.call(token, method, strings.TrimPrefix(u, w.srv.URL))
}

// runExports runs what is queued, as the worker would.
func (w *partnerWorld) runExports() int {
	w.t.Helper()
	n, err := w.RunQueuedExports(w.Ctx)
	if err != nil {
		w.t.Fatalf("run exports: %v", err)
	}
	return n
}

// completed polls a status URL once the export has run and reads the
// manifest.
func (w *partnerWorld) completed(token, status string) manifest {
	w.t.Helper()
	r := w.at(token, "GET", status)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Expires") == "" {
		w.t.Fatalf("status of a completed export: %d %v %s", r.Status, r.Header, r.Body)
	}
	var m manifest
	if err := json.Unmarshal(r.Body, &m); err != nil {
		w.t.Fatalf("manifest: %v %s", err, r.Body)
	}
	return m
}

// files fetches every file of a manifest and returns its resources by
// type, checking each line is one resource of the file's type.
func (w *partnerWorld) files(token string, m manifest) map[string][]map[string]any {
	w.t.Helper()
	out := map[string][]map[string]any{}
	for _, o := range m.Output {
		r := w.at(token, "GET", o.URL)
		if r.Status != 200 || r.Header.Get("Content-Type") != "application/fhir+ndjson" {
			w.t.Fatalf("file %s: %d %v %s", o.URL, r.Status, r.Header, r.Body)
		}
		lines := strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n")
		if len(lines) != o.Count {
			w.t.Errorf("%s file: %d lines, the manifest says %d", o.Type, len(lines), o.Count)
		}
		for _, l := range lines {
			var res map[string]any
			if err := json.Unmarshal([]byte(l), &res); err != nil || res["resourceType"] != o.Type {
				w.t.Fatalf("not an NDJSON line of %s: %.200q", o.Type, l)
			}
			out[o.Type] = append(out[o.Type], res)
		}
	}
	return out
}

// subjectOf is the person a resource is about.
func subjectOf(r map[string]any) string {
	if r["resourceType"] == "Patient" {
		return r["id"].(string)
	}
	for _, k := range []string{"subject", "patient"} {
		if ref, ok := r[k].(map[string]any); ok {
			return strings.TrimPrefix(ref["reference"].(string), "Patient/")
		}
	}
	return ""
}

// A system-level export, end to end: kicked off asynchronously, polled,
// completed with a manifest, its files fetched with the partner's token;
// it holds only the people who consented to share with the partner and
// only the categories the agreement covers; each person is decided and
// audited as the partner; another partner, or no token, gets nothing; a
// DELETE cancels it and its files go.
func TestABulkExportFollowsTheBulkDataIG(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs system/Observation.rs system/MedicationAdministration.rs system/Consent.rs")
	w.agree(w.p, "identity", "care-record")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	cath := w.Person(w.Manager, w.Home, "Cath", "Price", "9434765803")
	w.consentToShare(cath.ID, riverside, consent.ScopeAll)
	bob := w.Person(w.Manager, w.Home, "Bob", "Evans", "9434765870") // no consent for the partner
	drink := drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Hour))
	tok := w.token("system/Patient.rs system/Observation.rs system/MedicationAdministration.rs system/Consent.rs")

	kick, status := w.kickOff(tok, "/fhir/$export")
	if kick.Status != http.StatusAccepted || !strings.HasPrefix(status, w.srv.URL+"/fhir/$export-status/") {
		t.Fatalf("kick-off: %d %q %s", kick.Status, status, kick.Body)
	}
	if evs := w.events(kick); len(evs) != 1 || evs[0].ActorName != riverside || evs[0].Decision != "permit" || evs[0].ResourceType != "Group" {
		t.Errorf("the kick-off is not audited as the partner's request: %+v", evs)
	}
	exportID := strings.TrimPrefix(status, w.srv.URL+"/fhir/$export-status/")

	r := w.at(tok, "GET", status)
	if r.Status != http.StatusAccepted || r.Header.Get("X-Progress") != "queued" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("status while queued: %d %v", r.Status, r.Header)
	}
	otherKey := newKey(t)
	other2 := w.register("Valley Hospice", "system/Patient.rs", otherKey, "valley-1")
	w.agree(other2, "identity")
	otherTok := w.tokenFor(other2, otherKey, "valley-1", "system/Patient.rs")
	if r := w.at(otherTok, "GET", status); r.Status != http.StatusNotFound {
		t.Errorf("another partner polls the export: %d", r.Status)
	}
	if r := w.at("", "GET", status); r.Status != http.StatusUnauthorized {
		t.Errorf("polling without a token: %d", r.Status)
	}

	if n := w.runExports(); n != 1 {
		t.Fatalf("%d exports ran", n)
	}
	m := w.completed(tok, status)
	if m.Request != w.srv.URL+"/fhir/$export" || !m.RequiresAccessToken || m.Error == nil || len(m.Error) != 0 {
		t.Errorf("manifest: %+v", m)
	}
	if at, err := time.Parse(time.RFC3339, m.TransactionTime); err != nil || at.After(w.Clock.Now()) {
		t.Errorf("transactionTime %q", m.TransactionTime)
	}
	got := w.files(tok, m)
	var types []string
	for typ, list := range got {
		types = append(types, typ)
		for _, res := range list {
			if p := subjectOf(res); p != w.Ann.ID && p != cath.ID {
				t.Errorf("%s/%s is about %q, who has not consented to share", typ, res["id"], p)
			}
		}
	}
	slices.Sort(types)
	if strings.Join(types, ",") != "Observation,Patient" || len(got["Patient"]) != 2 {
		t.Errorf("exported %v with %d people: want the people who consented, and only what the scopes and agreement both cover", types, len(got["Patient"]))
	}
	if !slices.ContainsFunc(got["Observation"], func(r map[string]any) bool { return r["id"] == drink.ID }) {
		t.Errorf("Ann's drink is not in the export")
	}
	if r := w.at("", "GET", m.Output[0].URL); r.Status != http.StatusUnauthorized {
		t.Errorf("a file without a token: %d", r.Status)
	}
	if r := w.at(otherTok, "GET", m.Output[0].URL); r.Status != http.StatusNotFound {
		t.Errorf("a file with another partner's token: %d", r.Status)
	}
	evs, err := w.Audit.ByRequest(w.Ctx, "export-"+exportID)
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]map[string]bool{}
	for _, ev := range evs {
		if ev.ActorID != w.p.ID || ev.ActorKind != "system" || ev.Purpose != "sharing" {
			t.Errorf("the export is audited as someone else: %+v", ev)
		}
		if ev.PersonID != "" && ev.Decision == "permit" {
			if audited[ev.PersonID] == nil {
				audited[ev.PersonID] = map[string]bool{}
			}
			audited[ev.PersonID][ev.ResourceType] = true
		}
	}
	for _, p := range []string{w.Ann.ID, cath.ID} {
		if !audited[p]["Patient"] || !audited[p]["Observation"] {
			t.Errorf("%s's export is not audited per type: %v", p, audited[p])
		}
	}
	if audited[bob.ID] != nil {
		t.Errorf("Bob was decided into the export: %v", audited[bob.ID])
	}

	if r := w.at(tok, "DELETE", status); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := w.at(tok, "GET", status); r.Status != http.StatusNotFound {
		t.Errorf("status after cancelling: %d", r.Status)
	}
	if r := w.at(tok, "GET", m.Output[0].URL); r.Status != http.StatusNotFound {
		t.Errorf("a file after cancelling: %d", r.Status)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d files kept after cancelling", n)
	}
}

// An export's files expire: once past their lifetime the status URL and
// the files are not found, and the worker deletes them.
func TestAnExportsFilesExpire(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	tok := w.token("system/Patient.rs")
	_, status := w.kickOff(tok, "/fhir/Patient/$export")
	w.runExports()
	m := w.completed(tok, status)
	if !strings.HasSuffix(m.Request, "/fhir/Patient/$export") || len(w.files(tok, m)["Patient"]) != 1 {
		t.Fatalf("a Patient-level export: %+v", m)
	}
	w.Clock.Advance(6 * time.Hour)
	tok = w.token("system/Patient.rs")
	if r := w.at(tok, "GET", status); r.Status != http.StatusNotFound {
		t.Errorf("status after expiry: %d", r.Status)
	}
	if r := w.at(tok, "GET", m.Output[0].URL); r.Status != http.StatusNotFound {
		t.Errorf("a file after expiry: %d", r.Status)
	}
	if n, err := w.Partners.ExpireExports(w.Ctx); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d files kept after expiry", n)
	}
}

// _type keeps an export to some types, and _since to what changed after
// an instant.
func TestAnExportsTypeAndSinceNarrowWhatIsWritten(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs system/Observation.rs")
	w.agree(w.p, "identity", "care-record")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	before := drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Hour))
	w.Clock.Advance(time.Hour)
	since := w.Clock.Now().UTC().Format(time.RFC3339)
	w.Clock.Advance(time.Hour)
	after := drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Minute))
	tok := w.token("system/Patient.rs system/Observation.rs")

	kick, status := w.kickOff(tok, "/fhir/$export?_type=Observation&_since="+since+"&_outputFormat=application%2Ffhir%2Bndjson")
	if kick.Status != http.StatusAccepted {
		t.Fatalf("kick-off: %d %s", kick.Status, kick.Body)
	}
	w.runExports()
	got := w.files(tok, w.completed(tok, status))
	if len(got) != 1 || len(got["Observation"]) != 1 || got["Observation"][0]["id"] != after.ID {
		t.Fatalf("exported %v: want only the drink recorded after _since (%s), not %s", got, after.ID, before.ID)
	}
}

// For Hearth a Group is one of the partner's data-sharing agreements: its
// export holds only the categories that agreement covers. Another
// partner's agreement, an ended one, and no agreement at all are not
// found.
func TestAGroupIsOneOfThePartnersAgreements(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs system/Observation.rs")
	identity := w.agree(w.p, "identity")
	record := w.agree(w.p, "care-record")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	drinkAt(t, w.Scenario, w.Clock.Now().Add(-time.Hour))
	otherKey := newKey(t)
	other := w.register("Valley Hospice", "system/Patient.rs", otherKey, "valley-1")
	theirs := w.agree(other, "identity")
	tok := w.token("system/Patient.rs system/Observation.rs")

	for _, tc := range []struct {
		group string
		want  string
	}{{identity.ID, "Patient"}, {record.ID, "Observation"}} {
		kick, status := w.kickOff(tok, "/fhir/Group/"+tc.group+"/$export")
		if kick.Status != http.StatusAccepted {
			t.Fatalf("Group %s: %d %s", tc.want, kick.Status, kick.Body)
		}
		w.runExports()
		got := w.files(tok, w.completed(tok, status))
		if len(got) != 1 || len(got[tc.want]) == 0 {
			t.Errorf("the Group of the %s agreement exported %v", tc.want, got)
		}
	}
	if err := w.Partners.EndAgreement(w.Ctx, w.ig.Actor, record.ID, "Replaced by a new agreement"); err != nil {
		t.Fatal(err)
	}
	for name, group := range map[string]string{"another partner's agreement": theirs.ID, "an ended agreement": record.ID,
		"no agreement": hearth.NewID(), "not an ID": "everyone"} {
		if kick, _ := w.kickOff(tok, "/fhir/Group/"+group+"/$export"); kick.Status != http.StatusNotFound {
			t.Errorf("%s: %d %s", name, kick.Status, kick.Body)
		}
	}
}

// A client without a data-sharing agreement in force is refused, its
// refusal audited, and nothing is queued or written.
func TestAnExportByAClientWithoutAnAgreementIsRefusedAndWritesNoFiles(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.consentToShare(w.Ann.ID, riverside, consent.ScopeAll)
	tok := w.token("system/Patient.rs")
	kick, status := w.kickOff(tok, "/fhir/$export")
	if kick.Status != http.StatusForbidden || status != "" || !strings.Contains(string(kick.Body), "No data-sharing agreement") {
		t.Fatalf("kick-off: %d %q %s", kick.Status, status, kick.Body)
	}
	if evs := w.events(kick); len(evs) != 1 || evs[0].ActorName != riverside || evs[0].Outcome == "success" {
		t.Errorf("the refusal is not audited: %+v", evs)
	}
	if n := w.runExports(); n != 0 {
		t.Errorf("%d exports ran", n)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_exports`) + w.Count(`SELECT COUNT(*) FROM bulk_export_files`); n != 0 {
		t.Errorf("%d exports or files written", n)
	}
}

// Bulk export is asynchronous: a kick-off without Prefer: respond-async is
// refused (400, naming the header) and queues nothing.
func TestAnExportWithoutPreferRespondAsyncIsRefused(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs")
	w.agree(w.p, "identity")
	tok := w.token("system/Patient.rs")
	r := w.get(tok, "/fhir/$export")
	if r.Status != http.StatusBadRequest || !slices.Contains(expressions(t, r), "Prefer") {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if evs := w.events(r); len(evs) != 1 || evs[0].Outcome != "invalid" {
		t.Errorf("the attempt is not audited as invalid: %+v", evs)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_exports`); n != 0 {
		t.Errorf("%d exports queued", n)
	}
}

// Other bad kick-offs are refused with the parameter named, and queue
// nothing.
func TestABadKickOffIsRefusedAndQueuesNothing(t *testing.T) {
	w := newPartnerWorld(t, "system/Patient.rs system/Observation.rs")
	w.agree(w.p, "identity")
	tok := w.token("system/Patient.rs")
	for _, tc := range []struct {
		name, query string
		status      int
		names       string
	}{
		{"an output format other than NDJSON", "?_outputFormat=text/csv", 400, "_outputFormat"},
		{"an unknown parameter", "?colour=blue", 400, "colour"},
		{"a parameter Hearth does not support", "?_typeFilter=Observation%3Fcode%3D1", 400, "_typeFilter"},
		{"a _since that is not an instant", "?_since=yesterday", 400, "_since"},
		{"a _since in the future", "?_since=2030-01-01T00:00:00Z", 400, "_since"},
		{"a type no partner can export", "?_type=AuditEvent", 400, "_type"},
		{"a type outside the token's scopes", "?_type=Observation", 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := w.kickOff(tok, "/fhir/$export"+tc.query)
			if r.Status != tc.status || tc.names != "" && !slices.Contains(expressions(t, r), tc.names) {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	if r, _ := w.kickOff(tok, "/fhir/$export?colour=blue"); r.Status != 400 {
		t.Errorf("unknown parameter: %d", r.Status)
	}
	if r := w.call(tok, "GET", "/fhir/$export?colour=blue", "Prefer", "respond-async, handling=lenient"); r.Status != http.StatusAccepted {
		t.Errorf("an unknown parameter with handling=lenient: %d %s", r.Status, r.Body)
	}
	if n := w.Count(`SELECT COUNT(*) FROM bulk_exports`); n != 1 {
		t.Errorf("%d exports queued, want only the lenient one", n)
	}
}
