package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

// TestRunLETPasses is the acceptance: the seed's experiment, sent
// the way Chaos Toolkit's HTTP provider sends it, passes with 200, rows and
// a passing verdict.
func TestRunLETPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	resp := e.run(t, letRequest(t, 300.0))
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusOK, resp.body)
	}
	got := resp.runResponse(t)

	if !got.Verdict.Passed || len(got.Verdict.Checks) != 1 {
		t.Fatalf("verdict: got %+v, want one passing check", got.Verdict)
	}
	check := got.Verdict.Checks[0]
	if check.Value == nil || math.Abs(*check.Value-218.7) > 1e-9 {
		t.Errorf("p99 (exclusive) of latency_p99 in ms: got %v, want 218.7", check.Value)
	}
	if check.RowsEvaluated != 12 {
		t.Errorf("rows_evaluated: got %d, want %d", check.RowsEvaluated, 12)
	}
	if got.ClusterID != testClusterID || got.QueryID == "" {
		t.Errorf("cluster_id, query_id: got %q, %q, want %q and an id", got.ClusterID, got.QueryID, testClusterID)
	}
	if got.TimeoutMS != 10000 {
		t.Errorf("timeout_ms: got %d, want the default %d", got.TimeoutMS, 10000)
	}
	if len(got.Tables) != 1 {
		t.Fatalf("tables: got %d, want 1", len(got.Tables))
	}
	tbl := got.Tables[0]
	if tbl.Name != "output" || tbl.RowCount != 12 || tbl.TotalRows != 12 || tbl.Truncated || len(tbl.Rows) != 12 {
		t.Errorf("table: got name %q, row_count %d, total_rows %d, truncated %v, %d rows; want output, 12, 12, false, 12",
			tbl.Name, tbl.RowCount, tbl.TotalRows, tbl.Truncated, len(tbl.Rows))
	}
	wantCols := []api.Column{
		{Name: "time_", Type: "TIME64NS", SemanticType: "ST_TIME_NS"},
		{Name: "latency_p50", Type: "INT64", SemanticType: "ST_DURATION_NS"},
		{Name: "latency_p90", Type: "INT64", SemanticType: "ST_DURATION_NS"},
		{Name: "latency_p99", Type: "INT64", SemanticType: "ST_DURATION_NS"},
		{Name: "request_throughput", Type: "FLOAT64", SemanticType: "ST_THROUGHPUT_PER_NS"},
		{Name: "errors_per_ns", Type: "FLOAT64", SemanticType: "ST_THROUGHPUT_PER_NS"},
		{Name: "error_rate", Type: "FLOAT64", SemanticType: "ST_PERCENT"},
		{Name: "bytes_per_ns", Type: "FLOAT64", SemanticType: "ST_THROUGHPUT_BYTES_PER_NS"},
	}
	if !slices.Equal(tbl.Columns, wantCols) {
		t.Errorf("columns: got %+v, want %+v", tbl.Columns, wantCols)
	}
	row := tbl.Rows[1]
	if got, want := row["time_"], "2026-01-02T15:04:10.000000000Z"; got != want {
		t.Errorf("time_ of row 1: got %v, want %v", got, want)
	}
	if got, want := row["latency_p99"], float64(110_000_000); got != want {
		t.Errorf("latency_p99 of row 1: got %v, want %v (nanoseconds)", got, want)
	}

	// The fake saw what a real Vizier would: the script, the cluster, the key.
	reqs := e.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests at the fake: got %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Req.GetQueryStr() != letScript(t) || r.Req.GetClusterId() != testClusterID || len(r.Req.GetExecFuncs()) != 0 {
		t.Errorf("request at the fake: got cluster %q, %d exec_funcs, script %d bytes; want %q, 0, the LET script",
			r.Req.GetClusterId(), len(r.Req.GetExecFuncs()), len(r.Req.GetQueryStr()), testClusterID)
	}
	if got := r.Metadata.Get(fakevizier.APIKeyHeader); !slices.Equal(got, []string{testAPIKey}) {
		t.Errorf("api key metadata: got %v, want the key", got)
	}
}

