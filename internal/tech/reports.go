package tech

import (
	"math"
	"strings"
	"unicode"
)

// Words normalises text to its set of words: lower case, letters and digits
// only, so punctuation, case and spacing do not hide a copied reason.
func Words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out[w] = true
	}
	return out
}

// Jaccard is the similarity of two word sets: shared words over all words.
// Two empty texts are identical.
func Jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	shared := 0
	for w := range a {
		if b[w] {
			shared++
		}
	}
	return float64(shared) / float64(len(a)+len(b)-shared)
}

// SharePercent is the flagging share as a whole percentage.
func (r BlanketReport) SharePercent() int { return int(math.Round(r.Share * 100)) }
