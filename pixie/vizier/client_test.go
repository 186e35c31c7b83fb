package vizier_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/internal/testnet"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

const (
	testKey     = "px-api-s3cr3t-client"
	testCluster = "7a1c2b3d-0000-4000-8000-00000000abcd"
)

// start runs a fake Vizier requiring testKey and a plaintext direct client
// to it.
func start(t *testing.T, h fakevizier.Handler) (*fakevizier.Server, *vizier.Client) {
	t.Helper()
	s, err := fakevizier.Start(fakevizier.Options{APIKey: testKey, ClusterID: testCluster, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster})
}

func newClient(t *testing.T, cfg vizier.Config) *vizier.Client {
	t.Helper()
	c, err := vizier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const script = "import px\npx.display(px.DataFrame('http_events'), 'output')\n"

// allTypes is a table with one column of every data type, including a
// string that is not valid UTF-8.
func allTypes(name string, n int) *fakevizier.Table {
	bools := make([]bool, n)
	ints := make([]int64, n)
	times := make([]int64, n)
	floats := make([]float64, n)
	strs := make([][]byte, n)
	uids := make([]*vizierpb.UInt128, n)
	for i := range n {
		bools[i] = i%2 == 0
		ints[i] = int64(i) * 1_000_000
		times[i] = 1_700_000_000_000_000_000 + int64(i)
		floats[i] = float64(i) / 4
		strs[i] = []byte{'r', byte('a' + i%26), 0xff}
		uids[i] = &vizierpb.UInt128{High: uint64(i), Low: uint64(i) << 8}
	}
	return fakevizier.NewTable(name,
		fakevizier.TimeCol("time_", pixie.STTimeNS, times...),
		fakevizier.UInt128Col("upid", pixie.STUPID, uids...),
		fakevizier.BoolCol("ok", pixie.STNone, bools...),
		fakevizier.Int64Col("latency", pixie.STDurationNS, ints...),
		fakevizier.Float64Col("rate", pixie.STPercent, floats...),
		fakevizier.BytesCol("path", pixie.STNone, strs...),
	)
}

func TestExecuteAssemblesInterleavedTablesOfEveryType(t *testing.T) {
	t.Parallel()
	plan := &fakevizier.Plan{
		Tables:         []*fakevizier.Table{allTypes("output", 2500), allTypes("other", 7)},
		BatchRows:      1000,
		EmptyLastBatch: true,
	}
	_, c := start(t, fakevizier.StaticHandler(plan))
	var col pixie.Collector
	sum, err := c.Execute(t.Context(), pixie.Request{Script: script}, &col)
	if err != nil {
		t.Fatal(err)
	}
	if sum.QueryID == "" {
		t.Error("no query id")
	}
	if sum.Stats.RecordsProcessed == 0 {
		t.Errorf("got stats %+v, want records processed", sum.Stats)
	}
	if len(col.Tables) != 2 {
		t.Fatalf("got %d tables, want 2", len(col.Tables))
	}
	for _, want := range []struct {
		name string
		rows int
	}{{"output", 2500}, {"other", 7}} {
		tb := col.Lookup(want.name)
		if tb == nil {
			t.Fatalf("table %q missing", want.name)
		}
		if tb.NumRows != want.rows || tb.TotalRows != want.rows || tb.Truncated {
			t.Errorf("%s: got %d rows (total %d, truncated %v), want %d", want.name, tb.NumRows, tb.TotalRows, tb.Truncated, want.rows)
		}
		wantCols := []pixie.ColumnInfo{
			{Name: "time_", Type: pixie.TypeTime64NS, SemanticType: pixie.STTimeNS},
			{Name: "upid", Type: pixie.TypeUInt128, SemanticType: pixie.STUPID},
			{Name: "ok", Type: pixie.TypeBoolean, SemanticType: pixie.STNone},
			{Name: "latency", Type: pixie.TypeInt64, SemanticType: pixie.STDurationNS},
			{Name: "rate", Type: pixie.TypeFloat64, SemanticType: pixie.STPercent},
			{Name: "path", Type: pixie.TypeString, SemanticType: pixie.STNone},
		}
		for i, wc := range wantCols {
			got := tb.Meta.Columns[i]
			got.Desc = ""
			if got != wc {
				t.Errorf("%s column %d: got %+v, want %+v", want.name, i, got, wc)
			}
		}
		last := want.rows - 1
		if got := tb.Cols[0].Int64[last]; got != 1_700_000_000_000_000_000+int64(last) {
			t.Errorf("time_[%d] = %d", last, got)
		}
		if got := tb.Cols[1].UInt128[last]; got != (pixie.UInt128{High: uint64(last), Low: uint64(last) << 8}) {
			t.Errorf("upid[%d] = %+v", last, got)
		}
		if got := tb.Cols[2].Bool[1]; got {
			t.Errorf("ok[1] = %v, want false", got)
		}
		if got := tb.Cols[3].Int64[last]; got != int64(last)*1_000_000 {
			t.Errorf("latency[%d] = %d", last, got)
		}
		if got := tb.Cols[4].Float64[last]; got != float64(last)/4 {
			t.Errorf("rate[%d] = %v", last, got)
		}
		if got := tb.Cols[5].String[1]; !bytes.Equal(got, []byte{'r', 'b', 0xff}) {
			t.Errorf("path[1] = %q, want invalid UTF-8 kept as bytes", got)
		}
	}
}

func TestExecuteSendsCredentialsClusterAndExecFuncs(t *testing.T) {
	t.Parallel()
	s, c := start(t, nil)
	req := pixie.Request{
		Script: "import px\ndef f(start_time: str, service: px.Service):\n    return px.DataFrame('http_events')\n",
		Func: &pixie.Func{Name: "f", OutputPrefix: "output", Args: []pixie.Arg{
			{Name: "start_time", Value: "-2m"}, {Name: "service", Value: "default/consumer"},
		}},
	}
	if _, err := c.Execute(t.Context(), req, &pixie.Collector{}); err != nil {
		t.Fatal(err)
	}
	recs := s.Requests()
	if len(recs) != 1 {
		t.Fatalf("got %d requests, want 1", len(recs))
	}
	got := recs[0]
	if k := got.Metadata.Get("pixie-api-key"); len(k) != 1 || k[0] != testKey {
		t.Errorf("pixie-api-key = %v", k)
	}
	if v := got.Metadata.Get("pixie-api-client"); len(v) != 1 || v[0] != "go" {
		t.Errorf("pixie-api-client = %v, want go", v)
	}
	if got.Req.GetClusterId() != testCluster {
		t.Errorf("cluster_id = %q, want %q", got.Req.GetClusterId(), testCluster)
	}
	fns := got.Req.GetExecFuncs()
	if len(fns) != 1 || fns[0].GetFuncName() != "f" || fns[0].GetOutputTablePrefix() != "output" {
		t.Fatalf("exec_funcs = %v", fns)
	}
	args := fns[0].GetArgValues()
	if len(args) != 2 || args[0].GetName() != "start_time" || args[0].GetValue() != "-2m" ||
		args[1].GetName() != "service" || args[1].GetValue() != "default/consumer" {
		t.Errorf("arg_values = %v", args)
	}
}

func TestExecuteErrors(t *testing.T) {
	t.Parallel()
	good := &fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 10)}, BatchRows: 3}
	malformed := func(m fakevizier.Malformed) *fakevizier.Plan {
		return &fakevizier.Plan{Tables: good.Tables, BatchRows: 3, Malformed: m}
	}
	tests := []struct {
		name     string
		plan     *fakevizier.Plan
		wantKind pixie.Kind
		wantMsg  string
	}{
		{"non-compile status is an execution error", &fakevizier.Plan{Status: &vizierpb.Status{Code: 13, Message: "agent crashed"}}, pixie.KindExecution, "agent crashed"},
		{"invalid argument without details", &fakevizier.Plan{Status: &vizierpb.Status{Code: 3, Message: "bad start_time"}}, pixie.KindInvalidArgument, "bad start_time"},
		{"grpc internal auth failure", &fakevizier.Plan{GRPCError: status.Error(codes.Internal, "Auth middleware failed: bad key")}, pixie.KindUnauthenticated, "Auth middleware failed"},
		{"grpc not found", &fakevizier.Plan{GRPCError: status.Error(codes.NotFound, "cluster not found")}, pixie.KindNotFound, "cluster not found"},
		{"abort mid-stream", &fakevizier.Plan{Tables: good.Tables, BatchRows: 2, AbortAfter: 3}, pixie.KindUnavailable, "broke after 4 rows"},
		{"abort before any row", &fakevizier.Plan{Tables: good.Tables, BatchRows: 2, AbortAfter: 1}, pixie.KindUnavailable, "execute script: fakevizier: stream aborted after 1 messages"},
		// Once the query runs, these codes are not about the cluster or the arguments.
		{"not found mid-stream", &fakevizier.Plan{Tables: good.Tables, BatchRows: 2, AbortAfter: 3, AbortCode: codes.NotFound}, pixie.KindExecution, "ended after it had started"},
		{"invalid argument mid-stream", &fakevizier.Plan{Tables: good.Tables, BatchRows: 2, AbortAfter: 3, AbortCode: codes.InvalidArgument}, pixie.KindExecution, "ended after it had started"},
		{"canceled by Vizier", &fakevizier.Plan{Tables: good.Tables, BatchRows: 2, AbortAfter: 3, AbortCode: codes.Canceled}, pixie.KindExecution, "the server canceled the call"},
		{"canceled by Vizier at once", &fakevizier.Plan{GRPCError: status.Error(codes.Canceled, "context canceled")}, pixie.KindExecution, "the server canceled"},
		{"batch for unknown table", malformed(fakevizier.Malformed{BadTableID: true}), pixie.KindProtocol, "unknown table"},
		{"column count mismatch", malformed(fakevizier.Malformed{ColumnCountMismatch: true}), pixie.KindProtocol, "columns"},
		{"wrong column type", malformed(fakevizier.Malformed{WrongColumnType: true}), pixie.KindProtocol, "carries other data"},
		{"duplicate metadata", malformed(fakevizier.Malformed{DuplicateMetadata: true}), pixie.KindProtocol, "announced twice"},
		{"data after eos", malformed(fakevizier.Malformed{DataAfterEOS: true}), pixie.KindProtocol, "after its end of stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := start(t, fakevizier.StaticHandler(tc.plan))
			_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
			if got := pixie.KindOf(err); got != tc.wantKind {
				t.Fatalf("got kind %v (%v), want %v", got, err, tc.wantKind)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestExecuteCompileError(t *testing.T) {
	t.Parallel()
	_, c := start(t, fakevizier.CompileErrorHandler(
		fakevizier.CompilerError(3, 7, "name 'dff' is not defined"),
		fakevizier.CompilerError(9, 1, "Arg type annotation required"),
	))
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	var ce *pixie.CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want *CompileError", err, err)
	}
	want := []pixie.CompilerError{{Line: 3, Column: 7, Message: "name 'dff' is not defined"}, {Line: 9, Column: 1, Message: "Arg type annotation required"}}
	if len(ce.Errors) != len(want) || ce.Errors[0] != want[0] || ce.Errors[1] != want[1] {
		t.Errorf("got %+v, want %+v", ce.Errors, want)
	}
}

func TestExecuteWithoutDisplayIsACompileError(t *testing.T) {
	t.Parallel()
	_, c := start(t, nil) // the fake's default: like Vizier, refuse scripts that output nothing
	_, err := c.Execute(t.Context(), pixie.Request{Script: "import px\ndf = px.DataFrame('http_events')\n"}, &pixie.Collector{})
	var ce *pixie.CompileError
	if !errors.As(err, &ce) || !strings.Contains(ce.Error(), "px.display") {
		t.Fatalf("got %v, want a compile error about px.display", err)
	}
}

func TestExecuteRefusedCredentials(t *testing.T) {
	t.Parallel()
	s, _ := start(t, nil)
	for name, key := range map[string]string{"missing key": "", "wrong key": "not-the-key"} {
		c := newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: key, ClusterID: testCluster})
		_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
		if got := pixie.KindOf(err); got != pixie.KindUnauthenticated {
			t.Errorf("%s: got %v (%v), want unauthenticated", name, got, err)
		}
		if key != "" && strings.Contains(err.Error(), key) {
			t.Errorf("%s: error leaks the key: %v", name, err)
		}
	}
}

