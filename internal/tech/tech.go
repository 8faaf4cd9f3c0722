// Package tech governs the use of digital technology in care: the
// provider's technology register (intended use, evidence review, DTAC, DPIA,
// EHIA, co-production, approved settings, policy, training, contingency),
// each person's technology use record with the eight items of NHS England's
// principle 2, reviews, outcome and experience measures (principle 8),
// copies given to the person, concerns and staff feedback, minimal training
// records that gate who may record or operate a use, and digital inclusion.
//
// It serves the NHS England "Principles for using digital technologies in
// mental health inpatient treatment and care" (2025) and the Skills for Care
// theme "Ethical use of technology". Its invariants:
//
//   - A use is for one person, with reasons specific to them (principle 2:
//     never a blanket approach). No method takes more than one person.
//   - A technology is used only when approved or in trial, with every
//     required assessment recorded and passed, in a setting it was approved
//     for; refusals name what is missing.
//   - A use counts only while its lawful basis (a consent or a best-interests
//     decision, owned by package consent) counts: its status is worked out
//     when it is read, never stored as a flag that could go stale.
//   - Register entries and use records are versioned; nothing is silently
//     changed. Every read and write of personal data goes through the door.
package tech

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"hearth"
	"hearth/internal/consent"
	"hearth/internal/door"
)

// Service is technology governance.
type Service struct {
	door    *door.Door
	consent *consent.Service
	// BlanketShare is the share of the people at a location using one
	// technology above which the governance report flags possible blanket
	// use (0.5 by default).
	BlanketShare float64
	// SimilarReasons is the Jaccard similarity of two reasons' word sets at
	// or above which they are flagged as near-identical (0.8 by default).
	SimilarReasons float64
	// MinGroup is the smallest group shown in the outcome report; smaller
	// groups are suppressed so no one can be picked out (5 by default).
	MinGroup int
}

// New returns the technology service. Lawful bases are checked with the
// consent service.
func New(d *door.Door, c *consent.Service) *Service {
	return &Service{door: d, consent: c, BlanketShare: 0.5, SimilarReasons: 0.8, MinGroup: 5}
}

// Limits on free text.
const (
	maxShort = 200
	maxLong  = 4000
)

func clean(s string) string { return strings.TrimSpace(s) }

// text checks a required free-text field.
func text(p *hearth.Problems, field, value, missing string, max int) {
	switch {
	case value == "":
		p.Add(field, missing)
	case utf8.RuneCountInString(value) > max:
		p.Add(field, fmt.Sprintf("%s must be %d characters or fewer", field, max))
	}
}

// optional checks an optional free-text field's length.
func optional(p *hearth.Problems, field, value string, max int) {
	if utf8.RuneCountInString(value) > max {
		p.Add(field, fmt.Sprintf("%s must be %d characters or fewer", field, max))
	}
}

// ParseDay reads a calendar date as typed in a form: 2026-03-03 (the date
// input) or 3/3/2026. The zero time means it could not be read.
func ParseDay(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2/1/2006", "02/01/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// day is the calendar date of t in UTC, at midnight.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// DayString formats a calendar date for the form's date input.
func DayString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

// UKDay is a calendar date in words, as the UI shows it.
func UKDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// randomID is a random (version 4) identifier, for rows whose creation time
// must not be readable from their ID (anonymous feedback).
func randomID() string { return uuid.NewString() }

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func unique(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
