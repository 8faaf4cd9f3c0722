package accounts

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
)

// TOTP as RFC 6238 defines it and every authenticator app implements it:
// HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch.
const (
	totpPeriod = 30
	totpDigits = 6
	// totpSkew is how many steps either side of now are accepted, for clocks
	// that drift and people who type slowly (RFC 6238 section 5.2 suggests
	// at most one).
	totpSkew = 1
	// Issuer names Hearth in the authenticator app.
	Issuer = "Hearth"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// GenerateSecret returns a new random TOTP secret: 160 bits (the length
// RFC 4226 section 4 recommends) in unpadded base32, as authenticator apps
// expect it.
func GenerateSecret() string {
	key := make([]byte, 20)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return b32.EncodeToString(key)
}

func decodeSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '=' {
			return -1
		}
		return r
	}, secret))
	return b32.DecodeString(s)
}

// Code returns the 6-digit TOTP code for secret (base32) at time t, or ""
// when secret is not valid base32. The CLI's `hearth totp SECRET` prints it.
func Code(secret string, t time.Time) string {
	key, err := decodeSecret(secret)
	if err != nil || len(key) == 0 {
		return ""
	}
	return hotp(key, step(t), totpDigits)
}

// step is the RFC 6238 time step T = floor((t - T0) / X) with T0 = 0, X = 30.
func step(t time.Time) int64 { return t.Unix() / totpPeriod }

// hotp is RFC 4226 section 5.3: HMAC-SHA-1 of the counter, dynamically
// truncated to a 31-bit number and reduced to the given number of digits.
func hotp(key []byte, counter int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// totpResult is what checking a code found.
type totpResult int

const (
	totpWrong    totpResult = iota // matches no step in the window
	totpReplayed                   // matches only steps already used
	totpOK
)

// checkTOTP compares code with the codes for the steps around now, in
// constant time, and refuses any step at or before lastStep: RFC 6238
// section 5.2 requires that a code, once accepted, is never accepted again,
// or a shoulder-surfed or phished code would work a second time. It returns
// the matched step, to be stored as the new lastStep.
func checkTOTP(secret, code string, now time.Time, lastStep int64) (int64, totpResult) {
	key, err := decodeSecret(secret)
	if err != nil || len(key) == 0 || len(code) != totpDigits {
		return 0, totpWrong
	}
	result, matched := totpWrong, int64(0)
	now0 := step(now)
	// Newest first, so that in the (one in a million) case of two steps
	// sharing a code the unused one wins.
	for s := now0 + totpSkew; s >= now0-totpSkew; s-- {
		if subtle.ConstantTimeCompare([]byte(hotp(key, s, totpDigits)), []byte(code)) != 1 {
			continue
		}
		if s <= lastStep {
			if result == totpWrong {
				result = totpReplayed
			}
			continue
		}
		if result != totpOK {
			result, matched = totpOK, s
		}
	}
	return matched, result
}

// isTOTPCode reports whether code looks like an authenticator code (six
// digits) rather than a recovery code.
func isTOTPCode(code string) bool {
	if len(code) != totpDigits {
		return false
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ProvisioningURL is the otpauth:// URL an authenticator app reads from the
// QR code (Google Authenticator's Key Uri Format), labelled "Hearth:username".
func ProvisioningURL(secret, username string) string {
	q := url.Values{}
	q.Set("secret", secret)
	q.Set("issuer", Issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(totpDigits))
	q.Set("period", fmt.Sprint(totpPeriod))
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + Issuer + ":" + username, RawQuery: q.Encode()}
	return u.String()
}

// QRDataURL renders the provisioning URL as a QR code in a data: URL, so the
// enrolment page needs no second request (and the secret never sits in a
// cacheable image URL).
func QRDataURL(provisioningURL string) (string, error) {
	key, err := otp.NewKeyFromURL(provisioningURL)
	if err != nil {
		return "", fmt.Errorf("accounts: provisioning URL: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", fmt.Errorf("accounts: draw QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("accounts: encode QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
