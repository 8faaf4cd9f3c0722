// Package backup takes, restores and verifies Hearth's backups: an online,
// consistent copy of every table, taken in one read snapshot while the
// server writes, in a portable format that restores into either engine, so
// that a backup taken from SQLite restores into PostgreSQL and the reverse
// (the documented way a provider moves to PostgreSQL: docs/backup.md).
//
// A backup file is a stream of JSON lines, gzip-compressed and then
// encrypted with age to the provider's recipient key. The first line is the
// manifest (the schema's migrations, every table with its columns, key and
// row count, the audit tree head); then, per table, a header line, one line
// per row (a JSON array of typed values, in storage order) and an end line
// with the row count and a hash of the rows (rowHash); then an end-of-backup
// line. age authenticates every chunk and the end of the stream, so a
// truncated or altered file is refused before anything it holds is
// committed.
//
// A backup never carries the keys Hearth keeps outside the database (the
// audit signing key, the key that seals second factors at rest): they are
// kept, and restored, separately.
package backup

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"hearth/internal/store"
)

// Format names the stream, and Version its layout.
const (
	Format  = "hearth-backup"
	Version = 1
)

// skipped are tables that hold no record, only the running server's state:
// the readiness heartbeat's single row, which every migrated database
// already has.
var skipped = map[string]bool{"heartbeat": true}

// Manifest is the first line of a backup.
type Manifest struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	TakenAt    time.Time   `json:"taken_at"`
	Engine     string      `json:"engine"`
	Migrations []int       `json:"migrations"`
	Tables     []TableInfo `json:"tables"`
	Audit      TreeHead    `json:"audit"`
}

// TableInfo is one table in a manifest, with its row count.
type TableInfo struct {
	store.Table
	Rows int64 `json:"rows"`
}

// TreeHead is the audit log as the backup's snapshot saw it: how many
// events were sealed into the Merkle tree, its root (the latest signed
// checkpoint), and how many events there were in all.
type TreeHead struct {
	Size     int64  `json:"size"`
	RootHash string `json:"root_hash"`
	Events   int64  `json:"events"`
}

