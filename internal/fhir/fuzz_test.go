package fhir

import (
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"hearth"
)

// FuzzSearchParams: whatever query a partner system sends, reading it as
// the search parameters of any resource type never panics; a refusal is
// bad input (400 and an OperationOutcome naming the parameter), never a
// fault; and what is accepted reads back the same when sent again.
func FuzzSearchParams(f *testing.F) {
	types := make([]string, 0, len(specs))
	for typ := range specs {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, q := range []string{
		"patient=Patient/01a22815-5b79-7ad9-af98-efebfb439390&date=ge2026-03-01&date=lt2026-04-01",
		"identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", "name=Jones&birthdate=1941-06-14",
		"_count=10&_offset=20&_sort=-date", "code=http://loinc.org|85353-1", "date=2026", "date=2026-03", "date=eq2026-03-03T10:00:00Z",
		"date=sa2026-13-45", "_count=-1", "_count=99999999999999999999", "_lastUpdated=gt2026-03-03T10:00:00.123456789+01:00",
		"subject:Patient=01a22815", "name:exact=Ann", "name:contains=Ann", "unknown=1", "patient=", "%zz", "date=&date=ap",
		"_id=" + strings.Repeat("a", 200), "type=|", "identifier=|", "identifier=a|b|c",
	} {
		f.Add(q, uint8(len(q)))
	}
	f.Fuzz(func(t *testing.T, raw string, pick uint8) {
		values, err := url.ParseQuery(raw)
		if err != nil {
			return // the HTTP server refuses such a query before it gets here
		}
		typ := types[int(pick)%len(types)]
		for _, isLenient := range []bool{false, true} {
			q, err := parseQuery(typ, values, isLenient)
			if err != nil {
				if hearth.KindOf(err) != hearth.KindInvalid {
					t.Fatalf("%s?%s: %v (kind %d), want bad input", typ, raw, err, hearth.KindOf(err))
				}
				continue
			}
			again, err := parseQuery(typ, q.used, isLenient)
			if err != nil {
				t.Fatalf("%s?%s was accepted, but what it used (%s) is refused: %v", typ, raw, q.used.Encode(), err)
			}
			if again.used.Encode() != q.used.Encode() {
				t.Fatalf("%s?%s reads back as %s, then %s", typ, raw, q.used.Encode(), again.used.Encode())
			}
			from, to := q.window()
			if !from.IsZero() && !to.IsZero() && to.Before(from) {
				t.Fatalf("%s?%s: a window that ends (%v) before it starts (%v)", typ, raw, to, from)
			}
		}
	})
}

// FuzzResourceJSON: whatever JSON a partner system posts as a Patient or
// an Observation, reading it never panics; a refusal is bad input naming
// an element; and an Observation that is read is mapped to the care
// service's input without a fault, every problem naming its element.
func FuzzResourceJSON(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","name":[{"family":"Jones","given":["Ann"]}],"birthDate":"1941-06-14",` +
			`"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}]}`,
		`{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/01a22815-5b79-7ad9-af98-efebfb439390"},` +
			`"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},"effectiveDateTime":"2026-03-03T09:00:00Z",` +
			`"valueQuantity":{"value":64.2,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`,
		`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85353-1"}]},` +
			`"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72}}]}`,
		`{"resourceType":"Observation","effectiveDateTime":"yesterday","valueQuantity":{"value":"heavy"}}`,
		`{"resourceType":"Patient","birthDate":"14/06/1941","name":"Ann"}`,
		`{"resourceType":"Patient","resourceType":"Observation"}`,
		`{"resourceType":null}`, `{}`, `[]`, `null`, `"Patient"`, `{"resourceType":"Patient",`, ``, `{"resourceType":"Patient","extension":[{"url":1}]}`,
	} {
		f.Add([]byte(s))
	}
	m := mapper{base: "https://hearth.example.org/fhir", now: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var pt Patient
		if err := decodeResource(raw, "Patient", "Patient", &pt); err != nil {
			mustBeBadInput(t, raw, err, "Patient")
		} else if b, err := json.Marshal(pt); err != nil {
			t.Fatalf("a Patient read from %s does not write back: %v", raw, err)
		} else if err := decodeResource(b, "Patient", "Patient", &Patient{}); err != nil {
			t.Fatalf("a Patient read from %s, written as %s, does not read again: %v", raw, b, err)
		}
		var o Observation
		if err := decodeResource(raw, "Observation", "Observation", &o); err != nil {
			mustBeBadInput(t, raw, err, "Observation")
			return
		}
		var p problems
		_, fields := m.obsInput(&o, "Observation", &p)
		if err := p.err(); err != nil {
			mustBeBadInput(t, raw, err, "Observation")
		}
		for name, element := range fields {
			if !strings.HasPrefix(element, "Observation") {
				t.Fatalf("field %s names element %q, outside the resource", name, element)
			}
		}
	})
}

func mustBeBadInput(t *testing.T, raw []byte, err error, typ string) {
	t.Helper()
	var herr *hearth.Error
	if hearth.KindOf(err) != hearth.KindInvalid || !errors.As(err, &herr) || len(herr.Problems) == 0 {
		t.Fatalf("%s from %s: %v, want bad input naming an element", typ, raw, err)
	}
	for _, pr := range herr.Problems {
		if !strings.HasPrefix(pr.Field, typ) || pr.Message == "" {
			t.Fatalf("%s from %s: problem %+v does not name an element of the resource", typ, raw, pr)
		}
	}
}
