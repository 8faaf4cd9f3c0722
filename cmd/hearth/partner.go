package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"hearth/internal/app"
	"hearth/internal/partners"
)

const partnerUsage = `Manage partner systems: the partner organisations' systems that read
records through the FHIR API (SMART Backend Services). Every change is
audited, naming the operating-system user who ran the command. What a
partner may receive is set by the data-sharing agreements the information
governance lead records in Hearth, and by each person's consent.

Usage:
  hearth partner add --name "Organisation" --jwks FILE --scope "system/Patient.rs ..." [--contact TEXT]
  hearth partner list
  hearth partner disable CLIENT_ID

--jwks is a file holding the partner's JSON Web Key Set (public keys only,
each with a kid, ES384 or RS384); "-" reads it from standard input.
`

func cmdPartner(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, partnerUsage)
		if len(args) == 0 {
			return exitError{2, "partner: say which: add, list or disable"}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	f := newFlags("partner "+sub, "Manage partner systems.", stderr)
	c := addCommon(f, "hearth.db")
	var name, contact, jwksFile, scope *string
	if sub == "add" {
		name = f.String("name", "", "the partner organisation, exactly as consents to share with it name it")
		contact = f.String("contact", "", "a technical contact (optional)")
		jwksFile = f.String("jwks", "", `file holding the partner's public keys as a JWKS ("-" for standard input)`)
		scope = f.String("scope", "", `SMART v2 system scopes it may be granted, space-separated, such as "system/Patient.rs system/Observation.rs"`)
	}
	if err := f.Parse(rest); err != nil {
		return err
	}
	var jwks []byte
	if sub == "add" {
		var err error
		switch *jwksFile {
		case "":
			return exitError{2, "partner add: --jwks is required: a file holding the partner's public keys"}
		case "-":
			jwks, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
		default:
			jwks, err = os.ReadFile(*jwksFile)
		}
		if err != nil {
			return exitError{2, fmt.Sprintf("partner add: read --jwks: %v", err)}
		}
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	by := partners.ByOperator(operatorName())
	switch sub {
	case "add":
		p, err := a.Partners.Register(ctx, by, partners.NewPartner{Name: *name, Contact: *contact, JWKS: string(jwks), Scopes: *scope})
		if err != nil {
			return fmt.Errorf("partner add: %w", err)
		}
		fmt.Fprintf(stdout, "Registered %s.\nClient ID: %s\nScopes: %s\n", p.Name, p.ID, p.Scopes)
		fmt.Fprintf(stdout, "Token endpoint: <public URL>%s (SMART configuration at <public URL>%s)\n", partners.TokenPath, partners.ConfigurationPath)
		fmt.Fprintln(stdout, "It receives nothing until the information governance lead records a data-sharing agreement with it.")
	case "list":
		list, err := a.Partners.Partners(ctx, by)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tSCOPES\tKEYS\tSTATUS")
		for _, p := range list {
			var keys []string
			for _, k := range p.Keys {
				keys = append(keys, k.ID+" ("+k.Algorithm+")")
			}
			status := "active"
			if !p.Active() {
				status = "disabled " + p.DisabledAt.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Scopes, strings.Join(keys, ", "), status)
		}
		return tw.Flush()
	case "disable":
		if f.NArg() != 1 {
			return exitError{2, "partner disable: give one client ID"}
		}
		p, err := a.Partners.Disable(ctx, by, f.Arg(0))
		if err != nil {
			return fmt.Errorf("partner disable: %w", err)
		}
		fmt.Fprintf(stdout, "Disabled %s: it can ask for no more tokens, and those it holds have stopped working.\n", p.Name)
	default:
		return exitError{2, fmt.Sprintf("partner: unknown command %q (add, list, disable)", sub)}
	}
	return nil
}
