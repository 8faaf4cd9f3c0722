package demo

import (
	"context"
	"fmt"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/door"
	"hearth/internal/portal"
)

// portalSpecs are the demo's portal accounts: a person using her own
// record, a daughter with a verified lasting power of attorney for health
// and welfare (her mother lacks capacity for decisions about her care, so
// she sees the care record), and a son with an attorney for property and
// finance, who sees nothing about his father's care.
var portalSpecs = []struct {
	username, name, given, family, representative string
}{
	{"aoife", "Aoife O'Sullivan", "Aoife", "O'Sullivan", ""},
	{"susan", "Susan Thompson", "Margaret", "Thompson", "Susan Thompson"},
	{"paul", "Paul Bennett", "Harold", "Bennett", "Paul Bennett"},
}

// portalAccounts are the portal sign-ins, printed with the staff's.
func portalAccounts() []Account {
	var out []Account
	for _, p := range portalSpecs {
		what := "Portal: " + p.given + " " + p.family + " herself"
		if p.representative != "" {
			what = "Portal: representative of " + p.given + " " + p.family
		}
		out = append(out, Account{Username: p.username, Name: p.name, Portal: what, TOTPSecret: Secret(p.username)})
	}
	return out
}

// seedPortal invites the portal accounts as Grace, the registered manager,
// accepts each invitation as the invitee would, and leaves some messages, a
// correction request and a withheld entry.
func seedPortal(ctx context.Context, a *app.App, actors map[string]door.Actor) error {
	grace, amy := actors["grace"], actors["amy"]
	op := accounts.Operator("hearth demo")
	meta := accounts.Meta{ClientAddr: "demo", RequestID: "demo-seed"}
	users := map[string]door.Actor{}
	people := map[string]string{}
	// Grace finds each person as she would: through the door.
	visible, err := a.People.Visible(ctx, grace)
	if err != nil {
		return err
	}
	for _, p := range portalSpecs {
		var personID string
		for _, v := range visible {
			if v.GivenName == p.given && v.FamilyName == p.family {
				personID = v.ID
			}
		}
		if personID == "" {
			return fmt.Errorf("demo: portal: %s %s is not at Grace's location", p.given, p.family)
		}
		people[p.username] = personID
		inv := portal.NewInvitation{PersonID: personID, Kind: access.KindPerson, Name: p.name}
		if p.representative != "" {
			inv.Kind = access.KindRepresentative
			pg, err := a.Consent.Page(ctx, grace, personID)
			if err != nil {
				return err
			}
			for _, r := range pg.Representatives {
				if r.Name == p.representative {
					inv.RepresentativeID = r.ID
				}
			}
			if inv.RepresentativeID == "" {
				return fmt.Errorf("demo: portal: %s is not recorded as a representative", p.representative)
			}
		}
		_, code, err := a.Portal.Invite(ctx, grace, inv)
		if err != nil {
			return fmt.Errorf("demo: portal: invite %s: %w", p.username, err)
		}
		u, err := a.Portal.Accept(ctx, portal.Acceptance{Code: code, Username: p.username, Password: Password, Meta: meta})
		if err != nil {
			return fmt.Errorf("demo: portal: accept %s: %w", p.username, err)
		}
		if err := a.Accounts.ProvisionTOTP(ctx, u.ID, Secret(p.username), op, meta); err != nil {
			return err
		}
		users[p.username] = door.Actor{Subject: u.Subject(), Name: u.DisplayName, ClientAddr: "demo", RequestID: "demo-seed"}
	}
	aoife, margaret := people["aoife"], people["susan"]
	if _, err := a.Portal.Send(ctx, users["aoife"], aoife, "Could my niece visit on Sunday afternoon? She is coming from Cork."); err != nil {
		return err
	}
	if _, err := a.Portal.Send(ctx, amy, aoife, "Of course. Sunday afternoon is fine; we will have the quiet lounge ready for you both."); err != nil {
		return err
	}
	if _, err := a.Portal.Send(ctx, users["susan"], margaret, "Mum seemed tired on the phone yesterday. Is she sleeping well?"); err != nil {
		return err
	}
	if _, err := a.Portal.RequestCorrection(ctx, users["aoife"], aoife, portal.NewCorrection{Entry: "My date of moving in",
		Request: "My record says I moved in during March. It was February, the week after my birthday."}); err != nil {
		return err
	}
	notes, err := a.Care.Notes(ctx, grace, margaret, 30)
	if err != nil {
		return err
	}
	if len(notes.Notes) > 0 {
		if _, err := a.Portal.Withhold(ctx, grace, margaret, portal.NewWithheld{ResourceType: "Observation", ResourceID: notes.Notes[0].ID,
			Category: portal.WithheldThirdParty, Reason: "The note records what another resident said about their own family."}); err != nil {
			return err
		}
	}
	return nil
}
