// Package app wires Hearth together from its configuration: the database,
// the audit log and its keys, the door with its fact sources, the domain
// services and the web server. The CLI and the tests build the same App, so
// what is tested is what runs.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"hearth"
	"hearth/internal/accounts"
	"hearth/internal/attention"
	"hearth/internal/audit"
	"hearth/internal/breakglass"
	"hearth/internal/care"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/fhir"
	"hearth/internal/governance"
	"hearth/internal/idempotency"
	"hearth/internal/imports"
	"hearth/internal/partners"
	"hearth/internal/people"
	"hearth/internal/portal"
	"hearth/internal/secrets"
	"hearth/internal/store"
	"hearth/internal/tech"
	"hearth/internal/web"
)

// Config is everything Hearth can be told. Each field has a flag and a
// HEARTH_* environment variable of the same name (see cmd/hearth).
type Config struct {
	DB                 string        // SQLite file path, or a postgres:// DSN
	AuditKeyFile       string        // Ed25519 key that signs audit checkpoints; created only for a log with no events
	WitnessFile        string        // append-only file (or directory) every signed checkpoint is also written to; beside the audit key unless set
	SecretsKeyFile     string        // AES-256 keys that seal second factors at rest; beside the audit key unless set
	SecureCookies      bool          // serving over TLS (directly or behind a proxy)
	PublicURL          string        // the origin people reach Hearth at; passkeys are bound to it
	FHIRBase           string        // the FHIR API's public base URL (Hearth's code systems are named under it); empty: PublicURL + "/fhir", or the request's own
	BreakGlassDuration time.Duration // how long emergency access lasts
	InspectionMax      time.Duration // the longest an inspection grant may last; zero means governance.DefaultMaxInspection
	SealEvery          time.Duration // how often pending audit events are sealed
	ExportLifetime     time.Duration // how long a partner's bulk export files are kept once written; zero means 6 hours
	Passwords          accounts.Params
	Sessions           accounts.Config
	CareObs            care.ObsConfig // fluids alert time and visit grace period; zero means the defaults
	// Timeouts bound the database's waits (zero fields: no limit, as the
	// command-line tools want); RequestTimeout bounds each HTTP request
	// (zero: none). `hearth serve` sets both (DefaultTimeouts).
	Timeouts       store.Timeouts
	RequestTimeout time.Duration
	Clock          hearth.Clock
	Log            *slog.Logger
}

// DefaultTimeouts are the server's limits on waiting for the database, and
// DefaultRequestTimeout its limit on any one request: long enough for the
// slowest page at local-authority scale, short enough that a stalled
// database gives "try again shortly" rather than a spinning page.
var DefaultTimeouts = store.Timeouts{Connect: 5 * time.Second, Statement: 30 * time.Second, Lock: 10 * time.Second,
	IdleInTransaction: time.Minute}

// DefaultRequestTimeout is the server's limit on one request.
const DefaultRequestTimeout = 30 * time.Second

// DefaultAuditKeyFile is where the audit key lives when not configured:
// beside a SQLite file, or in the working directory for PostgreSQL.
func DefaultAuditKeyFile(dsn string) string {
	if store.IsPostgres(dsn) || dsn == "" {
		return "hearth-audit.key"
	}
	return strings.TrimSuffix(dsn, filepath.Ext(dsn)) + ".auditkey"
}

// DefaultWitnessFile is where the witness file lives when not configured:
// beside the audit key file ("hearth.auditkey" beside "hearth.witness").
func DefaultWitnessFile(auditKeyFile string) string { return audit.DefaultWitnessFile(auditKeyFile) }

// App is a running Hearth.
type App struct {
	Config     Config
	DB         *store.DB
	Audit      *audit.Log
	Door       *door.Door
	Accounts   *accounts.Service
	People     *people.Service
	BreakGlass *breakglass.Service
	Care       *care.Service
	Consent    *consent.Service
	Tech       *tech.Service
	Portal     *portal.Service
	Governance *governance.Service
	Attention  *attention.Service
	Partners   *partners.Service
	Keys       *idempotency.Keys
	Secrets    *secrets.Keyring
	FHIR       *fhir.Server
	Imports    *imports.Service
	Web        *web.Server
	// Handler serves everything: the FHIR API under /fhir/ and the web
	// interface beside it.
	Handler http.Handler
}

