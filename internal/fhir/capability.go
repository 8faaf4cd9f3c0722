package fhir

// What the API says about itself, truthfully: the CapabilityStatement at
// /fhir/metadata lists only the types, interactions, search parameters,
// operations and profiles implemented here, and Hearth's own code systems
// and extensions are published at their canonical URLs under the base.

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"hearth"
	"hearth/internal/consent"
	"hearth/internal/partners"
)

// CapabilityStatement says what this server does.
type CapabilityStatement struct {
	Base
	URL            string             `json:"url,omitempty"`
	Name           string             `json:"name,omitempty"`
	Title          string             `json:"title,omitempty"`
	Status         string             `json:"status"`
	Date           string             `json:"date"`
	Publisher      string             `json:"publisher,omitempty"`
	Description    string             `json:"description,omitempty"`
	Kind           string             `json:"kind"`
	Software       *CapSoftware       `json:"software,omitempty"`
	Implementation *CapImplementation `json:"implementation,omitempty"`
	Instantiates   []string           `json:"instantiates,omitempty"`
	FHIRVersion    string             `json:"fhirVersion"`
	Format         []string           `json:"format"`
	Rest           []CapRest          `json:"rest,omitempty"`
}

// CapSoftware names the software.
type CapSoftware struct {
	Name string `json:"name"`
}

// CapImplementation is this deployment.
type CapImplementation struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

// CapRest is the RESTful API.
type CapRest struct {
	Mode          string           `json:"mode"`
	Documentation string           `json:"documentation,omitempty"`
	Security      *CapSecurity     `json:"security,omitempty"`
	Resource      []CapResource    `json:"resource,omitempty"`
	Interaction   []CapInteraction `json:"interaction,omitempty"`
	Operation     []CapOperation   `json:"operation,omitempty"`
}

// CapSecurity says how callers authenticate.
type CapSecurity struct {
	Extension   []Extension       `json:"extension,omitempty"`
	Cors        *bool             `json:"cors,omitempty"`
	Service     []CodeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

// CapResource is one resource type's support.
type CapResource struct {
	Type             string           `json:"type"`
	SupportedProfile []string         `json:"supportedProfile,omitempty"`
	Documentation    string           `json:"documentation,omitempty"`
	Interaction      []CapInteraction `json:"interaction,omitempty"`
	Versioning       string           `json:"versioning,omitempty"`
	ReadHistory      *bool            `json:"readHistory,omitempty"`
	UpdateCreate     *bool            `json:"updateCreate,omitempty"`
	ConditionalRead  string           `json:"conditionalRead,omitempty"`
	SearchParam      []CapSearchParam `json:"searchParam,omitempty"`
	Operation        []CapOperation   `json:"operation,omitempty"`
}

// CapInteraction is one interaction.
type CapInteraction struct {
	Code          string `json:"code"`
	Documentation string `json:"documentation,omitempty"`
}

// CapSearchParam is one search parameter.
type CapSearchParam struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

// CapOperation is one operation.
type CapOperation struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
}

var kindNames = map[paramKind]string{paramReference: "reference", paramDate: "date", paramToken: "token", paramString: "string", paramID: "token"}

