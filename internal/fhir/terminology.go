package fhir

// Terminology: the code systems Hearth codes its resources with. Vital
// signs carry LOINC codes and UCUM units as the FHIR vital-signs profiles
// require, with SNOMED CT beside them as UK Core prefers; the NHS number is
// UK Core's identifier system. What no published code system says (a
// meal, a portion, the ACVPU scale as Hearth records it, a staff role) is
// coded in Hearth's own code systems, named under the deployment's FHIR
// base URL and published there as CodeSystem resources, as are Hearth's
// extensions as StructureDefinitions.

import (
	"sort"

	"hearth/internal/access"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/tech"
)

// Published code systems and identifier systems.
const (
	LOINC             = "http://loinc.org"
	SNOMED            = "http://snomed.info/sct"
	UCUM              = "http://unitsofmeasure.org"
	NHSNumberSystem   = "https://fhir.nhs.uk/Id/nhs-number"
	obsCategory       = "http://terminology.hl7.org/CodeSystem/observation-category"
	actReason         = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	actCode           = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	auditEventType    = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	objectRole        = "http://terminology.hl7.org/CodeSystem/object-role"
	dicomDCM          = "http://dicom.nema.org/resources/ontology/DCM"
	dataOperation     = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
	provAgentType     = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	flagCategory      = "http://terminology.hl7.org/CodeSystem/flag-category"
	riskProbability   = "http://terminology.hl7.org/CodeSystem/risk-probability"
	carePlanCategory  = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
	docRelationship   = "http://hl7.org/fhir/document-relationship-type"
	securitySource    = "http://terminology.hl7.org/CodeSystem/security-source-type"
	participantType   = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	goalCategory      = "http://terminology.hl7.org/CodeSystem/goal-category"
	organizationType  = "http://terminology.hl7.org/CodeSystem/organization-type"
	roleCode          = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
	reasonMedNotGiven = "http://terminology.hl7.org/CodeSystem/reason-medication-not-given"
)

// Profiles Hearth claims in meta.profile, only where the resource conforms.
const (
	profileVitalSigns    = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
	profileRespRate      = "http://hl7.org/fhir/StructureDefinition/resprate"
	profileHeartRate     = "http://hl7.org/fhir/StructureDefinition/heartrate"
	profileOxygenSat     = "http://hl7.org/fhir/StructureDefinition/oxygensat"
	profileBodyTemp      = "http://hl7.org/fhir/StructureDefinition/bodytemp"
	profileBodyWeight    = "http://hl7.org/fhir/StructureDefinition/bodyweight"
	profileBodyHeight    = "http://hl7.org/fhir/StructureDefinition/bodyheight"
	profileUKCorePatient = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"
)

// Vital signs: LOINC (the profile's required code), SNOMED CT, UCUM unit.
type vitalCode struct {
	loinc, loincDisplay   string
	snomed, snomedDisplay string
	unit, ucum            string
	profile               string
	suffix                string // the member observation's id suffix
}

var (
	vitalResp   = vitalCode{"9279-1", "Respiratory rate", "86290005", "Respiration rate", "breaths/minute", "/min", profileRespRate, "resp"}
	vitalSpO2   = vitalCode{"2708-6", "Oxygen saturation in Arterial blood", "431314004", "Peripheral oxygen saturation", "%", "%", profileOxygenSat, "spo2"}
	vitalSys    = vitalCode{"8480-6", "Systolic blood pressure", "72313002", "Systolic arterial pressure", "mmHg", "mm[Hg]", profileVitalSigns, "sbp"}
	vitalPulse  = vitalCode{"8867-4", "Heart rate", "364075005", "Heart rate", "beats/minute", "/min", profileHeartRate, "pulse"}
	vitalTemp   = vitalCode{"8310-5", "Body temperature", "386725007", "Body temperature", "Cel", "Cel", profileBodyTemp, "temp"}
	vitalWeight = vitalCode{"29463-7", "Body weight", "27113001", "Body weight", "kg", "kg", profileBodyWeight, ""}
	vitalHeight = vitalCode{"8302-2", "Body height", "50373000", "Body height measure", "cm", "cm", profileBodyHeight, ""}
	// Pulse oximetry is a more specific code the oxygen saturation profile
	// allows beside 2708-6.
	loincPulseOx = Coding{System: LOINC, Code: "59408-5", Display: "Oxygen saturation in Arterial blood by Pulse oximetry"}
)

func (v vitalCode) concept() CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: LOINC, Code: v.loinc, Display: v.loincDisplay},
		{System: SNOMED, Code: v.snomed, Display: v.snomedDisplay}}, Text: v.loincDisplay}
}