func TestExecuteVizierDown(t *testing.T) {
	t.Parallel()
	c := newClient(t, vizier.Config{DirectAddr: testnet.RefusedAddr(t), Plaintext: true})
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	if got := pixie.KindOf(err); got != pixie.KindUnavailable {
		t.Fatalf("got %v (%v), want unavailable", got, err)
	}
}

func TestExecuteHungStreamTimesOutAndIsCancelled(t *testing.T) {
	t.Parallel()
	s, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 3)}, Hang: true}))
	// The stream hangs: only the caller's deadline can end it.
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	_, err := c.Execute(ctx, pixie.Request{Script: script}, &pixie.Collector{})
	if got := pixie.KindOf(err); got != pixie.KindTimeout {
		t.Fatalf("got %v (%v), want timeout", got, err)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer wcancel()
	if err := s.WaitIdle(wctx); err != nil {
		t.Fatalf("the server stream did not end after the client gave up: %v (active %d)", err, s.ActiveStreams())
	}
}

// stopSink fails on the first batch, like an HTTP encoder whose caller left.
type stopSink struct{ err error }

func (s stopSink) Table(*pixie.TableMeta) error { return nil }
func (s stopSink) Batch(*pixie.Batch) error     { return s.err }

func TestExecuteSinkErrorStopsTheStream(t *testing.T) {
	t.Parallel()
	big := allTypes("output", 100)
	// The stream hangs after its first batch: only the client can end it.
	s, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{big}, BatchRows: 10, HangAfter: 2}))
	errStop := errors.New("caller went away")
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, stopSink{errStop})
	if !errors.Is(err, errStop) {
		t.Fatalf("got %v, want the sink's error", err)
	}
	wctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer cancel()
	if err := s.WaitIdle(wctx); err != nil {
		t.Fatalf("server stream still running: %v", err)
	}
	if recs := s.Requests(); len(recs) != 1 || !recs[0].Cancelled {
		t.Errorf("got %+v, want one cancelled stream", recs)
	}
}

