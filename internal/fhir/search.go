package fhir

// Search parameters: the ones each type supports, what their values mean
// (dates with the prefixes eq, ne, lt, gt, le, ge, sa and eb over the
// value's precision; tokens as system|code), sorting and paging. An
// unknown parameter is refused with 400, naming it, unless the caller
// asks for lenient handling (Prefer: handling=lenient), when it is ignored
// and left out of the self link.

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"hearth"
)

const (
	defaultCount = 50
	maxCount     = 500
)

// paramKind is how a search parameter's value is read.
type paramKind int

const (
	paramReference paramKind = iota + 1 // patient, subject
	paramDate
	paramToken
	paramString
	paramID
)

// query is a parsed search.
type query struct {
	typ      string
	patients []string       // patient or subject: the people to search
	dates    []dateParam    // the type's clinical date
	updated  []dateParam    // _lastUpdated
	codes    [][]tokenParam // each parameter a list ORed; parameters ANDed
	ids      []string       // _id
	strings  map[string][]string
	births   []dateParam
	idents   [][]tokenParam
	sort     []sortKey
	count    int
	offset   int
	used     url.Values // the parameters applied, for the self link
}

type sortKey struct {
	name string
	desc bool
}

// dateParam is a date search value: a prefix and the range its precision
// covers, [lo, hi].
type dateParam struct {
	prefix string
	lo, hi time.Time
}

type tokenParam struct {
	system, code string
	anySystem    bool
}

// lenient reports whether the caller asked for unknown parameters to be
// ignored.
func lenient(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		// RFC 7240: preferences are separated by commas, their parameters
		// by semicolons.
		for _, part := range strings.FieldsFunc(v, func(c rune) bool { return c == ';' || c == ',' }) {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(part), " ", ""), "handling=lenient") {
				return true
			}
		}
	}
	return false
}

// parseQuery reads the search parameters for typ.
func parseQuery(typ string, values url.Values, isLenient bool) (query, error) {
	return parseQueryWith(typ, specs[typ].params, values, isLenient)
}

// parseQueryWith reads the search parameters for typ, whose own
// parameters are params.
func parseQueryWith(typ string, params map[string]paramKind, values url.Values, isLenient bool) (query, error) {
	q := query{typ: typ, count: defaultCount, strings: map[string][]string{}, used: url.Values{}}
	var p problems
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name, modifier, _ := strings.Cut(key, ":")
		kind, known := commonParams[name]
		if !known {
			kind, known = params[name]
		}
		if known && modifier != "" && !(kind == paramString && modifier == "exact") && !(kind == paramReference && modifier == "Patient") {
			known = false
		}
		if !known {
			if isLenient {
				continue
			}
			p.add(key, "Unknown search parameter '"+key+"' for "+typ+": see /fhir/metadata for the parameters supported")
			continue
		}
		for _, v := range values[key] {
			if !q.apply(&p, typ, name, kind, v) {
				continue
			}
			q.used.Add(key, v)
		}
	}
	return q, p.err()
}

// commonParams apply to every type.
var commonParams = map[string]paramKind{
	"_id": paramID, "_lastUpdated": paramDate, "_count": paramString, "_offset": paramString, "_sort": paramString,
	"_format": paramString, "_pretty": paramString,
}

func (q *query) apply(p *problems, typ, name string, kind paramKind, v string) bool {
	switch name {
	case "_format", "_pretty":
		return false
	case "_count":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.add("_count", "_count must be a whole number of 0 or more")
			return false
		}
		q.count = min(n, maxCount)
		return false
	case "_offset":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			p.add("_offset", "_offset must be a whole number of 0 or more")
			return false
		}
		q.offset = n
		return false
	case "_sort":
		for _, f := range strings.Split(v, ",") {
			k := sortKey{name: strings.TrimPrefix(f, "-"), desc: strings.HasPrefix(f, "-")}
			if k.name != "_id" && k.name != "_lastUpdated" && k.name != specs[typ].dateParam {
				p.add("_sort", "Sort by _id, _lastUpdated"+nonEmpty(" or ", specs[typ].dateParam)+", with - before it for descending")
				return false
			}
			q.sort = append(q.sort, k)
		}
		return true
	case "_id":
		for _, id := range strings.Split(v, ",") {
			q.ids = append(q.ids, strings.TrimSpace(id))
		}
		return true
	}
	switch kind {
	case paramReference:
		for _, r := range strings.Split(v, ",") {
			r = strings.TrimSpace(r)
			if i := strings.LastIndex(r, "Patient/"); i >= 0 {
				r = r[i+len("Patient/"):]
			}
			if r == "" || strings.Contains(r, "/") {
				p.add(name, name+" must name a Patient, as Patient/{id} or {id}")
				return false
			}
			q.patients = append(q.patients, r)
		}
		return true
	case paramDate:
		d, err := parseDateParam(v)
		if err != nil {
			p.add(name, err.Error())
			return false
		}
		switch {
		case name == "_lastUpdated":
			q.updated = append(q.updated, d)
		case name == "birthdate":
			q.births = append(q.births, d)
		default:
			q.dates = append(q.dates, d)
		}
		return true
	case paramToken:
		var list []tokenParam
		for _, t := range strings.Split(v, ",") {
			system, code, hasBar := strings.Cut(t, "|")
			tp := tokenParam{system: system, code: code}
			if !hasBar {
				tp = tokenParam{code: system, anySystem: true}
			}
			if tp.code == "" && tp.system == "" {
				p.add(name, name+" must be a code, system|code or system|")
				return false
			}
			list = append(list, tp)
		}
		if name == "identifier" {
			q.idents = append(q.idents, list)
		} else {
			q.codes = append(q.codes, list)
		}
		return true
	case paramString:
		q.strings[name] = append(q.strings[name], strings.ToLower(strings.TrimSpace(v)))
		return true
	}
	return false
}

