package fakevizier_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/cloudpb"
	"github.com/pxgate/pxgate/pixie/proto/vispb"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	pxvizier "github.com/pxgate/pxgate/pixie/vizier"
)

const (
	testCluster = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	displayPxL  = "import px\npx.display(px.DataFrame('http_events'))\n"
)

func start(t *testing.T, opts fakevizier.Options) *fakevizier.Server {
	t.Helper()
	s, err := fakevizier.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func dial(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func vizier(t *testing.T, s *fakevizier.Server) vizierpb.VizierServiceClient {
	t.Helper()
	return vizierpb.NewVizierServiceClient(dial(t, s.Addr()))
}

// execute runs a query and reads the whole stream: every response, and the
// error that ended it (nil on a clean EOF).
func execute(ctx context.Context, t *testing.T, c vizierpb.VizierServiceClient, req *vizierpb.ExecuteScriptRequest) ([]*vizierpb.ExecuteScriptResponse, error) {
	t.Helper()
	stream, err := c.ExecuteScript(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*vizierpb.ExecuteScriptResponse
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, resp)
	}
}

func query(s string) *vizierpb.ExecuteScriptRequest {
	return &vizierpb.ExecuteScriptRequest{QueryStr: s, ClusterId: testCluster}
}

// kind summarises a response for order assertions: "meta:<name>",
// "batch:<table>:<rows>[:eos]", "stats", "status:<code>" or
// "mutation:<status code>".
func kinds(resps []*vizierpb.ExecuteScriptResponse) []string {
	names := map[string]string{}
	var out []string
	for _, r := range resps {
		switch {
		case r.GetMetaData() != nil:
			names[r.GetMetaData().GetId()] = r.GetMetaData().GetName()
			out = append(out, "meta:"+r.GetMetaData().GetName())
		case r.GetData().GetBatch() != nil:
			b := r.GetData().GetBatch()
			name, ok := names[b.GetTableId()]
			if !ok {
				name = "?"
			}
			k := "batch:" + name + ":" + itoa(b.GetNumRows())
			if b.GetEos() {
				k += ":eos"
			}
			out = append(out, k)
		case r.GetData().GetExecutionStats() != nil:
			out = append(out, "stats")
		case r.GetStatus() != nil:
			out = append(out, "status:"+itoa(int64(r.GetStatus().GetCode())))
		case r.GetMutationInfo() != nil:
			out = append(out, "mutation:"+itoa(int64(r.GetMutationInfo().GetStatus().GetCode())))
		default:
			out = append(out, "other")
		}
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func seq(n int) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(i)
	}
	return v
}

func wantKinds(t *testing.T, got []*vizierpb.ExecuteScriptResponse, want ...string) {
	t.Helper()
	if k := kinds(got); !slices.Equal(k, want) {
		t.Fatalf("got messages\n  %v\nwant\n  %v", k, want)
	}
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("got code %v (%v), want %v", got, err, want)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{APIKey: "secret", RequireClientHeader: true})
	cc := dial(t, s.Addr())
	vc := vizierpb.NewVizierServiceClient(cc)
	cloud := cloudpb.NewVizierClusterInfoClient(cc)
	cases := []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"A call without an API key is refused.", []string{"pixie-api-client", "go"}, codes.Unauthenticated},
		{"A call with a wrong API key is refused.", []string{"pixie-api-client", "go", "pixie-api-key", "secreT"}, codes.Unauthenticated},
		{"A call without the client header is refused.", []string{"pixie-api-key", "secret"}, codes.InvalidArgument},
		{"A call with the right key and header is served.", []string{"pixie-api-client", "go", "pixie-api-key", "secret"}, codes.OK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(t.Context(), tc.md...)
			_, err := execute(ctx, t, vc, query(displayPxL))
			wantCode(t, err, tc.want)
			if tc.want == codes.Unauthenticated && !strings.HasPrefix(status.Convert(err).Message(), "Auth middleware failed") {
				t.Errorf("got message %q, want the Auth middleware prefix", status.Convert(err).Message())
			}
			_, err = cloud.GetClusterInfo(ctx, &cloudpb.GetClusterInfoRequest{})
			wantCode(t, err, tc.want)
		})
	}
}

