package care

// Care plans: one per need, written with the person (co-produced), in their
// words where possible, agreed or not in their words, and reviewed by a
// date. Every change is a new version with who, when and why; earlier
// versions stay readable. Two people editing the same version cannot both
// win: the save carries the version it was based on, and the second save is
// refused with a conflict that hands back its text (NHS principles: the
// person's voice in their plan; CQC Regulation 9, person-centred care).

import (
	"context"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// PlanAreas are the needs a plan can be about. "custom" takes a title.
var PlanAreas = []Choice{
	{"personal-care", "Personal care"},
	{"eating-drinking", "Eating and drinking"},
	{"mobility", "Mobility"},
	{"medicines", "Medicines"},
	{"communication", "Communication"},
	{"emotional-wellbeing", "Emotional wellbeing"},
	{"social-life", "Social life"},
	{"safety", "Safety"},
	{"custom", "Something else"},
}

// Agreements are the person's answers to "do you agree with this plan?".
var Agreements = []Choice{
	{"agreed", "Agreed"},
	{"agreed-with-changes", "Agreed with changes"},
	{"not-agreed", "Not agreed"},
}

// PlanDraft is what a care plan form sends: a new plan, or a new version
// based on version BasedOn.
type PlanDraft struct {
	Area           string // for a new plan
	Title          string // for a custom plan
	Outcome        string // what the person wants, in their words
	HowMet         string
	Preferences    string
	Involved       Involvement
	Agreement      string
	AgreementWords string
	ReviewOn       time.Time
	Reason         string // why it changed (a new version)
	BasedOn        int
	Unread         hearth.Problems // problems reading the form (a date that is not a date)
}

// PlanVersion is one version of a care plan.
type PlanVersion struct {
	ID             string
	PlanID         string
	Area           string
	Version        int
	Title          string
	Outcome        string
	HowMet         string
	Preferences    string
	Involved       Involvement
	Agreement      string
	AgreementWords string
	ReviewOn       time.Time
	Reason         string
	Author         EntryAuthor
	WrittenAt      time.Time
	Overdue        bool
}

// AgreementTitle is the agreement in words.
func (v PlanVersion) AgreementTitle() string { return recTitle(Agreements, v.Agreement) }

// Draft is the version as a form's starting point for the next version.
func (v PlanVersion) Draft() PlanDraft {
	return PlanDraft{Area: v.Area, Title: v.Title, Outcome: v.Outcome, HowMet: v.HowMet, Preferences: v.Preferences,
		Involved: v.Involved, Agreement: v.Agreement, AgreementWords: v.AgreementWords, ReviewOn: v.ReviewOn, BasedOn: v.Version}
}

// PlansPage is a person's current care plans.
type PlansPage struct {
	Person   people.Person
	Plans    []PlanVersion // the newest version of each plan, in area order
	Overdue  int
	CanWrite bool
	Missing  []Choice // areas with no plan yet
}

// PlanPage is one plan: the version shown and every version's summary.
type PlanPage struct {
	Person   people.Person
	Shown    PlanVersion
	Latest   int
	Versions []PlanVersion
	CanWrite bool
}

const planVersionColumns = `v.id, v.plan_id, p.area, v.version, v.title, v.outcome, v.how_met, v.preferences, v.involved,
	v.involved_names, v.agreement, v.agreement_words, v.review_on, v.reason, v.author_id, v.author_name, v.author_role, v.written_at`

func scanPlanVersion(row interface{ Scan(...any) error }, now time.Time) (PlanVersion, error) {
	var v PlanVersion
	var kinds, names string
	err := row.Scan(&v.ID, &v.PlanID, &v.Area, &v.Version, &v.Title, &v.Outcome, &v.HowMet, &v.Preferences, &kinds, &names,
		&v.Agreement, &v.AgreementWords, &v.ReviewOn, &v.Reason, &v.Author.ID, &v.Author.Name, &v.Author.Role, &v.WrittenAt)
	v.Involved = recInvolvement(kinds, names)
	v.Author.Kind = access.KindStaff.String()
	v.ReviewOn = recDay(v.ReviewOn.UTC())
	v.Overdue = Overdue(v.ReviewOn, now)
	return v, err
}

// CarePlans reads the newest version of each of a person's care plans.
func (s *Service) CarePlans(ctx context.Context, actor door.Actor, personID string) (PlansPage, error) {
	var pg PlansPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "CarePlan", "", "care plans")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, access.WritePlan)
		out, err := sc.Unwithheld(door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), PersonID: personID,
			Detail: "a withheld care plan"}, "CarePlan")
		if err != nil {
			return err
		}
		pg.Plans, err = currentPlans(sc, personID, sc.Now(), out)
		if err != nil {
			return err
		}
		has := map[string]bool{}
		for _, v := range pg.Plans {
			has[v.Area] = true
			if v.Overdue {
				pg.Overdue++
			}
		}
		for _, a := range PlanAreas {
			if !has[a.Value] && a.Value != "custom" {
				pg.Missing = append(pg.Missing, a)
			}
		}
		return nil
	})
	return pg, err
}