// Open connects, migrates and wires everything.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Clock == nil {
		cfg.Clock = hearth.SystemClock
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.AuditKeyFile == "" {
		cfg.AuditKeyFile = DefaultAuditKeyFile(cfg.DB)
	}
	if cfg.SealEvery == 0 {
		cfg.SealEvery = 500 * time.Millisecond
	}
	if cfg.Passwords == (accounts.Params{}) {
		cfg.Passwords = accounts.DefaultParams
	}
	db, err := store.OpenWith(ctx, cfg.DB, cfg.Timeouts, cfg.Log)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if cfg.WitnessFile == "" {
		cfg.WitnessFile = DefaultWitnessFile(cfg.AuditKeyFile)
	}
	witness := audit.NewWitness(cfg.WitnessFile)
	cfg.WitnessFile = witness.Path()
	// A log with events and no key that matches it refuses to start,
	// naming the key it expects: a new key would leave it unverifiable.
	keys, created, err := audit.OpenKeys(ctx, db, cfg.AuditKeyFile, witness.Path())
	if err != nil {
		db.Close()
		return nil, err
	}
	if created {
		cfg.Log.Info("created the audit key file for a new, empty audit log: keep it, and a copy, outside the database and its backups",
			"key_file", cfg.AuditKeyFile, "key", keys.ID(), "witness_file", witness.Path())
	}
	keyring, err := openSecrets(ctx, db, &cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Secrets: keyring}
	a.Audit = audit.New(db, keys, cfg.Clock, cfg.Log).WithWitness(witness)
	a.Door = door.New(db, a.Audit, cfg.Clock, cfg.Log)
	sess := cfg.Sessions
	sess.Params = cfg.Passwords
	sess.Secrets = keyring
	a.Accounts = accounts.New(db, a.Audit, cfg.Clock, sess)
	// Second factors still in the clear (a database from before they were
	// sealed) are sealed now, before anything is served: an explicit,
	// logged step that checks each value opens again before writing it.
	if n, err := a.Accounts.SealSecrets(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("seal second factors at rest: %w", err)
	} else if n > 0 {
		cfg.Log.Info("sealed second-factor secrets that were in the clear", "count", n, "key", keyring.CurrentID(), "key_file", keyring.Path())
	}
	a.People = people.New(a.Door)
	// The folded-name search key of people written before it existed.
	if _, err := a.People.RefreshSearchKeys(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.BreakGlass = breakglass.New(a.Door, cfg.BreakGlassDuration)
	a.Care = care.New(a.Door).WithObsConfig(cfg.CareObs)
	a.Consent = consent.New(a.Door)
	a.Door.AddSource(a.Consent)
	a.Tech = tech.New(a.Door, a.Consent)
	a.Care.WithAccounts(a.Accounts).WithTech(a.Tech)
	a.Portal = portal.New(a.Door, portal.Deps{Accounts: a.Accounts, Care: a.Care, Consent: a.Consent, Tech: a.Tech, Log: cfg.Log})
	a.Door.AddSource(a.Portal)
	a.Governance = governance.New(a.Door, cfg.InspectionMax).WithWitness(a.Audit.LatestWitnessed)
	// Needs attention and the quality dashboard: one line per package
	// that owns figures (docs/governance.md, "Adding a figure").
	a.Attention = attention.New(a.Door)
	a.Attention.Add(a.Care.AttentionSources()...)
	a.Attention.Add(a.Consent.AttentionSources()...)
	a.Attention.Add(a.Tech.AttentionSources()...)
	a.Attention.Add(a.Portal.AttentionSources()...)
	a.Attention.Add(a.BreakGlass.AttentionSources()...)
	a.Partners = partners.New(a.Door, partners.Config{ExportLifetime: cfg.ExportLifetime, Log: cfg.Log})
	a.Door.AddSource(a.Partners)
	fhirBase, tokenURL := cfg.FHIRBase, ""
	if cfg.PublicURL != "" {
		if fhirBase == "" {
			fhirBase = strings.TrimSuffix(cfg.PublicURL, "/") + "/fhir"
		}
		tokenURL = strings.TrimSuffix(cfg.PublicURL, "/") + partners.TokenPath
	}
	a.FHIR = fhir.New(fhir.Deps{Door: a.Door, Accounts: a.Accounts, People: a.People, Care: a.Care, Consent: a.Consent, Tech: a.Tech,
		Portal: a.Portal, Partners: a.Partners, Clock: cfg.Clock, Log: cfg.Log},
		fhir.Config{Base: fhirBase, TokenURL: tokenURL, SessionCookie: web.SessionCookieName(cfg.SecureCookies)})
	// A partner system's bearer token makes every API call a door decision
	// as that partner (docs/partners.md).
	a.FHIR.AddAuthenticator(fhir.PartnerTokens(a.Partners))
	a.Imports = imports.New(a.People, a.Accounts)
	a.Keys = idempotency.New(db, cfg.Clock)
	ready := func(ctx context.Context) error { return db.Ready(ctx, cfg.Clock()) }
	a.Web, err = web.New(web.Deps{Accounts: a.Accounts, People: a.People, BreakGlass: a.BreakGlass, Care: a.Care, Consent: a.Consent, Tech: a.Tech,
		Portal: a.Portal, Governance: a.Governance, Partners: a.Partners, FHIR: a.FHIR, Imports: a.Imports, Keys: a.Keys, Attention: a.Attention, Audit: a.Audit, Ready: ready, Clock: cfg.Clock, Log: cfg.Log},
		web.Config{SecureCookies: cfg.SecureCookies, PublicURL: cfg.PublicURL, RequestTimeout: cfg.RequestTimeout})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("web: %w", err)
	}
	mux := http.NewServeMux()
	// The token endpoint and the SMART configuration live under /fhir/ as
	// SMART asks, but are the web server's (its rate limit and headers).
	mux.Handle(partners.TokenPath, a.Web)
	mux.Handle(partners.ConfigurationPath, a.Web)
	mux.Handle("/fhir/", withDeadline(a.FHIR, cfg.RequestTimeout))
	mux.Handle("/fhir", http.RedirectHandler("/fhir/metadata", http.StatusSeeOther))
	mux.Handle("/", a.Web)
	a.Handler = mux
	return a, nil
}

