package demo_test

import (
	"testing"
	"time"

	"github.com/pxgate/pxgate/pxl"
)

// Every protocol and sampled table has Stirling's columns (names, types,
// semantic types of the key columns) and rows in the last minute.
func TestProtocolTables(t *testing.T) {
	c := newCluster(5, newClock())
	c.Advance()
	cases := []struct {
		table string
		cols  []string
	}{
		{"pgsql_events", []string{"req_cmd", "req", "resp", "latency"}},
		{"mysql_events", []string{"req_cmd", "req_body", "resp_status", "resp_body", "latency"}},
		{"redis_events", []string{"req_cmd", "req_args", "resp", "latency"}},
		{"dns_events", []string{"req_header", "req_body", "resp_header", "resp_body", "latency"}},
		{"cql_events", []string{"req_op", "req_body", "resp_op", "resp_body", "latency"}},
		{"kafka_events.beta", []string{"req_cmd", "client_id", "req_body", "resp", "latency"}},
		{"nats_events.beta", []string{"cmd", "body", "resp"}},
		{"mongodb_events", []string{"req_cmd", "req_body", "resp_status", "resp_body", "latency"}},
		{"amqp_events", []string{"frame_type", "channel", "req_class_id", "req_method_id", "resp_class_id", "resp_method_id", "req_msg", "resp_msg", "latency"}},
		{"mux_events", []string{"req_type", "latency"}},
		{"jvm_stats", []string{"young_gc_time", "full_gc_time", "used_heap_size", "total_heap_size", "max_heap_size"}},
		{"stack_traces.beta", []string{"stack_trace_id", "stack_trace", "count"}},
		{"stirling_error", []string{"source_connector", "status", "error", "context"}},
		{"probe_status", []string{"source_connector", "tracepoint", "status", "error", "info"}},
	}
	for _, tc := range cases {
		t.Run(tc.table, func(t *testing.T) {
			rel, ok := c.Schema(tc.table)
			if !ok {
				t.Fatalf("no table %s", tc.table)
			}
			if rel[0].Name != "time_" || rel[0].Type != pxl.Time64 || rel[1].Name != "upid" || rel[1].Semantic != pxl.STUPID {
				t.Errorf("%s starts %v, want time_, upid", tc.table, rel[:2])
			}
			for _, name := range tc.cols {
				i := rel.Index(name)
				if i < 0 {
					t.Errorf("%s has no column %s", tc.table, name)
				} else if name == "latency" && rel[i].Semantic != pxl.STDurationNS {
					t.Errorf("%s.latency is %v, want ST_DURATION_NS", tc.table, rel[i].Semantic)
				}
			}
			if n := c.Rows(tc.table); n == 0 {
				t.Errorf("%s has no rows", tc.table)
			}
		})
	}
}

// Protocol calls come from the HTTP services' own pods, and load on the
// calling service makes its database calls slower and fail more.
func TestProtocolLoad(t *testing.T) {
	clk := newClock()
	c := newCluster(6, clk)
	const script = `import px
df = px.DataFrame(table='mysql_events', start_time='-30s')
df.svc = df.ctx['service']
df.failed = df.resp_status == 3
df = df.groupby('svc').agg(lat=('latency', px.mean), errs=('failed', px.mean), n=('latency', px.count))
px.display(df)
`
	run := func() (svc string, lat, errs float64) {
		res, err := pxl.NewEngine(c).Execute(t.Context(), script, nil)
		if err != nil {
			t.Fatal(err)
		}
		tb := res.Table("output")
		if tb == nil || tb.Columns[0].Len() != 1 {
			t.Fatalf("want one calling service, got %+v", tb)
		}
		return tb.Columns[0].Vector.Strs[0], tb.Columns[1].Vector.Floats[0], tb.Columns[2].Vector.Floats[0]
	}
	svc, lat0, _ := run()
	if svc != "default/catalog" {
		t.Errorf("mysql_events come from %q, want default/catalog", svc)
	}
	if err := c.AddLoad("default/catalog", 400, time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.add(40 * time.Second)
	_, lat1, errs1 := run()
	if lat1 < 5*lat0 || errs1 < 0.05 {
		t.Errorf("under load: mean latency %.0f (at rest %.0f), errors %.3f; want slower and failing", lat1, lat0, errs1)
	}
}

