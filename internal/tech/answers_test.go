package tech_test

import (
	"testing"

	"hearth/internal/tech"
)

func TestAnswersAreShownInWordsAndAnAgeBandKeepsItsDash(t *testing.T) {
	for v, want := range map[string]string{"18-39": "18-39", "80+": "80+", "in-person": "In person", "video-call": "Video call",
		"gay-or-lesbian": "Gay or lesbian", tech.PreferNotToSay: "Prefers not to say", "": "Not recorded", "female": "Female"} {
		if got := tech.AnswerTitle(v); got != want {
			t.Errorf("AnswerTitle(%q) = %q, want %q", v, got, want)
		}
	}
	in := tech.Inclusion{Devices: []string{"tablet", "home-internet"}, Confidence: "low"}
	if in.DevicesText() != "Tablet, Home internet" || in.ChannelsText() != "None recorded" || in.ConfidenceText() != "Low" || !in.Has("tablet") || in.Has("phone") {
		t.Errorf("inclusion in words: %q, %q, %q", in.DevicesText(), in.ChannelsText(), in.ConfidenceText())
	}
	if a := tech.Characteristics[0].Answers(); a[0] != (tech.Answer{Value: "18-39", Title: "18-39"}) {
		t.Errorf("age band answers: %+v", a)
	}
}
