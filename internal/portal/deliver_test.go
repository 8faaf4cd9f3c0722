package portal_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"hearth/internal/portal"
)

// countingNotifier counts what it sends and can be told to fail.
type countingNotifier struct {
	sent atomic.Int64
	fail atomic.Bool
}

func (n *countingNotifier) Notify(context.Context, portal.Notice) error {
	if n.fail.Load() {
		return errors.New("gateway down")
	}
	n.sent.Add(1)
	return nil
}

func TestTwoNodesDeliveringAtOnceSendEachNoticeOnceAndAFailedSendIsTriedAgain(t *testing.T) {
	f := newFixture(t)
	notifier := &countingNotifier{}
	svc := portal.New(f.Door, portal.Deps{Accounts: f.Accounts, Care: f.Care, Consent: f.Consent, Notifier: notifier})
	ann := f.personAccount(f.Ann, "ann.jones")
	if err := svc.SetChannels(f.Ctx, ann, f.Ann.ID, map[string]bool{"email": true}); err != nil {
		t.Fatal(err)
	}

	notifier.fail.Store(true)
	if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, "First message"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeliverNotices(f.Ctx); err == nil {
		t.Fatal("a failed send was reported as delivered")
	}
	if n := f.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NULL`); n != 1 {
		t.Fatalf("a notice whose sending failed is not waiting to be tried again (%d waiting)", n)
	}

	notifier.fail.Store(false)
	for i := range 5 {
		if _, err := svc.Send(f.Ctx, f.Carer.Actor, f.Ann.ID, "Message "+string(rune('A'+i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 2 { // two nodes over one database
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.DeliverNotices(f.Ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := notifier.sent.Load(); got != 6 {
		t.Fatalf("sent %d notices for 6 waiting: each must go exactly once", got)
	}
}
