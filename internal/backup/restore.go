package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"filippo.io/age"

	"hearth"
	"hearth/internal/store"
)

// ErrDamaged means a backup file could not be read to its authenticated
// end: truncated, altered or not a Hearth backup. Nothing was restored.
var ErrDamaged = errors.New("the backup file is damaged or incomplete")

// stream reads a backup's lines.
type stream struct {
	r    *bufio.Reader
	data int64
}

func openStream(r io.Reader, ids []age.Identity) (*stream, error) {
	dec, err := age.Decrypt(r, ids...)
	if err != nil {
		var none *age.NoIdentityMatchError
		if errors.As(err, &none) {
			return nil, hearth.Invalid("identity", "This backup was encrypted to another key: the identity given cannot open it. Nothing was restored")
		}
		return nil, fmt.Errorf("%w (%v); nothing was restored", ErrDamaged, err)
	}
	zr, err := gzip.NewReader(dec)
	if err != nil {
		return nil, fmt.Errorf("%w (%v); nothing was restored", ErrDamaged, err)
	}
	return &stream{r: bufio.NewReaderSize(zr, 256<<10)}, nil
}

// line returns the next line without its newline. The slice is valid
// until the next call.
func (s *stream) line() ([]byte, error) {
	b, err := s.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A long row: gather it whole.
		buf := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = s.r.ReadSlice('\n')
			buf = append(buf, b...)
		}
		b = buf
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%v); nothing was restored", ErrDamaged, err)
	}
	s.data += int64(len(b))
	return b[:len(b)-1], nil
}

func (s *stream) json(v any) error {
	b, err := s.line()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w (%v); nothing was restored", ErrDamaged, err)
	}
	return nil
}

// end reads to the end of the stream: age checks the last chunk and gzip
// its checksum only there, so nothing is committed before.
func (s *stream) end() error {
	n, err := io.Copy(io.Discard, s.r)
	if err != nil {
		return fmt.Errorf("%w (%v); nothing was restored", ErrDamaged, err)
	}
	if n != 0 {
		return fmt.Errorf("%w (data after the end of the backup); nothing was restored", ErrDamaged)
	}
	return nil
}

func (s *stream) manifest() (Manifest, error) {
	var m Manifest
	if err := s.json(&m); err != nil {
		return m, err
	}
	if m.Format != Format {
		return m, fmt.Errorf("%w (not a Hearth backup); nothing was restored", ErrDamaged)
	}
	if m.Version != Version {
		return m, hearth.Invalid("backup", fmt.Sprintf("This backup is in format %d; this Hearth reads format %d", m.Version, Version))
	}
	return m, nil
}

// ReadManifest opens a backup and returns its manifest alone.
func ReadManifest(r io.Reader, ids []age.Identity) (Manifest, error) {
	s, err := openStream(r, ids)
	if err != nil {
		return Manifest{}, err
	}
	return s.manifest()
}

