// Package bench is Hearth's load tool: it signs in as care staff and as
// people using the portal, drives a running server over HTTP with the mixes
// real use makes, closed loop at set concurrencies and open loop at set
// rates, and in the same run measures what the machine can do at all (an
// fsync on the database's volume, a durable commit on the engine, a static
// file through the same server). Every figure is reported as a ratio to
// its limit, because the machine Hearth is measured on is shared and
// noisy: the ratios hold when the absolute figures do not.
package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Target is one running server and the database behind it.
type Target struct {
	Label string // the data set: "1x", "10x"
	URL   string // http://127.0.0.1:port
	DSN   string // the database file or postgres:// DSN, for the limits
	// Stats, when set, counts the server's group commits and the writes
	// they made durable (store.DB.WriteStats), for writes per fsync.
	Stats func() (commits, writes int64)
}

// Config is one benchmark run.
type Config struct {
	Targets  []Target
	Mixes    []string      // names from Mixes
	Clients  []int         // closed-loop concurrencies
	Rates    []float64     // open-loop rates, requests a second
	Duration time.Duration // each run
	Sessions int           // staff (or portal) accounts to sign in as
	Staff    []string      // usernames to sign in as for staff mixes
	Portal   []string      // usernames for portal mixes
	Password string
	Secret   func(username string) string
	Progress io.Writer
}

// Report is everything a run measured.
type Report struct {
	Started  time.Time `json:"started"`
	Machine  Machine   `json:"machine"`
	Limits   []Limits  `json:"limits"`
	Samples  []Sample  `json:"samples"`
	Verify   []Verify  `json:"verify,omitempty"`
	LoadFrom [3]float64
	LoadTo   [3]float64
}

