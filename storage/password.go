package storage

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/storefront/customers/internal/kdf"
)

// Passwords are hashed with argon2id at the parameters of internal/kdf
// (OWASP's recommendation) and stored in the PHC string format, so the
// parameters can be raised later without breaking existing hashes.
const (
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password rules: at least 8 characters with a letter and a digit (close to
// BigCommerce's own rule), at most 128 so hashing cost stays bounded.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// password checks a new password against the rules.
func (ic *itemChecker) password(field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		ic.fail(EINVALID, field, "A password has at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		ic.fail(ETOOLONG, field, "A password has at most %d characters.", MaxPasswordLength)
	case !strings.ContainsFunc(pw, unicode.IsLetter) || !strings.ContainsFunc(pw, unicode.IsDigit):
		ic.fail(EINVALID, field, "A password holds at least one letter and one digit.")
	}
}

// HashPassword returns the argon2id hash of pw in PHC format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, kdf.Time, kdf.Memory, kdf.Threads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, kdf.Memory, kdf.Time, kdf.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is compared against when there is no stored hash, so a check
// of an unknown email costs the same as a check of a known one. It is made
// on first use, at the parameters new hashes get.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a real password 0")
	return h
})

// CheckPassword reports whether pw matches the PHC-format hash; an empty or
// malformed hash never matches, but still costs one hashing.
func CheckPassword(hash, pw string) bool {
	ok := true
	if hash == "" {
		hash, ok = dummyHash(), false
	}
	var (
		version, memory, passes int
		threads                 uint8
	)
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		hash, ok = dummyHash(), false
		parts = strings.Split(hash, "$")
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || memory <= 0 || memory > 1<<20 || passes <= 0 || passes > 10 || threads == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, uint32(passes), uint32(memory), threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && ok
}
