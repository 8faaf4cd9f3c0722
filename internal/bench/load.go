package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // Europe/London wherever the bench runs
)

// request is one thing a client asks the server.
type request struct {
	path   string
	form   map[string]string // nil for a GET
	accept string
}

// Mix is a named blend of requests, as one kind of user makes them.
type Mix struct {
	Name   string
	Portal bool // signed in as people reading their own record, not staff
	Writes bool // every request is a write (for writes per fsync)
	next   func(rng *rand.Rand, person string, now time.Time) request
}

// london is the time zone the forms' dates and times are in.
var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // the embedded tzdata always has it
	}
	return loc
}()

// Mixes are the load shapes the issue names.
var Mixes = map[string]Mix{
	// A care worker at the point of care: 70% reading the person page and
	// its sections, 20% writing daily notes, 10% observations and
	// medicines.
	"point-of-care": {Name: "point-of-care", next: func(rng *rand.Rand, p string, now time.Time) request {
		switch r := rng.IntN(100); {
		case r < 35:
			return request{path: "/people/" + p}
		case r < 70:
			return request{path: "/people/" + p + "/" + []string{"notes", "observations", "medicines", "about-me", "care-plans", "risks"}[rng.IntN(6)]}
		case r < 90:
			return noteRequest(rng, p, now)
		case r < 95:
			return obsRequest(rng, p, now)
		default:
			return request{path: "/people/" + p + "/medicines"}
		}
	}},
	// Only the person page: the headline figure.
	"person-page": {Name: "person-page", next: func(rng *rand.Rand, p string, now time.Time) request {
		return request{path: "/people/" + p}
	}},
	// Only daily notes: every request is an audited write.
	"notes": {Name: "notes", Writes: true, next: func(rng *rand.Rand, p string, now time.Time) request {
		return noteRequest(rng, p, now)
	}},
	// People reading who has seen their record.
	"portal-history": {Name: "portal-history", Portal: true, next: func(rng *rand.Rand, p string, now time.Time) request {
		return request{path: "/my/" + p + "/history"}
	}},
	// A partner-style reader of the FHIR API (with a staff session):
	// reads of the person and searches of their observations and notes.
	"api": {Name: "api", next: func(rng *rand.Rand, p string, now time.Time) request {
		switch r := rng.IntN(10); {
		case r < 4:
			return request{path: "/fhir/Patient/" + p, accept: "application/fhir+json"}
		case r < 7:
			return request{path: "/fhir/Observation?patient=" + p + "&_count=20", accept: "application/fhir+json"}
		default:
			return request{path: "/fhir/MedicationAdministration?patient=" + p + "&_count=20", accept: "application/fhir+json"}
		}
	}},
}

func noteRequest(rng *rand.Rand, p string, now time.Time) request {
	at := now.In(london).Add(-time.Duration(rng.IntN(120)) * time.Minute)
	return request{path: "/people/" + p + "/notes", form: map[string]string{
		"category": "personal-care", "body": "Supported with washing and dressing; chose the blue cardigan.",
		"care_date": at.Format("2006-01-02"), "care_time": at.Format("15:04")}}
}

func obsRequest(rng *rand.Rand, p string, now time.Time) request {
	at := now.In(london).Add(-time.Duration(rng.IntN(60)) * time.Minute)
	return request{path: "/people/" + p + "/observations", form: map[string]string{
		"kind": "fluid_in", "form": "fluids", "when": at.Format("2006-01-02T15:04"),
		"amount": fmt.Sprint(100 + 50*rng.IntN(4)), "what": "Tea"}}
}

// Sample is the outcome of one run of one mix at one load.
type Sample struct {
	Mix        string  `json:"mix"`
	Data       string  `json:"data"`                  // which data set: "1x", "10x"
	Clients    int     `json:"clients,omitempty"`     // closed loop: concurrent clients
	Rate       float64 `json:"rate,omitempty"`        // open loop: requests per second offered
	Seconds    float64 `json:"seconds"`               // how long it ran
	Requests   int     `json:"requests"`              // answered
	Errors     int     `json:"errors"`                // failed or wrong status
	Throughput float64 `json:"throughput"`            // answered per second
	P50        float64 `json:"p50_ms"`                // latency percentiles, milliseconds
	P95        float64 `json:"p95_ms"`                //
	P99        float64 `json:"p99_ms"`                //
	Limit      float64 `json:"limit"`                 // the machine's limit this is compared with, per second
	LimitName  string  `json:"limit_name"`            // what that limit is
	Ratio      float64 `json:"ratio"`                 // Throughput / Limit
	FirstError string  `json:"first_error,omitempty"` // what went wrong first, if anything
	Commits    int64   `json:"commits,omitempty"`     // the server's group commits during the run (SQLite)
	Writes     int64   `json:"writes,omitempty"`      // scopes those commits made durable, audit-only reads included
}