func currentPlans(sc *door.Scope, personID string, now time.Time, withheld door.Excluded) ([]PlanVersion, error) {
	// A mark may name the plan or one of its versions.
	notPlan, args := withheld.Not("v.plan_id")
	notVersion, more := withheld.Not("v.id")
	rows, err := sc.Query(`SELECT `+planVersionColumns+` FROM care_plan_versions v JOIN care_plans p ON p.id = v.plan_id
		WHERE v.person_id = ? AND v.version = (SELECT MAX(version) FROM care_plan_versions m WHERE m.plan_id = v.plan_id)
		AND `+notPlan+` AND `+notVersion+` ORDER BY p.created_at, p.id`, append(append([]any{personID}, args...), more...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PlanVersion
	for rows.Next() {
		v, err := scanPlanVersion(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, a := range PlanAreas {
		order[a.Value] = i
	}
	// Area order, custom plans last, each kept in creation order.
	sortStable(out, func(a, b PlanVersion) bool { return order[a.Area] < order[b.Area] })
	return out, nil
}

// sortStable is insertion sort: a person has a handful of plans.
func sortStable[T any](xs []T, less func(a, b T) bool) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && less(xs[j], xs[j-1]); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// CarePlan reads one plan at version (the newest when zero), with the list
// of every version.
func (s *Service) CarePlan(ctx context.Context, actor door.Actor, personID, planID string, version int) (PlanPage, error) {
	var pg PlanPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "CarePlan", planID, "care plan")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, access.WritePlan)
		return loadPlan(ctx, sc, personID, planID, version, &pg)
	})
	return pg, err
}

// PlanForm opens a plan to change it (or, with no plan ID, a new plan):
// decided as a change, so only those who may write plans get the form.
func (s *Service) PlanForm(ctx context.Context, actor door.Actor, personID, planID string) (PlanPage, error) {
	var pg PlanPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.WritePlan, personID, "CarePlan", planID, "open a care plan to change it")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, true
		if planID == "" {
			return nil
		}
		return loadPlan(ctx, sc, personID, planID, 0, &pg)
	})
	return pg, err
}