// Rows sums the manifest's row counts.
func (m Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// tableStart and tableEnd bracket one table's rows.
type tableStart struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

type tableEnd struct {
	End    string `json:"end"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

type streamEnd struct {
	EndOfBackup bool  `json:"end_of_backup"`
	Tables      int   `json:"tables"`
	Rows        int64 `json:"rows"`
}

// rowHash hashes a table's rows as a multiset: the SHA-256 of each row's
// line, added up as 256-bit numbers. The sum does not depend on the order
// rows are read in, so each engine reads a table in its cheapest order
// (SQLite by rowid, PostgreSQL by a sequential scan) and a copy restored
// into either engine still hashes the same. (age authenticates the file
// itself; this hash checks that what was restored is what was backed up.)
type rowHash struct {
	acc [4]uint64 // big-endian limbs
	n   int64
}

func newRowHash() *rowHash { return &rowHash{} }

func (r *rowHash) add(line []byte) {
	h := sha256.Sum256(line)
	var carry uint64
	for i := 3; i >= 0; i-- {
		v := binary.BigEndian.Uint64(h[i*8:])
		r.acc[i], carry = bits.Add64(r.acc[i], v, carry)
	}
	r.n++
}

func (r *rowHash) sum() string {
	var b [32]byte
	for i, v := range r.acc {
		binary.BigEndian.PutUint64(b[i*8:], v)
	}
	return hex.EncodeToString(b[:])
}

// encodeRow appends the canonical JSON line of one row (no newline): an
// array of the values in column order, typed by the neutral column type,
// so that the same row encodes to the same bytes from either engine.
func encodeRow(b []byte, cols []store.Column, vals []any) ([]byte, error) {
	b = append(b, '[')
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		b, err = encodeValue(b, c.Type, vals[i])
		if err != nil {
			return b, fmt.Errorf("column %s: %w", c.Name, err)
		}
	}
	return append(b, ']'), nil
}

// timeLayouts are the forms a time may come back in as text from SQLite.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

func asTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		return parseTime(v)
	case []byte:
		return parseTime(string(v))
	}
	return time.Time{}, fmt.Errorf("a %T is not a time", v)
}

func parseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

func encodeValue(b []byte, t store.ColumnType, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	switch t {
	case store.TypeInt:
		switch v := v.(type) {
		case int64:
			return strconv.AppendInt(b, v, 10), nil
		case int32:
			return strconv.AppendInt(b, int64(v), 10), nil
		case bool:
			if v {
				return append(b, '1'), nil
			}
			return append(b, '0'), nil
		case float64:
			if v == math.Trunc(v) {
				return strconv.AppendInt(b, int64(v), 10), nil
			}
		case string:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return strconv.AppendInt(b, n, 10), nil
			}
		}
		return b, fmt.Errorf("%v is not an integer", v)
	case store.TypeFloat:
		var f float64
		switch v := v.(type) {
		case float64:
			f = v
		case float32:
			f = float64(v)
		case int64:
			f = float64(v)
		default:
			return b, fmt.Errorf("%v is not a number", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b, fmt.Errorf("%v cannot be kept", f)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64), nil
	case store.TypeBool:
		switch v := v.(type) {
		case bool:
			return strconv.AppendBool(b, v), nil
		case int64:
			return strconv.AppendBool(b, v != 0), nil
		}
		return b, fmt.Errorf("%v is not true or false", v)
	case store.TypeTime:
		tm, err := asTime(v)
		if err != nil {
			return b, err
		}
		// Hearth keeps times to the microsecond (PostgreSQL's precision).
		b = append(b, '"')
		b = tm.UTC().Truncate(time.Microsecond).AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	case store.TypeDate:
		tm, err := asTime(v)
		if err != nil {
			return b, err
		}
		// The calendar day as written, in the zone it was written in.
		b = append(b, '"')
		b = tm.AppendFormat(b, time.DateOnly)
		return append(b, '"'), nil
	case store.TypeBytes:
		var raw []byte
		switch v := v.(type) {
		case []byte:
			raw = v
		case string:
			raw = []byte(v)
		default:
			return b, fmt.Errorf("a %T is not bytes", v)
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"'), nil
	}
	switch v := v.(type) {
	case string:
		return appendJSONString(b, v), nil
	case []byte:
		return appendJSONString(b, string(v)), nil
	case int64:
		return appendJSONString(b, strconv.FormatInt(v, 10)), nil
	case float64:
		return appendJSONString(b, strconv.FormatFloat(v, 'g', -1, 64)), nil
	case time.Time:
		return appendJSONString(b, v.UTC().Format(time.RFC3339Nano)), nil
	}
	return b, fmt.Errorf("a %T is not text", v)
}

// appendJSONString quotes s as JSON does, with invalid UTF-8 replaced.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// decodeRow turns a row line back into values to bind, by column type.
func decodeRow(line []byte, cols []store.Column) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var raw []any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("a row is not valid: %w", err)
	}
	if len(raw) != len(cols) {
		return nil, fmt.Errorf("a row has %d values for %d columns", len(raw), len(cols))
	}
	out := make([]any, len(cols))
	for i, c := range cols {
		v, err := decodeValue(c.Type, raw[i])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		out[i] = v
	}
	return out, nil
}

func decodeValue(t store.ColumnType, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) { return nil, fmt.Errorf("%v is not a %s", v, t) }
	switch t {
	case store.TypeInt:
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		return n.Int64()
	case store.TypeFloat:
		n, ok := v.(json.Number)
		if !ok {
			return bad()
		}
		return n.Float64()
	case store.TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return bad()
	case store.TypeTime:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return tm.UTC(), nil
	case store.TypeDate:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, err
		}
		return tm, nil
	case store.TypeBytes:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		return base64.StdEncoding.DecodeString(s)
	}
	s, ok := v.(string)
	if !ok {
		return bad()
	}
	return s, nil
}

// columnNames lists cols' names.
func columnNames(cols []store.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func selectRows(t store.Table) string {
	quoted := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		quoted[i] = store.QuoteIdent(c.Name)
	}
	// No ORDER BY: a table is read in storage order, which on a large
	// table is many times faster than walking its key's index (the table
	// hash does not depend on order; rowHash).
	return `SELECT ` + strings.Join(quoted, ", ") + ` FROM ` + store.QuoteIdent(t.Name)
}

// eachRow reads t's rows through query, in storage order, and hands each one's
// canonical line to fn (the slice is reused: fn must not keep it).
func eachRow(query func(string) (*sql.Rows, error), t store.Table, fn func(line []byte) error) error {
	rows, err := query(selectRows(t))
	if err != nil {
		return fmt.Errorf("read %s: %w", t.Name, err)
	}
	defer rows.Close()
	vals := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var line []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", t.Name, err)
		}
		line, err = encodeRow(line[:0], t.Columns, vals)
		if err != nil {
			return fmt.Errorf("read %s: %w", t.Name, err)
		}
		if err := fn(line); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.Name, err)
	}
	return nil
}
