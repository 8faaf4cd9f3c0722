package fhir

// create and update, where the web interface allows the same: a new
// person, an observation (a drink, food, a weight or height, a set of
// vital signs, a fall), a daily note or About Me entry; and a correction
// of an observation or a daily note (update: a new version pointing at the
// one it corrects, with why). Each goes through the domain service, which
// decides and audits it and checks it as the web form is checked; the
// service's problems come back naming the element they are about.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

// readBody reads the request body as JSON naming resourceType typ, into v.
func readBody(r *http.Request, typ string, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return invalid(typ, "The body could not be read")
	}
	return decodeResource(body, typ, typ, v)
}

// decodeResource checks that raw is a JSON object of resourceType typ and
// reads it into v; problems name elements under path.
func decodeResource(raw []byte, typ, path string, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return invalid(path, "Send the "+typ+" resource as JSON in the body")
	}
	var head struct {
		ResourceType *string `json:"resourceType"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return invalid(path, "The body is not valid JSON: "+jsonProblem(err))
	}
	switch {
	case head.ResourceType == nil:
		return invalid(path+".resourceType", "resourceType is missing: it must be "+typ)
	case *head.ResourceType != typ:
		return invalid(path+".resourceType", fmt.Sprintf("resourceType is %q; it must be %s", *head.ResourceType, typ))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return invalid(path+"."+te.Field, te.Field+" must be a "+jsonType(te.Type.Kind().String())+", not a "+te.Value)
		}
		return invalid(path, "The body is not a valid "+typ+": "+jsonProblem(err))
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "slice":
		return "list"
	case "struct", "map", "ptr":
		return "object"
	case "bool":
		return "true or false"
	}
	return "number"
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

// subjectOf reads the person a resource is about: Patient/{id}.
func subjectOf(r *Reference, element string, p *problems) string {
	if r == nil || r.Reference == "" {
		p.add(element, element+" is required: the Patient this is about, as Patient/{id}")
		return ""
	}
	ref := r.Reference
	if i := strings.LastIndex(ref, "Patient/"); i >= 0 {
		id := ref[i+len("Patient/"):]
		if hearth.ValidID(id) || strings.HasPrefix(ref, "urn:uuid:") {
			return id
		}
	}
	if strings.HasPrefix(ref, "urn:uuid:") {
		return ref
	}
	p.add(element+".reference", "must be a Patient, as Patient/{id}")
	return ""
}

func parseDateTime(v, element string, p *problems) time.Time {
	if v == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	p.add(element, "must be a date and time with a time zone, such as 2026-03-03T14:30:00Z")
	return time.Time{}
}

func hasCode(c CodeableConcept, system, code string) bool {
	for _, x := range c.Coding {
		if x.Code == code && (system == "" || x.System == system) {
			return true
		}
	}
	return false
}

func (m mapper) isHearth(c CodeableConcept, system, code string) bool {
	return hasCode(c, m.cs(system), code)
}

// fields maps what a domain service calls a field to the element it came
// from.
type fields map[string]string

// named rewrites a service's problems to name elements.
func (f fields) named(err error, fallback string) error {
	var e *hearth.Error
	if !errors.As(err, &e) || len(e.Problems) == 0 {
		return err
	}
	out := *e
	out.Problems = nil
	for _, pr := range e.Problems {
		el, ok := f[pr.Field]
		if !ok {
			el = fallback
			pr.Message = pr.Field + ": " + pr.Message
		}
		out.Problems = append(out.Problems, hearth.Problem{Field: el, Message: pr.Message})
	}
	return &out
}

// obsInput reads an Observation as the care service's input: the kind
// from its code, the values from value[x] and components, each element
// remembered for the problems.
func (m mapper) obsInput(o *Observation, path string, p *problems) (care.ObsInput, fields) {
	in := care.ObsInput{}
	f := fields{"Time": path + ".effectiveDateTime", "Note": path + ".note[0].text", "Kind": path + ".code",
		"Reason": path + ".extension('" + m.ext(extVersionReason) + "')", "Entry": path + ".id"}
	if o.Status == "" {
		p.add(path+".status", "status is required (final)")
	}
	in.At = parseDateTime(o.EffectiveDateTime, path+".effectiveDateTime", p)
	if len(o.Note) > 0 {
		in.Note = o.Note[0].Text
	}
	value := func() string {
		if o.ValueQuantity == nil || o.ValueQuantity.Value == nil {
			return ""
		}
		return o.ValueQuantity.Value.Text()
	}
	unit := func(want ...string) {
		if o.ValueQuantity == nil {
			return
		}
		u := o.ValueQuantity.Code
		if u == "" {
			u = o.ValueQuantity.Unit
		}
		for _, w := range want {
			if strings.EqualFold(u, w) {
				return
			}
		}
		p.add(path+".valueQuantity.code", "The unit must be "+want[0]+" (UCUM)")
	}
	comp := func(match func(CodeableConcept) bool) (int, *ObservationComponent) {
		for i := range o.Component {
			if match(o.Component[i].Code) {
				return i, &o.Component[i]
			}
		}
		return -1, nil
	}
	compValue := func(field string, match func(CodeableConcept) bool) string {
		i, c := comp(match)
		if c == nil {
			f[field] = path + ".component"
			return ""
		}
		f[field] = fmt.Sprintf("%s.component[%d].value", path, i)
		switch {
		case c.ValueQuantity != nil && c.ValueQuantity.Value != nil:
			f[field] += "Quantity.value"
			return c.ValueQuantity.Value.Text()
		case c.ValueInteger != nil:
			f[field] += "Integer"
			return strconv.Itoa(*c.ValueInteger)
		case c.ValueString != "":
			f[field] += "String"
			return c.ValueString
		case c.ValueCodeableConcept != nil && len(c.ValueCodeableConcept.Coding) > 0:
			f[field] += "CodeableConcept"
			return c.ValueCodeableConcept.Coding[0].Code
		case c.ValueBoolean != nil:
			f[field] += "Boolean"
			return strconv.FormatBool(*c.ValueBoolean)
		}
		return ""
	}
	hearthCode := func(code string) func(CodeableConcept) bool {
		return func(c CodeableConcept) bool { return m.isHearth(c, csObservation, code) }
	}
	loinc := func(codes ...string) func(CodeableConcept) bool {
		return func(c CodeableConcept) bool {
			for _, code := range codes {
				if hasCode(c, LOINC, code) {
					return true
				}
			}
			return false
		}
	}
	code := o.Code
	switch {
	case m.isHearth(code, csObservation, obsFluidIn), m.isHearth(code, csObservation, obsFluidOut):
		in.Kind = care.FluidIn
		if m.isHearth(code, csObservation, obsFluidOut) {
			in.Kind = care.FluidOut
		}
		in.Amount = value()
		unit("mL", "ml")
		f["Amount"] = path + ".valueQuantity.value"
		in.What = compValue("What", hearthCode("what"))
	case m.isHearth(code, csObservation, obsFood):
		in.Kind = care.Food
		if o.ValueCodeableConcept != nil && len(o.ValueCodeableConcept.Coding) > 0 {
			in.Portion = o.ValueCodeableConcept.Coding[0].Code
		}
		f["Portion"] = path + ".valueCodeableConcept"
		in.Meal = compValue("Meal", hearthCode("meal"))
		in.What = compValue("What", hearthCode("what"))
	case hasCode(code, LOINC, vitalWeight.loinc), hasCode(code, SNOMED, vitalWeight.snomed):
		in.Kind, in.Weight = care.Weight, value()
		unit("kg")
		f["Weight"] = path + ".valueQuantity.value"
	case hasCode(code, LOINC, vitalHeight.loinc), hasCode(code, SNOMED, vitalHeight.snomed):
		in.Kind, in.Height = care.Height, value()
		unit("cm")
		f["Height"] = path + ".valueQuantity.value"
	case hasCode(code, LOINC, "85353-1"), hasCode(code, SNOMED, snomedNEWS2.Code), m.isHearth(code, csObservation, obsVitalSet):
		in.Kind = care.VitalSign
		in.RespRate = compValue("Respiration rate", loinc(vitalResp.loinc))
		in.SpO2 = compValue("SpO2", loinc(vitalSpO2.loinc, loincPulseOx.Code))
		in.Systolic = compValue("Systolic blood pressure", loinc(vitalSys.loinc))
		in.Pulse = compValue("Pulse", loinc(vitalPulse.loinc))
		in.Temperature = compValue("Temperature", loinc(vitalTemp.loinc))
		in.Consciousness = compValue("Consciousness", hearthCode(obsConsciousness))
		in.SpO2Scale = compValue("SpO2 scale", hearthCode(obsSpO2Scale))
		switch air := compValue("Air or oxygen", hearthCode(obsOxygen)); air {
		case snomedRoomAir.Code, "false":
			in.Oxygen = "air"
		case obsOxygen, "true":
			in.Oxygen = "oxygen"
		default:
			in.Oxygen = air
		}
	case hasCode(code, SNOMED, snomedFall.Code), m.isHearth(code, csObservation, obsFall):
		in.Kind = care.Fall
		in.Place = compValue("Where", hearthCode("fall-place"))
		in.Injury = compValue("Injury", hearthCode("fall-injury"))
		in.Actions = compValue("Actions", hearthCode("fall-actions"))
		f["What happened"] = path + ".note[0].text"
	default:
		p.add(path+".code", "Hearth records drinks and fluid output, food, weight ("+LOINC+"|29463-7), height (|8302-2), a set of vital signs (|85353-1 with a component for each sign) and falls ("+SNOMED+"|1912002): the code is none of these")
	}
	for _, x := range o.Extension {
		if x.URL == m.ext(extVersionReason) {
			in.Reason = x.ValueString
		}
	}
	return in, f
}

// create answers POST /fhir/{type}.
func (s *Server) create(w http.ResponseWriter, r *http.Request, c *call) error {
	typ := r.PathValue("type")
	spec, err := typeSpecOf(typ)
	if err != nil {
		return err
	}
	if !spec.create {
		return methodNotAllowed("create", typ)
	}
	if err := c.allowed(typ, Create); err != nil {
		return err
	}
	m := mapper{base: c.base}
	var personID, id string
	switch typ {
	case "Observation":
		var o Observation
		if err := readBody(r, typ, &o); err != nil {
			return err
		}
		var p problems
		personID = subjectOf(o.Subject, "Observation.subject", &p)
		in, f := m.obsInput(&o, "Observation", &p)
		if err := p.err(); err != nil {
			return err
		}
		ob, err := s.Care.Record(r.Context(), c.caller.Actor, personID, in)
		if err != nil {
			return f.named(err, "Observation")
		}
		id = ob.ID
	case "DocumentReference":
		var d DocumentReference
		if err := readBody(r, typ, &d); err != nil {
			return err
		}
		personID, id, err = s.createDocument(r, c, m, &d, "DocumentReference")
		if err != nil {
			return err
		}
	case "Patient":
		var pt Patient
		if err := readBody(r, typ, &pt); err != nil {
			return err
		}
		n, f, err := s.newPerson(r, c, m, &pt, "Patient")
		if err != nil {
			return err
		}
		reg, err := s.People.Register(r.Context(), c.caller.Actor, n)
		if err != nil {
			return f.named(err, "Patient")
		}
		personID, id = reg.ID, reg.ID
	}
	return s.respondWritten(w, r, c, typ, personID, id, http.StatusCreated)
}

// respondWritten reads back what was written, decided as a read, and
// answers with it, its Location and ETag.
func (s *Server) respondWritten(w http.ResponseWriter, r *http.Request, c *call, typ, personID, id string, status int) error {
	var e *entry
	err := s.run(r.Context(), c, func(sc *door.Scope) error {
		var err error
		e, err = s.find(sc, c, typ, id)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", c.base+"/"+typ+"/"+e.id+"/_history/"+strconv.Itoa(e.version()))
	return s.answer(w, r, status, e, e.version())
}

// createDocument records a daily note or an About Me entry.
func (s *Server) createDocument(r *http.Request, c *call, m mapper, d *DocumentReference, path string) (string, string, error) {
	var p problems
	personID := subjectOf(d.Subject, path+".subject", &p)
	body, f := docBody(d, path, &p)
	category := ""
	for _, cat := range d.Category {
		for _, cd := range cat.Coding {
			category = cd.Code
		}
	}
	f["Category"], f["Section"] = path+".category", path+".category"
	switch {
	case d.Type != nil && m.isHearth(*d.Type, csDocumentType, "daily-note"):
		draft := care.NoteDraft{Category: category, Body: body}
		if d.Context == nil || d.Context.Period == nil || d.Context.Period.Start == "" {
			p.add(path+".context.period.start", "Say when the care happened: context.period.start")
		} else {
			draft.CareAt = parseDateTime(d.Context.Period.Start, path+".context.period.start", &p)
		}
		f["Time of care"] = path + ".context.period.start"
		if err := p.err(); err != nil {
			return "", "", err
		}
		n, err := s.Care.RecordNote(r.Context(), c.caller.Actor, personID, draft)
		if err != nil {
			return "", "", f.named(err, path)
		}
		return personID, n.ID, nil
	case d.Type != nil && m.isHearth(*d.Type, csDocumentType, "about-me"):
		if err := p.err(); err != nil {
			return "", "", err
		}
		e, err := s.Care.AddAboutMe(r.Context(), c.caller.Actor, personID, care.AboutMeDraft{Section: category, Body: body})
		if err != nil {
			return "", "", f.named(err, path)
		}
		return personID, e.ID, nil
	}
	p.add(path+".type", "Hearth records daily notes and About Me entries: type must be "+m.cs(csDocumentType)+"|daily-note or |about-me")
	return "", "", p.err()
}

func docBody(d *DocumentReference, path string, p *problems) (string, fields) {
	f := fields{"Note": path + ".content[0].attachment.data", "What to add": path + ".content[0].attachment.data",
		"Reason for the correction": path + ".extension"}
	if len(d.Content) == 0 || len(d.Content[0].Attachment.Data) == 0 {
		p.add(path+".content[0].attachment.data", "Put the text in content[0].attachment.data (base64)")
		return "", f
	}
	return string(d.Content[0].Attachment.Data), f
}

// newPerson reads a Patient as a person to register, at the location its
// registered-location extension names or, when it names none, the one
// location the member of staff holds a role at.
func (s *Server) newPerson(r *http.Request, c *call, m mapper, pt *Patient, path string) (people.NewPerson, fields, error) {
	var p problems
	n := people.NewPerson{}
	f := fields{"Given name": path + ".name[0].given", "Family name": path + ".name[0].family", "Preferred name": path + ".name[1].given",
		"Date of birth": path + ".birthDate", "NHS number": path + ".identifier", "Address": path + ".address[0].text",
		"Postcode": path + ".address[0].postalCode", "Location": path + ".extension('" + m.ext(extLocation) + "')"}
	for _, nm := range pt.Name {
		switch {
		case nm.Use == "usual" && len(nm.Given) > 0:
			n.PreferredName = nm.Given[0]
		case n.FamilyName == "":
			n.FamilyName = nm.Family
			if len(nm.Given) > 0 {
				n.GivenName = nm.Given[0]
			}
		}
	}
	if pt.BirthDate != "" {
		t, err := time.Parse("2006-01-02", pt.BirthDate)
		if err != nil {
			p.add(path+".birthDate", "birthDate must be a date such as 1941-06-14")
		}
		n.DateOfBirth = t
	}
	for i, id := range pt.Identifier {
		if id.System == NHSNumberSystem {
			n.NHSNumber = id.Value
			f["NHS number"] = fmt.Sprintf("%s.identifier[%d].value", path, i)
		}
	}
	if len(pt.Address) > 0 {
		n.Address, n.Postcode = pt.Address[0].Text, pt.Address[0].PostalCode
	}
	for _, x := range pt.Extension {
		if x.URL == m.ext(extLocation) && x.ValueReference != nil {
			n.LocationID = strings.TrimPrefix(x.ValueReference.Reference, "Location/")
		}
	}
	if n.LocationID == "" && c.caller.Actor.Kind == access.KindStaff {
		if u, err := s.Accounts.Get(r.Context(), c.caller.Actor.ID); err == nil && len(u.LocationIDs) == 1 {
			n.LocationID = u.LocationIDs[0]
		}
	}
	return n, f, p.err()
}

// update answers PUT /fhir/{type}/{id}: a correction, recorded as a new
// version of the entry. If-Match, when sent, must name the current
// version, or nothing is changed (412).
func (s *Server) update(w http.ResponseWriter, r *http.Request, c *call) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	spec, err := typeSpecOf(typ)
	if err != nil {
		return err
	}
	if !spec.update {
		return methodNotAllowed("update", typ)
	}
	if err := c.allowed(typ, Update); err != nil {
		return err
	}
	ifMatch := r.Header.Get("If-Match")
	var cur *entry
	if err := s.run(r.Context(), c, func(sc *door.Scope) error {
		var err error
		cur, err = s.find(sc, c, typ, id)
		return err
	}); err != nil {
		return err
	}
	if ifMatch != "" {
		if n, ok := versionOf(ifMatch); !ok || n != cur.version() {
			return preconditionFailed("%s/%s is at version %d; If-Match named %s. Nothing was changed: read the current version first.", typ, id, cur.version(), safeType(ifMatch))
		}
	}
	if len(cur.rows) == 0 {
		return methodNotAllowed("update", typ+" of this kind")
	}
	latest := cur.rows[len(cur.rows)-1]
	m := mapper{base: c.base}
	var p problems
	conflict := func(err error) error {
		if hearth.KindOf(err) == hearth.KindConflict && ifMatch != "" {
			return preconditionFailed("%s/%s was changed by someone else a moment ago. Nothing was changed: read the current version first.", typ, id)
		}
		return err
	}
	switch typ {
	case "Observation":
		if memberRoot(id) != id {
			return invalid("Observation.id", "A vital sign is corrected with its set: update Observation/"+memberRoot(id))
		}
		var o Observation
		if err := readBody(r, typ, &o); err != nil {
			return err
		}
		if o.ID != id {
			p.add("Observation.id", "The id in the body must be the id in the URL ("+id+")")
		}
		if subjectOf(o.Subject, "Observation.subject", &p) != cur.person && o.Subject != nil {
			p.add("Observation.subject", "A correction cannot move an entry to another person")
		}
		in, f := m.obsInput(&o, "Observation", &p)
		if in.Kind != "" && in.Kind != cur.kind {
			p.add("Observation.code", "A correction must be the same kind of entry as the one it corrects")
		}
		if strings.TrimSpace(in.Reason) == "" {
			p.add("Observation.extension('"+m.ext(extVersionReason)+"')", "Say why you are correcting this entry, in the version-reason extension")
		}
		if err := p.err(); err != nil {
			return err
		}
		in.Corrects = latest
		if _, err := s.Care.Record(r.Context(), c.caller.Actor, cur.person, in); err != nil {
			return conflict(f.named(err, "Observation"))
		}
	case "DocumentReference":
		if cur.kind != "daily-note" {
			return methodNotAllowed("update", "an About Me entry or safety plan")
		}
		var d DocumentReference
		if err := readBody(r, typ, &d); err != nil {
			return err
		}
		if d.ID != id {
			p.add("DocumentReference.id", "The id in the body must be the id in the URL ("+id+")")
		}
		body, f := docBody(&d, "DocumentReference", &p)
		draft := care.NoteDraft{Body: body}
		for _, cat := range d.Category {
			for _, cd := range cat.Coding {
				draft.Category = cd.Code
			}
		}
		if d.Context != nil && d.Context.Period != nil {
			draft.CareAt = parseDateTime(d.Context.Period.Start, "DocumentReference.context.period.start", &p)
		}
		for _, x := range d.Extension {
			if x.URL == m.ext(extVersionReason) {
				draft.Reason = x.ValueString
			}
		}
		f["Category"], f["Time of care"] = "DocumentReference.category", "DocumentReference.context.period.start"
		f["Reason for the correction"] = "DocumentReference.extension('" + m.ext(extVersionReason) + "')"
		if err := p.err(); err != nil {
			return err
		}
		if _, err := s.Care.CorrectNote(r.Context(), c.caller.Actor, cur.person, latest, draft); err != nil {
			return conflict(f.named(err, "DocumentReference"))
		}
	}
	return s.respondWritten(w, r, c, typ, cur.person, id, http.StatusOK)
}

func methodNotAllowed(what, typ string) error {
	e := hearth.Errorf(hearth.KindInvalid, "Hearth does not offer %s for %s", what, typ)
	e.Err = errMethodNotAllowed
	return e
}

var errMethodNotAllowed = errors.New("method not allowed")
