package web

import (
	"html/template"
	"net/http"
	"strings"

	"hearth"
)

// The sign-in journey: username and password, then either TOTP enrolment
// (first sign-in: QR code, confirm a code, recovery codes shown once) or a
// TOTP code. MFA is required for every staff account; there is no way
// round it.

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if c.signed {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	s.renderWith(w, r, c, http.StatusOK, "signin", page{Title: "Sign in", CSRF: s.preSessionToken(w, r)})
	return nil
}

// The sign-in limits (failures per address, per username and address, per
// username, per password sprayed across usernames) live in the database
// with the accounts, so every node sees them: internal/accounts/throttle.go.

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, c *call) error {
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	fail := func(err error) error {
		herr, ok := err.(*hearth.Error)
		if !ok || statusOf(err) == http.StatusInternalServerError {
			return err
		}
		s.renderWith(w, r, c, statusOf(err), "signin", page{Title: "Sign in", CSRF: s.preSessionToken(w, r), Error: herr,
			Data: map[string]string{"Username": username}})
		return nil
	}
	token, sess, err := s.Accounts.SignIn(r.Context(), username, password, meta(r))
	if err != nil {
		return fail(err)
	}
	s.setSessionCookie(w, token)
	if sess.Stage == "enrol" {
		http.Redirect(w, r, "/signin/enrol", http.StatusSeeOther)
	} else {
		http.Redirect(w, r, "/signin/mfa", http.StatusSeeOther)
	}
	return nil
}

// stageGuard sends a visitor to the step of the journey their session is at.
func (s *Server) stageGuard(w http.ResponseWriter, r *http.Request, c *call, want string) bool {
	switch {
	case c.token == "":
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	case c.sess.Stage == "full":
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case c.sess.Stage != want:
		http.Redirect(w, r, "/signin/"+c.sess.Stage, http.StatusSeeOther)
	default:
		return true
	}
	return false
}

type enrolView struct {
	Secret string
	QR     template.URL
}

func (s *Server) enrolPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.stageGuard(w, r, c, "enrol") {
		return nil
	}
	return s.showEnrol(w, r, c, http.StatusOK, nil)
}

func (s *Server) showEnrol(w http.ResponseWriter, r *http.Request, c *call, status int, formErr *hearth.Error) error {
	e, err := s.Accounts.BeginEnrolment(r.Context(), c.sess)
	if err != nil {
		return err
	}
	// The QR code is a PNG data: URL that Hearth generated itself.
	s.renderWith(w, r, c, status, "enrol", page{Title: "Set up your authenticator app", Error: formErr,
		Data: enrolView{Secret: e.Secret, QR: template.URL(e.QRDataURL)}})
	return nil
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.stageGuard(w, r, c, "enrol") {
		return nil
	}
	token, codes, err := s.Accounts.CompleteEnrolment(r.Context(), c.token, strings.TrimSpace(r.PostFormValue("code")), meta(r))
	if err != nil {
		if herr, ok := err.(*hearth.Error); ok && statusOf(err) != http.StatusInternalServerError {
			return s.showEnrol(w, r, c, statusOf(err), herr)
		}
		return err
	}
	s.setSessionCookie(w, token)
	sess, err := s.Accounts.LoadSession(r.Context(), token)
	if err != nil {
		return err
	}
	c.sess, c.token, c.signed = sess, token, true
	s.render(w, r, c, http.StatusOK, "recovery", "Save your recovery codes", codes)
	return nil
}

func (s *Server) mfaPage(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.stageGuard(w, r, c, "mfa") {
		return nil
	}
	s.render(w, r, c, http.StatusOK, "mfa", "Enter your code", nil)
	return nil
}

func (s *Server) mfa(w http.ResponseWriter, r *http.Request, c *call) error {
	if !s.stageGuard(w, r, c, "mfa") {
		return nil
	}
	token, err := s.Accounts.VerifyMFA(r.Context(), c.token, strings.TrimSpace(r.PostFormValue("code")), meta(r))
	if err != nil {
		herr, ok := err.(*hearth.Error)
		if !ok || statusOf(err) == http.StatusInternalServerError {
			return err
		}
		if herr.Kind == hearth.KindUnauthenticated && strings.Contains(herr.Message, "session") {
			s.clearSessionCookie(w)
		}
		s.renderWith(w, r, c, statusOf(err), "mfa", page{Title: "Enter your code", Error: herr})
		return nil
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.Accounts.SignOut(r.Context(), c.token, meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.Accounts.SignOutEverywhere(r.Context(), c.sess.User.ID, meta(r)); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}
