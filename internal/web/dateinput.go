package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The NHS.UK date input: a date is typed as day, month and year in three
// boxes, and a time as hours and minutes in two (24-hour), never in a
// browser's date picker, which shows US order in some locales and cuts the
// time off in others. A form names the boxes after the field, "when_day",
// "when_month", "when_year", "when_hour", "when_minute"; joinDateParts puts
// them together as the field the handlers already read, so every handler
// and service keeps one way of reading a date.

// dateParts are the box suffixes, in order.
var dateParts = []string{"_day", "_month", "_year", "_hour", "_minute"}

// joinDateParts sets each field typed in boxes to the value its handler
// reads: "2026-03-03" for a date, "14:30" for a time, "2026-03-03T14:30" for
// both. What cannot be a date is passed on as typed ("31/2/2026"), so the
// handler refuses it with its own message; boxes all left empty give "".
// A field sent whole (by a test or another client) is left alone.
func joinDateParts(f url.Values) {
	bases := map[string]bool{}
	for k := range f {
		for _, suffix := range dateParts {
			if base, ok := strings.CutSuffix(k, suffix); ok && base != "" {
				bases[base] = true
			}
		}
	}
	for base := range bases {
		if strings.TrimSpace(f.Get(base)) != "" {
			continue
		}
		get := func(suffix string) string { return strings.TrimSpace(f.Get(base + suffix)) }
		day, month, year, hour, minute := get("_day"), get("_month"), get("_year"), get("_hour"), get("_minute")
		_, hasDate := f[base+"_day"]
		_, hasTime := f[base+"_hour"]
		dateText, dateOK := "", false
		if hasDate && day+month+year != "" {
			dateText = day + "/" + month + "/" + year
			if t, ok := parseDay(dateText); ok {
				dateText, dateOK = t.Format("2006-01-02"), true
			}
		}
		timeText, timeOK := "", false
		if hasTime && hour+minute != "" {
			timeText = hour + ":" + minute
			if h, m, ok := parseClock(timeText); ok {
				timeText, timeOK = twoDigits(h)+":"+twoDigits(m), true
			}
		}
		var v string
		switch {
		case hasDate && hasTime:
			switch {
			case dateOK && timeOK:
				v = dateText + "T" + timeText
			case dateText != "" || timeText != "":
				v = "incomplete " + dateText + " " + timeText // refused by the handler
			}
		case hasDate:
			v = dateText
		default:
			v = timeText
		}
		f.Set(base, v)
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// dateInput is what the "dateTime" partial draws: the boxes for one field.
type dateInput struct {
	ID, Name, Label, Hint, Error   string
	Day, Month, Year, Hour, Minute string
	Date, Time                     bool // which boxes
}

// DateInput is the NHS.UK date input for field (the name its problems
// carry), its boxes named name_day and so on (and with ids id_day, so a
// page with several forms keeps its ids unique): label is the legend, kind is
// "date", "time" or "datetime", form what was typed (nil on a fresh form),
// and value the field's value to start from (ISO 8601, "14:30", or
// "2026-03-03T14:30"). The error summary links to the first box.
func (p page) DateInput(field, id, name, label, kind string, form url.Values, value string) dateInput {
	d := dateInput{ID: id, Name: name, Label: label, Date: kind != "time", Time: kind != "date"}
	switch kind {
	case "date":
		d.Hint = "For example, 15 3 2026"
	case "time":
		d.Hint = "Use the 24-hour clock, for example 14 30"
	default:
		d.Hint = "For example, 15 3 2026 and 14 30 (24-hour clock)"
	}
	if msg, bad := p.Fields[field]; bad {
		d.Error = msg
		first := id + "_day"
		if !d.Date {
			first = id + "_hour"
		}
		p.link(field, first)
	}
	if form != nil {
		if form.Has(name+"_day") || form.Has(name+"_hour") {
			d.Day, d.Month, d.Year = form.Get(name+"_day"), form.Get(name+"_month"), form.Get(name+"_year")
			d.Hour, d.Minute = form.Get(name+"_hour"), form.Get(name+"_minute")
			return d
		}
		if v := form.Get(name); v != "" {
			value = v
		}
	}
	value = strings.TrimSpace(value)
	datePart, timePart := value, ""
	if i := strings.IndexByte(value, 'T'); i >= 0 {
		datePart, timePart = value[:i], value[i+1:]
	} else if kind == "time" {
		datePart, timePart = "", value
	}
	if t, err := time.Parse("2006-01-02", datePart); err == nil {
		d.Day, d.Month, d.Year = strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())
	}
	if h, m, ok := parseClock(timePart); ok {
		d.Hour, d.Minute = twoDigits(h), twoDigits(m)
	}
	return d
}