func TestMessageOrderAndInterleaving(t *testing.T) {
	t.Parallel()
	large := fakevizier.NewTable("big",
		fakevizier.TimeCol("time_", pixie.STNone, seq(2500)...),
		fakevizier.Int64Col("latency", pixie.STDurationNS, seq(2500)...))
	small := fakevizier.NewTable("small",
		fakevizier.StringCol("service", pixie.STServiceName, "a", "b", "c"))
	s := start(t, fakevizier.Options{
		ClusterID: testCluster,
		Handler:   fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{large, small}, BatchRows: 1000}),
	})
	resps, err := execute(t.Context(), t, vizier(t, s), query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps,
		"meta:big", "meta:small",
		"batch:big:1000", "batch:small:3:eos",
		"batch:big:1000",
		"batch:big:500:eos",
		"stats")

	qid := resps[0].GetQueryId()
	if qid == "" {
		t.Fatal("got an empty query_id")
	}
	for i, r := range resps {
		if r.GetQueryId() != qid {
			t.Errorf("message %d: got query_id %q, want %q", i, r.GetQueryId(), qid)
		}
	}
	if a, b := resps[0].GetMetaData().GetId(), resps[1].GetMetaData().GetId(); a == "" || a == b {
		t.Errorf("got table ids %q and %q, want two distinct ids", a, b)
	}
	rel := resps[0].GetMetaData().GetRelation().GetColumns()
	if len(rel) != 2 || rel[0].GetColumnName() != "time_" || pixie.DataType(rel[0].GetColumnType()) != pixie.TypeTime64NS ||
		pixie.SemanticType(rel[1].GetColumnSemanticType()) != pixie.STDurationNS {
		t.Errorf("got relation %v", rel)
	}

	// The batches of "big" hold the rows in order, as TIME64NS and INT64.
	var times, lat []int64
	for _, r := range resps {
		b := r.GetData().GetBatch()
		if b.GetTableId() != resps[0].GetMetaData().GetId() {
			continue
		}
		times = append(times, b.GetCols()[0].GetTime64NsData().GetData()...)
		lat = append(lat, b.GetCols()[1].GetInt64Data().GetData()...)
	}
	if !slices.Equal(times, seq(2500)) || !slices.Equal(lat, seq(2500)) {
		t.Errorf("got %d times and %d latencies, want 0..2499 each", len(times), len(lat))
	}
	small0 := resps[3].GetData().GetBatch().GetCols()[0].GetStringData().GetData()
	if len(small0) != 3 || string(small0[2]) != "c" {
		t.Errorf("got strings %q, want a b c", small0)
	}

	stats := resps[len(resps)-1].GetData().GetExecutionStats()
	if got := stats.GetRecordsProcessed(); got != 2503 {
		t.Errorf("got records_processed %d, want 2503", got)
	}
	if got, want := stats.GetBytesProcessed(), int64(2500*16+3); got != want {
		t.Errorf("got bytes_processed %d, want %d", got, want)
	}
	if stats.GetTiming().GetExecutionTimeNs() <= 0 || stats.GetTiming().GetCompilationTimeNs() <= 0 {
		t.Errorf("got timing %v, want positive times", stats.GetTiming())
	}
}

func TestBatchSplitting(t *testing.T) {
	t.Parallel()
	tbl := fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, seq(2500)...))
	empty := fakevizier.NewTable("empty", fakevizier.BoolCol("b", pixie.STNone))
	cases := []struct {
		name string
		plan *fakevizier.Plan
		want []string
	}{
		{
			"2500 rows in batches of 1000 arrive as 1000, 1000 and 500.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 1000},
			[]string{"meta:output", "batch:output:1000", "batch:output:1000", "batch:output:500:eos", "stats"},
		},
		{
			"The default batch size is 1024 rows.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}},
			[]string{"meta:output", "batch:output:1024", "batch:output:1024", "batch:output:452:eos", "stats"},
		},
		{
			"EmptyLastBatch sends eos in a separate empty batch.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 1000, EmptyLastBatch: true},
			[]string{"meta:output", "batch:output:1000", "batch:output:1000", "batch:output:500", "batch:output:0:eos", "stats"},
		},
		{
			"A table without rows gets one empty eos batch.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{empty}},
			[]string{"meta:empty", "batch:empty:0:eos", "stats"},
		},
		{
			"A table without rows gets one empty eos batch with EmptyLastBatch too.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{empty}, EmptyLastBatch: true},
			[]string{"meta:empty", "batch:empty:0:eos", "stats"},
		},
		{
			"OmitStats leaves out the stats.",
			&fakevizier.Plan{Tables: []*fakevizier.Table{empty}, OmitStats: true},
			[]string{"meta:empty", "batch:empty:0:eos"},
		},
		{
			"A nil plan is an empty success.",
			nil,
			[]string{"stats"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(tc.plan)})
			resps, err := execute(t.Context(), t, vizier(t, s), query(displayPxL))
			if err != nil {
				t.Fatal(err)
			}
			wantKinds(t, resps, tc.want...)
		})
	}
}

