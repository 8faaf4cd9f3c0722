package imports_test

import (
	"testing"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/imports"
)

// BenchmarkImport10000People imports a file of 10,000 people in one
// all-or-nothing run: every row checked, then 10,000 people, their
// placements and 10,001 audit events written in one transaction. The
// figure is in docs/benchmarks.md (the target is under 30 s on SQLite).
func BenchmarkImport10000People(b *testing.B) {
	data := peopleCSV(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		s := apptest.NewScenario(b)
		admin := s.Staff("admin", access.Administrator)
		b.StartTimer()
		res, err := s.Imports.Import(s.Ctx, admin.Actor, imports.People, imports.File{Name: "people.csv", Data: data}, imports.Options{})
		if err != nil || res.Created != 10000 {
			b.Fatalf("imported %d: %v", res.Created, err)
		}
	}
}
