package partners

import (
	"slices"

	"hearth/internal/access"
)

// Category is a kind of information a data-sharing agreement covers: the
// FHIR resource types it is sent as, and the door action that reads them.
// The FHIR API decides each resource with Category.Action (ActionFor), and
// the door's agreement fact covers an action only through a category that
// holds the resource type asked about.
type Category struct {
	Key           string
	Title         string
	Hint          string
	Action        access.Action
	ResourceTypes []string
}

// Categories are every category an agreement may cover, in the order forms
// show them. A resource type belongs to one category only.
var Categories = []Category{
	{Key: "identity", Title: "Identity", Hint: "Name, date of birth, NHS number, address and contacts",
		Action: access.ViewPerson, ResourceTypes: []string{"Patient"}},
	{Key: "care-record", Title: "Care record",
		Hint:   "Care plans and goals, daily notes and observations, risk assessments, alerts, visits and documents",
		Action: access.ReadRecord, ResourceTypes: []string{"CarePlan", "Goal", "Observation", "RiskAssessment", "Flag", "Encounter", "DocumentReference"}},
	{Key: "medicines", Title: "Medicines", Hint: "Medicines list and what was given, refused or omitted",
		Action: access.ReadMedicines, ResourceTypes: []string{"MedicationRequest", "MedicationStatement", "MedicationAdministration"}},
	{Key: "consent", Title: "Consent and representatives", Hint: "Consent decisions, capacity and best-interests records, lawful representatives",
		Action: access.ReadConsent, ResourceTypes: []string{"Consent", "RelatedPerson"}},
	{Key: "technology", Title: "Technology use", Hint: "The technologies used in the person's care and their reviews",
		Action: access.ReadTechUse, ResourceTypes: []string{"DeviceUseStatement"}},
}

// CategoryOf returns the category that holds a FHIR resource type.
func CategoryOf(resourceType string) (Category, bool) {
	for _, c := range Categories {
		if slices.Contains(c.ResourceTypes, resourceType) {
			return c, true
		}
	}
	return Category{}, false
}

// ActionFor is the door action that reads a resource type for a partner
// system (ViewPerson for Patient, ReadRecord for Observation, ...), and
// false for types no agreement can cover.
func ActionFor(resourceType string) (access.Action, bool) {
	c, ok := CategoryOf(resourceType)
	return c.Action, ok
}

func category(key string) (Category, bool) {
	for _, c := range Categories {
		if c.Key == key {
			return c, true
		}
	}
	return Category{}, false
}

// covers is the set of actions that the categories reach for resourceType:
// the category holding that type, if the agreement lists it; every listed
// category's action when no type is named.
func covers(keys []string, resourceType string) access.Permission {
	var p access.Permission
	for _, k := range keys {
		c, ok := category(k)
		if !ok {
			continue
		}
		if resourceType == "" || slices.Contains(c.ResourceTypes, resourceType) {
			p |= access.Permission(1) << c.Action
		}
	}
	return p
}

// Condition is a UK GDPR condition for processing, with its legal wording.
type Condition struct {
	Key     string
	Article string // "6(1)(e)"
	Title   string
	Wording string
}

// Article6 are the lawful bases of UK GDPR article 6(1). A provider that is
// a public authority relies on (e) for care; an independent provider
// usually on (f) or (b).
var Article6 = []Condition{
	{"6-1-a", "6(1)(a)", "Consent", "the data subject has given consent to the processing of his or her personal data for one or more specific purposes"},
	{"6-1-b", "6(1)(b)", "Contract", "processing is necessary for the performance of a contract to which the data subject is party or in order to take steps at the request of the data subject prior to entering into a contract"},
	{"6-1-c", "6(1)(c)", "Legal obligation", "processing is necessary for compliance with a legal obligation to which the controller is subject"},
	{"6-1-d", "6(1)(d)", "Vital interests", "processing is necessary in order to protect the vital interests of the data subject or of another natural person"},
	{"6-1-e", "6(1)(e)", "Public task", "processing is necessary for the performance of a task carried out in the public interest or in the exercise of official authority vested in the controller"},
	{"6-1-f", "6(1)(f)", "Legitimate interests", "processing is necessary for the purposes of the legitimate interests pursued by the controller or by a third party, except where such interests are overridden by the interests or fundamental rights and freedoms of the data subject which require protection of personal data, in particular where the data subject is a child"},
}

// Article9 are the conditions of UK GDPR article 9(2) for special category
// data (health and social care information is). (b), (g), (h), (i) and (j)
// also need a condition in Schedule 1 of the Data Protection Act 2018.
// (d), not-for-profit bodies, and (e), data made public by the person, are
// left out: neither fits sharing a care record.
var Article9 = []Condition{
	{"9-2-a", "9(2)(a)", "Explicit consent", "the data subject has given explicit consent to the processing of those personal data for one or more specified purposes"},
	{"9-2-b", "9(2)(b)", "Employment, social security and social protection", "processing is necessary for the purposes of carrying out the obligations and exercising specific rights of the controller or of the data subject in the field of employment and social security and social protection law, in so far as it is authorised by domestic law"},
	{"9-2-c", "9(2)(c)", "Vital interests", "processing is necessary to protect the vital interests of the data subject or of another natural person where the data subject is physically or legally incapable of giving consent"},
	{"9-2-f", "9(2)(f)", "Legal claims", "processing is necessary for the establishment, exercise or defence of legal claims or whenever courts are acting in their judicial capacity"},
	{"9-2-g", "9(2)(g)", "Substantial public interest", "processing is necessary for reasons of substantial public interest, on the basis of domestic law which shall be proportionate to the aim pursued, respect the essence of the right to data protection and provide for suitable and specific measures to safeguard the fundamental rights and the interests of the data subject"},
	{"9-2-h", "9(2)(h)", "Health or social care", "processing is necessary for the purposes of preventive or occupational medicine, for the assessment of the working capacity of the employee, medical diagnosis, the provision of health or social care or treatment or the management of health or social care systems and services on the basis of domestic law or pursuant to contract with a health professional"},
	{"9-2-i", "9(2)(i)", "Public health", "processing is necessary for reasons of public interest in the area of public health, such as protecting against serious cross-border threats to health or ensuring high standards of quality and safety of health care and of medicinal products or medical devices, on the basis of domestic law"},
	{"9-2-j", "9(2)(j)", "Archiving, research and statistics", "processing is necessary for archiving purposes in the public interest, scientific or historical research purposes or statistical purposes in accordance with Article 89(1), based on domestic law"},
}

func condition(list []Condition, key string) (Condition, bool) {
	for _, c := range list {
		if c.Key == key {
			return c, true
		}
	}
	return Condition{}, false
}

// Article6Condition returns an article 6 condition by its key.
func Article6Condition(key string) (Condition, bool) { return condition(Article6, key) }

// Article9Condition returns an article 9 condition by its key.
func Article9Condition(key string) (Condition, bool) { return condition(Article9, key) }