func TestColumnTypes(t *testing.T) {
	t.Parallel()
	upid := &vizierpb.UInt128{High: 1, Low: 2}
	tbl := fakevizier.NewTable("output",
		fakevizier.BoolCol("b", pixie.STNone, true),
		fakevizier.Int64Col("i", pixie.STPort, 443),
		fakevizier.TimeCol("t", pixie.STNone, 7),
		fakevizier.Float64Col("f", pixie.STPercent, 0.5),
		fakevizier.StringCol("s", pixie.STPodName, "pod"),
		fakevizier.BytesCol("raw", pixie.STNone, []byte{0xff, 0xfe}),
		fakevizier.UInt128Col("upid", pixie.STUPID, upid))
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}})})
	resps, err := execute(t.Context(), t, vizier(t, s), query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "meta:output", "batch:output:1:eos", "stats")
	c := resps[1].GetData().GetBatch().GetCols()
	if !c[0].GetBooleanData().GetData()[0] || c[1].GetInt64Data().GetData()[0] != 443 ||
		c[2].GetTime64NsData().GetData()[0] != 7 || c[3].GetFloat64Data().GetData()[0] != 0.5 ||
		string(c[4].GetStringData().GetData()[0]) != "pod" || string(c[5].GetStringData().GetData()[0]) != "\xff\xfe" ||
		!proto.Equal(c[6].GetUint128Data().GetData()[0], upid) {
		t.Errorf("got columns %v", c)
	}
}

func TestCompileErrorsAndStatuses(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{
		Handler: fakevizier.CompileErrorHandler(
			fakevizier.CompilerError(3, 7, "name 'foo' is not defined"),
			fakevizier.CompilerError(4, 1, "bad")),
	})
	vc := vizier(t, s)
	resps, err := execute(t.Context(), t, vc, query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "status:3")
	st := resps[0].GetStatus()
	if st.GetMessage() != fakevizier.CompileFailedMessage || len(st.GetErrorDetails()) != 2 {
		t.Fatalf("got status %v", st)
	}
	if ce := st.GetErrorDetails()[0].GetCompilerError(); ce.GetLine() != 3 || ce.GetColumn() != 7 || ce.GetMessage() != "name 'foo' is not defined" {
		t.Errorf("got compiler error %v", ce)
	}

	s.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Status: &vizierpb.Status{Code: 13, Message: "boom"}}))
	resps, err = execute(t.Context(), t, vc, query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "status:13")
	if resps[0].GetQueryId() == "" {
		t.Error("got a status response without query_id")
	}

	s.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{GRPCError: status.Error(codes.ResourceExhausted, "too busy")}))
	_, err = execute(t.Context(), t, vc, query(displayPxL))
	wantCode(t, err, codes.ResourceExhausted)

	s.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{{Name: "x", Columns: []fakevizier.Column{
		fakevizier.Int64Col("a", pixie.STNone, 1, 2),
		fakevizier.Int64Col("b", pixie.STNone, 1),
	}}}}))
	_, err = execute(t.Context(), t, vc, query(displayPxL))
	wantCode(t, err, codes.Internal)
	if !strings.Contains(err.Error(), "invalid plan") {
		t.Errorf("got %v, want an invalid plan error", err)
	}
}

