package people_test

import (
	"testing"

	"hearth/internal/apptest"
)

// BenchmarkAuditedRead is one read of a person through the door: load the
// relationship facts, decide, read, append the audit event and commit
// durably (fsync) before returning. Run it on each engine:
//
//	go test -bench AuditedRead -run x ./internal/people/
//	HEARTH_TEST_ENGINE=postgres HEARTH_TEST_POSTGRES=... go test -bench AuditedRead -run x ./internal/people/
func BenchmarkAuditedRead(b *testing.B) {
	s := apptest.NewScenario(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuditedReadParallel is the same read from many goroutines: the
// append path takes no global lock in Hearth, so what limits it is the
// engine (SQLite has one writer; PostgreSQL many).
func BenchmarkAuditedReadParallel(b *testing.B) {
	s := apptest.NewScenario(b)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPersonPage is the person page as a care worker opens it: who the
// person is and their care team (ViewPerson), and who has seen their record
// (ReadAccessLog, the newest 200 events), each decided and audited in one
// scope, committed durably before returning. The person has a history of
// about 500 events before the timer starts.
func BenchmarkPersonPage(b *testing.B) {
	s := apptest.NewScenario(b)
	for range 500 {
		if _, err := s.People.Get(s.Ctx, s.Carer.Actor, s.Ann.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.People.LoadPage(s.Ctx, s.Carer.Actor, s.Ann.ID, 200); err != nil {
			b.Fatal(err)
		}
	}
}
