// Package gen generates a synthetic provider the size of a large local
// authority's care services, for benchmarks and load tests: at scale 1,
// 50,000 people, 2,000 staff, a million daily notes, two million
// observations, half a million medicine administrations and ten million
// audit events, with the skew real services have (some people need far more
// care than others, most care happens by day, a care worker supports a
// few dozen people at one location).
//
// It writes with the store directly, in large batches, because it creates
// data that never happened rather than anyone's access to a record: no
// decision is needed for what no one did. That is why it must never run on
// a provider's database, and Run refuses a database that already holds a
// provider. The audit events it writes are made by internal/audit exactly
// as Hearth makes its own (leaf, salt, MAC) and sealed into the tree with
// signed checkpoints, so `hearth audit verify` passes on the result.
//
// Every account's password is demo.Password and its TOTP secret is
// demo.Secret(username), so `hearth bench` can sign in as anyone.
package gen

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/audit"
	"hearth/internal/care"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Full-scale counts: a large local authority (scale 1).
const (
	fullPeople = 50_000
	fullStaff  = 2_000
	fullNotes  = 1_000_000
	fullObs    = 2_000_000
	fullDoses  = 500_000
	fullEvents = 10_000_000
)

// Options say how much to generate.
type Options struct {
	Scale    float64   // 1 is a large local authority; 0.01 a small provider
	Days     int       // how many days of history, ending at Now
	Seed     uint64    // the same seed gives the same provider
	Now      time.Time // the end of the history
	Password string    // every account's password
	// Secret gives an account's TOTP secret from its username.
	Secret func(username string) string
	// Progress, when set, is told how many rows of Total have been written.
	Progress func(done, total int64)
}

// Counts are what a scale comes to.
type Counts struct {
	People, Staff, Locations, PortalAccounts int
	Notes, Observations, Doses, Events       int
}

// CountsFor is what Run makes at a scale.
func CountsFor(scale float64) Counts {
	n := func(full int) int { return max(1, int(math.Round(float64(full)*scale))) }
	c := Counts{People: max(20, n(fullPeople)), Staff: max(12, n(fullStaff)), Notes: n(fullNotes),
		Observations: n(fullObs), Doses: n(fullDoses), Events: n(fullEvents)}
	c.Locations = max(2, c.People/250)
	c.PortalAccounts = max(1, c.People/50)
	return c
}

// Total is the number of rows Progress counts toward.
func (c Counts) Total() int64 {
	return int64(c.Notes + c.Observations + c.Doses + c.Events)
}

// Result says what was made.
type Result struct {
	Counts
	ProviderName string
	// Usernames by kind of account, for load tests: care workers, senior
	// carers, nurses, registered managers, people with portal accounts.
	CareWorkers, SeniorCarers, Nurses, Managers, Portal []string
	IGLeads                                             []string
}

// ProviderName names a generated provider.
const ProviderName = "Hearth Scale Test Services"

// ErrHasProvider is returned for a database that already holds a provider.
var ErrHasProvider = errors.New("gen: this database already holds a provider; scale data is generated only into a new, empty database")

type staffMember struct {
	id, username, name string
	role               access.Role
	loc                int // -1: every location
}

type person struct {
	id     string
	loc    int
	team   []int // indexes into staff
	meds   []medicine
	portal int // index into portalUsers, or -1
}

type medicine struct {
	id    string
	times []string
	prn   bool
}

type generator struct {
	db    *store.DB
	log   *audit.Log
	opt   Options
	c     Counts
	rng   *rand.Rand
	start time.Time

	provider  string
	locations []string
	locKind   []string
	staff     []staffMember
	carersAt  [][]int // care staff indexes by location
	people    []person
	portal    []staffMember // person accounts (role none)
	pick      *alias        // people, weighted by how much care they need

	bulk *audit.Bulk
	done int64
}

