package audit_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// tamperFixture is a log of 30 sealed events in two batches, so there are
// checkpoints at 20 and 30. The first v1Events were written in leaf format 1,
// as in a database from before format 2, and sealed in one batch with the
// first format 2 events, as they are when Hearth is upgraded with events
// still waiting to be sealed: every case runs over both formats.
type tamperFixture struct {
	log    *audit.Log
	db     *store.DB
	at     []string // event id at each position
	forged string   // an id for a forged event, when a case makes one
}

const v1Events = 10

func newTamperFixture(t *testing.T) *tamperFixture {
	t.Helper()
	l, db := newTestLog(t)
	appendEventsV1(t, l, 0, v1Events)
	appendEvents(t, l, v1Events, 20-v1Events)
	seal(t, l, 20)
	appendEvents(t, l, 20, 10)
	seal(t, l, 10)
	fx := &tamperFixture{log: l, db: db, at: leafOrder(t, db), forged: hearth.NewID()}
	if len(fx.at) != 30 {
		t.Fatalf("%d leaves, want 30", len(fx.at))
	}
	return fx
}

// moveLeaves renumbers leaves from position from onward by delta, in two
// steps so that no intermediate row collides with the primary key.
func moveLeaves(t *testing.T, db *store.DB, from, delta int) {
	t.Helper()
	storetest.Tamper(t, db, `UPDATE audit_leaves SET leaf_index = leaf_index + 1000000 WHERE leaf_index >= ?`, from)
	storetest.Tamper(t, db, `UPDATE audit_leaves SET leaf_index = leaf_index - 1000000 + ? WHERE leaf_index >= 1000000`, delta)
}

// swapLeaves swaps the events at positions a and b.
func swapLeaves(t *testing.T, db *store.DB, a, b int) {
	t.Helper()
	storetest.Tamper(t, db, `UPDATE audit_leaves SET leaf_index = -1 WHERE leaf_index = ?`, a)
	storetest.Tamper(t, db, `UPDATE audit_leaves SET leaf_index = ? WHERE leaf_index = ?`, a, b)
	storetest.Tamper(t, db, `UPDATE audit_leaves SET leaf_index = ? WHERE leaf_index = -1`, b)
}

func leafHashIndex(n int) int64 { return tlog.StoredHashIndex(0, int64(n)) }

func insertForged(t *testing.T, fx *tamperFixture) {
	t.Helper()
	storetest.Tamper(t, fx.db, `INSERT INTO audit_events (id, at, actor_name, action, person_id, detail, mac)
		VALUES (?, ?, 'Nobody', 'read', 'person-1', 'a read that never happened', ?)`,
		fx.forged, time.Now().UTC().Truncate(time.Microsecond), strings.Repeat("ab", 32))
}

// tamperWithoutForeignKeys runs raw SQL on one connection with foreign keys
// switched off, as someone editing the database file directly could.
func tamperWithoutForeignKeys(t *testing.T, db *store.DB, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	off, on := "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON"
	if db.Dialect() == store.Postgres {
		off, on = "SET session_replication_role = replica", "SET session_replication_role = DEFAULT"
	}
	if _, err := conn.ExecContext(ctx, off); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, on) //nolint:errcheck // best effort, the test database is thrown away
	if _, err := conn.ExecContext(ctx, db.Rebind(query), args...); err != nil {
		t.Fatalf("tamper %q: %v", query, err)
	}
}