// TestRunLETFails: the same experiment with a threshold below the data
// answers 417 with the same body shape and a failed verdict.
func TestRunLETFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	resp := e.run(t, letRequest(t, 200.0))
	if resp.status != http.StatusExpectationFailed {
		t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusExpectationFailed, resp.body)
	}
	got := resp.runResponse(t)
	if got.Verdict.Passed || len(got.Verdict.Checks) != 1 || got.Verdict.Checks[0].Passed {
		t.Fatalf("verdict: got %+v, want one failing check", got.Verdict)
	}
	if len(got.Tables) != 1 || len(got.Tables[0].Rows) != 12 {
		t.Errorf("rows: got %+v, want the 12 rows as with 200", got.Tables)
	}
	if !contains(got.Verdict.Checks[0].Message, "218.7") {
		t.Errorf("message: got %q, want it to quote the value 218.7", got.Verdict.Checks[0].Message)
	}
}

func TestRunFailStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	req := letRequest(t, 200.0)
	req["fail_status"] = 503
	resp := e.run(t, req)
	if resp.status != http.StatusServiceUnavailable {
		t.Fatalf("status: got %d, want %d", resp.status, http.StatusServiceUnavailable)
	}
	if got := resp.runResponse(t); got.Verdict.Passed {
		t.Errorf("verdict passed: got %v, want false", got.Verdict.Passed)
	}
}

// TestRunNeverPassesWhatIsMissing: a check on a column or table that does
// not exist fails; it never passes by default.
func TestRunNeverPassesWhatIsMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	for _, tc := range []struct {
		name      string
		tolerance map[string]any
		wantMsg   string
	}{
		{"a missing table fails", map[string]any{"table": "nope", "column": "latency_p99", "aggregate": "max", "below": 1e18}, "nope"},
		// error_rate is ST_PERCENT: "5ms" would divide it by 1e6 and pass.
		{"a unit on a percentage fails", map[string]any{"expect": "max(error_rate) < 5ms"}, "holds ST_PERCENT values"},
		{"a unit on throughput fails", map[string]any{"column": "request_throughput", "aggregate": "max", "below": 1, "unit": "s"}, "holds ST_THROUGHPUT_PER_NS values"},
		{"a unit on a time fails", map[string]any{"expect": "max(time_) < 100m"}, "holds TIME64NS values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := e.run(t, map[string]any{"script": letScript(t), "tolerances": []any{tc.tolerance}})
			if resp.status != http.StatusExpectationFailed {
				t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusExpectationFailed, resp.body)
			}
			got := resp.runResponse(t)
			if got.Verdict.Passed {
				t.Errorf("verdict passed: got true, want false")
			}
			if len(got.Verdict.Checks) != 1 || !contains(got.Verdict.Checks[0].Message, tc.wantMsg) {
				t.Errorf("checks: got %+v, want a message with %q", got.Verdict.Checks, tc.wantMsg)
			}
		})
	}
	// Without the unit, the percentage is compared as it is.
	resp := e.run(t, map[string]any{"script": letScript(t), "tolerances": []any{map[string]any{"expect": "max(error_rate) < 5"}}})
	if resp.status != http.StatusOK {
		t.Errorf("max(error_rate) < 5: got %d\n%s", resp.status, resp.body)
	}
}

func TestRunCompileError(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.CompileErrorHandler(
		fakevizier.CompilerError(12, 7, "name 'let_helpr' is not defined"),
		fakevizier.CompilerError(40, 3, "invalid syntax"),
	))
	p := e.run(t, letRequest(t, 300)).problem(t, http.StatusBadRequest, api.ProblemCompileError)
	want := []api.CompileError{{Line: 12, Column: 7, Message: "name 'let_helpr' is not defined"}, {Line: 40, Column: 3, Message: "invalid syntax"}}
	if !slices.Equal(p.CompileErrors, want) {
		t.Errorf("compile_errors: got %+v, want %+v", p.CompileErrors, want)
	}
	if !contains(p.Detail, "line 12, column 7") {
		t.Errorf("detail: got %q, want the position", p.Detail)
	}
	if p.Hint != "" {
		t.Errorf("hint: got %q, want none for these errors", p.Hint)
	}
}