func (v vitalCode) quantity(value *Decimal) *Quantity {
	return &Quantity{Value: value, Unit: v.unit, System: UCUM, Code: v.ucum}
}

// SNOMED CT codes for what Hearth records that SNOMED CT names.
var (
	snomedNEWS2   = Coding{System: SNOMED, Code: "1104051000000101", Display: "Royal College of Physicians NEWS2 (National Early Warning Score 2) total score"}
	snomedFall    = Coding{System: SNOMED, Code: "1912002", Display: "Fall"}
	snomedRoomAir = Coding{System: SNOMED, Code: "722742002", Display: "Breathing room air"}
)

var vitalSignsCategory = []CodeableConcept{{Coding: []Coding{{System: obsCategory, Code: "vital-signs", Display: "Vital Signs"}}, Text: "Vital Signs"}}

func category(code, display string) []CodeableConcept {
	return []CodeableConcept{{Coding: []Coding{{System: obsCategory, Code: code, Display: display}}}}
}

// codeSystem is one of Hearth's own code systems: its name (the last part
// of its URL), title, description and concepts.
type codeSystem struct {
	name, title, description string
	concepts                 [][2]string
}

func choicePairs(list []care.Choice) [][2]string {
	out := make([][2]string, len(list))
	for i, c := range list {
		out[i] = [2]string{c.Value, c.Title}
	}
	return out
}

// Hearth's own code system names.
const (
	csObservation  = "care-observation"
	csDocumentType = "document-type"
	csStaffRole    = "staff-role"
	csAuditAction  = "audit-action"
	csAlert        = "alert"
	csRecordAuthor = "entry-author"
	csTechState    = "technology-use-state"
	csCapacity     = "capacity-assessment"
	csLocationKind = "location-kind"
)

// Hearth's own extensions.
const (
	extVersionReason = "version-reason"
	extLate          = "recorded-late"
	extPersonsWords  = "persons-words"
	extInvolved      = "involved"
	extAgreement     = "plan-agreement"
	extReviewDate    = "review-date"
	extLawfulBasis   = "lawful-basis"
	extWitness       = "witness"
	extLocation      = "registered-location"
	extLikelihood    = "likelihood"
)

// Codes in care-observation.
const (
	obsFluidIn       = "fluid-intake"
	obsFluidOut      = "fluid-output"
	obsFood          = "food-intake"
	obsConsciousness = "consciousness"
	obsOxygen        = "supplemental-oxygen"
	obsSpO2Scale     = "spo2-scale"
	obsVitalSet      = "vital-signs-set"
	obsFall          = "fall"
)

