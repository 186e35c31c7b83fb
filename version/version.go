// Package version is pxgate's build information. The values live in
// github.com/prometheus/common/version and are set at link time:
//
//	go build -ldflags "-X github.com/prometheus/common/version.Version=v1.2.3 -X github.com/prometheus/common/version.Revision=abc123 -X github.com/prometheus/common/version.Branch=main -X github.com/prometheus/common/version.BuildDate=2026-01-02T15:04:05Z"
//
// This package fills what the link left unset from what the Go toolchain
// recorded (module version, VCS time; prometheus/common/version falls back
// to the VCS revision itself), gives GET /version its JSON shape, and makes
// the pxgate_build_info metric and the -version text from the same values.
package version

import (
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/version"
)

// program names pxgate in the build information: the metric's namespace
// (pxgate_build_info) and the first word of Print.
const program = "pxgate"

func init() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	fill(bi)
}

// fill sets the build information the link left unset from bi: the main
// module's version (else "dev") and the VCS commit time as the build date.
func fill(bi *debug.BuildInfo) {
	if version.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		version.Version = bi.Main.Version
	}
	if version.Version == "" {
		version.Version = "dev"
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.time" && version.BuildDate == "" {
			version.BuildDate = s.Value
		}
	}
}

// Info is the build information of the running binary, as GET /version
// answers it.
type Info struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	BuildDate string `json:"build_date"`
	GoVersion string `json:"go_version"`
}

// Get returns the build information.
func Get() Info {
	return Info{
		Version:   version.Version,
		Revision:  version.GetRevision(),
		BuildDate: version.BuildDate,
		GoVersion: version.GoVersion,
	}
}

// Print returns the build information as text, for -version.
func Print() string {
	return version.Print(program)
}

// NewCollector returns the pxgate_build_info gauge: always 1, labelled with
// version, revision, branch, goversion, goos, goarch and tags.
func NewCollector() prometheus.Collector {
	return versioncollector.NewCollector(program)
}
