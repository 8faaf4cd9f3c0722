package portal

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Copy is everything Hearth holds about a person that they may see, for a
// subject access request: readable as a page (and printed), and as a FHIR
// R4 Bundle.
type Copy struct {
	Person      people.Person
	MadeAt      time.Time
	Record      CareRecord
	Consent     ConsentView
	History     []audit.PersonEvent // as the person may see it (audit.Event.ForPerson)
	Messages    []Message
	Corrections []Correction
	Concerns    []Concern
}

// Copy gathers a copy of everything, decided and audited as ExportRecord,
// then each part through its own service (each also decided and audited),
// with withheld entries left out.
func (s *Service) Copy(ctx context.Context, actor door.Actor, personID string) (Copy, error) {
	var c Copy
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ExportRecord, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Bundle", Detail: "a copy of everything (subject access)"}); err != nil {
			return err
		}
		var err error
		c.MadeAt = sc.Now()
		if c.Person, err = people.Load(sc, personID); err != nil {
			return err
		}
		history, _, err := sc.AccessHistory(personID, 0, 0)
		if err != nil {
			return err
		}
		c.History = forPerson(history, actor.ID)
		if c.Messages, err = messages(sc, personID); err != nil {
			return err
		}
		if c.Corrections, err = corrections(sc, `c.person_id = ?`, personID); err != nil {
			return err
		}
		c.Concerns, err = concerns(ctx, sc, personID)
		return err
	})
	if err != nil {
		return c, err
	}
	if c.Record, err = s.CareRecord(ctx, actor, personID, 3660); err != nil {
		return c, err
	}
	if c.Consent, err = s.ConsentView(ctx, actor, personID); err != nil {
		return c, err
	}
	return c, nil
}

// Bundle is the copy as a FHIR R4 Bundle of type collection (JSON).
func (s *Service) Bundle(ctx context.Context, actor door.Actor, personID string) ([]byte, error) {
	c, err := s.Copy(ctx, actor, personID)
	if err != nil {
		return nil, err
	}
	b, err := BundleOf(c)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(b, "", "  ")
}

// NHSNumberSystem is the UK Core identifier system for NHS numbers.
const NHSNumberSystem = "https://fhir.nhs.uk/Id/nhs-number"

type fhirRes = map[string]any

// BundleOf maps a copy to FHIR R4 resources: Patient, Consent, AuditEvent
// (one per access, IHE BALP shape), Communication (messages), Task
// (correction requests), DocumentReference (About Me entries, care plans
// and daily notes, as the person's text).
func BundleOf(c Copy) (fhirRes, error) {
	var entries []fhirRes
	add := func(r fhirRes) {
		entries = append(entries, fhirRes{"fullUrl": "urn:uuid:" + r["id"].(string), "resource": r})
	}
	patientRef := fhirRes{"reference": "urn:uuid:" + c.Person.ID}
	p := fhirRes{"resourceType": "Patient", "id": c.Person.ID,
		"name":      []fhirRes{{"use": "official", "family": c.Person.FamilyName, "given": []string{c.Person.GivenName}}},
		"birthDate": c.Person.DateOfBirth.UTC().Format("2006-01-02")}
	if c.Person.NHSNumber != "" {
		p["identifier"] = []fhirRes{{"system": NHSNumberSystem, "value": c.Person.NHSNumber}}
	}
	if c.Person.PreferredName != "" {
		p["name"] = append(p["name"].([]fhirRes), fhirRes{"use": "usual", "given": []string{c.Person.PreferredName}})
	}
	add(p)
	consents, err := consentResources(c, patientRef)
	if err != nil {
		return nil, err
	}
	for _, r := range consents {
		add(r)
	}
	for _, sec := range c.Record.AboutMe {
		for _, e := range sec.Entries {
			add(document(e.ID, "About Me: "+sec.Title, e.Body, e.Author.Name, e.WrittenAt, patientRef))
		}
	}
	for _, pl := range c.Record.Plans {
		add(document(pl.ID, "Care plan: "+pl.Title, pl.Outcome+"\n\n"+pl.HowMet, pl.Author.Name, pl.WrittenAt, patientRef))
	}
	for _, n := range c.Record.Notes {
		add(document(n.ID, "Daily note: "+n.CategoryTitle(), n.Body, n.Author.Name, n.CareAt, patientRef))
	}
	for _, m := range c.Record.Medicines {
		add(fhirRes{"resourceType": "MedicationStatement", "id": m.ID, "status": "active", "subject": patientRef,
			"medicationCodeableConcept": fhirRes{"text": strings.TrimSpace(m.Name + " " + m.Strength)},
			"dosage":                    []fhirRes{{"text": strings.TrimSpace(m.Dose + " " + m.ScheduleText)}}})
	}
	for _, u := range c.Record.TechUses {
		status := "stopped"
		if u.Live() {
			status = "active"
		}
		add(fhirRes{"resourceType": "DeviceUseStatement", "id": u.ID, "status": status, "subject": patientRef,
			"device": fhirRes{"display": u.TechnologyName}, "reasonCode": []fhirRes{{"text": u.Reason}},
			"note": []fhirRes{{"text": u.StateText}}})
	}
	for _, m := range c.Messages {
		add(fhirRes{"resourceType": "Communication", "id": m.ID, "status": "completed", "subject": patientRef,
			"sent": m.SentAt.UTC().Format(time.RFC3339), "sender": fhirRes{"display": m.ShownAs},
			"payload": []fhirRes{{"contentString": m.Body}}})
	}
	for _, cr := range c.Corrections {
		status := "requested"
		switch cr.Status {
		case CorrectionCorrected:
			status = "completed"
		case CorrectionNotChanged:
			status = "rejected"
		}
		t := fhirRes{"resourceType": "Task", "id": cr.ID, "status": status, "intent": "order", "for": patientRef,
			"code":        fhirRes{"text": "Request to correct the record"},
			"description": cr.Request, "authoredOn": cr.RequestedAt.UTC().Format(time.RFC3339)}
		if cr.Outcome != "" {
			t["statusReason"] = fhirRes{"text": cr.Outcome}
		}
		add(t)
	}
	for _, e := range c.History {
		add(auditEvent(e, patientRef))
	}
	return fhirRes{"resourceType": "Bundle", "id": c.Person.ID + "-copy", "type": "collection",
		"timestamp": c.MadeAt.UTC().Format(time.RFC3339), "entry": entries}, nil
}