// exportEvery is how often the export worker looks for exports queued on
// other nodes and for files past their expiry; exports queued on this node
// start at once.
const exportEvery = 5 * time.Second

// RunExports runs partners' bulk exports in the background, with the FHIR
// API's mapping, until ctx ends (hearth serve).
func (a *App) RunExports(ctx context.Context) {
	a.Partners.RunExports(ctx, exportEvery, a.FHIR.ExportMapper())
}

// RunQueuedExports runs every queued bulk export now, one after another,
// and returns how many ran: what the worker does, synchronously, for tests
// and the command line.
func (a *App) RunQueuedExports(ctx context.Context) (int, error) {
	return a.Partners.RunQueuedExports(ctx, a.FHIR.ExportMapper())
}

// openSecrets loads the secrets key file, creating it (and saying so) only
// when the database holds nothing sealed yet: with sealed second factors
// and no key that opens them, Hearth refuses to start and names the key.
func openSecrets(ctx context.Context, db *store.DB, cfg *Config) (*secrets.Keyring, error) {
	if cfg.SecretsKeyFile == "" {
		cfg.SecretsKeyFile = secrets.DefaultFile(cfg.AuditKeyFile)
	}
	ids, err := accounts.SealedKeyIDs(ctx, db)
	if err != nil {
		return nil, err
	}
	keyring, created, err := secrets.LoadOrCreate(cfg.SecretsKeyFile, ids)
	if err != nil {
		return nil, err
	}
	if created {
		cfg.Log.Info("created the secrets key file: keep it, and a copy, outside the database and its backups",
			"key_file", keyring.Path(), "key", keyring.CurrentID())
	}
	return keyring, nil
}

// withDeadline bounds each request to h (the web interface bounds its own).
func withDeadline(h http.Handler, d time.Duration) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }
