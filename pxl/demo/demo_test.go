package demo_test

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/pxl"
	"github.com/pxgate/pxgate/pxl/demo"
)

// clock is a settable clock safe for concurrent use.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newCluster(seed uint64, c *clock) *demo.Cluster {
	return demo.New(demo.Options{Seed: seed, Clock: c.now, Window: 3 * time.Minute})
}

func seedScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/chaostoolkit/let.pxl")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// p99 is what the seed's tolerance computes: the 99th percentile (nearest
// rank) of the latency_p99 column.
func p99(t *testing.T, res *pxl.Result) time.Duration {
	t.Helper()
	tb := res.Table("output")
	if tb == nil || tb.NumRows() == 0 {
		t.Fatalf("no output rows")
	}
	c := tb.Column("latency_p99")
	if c == nil || c.Type != pxl.Int64 || c.Semantic != pxl.STDurationNS {
		t.Fatalf("latency_p99 column: %+v", c)
	}
	v := slices.Clone(c.Ints)
	slices.Sort(v)
	i := (99*len(v) + 99) / 100
	return time.Duration(v[min(i, len(v))-1])
}

func TestSeedLETAtRestAndUnderLoad(t *testing.T) {
	script := seedScript(t)
	clk := newClock()
	c := newCluster(1, clk)
	e := pxl.NewEngine(c)
	res, err := e.Execute(t.Context(), script, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := res.Table("output")
	wantCols := []string{"time_", "latency_p50", "latency_p90", "latency_p99", "request_throughput", "errors_per_ns", "error_rate", "bytes_per_ns"}
	if got := out.Relation().Names(); !slices.Equal(got, wantCols) {
		t.Fatalf("columns %v, want %v", got, wantCols)
	}
	if n := out.NumRows(); n < 12 || n > 13 {
		t.Errorf("%d windows of 10 s in 2 minutes, want 12 or 13", n)
	}
	for _, v := range out.Column("request_throughput").Floats {
		if rps := v * 1e9; rps < 4 || rps > 20 {
			t.Errorf("consumer throughput %.1f/s at rest, want about 10/s", rps)
		}
	}
	rest := p99(t, res)
	t.Logf("at rest: p99 of latency_p99 = %v", rest)
	if rest < 100*time.Millisecond || rest >= 300*time.Millisecond {
		t.Errorf("at rest: p99 of latency_p99 = %v, want in [100 ms, 300 ms)", rest)
	}

	// +100 rps on consumer (capacity 50) for 60 s.
	if err := c.AddLoad("default/consumer", 100, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	clk.add(60 * time.Second)
	res, err = e.Execute(t.Context(), script, nil)
	if err != nil {
		t.Fatal(err)
	}
	loaded := p99(t, res)
	t.Logf("under load: p99 of latency_p99 = %v", loaded)
	if loaded <= 300*time.Millisecond {
		t.Errorf("under load: p99 of latency_p99 = %v, want > 300 ms", loaded)
	}
	maxErr := slices.Max(res.Table("output").Column("error_rate").Floats)
	if maxErr < 0.2 {
		t.Errorf("under load: max error rate %v, want the queue to reject requests", maxErr)
	}

	// Two minutes after the load ended, the service has recovered.
	clk.add(3 * time.Minute)
	res, err = e.Execute(t.Context(), script, nil)
	if err != nil {
		t.Fatal(err)
	}
	if after := p99(t, res); after >= 300*time.Millisecond {
		t.Errorf("after the load: p99 of latency_p99 = %v, want < 300 ms", after)
	}
}

func TestSeedLETThroughExecFuncs(t *testing.T) {
	c := newCluster(2, newClock())
	res, err := pxl.NewEngine(c).Execute(t.Context(), seedScript(t), []pxl.FuncCall{{
		Name: "inbound_let_timeseries", OutputPrefix: "let",
		Args: []pxl.FuncArg{{Name: "start_time", Value: "-1m"}, {Name: "service", Value: "default/producer"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Name != "let" {
		t.Fatalf("tables %v, want only let", res.Tables)
	}
	if n := res.Tables[0].NumRows(); n < 6 || n > 7 {
		t.Errorf("%d windows in one minute, want 6 or 7", n)
	}
}

func TestDeterministic(t *testing.T) {
	script := `
import px
df = px.DataFrame('http_events', start_time='-3m')
px.display(df, 'http')
px.display(px.DataFrame('process_stats', start_time='-3m'), 'proc')
px.display(px.DataFrame('conn_stats', start_time='-3m'), 'conn')
`
	query := func(seed uint64) *pxl.Result {
		clk := newClock()
		c := newCluster(seed, clk)
		e := pxl.NewEngine(c)
		e.SetMaxOutputRows(-1)
		if _, err := e.Execute(t.Context(), script, nil); err != nil {
			t.Fatal(err)
		}
		clk.add(30 * time.Second)
		res, err := e.Execute(t.Context(), script, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b, other := query(9), query(9), query(10)
	if a.Tables[0].NumRows() < 1000 {
		t.Fatalf("%d http_events rows in 3 minutes", a.Tables[0].NumRows())
	}
	if !reflect.DeepEqual(a.Tables, b.Tables) {
		t.Error("two clusters with the same seed and clock differ")
	}
	if reflect.DeepEqual(a.Tables[0], other.Tables[0]) {
		t.Error("two seeds give the same data")
	}
}

func TestWindowIsBounded(t *testing.T) {
	clk := newClock()
	c := demo.New(demo.Options{Seed: 3, Clock: clk.now}) // the default 15 minutes
	c.Advance()
	rows, mem := c.Rows("http_events"), c.MemoryBytes()
	t.Logf("15 minutes: %d http_events rows, %.1f MiB", rows, float64(mem)/(1<<20))
	if rows < 50_000 || rows > 100_000 {
		t.Errorf("%d rows in 15 minutes, want about 70k", rows)
	}
	if mem > 32<<20 {
		t.Errorf("%d bytes for 15 minutes, want < 32 MiB (all tables)", mem)
	}
	// Ten minutes later, and after a long idle gap, the window still
	// holds 15 minutes.
	clk.add(10 * time.Minute)
	c.Advance()
	if r := c.Rows("http_events"); r > rows*12/10 {
		t.Errorf("%d rows after 10 more minutes, want about %d", r, rows)
	}
	clk.add(3 * time.Hour)
	res, err := pxl.NewEngine(c).Execute(t.Context(), "import px\npx.display(px.DataFrame('http_events').agg(n=('time_', px.count), first=('time_', px.min)))\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	tb := res.Tables[0]
	if n := tb.Column("n").Ints[0]; n > int64(rows)*12/10 || n < int64(rows)*8/10 {
		t.Errorf("%d rows after a 3 h gap, want about %d", n, rows)
	}
	if first := time.Unix(0, tb.Column("first").Ints[0]); clk.now().Sub(first) > 15*time.Minute+time.Second {
		t.Errorf("oldest row %v before now, want at most 15 minutes", clk.now().Sub(first))
	}
}

func TestProcessAndConnStats(t *testing.T) {
	c := newCluster(4, newClock())
	res, err := pxl.NewEngine(c).Execute(t.Context(), `
import px
df = px.DataFrame('process_stats', start_time='-2m')
df.pod = df.ctx['pod']
df.service = df.ctx['service']
df = df.groupby(['service', 'pod']).agg(
    cpu_first=('cpu_utime_ns', px.min), cpu_last=('cpu_utime_ns', px.max),
    rss=('rss_bytes', px.mean), samples=('time_', px.count))
df.cpu_per_s = (df.cpu_last - df.cpu_first) / (df.samples - 1) / px.DurationNanos(10 * 1000 * 1000 * 1000)
px.display(df, 'cpu')

conns = px.DataFrame('conn_stats', start_time='-30s')
conns.service = conns.ctx['service']
conns = conns[conns.trace_role == 2]
conns = conns.groupby('service').agg(sent=('bytes_sent', px.max), open=('conn_open', px.sum))
px.display(conns, 'conns')

net = px.DataFrame('network_stats', start_time='-30s')
net.pod = net.ctx['pod']
net.namespace = net.ctx['namespace']
px.display(net.groupby(['namespace']).agg(rx=('rx_bytes', px.sum)), 'net')
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	cpu := res.Table("cpu")
	if n := cpu.NumRows(); n != 13 {
		t.Errorf("%d pods in process_stats, want 13", n)
	}
	for r := range cpu.NumRows() {
		svc, samples, perS := cpu.Column("service").Strs[r], cpu.Column("samples").Ints[r], cpu.Column("cpu_per_s").Floats[r]
		if samples < 11 || samples > 13 {
			t.Errorf("%s: %d samples in 2 minutes, want 12 (every 10 s)", svc, samples)
		}
		if !(perS > 0) {
			t.Errorf("%s: cpu per second %v, want positive (cumulative counters)", svc, perS)
		}
	}
	conns := res.Table("conns")
	if got := conns.Column("service").Strs; !slices.Contains(got, "default/consumer") || !slices.Contains(got, "default/frontend") {
		t.Errorf("conn_stats services %v", got)
	}
	if net := res.Table("net"); net.NumRows() != 2 {
		t.Errorf("network_stats namespaces: %v", net.Column("namespace").Strs)
	}
}

func TestTopology(t *testing.T) {
	c := newCluster(5, newClock())
	svcs := c.Services()
	for _, want := range []string{"default/frontend", "default/consumer", "default/producer", "default/cart", "default/catalog", "px-operator/vizier-operator"} {
		if !slices.Contains(svcs, want) {
			t.Errorf("services %v lack %s", svcs, want)
		}
	}
	pods := c.Metadata().Pods()
	for _, p := range pods {
		if strings.HasPrefix(p.Name, "consumer-") {
			parts := strings.Split(p.Name, "-")
			if len(parts) != 3 || len(parts[1]) != 9 || len(parts[2]) != 5 {
				t.Errorf("pod name %q, want consumer-<9>-<5>", p.Name)
			}
		}
	}
	res, err := pxl.NewEngine(c).Execute(t.Context(), `
import px
df = px.DataFrame('http_events', start_time='-2m')
df.service = df.ctx['service']
df.health = df.req_path == '/healthz' or df.req_path == '/readyz'
df.unresolved = df.remote_addr == '-'
df.err = df.resp_status >= 500
df = df.groupby(['service', 'trace_role']).agg(n=('latency', px.count), health=('health', px.sum),
    unresolved=('unresolved', px.sum), errors=('err', px.mean))
px.display(df)
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	tb := res.Tables[0]
	seen := map[string]bool{}
	for r := range tb.NumRows() {
		svc, role := tb.Column("service").Strs[r], tb.Column("trace_role").Ints[r]
		seen[svc+"/"+string(rune('0'+role))] = true
		if role == 2 && tb.Column("health").Ints[r] == 0 {
			t.Errorf("%s: no health checks", svc)
		}
		if e := tb.Column("errors").Floats[r]; e > 0.05 {
			t.Errorf("%s role %d: 5xx rate %v at rest", svc, role, e)
		}
	}
	for _, want := range []string{"default/frontend/2", "default/consumer/2", "default/consumer/1", "default/producer/2", "px-operator/vizier-operator/1"} {
		if !seen[want] {
			t.Errorf("no %s rows: %v", want, seen)
		}
	}
}

func TestAddLoadErrors(t *testing.T) {
	c := newCluster(6, newClock())
	for _, tc := range []struct {
		svc   string
		rps   float64
		d     time.Duration
		field string
	}{
		{"nope", 10, time.Second, "service"}, {"kubernetes", 10, time.Second, "service"}, {"consumer", 0, time.Second, "rps"},
		{"consumer", 1e9, time.Second, "rps"}, {"consumer", 10, 0, "duration"},
	} {
		var ae *demo.LoadArgError
		if err := c.AddLoad(tc.svc, tc.rps, tc.d); !errors.As(err, &ae) || ae.Field() != tc.field {
			t.Errorf("AddLoad(%q, %v, %v): %v, want an error about %s", tc.svc, tc.rps, tc.d, err, tc.field)
		}
	}
	if err := c.AddLoad("consumer", 10, time.Second); err != nil {
		t.Error(err)
	}
}

// TestAddLoadLimits: loads on one service add up to at most demo.MaxExtraRPS at
// any moment, and at most MaxLoads run at once; both refusals are
// *LoadLimitError, and room frees up when loads end.
func TestAddLoadLimits(t *testing.T) {
	clock := newClock()
	c := newCluster(6, clock)
	limited := func(err error, retry time.Duration) bool {
		var le *demo.LoadLimitError
		return errors.As(err, &le) && le.RetryAfter() == retry
	}
	// 1500 rps for 60 s, then 400 more from 30 s on for 60 s: peak 1900.
	if err := c.AddLoad("consumer", 1500, time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.add(30 * time.Second)
	if err := c.AddLoad("consumer", 400, time.Minute); err != nil {
		t.Fatal(err)
	}
	// 200 more now would make 2100 while both run; the first ends in 30 s.
	if err := c.AddLoad("consumer", 200, time.Second); !limited(err, 30*time.Second) {
		t.Errorf("2100 rps on one service: %v, want a LoadLimitError to retry in 30s", err)
	}
	// Another service has its own budget.
	if err := c.AddLoad("frontend", demo.MaxExtraRPS, time.Second); err != nil {
		t.Errorf("frontend: %v", err)
	}
	// Once the first load ends, 400 rps run: 1600 more fit.
	clock.add(31 * time.Second)
	if err := c.AddLoad("consumer", 1600, time.Second); err != nil {
		t.Errorf("after the first load ended: %v", err)
	}

	c = newCluster(6, clock)
	for i := range demo.MaxLoads {
		if err := c.AddLoad("catalog", 1, time.Minute); err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
	}
	if err := c.AddLoad("cart", 1, time.Minute); !limited(err, time.Minute) {
		t.Errorf("load %d: %v, want a LoadLimitError to retry in 1m", demo.MaxLoads+1, err)
	}
	clock.add(2 * time.Minute)
	if err := c.AddLoad("cart", 1, time.Minute); err != nil {
		t.Errorf("after the loads ended: %v", err)
	}
}

func TestRowBudgetBoundsMemoryUnderLoad(t *testing.T) {
	clk := newClock()
	c := demo.New(demo.Options{Seed: 11, Clock: clk.now, Window: 2 * time.Minute, MaxRows: 20_000})
	c.Advance()
	if err := c.AddLoad("frontend", demo.MaxExtraRPS, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.add(10 * time.Second)
	c.Advance()
	total := c.Rows("http_events") + c.Rows("process_stats") + c.Rows("conn_stats") + c.Rows("network_stats")
	if total > 20_000+6_000 { // the budget, plus at most the newest second
		t.Errorf("%d rows stored, want about the 20k budget", total)
	}
	res, err := pxl.NewEngine(c).Execute(t.Context(), "import px\npx.display(px.DataFrame('http_events', start_time='-3s').agg(n=('time_', px.count)))\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Tables[0].Column("n").Ints[0]; n < 8_000 {
		t.Errorf("%d rows in the last 3 s under 2000 rps of added load, want the newest seconds kept", n)
	}
}