// Run generates the provider into db, which must hold none yet.
func Run(ctx context.Context, db *store.DB, log *audit.Log, opt Options) (Result, error) {
	if opt.Scale <= 0 {
		return Result{}, fmt.Errorf("gen: scale must be more than 0")
	}
	if opt.Days <= 0 {
		opt.Days = 180
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	if opt.Secret == nil || opt.Password == "" {
		return Result{}, fmt.Errorf("gen: a password and a secret for each account are needed")
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM providers`).Scan(&n); err != nil {
		return Result{}, fmt.Errorf("gen: %w", err)
	}
	if n > 0 {
		return Result{}, ErrHasProvider
	}
	g := &generator{db: db, log: log, opt: opt, c: CountsFor(opt.Scale), rng: rand.New(rand.NewPCG(opt.Seed, 2026))}
	g.start = opt.Now.Truncate(24*time.Hour).AddDate(0, 0, -opt.Days)

	// Most of what is allocated is a day's rows, dropped once written:
	// collect less often than the default.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	restore, err := g.fastWrites(ctx)
	if err != nil {
		return Result{}, err
	}
	defer restore()
	// Anything already in the log (a migration's own events, say) is
	// sealed first: the bulk load continues the tree after it.
	if _, err := log.Seal(ctx); err != nil {
		return Result{}, err
	}
	if err := g.organisation(ctx); err != nil {
		return Result{}, err
	}
	if err := g.history(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Counts: g.c, ProviderName: ProviderName}
	for _, s := range g.staff {
		switch s.role {
		case access.CareWorker:
			res.CareWorkers = append(res.CareWorkers, s.username)
		case access.SeniorCarer:
			res.SeniorCarers = append(res.SeniorCarers, s.username)
		case access.Nurse:
			res.Nurses = append(res.Nurses, s.username)
		case access.RegisteredManager:
			res.Managers = append(res.Managers, s.username)
		case access.IGLead:
			res.IGLeads = append(res.IGLeads, s.username)
		}
	}
	for _, p := range g.portal {
		res.Portal = append(res.Portal, p.username)
	}
	return res, nil
}

// fastWrites pins the pool to one connection and, for the length of the
// load, trades durability for speed: the data is synthetic and a failed
// load is thrown away. On SQLite that is synchronous=OFF, foreign key
// checks off (the rows are consistent by construction) and a large page
// cache, and no rollback journal (a load that fails is thrown away whole);
// on PostgreSQL, commits without waiting for the WAL flush. The
// returned function puts everything back.
func (g *generator) fastWrites(ctx context.Context) (func(), error) {
	pool := g.db.SQL()
	pool.SetMaxOpenConns(1)
	var set, reset []string
	if g.db.Dialect() == store.SQLite {
		set = []string{"PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "PRAGMA foreign_keys = OFF", "PRAGMA cache_size = -524288"}
		reset = []string{"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -2000"}
	} else {
		set = []string{"SET synchronous_commit = off"}
		reset = []string{"SET synchronous_commit = on", "ANALYZE"}
	}
	for _, s := range set {
		if _, err := pool.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("gen: %s: %w", s, err)
		}
	}
	return func() {
		for _, s := range reset {
			_, _ = pool.ExecContext(context.Background(), s)
		}
		if g.db.Dialect() == store.SQLite {
			pool.SetMaxOpenConns(8)
		} else {
			pool.SetMaxOpenConns(32)
		}
	}, nil
}

// organisation makes the provider, its locations, staff, people, care
// teams, portal accounts and each person's medicines.
func (g *generator) organisation(ctx context.Context) error {
	rng := g.rng
	created := g.start.AddDate(-1, 0, 0)
	g.provider = newID(created, rng)
	hash := accounts.HashPassword(g.opt.Password, accounts.DefaultParams)

	return g.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO providers (id, name, created_at) VALUES (?, ?, ?)`, g.provider, ProviderName, created); err != nil {
			return err
		}
		// Locations: care homes of 30 to 90 places and home-care branches
		// serving a few hundred people each.
		var locRows [][]any
		weights := make([]float64, g.c.Locations)
		for i := range g.c.Locations {
			id := newID(created, rng)
			kind, name := string(people.CareHome), fmt.Sprintf("%s House", placeNames[i%len(placeNames)])
			weights[i] = 0.6 + rng.Float64()*0.8
			if i%5 >= 3 {
				kind, name = string(people.DomiciliaryBranch), fmt.Sprintf("%s Home Care", placeNames[i%len(placeNames)])
				weights[i] *= 2.5
			}
			if i >= len(placeNames) {
				name = fmt.Sprintf("%s %d", name, i/len(placeNames)+1)
			}
			g.locations = append(g.locations, id)
			g.locKind = append(g.locKind, kind)
			locRows = append(locRows, []any{id, g.provider, name, kind, created})
		}
		if err := insert(ctx, tx, "locations", "id, provider_id, name, kind, created_at", locRows); err != nil {
			return err
		}

		// Staff: a registered manager per location, two information
		// governance leads and two administrators for the provider, and
		// the rest care staff at one location each.
		g.carersAt = make([][]int, g.c.Locations)
		add := func(prefix string, n int, role access.Role, loc int) {
			s := staffMember{id: newID(created, rng), username: fmt.Sprintf("%s%04d", prefix, n), role: role, loc: loc}
			s.name = fullName(rng)
			g.staff = append(g.staff, s)
			if loc >= 0 && (role == access.CareWorker || role == access.SeniorCarer || role == access.Nurse) {
				g.carersAt[loc] = append(g.carersAt[loc], len(g.staff)-1)
			}
		}
		for i := range g.c.Locations {
			add("rm", i+1, access.RegisteredManager, i)
		}
		add("ig", 1, access.IGLead, -1)
		add("ig", 2, access.IGLead, -1)
		add("admin", 1, access.Administrator, -1)
		add("admin", 2, access.Administrator, -1)
		carers := max(g.c.Locations*3, g.c.Staff-len(g.staff))
		locPick := newAlias(weights)
		var cw, sc, nu int
		for i := range carers {
			// Every location gets three care staff in turn, and the rest
			// go where the people are.
			loc := i % g.c.Locations
			if i >= g.c.Locations*3 {
				loc = locPick.pick(rng)
			}
			switch r := rng.IntN(100); {
			case r < 70 || i < g.c.Locations:
				cw++
				add("cw", cw, access.CareWorker, loc)
			case r < 88:
				sc++
				add("sc", sc, access.SeniorCarer, loc)
			default:
				nu++
				add("nurse", nu, access.Nurse, loc)
			}
		}
		var userRows, staffLocRows [][]any
		for _, s := range g.staff {
			userRows = append(userRows, []any{s.id, "staff", s.username, s.name, s.role.String(), hash, g.opt.Secret(s.username), created, created})
			switch {
			case s.role == access.RegisteredManager:
				staffLocRows = append(staffLocRows, []any{s.id, g.locations[s.loc]})
			case s.loc == -1 && s.role == access.IGLead:
				for _, l := range g.locations {
					staffLocRows = append(staffLocRows, []any{s.id, l})
				}
			}
		}

		// People, each with a care team of three to five from their
		// location's care staff, and how much care they need (a
		// log-normal weight: most need a little, a few a great deal).
		var peopleRows, teamRows, medRows [][]any
		locOf := newAlias(weights)
		needs := make([]float64, g.c.People)
		nhs := 100000
		for i := range g.c.People {
			loc := locOf.pick(rng)
			p := person{id: newID(created, rng), loc: loc, portal: -1}
			needs[i] = math.Exp(rng.NormFloat64() * 0.7)
			if g.locKind[loc] == string(people.CareHome) {
				needs[i] *= 1.6
			}
			var number string
			for {
				nine := fmt.Sprintf("999%06d", nhs)
				nhs++
				if d := people.CheckDigit(nine); d >= 0 {
					number = fmt.Sprintf("%s%d", nine, d)
					break
				}
			}
			given, family := givenNames[rng.IntN(len(givenNames))], familyNames[rng.IntN(len(familyNames))]
			dob := time.Date(1925+rng.IntN(60), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
			peopleRows = append(peopleRows, []any{p.id, g.locations[loc], given, family, "", dob, number,
				fmt.Sprintf("%d %s", 1+rng.IntN(150), streets[rng.IntN(len(streets))]), postcode(rng), created, g.staff[loc].id})
			carers := g.carersAt[loc]
			size := min(len(carers), 3+rng.IntN(3))
			for _, k := range rng.Perm(len(carers))[:size] {
				p.team = append(p.team, carers[k])
				teamRows = append(teamRows, []any{newID(created, rng), p.id, g.staff[carers[k]].id, created, created, g.staff[loc].id})
			}
			// Medicines: most people take several, some none.
			for range rng.IntN(8) {
				m := medicine{id: newID(created, rng)}
				name := medicineNames[rng.IntN(len(medicineNames))]
				m.prn = rng.IntN(5) == 0
				if !m.prn {
					m.times = doseTimes[rng.IntN(len(doseTimes))]
				}
				minMinutes, max24 := 0, 0
				if m.prn {
					minMinutes, max24 = 240, 4
				}
				medRows = append(medRows, []any{m.id, p.id, name[0], name[1], "1 tablet", "oral", strings.Join(m.times, ","), m.prn,
					minMinutes, max24, created.Truncate(24 * time.Hour), "Dr A Practitioner", "gp", created, g.staff[loc].id})
				p.meds = append(p.meds, m)
			}
			g.people = append(g.people, p)
		}
		g.pick = newAlias(needs)

		// Portal accounts: one person in fifty reads their own record.
		var linkRows [][]any
		for i := range g.c.PortalAccounts {
			pi := (i * 50) % len(g.people)
			u := staffMember{id: newID(created, rng), username: fmt.Sprintf("person%05d", i+1), name: "Portal user", loc: pi}
			g.people[pi].portal = len(g.portal)
			g.portal = append(g.portal, u)
			userRows = append(userRows, []any{u.id, "person", u.username, u.name, "", hash, g.opt.Secret(u.username), created, created})
			linkRows = append(linkRows, []any{u.id, g.people[pi].id, created})
		}

		if err := insert(ctx, tx, "users", "id, kind, username, display_name, role, password_hash, totp_secret, totp_enrolled_at, created_at", userRows); err != nil {
			return err
		}
		if err := insert(ctx, tx, "staff_locations", "user_id, location_id", staffLocRows); err != nil {
			return err
		}
		if err := insert(ctx, tx, "people", "id, location_id, given_name, family_name, preferred_name, date_of_birth, nhs_number, address, postcode, created_at, created_by", peopleRows); err != nil {
			return err
		}
		if err := insert(ctx, tx, "care_team", "id, person_id, user_id, starts_at, created_at, created_by", teamRows); err != nil {
			return err
		}
		if err := insert(ctx, tx, "medicines", "id, person_id, name, strength, dose, route, times, prn, prn_min_minutes, prn_max_24h, start_date, prescriber, source, created_at, created_by", medRows); err != nil {
			return err
		}
		return insert(ctx, tx, "person_accounts", "user_id, person_id, created_at", linkRows)
	})
}