func TestExecuteReceivesBatchesAboveGRPCDefaultLimit(t *testing.T) {
	t.Parallel()
	const n = 6
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = bytes.Repeat([]byte{'x'}, 1<<20) // 6 MiB in one batch
	}
	tb := fakevizier.NewTable("output", fakevizier.BytesCol("blob", pixie.STNone, vals...))
	_, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tb}, BatchRows: n}))
	var col pixie.Collector
	if _, err := c.Execute(t.Context(), pixie.Request{Script: script}, &col); err != nil {
		t.Fatal(err)
	}
	if got := col.Tables[0].NumRows; got != n {
		t.Errorf("got %d rows, want %d", got, n)
	}
}

func TestCollectorMaxRowsAndKeep(t *testing.T) {
	t.Parallel()
	_, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{
		Tables: []*fakevizier.Table{allTypes("output", 25), allTypes("dropped", 5)}, BatchRows: 10,
	}))
	col := pixie.Collector{MaxRows: 12, Keep: func(name string) bool { return name == "output" }}
	if _, err := c.Execute(t.Context(), pixie.Request{Script: script}, &col); err != nil {
		t.Fatal(err)
	}
	if len(col.Tables) != 1 {
		t.Fatalf("got %d tables, want only output", len(col.Tables))
	}
	tb := col.Tables[0]
	if tb.NumRows != 12 || tb.TotalRows != 25 || !tb.Truncated || len(tb.Cols[3].Int64) != 12 {
		t.Errorf("got rows %d total %d truncated %v, want 12 of 25 truncated", tb.NumRows, tb.TotalRows, tb.Truncated)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	s, c := start(t, nil)
	if err := c.Health(t.Context(), ""); err != nil {
		t.Fatalf("healthy vizier: %v", err)
	}
	s.SetHealth(&vizierpb.Status{Code: 14, Message: "no agents"})
	err := c.Health(t.Context(), "")
	if pixie.KindOf(err) != pixie.KindUnavailable || !strings.Contains(err.Error(), "no agents") {
		t.Errorf("unhealthy vizier: got %v", err)
	}
	cls, err := c.Clusters(t.Context())
	if err != nil || len(cls) != 1 || cls[0].Queryable || cls[0].ID != testCluster {
		t.Errorf("direct-mode clusters = %+v, %v; want one unhealthy cluster", cls, err)
	}
}

