package fhir_test

import (
	"testing"

	"hearth/internal/apptest"
)

func TestSmoke(t *testing.T) {
	s := apptest.NewScenario(t)
	srv := s.Server()
	a := signedIn(t, s, srv.URL, s.Carer)
	for _, p := range []string{"/fhir/metadata", "/fhir/Patient/" + s.Ann.ID, "/fhir/Patient", "/fhir/Observation?patient=" + s.Ann.ID, "/fhir/Patient/" + s.Ann.ID + "/$everything"} {
		r := a.get(p)
		t.Logf("%s -> %d %.600s", p, r.Status, r.Body)
	}
	r := a.do("POST", "/fhir/Observation", map[string]any{"resourceType": "Observation", "status": "final",
		"code":    map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "29463-7"}}},
		"subject": map[string]any{"reference": "Patient/" + s.Ann.ID}, "effectiveDateTime": "2026-03-03T09:00:00Z",
		"valueQuantity": map[string]any{"value": 62.4, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}})
	t.Logf("create -> %d %s %s", r.Status, r.Header.Get("ETag"), r.Body)
}
