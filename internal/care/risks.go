package care

// Risk assessments and safety plans, personalised: the risk as the person
// sees it, what reduces it, who was involved, and when it is next reviewed.
// A safety plan holds triggers, early warning signs, what helps and who to
// contact, in the person's words where possible (positive risk-taking: the
// aim is a good life with risks managed, not the fewest risks). Both are
// versioned like care plans.

import (
	"context"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
	"hearth/internal/store"
)

// Levels rate likelihood and impact.
var Levels = []Choice{{"low", "Low"}, {"medium", "Medium"}, {"high", "High"}}

// RiskDraft is what a risk assessment form sends.
type RiskDraft struct {
	Title        string // the risk, in a few words
	CouldHappen  string
	Likelihood   string
	Impact       string
	Reduces      string // what reduces it
	PersonsWords string
	Involved     Involvement
	ReviewOn     time.Time
	Reason       string
	BasedOn      int
	Unread       hearth.Problems
}

// RiskVersion is one version of a risk assessment.
type RiskVersion struct {
	ID, RiskID   string
	Version      int
	Title        string
	CouldHappen  string
	Likelihood   string
	Impact       string
	Reduces      string
	PersonsWords string
	Involved     Involvement
	ReviewOn     time.Time
	Reason       string
	Author       EntryAuthor
	WrittenAt    time.Time
	Overdue      bool
}

// Rating is a plain overall rating from likelihood and impact.
func (v RiskVersion) Rating() string {
	score := map[string]int{"low": 1, "medium": 2, "high": 3}
	switch n := score[v.Likelihood] * score[v.Impact]; {
	case n >= 6:
		return "High"
	case n >= 3:
		return "Medium"
	}
	return "Low"
}

// LikelihoodTitle and ImpactTitle are the levels in words.
func (v RiskVersion) LikelihoodTitle() string { return recTitle(Levels, v.Likelihood) }

// ImpactTitle is the impact in words.
func (v RiskVersion) ImpactTitle() string { return recTitle(Levels, v.Impact) }

// Draft starts the next version's form from this one.
func (v RiskVersion) Draft() RiskDraft {
	return RiskDraft{Title: v.Title, CouldHappen: v.CouldHappen, Likelihood: v.Likelihood, Impact: v.Impact, Reduces: v.Reduces,
		PersonsWords: v.PersonsWords, Involved: v.Involved, ReviewOn: v.ReviewOn, BasedOn: v.Version}
}

// SafetyDraft is what the safety plan form sends.
type SafetyDraft struct {
	Triggers     string
	WarningSigns string
	WhatHelps    string
	Contacts     string // who to contact: names and how
	PersonsWords string
	Involved     Involvement
	ReviewOn     time.Time
	Reason       string
	BasedOn      int // 0 for the first version
	Unread       hearth.Problems
}

// SafetyVersion is one version of a person's safety plan.
type SafetyVersion struct {
	ID           string
	Version      int
	Triggers     string
	WarningSigns string
	WhatHelps    string
	Contacts     string
	PersonsWords string
	Involved     Involvement
	ReviewOn     time.Time
	Reason       string
	Author       EntryAuthor
	WrittenAt    time.Time
	Overdue      bool
}

// Draft starts the next version's form from this one.
func (v SafetyVersion) Draft() SafetyDraft {
	return SafetyDraft{Triggers: v.Triggers, WarningSigns: v.WarningSigns, WhatHelps: v.WhatHelps, Contacts: v.Contacts,
		PersonsWords: v.PersonsWords, Involved: v.Involved, ReviewOn: v.ReviewOn, BasedOn: v.Version}
}

// RisksPage is a person's risk assessments and safety plan.
type RisksPage struct {
	Person   people.Person
	Risks    []RiskVersion // newest version of each
	Safety   *SafetyVersion
	Overdue  int
	CanWrite bool
}

// RiskPage is one risk assessment, or the safety plan, at a version.
type RiskPage struct {
	Person   people.Person
	Shown    RiskVersion
	Versions []RiskVersion
	Latest   int
	CanWrite bool
}

// SafetyPage is the safety plan at a version, with every version.
type SafetyPage struct {
	Person   people.Person
	Shown    *SafetyVersion
	Versions []SafetyVersion
	Latest   int
	CanWrite bool
}

const riskColumns = `v.id, v.risk_id, v.version, v.title, v.could_happen, v.likelihood, v.impact, v.reduces, v.persons_words,
	v.involved, v.involved_names, v.review_on, v.reason, v.author_id, v.author_name, v.author_role, v.written_at`