// TestCloudModeOverTLS runs the cloud path: TLS with a private CA (the
// h2 ALPN grpc-go requires), the API key, and cluster listing.
func TestCloudModeOverTLS(t *testing.T) {
	t.Parallel()
	serverTLS, certPEM, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	s, err := fakevizier.Start(fakevizier.Options{
		APIKey:    testKey,
		ClusterID: testCluster,
		TLS:       serverTLS,
		Clusters: []*cloudpb.ClusterInfo{
			fakevizier.MustClusterInfo(testCluster, "prod", cloudpb.ClusterStatus_CS_HEALTHY),
			fakevizier.MustClusterInfo("00000000-0000-4000-8000-000000000002", "staging", cloudpb.ClusterStatus_CS_DISCONNECTED),
		},
		Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 4)}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, vizier.Config{CloudAddr: s.Addr(), APIKey: testKey, ClusterID: testCluster, CAFile: caFile})
	cls, err := c.Clusters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) != 2 || cls[0].ID != testCluster || cls[0].Name != "prod" || !cls[0].Queryable || cls[1].Queryable || cls[1].Status != "CS_DISCONNECTED" {
		t.Errorf("clusters = %+v", cls)
	}
	var col pixie.Collector
	if _, err := c.Execute(t.Context(), pixie.Request{Script: script}, &col); err != nil {
		t.Fatal(err)
	}
	if col.Tables[0].NumRows != 4 {
		t.Errorf("got %d rows over TLS, want 4", col.Tables[0].NumRows)
	}

	// Without the CA the certificate is refused: fail closed.
	untrusting := newClient(t, vizier.Config{CloudAddr: s.Addr(), APIKey: testKey, ClusterID: testCluster})
	if _, err := untrusting.Clusters(t.Context()); pixie.KindOf(err) != pixie.KindUnavailable {
		t.Errorf("untrusted certificate: got %v, want unavailable", err)
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	t.Parallel()
	u, err := vizier.ParseUUID(testCluster)
	if err != nil {
		t.Fatal(err)
	}
	if got := vizier.FormatUUID(u); got != testCluster {
		t.Errorf("got %q, want %q", got, testCluster)
	}
	for _, bad := range []string{"", "prod", "7a1c2b3d00004000800000000000abcd", "7a1c2b3d-0000-4000-8000-00000000abcg"} {
		if _, err := vizier.ParseUUID(bad); err == nil {
			t.Errorf("ParseUUID(%q) succeeded", bad)
		}
	}
}