// day is one day's generated rows and events.
type day struct {
	notes, obs, doses [][]any
	events            []audit.Event
	prepared          []audit.Prepared
	rows              int64
}

// history generates the days in order, preparing each day's audit events
// on every core while the one before is written.
func (g *generator) history(ctx context.Context) error {
	days := g.opt.Days
	writes := g.c.Notes + g.c.Observations + g.c.Doses
	reads := max(0, g.c.Events-writes)
	ready := make(chan *day, 2)
	errc := make(chan error, 1)
	genCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ready)
		quota := func(total, d int) int { return total*(d+1)/days - total*d/days }
		for d := range days {
			if genCtx.Err() != nil {
				return
			}
			dy := g.simulate(d, quota(g.c.Notes, d), quota(g.c.Observations, d), quota(g.c.Doses, d), quota(reads, d))
			if err := g.prepare(dy); err != nil {
				errc <- err
				return
			}
			select {
			case ready <- dy:
			case <-genCtx.Done():
				return
			}
		}
	}()
	total := g.c.Total()
	for dy := range ready {
		if err := g.write(ctx, dy); err != nil {
			return err
		}
		g.done += dy.rows
		if g.opt.Progress != nil {
			g.opt.Progress(g.done, total)
		}
	}
	select {
	case err := <-errc:
		return err
	default:
	}
	return ctx.Err()
}

