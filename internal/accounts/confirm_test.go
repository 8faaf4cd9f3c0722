package accounts

import (
	"errors"
	"testing"
	"time"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/audit"
	"hearth/internal/door"
)

// confirm runs ConfirmPassword the way a caller must: in a transaction that
// rolls back when it is refused, then RecordRefusal in its own.
func (a *testApp) confirm(u User, password string) error {
	errRefused := errors.New("refused")
	var refused error
	// The witness is confirmed inside another member of staff's decided
	// work: here, a nurse's permitted look at the list of people.
	d := door.New(a.db, a.log, a.clock.Now, nil)
	nurse := door.Actor{Subject: access.Subject{ID: hearth.NewID(), Kind: access.KindStaff, Role: access.Nurse}, Name: "Recording nurse"}
	err := d.Run(a.ctx, nurse, func(sc *door.Scope) error {
		if _, err := sc.Allow(door.Request{Action: access.ListPeople, Purpose: access.DirectCare}); err != nil {
			return err
		}
		if refused = a.svc.ConfirmPassword(sc, u.ID, password, "witness-password", "witness to a test", a.meta); refused != nil {
			return errRefused
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRefused) {
		a.t.Fatal(err)
	}
	return a.svc.RecordRefusal(a.ctx, refused, a.meta)
}

func TestFiveWrongConfirmationPasswordsHoldTheWitnessBackThereForSignInToo(t *testing.T) {
	a := newTestApp(t)
	witness := a.createStaff("witness", access.Nurse)
	for i := 1; i <= 5; i++ {
		if err := a.confirm(witness, "not the password"); hearth.KindOf(err) != hearth.KindUnauthenticated {
			t.Fatalf("wrong password %d: %v, want unauthenticated", i, err)
		}
	}
	if err := a.confirm(witness, testPassword); hearth.KindOf(err) != hearth.KindTooMany {
		t.Errorf("the right password after five wrong ones: %v, want refused as too many", err)
	}
	if _, _, err := a.svc.SignIn(a.ctx, "witness", testPassword, a.meta); hearth.KindOf(err) != hearth.KindUnauthenticated ||
		err.Error() != errSignIn().Error() {
		t.Errorf("sign-in there after five wrong witness passwords: %v, want held back, in the words of a wrong password", err)
	}
	var failures int
	if err := a.db.QueryRow(a.ctx, `SELECT COUNT(*) FROM audit_events WHERE action = 'witness-password' AND outcome = ?`,
		audit.OutcomeFailed).Scan(&failures); err != nil || failures != 5 {
		t.Errorf("audited %d failed confirmations (%v), want 5", failures, err)
	}
	a.audited("witness-password", audit.OutcomeDenied, witness.ID, "witness to a test: too many failed attempts (pair)")
	a.clock.Advance(20 * time.Minute)
	if err := a.confirm(witness, testPassword); err != nil {
		t.Errorf("the right password twenty minutes on: %v", err)
	}
	a.audited("witness-password", audit.OutcomeSuccess, witness.ID, "witness to a test: password confirmed")
}

func TestConfirmingAPasswordDoesNotWipeTheCountOfWrongOnes(t *testing.T) {
	a := newTestApp(t)
	witness := a.createStaff("witness", access.Nurse)
	for i := 0; i < 4; i++ {
		_ = a.confirm(witness, "wrong")
	}
	if err := a.confirm(witness, testPassword); err != nil {
		t.Fatal(err)
	}
	_ = a.confirm(witness, "wrong")
	if err := a.confirm(witness, testPassword); hearth.KindOf(err) != hearth.KindTooMany {
		t.Errorf("after a fifth wrong password, following a right one: %v, want held back", err)
	}
}

func TestRecordingARefusalTwiceCountsOnce(t *testing.T) {
	a := newTestApp(t)
	witness := a.createStaff("witness", access.Nurse)
	err := a.confirm(witness, "wrong")
	_ = a.svc.RecordRefusal(a.ctx, err, a.meta)
	if n := a.pairFailures("witness"); n != 1 {
		t.Errorf("%v failures counted, want 1", n)
	}
}
