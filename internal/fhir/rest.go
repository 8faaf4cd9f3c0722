package fhir

// The REST interactions, one generic path for every type of the person's
// record: read, vread, _history and search decide in the handler's door
// scope (the entry's owner found first, then decided; a search decided as
// a query and each person on it decided and audited), read the parts the
// type needs, map them with the one mapping, and answer. create and
// update go through the domain services (create.go).

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

// typeSpec is what one resource type of a person's record needs.
type typeSpec struct {
	parts     part
	action    access.Action
	dateParam string // the name of its date parameter, if it has one
	params    map[string]paramKind
	create    bool
	update    bool
	doc       string // for the CapabilityStatement
}

func patientParams(extra map[string]paramKind) map[string]paramKind {
	out := map[string]paramKind{"patient": paramReference, "subject": paramReference}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

var specs = map[string]typeSpec{
	"Patient": {parts: partPerson, action: access.ViewPerson, params: map[string]paramKind{
		"identifier": paramToken, "name": paramString, "family": paramString, "given": paramString, "birthdate": paramDate},
		create: true, doc: "The person who draws on care, with the NHS number as UK Core's identifier."},
	"RelatedPerson": {parts: partConsent, action: access.ReadConsent, params: map[string]paramKind{"patient": paramReference},
		doc: "A lawful representative or someone to consult, with their recorded authority."},
	"Consent": {parts: partConsent, action: access.ReadConsent, dateParam: "date", params: map[string]paramKind{"patient": paramReference, "date": paramDate},
		doc: "Consents, best-interests decisions and other lawful bases, each per purpose and recipient or technology."},
	"CarePlan": {parts: partPlans, action: access.ReadRecord, dateParam: "date", params: patientParams(map[string]paramKind{"date": paramDate}),
		doc: "Care plans, one per need, every version kept."},
	"Goal": {parts: partPlans | partTargets, action: access.ReadRecord, params: patientParams(nil),
		doc: "The outcome each care plan aims at, in the person's words, and daily fluid targets."},
	"Observation": {parts: partObservations | partConsent, action: access.ReadRecord, dateParam: "date",
		params: patientParams(map[string]paramKind{"date": paramDate, "code": paramToken}), create: true, update: true,
		doc: "Fluids, food, weight and height, vital signs (each sign under its vital-signs profile, the set scored by NEWS2), falls and capacity assessments. " +
			"Create a set of vital signs as one Observation coded " + LOINC + "|85353-1 with a component for each sign; update is a correction, with the version-reason extension saying why."},
	"MedicationStatement": {parts: partMedicines, action: access.ReadMedicines, dateParam: "effective",
		params: patientParams(map[string]paramKind{"effective": paramDate}), doc: "The medicines list, current and stopped."},
	"MedicationAdministration": {parts: partDoses, action: access.ReadMedicines, dateParam: "effective-time",
		params: patientParams(map[string]paramKind{"effective-time": paramDate}), doc: "Doses given, refused or omitted, with any correction."},
	"Encounter": {parts: partVisits, action: access.ReadRecord, dateParam: "date", params: patientParams(map[string]paramKind{"date": paramDate}),
		doc: "Home-care visits: planned, in progress, finished or missed."},
	"Flag": {parts: partAlerts, action: access.ReadRecord, dateParam: "date", params: patientParams(map[string]paramKind{"date": paramDate}),
		doc: "Alerts worked out from the record now: fluids, weight loss, NEWS2."},
	"RiskAssessment": {parts: partRisks, action: access.ReadRecord, dateParam: "date", params: patientParams(map[string]paramKind{"date": paramDate}),
		doc: "Risk assessments, as the person sees the risk, and what reduces it."},
	"DocumentReference": {parts: partAboutMe | partNotes | partSafety, action: access.ReadRecord, dateParam: "date",
		params: patientParams(map[string]paramKind{"date": paramDate, "type": paramToken}), create: true, update: true,
		doc: "About Me entries, daily notes and the safety plan, as text. Create a daily note or an About Me entry; update corrects a daily note."},
	"DeviceUseStatement": {parts: partTech, action: access.ReadTechUse, params: patientParams(nil),
		doc: "Each use of a technology for the person, with its reason, lawful basis and review."},
	"AuditEvent": {parts: partHistory, action: access.ReadAccessLog, dateParam: "date", params: map[string]paramKind{"patient": paramReference, "date": paramDate},
		doc: "Every access to the person's record (IHE BALP): who, when, why, and what was decided."},
	"Provenance": {parts: partObservations | partNotes | partSafety | partDoses | partPlans | partRisks | partTech, action: access.ReadRecord,
		dateParam: "recorded", params: map[string]paramKind{"patient": paramReference, "recorded": paramDate},
		doc: "For each entry corrected or revised: who wrote each version, when, and why it replaced the one before."},
}

// partsFor narrows a type's parts for a read: an Observation read needs
// the consent records only for a capacity assessment.
func typeSpecOf(typ string) (typeSpec, error) {
	if isDirectory(typ) {
		return typeSpec{}, nil
	}
	spec, ok := specs[typ]
	if !ok {
		return spec, notSupported("Hearth does not serve %s resources", safeType(typ))
	}
	return spec, nil
}

func safeType(t string) string {
	if len(t) > 40 || strings.ContainsAny(t, "<>\"'&") {
		return "that type of"
	}
	return t
}

// wants says which resource types to map, so a read maps only its own.
type wants func(typ string) bool

func only(typ string) wants { return func(t string) bool { return t == typ } }

// readEntries reads and maps one person's entries of typ inside sc. The
// caller has already decided the request's own action about the person.
func (s *Server) readEntries(sc *door.Scope, c *call, personID, typ string, w care.Window, detail string) ([]*entry, error) {
	spec := specs[typ]
	rec, err := s.gather(sc, c, personID, spec.parts, w, detail, c.request(spec.action, personID, typ, "", detail))
	if err != nil {
		return nil, err
	}
	m := s.mapperFor(sc, c)
	var out []*entry
	for _, e := range m.entries(rec, only(typ)) {
		if e.typ == typ {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Server) mapperFor(sc *door.Scope, c *call) mapper {
	m := mapper{base: c.base, now: sc.Now(), reader: c.caller.Actor}
	if p, err := people.ProviderOf(sc); err == nil {
		m.providerID = p.ID
	}
	return m
}

// find reads one entry named by type and id, deciding about its owner.
func (s *Server) find(sc *door.Scope, c *call, typ, id string) (*entry, error) {
	spec := specs[typ]
	personID, err := ownerOf(sc, typ, id)
	if err != nil {
		return nil, err
	}
	if _, err := sc.Allow(c.request(spec.action, personID, typ, id, "FHIR read")); err != nil {
		return nil, err
	}
	w := care.Window{Only: memberRoot(id)}
	if typ == "Provenance" {
		w.Only = ""
	}
	list, err := s.readEntries(sc, c, personID, typ, w, "FHIR read")
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		if e.id == id {
			return e, nil
		}
	}
	return nil, hearth.NotFound(typ + "/" + id)
}

func (s *Server) read(w http.ResponseWriter, r *http.Request, c *call) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if isDirectory(typ) {
		return s.directoryRead(w, r, c, typ, id)
	}
	if _, err := typeSpecOf(typ); err != nil {
		return err
	}
	if err := c.allowed(typ, Read); err != nil {
		return err
	}
	var e *entry
	err := s.run(r.Context(), c, func(sc *door.Scope) error {
		var err error
		e, err = s.find(sc, c, typ, id)
		return err
	})
	if err != nil {
		return err
	}
	return s.answer(w, r, http.StatusOK, e, e.version())
}

func (s *Server) vread(w http.ResponseWriter, r *http.Request, c *call) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if isDirectory(typ) {
		return s.directoryRead(w, r, c, typ, id)
	}
	if _, err := typeSpecOf(typ); err != nil {
		return err
	}
	if err := c.allowed(typ, Read); err != nil {
		return err
	}
	var e *entry
	err := s.run(r.Context(), c, func(sc *door.Scope) error {
		var err error
		e, err = s.find(sc, c, typ, id)
		return err
	})
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("vid"))
	if err != nil || n < 1 || n > e.version() {
		return hearth.NotFound(typ + "/" + id + " version " + safeType(r.PathValue("vid")))
	}
	return s.answer(w, r, http.StatusOK, e, n)
}

