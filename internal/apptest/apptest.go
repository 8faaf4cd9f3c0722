// Package apptest builds a whole Hearth for a test, on a fresh database
// (SQLite, or PostgreSQL under HEARTH_TEST_ENGINE=postgres) with a clock the
// test controls, so tests read like stories: make a location, a manager, a
// care worker and a person; sign in over HTTP; look.
package apptest

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// Clock is a clock the test moves by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the current fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC().Truncate(time.Microsecond)
}

// App is a Hearth under test.
type App struct {
	*app.App
	T        testing.TB
	Clock    *Clock
	Provider people.Provider
	Ctx      context.Context
}

// Password is every test account's password.
const Password = "correct horse battery staple"

// New returns a migrated, wired Hearth with a provider, on a fresh database.
// The clock starts at a fixed, ordinary moment: 10:00 on 3 March 2026.
func New(t testing.TB) *App { return NewWith(t, Options{}) }

// Options change how NewWith builds the app, for tests of what happens
// when the database fails.
type Options struct {
	// Through, when set, is given the fresh database's DSN and returns the
	// one the app opens: a fault proxy in front of PostgreSQL
	// (storetest.Through).
	Through func(dsn string) string
	// Timeouts and RequestTimeout are the server's limits (app.Config).
	Timeouts       store.Timeouts
	RequestTimeout time.Duration
}