func TestExecuteOversizedBatchIsAClearError(t *testing.T) {
	t.Parallel()
	vals := make([][]byte, 3)
	for i := range vals {
		vals[i] = bytes.Repeat([]byte{'x'}, 1<<20)
	}
	tb := fakevizier.NewTable("output", fakevizier.BytesCol("blob", pixie.STNone, vals...))
	s, _ := start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tb}, BatchRows: 3}))
	c := newClient(t, vizier.Config{DirectAddr: s.Addr(), Plaintext: true, APIKey: testKey, ClusterID: testCluster, MaxRecvBytes: 1 << 20})
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	if pixie.KindOf(err) != pixie.KindExecution || !strings.Contains(err.Error(), "PIXIE_MAX_RECV_MIB") {
		t.Fatalf("got %v, want an execution error naming PIXIE_MAX_RECV_MIB", err)
	}
}

// TestExecuteResumesAfterATransportReset: like Pixie's own clients, a
// stream broken by an RST_STREAM is resumed by query id and the result is
// complete, each row once.
// A reset after 6 messages breaks the stream while a receiver goroutine
// reads ahead (after 4), one after 3 before it started.
func TestExecuteResumesAfterATransportReset(t *testing.T) {
	t.Parallel()
	for _, after := range []int{3, 6} {
		t.Run(fmt.Sprint(after), func(t *testing.T) {
			t.Parallel()
			resumesAfterReset(t, after)
		})
	}
}

func resumesAfterReset(t *testing.T, after int) {
	s, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{
		Tables: []*fakevizier.Table{allTypes("output", 2500), allTypes("other", 30)}, BatchRows: 500, ResetAfter: after,
	}))
	var col pixie.Collector
	sum, err := c.Execute(t.Context(), pixie.Request{Script: script}, &col)
	if err != nil {
		t.Fatal(err)
	}
	if got := col.Lookup("output").NumRows; got != 2500 {
		t.Errorf("got %d rows, want 2500 (each once)", got)
	}
	if got := col.Lookup("other").NumRows; got != 30 {
		t.Errorf("other: got %d rows, want 30", got)
	}
	if got := col.Lookup("output").Cols[3].Int64[2499]; got != 2499*1_000_000 {
		t.Errorf("last latency = %d", got)
	}
	recs := s.Requests()
	if len(recs) != 2 {
		t.Fatalf("got %d requests, want the query and one resume", len(recs))
	}
	resume := recs[1].Req
	if resume.GetQueryStr() != "" || resume.GetQueryId() != sum.QueryID || resume.GetClusterId() != testCluster {
		t.Errorf("resume request: got %v, want only query id %s and the cluster", resume, sum.QueryID)
	}
}

