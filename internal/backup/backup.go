package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"filippo.io/age"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/store"
)

// Progress is told, now and then, how many rows of the total are done.
type Progress func(done, total int64)

// Summary is what a backup or restore did.
type Summary struct {
	Manifest Manifest
	Hashes   map[string]string // table: SHA-256 of its row lines
	Data     int64             // bytes of the uncompressed stream
	Elapsed  time.Duration
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Write takes a backup of db and writes it to w, encrypted to recipients.
// Every table is read in one read transaction (on SQLite a deferred
// transaction in WAL mode, on PostgreSQL REPEATABLE READ READ ONLY), so the
// backup is one consistent moment even while the server writes.
func Write(ctx context.Context, db *store.DB, w io.Writer, recipients []age.Recipient, now time.Time, progress Progress) (Summary, error) {
	start := time.Now()
	if len(recipients) == 0 {
		return Summary{}, hearth.Invalid("recipient", "Give the age recipient key that backups are encrypted to (it starts age1)")
	}
	enc, err := age.Encrypt(w, recipients...)
	if err != nil {
		return Summary{}, fmt.Errorf("backup: encrypt: %w", err)
	}
	zw, err := gzip.NewWriterLevel(enc, gzip.BestSpeed)
	if err != nil {
		return Summary{}, err
	}
	counted := &countingWriter{w: zw}
	bw := bufio.NewWriterSize(counted, 256<<10)
	sum := Summary{Hashes: map[string]string{}}
	err = db.ReadTx(ctx, func(tx *store.Tx) error {
		if db.Dialect() == store.Postgres {
			// A backup of a large database outlasts the server's limit
			// on one statement; it holds no lock that blocks a writer.
			if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
				return err
			}
		}
		m, err := readManifest(ctx, tx, now)
		if err != nil {
			return err
		}
		sum.Manifest = m
		if err := writeJSON(bw, m); err != nil {
			return err
		}
		total, done := m.Rows(), int64(0)
		query := func(q string) (*sql.Rows, error) { return tx.Query(ctx, q) }
		for _, t := range m.Tables {
			if err := writeJSON(bw, tableStart{Table: t.Name, Rows: t.Rows}); err != nil {
				return err
			}
			h := newRowHash()
			err := eachRow(query, t.Table, func(line []byte) error {
				h.add(line)
				if _, err := bw.Write(line); err != nil {
					return err
				}
				done++
				if progress != nil && done%10000 == 0 {
					progress(done, total)
				}
				return bw.WriteByte('\n')
			})
			if err != nil {
				return err
			}
			if h.n != t.Rows {
				// Cannot happen inside one snapshot; if it does, the
				// backup is not one moment and must not be kept.
				return fmt.Errorf("backup: %s changed while it was read (%d rows counted, %d read)", t.Name, t.Rows, h.n)
			}
			sum.Hashes[t.Name] = h.sum()
			if err := writeJSON(bw, tableEnd{End: t.Name, Rows: h.n, SHA256: sum.Hashes[t.Name]}); err != nil {
				return err
			}
		}
		if progress != nil {
			progress(done, total)
		}
		return writeJSON(bw, streamEnd{EndOfBackup: true, Tables: len(m.Tables), Rows: done})
	})
	if err != nil {
		return sum, fmt.Errorf("backup: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("backup: write: %w", err)
	}
	if err := zw.Close(); err != nil {
		return sum, fmt.Errorf("backup: write: %w", err)
	}
	if err := enc.Close(); err != nil {
		return sum, fmt.Errorf("backup: write: %w", err)
	}
	sum.Data = counted.n
	sum.Elapsed = time.Since(start)
	return sum, nil
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// readManifest reads the schema, the row counts and the audit tree head in
// the backup's snapshot.
func readManifest(ctx context.Context, tx *store.Tx, now time.Time) (Manifest, error) {
	m := Manifest{Format: Format, Version: Version, TakenAt: now.UTC(), Engine: tx.Dialect().String()}
	tables, err := store.Tables(ctx, tx)
	if err != nil {
		return m, err
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return m, fmt.Errorf("read migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return m, err
		}
		m.Migrations = append(m.Migrations, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, err
	}
	for _, t := range tables {
		if skipped[t.Name] {
			continue
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+store.QuoteIdent(t.Name)).Scan(&n); err != nil {
			return m, fmt.Errorf("count %s: %w", t.Name, err)
		}
		m.Tables = append(m.Tables, TableInfo{Table: t, Rows: n})
	}
	m.Audit, err = treeHead(ctx, tx)
	return m, err
}

// treeHead reads the audit log's latest signed checkpoint and event count.
func treeHead(ctx context.Context, tx *store.Tx) (TreeHead, error) {
	var h TreeHead
	err := tx.QueryRow(ctx, `SELECT tree_size, root_hash FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).Scan(&h.Size, &h.RootHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("read the audit tree head: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_events`).Scan(&h.Events); err != nil {
		return h, fmt.Errorf("count audit events: %w", err)
	}
	return h, nil
}

// ParseRecipients reads age recipients (age1...) from a list: each entry
// either a key itself or the path of a file of keys, one per line.
func ParseRecipients(specs []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "age1") {
			r, err := age.ParseX25519Recipient(s)
			if err != nil {
				return nil, hearth.Invalid("recipient", "The recipient key is not an age public key (age1...): "+err.Error())
			}
			out = append(out, r)
			continue
		}
		f, err := os.Open(s)
		if err != nil {
			return nil, hearth.Invalid("recipient", "Give an age public key (age1...) or a file of them: "+err.Error())
		}
		rs, err := age.ParseRecipients(f)
		f.Close()
		if err != nil {
			return nil, hearth.Invalid("recipient", s+" holds no age recipient: "+err.Error())
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, hearth.Invalid("recipient", "Give the age recipient key that backups are encrypted to (it starts age1)")
	}
	return out, nil
}

// ReadIdentities reads age identities (AGE-SECRET-KEY-1...) from a file in
// age-keygen's format.
func ReadIdentities(path string) ([]age.Identity, error) {
	if path == "" {
		return nil, hearth.Invalid("identity", "Give the age identity file that opens backups (made by hearth backup keygen or age-keygen)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, hearth.Invalid("identity", "The identity file cannot be read: "+err.Error())
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, hearth.Invalid("identity", path+" holds no age identity: "+err.Error())
	}
	return ids, nil
}

// Keygen makes a new age identity, written to path (which must not exist)
// in age-keygen's format, readable by its owner alone, and returns its
// recipient key.
func Keygen(path string, now time.Time) (string, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", hearth.Invalid("identity", path+" already exists: Hearth never overwrites a key")
		}
		return "", err
	}
	_, err = fmt.Fprintf(f, "# created: %s\n# public key: %s\n%s\n", now.UTC().Format(time.RFC3339), id.Recipient(), id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", err
	}
	return id.Recipient().String(), nil
}

// Record appends a system event to the audit log: a backup taken
// ("backup") or a restore test passed ("backup-verify").
func Record(ctx context.Context, log *audit.Log, now time.Time, action, detail string) error {
	_, err := log.AppendNow(ctx, audit.Event{At: now, ActorID: "hearth", ActorName: "Hearth", ActorRole: "system",
		ActorKind: "system", Action: action, ResourceType: "Binary", Decision: "permit", Reason: action,
		Outcome: audit.OutcomeSuccess, Detail: detail})
	return err
}
