package fhir

// The one mapping from Hearth's records to FHIR R4, used by every read,
// search, $everything and the person's own copy of everything. Each entry
// becomes a resource with every version it has had: an append-only line of
// corrections (a daily note, an observation, a dose) or of versions (a
// care plan, a risk assessment, a safety plan, a technology use) is one
// resource whose versions are the line, oldest first; a record changed in
// place once (a consent withdrawn, a medicine stopped, a visit checked in
// and out) has a version before and after.

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// entry is one resource with its versions, and what search reads of it.
type entry struct {
	typ, id  string
	person   string
	versions []Resource  // oldest first; the last is current
	updated  []time.Time // when each version was written
	from, to time.Time   // the clinical time ("date"): a point when to is zero
	codes    []Coding    // what "code" matches
	rows     []string    // for a line of corrections: each version's own entry, oldest first
	kind     string      // for an observation: the kind of entry it maps
}

func (e *entry) current() Resource { return e.versions[len(e.versions)-1] }
func (e *entry) version() int      { return len(e.versions) }
func (e *entry) lastUpdated() time.Time {
	return e.updated[len(e.updated)-1]
}

// mapper maps records for one request.
type mapper struct {
	base       string
	now        time.Time
	providerID string
	// reader is who the mapping is for: the person or their representative
	// see their history as audit.Event.ForPerson shows it, and staff other
	// than the information governance lead without the text of refused
	// attempts (audit.Event.WithoutRefusedText), as on the screens.
	reader door.Actor
}

// ownView reports whether the person or their representative is reading.
func (m mapper) ownView() bool {
	return m.reader.Kind == access.KindPerson || m.reader.Kind == access.KindRepresentative
}

func (m mapper) cs(name string) string  { return consent.FHIRCodeSystem(m.base, name) }
func (m mapper) ext(name string) string { return consent.FHIRExtensionURL(m.base, name) }

func (m mapper) hearthCode(system, code, display string) Coding {
	return Coding{System: m.cs(system), Code: code, Display: display}
}

// add builds an entry from its versions (each already holding its id and
// type), setting every version's meta.
func add(out *[]*entry, person string, versions []Resource, updated []time.Time, profile ...string) *entry {
	typ, id := versions[0].ident()
	for i, v := range versions {
		meta := &Meta{VersionID: strconv.Itoa(i + 1), LastUpdated: instant(updated[i])}
		if len(profile) > 0 && profile[0] != "" {
			meta.Profile = profile
		}
		v.setMeta(meta)
	}
	e := &entry{typ: typ, id: id, person: person, versions: versions, updated: updated}
	*out = append(*out, e)
	return e
}

// patientRef is the reference every entry makes to its person: the
// reference alone, as a whole record names the person thousands of times.
func (m mapper) patientRef(p people.Person) Reference {
	return Reference{Reference: "Patient/" + p.ID}
}

// author is who wrote an entry: a member of staff as a Practitioner, the
// person as the Patient, a representative by name.
func (m mapper) author(a care.EntryAuthor, p people.Person) *Reference {
	switch a.Kind {
	case access.KindStaff.String():
		if a.ID != "" {
			return ref("Practitioner", a.ID, a.Name)
		}
	case access.KindPerson.String():
		return ref("Patient", p.ID, a.Name)
	}
	return named(a.Name)
}

func staffRef(id, name string) *Reference {
	if id == "" {
		return named(name)
	}
	return ref("Practitioner", id, name)
}

func strExt(url, v string) []Extension {
	if v == "" {
		return nil
	}
	return []Extension{{URL: url, ValueString: v}}
}

// --- Patient --------------------------------------------------------------

func (m mapper) patient(out *[]*entry, p people.Person) {
	r := &Patient{Base: Base{ResourceType: "Patient", ID: p.ID}, Active: ptrBool(true), BirthDate: date(p.DateOfBirth)}
	if p.NHSNumber != "" {
		r.Identifier = []Identifier{{System: NHSNumberSystem, Value: p.NHSNumber}}
	}
	r.Name = []HumanName{{Use: "official", Family: p.FamilyName, Given: []string{p.GivenName}, Text: p.FullName()}}
	if p.PreferredName != "" {
		r.Name = append(r.Name, HumanName{Use: "usual", Given: []string{p.PreferredName}, Text: p.PreferredName})
	}
	if p.Address != "" || p.Postcode != "" {
		r.Address = []Address{{Use: "home", Text: p.Address, PostalCode: p.Postcode}}
	}
	if m.providerID != "" {
		r.ManagingOrganization = ref("Organization", m.providerID, "")
	}
	e := add(out, p.ID, []Resource{r}, []time.Time{p.CreatedAt}, profileUKCorePatient)
	e.from = p.CreatedAt
}

// --- Observations ---------------------------------------------------------

// obsLines groups observations into lines of corrections, oldest first.
func obsLines(list []care.Observation) [][]care.Observation {
	return lines(list, func(o care.Observation) (string, string) { return o.ID, o.Corrects })
}

// lines groups entries into their lines of versions: each line starts
// with an entry that corrects nothing (or whose original is not in list)
// and follows the corrections in turn.
func lines[T any](list []T, ids func(T) (self, corrects string)) [][]T {
	byID := make(map[string]int, len(list))
	next := map[string]int{}
	for i, it := range list {
		self, _ := ids(it)
		byID[self] = i
	}
	var roots []int
	for i, it := range list {
		_, corrects := ids(it)
		if j, ok := byID[corrects]; corrects != "" && ok {
			next[corrects] = i
			_ = j
			continue
		}
		roots = append(roots, i)
	}
	out := make([][]T, 0, len(roots))
	for _, r := range roots {
		var line []T
		for i, ok := r, true; ok; {
			line = append(line, list[i])
			self, _ := ids(list[i])
			i, ok = next[self]
		}
		out = append(out, line)
	}
	return out
}

func obsStatus(v int) string {
	if v > 1 {
		return "corrected"
	}
	return "final"
}

func (m mapper) observations(out *[]*entry, p people.Person, list []care.Observation) {
	subject := m.patientRef(p)
	for _, line := range obsLines(list) {
		root := line[0].ID
		updated := make([]time.Time, len(line))
		for i, o := range line {
			updated[i] = o.RecordedAt
		}
		cur := line[len(line)-1]
		if cur.Kind == care.VitalSign {
			m.vitals(out, p, subject, root, line, updated)
			continue
		}
		versions := make([]Resource, len(line))
		profile := ""
		for i, o := range line {
			r := m.observation(subject, root, o, i+1)
			switch o.Kind {
			case care.Weight:
				profile = profileBodyWeight
			case care.Height:
				profile = profileBodyHeight
			}
			versions[i] = r
		}
		e := add(out, p.ID, versions, updated, profile)
		e.from = cur.TakenAt
		e.codes = versions[len(versions)-1].(*Observation).Code.Coding
		e.rows, e.kind = obsRows(line), cur.Kind
	}
}

func obsRows(line []care.Observation) []string {
	out := make([]string, len(line))
	for i, o := range line {
		out[i] = o.ID
	}
	return out
}

func (m mapper) obsBase(subject Reference, id string, o care.Observation, version int) *Observation {
	r := &Observation{Base: Base{ResourceType: "Observation", ID: id}, Status: obsStatus(version), Subject: &subject,
		EffectiveDateTime: dateTime(o.TakenAt), Issued: instant(o.RecordedAt)}
	r.Performer = []Reference{*staffRef(o.RecordedBy, o.RecordedByName)}
	if version > 1 {
		r.Extension = strExt(m.ext(extVersionReason), o.CorrectionReason)
	}
	return r
}