// TestRunNoDisplayHint: the seed's script as printed (without px.display)
// is a compile error with a hint saying what to add.
func TestRunNoDisplayHint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil) // DefaultHandler: rejects scripts that display nothing
	script := strings.TrimSuffix(letScript(t), "px.display(df, 'output')\n")
	p := e.run(t, map[string]any{"script": script}).problem(t, http.StatusBadRequest, api.ProblemCompileError)
	if !contains(p.Hint, "px.display(df, 'output')") {
		t.Errorf("hint: got %q, want it to name px.display(df, 'output')", p.Hint)
	}
	if len(p.CompileErrors) != 1 || !contains(p.CompileErrors[0].Message, "px.display") {
		t.Errorf("compile_errors: got %+v, want Vizier's message", p.CompileErrors)
	}
}

// TestRunPixieErrors covers the failures that are Pixie's, not the caller's.
func TestRunPixieErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		plan     *fakevizier.Plan
		status   int
		wantType string
	}{
		{"a failure while running is a 502", &fakevizier.Plan{Status: &vizierpb.Status{Code: int32(codes.Internal), Message: "agent crashed"}}, http.StatusBadGateway, api.ProblemPixieExecution},
		{"a protocol violation is a 502", &fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3)}, Malformed: fakevizier.Malformed{WrongColumnType: true}}, http.StatusBadGateway, api.ProblemPixieProtocol},
		{"an unavailable Vizier is a 502", &fakevizier.Plan{GRPCError: status.Error(codes.Unavailable, "no agents")}, http.StatusBadGateway, api.ProblemPixieUnavailable},
		{"an unknown cluster is a 404", &fakevizier.Plan{GRPCError: status.Error(codes.NotFound, "cluster gone")}, http.StatusNotFound, api.ProblemUnknownCluster},
		{"a rejected argument is a 400", &fakevizier.Plan{Status: &vizierpb.Status{Code: int32(codes.InvalidArgument), Message: "bad start_time"}}, http.StatusBadRequest, api.ProblemInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, fakevizier.StaticHandler(tc.plan))
			e.run(t, letRequest(t, 300)).problem(t, tc.status, tc.wantType)
		})
	}
}

func TestRunPixieDown(t *testing.T) {
	t.Parallel()
	e := newDownEnv(t)
	p := e.run(t, letRequest(t, 300)).problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
	if !contains(p.Detail, "could not be reached") {
		t.Errorf("detail: got %q", p.Detail)
	}
}

func TestRunPixieRefusesCredentials(t *testing.T) {
	t.Parallel()
	fake, err := fakevizier.Start(fakevizier.Options{APIKey: testAPIKey, ClusterID: testClusterID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	e := newEnvWithFake(t, fake, "wrong-key")
	p := e.run(t, letRequest(t, 300)).problem(t, http.StatusBadGateway, api.ProblemPixieAuth)
	if contains(p.Detail, "wrong-key") || contains(p.Detail, testAPIKey) {
		t.Errorf("detail: got %q, want no key in it", p.Detail)
	}
}

// TestRunTimeout: a hanging Vizier gets the request's timeout, promptly,
// and the Vizier stream is cancelled.
func TestRunTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, Hang: true}))
	req := letRequest(t, 300)
	req["timeout"] = "200ms"
	// The stream hangs: only the request's timeout can end it, and the
	// answer names that timeout (not the 10s default).
	p := e.run(t, req).problem(t, http.StatusGatewayTimeout, api.ProblemPixieTimeout)
	if p.TimeoutMS != 200 || !contains(p.Detail, "200ms") {
		t.Errorf("timeout_ms, detail: got %d, %q, want 200 and a detail naming 200ms", p.TimeoutMS, p.Detail)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a bound for a hang, not a wait
	defer cancel()
	if err := e.fake.WaitIdle(ctx); err != nil {
		t.Errorf("the Vizier stream is still running after the timeout: %v", err)
	}
}

