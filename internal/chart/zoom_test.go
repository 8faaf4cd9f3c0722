package chart

import "testing"

// A zoomed chart starts its axis near the lowest value, so a weight that
// falls from 64 to 60 kg is not drawn as a flat line at the top of an axis
// from zero.
func TestAZoomedChartStartsItsAxisNearTheLowestValue(t *testing.T) {
	c := Chart{ID: "w", Title: "Weight", Categories: []string{"a", "b", "c"},
		Series: []Series{{Name: "Weight", Values: []float64{64, 62.2, 60.1}}}, Target: &Reference{Label: "5% loss", Value: 60.8}}
	if sc := c.yScale(false); sc.lo != 0 {
		t.Fatalf("unzoomed axis starts at %v, want 0", sc.lo)
	}
	c.Zoomed = true
	sc := c.yScale(false)
	if sc.lo < 55 || sc.lo > 60.1 || sc.hi < 64 {
		t.Errorf("zoomed axis runs %v to %v, want from just under 60.1 to at least 64", sc.lo, sc.hi)
	}
}
