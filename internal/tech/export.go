package tech

// A person's technology uses in full, every version, for a copy of
// everything and the FHIR API. Reads inside a door scope that has already
// permitted reading the person's technology uses, leaving out what is
// withheld from the person and their representatives, as the technology
// page does.

import (
	"encoding/json"

	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// UseHistory is a use at its latest version, its state worked out now, with
// every version oldest first.
type UseHistory struct {
	Use
	Versions []UseVersion
}

// UsesOf reads every technology use of the person with its versions.
func (s *Service) UsesOf(sc *door.Scope, personID string) ([]UseHistory, error) {
	if err := sc.Require(personID, access.ReadTechUse); err != nil {
		return nil, err
	}
	out, err := sc.Unwithheld(door.Request{Action: access.ReadTechUse, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		Detail: "a withheld technology use"}, "DeviceUseStatement")
	if err != nil {
		return nil, err
	}
	uses, err := usesOf(sc, personID, out)
	if err != nil {
		return nil, err
	}
	list := make([]UseHistory, len(uses))
	index := map[string]int{}
	for i := range uses {
		if err := s.settle(sc.Context(), sc, &uses[i]); err != nil {
			return nil, err
		}
		list[i].Use = uses[i]
		index[uses[i].ID] = i
	}
	rows, err := sc.Query(`SELECT v.use_id, v.version, v.data, v.changed_at, v.changed_by, v.changed_name, v.reason
		FROM tech_use_versions v JOIN tech_uses u ON u.id = v.use_id WHERE u.person_id = ? ORDER BY v.use_id, v.version`, personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var useID, data string
		var v UseVersion
		if err := rows.Scan(&useID, &v.Version, &data, &v.ChangedAt, &v.ChangedByID, &v.ChangedName, &v.Reason); err != nil {
			return nil, err
		}
		i, ok := index[useID]
		if !ok {
			continue
		}
		var d useData
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, err
		}
		v.Record, v.EndedAt, v.EndedReason, v.ChangedAt = d.Record, d.EndedAt, d.EndedReason, v.ChangedAt.UTC()
		list[i].Versions = append(list[i].Versions, v)
	}
	return list, rows.Err()
}
