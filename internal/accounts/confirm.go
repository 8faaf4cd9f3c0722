package accounts

import (
	"context"
	"errors"
	"fmt"

	"hearth"
	"hearth/internal/audit"
	"hearth/internal/door"
	"hearth/internal/store"
)

// ConfirmPassword checks that password is the account's own, for a second
// person confirming an action where they stand (the witness to a
// controlled drug). It runs in sc, the caller's door scope (after the door
// has decided the witness), so the check and the write it guards are one
// unit; a success is audited in the scope as action, with what in the
// detail. Success does not reset the failure
// count: as at sign-in, only the second factor does that.
//
// A wrong password, or an account that is locked, is refused with an
// error the caller returns from its transaction (so nothing it guards is
// written) and then hands to RecordRefusal, which counts the wrong
// password towards the same lockout as sign-in, with the same backoff, and
// audits the attempt. So a confirmation field is no easier a way to guess a
// password than the sign-in page. A locked account is refused without
// checking the password.
//
// Errors: KindInvalid for an empty password; KindNotFound for an account
// that is not an active one; KindTooMany while locked; KindUnauthenticated
// for a wrong password (KindTooMany once RecordRefusal finds that it
// locked the account).
func (s *Service) ConfirmPassword(sc *door.Scope, userID, password, action, what string, meta Meta) error {
	if password == "" {
		return hearth.Invalid("Password", "Type the password")
	}
	if !hearth.ValidID(userID) {
		return hearth.NotFound("Account")
	}
	now := s.clock()
	a, err := accountRow(inScope{sc}.row(`SELECT `+userColumns+` FROM users u WHERE u.id = ?`, userID))
	if err != nil {
		return err
	}
	if a.Disabled {
		return hearth.NotFound("Account")
	}
	if lock, locked, err := s.lockedAtSecondStep(inScope{sc}.row, a.User, now, meta); err != nil {
		return err
	} else if locked {
		return &Refusal{user: a.User, action: action, detail: fmt.Sprintf("%s: too many failed attempts (%s) for about %s more; password not checked",
			what, lock.kind, minutes(lock.wait)), shown: errLocked(lock.wait)}
	}
	ok, err := VerifyPassword(a.passwordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		return &Refusal{user: a.User, action: action, detail: what + ": wrong password", count: true, shown: errWrongPassword()}
	}
	ev := userEvent(a.User, action, audit.OutcomeSuccess, what+": password confirmed")
	ev.ClientAddr, ev.RequestID = meta.ClientAddr, meta.RequestID
	sc.Note(ev)
	return nil
}

// Refusal is ConfirmPassword's answer to a wrong password or a locked
// account. Its kind is the answer's (Unwrap gives the *hearth.Error).
type Refusal struct {
	user           User
	action, detail string
	count          bool // a wrong password: counts towards the lockout
	shown          error
	recorded       bool
}

func (r *Refusal) Error() string { return r.shown.Error() }

// Unwrap gives the answer to show, so hearth.KindOf reads its kind.
func (r *Refusal) Unwrap() error { return r.shown }

// RecordRefusal records a refusal from ConfirmPassword found anywhere in
// err's chain, in its own transaction (the caller's has been rolled back):
// a wrong password counts towards the account's lockout, and the attempt is
// audited. When this failure locks the account, the refusal's answer
// becomes the lockout (KindTooMany). err is returned, changed only so;
// an err with no refusal in it is returned as it is. Recording twice
// counts once.
func (s *Service) RecordRefusal(ctx context.Context, err error, meta Meta) error {
	var r *Refusal
	if !errors.As(err, &r) || r.recorded {
		return err
	}
	now := s.clock()
	txErr := s.db.Tx(ctx, func(tx *store.Tx) error {
		if !r.count {
			return s.audit(ctx, tx, userEvent(r.user, r.action, audit.OutcomeDenied, r.detail), meta)
		}
		return s.failure(ctx, tx, r.user, r.action, r.detail, "", now, meta)
	})
	if txErr != nil {
		return errors.Join(err, txErr)
	}
	r.recorded = true
	return err
}

func errWrongPassword() error {
	return hearth.Errorf(hearth.KindUnauthenticated, "The password is not right")
}
