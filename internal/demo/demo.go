// Package demo fills a database with a plausible provider so a newcomer sees
// a living service: two locations, about forty people with varied UK names
// and NHS numbers from the 999 test range (never issued to real people), and
// staff in every role with TOTP already set up. It writes through the same
// services as everyone else, so the demo's own data entry is in the audit
// log. Seeding is idempotent: run it twice and nothing is added twice.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"math/rand/v2"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/door"
	"hearth/internal/people"
)

// ProviderName marks a demo database.
const ProviderName = "Hearth Demo Care Ltd"

// Password is every demo account's password. It is printed by `hearth demo`.
const Password = "demo-password-2026"

// Account is a demo sign-in.
type Account struct {
	Username, Name string
	Role           access.Role
	Location       string // "" for provider-wide or none
	TOTPSecret     string
	ID             string
	Portal         string // for a portal account: whose record, in words
}

// Result is what Seed made (or found).
type Result struct {
	Created   bool
	Accounts  []Account
	People    int
	Locations []people.Location
}

// Secret is the demo TOTP secret for a username: derived, so that a second
// run prints the same secrets without reading them back from the database.
func Secret(username string) string {
	sum := sha256.Sum256([]byte("hearth demo totp " + username))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:20])
}

type staffSpec struct {
	username, name string
	role           access.Role
	location       int // index into locations; -1 for all, -2 for none
}

var staff = []staffSpec{
	{"grace", "Grace Okafor", access.RegisteredManager, 0},
	{"tomasz", "Tomasz Nowak", access.RegisteredManager, 1},
	{"sian", "Siân Hughes", access.IGLead, -1},
	{"priya", "Priya Shah", access.Administrator, -2},
	{"eilidh", "Eilidh MacLeod", access.Nurse, -2},
	{"kwame", "Kwame Mensah", access.SeniorCarer, -2},
	{"amy", "Amy Clarke", access.CareWorker, -2},
	{"dan", "Daniel O'Brien", access.CareWorker, -2},
	{"fatima", "Fatima Begum", access.CareWorker, -2},
	{"lewis", "Lewis Evans", access.CareWorker, -2},
}

var givenNames = []string{"Margaret", "Dafydd", "Aoife", "Harold", "Joyce", "Rajesh", "Winifred", "Stanislaw", "Beryl",
	"Desmond", "Niamh", "Gurpreet", "Eileen", "Alun", "Doreen", "Mohammed", "Kathleen", "Cyril", "Gwenllian", "Patrick",
	"Iris", "Winston", "Morag", "Ahmed", "Maureen", "Ewan", "Olwen", "Samuel", "Hyacinth", "Bronwen", "Leonard", "Siobhán",
	"Mabel", "Tariq", "Agnes", "Hamish", "Precious", "Zofia", "Norman", "Ffion"}

var familyNames = []string{"Thompson", "ap Rhys", "O'Sullivan", "Bennett", "Patel", "Kowalski", "Jenkins", "Campbell",
	"Ahmed", "Walker", "Ní Bhriain", "Singh", "Roberts", "Morgan", "Hughes", "Hussain", "Murphy", "Fraser", "Edwards",
	"Clarke", "Williams", "Baptiste", "MacDonald", "Khan", "Davies", "Stewart", "Price", "Okonkwo", "Brown", "Llewellyn",
	"Taylor", "Ó Briain", "Green", "Mahmood", "Wilson", "Gordon", "Adeyemi", "Nowakowska", "Wright", "Pritchard"}

var preferred = map[int]string{0: "Peggy", 3: "Harry", 9: "Des", 15: "Mo", 16: "Kath", 24: "Mo", 30: "Len"}

var streets = []string{"Church Lane", "Station Road", "Heol y Parc", "Victoria Street", "Mill Road", "Park Avenue",
	"The Crescent", "Queen Street", "Orchard Close", "Bridge Street"}

