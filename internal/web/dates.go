package web

import (
	"strconv"
	"strings"
	"time"
)

// Dates and times as people type them. A date field is an <input
// type="date">, which sends 2026-06-03; where the browser shows a plain
// text box instead, or a form is filled in by hand, people in the UK type
// 3/6/2026, 03-06-2026, 3.6.2026 or 3 June 2026. Each is read the same
// way, day first; anything else (a two-digit year, 31 February, a US
// month-first date that cannot be a day-first one) is refused, never
// guessed at. Times are 14:30, 14.30, 1430, 2:30pm or 2pm.

// Years a date in a care record can fall in: a date of birth over a
// century ago, a review date decades ahead.
const (
	minYear = 1850
	maxYear = 2200
)

var monthNames = map[string]time.Month{}

func init() {
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		monthNames[name] = m
		monthNames[name[:3]] = m
	}
	monthNames["sept"] = time.September
}

// parseDay reads a calendar date as a person types it, at midnight UTC
// (calendar dates carry no time of day), and reports whether it was one.
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return time.Time{}, false
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return inRange(t)
	}
	parts := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == '/' || r == '-' || r == '.' || r == ' ' || r == ','
	})
	if len(parts) != 3 {
		return time.Time{}, false
	}
	day, ok := number(strings.TrimRight(parts[0], "stndrh"), 1, 2)
	if !ok {
		return time.Time{}, false
	}
	month, ok := monthNames[parts[1]]
	if !ok {
		m, isNumber := number(parts[1], 1, 2)
		if !isNumber || m < 1 || m > 12 {
			return time.Time{}, false
		}
		month = time.Month(m)
	}
	year, ok := number(parts[2], 4, 4)
	if !ok {
		return time.Time{}, false
	}
	return date(year, month, day)
}

// date is the day, unless it does not exist (31 February).
func date(year int, month time.Month, day int) (time.Time, bool) {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	if t.Year() != year || t.Month() != month || t.Day() != day {
		return time.Time{}, false
	}
	return inRange(t)
}

func inRange(t time.Time) (time.Time, bool) {
	if t.Year() < minYear || t.Year() > maxYear {
		return time.Time{}, false
	}
	return t, true
}

// number reads between min and max ASCII digits.
func number(s string, min, max int) (int, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// parseClock reads a time of day as a person types it, as hours and
// minutes, and reports whether it was one.
func parseClock(s string) (hour, minute int, ok bool) {
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(s) > 12 {
		return 0, 0, false
	}
	half := ""
	if rest, found := strings.CutSuffix(s, "am"); found {
		s, half = rest, "am"
	} else if rest, found := strings.CutSuffix(s, "pm"); found {
		s, half = rest, "pm"
	}
	h, m := s, "00"
	if i := strings.IndexAny(s, ":."); i >= 0 {
		h, m = s[:i], s[i+1:]
	} else if len(s) == 4 && half == "" {
		h, m = s[:2], s[2:]
	}
	hour, okH := number(h, 1, 2)
	minute, okM := number(m, 2, 2)
	if !okH || !okM || minute > 59 {
		return 0, 0, false
	}
	switch half {
	case "":
		if hour > 23 {
			return 0, 0, false
		}
	default:
		if hour < 1 || hour > 12 {
			return 0, 0, false
		}
		hour %= 12
		if half == "pm" {
			hour += 12
		}
	}
	return hour, minute, true
}

// parseDayAndClock reads a date and a time of day typed in UK time, as an
// instant.
func parseDayAndClock(day, clock string) (time.Time, bool) {
	d, ok := parseDay(day)
	if !ok {
		return time.Time{}, false
	}
	h, m, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, london).UTC(), true
}
