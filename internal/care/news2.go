package care

// NEWS2 is the National Early Warning Score 2 (Royal College of Physicians,
// December 2017), scored exactly as its chart: each of seven parameters
// scores 0 to 3 and the aggregate guides the response. A score of 3 in any
// single parameter needs an urgent response on its own.

// Consciousness on the ACVPU scale: Alert, new Confusion, responds to
// Voice, to Pain, or Unresponsive.
const (
	ACVPUAlert        = "A"
	ACVPUConfusion    = "C"
	ACVPUVoice        = "V"
	ACVPUPain         = "P"
	ACVPUUnresponsive = "U"
)

// ACVPULevels are the consciousness levels for forms.
var ACVPULevels = []Choice{{ACVPUAlert, "Alert"}, {ACVPUConfusion, "New confusion"}, {ACVPUVoice, "Responds to voice"},
	{ACVPUPain, "Responds to pain"}, {ACVPUUnresponsive, "Unresponsive"}}

// ConsciousnessTitle is the ACVPU level in words.
func ConsciousnessTitle(c string) string {
	switch c {
	case ACVPUAlert:
		return "Alert"
	case ACVPUConfusion:
		return "New confusion"
	case ACVPUVoice:
		return "Responds to voice"
	case ACVPUPain:
		return "Responds to pain"
	case ACVPUUnresponsive:
		return "Unresponsive"
	}
	return c
}

// Vitals is one set of vital signs.
type Vitals struct {
	RespRate      int  // breaths per minute
	SpO2          int  // oxygen saturation, %
	SpO2Scale     int  // 1, or 2 for confirmed hypercapnic respiratory failure (target 88-92%)
	OnOxygen      bool // supplemental oxygen (false: breathing air)
	Systolic      int  // systolic blood pressure, mmHg
	Pulse         int  // beats per minute
	Consciousness string
	TempDC        int // temperature in tenths of a degree Celsius (37.2 °C is 372)
}

// NEWS2Score is the scored result: each parameter's score and the total.
type NEWS2Score struct {
	Resp, SpO2, Air, Systolic, Pulse, Consciousness, Temp int
	Total                                                 int
}

// Parts lists each parameter's score with its name, in chart order.
func (n NEWS2Score) Parts() []NEWS2Part {
	return []NEWS2Part{{"Respiration rate", n.Resp}, {"SpO2", n.SpO2}, {"Air or oxygen", n.Air},
		{"Systolic blood pressure", n.Systolic}, {"Pulse", n.Pulse}, {"Consciousness", n.Consciousness}, {"Temperature", n.Temp}}
}

// NEWS2Part is one parameter's score.
type NEWS2Part struct {
	Name  string
	Score int
}

// SingleThree reports whether any one parameter scored 3.
func (n NEWS2Score) SingleThree() bool {
	for _, p := range n.Parts() {
		if p.Score == 3 {
			return true
		}
	}
	return false
}

// Risk is the chart's clinical risk band: "low", "low-medium" (a 3 in one
// parameter), "medium" (5 or 6) or "high" (7 or more).
func (n NEWS2Score) Risk() string {
	switch {
	case n.Total >= 7:
		return "high"
	case n.Total >= 5:
		return "medium"
	case n.SingleThree():
		return "low-medium"
	}
	return "low"
}

// Response is what the chart says to do, in plain English.
func (n NEWS2Score) Response() string {
	switch n.Risk() {
	case "high":
		return "High clinical risk: call 999 or the emergency team now."
	case "medium":
		return "Medium clinical risk: urgent review by a nurse, GP or NHS 111 now."
	case "low-medium":
		return "One sign scored 3: ask a nurse, GP or NHS 111 for an urgent review."
	}
	return "Low clinical risk: keep observing."
}

// ScoreNEWS2 scores a set of vital signs on the NEWS2 chart.
func ScoreNEWS2(v Vitals) NEWS2Score {
	var n NEWS2Score
	switch r := v.RespRate; {
	case r <= 8:
		n.Resp = 3
	case r <= 11:
		n.Resp = 1
	case r <= 20:
		n.Resp = 0
	case r <= 24:
		n.Resp = 2
	default:
		n.Resp = 3
	}
	if v.SpO2Scale == 2 {
		n.SpO2 = spo2Scale2(v.SpO2, v.OnOxygen)
	} else {
		switch s := v.SpO2; {
		case s <= 91:
			n.SpO2 = 3
		case s <= 93:
			n.SpO2 = 2
		case s <= 95:
			n.SpO2 = 1
		default:
			n.SpO2 = 0
		}
	}
	if v.OnOxygen {
		n.Air = 2
	}
	switch b := v.Systolic; {
	case b <= 90:
		n.Systolic = 3
	case b <= 100:
		n.Systolic = 2
	case b <= 110:
		n.Systolic = 1
	case b <= 219:
		n.Systolic = 0
	default:
		n.Systolic = 3
	}
	switch p := v.Pulse; {
	case p <= 40:
		n.Pulse = 3
	case p <= 50:
		n.Pulse = 1
	case p <= 90:
		n.Pulse = 0
	case p <= 110:
		n.Pulse = 1
	case p <= 130:
		n.Pulse = 2
	default:
		n.Pulse = 3
	}
	if v.Consciousness != ACVPUAlert {
		n.Consciousness = 3
	}
	switch t := v.TempDC; {
	case t <= 350:
		n.Temp = 3
	case t <= 360:
		n.Temp = 1
	case t <= 380:
		n.Temp = 0
	case t <= 390:
		n.Temp = 1
	default:
		n.Temp = 2
	}
	n.Total = n.Resp + n.SpO2 + n.Air + n.Systolic + n.Pulse + n.Consciousness + n.Temp
	return n
}

// spo2Scale2 is the chart's SpO2 scale 2, for people with hypercapnic
// respiratory failure: 88-92% scores 0, and so does 93% or more on air;
// high saturations score only when on oxygen.
func spo2Scale2(s int, oxygen bool) int {
	switch {
	case s <= 83:
		return 3
	case s <= 85:
		return 2
	case s <= 87:
		return 1
	case s <= 92 || !oxygen:
		return 0
	case s <= 94:
		return 1
	case s <= 96:
		return 2
	}
	return 3
}
