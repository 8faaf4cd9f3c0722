package tech

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/door"
	"hearth/internal/people"
)

// PreferNotToSay is the answer a person may give to any question here.
const PreferNotToSay = "prefer-not-to-say"

// Characteristic is one optional protected characteristic (Equality Act
// 2010) or attention flag, with the answers offered.
type Characteristic struct {
	Key, Title string
	Options    []string
}

// Characteristics are those the outcome report breaks down by, in order.
var Characteristics = []Characteristic{
	{"age_band", "Age band", []string{"18-39", "40-64", "65-79", "80+"}},
	{"sex", "Sex", []string{"female", "male"}},
	{"ethnicity", "Ethnic group", []string{"asian", "black", "mixed", "white", "other"}},
	{"disability", "Disability", []string{"yes", "no"}},
	{"religion", "Religion or belief", []string{"none", "christian", "muslim", "hindu", "sikh", "jewish", "buddhist", "other"}},
	{"sexual_orientation", "Sexual orientation", []string{"heterosexual", "gay-or-lesbian", "bisexual", "other"}},
	{"gender_reassignment", "Gender identity differs from sex registered at birth", []string{"yes", "no"}},
}

// Flags are the attention flags: a recorded trauma history or paranoia
// means monitoring technology may do harm and needs a careful look.
var Flags = []Characteristic{
	{"trauma_history", "History of trauma", []string{"yes", "no"}},
	{"paranoia", "Paranoia", []string{"yes", "no"}},
}

// AnswerTitle is an answer in words.
func AnswerTitle(v string) string {
	switch v {
	case "":
		return "Not recorded"
	case PreferNotToSay:
		return "Prefers not to say"
	case "gay-or-lesbian":
		return "Gay or lesbian"
	}
	if v[0] >= '0' && v[0] <= '9' {
		return v // an age band such as 18-39 keeps its dash
	}
	return strings.ToUpper(v[:1]) + strings.ReplaceAll(v[1:], "-", " ")
}

// Answer is one choice offered on a form: the value sent and the words a
// person reads.
type Answer struct {
	Value, Title string
}

// Answers are values with their words, in order.
func Answers(values []string, title func(string) string) []Answer {
	out := make([]Answer, 0, len(values))
	for _, v := range values {
		out = append(out, Answer{Value: v, Title: title(v)})
	}
	return out
}

// Answers are the characteristic's options in words.
func (c Characteristic) Answers() []Answer { return Answers(c.Options, AnswerTitle) }

// Profile is a person's optional characteristics and flags, by key.
type Profile struct {
	PersonID  string
	Values    map[string]string
	UpdatedAt time.Time
}

// Flagged reports whether the person has a recorded trauma history or
// paranoia.
func (p Profile) Flagged() bool {
	return p.Values["trauma_history"] == "yes" || p.Values["paranoia"] == "yes"
}

var profileColumns = []string{"age_band", "sex", "ethnicity", "disability", "religion", "sexual_orientation",
	"gender_reassignment", "trauma_history", "paranoia"}

