package portal

import (
	"context"
	"time"

	"hearth/internal/access"
	"hearth/internal/audit"
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

// The copy as a FHIR R4 Bundle is made by the FHIR API's own mapping
// (internal/fhir, Server.Copy), so the download and the API say the same.

// MessagesOf reads every secure message with the person, oldest first,
// inside a scope that has permitted a copy of their record or messages.
func MessagesOf(sc *door.Scope, personID string) ([]Message, error) {
	if err := sc.Require(personID, access.ExportRecord, access.SendMessage, access.ReadRecord); err != nil {
		return nil, err
	}
	return messages(sc, personID)
}

// CorrectionsOf reads every request to correct the person's record, newest
// first, inside a scope that has permitted reading their record.
func CorrectionsOf(sc *door.Scope, personID string) ([]Correction, error) {
	if err := sc.Require(personID, access.ExportRecord, access.ReadRecord); err != nil {
		return nil, err
	}
	return corrections(sc, `c.person_id = ?`, personID)
}
