package demo_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/vizier"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

// probeScript deploys a tracepoint on a Go function of the consumer pods
// and reads its table.
const probeScript = `import px
import pxtrace

@pxtrace.probe("main.handleOrder")
def probe_func():
    return [{'order_id': pxtrace.ArgExpr('id')},
            {'err': pxtrace.RetExpr('$0.a')},
            {'latency': pxtrace.FunctionLatency()}]

pxtrace.UpsertTracepoint('orders_probe', 'orders_table', probe_func,
                         pxtrace.PodProcess('default/consumer'), '5m')
df = px.DataFrame(table='orders_table', start_time='-1m')
df.pod = df.ctx['pod']
px.display(df, 'output')
`

// bpftraceScript deploys a bpftrace program on every node.
const bpftraceScript = `import px
import pxtrace

program = """
tracepoint:syscalls:sys_enter_openat
{
    printf(\"time_:%llu pid:%u comm:%s fd:%d\", nsecs, pid, comm, args->dfd);
}
"""
pxtrace.UpsertTracepoint('open_tracer', 'open_table', program, pxtrace.kprobe(), '10m')
px.display(px.DataFrame(table='open_table'), 'output')
`

// manualClock is a clock the test moves.
type manualClock struct{ ns atomic.Int64 }

func (c *manualClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *manualClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// startTracing starts the demo on a manual clock with the given deploy time
// and a client that retries a not-ready mutation at once.
func startTracing(t *testing.T, deploy time.Duration) (*pxldemo.Cluster, *manualClock, *vizier.Client) {
	t.Helper()
	clock := &manualClock{}
	clock.ns.Store(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixNano())
	telemetry := pxldemo.New(pxldemo.Options{Seed: 3, Clock: clock.now, Window: 2 * time.Minute, DeployTime: deploy})
	_, client := gatewaytest.DemoClient(t, telemetry, time.Millisecond)
	return telemetry, clock, client
}

// waitDeploying waits until the cluster has registered the tracepoint (the
// client's first attempt), on a condition, not a duration (testwait bounds
// it).
func waitDeploying(t *testing.T, c *pxldemo.Cluster, name string, done <-chan error) {
	t.Helper()
	testwait.Until(t, "tracepoint "+name+" to be upserted", func() bool {
		for _, tp := range c.Tracepoints() {
			if tp.Name == name {
				if tp.State != "pending" {
					t.Fatalf("%s is %s before its deploy time passed", name, tp.State)
				}
				return true
			}
		}
		select {
		case err := <-done:
			t.Fatalf("the query ended before its tracepoint was upserted: %v", err)
		default:
		}
		return false
	})
}

// TestTracepointDeploysThenRows: over the real gRPC path, a probe script is
// answered "deploying" until the demo's clock passes the deploy time; the
// client runs it again meanwhile, and then gets the table's rows.
func TestTracepointDeploysThenRows(t *testing.T) {
	cluster, clock, client := startTracing(t, 2*time.Second)
	type answer struct {
		col pixie.Collector
		sum pixie.Summary
		err error
	}
	a := &answer{}
	done := make(chan error, 1)
	go func() {
		a.sum, a.err = client.Execute(t.Context(), pixie.Request{Script: probeScript, Mutation: true}, &a.col)
		done <- a.err
	}()
	waitDeploying(t, cluster, "orders_probe", done)
	clock.advance(10 * time.Second) // past the deploy time: 10 s of calls
	select {
	case <-done:
	case <-time.After(testwait.Bound):
		t.Fatalf("the query did not end within %s of its deploy time passing", testwait.Bound)
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	if a.sum.Stats.MutationAttempts < 2 || a.sum.Stats.MutationWait <= 0 {
		t.Errorf("stats %+v: want several attempts and a wait", a.sum.Stats)
	}
	tb := a.col.Lookup("output")
	if tb == nil || tb.NumRows == 0 {
		t.Fatalf("no rows: %+v", a.col.Tables)
	}
	var got []string
	for _, c := range tb.Meta.Columns {
		got = append(got, c.Name+":"+c.Type.String()+":"+c.SemanticType.String())
	}
	want := "upid:UINT128:ST_NONE time_:TIME64NS:ST_NONE order_id:INT64:ST_NONE err:INT64:ST_NONE latency:INT64:ST_DURATION_NS pod:STRING:ST_POD_NAME"
	if strings.Join(got, " ") != want {
		t.Errorf("columns\n  %s\nwant\n  %s", strings.Join(got, " "), want)
	}
	pods := tb.Cols[tb.Meta.ColumnIndex("pod")].String
	for _, p := range pods {
		if !strings.HasPrefix(string(p), "default/consumer-") {
			t.Fatalf("a row of pod %q: the target was default/consumer", p)
		}
	}
	// Once running, a second run is ready at once, and a plain query
	// (no mutation flag) reads the table too.
	var col pixie.Collector
	sum, err := client.Execute(t.Context(), pixie.Request{Script: probeScript, Mutation: true}, &col)
	if err != nil || sum.Stats.MutationAttempts != 1 || col.Lookup("output").NumRows < tb.NumRows {
		t.Fatalf("second run: %v, stats %+v", err, sum.Stats)
	}
	col = pixie.Collector{}
	if _, err := client.Execute(t.Context(), pixie.Request{Script: "import px\npx.display(px.DataFrame('orders_table'))\n"}, &col); err != nil || col.Lookup("output").NumRows == 0 {
		t.Fatalf("plain query of the tracepoint's table: %v", err)
	}
}

// TestBpftraceProgramColumns: a bpftrace program's table has the fields its
// printf names (time_ TIME64NS, %s STRING, other INT64); a deploy time
// below zero is ready at once.
func TestBpftraceProgramColumns(t *testing.T) {
	_, clock, client := startTracing(t, -1)
	var col pixie.Collector
	if _, err := client.Execute(t.Context(), pixie.Request{Script: bpftraceScript, Mutation: true}, &col); err != nil {
		t.Fatal(err)
	}
	clock.advance(5 * time.Second)
	col = pixie.Collector{}
	sum, err := client.Execute(t.Context(), pixie.Request{Script: bpftraceScript, Mutation: true}, &col)
	if err != nil || sum.Stats.MutationAttempts != 1 {
		t.Fatalf("%v, stats %+v", err, sum.Stats)
	}
	tb := col.Lookup("output")
	var got []string
	for _, c := range tb.Meta.Columns {
		got = append(got, c.Name+":"+c.Type.String())
	}
	if want := "time_:TIME64NS pid:INT64 comm:STRING fd:INT64"; strings.Join(got, " ") != want {
		t.Errorf("columns %s, want %s", strings.Join(got, " "), want)
	}
	if tb.NumRows == 0 {
		t.Error("no rows after 5 s")
	}
}

// TestTracepointWithoutMutationFlag: without mutation: true the pxtrace
// calls are ignored, as Vizier's query compiler does, so the table of a
// tracepoint never deployed is unknown.
func TestTracepointWithoutMutationFlag(t *testing.T) {
	_, _, client := startTracing(t, -1)
	_, err := client.Execute(t.Context(), pixie.Request{Script: bpftraceScript}, &pixie.Collector{})
	var ce *pixie.CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Table 'open_table' not found") {
		t.Fatalf("got %v, want a compile error for the unknown table", err)
	}
}

// TestRefusedTracepointIsInvalidArgument: a tracepoint the demo refuses (a
// ttl past its bound) is the script's fault: INVALID_ARGUMENT (pxgate's
// 400) with the cluster's reason, not an execution failure (502).
func TestRefusedTracepointIsInvalidArgument(t *testing.T) {
	_, _, client := startTracing(t, -1)
	script := strings.Replace(bpftraceScript, "'10m'", "'48h'", 1)
	_, err := client.Execute(t.Context(), pixie.Request{Script: script, Mutation: true}, &pixie.Collector{})
	if pixie.KindOf(err) != pixie.KindInvalidArgument || !strings.Contains(err.Error(), "longer than the demo keeps tracepoints") {
		t.Fatalf("got %v (kind %s), want an invalid argument naming the ttl bound", err, pixie.KindOf(err))
	}
}
