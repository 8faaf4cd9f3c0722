package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/door"
	"hearth/internal/imports"
)

const importUsage = `Import a provider's existing records from a CSV file: people, staff or care
teams. The columns are in docs/import.md: UTF-8 (a byte-order mark is fine),
a header row naming the columns, dates as day/month/year.

Usage:
  hearth import people|staff|teams FILE.csv --as USERNAME [--dry-run]

Every row is checked first. If any row breaks a rule, each problem is listed
with its row and column and nothing is imported; otherwise everything is, in
one go. --dry-run checks and changes nothing. The import acts as the named
account (an administrator): it is audited as theirs, one event for the import
and one for each person created. Staff are invited, never given a password:
each invitation's one-time link is printed once.
`

func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, importUsage)
		if len(args) == 0 {
			return exitError{2, "import: say what the file holds: people, staff or teams"}
		}
		return nil
	}
	kind := args[0]
	if kind != imports.People && kind != imports.Staff && kind != imports.Teams {
		return exitError{2, fmt.Sprintf("import: %q is not people, staff or teams", kind)}
	}
	f := newFlags("import "+kind, "Import "+kind+" from a CSV file (docs/import.md).", stderr)
	c := addCommon(f, "hearth.db")
	as := f.String("as", "", "the username of the administrator the import acts as (audited as theirs)")
	dryRun := f.Bool("dry-run", false, "check the file and report every problem, changing nothing")
	publicURL := f.String("public-url", "http://127.0.0.1:8080", "where people reach Hearth: staff invitation links start with it")
	// The file may come before the flags or after them.
	var files []string
	rest := args[1:]
	for {
		if err := f.Parse(rest); err != nil {
			return err
		}
		if f.NArg() == 0 {
			break
		}
		files, rest = append(files, f.Arg(0)), f.Args()[1:]
	}
	if len(files) != 1 {
		return exitError{2, "import " + kind + ": give one CSV file"}
	}
	if *as == "" {
		return exitError{2, "import " + kind + ": say which administrator's account the import acts as, with --as USERNAME"}
	}
	path := files[0]
	info, err := os.Stat(path)
	if err != nil {
		return exitError{1, fmt.Sprintf("import: cannot read %s: %v", path, errors.Unwrap(err))}
	}
	if info.Size() > imports.MaxFileBytes {
		return exitError{1, fmt.Sprintf("import: %s is too large: the limit is %d MB", path, imports.MaxFileBytes>>20)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return exitError{1, fmt.Sprintf("import: cannot read %s: %v", path, err)}
	}

	a, err := app.Open(ctx, app.Config{DB: *c.db, AuditKeyFile: *c.auditKey, Log: c.logger(stderr)})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.Accounts.ByUsername(ctx, *as)
	if err != nil || u.Disabled || u.Kind != access.KindStaff {
		return exitError{1, fmt.Sprintf("import: there is no active staff account called %q", *as)}
	}
	actor := door.Actor{Subject: u.Subject(), Name: u.DisplayName, ClientAddr: operatorName(), RequestID: "import-" + hearth.NewID()}
	opts := imports.Options{DryRun: *dryRun, Meta: accounts.Meta{ClientAddr: actor.ClientAddr, RequestID: actor.RequestID}}
	var bar *progressbar.ProgressBar
	if file, ok := stderr.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("checking "+kind),
					progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
			}
			if done == 1 && bar.State().CurrentNum > 1 {
				bar.Reset()
				bar.Describe("writing " + kind)
			}
			_ = bar.Set(done)
		}
	}
	res, err := a.Imports.Import(ctx, actor, kind, imports.File{Name: filepath.Base(path), Data: data}, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	if len(res.Problems) > 0 {
		for _, p := range res.Problems {
			fmt.Fprintln(stderr, "hearth:", p)
		}
		return exitError{1, fmt.Sprintf("import: %s has %s, so nothing was imported", filepath.Base(path), plural(len(res.Problems), "problem"))}
	}
	if err != nil {
		return err
	}
	count := func(n int) string {
		switch kind {
		case imports.People:
			if n == 1 {
				return "1 person"
			}
			return fmt.Sprintf("%d people", n)
		case imports.Staff:
			return plural(n, "member") + " of staff"
		}
		return plural(n, "care-team membership")
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%s is ready: %s would be imported. Nothing was changed (dry run).\n", filepath.Base(path), count(res.Rows))
		return nil
	}
	fmt.Fprintf(stdout, "Imported %s from %s.\n", count(res.Created), filepath.Base(path))
	if len(res.Invited) > 0 {
		fmt.Fprintln(stdout, "\nSend each their invitation link. Each is shown only now, works once and expires in 7 days:")
		for _, inv := range res.Invited {
			fmt.Fprintf(stdout, "%s\t%s\t%s/invitation/%s\n", inv.Inv.Username, inv.Inv.DisplayName, strings.TrimSuffix(*publicURL, "/"), inv.Token)
		}
	}
	return nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