// TestRunTimeoutIsCapped: a request asking more than MaxTimeout gets
// MaxTimeout, and the response says so.
func TestRunTimeoutIsCapped(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.MaxTimeout = 20 * time.Second })
	req := letRequest(t, 300)
	req["timeout"] = "1h"
	if got := e.run(t, req).runResponse(t).TimeoutMS; got != 20000 {
		t.Errorf("timeout_ms: got %d, want %d", got, 20000)
	}
}

// TestRunContentType: JSON is required, and a form-encoded body (Chaos
// Toolkit's default without the header) is told which header to add.
func TestRunContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	body := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')"}`
	form := url.Values{"script": {"import px"}}.Encode()
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	_ = mw.WriteField("script", "import px")
	_ = mw.Close()
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		status      int
	}{
		{"JSON is accepted", "application/json", body, http.StatusOK},
		{"JSON with a charset is accepted", "application/json; charset=utf-8", body, http.StatusOK},
		{"a missing Content-Type is taken as JSON", "", body, http.StatusOK},
		{"a form-encoded body is refused", "application/x-www-form-urlencoded", form, http.StatusUnsupportedMediaType},
		{"a multipart body is refused", mw.FormDataContentType(), mp.String(), http.StatusUnsupportedMediaType},
		{"plain text is refused", "text/plain", body, http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := e.do(t, http.MethodPost, "/v1/run", tc.contentType, strings.NewReader(tc.body))
			if tc.status == http.StatusOK {
				if resp.status != http.StatusOK {
					t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusOK, resp.body)
				}
				resp.runResponse(t)
				return
			}
			p := resp.problem(t, tc.status, api.ProblemUnsupportedMediaType)
			for _, want := range []string{
				`Content-Type: application/json`,
				`"headers": {"Content-Type": "application/json"}`,
				`-H 'Content-Type: application/json'`,
			} {
				if !contains(p.Detail, want) {
					t.Errorf("detail: got %q, want it to contain %q", p.Detail, want)
				}
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if n := len(e.fake.Requests()); n != 3 {
			t.Errorf("requests at the fake: got %d, want %d (only the JSON ones)", n, 3)
		}
	})
}

func TestRunBodyTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.MaxBodyBytes = 1024 })
	big := fmt.Sprintf(`{"script": %q}`, strings.Repeat("# padding\n", 500))
	p := e.run(t, big).problem(t, http.StatusRequestEntityTooLarge, api.ProblemBodyTooLarge)
	if !contains(p.Detail, "1024") {
		t.Errorf("detail: got %q, want the limit", p.Detail)
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("requests at the fake: got %d, want 0", n)
	}
}

