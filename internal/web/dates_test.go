package web

import (
	"testing"
	"time"
)

func TestDatesAreReadAsPeopleInTheUKTypeThem(t *testing.T) {
	june3 := time.Date(2026, 6, 3, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, typed string
		want        time.Time // zero: refused
	}{
		{"a date input's ISO date", "2026-06-03", june3},
		{"day first with slashes", "3/6/2026", june3},
		{"day first with leading zeros", "03/06/2026", june3},
		{"day first with hyphens", "3-6-2026", june3},
		{"day first with dots", "03.06.2026", june3},
		{"the month in words", "3 June 2026", june3},
		{"the month shortened", "3 Jun 2026", june3},
		{"an ordinal day and a comma", "3rd June, 2026", june3},
		{"surrounding spaces", "  3 june 2026 ", june3},
		{"a leap day in a leap year", "29/2/2028", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"a date of birth long ago", "14/06/1941", time.Date(1941, 6, 14, 0, 0, 0, 0, time.UTC)},
		{"31 February is refused", "31/2/2026", time.Time{}},
		{"a leap day in a common year is refused", "29/2/2026", time.Time{}},
		{"a US month-first date that cannot be day-first is refused", "6/30/2026", time.Time{}},
		{"a two-digit year is refused, not guessed", "3/6/26", time.Time{}},
		{"the month first in words is refused", "June 3 2026", time.Time{}},
		{"a year before any record is refused", "1/1/1066", time.Time{}},
		{"words are refused", "next Tuesday", time.Time{}},
		{"an empty date is refused", "", time.Time{}},
		{"a thirteenth month is refused", "3/13/2026", time.Time{}},
		{"day zero is refused", "0/6/2026", time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := parseDay(c.typed)
			if ok != !c.want.IsZero() || !got.Equal(c.want) {
				t.Errorf("parseDay(%q) = %v, %t; want %v", c.typed, got, ok, c.want)
			}
		})
	}
}

func TestTimesAreReadAsPeopleTypeThem(t *testing.T) {
	for _, c := range []struct {
		typed      string
		hour, mins int
		ok         bool
	}{
		{"14:30", 14, 30, true}, {"14.30", 14, 30, true}, {"1430", 14, 30, true}, {"9:05", 9, 5, true},
		{"2:30pm", 14, 30, true}, {"2.30 PM", 14, 30, true}, {"2pm", 14, 0, true}, {"12am", 0, 0, true}, {"12pm", 12, 0, true},
		{"24:00", 0, 0, false}, {"13pm", 0, 0, false}, {"9:5", 0, 0, false}, {"noon", 0, 0, false}, {"", 0, 0, false}, {"14:60", 0, 0, false},
	} {
		h, m, ok := parseClock(c.typed)
		if ok != c.ok || (ok && (h != c.hour || m != c.mins)) {
			t.Errorf("parseClock(%q) = %d:%02d %t, want %d:%02d %t", c.typed, h, m, ok, c.hour, c.mins, c.ok)
		}
	}
	// A time in British Summer Time is an hour ahead of UTC.
	got, ok := parseDayAndClock("3/6/2026", "14:30")
	if want := time.Date(2026, 6, 3, 13, 30, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("3 June 2026 at 14:30 = %v, want %v", got, want)
	}
}

// FuzzDateAsTyped: whatever is typed, reading it never panics; a date it
// accepts is a real day at midnight UTC within the years a record holds,
// and reads back the same from the ISO form a date input sends and from
// the words the pages show it in.
func FuzzDateAsTyped(f *testing.F) {
	for _, s := range []string{"2026-06-03", "3/6/2026", "03.06.2026", "3 June 2026", "3rd Sept, 2026", "31/2/2026", "29/02/2028",
		"6/30/2026", "3/6/26", "", "  ", "3//2026", "٣/٦/٢٠٢٦", "3 Juin 2026", "99999999999/1/2026", "1-1-0001"} {
		f.Add(s, "14:30")
	}
	f.Add("3/6/2026", "2.30pm")
	f.Add("3/6/2026", "12am")
	f.Fuzz(func(t *testing.T, typed, clock string) {
		d, ok := parseDay(typed)
		if ok {
			if d.Location() != time.UTC || d.Hour() != 0 || d.Minute() != 0 || d.Second() != 0 || d.Nanosecond() != 0 {
				t.Fatalf("parseDay(%q) = %v: not a calendar day", typed, d)
			}
			if d.Year() < minYear || d.Year() > maxYear {
				t.Fatalf("parseDay(%q) = %v: outside the years a record holds", typed, d)
			}
			for _, again := range []string{d.Format("2006-01-02"), ukDay(d), d.Format("2/1/2006")} {
				if back, ok := parseDay(again); !ok || !back.Equal(d) {
					t.Fatalf("parseDay(%q) = %v, but %q reads back as %v, %t", typed, d, again, back, ok)
				}
			}
		}
		h, m, okClock := parseClock(clock)
		if okClock && (h < 0 || h > 23 || m < 0 || m > 59) {
			t.Fatalf("parseClock(%q) = %d:%d", clock, h, m)
		}
		at, okBoth := parseDayAndClock(typed, clock)
		if okBoth != (ok && okClock) {
			t.Fatalf("parseDayAndClock(%q, %q) = %t, want %t", typed, clock, okBoth, ok && okClock)
		}
		if okBoth && at.Location() != time.UTC {
			t.Fatalf("parseDayAndClock gave a time in %v, want UTC", at.Location())
		}
	})
}
