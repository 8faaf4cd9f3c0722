package apptest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hearth/internal/accounts"
)

// Client is a browser-like HTTP client: it keeps cookies, does not follow
// redirects (tests look at them), and finds the CSRF token on the last page.
type Client struct {
	T    testing.TB
	Base string
	HTTP *http.Client
	csrf string
	app  *App
}

// Response is what came back.
type Response struct {
	Status    int
	Body      string
	Location  string
	RequestID string
	Header    http.Header
}

// Client returns a new client for srv.
func (a *App) Client(base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{T: a.T, Base: base, app: a, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *Client) do(req *http.Request) Response {
	c.T.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := Response{Status: resp.StatusCode, Body: string(body), Location: resp.Header.Get("Location"),
		RequestID: resp.Header.Get("X-Request-ID"), Header: resp.Header}
	if m := csrfField.FindStringSubmatch(r.Body); m != nil {
		c.csrf = m[1]
	}
	return r
}

// Get fetches path.
func (c *Client) Get(path string) Response {
	c.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.Base+path, nil)
	return c.do(req)
}

// Post submits a form to path with the current CSRF token added.
func (c *Client) Post(path string, form url.Values) Response {
	c.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	return c.PostRaw(path, form)
}

// PostRaw submits a form exactly as given (no CSRF token added).
func (c *Client) PostRaw(path string, form url.Values) Response {
	c.T.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// CSRF is the token from the last page that had one.
func (c *Client) CSRF() string { return c.csrf }

// SignIn goes through the whole sign-in: password, then a TOTP code. It
// moves the clock on a time step first, so each sign-in uses a fresh code
// (Hearth refuses a code that was already used).
func (c *Client) SignIn(s Staff) {
	c.T.Helper()
	c.app.Clock.Advance(31 * time.Second)
	c.Get("/signin")
	r := c.Post("/signin", url.Values{"username": {s.Username}, "password": {Password}})
	if r.Status != http.StatusSeeOther || r.Location != "/signin/mfa" {
		c.T.Fatalf("sign in %s: status %d location %q\n%s", s.Username, r.Status, r.Location, r.Body)
	}
	c.Get("/signin/mfa")
	r = c.Post("/signin/mfa", url.Values{"code": {accounts.Code(s.Secret, c.app.Clock.Now())}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		c.T.Fatalf("MFA for %s: status %d location %q\n%s", s.Username, r.Status, r.Location, r.Body)
	}
	c.Get("/")
}

// Cookie returns the named cookie's value for the base URL.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.Base)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie replaces a cookie, as an attacker might.
func (c *Client) SetCookie(name, value string) {
	u, _ := url.Parse(c.Base)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}
