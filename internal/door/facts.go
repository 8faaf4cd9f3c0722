package door

// The facts behind a decision, loaded in the decision's own transaction:
// the relationships the door owns (care team, location role, break-glass,
// inspection grants, withheld entries) and those the registered fact
// sources add. Reach is the same relationships as a SQL condition, so that
// lists are limited in the query rather than filtered after reading.

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/store"
)

func (s *Scope) loadFacts(actor Actor, req Request) (access.Facts, error) {
	if actor.Kind == access.KindSystem {
		// A partner system receives data for itself and no one else: the
		// recipient a consent or other lawful basis must name is the
		// partner, under the name it was registered with.
		req.Recipient = actor.Name
	}
	key := factKey{actor: actor.ID, person: req.PersonID, location: req.LocationID, recipient: req.Recipient,
		resourceType: req.ResourceType, resourceID: req.ResourceID, action: req.Action, purpose: req.Purpose}
	if f, ok := s.facts[key]; ok {
		return f, nil
	}
	f := access.Facts{Now: s.now}
	ctx, tx := s.ctx, s.tx
	location := req.LocationID
	if req.PersonID != "" {
		if !hearth.ValidID(req.PersonID) {
			s.facts[key] = f
			return f, nil
		}
		var ended, disposed int
		err := tx.QueryRow(ctx, `SELECT location_id, CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END,
			CASE WHEN disposed_at IS NULL THEN 0 ELSE 1 END FROM people WHERE id = ?`+s.personLock(req),
			req.PersonID).Scan(&location, &ended, &disposed)
		if err != nil && !isNoRows(err) {
			return f, fmt.Errorf("door: load person: %w", err)
		}
		// A record disposed of under the retention schedule is hidden from
		// everyone until it is restored or purged (internal/governance,
		// retention.go): it is not there.
		f.Exists, f.CareEnded = err == nil && disposed == 0, ended == 1
	} else if location != "" {
		var n int
		if hearth.ValidID(location) {
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM locations WHERE id = ?`, location).Scan(&n); err != nil {
				return f, fmt.Errorf("door: load location: %w", err)
			}
		}
		f.Exists = n > 0
	}
	if !f.Exists || actor.ID == "" {
		s.facts[key] = f
		return f, nil
	}
	switch actor.Kind {
	case access.KindStaff:
		if req.PersonID != "" {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM care_team WHERE person_id = ? AND user_id = ?
				AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?)`, req.PersonID, actor.ID, s.now, s.now).Scan(&n); err != nil {
				return f, fmt.Errorf("door: load care team: %w", err)
			}
			f.CareTeam = n > 0
			var g access.Grant
			err := tx.QueryRow(ctx, `SELECT id, expires_at FROM break_glass WHERE user_id = ? AND person_id = ?
				ORDER BY expires_at DESC LIMIT 1`, actor.ID, req.PersonID).Scan(&g.ID, &g.Until)
			if err != nil && !isNoRows(err) {
				return f, fmt.Errorf("door: load break-glass: %w", err)
			}
			f.BreakGlass = g
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM staff_locations WHERE user_id = ? AND location_id = ?`, actor.ID, location).Scan(&n); err != nil {
			return f, fmt.Errorf("door: load location role: %w", err)
		}
		f.AtLocation = n > 0
	case access.KindInspector:
		g, err := s.inspectionGrant(actor.ID, location)
		if err != nil {
			return f, err
		}
		f.Inspection = g
	case access.KindPerson, access.KindRepresentative:
		if req.ResourceID != "" && req.ResourceType != "" {
			w, err := s.withheld(req.PersonID, []string{req.ResourceType}, req.ResourceID)
			if err != nil {
				return f, err
			}
			f.Withheld = len(w) > 0
		}
	}
	q := FactQuery{Actor: actor, PersonID: req.PersonID, Action: req.Action, Purpose: req.Purpose, Recipient: req.Recipient,
		ResourceType: req.ResourceType, ResourceID: req.ResourceID}
	s.loading++
	defer func() { s.loading-- }()
	for _, src := range s.door.sources {
		if err := src.LoadFacts(s, q, &f); err != nil {
			return f, err
		}
	}
	s.facts[key] = f
	return f, nil
}

// inspectionGrant is the inspector's grant covering the location that has
// started and lasts longest; one ended early lasts until it was ended. The
// earlier of the two ends is taken here rather than in SQL, because SQLite
// returns an expression over times as text.
func (s *Scope) inspectionGrant(inspectorID, locationID string) (access.Grant, error) {
	var g access.Grant
	rows, err := s.tx.Query(s.ctx, `SELECT g.id, g.ends_at, g.ended_at FROM inspection_grants g
		JOIN inspection_grant_locations gl ON gl.grant_id = g.id
		WHERE g.inspector_id = ? AND gl.location_id = ? AND g.starts_at <= ? ORDER BY g.id`, inspectorID, locationID, s.now)
	if err != nil {
		return g, fmt.Errorf("door: load inspection grant: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var until time.Time
		var ended sql.NullTime
		if err := rows.Scan(&id, &until, &ended); err != nil {
			return g, fmt.Errorf("door: load inspection grant: %w", err)
		}
		if ended.Valid && ended.Time.Before(until) {
			until = ended.Time
		}
		if g.ID == "" || until.After(g.Until) {
			g = access.Grant{ID: id, Until: until}
		}
	}
	return g, rows.Err()
}

// personLock is the row lock a decision takes on the person it concerns, so
// that writes to one person happen one after another (docs/architecture.md,
// "Writes to one person happen in order"). On PostgreSQL a write locks the
// row until the scope ends, and so does a read whose permit rests on the
// person's consent or a representative's authority, so that a withdrawal
// and a read it would refuse cannot interleave. SQLite needs none: every
// scope that writes, and every such read, runs in the one writer, one
// after another (docs/architecture.md, "Group commit").
//
// Both take the row FOR UPDATE. A shared lock for such reads would let
// them run side by side, but a scope that reads and then decides a write
// (the consent page asks whether a representative may also record) would
// raise its share to an update lock while another page held a share and
// did the same: each waits for the other, and PostgreSQL fails all but one
// as a deadlock. One mode means a scope never raises a lock it holds.
func (s *Scope) personLock(req Request) string {
	if s.tx.Dialect() != store.Postgres {
		return ""
	}
	if needsOrder(req) {
		return " FOR UPDATE"
	}
	return ""
}

// needsOrder reports whether a decision must be made where writes are
// ordered (the writer; on PostgreSQL, under the person's row lock): any
// change, and any read whose permit rests on consent or a
// representative's authority. A Read scope hands such a request to Run.
func needsOrder(req Request) bool {
	return !req.Action.IsRead() || req.Purpose == access.Sharing || req.Purpose == access.ProxyAccess
}

// lockPeople takes the lock req calls for (personLock) on every one of ids
// at once, in ID order, before a list decides them one by one. Deciding
// would otherwise lock them in the list's own order, and two lists holding
// the same people in different orders (the corrections queue by when each
// was asked, the withheld-items queue by when each was marked) would each
// wait for the other until PostgreSQL failed one as a deadlock.
func (s *Scope) lockPeople(req Request, ids map[string]bool) error {
	lock := s.personLock(req)
	if lock == "" || len(ids) == 0 {
		return nil
	}
	sorted := slices.Sorted(maps.Keys(ids))
	for start := 0; start < len(sorted); start += 500 {
		batch := sorted[start:min(start+500, len(sorted))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		rows, err := s.tx.Query(s.ctx, `SELECT id FROM people WHERE id IN (`+placeholders(len(batch))+`) ORDER BY id`+lock, args...)
		if err != nil {
			return fmt.Errorf("door: lock a list's people: %w", err)
		}
		for rows.Next() { // the locks are wanted, not the rows
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("door: lock a list's people: %w", err)
		}
	}
	return nil
}

// withheldTypes are the names a withheld entry may be recorded under, for
// each kind of entry: daily notes were first marked as FHIR Observations.
var withheldTypes = map[string][]string{
	"DailyNote":   {"DailyNote", "Observation"},
	"Observation": {"DailyNote", "Observation"},
}

// withheld returns the IDs among resourceTypes withheld from the person now
// (one ID when id is given).
func (s *Scope) withheld(personID string, resourceTypes []string, id string) ([]string, error) {
	var types []string
	for _, t := range resourceTypes {
		if alias, ok := withheldTypes[t]; ok {
			types = append(types, alias...)
		} else {
			types = append(types, t)
		}
	}
	if len(types) == 0 || !hearth.ValidID(personID) {
		return nil, nil
	}
	args := []any{personID}
	for _, t := range types {
		args = append(args, t)
	}
	q := `SELECT resource_id FROM withheld_items WHERE person_id = ? AND review_outcome <> 'lifted'
		AND resource_type IN (` + placeholders(len(types)) + `)`
	if id != "" {
		q += ` AND resource_id = ?`
		args = append(args, id)
	}
	rows, err := s.tx.Query(s.ctx, q+` ORDER BY resource_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("door: load withheld entries: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var rid string
		if err := rows.Scan(&rid); err != nil {
			return nil, err
		}
		out = append(out, rid)
	}
	return out, rows.Err()
}

// Unwithheld is what a list of the person's entries leaves out for the
// actor: for the person and their representatives, the entries of
// resourceTypes withheld from them, each decided (refused as withheld, and
// audited as such) before the list is read; for everyone else, nothing. The
// list's own read must already be permitted.
func (s *Scope) Unwithheld(req Request, resourceTypes ...string) (Excluded, error) {
	if s.actor.Kind != access.KindPerson && s.actor.Kind != access.KindRepresentative {
		return Excluded{}, nil
	}
	if err := s.Require(req.PersonID); err != nil {
		return Excluded{}, err
	}
	ids, err := s.withheld(req.PersonID, resourceTypes, "")
	if err != nil {
		return Excluded{}, err
	}
	for _, id := range ids {
		r := req
		r.ResourceID = id
		if r.ResourceType == "" && len(resourceTypes) > 0 {
			r.ResourceType = resourceTypes[0]
		}
		if _, err := s.decide(s.actor, r); err != nil {
			return Excluded{}, err
		}
	}
	return Excluded{ids: ids}, nil
}

// Excluded are entries a list leaves out.
type Excluded struct{ ids []string }

// Not is a SQL condition on col that leaves the excluded entries out (always
// true when there are none).
func (e Excluded) Not(col string) (string, []any) {
	if len(e.ids) == 0 {
		return "1 = 1", nil
	}
	args := make([]any, len(e.ids))
	for i, id := range e.ids {
		args[i] = id
	}
	return col + ` NOT IN (` + placeholders(len(e.ids)) + `)`, args
}

// Has reports whether id is excluded.
func (e Excluded) Has(id string) bool { return slices.Contains(e.ids, id) }

// Reach is a SQL condition that holds for exactly the people the actor has
// a live relationship with, over the given person and location columns:
// staff on the care team, at a location where their role covers everyone,
// or with live break-glass; the person's own account; a representative's
// linked records; an inspector's live grants. Candidate lists join it, so
// rows the actor may not see are never read; each row kept is then decided
// (Filter) and audited.
func (s *Scope) Reach(personCol, locationCol string) (string, []any) {
	cond, args := s.reach(personCol, locationCol)
	// A record disposed of under the retention schedule is in no one's
	// reach until it is restored (internal/governance, retention.go).
	return `(` + cond + ` AND ` + personCol + ` NOT IN (SELECT id FROM people WHERE disposed_at IS NOT NULL))`, args
}

func (s *Scope) reach(personCol, locationCol string) (string, []any) {
	a, now := s.actor, s.now
	switch a.Kind {
	case access.KindStaff:
		var b strings.Builder
		args := []any{a.ID, now, now}
		b.WriteString(`(` + personCol + ` IN (SELECT person_id FROM care_team WHERE user_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?))`)
		if a.Role.Info().LocationWide {
			b.WriteString(` OR ` + locationCol + ` IN (SELECT location_id FROM staff_locations WHERE user_id = ?)`)
			args = append(args, a.ID)
		}
		b.WriteString(` OR ` + personCol + ` IN (SELECT person_id FROM break_glass WHERE user_id = ? AND expires_at > ?))`)
		args = append(args, a.ID, now)
		return b.String(), args
	case access.KindPerson:
		return personCol + ` IN (SELECT person_id FROM person_accounts WHERE user_id = ?)`, []any{a.ID}
	case access.KindRepresentative:
		return personCol + ` IN (SELECT r.person_id FROM representatives r JOIN representative_accounts ra ON ra.representative_id = r.id
			WHERE ra.user_id = ?)`, []any{a.ID}
	case access.KindInspector:
		return locationCol + ` IN (SELECT gl.location_id FROM inspection_grant_locations gl JOIN inspection_grants g ON g.id = gl.grant_id
			WHERE g.inspector_id = ? AND g.starts_at <= ? AND g.ends_at > ? AND (g.ended_at IS NULL OR g.ended_at > ?))`, []any{a.ID, now, now, now}
	case access.KindService:
		// Hearth's contingency pack: everyone whose care goes on, each
		// still decided (and audited) as they are read.
		return personCol + ` IN (SELECT id FROM people WHERE ended_at IS NULL)`, nil
	case access.KindSystem:
		// A partner system reaches no one without a data-sharing agreement
		// in force, and then only people whose sharing consent or other
		// lawful basis names it. This is the candidate list; each person
		// on it is still decided (the consent may have been withdrawn, the
		// agreement may not cover what is asked).
		return `(EXISTS (SELECT 1 FROM data_sharing_agreements dsa JOIN partners pa ON pa.id = dsa.partner_id
				WHERE dsa.partner_id = ? AND pa.disabled_at IS NULL AND dsa.starts_at <= ?
				AND (dsa.ends_at IS NULL OR dsa.ends_at > ?) AND (dsa.ended_at IS NULL OR dsa.ended_at > ?))
			AND (` + personCol + ` IN (SELECT c.person_id FROM consents c WHERE c.purpose = 'sharing' AND c.decision = 'permit'
				AND LOWER(c.recipient) = LOWER(?) AND (c.withdrawn_at IS NULL OR c.withdrawn_at > ?))
			OR ` + personCol + ` IN (SELECT lb.person_id FROM lawful_bases lb WHERE LOWER(lb.recipient) = LOWER(?)
				AND lb.starts_at <= ? AND (lb.ends_at IS NULL OR lb.ends_at > ?))))`,
			[]any{a.ID, now, now, now, a.Name, now, a.Name, now, now}
	}
	return `1 = 0`, nil
}

// reachable returns which of ids are people within the actor's Reach.
func (s *Scope) reachable(ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	reach, reachArgs := s.Reach("p.id", "p.location_id")
	for start := 0; start < len(ids); start += 500 {
		var args []any
		for _, id := range ids[start:min(start+500, len(ids))] {
			// Someone this scope has already decided and permitted is
			// within reach by that decision: asking again would only
			// repeat the query (the person page, after viewing them).
			if s.Permitted(id) {
				out[id] = true
				continue
			}
			if hearth.ValidID(id) {
				args = append(args, id)
			}
		}
		if len(args) == 0 {
			continue
		}
		rows, err := s.tx.Query(s.ctx, `SELECT p.id FROM people p WHERE p.id IN (`+placeholders(len(args))+`) AND `+reach,
			append(args, reachArgs...)...)
		if err != nil {
			return nil, fmt.Errorf("door: narrow a list to the actor's reach: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// owners are the tables that hold each kind of entry a request may name, by
// the resource type it is named with, and the column holding its person.
var owners = map[string][]string{
	"DailyNote":                {"daily_notes"},
	"Observation":              {"daily_notes", "observations"},
	"QuestionnaireResponse":    {"about_me_entries"},
	"CarePlan":                 {"care_plans", "care_plan_versions"},
	"RiskAssessment":           {"risk_assessments", "risk_versions"},
	"MedicationStatement":      {"medicines"},
	"MedicationRequest":        {"medicines"},
	"MedicationAdministration": {"medicine_doses"},
	"Encounter":                {"visits"},
	"Consent":                  {"consents", "capacity_assessments", "best_interests", "lawful_bases"},
	"RelatedPerson":            {"representatives"},
	"DeviceUseStatement":       {"tech_uses"},
	"Communication":            {"portal_messages"},
	"Task":                     {"correction_requests"},
	// FHIR names for entries the API serves under a type of their own
	// (internal/fhir): daily notes, About Me entries and safety plans as
	// documents; care plans' outcomes and fluid targets as goals; a
	// person's audit events.
	"DocumentReference": {"daily_notes", "about_me_entries", "safety_plan_versions"},
	"SafetyPlan":        {"safety_plan_versions"},
	"Goal":              {"care_plans", "fluid_targets"},
	"AuditEvent":        {"audit_events"},
	// Hearth's own records about a record, named by table.
	"WithheldItem": {"withheld_items"},
	"BreakGlass":   {"break_glass"},
}

// Owns checks that the entry named by resourceType and id belongs to
// personID. An entry of another person, an unknown type and a missing entry
// all look alike: not found. The person must already be permitted in this
// scope.
func (s *Scope) Owns(personID, resourceType, id string) error {
	if err := s.Require(personID); err != nil {
		return err
	}
	tables := owners[resourceType]
	if len(tables) == 0 || !hearth.ValidID(id) {
		return hearth.NotFound("That entry")
	}
	for _, t := range tables {
		var n int
		if err := s.tx.QueryRow(s.ctx, `SELECT COUNT(*) FROM `+t+` WHERE id = ? AND person_id = ?`, id, personID).Scan(&n); err != nil {
			return fmt.Errorf("door: check owner of %s: %w", resourceType, err)
		}
		if n > 0 {
			return nil
		}
	}
	return hearth.NotFound("That entry")
}

// OwnerOf finds whose record an entry named only by its ID belongs to (a
// correction request or a withheld mark opened from a review queue), so the
// request can be decided about that person. The answer is only used to
// decide: an unknown entry gives "", which the door refuses as not found.
func (s *Scope) OwnerOf(resourceType, id string) (string, error) {
	if !hearth.ValidID(id) {
		return "", nil
	}
	for _, t := range owners[resourceType] {
		var personID string
		err := s.tx.QueryRow(s.ctx, `SELECT person_id FROM `+t+` WHERE id = ?`, id).Scan(&personID)
		if err == nil {
			return personID, nil
		}
		if !isNoRows(err) {
			return "", fmt.Errorf("door: find owner of %s: %w", resourceType, err)
		}
	}
	return "", nil
}

// PersonByNHSNumber finds whose record an NHS number names, for the one
// request that names a person that way before any decision: emergency
// access. The answer is only used to decide; a number nobody has gives "".
func (s *Scope) PersonByNHSNumber(nhs string) (string, error) {
	var id string
	err := s.tx.QueryRow(s.ctx, `SELECT id FROM people WHERE nhs_number = ?`, nhs).Scan(&id)
	if isNoRows(err) {
		return "", nil
	}
	return id, err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
