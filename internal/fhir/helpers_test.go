package fhir_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"hearth/internal/apptest"
)

// api is a FHIR client for tests: a staff member's signed-in session.
type api struct {
	t      testing.TB
	c      *apptest.Client
	base   string
	header http.Header
}

type reply struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r reply) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

func signedIn(t testing.TB, s *apptest.Scenario, base string, who apptest.Staff) *api {
	t.Helper()
	c := s.Client(base)
	c.SignIn(who)
	return &api{t: t, c: c, base: base, header: http.Header{}}
}

func (a *api) do(method, path string, body any, headers ...string) reply {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if rd != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for k, v := range a.header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := a.c.HTTP.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

func (a *api) get(path string, headers ...string) reply {
	a.t.Helper()
	return a.do("GET", path, nil, headers...)
}