// TestRunInvalidRequest: malformed or inconsistent bodies are 400s naming
// the field, and nothing reaches Pixie.
func TestRunInvalidRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	for _, tc := range []struct {
		name      string
		body      string
		wantType  string
		wantField string
	}{
		{"an unknown field is named", `{"script": "x", "scirpt_name": "y"}`, api.ProblemInvalidRequest, "scirpt_name"},
		{"a wrong type names the field", `{"script": "x", "max_rows": "10"}`, api.ProblemInvalidRequest, "max_rows"},
		{"an unknown field in a tolerance is named with its index", `{"script": "x", "tolerances": [{"expect": "count() > 0"}, {"colum": "a"}]}`, api.ProblemInvalidRequest, "tolerances[1].colum"},
		{"trailing data is refused", `{"script": "x"} {"script": "y"}`, api.ProblemInvalidRequest, ""},
		{"an empty body is refused", ``, api.ProblemInvalidRequest, ""},
		{"script and script_name together are refused", `{"script": "x", "script_name": "y"}`, api.ProblemInvalidRequest, "script_name"},
		{"neither script nor script_name is refused", `{"cluster_id": "x"}`, api.ProblemInvalidRequest, "script"},
		{"args without func are refused", `{"script": "x", "args": {"a": "1"}}`, api.ProblemInvalidRequest, "args"},
		{"a bad timeout is refused", `{"script": "x", "timeout": "soon"}`, api.ProblemInvalidRequest, "timeout"},
		{"max_rows 0 is refused", `{"script": "x", "max_rows": 0}`, api.ProblemInvalidRequest, "max_rows"},
		{"max_rows above the gateway's cap is refused", `{"script": "x", "max_rows": 1001}`, api.ProblemInvalidRequest, "max_rows"},
		{"a 2xx fail_status is refused", `{"script": "x", "fail_status": 200}`, api.ProblemInvalidRequest, "fail_status"},
		{"an empty table name is refused", `{"script": "x", "tables": ["output", ""]}`, api.ProblemInvalidRequest, "tables[1]"},
		{"an invalid tolerance is refused", `{"script": "x", "tolerances": [{"column": "a", "aggregate": "p999", "below": 1}]}`, api.ProblemInvalidTolerance, "tolerances[0]"},
		{"an unknown compatibility func is refused", `{"script": "x", "tolerances": [{"func": "mean_should_be_below", "arguments": {"column": "a"}}]}`, api.ProblemInvalidTolerance, "tolerances[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := e.run(t, tc.body).problem(t, http.StatusBadRequest, tc.wantType)
			if len(p.Errors) != 1 {
				t.Fatalf("errors: got %+v, want one", p.Errors)
			}
			if p.Errors[0].Field != tc.wantField {
				t.Errorf("field: got %q, want %q (message %q)", p.Errors[0].Field, tc.wantField, p.Errors[0].Message)
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if n := len(e.fake.Requests()); n != 0 {
			t.Errorf("requests at the fake: got %d, want 0", n)
		}
	})
}

func TestRunUnknownScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	p := e.run(t, `{"script_name": "px/service_let", "args": {"service": "default/consumer"}}`).
		problem(t, http.StatusNotFound, api.ProblemUnknownScript)
	if want := `no script named "px/service_let" in the catalog`; p.Detail != want {
		t.Errorf("detail: got %q, want %q", p.Detail, want)
	}
}

// TestRunExecFuncs: func and args reach Vizier as exec_funcs.
func TestRunExecFuncs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	script := strings.TrimSuffix(letScript(t), "df = inbound_let_timeseries(\"-2m\", \"default/consumer\")\npx.display(df, 'output')\n")
	resp := e.run(t, map[string]any{
		"script": script,
		"func":   "inbound_let_timeseries",
		"args":   map[string]string{"start_time": "-2m", "service": "default/consumer"},
	})
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusOK, resp.body)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 || len(reqs[0].Req.GetExecFuncs()) != 1 {
		t.Fatalf("exec_funcs at the fake: got %v, want one", reqs)
	}
	f := reqs[0].Req.GetExecFuncs()[0]
	if f.GetFuncName() != "inbound_let_timeseries" || f.GetOutputTablePrefix() != "output" {
		t.Errorf("func_name, output_table_prefix: got %q, %q; want inbound_let_timeseries, output", f.GetFuncName(), f.GetOutputTablePrefix())
	}
	var args []string
	for _, a := range f.GetArgValues() {
		args = append(args, a.GetName()+"="+a.GetValue())
	}
	if want := []string{"service=default/consumer", "start_time=-2m"}; !slices.Equal(args, want) {
		t.Errorf("arg_values: got %v, want %v", args, want)
	}
	if reqs[0].Req.GetQueryStr() != script {
		t.Errorf("query_str: want the script as sent")
	}
}

