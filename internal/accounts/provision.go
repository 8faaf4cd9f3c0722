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