var datePrefixes = []string{"eq", "ne", "lt", "gt", "le", "ge", "sa", "eb"}

// parseDateParam reads a date search value: an optional prefix and a date
// of any FHIR precision (year, month, day, minute, second, fraction), in
// UTC when no zone is given.
func parseDateParam(v string) (dateParam, error) {
	d := dateParam{prefix: "eq"}
	if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' && v[2] >= '0' && v[2] <= '9' {
		pre := v[:2]
		ok := false
		for _, x := range datePrefixes {
			ok = ok || x == pre
		}
		if !ok {
			return d, hearth.Errorf(hearth.KindInvalid, "Date prefix %q is not supported: use eq, ne, lt, gt, le, ge, sa or eb", pre)
		}
		d.prefix, v = pre, v[2:]
	}
	layouts := []struct {
		layout string
		step   func(time.Time) time.Time
	}{
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006-01-02", func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01-02T15:04Z07:00", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04", func(t time.Time) time.Time { return t.Add(time.Minute) }},
		{"2006-01-02T15:04:05Z07:00", func(t time.Time) time.Time { return t.Add(time.Second) }},
		{"2006-01-02T15:04:05", func(t time.Time) time.Time { return t.Add(time.Second) }},
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l.layout, v, time.UTC); err == nil {
			d.lo, d.hi = t.UTC(), l.step(t).UTC().Add(-time.Microsecond)
			return d, nil
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(l, v, time.UTC); err == nil {
			d.lo, d.hi = t.UTC(), t.UTC()
			return d, nil
		}
	}
	return d, hearth.Errorf(hearth.KindInvalid, "%q is not a date: use a FHIR date such as 2026-03-03 or 2026-03-03T10:00:00Z, with an optional prefix such as ge", v)
}

// matches reports whether a value spanning [a, b] meets the parameter
// (FHIR R4 search, "date": each prefix over the ranges).
func (d dateParam) matches(a, b time.Time) bool {
	if b.IsZero() || b.Before(a) {
		b = a
	}
	contains := !a.Before(d.lo) && !b.After(d.hi)
	switch d.prefix {
	case "eq":
		return contains
	case "ne":
		return !contains
	case "gt":
		return b.After(d.hi)
	case "lt":
		return a.Before(d.lo)
	case "ge":
		return b.After(d.hi) || contains
	case "le":
		return a.Before(d.lo) || contains
	case "sa":
		return a.After(d.hi)
	case "eb":
		return b.Before(d.lo)
	}
	return false
}

func (t tokenParam) matches(c Coding) bool {
	switch {
	case t.anySystem:
		return c.Code == t.code
	case t.code == "":
		return c.System == t.system
	case t.system == "":
		return c.System == "" && c.Code == t.code
	}
	return c.System == t.system && c.Code == t.code
}

func anyToken(list []tokenParam, codes []Coding) bool {
	for _, t := range list {
		for _, c := range codes {
			if t.matches(c) {
				return true
			}
		}
	}
	return false
}

// window is the widest time window the date parameters allow, for the
// loaders to read less; each entry is still matched exactly.
func (q query) window() (from, to time.Time) {
	for _, d := range q.dates {
		switch d.prefix {
		case "eq", "ge", "gt", "sa":
			if from.IsZero() || d.lo.After(from) {
				from = d.lo
			}
		}
		switch d.prefix {
		case "eq", "le", "lt", "eb":
			if to.IsZero() || d.hi.Before(to) {
				to = d.hi
			}
		}
	}
	// A visit is found by when it happened, which lies within a day of
	// its window: widen by a day either side.
	if !from.IsZero() {
		from = from.AddDate(0, 0, -1)
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	return from, to
}

// keep reports whether an entry meets every parameter.
func (q query) keep(e *entry) bool {
	if len(q.ids) > 0 && !contains(q.ids, e.id) {
		return false
	}
	for _, d := range q.dates {
		if e.from.IsZero() || !d.matches(e.from, e.to) {
			return false
		}
	}
	for _, d := range q.updated {
		if !d.matches(e.lastUpdated(), time.Time{}) {
			return false
		}
	}
	for _, list := range q.codes {
		if !anyToken(list, e.codes) {
			return false
		}
	}
	return true
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// order sorts entries by the _sort keys; by default the newest clinical
// time first, then id.
func (q query) order(list []*entry) {
	keys := q.sort
	if len(keys) == 0 {
		keys = []sortKey{{name: "date", desc: true}}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		for _, k := range keys {
			var c int
			switch k.name {
			case "_id":
				c = strings.Compare(a.id, b.id)
			case "_lastUpdated":
				c = a.lastUpdated().Compare(b.lastUpdated())
			default:
				c = a.from.Compare(b.from)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return a.id < b.id
	})
}