func (m mapper) observation(subject Reference, id string, o care.Observation, version int) *Observation {
	r := m.obsBase(subject, id, o, version)
	note := func(label, v string) {
		if v != "" {
			r.Note = append(r.Note, Annotation{Text: label + v})
		}
	}
	switch o.Kind {
	case care.FluidIn, care.FluidOut:
		code, display := obsFluidIn, "Drink (fluid intake)"
		if o.Kind == care.FluidOut {
			code, display = obsFluidOut, "Fluid output"
		}
		r.Category = category("exam", "Exam")
		r.Code = CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, code, display)}, Text: o.KindTitle()}
		r.ValueQuantity = &Quantity{Value: Dec(o.AmountML, 0), Unit: "mL", System: UCUM, Code: "mL"}
		r.Component = append(r.Component, m.textComponent("what", "What", o.What)...)
	case care.Food:
		r.Category = category("exam", "Exam")
		r.Code = CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsFood, "Food eaten")}, Text: "Food: " + o.MealTitle()}
		r.ValueCodeableConcept = &CodeableConcept{Coding: []Coding{m.hearthCode("portion", o.Portion, o.PortionTitle())}, Text: o.PortionTitle()}
		r.Component = []ObservationComponent{{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, "meal", "Meal")}},
			ValueCodeableConcept: &CodeableConcept{Coding: []Coding{m.hearthCode("meal", o.Meal, o.MealTitle())}, Text: o.MealTitle()}}}
		r.Component = append(r.Component, m.textComponent("what", "What", o.What)...)
	case care.Weight:
		r.Category = vitalSignsCategory
		r.Code = vitalWeight.concept()
		r.ValueQuantity = vitalWeight.quantity(decimalOf(o.WeightG, 3))
	case care.Height:
		r.Category = vitalSignsCategory
		r.Code = vitalHeight.concept()
		r.ValueQuantity = vitalHeight.quantity(decimalOf(o.HeightMM, 1))
	case care.Fall:
		r.Category = category("exam", "Exam")
		r.Code = CodeableConcept{Coding: []Coding{snomedFall, m.hearthCode(csObservation, obsFall, "Fall")}, Text: "Fall"}
		r.ValueBoolean = ptrBool(true)
		r.Component = append(r.Component, m.textComponent("fall-place", "Where it happened", o.Place)...)
		r.Component = append(r.Component, m.textComponent("fall-injury", "Injury", o.Injury)...)
		r.Component = append(r.Component, m.textComponent("fall-actions", "What was done", o.Actions)...)
	}
	note("", o.Note)
	return r
}

func (m mapper) textComponent(code, display, v string) []ObservationComponent {
	if v == "" {
		return nil
	}
	return []ObservationComponent{{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, code, display)}}, ValueString: v}}
}

// decimalOf writes an integer count of 1/10^places units as a decimal
// without trailing zeros: 62400 g with places 3 is 62.4 kg.
func decimalOf(v, places int) *Decimal {
	d := Dec(v, places)
	if strings.Contains(d.text, ".") {
		d.text = strings.TrimRight(strings.TrimRight(d.text, "0"), ".")
	}
	return d
}

// vitals maps a set of vital signs: each sign its own observation under
// its vital-signs profile (LOINC, UCUM), named by the set's id and a
// suffix, and the set itself as the NEWS2 score derived from them, with
// consciousness (ACVPU), air or oxygen and the SpO2 scale as components.
func (m mapper) vitals(out *[]*entry, p people.Person, subject Reference, root string, line []care.Observation, updated []time.Time) {
	cur := line[len(line)-1]
	type sign struct {
		code  vitalCode
		value func(care.Vitals) *Decimal
	}
	signs := []sign{
		{vitalResp, func(v care.Vitals) *Decimal { return Dec(v.RespRate, 0) }},
		{vitalSpO2, func(v care.Vitals) *Decimal { return Dec(v.SpO2, 0) }},
		{vitalSys, func(v care.Vitals) *Decimal { return Dec(v.Systolic, 0) }},
		{vitalPulse, func(v care.Vitals) *Decimal { return Dec(v.Pulse, 0) }},
		{vitalTemp, func(v care.Vitals) *Decimal { return Dec(v.TempDC, 1) }},
	}
	var members []Reference
	for _, sg := range signs {
		id := root + "-" + sg.code.suffix
		versions := make([]Resource, len(line))
		for i, o := range line {
			r := m.obsBase(subject, id, o, i+1)
			r.Category = vitalSignsCategory
			r.Code = sg.code.concept()
			if sg.code.loinc == vitalSpO2.loinc {
				r.Code.Coding = append(r.Code.Coding, loincPulseOx)
			}
			r.ValueQuantity = sg.code.quantity(sg.value(o.Vitals))
			versions[i] = r
		}
		e := add(out, p.ID, versions, updated, sg.code.profile)
		e.from = cur.TakenAt
		e.codes = versions[len(versions)-1].(*Observation).Code.Coding
		members = append(members, Reference{Reference: "Observation/" + id, Display: sg.code.loincDisplay})
	}
	versions := make([]Resource, len(line))
	for i, o := range line {
		r := m.obsBase(subject, root, o, i+1)
		r.Category = category("survey", "Survey")
		r.Code = CodeableConcept{Coding: []Coding{snomedNEWS2, m.hearthCode(csObservation, obsVitalSet, "A set of vital signs recorded together, scored by NEWS2")},
			Text: "NEWS2 score"}
		total := o.NEWS2.Total
		r.ValueInteger = &total
		r.Interpretation = []CodeableConcept{{Text: "Clinical risk: " + o.NEWS2.Risk()}}
		r.DerivedFrom = members
		v := o.Vitals
		oxygen := v.OnOxygen
		air := CodeableConcept{Coding: []Coding{snomedRoomAir}, Text: "Breathing air"}
		if oxygen {
			air = CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsOxygen, "Breathing supplemental oxygen")}, Text: "On oxygen"}
		}
		scale := v.SpO2Scale
		r.Component = []ObservationComponent{
			{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsConsciousness, "Consciousness on the ACVPU scale")}},
				ValueCodeableConcept: &CodeableConcept{Coding: []Coding{m.hearthCode("consciousness", v.Consciousness, care.ConsciousnessTitle(v.Consciousness))},
					Text: care.ConsciousnessTitle(v.Consciousness)}},
			{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsOxygen, "Breathing supplemental oxygen")}}, ValueCodeableConcept: &air},
			{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsSpO2Scale, "NEWS2 SpO2 scale")}}, ValueInteger: &scale},
		}
		if o.Note != "" {
			r.Note = []Annotation{{Text: o.Note}}
		}
		versions[i] = r
	}
	e := add(out, p.ID, versions, updated)
	e.from = cur.TakenAt
	e.codes = versions[len(versions)-1].(*Observation).Code.Coding
	e.rows, e.kind = obsRows(line), care.VitalSign
}

