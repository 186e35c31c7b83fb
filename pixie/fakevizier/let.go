package fakevizier

import (
	"time"

	"github.com/pxgate/pxgate/pixie"
)

// LETTable is a fixture with the columns and types of the LET script of
// chaostoolkit-pixie's README (time_, latency_p50/p90/p99 in ns,
// request_throughput, errors_per_ns, error_rate, bytes_per_ns): n rows, 10 s
// apart from start, with latency_p99 of row i given by p99(i) and the other
// columns fixed, plausible values.
func LETTable(name string, n int, start time.Time, p99 func(i int) time.Duration) *Table {
	times, p50s, p90s, p99s := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	tput, eps, rate, bps := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		times[i] = start.Add(time.Duration(i) * 10 * time.Second).UnixNano()
		p50s[i], p90s[i], p99s[i] = int64(40*time.Millisecond), int64(90*time.Millisecond), int64(p99(i))
		tput[i], eps[i], rate[i], bps[i] = 1.2e-9, 1.2e-11, 0.01, 2.5e-6
	}
	return NewTable(name,
		TimeCol("time_", pixie.STTimeNS, times...),
		Int64Col("latency_p50", pixie.STDurationNS, p50s...),
		Int64Col("latency_p90", pixie.STDurationNS, p90s...),
		Int64Col("latency_p99", pixie.STDurationNS, p99s...),
		Float64Col("request_throughput", pixie.STThroughputPerNS, tput...),
		Float64Col("errors_per_ns", pixie.STThroughputPerNS, eps...),
		Float64Col("error_rate", pixie.STPercent, rate...),
		Float64Col("bytes_per_ns", pixie.STThroughputBytesPerNS, bps...),
	)
}
