package consent

import (
	"strings"
	"time"
	"unicode"

	"hearth/internal/door"
)

// Purposes of consent.
const (
	PurposeCareDelivery         = "care-delivery"
	PurposeSharing              = "sharing"               // with a named person or organisation: Recipient
	PurposeTechnology           = "technology"            // a specific technology use: TechnologyID (the tech register's ID)
	PurposePhotographs          = "photographs"           // photographs and video of the person
	PurposeDigitalCommunication = "digital-communication" // by Channel: "email", "sms", "phone", "portal"
	PurposeSecondaryUse         = "secondary-use"         // research or service improvement
)

// Purposes lists every purpose, in the order the consent page shows them.
var Purposes = []string{PurposeCareDelivery, PurposeSharing, PurposeTechnology, PurposePhotographs,
	PurposeDigitalCommunication, PurposeSecondaryUse}

// PurposeTitle is a purpose in words.
func PurposeTitle(p string) string {
	switch p {
	case PurposeCareDelivery:
		return "Care and support"
	case PurposeSharing:
		return "Sharing information"
	case PurposeTechnology:
		return "Use of a technology"
	case PurposePhotographs:
		return "Photographs"
	case PurposeDigitalCommunication:
		return "Digital communication"
	case PurposeSecondaryUse:
		return "Research and service improvement"
	}
	return p
}

func validPurpose(p string) bool {
	for _, q := range Purposes {
		if q == p {
			return true
		}
	}
	return false
}

// Channels of digital communication.
var Channels = []string{"email", "sms", "phone", "portal"}

// ChannelTitle is a channel in words.
func ChannelTitle(c string) string {
	switch c {
	case "email":
		return "email"
	case "sms":
		return "text message"
	case "phone":
		return "phone call"
	case "portal":
		return "the Hearth portal"
	}
	return c
}

// Scopes are the parts of the record a consent covers.
const (
	ScopeCareRecord = "care-record"
	ScopeMedicines  = "medicines"
	ScopeConsent    = "consent-records"
	ScopeAll        = "all"
)

// Scopes lists every scope for forms.
var Scopes = []string{ScopeCareRecord, ScopeMedicines, ScopeConsent, ScopeAll}

// ScopeTitle is a scope in words.
func ScopeTitle(s string) string {
	switch s {
	case ScopeCareRecord:
		return "the care record (About Me, plans, notes, observations)"
	case ScopeMedicines:
		return "medicines"
	case ScopeConsent:
		return "consent and capacity records"
	case ScopeAll:
		return "everything in the record"
	}
	return s
}

// Information formats: how the person was told what they were agreeing to
// (Accessible Information Standard).
var InfoFormats = []string{"standard", "easy-read", "large-print", "braille", "bsl-interpreter", "language-interpreter", "other"}