type recorder struct {
	mu       sync.Mutex
	lat      []time.Duration
	errors   int
	firstErr string
	done     atomic.Int64
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	if err != nil {
		r.errors++
		if r.firstErr == "" {
			r.firstErr = err.Error()
		}
	} else {
		r.lat = append(r.lat, d)
	}
	r.mu.Unlock()
	r.done.Add(1)
}

func (r *recorder) sample(s Sample, took time.Duration) Sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.lat)
	pct := func(p float64) float64 {
		if len(r.lat) == 0 {
			return 0
		}
		i := min(len(r.lat)-1, int(float64(len(r.lat))*p))
		return float64(r.lat[i].Microseconds()) / 1000
	}
	s.Seconds = took.Seconds()
	s.Requests, s.Errors, s.FirstError = len(r.lat), r.errors, r.firstErr
	s.Throughput = float64(len(r.lat)) / took.Seconds()
	s.P50, s.P95, s.P99 = pct(0.50), pct(0.95), pct(0.99)
	return s
}

// progress prints a line a second while a run lasts.
func progress(ctx context.Context, w io.Writer, label string, r *recorder, d time.Duration) func() {
	if w == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				fmt.Fprintf(w, "\r%-48s %5.1fs/%.0fs %8d requests %5d errors\n", label, time.Since(start).Seconds(), d.Seconds(), r.done.Load(), r.errors)
				return
			case <-t.C:
				r.mu.Lock()
				e := r.errors
				r.mu.Unlock()
				fmt.Fprintf(w, "\r%-48s %5.1fs/%.0fs %8d requests %5d errors", label, time.Since(start).Seconds(), d.Seconds(), r.done.Load(), e)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// closedLoop runs clients that each send the next request as soon as the
// last is answered, for d.
func closedLoop(ctx context.Context, sessions []*session, mix Mix, clients int, d time.Duration, out io.Writer, label string) Sample {
	rec := &recorder{}
	stop := progress(ctx, out, label, rec, d)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		s := sessions[c%len(sessions)]
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			for ctx.Err() == nil {
				r := mix.next(rng, s.people[rng.IntN(len(s.people))], time.Now())
				t0 := time.Now()
				err := s.do(ctx, r)
				if ctx.Err() != nil {
					return // cut off by the end of the run: not counted
				}
				rec.add(time.Since(t0), err)
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	stop()
	return rec.sample(Sample{Mix: mix.Name, Clients: clients}, took)
}

// openLoop offers rate requests a second for d, whatever the server's
// pace: latency is counted from when each request was due, so a server
// that falls behind is charged for the queue it builds (no coordinated
// omission). At most maxInFlight are outstanding; requests due beyond
// that are counted as errors.
func openLoop(ctx context.Context, sessions []*session, mix Mix, rate float64, d time.Duration, out io.Writer, label string) Sample {
	const maxInFlight = 2048
	rec := &recorder{}
	stop := progress(ctx, out, label, rec, d)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sem := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(rate), 9))
	var wg sync.WaitGroup
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		s := sessions[i%len(sessions)]
		r := mix.next(rng, s.people[rng.IntN(len(s.people))], time.Now())
		select {
		case sem <- struct{}{}:
		default:
			rec.add(0, fmt.Errorf("more than %d requests outstanding", maxInFlight))
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.do(ctx, r)
			if ctx.Err() != nil {
				return
			}
			rec.add(time.Since(due), err)
		})
	}
	wg.Wait()
	took := time.Since(start)
	stop()
	return rec.sample(Sample{Mix: mix.Name, Rate: rate}, took)
}
