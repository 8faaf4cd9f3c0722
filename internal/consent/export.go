package consent

// A person's consent and capacity records in full, for a copy of
// everything and the FHIR API. Each reads inside a door scope that has
// already permitted reading the person's consent records, and leaves out
// what is withheld from the person and their representatives, as the
// consent page does.

import (
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Records is everything the consent package holds about one person.
type Records struct {
	Consents        []Consent // newest first
	Assessments     []Assessment
	BestInterests   []BestInterests
	LawfulBases     []LawfulBasis
	Representatives []Representative
}

// RecordsOf reads the person's consents, capacity assessments,
// best-interests decisions, other lawful bases and representatives.
func RecordsOf(sc *door.Scope, personID string) (Records, error) {
	var r Records
	if err := sc.Require(personID, access.ReadConsent); err != nil {
		return r, err
	}
	withheld, err := sc.Unwithheld(door.Request{Action: access.ReadConsent, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		Detail: "a withheld consent or capacity record"}, "Consent", "Observation", "RelatedPerson")
	if err != nil {
		return r, err
	}
	notWithheld := func(col string) (string, []any) {
		cond, args := withheld.Not(col)
		return "AND " + cond, args
	}
	cond, args := notWithheld("c.id")
	if r.Consents, err = consentsWhere(sc, personID, cond, args...); err != nil {
		return r, err
	}
	cond, args = notWithheld("id")
	if r.Assessments, err = assessments(sc, personID, cond, args...); err != nil {
		return r, err
	}
	if r.BestInterests, err = bestInterestsWhere(sc, personID, cond, args...); err != nil {
		return r, err
	}
	if r.LawfulBases, err = lawfulBasesWhere(sc, personID, cond, args...); err != nil {
		return r, err
	}
	reps, err := representatives(sc, personID)
	if err != nil {
		return r, err
	}
	for _, rep := range reps {
		if !withheld.Has(rep.ID) {
			r.Representatives = append(r.Representatives, rep)
		}
	}
	return r, nil
}

// Vocabularies the consent records code their entries with, by name, each
// value with its words (published as code systems by the API).
func Vocabularies() map[string][][2]string {
	pairs := func(list []string, title func(string) string) [][2]string {
		out := make([][2]string, len(list))
		for i, v := range list {
			out[i] = [2]string{v, title(v)}
		}
		return out
	}
	return map[string][][2]string{
		"consent-purpose":          pairs(Purposes, PurposeTitle),
		"record-part":              pairs(Scopes, ScopeTitle),
		"representative-authority": pairs(Authorities, AuthorityTitle),
		"information-format":       pairs(InfoFormats, InfoFormatTitle),
		"lawful-basis":             pairs(append([]string{BasisConsent, BasisBestInterests}, OtherBases...), BasisTitle),
		"capacity-decision":        pairs(NamedDecisions, DecisionTitle),
		"contact-channel":          pairs(Channels, ChannelTitle),
	}
}