func TestRequestChecks(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{ClusterID: testCluster})
	vc := vizier(t, s)
	cases := []struct {
		name     string
		req      *vizierpb.ExecuteScriptRequest
		wantCode codes.Code
		want     []string // messages when wantCode is OK
		wantMsg  string   // substring of the single status message
	}{
		{
			name:     "A script with px.display succeeds with stats only.",
			req:      query(displayPxL),
			wantCode: codes.OK, want: []string{"stats"},
		},
		{
			name:     "A script without px.display fails to compile.",
			req:      query("import px\ndf = px.DataFrame('http_events')\n"),
			wantCode: codes.OK, want: []string{"status:3"}, wantMsg: fakevizier.CompileFailedMessage,
		},
		{
			name: "exec_funcs count as output.",
			req: &vizierpb.ExecuteScriptRequest{QueryStr: "def f(): return 1", ClusterId: testCluster,
				ExecFuncs: []*vizierpb.ExecuteScriptRequest_FuncToExecute{{FuncName: "f", OutputTablePrefix: "out"}}},
			wantCode: codes.OK, want: []string{"stats"},
		},
		{
			name: "An exec_funcs entry without output_table_prefix is refused with status code 3.",
			req: &vizierpb.ExecuteScriptRequest{QueryStr: displayPxL, ClusterId: testCluster,
				ExecFuncs: []*vizierpb.ExecuteScriptRequest_FuncToExecute{{FuncName: "f"}}},
			wantCode: codes.OK, want: []string{"status:3"}, wantMsg: "output_table_prefix required",
		},
		{
			name:     "An empty script is invalid.",
			req:      &vizierpb.ExecuteScriptRequest{ClusterId: testCluster},
			wantCode: codes.InvalidArgument,
		},
		{
			name:     "A resume request is not found by the default handler.",
			req:      &vizierpb.ExecuteScriptRequest{ClusterId: testCluster, QueryId: "q-1"},
			wantCode: codes.NotFound,
		},
		{
			name:     "An empty cluster id is invalid.",
			req:      &vizierpb.ExecuteScriptRequest{QueryStr: displayPxL},
			wantCode: codes.InvalidArgument,
		},
		{
			name:     "Another cluster id is not found.",
			req:      &vizierpb.ExecuteScriptRequest{QueryStr: displayPxL, ClusterId: "00000000-0000-0000-0000-000000000001"},
			wantCode: codes.NotFound,
		},
		{
			name: "Encryption options without a key are invalid.",
			req: &vizierpb.ExecuteScriptRequest{QueryStr: displayPxL, ClusterId: testCluster,
				EncryptionOptions: &vizierpb.ExecuteScriptRequest_EncryptionOptions{KeyAlg: "RSA-OAEP-256", ContentAlg: "A256GCM"}},
			wantCode: codes.InvalidArgument,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resps, err := execute(t.Context(), t, vc, tc.req)
			wantCode(t, err, tc.wantCode)
			if tc.wantCode != codes.OK {
				return
			}
			wantKinds(t, resps, tc.want...)
			if tc.wantMsg != "" && !strings.Contains(resps[0].GetStatus().GetMessage(), tc.wantMsg) {
				t.Errorf("got status %v, want message containing %q", resps[0].GetStatus(), tc.wantMsg)
			}
		})
	}

	resps, err := execute(t.Context(), t, vc, query("px.DataFrame('x')"))
	if err != nil {
		t.Fatal(err)
	}
	ce := resps[0].GetStatus().GetErrorDetails()[0].GetCompilerError()
	if ce.GetMessage() != fakevizier.NoDisplayMessage {
		t.Errorf("got compiler error %q, want %q", ce.GetMessage(), fakevizier.NoDisplayMessage)
	}
}

func TestQueryIDFromRequest(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{})
	req := query(displayPxL)
	req.QueryId = "11111111-2222-3333-4444-555555555555"
	resps, err := execute(t.Context(), t, vizier(t, s), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resps) == 0 || resps[0].GetQueryId() != req.QueryId {
		t.Fatalf("got %v, want query_id %q", resps, req.QueryId)
	}
}

func TestAbortAfter(t *testing.T) {
	t.Parallel()
	tbl := fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, seq(10)...))
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(
		&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 2, AbortAfter: 3})})
	resps, err := execute(t.Context(), t, vizier(t, s), query(displayPxL))
	wantCode(t, err, codes.Unavailable)
	if !strings.Contains(err.Error(), "aborted after 3 messages") {
		t.Errorf("got %v, want a message saying where the stream was aborted", err)
	}
	wantKinds(t, resps, "meta:output", "batch:output:2", "batch:output:2")

	s = start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(
		&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 2, AbortAfter: 2, AbortCode: codes.Canceled})})
	resps, err = execute(t.Context(), t, vizier(t, s), query(displayPxL))
	wantCode(t, err, codes.Canceled)
	wantKinds(t, resps, "meta:output", "batch:output:2")
}

