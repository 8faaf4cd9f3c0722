package portal_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hearth/internal/portal"
)

// syncBuffer is a log destination safe to read while a goroutine writes.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestDeliverNoticesSendsEachNoticeOnceAndTheLogNotifierLogsOnlyTheChannelAndTheFixedText(t *testing.T) {
	f := newFixture(t)
	logs := newSyncBuffer()
	svc := portal.New(f.Door, portal.Deps{Accounts: f.Accounts, Care: f.Care, Consent: f.Consent,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	ann := f.personAccount(f.Ann, "ann.jones")
	if err := svc.SetChannels(f.Ctx, ann, f.Ann.ID, map[string]bool{"email": true, "sms": true}); err != nil {
		t.Fatal(err)
	}
	const secret = "Your blood test results for diabetes are back"
	if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, secret); err != nil {
		t.Fatal(err)
	}

	sent, err := svc.DeliverNotices(f.Ctx)
	if err != nil || sent != 2 {
		t.Fatalf("first delivery sent %d (%v), want one by email and one by text", sent, err)
	}
	if again, err := svc.DeliverNotices(f.Ctx); err != nil || again != 0 {
		t.Fatalf("second delivery sent %d (%v): a notice went twice", again, err)
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NULL`); n != 0 {
		t.Errorf("%d notices still waiting after delivery", n)
	}

	out := logs.String()
	if got := strings.Count(out, "portal notice"); got != 2 {
		t.Errorf("logged %d notices, want 2:\n%s", got, out)
	}
	for _, want := range []string{"channel=email", "channel=sms", portal.NoticeText} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	for _, personal := range []string{f.Ann.ID, "Ann", "Jones", f.AnnNHS, "diabetes", "blood", f.Carer.DisplayName, "Rowan", ann.ID} {
		if strings.Contains(out, personal) {
			t.Errorf("the log contains %q:\n%s", personal, out)
		}
	}
}

func TestRunNoticesDeliversOnItsTimerAndStopsWhenToldTo(t *testing.T) {
	f := newFixture(t)
	logs := newSyncBuffer()
	svc := portal.New(f.Door, portal.Deps{Accounts: f.Accounts, Care: f.Care, Consent: f.Consent,
		Log: slog.New(slog.NewTextHandler(logs, nil))})
	ann := f.personAccount(f.Ann, "ann.jones")
	if err := svc.SetChannels(f.Ctx, ann, f.Ann.ID, map[string]bool{"email": true}); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(f.Ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunNotices(ctx, 20*time.Millisecond)
	}()
	// Queued after the runner started: a later tick must send it.
	if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, "Your new care plan is ready"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NULL`) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the notice was not delivered by the timer")
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunNotices did not stop when its context ended")
	}
	if got := strings.Count(logs.String(), "msg=\"portal notice\""); got != 1 {
		t.Errorf("logged %d notices, want exactly 1:\n%s", got, logs.String())
	}
}