// capacity maps capacity assessments as observations of the two-stage
// test (MCA 2005 ss2-3) and its outcome.
func (m mapper) capacity(out *[]*entry, p people.Person, list []consent.Assessment) {
	subject := m.patientRef(p)
	for _, a := range list {
		r := &Observation{Base: Base{ResourceType: "Observation", ID: a.ID}, Status: "final", Subject: &subject,
			Category: category("survey", "Survey"), EffectiveDateTime: dateTime(a.AssessedAt), Issued: instant(a.RecordedAt),
			Code: CodeableConcept{Coding: []Coding{m.hearthCode(csCapacity, "assessment", "Mental capacity assessment for a decision")},
				Text: "Mental capacity assessment: " + a.Decision}}
		r.Performer = []Reference{{Display: a.Assessor}}
		r.ValueCodeableConcept = &CodeableConcept{Coding: []Coding{m.hearthCode(csCapacity, a.Outcome, a.OutcomeText())}, Text: a.OutcomeText()}
		for _, item := range []struct {
			code, display string
			v             bool
		}{{"impairment", "Impairment of the mind or brain", a.Impairment}, {"understand", "Can understand the information", a.Understand},
			{"retain", "Can retain the information", a.Retain}, {"use-weigh", "Can use or weigh the information", a.UseWeigh},
			{"communicate", "Can communicate the decision", a.Communicate}, {"fluctuating", "Capacity fluctuates", a.Fluctuating}} {
			r.Component = append(r.Component, ObservationComponent{Code: CodeableConcept{Coding: []Coding{m.hearthCode(csCapacity, item.code, item.display)}},
				ValueBoolean: ptrBool(item.v)})
		}
		if a.Evidence != "" {
			r.Note = []Annotation{{Text: a.Evidence}}
		}
		if !a.NextReview.IsZero() {
			r.Extension = []Extension{{URL: m.ext(extReviewDate), ValueDate: date(a.NextReview)}}
		}
		e := add(out, p.ID, []Resource{r}, []time.Time{a.RecordedAt})
		e.from = a.AssessedAt
		e.codes = r.Code.Coding
	}
}

// --- Documents ------------------------------------------------------------

func textContent(title, body string, at time.Time) []DocContent {
	if body == "" {
		body = title
	}
	return []DocContent{{Attachment: Attachment{ContentType: "text/plain; charset=utf-8", Language: "en-GB", Data: []byte(body), Title: title, Creation: dateTime(at)}}}
}

func (m mapper) docType(code, display string) *CodeableConcept {
	return &CodeableConcept{Coding: []Coding{m.hearthCode(csDocumentType, code, display)}, Text: display}
}

func (m mapper) aboutMe(out *[]*entry, p people.Person, list []care.AboutMeEntry) {
	subject := m.patientRef(p)
	titles := map[string]string{}
	for _, s := range care.AboutMeSections {
		titles[s.Key] = s.Title
	}
	for _, a := range list {
		body := a.Body
		if len(a.Formats) > 0 {
			body = strings.TrimSpace(body + "\n\nFormats: " + strings.Join(a.FormatTitles(), ", "))
		}
		if a.Support != "" {
			body = strings.TrimSpace(body + "\n\nSupport needed: " + a.Support)
		}
		r := &DocumentReference{Base: Base{ResourceType: "DocumentReference", ID: a.ID}, Status: "current",
			Type: m.docType("about-me", "About Me entry"), Subject: &subject, Date: instant(a.WrittenAt),
			Category:    []CodeableConcept{{Coding: []Coding{m.hearthCode("about-me-section", a.Section, titles[a.Section])}, Text: titles[a.Section]}},
			Description: "About Me: " + titles[a.Section], Content: textContent("About Me: "+titles[a.Section], body, a.WrittenAt)}
		if au := m.author(a.Author, p); au != nil {
			r.Author = []Reference{*au}
		}
		e := add(out, p.ID, []Resource{r}, []time.Time{a.WrittenAt})
		e.from = a.WrittenAt
		e.codes = append(append([]Coding(nil), r.Type.Coding...), r.Category[0].Coding...)
	}
}

func (m mapper) notes(out *[]*entry, p people.Person, list []care.Note) {
	subject := m.patientRef(p)
	// Oldest first, so lines read in order.
	sorted := append([]care.Note(nil), list...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].RecordedAt.Before(sorted[j].RecordedAt) })
	for _, line := range lines(sorted, func(n care.Note) (string, string) { return n.ID, n.CorrectsID }) {
		root := line[0].ID
		versions := make([]Resource, len(line))
		updated := make([]time.Time, len(line))
		for i, n := range line {
			r := &DocumentReference{Base: Base{ResourceType: "DocumentReference", ID: root}, Status: "current",
				Type: m.docType("daily-note", "Daily note"), Subject: &subject, Date: instant(n.RecordedAt),
				Category:    []CodeableConcept{{Coding: []Coding{m.hearthCode("note-category", n.Category, n.CategoryTitle())}, Text: n.CategoryTitle()}},
				Description: "Daily note: " + n.CategoryTitle(), Content: textContent("Daily note: "+n.CategoryTitle(), n.Body, n.RecordedAt),
				Context: &DocContext{Period: &Period{Start: dateTime(n.CareAt), End: dateTime(n.CareAt)}}}
			if i > 0 {
				r.DocStatus = "amended"
			}
			if au := m.author(n.Author, p); au != nil {
				r.Author = []Reference{*au}
			}
			versions[i], updated[i] = r, n.RecordedAt
		}
		e := add(out, p.ID, versions, updated)
		e.from = line[len(line)-1].CareAt
		for _, n := range line {
			e.rows = append(e.rows, n.ID)
		}
		e.kind = "daily-note"
		cur := versions[len(versions)-1].(*DocumentReference)
		e.codes = append(append([]Coding(nil), cur.Type.Coding...), cur.Category[0].Coding...)
	}
}

func (m mapper) safety(out *[]*entry, p people.Person, list []care.SafetyVersion) {
	if len(list) == 0 {
		return
	}
	subject := m.patientRef(p)
	root := list[0].ID
	versions := make([]Resource, len(list))
	updated := make([]time.Time, len(list))
	for i, v := range list {
		var b strings.Builder
		for _, sec := range [][2]string{{"Triggers", v.Triggers}, {"Early warning signs", v.WarningSigns}, {"What helps", v.WhatHelps},
			{"Who to contact", v.Contacts}, {"In my words", v.PersonsWords}, {"Who was involved", strings.Join(v.Involved.Titles(), ", ") + nonEmpty(": ", v.Involved.Names)},
			{"Review by", v.ReviewOn.Format("2 January 2006")}, {"Why this version", v.Reason}} {
			if strings.TrimSpace(sec[1]) != "" && strings.TrimSpace(sec[1]) != ":" {
				b.WriteString(sec[0] + ": " + sec[1] + "\n\n")
			}
		}
		r := &DocumentReference{Base: Base{ResourceType: "DocumentReference", ID: root}, Status: "current",
			Type: m.docType("safety-plan", "Safety plan"), Subject: &subject, Date: instant(v.WrittenAt),
			Description: "Safety plan, version " + strconv.Itoa(v.Version), Content: textContent("Safety plan", strings.TrimSpace(b.String()), v.WrittenAt)}
		if i > 0 {
			r.DocStatus = "amended"
		}
		if au := m.author(v.Author, p); au != nil {
			r.Author = []Reference{*au}
		}
		versions[i], updated[i] = r, v.WrittenAt
	}
	e := add(out, p.ID, versions, updated)
	e.from = list[len(list)-1].WrittenAt
	e.codes = versions[0].(*DocumentReference).Type.Coding
}

