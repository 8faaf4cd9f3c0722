package partners

// Bulk Data Access ($export, HL7 FHIR Bulk Data Access IG) for partner
// systems: the job a partner starts, the run that writes NDJSON, the
// manifest it polls for and the files it fetches until they expire. The
// FHIR resources themselves come from the FHIR API's mapping, passed in as
// a Mapper; what is in an export is decided here, person by person, by the
// door: only people within the partner's reach (an agreement in force, a
// consent or other basis naming it), each person and each resource type
// decided and audited as the partner, in batches so no transaction holds
// many people at once.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/store"
)

// Mapper reads one person's record for the given types inside sc, a door
// scope that has permitted the partner each type's action for that person,
// and returns write, which maps what was read to FHIR resources changed
// since e.Since (zero: all) and calls emit with each resource's JSON; e.Base
// is the FHIR base URL they are named under. write runs outside the scope,
// while the next person is read, so it must not touch sc. One call per
// person lets the mapping read each part of the record once for all the
// types it feeds.
type Mapper func(sc *door.Scope, e Export, personID string, types []string) (write func(emit func(resourceType string, resource []byte) error) error, err error)

// Export statuses.
const (
	ExportAccepted   = "accepted"
	ExportInProgress = "in-progress"
	ExportCompleted  = "completed"
	ExportFailed     = "failed"
	ExportCancelled  = "cancelled"
	ExportExpired    = "expired"
)

// Export levels: the kick-off URLs of the Bulk Data IG.
const (
	LevelSystem  = "system"  // [base]/$export
	LevelPatient = "patient" // [base]/Patient/$export
	LevelGroup   = "group"   // [base]/Group/{id}/$export
)

// exportBatch is how many people one transaction of a run decides and
// exports.
const exportBatch = 100

// maxFileBytes is about how large one NDJSON file grows before the next
// is started (the IG lets a type span many files): it bounds the memory a
// run holds and the size of a row, whoever is in the batch. A variable
// only so that a test can make files small.
var maxFileBytes = 16 << 20

// errCancelled stops a run whose export was cancelled while it ran.
var errCancelled = errors.New("the export was cancelled")

// ExportRequest is a kick-off request.
type ExportRequest struct {
	Level string // LevelSystem, LevelPatient or LevelGroup
	// GroupID is a Group-level export's group: for Hearth, one of the
	// partner's data-sharing agreements. The export holds the people the
	// partner receives information about under it, and only the categories
	// it covers.
	GroupID string
	Types   []string  // _type; empty: every type the token's scopes and the agreement allow
	Since   time.Time // _since
	URL     string    // the kick-off URL, echoed in the manifest
	Base    string    // the FHIR base URL the resources are named under
	// Problems are what the API found wrong with the kick-off itself (no
	// Prefer: respond-async, an unknown parameter), reported after the
	// door decides so that every kick-off is audited.
	Problems hearth.Problems
}

// Export is an export job.
type Export struct {
	ID          string
	PartnerID   string
	Level       string
	GroupID     string // a Group-level export's agreement
	Types       []string
	Since       time.Time
	RequestURL  string
	Base        string
	Status      string
	RequestedAt time.Time
	CompletedAt time.Time
	ExpiresAt   time.Time
	People      int // people exported so far; all of them once completed
	Error       string
}

// ExportFile is one NDJSON file of an export.
type ExportFile struct {
	ID           string
	ResourceType string
	Resources    int
	Body         string // NDJSON: one resource per line
}

