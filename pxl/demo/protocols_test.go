package demo_test

import (
	"strings"
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

// Every pxviews function runs on the demo cluster and returns rows with
// its documented columns.
func TestPxviews(t *testing.T) {
	c := newCluster(7, newClock())
	cases := []struct{ call, cols string }{
		{"container_process_timeseries('-2m', px.now(), 30 * 1000 * 1000 * 1000)", "time_ pod_id container pod service namespace node cpu_usage actual_disk_read_throughput actual_disk_write_throughput total_disk_read_throughput total_disk_write_throughput rss vsize"},
		{"container_process_summary('-2m', px.now())", "time_ pod_id container pod service namespace node cpu_usage actual_disk_read_throughput actual_disk_write_throughput total_disk_read_throughput total_disk_write_throughput rss vsize"},
		{"pod_resource_stats('-2m', px.now())", "time_ pod_id pod service node namespace container_count pod_start_time pod_status cpu_usage rss vsize actual_disk_read_throughput actual_disk_write_throughput total_disk_read_throughput total_disk_write_throughput"},
		{"pod_network_timeseries('-2m', px.now(), 30 * 1000 * 1000 * 1000)", "time_ pod_id pod service namespace node rx_bytes_per_ns tx_bytes_per_ns rx_drops_per_ns tx_drops_per_ns rx_errors_per_ns tx_errors_per_ns"},
		{"pod_network_summary('-2m', px.now())", "time_ pod_id pod service namespace node rx_bytes_per_ns tx_bytes_per_ns rx_drops_per_ns tx_drops_per_ns rx_errors_per_ns tx_errors_per_ns"},
		{"inbound_http_summary('-2m', px.now())", "time_ pod_id pod service namespace node requestor_ip requestor_pod requestor_service latency_quantiles latency_sum num_requests num_errors req_bytes resp_bytes"},
		{"http_graph('-2m', px.now())", "time_ responder_pod requestor_pod responder_namespace requestor_namespace responder_node requestor_node responder_ip requestor_ip responder_service requestor_service latency_p50 latency_p90 latency_p99 latency_quantiles latency_sum num_requests num_errors req_bytes resp_bytes"},
		{"stacktraces('-2m', px.now())", "namespace node service pod container cmdline stack_trace time_ stack_trace_id count node_num_cpus"},
		{"connection_throughput_stats('-2m', px.now())", "time_ remote_addr node pod_id pod namespace service inbound_conn_throughput outbound_conn_throughput"},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			res, err := pxl.NewEngine(c).Execute(t.Context(), "import px\nimport pxviews\npx.display(pxviews."+tc.call+", 'o')\n", nil)
			if err != nil {
				t.Fatal(err)
			}
			tb := res.Table("o")
			if got := strings.Join(tb.Relation().Names(), " "); got != tc.cols {
				t.Errorf("columns %s, want %s", got, tc.cols)
			}
			if tb.NumRows() == 0 {
				t.Error("no rows")
			}
		})
	}
}

// Pixie's table functions on the demo: one agent per node, every table
// with its columns, the function lists.
func TestTableFunctions(t *testing.T) {
	c := newCluster(8, newClock())
	cases := []struct {
		call string
		rows int // 0: at least one
	}{
		{"px.GetAgentStatus()", 3},
		{"px.GetAgentStatus(False)", 3},
		{"px.GetTables()", 18},
		{"px.GetSchemas()", 0},
		{"px.GetUDFList()", 0},
		{"px.GetUDAList()", 0},
		{"px.GetUDTFList()", 0},
		{"px._HeapGrowthStacks(2)", 1},
		{"px.GetTracepointStatus()", -1},
	}
	for _, tc := range cases {
		t.Run(tc.call, func(t *testing.T) {
			res, err := pxl.NewEngine(c).Execute(t.Context(), "import px\npx.display("+tc.call+", 'o')\n", nil)
			if err != nil {
				t.Fatal(err)
			}
			n := res.Table("o").NumRows()
			switch {
			case tc.rows > 0 && n != tc.rows, tc.rows == 0 && n == 0, tc.rows < 0 && n != 0:
				t.Errorf("%d rows, want %d (0: some, -1: none)", n, tc.rows)
			}
		})
	}
	res, err := pxl.NewEngine(c).Execute(t.Context(), "import px\ndf = px.GetSchemas()\ndf = df[df.table_name == 'kafka_events.beta']\npx.display(df[['column_name', 'column_type']], 'o')\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res.Table("o").Columns[0].Strs, " "); got != "time_ upid remote_addr remote_port local_addr local_port trace_role encrypted req_cmd client_id req_body resp latency" {
		t.Errorf("kafka_events.beta columns: %s", got)
	}
}
