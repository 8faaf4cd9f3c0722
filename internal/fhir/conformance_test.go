package fhir_test

// Conformance proven by others' tools: every type the API emits is checked
// against the official FHIR R4 JSON schema and Medplum's FHIR validator,
// and a third-party client library (fhir-kit-client) reads, searches with
// paging, creates and updates through the API. The Node side lives in
// conformance/ with its exact versions locked; node_modules is installed
// with npm ci when missing.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/demo"
	"hearth/internal/partners"
	"hearth/internal/portal"
	"hearth/internal/store/storetest"
)

// conformanceDir is where the Node tools are, ready to run.
func conformanceDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the conformance checks by others' tools (internal/fhir/conformance) need Node 20 or later and npm")
	}
	dir, err := filepath.Abs("conformance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@medplum", "core")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	return dir
}

func runNode(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// demoAPI is a provider with the demo's year of varied records, a
// registered manager at every location signed in to the API, and one
// person's own portal account.
type demoAPI struct {
	*apptest.App
	api     *api
	base    string
	cookie  string
	manager apptest.Staff
}

func newDemoAPI(t *testing.T) *demoAPI {
	t.Helper()
	clock := &apptest.Clock{}
	clock.Set(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	opened, err := app.Open(ctx, app.Config{DB: storetest.DSN(t), AuditKeyFile: filepath.Join(t.TempDir(), "audit.key"),
		Passwords: accounts.TestParams, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { opened.Close() })
	if _, err := demo.Seed(ctx, opened); err != nil {
		t.Fatalf("seed the demo: %v", err)
	}
	a := &apptest.App{App: opened, T: t, Clock: clock, Ctx: ctx}
	locs, err := a.People.Locations(a.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := a.Staff("fhir.manager", access.RegisteredManager, locs...)
	srv := a.Server()
	c := a.Client(srv.URL)
	c.SignIn(m)
	d := &demoAPI{App: a, base: srv.URL + "/fhir", manager: m,
		api: &api{t: t, c: c, base: srv.URL, header: map[string][]string{}}}
	d.cookie = "hearth_session=" + c.Cookie("hearth_session")
	return d
}

func (d *demoAPI) bundle(t *testing.T, path string) map[string]any {
	t.Helper()
	r := d.api.get(path)
	if r.Status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return r.JSON(t)
}

func entriesOf(b map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := b["entry"].([]any)
	for _, e := range list {
		if res, ok := e.(map[string]any)["resource"].(map[string]any); ok {
			out = append(out, res)
		}
	}
	return out
}

type labelled struct {
	Label    string         `json:"label"`
	Resource map[string]any `json:"resource"`
}

func TestEveryResourceTheAPIEmitsValidatesAgainstTheOfficialSchemaAndAFHIRValidator(t *testing.T) {
	dir := conformanceDir(t)
	d := newDemoAPI(t)
	var out []labelled
	keep := func(label string, r map[string]any) { out = append(out, labelled{label, r}) }

	// Corrections, so versions and provenance are in what is checked.
	people := entriesOf(d.bundle(t, "/fhir/Patient?_count=500"))
	if len(people) < 10 {
		t.Fatalf("the demo has %d people", len(people))
	}
	obs := entriesOf(d.bundle(t, "/fhir/Observation?_count=500&code="+url("http://loinc.org|29463-7")))
	if len(obs) == 0 {
		t.Fatal("no weights in the demo")
	}
	w := obs[0]
	w["valueQuantity"].(map[string]any)["value"] = 70.1
	w["extension"] = []any{map[string]any{"url": d.base + "/StructureDefinition/version-reason", "valueString": "Wrong person's weight"}}
	if r := d.api.do("PUT", "/fhir/Observation/"+w["id"].(string), w); r.Status != 200 {
		t.Fatalf("correct a weight: %d %s", r.Status, r.Body)
	}

	caps := d.bundle(t, "/fhir/metadata")
	keep("metadata", caps)
	var types []string
	for _, r := range caps["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		res := r.(map[string]any)
		interactions, _ := res["interaction"].([]any)
		for _, i := range interactions {
			if i.(map[string]any)["code"] == "search-type" {
				types = append(types, res["type"].(string))
			}
		}
	}
	emitted := map[string]int{}
	for _, typ := range types {
		b := d.bundle(t, "/fhir/"+typ+"?_count=500")
		keep(typ+" search", b)
		list := entriesOf(b)
		for _, r := range list {
			emitted[r["resourceType"].(string)]++
		}
		if len(list) == 0 {
			continue
		}
		first := list[0]
		id := first["id"].(string)
		r := d.api.get("/fhir/" + typ + "/" + id)
		if r.Status != 200 {
			t.Errorf("read %s/%s: %d %s", typ, id, r.Status, r.Body)
			continue
		}
		keep(typ+" read", r.JSON(t))
		if typ != "CodeSystem" && typ != "StructureDefinition" && !isDirectoryType(typ) {
			keep(typ+" history", d.bundle(t, "/fhir/"+typ+"/"+id+"/_history"))
		}
	}
	for _, typ := range types {
		if emitted[typ] == 0 {
			t.Errorf("the API emitted no %s for the demo: it is not checked", typ)
		}
	}
	// Whole records: a care home resident, a person with home-care visits,
	// each as $everything.
	n := 0
	for _, p := range people {
		if n == 3 {
			break
		}
		keep("$everything "+p["id"].(string), d.bundle(t, "/fhir/Patient/"+p["id"].(string)+"/$everything"))
		n++
	}
	// The person's own copy of everything, as the portal gives it.
	keep("portal copy", d.portalCopy(t, people[0]["id"].(string)))
	// Errors.
	for _, bad := range []struct{ method, path, body string }{
		{"GET", "/fhir/Observation?colour=blue", ""},
		{"POST", "/fhir/Observation", "{not json"},
		{"GET", "/fhir/Observation/" + "01a2aaaa-0000-7000-8000-000000000000", ""},
		{"GET", "/fhir/Basic", ""},
	} {
		r := d.api.do(bad.method, bad.path, bad.body)
		keep("error "+bad.path, r.JSON(t))
	}

	// A partner's bulk export of everyone: its NDJSON files, line by line.
	tmp := t.TempDir()
	var ids []string
	for _, p := range people {
		ids = append(ids, p["id"].(string))
	}
	files, kickOff := d.bulkExport(t, tmp, ids)
	keep("bulk export kick-off", kickOff)

	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(tmp, "resources.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	got := runNode(t, dir, append([]string{"validate.mjs", file}, files...)...)
	t.Log(lastLines(got, 3))
	var names []string
	for typ := range emitted {
		names = append(names, typ)
	}
	sort.Strings(names)
	t.Logf("types searched: %s", strings.Join(names, ", "))
}

// bulkExport is a partner system's export of the demo, over HTTP as a
// Bulk Data client makes it: the partner registered for system/*.rs, an
// agreement covering every category, and the consent of each of people to
// share with it; kicked off, run, polled and every file fetched with the
// partner's token. It returns the NDJSON files, written to dir, and the
// kick-off's OperationOutcome.
func (d *demoAPI) bulkExport(t *testing.T, dir string, people []string) ([]string, map[string]any) {
	t.Helper()
	locs, err := d.People.Locations(d.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	admin := d.Staff("conformance.admin", access.Administrator)
	ig := d.Staff("conformance.ig", access.IGLead, locs...)
	key := newKey(t)
	p := registerPartner(t, d.App, admin, "Riverside GP Surgery", "system/*.rs", key, "k1")
	var cats []string
	for _, c := range partners.Categories {
		cats = append(cats, c.Key)
	}
	now := d.Clock.Now()
	if _, err := d.Partners.RecordAgreement(d.Ctx, ig.Actor, partners.NewAgreement{PartnerID: p.ID, Purpose: "Direct care by the GP practice",
		Article6: "6-1-e", Article9: "9-2-h", Categories: cats, Starts: now.AddDate(0, -1, 0), ReviewOn: now.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range people {
		if _, err := d.Consent.Give(d.Ctx, d.manager.Actor, consent.NewConsent{PersonID: id, Purpose: consent.PurposeSharing, Recipient: p.Name,
			Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "What the practice sees", InfoFormat: "standard"}); err != nil {
			t.Fatalf("consent for %s: %v", id, err)
		}
	}
	origin := strings.TrimSuffix(d.base, "/fhir")
	status, body := askToken(t, origin+partners.TokenPath, signAssertion(t, p.ID, key, "k1", origin+partners.TokenPath, now, nil), "system/*.rs")
	tok, _ := body["access_token"].(string)
	if status != 200 || tok == "" {
		t.Fatalf("token: %d %v", status, body)
	}
	call := func(u string, headers ...string) reply {
		t.Helper()
		r := d.api.do("GET", strings.TrimPrefix(u, origin), nil, append([]string{"Authorization", "Bearer " + tok}, headers...)...)
		return r
	}
	kick := call(d.base+"/$export", "Prefer", "respond-async")
	if kick.Status != 202 {
		t.Fatalf("kick-off: %d %s", kick.Status, kick.Body)
	}
	if _, err := d.RunQueuedExports(d.Ctx); err != nil {
		t.Fatal(err)
	}
	st := call(kick.Header.Get("Content-Location"))
	var m manifest
	if err := json.Unmarshal(st.Body, &m); err != nil || st.Status != 200 {
		t.Fatalf("manifest: %d %s", st.Status, st.Body)
	}
	var files []string
	counts := map[string]int{}
	for i, o := range m.Output {
		r := call(o.URL, "Accept", "application/fhir+ndjson")
		if r.Status != 200 {
			t.Fatalf("file %s: %d %s", o.URL, r.Status, r.Body)
		}
		name := filepath.Join(dir, fmt.Sprintf("%s-%d.ndjson", o.Type, i))
		if err := os.WriteFile(name, r.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
		counts[o.Type] += o.Count
	}
	if len(counts) < 10 || counts["Patient"] != len(people) {
		t.Fatalf("the export holds %v: want every type partners can export for all %d people", counts, len(people))
	}
	t.Logf("bulk export: %v", counts)
	return files, kick.JSON(t)
}

func isDirectoryType(t string) bool {
	switch t {
	case "Organization", "Location", "Practitioner", "PractitionerRole":
		return true
	}
	return false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func url(s string) string { return strings.NewReplacer("|", "%7C", ":", "%3A", "/", "%2F").Replace(s) }

// portalCopy is the person's own copy of everything, made for their own
// portal account.
func (d *demoAPI) portalCopy(t *testing.T, personID string) map[string]any {
	t.Helper()
	_, code, err := d.Portal.Invite(d.Ctx, d.manager.Actor, portal.NewInvitation{PersonID: personID, Kind: access.KindPerson, Name: "Their own account"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := d.Portal.Accept(d.Ctx, portal.Acceptance{Code: code, Username: fmt.Sprintf("own.%d", time.Now().UnixNano()%100000), Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.FHIR.Copy(d.Ctx, apptest.ActorOf(u), personID, d.base)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAThirdPartyFHIRClientReadsSearchesWithPagingCreatesAndIsRefusedAStaleUpdate(t *testing.T) {
	dir := conformanceDir(t)
	d := newDemoAPI(t)
	since := d.Clock.Now().Add(-72 * time.Hour).UTC().Format(time.RFC3339)
	// A care home resident: drinks every day.
	var personID string
	for _, p := range entriesOf(d.bundle(t, "/fhir/Patient?_count=500")) {
		b := d.bundle(t, "/fhir/Observation?_count=0&patient="+p["id"].(string)+"&date=ge"+since)
		if total, _ := b["total"].(float64); total >= 6 {
			personID = p["id"].(string)
			break
		}
	}
	if personID == "" {
		t.Fatal("no one in the demo has six observations in three days")
	}
	got := runNode(t, dir, "client.mjs", d.base, d.cookie, personID, since, d.base+"/StructureDefinition/"+"version-reason")
	if !strings.Contains(got, "client: all interactions as expected") {
		t.Fatalf("client:\n%s", got)
	}
	t.Log(got)
	_ = consent.PurposeSharing
}
