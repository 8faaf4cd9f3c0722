package audit_test

import (
	"testing"
	"time"

	"hearth/internal/audit"
)

func TestAPersonSeesWhoAccessedTheirRecordButOnlyTheRoleOfSomeoneRefused(t *testing.T) {
	at := time.Date(2026, 11, 3, 22, 1, 5, 0, time.UTC)
	const ann, daughter = "account-ann", "account-sarah"
	staff := func(decision, reason, detail string) audit.Event {
		outcome := audit.OutcomeSuccess
		if decision == "deny" {
			outcome = audit.OutcomeDenied
		}
		return audit.Event{ID: "ev-1", At: at, ActorID: "user-9", ActorName: "Pat Doyle", ActorRole: "administrator",
			ActorKind: "staff", Action: "break-glass", PersonID: "person-1", Decision: decision, Reason: reason,
			ReasonText: "the sentence for " + reason, Outcome: outcome, Detail: detail, ClientAddr: "198.51.100.77",
			RequestID: "req-1", LeafFormat: audit.LeafV2, Salt: "00"}
	}
	portalRefusal := func(kind, actor, name, reason string) audit.Event {
		return audit.Event{ID: "ev-2", At: at, ActorID: actor, ActorName: name, ActorRole: kind, ActorKind: kind,
			Action: "read-record", PersonID: "person-1", Decision: "deny", Reason: reason, ReasonText: "the sentence for " + reason,
			Outcome: audit.OutcomeDenied, Detail: "daily notes", LeafFormat: audit.LeafV2}
	}
	tests := []struct {
		name     string
		event    audit.Event
		viewer   string
		stranger bool
		who, why string
		detail   string
		receipt  bool
	}{
		{"an allowed emergency access shows who, why and what they wrote", staff("permit", "break-glass", "emergency access: fell in the lounge"), ann,
			false, "Pat Doyle", "the sentence for break-glass", "emergency access: fell in the lounge", true},
		{"a refused emergency access shows only that someone without access tried", staff("deny", "no-permission", "emergency access: she owes me money"), ann,
			true, "", "", "", true},
		{"another person's portal account refused for having no link is someone without access",
			portalRefusal("person", "account-bob", "Bob Hughes", "no-relationship"), ann, true, "", "", "", true},
		{"a portal account refused for the wrong purpose is someone without access",
			portalRefusal("person", "account-bob", "Bob Hughes", "wrong-purpose"), ann, true, "", "", "", true},
		{"an entry withheld from the person is theirs, and says so to them",
			portalRefusal("person", ann, "Ann Jones", "withheld"), ann, false, "Ann Jones", "An entry withheld from you was not shown.", "daily notes", true},
		{"an entry withheld from their representative is shown to the person by the representative's name",
			portalRefusal("representative", daughter, "Sarah Jones", "withheld"), ann, false, "Sarah Jones", "An entry withheld from Sarah Jones was not shown.", "daily notes", true},
		{"a representative refused outside their authority is theirs",
			portalRefusal("representative", daughter, "Sarah Jones", "outside-authority"), ann, false, "Sarah Jones", "the sentence for outside-authority", "daily notes", true},
		{"the person's own refusal for a permission they lack is theirs",
			portalRefusal("person", ann, "Ann Jones", "no-permission"), ann, false, "Ann Jones", "the sentence for no-permission", "daily notes", true},
		{"the person's refusal for a permission they lack, seen by their representative, names no one",
			portalRefusal("person", ann, "Ann Jones", "no-permission"), daughter, true, "", "", "", true},
		{"an access recorded before leaf format 2 has no receipt",
			func() audit.Event { e := staff("permit", "care-team", ""); e.LeafFormat = audit.LeafV1; return e }(), ann,
			false, "Pat Doyle", "the sentence for care-team", "", false},
		{"this visit's own access, not yet written, has no receipt",
			func() audit.Event { e := staff("permit", "care-team", ""); e.ID, e.LeafFormat = "", 0; return e }(), ann,
			false, "Pat Doyle", "the sentence for care-team", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.event.ForPerson(tt.viewer)
			if v.Stranger != tt.stranger || v.Name != tt.who || v.Why != tt.why || v.Detail != tt.detail || v.Receipt != tt.receipt {
				t.Errorf("got stranger %t, who %q, why %q, detail %q, receipt %t;\nwant %t, %q, %q, %q, %t",
					v.Stranger, v.Name, v.Why, v.Detail, v.Receipt, tt.stranger, tt.who, tt.why, tt.detail, tt.receipt)
			}
			if v.Role != tt.event.ActorRole || !v.At.Equal(at) || v.Action != tt.event.Action || v.Refused != tt.event.Refused() {
				t.Errorf("role, time, action or refusal lost: %+v", v)
			}
		})
	}
}

func TestStaffOtherThanTheGovernanceLeadDoNotReadWhatSomeoneRefusedTyped(t *testing.T) {
	refused := refusedEvent()
	if got := refused.WithoutRefusedText(); got.Detail != "" || got.ActorName != refused.ActorName || got.ReasonText != refused.ReasonText {
		t.Errorf("refused, without its text: %+v", got)
	}
	allowed := readEvent(1)
	if got := allowed.WithoutRefusedText(); got != allowed {
		t.Errorf("an allowed access lost something: %+v", got)
	}
}
