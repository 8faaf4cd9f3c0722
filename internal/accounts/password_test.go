package accounts

import (
	"strings"
	"testing"

	"hearth"
)

func TestPasswordHashing(t *testing.T) {
	hash := HashPassword("correct horse battery staple", TestParams)

	t.Run("the hash is a PHC string that names its parameters", func(t *testing.T) {
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash %q is not in PHC format with the test parameters", hash)
		}
		if strings.Contains(hash, "horse") {
			t.Fatal("the hash contains the password")
		}
	})
	t.Run("the default parameters are OWASP's", func(t *testing.T) {
		if DefaultParams != (Params{Memory: 19456, Time: 2, Threads: 1}) {
			t.Fatalf("DefaultParams = %+v", DefaultParams)
		}
	})
	t.Run("two hashes of one password differ by their salt", func(t *testing.T) {
		if HashPassword("correct horse battery staple", TestParams) == hash {
			t.Fatal("same hash twice: the salt is not random")
		}
	})

	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"the right password verifies", "correct horse battery staple", true},
		{"a wrong password does not", "correct horse battery stapler", false},
		{"case matters", "Correct horse battery staple", false},
		{"an empty password does not", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyPassword(hash, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("VerifyPassword = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("a hash made with other parameters still verifies and asks to be re-hashed", func(t *testing.T) {
		old := HashPassword("correct horse battery staple", Params{Memory: 128, Time: 2, Threads: 2})
		ok, err := VerifyPassword(old, "correct horse battery staple")
		if err != nil || !ok {
			t.Fatalf("VerifyPassword = %v, %v", ok, err)
		}
		if !needsRehash(old, TestParams) || needsRehash(hash, TestParams) {
			t.Fatal("needsRehash does not compare parameters")
		}
	})

	for _, bad := range []string{"", "plaintext", "$2a$10$bcrypthashbcrypthashbcrypthash", "$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=0,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		t.Run("a malformed stored hash is an error, not a wrong password: "+bad, func(t *testing.T) {
			if _, err := VerifyPassword(bad, "anything"); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name     string
		username string
		password string
		problem  string // "" when the password is acceptable
	}{
		{"a long passphrase is accepted", "alice", "correct horse battery staple", ""},
		{"twelve characters are enough", "alice", "abcdefghijk1", ""},
		{"eleven characters are too few", "alice", "abcdefghij1", "at least 12 characters"},
		{"length counts characters, not bytes", "alice", "ééééééééééé", "at least 12 characters"},
		{"an empty password is refused", "alice", "", "at least 12 characters"},
		{"the username is refused as a password", "alice.smith1", "alice.smith1", "same as the username"},
		{"the username in other case is refused too", "alice.smith1", "ALICE.SMITH1", "same as the username"},
		{"one character repeated is refused", "alice", "aaaaaaaaaaaaaaaa", "one character repeated"},
		{"an absurdly long password is refused", "alice", strings.Repeat("ab", 200), "at most 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.username, tt.password)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := err.(*hearth.Error)
			if !ok || e.Kind != hearth.KindInvalid || len(e.Problems) != 1 {
				t.Fatalf("got %v, want one invalid-field problem", err)
			}
			if e.Problems[0].Field != "Password" || !strings.Contains(e.Problems[0].Message, tt.problem) {
				t.Fatalf("problem %+v, want field Password with %q", e.Problems[0], tt.problem)
			}
		})
	}
}
