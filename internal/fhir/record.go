package fhir

// A person's record as the API reads it: the parts a request needs, each
// decided for the caller in the request's door scope and read through the
// domain packages' scope helpers, which leave out what is withheld.

import (
	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/tech"
)

// part is one part of a person's record, read under one action.
type part uint32

const (
	partPerson part = 1 << iota
	partAboutMe
	partNotes
	partPlans
	partRisks
	partSafety
	partObservations
	partTargets
	partVisits
	partAlerts
	partMedicines
	partDoses
	partConsent
	partTech
	partHistory
	partMessages
	partCorrections

	partsRecord = partAboutMe | partNotes | partPlans | partRisks | partSafety | partObservations | partTargets | partVisits | partAlerts
	partsAll    = partPerson | partsRecord | partMedicines | partDoses | partConsent | partTech | partHistory | partMessages | partCorrections
)

// actionOf is the action a part is read under.
func (p part) action() access.Action {
	switch {
	case p&partPerson != 0:
		return access.ViewPerson
	case p&(partMedicines|partDoses) != 0:
		return access.ReadMedicines
	case p&partConsent != 0:
		return access.ReadConsent
	case p&partTech != 0:
		return access.ReadTechUse
	case p&partHistory != 0:
		return access.ReadAccessLog
	}
	return access.ReadRecord
}

// resourceType is the FHIR type a part is read as, named on its decision
// so that a decision about a category of data (a partner's agreement, a
// representative's authority) is made for that category.
func (p part) resourceType() string {
	switch p {
	case partPerson:
		return "Patient"
	case partAboutMe, partNotes, partSafety:
		return "DocumentReference"
	case partPlans:
		return "CarePlan"
	case partRisks:
		return "RiskAssessment"
	case partObservations:
		return "Observation"
	case partTargets:
		return "Goal"
	case partVisits:
		return "Encounter"
	case partAlerts:
		return "Flag"
	case partMedicines:
		return "MedicationStatement"
	case partDoses:
		return "MedicationAdministration"
	case partConsent:
		return "Consent"
	case partTech:
		return "DeviceUseStatement"
	case partHistory:
		return "AuditEvent"
	case partMessages:
		return "Communication"
	case partCorrections:
		return "Task"
	}
	return "Patient"
}

// record is what was read of one person.
type record struct {
	Person       people.Person
	Read         part // the parts read (permitted and asked for)
	AboutMe      []care.AboutMeEntry
	Notes        []care.Note
	Plans        []care.PlanVersion
	Risks        []care.RiskVersion
	Safety       []care.SafetyVersion
	Observations []care.Observation
	Targets      []care.FluidTarget
	Visits       []care.Visit
	Alerts       []care.Alert
	Medicines    []care.Medicine
	Doses        []care.Dose
	Consent      consent.Records
	Tech         []tech.UseHistory
	History      []audit.Event
	Messages     []portal.Message
	Corrections  []portal.Correction
}

