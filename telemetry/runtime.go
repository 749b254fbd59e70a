package telemetry

import (
	"runtime/debug"
	"runtime/metrics"
	"strconv"
)

// The garbage collector's settings for serving, chosen by measurement
// (BENCHMARKS.md, "GC settings"): at Go's default GOGC of 100 the collector
// runs so often under load that the reference query reaches 0.50x of the
// hand-written baseline's throughput; at 400, 0.72x; at 800, 0.73-0.84x
// against 0.68-0.71x for 400 in the same run. The memory limit keeps
// the heap that a high GOGC allows in bounds: the live heap is a few MiB,
// and SQLite's page caches (about 64 MiB, outside the Go heap) come on top,
// so that the server stays under 200 MiB at 1M customers (165 MiB measured).
const (
	DefaultGCPercent   = 800
	DefaultMemoryLimit = 80 << 20
)

// GCSettings are the collector's settings in force.
type GCSettings struct {
	Percent     int   // GOGC; -1 is off
	MemoryLimit int64 // GOMEMLIMIT in bytes
}

// TuneGC applies DefaultGCPercent and DefaultMemoryLimit, each unless its
// standard variable (GOGC, GOMEMLIMIT) is set in the environment, which the
// runtime has then applied already; it returns the settings in force.
func TuneGC(getenv func(string) string) GCSettings {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	// Read back without setting: SetGCPercent(-1) would switch the
	// collector off for a moment.
	m := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(m)
	return GCSettings{Percent: int(m[0].Value.Uint64()), MemoryLimit: int64(m[1].Value.Uint64())}
}

// String gives the settings as the variables would: "GOGC=800 GOMEMLIMIT=83886080".
func (s GCSettings) String() string {
	gogc := "off"
	if s.Percent >= 0 {
		gogc = strconv.Itoa(s.Percent)
	}
	return "GOGC=" + gogc + " GOMEMLIMIT=" + strconv.FormatInt(s.MemoryLimit, 10)
}