// prepare makes each event's leaf, salt and MAC, spread over the cores.
func (g *generator) prepare(dy *day) error {
	dy.prepared = make([]audit.Prepared, len(dy.events))
	workers := runtime.GOMAXPROCS(0)
	per := (len(dy.events) + workers - 1) / workers
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(dy.events))
		if lo >= hi {
			continue
		}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				p, err := g.log.Prepare(dy.events[i])
				if err != nil {
					errs[w] = err
					return
				}
				dy.prepared[i] = p
			}
		})
	}
	wg.Wait()
	dy.events = nil
	return errors.Join(errs...)
}

func (g *generator) write(ctx context.Context, dy *day) error {
	return g.db.Tx(ctx, func(tx *store.Tx) error {
		if g.bulk == nil {
			b, err := g.log.NewBulk(ctx, tx)
			if err != nil {
				return err
			}
			g.bulk = b
		}
		if err := insert(ctx, tx, "daily_notes", "id, person_id, category, body, care_at, recorded_at, late, author_id, author_name, author_role", dy.notes); err != nil {
			return err
		}
		if err := insert(ctx, tx, "observations", "id, person_id, kind, taken_at, recorded_at, recorded_by, amount_ml, what, meal, portion, weight_g, resp_rate, spo2, spo2_scale, on_oxygen, systolic, pulse, consciousness, temperature_dc, news2", dy.obs); err != nil {
			return err
		}
		if err := insert(ctx, tx, "medicine_doses", "id, medicine_id, person_id, scheduled_for, at, outcome, reason_code, recorded_at, recorded_by", dy.doses); err != nil {
			return err
		}
		return g.bulk.Write(ctx, tx, dy.prepared)
	})
}

