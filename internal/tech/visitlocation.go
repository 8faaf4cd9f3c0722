package tech

import (
	"errors"
	"fmt"
	"strings"

	"hearth"
	"hearth/internal/door"
	"hearth/internal/people"
)

// VisitLocation answers whether a check-in at a person's home-care visit
// may carry a location, and on what authority.
type VisitLocation struct {
	Allowed    bool
	Use        Use        // the use that allows it (or the nearest that does not)
	Technology Technology // at its current register version
	Why        string     // why not, in plain words; empty when Allowed or when there is no such use at all
}

// VisitLocationUse works out, in sc (the caller's door scope, so in the
// same transaction as the check-in it guards), whether the person has a use
// of a technology that records location at home-care visits which may
// record one now. The rule, every part of it checked at this moment:
//
//   - the technology is on the register as recording location at visits
//     (Technology.VisitLocation), approved or in trial, with its
//     assessments passed, for the person's setting (Technology.Usable);
//   - the use was not ended at a review;
//   - its lawful basis counts now, worked out as the technology page works
//     it out (settle), so a consent withdrawn a moment ago stops it;
//   - its review is not overdue: the record promised a review by that
//     date, and monitoring goes on only as agreed at the last one;
//   - the actor's training for the technology is current, as for anyone
//     who operates it.
//
// It decides nothing through the door itself: the caller decides and
// audits the check-in, and the operation of the use.
func (s *Service) VisitLocationUse(sc *door.Scope, personID string) (VisitLocation, error) {
	var out VisitLocation
	ctx := sc.Context()
	uses, err := usesOf(sc, personID, door.Excluded{})
	if err != nil {
		return out, err
	}
	person, err := people.Load(sc, personID)
	if err != nil {
		return out, err
	}
	loc, err := locationOf(sc, person.LocationID)
	if err != nil {
		return out, err
	}
	today := day(sc.Now())
	for i := range uses {
		u := uses[i]
		t, err := loadTechnology(sc, u.TechnologyID)
		if err != nil {
			return out, err
		}
		if !t.VisitLocation {
			continue
		}
		if err := s.settle(ctx, sc, &u); err != nil {
			return out, err
		}
		why := ""
		switch {
		case !u.Live() && !u.RegisterStopped:
			why = fmt.Sprintf("the use of %s is %s", t.Name, lowerFirst(u.StateText))
		case t.Usable(loc) != nil:
			why = strings.TrimSuffix(problemText(t.Usable(loc)), ".")
		case !u.Live():
			why = fmt.Sprintf("the use of %s is %s", t.Name, lowerFirst(u.StateText))
		case u.NextReview.Before(today):
			why = fmt.Sprintf("the use of %s was due for review on %s and has not been reviewed", t.Name, UKDay(u.NextReview))
		default:
			if err := trainingGate(sc, sc.Actor(), t, sc.Now()); err != nil {
				why = lowerFirst(err.Error())
			}
		}
		if why == "" {
			return VisitLocation{Allowed: true, Use: u, Technology: t}, nil
		}
		if out.Why == "" {
			out = VisitLocation{Use: u, Technology: t, Why: why}
		}
	}
	return out, nil
}

// problemText is the first problem's message of a Usable refusal.
func problemText(err error) string {
	var e *hearth.Error
	if errors.As(err, &e) && len(e.Problems) > 0 {
		return e.Problems[0].Message
	}
	return err.Error()
}
