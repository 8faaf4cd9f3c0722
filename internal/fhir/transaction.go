package fhir

// Import: a transaction Bundle of people and their history (POST /fhir/).
// Every entry is read and checked first, and every problem found is
// named by its entry and element; only a Bundle with none is performed,
// in one door scope as the signed-in member of staff, through the domain
// services' own checks and decisions, so it is all or nothing: one entry
// refused refuses the whole Bundle and changes nothing.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"hearth"
	"hearth/internal/care"
	"hearth/internal/door"
	"hearth/internal/people"
)

type txEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *BundleRequest  `json:"request"`
}

type txBundle struct {
	ResourceType string    `json:"resourceType"`
	Type         string    `json:"type"`
	Entry        []txEntry `json:"entry"`
}

// txItem is one entry read and checked, ready to perform.
type txItem struct {
	typ     string
	path    string
	urn     string // a Patient's fullUrl, for others to refer to
	subject string // Patient id, or a urn:uuid of a Patient in the Bundle
	person  people.NewPerson
	obs     care.ObsInput
	note    *care.HistoricNote
	aboutMe *care.AboutMeDraft
	f       fields
}

func (s *Server) transaction(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var b txBundle
	if err := decodeResource(body, "Bundle", "Bundle", &b); err != nil {
		return err
	}
	if b.Type != "transaction" {
		return invalid("Bundle.type", "Bundle.type must be transaction: Hearth imports people and their history all or nothing")
	}
	if len(b.Entry) == 0 {
		return invalid("Bundle.entry", "The Bundle has no entries")
	}
	items, err := s.checkTransaction(r, c, b)
	if err != nil {
		return err
	}
	ids := make([]string, len(items))
	err = s.run(r.Context(), c, func(sc *door.Scope) error {
		patients := map[string]string{}
		resolve := func(it txItem) string {
			if id, ok := patients[it.subject]; ok {
				return id
			}
			return it.subject
		}
		for i, it := range items {
			switch {
			case it.typ == "Patient":
				p, err := people.RegisterIn(sc, it.person)
				if err != nil {
					return it.f.named(err, it.path)
				}
				ids[i] = p.ID
				if it.urn != "" {
					patients[it.urn] = p.ID
				}
			case it.typ == "Observation":
				o, err := s.Care.RecordIn(sc, resolve(it), it.obs)
				if err != nil {
					return it.f.named(err, it.path)
				}
				ids[i] = o.ID
			case it.note != nil:
				got, err := s.Care.ImportNotesIn(sc, resolve(it), []care.HistoricNote{*it.note})
				if err != nil {
					return it.f.named(err, it.path)
				}
				ids[i] = got[0]
			case it.aboutMe != nil:
				e, err := s.Care.AddAboutMeIn(sc, resolve(it), *it.aboutMe)
				if err != nil {
					return it.f.named(err, it.path)
				}
				ids[i] = e.ID
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	out := &Bundle{Base: Base{ResourceType: "Bundle", ID: hearth.NewID()}, Type: "transaction-response", Timestamp: instant(s.Clock())}
	for i, it := range items {
		out.Entry = append(out.Entry, BundleEntry{FullURL: c.base + "/" + it.typ + "/" + ids[i],
			Response: &BundleResponse{Status: "201 Created", Location: it.typ + "/" + ids[i] + "/_history/1", Etag: etagOf(1)}})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// checkTransaction reads every entry and names every problem, before
// anything is written.
func (s *Server) checkTransaction(r *http.Request, c *call, b txBundle) ([]txItem, error) {
	var p problems
	m := mapper{base: c.base}
	items := make([]txItem, 0, len(b.Entry))
	urns := map[string]bool{}
	for i, e := range b.Entry {
		path := fmt.Sprintf("Bundle.entry[%d]", i)
		rpath := path + ".resource"
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if len(e.Resource) == 0 || json.Unmarshal(e.Resource, &head) != nil || head.ResourceType == "" {
			p.add(rpath, "Each entry needs a resource with its resourceType")
			continue
		}
		it := txItem{typ: head.ResourceType, path: rpath}
		if e.Request == nil || e.Request.Method != http.MethodPost {
			p.add(path+".request.method", "Each entry is created: request.method must be POST")
		} else if strings.Trim(e.Request.URL, "/") != head.ResourceType {
			p.add(path+".request.url", "request.url must be "+head.ResourceType)
		}
		if err := c.allowed(head.ResourceType, Create); err != nil {
			p.add(rpath, err.Error())
		}
		switch head.ResourceType {
		case "Patient":
			var pt Patient
			if err := decodeResource(e.Resource, "Patient", rpath, &pt); err != nil {
				p.list = append(p.list, err.(*hearth.Error).Problems...)
				continue
			}
			n, f, err := s.newPerson(r, c, m, &pt, rpath)
			if err != nil {
				p.list = append(p.list, err.(*hearth.Error).Problems...)
			}
			it.person, it.f = n, f
			if strings.HasPrefix(e.FullURL, "urn:uuid:") {
				it.urn = e.FullURL
				urns[e.FullURL] = true
			}
		case "Observation":
			var o Observation
			if err := decodeResource(e.Resource, "Observation", rpath, &o); err != nil {
				p.list = append(p.list, err.(*hearth.Error).Problems...)
				continue
			}
			it.subject = subjectOf(o.Subject, rpath+".subject", &p)
			it.obs, it.f = m.obsInput(&o, rpath, &p)
		case "DocumentReference":
			var d DocumentReference
			if err := decodeResource(e.Resource, "DocumentReference", rpath, &d); err != nil {
				p.list = append(p.list, err.(*hearth.Error).Problems...)
				continue
			}
			it.subject = subjectOf(d.Subject, rpath+".subject", &p)
			body, f := docBody(&d, rpath, &p)
			it.f = f
			category := ""
			for _, cat := range d.Category {
				for _, cd := range cat.Coding {
					category = cd.Code
				}
			}
			f["Category"], f["Section"], f["Time of care"] = rpath+".category", rpath+".category", rpath+".context.period.start"
			switch {
			case d.Type != nil && m.isHearth(*d.Type, csDocumentType, "daily-note"):
				n := care.HistoricNote{NoteDraft: care.NoteDraft{Category: category, Body: body}}
				if d.Context == nil || d.Context.Period == nil || d.Context.Period.Start == "" {
					p.add(rpath+".context.period.start", "Say when the care happened: context.period.start")
				} else {
					n.CareAt = parseDateTime(d.Context.Period.Start, rpath+".context.period.start", &p)
				}
				n.RecordedAt = parseDateTime(d.Date, rpath+".date", &p)
				if n.RecordedAt.IsZero() {
					n.RecordedAt = n.CareAt
				}
				it.note = &n
			case d.Type != nil && m.isHearth(*d.Type, csDocumentType, "about-me"):
				it.aboutMe = &care.AboutMeDraft{Section: category, Body: body}
			default:
				p.add(rpath+".type", "Hearth imports daily notes and About Me entries: type must be "+m.cs(csDocumentType)+"|daily-note or |about-me")
			}
		default:
			p.add(rpath+".resourceType", "Hearth imports Patient, Observation and DocumentReference entries, not "+safeType(head.ResourceType))
			continue
		}
		items = append(items, it)
	}
	for _, it := range items {
		if it.typ == "Patient" || it.subject == "" {
			continue
		}
		if strings.HasPrefix(it.subject, "urn:") && !urns[it.subject] {
			p.add(it.path+".subject.reference", "refers to "+it.subject+", which is not a Patient in this Bundle")
		}
	}
	return items, p.err()
}