// InfoFormatTitle is a format in words.
func InfoFormatTitle(f string) string {
	switch f {
	case "standard":
		return "Standard written or spoken information"
	case "easy-read":
		return "Easy read"
	case "large-print":
		return "Large print"
	case "braille":
		return "Braille"
	case "bsl-interpreter":
		return "British Sign Language interpreter"
	case "language-interpreter":
		return "Spoken language interpreter"
	case "other":
		return "Other"
	}
	return f
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Authorities of representatives.
const (
	AuthorityLPAHealthWelfare       = "lpa-health-welfare"     // LPA for health and welfare, without life-sustaining treatment
	AuthorityLPAHealthWelfareLST    = "lpa-health-welfare-lst" // ... with authority over life-sustaining treatment
	AuthorityLPAPropertyFinance     = "lpa-property-finance"
	AuthorityDeputyHealthWelfare    = "deputy-health-welfare" // court-appointed, with a recorded scope
	AuthorityDeputyPropertyFinance  = "deputy-property-finance"
	AuthorityParentalResponsibility = "parental-responsibility" // person under 18
	AuthorityAppointee              = "appointee"               // DWP benefits appointee: money only
	AuthorityIMCA                   = "imca"                    // consulted; cannot consent
	AuthorityAdvocate               = "advocate"                // consulted; cannot consent
	AuthorityFamily                 = "family"                  // consulted; cannot consent
	AuthorityCarer                  = "carer"                   // consulted; cannot consent
)

// Authorities lists every authority for forms.
var Authorities = []string{AuthorityLPAHealthWelfare, AuthorityLPAHealthWelfareLST, AuthorityLPAPropertyFinance,
	AuthorityDeputyHealthWelfare, AuthorityDeputyPropertyFinance, AuthorityParentalResponsibility, AuthorityAppointee,
	AuthorityIMCA, AuthorityAdvocate, AuthorityFamily, AuthorityCarer}

// AuthorityTitle is an authority in words.
func AuthorityTitle(a string) string {
	switch a {
	case AuthorityLPAHealthWelfare:
		return "Lasting power of attorney for health and welfare"
	case AuthorityLPAHealthWelfareLST:
		return "Lasting power of attorney for health and welfare, including life-sustaining treatment"
	case AuthorityLPAPropertyFinance:
		return "Lasting power of attorney for property and financial affairs"
	case AuthorityDeputyHealthWelfare:
		return "Court-appointed deputy for health and welfare"
	case AuthorityDeputyPropertyFinance:
		return "Court-appointed deputy for property and financial affairs"
	case AuthorityParentalResponsibility:
		return "Parental responsibility"
	case AuthorityAppointee:
		return "Benefits appointee (DWP)"
	case AuthorityIMCA:
		return "Independent mental capacity advocate (IMCA)"
	case AuthorityAdvocate:
		return "Advocate"
	case AuthorityFamily:
		return "Family member"
	case AuthorityCarer:
		return "Unpaid carer"
	}
	return a
}

// healthWelfare reports whether the authority reaches decisions about care.
func healthWelfare(a string) bool {
	switch a {
	case AuthorityLPAHealthWelfare, AuthorityLPAHealthWelfareLST, AuthorityDeputyHealthWelfare, AuthorityParentalResponsibility:
		return true
	}
	return false
}

// moneyOnly reports whether the authority reaches money and property only.
func moneyOnly(a string) bool {
	switch a {
	case AuthorityLPAPropertyFinance, AuthorityDeputyPropertyFinance, AuthorityAppointee:
		return true
	}
	return false
}

// consultedOnly reports whether the authority is someone to consult who
// cannot consent (MCA s4(7)).
func consultedOnly(a string) bool {
	switch a {
	case AuthorityIMCA, AuthorityAdvocate, AuthorityFamily, AuthorityCarer:
		return true
	}
	return false
}

// Lawful bases other than consent.
const (
	BasisConsent         = "consent"
	BasisBestInterests   = "best-interests"
	BasisSafeguarding    = "safeguarding"
	BasisCourtOrder      = "court-order"
	BasisVitalInterests  = "vital-interests"
	BasisLegalObligation = "legal-obligation"
)

// OtherBases lists the recorded lawful bases other than consent.
var OtherBases = []string{BasisSafeguarding, BasisCourtOrder, BasisVitalInterests, BasisLegalObligation}

// BasisTitle is a lawful basis in words.
func BasisTitle(k string) string {
	switch k {
	case BasisConsent:
		return "Consent"
	case BasisBestInterests:
		return "Best-interests decision"
	case BasisSafeguarding:
		return "Safeguarding"
	case BasisCourtOrder:
		return "Court order"
	case BasisVitalInterests:
		return "Vital interests"
	case BasisLegalObligation:
		return "Legal obligation"
	}
	return k
}

// Decision keys name the decision a capacity assessment, a consent and a
// best-interests decision are about, so the three match (MCA 2005 s2:
// capacity is decision-specific).
const (
	DecisionCareAndSupport       = "care-and-support"
	DecisionSharingInformation   = "sharing-information"
	DecisionPhotographs          = "photographs"
	DecisionDigitalCommunication = "digital-communication"
	DecisionSecondaryUse         = "research-and-improvement"
	decisionTechnologyPrefix     = "technology:"
	decisionOtherPrefix          = "other:"
)

// NamedDecisions are the decisions offered by name on forms.
var NamedDecisions = []string{DecisionCareAndSupport, DecisionSharingInformation, DecisionPhotographs,
	DecisionDigitalCommunication, DecisionSecondaryUse}

// TechnologyDecision is the decision key for using one technology.
func TechnologyDecision(technologyID string) string { return decisionTechnologyPrefix + technologyID }

// PurposeDecision is the decision key a consent for purpose concerns.
func PurposeDecision(purpose, technologyID string) string {
	switch purpose {
	case PurposeCareDelivery:
		return DecisionCareAndSupport
	case PurposeSharing:
		return DecisionSharingInformation
	case PurposeTechnology:
		return TechnologyDecision(technologyID)
	case PurposePhotographs:
		return DecisionPhotographs
	case PurposeDigitalCommunication:
		return DecisionDigitalCommunication
	case PurposeSecondaryUse:
		return DecisionSecondaryUse
	}
	return decisionOtherPrefix + purpose
}

// DecisionKey turns what a form says into a stable key: a named decision's
// key as it is, "technology:<id>" as it is, anything else as free text
// ("other:where-to-live").
func DecisionKey(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if oneOf(s, NamedDecisions) || strings.HasPrefix(s, decisionTechnologyPrefix) && len(s) > len(decisionTechnologyPrefix) {
		return s
	}
	for _, k := range NamedDecisions {
		if strings.EqualFold(s, DecisionTitle(k)) {
			return k
		}
	}
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimPrefix(s, decisionOtherPrefix)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	k := strings.TrimSuffix(b.String(), "-")
	if k == "" {
		return ""
	}
	return decisionOtherPrefix + k
}

// DecisionTitle is a decision key in words.
func DecisionTitle(key string) string {
	switch key {
	case DecisionCareAndSupport:
		return "Care and support"
	case DecisionSharingInformation:
		return "Sharing information"
	case DecisionPhotographs:
		return "Photographs"
	case DecisionDigitalCommunication:
		return "Digital communication"
	case DecisionSecondaryUse:
		return "Research and service improvement"
	}
	if strings.HasPrefix(key, decisionTechnologyPrefix) {
		// Never the ID: decisionName names it from the register.
		return "Use of a technology"
	}
	if t, ok := strings.CutPrefix(key, decisionOtherPrefix); ok {
		t = strings.ReplaceAll(t, "-", " ")
		if t != "" {
			return strings.ToUpper(t[:1]) + t[1:]
		}
	}
	return key
}

// ukDate is a date as the UK writes it: 3 March 2026.
func ukDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

// lowerFirst lowers the first letter of a title for use mid-sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// decisionName is a decision key in words, naming a technology from the
// provider's register ("Use of NightSound"), so no screen or message shows
// a database ID. It reads in a scope that has already decided.
func decisionName(sc *door.Scope, key string) string {
	if id, ok := strings.CutPrefix(key, decisionTechnologyPrefix); ok {
		if name := technologyName(sc, id); name != "" {
			return "Use of " + name
		}
	}
	return DecisionTitle(key)
}

// technologyName is a technology's name in the register, or "".
func technologyName(sc *door.Scope, id string) string {
	var name string
	if err := sc.QueryRow(`SELECT name FROM tech_technologies WHERE id = ?`, id).Scan(&name); err != nil {
		return ""
	}
	return name
}
