//go:build race

package proctest

// RaceEnabled builds the server with the race detector when the tests run
// with it, so that races in the processes the tests start are caught too.
const RaceEnabled = true