func scanRisk(row interface{ Scan(...any) error }, now time.Time) (RiskVersion, error) {
	var v RiskVersion
	var kinds, names string
	err := row.Scan(&v.ID, &v.RiskID, &v.Version, &v.Title, &v.CouldHappen, &v.Likelihood, &v.Impact, &v.Reduces, &v.PersonsWords,
		&kinds, &names, &v.ReviewOn, &v.Reason, &v.Author.ID, &v.Author.Name, &v.Author.Role, &v.WrittenAt)
	v.Involved = recInvolvement(kinds, names)
	v.Author.Kind = access.KindStaff.String()
	v.ReviewOn = recDay(v.ReviewOn.UTC())
	v.Overdue = Overdue(v.ReviewOn, now)
	return v, err
}

const safetyColumns = `id, version, triggers, warning_signs, what_helps, contacts, persons_words, involved, involved_names,
	review_on, reason, author_id, author_name, author_role, written_at`

func scanSafety(row interface{ Scan(...any) error }, now time.Time) (SafetyVersion, error) {
	var v SafetyVersion
	var kinds, names string
	err := row.Scan(&v.ID, &v.Version, &v.Triggers, &v.WarningSigns, &v.WhatHelps, &v.Contacts, &v.PersonsWords, &kinds, &names,
		&v.ReviewOn, &v.Reason, &v.Author.ID, &v.Author.Name, &v.Author.Role, &v.WrittenAt)
	v.Involved = recInvolvement(kinds, names)
	v.Author.Kind = access.KindStaff.String()
	v.ReviewOn = recDay(v.ReviewOn.UTC())
	v.Overdue = Overdue(v.ReviewOn, now)
	return v, err
}

// Risks reads a person's current risk assessments and safety plan.
func (s *Service) Risks(ctx context.Context, actor door.Actor, personID string) (RisksPage, error) {
	var pg RisksPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "RiskAssessment", "", "risk assessments and safety plan")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, access.WritePlan)
		rows, err := sc.Query(`SELECT `+riskColumns+` FROM risk_versions v
			WHERE v.person_id = ? AND v.version = (SELECT MAX(version) FROM risk_versions m WHERE m.risk_id = v.risk_id)
			ORDER BY v.risk_id`, personID)
		if err != nil {
			return err
		}
		for rows.Next() {
			v, err := scanRisk(rows, sc.Now())
			if err != nil {
				rows.Close()
				return err
			}
			if v.Overdue {
				pg.Overdue++
			}
			pg.Risks = append(pg.Risks, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sv, err := scanSafety(sc.QueryRow(`SELECT `+safetyColumns+` FROM safety_plan_versions WHERE person_id = ?
			ORDER BY version DESC LIMIT 1`, personID), sc.Now())
		if err == nil {
			pg.Safety = &sv
			if sv.Overdue {
				pg.Overdue++
			}
		} else if !recNoRows(err) {
			return err
		}
		return nil
	})
	return pg, err
}

// Risk reads one risk assessment at version (newest when zero).
func (s *Service) Risk(ctx context.Context, actor door.Actor, personID, riskID string, version int) (RiskPage, error) {
	var pg RiskPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "RiskAssessment", riskID, "risk assessment")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, access.WritePlan)
		return loadRisk(ctx, sc, personID, riskID, version, &pg)
	})
	return pg, err
}

// RiskForm opens a risk assessment to change it (a new one when riskID is
// empty), decided as a change.
func (s *Service) RiskForm(ctx context.Context, actor door.Actor, personID, riskID string) (RiskPage, error) {
	var pg RiskPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.WritePlan, personID, "RiskAssessment", riskID, "open a risk assessment to change it")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, true
		if riskID == "" {
			return nil
		}
		return loadRisk(ctx, sc, personID, riskID, 0, &pg)
	})
	return pg, err
}

