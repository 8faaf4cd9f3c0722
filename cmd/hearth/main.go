// Command hearth is the whole of Hearth in one binary: the web server, the
// demo, migrations, account administration and audit verification.
//
// Every flag can also be set by an environment variable of the same name in
// capitals with a HEARTH_ prefix: --db is HEARTH_DB, --addr is HEARTH_ADDR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"hearth"
	"hearth/internal/app"
)

const usage = `Hearth: a consent-first digital care record.

Usage:
  hearth <command> [flags]

Commands:
  init           set up a new provider on an empty database (provider, locations, first manager)
  serve          run the web server
  demo           fill a database with a plausible provider and serve it
  migrate        apply database migrations and exit
  user           manage staff and inspector accounts (add, list, disable, reset-mfa)
  partner        manage partner systems for the FHIR API (add, list, disable)
  import         import people, staff or care teams from a CSV file
  audit          check the tamper-evident audit log (verify, seal, key)
  secrets        rotate the key that seals second factors at rest
  totp           print the current code for a TOTP secret (for the demo)
  gen            generate a synthetic provider at scale into a new database (for benchmarks)
  bench          drive Hearth over HTTP and report every figure against the machine's limits
  backup         take an encrypted backup now; keygen, verify (docs/backup.md)
  restore        restore a backup into an empty database, on either engine
  contingency    write the encrypted, printable contingency pack for each location

Every command takes --db (HEARTH_DB): a SQLite file (default ./hearth.db)
or a postgres:// DSN. Run 'hearth <command> --help' for a command's flags.
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"init":    cmdInit,
		"serve":   cmdServe,
		"demo":    cmdDemo,
		"migrate": cmdMigrate,
		"user":    cmdUser,
		"partner": cmdPartner,
		"import":  cmdImport,
		"audit":   cmdAudit,
		"secrets": cmdSecrets,
		"totp":    cmdTOTP,
		"gen":     cmdGen,
		"bench":   cmdBench,
		"backup":  cmdBackup,
		"restore": cmdRestore,
	}
	cmds["contingency"] = cmdContingency
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hearth: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := cmd(ctx, args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ex exitError
		if errors.As(err, &ex) {
			fmt.Fprintln(stderr, "hearth:", ex.msg)
			return ex.code
		}
		printError(stderr, err)
		return 1
	}
	return 0
}

// printError shows an error the way a person at a terminal needs it: what
// was being done, then each broken rule on its own line, naming the field.
func printError(w io.Writer, err error) {
	var herr *hearth.Error
	if !errors.As(err, &herr) || herr.Kind == hearth.KindInternal {
		fmt.Fprintln(w, "hearth:", err)
		return
	}
	// The context added by wrapping ("demo: register Ann Jones: ").
	context := strings.TrimSuffix(err.Error(), herr.Error())
	if len(herr.Problems) == 0 {
		fmt.Fprintf(w, "hearth: %s%s\n", context, herr.Message)
		return
	}
	for _, p := range herr.Problems {
		fmt.Fprintf(w, "hearth: %s%s: %s\n", context, p.Field, p.Message)
	}
}

// exitError ends a command with a particular exit status.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// flags is a subcommand's flag set whose defaults come from HEARTH_*
// variables.
type flags struct {
	*flag.FlagSet
}

func newFlags(name, summary string, stderr io.Writer) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\n\nUsage of hearth %s:\n", summary, name)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nEach flag may also be set as HEARTH_<NAME> (upper case, '-' as '_').")
	}
	return flags{fs}
}

func envName(flagName string) string {
	return "HEARTH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f flags) String(name, def, help string) *string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v
	}
	return f.FlagSet.String(name, def, help)
}

func (f flags) Bool(name string, def bool, help string) *bool {
	if v, ok := os.LookupEnv(envName(name)); ok {
		def = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
	}
	return f.FlagSet.Bool(name, def, help)
}

func (f flags) Duration(name string, def time.Duration, help string) *time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if d, err := time.ParseDuration(v); err == nil {
			def = d
		}
	}
	return f.FlagSet.Duration(name, def, help)
}

func (f flags) Int(name string, def int, help string) *int {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if n, err := strconv.Atoi(v); err == nil {
			def = n
		}
	}
	return f.FlagSet.Int(name, def, help)
}

func (f flags) Float64(name string, def float64, help string) *float64 {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			def = n
		}
	}
	return f.FlagSet.Float64(name, def, help)
}

// common are the flags every command shares.
type common struct {
	db, auditKey, witness, secretsKey, logLevel, logFormat *string
}

func addCommon(f flags, defaultDB string) common {
	return common{
		db:       f.String("db", defaultDB, "SQLite file, or postgres:// DSN"),
		auditKey: f.String("audit-key-file", "", "file holding the Ed25519 key that signs audit checkpoints (default: beside the SQLite file, or ./hearth-audit.key)"),
		witness: f.String("witness-file", "", "append-only file (or directory) every signed audit checkpoint is also written to; "+
			"put it on another volume (default: beside the audit key file)"),
		secretsKey: f.String("secrets-key-file", "", "file holding the keys that seal second factors at rest (default: beside the audit key file)"),
		logLevel:   f.String("log-level", "info", "debug, info, warn or error"),
		logFormat:  f.String("log-format", "text", "text or json"),
	}
}

// appConfig is the configuration every command opens Hearth with.
func (c common) appConfig(stderr io.Writer) app.Config {
	return app.Config{DB: *c.db, AuditKeyFile: *c.auditKey, WitnessFile: *c.witness, SecretsKeyFile: *c.secretsKey, Log: c.logger(stderr)}
}

func (c common) logger(stderr io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(*c.logLevel))
	opts := &slog.HandlerOptions{Level: level}
	if *c.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}