func codeSystems() []codeSystem {
	list := []codeSystem{
		{csObservation, "Care observations", "What care staff observe and record at the point of care, where no published code says it as Hearth records it.", [][2]string{
			{obsFluidIn, "Drink (fluid intake)"}, {obsFluidOut, "Fluid output"}, {obsFood, "Food eaten"},
			{obsConsciousness, "Consciousness on the ACVPU scale"}, {obsOxygen, "Breathing supplemental oxygen"},
			{obsSpO2Scale, "NEWS2 SpO2 scale (1, or 2 for hypercapnic respiratory failure)"},
			{obsVitalSet, "A set of vital signs recorded together, scored by NEWS2"}, {obsFall, "A fall, with where, any injury and what was done"},
			{"what", "What was drunk or eaten"}, {"meal", "Meal"}, {"fall-place", "Where the fall happened"}, {"fall-injury", "Injury from the fall"},
			{"fall-actions", "What was done after the fall"}}},
		{csDocumentType, "Kinds of document", "The kinds of text the care record holds.", [][2]string{
			{"about-me", "About Me entry (PRSB About Me)"}, {"daily-note", "Daily note"}, {"safety-plan", "Safety plan"}}},
		{csStaffRole, "Staff roles", "The roles a member of staff holds in Hearth, each with its own permissions.", rolePairs()},
		{csAuditAction, "Audited actions", "What an audited access did.", actionPairs()},
		{csAlert, "Alerts", "Alerts Hearth works out from the record each time it is read.", [][2]string{
			{care.AlertFluidsLow, "Drinking too little today"}, {care.AlertFluidsYesterday, "Below fluid target yesterday"},
			{care.AlertWeightLoss, "Weight loss over 5% in 30 days"}, {care.AlertNEWS2, "NEWS2 score 5 or more"},
			{care.AlertNEWS2Single, "NEWS2: a single sign scored 3"}}},
		{csTechState, "Technology use states", "Whether a technology use may go on now.", [][2]string{
			{tech.UseActive, "In use"}, {tech.UseStopped, "Stopped: its lawful basis no longer counts"}, {tech.UseEnded, "Ended at a review"}}},
		{csCapacity, "Mental capacity assessment", "A decision-specific assessment of mental capacity (Mental Capacity Act 2005 sections 2 and 3): the two-stage test and its outcome.", [][2]string{
			{"assessment", "Mental capacity assessment for a decision"}, {"impairment", "Stage 1: an impairment of, or disturbance in the functioning of, the mind or brain"},
			{"understand", "Can understand the information relevant to the decision"}, {"retain", "Can retain that information"},
			{"use-weigh", "Can use or weigh that information"}, {"communicate", "Can communicate the decision"},
			{consent.HasCapacity, "Has capacity for this decision"}, {consent.LacksCapacity, "Lacks capacity for this decision"},
			{"fluctuating", "Capacity fluctuates"}}},
		{csLocationKind, "Kinds of location", "The kinds of place Hearth supports care at.", [][2]string{
			{"care_home", "Care home"}, {"domiciliary_branch", "Home care branch"}, {"inpatient_ward", "Inpatient ward"}}},
	}
	for name, v := range care.Vocabularies() {
		list = append(list, codeSystem{name: name, title: titleOf(name), description: "A vocabulary of Hearth's care record.", concepts: choicePairs(v)})
	}
	for name, v := range consent.Vocabularies() {
		list = append(list, codeSystem{name: name, title: titleOf(name), description: "A vocabulary of Hearth's consent and capacity records.", concepts: v})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list
}

func titleOf(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '-' {
			b[i] = ' '
		}
	}
	if len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

func rolePairs() [][2]string {
	var out [][2]string
	for _, r := range access.Roles() {
		out = append(out, [2]string{r.String(), r.Title()})
	}
	return out
}

func actionPairs() [][2]string {
	var out [][2]string
	for _, a := range access.Actions() {
		out = append(out, [2]string{a.String(), a.String()})
	}
	return out
}

// extensionDef is one of Hearth's extensions: its name, what it says, and
// the type of its value.
type extensionDef struct {
	name, title, description, valueType string
	context                             []string
}

func extensions() []extensionDef {
	return []extensionDef{
		{consent.FHIRInformedExtension, "Information given", "What the person was told before deciding, and in what format (Accessible Information Standard): consent without it is not informed.", "string", []string{"Consent"}},
		{consent.FHIRAuthorityExtension, "Representative's authority", "The legal authority under which a representative acts for the person (a lasting power of attorney, a deputyship, parental responsibility) or that they are to be consulted only.", "CodeableConcept", []string{"RelatedPerson"}},
		{extVersionReason, "Why this version", "Why this version corrects or replaces the one before (a correction, a review, a change of plan): required when an entry is corrected, since entries are never changed silently.", "string", []string{"Observation", "MedicationAdministration", "DocumentReference", "CarePlan", "RiskAssessment", "DeviceUseStatement"}},
		{extLate, "Recorded late", "The entry was recorded more than the set time after the care it describes.", "boolean", []string{"DocumentReference"}},
		{extPersonsWords, "In the person's words", "What the person said about the plan or risk, in their own words.", "string", []string{"CarePlan", "RiskAssessment", "DocumentReference"}},
		{extInvolved, "Who was involved", "Who took part in writing the plan (co-production).", "string", []string{"CarePlan", "RiskAssessment", "DocumentReference"}},
		{extAgreement, "The person's agreement", "Whether the person agrees with the plan.", "CodeableConcept", []string{"CarePlan"}},
		{extReviewDate, "Review by", "The date the entry is next to be reviewed.", "date", []string{"CarePlan", "RiskAssessment", "DocumentReference", "DeviceUseStatement", "Consent"}},
		{extLawfulBasis, "Lawful basis", "The consent or best-interests decision a technology use rests on, and whether it counts now.", "string", []string{"DeviceUseStatement"}},
		{extLikelihood, "Likelihood", "How likely the risk is, as the person and staff judged it (low, moderate, high).", "CodeableConcept", []string{"RiskAssessment"}},
		{extLocation, "Registered at", "The location a person is registered at when they are first recorded (a care home, a home-care branch or a ward).", "Reference", []string{"Patient"}},
		{extWitness, "Witness", "The second member of staff who witnessed a controlled drug being given.", "string", []string{"MedicationAdministration"}},
	}
}
