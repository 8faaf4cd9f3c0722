package demo_test

import (
	"context"
	"path/filepath"
	"testing"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/demo"
	"hearth/internal/store/storetest"
)

func TestTheDemoFillsTheTechnologyRegisterAndEachUseIsForOnePersonWithItsOwnConsent(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: storetest.DSN(t), AuditKeyFile: filepath.Join(t.TempDir(), "audit.key"), Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := demo.Seed(ctx, a); err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		var n int
		if err := a.DB.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	want := map[string]int{
		`SELECT COUNT(*) FROM tech_technologies`:                                                     4,
		`SELECT COUNT(*) FROM tech_uses`:                                                             4,
		`SELECT COUNT(DISTINCT person_id) FROM tech_uses`:                                            4,
		`SELECT COUNT(DISTINCT reason) FROM tech_uses`:                                               4,
		`SELECT COUNT(*) FROM tech_uses WHERE basis_kind = 'consent'`:                                4,
		`SELECT COUNT(*) FROM tech_concerns`:                                                         1,
		`SELECT COUNT(*) FROM tech_training`:                                                         8,
		`SELECT COUNT(*) FROM tech_inclusion`:                                                        24,
		`SELECT COUNT(*) FROM audit_events WHERE action = 'record-tech-use' AND outcome = 'success'`: 4,
	}
	for q, n := range want {
		if got := count(q); got != n {
			t.Errorf("%s = %d, want %d", q, got, n)
		}
	}
	if got := count(`SELECT COUNT(*) FROM tech_outcomes`); got < 30 {
		t.Errorf("want a month of outcome measures for the three NightSound users, got %d", got)
	}
}
