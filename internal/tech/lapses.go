package tech

import (
	"fmt"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// When the register stops supporting a use already in place (docs/
// governance.md, "When the register lapses"):
//
//   - At once, when the provider has decided or recorded that the
//     technology is not to be used here: it is withdrawn or no longer
//     approved or in trial, a required assessment (DTAC, DPIA, EHIA,
//     evidence review, co-production for surveillance) is missing or did
//     not pass, or the person's setting is no longer approved. Processing
//     that needs a DPIA may not go on without one (UK GDPR Art. 35), and
//     the provider's own decision to withdraw must reach the person that
//     day.
//   - After a grace period of LapseGrace, when an assessment that passed is
//     out of date (older than ReassessAfter) or the policy is overdue for
//     review: nothing is known to be wrong, the review is late, and
//     stopping monitoring someone relies on without notice can harm them.
//     Until then the use is flagged with the day it will stop; after it,
//     it is stopped.
//   - Never, for an operator's lapsed training: the person's care goes on,
//     but that operator may not record or operate it (trainingGate), and
//     the use is flagged while no one with current training works with
//     the person.
const (
	ReassessAfter = 12 // months: DTAC, DPIA, EHIA and the evidence review are renewed at least this often
	LapseGrace    = 28 * 24 * time.Hour
)

// Lapse is one way the register no longer supports a use.
type Lapse struct {
	Text   string    // "The DPIA was last done on 5 January 2026 and is out of date"
	AtOnce bool      // the use stops now
	StopBy time.Time // otherwise: the day it stops unless renewed
}

// Lapses lists how the register entry fails to support a use at loc now.
func (t Technology) Lapses(loc people.Location, now time.Time) []Lapse {
	var out []Lapse
	if err := t.Usable(loc); err != nil {
		if e, ok := err.(*hearth.Error); ok {
			for _, p := range e.Problems {
				out = append(out, Lapse{Text: p.Message, AtOnce: true})
			}
		}
	}
	today := day(now)
	stale := func(name string, done time.Time, months int) {
		if done.IsZero() || months <= 0 {
			return
		}
		due := day(done).AddDate(0, months, 0)
		if !today.Before(due) {
			out = append(out, Lapse{Text: fmt.Sprintf("%s was last done on %s and was due again on %s", name, UKDay(done), UKDay(due)),
				StopBy: due.Add(LapseGrace)})
		}
	}
	if t.DTAC.Passed() {
		stale("The DTAC assessment", t.DTAC.Date, ReassessAfter)
	}
	if t.DPIA.Passed() {
		stale("The DPIA", t.DPIA.Date, ReassessAfter)
	}
	if t.EHIA.Passed() {
		stale("The equality and health inequalities impact assessment", t.EHIA.Date, ReassessAfter)
	}
	if !t.Evidence.Date.IsZero() && t.Evidence.Quality != "insufficient" {
		stale("The evidence review", t.Evidence.Date, ReassessAfter)
	}
	if t.PolicyReference != "" {
		stale("The review of policy "+t.PolicyReference, t.PolicyReviewed, t.PolicyReviewMonths)
	}
	return out
}

// applyLapses works out what the register means for a live use now: it
// stops (state and text) or carries the lapses and the day it will stop.
func applyLapses(u *Use, t Technology, loc people.Location, now time.Time) {
	u.Lapses = t.Lapses(loc, now)
	var why []string
	for _, l := range u.Lapses {
		if l.AtOnce || !now.Before(l.StopBy) {
			why = append(why, strings.TrimSuffix(lowerFirst(l.Text), "."))
		}
	}
	if len(why) > 0 {
		u.State, u.StateText = UseStopped, "Stopped: "+strings.Join(why, "; ")
		u.RegisterStopped = true
	}
}

// trainedNearby reports whether anyone who works with the person (their
// care team, or staff at their location) holds current training in the
// module.
func trainedNearby(sc *door.Scope, personID, locationID, module string, now time.Time) (bool, error) {
	if module == "" {
		return true, nil
	}
	var n int
	err := sc.QueryRow(`SELECT COUNT(*) FROM tech_training tt WHERE tt.module = ? AND tt.completed_on <= ? AND tt.expires_on > ?
		AND (tt.user_id IN (SELECT user_id FROM care_team WHERE person_id = ? AND starts_at <= ? AND (ends_at IS NULL OR ends_at > ?))
		  OR tt.user_id IN (SELECT user_id FROM staff_locations WHERE location_id = ?))`,
		module, day(now), day(now), personID, now, now, locationID).Scan(&n)
	return n > 0, err
}

// operatorLapsed reports whether a staff reader who may operate uses once
// held training in the module that has since expired (someone never
// trained is refused by trainingGate, and not flagged on every page).
func operatorLapsed(sc *door.Scope, actor door.Actor, t Technology, now time.Time) (bool, error) {
	if t.TrainingModule == "" || actor.Kind != access.KindStaff || !actor.Role.Info().Permissions.Has(access.OperateTechUse) {
		return false, nil
	}
	var held, current int
	err := sc.QueryRow(`SELECT COUNT(*), COUNT(CASE WHEN expires_on > ? THEN 1 END) FROM tech_training
		WHERE user_id = ? AND module = ? AND completed_on <= ?`, day(now), actor.ID, t.TrainingModule, day(now)).Scan(&held, &current)
	return held > 0 && current == 0, err
}

// NeedsAttention reports whether staff must notice the use: stopped, its
// review overdue, the register lapsing, no one trained nearby, or the
// reader's own training lapsed.
func (u Use) NeedsAttention() bool {
	return u.State == UseStopped || u.State == UsePaused || (u.State == UseActive && (u.ReviewOverdue || len(u.Lapses) > 0 || u.NoOneTrained || u.YourTrainingLapsed))
}

// AttentionText is what the person page and my shift say about the use.
func (u Use) AttentionText() string {
	switch u.State {
	case UseStopped:
		return u.StateText + ". Do not use it."
	case UsePaused:
		return u.StateText + "."
	}
	var parts []string
	for _, l := range u.Lapses {
		parts = append(parts, fmt.Sprintf("%s: it must stop on %s unless renewed", strings.TrimSuffix(l.Text, "."), UKDay(l.StopBy)))
	}
	if u.NoOneTrained {
		parts = append(parts, "no one who works with this person has current training to operate it")
	}
	if u.YourTrainingLapsed {
		parts = append(parts, "your training to operate it is not current: do not operate it until it is renewed")
	}
	if u.ReviewOverdue {
		parts = append(parts, "review overdue (was due "+UKDay(u.NextReview)+")")
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// settleRegister applies the register to a use whose lawful basis counts.
func (s *Service) settleRegister(sc *door.Scope, u *Use, now time.Time) error {
	t, err := loadTechnology(sc, u.TechnologyID)
	if err != nil {
		return err
	}
	// The setting is where the person is now: a move can leave a use
	// outside its approved settings.
	var where string
	if err := sc.QueryRow(`SELECT location_id FROM people WHERE id = ?`, u.PersonID).Scan(&where); err != nil {
		return err
	}
	loc, err := locationOf(sc, where)
	if err != nil {
		return err
	}
	applyLapses(u, t, loc, now)
	if u.State != UseActive {
		return nil
	}
	ok, err := trainedNearby(sc, u.PersonID, where, t.TrainingModule, now)
	if err != nil {
		return err
	}
	u.NoOneTrained = !ok
	u.YourTrainingLapsed, err = operatorLapsed(sc, sc.Actor(), t, now)
	return err
}
