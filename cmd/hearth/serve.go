package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"hearth"
	"hearth/internal/app"
	"hearth/internal/governance"
	"hearth/internal/portal"
	"hearth/internal/store"
)

type serveFlags struct {
	common
	addr, tlsCert, tlsKey *string
	secureCookies         *bool
	breakGlass            *time.Duration
	inspectionMax         *time.Duration
	publicURL             *string
	fhirBase              *string
	exportLifetime        *time.Duration
	requestTimeout        *time.Duration
	dbConnectTimeout      *time.Duration
	dbStatementTimeout    *time.Duration
	dbLockTimeout         *time.Duration
	schedules             scheduleFlags // backups and contingency packs (contingencycmd.go)
}

func addServeFlags(f flags, defaultDB, defaultAddr string) serveFlags {
	return serveFlags{
		common:         addCommon(f, defaultDB),
		addr:           f.String("addr", defaultAddr, "address to listen on"),
		tlsCert:        f.String("tls-cert", "", "TLS certificate file (serve HTTPS)"),
		tlsKey:         f.String("tls-key", "", "TLS private key file"),
		secureCookies:  f.Bool("secure-cookies", false, "mark cookies Secure (implied by --tls-cert; set it behind a TLS proxy)"),
		breakGlass:     f.Duration("break-glass-duration", time.Hour, "how long emergency (break-glass) access lasts"),
		inspectionMax:  f.Duration("inspection-max", governance.DefaultMaxInspection, "the longest an inspector's read-only access may be granted for"),
		publicURL:      f.String("public-url", "", "the origin people reach Hearth at, e.g. https://hearth.example.org; passkeys are bound to it (empty: the request's own host)"),
		fhirBase:       f.String("fhir-base", "", "the FHIR API's public base URL; Hearth's code systems and extensions are named under it (empty: the public URL with /fhir, or the request's own)"),
		exportLifetime: f.Duration("export-lifetime", 6*time.Hour, "how long a partner system's bulk export files are kept once written"),
		requestTimeout: f.Duration("request-timeout", app.DefaultRequestTimeout,
			"the longest one request may take; past it the person is told to try again shortly (0: no limit)"),
		dbConnectTimeout:   f.Duration("db-connect-timeout", app.DefaultTimeouts.Connect, "the longest to wait for a PostgreSQL connection"),
		dbStatementTimeout: f.Duration("db-statement-timeout", app.DefaultTimeouts.Statement, "the longest one PostgreSQL statement may run (statement_timeout)"),
		dbLockTimeout:      f.Duration("db-lock-timeout", app.DefaultTimeouts.Lock, "the longest to wait for a PostgreSQL lock (lock_timeout)"),
		schedules:          addScheduleFlags(f),
	}
}

func (sf serveFlags) config(log *slog.Logger) app.Config {
	return app.Config{
		DB:                 *sf.db,
		AuditKeyFile:       *sf.auditKey,
		WitnessFile:        *sf.witness,
		SecretsKeyFile:     *sf.secretsKey,
		SecureCookies:      *sf.secureCookies || *sf.tlsCert != "",
		BreakGlassDuration: *sf.breakGlass,
		InspectionMax:      *sf.inspectionMax,
		PublicURL:          *sf.publicURL,
		FHIRBase:           *sf.fhirBase,
		ExportLifetime:     *sf.exportLifetime,
		Timeouts: store.Timeouts{Connect: *sf.dbConnectTimeout, Statement: *sf.dbStatementTimeout, Lock: *sf.dbLockTimeout,
			IdleInTransaction: app.DefaultTimeouts.IdleInTransaction},
		RequestTimeout: *sf.requestTimeout,
		Log:            log,
	}
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("serve", "Run Hearth's web server.", stderr)
	sf := addServeFlags(f, "hearth.db", "127.0.0.1:8080")
	if err := f.Parse(args); err != nil {
		return err
	}
	log := sf.logger(stderr)
	a, err := app.Open(ctx, sf.config(log))
	if err != nil {
		return err
	}
	defer a.Close()
	// An empty database would serve an empty, broken app: nobody could do
	// anything. Say what to run instead.
	if _, err := a.People.Provider(ctx); hearth.KindOf(err) == hearth.KindNotFound {
		return exitError{1, "this database has no provider yet, so there is nothing to serve. Set one up first with:\n\n" +
			"  hearth init --provider NAME --location \"NAME:KIND\" --manager-username USER --manager-name NAME\n\n" +
			"with the same --db. hearth init --help says more; hearth demo serves a made-up provider to try Hearth out."}
	} else if err != nil {
		return err
	}
	return serve(ctx, a, sf, log)
}

// serve runs the sealer, the portal's notice delivery, the partners' bulk
// export worker and the HTTP server until ctx ends, then shuts down
// gracefully and seals what is pending.
func serve(ctx context.Context, a *app.App, sf serveFlags, log *slog.Logger) error {
	// A log sealed before it had a witness (or whose last checkpoint did
	// not reach the file) is witnessed from now on.
	if err := a.Audit.PublishLatest(ctx); err != nil {
		log.Error("audit: could not write the latest checkpoint to the witness file", "path", a.Audit.WitnessPath(), "err", err)
	}
	sealCtx, stopSealer := context.WithCancel(ctx)
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		a.Audit.RunSealer(sealCtx, 500*time.Millisecond)
	}()
	// Notices that a message is waiting, every minute. There is no mail or
	// SMS gateway and no contact addresses yet: the portal's LogNotifier
	// logs each notice's channel and fixed text instead.
	stopNotices := runNotices(ctx, a, portal.NoticeEvery)
	stopExports := background(ctx, a.RunExports)
	stopSchedules, err := startSchedules(ctx, a, sf.schedules, log)
	if err != nil {
		stopExports()
		stopNotices()
		stopSealer()
		<-sealed
		return err
	}
	srv := &http.Server{
		Addr:              *sf.addr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() {
		scheme := "http"
		if *sf.tlsCert != "" {
			scheme = "https"
		}
		log.Info("serving", "url", fmt.Sprintf("%s://%s", scheme, *sf.addr), "db", a.DB.Dialect().String())
		var err error
		if *sf.tlsCert != "" {
			err = srv.ListenAndServeTLS(*sf.tlsCert, *sf.tlsKey)
		} else {
			err = srv.ListenAndServe()
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		stopSchedules()
		stopExports()
		stopNotices()
		stopSealer()
		<-sealed
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	stopSchedules()
	// An export still running goes back in the queue, to run again from
	// the start next time (partners.RunExport).
	stopExports()
	stopNotices()
	stopSealer()
	<-sealed
	if _, sealErr := a.Audit.Seal(shutdownCtx); sealErr != nil {
		err = errors.Join(err, sealErr)
	}
	return err
}

// runNotices delivers the portal's waiting notices every `every` in the
// background; the function it returns stops it and waits until it has.
func runNotices(ctx context.Context, a *app.App, every time.Duration) (stop func()) {
	return background(ctx, func(ctx context.Context) { a.Portal.RunNotices(ctx, every) })
}

// background runs loop until ctx ends or the function it returns is
// called, which waits until loop has returned.
func background(ctx context.Context, loop func(context.Context)) (stop func()) {
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		loop(lctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("migrate", "Apply any database migrations not yet applied, then exit. Migrations only add; they never drop or rewrite records.", stderr)
	c := addCommon(f, "hearth.db")
	if err := f.Parse(args); err != nil {
		return err
	}
	a, err := app.Open(ctx, c.appConfig(stderr))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(stdout, "Database %s is up to date.\n", a.DB.Dialect())
	return nil
}
