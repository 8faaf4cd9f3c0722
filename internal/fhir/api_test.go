package fhir_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/portal"
)

// weight is a body-weight Observation for a person, as a client sends it.
func weight(personID string, kg any, at time.Time) map[string]any {
	return map[string]any{"resourceType": "Observation", "status": "final",
		"code":    map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "29463-7"}}},
		"subject": map[string]any{"reference": "Patient/" + personID}, "effectiveDateTime": at.UTC().Format(time.RFC3339),
		"valueQuantity": map[string]any{"value": kg, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
}

func issues(t *testing.T, r reply) []map[string]any {
	t.Helper()
	m := r.JSON(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome (%d): %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, i := range m["issue"].([]any) {
		out = append(out, i.(map[string]any))
	}
	return out
}

func expressions(t *testing.T, r reply) []string {
	var out []string
	for _, i := range issues(t, r) {
		if ex, ok := i["expression"].([]any); ok {
			for _, e := range ex {
				out = append(out, e.(string))
			}
		}
	}
	return out
}

func TestBadInputIsAnsweredWithAnOperationOutcomeNamingTheElementAndChangesNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	now := s.Clock.Now()
	tooHeavy := weight(s.Ann.ID, 900, now)
	notANumber := weight(s.Ann.ID, "heavy", now)
	noType := weight(s.Ann.ID, 60, now)
	delete(noType, "resourceType")
	wrongType := weight(s.Ann.ID, 60, now)
	wrongType["resourceType"] = "Patient"
	noSubject := weight(s.Ann.ID, 60, now)
	delete(noSubject, "subject")
	cases := []struct {
		name        string
		method      string
		path        string
		body        any
		headers     []string
		status      int
		element     string // an issue's expression, when one is expected
		diagnostics string
	}{
		{"invalid JSON is refused", "POST", "/fhir/Observation", "{not json", nil, 400, "Observation", "not valid JSON"},
		{"an empty body is refused", "POST", "/fhir/Observation", "", nil, 400, "Observation", "Send the Observation"},
		{"a missing resourceType is refused, naming it", "POST", "/fhir/Observation", noType, nil, 400, "Observation.resourceType", "missing"},
		{"a wrong resourceType is refused, naming it", "POST", "/fhir/Observation", wrongType, nil, 400, "Observation.resourceType", "must be Observation"},
		{"a value that is not a number names the element", "POST", "/fhir/Observation", notANumber, nil, 400, "Observation.valueQuantity.value", ""},
		{"a weight out of range names the element and the rule", "POST", "/fhir/Observation", tooHeavy, nil, 400, "Observation.valueQuantity.value", "between 20 and 300"},
		{"an observation about no one names the subject", "POST", "/fhir/Observation", noSubject, nil, 400, "Observation.subject", "Patient"},
		{"an unknown search parameter is refused, naming it", "GET", "/fhir/Observation?colour=blue", nil, nil, 400, "colour", "Unknown search parameter"},
		{"an unsupported modifier is refused", "GET", "/fhir/Observation?code:text=tea", nil, nil, 400, "code:text", "Unknown search parameter"},
		{"a date that is not a date is refused", "GET", "/fhir/Observation?date=yesterday", nil, nil, 400, "date", "not a date"},
		{"an unknown date prefix is refused", "GET", "/fhir/Observation?date=ap2026-03-03", nil, nil, 400, "date", "prefix"},
		{"a negative _count is refused", "GET", "/fhir/Observation?_count=-1", nil, nil, 400, "_count", ""},
		{"sorting by an unknown parameter is refused", "GET", "/fhir/Observation?_sort=colour", nil, nil, 400, "_sort", ""},
		{"XML is not served", "GET", "/fhir/Patient/" + s.Ann.ID, nil, []string{"Accept", "application/fhir+xml"}, 406, "", ""},
		{"a form is not accepted as a resource", "POST", "/fhir/Observation", "a=b", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "", ""},
		{"a type Hearth does not serve is not found", "GET", "/fhir/Basic", nil, nil, 404, "", "does not serve"},
		{"an update of a type Hearth never changes is not allowed", "PUT", "/fhir/Patient/" + s.Ann.ID, map[string]any{"resourceType": "Patient", "id": s.Ann.ID}, nil, 405, "", ""},
		{"a transaction that is a batch is refused", "POST", "/fhir/", map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{}}, nil, 400, "Bundle.type", "transaction"},
	}
	before := s.Count(`SELECT COUNT(*) FROM observations`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/fhir+json") {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
			is := issues(t, r)
			if is[0]["severity"] != "error" || is[0]["code"] == "" {
				t.Errorf("issue %v", is[0])
			}
			if tc.element != "" && !contains(expressions(t, r), tc.element) {
				t.Errorf("no issue names %s: %s", tc.element, r.Body)
			}
			if tc.diagnostics != "" && !strings.Contains(string(r.Body), tc.diagnostics) {
				t.Errorf("no issue says %q: %s", tc.diagnostics, r.Body)
			}
		})
	}
	if after := s.Count(`SELECT COUNT(*) FROM observations`); after != before {
		t.Errorf("bad input changed the record: %d observations, was %d", after, before)
	}
	t.Run("an unknown search parameter is ignored when the caller asks for lenient handling", func(t *testing.T) {
		r := a.get("/fhir/Observation?colour=blue&patient="+s.Ann.ID, "Prefer", "handling=lenient")
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), "colour") {
			t.Errorf("the ignored parameter is in the self link: %s", r.Body)
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestAStaleIfMatchIsRefusedWith412AndAnUnchangedReadWith304(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	r := a.do("POST", "/fhir/Observation", weight(s.Ann.ID, 62.4, s.Clock.Now().Add(-time.Hour)))
	if r.Status != 201 || r.Header.Get("ETag") != `W/"1"` || !strings.Contains(r.Header.Get("Location"), "/_history/1") {
		t.Fatalf("create: %d %v %s", r.Status, r.Header, r.Body)
	}
	created := r.JSON(t)
	id := created["id"].(string)
	if got := a.get("/fhir/Observation/"+id, "If-None-Match", `W/"1"`); got.Status != 304 || len(got.Body) != 0 {
		t.Errorf("If-None-Match on the current version: %d %s", got.Status, got.Body)
	}
	if got := a.get("/fhir/Observation/"+id, "If-None-Match", `W/"7"`); got.Status != 200 {
		t.Errorf("If-None-Match on another version: %d", got.Status)
	}
	reason := srv.URL + "/fhir/StructureDefinition/version-reason"
	fix := created
	fix["valueQuantity"].(map[string]any)["value"] = 61.9
	delete(fix, "meta")
	noReason := a.do("PUT", "/fhir/Observation/"+id, fix, "If-Match", `W/"1"`)
	if noReason.Status != 400 || !strings.Contains(strings.Join(expressions(t, noReason), " "), "version-reason") {
		t.Errorf("a correction without a reason: %d %s", noReason.Status, noReason.Body)
	}
	fix["extension"] = []any{map[string]any{"url": reason, "valueString": "Scales not zeroed"}}
	if got := a.do("PUT", "/fhir/Observation/"+id, fix, "If-Match", `W/"1"`); got.Status != 200 || got.Header.Get("ETag") != `W/"2"` {
		t.Fatalf("update: %d %s", got.Status, got.Body)
	}
	stale := a.do("PUT", "/fhir/Observation/"+id, fix, "If-Match", `W/"1"`)
	if stale.Status != http.StatusPreconditionFailed || issues(t, stale)[0]["code"] != "conflict" {
		t.Errorf("stale If-Match: %d %s", stale.Status, stale.Body)
	}
	// Nothing is lost: the first version stays readable, and history has both.
	v1 := a.get("/fhir/Observation/" + id + "/_history/1").JSON(t)
	if v1["valueQuantity"].(map[string]any)["value"] != 62.4 || v1["status"] != "final" {
		t.Errorf("version 1 %v", v1)
	}
	cur := a.get("/fhir/Observation/" + id).JSON(t)
	if cur["valueQuantity"].(map[string]any)["value"] != 61.9 || cur["status"] != "corrected" {
		t.Errorf("current %v", cur)
	}
	h := a.get("/fhir/Observation/" + id + "/_history").JSON(t)
	if h["type"] != "history" || len(h["entry"].([]any)) != 2 {
		t.Errorf("history %v", h)
	}
	if n := s.Count(`SELECT COUNT(*) FROM observations WHERE person_id = ?`, s.Ann.ID); n != 2 {
		t.Errorf("%d observation rows: a correction is a new row", n)
	}
	prov := a.get("/fhir/Provenance/" + id + "-v2")
	if prov.Status != 200 || !strings.Contains(string(prov.Body), "Scales not zeroed") {
		t.Errorf("provenance of the correction: %d %s", prov.Status, prov.Body)
	}
}

// obsAt records a drink for Ann at t.
func drinkAt(t *testing.T, s *apptest.Scenario, at time.Time) care.Observation {
	t.Helper()
	o, err := s.Care.Record(s.Ctx, s.Carer.Actor, s.Ann.ID, care.ObsInput{Kind: care.FluidIn, Amount: "200", What: "Tea", At: at})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestDateSearchHonoursEachPrefixOverTheValuesPrecision(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	// Drinks at 09:00 on 1, 2 and 3 March 2026 (UTC).
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	one, two, three := drinkAt(t, s, day(1)), drinkAt(t, s, day(2)), drinkAt(t, s, day(3))
	cases := []struct {
		name, date string
		want       []string
	}{
		{"eq a day finds that day's", "eq2026-03-02", []string{two.ID}},
		{"no prefix means eq", "2026-03-02", []string{two.ID}},
		{"eq a month finds the month's", "2026-03", []string{one.ID, two.ID, three.ID}},
		{"ne a day finds the others", "ne2026-03-02", []string{one.ID, three.ID}},
		{"lt a day finds those before it", "lt2026-03-02", []string{one.ID}},
		{"le a day finds those on or before it", "le2026-03-02", []string{one.ID, two.ID}},
		{"gt a day finds those after it", "gt2026-03-02", []string{three.ID}},
		{"ge a day finds those on or after it", "ge2026-03-02", []string{two.ID, three.ID}},
		{"sa a day finds those starting after it", "sa2026-03-01", []string{two.ID, three.ID}},
		{"eb a day finds those ending before it", "eb2026-03-03", []string{one.ID, two.ID}},
		{"ge an instant with a zone", "ge2026-03-02T09:00:00Z", []string{two.ID, three.ID}},
		{"gt an instant excludes the instant", "gt2026-03-02T09:00:00Z", []string{three.ID}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := a.get("/fhir/Observation?patient=" + s.Ann.ID + "&date=" + tc.date + "&_sort=date").JSON(t)
			var got []string
			for _, e := range entriesOf(b) {
				got = append(got, e["id"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("date=%s found %v, want %v", tc.date, got, tc.want)
			}
		})
	}
	t.Run("two date parameters are both applied", func(t *testing.T) {
		b := a.get("/fhir/Observation?patient=" + s.Ann.ID + "&date=ge2026-03-02&date=lt2026-03-03").JSON(t)
		if b["total"].(float64) != 1 {
			t.Errorf("total %v", b["total"])
		}
	})
}

func TestSearchResultsComeAPageAtATimeWithSelfNextAndPreviousLinks(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	for i := range 7 {
		drinkAt(t, s, s.Clock.Now().Add(-time.Duration(i+1)*time.Hour))
	}
	links := func(b map[string]any) map[string]string {
		out := map[string]string{}
		for _, l := range b["link"].([]any) {
			l := l.(map[string]any)
			out[l["relation"].(string)] = l["url"].(string)
		}
		return out
	}
	b := a.get("/fhir/Observation?patient=" + s.Ann.ID + "&_count=3").JSON(t)
	seen := map[string]bool{}
	pages := 0
	for {
		pages++
		for _, e := range entriesOf(b) {
			if seen[e["id"].(string)] {
				t.Errorf("%s on two pages", e["id"])
			}
			seen[e["id"].(string)] = true
		}
		if b["total"].(float64) != 7 {
			t.Errorf("total %v", b["total"])
		}
		l := links(b)
		if l["self"] == "" {
			t.Error("no self link")
		}
		if pages > 1 && l["previous"] == "" {
			t.Error("no previous link after the first page")
		}
		next, ok := l["next"]
		if !ok {
			break
		}
		b = a.get(strings.TrimPrefix(next, srv.URL)).JSON(t)
	}
	if pages != 3 || len(seen) != 7 {
		t.Errorf("%d pages, %d entries", pages, len(seen))
	}
}

func TestASearchIsAReadOfEveryPersonItReturnsAndOfNoOneElse(t *testing.T) {
	s := apptest.NewScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Smith", "")
	srv := s.Server()
	for _, tc := range []struct {
		name  string
		who   apptest.Staff
		query string
		want  []string
	}{
		{"a care worker finds only the people on their care team", s.Carer, "/fhir/Patient", []string{s.Ann.ID}},
		{"a care worker on no care team finds no one", s.OtherCarer, "/fhir/Patient", nil},
		{"a manager finds everyone at their location", s.Manager, "/fhir/Patient", []string{s.Ann.ID, bob.ID}},
		{"a search by name reads only the people it returns", s.Manager, "/fhir/Patient?name=bo", []string{bob.ID}},
		{"a search by NHS number reads only that person", s.Manager, "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + s.AnnNHS, []string{s.Ann.ID}},
		{"a search for another person's entries finds nothing", s.OtherCarer, "/fhir/Observation?patient=" + s.Ann.ID, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := signedIn(t, s, srv.URL, tc.who)
			r := a.get(tc.query)
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var got []string
			for _, e := range entriesOf(r.JSON(t)) {
				got = append(got, e["id"].(string))
			}
			if strings.Join(sorted(got), ",") != strings.Join(sorted(tc.want), ",") {
				t.Errorf("found %v, want %v", got, tc.want)
			}
			evs, err := s.Audit.ByRequest(s.Ctx, r.Header.Get("X-Request-ID"))
			if err != nil {
				t.Fatal(err)
			}
			read := map[string]bool{}
			for _, e := range evs {
				if e.ActorID != tc.who.ID {
					t.Errorf("event for another actor: %+v", e)
				}
				if e.PersonID != "" && e.Decision == "permit" {
					read[e.PersonID] = true
				}
			}
			for _, id := range tc.want {
				if !read[id] {
					t.Errorf("%s returned but not audited as read", id)
				}
			}
			for id := range read {
				if !contains(tc.want, id) {
					t.Errorf("%s audited as read but not returned", id)
				}
			}
			if len(evs) == 0 {
				t.Error("the search was not audited")
			}
		})
	}
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestAnEntryIsReadOnlyAsTheRecordOfThePersonItBelongsTo(t *testing.T) {
	s := apptest.NewScenario(t)
	bob := s.Person(s.Manager, s.Home, "Bob", "Smith", "")
	s.Assign(s.Manager, bob, s.OtherCarer)
	srv := s.Server()
	o := drinkAt(t, s, s.Clock.Now().Add(-time.Hour))
	other := signedIn(t, s, srv.URL, s.OtherCarer)
	if r := other.get("/fhir/Observation/" + o.ID); r.Status != 404 {
		t.Errorf("another person's carer read Ann's drink: %d %s", r.Status, r.Body)
	}
	if r := other.get("/fhir/Observation?patient=" + bob.ID + "&_id=" + o.ID); len(entriesOf(r.JSON(t))) != 0 {
		t.Errorf("Ann's drink found under Bob: %s", r.Body)
	}
	carer := signedIn(t, s, srv.URL, s.Carer)
	moved := weight(bob.ID, 60, s.Clock.Now())
	moved["id"] = o.ID
	if r := carer.do("PUT", "/fhir/Observation/"+o.ID, moved); r.Status != 400 && r.Status != 404 {
		t.Errorf("a correction moved Ann's entry to Bob: %d %s", r.Status, r.Body)
	}
	if r := carer.get("/fhir/Observation/" + hexID()); r.Status != 404 {
		t.Errorf("a missing entry: %d", r.Status)
	}
}

func hexID() string { return "01a2aaaa-0000-7000-8000-000000000000" }

func TestATransactionIsCheckedFirstNamesEachProblemByEntryAndIsAllOrNothing(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Manager)
	at := s.Clock.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	base := srv.URL + "/fhir"
	bundle := func(kg any, extra ...map[string]any) map[string]any {
		entries := []any{
			map[string]any{"fullUrl": "urn:uuid:7c1f6a43-0000-4000-8000-000000000001", "request": map[string]any{"method": "POST", "url": "Patient"},
				"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Evans", "given": []any{"Cerys"}}},
					"birthDate": "1938-02-11", "identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765870"}},
					"extension": []any{map[string]any{"url": base + "/StructureDefinition/registered-location", "valueReference": map[string]any{"reference": "Location/" + s.Home.ID}}}}},
			map[string]any{"request": map[string]any{"method": "POST", "url": "Observation"}, "resource": func() map[string]any {
				o := weight("x", kg, s.Clock.Now().Add(-48*time.Hour))
				o["subject"] = map[string]any{"reference": "urn:uuid:7c1f6a43-0000-4000-8000-000000000001"}
				return o
			}()},
			map[string]any{"request": map[string]any{"method": "POST", "url": "DocumentReference"}, "resource": map[string]any{
				"resourceType": "DocumentReference", "status": "current",
				"type":     map[string]any{"coding": []any{map[string]any{"system": base + "/CodeSystem/document-type", "code": "daily-note"}}},
				"category": []any{map[string]any{"coding": []any{map[string]any{"system": base + "/CodeSystem/note-category", "code": "mood"}}}},
				"subject":  map[string]any{"reference": "urn:uuid:7c1f6a43-0000-4000-8000-000000000001"}, "date": at,
				"context": map[string]any{"period": map[string]any{"start": at}},
				"content": []any{map[string]any{"attachment": map[string]any{"contentType": "text/plain", "data": base64.StdEncoding.EncodeToString([]byte("Settled, chatted about her garden"))}}}}},
		}
		for _, e := range extra {
			entries = append(entries, e)
		}
		return map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries}
	}
	count := func() int {
		return s.Count(`SELECT COUNT(*) FROM people`) + s.Count(`SELECT COUNT(*) FROM observations`) + s.Count(`SELECT COUNT(*) FROM daily_notes`)
	}
	before := count()
	t.Run("a weight out of range in one entry refuses the whole Bundle, naming the entry", func(t *testing.T) {
		r := a.do("POST", "/fhir/", bundle(900))
		if r.Status != 400 || !contains(expressions(t, r), "Bundle.entry[1].resource.valueQuantity.value") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if count() != before {
			t.Error("a refused Bundle changed the record")
		}
	})
	t.Run("every structural problem is named before anything is done", func(t *testing.T) {
		bad := bundle(60, map[string]any{"request": map[string]any{"method": "PUT", "url": "Observation"}, "resource": map[string]any{"resourceType": "Observation", "status": "final",
			"code": map[string]any{"text": "mystery"}, "subject": map[string]any{"reference": "urn:uuid:nobody"}}},
			map[string]any{"request": map[string]any{"method": "POST", "url": "Basic"}, "resource": map[string]any{"resourceType": "Basic"}})
		r := a.do("POST", "/fhir/", bad)
		ex := expressions(t, r)
		for _, want := range []string{"Bundle.entry[3].request.method", "Bundle.entry[3].resource.code", "Bundle.entry[3].resource.subject.reference", "Bundle.entry[4].resource.resourceType"} {
			if !contains(ex, want) {
				t.Errorf("no issue names %s: %v", want, ex)
			}
		}
		if r.Status != 400 || count() != before {
			t.Errorf("%d; record changed: %v", r.Status, count() != before)
		}
	})
	t.Run("a good Bundle is performed whole through the services, each entry decided and audited", func(t *testing.T) {
		r := a.do("POST", "/fhir/", bundle(58.2))
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		b := r.JSON(t)
		if b["type"] != "transaction-response" || len(b["entry"].([]any)) != 3 {
			t.Fatalf("%s", r.Body)
		}
		if count() != before+3 {
			t.Errorf("%d rows added, want 3", count()-before)
		}
		evs, err := s.Audit.ByRequest(s.Ctx, r.Header.Get("X-Request-ID"))
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range evs {
			if e.Decision == "permit" {
				actions[e.Action]++
			}
		}
		if actions["manage-people"] != 1 || actions["write-record"] != 2 {
			t.Errorf("decisions %v", actions)
		}
		loc := b["entry"].([]any)[0].(map[string]any)["response"].(map[string]any)["location"].(string)
		if got := a.get("/fhir/" + loc); got.Status != 200 {
			t.Errorf("the new person at %s: %d", loc, got.Status)
		}
	})
}

func TestEverythingIsTheWholeRecordAndTheirOwnCopyLeavesOutWhatIsWithheld(t *testing.T) {
	s := apptest.NewScenario(t)
	ctx := s.Ctx
	now := s.Clock.Now()
	carer, manager := s.Carer.Actor, s.Manager.Actor
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.Care.Record(ctx, carer, s.Ann.ID, care.ObsInput{Kind: care.VitalSign, RespRate: "18", SpO2: "96", SpO2Scale: "1", Oxygen: "air",
		Systolic: "128", Pulse: "76", Consciousness: "A", Temperature: "36.9", At: now.Add(-time.Hour)})
	must(err)
	note, err := s.Care.RecordNote(ctx, carer, s.Ann.ID, care.NoteDraft{Category: "mood", Body: "Her brother visited", CareAt: now.Add(-2 * time.Hour)})
	must(err)
	walk, err := s.Care.RecordNote(ctx, carer, s.Ann.ID, care.NoteDraft{Category: "health", Body: "Walked to the gate", CareAt: now.Add(-3 * time.Hour)})
	must(err)
	_, err = s.Care.CorrectNote(ctx, carer, s.Ann.ID, walk.ID, care.NoteDraft{Category: "health", Body: "Walked to the garden",
		CareAt: now.Add(-3 * time.Hour), Reason: "It was the garden, not the gate"})
	must(err)
	_, err = s.Care.AddAboutMe(ctx, carer, s.Ann.ID, care.AboutMeDraft{Section: "please-call-me", Body: "Annie"})
	must(err)
	_, err = s.Care.NewCarePlan(ctx, manager, s.Ann.ID, care.PlanDraft{Area: "mobility", Outcome: "Walk to the shop", HowMet: "A frame and a carer",
		Agreement: "agreed", ReviewOn: now.AddDate(0, 3, 0), Involved: care.Involvement{Kinds: []string{"person", "staff"}}})
	must(err)
	_, err = s.Care.SaveRisk(ctx, manager, s.Ann.ID, "", care.RiskDraft{Title: "Falls", CouldHappen: "A fall at night", Likelihood: "medium",
		Impact: "high", Reduces: "A sensor mat", ReviewOn: now.AddDate(0, 3, 0), Involved: care.Involvement{Kinds: []string{"person"}}})
	must(err)
	must(s.Care.SetFluidTarget(ctx, manager, s.Ann.ID, "1500", ""))
	med, err := s.Care.AddMedicine(ctx, manager, s.Ann.ID, care.MedicineInput{Name: "Paracetamol", Strength: "500 mg", Dose: "2 tablets", Route: "oral",
		PRN: true, MinIntervalHours: "4", Max24h: "4", StartDate: now.AddDate(0, 0, -7), Source: "gp"})
	must(err)
	_, err = s.Care.RecordDose(ctx, carer, s.Ann.ID, care.DoseInput{MedicineID: med.ID, Outcome: care.Given, At: now.Add(-time.Hour)})
	must(err)
	_, err = s.Consent.Give(ctx, manager, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeSharing, Recipient: "Riverside GP",
		Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "Who sees what", InfoFormat: "standard"})
	must(err)
	_, err = s.Portal.Withhold(ctx, manager, s.Ann.ID, portal.NewWithheld{ResourceType: "Observation", ResourceID: note.ID,
		Category: portal.WithheldThirdParty, Reason: "It names her brother, who asked us not to share it"})
	must(err)

	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	r := a.get("/fhir/Patient/" + s.Ann.ID + "/$everything")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	kinds := map[string]int{}
	for _, e := range entriesOf(r.JSON(t)) {
		kinds[e["resourceType"].(string)]++
	}
	for _, want := range []string{"Patient", "Observation", "DocumentReference", "CarePlan", "Goal", "RiskAssessment", "MedicationStatement",
		"MedicationAdministration", "Consent", "AuditEvent", "Provenance"} {
		if kinds[want] == 0 {
			t.Errorf("$everything has no %s: %v", want, kinds)
		}
	}
	if !strings.Contains(string(r.Body), base64.StdEncoding.EncodeToString([]byte("Her brother visited"))) {
		t.Error("staff's $everything leaves out the withheld note: it is withheld from Ann, not from her care team")
	}
	// Ann's own copy, through the portal's download.
	_, code, err := s.Portal.Invite(ctx, manager, portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	must(err)
	u, err := s.Portal.Accept(ctx, portal.Acceptance{Code: code, Username: "ann.jones", Password: apptest.Password})
	must(err)
	copyJSON, err := s.FHIR.Copy(ctx, apptest.ActorOf(u), s.Ann.ID, srv.URL+"/fhir")
	must(err)
	if strings.Contains(string(copyJSON), base64.StdEncoding.EncodeToString([]byte("Her brother visited"))) {
		t.Error("Ann's copy holds the note withheld from her")
	}
	if !strings.Contains(string(copyJSON), base64.StdEncoding.EncodeToString([]byte("Walked to the garden"))) {
		t.Error("Ann's copy leaves out a note that is not withheld")
	}
	var cp map[string]any
	must(json.Unmarshal(copyJSON, &cp))
	if cp["type"] != "collection" {
		t.Errorf("copy type %v", cp["type"])
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND action = 'export-record' AND decision = 'permit'`, u.ID); n != 1 {
		t.Errorf("the copy was audited %d times", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE actor_id = ? AND reason = 'withheld' AND resource_id = ?`, u.ID, note.ID); n == 0 {
		t.Error("the withheld note was not refused (and audited) for Ann")
	}
	noEmpty(t, "$everything", r.Body)
	noEmpty(t, "the copy", copyJSON)
}

