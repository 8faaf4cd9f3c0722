package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Europe/London must be known wherever Hearth runs

	"golang.org/x/term"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/people"
)

const initSummary = `Set up a new provider on an empty database: the provider, its first
location(s) and its first registered manager. The manager chooses their
password and sets up their authenticator app through a one-time link, printed
once (only a hash of it is kept, and it expires); on a terminal you may instead
set both here. init refuses a database that already has a provider.

  hearth init --provider "Hearthside Care Ltd" --location "Rowan House:care home" \
    --manager-username grace.obi --manager-name "Grace Obi" --public-url https://care.example.org

A location is NAME:KIND or NAME:KIND:CQC-LOCATION-ID, where KIND is care home,
nursing home, home care branch, supported living or mental health ward.`

func cmdInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	interactive := term.IsTerminal(int(os.Stdin.Fd()))
	var con console
	if interactive {
		con = &terminal{in: bufio.NewReader(os.Stdin), out: stdout, fd: int(os.Stdin.Fd())}
	}
	return initProvider(ctx, args, con, stdout, stderr)
}

// console asks the person at a terminal for what the flags left out.
type console interface {
	Line(prompt string) (string, error)
	Secret(prompt string) (string, error) // typed without echo
}

type terminal struct {
	in  *bufio.Reader
	out io.Writer
	fd  int
}

