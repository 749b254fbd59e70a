package storage_test

import (
	"strings"
	"testing"

	"github.com/storefront/customers/storage"
)

// TestPasswordHash: a password is stored as an argon2id PHC string at the
// real parameters (this package's tests never lower them: see
// internal/kdf), with a fresh salt each time; only the right password
// matches, and a missing or malformed hash matches nothing.
func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h1, err := storage.HashPassword("Passw0rd!long")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := storage.HashPassword("Passw0rd!long")
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Fatalf("hashes %q and %q: want argon2id at m=19456,t=2,p=1, salted apart", h1, h2)
	}
	for _, tt := range []struct {
		hash, pw string
		want     bool
	}{
		{h1, "Passw0rd!long", true},
		{h2, "Passw0rd!long", true},
		{h1, "Passw0rd!lonG", false},
		{h1, "", false},
		{"", "", false},
		{"", "not a real password 0", false},
		{"$argon2id$v=19$m=1,t=1,p=1$x$y", "Passw0rd!long", false},
		{"plain text", "plain text", false},
		{strings.Replace(h1, "m=19456", "m=999999999", 1), "Passw0rd!long", false},
	} {
		if got := storage.CheckPassword(tt.hash, tt.pw); got != tt.want {
			t.Errorf("CheckPassword(%.40q, %q) = %v, want %v", tt.hash, tt.pw, got, tt.want)
		}
	}
}
