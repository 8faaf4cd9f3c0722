package accounts

import (
	"context"
	"time"

	"hearth"
	"hearth/internal/store"
)

// ProvisionTOTP enrols an account with a TOTP secret chosen by an operator
// rather than shown at first sign-in. The demo uses it so a newcomer can sign
// in with `hearth totp SECRET` instead of an authenticator app; MFA is still
// required at every sign-in. It is audited like any administrative change.
func (s *Service) ProvisionTOTP(ctx context.Context, userID, secret string, by Actor, meta Meta) error {
	if key, err := decodeSecret(secret); err != nil || len(key) < 10 {
		return hearth.Invalid("Secret", "The secret must be base32 and at least 80 bits long")
	}
	return s.adminChange(ctx, userID, by, "mfa-enrol", meta, func(tx *store.Tx, a account, now time.Time) (string, error) {
		// A new authenticator replaces the old one entirely: its recovery
		// codes and every session signed in with it end too.
		sealed, err := s.keys.Seal(purposeTOTP, a.ID, secret)
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = 0 WHERE id = ?`, sealed, now, a.ID); err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, a.ID); err != nil {
			return "", err
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, a.ID)
		return "authenticator provisioned by an operator; recovery codes and sessions ended", err
	})
}

// EnrolTOTP enrols an account with an authenticator the operator has just
// set up at the command line (`hearth init` on a terminal): the code from
// it must be right, and the account's ten recovery codes are returned, to
// show once. Audited as "mfa-enrol".
func (s *Service) EnrolTOTP(ctx context.Context, userID, secret, code string, by Actor, meta Meta) ([]string, error) {
	if key, err := decodeSecret(secret); err != nil || len(key) < 10 {
		return nil, hearth.Invalid("Secret", "The secret must be base32 and at least 80 bits long")
	}
	st, result := checkTOTP(secret, normaliseCode(code), s.clock(), 0)
	if result != totpOK {
		return nil, hearth.Invalid("Code", "That code is not right. Check the time on your phone is set automatically, then enter the code it shows now.")
	}
	var codes []string
	err := s.adminChange(ctx, userID, by, "mfa-enrol", meta, func(tx *store.Tx, a account, now time.Time) (string, error) {
		sealed, err := s.keys.Seal(purposeTOTP, a.ID, secret)
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enrolled_at = ?, totp_last_step = ? WHERE id = ?`, sealed, now, st, a.ID); err != nil {
			return "", err
		}
		codes, err = s.replaceRecoveryCodes(ctx, tx, a.ID)
		return "authenticator set up at the command line with its first code; ten recovery codes made", err
	})
	return codes, err
}