func loadPlan(ctx context.Context, sc *door.Scope, personID, planID string, version int, pg *PlanPage) error {
	if !hearth.ValidID(planID) {
		return hearth.NotFound("That care plan")
	}
	rows, err := sc.Query(`SELECT `+planVersionColumns+` FROM care_plan_versions v JOIN care_plans p ON p.id = v.plan_id
		WHERE v.plan_id = ? AND v.person_id = ? ORDER BY v.version DESC`, planID, personID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanPlanVersion(rows, sc.Now())
		if err != nil {
			return err
		}
		pg.Versions = append(pg.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(pg.Versions) == 0 {
		return hearth.NotFound("That care plan")
	}
	pg.Latest = pg.Versions[0].Version
	if version == 0 {
		version = pg.Latest
	}
	for _, v := range pg.Versions {
		if v.Version == version {
			pg.Shown = v
			return nil
		}
	}
	return hearth.NotFound("That version of the care plan")
}

// NewCarePlan writes the first version of a plan for a need.
func (s *Service) NewCarePlan(ctx context.Context, actor door.Actor, personID string, d PlanDraft) (PlanVersion, error) {
	var v PlanVersion
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "CarePlan", Detail: "care plan written: " + areaDetail(d.Area)})
		if err != nil {
			return err
		}
		if d.Reason == "" {
			d.Reason = "First written"
		}
		if err := d.validate(sc.Now(), true); err != nil {
			return err
		}
		planID := hearth.NewID()
		key := d.Area
		if key == "custom" {
			key = "custom:" + planID
		}
		_, err = sc.Exec(`INSERT INTO care_plans (id, person_id, area, area_key, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
			planID, personID, d.Area, key, sc.Now(), actor.ID)
		if store.IsUniqueViolation(err) {
			return hearth.Invalid("Need", "There is already a plan for "+strings.ToLower(recTitle(PlanAreas, d.Area))+": change that one instead")
		} else if err != nil {
			return err
		}
		a.ResourceID = planID
		v, err = insertPlanVersion(sc, personID, planID, 1, d)
		return err
	})
	return v, err
}

func areaDetail(area string) string {
	if recValid(PlanAreas, area) {
		return recTitle(PlanAreas, area)
	}
	return "unknown need"
}

// ReviseCarePlan saves a new version of a plan. d.BasedOn must be the
// newest version: if someone saved after it, nothing is saved and the
// conflict error says who and when; the caller still has d to show again.
func (s *Service) ReviseCarePlan(ctx context.Context, actor door.Actor, personID, planID string, d PlanDraft) (PlanVersion, error) {
	var v PlanVersion
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "CarePlan", ResourceID: planID, Detail: "care plan changed"})
		if err != nil {
			return err
		}
		if !hearth.ValidID(planID) {
			return hearth.NotFound("That care plan")
		}
		var area string
		err = sc.QueryRow(`SELECT area FROM care_plans WHERE id = ? AND person_id = ?`, planID, personID).Scan(&area)
		if recNoRows(err) {
			return hearth.NotFound("That care plan")
		} else if err != nil {
			return err
		}
		d.Area = area
		if err := d.validate(sc.Now(), false); err != nil {
			return err
		}
		next, err := recCheckVersion(sc, "care plan", `SELECT version, author_name, written_at FROM care_plan_versions
			WHERE plan_id = ? ORDER BY version DESC LIMIT 1`, planID, d.BasedOn)
		if err != nil {
			return err
		}
		v, err = insertPlanVersion(sc, personID, planID, next, d)
		if store.IsUniqueViolation(err) {
			// Someone saved the same version number between our check and
			// our insert: the unique index decides, and they won.
			return hearth.Errorf(hearth.KindConflict, "Someone else saved this care plan at the same moment. Nothing was saved, and nothing is lost: your text is below.")
		}
		return err
	})
	return v, err
}

func insertPlanVersion(sc *door.Scope, personID, planID string, version int, d PlanDraft) (PlanVersion, error) {
	v := PlanVersion{ID: hearth.NewID(), PlanID: planID, Area: d.Area, Version: version, Title: d.Title, Outcome: d.Outcome,
		HowMet: d.HowMet, Preferences: d.Preferences, Involved: d.Involved, Agreement: d.Agreement, AgreementWords: d.AgreementWords,
		ReviewOn: d.ReviewOn, Reason: d.Reason, Author: recAuthor(sc.Actor()), WrittenAt: sc.Now()}
	_, err := sc.Exec(`INSERT INTO care_plan_versions (id, plan_id, person_id, version, title, outcome, how_met,
		preferences, involved, involved_names, agreement, agreement_words, review_on, reason, author_id, author_name, author_role, written_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.PlanID, personID, v.Version, v.Title, v.Outcome, v.HowMet, v.Preferences, v.Involved.stored(), v.Involved.Names,
		v.Agreement, v.AgreementWords, v.ReviewOn, v.Reason, v.Author.ID, v.Author.Name, v.Author.Role, v.WrittenAt)
	return v, err
}

func (d *PlanDraft) validate(now time.Time, first bool) error {
	p := append(hearth.Problems(nil), d.Unread...)
	if !recValid(PlanAreas, d.Area) {
		p.Add("Need", "Choose the need this plan is about")
	}
	if d.Area == "custom" {
		recText(&p, "Title", &d.Title, true, MaxShort, "Give the plan a title, such as 'Managing my diabetes'")
	} else {
		d.Title = recTitle(PlanAreas, d.Area)
	}
	recText(&p, "What I want", &d.Outcome, true, MaxText, "Write the outcome the person wants, in their own words")
	recText(&p, "How this will be met", &d.HowMet, true, MaxText, "Write how the need will be met")
	recText(&p, "Preferences", &d.Preferences, false, MaxText, "")
	d.Involved.check(&p)
	p.Check(recValid(Agreements, d.Agreement), "Agreement", "Say whether the person agrees with this plan")
	recText(&p, "In their words", &d.AgreementWords, d.Agreement == "agreed-with-changes" || d.Agreement == "not-agreed", MaxText,
		"Write what the person said about the plan, in their words")
	recText(&p, "Reason for the change", &d.Reason, !first, MaxShort*2, "Say why the plan is changing, such as 'Monthly review' or 'Prefers a bath now'")
	if len(d.Unread) == 0 {
		recReviewDate(&p, "Review date", &d.ReviewOn, now)
	}
	return p.Err()
}
