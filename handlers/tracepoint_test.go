package handlers_test

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/internal/testwait"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

const demoTracepoint = `import px
import pxtrace

program = """
kprobe:tcp_drop
{
    printf(\"time_:%llu pid:%u state:%s\", nsecs, pid, "ESTABLISHED");
}
"""
pxtrace.UpsertTracepoint('tcp_drop_tracer', 'tcp_drop_table', program, pxtrace.kprobe(), '10m')
df = px.DataFrame(table='tcp_drop_table', start_time='-1m')
df = df.groupby(['state']).agg(drops=('pid', px.count))
px.display(df, 'output')
`

// newDemoEnv serves the handlers over the demo cluster (real gRPC path) on
// a clock the test moves.
func newDemoEnv(t *testing.T, clock *atomic.Int64, deploy time.Duration, allow bool) (*env, *pxldemo.Cluster) {
	t.Helper()
	telemetry := pxldemo.New(pxldemo.Options{Seed: 5, Window: 2 * time.Minute, DeployTime: deploy,
		Clock: func() time.Time { return time.Unix(0, clock.Load()) }})
	d, client := gatewaytest.DemoClient(t, telemetry, time.Millisecond)
	e := newEnvFor(t, client, d.ClusterID(), func(o *handlers.Options) {
		o.DefaultTimeout, o.AllowMutations = time.Minute, allow
	})
	return e, telemetry
}

// TestDemoTracepoint: through the demo, a pxtrace script is refused (403)
// unless mutations are allowed; allowed, it waits while the tracepoint
// deploys (the demo's clock decides, not the wall clock) and answers its
// rows, with the deployment's wait in the stats.
func TestDemoTracepoint(t *testing.T) {
	t.Parallel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixNano())
	refused, _ := newDemoEnv(t, &clock, time.Second, false)
	refused.run(t, map[string]any{"script": demoTracepoint}).problem(t, http.StatusForbidden, api.ProblemMutationForbidden)

	e, cluster := newDemoEnv(t, &clock, 2*time.Second, true)
	done := make(chan response, 1)
	go func() {
		done <- e.run(t, map[string]any{"script": demoTracepoint, "tolerances": []any{map[string]any{"expect": "sum(drops) > 0"}}})
	}()
	// Wait (on a condition) until the demo saw the first attempt, then move
	// its clock past the deploy time.
	testwait.Until(t, "the demo to see the first attempt", func() bool { return len(cluster.Tracepoints()) > 0 || len(done) > 0 })
	clock.Add(int64(20 * time.Second))
	resp := <-done
	if resp.status != http.StatusOK {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	var ans api.RunResponse
	if err := json.Unmarshal(resp.body, &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.Verdict.Passed || ans.Stats.MutationAttempts < 2 || ans.Stats.MutationWaitMS <= 0 {
		t.Errorf("verdict %+v, stats %+v", ans.Verdict, ans.Stats)
	}
}
