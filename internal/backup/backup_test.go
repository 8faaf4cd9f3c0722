package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/app"
	"hearth/internal/care"
	"hearth/internal/demo"
	"hearth/internal/door"
	"hearth/internal/store"
	"hearth/internal/store/storetest"
)

// source is a Hearth holding the demo provider on the engine under test,
// with its audit key file.
type source struct {
	*app.App
	keyFile string
}

// The demo provider takes seconds to build (half a minute on PostgreSQL),
// so the tests share one; each takes its own backups of it.
var (
	shared     source
	sharedErr  error
	sharedOnce sync.Once
	cleanups   []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}

func newSource(t *testing.T) source {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = buildSource() })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

func buildSource() (source, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hearth-backup-test-")
	if err != nil {
		return source{}, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	dsn := filepath.Join(dir, "hearth.db")
	if storetest.Engine() == "postgres" {
		dsn, err = scratchSchema(os.Getenv("HEARTH_TEST_POSTGRES"))
		if err != nil {
			return source{}, err
		}
	}
	keyFile := filepath.Join(dir, "audit.key")
	a, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: keyFile, Passwords: accounts.TestParams})
	if err != nil {
		return source{}, err
	}
	cleanups = append(cleanups, func() { a.Close() })
	if _, err := demo.Seed(ctx, a); err != nil {
		return source{}, err
	}
	if _, err := a.Audit.Seal(ctx); err != nil {
		return source{}, err
	}
	return source{App: a, keyFile: keyFile}, nil
}