// NewWith is New with options.
func NewWith(t testing.TB, opts Options) *App {
	t.Helper()
	clock := &Clock{}
	clock.Set(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	dsn := storetest.DSN(t)
	if opts.Through != nil {
		dsn = opts.Through(dsn)
	}
	a, err := app.Open(ctx, app.Config{
		DB:             dsn,
		AuditKeyFile:   filepath.Join(t.TempDir(), "audit.key"),
		Passwords:      accounts.TestParams,
		Clock:          clock.Now,
		Timeouts:       opts.Timeouts,
		RequestTimeout: opts.RequestTimeout,
	})
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	p, err := a.People.CreateProvider(ctx, "Test Care Ltd", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return &App{App: a, T: t, Clock: clock, Provider: p, Ctx: ctx}
}

// Location adds a location.
func (a *App) Location(name, kind string) people.Location {
	a.T.Helper()
	l, err := a.People.CreateLocation(a.Ctx, a.Provider.ID, name, kind, a.Clock.Now())
	if err != nil {
		a.T.Fatal(err)
	}
	return l
}

// Staff is a test staff member: their account, their TOTP secret and their
// actor for calling services directly.
type Staff struct {
	accounts.User
	Secret string
	Actor  door.Actor
}

// Staff adds a staff account with TOTP set up, holding a location-wide role
// at the given locations.
func (a *App) Staff(username string, role access.Role, locations ...people.Location) Staff {
	a.T.Helper()
	var ids []string
	for _, l := range locations {
		ids = append(ids, l.ID)
	}
	op := accounts.Operator("test")
	u, err := a.Accounts.CreateUser(a.Ctx, accounts.NewUser{Kind: access.KindStaff, Username: username,
		DisplayName: "Test " + username, Password: Password, Role: role, LocationIDs: ids, By: op})
	if err != nil {
		a.T.Fatalf("add %s: %v", username, err)
	}
	secret := accounts.GenerateSecret()
	if err := a.Accounts.ProvisionTOTP(a.Ctx, u.ID, secret, op, accounts.Meta{}); err != nil {
		a.T.Fatal(err)
	}
	return Staff{User: u, Secret: secret, Actor: ActorOf(u)}
}

// Inspector adds an inspector's account with TOTP set up. An inspector has
// no role and works at no location: what they may read comes only from an
// inspection grant. The Staff type serves for any account that signs in.
func (a *App) Inspector(username string) Staff {
	a.T.Helper()
	op := accounts.Operator("test")
	u, err := a.Accounts.CreateUser(a.Ctx, accounts.NewUser{Kind: access.KindInspector, Username: username,
		DisplayName: "Inspector " + username, Password: Password, By: op})
	if err != nil {
		a.T.Fatalf("add %s: %v", username, err)
	}
	secret := accounts.GenerateSecret()
	if err := a.Accounts.ProvisionTOTP(a.Ctx, u.ID, secret, op, accounts.Meta{}); err != nil {
		a.T.Fatal(err)
	}
	return Staff{User: u, Secret: secret, Actor: ActorOf(u)}
}

// ActorOf is the actor for a user, as the web layer builds it.
func ActorOf(u accounts.User) door.Actor {
	return door.Actor{Subject: access.Subject{ID: u.ID, Kind: u.Kind, Role: u.Role}, Name: u.DisplayName,
		ClientAddr: "192.0.2.1", RequestID: "test"}
}

// Person registers a person at a location, as that location's manager.
func (a *App) Person(manager Staff, loc people.Location, given, family, nhs string) people.Person {
	a.T.Helper()
	p, err := a.People.Register(a.Ctx, manager.Actor, people.NewPerson{LocationID: loc.ID, GivenName: given, FamilyName: family,
		DateOfBirth: time.Date(1941, 6, 14, 0, 0, 0, 0, time.UTC), NHSNumber: nhs})
	if err != nil {
		a.T.Fatalf("register %s %s: %v", given, family, err)
	}
	return p
}

// Assign puts a staff member on a person's care team from now on.
func (a *App) Assign(manager Staff, p people.Person, member Staff) {
	a.T.Helper()
	if _, err := a.People.AssignCareTeam(a.Ctx, manager.Actor, p.ID, member.ID, a.Clock.Now().Add(-time.Hour), time.Time{}); err != nil {
		a.T.Fatalf("assign: %v", err)
	}
}

// Team adds n staff members holding role, named prefix01, prefix02 ...,
// each put on p's care team by manager: n different people who may all act
// for p at the same moment.
func (a *App) Team(manager Staff, p people.Person, role access.Role, prefix string, n int) []Staff {
	a.T.Helper()
	out := make([]Staff, n)
	for i := range out {
		out[i] = a.Staff(fmt.Sprintf("%s%02d", prefix, i+1), role)
		a.Assign(manager, p, out[i])
	}
	return out
}

// Together calls fn(0) ... fn(n-1) from n goroutines that wait at one
// barrier and are released at once, as n people pressing save at the same
// moment, and returns each call's error by index. It first opens the
// connections they will use (as many as the pool allows), so that none is
// held back while one is made.
// The concurrency suites use it to prove that writes to one person happen
// in order on both engines (DESIGN.md invariant 7).
func (a *App) Together(n int, fn func(i int) error) []error {
	a.T.Helper()
	open := n
	if limit := a.DB.SQL().Stats().MaxOpenConnections; limit > 0 {
		open = min(n, limit)
	}
	conns := make([]*sql.Conn, 0, open)
	for range open {
		c, err := a.DB.SQL().Conn(a.Ctx)
		if err != nil {
			a.T.Fatalf("open a connection: %v", err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// Server serves the whole app over HTTP for the test: the web interface
// and the FHIR API beside it.
func (a *App) Server() *httptest.Server {
	srv := httptest.NewServer(a.Handler)
	a.T.Cleanup(srv.Close)
	return srv
}

// Count returns a single number from a query, for assertions.
func (a *App) Count(query string, args ...any) int {
	a.T.Helper()
	var n int
	if err := a.DB.QueryRow(a.Ctx, query, args...).Scan(&n); err != nil {
		a.T.Fatalf("count %q: %v", query, err)
	}
	return n
}

// Scenario is the usual cast: a care home with a registered manager, a care
// worker on Ann's care team, and another care worker who is not.
type Scenario struct {
	*App
	Home       people.Location
	Manager    Staff
	Carer      Staff // on Ann's care team
	OtherCarer Staff // on no one's care team
	Ann        people.Person
	AnnNHS     string
}

// NewScenario builds the usual cast.
func NewScenario(t testing.TB) *Scenario { return NewScenarioWith(t, Options{}) }

// NewScenarioWith builds the usual cast on an app built with options.
func NewScenarioWith(t testing.TB, opts Options) *Scenario {
	a := NewWith(t, opts)
	s := &Scenario{App: a, AnnNHS: "9434765919"}
	s.Home = a.Location("Rowan House", people.CareHome)
	s.Manager = a.Staff("manager", access.RegisteredManager, s.Home)
	s.Carer = a.Staff("carer", access.CareWorker)
	s.OtherCarer = a.Staff("other", access.CareWorker)
	s.Ann = a.Person(s.Manager, s.Home, "Ann", "Jones", s.AnnNHS)
	a.Assign(s.Manager, s.Ann, s.Carer)
	return s
}

// InScope runs fn in a door scope as actor, after req is permitted: how a
// test calls a helper that takes the door's scope, as a service would.
func (a *App) InScope(actor door.Actor, req door.Request, fn func(sc *door.Scope) error) {
	a.T.Helper()
	err := a.Door.Run(a.Ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(req); err != nil {
			return err
		}
		return fn(sc)
	})
	if err != nil {
		a.T.Fatal(err)
	}
}