// HangAfter sends that many messages, then holds the stream until the
// client cancels (nothing else ends it); a plan with fewer messages ends
// normally.
func TestHangAfter(t *testing.T) {
	t.Parallel()
	tbl := fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, seq(10)...))
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(
		&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 4, HangAfter: 2})})
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := vizier(t, s).ExecuteScript(ctx, query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	var resps []*vizierpb.ExecuteScriptResponse
	for range 2 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp)
	}
	wantKinds(t, resps, "meta:output", "batch:output:4")
	if got := s.ActiveStreams(); got != 1 {
		t.Errorf("got %d active streams, want the hung one", got)
	}
	cancel()
	_, err = stream.Recv()
	wantCode(t, err, codes.Canceled)
	if err := s.WaitIdle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if recs := s.Requests(); len(recs) != 1 || !recs[0].Cancelled {
		t.Errorf("got records %+v, want one cancelled stream", recs)
	}

	// Fewer messages than HangAfter: the stream ends normally.
	s.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, BatchRows: 4, HangAfter: 100}))
	resps, err = execute(t.Context(), t, vizier(t, s), query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "meta:output", "batch:output:4", "batch:output:4", "batch:output:2:eos", "stats")
}

func TestHangReleasedByClientCancel(t *testing.T) {
	t.Parallel()
	tbl := fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, 1))
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}, Hang: true})})
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := vizier(t, s).ExecuteScript(ctx, query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil || resp.GetMetaData().GetName() != "output" {
		t.Fatalf("got %v, %v; want the metadata", resp, err)
	}
	if got := s.ActiveStreams(); got != 1 {
		t.Fatalf("got %d active streams, want 1", got)
	}
	cancel()
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer wcancel()
	if err := s.WaitIdle(wctx); err != nil {
		t.Fatalf("WaitIdle: %v (active %d)", err, s.ActiveStreams())
	}
	if got := s.ActiveStreams(); got != 0 {
		t.Errorf("got %d active streams, want 0", got)
	}
	recs := s.Requests()
	if len(recs) != 1 || !recs[0].Done || !recs[0].Cancelled || status.Code(recs[0].Err) != codes.Canceled {
		t.Errorf("got records %+v, want one cancelled, done stream", recs)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	const delay = 20 * time.Millisecond
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Delay: delay})})
	vc := vizier(t, s)
	begin := time.Now()
	if _, err := execute(t.Context(), t, vc, query(displayPxL)); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(begin); got < delay {
		t.Errorf("got the answer after %v, want at least %v", got, delay)
	}

	// A deadline shorter than the delay ends the stream on both sides.
	s.SetHandler(fakevizier.StaticHandler(&fakevizier.Plan{Delay: time.Hour}))
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := execute(ctx, t, vc, query(displayPxL))
	wantCode(t, err, codes.DeadlineExceeded)
	wctx, wcancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer wcancel()
	if err := s.WaitIdle(wctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	mk := func() *fakevizier.Table {
		return fakevizier.NewTable("output",
			fakevizier.StringCol("s", pixie.STNone, "a", "b"),
			fakevizier.Int64Col("n", pixie.STNone, 1, 2))
	}
	cases := []struct {
		name  string
		m     fakevizier.Malformed
		check func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse)
	}{
		{
			"BadTableID sends a batch for a table that was never announced.",
			fakevizier.Malformed{BadTableID: true},
			func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse) {
				wantKinds(t, resps, "meta:output", "batch:?:2:eos", "stats")
			},
		},
		{
			"ColumnCountMismatch sends one column fewer than the relation.",
			fakevizier.Malformed{ColumnCountMismatch: true},
			func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse) {
				wantKinds(t, resps, "meta:output", "batch:output:2:eos", "stats")
				if got := len(resps[1].GetData().GetBatch().GetCols()); got != 1 {
					t.Errorf("got %d columns, want 1", got)
				}
			},
		},
		{
			"WrongColumnType sends a column of another type with the right length.",
			fakevizier.Malformed{WrongColumnType: true},
			func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse) {
				c := resps[1].GetData().GetBatch().GetCols()[0]
				if c.GetStringData() != nil || len(c.GetInt64Data().GetData()) != 2 {
					t.Errorf("got first column %v, want 2 INT64 values", c)
				}
			},
		},
		{
			"DuplicateMetadata announces the table twice.",
			fakevizier.Malformed{DuplicateMetadata: true},
			func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse) {
				wantKinds(t, resps, "meta:output", "meta:output", "batch:output:2:eos", "stats")
				if resps[0].GetMetaData().GetId() != resps[1].GetMetaData().GetId() {
					t.Error("got two different ids, want the same one twice")
				}
			},
		},
		{
			"DataAfterEOS sends a batch after the table's eos.",
			fakevizier.Malformed{DataAfterEOS: true},
			func(t *testing.T, resps []*vizierpb.ExecuteScriptResponse) {
				wantKinds(t, resps, "meta:output", "batch:output:2:eos", "batch:output:2", "stats")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(
				&fakevizier.Plan{Tables: []*fakevizier.Table{mk()}, Malformed: tc.m})})
			resps, err := execute(t.Context(), t, vizier(t, s), query(displayPxL))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, resps)
		})
	}
}

