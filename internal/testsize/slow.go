//go:build slow

package testsize

// Slow reports whether the tests run at their full size (-tags slow).
const Slow = true