// document is a DocumentReference holding text; FHIR's Attachment.data is
// base64Binary, which a []byte becomes when marshalled.
func document(id, title, text, author string, at time.Time, subject fhirRes) fhirRes {
	return fhirRes{"resourceType": "DocumentReference", "id": id, "status": "current", "subject": subject,
		"description": title, "date": at.UTC().Format(time.RFC3339), "author": []fhirRes{{"display": author}},
		"content": []fhirRes{{"attachment": fhirRes{"contentType": "text/plain; charset=utf-8", "title": title, "data": []byte(text)}}}}
}

// What a copy of the record says of an attempt refused to someone without
// access; the history page says the same.
const (
	strangerWho = "Someone without access"
	strangerWhy = "Someone without access tried to open the record. They were refused."
)

// auditEvent maps one line of the person's history to a FHIR AuditEvent. It
// holds what the history page shows and no more: no account ID, and for an
// attempt refused to someone without access, no name and no text.
func auditEvent(e audit.PersonEvent, patient fhirRes) fhirRes {
	outcome := "0"
	if e.Refused || e.Outcome != audit.OutcomeSuccess {
		outcome = "4"
	}
	who, why := e.Name, e.Why
	if e.Stranger {
		who, why = strangerWho, strangerWhy
	}
	what := fhirRes{"what": fhirRes{"identifier": fhirRes{"value": e.ResourceType + "/" + e.ResourceID}}}
	if e.Detail != "" {
		what["description"] = e.Detail
	}
	ev := fhirRes{"resourceType": "AuditEvent", "id": e.ID,
		"type":     fhirRes{"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
		"subtype":  []fhirRes{{"system": "https://hearth.example/audit-action", "code": e.Action}},
		"recorded": e.At.UTC().Format(time.RFC3339Nano), "outcome": outcome, "outcomeDesc": why,
		"purposeOfEvent": []fhirRes{{"coding": []fhirRes{{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": purposeHL7(e.Purpose)}}}},
		"agent": []fhirRes{{"who": fhirRes{"display": who},
			"role":      []fhirRes{{"text": e.Role}},
			"requestor": true}},
		"source": fhirRes{"observer": fhirRes{"display": "Hearth"}},
		"entity": []fhirRes{{"what": patient, "role": fhirRes{"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1", "display": "Patient"}},
			what}}
	if e.BreakGlass {
		ev["subtype"] = append(ev["subtype"].([]fhirRes), fhirRes{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110127", "display": "Emergency Override Started"})
	}
	return ev
}

func purposeHL7(name string) string {
	for p := access.Purpose(1); p.String() != "unknown"; p++ {
		if p.String() == name {
			return p.HL7()
		}
	}
	return ""
}

// consentResources maps the person's consents to FHIR R4 Consent with the
// consent package's own mapping (consent.Consent.FHIR: status, scope,
// category, performer with a representative's authority, policy, and the
// provision: permit or deny, period, purpose, actor, record parts), with
// the Patient reference pointing at the Bundle's own Patient entry.
func consentResources(c Copy, patient fhirRes) ([]fhirRes, error) {
	var out []fhirRes
	own := "Patient/" + c.Person.ID
	for _, it := range c.Consent.Consents {
		fc := it.Record.FHIR(c.MadeAt)
		fc.Patient = consent.FHIRReference{Reference: patient["reference"].(string)}
		for i := range fc.Performer {
			if fc.Performer[i].Reference == own {
				fc.Performer[i].Reference = fc.Patient.Reference
			}
		}
		for i := range fc.Contained {
			fc.Contained[i].Patient = fc.Patient
		}
		b, err := json.Marshal(fc)
		if err != nil {
			return nil, err
		}
		var r fhirRes
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