// event is an audit event as the door writes it for a decision.
func (g *generator) event(at time.Time, actor staffMember, kind access.Kind, action access.Action, purpose access.Purpose,
	f access.Facts, p *person, resourceType, resourceID, detail, requestID string, rng *rand.Rand) audit.Event {
	f.Now, f.Exists = at, true
	sub := access.Subject{ID: actor.id, Kind: kind, Role: actor.role}
	dec := access.Decide(sub, action, access.Resource{PersonID: p.id, Facts: f}, purpose)
	role := actor.role.String()
	if kind != access.KindStaff {
		role = kind.String()
	}
	outcome := audit.OutcomeSuccess
	if !dec.Permit {
		outcome = audit.OutcomeDenied
	}
	return audit.Event{At: at, ActorID: actor.id, ActorName: actor.name, ActorRole: role, ActorKind: kind.String(),
		Action: action.String(), ResourceType: resourceType, ResourceID: resourceID, PersonID: p.id, Purpose: purpose.String(),
		Decision: dec.Outcome(), Reason: dec.Reason.String(), ReasonText: dec.Sentence(), BasisID: dec.Basis,
		BreakGlass: dec.BreakGlass, SpecialBasis: dec.SpecialBasis, Outcome: outcome, Detail: detail,
		ClientAddr: fmt.Sprintf("10.%d.%d.%d", rng.IntN(8), rng.IntN(256), 1+rng.IntN(254)), RequestID: requestID}
}

