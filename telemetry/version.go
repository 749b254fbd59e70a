package telemetry

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Build describes the running binary, from runtime/debug.ReadBuildInfo.
type Build struct {
	// Path is the main module's path.
	Path string
	// Version is the main module's version, or "devel" for a build from a
	// work tree (go build and go run stamp "(devel)").
	Version string
	// Revision, Time and Modified describe the VCS commit the binary was
	// built from; they are empty when the build did not stamp them (go test,
	// or GOFLAGS=-buildvcs=false as on the CI machine).
	Revision string
	Time     string
	Modified bool
	// GoVersion is the toolchain that built the binary.
	GoVersion string
}

// ReadBuild returns the running binary's build information; what the
// binary does not carry is "devel" (the version) or empty.
func ReadBuild() Build {
	b := Build{Version: "devel", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Path = info.Main.Path
	if v := info.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String formats the build for -version: "<path> <version>", the commit
// when known ("revision 0123abc, 2026-11-26T08:00:00Z, modified") and the
// Go version.
func (b Build) String() string {
	var s strings.Builder
	path := b.Path
	if path == "" {
		path = "customers"
	}
	fmt.Fprintf(&s, "%s %s", path, b.Version)
	if b.Revision != "" {
		fmt.Fprintf(&s, " (revision %s", b.Revision)
		if b.Time != "" {
			fmt.Fprintf(&s, ", %s", b.Time)
		}
		if b.Modified {
			s.WriteString(", modified")
		}
		s.WriteString(")")
	}
	fmt.Fprintf(&s, " %s", b.GoVersion)
	return s.String()
}
