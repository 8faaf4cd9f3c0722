package web_test

import (
	"testing"
	"time"

	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/browsertest"
)

// browserSignIn signs an account in through the pages, as a person would:
// username and password, then the code from their authenticator app. It
// moves the clock on a time step first, because Hearth refuses a code that
// was already used. It stops on whatever page follows: staff land on their
// people, portal accounts on their own record.
func browserSignIn(t *testing.T, s *apptest.Scenario, b *browsertest.Browser, who apptest.Staff) {
	t.Helper()
	s.Clock.Advance(31 * time.Second)
	b.Go("/signin")
	b.Fill("#username", who.Username)
	b.Fill("#password", apptest.Password)
	b.Click("#signin")
	b.MustSee("Enter the code from your authenticator app")
	b.Fill("#code", accounts.Code(who.Secret, s.Clock.Now()))
	b.Click("#verify")
}

// staffSignIn signs a member of staff in and checks they reach their people.
func staffSignIn(t *testing.T, s *apptest.Scenario, b *browsertest.Browser, who apptest.Staff) {
	t.Helper()
	browserSignIn(t, s, b, who)
	b.MustSee("Your people")
}
