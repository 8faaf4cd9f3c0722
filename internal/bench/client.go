package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"hearth/internal/accounts"
)

// session is one signed-in account, as a browser holds it: a cookie jar
// and the CSRF token from its last form.
type session struct {
	http     *http.Client
	base     string
	csrf     string
	username string
	people   []string // the people this account's pages link to
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	personLink = regexp.MustCompile(`href="/people/([0-9a-f-]{36})"`)
	portalLink = regexp.MustCompile(`href="/my/([0-9a-f-]{36})"`)
)

// transport is shared by every session: keep-alive connections, enough of
// them for the largest concurrency. Each session dials from its own
// loopback address so that the server's per-address sign-in limit sees
// separate people, as it would in a care home.
func newClient(local string, conns int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConns: conns, MaxIdleConnsPerHost: conns,
		MaxConnsPerHost: 0, IdleConnTimeout: time.Minute, DisableCompression: true}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn goes through Hearth's sign-in as a person would: the form, the
// password, then a TOTP code computed from the account's secret.
func signIn(ctx context.Context, base, local, username, password, secret string, conns int) (*session, error) {
	s := &session{http: newClient(local, conns), base: base, username: username}
	if _, err := s.get(ctx, "/signin"); err != nil {
		return nil, err
	}
	st, loc, _, err := s.post(ctx, "/signin", url.Values{"username": {username}, "password": {password}})
	if err != nil {
		return nil, err
	}
	if st != http.StatusSeeOther || loc != "/signin/mfa" {
		return nil, fmt.Errorf("sign in as %s: status %d, sent to %q", username, st, loc)
	}
	if _, err := s.get(ctx, "/signin/mfa"); err != nil {
		return nil, err
	}
	st, loc, _, err = s.post(ctx, "/signin/mfa", url.Values{"code": {accounts.Code(secret, time.Now())}})
	if err != nil {
		return nil, err
	}
	if st != http.StatusSeeOther {
		return nil, fmt.Errorf("second factor for %s: status %d, sent to %q", username, st, loc)
	}
	return s, nil
}

// discover finds the people this account may open, from its home page.
func (s *session) discover(ctx context.Context, portal bool) error {
	path, re := "/", personLink
	if portal {
		path, re = "/my", portalLink
		// Someone with one record is sent straight to it.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
		if err != nil {
			return err
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "/my/") {
			s.people = []string{strings.TrimPrefix(loc, "/my/")}
			_, err := s.get(ctx, loc) // for its CSRF token
			return err
		}
	}
	body, err := s.get(ctx, path)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			s.people = append(s.people, m[1])
		}
	}
	if len(s.people) == 0 {
		return fmt.Errorf("%s sees no one on %s", s.username, path)
	}
	return nil
}

func (s *session) get(ctx context.Context, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	if m := csrfField.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return string(b), nil
}

func (s *session) post(ctx context.Context, path string, form url.Values) (int, string, string, error) {
	if form.Get("csrf") == "" && s.csrf != "" {
		form.Set("csrf", s.csrf)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Hearth checks the origin of every form post (CSRF).
	req.Header.Set("Origin", s.base)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b), nil
}

// do runs one request of a mix and reports whether the server answered as
// it should (a page: 200; a form: 303 to the page it came from).
func (s *session) do(ctx context.Context, r request) error {
	var req *http.Request
	var err error
	if r.form != nil {
		form := url.Values{}
		for k, v := range r.form {
			form.Set(k, v)
		}
		form.Set("csrf", s.csrf)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.base+r.path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", s.base)
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, s.base+r.path, nil)
		if err == nil && r.accept != "" {
			req.Header.Set("Accept", r.accept)
		}
	}
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := http.StatusOK
	if r.form != nil {
		want = http.StatusSeeOther
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d", req.Method, r.path, resp.StatusCode)
	}
	return nil
}