// simulate makes day d: notes, observations and doses written by people's
// care teams, each with its write event, and page views (person pages,
// sections, the access history, people reading their own) as read events.
func (g *generator) simulate(d, notes, obs, doses, reads int) *day {
	rng := rand.New(rand.NewPCG(g.opt.Seed+uint64(d)*7919, 11))
	base := g.start.AddDate(0, 0, d)
	dy := &day{}
	type timed struct {
		at time.Time
		ev audit.Event
	}
	var evs []timed
	when := func() time.Time {
		h := hours.pick(rng)
		return base.Add(time.Duration(h)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour))))
	}
	author := func(p *person) staffMember { return g.staff[p.team[rng.IntN(len(p.team))]] }
	onTeam := access.Facts{CareTeam: true}
	req := func() string {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], rng.Uint64())
		return hex.EncodeToString(b[:])
	}

	for range notes {
		p := &g.people[g.pick.pick(rng)]
		if len(p.team) == 0 {
			continue
		}
		a, careAt := author(p), when()
		recorded := careAt.Add(time.Duration(rng.IntN(90)) * time.Minute)
		id := newID(recorded, rng)
		cat := care.NoteCategories[rng.IntN(len(care.NoteCategories))].Value
		dy.notes = append(dy.notes, []any{id, p.id, cat, noteBodies[rng.IntN(len(noteBodies))], careAt, recorded,
			recorded.Sub(careAt) > time.Hour, a.id, a.name, a.role.String()})
		evs = append(evs, timed{recorded, g.event(recorded, a, access.KindStaff, access.WriteRecord, access.DirectCare, onTeam, p,
			"Observation", id, "daily note", req(), rng)})
	}
	for range obs {
		p := &g.people[g.pick.pick(rng)]
		if len(p.team) == 0 {
			continue
		}
		a, taken := author(p), when()
		recorded := taken.Add(time.Duration(rng.IntN(30)) * time.Minute)
		id := newID(recorded, rng)
		row := []any{id, p.id, "", taken, recorded, a.id, nil, "", "", "", nil, nil, nil, nil, nil, nil, nil, "", nil, nil}
		switch k := obsKinds.pick(rng); k {
		case 0:
			row[2], row[6], row[7] = "fluid_in", 50+rng.IntN(8)*50, drinks[rng.IntN(len(drinks))]
		case 1:
			row[2], row[6] = "fluid_out", 100+rng.IntN(6)*50
		case 2:
			row[2], row[8], row[9] = "food", care.Meals[rng.IntN(len(care.Meals))].Value, care.Portions[rng.IntN(4)].Value
		case 3:
			row[2], row[10] = "weight", 45000+rng.IntN(60000)
		default:
			v := care.Vitals{RespRate: 12 + rng.IntN(10), SpO2: 92 + rng.IntN(8), SpO2Scale: 1, Systolic: 100 + rng.IntN(60),
				Pulse: 55 + rng.IntN(50), Consciousness: care.ACVPUAlert, TempDC: 358 + rng.IntN(25)}
			row[2], row[11], row[12], row[13], row[14], row[15], row[16], row[17], row[18], row[19] = "vitals", v.RespRate, v.SpO2, v.SpO2Scale,
				false, v.Systolic, v.Pulse, v.Consciousness, v.TempDC, care.ScoreNEWS2(v).Total
		}
		dy.obs = append(dy.obs, row)
		evs = append(evs, timed{recorded, g.event(recorded, a, access.KindStaff, access.WriteRecord, access.DirectCare, onTeam, p,
			"Observation", id, "observation: "+row[2].(string), req(), rng)})
	}
	slots := map[string]bool{}
	for range doses {
		p := &g.people[g.pick.pick(rng)]
		if len(p.team) == 0 || len(p.meds) == 0 {
			continue
		}
		m := p.meds[rng.IntN(len(p.meds))]
		a := author(p)
		var scheduled any
		at := when()
		if !m.prn {
			slot := m.times[rng.IntN(len(m.times))]
			if slots[m.id+slot] {
				continue
			}
			slots[m.id+slot] = true
			hh, mm := int(slot[0]-'0')*10+int(slot[1]-'0'), int(slot[3]-'0')*10+int(slot[4]-'0')
			s := base.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
			scheduled, at = s, s.Add(time.Duration(rng.IntN(40)-10)*time.Minute)
		}
		outcome, reason := care.Given, ""
		if r := rng.IntN(100); r < 4 {
			outcome, reason = care.Refused, "declined"
		} else if r < 6 {
			outcome, reason = care.Omitted, "asleep"
		}
		recorded := at.Add(time.Duration(rng.IntN(5)) * time.Minute)
		id := newID(recorded, rng)
		dy.doses = append(dy.doses, []any{id, m.id, p.id, scheduled, at, outcome, reason, recorded, a.id})
		evs = append(evs, timed{recorded, g.event(recorded, a, access.KindStaff, access.AdministerMedicines, access.DirectCare, onTeam, p,
			"MedicationAdministration", id, "dose: "+outcome, req(), rng)})
	}
	// Reads: each page view is one request of one to three decisions.
	for n := 0; n < reads; {
		p := &g.people[g.pick.pick(rng)]
		if len(p.team) == 0 {
			continue
		}
		at, rid := when(), req()
		add := func(ev audit.Event) { evs = append(evs, timed{at, ev}); n++ }
		switch r := rng.IntN(1000); {
		case r < 5:
			// Someone not on the team tries: refused, and audited.
			other := g.staff[g.carersAt[(p.loc+1)%len(g.carersAt)][0]]
			add(g.event(at, other, access.KindStaff, access.ViewPerson, access.DirectCare, access.Facts{}, p, "Patient", p.id, "", rid, rng))
		case r < 20 && p.portal >= 0:
			u := g.portal[p.portal]
			self := access.Facts{Self: true}
			add(g.event(at, u, access.KindPerson, access.ViewPerson, access.OwnRecord, self, p, "Patient", p.id, "", rid, rng))
			add(g.event(at, u, access.KindPerson, access.ReadAccessLog, access.OwnRecord, self, p, "AuditEvent", "", "", rid, rng))
		case r < 450:
			a := author(p)
			add(g.event(at, a, access.KindStaff, access.ViewPerson, access.DirectCare, onTeam, p, "Patient", p.id, "", rid, rng))
			add(g.event(at, a, access.KindStaff, access.ReadAccessLog, access.DirectCare, onTeam, p, "AuditEvent", "", "", rid, rng))
			add(g.event(at, a, access.KindStaff, access.ReadRecord, access.DirectCare, onTeam, p, "Flag", "", "alerts", rid, rng))
		case r < 800:
			a := author(p)
			add(g.event(at, a, access.KindStaff, access.ReadRecord, access.DirectCare, onTeam, p, "Observation", "", sections[rng.IntN(len(sections))], rid, rng))
		default:
			a := author(p)
			add(g.event(at, a, access.KindStaff, access.ReadMedicines, access.DirectCare, onTeam, p, "MedicationStatement", "", "medicines", rid, rng))
		}
	}
	// The log is in time order, as it would have been written, and each
	// event's ID carries its time.
	slices.SortFunc(evs, func(a, b timed) int { return a.at.Compare(b.at) })
	dy.events = make([]audit.Event, len(evs))
	for i := range evs {
		evs[i].ev.ID = newID(evs[i].at, rng)
		dy.events[i] = evs[i].ev
	}
	dy.rows = int64(len(dy.notes) + len(dy.obs) + len(dy.doses) + len(dy.events))
	return dy
}

