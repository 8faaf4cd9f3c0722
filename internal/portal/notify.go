package portal

import (
	"context"
	"time"
)

// NoticeEvery is how often `hearth serve` sends the notices waiting in the
// outbox.
const NoticeEvery = time.Minute

// RunNotices sends the waiting notices (DeliverNotices) now and then every
// `every` until ctx ends, as the audit sealer runs beside the server. A
// failed round is logged (with no personal details: the error only) and the
// next round tries again; what was not marked sent stays in the outbox.
//
// There is no mail or SMS gateway yet, and no contact addresses are held:
// the Notifier given to the portal (LogNotifier by default) is what
// "sending" means.
func (s *Service) RunNotices(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = NoticeEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		n, err := s.DeliverNotices(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("portal notices: delivery failed; the rest stay queued", "sent", n, "err", err)
		case n > 0:
			s.log.Info("portal notices delivered", "sent", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