func loadProfile(sc *door.Scope, personID string) (Profile, error) {
	p := Profile{PersonID: personID, Values: map[string]string{}}
	vals := make([]string, len(profileColumns))
	dest := []any{&p.UpdatedAt}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	err := sc.QueryRow(`SELECT updated_at, `+strings.Join(profileColumns, ", ")+` FROM tech_characteristics WHERE person_id = ?`, personID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	for i, c := range profileColumns {
		p.Values[c] = vals[i]
	}
	return p, nil
}

// RecordProfile records a person's answers. Each is optional; each may be
// "prefer not to say". It needs WritePlan for the person.
func (s *Service) RecordProfile(ctx context.Context, actor door.Actor, personID string, values map[string]string) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", ResourceID: personID, Detail: "recorded equality monitoring answers"}); err != nil {
			return err
		}
		var p hearth.Problems
		args := []any{}
		for _, c := range append(append([]Characteristic{}, Characteristics...), Flags...) {
			v := strings.TrimSpace(values[c.Key])
			p.Check(v == "" || v == PreferNotToSay || has(c.Options, v), c.Title, "Choose one of the answers offered, or 'prefer not to say'")
			args = append(args, v)
		}
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`DELETE FROM tech_characteristics WHERE person_id = ?`, personID); err != nil {
			return err
		}
		args = append([]any{personID}, append(args, sc.Now(), actor.ID)...)
		_, err := sc.Exec(`INSERT INTO tech_characteristics (person_id, `+strings.Join(profileColumns, ", ")+`, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return err
	})
}

// Inclusion is a person's digital inclusion profile, read before a rollout.
type Inclusion struct {
	PersonID   string
	Devices    []string // smartphone, tablet, computer, internet, none
	Confidence string   // none, low, some, confident
	Channels   []string // in-person, phone, letter, email, text, video, portal
	Support    string   // what help they need, in their words
	UpdatedAt  time.Time
}

// Recorded reports whether a profile has been recorded.
func (i Inclusion) Recorded() bool { return !i.UpdatedAt.IsZero() }

// Has reports whether a device or channel was recorded.
func (i Inclusion) Has(v string) bool { return has(i.Devices, v) || has(i.Channels, v) }

// DevicesText is the devices in words, "none recorded" when there are none.
func (i Inclusion) DevicesText() string { return wordsList(i.Devices) }

// ChannelsText is the preferred channels in words.
func (i Inclusion) ChannelsText() string { return wordsList(i.Channels) }

// ConfidenceText is the confidence in words.
func (i Inclusion) ConfidenceText() string {
	if i.Confidence == "" {
		return "Not recorded"
	}
	return AnswerTitle(i.Confidence)
}

func wordsList(vs []string) string {
	if len(vs) == 0 {
		return "None recorded"
	}
	var words []string
	for _, v := range vs {
		words = append(words, AnswerTitle(v))
	}
	return strings.Join(words, ", ")
}

// Devices, confidence levels and channels offered on the form.
var (
	InclusionDevices    = []string{"smartphone", "tablet", "computer", "home-internet", "none"}
	InclusionConfidence = []string{"none", "low", "some", "confident"}
	InclusionChannels   = []string{"in-person", "phone", "letter", "email", "text-message", "video-call", "portal"}
)

func loadInclusion(sc *door.Scope, personID string) (Inclusion, error) {
	in := Inclusion{PersonID: personID}
	var devices, channels string
	err := sc.QueryRow(`SELECT devices, confidence, channels, support, updated_at FROM tech_inclusion WHERE person_id = ?`, personID).
		Scan(&devices, &in.Confidence, &channels, &in.Support, &in.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return in, nil
	}
	in.Devices, in.Channels = splitList(devices), splitList(channels)
	return in, err
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// RecordInclusion records a person's digital inclusion profile (WritePlan).
func (s *Service) RecordInclusion(ctx context.Context, actor door.Actor, personID string, in Inclusion) error {
	return s.door.Run(ctx, actor, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.WritePlan, Purpose: people.Purpose(actor), PersonID: personID,
			ResourceType: "Observation", ResourceID: personID, Detail: "recorded digital inclusion profile"}); err != nil {
			return err
		}
		var p hearth.Problems
		in.Devices, in.Channels, in.Support = unique(in.Devices), unique(in.Channels), clean(in.Support)
		for _, d := range in.Devices {
			p.Check(has(InclusionDevices, d), "Devices", "Choose devices from the list")
		}
		p.Check(!(has(in.Devices, "none") && len(in.Devices) > 1), "Devices", "Choose 'none' or the devices they have, not both")
		for _, c := range in.Channels {
			p.Check(has(InclusionChannels, c), "Preferred channels", "Choose channels from the list")
		}
		p.Check(has(InclusionConfidence, in.Confidence), "Confidence", "Choose how confident they are using digital technology")
		p.Check(len(in.Channels) > 0, "Preferred channels", "Choose at least one way they prefer to be contacted or informed")
		optional(&p, "Support needed", in.Support, maxLong)
		if err := p.Err(); err != nil {
			return err
		}
		if _, err := sc.Exec(`DELETE FROM tech_inclusion WHERE person_id = ?`, personID); err != nil {
			return err
		}
		_, err := sc.Exec(`INSERT INTO tech_inclusion (person_id, devices, confidence, channels, support, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, personID, strings.Join(in.Devices, ","), in.Confidence, strings.Join(in.Channels, ","), in.Support, sc.Now(), actor.ID)
		return err
	})
}

// Count is one answer and how many people gave it.
type Count struct {
	Label string
	N     int
}

