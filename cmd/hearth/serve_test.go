package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"hearth/internal/access"
	"hearth/internal/apptest"
	"hearth/internal/consent"
	"hearth/internal/door"
	"hearth/internal/partners"
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

// serve runs partners' bulk exports in the background: one queued by a
// partner's kick-off is written while serve runs, and serve still stops
// cleanly.
func TestServeRunsQueuedBulkExportsAndStopsCleanly(t *testing.T) {
	s := apptest.NewScenario(t)
	admin, ig := s.Staff("admin", access.Administrator), s.Staff("iglead", access.IGLead, s.Home)
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES384", Use: "sig"}}})
	p, err := s.Partners.Register(s.Ctx, partners.ByActor(admin.Actor), partners.NewPartner{Name: "Riverside GP Surgery", JWKS: string(set), Scopes: "system/Patient.rs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Partners.RecordAgreement(s.Ctx, ig.Actor, partners.NewAgreement{PartnerID: p.ID, Purpose: "Direct care by the GP practice",
		Article6: "6-1-e", Article9: "9-2-h", Categories: []string{"identity"}, Starts: s.Clock.Now().AddDate(0, -1, 0), ReviewOn: s.Clock.Now().AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Consent.Give(s.Ctx, s.Manager.Actor, consent.NewConsent{PersonID: s.Ann.ID, Purpose: consent.PurposeSharing, Recipient: p.Name,
		Decision: "permit", Scope: []string{consent.ScopeAll}, InfoGiven: "What the practice sees", InfoFormat: "standard"}); err != nil {
		t.Fatal(err)
	}
	partner := door.Actor{Subject: access.Subject{ID: p.ID, Kind: access.KindSystem}, Name: p.Name, ClientAddr: "192.0.2.9", RequestID: "kick-off"}
	e, err := s.Partners.StartExport(s.Ctx, partner, p.Scopes, partners.ExportRequest{Level: partners.LevelSystem, URL: "https://hearth.test/fhir/$export", Base: "https://hearth.test/fhir"})
	if err != nil {
		t.Fatal(err)
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
	for s.Count(`SELECT COUNT(*) FROM bulk_exports WHERE status = 'completed'`) != 1 {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("serve did not run the queued export")
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
	_, m, err := s.Partners.ExportStatus(s.Ctx, partner, e.ID, func(id string) string { return id })
	if err != nil || m == nil || len(m.Output) != 1 || m.Output[0].Type != "Patient" || m.Output[0].Count != 1 {
		t.Fatalf("the export serve ran: %+v %v", m, err)
	}
	f2, err := s.Partners.ExportFile(s.Ctx, partner, e.ID, m.Output[0].URL)
	if err != nil || !strings.HasPrefix(f2.Body, `{"resourceType":"Patient","id":"`+s.Ann.ID+`"`) || !strings.Contains(f2.Body, "UKCore-Patient") {
		t.Errorf("the file is not Ann as the API maps her: %v %.300s", err, f2.Body)
	}
}
