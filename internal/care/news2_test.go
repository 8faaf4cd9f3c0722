package care_test

import (
	"testing"

	"hearth/internal/care"
)

// normal scores 0 on every NEWS2 parameter.
func normal() care.Vitals {
	return care.Vitals{RespRate: 16, SpO2: 97, SpO2Scale: 1, Systolic: 120, Pulse: 70, Consciousness: care.ACVPUAlert, TempDC: 370}
}

func TestNEWS2ScoresEachParameterExactlyAtEveryBandBoundaryOfTheRCPChart(t *testing.T) {
	chart := map[string]map[int]int{
		"respiration":            {1: 3, 8: 3, 9: 1, 11: 1, 12: 0, 20: 0, 21: 2, 24: 2, 25: 3, 40: 3},
		"spo2 scale 1":           {80: 3, 91: 3, 92: 2, 93: 2, 94: 1, 95: 1, 96: 0, 100: 0},
		"spo2 scale 2 on air":    {80: 3, 83: 3, 84: 2, 85: 2, 86: 1, 87: 1, 88: 0, 92: 0, 93: 0, 97: 0, 100: 0},
		"spo2 scale 2 on oxygen": {83: 3, 84: 2, 85: 2, 86: 1, 87: 1, 88: 0, 92: 0, 93: 1, 94: 1, 95: 2, 96: 2, 97: 3, 100: 3},
		"systolic":               {70: 3, 90: 3, 91: 2, 100: 2, 101: 1, 110: 1, 111: 0, 219: 0, 220: 3, 250: 3},
		"pulse":                  {30: 3, 40: 3, 41: 1, 50: 1, 51: 0, 90: 0, 91: 1, 110: 1, 111: 2, 130: 2, 131: 3, 160: 3},
		"temperature":            {340: 3, 350: 3, 351: 1, 360: 1, 361: 0, 380: 0, 381: 1, 390: 1, 391: 2, 410: 2},
	}
	for param, bands := range chart {
		for value, want := range bands {
			v := normal()
			setValue(param, &v, value)
			n := care.ScoreNEWS2(v)
			if got := partOf(param, n); got != want {
				t.Errorf("%s %d scored %d, want %d", param, value, got, want)
			}
			if want == 3 && !n.SingleThree() {
				t.Errorf("%s %d scores 3 but is not flagged as a single 3", param, value)
			}
		}
	}
}

func partOf(param string, n care.NEWS2Score) int {
	switch param {
	case "respiration":
		return n.Resp
	case "systolic":
		return n.Systolic
	case "pulse":
		return n.Pulse
	case "temperature":
		return n.Temp
	}
	return n.SpO2
}

func setValue(name string, v *care.Vitals, n int) {
	switch name {
	case "respiration":
		v.RespRate = n
	case "spo2 scale 1":
		v.SpO2 = n
	case "spo2 scale 2 on air":
		v.SpO2, v.SpO2Scale = n, 2
	case "spo2 scale 2 on oxygen":
		v.SpO2, v.SpO2Scale, v.OnOxygen = n, 2, true
	case "systolic":
		v.Systolic = n
	case "pulse":
		v.Pulse = n
	case "temperature":
		v.TempDC = n
	}
}

func TestNEWS2ScoresOxygenAndConsciousnessAndBandsTheTotal(t *testing.T) {
	v := normal()
	if n := care.ScoreNEWS2(v); n.Total != 0 || n.Risk() != "low" || n.SingleThree() {
		t.Errorf("normal signs: %+v risk %s", n, n.Risk())
	}
	v.OnOxygen = true
	if n := care.ScoreNEWS2(v); n.Air != 2 || n.Total != 2 {
		t.Errorf("on oxygen scores 2: %+v", n)
	}
	for _, c := range []string{care.ACVPUConfusion, care.ACVPUVoice, care.ACVPUPain, care.ACVPUUnresponsive} {
		v := normal()
		v.Consciousness = c
		n := care.ScoreNEWS2(v)
		if n.Consciousness != 3 || !n.SingleThree() || n.Risk() != "low-medium" {
			t.Errorf("consciousness %s: %+v risk %s", c, n, n.Risk())
		}
	}
	cases := []struct {
		name  string
		v     care.Vitals
		total int
		risk  string
	}{
		{"four scores 1: low", care.Vitals{RespRate: 10, SpO2: 95, SpO2Scale: 1, Systolic: 105, Pulse: 95, Consciousness: "A", TempDC: 370}, 4, "low"},
		{"five is medium", care.Vitals{RespRate: 22, SpO2: 95, SpO2Scale: 1, Systolic: 105, Pulse: 95, Consciousness: "A", TempDC: 370}, 5, "medium"},
		{"six is medium", care.Vitals{RespRate: 22, SpO2: 95, SpO2Scale: 1, Systolic: 105, Pulse: 95, Consciousness: "A", TempDC: 385}, 6, "medium"},
		{"seven is high", care.Vitals{RespRate: 22, SpO2: 93, SpO2Scale: 1, Systolic: 105, Pulse: 95, Consciousness: "A", TempDC: 385}, 7, "high"},
	}
	for _, c := range cases {
		n := care.ScoreNEWS2(c.v)
		if n.Total != c.total || n.Risk() != c.risk {
			t.Errorf("%s: total %d risk %s, want %d %s", c.name, n.Total, n.Risk(), c.total, c.risk)
		}
	}
}
