package care_test

import (
	"testing"

	"hearth"
	"hearth/internal/access"
	"hearth/internal/accounts"
	"hearth/internal/apptest"
	"hearth/internal/care"
)

func TestFiveWrongWitnessPasswordsLockTheWitnessAccountForSignInToo(t *testing.T) {
	s := apptest.NewScenario(t)
	m := addMedicine(t, s, care.MedicineInput{Name: "Oramorph", Strength: "10 mg/5 ml", Dose: "2.5 ml", PRN: true,
		MinIntervalHours: "4", Max24h: "4", Controlled: true})
	nurse := s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, nurse)
	witnessed := func(password string) error {
		_, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Given,
			WitnessID: nurse.ID, WitnessPassword: password})
		return err
	}
	for i := 1; i <= 5; i++ {
		if got, want := obsProblem(witnessed("guess"), "Witness password"), "The witness's password is not right"; got != want {
			t.Fatalf("wrong witness password %d: got %q, want %q", i, got, want)
		}
	}
	// Five wrong passwords fill the witness's bucket at this device's
	// address: even the right one is now refused, and not checked.
	if got, want := obsProblem(witnessed(apptest.Password), "Witness password"), "The witness's account is locked for now after too many wrong passwords; ask someone else to witness"; got != want {
		t.Errorf("the right password while the witness is locked: got %q, want %q", got, want)
	}
	if doseCount(s) != 0 {
		t.Error("a dose was recorded without a confirmed witness")
	}
	if _, _, err := s.Accounts.SignIn(s.Ctx, nurse.Username, apptest.Password, accounts.Meta{ClientAddr: s.Carer.Actor.ClientAddr}); hearth.KindOf(err) != hearth.KindUnauthenticated {
		t.Errorf("the witness signing in from the same address after five wrong witness passwords: %v, want refused", err)
	}
	if _, _, err := s.Accounts.SignIn(s.Ctx, nurse.Username, apptest.Password, accounts.Meta{ClientAddr: "192.0.2.77"}); err != nil {
		t.Errorf("the witness signing in from their own device: %v; a stranger's guesses must not lock them out everywhere", err)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'witness-password' AND outcome = 'failed' AND actor_id = ?`, nurse.ID); n != 5 {
		t.Errorf("%d wrong witness passwords audited under the witness, want 5", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'administer-medicines' AND person_id = ?`, s.Ann.ID); n < 6 {
		t.Errorf("the refused doses are audited as requests too: %d events", n)
	}
}

func TestAWrongWitnessPasswordOnACorrectionCountsToo(t *testing.T) {
	s := apptest.NewScenario(t)
	m := addMedicine(t, s, care.MedicineInput{Name: "Oramorph", Strength: "10 mg/5 ml", Dose: "2.5 ml", PRN: true,
		MinIntervalHours: "4", Max24h: "4", Controlled: true})
	nurse := s.Staff("nurse", access.Nurse)
	s.Assign(s.Manager, s.Ann, nurse)
	d, err := s.Care.RecordDose(s.Ctx, s.Carer.Actor, s.Ann.ID, care.DoseInput{MedicineID: m.ID, Outcome: care.Refused, ReasonCode: "declined"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Care.CorrectDose(s.Ctx, s.Carer.Actor, s.Ann.ID, d.ID, care.DoseInput{Outcome: care.Given, WitnessID: nurse.ID,
		WitnessPassword: "guess"}, "It was given after all")
	if got, want := obsProblem(err, "Witness password"), "The witness's password is not right"; got != want {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
	if n := s.Count(`SELECT COUNT(*) FROM audit_events WHERE action = 'witness-password' AND outcome = 'failed' AND actor_id = ?`, nurse.ID); n != 1 {
		t.Errorf("%d wrong witness passwords counted against the witness, want 1", n)
	}
	if n := s.Count(`SELECT COUNT(*) FROM signin_throttle`); n == 0 {
		t.Error("the wrong witness password filled no sign-in bucket")
	}
}