// StartExport checks a kick-off request and queues the export. The partner
// must have an agreement in force; each type must be one its token's
// scopes let it search and an agreement covers. The request is a door
// decision as the partner (a list of the people it may receive), audited.
func (s *Service) StartExport(ctx context.Context, actor door.Actor, scopes Scopes, req ExportRequest) (Export, error) {
	var e Export
	groupID := ""
	if req.Level == LevelGroup && hearth.ValidID(req.GroupID) {
		groupID = req.GroupID
	}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		// Decided first, whoever asks and whatever is wrong with the
		// request, so that every kick-off is audited.
		a, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Sharing, ResourceType: "Group", ResourceID: groupID,
			Detail: "bulk export requested"})
		if err != nil {
			return err
		}
		if actor.Kind != access.KindSystem {
			return hearth.Errorf(hearth.KindForbidden, "Bulk export is for partner systems")
		}
		p := append(hearth.Problems(nil), req.Problems...)
		p.Check(req.Level == LevelSystem || req.Level == LevelPatient || req.Level == LevelGroup, "Level", "Export at system, Patient or Group level")
		for _, t := range req.Types {
			_, ok := CategoryOf(t)
			p.Check(ok, "_type", fmt.Sprintf("%s is not a resource type partner systems can export", truncate(t)))
		}
		p.Check(req.Since.IsZero() || !req.Since.After(sc.Now()), "_since", "_since must not be in the future")
		if err := p.Err(); err != nil {
			return err
		}
		if req.Level == LevelGroup && groupID == "" {
			return hearth.NotFound("That group")
		}
		agreed, err := agreedCategories(sc, actor, sc.Now(), groupID)
		if err != nil {
			return err
		}
		switch {
		case len(agreed) == 0 && groupID != "":
			// Another partner's agreement, an ended one and no agreement
			// at all look alike.
			return hearth.NotFound("That group")
		case len(agreed) == 0:
			return hearth.Errorf(hearth.KindForbidden, "No data-sharing agreement with %s is in force: it can export nothing", actor.Name)
		}
		types := req.Types
		if len(types) == 0 {
			for _, c := range Categories {
				types = append(types, c.ResourceTypes...)
			}
		}
		var allowed []string
		for _, t := range types {
			c, _ := CategoryOf(t)
			switch {
			case slices.Contains(allowed, t):
			case !scopes.CanSearch(t) || !slices.Contains(agreed, c.Key):
				if len(req.Types) > 0 {
					return hearth.Errorf(hearth.KindForbidden, "%s is outside this client's scopes or its data-sharing agreement", t)
				}
			default:
				allowed = append(allowed, t)
			}
		}
		if len(allowed) == 0 {
			return hearth.Errorf(hearth.KindForbidden, "No resource type is within both this client's scopes and its data-sharing agreement")
		}
		e = Export{ID: hearth.NewID(), PartnerID: actor.ID, Level: req.Level, GroupID: groupID, Types: allowed, Since: req.Since,
			RequestURL: req.URL, Base: req.Base, Status: ExportAccepted, RequestedAt: sc.Now()}
		a.ResourceID = e.ID
		a.Detail = "bulk export requested: " + strings.Join(allowed, ", ")
		if groupID != "" {
			a.Detail += " (Group " + groupID + ")"
		}
		_, err = sc.Exec(`INSERT INTO bulk_exports (id, partner_id, level, group_id, types, since, request_url, base, status, requested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.PartnerID, storedLevel(e.Level), nullString(groupID), strings.Join(allowed, ","),
			store.NullTime(e.Since), e.RequestURL, e.Base, e.Status, e.RequestedAt)
		return err
	})
	if err == nil {
		// Wake this node's worker, if it is idle.
		select {
		case s.queued <- struct{}{}:
		default:
		}
	}
	return e, err
}

// storedLevel is the level as bulk_exports keeps it: a Group export is a
// patient-level export narrowed to the group (group_id).
func storedLevel(level string) string {
	if level == LevelGroup {
		return LevelPatient
	}
	return level
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// agreedCategories are the data categories of the partner's agreements in
// force at now; with agreementID, of that one agreement only.
func agreedCategories(q door.Querier, actor door.Actor, now time.Time, agreementID string) ([]string, error) {
	cond, args := "", []any{actor.ID, actor.Name, now, now, now}
	if agreementID != "" {
		cond, args = " AND g.id = ?", append(args, agreementID)
	}
	rows, err := q.Query(`SELECT g.categories FROM data_sharing_agreements g JOIN partners p ON p.id = g.partner_id
		WHERE g.partner_id = ? AND p.disabled_at IS NULL AND LOWER(p.name) = LOWER(?) AND g.starts_at <= ?
		AND (g.ends_at IS NULL OR g.ends_at > ?) AND (g.ended_at IS NULL OR g.ended_at > ?)`+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var cats string
		if err := rows.Scan(&cats); err != nil {
			return nil, err
		}
		for _, c := range strings.Split(cats, ",") {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out, rows.Err()
}

const exportColumns = `id, partner_id, level, group_id, types, since, request_url, base, status, requested_at, completed_at, expires_at, people, error`

func scanExport(row interface{ Scan(...any) error }) (Export, error) {
	var e Export
	var types string
	var group sql.NullString
	var since, completed, expires sql.NullTime
	err := row.Scan(&e.ID, &e.PartnerID, &e.Level, &group, &types, &since, &e.RequestURL, &e.Base, &e.Status, &e.RequestedAt, &completed, &expires,
		&e.People, &e.Error)
	if group.Valid {
		e.GroupID, e.Level = group.String, LevelGroup
	}
	e.Types = strings.Split(types, ",")
	e.RequestedAt = e.RequestedAt.UTC()
	if since.Valid {
		e.Since = since.Time.UTC()
	}
	if completed.Valid {
		e.CompletedAt = completed.Time.UTC()
	}
	if expires.Valid {
		e.ExpiresAt = expires.Time.UTC()
	}
	return e, err
}

// NextExport claims the oldest queued export for this node to run, or
// returns "" when none is waiting. Two nodes never claim the same one.
func (s *Service) NextExport(ctx context.Context) (string, error) {
	var id string
	err := s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		err := q.QueryRow(`SELECT id FROM bulk_exports WHERE status = ? ORDER BY requested_at, id LIMIT 1`, ExportAccepted).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			id = ""
			return nil
		} else if err != nil {
			return err
		}
		res, err := q.Exec(`UPDATE bulk_exports SET status = ?, started_at = ? WHERE id = ? AND status = ?`, ExportInProgress, s.now(), id, ExportAccepted)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			id = "" // another node claimed it first
		}
		return nil
	})
	return id, err
}

// RunExport runs a claimed export as the partner that asked for it: in
// batches of people within its reach, each person and resource type
// decided and audited by the door, each permitted person's resources of
// those types mapped by mapper and written as NDJSON in the batch's
// transaction. A failure marks the export failed with the reason; an
// export cancelled while it runs stops at the next batch and keeps no
// files.
func (s *Service) RunExport(ctx context.Context, exportID string, mapper Mapper) error {
	var e Export
	var actor door.Actor
	err := s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		var err error
		if e, err = scanExport(q.QueryRow(`SELECT `+exportColumns+` FROM bulk_exports WHERE id = ?`, exportID)); err != nil {
			return err
		}
		var name string
		if err := q.QueryRow(`SELECT name FROM partners WHERE id = ?`, e.PartnerID).Scan(&name); err != nil {
			return err
		}
		actor = door.Actor{Subject: access.Subject{ID: e.PartnerID, Kind: access.KindSystem}, Name: name,
			ClientAddr: "bulk export", RequestID: "export-" + e.ID}
		return nil
	})
	if err != nil {
		return fmt.Errorf("partners: load export %s: %w", exportID, err)
	}
	if e.Status != ExportInProgress {
		return fmt.Errorf("partners: export %s is %s, not claimed to run", exportID, e.Status)
	}
	people, runErr := s.exportPeople(ctx, actor, e, mapper)
	if ctx.Err() != nil {
		// The server is stopping: the export goes back in the queue, to
		// start again from the beginning, rather than being left half done.
		return errors.Join(ctx.Err(), s.requeue(context.WithoutCancel(ctx), e.ID))
	}
	err = s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		now := s.now()
		if errors.Is(runErr, errCancelled) {
			// Cancelled while a batch was being written: what it wrote goes
			// too.
			_, err := q.Exec(`DELETE FROM bulk_export_files WHERE export_id = ?`, e.ID)
			return err
		}
		if runErr != nil {
			msg := "The export could not be completed"
			var herr *hearth.Error
			if errors.As(runErr, &herr) {
				msg += ": " + herr.Message
			}
			if _, err := q.Exec(`DELETE FROM bulk_export_files WHERE export_id = ?`, e.ID); err != nil {
				return err
			}
			_, err := q.Exec(`UPDATE bulk_exports SET status = ?, completed_at = ?, error = ? WHERE id = ? AND status = ?`,
				ExportFailed, now, msg, e.ID, ExportInProgress)
			return err
		}
		res, err := q.Exec(`UPDATE bulk_exports SET status = ?, completed_at = ?, expires_at = ?, people = ? WHERE id = ? AND status = ?`,
			ExportCompleted, now, now.Add(s.cfg.ExportLifetime), people, e.ID, ExportInProgress)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// Cancelled after the last batch.
			_, err = q.Exec(`DELETE FROM bulk_export_files WHERE export_id = ?`, e.ID)
		}
		return err
	})
	if runErr != nil && !errors.Is(runErr, errCancelled) {
		return errors.Join(fmt.Errorf("partners: export %s: %w", e.ID, runErr), err)
	}
	return err
}

// requeue puts an export interrupted by a shutdown back in the queue and
// deletes what it wrote.
func (s *Service) requeue(ctx context.Context, exportID string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		if _, err := q.Exec(`DELETE FROM bulk_export_files WHERE export_id = ?`, exportID); err != nil {
			return err
		}
		_, err := q.Exec(`UPDATE bulk_exports SET status = ?, started_at = NULL, people = 0 WHERE id = ? AND status = ?`,
			ExportAccepted, exportID, ExportInProgress)
		return err
	})
}

// RunQueuedExports runs every export waiting in the queue, one after
// another, and returns how many it ran. An export that fails is marked
// failed with the reason and the queue goes on; the failures are returned
// together at the end. Tests call it to run exports synchronously.
func (s *Service) RunQueuedExports(ctx context.Context, mapper Mapper) (int, error) {
	var errs []error
	n := 0
	for ctx.Err() == nil {
		id, err := s.NextExport(ctx)
		if err != nil || id == "" {
			return n, errors.Join(append(errs, err)...)
		}
		if err := s.RunExport(ctx, id, mapper); err != nil {
			errs = append(errs, err)
		}
		n++
	}
	return n, errors.Join(errs...)
}

// RunExports is the export worker hearth serve runs until ctx ends: it
// runs queued exports as soon as they are queued on this node (or within
// every, when another node queued them), and deletes the files of exports
// past their expiry every time it looks.
func (s *Service) RunExports(ctx context.Context, every time.Duration, mapper Mapper) {
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.ExpireExports(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("bulk exports: expiring files failed", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("bulk exports expired", "exports", n)
		}
		if n, err := s.RunQueuedExports(ctx, mapper); err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("bulk exports: a run failed", "ran", n, "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("bulk exports run", "exports", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.queued:
		}
	}
}

// ndjson is one resource type's file being written.
type ndjson struct {
	body bytes.Buffer
	n    int
}

// write stores the file as the export's next part and empties it for the
// next.
func (f *ndjson) write(sc *door.Scope, exportID, resourceType string, part int) error {
	_, err := sc.Exec(`INSERT INTO bulk_export_files (id, export_id, resource_type, part, resources, body) VALUES (?, ?, ?, ?, ?, ?)`,
		hearth.NewID(), exportID, resourceType, part, f.n, f.body.String())
	f.body.Reset()
	f.n = 0
	return err
}

// ndjsonFiles are the files being written, by resource type.
type ndjsonFiles map[string]*ndjson

// emitter is what a mapper's writing calls with each resource: it appends
// the resource as one line of its type's file.
func (fs ndjsonFiles) emitter(want []string) func(resourceType string, r []byte) error {
	return func(resourceType string, r []byte) error {
		if !slices.Contains(want, resourceType) {
			return fmt.Errorf("the mapping wrote a %s resource it was not asked for", resourceType)
		}
		f := fs[resourceType]
		if f == nil {
			f = ndjsonPool.Get().(*ndjson)
			fs[resourceType] = f
		}
		// One resource per line, whatever the mapping wrote: JSON as
		// encoding/json writes it has no newline, and only a resource with
		// one is compacted (scanning every byte of every resource would
		// cost a quarter of the export).
		if bytes.IndexByte(r, '\n') < 0 {
			f.body.Write(r)
		} else if err := json.Compact(&f.body, r); err != nil {
			return fmt.Errorf("a %s resource is not JSON: %w", resourceType, err)
		}
		f.body.WriteByte('\n')
		f.n++
		return nil
	}
}

// release gives the buffers back for the next run.
func (fs ndjsonFiles) release() {
	for t, f := range fs {
		f.body.Reset()
		f.n = 0
		ndjsonPool.Put(f)
		delete(fs, t)
	}
}

// ndjsonPool hands out the NDJSON buffers runs write into, kept from run to
// run so that a run does not grow new ones from nothing.
var ndjsonPool = sync.Pool{New: func() any { return &ndjson{} }}

func (s *Service) exportPeople(ctx context.Context, actor door.Actor, e Export, mapper Mapper) (int, error) {
	after, part, exported := "", 0, 0
	files := ndjsonFiles{} // reused batch to batch, so their buffers are too
	defer files.release()
	for {
		var ids []string
		err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
			if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Sharing, ResourceType: "Group",
				ResourceID: e.ID, Detail: "bulk export"}); err != nil {
				return err
			}
			var status string
			if err := sc.QueryRow(`SELECT status FROM bulk_exports WHERE id = ?`, e.ID).Scan(&status); err != nil {
				return err
			}
			if status != ExportInProgress {
				return errCancelled
			}
			types := e.Types
			if e.GroupID != "" {
				// The group is an agreement: once it ends, its export stops.
				agreed, err := agreedCategories(sc, actor, sc.Now(), e.GroupID)
				if err != nil {
					return err
				}
				if len(agreed) == 0 {
					return hearth.Errorf(hearth.KindForbidden, "the data-sharing agreement it exports (Group %s) is no longer in force", e.GroupID)
				}
				types = slices.DeleteFunc(slices.Clone(types), func(t string) bool {
					c, _ := CategoryOf(t)
					return !slices.Contains(agreed, c.Key)
				})
			}
			reach, args := sc.Reach("p.id", "p.location_id")
			rows, err := sc.Query(`SELECT p.id FROM people p WHERE p.id > ? AND `+reach+` ORDER BY p.id LIMIT ?`,
				append(append([]any{after}, args...), exportBatch)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			// Each type is decided for everyone in the batch (audited per
			// person and type), then each person's permitted types are
			// mapped in one call.
			permitted := map[string][]string{}
			for _, t := range types {
				action, _ := ActionFor(t)
				kept, err := sc.AllowEach(door.Request{Action: action, Purpose: access.Sharing, ResourceType: t, ResourceID: e.ID,
					Detail: "bulk export"}, ids)
				if err != nil {
					return err
				}
				for _, id := range kept {
					permitted[id] = append(permitted[id], t)
				}
			}
			// Each person's record is read in the scope, then written out
			// while the next person is read: the reading waits on the
			// database, the writing (mapping and encoding) on the CPU.
			var writing chan error
			wait := func() error {
				if writing == nil {
					return nil
				}
				err := <-writing
				writing = nil
				if err != nil {
					return err
				}
				// The scope is used by one goroutine at a time: full files
				// are stored here, once the writing has finished.
				for _, t := range types {
					if f := files[t]; f != nil && f.body.Len() >= maxFileBytes {
						part++
						if err := f.write(sc, e.ID, t, part); err != nil {
							return err
						}
					}
				}
				return nil
			}
			for _, id := range ids {
				want := permitted[id]
				if len(want) == 0 {
					continue
				}
				write, err := mapper(sc, e, id, want)
				if err != nil {
					_ = wait() // the writing still going uses the files
					return err
				}
				if err := wait(); err != nil {
					return err
				}
				writing = make(chan error, 1)
				go func() { writing <- write(files.emitter(want)) }()
				exported++
			}
			if err := wait(); err != nil {
				return err
			}
			// What is left of each file is written with its batch, so a
			// batch's transaction holds everything it decided.
			for _, t := range types {
				if f := files[t]; f != nil && f.n > 0 {
					part++
					if err := f.write(sc, e.ID, t, part); err != nil {
						return err
					}
				}
			}
			// Progress, for the status URL's X-Progress.
			_, err = sc.Exec(`UPDATE bulk_exports SET people = ? WHERE id = ?`, exported, e.ID)
			return err
		})
		if err != nil {
			return 0, err
		}
		if len(ids) < exportBatch {
			return exported, nil
		}
		after = ids[len(ids)-1]
	}
}

// Manifest is the completed export's manifest, as the Bulk Data IG shapes
// it; fileURL makes each file's URL from its ID.
type Manifest struct {
	TransactionTime     string           `json:"transactionTime"`
	Request             string           `json:"request"`
	RequiresAccessToken bool             `json:"requiresAccessToken"`
	Output              []ManifestOutput `json:"output"`
	Error               []ManifestOutput `json:"error"`
}

// ManifestOutput is one file in a manifest.
type ManifestOutput struct {
	Type  string `json:"type"`
	URL   string `json:"url"`
	Count int    `json:"count"`
}

// ExportStatus returns the partner's own export and, once completed and
// until it expires, its manifest. Another partner's export and a missing
// one are both not found.
func (s *Service) ExportStatus(ctx context.Context, actor door.Actor, exportID string, fileURL func(fileID string) string) (Export, *Manifest, error) {
	var e Export
	var m *Manifest
	err := s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		var err error
		if e, err = ownExport(q, actor, exportID, s.now()); err != nil {
			return err
		}
		if e.Status != ExportCompleted {
			return nil
		}
		m = &Manifest{TransactionTime: e.RequestedAt.Format(time.RFC3339), Request: e.RequestURL, RequiresAccessToken: true,
			Output: []ManifestOutput{}, Error: []ManifestOutput{}}
		rows, err := q.Query(`SELECT id, resource_type, resources FROM bulk_export_files WHERE export_id = ? ORDER BY resource_type, part`, e.ID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o ManifestOutput
			var id string
			if err := rows.Scan(&id, &o.Type, &o.Count); err != nil {
				return err
			}
			o.URL = fileURL(id)
			m.Output = append(m.Output, o)
		}
		return rows.Err()
	})
	return e, m, err
}

// ownExport loads an export that belongs to the acting partner and has not
// expired.
func ownExport(q door.Querier, actor door.Actor, exportID string, now time.Time) (Export, error) {
	if actor.Kind != access.KindSystem || !hearth.ValidID(exportID) {
		return Export{}, hearth.NotFound("That export")
	}
	e, err := scanExport(q.QueryRow(`SELECT `+exportColumns+` FROM bulk_exports WHERE id = ? AND partner_id = ?`, exportID, actor.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return Export{}, hearth.NotFound("That export")
	} else if err != nil {
		return Export{}, err
	}
	switch {
	case e.Status == ExportExpired || e.Status == ExportCompleted && !now.Before(e.ExpiresAt):
		return Export{}, hearth.Errorf(hearth.KindNotFound, "That export has expired")
	case e.Status == ExportCancelled:
		// Bulk Data: once cancelled, the status URL is not found.
		return Export{}, hearth.NotFound("That export")
	}
	return e, nil
}

// ExportFile returns one file of the partner's own completed export, until
// it expires. Its contents were decided and audited person by person when
// the export ran; fetching it is delivery.
func (s *Service) ExportFile(ctx context.Context, actor door.Actor, exportID, fileID string) (ExportFile, error) {
	var f ExportFile
	err := s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		e, err := ownExport(q, actor, exportID, s.now())
		if err != nil {
			return err
		}
		if e.Status != ExportCompleted || !hearth.ValidID(fileID) {
			return hearth.NotFound("That file")
		}
		err = q.QueryRow(`SELECT id, resource_type, resources, body FROM bulk_export_files WHERE id = ? AND export_id = ?`, fileID, e.ID).
			Scan(&f.ID, &f.ResourceType, &f.Resources, &f.Body)
		if errors.Is(err, sql.ErrNoRows) {
			return hearth.NotFound("That file")
		}
		return err
	})
	return f, err
}

// CancelExport cancels the partner's own export (the status URL's DELETE),
// queued, running, completed or failed, and deletes any files it wrote. A
// run in progress stops at its next batch.
func (s *Service) CancelExport(ctx context.Context, actor door.Actor, exportID string) error {
	return s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		e, err := ownExport(q, actor, exportID, s.now())
		if err != nil {
			return err
		}
		if _, err := q.Exec(`DELETE FROM bulk_export_files WHERE export_id = ?`, e.ID); err != nil {
			return err
		}
		_, err = q.Exec(`UPDATE bulk_exports SET status = ? WHERE id = ?`, ExportCancelled, e.ID)
		return err
	})
}

// ExpireExports deletes the files of exports past their expiry, and
// returns how many exports expired.
func (s *Service) ExpireExports(ctx context.Context) (int, error) {
	var n int64
	err := s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		now := s.now()
		if _, err := q.Exec(`DELETE FROM bulk_export_files WHERE export_id IN (SELECT id FROM bulk_exports WHERE status = ? AND expires_at <= ?)`,
			ExportCompleted, now); err != nil {
			return err
		}
		res, err := q.Exec(`UPDATE bulk_exports SET status = ? WHERE status = ? AND expires_at <= ?`, ExportExpired, ExportCompleted, now)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