// newID is a UUIDv7 for time t, as hearth.NewID makes for now.
func newID(t time.Time, rng *rand.Rand) string {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	binary.LittleEndian.PutUint64(u[6:14], rng.Uint64())
	r := rng.Uint32()
	u[14], u[15] = byte(r), byte(r>>8)
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// insert writes rows into table a few hundred at a time, in statements of
// a few repeated shapes (a power of two rows each) so that each connection's
// statement cache parses each shape once.
func insert(ctx context.Context, tx *store.Tx, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	per := 1
	for per*2*cols <= 16000 && per < 512 {
		per *= 2
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	args := make([]any, 0, per*cols)
	for start := 0; start < len(rows); {
		n := per
		for n > len(rows)-start {
			n /= 2
		}
		stmt := "INSERT INTO " + table + " (" + columns + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
		args = args[:0]
		for _, r := range rows[start : start+n] {
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, stmt, args...); err != nil {
			return fmt.Errorf("gen: insert into %s: %w", table, err)
		}
		start += n
	}
	return nil
}

// alias is Vose's alias method: picks an index with probability
// proportional to its weight in constant time.
type alias struct {
	prob  []float64
	alias []int
}

func newAlias(w []float64) *alias {
	n := len(w)
	var sum float64
	for _, x := range w {
		sum += x
	}
	a := &alias{prob: make([]float64, n), alias: make([]int, n)}
	scaled := make([]float64, n)
	var small, large []int
	for i, x := range w {
		scaled[i] = x * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small, large = small[:len(small)-1], large[:len(large)-1]
		a.prob[s], a.alias[s] = scaled[s], l
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			small = append(small, l)
		} else {
			large = append(large, l)
		}
	}
	for _, i := range append(small, large...) {
		a.prob[i] = 1
	}
	return a
}

func (a *alias) pick(rng *rand.Rand) int {
	i := rng.IntN(len(a.prob))
	if rng.Float64() < a.prob[i] {
		return i
	}
	return a.alias[i]
}

// hours is when care is recorded: from early morning to late evening,
// busiest around meals and medicine rounds, quiet at night.
var hours = newAlias([]float64{1, 0.6, 0.5, 0.5, 0.6, 1, 3, 7, 10, 8, 6, 6, 8, 7, 5, 5, 6, 8, 7, 6, 5, 4, 2, 1.5})

// obsKinds: fluids most, then food, weight now and then, vital signs.
var obsKinds = newAlias([]float64{45, 8, 25, 7, 15})

func fullName(rng *rand.Rand) string {
	return givenNames[rng.IntN(len(givenNames))] + " " + familyNames[rng.IntN(len(familyNames))]
}

func postcode(rng *rand.Rand) string {
	areas := []string{"CF10", "LL57", "SA1", "M14", "B12", "LS6", "BS3", "NE4", "G12", "BT7"}
	return fmt.Sprintf("%s %d%c%c", areas[rng.IntN(len(areas))], 1+rng.IntN(9), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)))
}

