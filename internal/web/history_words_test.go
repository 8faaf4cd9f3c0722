package web

import (
	"strings"
	"testing"
	"unicode"

	"hearth/internal/access"
)

// Every action in a person's history reads as a sentence: a capital first,
// a full stop last, no action code ("review-withheld", "review withheld").
func TestEveryAuditedActionReadsAsASentenceInTheHistory(t *testing.T) {
	for _, a := range access.Actions() {
		code := a.String()
		got := actionTitle(code)
		if _, ok := actionTitles[code]; !ok {
			t.Errorf("%s has no sentence (shown as %q)", code, got)
			continue
		}
		r := []rune(got)
		if !unicode.IsUpper(r[0]) || !strings.HasSuffix(got, ".") {
			t.Errorf("%s reads %q: not a sentence", code, got)
		}
		if strings.Contains(got, code) || strings.Contains(strings.ToLower(got), strings.ReplaceAll(code, "-", " ")) {
			t.Errorf("%s reads %q: the code, not words", code, got)
		}
	}
}