func TestVerifyNamesTheFirstTamperedEvent(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(t *testing.T, fx *tamperFixture)
		kind     audit.ProblemKind
		leaf     int64
		mentions func(fx *tamperFixture) []string
	}{
		{
			name: "an event whose detail was edited is reported as edited, by id and position",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET detail = 'nothing to see here' WHERE id = ?`, fx.at[12])
			},
			kind: audit.Edited, leaf: 12,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[12], "position 12", "edited"} },
		},
		{
			name: "an event edited in the first checkpoint's range is reported before anything later",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET person_id = 'someone-else' WHERE id = ?`, fx.at[0])
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET detail = 'also changed' WHERE id = ?`, fx.at[25])
			},
			kind: audit.Edited, leaf: 0,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[0], "position 0"} },
		},
		{
			name: "an edit whose stored leaf hash was rewritten to match is still caught by the MAC",
			tamper: func(t *testing.T, fx *tamperFixture) {
				evs, err := fx.log.ByRequest(context.Background(), "req-12")
				if err != nil || len(evs) != 1 {
					t.Fatalf("find event 12: %v %v", evs, err)
				}
				ev := evs[0]
				if ev.ID != fx.at[12] {
					t.Fatalf("event req-12 is %s, want the one at position 12, %s", ev.ID, fx.at[12])
				}
				ev.Detail = "rewritten, with its hash"
				h := tlog.RecordHash(ev.Leaf())
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET detail = ? WHERE id = ?`, ev.Detail, ev.ID)
				storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, hex.EncodeToString(h[:]), leafHashIndex(12))
			},
			kind: audit.Edited, leaf: 12,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[12], "position 12"} },
		},
		{
			name: "a rewritten stored leaf hash is reported as edited, naming the event it belongs to",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET hash = ? WHERE idx = ?`, strings.Repeat("00", 32), leafHashIndex(7))
			},
			kind: audit.Edited, leaf: 7,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[7], "position 7", "stored hash"} },
		},
		{
			name: "a deleted event and leaf leave a gap reported as deleted at that position",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `DELETE FROM audit_leaves WHERE leaf_index = 12`)
				storetest.Tamper(t, fx.db, `DELETE FROM audit_events WHERE id = ?`, fx.at[12])
			},
			kind: audit.Deleted, leaf: 12,
			mentions: func(fx *tamperFixture) []string { return []string{"position 12 is missing"} },
		},
		{
			name: "an event row deleted from under its leaf is reported as deleted, by id and position",
			tamper: func(t *testing.T, fx *tamperFixture) {
				tamperWithoutForeignKeys(t, fx.db, `DELETE FROM audit_events WHERE id = ?`, fx.at[12])
			},
			kind: audit.Deleted, leaf: 12,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[12], "position 12"} },
		},
		{
			name: "a deleted event whose gap was closed by renumbering is reported as deleted at its position",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `DELETE FROM audit_leaves WHERE leaf_index = 12`)
				storetest.Tamper(t, fx.db, `DELETE FROM audit_events WHERE id = ?`, fx.at[12])
				moveLeaves(t, fx.db, 13, -1)
			},
			kind: audit.Deleted, leaf: 12,
			mentions: func(fx *tamperFixture) []string {
				return []string{"event at position 12 was deleted", fx.at[13], "sealed at position 13"}
			},
		},
		{
			name: "deleting the newest events is caught by the latest checkpoint",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `DELETE FROM audit_leaves WHERE leaf_index >= 28`)
				storetest.Tamper(t, fx.db, `DELETE FROM audit_events WHERE id IN (?, ?)`, fx.at[28], fx.at[29])
			},
			kind: audit.Deleted, leaf: 28,
			mentions: func(fx *tamperFixture) []string { return []string{"positions 28 to 29"} },
		},
		{
			name: "a leaf moved far beyond the end leaves a hole reported as deleted, and the walk skips the hole",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_leaves SET leaf_index = 5000000 WHERE leaf_index = 29`)
			},
			kind: audit.Deleted, leaf: 29,
			mentions: func(fx *tamperFixture) []string { return []string{"positions 29 to 4999999 are missing"} },
		},
		{
			name: "a forged event added to the events table is reported as inserted, by id",
			tamper: func(t *testing.T, fx *tamperFixture) {
				insertForged(t, fx)
			},
			kind: audit.Inserted, leaf: -1,
			mentions: func(fx *tamperFixture) []string { return []string{fx.forged, "inserted"} },
		},
		{
			name: "a forged event slipped into the middle of the tree is reported as inserted, by id and position",
			tamper: func(t *testing.T, fx *tamperFixture) {
				insertForged(t, fx)
				moveLeaves(t, fx.db, 12, 1)
				storetest.Tamper(t, fx.db, `INSERT INTO audit_leaves (leaf_index, event_id) VALUES (12, ?)`, fx.forged)
			},
			kind: audit.Inserted, leaf: 12,
			mentions: func(fx *tamperFixture) []string { return []string{fx.forged, "position 12"} },
		},
		{
			name: "a forged event appended after the last leaf is reported as inserted",
			tamper: func(t *testing.T, fx *tamperFixture) {
				insertForged(t, fx)
				storetest.Tamper(t, fx.db, `INSERT INTO audit_leaves (leaf_index, event_id) VALUES (30, ?)`, fx.forged)
			},
			kind: audit.Inserted, leaf: 30,
			mentions: func(fx *tamperFixture) []string { return []string{fx.forged, "position 30"} },
		},
		{
			name: "two events that swapped places are reported as reordered, naming where the first belongs",
			tamper: func(t *testing.T, fx *tamperFixture) {
				swapLeaves(t, fx.db, 5, 9)
			},
			kind: audit.Reordered, leaf: 5,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[9], "position 5", "belongs at position 9"} },
		},
		{
			name: "two neighbouring events that swapped places are reported as reordered",
			tamper: func(t *testing.T, fx *tamperFixture) {
				swapLeaves(t, fx.db, 21, 22)
			},
			kind: audit.Reordered, leaf: 21,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[22], "position 21", "belongs at position 22"} },
		},
		{
			name: "events swapped together with their stored hashes are caught by the signed checkpoint",
			tamper: func(t *testing.T, fx *tamperFixture) {
				swapLeaves(t, fx.db, 5, 9)
				storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET idx = -1 WHERE idx = ?`, leafHashIndex(5))
				storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET idx = ? WHERE idx = ?`, leafHashIndex(5), leafHashIndex(9))
				storetest.Tamper(t, fx.db, `UPDATE audit_hashes SET idx = ? WHERE idx = -1`, leafHashIndex(9))
			},
			kind: audit.BadCheckpoint, leaf: 19,
			mentions: func(fx *tamperFixture) []string { return []string{"positions 0 to 19", "first 20 events"} },
		},
		{
			name: "a checkpoint signed with another key is reported as a bad checkpoint",
			tamper: func(t *testing.T, fx *tamperFixture) {
				other := newKeys(t)
				signed, err := note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: 20, Hash: tlog.Hash{1}}))}, other.Signer)
				if err != nil {
					t.Fatal(err)
				}
				storetest.Tamper(t, fx.db, `UPDATE audit_checkpoints SET signed = ? WHERE tree_size = 20`, string(signed))
			},
			kind: audit.BadCheckpoint, leaf: 19,
			mentions: func(fx *tamperFixture) []string { return []string{"first 20 events", "not signed with this log's key"} },
		},
		{
			name: "a checkpoint whose signed text was altered is reported as a bad checkpoint",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_checkpoints SET signed = REPLACE(signed, ?, ?) WHERE tree_size = 30`,
					"tree\n30\n", "tree\n31\n")
			},
			kind: audit.BadCheckpoint, leaf: 29,
			mentions: func(fx *tamperFixture) []string { return []string{"first 30 events"} },
		},
		{
			name: "a rewritten checkpoint root is reported as a bad checkpoint",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_checkpoints SET root_hash = ? WHERE tree_size = 30`, strings.Repeat("11", 32))
			},
			kind: audit.BadCheckpoint, leaf: 29,
			mentions: func(fx *tamperFixture) []string { return []string{"first 30 events", "rewritten"} },
		},
		{
			name: "deleting the latest checkpoint leaves sealed events no checkpoint vouches for",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `DELETE FROM audit_checkpoints WHERE tree_size = 30`)
			},
			kind: audit.BadCheckpoint, leaf: 20,
			mentions: func(fx *tamperFixture) []string { return []string{"positions 20 to 29"} },
		},
		{
			name: "an event taken out of the sealing queue is reported as deleted, by id",
			tamper: func(t *testing.T, fx *tamperFixture) {
				ev, err := fx.log.AppendNow(context.Background(), readEvent(99))
				if err != nil {
					t.Fatal(err)
				}
				fx.forged = ev.ID
				storetest.Tamper(t, fx.db, `DELETE FROM audit_pending WHERE event_id = ?`, ev.ID)
			},
			kind: audit.Deleted, leaf: -1,
			mentions: func(fx *tamperFixture) []string { return []string{fx.forged, "neither sealed nor waiting"} },
		},
		{
			name: "a format 2 event whose client address, which no receipt shows, was edited is reported as edited",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET client_addr = '203.0.113.9' WHERE id = ?`, fx.at[15])
			},
			kind: audit.Edited, leaf: 15,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[15], "position 15", "edited"} },
		},
		{
			name: "a format 2 event whose salt was edited is reported as edited",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET leaf_salt = ? WHERE id = ?`, strings.Repeat("0", 32), fx.at[16])
			},
			kind: audit.Edited, leaf: 16,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[16], "position 16"} },
		},
		{
			name: "a format 1 event edited in a log that also holds format 2 events is reported as edited",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET request_id = 'req-other' WHERE id = ?`, fx.at[3])
			},
			kind: audit.Edited, leaf: 3,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[3], "position 3", "edited"} },
		},
		{
			name: "a format 2 event relabelled as format 1 is reported as edited",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET leaf_format = 1 WHERE id = ?`, fx.at[14])
			},
			kind: audit.Edited, leaf: 14,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[14], "position 14"} },
		},
		{
			name: "a format 1 event relabelled as a format Hearth never wrote is reported as edited",
			tamper: func(t *testing.T, fx *tamperFixture) {
				storetest.Tamper(t, fx.db, `UPDATE audit_events SET leaf_format = 7 WHERE id = ?`, fx.at[4])
			},
			kind: audit.Edited, leaf: 4,
			mentions: func(fx *tamperFixture) []string { return []string{fx.at[4], "position 4"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fx := newTamperFixture(t)
			if rep := verify(t, fx.log); !rep.OK() {
				t.Fatalf("before tampering: %+v", rep.Problems)
			}
			tt.tamper(t, fx)
			rep := verify(t, fx.log)
			p := rep.First()
			if p == nil {
				t.Fatalf("verify found nothing wrong: %+v", rep)
			}
			if p.Kind != tt.kind || p.Leaf != tt.leaf {
				t.Errorf("first problem is %s at leaf %d, want %s at leaf %d: %s", p.Kind, p.Leaf, tt.kind, tt.leaf, p.Message)
			}
			for _, s := range tt.mentions(fx) {
				if !strings.Contains(p.Message, s) {
					t.Errorf("first problem %q does not mention %q", p.Message, s)
				}
			}
			for i, q := range rep.Problems[1:] {
				if q.Leaf >= 0 && rep.Problems[i].Leaf >= 0 && q.Leaf < rep.Problems[i].Leaf {
					t.Errorf("problems out of order: %d after %d", q.Leaf, rep.Problems[i].Leaf)
				}
			}
			if testing.Verbose() {
				for _, q := range rep.Problems {
					t.Logf("%s: %s", q.Kind, q.Message)
				}
			}
		})
	}
}