// scratchSchema makes a schema of its own on the PostgreSQL server at
// base, dropped when the tests end.
func scratchSchema(base string) (string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := store.Open(context.Background(), base, nil)
	if err != nil {
		return "", err
	}
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", err
	}
	cleanups = append(cleanups, func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// otherEngine returns an empty database on the other engine when
// PostgreSQL is configured (SQLite to PostgreSQL on the SQLite run, and the
// reverse on the PostgreSQL run), else a fresh SQLite file.
func otherEngine(t *testing.T) (dsn, engine string) {
	t.Helper()
	base := os.Getenv("HEARTH_TEST_POSTGRES")
	if storetest.Engine() == "postgres" || base == "" {
		return filepath.Join(t.TempDir(), "restored.db"), "sqlite"
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := store.Open(context.Background(), base, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), "postgres"
}

func keypair(t *testing.T) (*age.X25519Identity, []age.Recipient) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id, []age.Recipient{id.Recipient()}
}

func takeBackup(t *testing.T, db *store.DB, rs []age.Recipient) ([]byte, Summary) {
	t.Helper()
	var buf bytes.Buffer
	sum, err := Write(context.Background(), db, &buf, rs, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), sum
}

// contents reads every table of db as the backup encodes it: count and hash.
func contents(t *testing.T, db *store.DB, tables []TableInfo) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	err := db.ReadTx(ctx, func(tx *store.Tx) error {
		for _, ti := range tables {
			h := newRowHash()
			if err := eachRow(func(q string) (*sql.Rows, error) { return tx.Query(ctx, q) }, ti.Table,
				func(line []byte) error { h.add(line); return nil }); err != nil {
				return err
			}
			out[ti.Name] = h.sum()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rowCount(t *testing.T, db *store.DB) int64 {
	t.Helper()
	tables, err := store.Tables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, tb := range tables {
		if skipped[tb.Name] {
			continue
		}
		var n int64
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM `+store.QuoteIdent(tb.Name)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

func TestABackupRestoresIntoTheOtherEngineWithEveryTableAndTheAuditLogIntact(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	id, rs := keypair(t)
	file, sum := takeBackup(t, src.DB, rs)
	if sum.Manifest.Engine != src.DB.Dialect().String() {
		t.Fatalf("the manifest says the backup came from %s", sum.Manifest.Engine)
	}
	nonEmpty := 0
	for _, ti := range sum.Manifest.Tables {
		if ti.Rows > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 30 || sum.Manifest.Audit.Size == 0 {
		t.Fatalf("the demo should fill most tables and seal the audit log: %d tables hold rows, tree size %d", nonEmpty, sum.Manifest.Audit.Size)
	}
	want := contents(t, src.DB, sum.Manifest.Tables)
	for name, h := range sum.Hashes {
		if want[name] != h {
			t.Fatalf("%s: the backup's hash differs from the source's", name)
		}
	}

	dsn, engine := otherEngine(t)
	t.Logf("restoring a %s backup into %s: %d tables, %d rows", sum.Manifest.Engine, engine, len(sum.Manifest.Tables), sum.Manifest.Rows())
	dst, err := store.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := Restore(ctx, dst, bytes.NewReader(file), []age.Identity{id}, nil); err != nil {
		t.Fatal(err)
	}
	got := contents(t, dst, sum.Manifest.Tables)
	for _, ti := range sum.Manifest.Tables {
		if got[ti.Name] != want[ti.Name] {
			t.Errorf("%s (%d rows) differs after the restore into %s", ti.Name, ti.Rows, engine)
		}
	}

	// The restored database opens as Hearth with the same audit key and
	// its log verifies: the events, leaves and checkpoints all came across.
	restored, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: src.keyFile, Passwords: accounts.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	rep, err := restored.Audit.Verify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("the restored audit log does not verify: %+v", rep.First())
	}
	p, err := restored.People.Provider(ctx)
	if err != nil || p.Name != demo.ProviderName {
		t.Fatalf("the restored provider is %q (%v)", p.Name, err)
	}
}

func TestVerifyRestoresToAScratchDatabaseAndComparesEveryTableAndTheTreeHead(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	id, rs := keypair(t)
	file, sum := takeBackup(t, src.DB, rs)
	scratch := t.TempDir()
	if src.DB.Dialect() == store.Postgres {
		scratch = os.Getenv("HEARTH_TEST_POSTGRES")
	}
	rep, err := Verify(ctx, bytes.NewReader(file), []age.Identity{id}, scratch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Tables != len(sum.Manifest.Tables) || rep.Rows != sum.Manifest.Rows() {
		t.Fatalf("verify: %d tables, %d rows, problems %v; the backup has %d tables, %d rows",
			rep.Tables, rep.Rows, rep.Problems, len(sum.Manifest.Tables), sum.Manifest.Rows())
	}
	if err := Record(ctx, src.Audit, time.Now(), "backup-verify", "verified"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := src.DB.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'backup-verify' AND outcome = 'success' AND actor_kind = 'system'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("backup-verify events: %d (%v)", n, err)
	}
	if !strings.HasPrefix(sum.Manifest.Audit.RootHash, rep.Manifest.Audit.RootHash) || rep.Manifest.Audit.Size == 0 {
		t.Fatalf("the tree head was not carried: %+v", rep.Manifest.Audit)
	}
}

// A backup taken while care workers keep writing is one moment: every note
// in it has its audit event, every event's note is in it, and the log in
// it verifies (its checkpoints, leaves and events agree).
func TestABackupTakenWhileWritesContinueIsConsistent(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	id, rs := keypair(t)
	actor, person := src.careWorker(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := src.Care.RecordNote(ctx, actor, person, care.NoteDraft{Category: "mood", Body: "Settled and chatting (written during a backup)", CareAt: time.Now().Add(-time.Minute)}); err != nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := src.Audit.Seal(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	for written.Load() < 20 {
		time.Sleep(5 * time.Millisecond)
	}
	file, sum := takeBackup(t, src.DB, rs)
	before := written.Load()
	for written.Load() < before+20 {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	dsn, _ := otherEngine(t)
	dst, err := store.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if _, err := Restore(ctx, dst, bytes.NewReader(file), []age.Identity{id}, nil); err != nil {
		t.Fatal(err)
	}
	var notes, unaudited, orphanEvents int
	q := func(query string, into *int, args ...any) {
		if err := dst.QueryRow(ctx, query, args...).Scan(into); err != nil {
			t.Fatal(err)
		}
	}
	q(`SELECT COUNT(*) FROM daily_notes WHERE body LIKE '%during a backup%'`, &notes)
	q(`SELECT COUNT(*) FROM daily_notes n WHERE n.body LIKE '%during a backup%' AND NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.resource_id = n.id)`, &unaudited)
	q(`SELECT COUNT(*) FROM audit_events e WHERE e.detail = 'daily note' AND e.outcome = 'success' AND e.actor_id = ? AND NOT EXISTS (SELECT 1 FROM daily_notes n WHERE n.id = e.resource_id)`, &orphanEvents, actor.ID)
	var live int
	if err := src.DB.QueryRow(ctx, `SELECT COUNT(*) FROM daily_notes WHERE body LIKE '%during a backup%'`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if unaudited != 0 || orphanEvents != 0 || notes < 20 || notes >= live {
		t.Fatalf("backup mid-write: %d notes (%d now), %d without their event, %d events without their note", notes, live, unaudited, orphanEvents)
	}
	// The restored log is checked on its own, against a witness of its
	// own: against the live witness file, which has gone on witnessing the
	// source's later checkpoints, it is (rightly) a rollback.
	restored, err := app.Open(ctx, app.Config{DB: dsn, AuditKeyFile: src.keyFile, Passwords: accounts.TestParams,
		WitnessFile: filepath.Join(t.TempDir(), "restored.witness")})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := restored.Audit.PublishLatest(ctx); err != nil { // as serve does when it starts
		t.Fatal(err)
	}
	rep, err := restored.Audit.Verify(ctx, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("the log in a backup taken mid-write does not verify: %v %+v", err, rep.First())
	}
	t.Logf("%d notes in the backup, %d written in all; tree size %d", notes, live, sum.Manifest.Audit.Size)
}

// careWorker is a demo care worker on a living person's care team, and
// that person.
func (s source) careWorker(t *testing.T) (door.Actor, string) {
	t.Helper()
	ctx := context.Background()
	var userID, person string
	if err := s.DB.QueryRow(ctx, `SELECT ct.user_id, ct.person_id FROM care_team ct JOIN people p ON p.id = ct.person_id
		JOIN users u ON u.id = ct.user_id WHERE p.ended_at IS NULL AND ct.ends_at IS NULL AND u.role = 'care_worker'
		ORDER BY ct.id LIMIT 1`).Scan(&userID, &person); err != nil {
		t.Fatal(err)
	}
	u, err := s.Accounts.Get(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return door.Actor{Subject: access.Subject{ID: u.ID, Kind: u.Kind, Role: u.Role}, Name: u.DisplayName, RequestID: "test"}, person
}

func TestABackupThatIsDamagedOrForAnotherKeyIsRefusedAndNothingIsRestored(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	id, rs := keypair(t)
	file, _ := takeBackup(t, src.DB, rs)
	other, _ := keypair(t)

	truncated := file[:len(file)-len(file)/3]
	altered := bytes.Clone(file)
	altered[len(altered)/2] ^= 0x01
	cases := []struct {
		name string
		file []byte
		id   age.Identity
		want string
	}{
		{"a truncated file", truncated, id, "damaged or incomplete"},
		{"a file cut just before its end", file[:len(file)-1], id, "damaged or incomplete"},
		{"an altered file", altered, id, "damaged or incomplete"},
		{"a file encrypted to another key", file, other, "encrypted to another key"},
		{"not a backup at all", []byte("age-encryption.org/v1\nnonsense"), id, "damaged or incomplete"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn, _ := otherEngine(t)
			dst, err := store.Open(ctx, dsn, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			_, err = Restore(ctx, dst, bytes.NewReader(c.file), []age.Identity{c.id}, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Nothing was restored") && !strings.Contains(err.Error(), "nothing was restored") {
				t.Fatalf("restore of %s: %v; want an error saying %q and that nothing was restored", c.name, err, c.want)
			}
			if n := rowCount(t, dst); n != 0 {
				t.Fatalf("restore of %s left %d rows behind", c.name, n)
			}
			if c.want == "encrypted to another key" && hearth.KindOf(err) != hearth.KindInvalid {
				t.Fatalf("another key should be a plain refusal naming the identity: %v", err)
			}
		})
	}
}

func TestRestoreIntoADatabaseThatHoldsRecordsIsRefusedNamingWhatItHolds(t *testing.T) {
	ctx := context.Background()
	src := newSource(t)
	id, rs := keypair(t)
	file, _ := takeBackup(t, src.DB, rs)
	before := rowCount(t, src.DB)
	_, err := Restore(ctx, src.DB, bytes.NewReader(file), []age.Identity{id}, nil)
	if hearth.KindOf(err) != hearth.KindInvalid || !strings.Contains(err.Error(), "Restore only into an empty database") ||
		!strings.Contains(err.Error(), "audit_events (") {
		t.Fatalf("restore into a full database: %v", err)
	}
	if after := rowCount(t, src.DB); after != before {
		t.Fatalf("the refused restore changed the database: %d rows before, %d after", before, after)
	}
	var herr *hearth.Error
	if !errors.As(err, &herr) || herr.Problems[0].Field != "database" {
		t.Fatalf("the refusal should name the database: %v", err)
	}
}

func TestBackupsNeverCarryTheKeysKeptOutsideTheDatabase(t *testing.T) {
	src := newSource(t)
	id, rs := keypair(t)
	file, _ := takeBackup(t, src.DB, rs)
	s, err := openStream(bytes.NewReader(file), []age.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	var plain bytes.Buffer
	if _, err := plain.ReadFrom(s.r); err != nil {
		t.Fatal(err)
	}
	auditKey, err := os.ReadFile(src.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	secretsKey, err := os.ReadFile(src.Secrets.Path())
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string][]byte{"audit key": auditKey, "secrets key": secretsKey} {
		for _, line := range strings.Fields(string(key)) {
			if len(line) >= 32 && bytes.Contains(plain.Bytes(), []byte(line)) {
				t.Errorf("the backup carries the %s", name)
			}
		}
	}
}

// serve's schedule takes a backup at once and then every interval, records
// each in the audit log, and keeps only the newest Keep files (leaving
// other files in the directory alone).
func TestScheduledBackupsKeepTheNewestAndRecordEach(t *testing.T) {
	src := newSource(t)
	_, rs := keypair(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var taken atomic.Int64
	start := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		n := taken.Add(1)
		if n > 3 {
			cancel()
		}
		return start.Add(time.Duration(n) * time.Hour)
	}
	var before int
	if err := src.DB.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'backup'`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	Schedule{Dir: dir, Every: time.Millisecond, Keep: 2, Recipients: rs}.Run(ctx, src.DB, src.Audit, clock, nil)
	files, _ := filepath.Glob(filepath.Join(dir, "hearth-*"+FileSuffix))
	if len(files) != 2 || filepath.Base(files[1]) != FileName(start.Add(3*time.Hour)) {
		t.Fatalf("after three scheduled backups keeping two: %v", files)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatal("pruning removed a file that is not a backup")
	}
	var after int
	if err := src.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = 'backup' AND actor_kind = 'system' AND outcome = 'success'`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after-before != 3 {
		t.Fatalf("%d backup events recorded for three backups", after-before)
	}
}
