package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/version"
)

// setBuild sets prometheus/common/version's link-time values for one test.
func setBuild(t *testing.T, ver, rev, date string) {
	t.Helper()
	oldVer, oldRev, oldDate := version.Version, version.Revision, version.BuildDate
	t.Cleanup(func() { version.Version, version.Revision, version.BuildDate = oldVer, oldRev, oldDate })
	version.Version, version.Revision, version.BuildDate = ver, rev, date
}

func TestFill(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T15:04:05Z"}}
	for _, tc := range []struct {
		name               string
		linked, linkedDate string
		bi                 debug.BuildInfo
		wantVer, wantDate  string
	}{
		{"nothing known", "", "", debug.BuildInfo{}, "dev", ""},
		{"devel build", "", "", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", ""},
		{"module version and VCS time", "", "", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs}, "v1.2.3", "2026-01-02T15:04:05Z"},
		{"linked values win", "v9.0.0", "2027-01-01", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs}, "v9.0.0", "2027-01-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setBuild(t, tc.linked, "", tc.linkedDate)
			fill(&tc.bi)
			if got := Get(); got.Version != tc.wantVer || got.BuildDate != tc.wantDate {
				t.Errorf("got version %q, build date %q; want %q, %q", got.Version, got.BuildDate, tc.wantVer, tc.wantDate)
			}
		})
	}
}

func TestGetPrintAndCollectorAgree(t *testing.T) {
	setBuild(t, "v1.2.3", "abc123", "2026-01-02T15:04:05Z")
	want := Info{Version: "v1.2.3", Revision: "abc123", BuildDate: "2026-01-02T15:04:05Z", GoVersion: runtime.Version()}
	if got := Get(); got != want {
		t.Errorf("Get() = %+v, want %+v", got, want)
	}
	text := Print()
	for _, s := range []string{"pxgate, version v1.2.3 ", "revision: abc123", "2026-01-02T15:04:05Z", runtime.Version()} {
		if !strings.Contains(text, s) {
			t.Errorf("Print() does not say %q:\n%s", s, text)
		}
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "pxgate_build_info" || len(families[0].GetMetric()) != 1 {
		t.Fatalf("want one pxgate_build_info metric, got %v", families)
	}
	m := families[0].GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	for k, v := range map[string]string{"version": want.Version, "revision": want.Revision, "goversion": want.GoVersion} {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, labels[k], v, labels)
		}
	}
	if m.GetGauge().GetValue() != 1 {
		t.Errorf("value %v, want 1", m.GetGauge().GetValue())
	}
}
