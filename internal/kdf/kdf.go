// Package kdf holds the argon2id parameters new passwords are hashed with.
// The server only reads them. The test suites of the packages above the
// store (graph, rest, the server) lower them with ForTests: they hash
// hundreds of passwords, each costing about half a second of CPU under
// -race at the real parameters, and what they test is the flow around the
// hash, not its cost. The store's own tests keep the real parameters and
// check them.
package kdf

import "testing"

// The parameters: OWASP's recommendation (19 MiB, two passes, one lane).
// A hash records its own parameters, so raising them later keeps every
// stored hash checkable.
var (
	Time    uint32 = 2
	Memory  uint32 = 19 * 1024 // KiB
	Threads uint8  = 1
)

// ForTests lowers the parameters to the cheapest argon2id allows. It must
// be called before the first hash (from a test file's init) and panics
// outside a test binary, so no server can be built to use it.
func ForTests() {
	if !testing.Testing() {
		panic("kdf.ForTests called outside a test binary")
	}
	Time, Memory, Threads = 1, 8, 1
}