func TestVerifyReportsOnlyTheFirstFewProblems(t *testing.T) {
	fx := newTamperFixture(t)
	storetest.Tamper(t, fx.db, `UPDATE audit_events SET detail = 'all changed'`)
	rep := verify(t, fx.log)
	if len(rep.Problems) == 0 || len(rep.Problems) > 20 {
		t.Fatalf("%d problems, want between 1 and 20", len(rep.Problems))
	}
	if p := rep.First(); p.Leaf != 0 || p.Kind != audit.Edited {
		t.Errorf("first problem = %+v, want position 0 edited", p)
	}
	if rep.Sealed != 30 {
		t.Errorf("sealed = %d, want the walk to go on counting to 30", rep.Sealed)
	}
}

func TestVerifyWalksALogLargerThanOneChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("appends a few thousand events")
	}
	l, db := newTestLog(t)
	// Append in a few large transactions to keep the test quick.
	const n = 4500
	for start := 0; start < n; start += 1500 {
		err := db.Tx(context.Background(), func(tx *store.Tx) error {
			for i := start; i < start+1500; i++ {
				if _, err := l.Append(context.Background(), tx, readEvent(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		seal(t, l, 1500)
	}
	rep := verify(t, l)
	if !rep.OK() || rep.Sealed != n || rep.Checkpoints != 3 {
		t.Fatalf("report = %+v", rep)
	}
	at := leafOrder(t, db)
	storetest.Tamper(t, db, `UPDATE audit_events SET detail = 'late edit' WHERE id = ?`, at[4321])
	rep = verify(t, l)
	if p := rep.First(); p == nil || p.Kind != audit.Edited || !strings.Contains(p.Message, fmt.Sprintf("%s at position 4321", at[4321])) {
		t.Fatalf("first problem = %+v, want event at position 4321 edited", p)
	}

	// A hole wider than a chunk, across chunks read in parallel: reported
	// once, as one range, and the walk goes on past it.
	storetest.Tamper(t, db, `DELETE FROM audit_leaves WHERE leaf_index >= 500 AND leaf_index < 4200`)
	rep = verify(t, l)
	var hole *audit.Problem
	for i, p := range rep.Problems {
		if p.Kind == audit.Deleted && strings.Contains(p.Message, "positions 500 to 4199 are missing") {
			hole = &rep.Problems[i]
		}
	}
	if hole == nil {
		t.Fatalf("problems = %+v, want positions 500 to 4199 reported missing", rep.Problems)
	}
	if rep.Sealed != n-3700 {
		t.Errorf("walked %d leaves, want the %d left", rep.Sealed, n-3700)
	}
}

func TestVerifyWhileEventsAreAppendedAndSealedReportsNoFalseProblems(t *testing.T) {
	l, _ := newTestLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { l.RunSealer(ctx, time.Millisecond) })
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := l.AppendNow(ctx, readEvent(i)); err != nil && ctx.Err() == nil {
				t.Errorf("append: %v", err)
				return
			}
		}
	})
	// Verify over and over until the sealer has had time to seal a good
	// number of events under it.
	deadline := time.Now().Add(20 * time.Second)
	for runs := 0; runs < 10 || verify(t, l).Sealed < 100; runs++ {
		if time.Now().After(deadline) {
			t.Fatal("the sealer sealed too little to test against in 20s")
		}
		rep := verify(t, l)
		if !rep.OK() {
			t.Fatalf("verify during appends and sealing: %+v", rep.Problems)
		}
	}
	cancel()
	wg.Wait()
	if rep := verify(t, l); !rep.OK() || rep.Sealed == 0 {
		t.Fatalf("after the run: %+v, want some events sealed and no problems", rep)
	}
}

