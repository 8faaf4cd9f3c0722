package care

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// Location at check-in. Where a care worker checks in is
// where the person lives and when they are at home: recording it is a use
// of technology about the person, so it needs a recorded technology use
// for that person with a lawful basis, and is never done by default.
//
// The rule (tech.VisitLocationUse): the person has a use of a technology on
// the register as recording location at home-care visits; the use is live
// now (not ended at a review, its lawful basis counts at this moment, its
// review not overdue); the technology is approved or in trial for the
// person's setting; and the care worker may operate it (OperateTechUse,
// training current). A check-in that carries a location without all of
// that is refused whole, saying why, and nothing is stored; a check-in
// without a location works as it always did.

// GeoInput is a location as the check-in form sends it: from the browser's
// geolocation, which the page asks for only when a use allows it.
type GeoInput struct {
	Latitude, Longitude string // decimal degrees (WGS 84)
	Accuracy            string // metres, optional
}

// Empty reports whether the request carries no location at all.
func (g GeoInput) Empty() bool {
	return strings.TrimSpace(g.Latitude) == "" && strings.TrimSpace(g.Longitude) == "" && strings.TrimSpace(g.Accuracy) == ""
}

// VisitLocation is where a check-in was, and on what authority.
type VisitLocation struct {
	Latitude, Longitude float64
	AccuracyM           float64 // zero: not given
	UseID               string
	UseVersion          int
	TechnologyName      string
	BasisKind, BasisID  string
	BasisText           string // "Consent given by Ann herself on 3 March 2026"
	RecordedAt          time.Time
}

// Coordinates is the location as a care worker or the person reads it.
func (l VisitLocation) Coordinates() string {
	return fmt.Sprintf("%.5f, %.5f", l.Latitude, l.Longitude)
}

// AccuracyText says how close the phone thought it was, in words.
func (l VisitLocation) AccuracyText() string {
	if l.AccuracyM <= 0 {
		return ""
	}
	return fmt.Sprintf("to within %d metres", int(math.Round(l.AccuracyM)))
}

// LocationOffer is what the visits page may offer a care worker: sharing
// their location at check-in, only when a use allows it.
type LocationOffer struct {
	Offered        bool
	TechnologyName string
	UseID          string
	Why            string // why not, when a use exists that does not allow it now
}

// CheckInWith records that a care worker has arrived (WriteRecord), with a
// location only where a live technology use for the person allows it (see
// above); at is the time of arrival, zero meaning now.
func (s *Service) CheckInWith(ctx context.Context, actor door.Actor, personID, visitID string, at time.Time, geo GeoInput) error {
	return s.visitStep(ctx, actor, personID, visitID, "visit check-in", func(sc *door.Scope, v Visit) error {
		if geo.Empty() {
			return s.checkIn(sc, v, at)
		}
		return s.checkInWithLocation(sc, v, at, geo)
	})
}

func (s *Service) checkInWithLocation(sc *door.Scope, v Visit, at time.Time, geo GeoInput) error {
	actor := sc.Actor()
	op, err := sc.Allow(door.Request{Action: access.OperateTechUse, Purpose: people.Purpose(actor), PersonID: v.PersonID,
		ResourceType: "DeviceUseStatement", Detail: "location at visit check-in"})
	if err != nil {
		return err
	}
	person, err := people.Load(sc, v.PersonID)
	if err != nil {
		return err
	}
	refused := fmt.Sprintf("No technology use with a lawful basis covers location at %s's visits, so it was not recorded", person.CalledName())
	if s.tech == nil {
		return hearth.Invalid("Location", refused+". Check in without sharing your location.")
	}
	vl, err := s.tech.VisitLocationUse(sc, v.PersonID)
	if err != nil {
		return err
	}
	if !vl.Allowed {
		msg := refused
		if vl.Why != "" {
			msg += ": " + strings.TrimSuffix(vl.Why, ".")
		}
		op.Detail = "location refused at visit check-in: " + msg
		return hearth.Invalid("Location", msg+". Check in without sharing your location.")
	}
	lat, lon, acc, err := parseGeo(geo)
	if err != nil {
		return err
	}
	u := vl.Use
	op.ResourceID, op.Decision.Basis = u.ID, u.BasisID
	op.Detail = fmt.Sprintf("location recorded at visit check-in under the use of %s (version %d) on the basis of %s %s",
		vl.Technology.Name, u.Version, u.BasisKind, u.BasisID)
	if err := s.checkIn(sc, v, at); err != nil {
		return err
	}
	_, err = sc.Exec(`INSERT INTO visit_locations (visit_id, person_id, latitude, longitude, accuracy_m, use_id, use_version,
		technology_name, basis_kind, basis_id, basis_text, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.PersonID, lat, lon, acc, u.ID, u.Version, vl.Technology.Name, u.BasisKind, u.BasisID, u.Basis.Reason, sc.Now(), actor.ID)
	return err
}

// parseGeo reads and checks a location: both coordinates, in range; the
// accuracy, when given, a distance up to 10 km (a phone that unsure has
// not found where it is).
func parseGeo(g GeoInput) (lat, lon float64, acc any, err error) {
	var p hearth.Problems
	num := func(s string) (float64, bool) {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	var okLat, okLon bool
	lat, okLat = num(g.Latitude)
	lon, okLon = num(g.Longitude)
	switch {
	case !okLat || !okLon:
		p.Add("Location", "The location must have a latitude and a longitude in decimal degrees")
	case lat < -90 || lat > 90:
		p.Add("Location", "The latitude must be between -90 and 90 degrees")
	case lon < -180 || lon > 180:
		p.Add("Location", "The longitude must be between -180 and 180 degrees")
	}
	if strings.TrimSpace(g.Accuracy) != "" {
		a, ok := num(g.Accuracy)
		if !ok || a < 0 || a > 10000 {
			p.Add("Location", "The accuracy must be a distance in metres from 0 to 10,000")
		} else {
			acc = a
		}
	}
	return lat, lon, acc, p.Err()
}

// locationOffer works out, for the visits page, whether a care worker may
// share their location at check-in now.
func (s *Service) locationOffer(sc *door.Scope, personID string) (LocationOffer, error) {
	var o LocationOffer
	if s.tech == nil {
		return o, nil
	}
	vl, err := s.tech.VisitLocationUse(sc, personID)
	if err != nil || (!vl.Allowed && vl.Why == "") {
		return o, err
	}
	o.TechnologyName, o.UseID = vl.Technology.Name, vl.Use.ID
	if !vl.Allowed {
		o.Why = vl.Why
		return o, nil
	}
	op, err := sc.Check(door.Request{Action: access.OperateTechUse, Purpose: people.Purpose(sc.Actor()), PersonID: personID,
		ResourceType: "DeviceUseStatement", ResourceID: vl.Use.ID, Detail: "may share location at visit check-in?"})
	if err != nil {
		return o, err
	}
	o.Offered = op.Decision.Permit
	if !o.Offered {
		o.Why = "your role does not include operating technology for this person"
	}
	return o, nil
}
