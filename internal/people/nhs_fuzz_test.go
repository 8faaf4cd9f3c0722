package people_test

import (
	"strings"
	"testing"

	"hearth/internal/people"
)

// FuzzNHSNumber: whatever is typed into an NHS number field, checking it
// never panics; a number accepted is ten digits whose check digit is right
// (modulus 11), and it reads back the same as the page shows it.
func FuzzNHSNumber(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "943-476-5919", "9434765918", "943476591", "94347659190",
		"", "          ", "0000000000", "9999999999", "4010232137", "943 476 591９", "9434765919\x00", "-9434765919", "+449434765919"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		n := people.NormaliseNHSNumber(typed)
		if n != "" && (len(n) != 10 || strings.Trim(n, "0123456789") != "") {
			t.Fatalf("NormaliseNHSNumber(%q) = %q: not ten digits", typed, n)
		}
		if !people.ValidNHSNumber(typed) {
			return
		}
		if n == "" {
			t.Fatalf("ValidNHSNumber(%q) but it does not normalise", typed)
		}
		if d := people.CheckDigit(n[:9]); d < 0 || byte('0'+d) != n[9] {
			t.Fatalf("ValidNHSNumber(%q) but the check digit of %s is %d", typed, n[:9], d)
		}
		shown := people.FormatNHSNumber(n)
		if people.NormaliseNHSNumber(shown) != n || !people.ValidNHSNumber(shown) {
			t.Fatalf("%q is shown as %q, which does not read back as %s", typed, shown, n)
		}
	})
}
