package consent

import (
	"time"
)

// FHIR R4 Consent, as small structs so the JSON is exactly what R4 says and
// round-trips. The legal authority of a representative travels in an
// extension on the performer's RelatedPerson as well as in Hearth's own
// records: the authority is kept in the consent and representative records,
// not only as a relationship.

// System URIs used in the mapping.
const (
	FHIRConsentScopeSystem    = "http://terminology.hl7.org/CodeSystem/consentscope"
	FHIRConsentCategorySystem = "http://loinc.org"
	FHIRPurposeSystem         = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	FHIRActorRoleSystem       = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	FHIRPolicyMCA             = "https://www.legislation.gov.uk/ukpga/2005/9"
	FHIRPolicyUKGDPR          = "https://www.legislation.gov.uk/eur/2016/679/article/6"
)

// Hearth's own code systems and extensions are named under the
// deployment's FHIR base URL (base + "/CodeSystem/" + name, base +
// "/StructureDefinition/" + name), where the API publishes them; these are
// their names.
const (
	FHIRPurposeCodeSystem   = "consent-purpose"
	FHIRScopeCodeSystem     = "record-part"
	FHIRAuthorityCodeSystem = "representative-authority"
	FHIRAuthorityExtension  = "representative-authority"
	FHIRInformedExtension   = "information-given"
)

// FHIRCodeSystem is the canonical URL of one of Hearth's code systems
// under base.
func FHIRCodeSystem(base, name string) string { return base + "/CodeSystem/" + name }

// FHIRExtensionURL is the canonical URL of one of Hearth's extensions
// under base.
func FHIRExtensionURL(base, name string) string { return base + "/StructureDefinition/" + name }

// FHIRConsent is an R4 Consent resource.
type FHIRConsent struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id"`
	Extension    []FHIRExtension       `json:"extension,omitempty"`
	Status       string                `json:"status"`
	Scope        FHIRCodeableConcept   `json:"scope"`
	Category     []FHIRCodeableConcept `json:"category"`
	Patient      FHIRReference         `json:"patient"`
	DateTime     string                `json:"dateTime"`
	Performer    []FHIRReference       `json:"performer"`
	Contained    []FHIRRelatedPerson   `json:"contained,omitempty"`
	Policy       []FHIRPolicy          `json:"policy,omitempty"`
	Provision    FHIRProvision         `json:"provision"`
}

// FHIRCoding is a code in a system.
type FHIRCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

// FHIRCodeableConcept is codings with text.
type FHIRCodeableConcept struct {
	Coding []FHIRCoding `json:"coding,omitempty"`
	Text   string       `json:"text,omitempty"`
}

// FHIRReference points at another resource.
type FHIRReference struct {
	Reference string `json:"reference,omitempty"`
	Display   string `json:"display,omitempty"`
}

// FHIRExtension is a simple extension with a string or coding value.
type FHIRExtension struct {
	URL                  string               `json:"url"`
	ValueString          string               `json:"valueString,omitempty"`
	ValueCodeableConcept *FHIRCodeableConcept `json:"valueCodeableConcept,omitempty"`
}

// FHIRRelatedPerson is a contained representative.
type FHIRRelatedPerson struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id"`
	Extension    []FHIRExtension       `json:"extension,omitempty"`
	Patient      FHIRReference         `json:"patient"`
	Relationship []FHIRCodeableConcept `json:"relationship,omitempty"`
	Name         []FHIRHumanName       `json:"name"`
}

// FHIRHumanName is a name as text.
type FHIRHumanName struct {
	Text string `json:"text"`
}

// FHIRPolicy is the law or policy the consent is under.
type FHIRPolicy struct {
	URI string `json:"uri"`
}

// FHIRPeriod is a start and optional end.
type FHIRPeriod struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// FHIRProvision is the rule: permit or deny, for whom, for what, when.
type FHIRProvision struct {
	Type    string                `json:"type"`
	Period  *FHIRPeriod           `json:"period,omitempty"`
	Actor   []FHIRActor           `json:"actor,omitempty"`
	Purpose []FHIRCoding          `json:"purpose,omitempty"`
	Class   []FHIRCoding          `json:"class,omitempty"`
	Code    []FHIRCodeableConcept `json:"code,omitempty"`
}

// FHIRActor is who the provision applies to.
type FHIRActor struct {
	Role      FHIRCodeableConcept `json:"role"`
	Reference FHIRReference       `json:"reference"`
}

func fhirTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// FHIR maps the consent to an R4 Consent, naming Hearth's own code
// systems and extensions under base (the deployment's FHIR base URL). Status: active while it has not
// been withdrawn or ended at now, inactive after, and "rejected" for a
// refusal that is still standing (FHIR: "the consent has been rejected by
// one or more parties"). Scope: treatment for care and technology,
// patient-privacy for sharing and the rest.
func (c Consent) FHIR(now time.Time, base string) FHIRConsent {
	status := "active"
	switch {
	case c.Withdrawn() && !now.Before(c.WithdrawnAt), !c.Ends.IsZero() && !now.Before(c.Ends):
		status = "inactive"
	case !c.Permit():
		status = "rejected"
	case now.Before(c.Starts):
		status = "proposed"
	}
	scope := FHIRCoding{System: FHIRConsentScopeSystem, Code: "patient-privacy", Display: "Privacy Consent"}
	if c.Purpose == PurposeCareDelivery || c.Purpose == PurposeTechnology {
		scope = FHIRCoding{System: FHIRConsentScopeSystem, Code: "treatment", Display: "Treatment"}
	}
	patient := FHIRReference{Reference: "Patient/" + c.PersonID}
	out := FHIRConsent{
		ResourceType: "Consent", ID: c.ID, Status: status,
		Scope:    FHIRCodeableConcept{Coding: []FHIRCoding{scope}},
		Category: []FHIRCodeableConcept{{Coding: []FHIRCoding{{System: FHIRConsentCategorySystem, Code: "59284-0", Display: "Patient Consent"}}, Text: PurposeTitle(c.Purpose)}},
		Patient:  patient, DateTime: fhirTime(c.RecordedAt),
		Policy:    []FHIRPolicy{{URI: FHIRPolicyUKGDPR}},
		Extension: []FHIRExtension{{URL: FHIRExtensionURL(base, FHIRInformedExtension), ValueString: InfoFormatTitle(c.InfoFormat) + ": " + c.InfoGiven}},
	}
	if c.GivenBy == "representative" {
		rp := FHIRRelatedPerson{ResourceType: "RelatedPerson", ID: "rep-" + c.RepresentativeID, Patient: patient,
			Name: []FHIRHumanName{{Text: c.RepresentativeName}},
			Extension: []FHIRExtension{{URL: FHIRExtensionURL(base, FHIRAuthorityExtension), ValueCodeableConcept: &FHIRCodeableConcept{
				Coding: []FHIRCoding{{System: FHIRCodeSystem(base, FHIRAuthorityCodeSystem), Code: c.Authority, Display: AuthorityTitle(c.Authority)}}}}}}
		out.Contained = []FHIRRelatedPerson{rp}
		out.Performer = []FHIRReference{{Reference: "#" + rp.ID, Display: c.RepresentativeName}}
		out.Policy = append(out.Policy, FHIRPolicy{URI: FHIRPolicyMCA})
	} else {
		out.Performer = []FHIRReference{patient}
	}
	prov := FHIRProvision{Type: c.Decision, Period: &FHIRPeriod{Start: fhirTime(c.Starts)}}
	if !c.Ends.IsZero() {
		prov.Period.End = fhirTime(c.Ends)
	}
	if c.Withdrawn() && (c.Ends.IsZero() || c.WithdrawnAt.Before(c.Ends)) {
		prov.Period.End = fhirTime(c.WithdrawnAt)
	}
	purpose := FHIRCoding{System: FHIRPurposeSystem, Code: "TREAT", Display: "treatment"}
	switch c.Purpose {
	case PurposeSecondaryUse:
		purpose = FHIRCoding{System: FHIRPurposeSystem, Code: "HRESCH", Display: "healthcare research"}
	case PurposeDigitalCommunication:
		purpose = FHIRCoding{System: FHIRPurposeSystem, Code: "PATRQT", Display: "patient requested"}
	}
	prov.Purpose = []FHIRCoding{purpose}
	prov.Code = []FHIRCodeableConcept{{Coding: []FHIRCoding{{System: FHIRCodeSystem(base, FHIRPurposeCodeSystem), Code: c.Purpose, Display: PurposeTitle(c.Purpose)}}, Text: c.Title()}}
	switch c.Purpose {
	case PurposeSharing:
		ref := FHIRReference{Display: c.Recipient}
		if c.RecipientRepresentativeID != "" {
			ref.Reference = "RelatedPerson/" + c.RecipientRepresentativeID
		}
		prov.Actor = []FHIRActor{{Role: FHIRCodeableConcept{Coding: []FHIRCoding{{System: FHIRActorRoleSystem, Code: "IRCP", Display: "information recipient"}}}, Reference: ref}}
	case PurposeTechnology:
		// The technology is named, not referenced: the register is not
		// served as Device resources.
		prov.Actor = []FHIRActor{{Role: FHIRCodeableConcept{Coding: []FHIRCoding{{System: FHIRActorRoleSystem, Code: "DEV", Display: "device"}}},
			Reference: FHIRReference{Display: c.Target()}}}
	case PurposeDigitalCommunication:
		prov.Code[0].Text = c.Title()
	}
	for _, s := range c.Scope {
		prov.Class = append(prov.Class, FHIRCoding{System: FHIRCodeSystem(base, FHIRScopeCodeSystem), Code: s, Display: ScopeTitle(s)})
	}
	out.Provision = prov
	return out
}
