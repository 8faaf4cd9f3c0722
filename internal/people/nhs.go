package people

import "strings"

// NormaliseNHSNumber removes the spaces and hyphens people type ("943 476
// 5919") and returns the ten digits, or "" when s is not ten digits.
func NormaliseNHSNumber(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return ""
		}
	}
	if b.Len() != 10 {
		return ""
	}
	return b.String()
}

// ValidNHSNumber reports whether s is a well-formed NHS number: ten digits
// whose tenth is the modulus 11 check digit of the first nine (weights 10 down
// to 2; 11 counts as 0; 10 means the number can never be valid).
func ValidNHSNumber(s string) bool {
	n := NormaliseNHSNumber(s)
	if n == "" {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(n[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(n[9]-'0')
}

// FormatNHSNumber writes an NHS number as people read it: 943 476 5919.
func FormatNHSNumber(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

// CheckDigit returns the check digit for nine digits, or -1 when no check
// digit makes them valid. The demo uses it to mint numbers in the 999 test
// range.
func CheckDigit(nine string) int {
	if len(nine) != 9 {
		return -1
	}
	sum := 0
	for i := 0; i < 9; i++ {
		if nine[i] < '0' || nine[i] > '9' {
			return -1
		}
		sum += int(nine[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	if check == 10 {
		return -1
	}
	return check
}
