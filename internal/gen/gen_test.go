package gen_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/gen"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

func newLog(t *testing.T, db *store.DB) *audit.Log {
	t.Helper()
	skey, vkey, err := audit.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := audit.ParseKeys(skey, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return audit.New(db, keys, hearth.SystemClock, nil)
}

func options() gen.Options {
	return gen.Options{Scale: 0.0005, Days: 7, Seed: 1, Now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
		Password: "a password for tests", Secret: func(string) string { return "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" }}
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The generated log must be one Hearth could have written: every event
// MACed and sealed, every checkpoint signed, so verify finds nothing.
func TestGeneratedAuditLogVerifies(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	log := newLog(t, db)
	res, err := gen.Run(ctx, db, log, options())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := log.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify found problems: %+v", rep.Problems)
	}
	if rep.Pending != 0 || rep.Sealed == 0 || rep.Sealed != int64(count(t, db, "audit_events")) {
		t.Fatalf("want every event sealed: %+v", rep)
	}
	if got := count(t, db, "people"); got != res.People {
		t.Errorf("people: got %d, want %d", got, res.People)
	}
	for _, table := range []string{"daily_notes", "observations", "medicine_doses", "care_team", "person_accounts"} {
		if count(t, db, table) == 0 {
			t.Errorf("%s is empty", table)
		}
	}
	if len(res.CareWorkers) == 0 || len(res.Portal) == 0 {
		t.Errorf("no care workers or portal accounts to sign in as: %+v", res)
	}
}

// Scale data is synthetic: generating it into a provider's database would
// mix invented care into real records.
func TestGenerationRefusesADatabaseThatHoldsAProvider(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	log := newLog(t, db)
	if _, err := db.Exec(ctx, `INSERT INTO providers (id, name, created_at) VALUES (?, ?, ?)`, hearth.NewID(), "A Real Provider", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Run(ctx, db, log, options()); !errors.Is(err, gen.ErrHasProvider) {
		t.Fatalf("want ErrHasProvider, got %v", err)
	}
	if n := count(t, db, "people"); n != 0 {
		t.Fatalf("%d people were written into a provider's database", n)
	}
}
