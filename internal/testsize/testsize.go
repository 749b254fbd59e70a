// Package testsize sets the scale of the tests that are benchmarks in
// disguise (thousands of writes, hundreds of generated queries, crash and
// restart loops): the README's `go test -race ./...` runs them at a size
// that still exercises every path, and `go test -race -tags slow ./...`
// (what CI runs) at their full size.
package testsize

// Pick returns full when the tests are built with -tags slow, else quick.
func Pick(full, quick int) int {
	if Slow {
		return full
	}
	return quick
}
