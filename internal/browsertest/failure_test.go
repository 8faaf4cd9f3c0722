package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatal ends only the calling goroutine and
// remembers the message, so a test can check how a helper fails.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// fails runs f with b reporting to a recorder, and returns the recorder.
func fails(b *Browser, f func()) *recorder {
	rec := &recorder{TB: b.t}
	saved := b.t
	b.t = rec
	defer func() { b.t = saved }()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
	return rec
}

func TestABrokenPageFailsFastAndSaysWhatItShows(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><title>Oops</title>
<body><h1>Something went wrong</h1><p style="display:none">Your people today</p></body></html>`)
	}))
	t.Cleanup(srv.Close)
	b := New(t)
	b.Base = srv.URL
	b.Go("/")
	b.Timeout = 500 * time.Millisecond // only for the failures below

	tests := []struct {
		name string
		do   func()
		want []string
	}{
		{"text hidden with display:none is not seen", func() { b.MustSee("Your people today") },
			[]string{`expected to see "Your people today"`, "Something went wrong"}},
		{"clicking a missing button names the selector", func() { b.Click("#save") },
			[]string{`click "#save"`}},
		{"filling a missing field names the selector", func() { b.Fill("#name", "x") },
			[]string{`fill "#name"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			rec := fails(b, tt.do)
			if !rec.failed {
				t.Fatal("the helper did not fail the test")
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.msg, w) {
					t.Errorf("failure message lacks %q:\n%s", w, rec.msg)
				}
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v to fail with a 500ms timeout", took)
			}
		})
	}
}