var (
	givenNames = []string{"Margaret", "Dafydd", "Aoife", "Harold", "Joyce", "Rajesh", "Winifred", "Stanislaw", "Beryl",
		"Desmond", "Niamh", "Gurpreet", "Eileen", "Alun", "Doreen", "Mohammed", "Kathleen", "Cyril", "Gwenllian", "Patrick",
		"Iris", "Winston", "Morag", "Ahmed", "Maureen", "Ewan", "Olwen", "Samuel", "Hyacinth", "Bronwen", "Leonard", "Siobhán",
		"Mabel", "Tariq", "Agnes", "Hamish", "Precious", "Zofia", "Norman", "Ffion", "Grace", "Tomasz", "Siân", "Priya",
		"Eilidh", "Kwame", "Amy", "Daniel", "Fatima", "Lewis", "Chidi", "Mei", "Oluwaseun", "Rhodri", "Saoirse", "Yusuf"}
	familyNames = []string{"Thompson", "ap Rhys", "O'Sullivan", "Bennett", "Patel", "Kowalski", "Jenkins", "Campbell",
		"Ahmed", "Walker", "Ní Bhriain", "Singh", "Roberts", "Morgan", "Hughes", "Hussain", "Murphy", "Fraser", "Edwards",
		"Clarke", "Williams", "Baptiste", "MacDonald", "Khan", "Davies", "Stewart", "Price", "Okonkwo", "Brown", "Llewellyn",
		"Taylor", "Ó Briain", "Green", "Mahmood", "Wilson", "Gordon", "Adeyemi", "Nowakowska", "Wright", "Pritchard",
		"Okafor", "Nowak", "Shah", "MacLeod", "Mensah", "Begum", "Evans", "Chen", "Adebayo", "Kaur"}
	placeNames = []string{"Rowan", "Birch", "Heather", "Willow", "Oak", "Hazel", "Alder", "Elm", "Ash", "Holly", "Larch",
		"Cedar", "Maple", "Aspen", "Juniper", "Yew", "Beech", "Poplar", "Hawthorn", "Sycamore"}
	streets       = []string{"Church Lane", "Station Road", "Heol y Parc", "Victoria Street", "Mill Road", "Park Avenue", "The Crescent", "Queen Street"}
	drinks        = []string{"Tea", "Water", "Squash", "Coffee", "Milk", "Juice"}
	sections      = []string{"daily notes", "observations", "care plans", "About Me", "risks"}
	doseTimes     = [][]string{{"08:00"}, {"08:00", "20:00"}, {"08:00", "13:00", "18:00"}, {"08:00", "12:00", "17:00", "22:00"}, {"22:00"}}
	medicineNames = [][2]string{{"Paracetamol", "500mg"}, {"Amlodipine", "5mg"}, {"Metformin", "500mg"}, {"Ramipril", "2.5mg"},
		{"Atorvastatin", "20mg"}, {"Donepezil", "10mg"}, {"Levothyroxine", "50mcg"}, {"Sertraline", "50mg"}, {"Omeprazole", "20mg"},
		{"Lactulose", "10ml"}, {"Furosemide", "40mg"}, {"Bisoprolol", "2.5mg"}}
	noteBodies = []string{
		"Had a good breakfast and chatted about her grandchildren.",
		"Supported with a shower this morning; skin checked, no concerns.",
		"Quiet today and a little low in mood; spent time talking in the garden.",
		"Enjoyed the music session in the lounge and sang along.",
		"Visited by his daughter this afternoon; they went for a short walk.",
		"Declined lunch at first, then ate most of a sandwich later.",
		"Slept well through the night, checked hourly.",
		"Took medicines with water without difficulty.",
		"Seemed confused this evening, reassured and settled by 9pm.",
		"Helped to phone her son; was pleased to hear his news.",
	}
)
