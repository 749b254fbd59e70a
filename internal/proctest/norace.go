//go:build !race

package proctest

// RaceEnabled tells whether the tests run with the race detector.
const RaceEnabled = false
