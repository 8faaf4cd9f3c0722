package audit

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// A Witness is an append-only file outside the database to which every
// signed checkpoint is also written (issue 12 item 1; docs/security.md, "The
// witnessed audit log"). Someone who can write to the database can cut the
// log back to an old checkpoint and delete the later ones, and the database
// alone would then look intact; the witness still holds the later
// checkpoints, so Verify catches the rollback. The file should be on another
// volume, or copied off the machine, out of reach of whoever can write to
// the database.
//
// The file is a sequence of signed notes (the checkpoint text and its
// signature lines, exactly as stored in audit_checkpoints), each followed by
// one empty line.
type Witness struct {
	path string
	mu   sync.Mutex
}

// NewWitness returns the witness file at path. A path that is a directory
// means the file hearth-audit.witness inside it.
func NewWitness(path string) *Witness {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "hearth-audit.witness")
	}
	return &Witness{path: path}
}

// Path is where the witness file is.
func (w *Witness) Path() string { return w.path }

// DefaultWitnessFile is where the witness file lives when not configured:
// beside the audit key file, named like it ("hearth.auditkey" beside
// "hearth.witness", "hearth-audit.key" beside "hearth-audit.witness").
func DefaultWitnessFile(auditKeyFile string) string {
	return strings.TrimSuffix(auditKeyFile, filepath.Ext(auditKeyFile)) + ".witness"
}

// Publish appends one signed checkpoint to the file and syncs it. It only
// ever appends: nothing already witnessed is rewritten.
func (w *Witness) Publish(signed string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("audit: publish checkpoint to the witness file: %w", err)
	}
	text := strings.TrimRight(signed, "\n") + "\n\n"
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return fmt.Errorf("audit: publish checkpoint to the witness file %s: %w", w.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit: publish checkpoint to the witness file %s: %w", w.path, err)
	}
	return f.Close()
}

// Witnessed is one checkpoint read back from a witness file.
type Witnessed struct {
	Tree   tlog.Tree
	Line   int    // the line the checkpoint starts on, for messages
	Signed string // the signed note as written
}

// ErrNoWitness means there is no witness file yet.
var ErrNoWitness = errors.New("there is no witness file")

// WitnessError is a witness file that is not a record of this log's signed
// checkpoints: garbage, signed with another key, or altered.
type WitnessError struct {
	Path string
	Line int
	Msg  string
}

func (e *WitnessError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("the witness file %s %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("the witness file %s is not a record of this audit log's signed checkpoints: the entry at line %d %s", e.Path, e.Line, e.Msg)
}

// Read reads every checkpoint in the file and checks each is signed with
// one of this log's keys (verifiers). Anything else in the file is an error
// naming the line: a witness that cannot be trusted is never half used.
func (w *Witness) Read(verifiers note.Verifiers) ([]Witnessed, error) {
	w.mu.Lock()
	b, err := os.ReadFile(w.path)
	w.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoWitness
	}
	if err != nil {
		return nil, fmt.Errorf("read the witness file: %w", err)
	}
	return parseWitness(w.path, b, verifiers)
}