// answer writes version n of an entry with its ETag and Last-Modified; a
// matching If-None-Match is answered 304 with no body.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, status int, e *entry, n int) error {
	etag := etagOf(n)
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", e.updated[n-1].UTC().Format(http.TimeFormat))
	if status == http.StatusOK && n == e.version() && noneMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeJSON(w, status, e.versions[n-1])
	return nil
}

func etagOf(n int) string { return `W/"` + strconv.Itoa(n) + `"` }

// versionOf reads the version an ETag names: W/"3", "3" or 3.
func versionOf(etag string) (int, bool) {
	v := strings.TrimSpace(etag)
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	n, err := strconv.Atoi(v)
	return n, err == nil && n > 0
}

func noneMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	want, _ := versionOf(etag)
	for _, v := range strings.Split(header, ",") {
		if strings.TrimSpace(v) == "*" {
			return true
		}
		if n, ok := versionOf(v); ok && n == want {
			return true
		}
	}
	return false
}

func (s *Server) history(w http.ResponseWriter, r *http.Request, c *call) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if _, err := typeSpecOf(typ); err != nil {
		return err
	}
	if err := c.allowed(typ, Read); err != nil {
		return err
	}
	var e *entry
	if isDirectory(typ) {
		list, err := s.directory(r, c, typ, id)
		if err != nil {
			return err
		}
		for _, x := range list {
			if x.id == id {
				e = x
			}
		}
		if e == nil {
			return hearth.NotFound(typ + "/" + id)
		}
	} else if err := s.run(r.Context(), c, func(sc *door.Scope) error {
		var err error
		e, err = s.find(sc, c, typ, id)
		return err
	}); err != nil {
		return err
	}
	total := e.version()
	b := &Bundle{Base: Base{ResourceType: "Bundle", ID: hearth.NewID()}, Type: "history", Timestamp: instant(s.Clock()), Total: &total,
		Link: []BundleLink{{Relation: "self", URL: c.base + "/" + typ + "/" + id + "/_history"}}}
	for n := total; n >= 1; n-- {
		method, status := "PUT", "200"
		if n == 1 {
			method, status = "POST", "201"
		}
		b.Entry = append(b.Entry, BundleEntry{FullURL: c.base + "/" + typ + "/" + id, Resource: e.versions[n-1],
			Request:  &BundleRequest{Method: method, URL: typ + "/" + id},
			Response: &BundleResponse{Status: status, Etag: etagOf(n), LastModified: instant(e.updated[n-1])}})
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// search answers GET /fhir/{type}: the query is decided as such (a list),
// every person searched is decided and audited as a read, and the matching
// entries come back a page at a time with self, next and previous links.
func (s *Server) search(w http.ResponseWriter, r *http.Request, c *call) error {
	typ := r.PathValue("type")
	if isDirectory(typ) {
		return s.directorySearch(w, r, c, typ)
	}
	spec, err := typeSpecOf(typ)
	if err != nil {
		return err
	}
	if err := c.allowed(typ, Search); err != nil {
		return err
	}
	q, err := parseQuery(typ, r.URL.Query(), lenient(r))
	if err != nil {
		return err
	}
	var matched []*entry
	err = s.run(r.Context(), c, func(sc *door.Scope) error {
		ids, err := s.searchPeople(sc, c, typ, spec, q)
		if err != nil {
			return err
		}
		from, to := q.window()
		for _, id := range ids {
			list, err := s.readEntries(sc, c, id, typ, care.Window{From: from, To: to}, "FHIR search")
			if err != nil {
				return err
			}
			for _, e := range list {
				if q.keep(e) {
					matched = append(matched, e)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	q.order(matched)
	writeJSON(w, http.StatusOK, s.searchset(c, q, matched))
	return nil
}

// searchPeople decides which people a search reads: those it names
// (each decided), or, when it names none, the query decided as a list and
// everyone within the caller's reach decided in turn (door.Filter). For
// Patient, the person's own parameters are matched before deciding, so
// only people returned are audited as seen.
func (s *Server) searchPeople(sc *door.Scope, c *call, typ string, spec typeSpec, q query) ([]string, error) {
	if len(q.patients) > 0 {
		var ids []string
		for _, id := range q.patients {
			a, err := sc.Check(c.request(spec.action, id, typ, "", "FHIR search"))
			if err != nil {
				return nil, err
			}
			switch r := a.Decision.Reason; {
			case a.Decision.Permit:
				ids = append(ids, id)
			case c.caller.Actor.Kind == access.KindSystem:
				// A partner learns nothing from a refusal: the person is
				// simply not in its results (the audit keeps the reason).
			case r != access.DenyNotFound && r != access.DenyNoRelationship && r != access.DenyUnknownSubject && r != access.DenyWrongPurpose:
				return nil, &hearth.Error{Kind: hearth.KindForbidden, Message: a.Decision.Sentence()}
			}
		}
		return ids, nil
	}
	list, err := sc.Allow(c.request(access.ListPeople, "", typ, "", "FHIR search"))
	if err != nil {
		return nil, err
	}
	candidates, err := people.InReach(sc, "")
	if err != nil {
		return nil, err
	}
	if typ == "Patient" {
		candidates = filterPeople(candidates, q)
	}
	kept, err := door.Filter(sc, c.request(spec.action, "", typ, "", "FHIR search"), candidates, func(p people.Person) string { return p.ID })
	if err != nil {
		return nil, err
	}
	list.Detail = "FHIR search of " + typ + ": " + strconv.Itoa(len(kept)) + " people"
	ids := make([]string, len(kept))
	for i, p := range kept {
		ids[i] = p.ID
	}
	return ids, nil
}

// filterPeople applies Patient's own search parameters to the people in
// reach, before anyone is decided.
func filterPeople(list []people.Person, q query) []people.Person {
	var out []people.Person
	for _, p := range list {
		if len(q.ids) > 0 && !contains(q.ids, p.ID) {
			continue
		}
		ok := true
		for name, values := range q.strings {
			for _, v := range values {
				var hay []string
				switch name {
				case "family":
					hay = []string{p.FamilyName}
				case "given":
					hay = []string{p.GivenName, p.PreferredName}
				case "name":
					hay = []string{p.FamilyName, p.GivenName, p.PreferredName}
				}
				found := false
				for _, h := range hay {
					found = found || (h != "" && strings.HasPrefix(strings.ToLower(h), v))
				}
				ok = ok && found
			}
		}
		for _, d := range q.births {
			ok = ok && d.matches(p.DateOfBirth, time.Time{})
		}
		for _, list := range q.idents {
			ok = ok && p.NHSNumber != "" && anyToken(list, []Coding{{System: NHSNumberSystem, Code: p.NHSNumber}})
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// searchset is one page of matches with its links.
func (s *Server) searchset(c *call, q query, matched []*entry) *Bundle {
	total := len(matched)
	b := &Bundle{Base: Base{ResourceType: "Bundle", ID: hearth.NewID()}, Type: "searchset", Timestamp: instant(s.Clock()), Total: &total}
	link := func(rel string, offset int) {
		v := url.Values{}
		for k, vs := range q.used {
			v[k] = vs
		}
		v.Set("_count", strconv.Itoa(q.count))
		v.Set("_offset", strconv.Itoa(offset))
		b.Link = append(b.Link, BundleLink{Relation: rel, URL: c.base + "/" + q.typ + "?" + v.Encode()})
	}
	link("self", q.offset)
	if q.count > 0 && q.offset+q.count < total {
		link("next", q.offset+q.count)
	}
	if q.offset > 0 && q.count > 0 {
		link("previous", max(q.offset-q.count, 0))
	}
	start := min(q.offset, total)
	end := min(start+q.count, total)
	for _, e := range matched[start:end] {
		b.Entry = append(b.Entry, BundleEntry{FullURL: c.base + "/" + e.typ + "/" + e.id, Resource: e.current(), Search: &BundleSearch{Mode: "match"}})
	}
	return b
}
