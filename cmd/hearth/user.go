package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
)

const userUsage = `Manage staff and inspector accounts. Every change is audited, naming the
operating-system user who ran the command.

Usage:
  hearth user add --username NAME --name "Display Name" --role ROLE [--location NAME-OR-ID]... [--password P]
  hearth user add --kind inspector --username NAME --name "Display Name" [--password P]
  hearth user list
  hearth user disable USERNAME
  hearth user reset-mfa USERNAME

Roles: %s

An inspector's account has no role and no locations: what they may read comes
only from an inspection grant, which the information governance lead gives
for a bounded period on the Inspections page. Like staff, an inspector sets up
an authenticator app at their first sign-in and gives a code every time.
`

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var roles []string
	for _, r := range access.Roles() {
		roles = append(roles, r.String())
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stdout, userUsage, strings.Join(roles, ", "))
		if len(args) == 0 {
			return exitError{2, "user: say which: add, list, disable or reset-mfa"}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	f := newFlags("user "+sub, "Manage staff and inspector accounts.", stderr)
	c := addCommon(f, "hearth.db")
	var kind, username, name, role, password *string
	var locations multiFlag
	if sub == "add" {
		kind = f.String("kind", "staff", "staff, or inspector (a regulator's inspector: read-only, only under an inspection grant)")
		username = f.String("username", "", "sign-in name: letters, digits, '.', '_' or '-'")
		name = f.String("name", "", "name shown to colleagues and in the audit log")
		role = f.String("role", "", "one of: "+strings.Join(roles, ", "))
		password = f.String("password", "", "initial password (default: a random one, printed once)")
		f.FlagSet.Var(&locations, "location", "a location where they work, by name or ID; a location-wide role covers everyone there (repeatable)")
	}
	if err := f.Parse(rest); err != nil {
		return err
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	by := accounts.Operator(operatorName())
	meta := accounts.Meta{ClientAddr: "command line"}
	switch sub {
	case "add":
		pw := *password
		generated := pw == ""
		if generated {
			pw = randomPassword()
		}
		k := access.ParseKind(*kind)
		var r access.Role
		switch k {
		case access.KindStaff:
			if r = access.ParseRole(*role); r == access.RoleNone {
				return exitError{2, fmt.Sprintf("user add: --role must be one of %s", strings.Join(roles, ", "))}
			}
			if locations, err = locationIDs(ctx, a, locations); err != nil {
				return err
			}
		case access.KindInspector:
			if *role != "" || len(locations) > 0 {
				return exitError{2, "user add: an inspector has no --role or --location; an inspection grant says what they may read"}
			}
		default:
			return exitError{2, "user add: --kind must be staff or inspector (people and representatives join through a portal invitation)"}
		}
		u, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Kind: k, Username: *username, DisplayName: *name,
			Password: pw, Role: r, LocationIDs: locations, By: by, Meta: meta})
		if err != nil {
			return err
		}
		if k == access.KindInspector {
			fmt.Fprintf(stdout, "Added %s (%s) as an inspector. They read nothing until the information governance lead grants them inspection access.\n",
				u.DisplayName, u.Username)
		} else {
			fmt.Fprintf(stdout, "Added %s (%s) as %s.\n", u.DisplayName, u.Username, u.Role.Title())
		}
		if generated {
			fmt.Fprintf(stdout, "Initial password (shown once): %s\n", pw)
		}
		fmt.Fprintln(stdout, "They set up their authenticator app the first time they sign in.")
	case "list":
		users, err := a.Accounts.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USERNAME\tNAME\tKIND\tROLE\tMFA\tSTATUS")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			}
			mfa := "not set up"
			if u.Enrolled {
				mfa = "set up"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.DisplayName, u.Kind, u.Role, mfa, status)
		}
		return tw.Flush()
	case "disable", "reset-mfa":
		if f.NArg() != 1 {
			return exitError{2, fmt.Sprintf("user %s: give one username", sub)}
		}
		u, err := a.Accounts.ByUsername(ctx, f.Arg(0))
		if err != nil {
			return err
		}
		if sub == "disable" {
			err = a.Accounts.Disable(ctx, u.ID, by, meta)
		} else {
			err = a.Accounts.ResetMFA(ctx, u.ID, by, meta)
		}
		if err != nil {
			return err
		}
		if sub == "disable" {
			fmt.Fprintf(stdout, "Disabled %s and ended their sessions.\n", u.Username)
		} else {
			fmt.Fprintf(stdout, "Reset MFA for %s: they set up a new authenticator at their next sign-in.\n", u.Username)
		}
	default:
		return exitError{2, fmt.Sprintf("user: unknown command %q (add, list, disable, reset-mfa)", sub)}
	}
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func operatorName() string {
	if u, err := user.Current(); err == nil {
		return "command line (" + u.Username + ")"
	}
	if n := os.Getenv("USER"); n != "" {
		return "command line (" + n + ")"
	}
	return "command line"
}

func randomPassword() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// locationIDs turns locations given by name into their IDs; IDs and names
// that match no location are passed on for the accounts service to refuse.
func locationIDs(ctx context.Context, a *app.App, given []string) ([]string, error) {
	if len(given) == 0 {
		return given, nil
	}
	all, err := a.People.Locations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(given))
	for _, g := range given {
		id := g
		for _, l := range all {
			if strings.EqualFold(strings.TrimSpace(g), l.Name) && l.Open() {
				id = l.ID
			}
		}
		out = append(out, id)
	}
	return out, nil
}