// TestRunMaxRows: max_rows cuts the rows returned, while the verdict still
// sees every row.
func TestRunMaxRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3000)}}))
	resp := e.run(t, map[string]any{
		"script":   letScript(t),
		"max_rows": 10,
		"tolerances": []any{
			map[string]any{"expect": "count() == 3000"},
			map[string]any{"column": "latency_p99", "aggregate": "max", "unit": "ms", "equals": 210},
		},
	})
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d, want %d\n%s", resp.status, http.StatusOK, resp.body)
	}
	got := resp.runResponse(t)
	tbl := got.Tables[0]
	if len(tbl.Rows) != 10 || tbl.RowCount != 10 || tbl.TotalRows != 3000 || !tbl.Truncated {
		t.Errorf("rows, row_count, total_rows, truncated: got %d, %d, %d, %v; want 10, 10, 3000, true",
			len(tbl.Rows), tbl.RowCount, tbl.TotalRows, tbl.Truncated)
	}
	for _, c := range got.Verdict.Checks {
		if !c.Passed || c.RowsEvaluated != 3000 {
			t.Errorf("check %q: got passed %v over %d rows, want a pass over 3000 (%s)", c.Name, c.Passed, c.RowsEvaluated, c.Message)
		}
	}
}

// TestRunTables: tables filters what is returned, not what is checked; a
// table the query did not produce is a 400 naming those it did.
func TestRunTables(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{
		letTable("output", 12),
		fakevizier.NewTable("errors", fakevizier.StringCol("service", pixie.STServiceName, "a", "b")),
	}}))
	got := e.run(t, map[string]any{
		"script":     letScript(t),
		"tables":     []string{"errors"},
		"tolerances": []any{compatTolerance(300), map[string]any{"table": "errors", "expect": "count() == 2"}},
	}).runResponse(t)
	if len(got.Tables) != 1 || got.Tables[0].Name != "errors" {
		t.Errorf("tables: got %+v, want only errors", got.Tables)
	}
	if !got.Verdict.Passed {
		t.Errorf("verdict: got %+v, want the output table checked too", got.Verdict)
	}

	p := e.run(t, map[string]any{"script": letScript(t), "tables": []string{"outptu"}}).
		problem(t, http.StatusBadRequest, api.ProblemUnknownTable)
	if want := []string{"output", "errors"}; !slices.Equal(p.AvailableTables, want) {
		t.Errorf("available_tables: got %v, want %v", p.AvailableTables, want)
	}
}

func TestRunDemo(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.Demo = pxldemo.New(pxldemo.Options{}) })
	if got := e.run(t, letRequest(t, 300)).runResponse(t); !got.Demo {
		t.Errorf("demo: got false, want true")
	}
}

