package fhir

// The directory: the provider as an Organization, its locations, and its
// staff as Practitioners with their roles. None of it is anyone's care
// record, but reading it is still decided and audited, as a list.

import (
	"net/http"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/people"
)

var directoryParams = map[string]map[string]paramKind{
	"Organization":     {"name": paramString},
	"Location":         {"name": paramString},
	"Practitioner":     {"name": paramString},
	"PractitionerRole": {"practitioner": paramString},
}

func isDirectory(typ string) bool { _, ok := directoryParams[typ]; return ok }

// directory reads the whole directory after deciding the request.
func (s *Server) directory(r *http.Request, c *call, typ, id string) ([]*entry, error) {
	var prov people.Provider
	var locs []people.Location
	err := s.run(r.Context(), c, func(sc *door.Scope) error {
		if _, err := sc.Allow(c.request(access.ListPeople, "", typ, id, "FHIR directory")); err != nil {
			return err
		}
		var err error
		if prov, err = people.ProviderOf(sc); err != nil {
			return err
		}
		locs, err = people.ListLocations(sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []*entry
	created := s.Clock()
	switch typ {
	case "Organization":
		r := &Organization{Base: Base{ResourceType: "Organization", ID: prov.ID}, Active: ptrBool(true), Name: prov.Name,
			Type: []CodeableConcept{{Coding: []Coding{{System: organizationType, Code: "prov", Display: "Healthcare Provider"}}, Text: "Care provider"}}}
		e := add(&out, "", []Resource{r}, []time.Time{created})
		e.codes = []Coding{{Code: strings.ToLower(prov.Name)}}
	case "Location":
		for _, l := range locs {
			r := &Location{Base: Base{ResourceType: "Location", ID: l.ID}, Status: "active", Name: l.Name, Mode: "instance",
				Type:                 []CodeableConcept{{Coding: []Coding{{System: consent.FHIRCodeSystem(c.base, csLocationKind), Code: l.Kind, Display: people.LocationKindTitle(l.Kind)}}, Text: people.LocationKindTitle(l.Kind)}},
				ManagingOrganization: ref("Organization", prov.ID, prov.Name)}
			e := add(&out, "", []Resource{r}, []time.Time{created})
			e.codes = []Coding{{Code: strings.ToLower(l.Name)}}
		}
	case "Practitioner", "PractitionerRole":
		users, err := s.Accounts.List(r.Context())
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if u.Kind != access.KindStaff {
				continue
			}
			if typ == "Practitioner" {
				pr := &Practitioner{Base: Base{ResourceType: "Practitioner", ID: u.ID}, Active: ptrBool(!u.Disabled),
					Name: []HumanName{{Text: u.DisplayName}}}
				e := add(&out, "", []Resource{pr}, []time.Time{u.CreatedAt})
				e.codes = []Coding{{Code: strings.ToLower(u.DisplayName)}}
				continue
			}
			out = append(out, practitionerRole(c.base, prov, u))
		}
	}
	return out, nil
}

func practitionerRole(base string, prov people.Provider, u accounts.User) *entry {
	r := &PractitionerRole{Base: Base{ResourceType: "PractitionerRole", ID: u.ID}, Active: ptrBool(!u.Disabled),
		Practitioner: ref("Practitioner", u.ID, u.DisplayName), Organization: ref("Organization", prov.ID, prov.Name),
		Code: []CodeableConcept{{Coding: []Coding{{System: consent.FHIRCodeSystem(base, csStaffRole), Code: u.Role.String(), Display: u.Role.Title()}}, Text: u.Role.Title()}}}
	for _, l := range u.LocationIDs {
		r.Location = append(r.Location, Reference{Reference: "Location/" + l})
	}
	var out []*entry
	e := add(&out, "", []Resource{r}, []time.Time{u.CreatedAt})
	e.codes = []Coding{{Code: u.ID}}
	return e
}

func (s *Server) directoryRead(w http.ResponseWriter, r *http.Request, c *call, typ, id string) error {
	if err := c.allowed(typ, Read); err != nil {
		return err
	}
	list, err := s.directory(r, c, typ, id)
	if err != nil {
		return err
	}
	for _, e := range list {
		if e.id == id {
			if v := r.PathValue("vid"); v != "" && v != "1" {
				return hearth.NotFound(typ + "/" + id + " version " + safeType(v))
			}
			return s.answer(w, r, http.StatusOK, e, 1)
		}
	}
	return hearth.NotFound(typ + "/" + id)
}

func (s *Server) directorySearch(w http.ResponseWriter, r *http.Request, c *call, typ string) error {
	if err := c.allowed(typ, Search); err != nil {
		return err
	}
	q, err := parseDirectoryQuery(typ, r)
	if err != nil {
		return err
	}
	list, err := s.directory(r, c, typ, "")
	if err != nil {
		return err
	}
	var matched []*entry
	for _, e := range list {
		if len(q.ids) > 0 && !contains(q.ids, e.id) {
			continue
		}
		ok := true
		for _, values := range q.strings {
			for _, v := range values {
				found := false
				for _, c := range e.codes {
					found = found || strings.Contains(c.Code, v)
				}
				ok = ok && found
			}
		}
		if ok {
			matched = append(matched, e)
		}
	}
	q.sort = append(q.sort, sortKey{name: "_id"})
	q.order(matched)
	writeJSON(w, http.StatusOK, s.searchset(c, q, matched))
	return nil
}

func parseDirectoryQuery(typ string, r *http.Request) (query, error) {
	params := directoryParams[typ]
	q, err := parseQueryWith(typ, params, r.URL.Query(), lenient(r))
	if err != nil {
		return q, err
	}
	for k, vs := range q.strings {
		if k == "practitioner" {
			for i, v := range vs {
				vs[i] = strings.TrimPrefix(strings.ToLower(v), "practitioner/")
			}
		}
	}
	return q, nil
}
