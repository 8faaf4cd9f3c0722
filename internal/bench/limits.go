package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hearth/internal/store"
)

// Limits are what this machine can do at all, measured in the same run as
// the load so that every figure can be given as a share of them: the
// machine is shared and noisy, and a ratio to a limit measured a minute
// apart says more than a raw figure measured on another day.
type Limits struct {
	Data       string          `json:"data"`
	Fsync      float64         `json:"fsync_per_s"`       // write+fdatasync of 4 KiB on the database's volume, one at a time
	Commits    float64         `json:"commits_per_s"`     // durable one-row audit-shaped commits on the engine, one writer
	CommitsN   float64         `json:"commits_n_per_s"`   // the same from CommitConns writers (PostgreSQL overlaps them)
	CommitConn int             `json:"commit_conns"`      // how many writers CommitsN used
	Static     map[int]float64 `json:"static_per_s"`      // a static file through the same server, by concurrency
	Engine     string          `json:"engine"`            // sqlite or postgres
	EngineVer  string          `json:"engine_version"`    //
	DBPath     string          `json:"db_path,omitempty"` // where the database (and so the fsync test) lives
}

// fsyncRate writes 4 KiB and waits for it to be durable, again and again,
// in a scratch file beside the database.
func fsyncRate(dir string, d time.Duration) (float64, error) {
	f, err := os.CreateTemp(dir, ".hearth-bench-fsync-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		if _, err := f.WriteAt(buf, int64(n%256)*4096); err != nil {
			return 0, err
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// commitRate is the engine's own durable commit rate for a row shaped like
// an audit event, through the same store package Hearth uses, with
// writers concurrent writers. For SQLite the scratch database sits beside
// the real one (same volume); for PostgreSQL a scratch schema in the same
// database.
func commitRate(ctx context.Context, dsn string, writers int, d time.Duration) (float64, string, error) {
	var scratch string
	if store.IsPostgres(dsn) {
		admin, err := store.Open(ctx, dsn, nil)
		if err != nil {
			return 0, "", err
		}
		defer admin.Close()
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		if _, err := admin.SQL().ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			return 0, "", err
		}
		defer admin.SQL().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		scratch = dsn + sep + "search_path=" + schema
	} else {
		dir := filepath.Dir(dsn)
		f, err := os.CreateTemp(dir, ".hearth-bench-commit-*.db")
		if err != nil {
			return 0, "", err
		}
		f.Close()
		scratch = f.Name()
		defer func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(scratch + suffix)
			}
		}()
	}
	db, err := store.Open(ctx, scratch, nil)
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	var version string
	q := `SELECT sqlite_version()`
	if db.Dialect() == store.Postgres {
		q = `SHOW server_version`
	}
	if err := db.SQL().QueryRowContext(ctx, q).Scan(&version); err != nil {
		return 0, "", err
	}
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE bench_events (id TEXT PRIMARY KEY, at TEXT NOT NULL, actor_id TEXT, actor_name TEXT,
		action TEXT, resource_type TEXT, resource_id TEXT, person_id TEXT, purpose TEXT, decision TEXT, reason TEXT, reason_text TEXT,
		outcome TEXT, detail TEXT, client_addr TEXT, request_id TEXT, mac TEXT)`); err != nil {
		return 0, "", err
	}
	if _, err := db.SQL().ExecContext(ctx, `CREATE INDEX bench_events_person ON bench_events (person_id, at)`); err != nil {
		return 0, "", err
	}
	var n atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				err := db.Tx(ctx, func(tx *store.Tx) error {
					_, err := tx.Exec(ctx, `INSERT INTO bench_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
						fmt.Sprintf("%d-%d", w, i), time.Now().UTC().Format(time.RFC3339Nano), "0195a2b4-0000-7000-8000-000000000001", "Amara Okafor",
						"read-record", "Observation", "", fmt.Sprintf("person-%d", i%5000), "direct-care", "permit", "care-team",
						"On the person's care team", "success", "observations", "10.0.0.7", "4f2a9c1e8b7d6a5f", strings.Repeat("a", 64))
					return err
				})
				if err != nil {
					if ctx.Err() == nil {
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if e, _ := firstErr.Load().(error); e != nil {
		return 0, version, e
	}
	return float64(n.Load()) / time.Since(start).Seconds(), version, nil
}

// staticRate is a static file through the same server, closed loop at
// clients concurrency: the most the server can answer at all, HTTP and
// middleware included, with no database behind it.
func staticRate(ctx context.Context, base string, clients int, d time.Duration) (float64, error) {
	s := &session{http: newClient("", max(clients, runtime.GOMAXPROCS(0))), base: base}
	var n atomic.Int64
	var errs atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				err := s.do(ctx, request{path: "/static/app.css"})
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					errs.Add(1)
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if errs.Load() > 0 && n.Load() == 0 {
		return 0, fmt.Errorf("static file: every request failed")
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}
