// Package version holds build information, set at link time:
//
//	go build -ldflags "-X github.com/pxgate/pxgate/version.Version=v1.2.3 -X github.com/pxgate/pxgate/version.Revision=abc123 -X github.com/pxgate/pxgate/version.BuildDate=2026-01-02T15:04:05Z"
//
// Unset values fall back to what the Go toolchain recorded (module version, VCS revision).
package version

import (
	"runtime"
	"runtime/debug"
)

// Set by -ldflags -X at build time.
var (
	Version   = ""
	Revision  = ""
	BuildDate = ""
)

// Info is the build information of the running binary.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
}

// Get returns the build information, filling gaps from debug.ReadBuildInfo.
func Get() Info {
	info := Info{Version: Version, Revision: Revision, BuildDate: BuildDate, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && info.Revision == "":
				info.Revision = s.Value
			case s.Key == "vcs.time" && info.BuildDate == "":
				info.BuildDate = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Revision == "" {
		info.Revision = "unknown"
	}
	return info
}
