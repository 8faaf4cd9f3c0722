package demo_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/consent"
	"hearth/internal/demo"
	"hearth/internal/door"
	"hearth/internal/store/storetest"
)

func TestTheDemoRecordsConsentCapacityAndRepresentativesThroughTheService(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DB: storetest.DSN(t), AuditKeyFile: filepath.Join(t.TempDir(), "audit.key"), Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	if _, err := demo.Seed(ctx, a); err != nil {
		t.Fatal(err)
	}
	t.Logf("demo seed took %s", time.Since(start))
	count := func(q string) int {
		var n int
		if err := a.DB.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for q, min := range map[string]int{
		`SELECT COUNT(DISTINCT person_id) FROM consents`:                                                      30,
		`SELECT COUNT(*) FROM consents WHERE purpose = 'photographs' AND decision = 'deny'`:                   3,
		`SELECT COUNT(*) FROM consents WHERE purpose = 'digital-communication' AND channel = 'email'`:         3,
		`SELECT COUNT(*) FROM capacity_assessments WHERE outcome = 'lacks-capacity'`:                          2,
		`SELECT COUNT(*) FROM capacity_assessments WHERE fluctuating = TRUE`:                                  1,
		`SELECT COUNT(*) FROM representatives WHERE authority = 'lpa-health-welfare' AND verified_by <> ''`:   1,
		`SELECT COUNT(*) FROM representatives WHERE authority = 'lpa-property-finance'`:                       1,
		`SELECT COUNT(*) FROM best_interests`:                                                                 1,
		`SELECT COUNT(*) FROM audit_events WHERE action = 'record-consent' AND actor_name = 'Eilidh MacLeod'`: 60,
	} {
		if n := count(q); n < min {
			t.Errorf("%s: %d, want at least %d", q, n, min)
		}
	}
	grace, err := a.Accounts.ByUsername(ctx, "grace")
	if err != nil {
		t.Fatal(err)
	}
	actor := door.Actor{Subject: grace.Subject(), Name: grace.DisplayName, RequestID: "test"}
	var margaret string
	if err := a.DB.QueryRow(ctx, `SELECT id FROM people WHERE given_name = 'Margaret'`).Scan(&margaret); err != nil {
		t.Fatal(err)
	}
	pg, err := a.Consent.Page(ctx, actor, margaret)
	if err != nil {
		t.Fatal(err)
	}
	if line := pg.Positions[0].Line(); !strings.HasPrefix(line, "Care and support: yes, given by Susan Thompson (lasting power of attorney for health and welfare)") {
		t.Fatalf("Margaret's care and support: %q", line)
	}
	if pg.Positions[0].Purpose != consent.PurposeCareDelivery {
		t.Fatal("positions out of order")
	}
}