// Seed creates the demo provider unless it is already there.
func Seed(ctx context.Context, a *app.App) (Result, error) {
	var res Result
	for _, s := range staff {
		res.Accounts = append(res.Accounts, Account{Username: s.username, Name: s.name, Role: s.role, TOTPSecret: Secret(s.username)})
	}
	res.Accounts = append(res.Accounts, portalAccounts()...)
	if p, err := a.People.Provider(ctx); err == nil {
		if p.Name != ProviderName {
			return res, fmt.Errorf("demo: this database already holds %q; use a new file for the demo", p.Name)
		}
		return fill(ctx, a, res)
	} else if hearth.KindOf(err) != hearth.KindNotFound {
		return res, err
	}
	res.Created = true
	now := a.Config.Clock()
	prov, err := a.People.CreateProvider(ctx, ProviderName, now)
	if err != nil {
		return res, err
	}
	home, err := a.People.CreateLocation(ctx, prov.ID, "Rowan House", people.CareHome, now)
	if err != nil {
		return res, err
	}
	branch, err := a.People.CreateLocation(ctx, prov.ID, "Riverside Home Care", people.DomiciliaryBranch, now)
	if err != nil {
		return res, err
	}
	locs := []people.Location{home, branch}
	op := accounts.Operator("hearth demo")
	meta := accounts.Meta{ClientAddr: "demo", RequestID: "demo-seed"}
	actors := map[string]door.Actor{}
	for i, s := range staff {
		var locIDs []string
		switch {
		case s.location >= 0:
			locIDs = []string{locs[s.location].ID}
		case s.location == -1:
			locIDs = []string{home.ID, branch.ID}
		}
		u, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Kind: access.KindStaff, Username: s.username, DisplayName: s.name,
			Password: Password, Role: s.role, LocationIDs: locIDs, By: op, Meta: meta})
		if err != nil {
			return res, fmt.Errorf("demo: add %s: %w", s.username, err)
		}
		if err := a.Accounts.ProvisionTOTP(ctx, u.ID, Secret(s.username), op, meta); err != nil {
			return res, err
		}
		res.Accounts[i].ID = u.ID
		actors[s.username] = door.Actor{Subject: access.Subject{ID: u.ID, Kind: access.KindStaff, Role: s.role}, Name: s.name,
			ClientAddr: "demo", RequestID: "demo-seed"}
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	managers := []door.Actor{actors["grace"], actors["tomasz"]}
	since := now.AddDate(0, 0, -42)
	for i := range givenNames {
		loc := 0
		if i >= 24 {
			loc = 1
		}
		dob := time.Date(1928+rng.IntN(50), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		p, err := a.People.Register(ctx, managers[loc], people.NewPerson{
			LocationID: locs[loc].ID, GivenName: givenNames[i], FamilyName: familyNames[i], PreferredName: preferred[i],
			DateOfBirth: dob, NHSNumber: nhsNumber(i),
			Address: fmt.Sprintf("%d %s", 1+rng.IntN(120), streets[rng.IntN(len(streets))]), Postcode: postcode(rng),
		})
		if err != nil {
			return res, fmt.Errorf("demo: register %s %s: %w", givenNames[i], familyNames[i], err)
		}
		team := careTeam(i, loc)
		for _, username := range team {
			if _, err := a.People.AssignCareTeam(ctx, managers[loc], p.ID, actors[username].ID, since, time.Time{}); err != nil {
				return res, err
			}
		}
	}
	if err := seedCareRecord(ctx, a, actors); err != nil {
		return res, err
	}
	if err := seedConsent(ctx, a, actors); err != nil {
		return res, err
	}
	if err := seedCareObs(ctx, a, actors); err != nil {
		return res, err
	}
	if err := seedPortal(ctx, a, actors); err != nil {
		return res, err
	}
	if err := seedTech(ctx, a, actors); err != nil {
		return res, err
	}
	return fill(ctx, a, res)
}

// careTeam spreads people across the care workers, with the nurse and senior
// carer on everyone at the care home. Lewis works for the home care branch.
func careTeam(i, loc int) []string {
	if loc == 1 {
		return []string{"lewis", []string{"amy", "dan"}[i%2]}
	}
	workers := []string{"amy", "dan", "fatima"}
	return []string{workers[i%3], workers[(i+1)%3], "eilidh", "kwame"}
}

func nhsNumber(i int) string {
	for n := 100000 + i*37; ; n++ {
		nine := fmt.Sprintf("999%06d", n)
		if d := people.CheckDigit(nine); d >= 0 {
			return fmt.Sprintf("%s%d", nine, d)
		}
	}
}

func postcode(rng *rand.Rand) string {
	areas := []string{"CF10", "LL57", "SA1", "M14", "B12", "LS6", "BS3", "NE4"}
	return fmt.Sprintf("%s %d%c%c", areas[rng.IntN(len(areas))], 1+rng.IntN(9), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)))
}

// fill completes the result with what is in the database.
func fill(ctx context.Context, a *app.App, res Result) (Result, error) {
	locs, err := a.People.Locations(ctx)
	if err != nil {
		return res, err
	}
	res.Locations = locs
	// The demo registers exactly these people; counting them again would
	// be a read of everyone's record by no one.
	res.People = len(givenNames)
	for i := range res.Accounts {
		if u, err := a.Accounts.ByUsername(ctx, res.Accounts[i].Username); err == nil {
			res.Accounts[i].ID = u.ID
		}
	}
	return res, nil
}
