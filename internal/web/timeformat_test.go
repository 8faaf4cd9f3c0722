package web

import (
	"testing"
	"time"
)

// One time format everywhere: the 24-hour clock, as care records use it
// (issue 15 found "07:45" beside "1:20pm").
func TestTimesAreShownOnThe24HourClockInUKTime(t *testing.T) {
	summer := time.Date(2026, 6, 3, 12, 20, 0, 0, time.UTC) // 13:20 in London (BST)
	if got := ukDateTime(summer); got != "3 June 2026 at 13:20" {
		t.Errorf("ukDateTime: %q", got)
	}
	early := time.Date(2026, 1, 5, 7, 45, 0, 0, time.UTC)
	if got := ukDateTime(early); got != "5 January 2026 at 07:45" {
		t.Errorf("ukDateTime: %q", got)
	}
	if got := ukTime(early); got != "07:45" {
		t.Errorf("ukTime: %q", got)
	}
}