// TestExecuteDoesNotResumeAnAbort: a stream that fails as unavailable is
// not resumed (only transport resets are), and the caller sees the error.
func TestExecuteDoesNotResumeAnAbort(t *testing.T) {
	t.Parallel()
	s, c := start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 50)}, BatchRows: 10, AbortAfter: 3}))
	_, err := c.Execute(t.Context(), pixie.Request{Script: script}, &pixie.Collector{})
	if pixie.KindOf(err) != pixie.KindUnavailable {
		t.Fatalf("got %v, want unavailable", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("got %d requests, want 1", n)
	}
}

// TestDirectModeServesOnlyItsCluster: a Vizier dialled directly answers
// any cluster_id (as a standalone Vizier does, and this fake without
// Options.ClusterID), so the client itself refuses another cluster rather
// than return this one's data under that name.
func TestDirectModeServesOnlyItsCluster(t *testing.T) {
	t.Parallel()
	s, err := fakevizier.Start(fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{allTypes("output", 1)}})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	const other = "11111111-2222-4333-8444-555555555555"
	for _, cfg := range []vizier.Config{
		{DirectAddr: s.Addr(), Plaintext: true, ClusterID: testCluster},
		{DirectAddr: s.Addr(), Plaintext: true},
	} {
		c := newClient(t, cfg)
		_, err := c.Execute(t.Context(), pixie.Request{Script: script, ClusterID: other}, &pixie.Collector{})
		if pixie.KindOf(err) != pixie.KindNotFound || !strings.Contains(err.Error(), "directly to one Vizier") {
			t.Errorf("configured %q: got %v, want not found", cfg.ClusterID, err)
		}
		if err := c.Health(t.Context(), other); pixie.KindOf(err) != pixie.KindNotFound {
			t.Errorf("health, configured %q: got %v, want not found", cfg.ClusterID, err)
		}
		if _, err := c.Execute(t.Context(), pixie.Request{Script: script, ClusterID: cfg.ClusterID}, &pixie.Collector{}); err != nil {
			t.Errorf("configured %q, the same cluster: %v", cfg.ClusterID, err)
		}
	}
	if n := len(s.Requests()); n != 2 {
		t.Errorf("the fake saw %d queries, want 2 (the refused ones never reach it)", n)
	}
}

// silentListener accepts connections and never answers: a Vizier or a cloud
// whose port is open but whose process hangs.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// Listing clusters is bounded by HealthTimeout, whatever the caller's own
// deadline, and says which address did not answer. The caller's context has
// no deadline here: without the bound the call would never return.
func TestClustersBoundedHealthCheck(t *testing.T) {
	t.Parallel()
	addr := silentListener(t)
	direct := newClient(t, vizier.Config{DirectAddr: addr, Plaintext: true, ClusterID: testCluster, HealthTimeout: 100 * time.Millisecond})
	cls, err := direct.Clusters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cls) != 1 || cls[0].Queryable || cls[0].Status != "CS_UNHEALTHY" ||
		!strings.Contains(cls[0].StatusMessage, "vizier "+addr+" did not answer within 100ms") {
		t.Errorf("got %+v, want one unhealthy cluster naming %s and the bound", cls, addr)
	}

	cloud := newClient(t, vizier.Config{CloudAddr: addr, APIKey: testKey, ClusterID: testCluster, HealthTimeout: 100 * time.Millisecond})
	_, err = cloud.Clusters(context.Background())
	if pixie.KindOf(err) != pixie.KindUnavailable || !strings.Contains(err.Error(), "Pixie Cloud "+addr+" did not answer within 100ms") {
		t.Errorf("got %v, want unavailable naming the cloud and the bound", err)
	}

	// The caller's own cancellation still wins: it is no unhealthy cluster.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := direct.Clusters(ctx); pixie.KindOf(err) != pixie.KindCanceled {
		t.Errorf("canceled caller: got %v, want canceled", err)
	}
}