// gather reads the parts of personID's record in want that the caller may
// read. Each part is decided once, as its action on its type (sc.Check: a
// refused part is audited and left out); a part the request's own
// decision already covers (decided, the same action on the same type) is
// not decided again.
func (s *Server) gather(sc *door.Scope, c *call, personID string, want part, w care.Window, detail string, decided ...door.Request) (record, error) {
	rec := record{}
	type key struct {
		a access.Action
		t string
	}
	outcome := map[key]bool{}
	for _, d := range decided {
		outcome[key{d.Action, d.ResourceType}] = sc.Permitted(personID, d.Action)
	}
	var allowed part
	for p := part(1); p <= partCorrections; p <<= 1 {
		if want&p == 0 {
			continue
		}
		k := key{p.action(), p.resourceType()}
		ok, seen := outcome[k]
		if !seen {
			acc, err := sc.Check(c.request(k.a, personID, k.t, "", detail))
			if err != nil {
				return rec, err
			}
			ok = acc.Decision.Permit
			outcome[k] = ok
		}
		if ok {
			allowed |= p
		}
	}
	rec.Read = allowed
	if allowed == 0 {
		return rec, nil
	}
	var err error
	if rec.Person, err = people.Load(sc, personID); err != nil {
		return rec, err
	}
	has := func(p part) bool { return allowed&p != 0 }
	if has(partAboutMe) {
		if rec.AboutMe, err = care.AboutMeOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partNotes) {
		if rec.Notes, err = care.NotesOf(sc, personID, w); err != nil {
			return rec, err
		}
	}
	if has(partPlans) {
		if rec.Plans, err = care.PlanVersionsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partRisks) {
		if rec.Risks, err = care.RiskVersionsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partSafety) {
		if rec.Safety, err = care.SafetyVersionsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partObservations) {
		if rec.Observations, err = care.ObservationsOf(sc, personID, w); err != nil {
			return rec, err
		}
	}
	if has(partTargets) {
		if rec.Targets, err = care.FluidTargetsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partVisits) {
		if rec.Visits, err = s.Care.VisitsOf(sc, personID, w); err != nil {
			return rec, err
		}
	}
	if has(partAlerts) {
		if rec.Alerts, err = s.Care.AlertsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partMedicines) || has(partDoses) {
		if rec.Medicines, err = care.MedicinesOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partDoses) {
		if rec.Doses, err = care.DosesOf(sc, personID, w); err != nil {
			return rec, err
		}
	}
	if has(partConsent) {
		if rec.Consent, err = consent.RecordsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partTech) {
		if rec.Tech, err = s.Tech.UsesOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partHistory) {
		if rec.History, _, err = sc.AccessHistory(personID, 0, 0); err != nil {
			return rec, err
		}
	}
	if has(partMessages) {
		if rec.Messages, err = portal.MessagesOf(sc, personID); err != nil {
			return rec, err
		}
	}
	if has(partCorrections) {
		if rec.Corrections, err = portal.CorrectionsOf(sc, personID); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// ownerOf finds whose record the entry named by a resource type and id
// belongs to, before deciding about them; "" when there is no such entry
// (which the door then refuses as not found).
func ownerOf(sc *door.Scope, resourceType, id string) (string, error) {
	switch resourceType {
	case "Patient":
		return id, nil
	case "Flag":
		if len(id) > 37 && hearth.ValidID(id[:36]) {
			return id[:36], nil
		}
		return "", nil
	}
	vid := memberRoot(id)
	for _, t := range ownerTypes[resourceType] {
		p, err := sc.OwnerOf(t, vid)
		if err != nil || p != "" {
			return p, err
		}
	}
	return "", nil
}

// ownerTypes are the door's names for the tables each resource type is
// read from.
var ownerTypes = map[string][]string{
	"RelatedPerson":            {"RelatedPerson"},
	"Consent":                  {"Consent"},
	"Observation":              {"Observation", "Consent"},
	"CarePlan":                 {"CarePlan"},
	"Goal":                     {"Goal"},
	"MedicationStatement":      {"MedicationStatement"},
	"MedicationAdministration": {"MedicationAdministration"},
	"Encounter":                {"Encounter"},
	"RiskAssessment":           {"RiskAssessment"},
	"DocumentReference":        {"DocumentReference"},
	"DeviceUseStatement":       {"DeviceUseStatement"},
	"AuditEvent":               {"AuditEvent"},
	"Provenance":               {"Observation", "DocumentReference", "MedicationAdministration", "CarePlan", "RiskAssessment", "DeviceUseStatement", "Goal"},
}

// memberRoot is the entry an id names: a vital sign's own observation is
// named by its set's id and a suffix ("<id>-pulse").
func memberRoot(id string) string {
	if len(id) > 37 && id[36] == '-' && hearth.ValidID(id[:36]) {
		return id[:36]
	}
	return id
}
