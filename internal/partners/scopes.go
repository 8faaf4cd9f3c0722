package partners

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is one SMART App Launch v2 system scope, such as system/Patient.rs:
// a partner system acting on its own behalf may read (r) or search (s) one
// resource type, or every type (*). Partner systems only ever read: the
// door refuses them anything else, so create, update and delete (c, u, d)
// are not granted.
type Scope struct {
	ResourceType string // a FHIR resource type, or "*"
	Read         bool
	Search       bool
}

func (s Scope) String() string {
	perms := ""
	if s.Read {
		perms += "r"
	}
	if s.Search {
		perms += "s"
	}
	return "system/" + s.ResourceType + "." + perms
}

// covers reports whether s grants everything o asks for. "*" is every
// type an agreement can cover, and nothing else: the directory (staff,
// locations), AuditEvent and Provenance are in no data category, so no
// scope reaches them.
func (s Scope) covers(o Scope) bool {
	typeOK := s.ResourceType == o.ResourceType
	if s.ResourceType == "*" {
		_, inCategory := CategoryOf(o.ResourceType)
		typeOK = inCategory || o.ResourceType == "*"
	}
	return typeOK && (s.Read || !o.Read) && (s.Search || !o.Search)
}

// ParseScope reads one scope, saying what is wrong with it in words.
func ParseScope(v string) (Scope, error) {
	rest, ok := strings.CutPrefix(v, "system/")
	if !ok {
		return Scope{}, fmt.Errorf("%q is not a system scope: partner systems ask for scopes such as system/Patient.rs", v)
	}
	typ, perms, ok := strings.Cut(rest, ".")
	if !ok || typ == "" || perms == "" {
		return Scope{}, fmt.Errorf("%q is not a SMART v2 scope: write it as system/<resource type>.rs", v)
	}
	if typ != "*" {
		if _, known := CategoryOf(typ); !known {
			return Scope{}, fmt.Errorf("%q names %s, which no data-sharing agreement can cover", v, typ)
		}
	}
	switch perms {
	case "read":
		return Scope{}, fmt.Errorf("%q is a SMART v1 scope: ask for system/%s.rs instead", v, typ)
	case "r", "s", "rs":
	default:
		return Scope{}, fmt.Errorf("%q asks for %q: partner systems may only read (r) and search (s), in that order", v, perms)
	}
	return Scope{ResourceType: typ, Read: strings.Contains(perms, "r"), Search: strings.Contains(perms, "s")}, nil
}

// Scopes is a set of granted scopes.
type Scopes []Scope

// ParseScopes reads a space-separated list of scopes (OAuth 2.0 scope
// syntax, RFC 6749 section 3.3), dropping repeats.
func ParseScopes(v string) (Scopes, error) {
	var out Scopes
	for _, f := range strings.Fields(v) {
		sc, err := ParseScope(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

func (s Scopes) String() string {
	parts := make([]string, len(s))
	for i, sc := range s {
		parts[i] = sc.String()
	}
	return strings.Join(parts, " ")
}

// CanRead reports whether the scopes allow reading resources of this type
// by ID (read, vread, history of one resource).
func (s Scopes) CanRead(resourceType string) bool {
	return s.covers(Scope{ResourceType: resourceType, Read: true})
}

// CanSearch reports whether the scopes allow searching resources of this
// type (search, and operations such as $everything that return many).
func (s Scopes) CanSearch(resourceType string) bool {
	return s.covers(Scope{ResourceType: resourceType, Search: true})
}

func (s Scopes) covers(o Scope) bool {
	for _, sc := range s {
		if sc.covers(o) {
			return true
		}
	}
	return false
}

// within returns the first of want that s does not cover.
func (s Scopes) within(want Scopes) (Scope, bool) {
	for _, w := range want {
		if !s.covers(w) {
			return w, false
		}
	}
	return Scope{}, true
}