func nonEmpty(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// --- Plans, goals, risks -------------------------------------------------

func (m mapper) involvedExt(i care.Involvement) []Extension {
	s := strings.Join(i.Titles(), ", ") + nonEmpty(": ", i.Names)
	return strExt(m.ext(extInvolved), strings.TrimPrefix(s, ": "))
}

func (m mapper) plans(out *[]*entry, p people.Person, list []care.PlanVersion) {
	subject := m.patientRef(p)
	byPlan := map[string][]care.PlanVersion{}
	var order []string
	for _, v := range list {
		if _, ok := byPlan[v.PlanID]; !ok {
			order = append(order, v.PlanID)
		}
		byPlan[v.PlanID] = append(byPlan[v.PlanID], v)
	}
	for _, id := range order {
		vs := byPlan[id]
		plans := make([]Resource, len(vs))
		goals := make([]Resource, len(vs))
		updated := make([]time.Time, len(vs))
		for i, v := range vs {
			r := &CarePlan{Base: Base{ResourceType: "CarePlan", ID: id}, Status: "active", Intent: "plan", Title: v.Title,
				Category:    []CodeableConcept{{Coding: []Coding{m.hearthCode("care-plan-area", v.Area, areaTitle(v.Area))}, Text: areaTitle(v.Area)}},
				Description: v.Outcome, Subject: subject, Created: dateTime(vs[0].WrittenAt), Author: m.author(v.Author, p),
				Goal:     []Reference{{Reference: "Goal/" + id}},
				Activity: []CarePlanActivity{{Detail: &CarePlanDetail{Status: "in-progress", Description: v.HowMet}}}}
			if v.Preferences != "" {
				r.Note = []Annotation{{Text: "Preferences: " + v.Preferences}}
			}
			r.Extension = append(r.Extension, Extension{URL: m.ext(extAgreement), ValueCodeableConcept: &CodeableConcept{
				Coding: []Coding{m.hearthCode("plan-agreement", v.Agreement, v.AgreementTitle())}, Text: strings.TrimSpace(v.AgreementTitle() + nonEmpty(": ", v.AgreementWords))}})
			r.Extension = append(r.Extension, m.involvedExt(v.Involved)...)
			r.Extension = append(r.Extension, Extension{URL: m.ext(extReviewDate), ValueDate: date(v.ReviewOn)})
			r.Extension = append(r.Extension, strExt(m.ext(extVersionReason), v.Reason)...)
			plans[i], updated[i] = r, v.WrittenAt
			goals[i] = &Goal{Base: Base{ResourceType: "Goal", ID: id}, LifecycleStatus: "active", Description: CodeableConcept{Text: v.Outcome},
				Subject: subject, ExpressedBy: ref("Patient", p.ID, p.FullName()), StatusDate: date(v.WrittenAt),
				Category: []CodeableConcept{{Coding: []Coding{m.hearthCode("care-plan-area", v.Area, areaTitle(v.Area))}, Text: areaTitle(v.Area)}}}
		}
		e := add(out, p.ID, plans, updated)
		e.from = vs[len(vs)-1].WrittenAt
		e.codes = plans[len(plans)-1].(*CarePlan).Category[0].Coding
		g := add(out, p.ID, goals, updated)
		g.from, g.codes = e.from, e.codes
	}
}

func areaTitle(area string) string {
	for _, a := range care.PlanAreas {
		if a.Value == area {
			return a.Title
		}
	}
	return area
}

func (m mapper) targets(out *[]*entry, p people.Person, list []care.FluidTarget) {
	subject := m.patientRef(p)
	measure := &CodeableConcept{Coding: []Coding{m.hearthCode(csObservation, obsFluidIn, "Drink (fluid intake)")}, Text: "Fluid intake in a day"}
	for i, t := range list {
		g := func(status string, statusDate time.Time, reason string) *Goal {
			r := &Goal{Base: Base{ResourceType: "Goal", ID: t.ID}, LifecycleStatus: status, Subject: subject, StatusDate: date(statusDate),
				StatusReason: reason, Description: CodeableConcept{Text: "Drink " + strconv.Itoa(t.TargetML) + " ml a day"},
				Target: []GoalTarget{{Measure: measure, DetailQuantity: &Quantity{Value: Dec(t.TargetML, 0), Unit: "mL/d", System: UCUM, Code: "mL/d"}}}}
			if t.Note != "" {
				r.Note = []Annotation{{Text: t.Note}}
			}
			return r
		}
		versions := []Resource{g("active", t.SetAt, "")}
		updated := []time.Time{t.SetAt}
		if i+1 < len(list) {
			next := list[i+1]
			versions = append(versions, g("cancelled", next.SetAt, "Replaced by a new daily target of "+strconv.Itoa(next.TargetML)+" ml"))
			updated = append(updated, next.SetAt)
		}
		e := add(out, p.ID, versions, updated)
		e.from = t.SetAt
		e.codes = measure.Coding
	}
}

var riskLevels = map[string]Coding{
	"low":    {System: riskProbability, Code: "low", Display: "Low likelihood"},
	"medium": {System: riskProbability, Code: "moderate", Display: "Moderate likelihood"},
	"high":   {System: riskProbability, Code: "high", Display: "High likelihood"},
}

func (m mapper) risks(out *[]*entry, p people.Person, list []care.RiskVersion) {
	subject := m.patientRef(p)
	byRisk := map[string][]care.RiskVersion{}
	var order []string
	for _, v := range list {
		if _, ok := byRisk[v.RiskID]; !ok {
			order = append(order, v.RiskID)
		}
		byRisk[v.RiskID] = append(byRisk[v.RiskID], v)
	}
	for _, id := range order {
		vs := byRisk[id]
		versions := make([]Resource, len(vs))
		updated := make([]time.Time, len(vs))
		for i, v := range vs {
			status := "final"
			if i > 0 {
				status = "amended"
			}
			// The outcome and its likelihood are notes, and the likelihood an
			// extension, not a prediction: a prediction without a numeric
			// probability fails ras-2 in validators that read an empty
			// result as false, and Hearth records no number.
			r := &RiskAssessment{Base: Base{ResourceType: "RiskAssessment", ID: id}, Status: status, Code: text(v.Title), Subject: subject,
				OccurrenceDateTime: dateTime(v.WrittenAt), Performer: m.author(v.Author, p), Mitigation: v.Reduces,
				Note: []Annotation{{Text: "What could happen: " + v.CouldHappen},
					{Text: "Likelihood: " + v.LikelihoodTitle() + ". Impact if it happens: " + v.ImpactTitle() + ". Overall: " + v.Rating() + "."}}}
			if c, ok := riskLevels[v.Likelihood]; ok {
				r.Extension = append(r.Extension, Extension{URL: m.ext(extLikelihood), ValueCodeableConcept: &CodeableConcept{Coding: []Coding{c}, Text: v.LikelihoodTitle()}})
			}
			if v.PersonsWords != "" {
				r.Note = append(r.Note, Annotation{Text: "In their words: " + v.PersonsWords})
			}
			r.Extension = append(r.Extension, m.involvedExt(v.Involved)...)
			r.Extension = append(r.Extension, Extension{URL: m.ext(extReviewDate), ValueDate: date(v.ReviewOn)})
			r.Extension = append(r.Extension, strExt(m.ext(extVersionReason), v.Reason)...)
			versions[i], updated[i] = r, v.WrittenAt
		}
		e := add(out, p.ID, versions, updated)
		e.from = vs[len(vs)-1].WrittenAt
	}
}

// --- Medicines ------------------------------------------------------------

func (m mapper) medicines(out *[]*entry, p people.Person, list []care.Medicine) {
	subject := m.patientRef(p)
	for _, med := range list {
		ms := func(stopped bool) *MedicationStatement {
			r := &MedicationStatement{Base: Base{ResourceType: "MedicationStatement", ID: med.ID}, Subject: subject,
				MedicationCodeableConcept: CodeableConcept{Text: strings.TrimSpace(med.Name + " " + med.Strength)},
				EffectivePeriod:           &Period{Start: date(med.StartDate), End: date(med.EndDate)}, DateAsserted: dateTime(med.CreatedAt),
				InformationSource: named(strings.TrimSpace(med.Prescriber + nonEmpty(" (", med.SourceTitle+")")))}
			d := Dosage{Text: strings.TrimSpace(med.Dose + ", " + med.ScheduleText), PatientInstruction: med.Instructions,
				Route: &CodeableConcept{Coding: []Coding{m.hearthCode("medicine-route", med.Route, med.RouteTitle)}, Text: med.RouteTitle}}
			if med.PRN {
				d.AsNeededBoolean = ptrBool(true)
				if med.Max24h > 0 {
					d.MaxDosePerPeriod = &Ratio{Numerator: &Quantity{Value: Dec(med.Max24h, 0)}, Denominator: &Quantity{Value: Dec(24, 0), Unit: "h", System: UCUM, Code: "h"}}
				}
			} else if len(med.Times) > 0 {
				times := make([]string, len(med.Times))
				for i, t := range med.Times {
					times[i] = t + ":00"
				}
				d.Timing = &Timing{Repeat: &TimingRepeat{TimeOfDay: times}}
			}
			r.Dosage = []Dosage{d}
			switch {
			case stopped:
				r.Status = "stopped"
				r.EffectivePeriod.End = dateTime(med.StoppedAt)
				r.StatusReason = []CodeableConcept{{Text: med.StopReason}}
			case !med.EndDate.IsZero() && m.now.After(med.EndDate.AddDate(0, 0, 1)):
				r.Status = "completed"
			case m.now.Before(med.StartDate):
				r.Status = "intended"
			default:
				r.Status = "active"
			}
			if med.Controlled {
				r.Note = []Annotation{{Text: "Controlled drug: a second member of staff witnesses each dose given"}}
			}
			return r
		}
		versions := []Resource{ms(false)}
		updated := []time.Time{med.CreatedAt}
		if !med.StoppedAt.IsZero() {
			versions = append(versions, ms(true))
			updated = append(updated, med.StoppedAt)
		}
		e := add(out, p.ID, versions, updated)
		e.from, e.to = med.StartDate, med.EndDate
	}
}

func (m mapper) doses(out *[]*entry, p people.Person, list []care.Dose) {
	subject := m.patientRef(p)
	for _, line := range lines(list, func(d care.Dose) (string, string) { return d.ID, d.Corrects }) {
		root := line[0].ID
		versions := make([]Resource, len(line))
		updated := make([]time.Time, len(line))
		for i, d := range line {
			r := &MedicationAdministration{Base: Base{ResourceType: "MedicationAdministration", ID: root},
				MedicationCodeableConcept: CodeableConcept{Text: d.MedicineName}, Subject: subject, EffectiveDateTime: dateTime(d.At),
				Performer: []AdminPerformer{{Actor: Reference{Display: d.RecordedByName}}}}
			switch d.Outcome {
			case care.Given, care.SelfAdministered:
				r.Status = "completed"
			default:
				r.Status = "not-done"
			}
			reason := d.OutcomeTitle()
			if d.ReasonCode != "" {
				reason += ": " + d.ReasonTitle()
			}
			r.StatusReason = []CodeableConcept{{Coding: []Coding{m.hearthCode("dose-outcome", d.Outcome, d.OutcomeTitle())}, Text: reason}}
			if d.ReasonCode != "" {
				r.StatusReason[0].Coding = append(r.StatusReason[0].Coding, m.hearthCode("dose-reason", d.ReasonCode, d.ReasonTitle()))
			}
			if d.WitnessName != "" {
				r.Performer = append(r.Performer, AdminPerformer{Function: &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/med-admin-perform-function", Code: "witness", Display: "Witness"}}},
					Actor: Reference{Display: d.WitnessName}})
			}
			if d.Note != "" {
				r.Note = []Annotation{{Text: d.Note}}
			}
			if i > 0 {
				r.Extension = strExt(m.ext(extVersionReason), d.CorrectionReason)
			}
			versions[i], updated[i] = r, d.RecordedAt
		}
		e := add(out, p.ID, versions, updated)
		e.from = line[len(line)-1].At
		for _, d := range line {
			e.rows = append(e.rows, d.ID)
		}
	}
}

// --- Visits and alerts ----------------------------------------------------

func (m mapper) visits(out *[]*entry, p people.Person, list []care.Visit) {
	subject := m.patientRef(p)
	for _, v := range list {
		enc := func(in, outAt time.Time) *Encounter {
			r := &Encounter{Base: Base{ResourceType: "Encounter", ID: v.ID}, Subject: &subject,
				Class: Coding{System: actCode, Code: "HH", Display: "home health"},
				Type:  []CodeableConcept{{Text: "Home-care visit, " + strconv.Itoa(v.PlannedMinutes) + " minutes planned"}}}
			participant := EncounterParticipant{Individual: ref("Practitioner", v.AssignedTo, v.AssignedName)}
			switch {
			case !outAt.IsZero():
				r.Status = "finished"
				r.Period = period(in, outAt)
				r.Length = &Quantity{Value: Dec(int(outAt.Sub(in)/time.Minute), 0), Unit: "min", System: UCUM, Code: "min"}
			case !in.IsZero():
				r.Status = "in-progress"
				r.Period = period(in, time.Time{})
			case v.Status == care.VisitMissed:
				r.Status = "cancelled"
				r.Type[0].Text += "; missed: no one checked in"
				r.Period = period(v.WindowStart, v.WindowEnd)
			default:
				r.Status = "planned"
				r.Period = period(v.WindowStart, v.WindowEnd)
			}
			participant.Period = r.Period
			r.Participant = []EncounterParticipant{participant}
			var tasks []string
			for _, t := range v.Tasks {
				tasks = append(tasks, t.Title)
			}
			if len(tasks) > 0 {
				r.ReasonCode = []CodeableConcept{{Text: "Tasks: " + strings.Join(tasks, "; ")}}
			}
			return r
		}
		versions := []Resource{enc(time.Time{}, time.Time{})}
		updated := []time.Time{v.CreatedAt}
		if !v.CheckedInAt.IsZero() {
			versions = append(versions, enc(v.CheckedInAt, time.Time{}))
			updated = append(updated, v.CheckedInAt)
		}
		if !v.CheckedOutAt.IsZero() {
			versions = append(versions, enc(v.CheckedInAt, v.CheckedOutAt))
			updated = append(updated, v.CheckedOutAt)
		}
		for i := 1; i < len(updated); i++ {
			if updated[i].Before(updated[i-1]) {
				updated[i] = updated[i-1]
			}
		}
		e := add(out, p.ID, versions, updated)
		e.from, e.to = v.WindowStart, v.WindowEnd
		if !v.CheckedInAt.IsZero() {
			e.from = v.CheckedInAt
			e.to = v.CheckedOutAt
		}
	}
}

func (m mapper) alerts(out *[]*entry, p people.Person, list []care.Alert) {
	subject := m.patientRef(p)
	for _, a := range list {
		r := &Flag{Base: Base{ResourceType: "Flag", ID: p.ID + "-" + a.Kind}, Status: "active", Subject: subject,
			Category: []CodeableConcept{{Coding: []Coding{{System: flagCategory, Code: "clinical", Display: "Clinical"}}}},
			Code:     CodeableConcept{Coding: []Coding{m.hearthCode(csAlert, a.Kind, a.Title)}, Text: a.Title + ": " + a.Detail},
			Period:   &Period{Start: dateTime(a.At)}}
		e := add(out, p.ID, []Resource{r}, []time.Time{a.At})
		e.from = a.At
		e.codes = r.Code.Coding
	}
}

// --- Consent and representatives -------------------------------------------

func (m mapper) consents(out *[]*entry, p people.Person, rec consent.Records) {
	for _, c := range rec.Consents {
		mk := func(c consent.Consent) *Consent {
			fc := c.FHIR(m.now, m.base)
			fc.Patient.Display = p.FullName()
			return &Consent{FHIRConsent: fc}
		}
		versions := []Resource{}
		updated := []time.Time{}
		if c.Withdrawn() {
			before := c
			before.WithdrawnAt = time.Time{}
			versions = append(versions, mk(before))
			updated = append(updated, c.RecordedAt)
		}
		versions = append(versions, mk(c))
		if c.Withdrawn() {
			updated = append(updated, c.WithdrawnAt)
		} else {
			updated = append(updated, c.RecordedAt)
		}
		e := add(out, p.ID, versions, updated)
		e.from = c.RecordedAt
		for _, cd := range versions[len(versions)-1].(*Consent).Provision.Code[0].Coding {
			e.codes = append(e.codes, Coding{System: cd.System, Code: cd.Code, Display: cd.Display})
		}
	}
	for _, b := range rec.LawfulBases {
		status := "active"
		if !b.Live(m.now) {
			status = "inactive"
		}
		fc := consent.FHIRConsent{ResourceType: "Consent", ID: b.ID, Status: status,
			Scope:    consent.FHIRCodeableConcept{Coding: []consent.FHIRCoding{{System: consent.FHIRConsentScopeSystem, Code: "patient-privacy", Display: "Privacy Consent"}}},
			Category: []consent.FHIRCodeableConcept{{Coding: []consent.FHIRCoding{{System: m.cs("lawful-basis"), Code: b.Kind, Display: b.Title()}}, Text: "Shared without consent: " + b.Title()}},
			Patient:  consent.FHIRReference{Reference: "Patient/" + p.ID, Display: p.FullName()}, DateTime: dateTime(b.RecordedAt),
			Performer: []consent.FHIRReference{{Display: b.RecordedBy}},
			Policy:    []consent.FHIRPolicy{{URI: consent.FHIRPolicyUKGDPR}},
			Provision: consent.FHIRProvision{Type: "permit", Period: &consent.FHIRPeriod{Start: dateTime(b.Starts), End: dateTime(b.Ends)},
				Actor: []consent.FHIRActor{{Role: consent.FHIRCodeableConcept{Coding: []consent.FHIRCoding{{System: consent.FHIRActorRoleSystem, Code: "IRCP", Display: "information recipient"}}},
					Reference: consent.FHIRReference{Display: b.Recipient}}},
				Code: []consent.FHIRCodeableConcept{{Coding: []consent.FHIRCoding{{System: m.cs("lawful-basis"), Code: b.Kind, Display: b.Title()}}, Text: b.Reason}}}}
		r := &Consent{FHIRConsent: fc}
		e := add(out, p.ID, []Resource{r}, []time.Time{b.RecordedAt})
		e.from = b.RecordedAt
		e.codes = []Coding{{System: m.cs("lawful-basis"), Code: b.Kind}}
	}
	for _, b := range rec.BestInterests {
		var text strings.Builder
		for _, f := range [][2]string{{"Decision", b.Decision}, {"Who was consulted", b.Consulted}, {"Why nobody could be consulted", b.NobodyReason},
			{"Their wishes, feelings, beliefs and values", b.Wishes}, {"Options considered", b.Options}, {"Decision made", b.Outcome},
			{"Why it is in their best interests", b.Reasons}, {"Decision maker", b.DecisionMaker}} {
			if f[1] != "" {
				text.WriteString(f[0] + ": " + f[1] + "\n\n")
			}
		}
		fc := consent.FHIRConsent{ResourceType: "Consent", ID: b.ID, Status: "active",
			Scope:    consent.FHIRCodeableConcept{Coding: []consent.FHIRCoding{{System: consent.FHIRConsentScopeSystem, Code: "treatment", Display: "Treatment"}}},
			Category: []consent.FHIRCodeableConcept{{Coding: []consent.FHIRCoding{{System: m.cs("lawful-basis"), Code: consent.BasisBestInterests, Display: "Best-interests decision"}}, Text: "Best-interests decision (Mental Capacity Act 2005 section 4)"}},
			Patient:  consent.FHIRReference{Reference: "Patient/" + p.ID, Display: p.FullName()}, DateTime: dateTime(b.DecidedAt),
			Performer: []consent.FHIRReference{{Display: b.DecisionMaker}},
			Policy:    []consent.FHIRPolicy{{URI: consent.FHIRPolicyMCA}},
			Provision: consent.FHIRProvision{Type: "permit", Period: &consent.FHIRPeriod{Start: dateTime(b.DecidedAt)},
				Code: []consent.FHIRCodeableConcept{{Coding: []consent.FHIRCoding{{System: m.cs("lawful-basis"), Code: consent.BasisBestInterests, Display: "Best-interests decision"}}, Text: b.Decision + ": " + b.Outcome}}}}
		r := &Consent{FHIRConsent: fc, SourceAttachment: &Attachment{ContentType: "text/plain; charset=utf-8", Language: "en-GB",
			Data: []byte(strings.TrimSpace(text.String())), Title: "Best-interests decision", Creation: dateTime(b.DecidedAt)}}
		e := add(out, p.ID, []Resource{r}, []time.Time{b.RecordedAt})
		e.from = b.DecidedAt
		e.codes = []Coding{{System: m.cs("lawful-basis"), Code: consent.BasisBestInterests}}
	}
}

func (m mapper) representatives(out *[]*entry, p people.Person, list []consent.Representative) {
	for _, rep := range list {
		mk := func(ended bool) *RelatedPerson {
			r := &RelatedPerson{Base: Base{ResourceType: "RelatedPerson", ID: rep.ID}, Patient: m.patientRef(p),
				Name: []HumanName{{Text: rep.Name}}, Active: ptrBool(rep.Live(m.now) && !(ended && !rep.EndsOn.IsZero() && !m.now.Before(rep.EndsOn)))}
			if rep.Relationship != "" {
				r.Relationship = []CodeableConcept{{Text: rep.Relationship}}
			}
			r.Extension = []Extension{{URL: m.ext(consent.FHIRAuthorityExtension), ValueCodeableConcept: &CodeableConcept{
				Coding: []Coding{m.hearthCode(consent.FHIRAuthorityCodeSystem, rep.Authority, consent.AuthorityTitle(rep.Authority))}, Text: consent.AuthorityTitle(rep.Authority)}}}
			if rep.EvidenceReference != "" {
				r.Identifier = []Identifier{{Use: "official", Value: rep.EvidenceReference}}
			}
			end := time.Time{}
			if ended {
				end = rep.EndsOn
			}
			r.Period = period(rep.StartsOn, end)
			if !ended {
				r.Active = ptrBool(!m.now.Before(rep.StartsOn))
			}
			return r
		}
		versions := []Resource{mk(rep.EndedAt.IsZero())}
		updated := []time.Time{rep.RecordedAt}
		if !rep.EndedAt.IsZero() {
			versions = append(versions, mk(true))
			updated = append(updated, rep.EndedAt)
		}
		e := add(out, p.ID, versions, updated)
		e.from, e.to = rep.StartsOn, rep.EndsOn
	}
}

// --- Technology -----------------------------------------------------------

func (m mapper) techUses(out *[]*entry, p people.Person, list []tech.UseHistory) {
	subject := m.patientRef(p)
	for _, u := range list {
		vs := u.Versions
		if len(vs) == 0 {
			vs = []tech.UseVersion{{Version: u.Version, Record: u.Record, ChangedAt: u.UpdatedAt}}
		}
		versions := make([]Resource, len(vs))
		updated := make([]time.Time, len(vs))
		for i, v := range vs {
			last := i == len(vs)-1
			r := &DeviceUseStatement{Base: Base{ResourceType: "DeviceUseStatement", ID: u.ID}, Subject: subject, Status: "active",
				RecordedOn: dateTime(u.CreatedAt), Device: Reference{Display: u.TechnologyName}, ReasonCode: []CodeableConcept{{Text: v.Record.Reason}},
				TimingPeriod: &Period{Start: dateTime(u.CreatedAt)}}
			if !v.EndedAt.IsZero() || (last && !u.EndedAt.IsZero()) {
				r.Status = "completed"
				end := v.EndedAt
				if end.IsZero() {
					end = u.EndedAt
				}
				r.TimingPeriod.End = dateTime(end)
			} else if last && u.State == tech.UseStopped {
				r.Status = "stopped"
			}
			for _, n := range [][2]string{{"When and how: ", v.Record.WhenHow}, {"How their data is used: ", v.Record.DataUse},
				{"Information given: ", strings.TrimSpace(v.Record.InformationGiven + nonEmpty(" (", v.Record.InformationFormat+")"))},
				{"How the decision was made: ", v.Record.DecisionProcess}, {"Rights and proportionality: ", v.Record.Rights},
				{"Less restrictive alternatives: ", v.Record.Alternatives}, {"How to withdraw consent: ", v.Record.Withdrawal},
				{"Review: ", v.Record.ReviewPlan}} {
				if n[1] != "" && n[1] != "()" {
					r.Note = append(r.Note, Annotation{Text: n[0] + n[1]})
				}
			}
			if last && u.StateText != "" {
				r.Note = append(r.Note, Annotation{Text: u.StateText})
			}
			basis := consent.BasisTitle(u.BasisKind)
			if last && u.Basis.Reason != "" {
				basis += ": " + u.Basis.Reason
			}
			r.Extension = append(r.Extension, strExt(m.ext(extLawfulBasis), basis)...)
			if !v.Record.NextReview.IsZero() {
				r.Extension = append(r.Extension, Extension{URL: m.ext(extReviewDate), ValueDate: date(v.Record.NextReview)})
			}
			if i > 0 {
				r.Extension = append(r.Extension, strExt(m.ext(extVersionReason), v.Reason)...)
			}
			versions[i], updated[i] = r, v.ChangedAt
		}
		e := add(out, p.ID, versions, updated)
		e.from = u.CreatedAt
	}
}

// --- Audit ----------------------------------------------------------------

// auditEvents maps the person's access history in the IHE BALP shape: one
// patient entity per event, break-glass as Emergency Override Started, the
// purpose as HL7 PurposeOfUse. For the person and their representatives a
// refused attempt says only that someone without access tried, in what
// role and when: the details are for the information governance lead.
func (m mapper) auditEvents(out *[]*entry, p people.Person, list []audit.Event) {
	for _, ev := range list {
		r := m.auditEvent(p, ev)
		e := add(out, p.ID, []Resource{r}, []time.Time{ev.At})
		e.from = ev.At
		e.codes = r.Subtype
	}
}

func (m mapper) auditEvent(p people.Person, ev audit.Event) *AuditEvent {
	refused := ev.Refused()
	hidden := false
	switch {
	case m.ownView():
		seen := ev.ForPerson(m.reader.ID)
		hidden = seen.Stranger
		ev.ActorName, ev.ReasonText, ev.Detail = seen.Name, seen.Why, seen.Detail
	case !m.reader.Role.Info().Permissions.Has(access.ReviewBreakGlass):
		ev = ev.WithoutRefusedText()
	}
	r := &AuditEvent{Base: Base{ResourceType: "AuditEvent", ID: ev.ID},
		Type:     Coding{System: dicomDCM, Code: "110110", Display: "Patient Record"},
		Subtype:  []Coding{m.hearthCode(csAuditAction, ev.Action, ev.Action)},
		Recorded: instant(ev.At), Outcome: "0", Action: "R",
		Source: AuditSource{Site: "Hearth", Observer: Reference{Display: "Hearth"}}}
	if a, ok := actionNamed[ev.Action]; ok && !a.IsRead() {
		r.Action = "U"
	}
	if refused || ev.Outcome != audit.OutcomeSuccess {
		r.Outcome = "4"
	}
	if ev.BreakGlass {
		r.Subtype = append(r.Subtype, Coding{System: dicomDCM, Code: "110127", Display: "Emergency Override Started"})
	}
	if code := purposeHL7(ev.Purpose); code != "" {
		r.PurposeOfEvent = []CodeableConcept{{Coding: []Coding{{System: actReason, Code: code}}, Text: ev.Purpose}}
	}
	agent := AuditAgent{Requestor: true}
	role := ev.ActorRole
	roleConcept := CodeableConcept{Text: role}
	if rl := access.ParseRole(role); rl != access.RoleNone {
		roleConcept = CodeableConcept{Coding: []Coding{m.hearthCode(csStaffRole, role, rl.Title())}, Text: rl.Title()}
	}
	if role != "" {
		agent.Role = []CodeableConcept{roleConcept}
	}
	switch {
	case hidden:
		agent.Who = &Reference{Display: "Someone without access"}
	case ev.ActorKind == access.KindStaff.String() && ev.ActorID != "":
		agent.Who = ref("Practitioner", ev.ActorID, ev.ActorName)
	case ev.ActorKind == access.KindPerson.String():
		agent.Who = ref("Patient", p.ID, ev.ActorName)
	default:
		agent.Who = named(firstNonEmpty(ev.ActorName, "Hearth"))
	}
	r.Agent = []AuditAgent{agent}
	if !hidden && ev.ReasonText != "" {
		r.OutcomeDesc = ev.ReasonText
	}
	r.Entity = []AuditEntity{{What: ref("Patient", p.ID, ""), Type: &Coding{System: "http://terminology.hl7.org/CodeSystem/audit-entity-type", Code: "1", Display: "Person"},
		Role: &Coding{System: objectRole, Code: "1", Display: "Patient"}}}
	if !hidden && (ev.ResourceType != "" || ev.Detail != "") {
		// What was touched, in Hearth's own words: the audit log names
		// entries by kind and id, which are not all resources served here.
		what := ev.ResourceType
		if ev.ResourceID != "" {
			what = strings.TrimSpace(what + " " + ev.ResourceID)
		}
		desc := ev.Detail
		if what != "" {
			desc = strings.TrimSpace(desc + nonEmpty(" (", what+")"))
			if ev.Detail == "" {
				desc = what
			}
		}
		r.Entity = append(r.Entity, AuditEntity{Description: desc})
	}
	return r
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

var actionNamed = func() map[string]access.Action {
	out := map[string]access.Action{}
	for _, a := range access.Actions() {
		out[a.String()] = a
	}
	return out
}()

func purposeHL7(name string) string {
	for p := access.Purpose(1); p.String() != "unknown"; p++ {
		if p.String() == name {
			return p.HL7()
		}
	}
	return ""
}

// --- Provenance -----------------------------------------------------------

// provenance says, for each entry that has been corrected or revised, who
// wrote each version, when, and why it replaced the one before: one
// Provenance per version, named by the entry and the version. An entry
// never changed says who wrote it and when itself.
func (m mapper) provenance(out *[]*entry, p people.Person, entries []*entry) {
	for _, e := range entries {
		if len(e.versions) < 2 {
			continue
		}
		switch e.typ {
		case "Observation", "DocumentReference", "MedicationAdministration", "CarePlan", "RiskAssessment", "DeviceUseStatement":
		default:
			continue
		}
		if e.typ == "Observation" && memberRoot(e.id) != e.id {
			continue // a vital sign's provenance is its set's
		}
		for i, v := range e.versions {
			n := i + 1
			r := &Provenance{Base: Base{ResourceType: "Provenance", ID: e.id + "-v" + strconv.Itoa(n)},
				Target:   []Reference{{Reference: e.typ + "/" + e.id + "/_history/" + strconv.Itoa(n)}},
				Recorded: instant(e.updated[i])}
			activity := Coding{System: dataOperation, Code: "CREATE", Display: "create"}
			if n > 1 {
				activity = Coding{System: dataOperation, Code: "UPDATE", Display: "revise"}
				r.Entity = []ProvenanceEntity{{Role: "revision", What: Reference{Reference: e.typ + "/" + e.id + "/_history/" + strconv.Itoa(n-1)}}}
			}
			r.Activity = &CodeableConcept{Coding: []Coding{activity}}
			who, reason := provenanceOf(v)
			if who == nil {
				who = &Reference{Display: "Hearth"}
			}
			if reason != "" && n > 1 {
				r.Reason = []CodeableConcept{{Text: reason}}
			}
			r.Agent = []ProvenanceAgent{{Type: &CodeableConcept{Coding: []Coding{{System: provAgentType, Code: "author", Display: "Author"}}}, Who: *who}}
			pe := add(out, p.ID, []Resource{r}, []time.Time{e.updated[i]})
			pe.from = e.updated[i]
		}
	}
}

// provenanceOf reads who wrote a version and why it changed from the
// resource itself.
func provenanceOf(r Resource) (*Reference, string) {
	reasonOf := func(exts []Extension) string {
		for _, x := range exts {
			if strings.HasSuffix(x.URL, "/"+extVersionReason) {
				return x.ValueString
			}
		}
		return ""
	}
	switch v := r.(type) {
	case *Observation:
		if len(v.Performer) > 0 {
			return &v.Performer[0], reasonOf(v.Extension)
		}
		return nil, reasonOf(v.Extension)
	case *DocumentReference:
		if len(v.Author) > 0 {
			return &v.Author[0], ""
		}
	case *MedicationAdministration:
		return &v.Performer[0].Actor, reasonOf(v.Extension)
	case *CarePlan:
		return v.Author, reasonOf(v.Extension)
	case *RiskAssessment:
		return v.Performer, ""
	case *DeviceUseStatement:
		return nil, reasonOf(v.Extension)
	}
	return nil, ""
}

// --- Messages and correction requests --------------------------------------

func (m mapper) messages(out *[]*entry, p people.Person, list []portal.Message) {
	subject := m.patientRef(p)
	for _, msg := range list {
		r := &Communication{Base: Base{ResourceType: "Communication", ID: msg.ID}, Status: "completed", Subject: &subject,
			Sent: dateTime(msg.SentAt), Sender: named(msg.ShownAs), Payload: []CommunicationPayload{{ContentString: msg.Body}}}
		e := add(out, p.ID, []Resource{r}, []time.Time{msg.SentAt})
		e.from = msg.SentAt
	}
}

func (m mapper) corrections(out *[]*entry, p people.Person, list []portal.Correction) {
	for _, cr := range list {
		mk := func(decided bool) *Task {
			t := &Task{Base: Base{ResourceType: "Task", ID: cr.ID}, Status: "requested", Intent: "order", For: ref("Patient", p.ID, p.FullName()),
				Code: text("Request to correct the record"), Description: cr.Request, AuthoredOn: dateTime(cr.RequestedAt), LastModified: dateTime(cr.RequestedAt)}
			if decided {
				switch cr.Status {
				case portal.CorrectionCorrected:
					t.Status = "completed"
				case portal.CorrectionNotChanged:
					t.Status = "rejected"
				}
				t.StatusReason = text(cr.Outcome)
				t.LastModified = dateTime(cr.DecidedAt)
			}
			return t
		}
		versions := []Resource{mk(false)}
		updated := []time.Time{cr.RequestedAt}
		if !cr.DecidedAt.IsZero() {
			versions = append(versions, mk(true))
			updated = append(updated, cr.DecidedAt)
		}
		e := add(out, p.ID, versions, updated)
		e.from = cr.RequestedAt
	}
}

// entries maps what was read of one person that want asks for, in a
// stable order: the person, then each kind of entry, then the provenance
// of what has versions.
func (m mapper) entries(rec record, want wants) []*entry {
	var out []*entry
	p := rec.Person
	has := func(pt part) bool { return rec.Read&pt != 0 }
	if has(partPerson) && want("Patient") {
		m.patient(&out, p)
	}
	if has(partConsent) {
		if want("RelatedPerson") {
			m.representatives(&out, p, rec.Consent.Representatives)
		}
		if want("Consent") {
			m.consents(&out, p, rec.Consent)
		}
		if want("Observation") {
			m.capacity(&out, p, rec.Consent.Assessments)
		}
	}
	prov := want("Provenance")
	if want("DocumentReference") || prov {
		m.aboutMe(&out, p, rec.AboutMe)
		m.safety(&out, p, rec.Safety)
		m.notes(&out, p, rec.Notes)
	}
	if want("CarePlan") || want("Goal") || prov {
		m.plans(&out, p, rec.Plans)
	}
	if want("Goal") {
		m.targets(&out, p, rec.Targets)
	}
	if want("RiskAssessment") || prov {
		m.risks(&out, p, rec.Risks)
	}
	if want("Observation") || prov {
		m.observations(&out, p, rec.Observations)
	}
	if want("MedicationStatement") {
		m.medicines(&out, p, rec.Medicines)
	}
	if want("MedicationAdministration") || prov {
		m.doses(&out, p, rec.Doses)
	}
	if want("Encounter") {
		m.visits(&out, p, rec.Visits)
	}
	if want("Flag") {
		m.alerts(&out, p, rec.Alerts)
	}
	if want("DeviceUseStatement") || prov {
		m.techUses(&out, p, rec.Tech)
	}
	if want("Communication") {
		m.messages(&out, p, rec.Messages)
	}
	if want("Task") {
		m.corrections(&out, p, rec.Corrections)
	}
	if want("AuditEvent") {
		m.auditEvents(&out, p, rec.History)
	}
	if prov {
		m.provenance(&out, p, append([]*entry(nil), out...))
	}
	return out
}
