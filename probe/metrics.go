package probe

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/tolerance"
)

// Metrics of a /probe answer. They live in a registry made for the one
// probe, never in the service's own (/metrics): a probe's values and
// labels are its caller's business.
const (
	probeNamespace = "pxgate_probe_"

	helpProbeSuccess     = "1 when the script ran and every check passed, else 0."
	helpProbeDuration    = "Time the probe's Pixie query took, end to end, in seconds."
	helpProbeValue       = "A numeric column of a result table: its value in the table's last row, or with rows=all in each row, labelled by the table's string columns. Durations are nanoseconds, as Pixie gives them."
	helpProbeRows        = "Rows a result table had."
	helpProbeTruncated   = "1 when rows=all stopped at the cap of 1000 value series, else 0."
	helpProbeCheckValue  = "A check's computed value in the check's unit; absent when it has none (no rows, NaN, an error)."
	helpProbeCheckPassed = "1 when the check passed, else 0."
	// helpProbeCheckBaseline documents a baseline check's baseline value.
	helpProbeCheckBaseline = "A check's aggregate over its baseline window, in the check's unit (checks relative to a baseline only)."
	helpProbeError         = "1 when the query failed, labelled by the problem type (pixie-timeout, pixie-unavailable, compile-error, ...)."
)

// Result is what a probe found, for its metrics and debug text.
type Result struct {
	// Sink holds what the probe kept of the result tables.
	Sink *Sink
	// Elapsed is how long the query took.
	Elapsed time.Duration
	// Verdict is the checks' verdict; nil when the query failed.
	Verdict *tolerance.Verdict
	// Problem says why the query failed; nil when it did not.
	Problem *api.Problem
}

// Success reports whether the probe passed: the query ran and every check
// passed.
func (res *Result) Success() bool {
	return res.Problem == nil && res.Verdict != nil && res.Verdict.Passed
}

// Registry returns a fresh registry holding the probe's metrics.
func (res *Result) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	success := prometheus.NewGauge(prometheus.GaugeOpts{Name: probeNamespace + "success", Help: helpProbeSuccess})
	duration := prometheus.NewGauge(prometheus.GaugeOpts{Name: probeNamespace + "duration_seconds", Help: helpProbeDuration})
	if res.Success() {
		success.Set(1)
	}
	duration.Set(res.Elapsed.Seconds())
	reg.MustRegister(success, duration, constCollector(res.metrics()))
	return reg
}

// metrics builds the probe's other metrics. Metrics that cannot be built
// (which sanitised names and labels should prevent) are left out rather
// than failing the scrape.
func (res *Result) metrics() []prometheus.Metric {
	var out []prometheus.Metric
	add := func(name, help string, v float64, labels prometheus.Labels) {
		names := make([]string, 0, len(labels))
		values := make([]string, 0, len(labels))
		for k, val := range labels {
			names = append(names, k)
			values = append(values, val)
		}
		m, err := prometheus.NewConstMetric(prometheus.NewDesc(probeNamespace+name, help, names, nil), prometheus.GaugeValue, v, values...)
		if err == nil {
			out = append(out, m)
		}
	}
	ps := res.Sink
	for _, t := range ps.tables {
		add("rows", helpProbeRows, float64(t.rows), prometheus.Labels{"table": t.meta.Name})
		if !ps.all && t.hasLast {
			for j, c := range t.numeric {
				add("value", helpProbeValue, t.last[j], prometheus.Labels{"table": t.meta.Name, "column": t.meta.Columns[c].Name})
			}
		}
		for _, e := range t.entries {
			labels := prometheus.Labels{"table": t.meta.Name}
			for j, name := range t.labelNames {
				labels[name] = e.labels[j]
			}
			for j, c := range t.numeric {
				labels["column"] = t.meta.Columns[c].Name
				add("value", helpProbeValue, e.values[j], labels)
			}
		}
	}
	if ps.all {
		truncated := 0.0
		if ps.truncated {
			truncated = 1
		}
		add("series_truncated", helpProbeTruncated, truncated, nil)
	}
	if res.Verdict != nil {
		seen := map[string]int{}
		for _, c := range res.Verdict.Checks {
			name := c.Name
			if seen[name]++; seen[name] > 1 {
				name = fmt.Sprintf("%s (%d)", name, seen[name])
			}
			labels := prometheus.Labels{"check": strings.ToValidUTF8(name, "\uFFFD")}
			if c.Value != nil {
				add("check_value", helpProbeCheckValue, *c.Value, labels)
			}
			if c.Baseline != nil {
				add("check_baseline", helpProbeCheckBaseline, *c.Baseline, labels)
			}
			add("check_passed", helpProbeCheckPassed, boolValue(c.Passed), labels)
		}
	}
	if res.Problem != nil {
		typ := strings.TrimPrefix(res.Problem.Type, api.ProblemTypePrefix)
		if typ == "" {
			typ = "internal"
		}
		add("error", helpProbeError, 1, prometheus.Labels{"type": typ})
	}
	return out
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// constCollector collects fixed metrics. It describes none, which makes it
// an unchecked collector: pxgate_probe_value may carry different labels
// per table.
type constCollector []prometheus.Metric

func (constCollector) Describe(chan<- *prometheus.Desc) {}

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// format is the one format /probe answers in, whatever the caller's
// Accept or Accept-Encoding: the answer may be cached and served to
// another caller (a protobuf or gzip body kept for one Prometheus would be
// unreadable to the next curl), and every scraper reads plain text.
var format = expfmt.NewFormat(expfmt.TypeTextPlain)

// WriteText answers the probe's metrics in the Prometheus text format,
// with status 200.
func (res *Result) WriteText(w http.ResponseWriter) {
	mfs, err := res.Registry().Gather() // a gathering error still leaves what was gathered
	w.Header().Set("Content-Type", string(format))
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return // the caller went away
		}
	}
	if err != nil {
		_, _ = fmt.Fprintf(w, "# gathering: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}