// TestRunEncodesEveryType checks the exact JSON of each column type,
// including key order.
func TestRunEncodesEveryType(t *testing.T) {
	t.Parallel()
	ts := time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC).UnixNano()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("output",
		fakevizier.BoolCol("ok", pixie.STNone, true, false, true),
		fakevizier.Int64Col("n", pixie.STNone, -42, math.MaxInt64, 0),
		fakevizier.UInt128Col("upid", pixie.STUPID,
			&vizierpb.UInt128{High: 0x0123456789abcdef, Low: 0xfedcba9876543210}, &vizierpb.UInt128{}, &vizierpb.UInt128{High: 1, Low: 2}),
		fakevizier.Float64Col("f", pixie.STNone, 1.5, math.NaN(), math.Inf(-1)),
		fakevizier.BytesCol("s", pixie.STNone, []byte("a\xffb"), []byte("q\"\\\n\t\x01<é>"), []byte{}),
		fakevizier.TimeCol("t", pixie.STTimeNS, ts, 0, -1),
	)}}))
	resp := e.run(t, `{"script": "import px\npx.display(df)"}`)
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d\n%s", resp.status, resp.body)
	}
	resp.runResponse(t) // valid JSON of the right shape
	want := `"rows":[` +
		`{"ok":true,"n":-42,"upid":"01234567-89ab-cdef-fedc-ba9876543210","f":1.5,"s":"a\ufffdb","t":"2026-03-04T05:06:07.000000008Z"},` +
		`{"ok":false,"n":9223372036854775807,"upid":"00000000-0000-0000-0000-000000000000","f":null,"s":"q\"\\\n\t\u0001<é>","t":"1970-01-01T00:00:00.000000000Z"},` +
		`{"ok":true,"n":0,"upid":"00000000-0000-0001-0000-000000000002","f":null,"s":"","t":"1969-12-31T23:59:59.999999999Z"}]`
	if !contains(string(resp.body), want) {
		t.Errorf("rows: got\n%s\nwant it to contain\n%s", resp.body, want)
	}
	wantCols := `"columns":[{"name":"ok","type":"BOOLEAN","semantic_type":"ST_NONE"},{"name":"n","type":"INT64","semantic_type":"ST_NONE"},` +
		`{"name":"upid","type":"UINT128","semantic_type":"ST_UPID"},{"name":"f","type":"FLOAT64","semantic_type":"ST_NONE"},` +
		`{"name":"s","type":"STRING","semantic_type":"ST_NONE"},{"name":"t","type":"TIME64NS","semantic_type":"ST_TIME_NS"}]`
	if !contains(string(resp.body), wantCols) {
		t.Errorf("columns: got\n%s\nwant it to contain\n%s", resp.body, wantCols)
	}
}

// TestRunNoTolerancesPasses: without tolerances the verdict passes with no
// checks (encoded as [], not null).
func TestRunNoTolerancesPasses(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	resp := e.run(t, map[string]any{"script": letScript(t)})
	if resp.status != http.StatusOK || !contains(string(resp.body), `"verdict":{"passed":true,"checks":[]}`) {
		t.Errorf("got %d %s, want 200 and an empty passing verdict", resp.status, resp.body)
	}
}

