package storage

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id at OWASP's recommended parameters
// (19 MiB, two passes, one lane) and stored in the PHC string format, so the
// parameters can be raised later without breaking existing hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
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
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is compared against when there is no stored hash, so a check
// of an unknown email costs the same as a check of a known one.
var dummyHash, _ = HashPassword("not a real password 0")

// CheckPassword reports whether pw matches the PHC-format hash; an empty or
// malformed hash never matches, but still costs one hashing.
func CheckPassword(hash, pw string) bool {
	ok := true
	if hash == "" {
		hash, ok = dummyHash, false
	}
	var (
		version, memory, passes int
		threads                 uint8
	)
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		hash, ok = dummyHash, false
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