// Verify is `audit verify` over one data set beside the machine's limit for
// the same work: an HMAC and an RFC 6962 leaf hash of a typical leaf on
// every core, measured in the same run.
type Verify struct {
	Data      string  `json:"data"`
	Events    int64   `json:"events"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	Limit     float64 `json:"limit"` // events a second the cores could MAC and hash
	OK        bool    `json:"ok"`
}

// Merge puts reports of separate runs (data sets measured at different
// times) into one, for one document.
func Merge(reps ...Report) Report {
	var out Report
	for i, r := range reps {
		if i == 0 {
			out.Started, out.Machine, out.LoadFrom = r.Started, r.Machine, r.LoadFrom
		}
		out.Limits = append(out.Limits, r.Limits...)
		out.Samples = append(out.Samples, r.Samples...)
		out.Verify = append(out.Verify, r.Verify...)
		out.LoadTo = r.LoadTo
	}
	return out
}

// Run measures every mix against every target.
func Run(ctx context.Context, cfg Config) (Report, error) {
	rep := Report{Started: time.Now().UTC(), Machine: readMachine()}
	rep.LoadFrom = loadAvg()
	out := cfg.Progress
	for _, t := range cfg.Targets {
		lim, err := measureLimits(ctx, t, cfg)
		if err != nil {
			return rep, fmt.Errorf("bench: limits for %s: %w", t.Label, err)
		}
		rep.Limits = append(rep.Limits, lim)
		staff, portal, err := signInAll(ctx, t, cfg)
		if err != nil {
			return rep, err
		}
		for _, name := range cfg.Mixes {
			mix, ok := Mixes[name]
			if !ok {
				return rep, fmt.Errorf("bench: no mix called %q", name)
			}
			sessions := staff
			if mix.Portal {
				sessions = portal
			}
			if len(sessions) == 0 {
				return rep, fmt.Errorf("bench: no one signed in for %s", name)
			}
			for _, c := range cfg.Clients {
				label := fmt.Sprintf("%s %s, %d clients", t.Label, name, c)
				c0, w0 := stats(t)
				s := closedLoop(ctx, sessions, mix, c, cfg.Duration, out, label)
				s.Commits, s.Writes = since(t, c0, w0)
				rep.Samples = append(rep.Samples, lim.judge(s, t.Label, mix))
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
			}
			for _, r := range cfg.Rates {
				label := fmt.Sprintf("%s %s, %.0f/s offered", t.Label, name, r)
				c0, w0 := stats(t)
				s := openLoop(ctx, sessions, mix, r, cfg.Duration, out, label)
				s.Commits, s.Writes = since(t, c0, w0)
				rep.Samples = append(rep.Samples, lim.judge(s, t.Label, mix))
				if ctx.Err() != nil {
					return rep, ctx.Err()
				}
			}
		}
	}
	rep.LoadTo = loadAvg()
	return rep, nil
}

func stats(t Target) (int64, int64) {
	if t.Stats == nil {
		return 0, 0
	}
	return t.Stats()
}

func since(t Target, c0, w0 int64) (int64, int64) {
	c, w := stats(t)
	return c - c0, w - w0
}

func measureLimits(ctx context.Context, t Target, cfg Config) (Limits, error) {
	lim := Limits{Data: t.Label, Static: map[int]float64{}, Engine: "sqlite", CommitConn: 16}
	d := min(cfg.Duration, 5*time.Second)
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%s: measuring the machine's limits...\n", t.Label)
	}
	var err error
	if !strings.HasPrefix(t.DSN, "postgres") {
		lim.DBPath = t.DSN
		lim.CommitConn = 1
		if lim.Fsync, err = fsyncRate(filepath.Dir(t.DSN), d); err != nil {
			return lim, fmt.Errorf("fsync: %w", err)
		}
	} else {
		lim.Engine = "postgres"
		// The database's volume is the server's; measure this machine's
		// own disk as the nearest thing (PostgreSQL here is local).
		if lim.Fsync, err = fsyncRate(os.TempDir(), d); err != nil {
			return lim, fmt.Errorf("fsync: %w", err)
		}
	}
	if lim.Commits, lim.EngineVer, err = commitRate(ctx, t.DSN, 1, d); err != nil {
		return lim, fmt.Errorf("raw commits: %w", err)
	}
	if lim.CommitConn > 1 {
		if lim.CommitsN, _, err = commitRate(ctx, t.DSN, lim.CommitConn, d); err != nil {
			return lim, fmt.Errorf("raw commits: %w", err)
		}
	} else {
		lim.CommitsN = lim.Commits
	}
	for _, c := range cfg.Clients {
		if lim.Static[c], err = staticRate(ctx, t.URL, c, d); err != nil {
			return lim, err
		}
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%s: fsync %.0f/s, raw commits %.0f/s (%d writers: %.0f/s), static file %s\n",
			t.Label, lim.Fsync, lim.Commits, lim.CommitConn, lim.CommitsN, staticSummary(lim.Static))
	}
	return lim, nil
}

func staticSummary(m map[int]float64) string {
	var parts []string
	for _, c := range slices.Sorted(mapsKeys(m)) {
		parts = append(parts, fmt.Sprintf("%.0f/s at %d", m[c], c))
	}
	return strings.Join(parts, ", ")
}

func mapsKeys(m map[int]float64) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// judge pairs a sample with the limit it should be read against: a write
// mix with the engine's raw commit rate, everything else with the static
// file at the same concurrency (or the highest measured, for open loop).
func (l Limits) judge(s Sample, data string, mix Mix) Sample {
	s.Data = data
	if mix.Writes {
		s.Limit, s.LimitName = l.CommitsN, "raw commits"
	} else {
		c := s.Clients
		if c == 0 {
			for k := range l.Static {
				c = max(c, k)
			}
		}
		s.Limit, s.LimitName = l.Static[c], "static file"
	}
	if s.Limit > 0 {
		s.Ratio = s.Throughput / s.Limit
	}
	return s
}

// signInAll signs in up to Sessions staff and portal accounts, each from
// its own loopback address (the server limits sign-ins per address).
func signInAll(ctx context.Context, t Target, cfg Config) (staff, portal []*session, err error) {
	need := map[bool]bool{}
	for _, m := range cfg.Mixes {
		need[Mixes[m].Portal] = true
	}
	conns := 2 * slices.Max(append([]int{1}, cfg.Clients...))
	one := func(users []string, portalKind bool, from int) ([]*session, error) {
		var out []*session
		for i, u := range users {
			if len(out) >= cfg.Sessions {
				break
			}
			s, err := signIn(ctx, t.URL, fmt.Sprintf("127.0.%d.%d", 1+(from+i)/250, 2+(from+i)%250), u, cfg.Password, cfg.Secret(u), conns)
			if err != nil {
				return nil, err
			}
			if err := s.discover(ctx, portalKind); err != nil {
				continue // someone with no one to see (a new location): try the next
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("bench: none of %d accounts could sign in and see anyone", len(users))
		}
		return out, nil
	}
	if need[false] {
		if staff, err = one(cfg.Staff, false, 0); err != nil {
			return nil, nil, err
		}
	}
	if need[true] {
		if portal, err = one(cfg.Portal, true, 500); err != nil {
			return nil, nil, err
		}
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "%s: signed in %d staff and %d portal accounts\n", t.Label, len(staff), len(portal))
	}
	return staff, portal, nil
}

// Machine is what the figures were measured on.
type Machine struct {
	CPU     string `json:"cpu"`
	Cores   int    `json:"cores"`
	Memory  string `json:"memory"`
	Kernel  string `json:"kernel"`
	Disk    string `json:"disk"`
	Go      string `json:"go"`
	Sharing string `json:"sharing"`
}

func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:")), "%f", &kb)
				m.Memory = fmt.Sprintf("%.0f GiB", math.Round(kb/1024/1024))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if _, err := os.Stat("/sys/block/vda"); err == nil {
		m.Disk = "a virtio block device (vda)"
	}
	return m
}

func loadAvg() [3]float64 {
	var l [3]float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscanf(string(b), "%f %f %f", &l[0], &l[1], &l[2])
	}
	return l
}
