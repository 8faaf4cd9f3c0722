package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"hearth/internal/accounts"
)

func cmdTOTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("totp", "Print the current 6-digit code for a TOTP secret, as an authenticator app would:\n  hearth totp SECRET", stderr)
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return exitError{2, "totp: give the secret, for example: hearth totp JBSWY3DPEHPK3PXP"}
	}
	code := accounts.Code(strings.TrimSpace(f.Arg(0)), time.Now())
	if code == "" {
		return exitError{2, "totp: that is not a valid base32 secret"}
	}
	fmt.Fprintln(stdout, code)
	return nil
}
