package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/care"
	"hearth/internal/demo"
	"hearth/internal/door"
	"hearth/internal/store/storetest"
)

func TestTheDemoHasObservationsMedicinesAndVisitsThatRaiseTheAlertsANewcomerShouldSee(t *testing.T) {
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
		`SELECT COUNT(DISTINCT person_id) FROM observations WHERE kind = 'fluid_in'`:                                                                  40,
		`SELECT COUNT(*) FROM observations WHERE kind = 'fall'`:                                                                                       2,
		`SELECT COUNT(DISTINCT person_id) FROM medicines`:                                                                                             24,
		`SELECT COUNT(*) FROM medicines WHERE prn = TRUE AND name = 'Paracetamol' AND prn_max_24h = 4`:                                                24,
		`SELECT COUNT(*) FROM medicines WHERE controlled = TRUE`:                                                                                      1,
		`SELECT COUNT(*) FROM medicine_doses WHERE witness_id IS NOT NULL`:                                                                            3,
		`SELECT COUNT(*) FROM medicine_doses WHERE outcome IN ('refused', 'omitted')`:                                                                 5,
		`SELECT COUNT(DISTINCT person_id) FROM visits`:                                                                                                16,
		`SELECT COUNT(*) FROM visits WHERE checked_out_at IS NOT NULL`:                                                                                200,
		`SELECT COUNT(*) FROM audit_events WHERE action = 'administer-medicines' AND actor_name IN ('Amy Clarke', 'Daniel O''Brien', 'Fatima Begum')`: 24,
	} {
		if n := count(q); n < min {
			t.Errorf("%s: %d, want at least %d", q, n, min)
		}
	}
	if n := count(`SELECT MAX(c) FROM (SELECT COUNT(*) AS c FROM medicines GROUP BY person_id) x`); n > 5 {
		t.Errorf("someone has %d medicines; want 2 to 5", n)
	}
	actorOf := func(username string) door.Actor {
		u, err := a.Accounts.ByUsername(ctx, username)
		if err != nil {
			t.Fatal(err)
		}
		return door.Actor{Subject: u.Subject(), Name: u.DisplayName, RequestID: "test"}
	}
	locs, err := a.People.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, l := range locs {
		manager := actorOf("grace")
		if l.Name == "Riverside Home Care" {
			manager = actorOf("tomasz")
			lv, err := a.Care.VisitsAt(ctx, manager, l.ID, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if lv.Missed < 1 || lv.Late < 1 {
				t.Errorf("today's visits: %d missed, %d late; want at least one of each", lv.Missed, lv.Late)
			}
			continue
		}
		_, list, err := a.Care.LocationAlerts(ctx, manager, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, pa := range list {
			for _, al := range pa.Alerts {
				kinds[al.Kind]++
			}
		}
	}
	if kinds[care.AlertWeightLoss] < 2 || kinds[care.AlertNEWS2] < 1 {
		t.Errorf("alerts at Rowan House: %v; want two people losing weight and one NEWS2 of 5", kinds)
	}
	sh, err := a.Care.MyShift(ctx, actorOf("amy"))
	if err != nil || len(sh.People) < 5 {
		t.Errorf("Amy's shift: %d people, %v", len(sh.People), err)
	}
}