// A database from before leaf format 2 holds sealed events with no format
// or salt columns. Migration 0002 gives every one of them format 1, and the
// log verifies as it did, then goes on in format 2.
func TestALogFromBeforeFormat2StillVerifiesAfterTheMigrationAndGrowsInFormat2(t *testing.T) {
	l, db := newTestLog(t)
	appendEventsV1(t, l, 0, 12)
	seal(t, l, 12)
	// Take the database back to before migration 0002, then migrate it.
	storetest.Tamper(t, db, `ALTER TABLE audit_events DROP COLUMN leaf_format`)
	storetest.Tamper(t, db, `ALTER TABLE audit_events DROP COLUMN leaf_salt`)
	storetest.Tamper(t, db, `DELETE FROM schema_migrations WHERE version = 2`)
	if n, err := db.Migrate(context.Background()); err != nil || n != 1 {
		t.Fatalf("migrate: applied %d, %v", n, err)
	}
	var v1 int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE leaf_format = 1 AND leaf_salt = ''`).Scan(&v1); err != nil || v1 != 12 {
		t.Fatalf("%d events in format 1 after the migration, want 12 (%v)", v1, err)
	}
	if rep := verify(t, l); !rep.OK() || rep.Sealed != 12 {
		t.Fatalf("after the migration: %+v", rep)
	}
	appendEvents(t, l, 12, 5)
	seal(t, l, 5)
	if rep := verify(t, l); !rep.OK() || rep.Sealed != 17 || rep.Checkpoints != 2 {
		t.Fatalf("after new events: %+v", rep)
	}
	var v2 int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE leaf_format = 2 AND leaf_salt <> ''`).Scan(&v2); err != nil || v2 != 5 {
		t.Fatalf("%d new events in format 2 with a salt, want 5 (%v)", v2, err)
	}
}