// InclusionSummary is a location's digital inclusion at a glance: counts,
// and names only of the people the reader may see individually.
type InclusionSummary struct {
	Location   people.Location
	People     int
	Recorded   int
	Devices    []Count
	Confidence []Count
	Channels   []Count
	Support    []string // "Name: support needed", only for people the reader may see
}

// LocationInclusion summarises digital inclusion at a location for someone
// planning a rollout (ViewGovernance). Counts are aggregate; a person's
// name and support needs are shown only when the reader may read their
// record, and each such person is an audited read.
func (s *Service) LocationInclusion(ctx context.Context, actor door.Actor, locationID string) (InclusionSummary, error) {
	var sum InclusionSummary
	err := s.door.Run(ctx, actor, func(sc *door.Scope) error {
		q, err := sc.Allow(door.Request{Action: access.ViewGovernance, Purpose: access.Governance, ResourceType: "Location",
			ResourceID: locationID, Detail: "digital inclusion summary"})
		if err != nil {
			return err
		}
		if !hearth.ValidID(locationID) {
			return hearth.NotFound("That location")
		}
		if sum.Location, err = locationOf(sc, locationID); errors.Is(err, sql.ErrNoRows) {
			return hearth.NotFound("That location")
		} else if err != nil {
			return err
		}
		// Counts over everyone at the location: no names, no words.
		rows, err := sc.Query(`SELECT i.devices, i.confidence, i.channels, COALESCE(i.support, '') <> ''
			FROM people p LEFT JOIN tech_inclusion i ON i.person_id = p.id WHERE p.location_id = ?`, locationID)
		if err != nil {
			return err
		}
		devices, confidence, channels := map[string]int{}, map[string]int{}, map[string]int{}
		needing := 0
		for rows.Next() {
			var dv, cf, ch sql.NullString
			var needs sql.NullBool
			if err := rows.Scan(&dv, &cf, &ch, &needs); err != nil {
				rows.Close()
				return err
			}
			sum.People++
			if !cf.Valid {
				continue
			}
			sum.Recorded++
			for _, d := range splitList(dv.String) {
				devices[d]++
			}
			confidence[cf.String]++
			for _, c := range splitList(ch.String) {
				channels[c]++
			}
			if needs.Bool {
				needing++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		sum.Devices, sum.Confidence, sum.Channels = counts(devices, InclusionDevices), counts(confidence, InclusionConfidence), counts(channels, InclusionChannels)
		// Names and the support each needs only for people the reader has
		// a relationship with, each decided and audited.
		type need struct{ id, name, support string }
		reach, args := sc.Reach("p.id", "p.location_id")
		rows, err = sc.Query(`SELECT p.id, p.given_name || ' ' || p.family_name, i.support
			FROM people p JOIN tech_inclusion i ON i.person_id = p.id
			WHERE p.location_id = ? AND i.support <> '' AND `+reach+` ORDER BY p.family_name, p.given_name`, append([]any{locationID}, args...)...)
		if err != nil {
			return err
		}
		var needs []need
		for rows.Next() {
			var n need
			if err := rows.Scan(&n.id, &n.name, &n.support); err != nil {
				rows.Close()
				return err
			}
			needs = append(needs, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		shown, err := door.Filter(sc, door.Request{Action: access.ReadRecord, Purpose: people.Purpose(actor), ResourceType: "Observation",
			Detail: "digital inclusion summary: support needed"}, needs, func(n need) string { return n.id })
		if err != nil {
			return err
		}
		for _, n := range shown {
			sum.Support = append(sum.Support, n.name+": "+n.support)
		}
		if hidden := needing - len(sum.Support); hidden > 0 {
			sum.Support = append(sum.Support, fmt.Sprintf("%d more people need support; their names are not shown to you", hidden))
		}
		q.Detail = fmt.Sprintf("digital inclusion summary for %s: %d people, counts only", sum.Location.Name, sum.People)
		return nil
	})
	return sum, err
}

func counts(m map[string]int, order []string) []Count {
	var out []Count
	for _, k := range order {
		out = append(out, Count{Label: AnswerTitle(k), N: m[k]})
	}
	var rest []string
	for k := range m {
		if !has(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, Count{Label: AnswerTitle(k), N: m[k]})
	}
	return out
}
