package fhir

// FHIR R4 data types and resources as small structs: exactly the elements
// Hearth fills in, every one omitted when empty, so nothing Hearth sends
// carries an empty string, array or object (the official JSON schema
// refuses them).

import (
	"encoding/json"
	"reflect"

	"hearth/internal/consent"
	"strconv"
	"time"
)

// Resource is any resource Hearth serves: each embeds Base (or, for
// Consent, carries the same three things).
type Resource interface {
	ident() (resourceType, id string)
	setMeta(*Meta)
}

// Base is what every resource has: its type, id and meta.
type Base struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id,omitempty"`
	Meta         *Meta  `json:"meta,omitempty"`
}

func (b *Base) ident() (string, string) { return b.ResourceType, b.ID }
func (b *Base) setMeta(m *Meta)         { b.Meta = m }

// Meta is a resource's version, when it last changed and the profiles it
// conforms to.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

// Coding is a code in a system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is codings with text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference points at another resource, or names something Hearth does
// not serve.
type Reference struct {
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Identifier is a business identifier such as the NHS number.
type Identifier struct {
	Use    string `json:"use,omitempty"`
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Text   string   `json:"text,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

// Address is a postal address as text and postcode.
type Address struct {
	Use        string `json:"use,omitempty"`
	Text       string `json:"text,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

// ContactPoint is a telephone number, email address and the like.
type ContactPoint struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Period is a start and an end, either open.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Quantity is a measured amount in UCUM units.
type Quantity struct {
	Value  *Decimal `json:"value,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	System string   `json:"system,omitempty"`
	Code   string   `json:"code,omitempty"`
}

// Decimal is a FHIR decimal kept as its exact text ("37.2", not 37.200001).
type Decimal struct{ text string }

// Dec makes a decimal from whole units and a number of decimal places:
// Dec(372, 1) is 37.2.
func Dec(v int, places int) *Decimal {
	if places == 0 {
		return &Decimal{strconv.Itoa(v)}
	}
	f := float64(v)
	for range places {
		f /= 10
	}
	return &Decimal{strconv.FormatFloat(f, 'f', places, 64)}
}

// MarshalJSON writes the number as it is.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.text), nil }

// UnmarshalJSON keeps the number's text.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil || n == "" {
		// Reported as a type error, so the decoder names the element.
		return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[float64]()}
	}
	d.text = n.String()
	return nil
}

// Float is the decimal's value.
func (d *Decimal) Float() (float64, bool) {
	if d == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(d.text, 64)
	return f, err == nil
}

// Text is the decimal as written.
func (d *Decimal) Text() string {
	if d == nil {
		return ""
	}
	return d.text
}

// Extension is a simple extension.
type Extension struct {
	URL                  string           `json:"url"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueDate            string           `json:"valueDate,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueURI             string           `json:"valueUri,omitempty"`
	Extension            []Extension      `json:"extension,omitempty"` // a complex extension's parts
}

// Annotation is a note with who wrote it and when.
type Annotation struct {
	AuthorString string `json:"authorString,omitempty"`
	Time         string `json:"time,omitempty"`
	Text         string `json:"text"`
}

// Attachment is content carried in the resource.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Language    string `json:"language,omitempty"`
	Data        []byte `json:"data,omitempty"` // base64Binary when marshalled
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

// Narrative is human-readable text; Hearth sends none, relying on the
// elements themselves.

func ptrBool(b bool) *bool { return &b }

// instant is a point in time as FHIR writes instants: UTC, to the
// microsecond Hearth stores.
func instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
}

// dateTime is a point in time as a FHIR dateTime (to the second, UTC).
func dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z07:00")
}

// date is a calendar date.
func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func period(start, end time.Time) *Period {
	if start.IsZero() && end.IsZero() {
		return nil
	}
	return &Period{Start: dateTime(start), End: dateTime(end)}
}

func text(s string) *CodeableConcept {
	if s == "" {
		return nil
	}
	return &CodeableConcept{Text: s}
}

func ref(typ, id, display string) *Reference {
	return &Reference{Reference: typ + "/" + id, Display: display}
}

func named(display string) *Reference {
	if display == "" {
		return nil
	}
	return &Reference{Display: display}
}

// --- Resources --------------------------------------------------------------

// Patient is the person who draws on care.
type Patient struct {
	Base
	Extension            []Extension  `json:"extension,omitempty"`
	Identifier           []Identifier `json:"identifier,omitempty"`
	Active               *bool        `json:"active,omitempty"`
	Name                 []HumanName  `json:"name,omitempty"`
	BirthDate            string       `json:"birthDate,omitempty"`
	Address              []Address    `json:"address,omitempty"`
	GeneralPractitioner  []Reference  `json:"generalPractitioner,omitempty"`
	ManagingOrganization *Reference   `json:"managingOrganization,omitempty"`
}

// RelatedPerson is a representative or someone to consult.
type RelatedPerson struct {
	Base
	Extension    []Extension       `json:"extension,omitempty"`
	Identifier   []Identifier      `json:"identifier,omitempty"`
	Active       *bool             `json:"active,omitempty"`
	Patient      Reference         `json:"patient"`
	Relationship []CodeableConcept `json:"relationship,omitempty"`
	Name         []HumanName       `json:"name,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
	Period       *Period           `json:"period,omitempty"`
}

// Practitioner is a member of staff.
type Practitioner struct {
	Base
	Active *bool       `json:"active,omitempty"`
	Name   []HumanName `json:"name,omitempty"`
}

// PractitionerRole is a member of staff's role at the provider.
type PractitionerRole struct {
	Base
	Active       *bool             `json:"active,omitempty"`
	Practitioner *Reference        `json:"practitioner,omitempty"`
	Organization *Reference        `json:"organization,omitempty"`
	Code         []CodeableConcept `json:"code,omitempty"`
	Location     []Reference       `json:"location,omitempty"`
}

// Organization is the care provider.
type Organization struct {
	Base
	Active *bool             `json:"active,omitempty"`
	Type   []CodeableConcept `json:"type,omitempty"`
	Name   string            `json:"name,omitempty"`
}

// Location is a care home, home-care branch or ward.
type Location struct {
	Base
	Status               string            `json:"status,omitempty"`
	Name                 string            `json:"name,omitempty"`
	Mode                 string            `json:"mode,omitempty"`
	Type                 []CodeableConcept `json:"type,omitempty"`
	ManagingOrganization *Reference        `json:"managingOrganization,omitempty"`
}

// Observation is a measurement, an assessment or a finding.
type Observation struct {
	Base
	Extension            []Extension            `json:"extension,omitempty"`
	Status               string                 `json:"status"`
	Category             []CodeableConcept      `json:"category,omitempty"`
	Code                 CodeableConcept        `json:"code"`
	Subject              *Reference             `json:"subject,omitempty"`
	EffectiveDateTime    string                 `json:"effectiveDateTime,omitempty"`
	Issued               string                 `json:"issued,omitempty"`
	Performer            []Reference            `json:"performer,omitempty"`
	ValueQuantity        *Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueString          string                 `json:"valueString,omitempty"`
	ValueBoolean         *bool                  `json:"valueBoolean,omitempty"`
	ValueInteger         *int                   `json:"valueInteger,omitempty"`
	Interpretation       []CodeableConcept      `json:"interpretation,omitempty"`
	Note                 []Annotation           `json:"note,omitempty"`
	BodySite             *CodeableConcept       `json:"bodySite,omitempty"`
	DerivedFrom          []Reference            `json:"derivedFrom,omitempty"`
	Component            []ObservationComponent `json:"component,omitempty"`
}

// ObservationComponent is one part of an observation.
type ObservationComponent struct {
	Code                 CodeableConcept  `json:"code"`
	ValueQuantity        *Quantity        `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueInteger         *int             `json:"valueInteger,omitempty"`
}

// CarePlan is a plan for one need.
type CarePlan struct {
	Base
	Extension   []Extension        `json:"extension,omitempty"`
	Status      string             `json:"status"`
	Intent      string             `json:"intent"`
	Category    []CodeableConcept  `json:"category,omitempty"`
	Title       string             `json:"title,omitempty"`
	Description string             `json:"description,omitempty"`
	Subject     Reference          `json:"subject"`
	Period      *Period            `json:"period,omitempty"`
	Created     string             `json:"created,omitempty"`
	Author      *Reference         `json:"author,omitempty"`
	Contributor []Reference        `json:"contributor,omitempty"`
	Goal        []Reference        `json:"goal,omitempty"`
	Activity    []CarePlanActivity `json:"activity,omitempty"`
	Note        []Annotation       `json:"note,omitempty"`
}

// CarePlanActivity is how the plan's need is met.
type CarePlanActivity struct {
	Detail *CarePlanDetail `json:"detail,omitempty"`
}

// CarePlanDetail describes an activity in words.
type CarePlanDetail struct {
	Status      string `json:"status"`
	Description string `json:"description,omitempty"`
}

// Goal is an outcome the person wants, or a target.
type Goal struct {
	Base
	LifecycleStatus string            `json:"lifecycleStatus"`
	Category        []CodeableConcept `json:"category,omitempty"`
	Description     CodeableConcept   `json:"description"`
	Subject         Reference         `json:"subject"`
	Target          []GoalTarget      `json:"target,omitempty"`
	StatusDate      string            `json:"statusDate,omitempty"`
	StatusReason    string            `json:"statusReason,omitempty"`
	ExpressedBy     *Reference        `json:"expressedBy,omitempty"`
	Note            []Annotation      `json:"note,omitempty"`
}

// GoalTarget is a measurable target.
type GoalTarget struct {
	Measure        *CodeableConcept `json:"measure,omitempty"`
	DetailQuantity *Quantity        `json:"detailQuantity,omitempty"`
	DueDate        string           `json:"dueDate,omitempty"`
}

// MedicationStatement is a medicine on the person's list.
type MedicationStatement struct {
	Base
	Status                    string            `json:"status"`
	StatusReason              []CodeableConcept `json:"statusReason,omitempty"`
	Category                  *CodeableConcept  `json:"category,omitempty"`
	MedicationCodeableConcept CodeableConcept   `json:"medicationCodeableConcept"`
	Subject                   Reference         `json:"subject"`
	EffectivePeriod           *Period           `json:"effectivePeriod,omitempty"`
	DateAsserted              string            `json:"dateAsserted,omitempty"`
	InformationSource         *Reference        `json:"informationSource,omitempty"`
	Note                      []Annotation      `json:"note,omitempty"`
	Dosage                    []Dosage          `json:"dosage,omitempty"`
}

// Dosage says how a medicine is taken.
type Dosage struct {
	Text               string           `json:"text,omitempty"`
	PatientInstruction string           `json:"patientInstruction,omitempty"`
	Timing             *Timing          `json:"timing,omitempty"`
	AsNeededBoolean    *bool            `json:"asNeededBoolean,omitempty"`
	Route              *CodeableConcept `json:"route,omitempty"`
	MaxDosePerPeriod   *Ratio           `json:"maxDosePerPeriod,omitempty"`
}

// Timing is when doses fall.
type Timing struct {
	Repeat *TimingRepeat `json:"repeat,omitempty"`
}

// TimingRepeat is a daily schedule.
type TimingRepeat struct {
	TimeOfDay  []string `json:"timeOfDay,omitempty"`
	Frequency  int      `json:"frequency,omitempty"`
	Period     *Decimal `json:"period,omitempty"`
	PeriodUnit string   `json:"periodUnit,omitempty"`
}

// Ratio is a numerator over a denominator.
type Ratio struct {
	Numerator   *Quantity `json:"numerator,omitempty"`
	Denominator *Quantity `json:"denominator,omitempty"`
}

// MedicationAdministration is a dose given, or not given and why.
type MedicationAdministration struct {
	Base
	Extension                 []Extension       `json:"extension,omitempty"`
	Status                    string            `json:"status"`
	StatusReason              []CodeableConcept `json:"statusReason,omitempty"`
	MedicationCodeableConcept CodeableConcept   `json:"medicationCodeableConcept"`
	Subject                   Reference         `json:"subject"`
	EffectiveDateTime         string            `json:"effectiveDateTime"`
	Performer                 []AdminPerformer  `json:"performer,omitempty"`
	Note                      []Annotation      `json:"note,omitempty"`
}

// AdminPerformer is who gave (or witnessed) a dose.
type AdminPerformer struct {
	Function *CodeableConcept `json:"function,omitempty"`
	Actor    Reference        `json:"actor"`
}

// Encounter is a home-care visit.
type Encounter struct {
	Base
	Status      string                 `json:"status"`
	Class       Coding                 `json:"class"`
	Type        []CodeableConcept      `json:"type,omitempty"`
	Subject     *Reference             `json:"subject,omitempty"`
	Participant []EncounterParticipant `json:"participant,omitempty"`
	Period      *Period                `json:"period,omitempty"`
	Length      *Quantity              `json:"length,omitempty"`
	ReasonCode  []CodeableConcept      `json:"reasonCode,omitempty"`
}

// EncounterParticipant is a care worker at the visit.
type EncounterParticipant struct {
	Type       []CodeableConcept `json:"type,omitempty"`
	Period     *Period           `json:"period,omitempty"`
	Individual *Reference        `json:"individual,omitempty"`
}

// Flag is an alert needing attention now.
type Flag struct {
	Base
	Status   string            `json:"status"`
	Category []CodeableConcept `json:"category,omitempty"`
	Code     CodeableConcept   `json:"code"`
	Subject  Reference         `json:"subject"`
	Period   *Period           `json:"period,omitempty"`
}

// RiskAssessment is a risk, as the person sees it, and what reduces it.
type RiskAssessment struct {
	Base
	Extension          []Extension      `json:"extension,omitempty"`
	Status             string           `json:"status"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Subject            Reference        `json:"subject"`
	OccurrenceDateTime string           `json:"occurrenceDateTime,omitempty"`
	Performer          *Reference       `json:"performer,omitempty"`
	Prediction         []RiskPrediction `json:"prediction,omitempty"`
	Mitigation         string           `json:"mitigation,omitempty"`
	Note               []Annotation     `json:"note,omitempty"`
}

// RiskPrediction is one outcome and how likely it is.
type RiskPrediction struct {
	Outcome         *CodeableConcept `json:"outcome,omitempty"`
	QualitativeRisk *CodeableConcept `json:"qualitativeRisk,omitempty"`
	Rationale       string           `json:"rationale,omitempty"`
}

// DocumentReference is text the record holds: an About Me entry, a daily
// note, a safety plan.
type DocumentReference struct {
	Base
	Extension   []Extension       `json:"extension,omitempty"`
	Status      string            `json:"status"`
	DocStatus   string            `json:"docStatus,omitempty"`
	Type        *CodeableConcept  `json:"type,omitempty"`
	Category    []CodeableConcept `json:"category,omitempty"`
	Subject     *Reference        `json:"subject,omitempty"`
	Date        string            `json:"date,omitempty"`
	Author      []Reference       `json:"author,omitempty"`
	RelatesTo   []DocRelatesTo    `json:"relatesTo,omitempty"`
	Description string            `json:"description,omitempty"`
	Content     []DocContent      `json:"content"`
	Context     *DocContext       `json:"context,omitempty"`
}

// DocRelatesTo says this document replaces another.
type DocRelatesTo struct {
	Code   string    `json:"code"`
	Target Reference `json:"target"`
}

// DocContent is the document's text.
type DocContent struct {
	Attachment Attachment `json:"attachment"`
}

// DocContext is when the care the document is about happened.
type DocContext struct {
	Period *Period `json:"period,omitempty"`
}

// DeviceUseStatement is a person's use of a technology.
type DeviceUseStatement struct {
	Base
	Extension    []Extension       `json:"extension,omitempty"`
	Status       string            `json:"status"`
	Subject      Reference         `json:"subject"`
	TimingPeriod *Period           `json:"timingPeriod,omitempty"`
	RecordedOn   string            `json:"recordedOn,omitempty"`
	Source       *Reference        `json:"source,omitempty"`
	Device       Reference         `json:"device"`
	ReasonCode   []CodeableConcept `json:"reasonCode,omitempty"`
	Note         []Annotation      `json:"note,omitempty"`
}

// Consent is the consent package's own mapping with its meta.
type Consent struct {
	consent.FHIRConsent
	Meta             *Meta       `json:"meta,omitempty"`
	SourceAttachment *Attachment `json:"sourceAttachment,omitempty"`
}

func (c *Consent) ident() (string, string) { return c.ResourceType, c.ID }
func (c *Consent) setMeta(m *Meta)         { c.Meta = m }

// AuditEvent is one access to the record, in the IHE BALP shape.
type AuditEvent struct {
	Base
	Type           Coding            `json:"type"`
	Subtype        []Coding          `json:"subtype,omitempty"`
	Action         string            `json:"action,omitempty"`
	Recorded       string            `json:"recorded"`
	Outcome        string            `json:"outcome,omitempty"`
	OutcomeDesc    string            `json:"outcomeDesc,omitempty"`
	PurposeOfEvent []CodeableConcept `json:"purposeOfEvent,omitempty"`
	Agent          []AuditAgent      `json:"agent"`
	Source         AuditSource       `json:"source"`
	Entity         []AuditEntity     `json:"entity,omitempty"`
}

// AuditAgent is who acted.
type AuditAgent struct {
	Type      *CodeableConcept  `json:"type,omitempty"`
	Role      []CodeableConcept `json:"role,omitempty"`
	Who       *Reference        `json:"who,omitempty"`
	Requestor bool              `json:"requestor"`
	Network   *AuditNetwork     `json:"network,omitempty"`
}

// AuditNetwork is where the request came from.
type AuditNetwork struct {
	Address string `json:"address,omitempty"`
	Type    string `json:"type,omitempty"`
}

// AuditSource is what recorded the event.
type AuditSource struct {
	Site     string    `json:"site,omitempty"`
	Observer Reference `json:"observer"`
	Type     []Coding  `json:"type,omitempty"`
}

// AuditEntity is what the event was about.
type AuditEntity struct {
	What        *Reference    `json:"what,omitempty"`
	Type        *Coding       `json:"type,omitempty"`
	Role        *Coding       `json:"role,omitempty"`
	Description string        `json:"description,omitempty"`
	Detail      []AuditDetail `json:"detail,omitempty"`
}

// AuditDetail is a named value about the entity.
type AuditDetail struct {
	Type        string `json:"type"`
	ValueString string `json:"valueString"`
}

// Provenance says who wrote a version of an entry, when, and why it
// changed.
type Provenance struct {
	Base
	Target   []Reference        `json:"target"`
	Recorded string             `json:"recorded"`
	Reason   []CodeableConcept  `json:"reason,omitempty"`
	Activity *CodeableConcept   `json:"activity,omitempty"`
	Agent    []ProvenanceAgent  `json:"agent"`
	Entity   []ProvenanceEntity `json:"entity,omitempty"`
}

// ProvenanceAgent is who wrote it.
type ProvenanceAgent struct {
	Type *CodeableConcept `json:"type,omitempty"`
	Who  Reference        `json:"who"`
}

// ProvenanceEntity is the version this one revises.
type ProvenanceEntity struct {
	Role string    `json:"role"`
	What Reference `json:"what"`
}

// Communication is a secure message between the person and the care team.
type Communication struct {
	Base
	Status  string                 `json:"status"`
	Subject *Reference             `json:"subject,omitempty"`
	Sent    string                 `json:"sent,omitempty"`
	Sender  *Reference             `json:"sender,omitempty"`
	Payload []CommunicationPayload `json:"payload,omitempty"`
}

// CommunicationPayload is the message's text.
type CommunicationPayload struct {
	ContentString string `json:"contentString"`
}

// Task is a request to correct the record.
type Task struct {
	Base
	Status       string           `json:"status"`
	StatusReason *CodeableConcept `json:"statusReason,omitempty"`
	Intent       string           `json:"intent"`
	Code         *CodeableConcept `json:"code,omitempty"`
	Description  string           `json:"description,omitempty"`
	For          *Reference       `json:"for,omitempty"`
	AuthoredOn   string           `json:"authoredOn,omitempty"`
	LastModified string           `json:"lastModified,omitempty"`
}

// OperationOutcome is how every error is answered.
type OperationOutcome struct {
	Base
	Issue []Issue `json:"issue"`
}

// Issue is one problem: its severity, its kind, what to do, and the element.
type Issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

// Bundle is a set of resources: a search's page, a whole record, a
// transaction and its response.
type Bundle struct {
	Base
	Type      string        `json:"type"`
	Timestamp string        `json:"timestamp,omitempty"`
	Total     *int          `json:"total,omitempty"`
	Link      []BundleLink  `json:"link,omitempty"`
	Entry     []BundleEntry `json:"entry,omitempty"`
}

// BundleLink is a paging link.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// BundleEntry is one resource in a bundle.
type BundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource any             `json:"resource,omitempty"`
	Search   *BundleSearch   `json:"search,omitempty"`
	Request  *BundleRequest  `json:"request,omitempty"`
	Response *BundleResponse `json:"response,omitempty"`
}

// BundleSearch says why an entry is in a search result.
type BundleSearch struct {
	Mode string `json:"mode,omitempty"`
}

// BundleRequest is a transaction entry's request.
type BundleRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// BundleResponse is a transaction entry's outcome.
type BundleResponse struct {
	Status       string `json:"status"`
	Location     string `json:"location,omitempty"`
	Etag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
}