// noEmpty fails on any empty string, list or object in JSON: the official
// schema refuses them.
func noEmpty(t *testing.T, what string, raw []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case string:
			if strings.TrimSpace(x) == "" {
				t.Errorf("%s: empty string at %s", what, path)
			}
		case []any:
			if len(x) == 0 {
				t.Errorf("%s: empty list at %s", what, path)
			}
			for i, e := range x {
				walk(path+"["+itoa(i)+"]", e)
			}
		case map[string]any:
			if len(x) == 0 {
				t.Errorf("%s: empty object at %s", what, path)
			}
			for k, e := range x {
				walk(path+"."+k, e)
			}
		}
	}
	walk(what, v)
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + func() string { return fmtInt(i) }())
}

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

func TestHearthsOwnCodeSystemsAndExtensionsArePublishedAtTheirURLs(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	caps := a.get("/fhir/metadata")
	noEmpty(t, "metadata", caps.Body)
	if strings.Contains(string(caps.Body), "hearth.example") {
		t.Error("a placeholder host in the CapabilityStatement")
	}
	ev := a.get("/fhir/Patient/" + s.Ann.ID + "/$everything")
	var urls []string
	var find func(v any)
	find = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "system" || k == "url") &&
					(strings.HasPrefix(s, srv.URL+"/fhir/CodeSystem/") || strings.HasPrefix(s, srv.URL+"/fhir/StructureDefinition/")) {
					urls = append(urls, s)
				}
				find(e)
			}
		case []any:
			for _, e := range x {
				find(e)
			}
		}
	}
	var m any
	if err := json.Unmarshal(ev.Body, &m); err != nil {
		t.Fatal(err)
	}
	find(m)
	if len(urls) == 0 {
		t.Fatal("no Hearth code system or extension in Ann's record")
	}
	for _, u := range urls {
		r := a.get(strings.TrimPrefix(u, srv.URL))
		if r.Status != 200 {
			t.Errorf("%s is not published: %d", u, r.Status)
			continue
		}
		got := r.JSON(t)
		if got["url"] != u {
			t.Errorf("%s publishes %v", u, got["url"])
		}
	}
}
