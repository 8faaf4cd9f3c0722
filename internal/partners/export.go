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
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/store"
)

// Mapper returns the FHIR resources of one type in one person's record,
// changed since since (zero: all), as JSON. It is called inside a door
// scope that has permitted the partner the type's action for that person,
// and reads through that scope.
type Mapper func(sc *door.Scope, personID, resourceType string, since time.Time) ([]json.RawMessage, error)

// Export statuses.
const (
	ExportAccepted   = "accepted"
	ExportInProgress = "in-progress"
	ExportCompleted  = "completed"
	ExportFailed     = "failed"
	ExportCancelled  = "cancelled"
	ExportExpired    = "expired"
)

// exportBatch is how many people one transaction of a run decides and
// exports.
const exportBatch = 100

// ExportRequest is a kick-off request.
type ExportRequest struct {
	Level string    // "system" ([base]/$export) or "patient" ([base]/Patient/$export)
	Types []string  // _type; empty: every type the token's scopes and the agreement allow
	Since time.Time // _since
	URL   string    // the kick-off URL, echoed in the manifest
}

// Export is an export job.
type Export struct {
	ID          string
	PartnerID   string
	Level       string
	Types       []string
	Since       time.Time
	RequestURL  string
	Status      string
	RequestedAt time.Time
	CompletedAt time.Time
	ExpiresAt   time.Time
	People      int
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
	if actor.Kind != access.KindSystem {
		return e, hearth.Errorf(hearth.KindForbidden, "Bulk export is for partner systems")
	}
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Sharing, ResourceType: "Group", Detail: "bulk export requested"})
		if err != nil {
			return err
		}
		var p hearth.Problems
		p.Check(req.Level == "system" || req.Level == "patient", "Level", "Export at system or Patient level")
		for _, t := range req.Types {
			_, ok := CategoryOf(t)
			p.Check(ok, "_type", fmt.Sprintf("%s is not a resource type partner systems can export", truncate(t)))
		}
		p.Check(req.Since.IsZero() || !req.Since.After(sc.Now()), "_since", "_since must not be in the future")
		if err := p.Err(); err != nil {
			return err
		}
		agreed, err := agreedCategories(sc, actor, sc.Now())
		if err != nil {
			return err
		}
		if len(agreed) == 0 {
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
		e = Export{ID: hearth.NewID(), PartnerID: actor.ID, Level: req.Level, Types: allowed, Since: req.Since, RequestURL: req.URL,
			Status: ExportAccepted, RequestedAt: sc.Now()}
		a.ResourceID = e.ID
		a.Detail = "bulk export requested: " + strings.Join(allowed, ", ")
		_, err = sc.Exec(`INSERT INTO bulk_exports (id, partner_id, level, types, since, request_url, status, requested_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.PartnerID, e.Level, strings.Join(allowed, ","), store.NullTime(e.Since),
			e.RequestURL, e.Status, e.RequestedAt)
		return err
	})
	return e, err
}

// agreedCategories are the data categories of the partner's agreements in
// force at now.
func agreedCategories(q door.Querier, actor door.Actor, now time.Time) ([]string, error) {
	rows, err := q.Query(`SELECT g.categories FROM data_sharing_agreements g JOIN partners p ON p.id = g.partner_id
		WHERE g.partner_id = ? AND p.disabled_at IS NULL AND LOWER(p.name) = LOWER(?) AND g.starts_at <= ?
		AND (g.ends_at IS NULL OR g.ends_at > ?) AND (g.ended_at IS NULL OR g.ended_at > ?)`, actor.ID, actor.Name, now, now, now)
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

const exportColumns = `id, partner_id, level, types, since, request_url, status, requested_at, completed_at, expires_at, people, error`

func scanExport(row interface{ Scan(...any) error }) (Export, error) {
	var e Export
	var types string
	var since, completed, expires sql.NullTime
	err := row.Scan(&e.ID, &e.PartnerID, &e.Level, &types, &since, &e.RequestURL, &e.Status, &e.RequestedAt, &completed, &expires,
		&e.People, &e.Error)
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
// that type mapped by mapper and written as NDJSON in the batch's
// transaction. A failure marks the export failed with the reason.
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
	err = s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		now := s.now()
		if runErr != nil {
			msg := "The export could not be completed"
			var herr *hearth.Error
			if errors.As(runErr, &herr) {
				msg += ": " + herr.Message
			}
			_, err := q.Exec(`UPDATE bulk_exports SET status = ?, completed_at = ?, error = ? WHERE id = ? AND status = ?`,
				ExportFailed, now, msg, e.ID, ExportInProgress)
			return err
		}
		_, err := q.Exec(`UPDATE bulk_exports SET status = ?, completed_at = ?, expires_at = ?, people = ? WHERE id = ? AND status = ?`,
			ExportCompleted, now, now.Add(s.cfg.ExportLifetime), people, e.ID, ExportInProgress)
		return err
	})
	if runErr != nil {
		return errors.Join(fmt.Errorf("partners: export %s: %w", e.ID, runErr), err)
	}
	return err
}

func (s *Service) exportPeople(ctx context.Context, actor door.Actor, e Export, mapper Mapper) (int, error) {
	after, part, exported := "", 0, map[string]bool{}
	for {
		var ids []string
		err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
			if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.Sharing, ResourceType: "Group",
				ResourceID: e.ID, Detail: "bulk export"}); err != nil {
				return err
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
			part++
			for _, t := range e.Types {
				action, _ := ActionFor(t)
				kept, err := sc.AllowEach(door.Request{Action: action, Purpose: access.Sharing, ResourceType: t, ResourceID: e.ID,
					Detail: "bulk export"}, ids)
				if err != nil {
					return err
				}
				var body bytes.Buffer
				n := 0
				for _, id := range kept {
					resources, err := mapper(sc, id, t, e.Since)
					if err != nil {
						return err
					}
					for _, r := range resources {
						if err := json.Compact(&body, r); err != nil {
							return fmt.Errorf("a %s resource is not JSON: %w", t, err)
						}
						body.WriteByte('\n')
						n++
					}
					exported[id] = true
				}
				if n == 0 {
					continue
				}
				if _, err := sc.Exec(`INSERT INTO bulk_export_files (id, export_id, resource_type, part, resources, body) VALUES (?, ?, ?, ?, ?, ?)`,
					hearth.NewID(), e.ID, t, part, n, body.String()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if len(ids) < exportBatch {
			return len(exported), nil
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
	if e.Status == ExportExpired || e.Status == ExportCompleted && !now.Before(e.ExpiresAt) {
		return Export{}, hearth.Errorf(hearth.KindNotFound, "That export has expired")
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

// CancelExport cancels the partner's own export (the kick-off status URL's
// DELETE) and deletes any files it wrote.
func (s *Service) CancelExport(ctx context.Context, actor door.Actor, exportID string) error {
	return s.door.Outside(ctx, door.PartnerSystems, func(q *door.Plain) error {
		e, err := ownExport(q, actor, exportID, s.now())
		if err != nil {
			return err
		}
		if e.Status == ExportCancelled || e.Status == ExportFailed {
			return hearth.Errorf(hearth.KindConflict, "That export has already ended")
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