func loadRisk(ctx context.Context, sc *door.Scope, personID, riskID string, version int, pg *RiskPage) error {
	if !hearth.ValidID(riskID) {
		return hearth.NotFound("That risk assessment")
	}
	rows, err := sc.Query(`SELECT `+riskColumns+` FROM risk_versions v WHERE v.risk_id = ? AND v.person_id = ?
		ORDER BY v.version DESC`, riskID, personID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanRisk(rows, sc.Now())
		if err != nil {
			return err
		}
		pg.Versions = append(pg.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(pg.Versions) == 0 {
		return hearth.NotFound("That risk assessment")
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
	return hearth.NotFound("That version of the risk assessment")
}

// SaveRisk writes a new risk assessment (riskID empty) or a new version of
// one, based on d.BasedOn; a newer version saved meanwhile is a conflict.
func (s *Service) SaveRisk(ctx context.Context, actor door.Actor, personID, riskID string, d RiskDraft) (RiskVersion, error) {
	var v RiskVersion
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		detail := "risk assessment changed"
		if riskID == "" {
			detail = "risk assessment written"
		}
		a, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "RiskAssessment", ResourceID: riskID, Detail: detail})
		if err != nil {
			return err
		}
		next := 1
		if riskID != "" {
			var n int
			if hearth.ValidID(riskID) {
				if err := sc.QueryRow(`SELECT COUNT(*) FROM risk_assessments WHERE id = ? AND person_id = ?`, riskID, personID).Scan(&n); err != nil {
					return err
				}
			}
			if n == 0 {
				return hearth.NotFound("That risk assessment")
			}
		}
		if riskID == "" && d.Reason == "" {
			d.Reason = "First written"
		}
		if err := d.validate(sc.Now()); err != nil {
			return err
		}
		if riskID == "" {
			riskID = hearth.NewID()
			a.ResourceID = riskID
			if _, err := sc.Exec(`INSERT INTO risk_assessments (id, person_id, created_at, created_by) VALUES (?, ?, ?, ?)`,
				riskID, personID, sc.Now(), actor.ID); err != nil {
				return err
			}
		} else if next, err = recCheckVersion(sc, "risk assessment", `SELECT version, author_name, written_at FROM risk_versions
			WHERE risk_id = ? ORDER BY version DESC LIMIT 1`, riskID, d.BasedOn); err != nil {
			return err
		}
		v = RiskVersion{ID: hearth.NewID(), RiskID: riskID, Version: next, Title: d.Title, CouldHappen: d.CouldHappen,
			Likelihood: d.Likelihood, Impact: d.Impact, Reduces: d.Reduces, PersonsWords: d.PersonsWords, Involved: d.Involved,
			ReviewOn: d.ReviewOn, Reason: d.Reason, Author: recAuthor(actor), WrittenAt: sc.Now()}
		_, err = sc.Exec(`INSERT INTO risk_versions (id, risk_id, person_id, version, title, could_happen, likelihood, impact,
			reduces, persons_words, involved, involved_names, review_on, reason, author_id, author_name, author_role, written_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.RiskID, personID, v.Version, v.Title, v.CouldHappen, v.Likelihood, v.Impact, v.Reduces, v.PersonsWords,
			v.Involved.stored(), v.Involved.Names, v.ReviewOn, v.Reason, v.Author.ID, v.Author.Name, v.Author.Role, v.WrittenAt)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "Someone else saved this risk assessment at the same moment. Nothing was saved, and nothing is lost: your text is below.")
		}
		return err
	})
	return v, err
}

func (d *RiskDraft) validate(now time.Time) error {
	p := append(hearth.Problems(nil), d.Unread...)
	recText(&p, "The risk", &d.Title, true, MaxShort, "Name the risk in a few words, such as 'Falls when walking at night'")
	recText(&p, "What could happen", &d.CouldHappen, true, MaxText, "Say what could happen")
	p.Check(recValid(Levels, d.Likelihood), "Likelihood", "Choose how likely it is: low, medium or high")
	p.Check(recValid(Levels, d.Impact), "Impact", "Choose how serious it would be: low, medium or high")
	recText(&p, "What reduces it", &d.Reduces, true, MaxText, "Say what reduces the risk")
	recText(&p, "In their words", &d.PersonsWords, false, MaxText, "")
	d.Involved.check(&p)
	recText(&p, "Reason for the change", &d.Reason, true, MaxShort*2, "Say why the assessment is changing")
	if len(d.Unread) == 0 {
		recReviewDate(&p, "Review date", &d.ReviewOn, now)
	}
	return p.Err()
}

// SafetyPlan reads the safety plan at version (newest when zero), with
// every version. A person without one gets an empty page.
func (s *Service) SafetyPlan(ctx context.Context, actor door.Actor, personID string, version int) (SafetyPage, error) {
	var pg SafetyPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.ReadRecord, personID, "CarePlan", "", "safety plan")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, recMayFor(actor, p, access.WritePlan)
		return loadSafety(ctx, sc, personID, version, &pg)
	})
	return pg, err
}

// SafetyForm opens the safety plan to change it, decided as a change.
func (s *Service) SafetyForm(ctx context.Context, actor door.Actor, personID string) (SafetyPage, error) {
	var pg SafetyPage
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		_, p, err := recOpen(sc, access.WritePlan, personID, "CarePlan", "", "open the safety plan to change it")
		if err != nil {
			return err
		}
		pg.Person, pg.CanWrite = p, true
		return loadSafety(ctx, sc, personID, 0, &pg)
	})
	return pg, err
}

func loadSafety(ctx context.Context, sc *door.Scope, personID string, version int, pg *SafetyPage) error {
	rows, err := sc.Query(`SELECT `+safetyColumns+` FROM safety_plan_versions WHERE person_id = ? ORDER BY version DESC`, personID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanSafety(rows, sc.Now())
		if err != nil {
			return err
		}
		pg.Versions = append(pg.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(pg.Versions) == 0 {
		if version != 0 {
			return hearth.NotFound("That version of the safety plan")
		}
		return nil
	}
	pg.Latest = pg.Versions[0].Version
	if version == 0 {
		version = pg.Latest
	}
	for i := range pg.Versions {
		if pg.Versions[i].Version == version {
			pg.Shown = &pg.Versions[i]
			return nil
		}
	}
	return hearth.NotFound("That version of the safety plan")
}

// SaveSafetyPlan writes a new version of the safety plan based on
// d.BasedOn (0 for the first); a newer version saved meanwhile is a
// conflict.
func (s *Service) SaveSafetyPlan(ctx context.Context, actor door.Actor, personID string, d SafetyDraft) (SafetyVersion, error) {
	var v SafetyVersion
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		a, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "CarePlan", Detail: "safety plan changed"})
		if err != nil {
			return err
		}
		if d.BasedOn == 0 && d.Reason == "" {
			d.Reason = "First written"
		}
		if err := d.validate(sc.Now()); err != nil {
			return err
		}
		var latest int
		var by string
		var at time.Time
		err = sc.QueryRow(`SELECT version, author_name, written_at FROM safety_plan_versions WHERE person_id = ?
			ORDER BY version DESC LIMIT 1`, personID).Scan(&latest, &by, &at)
		if err != nil && !recNoRows(err) {
			return err
		}
		if latest != d.BasedOn {
			return recConflict("safety plan", latest, by, at)
		}
		v = SafetyVersion{ID: hearth.NewID(), Version: latest + 1, Triggers: d.Triggers, WarningSigns: d.WarningSigns,
			WhatHelps: d.WhatHelps, Contacts: d.Contacts, PersonsWords: d.PersonsWords, Involved: d.Involved, ReviewOn: d.ReviewOn,
			Reason: d.Reason, Author: recAuthor(actor), WrittenAt: sc.Now()}
		a.ResourceID = v.ID
		_, err = sc.Exec(`INSERT INTO safety_plan_versions (id, person_id, version, triggers, warning_signs, what_helps,
			contacts, persons_words, involved, involved_names, review_on, reason, author_id, author_name, author_role, written_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, personID, v.Version, v.Triggers, v.WarningSigns, v.WhatHelps, v.Contacts, v.PersonsWords, v.Involved.stored(),
			v.Involved.Names, v.ReviewOn, v.Reason, v.Author.ID, v.Author.Name, v.Author.Role, v.WrittenAt)
		if store.IsUniqueViolation(err) {
			return hearth.Errorf(hearth.KindConflict, "Someone else saved this safety plan at the same moment. Nothing was saved, and nothing is lost: your text is below.")
		}
		return err
	})
	return v, err
}

func (d *SafetyDraft) validate(now time.Time) error {
	p := append(hearth.Problems(nil), d.Unread...)
	recText(&p, "Triggers", &d.Triggers, true, MaxText, "Write what can trigger a crisis, in the person's words where you can")
	recText(&p, "Early warning signs", &d.WarningSigns, true, MaxText, "Write the early warning signs")
	recText(&p, "What helps", &d.WhatHelps, true, MaxText, "Write what helps")
	recText(&p, "Who to contact", &d.Contacts, true, MaxText, "Write who to contact, with their names and how to reach them")
	recText(&p, "In their words", &d.PersonsWords, false, MaxText, "")
	d.Involved.check(&p)
	recText(&p, "Reason for the change", &d.Reason, true, MaxShort*2, "Say why the safety plan is changing")
	if len(d.Unread) == 0 {
		recReviewDate(&p, "Review date", &d.ReviewOn, now)
	}
	return p.Err()
}