// Restore loads a backup into db, which must hold no records: it is
// migrated to the backup's schema, every table is loaded in dependency
// order in one transaction, checked against the manifest's counts and each
// table's hash, and committed only once the file has been read and
// authenticated to its end; then the migrations this Hearth has beyond the
// backup's are applied. A database that already holds records is refused,
// naming what it holds; a damaged file or one for another key is refused;
// either way nothing is restored.
func Restore(ctx context.Context, db *store.DB, r io.Reader, ids []age.Identity, progress Progress) (Summary, error) {
	start := time.Now()
	s, err := openStream(r, ids)
	if err != nil {
		return Summary{}, err
	}
	m, err := s.manifest()
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{Manifest: m, Hashes: map[string]string{}}
	known, err := db.KnownMigrations()
	if err != nil {
		return sum, err
	}
	var unknown []string
	for _, v := range m.Migrations {
		if !slices.Contains(known, v) {
			unknown = append(unknown, fmt.Sprintf("%04d", v))
		}
	}
	if len(unknown) > 0 {
		return sum, hearth.Invalid("backup", "This backup was taken by a newer Hearth (migrations "+strings.Join(unknown, ", ")+
			" are not in this one): restore it with that version or later. Nothing was restored")
	}
	if err := refuseNonEmpty(ctx, db); err != nil {
		return sum, err
	}
	if len(m.Migrations) > 0 {
		if _, err := db.MigrateTo(ctx, m.Migrations[len(m.Migrations)-1]); err != nil {
			return sum, fmt.Errorf("restore: migrate to the backup's schema: %w", err)
		}
	}
	target, err := store.Tables(ctx, db)
	if err != nil {
		return sum, fmt.Errorf("restore: %w", err)
	}
	byName := map[string]store.Table{}
	for _, t := range target {
		byName[t.Name] = t
	}
	order, err := loadOrder(m, byName)
	if err != nil {
		return sum, err
	}
	total, done := m.Rows(), int64(0)
	err = db.Load(ctx, func(l *store.Loader) error {
		// Checked again inside the transaction that loads, so that no
		// one can write in between.
		if err := refuseNonEmptyIn(l, target); err != nil {
			return err
		}
		// The stream is in the backup's order (dependencies first on the
		// engine it came from), which is also a valid order here.
		for range order {
			var st tableStart
			if err := s.json(&st); err != nil {
				return err
			}
			info, ok := manifestTable(m, st.Table)
			if !ok {
				return fmt.Errorf("%w (table %s is not in the manifest); nothing was restored", ErrDamaged, st.Table)
			}
			h := newRowHash()
			next := func() ([]any, error) {
				b, err := s.line()
				if err != nil {
					return nil, err
				}
				if len(b) > 0 && b[0] == '{' {
					var end tableEnd
					if err := json.Unmarshal(b, &end); err != nil || end.End != st.Table {
						return nil, fmt.Errorf("%w (the rows of %s do not end properly); nothing was restored", ErrDamaged, st.Table)
					}
					if end.Rows != h.n || end.SHA256 != h.sum() || end.Rows != info.Rows {
						return nil, fmt.Errorf("%w (%s: %d rows with hash %s, the backup says %d with %s); nothing was restored",
							ErrDamaged, st.Table, h.n, h.sum(), end.Rows, end.SHA256)
					}
					return nil, nil
				}
				h.add(b)
				row, err := decodeRow(b, info.Columns)
				if err != nil {
					return nil, fmt.Errorf("%w (%s: %v); nothing was restored", ErrDamaged, st.Table, err)
				}
				done++
				if progress != nil && done%10000 == 0 {
					progress(done, total)
				}
				return row, nil
			}
			if _, err := l.Copy(st.Table, columnNames(info.Columns), next); err != nil {
				return err
			}
			sum.Hashes[st.Table] = h.sum()
		}
		var fin streamEnd
		if err := s.json(&fin); err != nil {
			return err
		}
		if !fin.EndOfBackup || fin.Tables != len(m.Tables) || fin.Rows != total {
			return fmt.Errorf("%w (the backup does not end as its manifest says); nothing was restored", ErrDamaged)
		}
		return s.end()
	})
	if err != nil {
		return sum, err
	}
	if progress != nil {
		progress(done, total)
	}
	if _, err := db.Migrate(ctx); err != nil {
		return sum, fmt.Errorf("restore: the rows are restored, but migrating them to this Hearth's schema failed: %w", err)
	}
	sum.Data = s.data
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// loadOrder checks that every table of the backup, with every column, is
// in the target, and returns the backup's tables in its order.
func loadOrder(m Manifest, target map[string]store.Table) ([]TableInfo, error) {
	for _, t := range m.Tables {
		tt, ok := target[t.Name]
		if !ok {
			return nil, hearth.Invalid("backup", "The backup has a table "+t.Name+" that this database's schema lacks. Nothing was restored")
		}
		for _, c := range t.Columns {
			if !slices.ContainsFunc(tt.Columns, func(x store.Column) bool { return x.Name == c.Name }) {
				return nil, hearth.Invalid("backup", "The backup has a column "+t.Name+"."+c.Name+" that this database's schema lacks. Nothing was restored")
			}
		}
	}
	return m.Tables, nil
}

func manifestTable(m Manifest, name string) (TableInfo, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return TableInfo{}, false
}

// refuseNonEmpty refuses a database that holds any row outside the tables
// a fresh migration fills itself.
func refuseNonEmpty(ctx context.Context, db *store.DB) error {
	tables, err := store.Tables(ctx, db)
	if err != nil {
		return fmt.Errorf("restore: look at the database: %w", err)
	}
	var found []string
	for _, t := range tables {
		if skipped[t.Name] {
			continue
		}
		var n int64
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM `+store.QuoteIdent(t.Name)).Scan(&n); err != nil {
			return fmt.Errorf("restore: count %s: %w", t.Name, err)
		}
		if n > 0 {
			found = append(found, fmt.Sprintf("%s (%d rows)", t.Name, n))
		}
	}
	return nonEmpty(found)
}

func refuseNonEmptyIn(l *store.Loader, tables []store.Table) error {
	var found []string
	for _, t := range tables {
		if skipped[t.Name] {
			continue
		}
		n, err := l.Count(t.Name)
		if err != nil {
			return fmt.Errorf("restore: count %s: %w", t.Name, err)
		}
		if n > 0 {
			found = append(found, fmt.Sprintf("%s (%d rows)", t.Name, n))
		}
	}
	return nonEmpty(found)
}

func nonEmpty(found []string) error {
	if len(found) == 0 {
		return nil
	}
	sort.Strings(found)
	more := ""
	if len(found) > 5 {
		more = fmt.Sprintf(" and %d more tables", len(found)-5)
		found = found[:5]
	}
	return hearth.Invalid("database", "Restore only into an empty database: this one already holds "+strings.Join(found, ", ")+more+". Nothing was restored")
}

// Report is what a verify found.
type Report struct {
	Manifest Manifest
	Restore  Summary
	Tables   int
	Rows     int64
	Problems []string // empty when the restored copy matches the backup
}

// OK reports whether the restored copy matched the backup in every table
// and in the audit tree head.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify restores a backup into a scratch database and compares every
// table (its row count and the hash of its rows, read back from the
// scratch copy) and the audit tree head with what the backup recorded.
// The scratch database is a temporary SQLite file, or, when scratch names
// a PostgreSQL server, a schema of its own there; either is removed after.
func Verify(ctx context.Context, r io.Reader, ids []age.Identity, scratch string, progress Progress) (Report, error) {
	dsn, cleanup, err := scratchDB(ctx, scratch)
	if err != nil {
		return Report{}, err
	}
	defer cleanup()
	db, err := store.Open(ctx, dsn, nil)
	if err != nil {
		return Report{}, err
	}
	defer db.Close()
	sum, err := Restore(ctx, db, r, ids, progress)
	if err != nil {
		return Report{Manifest: sum.Manifest}, err
	}
	rep := Report{Manifest: sum.Manifest, Restore: sum}
	err = db.ReadTx(ctx, func(tx *store.Tx) error {
		query := func(q string) (*sql.Rows, error) { return tx.Query(ctx, q) }
		target, err := store.Tables(ctx, tx)
		if err != nil {
			return err
		}
		byName := map[string]store.Table{}
		for _, t := range target {
			byName[t.Name] = t
		}
		for _, t := range sum.Manifest.Tables {
			// Read back only the backup's columns: migrations newer than
			// the backup may have added others.
			tt := byName[t.Name]
			tt.Columns = t.Columns
			h := newRowHash()
			if err := eachRow(query, tt, func(line []byte) error { h.add(line); return nil }); err != nil {
				return err
			}
			rep.Tables++
			rep.Rows += h.n
			if h.n != t.Rows {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the backup holds %d rows, the restored copy %d", t.Name, t.Rows, h.n))
			} else if h.sum() != sum.Hashes[t.Name] {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: the restored rows differ from the backup's", t.Name))
			}
		}
		head, err := treeHead(ctx, tx)
		if err != nil {
			return err
		}
		if head != sum.Manifest.Audit {
			rep.Problems = append(rep.Problems, fmt.Sprintf("the audit tree head differs: the backup recorded %d events sealed with root %s, the restored copy has %d with root %s",
				sum.Manifest.Audit.Size, sum.Manifest.Audit.RootHash, head.Size, head.RootHash))
		}
		return nil
	})
	return rep, err
}

// scratchDB makes an empty database to restore into: a schema of its own
// on the PostgreSQL server that scratch names, or else a temporary SQLite
// file (in scratch, when it names a directory).
func scratchDB(ctx context.Context, scratch string) (dsn string, cleanup func(), err error) {
	if store.IsPostgres(scratch) {
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "hearth_verify_" + hex.EncodeToString(b[:])
		admin, err := store.Open(ctx, scratch, nil)
		if err != nil {
			return "", nil, err
		}
		if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("create a scratch schema: %w", err)
		}
		u, err := url.Parse(scratch)
		if err != nil {
			admin.Close()
			return "", nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), func() {
			_, _ = admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			admin.Close()
		}, nil
	}
	dir, err := os.MkdirTemp(scratch, "hearth-verify-")
	if err != nil {
		return "", nil, fmt.Errorf("make a scratch directory: %w", err)
	}
	return filepath.Join(dir, "verify.db"), func() { os.RemoveAll(dir) }, nil
}