func TestRecordingAndSetHandler(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{})
	vc := vizier(t, s)
	var mu sync.Mutex
	var seen []string
	s.SetHandler(func(_ context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
		mu.Lock()
		seen = append(seen, req.GetQueryName())
		mu.Unlock()
		return &fakevizier.Plan{Tables: []*fakevizier.Table{
			fakevizier.NewTable(req.GetQueryName(), fakevizier.BoolCol("ok", pixie.STNone, true)),
		}}
	})
	ctx := metadata.AppendToOutgoingContext(t.Context(), "pixie-api-client", "go")
	req := query(displayPxL)
	req.QueryName = "first"
	resps, err := execute(ctx, t, vc, req)
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "meta:first", "batch:first:1:eos", "stats")

	s.SetHandler(nil) // back to the default handler
	if _, err := execute(ctx, t, vc, query("no display")); err != nil {
		t.Fatal(err)
	}
	recs := s.Requests()
	if len(recs) != 2 {
		t.Fatalf("got %d records, want 2", len(recs))
	}
	if !proto.Equal(recs[0].Req, req) || recs[0].Req == req {
		t.Errorf("got request %v, want a copy of %v", recs[0].Req, req)
	}
	if got := recs[1].Metadata.Get("pixie-api-client"); !slices.Equal(got, []string{"go"}) {
		t.Errorf("got pixie-api-client %q, want [go]", got)
	}
	if !recs[0].Done || recs[0].Cancelled || recs[0].Err != nil {
		t.Errorf("got record %+v, want a normally finished stream", recs[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(seen, []string{"first"}) {
		t.Errorf("got handler calls %q, want [first]", seen)
	}
}

func TestConcurrentStreams(t *testing.T) {
	t.Parallel()
	tbl := fakevizier.NewTable("output",
		fakevizier.Int64Col("n", pixie.STNone, seq(5000)...),
		fakevizier.UInt128Col("upid", pixie.STUPID, slices.Repeat([]*vizierpb.UInt128{{High: 1}}, 5000)...))
	s := start(t, fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{tbl}})})
	vc := vizier(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			resps, err := execute(t.Context(), t, vc, query(displayPxL))
			if err == nil && len(resps) != 1+5+1 {
				err = errors.New("got " + itoa(int64(len(resps))) + " messages, want 7")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestHealthCheck(t *testing.T) {
	t.Parallel()
	s := start(t, fakevizier.Options{ClusterID: testCluster})
	vc := vizier(t, s)

	stream, err := vc.HealthCheck(t.Context(), &vizierpb.HealthCheckRequest{ClusterId: testCluster})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil || resp.GetStatus().GetCode() != 0 {
		t.Fatalf("got %v, %v; want a healthy status", resp, err)
	}

	// The stream stays open: a further Recv blocks until the client
	// cancels (50ms after the first answer, however long that took).
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	open, err := vc.HealthCheck(ctx, &vizierpb.HealthCheckRequest{ClusterId: testCluster})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open.Recv(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err = open.Recv()
	wantCode(t, err, codes.Canceled)

	s.SetHealth(&vizierpb.Status{Code: 14, Message: "vizier not ready"})
	unhealthy, err := vc.HealthCheck(t.Context(), &vizierpb.HealthCheckRequest{ClusterId: testCluster})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := unhealthy.Recv(); err != nil || resp.GetStatus().GetCode() != 14 {
		t.Fatalf("got %v, %v; want status 14", resp, err)
	}

	wrong, err := vc.HealthCheck(t.Context(), &vizierpb.HealthCheckRequest{ClusterId: "00000000-0000-0000-0000-000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Recv()
	wantCode(t, err, codes.NotFound)

	// Closing the server ends open health streams.
	s.Close()
	if _, err := stream.Recv(); err == nil {
		t.Error("got another health message after Close, want an error")
	}
}

func TestCloseEndsStreams(t *testing.T) {
	t.Parallel()
	s, err := fakevizier.Start(fakevizier.Options{Handler: fakevizier.StaticHandler(&fakevizier.Plan{Hang: true})})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := vizier(t, s).ExecuteScript(t.Context(), query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the stream to open at the server", func() bool { return s.ActiveStreams() > 0 })
	s.Close()
	s.Close() // idempotent
	if _, err := stream.Recv(); err == nil {
		t.Fatal("got a message after Close, want an error")
	}
	if got := s.ActiveStreams(); got != 0 {
		t.Errorf("got %d active streams after Close, want 0", got)
	}
	if recs := s.Requests(); len(recs) != 1 || !recs[0].Cancelled {
		t.Errorf("got %+v, want one cancelled request", recs)
	}
}

func TestCloud(t *testing.T) {
	t.Parallel()
	other := "00000000-0000-0000-0000-00000000002a"
	s := start(t, fakevizier.Options{
		Clusters: []*cloudpb.ClusterInfo{
			fakevizier.MustClusterInfo(testCluster, "prod", cloudpb.ClusterStatus_CS_HEALTHY),
			fakevizier.MustClusterInfo(other, "dev", cloudpb.ClusterStatus_CS_DISCONNECTED),
		},
		Scripts: []fakevizier.LibraryScript{
			{ID: "s1", Name: "px/service_let", Desc: "Service LET", Contents: displayPxL},
		},
	})
	cc := dial(t, s.Addr())
	ci := cloudpb.NewVizierClusterInfoClient(cc)
	sm := cloudpb.NewScriptMgrClient(cc)
	ctx := t.Context()

	all, err := ci.GetClusterInfo(ctx, &cloudpb.GetClusterInfoRequest{})
	if err != nil || len(all.GetClusters()) != 2 {
		t.Fatalf("got %v, %v; want 2 clusters", all, err)
	}
	id, err := pxvizier.ParseUUID(other)
	if err != nil {
		t.Fatal(err)
	}
	if id.GetHighBits() != 0 || id.GetLowBits() != 42 {
		t.Errorf("got %v, want high 0 low 42", id)
	}
	one, err := ci.GetClusterInfo(ctx, &cloudpb.GetClusterInfoRequest{Id: id})
	if err != nil || len(one.GetClusters()) != 1 || one.GetClusters()[0].GetClusterName() != "dev" ||
		pxvizier.FormatUUID(one.GetClusters()[0].GetId()) != other {
		t.Fatalf("got %v, %v; want cluster dev", one, err)
	}
	unknown, _ := pxvizier.ParseUUID("00000000-0000-0000-0000-000000000001")
	_, err = ci.GetClusterInfo(ctx, &cloudpb.GetClusterInfoRequest{Id: unknown})
	wantCode(t, err, codes.NotFound)

	conn, err := ci.GetClusterConnectionInfo(ctx, &cloudpb.GetClusterConnectionInfoRequest{Id: id})
	if err != nil || conn.GetToken() != fakevizier.ConnectionToken {
		t.Fatalf("got %v, %v; want the fixed token", conn, err)
	}
	_, err = ci.GetClusterConnectionInfo(ctx, &cloudpb.GetClusterConnectionInfoRequest{Id: unknown})
	wantCode(t, err, codes.NotFound)

	scripts, err := sm.GetScripts(ctx, &cloudpb.GetScriptsReq{})
	if err != nil || len(scripts.GetScripts()) != 1 || scripts.GetScripts()[0].GetName() != "px/service_let" {
		t.Fatalf("got %v, %v; want px/service_let", scripts, err)
	}
	contents, err := sm.GetScriptContents(ctx, &cloudpb.GetScriptContentsReq{ScriptId: "s1"})
	if err != nil || contents.GetContents() != displayPxL || contents.GetMetadata().GetDesc() != "Service LET" {
		t.Fatalf("got %v, %v; want the script source", contents, err)
	}
	_, err = sm.GetScriptContents(ctx, &cloudpb.GetScriptContentsReq{ScriptId: "nope"})
	wantCode(t, err, codes.NotFound)
	views, err := sm.GetLiveViews(ctx, &cloudpb.GetLiveViewsReq{})
	if err != nil || len(views.GetLiveViews()) != 0 {
		t.Fatalf("got %v, %v; want no live views", views, err)
	}
	_, err = vizierpb.NewVizierServiceClient(cc).GenerateOTelScript(ctx, &vizierpb.GenerateOTelScriptRequest{})
	wantCode(t, err, codes.Unimplemented)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		plan fakevizier.Plan
		want string
	}{
		{"Columns of different lengths are rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("t",
			fakevizier.Int64Col("a", 0, 1), fakevizier.Int64Col("b", 0))}}, "has 0 rows"},
		{"Values in the wrong slice are rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("t",
			fakevizier.Column{Name: "a", Type: pixie.TypeInt64, Strings: [][]byte{nil}})}}, "Strings is set"},
		{"An unknown data type is rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("t",
			fakevizier.Column{Name: "a"})}}, "unsupported data type"},
		{"A table without a name is rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("")}}, "without a name"},
		{"Two tables with one name are rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("t"), fakevizier.NewTable("t")}}, "two tables"},
		{"Malformed faults need a column.", fakevizier.Plan{Malformed: fakevizier.Malformed{DataAfterEOS: true}}, "Malformed"},
		{"A nil UInt128 is rejected.", fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("t",
			fakevizier.UInt128Col("u", 0, nil))}}, "nil UInt128"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.plan.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	ok := fakevizier.NewTable("t", fakevizier.StringCol("s", 0, "x", "y"), fakevizier.Float64Col("f", 0, 1, 2))
	if err := ok.Validate(); err != nil || ok.NumRows() != 2 {
		t.Errorf("got %v, %d rows; want a valid table with 2 rows", err, ok.NumRows())
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	serverTLS, caPEM, err := fakevizier.SelfSignedTLS()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	s := start(t, fakevizier.Options{TLS: serverTLS})

	creds := credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	vc := vizierpb.NewVizierServiceClient(dial(t, s.Addr(), grpc.WithTransportCredentials(creds)))
	resps, err := execute(t.Context(), t, vc, query(displayPxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "stats")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer cancel()
	_, err = execute(ctx, t, vizier(t, s), query(displayPxL))
	if err == nil {
		t.Error("a plaintext client got an answer from a TLS server")
	}
}

func TestCloudLiveViews(t *testing.T) {
	t.Parallel()
	lib := fakevizier.SampleLibrary()
	s := start(t, fakevizier.Options{Scripts: lib})
	sm := cloudpb.NewScriptMgrClient(dial(t, s.Addr()))
	ctx := t.Context()

	scripts, err := sm.GetScripts(ctx, &cloudpb.GetScriptsReq{})
	if err != nil || len(scripts.GetScripts()) != 3 || !scripts.GetScripts()[0].GetHasLiveView() || scripts.GetScripts()[2].GetHasLiveView() {
		t.Fatalf("got %v, %v; want three scripts, the last without a live view", scripts, err)
	}
	views, err := sm.GetLiveViews(ctx, &cloudpb.GetLiveViewsReq{})
	if err != nil || len(views.GetLiveViews()) != 2 || views.GetLiveViews()[0].GetName() != "px/service" || views.GetLiveViews()[0].GetId() != lib[0].ID {
		t.Fatalf("got %v, %v; want px/service and px/nodes", views, err)
	}
	lv, err := sm.GetLiveViewContents(ctx, &cloudpb.GetLiveViewContentsReq{LiveViewId: lib[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	vis := lv.GetVis()
	if lv.GetPxlContents() != lib[0].Contents || len(vis.GetVariables()) != 2 ||
		vis.GetVariables()[0].GetDefaultValue().GetValue() != "-5m" || vis.GetVariables()[1].GetDefaultValue() != nil ||
		vis.GetVariables()[1].GetType() != vispb.PXType_PX_SERVICE {
		t.Fatalf("variables: %v", vis.GetVariables())
	}
	if g := vis.GetGlobalFuncs(); len(g) != 1 || g[0].GetFunc().GetName() != "inbound_let_timeseries" {
		t.Errorf("global funcs: %v", g)
	}
	w := vis.GetWidgets()
	if len(w) != 3 || w[0].GetGlobalFuncOutputName() != "inbound_let_timeseries" || w[2].GetFunc().GetName() != "slowest_requests" ||
		w[2].GetFunc().GetArgs()[2].GetValue() != "20" || w[2].GetFunc().GetArgs()[1].GetVariable() != "service" {
		t.Errorf("widgets: %v", w)
	}
	_, err = sm.GetLiveViewContents(ctx, &cloudpb.GetLiveViewContentsReq{LiveViewId: lib[2].ID})
	wantCode(t, err, codes.NotFound) // a script without a live view
}

func TestStartRefusesABrokenVis(t *testing.T) {
	t.Parallel()
	_, err := fakevizier.Start(fakevizier.Options{Scripts: []fakevizier.LibraryScript{{ID: "x", Name: "px/x", Contents: "import px\n", Vis: `{"widgets": 3}`}}})
	if err == nil || !strings.Contains(err.Error(), "px/x") {
		t.Fatalf("got %v, want an error naming the script", err)
	}
}
