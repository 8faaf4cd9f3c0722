package fhir

// Bulk Data Access (HL7 FHIR Bulk Data Access IG v2, $export) for partner
// systems: the kick-off at system, Patient and Group level, the status URL
// a partner polls (and deletes to cancel), and the NDJSON files it
// fetches. The job, its decisions and its files are internal/partners'
// (export.go); this is the HTTP, and the mapping each file is written
// with, which is the one $everything uses.
//
// For Hearth a Group is one of the partner's data-sharing agreements: the
// people it receives information about under that agreement, and only the
// categories the agreement covers. Its ID is the agreement's, shown on the
// agreement in Hearth. docs/partners.md has the whole flow.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/partners"
)

// statusPath is where an export's status is polled, under the API's path:
// [base]/$export-status/{id}, and its files at .../files/{file}.
const statusPath = "/fhir/$export-status/"

// The Bulk Data IG's OperationDefinitions and CapabilityStatement.
const (
	bulkDataIG          = "http://hl7.org/fhir/uv/bulkdata"
	opExport            = bulkDataIG + "/OperationDefinition/export"
	opPatientExport     = bulkDataIG + "/OperationDefinition/patient-export"
	opGroupExport       = bulkDataIG + "/OperationDefinition/group-export"
	bulkDataCapability  = bulkDataIG + "/CapabilityStatement/bulk-data"
	exportRetrySeconds  = 5
	unsupportedByHearth = "is not supported by Hearth's bulk export"
)

// exportKickoff answers a kick-off request at one level: decided as the
// partner (and audited) before anything else, then queued, and answered
// 202 Accepted with the status URL in Content-Location. The export runs in
// the background (partners.Service.RunExports).
func (s *Server) exportKickoff(level string) handler {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if s.Partners == nil {
			return notSupported("Bulk export is not offered by this server")
		}
		req := partners.ExportRequest{Level: level, GroupID: r.PathValue("id"), Base: c.base,
			URL: c.base + strings.TrimPrefix(r.URL.Path, "/fhir")}
		if r.URL.RawQuery != "" {
			req.URL += "?" + r.URL.RawQuery
		}
		var p problems
		if !prefers(r, "respond-async") {
			p.add("Prefer", "Bulk export runs in the background: send the header Prefer: respond-async")
		}
		for key, values := range r.URL.Query() {
			switch key {
			case "_format", "_pretty":
			case "_outputFormat":
				for _, v := range values {
					switch v {
					case NDJSON, "application/ndjson", "ndjson":
					default:
						p.add("_outputFormat", "_outputFormat must be "+NDJSON+": Hearth writes NDJSON only")
					}
				}
			case "_type":
				for _, v := range values {
					for _, t := range strings.Split(v, ",") {
						if t = strings.TrimSpace(t); t != "" && !slices.Contains(req.Types, t) {
							req.Types = append(req.Types, t)
						}
					}
				}
			case "_since":
				t, err := time.Parse(time.RFC3339Nano, values[0])
				if err != nil || len(values) > 1 {
					p.add("_since", "_since must be one instant, such as 2026-03-03T10:00:00Z")
				}
				req.Since = t.UTC()
			case "_typeFilter", "_elements", "patient", "includeAssociatedData", "organizeOutputBy", "_until", "allowPartialManifests":
				if !lenient(r) {
					p.add(key, key+" "+unsupportedByHearth+": use _type and _since")
				}
			default:
				if !lenient(r) {
					p.add(key, "Unknown parameter '"+safeParam(key)+"' for $export: use _type, _since or _outputFormat")
				}
			}
		}
		req.Problems = p.list
		// Only partner systems have scopes (and partners refuses a _type
		// outside them); anyone else is refused after the decision.
		scopes, _ := c.caller.Scopes.(partners.Scopes)
		e, err := s.Partners.StartExport(r.Context(), c.caller.Actor, scopes, req)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Location", c.base+strings.TrimPrefix(statusPath, "/fhir")+e.ID)
		writeJSON(w, http.StatusAccepted, &OperationOutcome{Base: Base{ResourceType: "OperationOutcome"}, Issue: []Issue{{
			Severity: "information", Code: "informational",
			Diagnostics: "The export of " + strings.Join(e.Types, ", ") + " has been queued: poll the Content-Location URL for its progress and, when it is done, its manifest."}}})
		return nil
	}
}

// prefers reports whether the request's Prefer header (RFC 7240) asks for
// the preference named.
func prefers(r *http.Request, name string) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			token, _, _ := strings.Cut(pref, ";")
			if strings.EqualFold(strings.TrimSpace(token), name) {
				return true
			}
		}
	}
	return false
}

