package idempotency_test

import (
	"net/url"
	"testing"

	"hearth/internal/idempotency"
)

func TestTheSameFormIsTheSameWhateverItsTokenKeyOrFieldOrder(t *testing.T) {
	base := idempotency.BodyHash("POST", "/people/p/notes", url.Values{"body": {"Ann slept"}, "category": {"mood"}, "csrf": {"a"}, "idem": {"k1"}})
	for _, c := range []struct {
		name string
		same bool
		hash string
	}{
		{"another CSRF token and key is the same form", true,
			idempotency.BodyHash("POST", "/people/p/notes", url.Values{"category": {"mood"}, "body": {"Ann slept"}, "csrf": {"b"}, "idem": {"k2"}})},
		{"another note is another form", false,
			idempotency.BodyHash("POST", "/people/p/notes", url.Values{"body": {"Ann woke"}, "category": {"mood"}})},
		{"the same note to another person is another form", false,
			idempotency.BodyHash("POST", "/people/q/notes", url.Values{"body": {"Ann slept"}, "category": {"mood"}})},
		{"a field moved into another is another form", false,
			idempotency.BodyHash("POST", "/people/p/notes", url.Values{"body": {"Ann slept&category=mood"}})},
	} {
		t.Run(c.name, func(t *testing.T) {
			if (c.hash == base) != c.same {
				t.Errorf("same = %t, want %t", c.hash == base, c.same)
			}
		})
	}
}

func TestOnlyKeysOfTheShapeHearthHandsOutAreRead(t *testing.T) {
	for key, want := range map[string]bool{
		"wOK-S0oiCIQbBaKE1wKhnrdi":   true,
		"short":                      false,
		"":                           false,
		"has spaces in it, sixteen+": false,
		"a'; DROP TABLE people; --x": false,
		string(make([]byte, 65)):     false,
	} {
		if got := idempotency.Valid(key); got != want {
			t.Errorf("Valid(%q) = %t, want %t", key, got, want)
		}
	}
}
