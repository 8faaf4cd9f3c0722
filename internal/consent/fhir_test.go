package consent_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"hearth/internal/consent"
)

// testBase stands for a deployment's FHIR base URL.
const testBase = "https://care.rowan.test/fhir"

var update = flag.Bool("update", false, "rewrite the golden FHIR files")

func TestFHIRConsentMatchesTheGoldenJSONAndRoundTrips(t *testing.T) {
	at := time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		c    consent.Consent
		now  time.Time
	}{
		{"sharing_by_the_person", consent.Consent{ID: "c1", PersonID: "p1", Purpose: consent.PurposeSharing, Recipient: "Riverside GP surgery",
			Decision: "permit", Scope: []string{consent.ScopeCareRecord, consent.ScopeMedicines}, Starts: at, Ends: at.AddDate(1, 0, 0),
			GivenBy: "person", InfoGiven: "Explained who sees what", InfoFormat: "large-print", RecordedAt: at}, at},
		{"technology_by_an_attorney_withdrawn", consent.Consent{ID: "c2", PersonID: "p1", Purpose: consent.PurposeTechnology, TechnologyID: "t9",
			TechnologyName: "Bed sensor", Decision: "permit", Scope: []string{consent.ScopeAll}, Starts: at, GivenBy: "representative",
			RepresentativeID: "r1", RepresentativeName: "Mary Jones", Authority: consent.AuthorityLPAHealthWelfare,
			InfoGiven: "Leaflet", InfoFormat: "easy-read", RecordedAt: at, WithdrawnAt: at.Add(48 * time.Hour), WithdrawnBy: "Mary Jones"}, at.Add(72 * time.Hour)},
		{"photographs_refused", consent.Consent{ID: "c3", PersonID: "p1", Purpose: consent.PurposePhotographs, Decision: "deny",
			Scope: []string{consent.ScopeAll}, Starts: at, GivenBy: "person", InfoGiven: "Asked", InfoFormat: "standard", RecordedAt: at}, at},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(tc.c.FHIR(tc.now, testBase), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(want), got) {
				t.Fatalf("FHIR JSON differs from %s:\n%s", path, got)
			}
			var back consent.FHIRConsent
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.c.FHIR(tc.now, testBase)) {
				t.Fatal("FHIR Consent does not round-trip")
			}
		})
	}
}
