package audit_test

import (
	"context"
	"testing"

	"hearth/internal/audit"
	"hearth/internal/store"
)

// Run on both engines, e.g.:
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/audit/
//	HEARTH_TEST_ENGINE=postgres HEARTH_TEST_POSTGRES=postgres://... go test -run '^$' -bench . ./internal/audit/

// appendBulk appends n events in transactions of 2,000, so that building a
// large log for a benchmark does not take one fsync per event.
func appendBulk(b *testing.B, l *audit.Log, db *store.DB, from, n int) {
	b.Helper()
	for start := from; start < from+n; start += 2000 {
		end := min(start+2000, from+n)
		err := db.Tx(context.Background(), func(tx *store.Tx) error {
			for i := start; i < end; i++ {
				if _, err := l.Append(context.Background(), tx, readEvent(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend is one audited access with nothing else in its
// transaction: one durable commit per event, the worst case.
func BenchmarkAppend(b *testing.B) {
	l, _ := newTestLog(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := l.AppendNow(ctx, readEvent(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendParallel is many requests appending at once, each in its
// own transaction, as a busy server does.
func BenchmarkAppendParallel(b *testing.B) {
	l, _ := newTestLog(b)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.AppendNow(context.Background(), readEvent(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSeal seals batches of 1,000 pending events into a growing tree.
func BenchmarkSeal(b *testing.B) {
	const batch = 1000
	l, db := newTestLog(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		appendBulk(b, l, db, i*batch, batch)
		b.StartTimer()
		n, err := l.Seal(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n != batch {
			b.Fatalf("sealed %d, want %d", n, batch)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVerify verifies a log of 20,000 sealed events from scratch.
func BenchmarkVerify(b *testing.B) {
	const events = 20000
	l, db := newTestLog(b)
	ctx := context.Background()
	appendBulk(b, l, db, 0, events)
	for {
		n, err := l.Seal(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.ResetTimer()
	runs := 0
	for b.Loop() {
		rep, err := l.Verify(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Sealed != events {
			b.Fatalf("report = %+v", rep)
		}
		runs++
	}
	b.ReportMetric(float64(runs*events)/b.Elapsed().Seconds(), "events/s")
}
