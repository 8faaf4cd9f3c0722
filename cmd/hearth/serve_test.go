package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/portal"
)

// serve sends the portal's waiting notices in the background (the first
// round at start, then every minute) and stops cleanly when told to, as
// the audit sealer does.
func TestServeDeliversWaitingNoticesAndStopsCleanly(t *testing.T) {
	s := apptest.NewScenario(t)
	_, code, err := s.Portal.Invite(s.Ctx, s.Manager.Actor, portal.NewInvitation{PersonID: s.Ann.ID, Kind: access.KindPerson, Name: "Ann Jones"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Portal.Accept(s.Ctx, portal.Acceptance{Code: code, Username: "ann.jones", Password: apptest.Password})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Portal.SetChannels(s.Ctx, apptest.ActorOf(u), s.Ann.ID, map[string]bool{"sms": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Portal.Send(s.Ctx, s.Carer.Actor, s.Ann.ID, "Your hospital letter came"); err != nil {
		t.Fatal(err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NULL`); n != 1 {
		t.Fatalf("%d notices waiting, want 1", n)
	}

	var stderr bytes.Buffer
	f := newFlags("serve", "test", &stderr)
	sf := addServeFlags(f, "unused.db", "127.0.0.1:0")
	if err := f.Parse(nil); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, s.App.App, sf, slog.New(slog.DiscardHandler)) }()

	deadline := time.Now().Add(20 * time.Second)
	for s.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NULL`) != 0 {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("serve did not deliver the waiting notice")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve ended with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if n := s.Count(`SELECT COUNT(*) FROM notification_outbox WHERE sent_at IS NOT NULL`); n != 1 {
		t.Errorf("%d notices marked sent, want 1", n)
	}
}

// The longest inspection grant is set by --inspection-max or
// HEARTH_INSPECTION_MAX, a fortnight unless told, and reaches the app.
func TestTheInspectionMaximumIsConfigured(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want time.Duration
	}{
		{"a fortnight by default", "", nil, 14 * 24 * time.Hour},
		{"from the environment", "72h", nil, 72 * time.Hour},
		{"from the flag, over the environment", "72h", []string{"--inspection-max", "24h"}, 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("HEARTH_INSPECTION_MAX", tc.env)
			}
			var stderr bytes.Buffer
			f := newFlags("serve", "test", &stderr)
			sf := addServeFlags(f, "unused.db", "127.0.0.1:0")
			if err := f.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if got := sf.config(nil).InspectionMax; got != tc.want {
				t.Fatalf("InspectionMax %v, want %v", got, tc.want)
			}
		})
	}
}
