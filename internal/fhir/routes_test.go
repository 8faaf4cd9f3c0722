package fhir_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/apptest"
)

// The FHIR routes that make no decision, each with why. Every other route
// must make an access decision and write an audit event on every request,
// whoever asks and whatever they ask for (DESIGN.md invariant 1), as the
// web interface's route walk holds its own routes to.
var exempt = map[string]string{
	"GET /fhir/metadata":                 "the CapabilityStatement: no one's data",
	"GET /fhir/CodeSystem":               "Hearth's own code systems: no one's data",
	"GET /fhir/CodeSystem/{id}":          "one of Hearth's code systems: no one's data",
	"GET /fhir/StructureDefinition":      "Hearth's extensions: no one's data",
	"GET /fhir/StructureDefinition/{id}": "one of Hearth's extensions: no one's data",
	// A partner system's own bulk export: what is in its files was decided
	// and audited person by person, as the partner, when they were written
	// (partners.RunExport); these answer only the partner that asked
	// (anyone else's, or a missing one, is not found) and need its token.
	"GET /fhir/$export-status/{id}":              "a partner's own export's progress or manifest: no record is read",
	"DELETE /fhir/$export-status/{id}":           "a partner cancelling its own export: deletes files, reads no record",
	"GET /fhir/$export-status/{id}/files/{file}": "delivers a file of the partner's own export, decided and audited when written",
}

// routeTypes are the types a {type} in a route is tried with: every type
// served, and one that is not.
var routeTypes = []string{"Patient", "RelatedPerson", "Practitioner", "PractitionerRole", "Organization", "Location", "Consent",
	"CarePlan", "Goal", "Observation", "MedicationStatement", "MedicationAdministration", "Encounter", "Flag", "RiskAssessment",
	"DocumentReference", "DeviceUseStatement", "AuditEvent", "Provenance"}

func TestEveryFHIRRouteIsADoorDecisionAndAudited(t *testing.T) {
	s := apptest.NewScenario(t)
	ig := s.Staff("iglead", access.IGLead, s.Home)
	o := drinkAt(t, s, s.Clock.Now().Add(-time.Hour))
	srv := s.Server()
	routes := s.FHIR.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		if !rt.Personal {
			if _, ok := exempt[key]; !ok {
				t.Errorf("%s makes no decision and is not on the exempt list: say why it touches no personal data", key)
			}
			continue
		}
		if _, ok := exempt[key]; ok {
			t.Errorf("%s is personal but also on the exempt list", key)
		}
		types := []string{""}
		if strings.Contains(rt.Path, "{type}") {
			types = routeTypes
		}
		for _, typ := range types {
			for _, who := range []apptest.Staff{s.Carer, s.OtherCarer, s.Manager, ig} {
				a := signedIn(t, s, srv.URL, who)
				for _, target := range []string{s.Ann.ID, o.ID, hearth.NewID()} {
					path := strings.NewReplacer("{type}", typ, "{id}", target, "{vid}", "1", "{$}", "").Replace(rt.Path)
					var body any
					if rt.Method != http.MethodGet {
						body = weight(s.Ann.ID, 61, s.Clock.Now().Add(-time.Minute))
						if typ != "" {
							body.(map[string]any)["resourceType"] = typ
						}
						if rt.Path == "/fhir/{$}" {
							body = map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
								map[string]any{"request": map[string]any{"method": "POST", "url": "Observation"}, "resource": weight(target, 61, s.Clock.Now().Add(-time.Minute))}}}
						}
					}
					r := a.do(rt.Method, path, body)
					if r.Status >= 500 {
						t.Errorf("%s %s as %s: status %d %s", rt.Method, path, who.Username, r.Status, r.Body)
					}
					if r.Status == http.StatusMethodNotAllowed || (r.Status == 400 && rt.Method != http.MethodGet) {
						// Refused before anything was read or decided: an
						// interaction not offered for the type, or a body
						// that does not say what it is about.
						continue
					}
					evs, err := s.Audit.ByRequest(s.Ctx, r.Header.Get("X-Request-ID"))
					if err != nil {
						t.Fatal(err)
					}
					if len(evs) == 0 {
						t.Errorf("%s %s as %s (%d): no audit event: the route bypasses the door", rt.Method, path, who.Username, r.Status)
						continue
					}
					for _, e := range evs {
						if e.Decision != "permit" && e.Decision != "deny" || e.Reason == "" || e.ReasonText == "" {
							t.Errorf("%s %s as %s: an event without a decision and reason: %+v", rt.Method, path, who.Username, e)
						}
						if e.ActorID != who.ID {
							t.Errorf("%s %s as %s: event for the wrong actor: %+v", rt.Method, path, who.Username, e)
						}
					}
				}
			}
		}
	}
	for key := range exempt {
		if !seen[key] {
			t.Errorf("exempt route %s is no longer registered: remove it from the list", key)
		}
	}
	t.Run("without a session every personal route asks the caller to sign in", func(t *testing.T) {
		for _, rt := range routes {
			if !rt.Personal {
				continue
			}
			path := strings.NewReplacer("{type}", "Patient", "{id}", s.Ann.ID, "{vid}", "1", "{$}", "").Replace(rt.Path)
			req, _ := http.NewRequest(rt.Method, srv.URL+path, strings.NewReader(`{"resourceType":"Patient"}`))
			req.Header.Set("Content-Type", "application/fhir+json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s without a session: %d", rt.Method, path, resp.StatusCode)
			}
		}
	})
}
