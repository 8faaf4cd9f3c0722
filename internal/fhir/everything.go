package fhir

// The whole record of one person as one Bundle: $everything for the API,
// and the person's own copy of everything (subject access) from the
// portal. Both gather the same parts through the door and map them with
// the same mapping; each part is decided for whoever is reading (a part
// they may not read is refused, audited and left out), and entries
// withheld from the person and their representatives stay out of their
// copy.

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

// everythingTypes are the types a whole record holds.
var everythingTypes = []string{"Patient", "RelatedPerson", "Consent", "Observation", "DocumentReference", "CarePlan", "Goal",
	"RiskAssessment", "MedicationStatement", "MedicationAdministration", "Encounter", "Flag", "DeviceUseStatement",
	"Communication", "Task", "AuditEvent", "Provenance"}

// wholeRecord reads and maps everything the caller may read of the person
// inside sc, whose own decision the caller has made, as a bundle of type
// bundleType.
func (s *Server) wholeRecord(sc *door.Scope, c *call, personID, bundleType string, want wants, since time.Time) (*Bundle, error) {
	rec, err := s.gather(sc, c, personID, partsFor(want)|partPerson, care.Window{}, "the whole record")
	if err != nil {
		return nil, err
	}
	m := s.mapperFor(sc, c)
	list := m.entries(rec, want)
	b := &Bundle{Base: Base{ResourceType: "Bundle", ID: hearth.NewID()}, Type: bundleType, Timestamp: instant(sc.Now())}
	for _, e := range list {
		if !since.IsZero() && e.lastUpdated().Before(since) {
			continue
		}
		entry := BundleEntry{FullURL: c.base + "/" + e.typ + "/" + e.id, Resource: e.current()}
		if bundleType == "searchset" {
			entry.Search = &BundleSearch{Mode: "match"}
		}
		b.Entry = append(b.Entry, entry)
	}
	if bundleType == "searchset" {
		total := len(b.Entry)
		b.Total = &total
		b.Link = []BundleLink{{Relation: "self", URL: c.base + "/Patient/" + personID + "/$everything"}}
	}
	return b, nil
}

// partsFor are the parts of a record the types want need (and only
// those): a capacity assessment is an Observation kept with the consent
// records, and provenance is of every part that has versions.
func partsFor(want wants) part {
	var parts part
	for p := part(1); p <= partCorrections; p <<= 1 {
		if want(p.resourceType()) || (p == partConsent && (want("RelatedPerson") || want("Observation"))) ||
			(want("Provenance") && specs["Provenance"].parts&p != 0) {
			parts |= p
		}
	}
	return parts
}

// everything answers GET /fhir/Patient/{id}/$everything: the person's
// whole record, as far as the caller may read it, in one searchset
// Bundle. _type limits it to some types; _since to what changed since.
func (s *Server) everything(w http.ResponseWriter, r *http.Request, c *call) error {
	personID := r.PathValue("id")
	if err := c.allowed("Patient", Read); err != nil {
		return err
	}
	want := func(string) bool { return true }
	var since time.Time
	var p problems
	for key, values := range r.URL.Query() {
		switch key {
		case "_format", "_pretty":
		case "_type":
			types := map[string]bool{}
			for _, v := range values {
				for _, t := range strings.Split(v, ",") {
					t = strings.TrimSpace(t)
					if !contains(everythingTypes, t) {
						p.add("_type", "_type names "+safeType(t)+", which a person's record does not hold")
					}
					types[t] = true
				}
			}
			want = func(t string) bool { return types[t] }
		case "_since":
			t, err := time.Parse(time.RFC3339Nano, values[0])
			if err != nil {
				p.add("_since", "_since must be an instant such as 2026-03-03T10:00:00Z")
			}
			since = t
		default:
			if !lenient(r) {
				p.add(key, "Unknown parameter '"+key+"' for $everything: use _type or _since")
			}
		}
	}
	if err := p.err(); err != nil {
		return err
	}
	if c.caller.Scopes != nil {
		inner := want
		want = func(t string) bool { return inner(t) && c.caller.Scopes.CanRead(t) }
	}
	var b *Bundle
	err := s.run(r.Context(), c, func(sc *door.Scope) error {
		if _, err := sc.Allow(c.request(access.ViewPerson, personID, "Patient", personID, "$everything")); err != nil {
			return err
		}
		var err error
		b, err = s.wholeRecord(sc, c, personID, "searchset", want, since)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// Copy is a person's copy of everything Hearth holds about them that they
// may see, as a FHIR R4 collection Bundle (subject access): decided and
// audited as ExportRecord for actor, then each part as its own read, with
// what is withheld from them left out. base is the FHIR base URL the
// copy's references and code systems are named under.
func (s *Server) Copy(ctx context.Context, actor door.Actor, personID, base string) ([]byte, error) {
	c := &call{caller: Caller{Actor: actor, Purpose: people.Purpose(actor)}, base: strings.TrimSuffix(base, "/")}
	var b *Bundle
	err := s.Door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(c.request(access.ExportRecord, personID, "Bundle", "", "a copy of everything (subject access)")); err != nil {
			return err
		}
		var err error
		b, err = s.wholeRecord(sc, c, personID, "collection", func(string) bool { return true }, time.Time{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(b, "", "  ")
}