func parseWitness(path string, b []byte, verifiers note.Verifiers) ([]Witnessed, error) {
	var out []Witnessed
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cur strings.Builder
	start, line, sigs := 0, 0, false
	flush := func() error {
		text := cur.String()
		cur.Reset()
		if strings.TrimSpace(text) == "" {
			return nil
		}
		wd, err := openCheckpoint(text, verifiers)
		if err != nil {
			return &WitnessError{Path: path, Line: start, Msg: err.Error()}
		}
		wd.Line = start
		out = append(out, wd)
		return nil
	}
	for sc.Scan() {
		line++
		l := sc.Text()
		if l == "" && sigs {
			// The blank line after a note's signatures ends it.
			if err := flush(); err != nil {
				return nil, err
			}
			sigs = false
			continue
		}
		if cur.Len() == 0 {
			if l == "" {
				continue
			}
			start = line
		}
		sigs = strings.HasPrefix(l, "— ")
		cur.WriteString(l + "\n")
	}
	if err := sc.Err(); err != nil {
		return nil, &WitnessError{Path: path, Msg: "cannot be read: " + err.Error()}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// openCheckpoint checks a signed checkpoint against verifiers and reads its
// tree head, saying in words what is wrong with one that fails.
func openCheckpoint(signed string, verifiers note.Verifiers) (Witnessed, error) {
	n, err := note.Open([]byte(signed), verifiers)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			ids := make([]string, 0, len(unverified.Note.UnverifiedSigs))
			for _, s := range unverified.Note.UnverifiedSigs {
				ids = append(ids, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Witnessed{}, fmt.Errorf("is signed with key %s, which is not one of this log's keys (%s)",
				strings.Join(ids, ", "), strings.Join(verifierIDs(verifiers), ", "))
		case errors.As(err, &invalid):
			return Witnessed{}, errors.New("has a signature that does not verify: it was altered after it was signed")
		}
		return Witnessed{}, errors.New("is not a signed checkpoint")
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return Witnessed{}, errors.New("is signed but is not a tree head")
	}
	return Witnessed{Tree: tree, Signed: signed}, nil
}

// verifierIDs names the keys in a list made by Keys.Verifiers.
func verifierIDs(vs note.Verifiers) []string {
	if l, ok := vs.(keyList); ok {
		return l.ids
	}
	return nil
}

// keyList is a note.Verifiers that can say which keys it holds, for
// messages.
type keyList struct {
	note.Verifiers
	ids []string
}

// WitnessPath is where this log publishes its checkpoints ("" for none).
func (l *Log) WitnessPath() string {
	if l.witness == nil {
		return ""
	}
	return l.witness.Path()
}

// WithWitness makes the log publish every checkpoint it signs to w, and
// Verify check the database's log against what w holds.
func (l *Log) WithWitness(w *Witness) *Log {
	l.witness = w
	return l
}

// publish writes a checkpoint the sealer has committed to the witness
// file. It runs after the commit: a checkpoint the database does not hold
// must never be witnessed. A failure is logged and returned; the next
// checkpoint, which covers this one, is written next time.
func (l *Log) publish(signed string) error {
	if l.witness == nil {
		return nil
	}
	if err := l.witness.Publish(signed); err != nil {
		l.log.Error("audit: the checkpoint was sealed but could not be written to the witness file", "path", l.witness.Path(), "err", err)
		return err
	}
	return nil
}

// PublishLatest writes the latest signed checkpoint to the witness file
// when the file does not already hold a checkpoint of that size or larger:
// a log sealed before witnessing existed is protected from its next start.
// It never writes a checkpoint smaller than one witnessed: that would
// hide a rollback.
func (l *Log) PublishLatest(ctx context.Context) error {
	if l.witness == nil {
		return nil
	}
	cp, ok, err := l.latestCheckpoint(ctx)
	if err != nil || !ok {
		return err
	}
	ws, err := l.witness.Read(l.keys.Verifiers())
	if err != nil && !errors.Is(err, ErrNoWitness) {
		return err
	}
	var largest int64
	for _, w := range ws {
		largest = max(largest, w.Tree.N)
	}
	if largest > cp.size {
		// Said at every start until someone looks: the database's log
		// is shorter than a checkpoint already witnessed.
		l.log.Error("audit: the witness file holds a checkpoint larger than the database's latest: the log may have been rolled back; run hearth audit verify",
			"witness_file", l.witness.Path(), "witnessed", largest, "database", cp.size)
	}
	if largest >= cp.size {
		return nil
	}
	return l.publish(cp.signed)
}

// latestCheckpoint reads the newest checkpoint the database holds.
func (l *Log) latestCheckpoint(ctx context.Context) (checkpointRow, bool, error) {
	var c checkpointRow
	rows, err := l.db.Query(ctx, `SELECT tree_size, root_hash, signed FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`)
	if err != nil {
		return c, false, fmt.Errorf("audit: read the latest checkpoint: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return c, false, rows.Err()
	}
	if err := rows.Scan(&c.size, &c.root, &c.signed); err != nil {
		return c, false, fmt.Errorf("audit: read the latest checkpoint: %w", err)
	}
	return c, true, nil
}

func shortHash(h tlog.Hash) string { return hex.EncodeToString(h[:])[:16] }

// sortWitnessed orders checkpoints by tree size and drops exact repeats.
func sortWitnessed(ws []Witnessed) []Witnessed {
	out := slices.Clone(ws)
	slices.SortStableFunc(out, func(a, b Witnessed) int { return cmp.Compare(a.Tree.N, b.Tree.N) })
	return slices.CompactFunc(out, func(a, b Witnessed) bool { return a.Tree == b.Tree })
}

// witnessedUpTo compares every witnessed checkpoint the walk has reached
// with the tree recomputed from the events themselves. Only the first
// difference is reported: after it, every later root differs too.
func (v *verifyRun) witnessedUpTo() {
	for len(v.witnessed) > 0 && v.witnessed[0].Tree.N <= v.tree.size {
		w := v.witnessed[0]
		v.witnessed = v.witnessed[1:]
		if w.Tree.N != v.tree.size || v.witnessBad {
			continue
		}
		if root := v.tree.root(); root != w.Tree.Hash {
			v.witnessBad = true
			v.problem(Problem{Kind: RolledBack, Leaf: w.Tree.N - 1, Message: fmt.Sprintf(
				"the witness file holds a signed checkpoint for the first %d events with root %s (line %d), but the database's first %d events hash to %s: "+
					"the log was rewritten after that checkpoint was witnessed",
				w.Tree.N, shortHash(w.Tree.Hash), w.Line, w.Tree.N, shortHash(root))})
		}
	}
}

// finishWitnessed reports witnessed checkpoints beyond the end of the
// database's log: the log was cut back after they were witnessed.
func (v *verifyRun) finishWitnessed() {
	if len(v.witnessed) == 0 {
		return
	}
	w := v.witnessed[len(v.witnessed)-1]
	if w.Tree.N <= v.next {
		// Reached by the leaf numbering but not by the tree: events in
		// between are missing, which is already reported.
		return
	}
	has := fmt.Sprintf("the database's log has only %d", v.next)
	if v.next == 0 {
		has = "the database's log is empty"
	}
	v.problem(Problem{Kind: RolledBack, Leaf: v.next, Message: fmt.Sprintf(
		"the witness file holds a signed checkpoint for %d events with root %s (line %d), but %s: "+
			"events %d to %d were removed and the log was rolled back after that checkpoint was witnessed",
		w.Tree.N, shortHash(w.Tree.Hash), w.Line, has, v.next, w.Tree.N-1)})
}

// LatestWitnessed is the size of the largest checkpoint the witness file
// holds and when the database signed it (zero with ok false when nothing
// has been witnessed yet), for the evidence report.
func (l *Log) LatestWitnessed(ctx context.Context) (size int64, signedAt time.Time, ok bool, err error) {
	if l.witness == nil {
		return 0, time.Time{}, false, nil
	}
	ws, err := l.witness.Read(l.keys.Verifiers())
	if errors.Is(err, ErrNoWitness) || (err == nil && len(ws) == 0) {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, err
	}
	for _, w := range ws {
		size = max(size, w.Tree.N)
	}
	var at sql.NullTime
	if err := l.db.QueryRow(ctx, `SELECT created_at FROM audit_checkpoints WHERE tree_size = ?`, size).Scan(&at); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, false, fmt.Errorf("audit: when the witnessed checkpoint was signed: %w", err)
	}
	return size, at.Time, true, nil
}
