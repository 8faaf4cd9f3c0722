package accounts

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"
)

// rfcSecret is the SHA-1 seed of RFC 6238 Appendix B: "12345678901234567890".
var rfcSecret = b32.EncodeToString([]byte("12345678901234567890"))

func TestTOTPMatchesRFC6238(t *testing.T) {
	// RFC 6238 Appendix B, the SHA-1 rows.
	vectors := []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		at := time.Unix(v.unix, 0).UTC()
		t.Run("the 8-digit code at "+at.Format(time.RFC3339)+" is "+v.want, func(t *testing.T) {
			if got := hotp([]byte("12345678901234567890"), step(at), 8); got != v.want {
				t.Fatalf("got %s", got)
			}
		})
		t.Run("the 6-digit code at "+at.Format(time.RFC3339)+" is its last six digits", func(t *testing.T) {
			if got := Code(rfcSecret, at); got != v.want[2:] {
				t.Fatalf("Code = %s, want %s", got, v.want[2:])
			}
		})
	}
	t.Run("a secret in lower case with spaces gives the same code", func(t *testing.T) {
		spaced := strings.ToLower(rfcSecret[:4] + " " + rfcSecret[4:])
		if got := Code(spaced, time.Unix(59, 0)); got != "287082" {
			t.Fatalf("Code = %q", got)
		}
	})
	t.Run("a secret that is not base32 gives no code", func(t *testing.T) {
		if got := Code("not base32!", time.Unix(59, 0)); got != "" {
			t.Fatalf("Code = %q", got)
		}
	})
}

func TestCheckTOTP(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 15, 0, time.UTC)
	cur := step(now)
	secret := GenerateSecret()
	tests := []struct {
		name     string
		code     string
		lastStep int64
		want     totpResult
		wantStep int64
	}{
		{"the current code is accepted", Code(secret, now), 0, totpOK, cur},
		{"the previous step's code is accepted, for slow typists", Code(secret, now.Add(-30*time.Second)), 0, totpOK, cur - 1},
		{"the next step's code is accepted, for fast clocks", Code(secret, now.Add(30*time.Second)), 0, totpOK, cur + 1},
		{"a code two steps old is refused", Code(secret, now.Add(-60*time.Second)), 0, totpWrong, 0},
		{"a code two steps ahead is refused", Code(secret, now.Add(60*time.Second)), 0, totpWrong, 0},
		{"a code already used is refused as a replay", Code(secret, now), cur, totpReplayed, 0},
		{"an older code after a newer one was used is refused as a replay", Code(secret, now.Add(-30*time.Second)), cur, totpReplayed, 0},
		{"the next code after the current one was used is accepted", Code(secret, now.Add(30*time.Second)), cur, totpOK, cur + 1},
		{"a code of the wrong length is refused", "12345", 0, totpWrong, 0},
		{"a code for another secret is refused", Code(GenerateSecret(), now), 0, totpWrong, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "a code for another secret is refused" && tt.code == Code(secret, now) {
				t.Skip("the two secrets share a code this step (one in a million)")
			}
			st, got := checkTOTP(secret, tt.code, now, tt.lastStep)
			if got != tt.want || st != tt.wantStep {
				t.Fatalf("checkTOTP = step %d result %d, want step %d result %d", st, got, tt.wantStep, tt.want)
			}
		})
	}
}

func TestGenerateSecret(t *testing.T) {
	s := GenerateSecret()
	key, err := decodeSecret(s)
	if err != nil || len(key) != 20 {
		t.Fatalf("secret %q decodes to %d bytes, %v; want 160 bits", s, len(key), err)
	}
	if GenerateSecret() == s {
		t.Fatal("two secrets are equal")
	}
}

func TestProvisioning(t *testing.T) {
	u := ProvisioningURL(rfcSecret, "alice.smith")
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the URL is an otpauth TOTP URL labelled with issuer and username", func(t *testing.T) {
		if parsed.Scheme != "otpauth" || parsed.Host != "totp" || parsed.Path != "/Hearth:alice.smith" {
			t.Fatalf("URL %s", u)
		}
		q := parsed.Query()
		if q.Get("issuer") != "Hearth" || q.Get("secret") != rfcSecret || q.Get("digits") != "6" ||
			q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
			t.Fatalf("query %v", q)
		}
	})
	t.Run("the QR code is a PNG in a data URL", func(t *testing.T) {
		d, err := QRDataURL(u)
		if err != nil {
			t.Fatal(err)
		}
		const prefix = "data:image/png;base64,"
		if !strings.HasPrefix(d, prefix) {
			t.Fatalf("data URL starts %q", d[:min(len(d), 30)])
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(d, prefix))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Fatalf("QR code is %v, too small to scan", b)
		}
	})
}

func TestRecoveryCodeFormat(t *testing.T) {
	c := newRecoveryCode()
	if len(c) != 11 || c[5] != '-' {
		t.Fatalf("code %q is not two groups of five", c)
	}
	if isTOTPCode(normaliseCode(c)) {
		t.Fatalf("recovery code %q could be mistaken for an authenticator code", c)
	}
	tests := []struct{ name, typed, want string }{
		{"spaces, hyphens and case are ignored", " 7K2MX q9d4r ", "7k2mxq9d4r"},
		{"letters that look like digits read as those digits", "ILo", "110"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normaliseCode(tt.typed); got != tt.want {
				t.Fatalf("normaliseCode(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}