// tokenURL is where partner systems ask for access tokens.
func (s *Server) tokenURL(r *http.Request) string {
	if s.cfg.TokenURL != "" {
		return s.cfg.TokenURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + partners.TokenPath
}

func (s *Server) capability(base, tokenURL string) *CapabilityStatement {
	yes := true
	no := false
	cs := &CapabilityStatement{Base: Base{ResourceType: "CapabilityStatement", ID: "hearth"}, URL: base + "/metadata",
		Name: "HearthFHIRAPI", Title: "Hearth FHIR R4 API", Status: "active", Date: "2026-11-01", Publisher: "Hearth",
		Description: "The FHIR R4 API of a Hearth care record: the person's record, as the care team keeps it, for partner systems and staff. Every request is an access decision, audited.",
		Kind:        "instance", Software: &CapSoftware{Name: "Hearth"},
		Implementation: &CapImplementation{Description: "Hearth", URL: base}, Instantiates: []string{bulkDataCapability},
		FHIRVersion: "4.0.1", Format: []string{"json", ContentType}}
	rest := CapRest{Mode: "server",
		Documentation: "Search results are a page at a time (_count, at most 500; _offset) with self, next and previous links. " +
			"An unknown search parameter is refused unless Prefer: handling=lenient. Dates without a time zone are UTC.",
		Security: &CapSecurity{Cors: &no,
			Service: []CodeableConcept{{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/restful-security-service", Code: "SMART-on-FHIR"}},
				Text: "SMART Backend Services"}},
			Extension: []Extension{{URL: "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
				Extension: []Extension{{URL: "token", ValueURI: tokenURL}}}},
			Description: "Partner systems are SMART Backend Services clients registered by the provider: they sign a JWT (RS384 or ES384) for a five-minute access token " +
				"from the token endpoint, with SMART v2 system scopes for reading and searching (system/Observation.rs), and read under a data-sharing agreement " +
				"and each person's consent; every refusal about a person reads as not found. Staff signed in to Hearth's web interface may use the API as themselves " +
				"(the session cookie, with requests from other sites refused). Every request is decided by Hearth's access rules and audited."},
		Interaction: []CapInteraction{{Code: "transaction", Documentation: "Import people and their history: validated first, all or nothing, each problem named by entry and element."}},
		Operation:   []CapOperation{{Name: "export", Definition: opExport}}}
	var types []string
	for t := range specs {
		types = append(types, t)
	}
	for t := range directoryParams {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		r := CapResource{Type: t}
		var params map[string]paramKind
		if isDirectory(t) {
			params = directoryParams[t]
			r.Interaction = []CapInteraction{{Code: "read"}, {Code: "vread"}, {Code: "history-instance"}, {Code: "search-type"}}
			r.Documentation = "The provider's directory: decided and audited as a list."
		} else {
			spec := specs[t]
			params = spec.params
			r.Documentation = spec.doc
			r.Interaction = []CapInteraction{{Code: "read"}, {Code: "vread"}, {Code: "history-instance"}, {Code: "search-type"}}
			if spec.create {
				r.Interaction = append(r.Interaction, CapInteraction{Code: "create"})
			}
			if spec.update {
				r.Interaction = append(r.Interaction, CapInteraction{Code: "update"})
				r.Versioning = "versioned-update"
				r.UpdateCreate = &no
			} else {
				r.Versioning = "versioned"
			}
			r.ReadHistory = &yes
			r.ConditionalRead = "not-match"
		}
		switch t {
		case "Patient":
			r.SupportedProfile = []string{profileUKCorePatient}
			r.Operation = []CapOperation{{Name: "everything", Definition: "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
				{Name: "export", Definition: opPatientExport}}
		case "Observation":
			r.SupportedProfile = []string{profileVitalSigns, profileRespRate, profileHeartRate, profileOxygenSat, profileBodyTemp, profileBodyWeight, profileBodyHeight}
		}
		names := []string{"_id", "_lastUpdated"}
		for n := range params {
			names = append(names, n)
		}
		sort.Strings(names[2:])
		for _, n := range names {
			kind := paramDate
			if n == "_id" {
				kind = paramID
			} else if n != "_lastUpdated" {
				kind = params[n]
			}
			r.SearchParam = append(r.SearchParam, CapSearchParam{Name: n, Type: kindNames[kind]})
		}
		rest.Resource = append(rest.Resource, r)
	}
	rest.Resource = append(rest.Resource, CapResource{Type: "Group", Operation: []CapOperation{{Name: "export", Definition: opGroupExport}},
		Documentation: "Only $export. A Group is one of the partner system's data-sharing agreements, its ID the agreement's (shown on the agreement in Hearth): " +
			"the export holds the people the partner receives information about under it, and only the categories of information it covers. " +
			"Bulk export (system, Patient and Group level) is for partner systems: Prefer: respond-async is required, _type and _since are supported, " +
			"files are NDJSON that need the partner's access token and expire."})
	for _, t := range []string{"CodeSystem", "StructureDefinition"} {
		rest.Resource = append(rest.Resource, CapResource{Type: t, Documentation: "Hearth's own " + t + " resources, at their canonical URLs under this base.",
			Interaction: []CapInteraction{{Code: "read"}, {Code: "search-type"}}, SearchParam: []CapSearchParam{{Name: "url", Type: "uri"}}})
	}
	cs.Rest = []CapRest{rest}
	return cs
}

func (s *Server) metadata(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, s.capability(c.base, s.tokenURL(r)))
	return nil
}

// CodeSystem is one of Hearth's own code systems.
type CodeSystem struct {
	Base
	URL           string              `json:"url"`
	Version       string              `json:"version"`
	Name          string              `json:"name"`
	Title         string              `json:"title"`
	Status        string              `json:"status"`
	Experimental  *bool               `json:"experimental,omitempty"`
	Publisher     string              `json:"publisher"`
	Description   string              `json:"description"`
	CaseSensitive *bool               `json:"caseSensitive,omitempty"`
	Content       string              `json:"content"`
	Count         int                 `json:"count"`
	Concept       []CodeSystemConcept `json:"concept"`
}

// CodeSystemConcept is one code.
type CodeSystemConcept struct {
	Code    string `json:"code"`
	Display string `json:"display"`
}

// StructureDefinition defines one of Hearth's extensions.
type StructureDefinition struct {
	Base
	URL            string         `json:"url"`
	Version        string         `json:"version"`
	Name           string         `json:"name"`
	Title          string         `json:"title"`
	Status         string         `json:"status"`
	Publisher      string         `json:"publisher"`
	Description    string         `json:"description"`
	Kind           string         `json:"kind"`
	Abstract       bool           `json:"abstract"`
	Context        []SDContext    `json:"context"`
	Type           string         `json:"type"`
	BaseDefinition string         `json:"baseDefinition"`
	Derivation     string         `json:"derivation"`
	Differential   SDDifferential `json:"differential"`
}

// SDContext is where an extension may be used.
type SDContext struct {
	Type       string `json:"type"`
	Expression string `json:"expression"`
}

// SDDifferential is what the extension constrains.
type SDDifferential struct {
	Element []SDElement `json:"element"`
}

// SDElement is one element definition.
type SDElement struct {
	ID         string   `json:"id"`
	Path       string   `json:"path"`
	Short      string   `json:"short,omitempty"`
	Definition string   `json:"definition,omitempty"`
	Min        *int     `json:"min,omitempty"`
	Max        string   `json:"max,omitempty"`
	FixedURI   string   `json:"fixedUri,omitempty"`
	Type       []SDType `json:"type,omitempty"`
}

// SDType is an element's type.
type SDType struct {
	Code string `json:"code"`
}

func pascal(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) codeSystemsFor(base string) []Resource {
	yes, no := true, false
	var out []Resource
	for _, c := range codeSystems() {
		r := &CodeSystem{Base: Base{ResourceType: "CodeSystem", ID: c.name}, URL: consent.FHIRCodeSystem(base, c.name), Version: "1",
			Name: pascal(c.name), Title: c.title, Status: "active", Experimental: &no, Publisher: "Hearth", Description: c.description,
			CaseSensitive: &yes, Content: "complete", Count: len(c.concepts)}
		for _, k := range c.concepts {
			display := k[1]
			if display == "" {
				display = k[0]
			}
			r.Concept = append(r.Concept, CodeSystemConcept{Code: k[0], Display: display})
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) extensionsFor(base string) []Resource {
	zero, one := 0, 1
	var out []Resource
	for _, x := range extensions() {
		url := consent.FHIRExtensionURL(base, x.name)
		r := &StructureDefinition{Base: Base{ResourceType: "StructureDefinition", ID: x.name}, URL: url, Version: "1", Name: pascal(x.name),
			Title: x.title, Status: "active", Publisher: "Hearth", Description: x.description, Kind: "complex-type",
			Type: "Extension", BaseDefinition: "http://hl7.org/fhir/StructureDefinition/Extension", Derivation: "constraint",
			Differential: SDDifferential{Element: []SDElement{
				{ID: "Extension", Path: "Extension", Short: x.title, Definition: x.description, Max: "1"},
				{ID: "Extension.extension", Path: "Extension.extension", Max: "0"},
				{ID: "Extension.url", Path: "Extension.url", FixedURI: url},
				{ID: "Extension.value[x]", Path: "Extension.value[x]", Min: &one, Type: []SDType{{Code: x.valueType}}},
			}}}
		_ = zero
		for _, ctx := range x.context {
			r.Context = append(r.Context, SDContext{Type: "element", Expression: ctx})
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) conformance(typ, base string) []Resource {
	if typ == "CodeSystem" {
		return s.codeSystemsFor(base)
	}
	return s.extensionsFor(base)
}

func (s *Server) conformanceRead(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		for _, res := range s.conformance(typ, c.base) {
			if _, id := res.ident(); id == r.PathValue("id") {
				writeJSON(w, http.StatusOK, res)
				return nil
			}
		}
		return hearth.NotFound(typ + "/" + safeType(r.PathValue("id")))
	}
}

func (s *Server) conformanceSearch(typ string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		q, err := parseQueryWith(typ, map[string]paramKind{"url": paramString}, r.URL.Query(), lenient(r))
		if err != nil {
			return err
		}
		var matched []*entry
		for _, res := range s.conformance(typ, c.base) {
			_, id := res.ident()
			if len(q.ids) > 0 && !contains(q.ids, id) {
				continue
			}
			if urls := q.strings["url"]; len(urls) > 0 {
				u := ""
				switch v := res.(type) {
				case *CodeSystem:
					u = v.URL
				case *StructureDefinition:
					u = v.URL
				}
				if !contains(urls, strings.ToLower(u)) {
					continue
				}
			}
			e := &entry{typ: typ, id: id, versions: []Resource{res}, updated: []time.Time{{}}}
			matched = append(matched, e)
		}
		q.sort = []sortKey{{name: "_id"}}
		q.order(matched)
		writeJSON(w, http.StatusOK, s.searchset(c, q, matched))
		return nil
	}
}