func safeParam(p string) string {
	if len(p) > 40 || strings.ContainsAny(p, "<>\"'&") {
		return "that"
	}
	return p
}

// exportStatus answers the status URL: 202 with X-Progress while the
// export is queued or running, 200 with the manifest once it is complete
// (until it expires), 500 with an OperationOutcome if it failed, and 404
// for anyone else's export, a cancelled one or an expired one.
func (s *Server) exportStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.Partners == nil {
		return notSupported("Bulk export is not offered by this server")
	}
	id := r.PathValue("id")
	e, m, err := s.Partners.ExportStatus(r.Context(), c.caller.Actor, id, func(file string) string {
		return c.base + strings.TrimPrefix(statusPath, "/fhir") + id + "/files/" + file
	})
	if err != nil {
		return err
	}
	h := w.Header()
	switch e.Status {
	case partners.ExportAccepted, partners.ExportInProgress:
		progress := "queued"
		if e.Status == partners.ExportInProgress {
			progress = "in progress: " + strconv.Itoa(e.People) + " people so far"
		}
		h.Set("X-Progress", progress)
		h.Set("Retry-After", strconv.Itoa(exportRetrySeconds))
		w.WriteHeader(http.StatusAccepted)
		return nil
	case partners.ExportCompleted:
		h.Set("Expires", e.ExpiresAt.UTC().Format(http.TimeFormat))
		// The manifest is plain JSON, not a FHIR resource.
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b)
		return nil
	case partners.ExportFailed:
		writeJSON(w, http.StatusInternalServerError, &OperationOutcome{Base: Base{ResourceType: "OperationOutcome"},
			Issue: []Issue{{Severity: "error", Code: "exception", Diagnostics: e.Error}}})
		return nil
	}
	return hearth.NotFound("That export")
}

// exportCancel is the status URL's DELETE: the export is cancelled and
// whatever it wrote deleted (202 Accepted).
func (s *Server) exportCancel(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.Partners == nil {
		return notSupported("Bulk export is not offered by this server")
	}
	if err := s.Partners.CancelExport(r.Context(), c.caller.Actor, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, &OperationOutcome{Base: Base{ResourceType: "OperationOutcome"},
		Issue: []Issue{{Severity: "information", Code: "informational", Diagnostics: "The export has been cancelled and its files deleted."}}})
	return nil
}

// exportFile answers one NDJSON file of the partner's own completed export,
// until it expires. The bearer token is required (requiresAccessToken):
// the same partner's, any that is live.
func (s *Server) exportFile(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.Partners == nil {
		return notSupported("Bulk export is not offered by this server")
	}
	f, err := s.Partners.ExportFile(r.Context(), c.caller.Actor, r.PathValue("id"), r.PathValue("file"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", NDJSON)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(f.Body))
	return nil
}

// ExportMapper writes a partner's bulk export with the one mapping, as
// $everything reads and maps a whole record: the parts the types need are
// read through the door scope the export's decisions were made in, as the
// partner (for sharing, to itself); they are mapped and encoded outside it.
// Only what changed since the export's _since goes in.
func (s *Server) ExportMapper() partners.Mapper {
	return func(sc *door.Scope, e partners.Export, personID string, types []string) (func(emit func(string, []byte) error) error, error) {
		actor := sc.Actor()
		c := &call{caller: Caller{Actor: actor, Purpose: access.Sharing, Recipient: actor.Name}, base: e.Base}
		if c.base == "" {
			c.base = s.cfg.Base
		}
		want := func(t string) bool { return slices.Contains(types, t) }
		// The export decided each type for the person: the parts that
		// feed those types are not decided again.
		decided := make([]door.Request, 0, len(types))
		for _, t := range types {
			if spec, ok := specs[t]; ok {
				decided = append(decided, door.Request{Action: spec.action, ResourceType: t})
			}
		}
		parts := partsFor(want)
		if !want("Consent") && !want("RelatedPerson") {
			// Capacity assessments are Observations kept with the consent
			// records: they go only where the consent category does.
			parts &^= partConsent
		}
		rec, err := s.gather(sc, c, personID, parts, care.Window{}, "bulk export", decided...)
		if err != nil {
			return nil, err
		}
		m := s.mapperFor(sc, c)
		return func(emit func(string, []byte) error) error {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			for _, en := range m.entries(rec, want) {
				if !want(en.typ) || !e.Since.IsZero() && en.lastUpdated().Before(e.Since) {
					continue
				}
				buf.Reset()
				if err := enc.Encode(en.current()); err != nil {
					return err
				}
				if err := emit(en.typ, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
}
