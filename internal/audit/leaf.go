package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Leaf formats: how an event becomes the bytes its leaf of the tree commits
// to. docs/audit-leaf.md describes both exactly, for verifiers written in
// other languages.
const (
	// LeafV1 is the whole event as Go's encoding/json writes it. Events
	// appended before format 2 keep it forever: their leaves are sealed.
	LeafV1 = 1
	// LeafV2 shows the fields the person may see and commits to the rest
	// (and a per-event random salt) by one SHA-256 hash, so a receipt can
	// prove an event without revealing a staff member's client address,
	// Hearth's request ID, or what someone refused typed.
	LeafV2 = 2
)

const (
	leafHeaderV2    = "hearth-audit-leaf/2\n"
	privateHeaderV2 = "hearth-audit-private/2\n"
	// timeLayoutV2 is RFC 3339 in UTC with exactly six fractional digits:
	// events are stored to the microsecond on both engines.
	timeLayoutV2 = "2006-01-02T15:04:05.000000Z"
	saltBytes    = 16
)

// field is an event field, numbered in the one order every leaf and
// receipt uses (the order of Event's fields and of format 1's JSON).
type field uint8

const (
	fID field = iota
	fAt
	fActorID
	fActorName
	fActorRole
	fActorKind
	fAction
	fResourceType
	fResourceID
	fPersonID
	fPurpose
	fDecision
	fReason
	fReasonText
	fBasisID
	fBreakGlass
	fSpecialBasis
	fOutcome
	fDetail
	fClientAddr
	fRequestID
	numFields
)

var fieldNames = [numFields]string{"id", "at", "actor_id", "actor_name", "actor_role", "actor_kind", "action",
	"resource_type", "resource_id", "person_id", "purpose", "decision", "reason", "reason_text", "basis_id",
	"break_glass", "special_basis", "outcome", "detail", "client_addr", "request_id"}

// fieldSet is a set of fields, one bit each.
type fieldSet uint32

const allFields fieldSet = 1<<numFields - 1

func setOf(fs ...field) fieldSet {
	var s fieldSet
	for _, f := range fs {
		s |= 1 << f
	}
	return s
}

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }

var (
	// alwaysPrivate are never shown to the person: an account's internal
	// ID, the address its request came from, and Hearth's request ID say
	// nothing about their record and could help someone trace a member of
	// staff.
	alwaysPrivate = setOf(fActorID, fClientAddr, fRequestID)
	// refusedPrivate are also kept back when the access was refused: who
	// tried, and the text that went with it (a break-glass reason is typed
	// freely, and anyone with a staff login could otherwise write into any
	// person's history). The information governance lead reads them in
	// Hearth; the person is told that someone without access tried.
	refusedPrivate = setOf(fActorName, fReasonText, fDetail)
)

// Refused reports whether the event records an access that was refused.
func (e Event) Refused() bool { return e.Decision == "deny" || e.Outcome == OutcomeDenied }

// private is the set of fields that format 2 commits to by hash only.
func (e Event) private() fieldSet {
	if e.Refused() {
		return alwaysPrivate | refusedPrivate
	}
	return alwaysPrivate
}

// text is a field's value as a format 2 leaf writes it: strings as they
// are (UTF-8), booleans as true or false, the time as timeLayoutV2.
func (e Event) text(f field) string {
	switch f {
	case fID:
		return e.ID
	case fAt:
		return e.At.UTC().Format(timeLayoutV2)
	case fActorID:
		return e.ActorID
	case fActorName:
		return e.ActorName
	case fActorRole:
		return e.ActorRole
	case fActorKind:
		return e.ActorKind
	case fAction:
		return e.Action
	case fResourceType:
		return e.ResourceType
	case fResourceID:
		return e.ResourceID
	case fPersonID:
		return e.PersonID
	case fPurpose:
		return e.Purpose
	case fDecision:
		return e.Decision
	case fReason:
		return e.Reason
	case fReasonText:
		return e.ReasonText
	case fBasisID:
		return e.BasisID
	case fBreakGlass:
		return strconv.FormatBool(e.BreakGlass)
	case fSpecialBasis:
		return strconv.FormatBool(e.SpecialBasis)
	case fOutcome:
		return e.Outcome
	case fDetail:
		return e.Detail
	case fClientAddr:
		return e.ClientAddr
	case fRequestID:
		return e.RequestID
	}
	return ""
}

// str returns a pointer to a string field, or nil for the time and the
// booleans.
func (e *Event) str(f field) *string {
	switch f {
	case fID:
		return &e.ID
	case fActorID:
		return &e.ActorID
	case fActorName:
		return &e.ActorName
	case fActorRole:
		return &e.ActorRole
	case fActorKind:
		return &e.ActorKind
	case fAction:
		return &e.Action
	case fResourceType:
		return &e.ResourceType
	case fResourceID:
		return &e.ResourceID
	case fPersonID:
		return &e.PersonID
	case fPurpose:
		return &e.Purpose
	case fDecision:
		return &e.Decision
	case fReason:
		return &e.Reason
	case fReasonText:
		return &e.ReasonText
	case fBasisID:
		return &e.BasisID
	case fOutcome:
		return &e.Outcome
	case fDetail:
		return &e.Detail
	case fClientAddr:
		return &e.ClientAddr
	case fRequestID:
		return &e.RequestID
	}
	return nil
}