// TestLogsHoldNoSecrets: request logs never carry the API key, the PxL or
// the caller's headers.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/v1/run",
		strings.NewReader(`{"script": "import px\n# secret-in-script\npx.display(df)"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer secret-token")
	e.done(t, e.send(t, req), e.run(t, `{"script": "x", "tolerances": [{"column": "secret-in-tolerance"}]}`))
	logs := e.logs.String()
	for _, secret := range []string{testAPIKey, "secret-in-script", "secret-token", "secret-in-tolerance"} {
		if contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
	if !contains(logs, `"route":"/v1/run"`) {
		t.Errorf("logs: want a request line with the route\n%s", logs)
	}
}

// TestRunCallerGoesAway: when the caller disconnects, the Vizier stream is
// cancelled and the query counts as canceled, not as an error.
func TestRunCallerGoesAway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, Hang: true}))
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/run", strings.NewReader(`{"script": "px.display(df)"}`))
	if err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1) // the answer's status; 0: the request failed
	go func() {
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	// Cancel once the query is running at the fake.
	testwait.Until(t, "the query to run at the fake", func() bool { return len(e.fake.Requests()) > 0 })
	cancel()
	if st := <-status; st != 0 {
		t.Fatalf("got status %d, want the request cancelled", st)
	}
	wait, stop := context.WithTimeout(t.Context(), time.Minute) // a bound for a stream never cancelled
	defer stop()
	if err := e.fake.WaitIdle(wait); err != nil {
		t.Fatalf("the Vizier stream is still running: %v", err)
	}
	// The handler finishes after the stream; poll the metrics. The query
	// is counted in the handler, the request by the middleware after it:
	// wait for both.
	testwait.Until(t, "the query counted as canceled and the request with code 499", func() bool {
		metrics := string(e.do(t, http.MethodGet, "/metrics", "", nil).body)
		return contains(metrics, `pxgate_pixie_queries_total{outcome="canceled"} 1`) &&
			contains(metrics, `pxgate_http_requests_total{code="499",method="POST",route="/v1/run"} 1`)
	})
}

// A stream that breaks after rows arrived says so: Pixie was reached.
func TestRunStreamBrokenMidway(t *testing.T) {
	t.Parallel()
	broken := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 3}))
	p := broken.run(t, letRequest(t, 300)).problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
	if !strings.Contains(p.Detail, "Pixie's result stream broke") || !strings.Contains(p.Detail, "broke after 8 rows") || strings.Contains(p.Detail, "could not be reached") {
		t.Errorf("detail %q, want the stream broken after 8 rows", p.Detail)
	}
	early := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 1}))
	if p := early.run(t, letRequest(t, 300)).problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable); !strings.Contains(p.Detail, "could not be reached") {
		t.Errorf("no row yet: detail %q, want could not be reached", p.Detail)
	}
}

// A check on a column its table lacks is a mistake in the request, not a
// deviation: the schema is known even without rows, so it is a 400 naming
// the columns there are, before any row goes out, in every form and format.
func TestRunMissingColumnIsA400(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	empty := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 0)}}))
	other := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("let", 12)}}))
	post := func(e *env, tol map[string]any) response {
		return e.run(t, map[string]any{"script": letScript(t), "tolerances": []any{tol}})
	}
	get := func(e *env, query string) response { return e.do(t, http.MethodGet, letRun+"?"+query, "", nil) }
	postCSV := func(e *env, tol map[string]any) response {
		body, err := json.Marshal(map[string]any{"script": letScript(t), "tolerances": []any{tol}})
		if err != nil {
			t.Fatal(err)
		}
		return e.do(t, http.MethodPost, "/v1/run?format=csv", api.ContentTypeJSON, bytes.NewReader(body))
	}
	for _, tc := range []struct {
		name   string
		resp   response
		column string
	}{
		{"expect on GET (the issue's own)", get(e, "service=default/consumer&expect=p99(latency_p999)<300ms"), "latency_p999"},
		{"expect on GET, NDJSON: refused before any row", get(e, "service=default/consumer&format=ndjson&expect=p99(latency_p999)<300ms"), "latency_p999"},
		{"expect on GET, CSV", get(e, "service=default/consumer&format=csv&expect=max(nope)<1"), "nope"},
		{"JSON form", post(e, map[string]any{"column": "nope", "aggregate": "max", "below": 1e18}), "nope"},
		{"compatibility form", post(e, map[string]any{"func": "percentile_should_be_below", "arguments": map[string]any{"column": "latency_p999", "percentile": 99, "treshold": 300.0}}), "latency_p999"},
		{"a table without rows", post(empty, map[string]any{"expect": "max(nope) < 1"}), "nope"},
		{"the only table, not called output (known at the end)", post(other, map[string]any{"expect": "max(nope) < 1"}), "nope"},
		{"a table named by the check", post(other, map[string]any{"table": "let", "expect": "max(nope) < 1"}), "nope"},
		{"a CSV held for its verdict, the table known at the end", postCSV(other, map[string]any{"expect": "max(nope) < 1"}), "nope"},
		{"a probe: a broken scrape configuration is no failing system", e.do(t, http.MethodGet, "/probe?script=service_let&service=default/consumer&expect=max(nope)<1", "", nil), "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.resp.problem(t, http.StatusBadRequest, api.ProblemInvalidTolerance)
			if !slices.Contains(p.AvailableColumns, "latency_p99") || !strings.Contains(p.Detail, `"`+tc.column+`"`) ||
				len(p.Errors) != 1 || p.Errors[0].Field != "tolerances[0]" {
				t.Errorf("problem %+v, want the missing %q, the available columns and tolerances[0]", p, tc.column)
			}
		})
	}
	// A column that exists is checked as before, rows or not.
	if r := post(e, map[string]any{"expect": "p99(latency_p99) < 1000s"}); r.status != http.StatusOK {
		t.Errorf("an existing column: got %d\n%s", r.status, r.body)
	}
}