func (t *terminal) Line(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	s, err := t.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

func (t *terminal) Secret(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	b, err := term.ReadPassword(t.fd)
	fmt.Fprintln(t.out)
	return string(b), err
}

// initProvider is init with its console given: nil when stdin is not a
// terminal, so every answer must come from the flags.
func initProvider(ctx context.Context, args []string, con console, stdout, stderr io.Writer) error {
	f := newFlags("init", initSummary, stderr)
	c := addCommon(f, "hearth.db")
	provider := f.String("provider", "", "the provider's name")
	cqc := f.String("cqc-provider-id", "", `the CQC provider ID, such as 1-101234567 (optional)`)
	ods := f.String("ods-code", "", "the NHS ODS code, 3 to 6 letters or digits (optional)")
	var locs multiFlag
	f.FlagSet.Var(&locs, "location", "a first location, NAME:KIND or NAME:KIND:CQC-LOCATION-ID (repeatable)")
	username := f.String("manager-username", "", "the first registered manager's sign-in name")
	name := f.String("manager-name", "", "the first registered manager's name")
	email := f.String("manager-email", "", "the first registered manager's email address (optional)")
	publicURL := f.String("public-url", "http://127.0.0.1:8080", "where people reach Hearth: the link printed starts with it")
	if err := f.Parse(args); err != nil {
		return err
	}
	ask := func(v *string, prompt string) error {
		if *v != "" || con == nil {
			return nil
		}
		s, err := con.Line(prompt)
		*v = s
		return err
	}
	if err := ask(provider, "Provider's name: "); err != nil {
		return err
	}
	if con != nil && len(locs) == 0 {
		l, err := con.Line("First location, as NAME:KIND (KIND: care home, nursing home, home care branch, supported living or mental health ward): ")
		if err != nil {
			return err
		}
		locs = append(locs, l)
	}
	if err := ask(name, "First registered manager's name: "); err != nil {
		return err
	}
	if err := ask(username, "Their username (letters, digits, '.', '_' or '-'): "); err != nil {
		return err
	}
	var missing []string
	for flagName, v := range map[string]string{"--provider": *provider, "--manager-username": *username, "--manager-name": *name} {
		if v == "" {
			missing = append(missing, flagName)
		}
	}
	if len(locs) == 0 {
		missing = append(missing, "--location")
	}
	if len(missing) > 0 {
		return exitError{2, "init: give " + strings.Join(slices.Sorted(slices.Values(missing)), ", ") + " (hearth init --help says how)"}
	}

	var nls []people.NewLocation
	var pr hearth.Problems
	for i, l := range locs {
		parts := strings.SplitN(l, ":", 3)
		nl := people.NewLocation{Name: parts[0]}
		if len(parts) > 1 {
			nl.Kind = parts[1]
		}
		if len(parts) > 2 {
			nl.CQCLocationID = parts[2]
		}
		if len(parts) < 2 {
			pr.Add(fmt.Sprintf("Location %d", i+1), fmt.Sprintf("write %q as NAME:KIND, such as \"Rowan House:care home\"", l))
		}
		nls = append(nls, nl)
	}
	if err := pr.Err(); err != nil {
		return err
	}
	inv := accounts.NewInvitation{Username: *username, DisplayName: *name, Email: *email, Role: access.RegisteredManager,
		LocationIDs: []string{"each location made below"}}
	if err := inv.Check(); err != nil {
		return fmt.Errorf("first registered manager: %w", err)
	}

	a, err := app.Open(ctx, app.Config{DB: *c.db, AuditKeyFile: *c.auditKey, Log: c.logger(stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	if p, err := a.People.Provider(ctx); err == nil {
		return exitError{1, fmt.Sprintf("init: this database already has a provider, %s; init only sets up an empty one", p.Name)}
	}
	prov, made, err := a.People.SetUp(ctx, people.NewProvider{Name: *provider, CQCProviderID: *cqc, ODSCode: *ods}, nls)
	if err != nil {
		return err
	}
	by := accounts.Operator(operatorName())
	meta := accounts.Meta{ClientAddr: "command line"}
	inv.LocationIDs = nil
	for _, l := range made {
		inv.LocationIDs = append(inv.LocationIDs, l.ID)
	}
	fmt.Fprintf(stdout, "Set up %s", prov.Name)
	if prov.CQCProviderID != "" {
		fmt.Fprintf(stdout, " (CQC %s)", prov.CQCProviderID)
	}
	fmt.Fprintf(stdout, " with %d location(s):\n", len(made))
	for _, l := range made {
		fmt.Fprintf(stdout, "  %s (%s)  ID %s\n", l.Name, l.SettingTitle(), l.ID)
	}
	fmt.Fprintln(stdout)

	if con != nil {
		answer, err := con.Line("Set the registered manager's password and authenticator here, now? Otherwise a one-time link is printed for them. [y/N] ")
		if err != nil {
			return err
		}
		if strings.HasPrefix(strings.ToLower(answer), "y") {
			return enrolHere(ctx, a, con, inv, by, meta, stdout)
		}
	}
	invitation, token, err := a.Accounts.Invite(ctx, by, inv, meta)
	if err != nil {
		return err
	}
	link := strings.TrimSuffix(*publicURL, "/") + "/invitation/" + token
	fmt.Fprintf(stdout, "%s (%s) is the registered manager. Send them this link. It is shown only once, works once and expires on %s:\n\n  %s\n\n",
		invitation.DisplayName, invitation.Username, invitation.ExpiresAt.In(london()).Format("2 January 2006 at 15:04"), link)
	fmt.Fprintln(stdout, "There they choose a password and set up their authenticator app. Start Hearth with: hearth serve")
	return nil
}

// enrolHere sets the first manager's password and authenticator at the
// terminal instead of through a link.
func enrolHere(ctx context.Context, a *app.App, con console, inv accounts.NewInvitation, by accounts.Actor, meta accounts.Meta, stdout io.Writer) error {
	var pw string
	for {
		p1, err := con.Secret("Password (at least 12 characters): ")
		if err != nil {
			return err
		}
		p2, err := con.Secret("The same password again: ")
		if err != nil {
			return err
		}
		if p1 != p2 {
			fmt.Fprintln(stdout, "The two passwords are not the same. Try again.")
			continue
		}
		if err := accounts.CheckPassword(inv.Username, p1); err != nil {
			printError(stdout, err)
			continue
		}
		pw = p1
		break
	}
	u, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Kind: access.KindStaff, Username: inv.Username, DisplayName: inv.DisplayName,
		Password: pw, Role: access.RegisteredManager, LocationIDs: inv.LocationIDs, By: by, Meta: meta})
	if err != nil {
		return err
	}
	secret := accounts.GenerateSecret()
	fmt.Fprintf(stdout, "\nAdd this to %s's authenticator app (type the key, or open the link on the phone):\n  key:  %s\n  link: %s\n\n",
		u.DisplayName, secret, accounts.ProvisioningURL(secret, u.Username))
	for {
		code, err := con.Line("The 6-digit code the app shows now: ")
		if err != nil {
			return err
		}
		codes, err := a.Accounts.EnrolTOTP(ctx, u.ID, secret, code, by, meta)
		if hearth.KindOf(err) == hearth.KindInvalid {
			printError(stdout, err)
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s (%s) can sign in now. Their recovery codes, each usable once if the phone is lost (shown only now):\n", u.DisplayName, u.Username)
		for _, c := range codes {
			fmt.Fprintln(stdout, "  "+c)
		}
		fmt.Fprintln(stdout, "\nStart Hearth with: hearth serve")
		return nil
	}
}

// london is UK time, for the dates printed to people.
func london() *time.Location {
	if loc, err := time.LoadLocation("Europe/London"); err == nil {
		return loc
	}
	return time.UTC
}