// line appends one line of a format 2 leaf or private part: the name, '=',
// the value's length in bytes in decimal, ':', the value's bytes, '\n'. The
// length makes any value safe, newlines included, with no escaping.
func line(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '=')
	b = strconv.AppendInt(b, int64(len(value)), 10)
	b = append(b, ':')
	b = append(b, value...)
	return append(b, '\n')
}

// privateHash is the commitment to the fields in private and the salt.
func (e Event) privateHash(private fieldSet) string {
	b := make([]byte, 0, 256)
	b = append(b, privateHeaderV2...)
	b = line(b, "salt", e.Salt)
	for f := range numFields {
		if private.has(f) {
			b = line(b, fieldNames[f], e.text(f))
		}
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// leafV2 writes the shown fields in order, then the commitment to the rest.
func (e Event) leafV2(shown fieldSet, private string) []byte {
	b := make([]byte, 0, 512)
	b = append(b, leafHeaderV2...)
	for f := range numFields {
		if shown.has(f) {
			b = line(b, fieldNames[f], e.text(f))
		}
	}
	return line(b, "private", private)
}

// Leaf returns the exact bytes the event's leaf of the tree commits to, in
// its leaf format; the tree hashes them as an RFC 6962 leaf. An event read
// back from the log carries its format and salt; an event not yet appended
// has neither, and its leaf means nothing.
func (e Event) Leaf() []byte {
	if e.LeafFormat == LeafV1 {
		return e.canonicalV1()
	}
	p := e.private()
	b := e.leafV2(allFields&^p, e.privateHash(p))
	if e.LeafFormat != LeafV2 {
		// A format Hearth never wrote (the column was tampered with):
		// a leaf that matches nothing sealed.
		b = append([]byte(fmt.Sprintf("hearth-audit-leaf/unknown-%d\n", e.LeafFormat)), b...)
	}
	return b
}

// eventV1 is Event as it was when format 1 leaves were sealed. It is frozen:
// fields added to Event since must never change a format 1 leaf.
type eventV1 struct {
	ID           string    `json:"id"`
	At           time.Time `json:"at"`
	ActorID      string    `json:"actor_id"`
	ActorName    string    `json:"actor_name"`
	ActorRole    string    `json:"actor_role"`
	ActorKind    string    `json:"actor_kind"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	PersonID     string    `json:"person_id"`
	Purpose      string    `json:"purpose"`
	Decision     string    `json:"decision"`
	Reason       string    `json:"reason"`
	ReasonText   string    `json:"reason_text"`
	BasisID      string    `json:"basis_id"`
	BreakGlass   bool      `json:"break_glass"`
	SpecialBasis bool      `json:"special_basis"`
	Outcome      string    `json:"outcome"`
	Detail       string    `json:"detail"`
	ClientAddr   string    `json:"client_addr"`
	RequestID    string    `json:"request_id"`
}

func (e Event) toV1() eventV1 {
	return eventV1{e.ID, e.At.UTC(), e.ActorID, e.ActorName, e.ActorRole, e.ActorKind, e.Action, e.ResourceType,
		e.ResourceID, e.PersonID, e.Purpose, e.Decision, e.Reason, e.ReasonText, e.BasisID, e.BreakGlass,
		e.SpecialBasis, e.Outcome, e.Detail, e.ClientAddr, e.RequestID}
}

func (v eventV1) event() Event {
	return Event{ID: v.ID, At: v.At.UTC(), ActorID: v.ActorID, ActorName: v.ActorName, ActorRole: v.ActorRole,
		ActorKind: v.ActorKind, Action: v.Action, ResourceType: v.ResourceType, ResourceID: v.ResourceID,
		PersonID: v.PersonID, Purpose: v.Purpose, Decision: v.Decision, Reason: v.Reason, ReasonText: v.ReasonText,
		BasisID: v.BasisID, BreakGlass: v.BreakGlass, SpecialBasis: v.SpecialBasis, Outcome: v.Outcome,
		Detail: v.Detail, ClientAddr: v.ClientAddr, RequestID: v.RequestID, LeafFormat: LeafV1}
}

// canonicalV1 is the format 1 leaf: the frozen struct through encoding/json,
// times in UTC with as many fractional digits as they need.
func (e Event) canonicalV1() []byte {
	b, err := json.Marshal(e.toV1())
	if err != nil {
		// json.Marshal cannot fail for this struct of strings, bools and a time.
		panic(fmt.Sprintf("audit: encode event: %v", err))
	}
	return b
}

// newSalt returns a fresh random salt, in hex: with it, the commitment to
// an event's private fields cannot be tested against guesses (a staff
// member's likely addresses are few enough to try them all).
func newSalt() (string, error) {
	b := make([]byte, saltBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("audit: salt: %w", err)
	}
	return hex.EncodeToString(b), nil
}
