package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"github.com/pxgate/pxgate/pixie"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// streamed is a streamed answer, read completely, with its trailers.
type streamed struct {
	response
	trailer http.Header
}

// get sends a GET with the given Accept header (none if empty) and reads
// the answer and its trailers.
func (e *env) get(t testing.TB, path, accept string) streamed {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return streamed{response: response{status: resp.StatusCode, header: resp.Header, body: b, req: req}, trailer: resp.Trailer}
}

// verdictOf is the X-Pxgate-Verdict of an answer: a trailer once rows
// went out, a header otherwise.
func (s streamed) verdictOf() string {
	if v := s.trailer.Get(api.TrailerVerdict); v != "" {
		return v
	}
	return s.header.Get(api.TrailerVerdict)
}

// ndjsonLines splits an NDJSON answer into its row lines and final line,
// checking that every row line is exactly {"table", "row"}.
func ndjsonLines(t testing.TB, body []byte) (rows []api.StreamRow, end api.StreamEnd) {
	t.Helper()
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	for i, line := range lines {
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if i == len(lines)-1 {
			if err := dec.Decode(&end); err != nil {
				t.Fatalf("final line %q: %v", line, err)
			}
			continue
		}
		var row api.StreamRow
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("line %d %q: %v", i, line, err)
		}
		rows = append(rows, row)
	}
	return rows, end
}

// typesPlan has a LET output table and a table of every other type.
func typesPlan() *fakevizier.Plan {
	return &fakevizier.Plan{Tables: []*fakevizier.Table{
		letTable("output", 12),
		fakevizier.NewTable("types",
			fakevizier.BoolCol("b", pixie.STNone, true, false),
			fakevizier.UInt128Col("u", pixie.STUPID, &vizierpb.UInt128{High: 1, Low: 2}, &vizierpb.UInt128{}),
			fakevizier.BytesCol("s", pixie.STNone, []byte("a,\"b\"\nc"), []byte("\xff")),
			fakevizier.Float64Col("f", pixie.STNone, math.NaN(), 1.5),
			fakevizier.TimeCol("t", pixie.STTimeNS, letBase.UnixNano(), 0),
		),
	}, BatchRows: 5}
}

const letRun = "/v1/scripts/service_let/run"

func TestNDJSONStreamsRowsThenTheVerdict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(typesPlan()))
	resp := e.get(t, letRun+"?format=ndjson&expect=p99(latency_p99)<300ms", "")
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); ct != api.ContentTypeNDJSON {
		t.Errorf("Content-Type: got %q, want %q", ct, api.ContentTypeNDJSON)
	}
	rows, end := ndjsonLines(t, resp.body)
	if len(rows) != 14 {
		t.Fatalf("row lines: got %d, want 12 + 2", len(rows))
	}
	// Keys in column order, values as in JSON answers.
	first := resp.body[:bytes.IndexByte(resp.body, '\n')]
	if want := `{"table":"output","row":{"time_":"2026-01-02T15:04:00.000000000Z","latency_p50":50000000,"latency_p90":80000000,"latency_p99":100000000,`; !bytes.HasPrefix(first, []byte(want)) {
		t.Errorf("first line:\ngot  %s\nwant %s...", first, want)
	}
	var types []map[string]any
	for _, r := range rows {
		if r.Table == "types" {
			types = append(types, r.Row)
		}
	}
	want := []map[string]any{
		{"b": true, "u": "00000000-0000-0001-0000-000000000002", "s": "a,\"b\"\nc", "f": nil, "t": "2026-01-02T15:04:00.000000000Z"},
		{"b": false, "u": "00000000-0000-0000-0000-000000000000", "s": "\ufffd", "f": 1.5, "t": "1970-01-01T00:00:00.000000000Z"},
	}
	if len(types) != 2 || mustJSONString(t, types) != mustJSONString(t, want) {
		t.Errorf("types rows: got %v, want %v", types, want)
	}
	if end.Verdict == nil || !end.Verdict.Passed || len(end.Verdict.Checks) != 1 || end.Verdict.Checks[0].RowsEvaluated != 12 {
		t.Errorf("final verdict: got %+v, want one passing check over 12 rows", end.Verdict)
	}
	if end.Stats == nil || end.QueryID == "" || end.ClusterID != testClusterID || end.ScriptName != "service_let" || end.Error != nil {
		t.Errorf("final line: got %+v", end)
	}
	if len(end.Tables) != 2 || end.Tables[0].Name != "output" || end.Tables[0].RowCount != 12 || end.Tables[1].RowCount != 2 || len(end.Tables[0].Columns) != 8 {
		t.Errorf("final tables: got %+v", end.Tables)
	}
	if got := resp.verdictOf(); got != "pass" || resp.trailer.Get(api.TrailerVerdict) != "pass" {
		t.Errorf("X-Pxgate-Verdict trailer: got %q (trailers %v)", got, resp.trailer)
	}
}

// TestStatusRecordedIsSent: a run whose one large batch is still encoding
// on another core when the query ends is recorded with the status that
// went out, in every streamed format (the rows are written before the
// status is chosen, as if encoded when they came).
func TestStatusRecordedIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3000)}, BatchRows: 3000}),
		func(o *handlers.Options) { o.MaxRows = 3000 })
	for i, format := range []string{"ndjson", "csv", "json"} {
		resp := e.get(t, letRun+"?format="+format+"&expect=count()==0", "")
		runs := e.runList(t, "")
		if len(runs) != i+1 || resp.status != runs[0].Status {
			t.Errorf("%s: sent %d, recorded %+v", format, resp.status, runs[0])
		}
	}
}

func TestNDJSONIsFlushedPerBatch(t *testing.T) {
	t.Parallel()
	// One row per batch; the stream then hangs after its first batch, so
	// the query runs until the caller leaves: the first row must reach the
	// caller while it still runs (a gateway holding rows to the end would
	// send nothing until the query's timeout).
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 1, HangAfter: 2}))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+letRun+"?format=ndjson", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
	if err != nil || !bytes.HasPrefix(line, []byte(`{"table":"output","row":`)) {
		t.Fatalf("first line: got %q, %v", line, err)
	}
	if n := e.fake.ActiveStreams(); n != 1 {
		t.Errorf("the first row arrived after the query ended (active streams %d): rows are not flushed as batches arrive", n)
	}
}

func TestStreamedFormatsAndStatuses(t *testing.T) {
	t.Parallel()
	let := newEnv(t, fakevizier.StaticHandler(typesPlan()))
	empty := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 0)}}))
	compile := newEnv(t, fakevizier.CompileErrorHandler(fakevizier.CompilerError(3, 1, "invalid syntax")))
	// The stream breaks after the metadata and the first batch.
	broken := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2}))
	// Vizier itself ends the stream with Canceled after the first batch.
	canceled := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2, AbortCode: codes.Canceled}))
	// The timeout strikes after the first batch went into the answer: the
	// stream hangs after it, and the query's deadline takes effect only
	// once those rows are in (gateOnRows), however slow the machine.
	slow := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, HangAfter: 2}), gateOnRows)
	// The timeout strikes before any row: the stream hangs after the
	// metadata.
	hung := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, Hang: true}))

	for _, tc := range []struct {
		name        string
		env         *env
		path        string
		accept      string
		wantStatus  int
		wantType    string // Content-Type, or the problem's type for a problem
		wantVerdict string
		check       func(t *testing.T, s streamed)
	}{
		{
			name: "Accept text/csv picks CSV", env: let, path: letRun, accept: "text/csv",
			wantStatus: 200, wantType: "text/csv; charset=utf-8", wantVerdict: "pass",
		},
		{
			name: "the best Accept q wins", env: let, path: letRun, accept: "application/json;q=0.5, application/x-ndjson",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "pass",
		},
		{
			name: "format= wins over Accept", env: let, path: letRun + "?format=json", accept: "text/csv",
			wantStatus: 200, wantType: api.ContentTypeJSON,
		},
		{
			name: "a browser's Accept gets JSON", env: let, path: letRun, accept: "text/html,application/xhtml+xml,*/*;q=0.8",
			wantStatus: 200, wantType: api.ContentTypeJSON,
		},
		{
			name: "an unknown format is a 400", env: let, path: letRun + "?format=xml",
			wantStatus: 400, wantType: api.ProblemInvalidRequest,
		},
		{
			name: "a verdict failing after rows is a 200 with a failing end", env: let, path: letRun + "?format=ndjson&expect=p99(latency_p99)<1ms",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 14 || end.Verdict == nil || end.Verdict.Passed || !strings.Contains(end.Verdict.Checks[0].Message, "fail") {
					t.Errorf("got %d rows and verdict %+v, want 14 rows and a failed verdict", len(rows), end.Verdict)
				}
			},
		},
		{
			name: "a CSV with a failing check is held and answers 417", env: let, path: letRun + "?format=csv&expect=p99(latency_p99)<1ms",
			wantStatus: 417, wantType: "text/csv; charset=utf-8", wantVerdict: "fail",
		},
		{
			name: "a verdict failing before any row keeps 417", env: empty, path: letRun + "?format=ndjson&expect=count()>0",
			wantStatus: 417, wantType: api.ContentTypeNDJSON, wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 0 || end.Verdict == nil || end.Verdict.Passed || len(end.Tables) != 1 || end.Tables[0].RowCount != 0 {
					t.Errorf("got %d rows and end %+v, want the final line only", len(rows), end)
				}
			},
		},
		{
			name: "a CSV without rows and with fail_status keeps it", env: empty, path: letRun + "?format=csv&expect=count()>0&fail_status=503",
			wantStatus: 503, wantType: "text/csv; charset=utf-8", wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				if got := string(s.body); got != "time_,latency_p50,latency_p90,latency_p99,request_throughput,errors_per_ns,error_rate,bytes_per_ns\n" {
					t.Errorf("body: got %q, want the header row", got)
				}
			},
		},
		{
			name: "a compile error is a problem", env: compile, path: letRun + "?format=ndjson",
			wantStatus: 400, wantType: api.ProblemCompileError,
		},
		{
			name: "an error after rows goes into the final line", env: broken, path: letRun + "?format=ndjson",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 4 || end.Error == nil || end.Error.Type != api.ProblemPixieUnavailable || end.Verdict != nil || end.Error.RequestID == "" {
					t.Errorf("got %d rows and end %+v, want 4 rows and a pixie-unavailable error", len(rows), end)
				}
				if got := s.trailer.Get(api.TrailerError); !strings.HasPrefix(got, api.ProblemPixieUnavailable+" ") {
					t.Errorf("X-Pxgate-Error trailer: got %q", got)
				}
				if l := broken.logLine(t, s.response); l["status"] != float64(http.StatusOK) || l["problem_type"] != "pixie-unavailable" {
					t.Errorf("log line %v, want status 200 with the problem that cut the stream", l)
				}
			},
		},
		{
			name: "a CSV error after rows is in the trailers", env: broken, path: letRun + "?format=csv",
			wantStatus: 200, wantType: "text/csv; charset=utf-8", wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				if got := s.trailer.Get(api.TrailerError); !strings.HasPrefix(got, api.ProblemPixieUnavailable+" ") {
					t.Errorf("X-Pxgate-Error trailer: got %q", got)
				}
			},
		},
		{
			name: "a held CSV broken after rows is a 502 problem", env: broken, path: letRun + "?format=csv&expect=count()>0",
			wantStatus: 502, wantType: api.ProblemPixieUnavailable,
		},
		{
			name: "a held CSV that Vizier cancels is a 502 problem, not a pass", env: canceled, path: letRun + "?format=csv&expect=count()>0",
			wantStatus: 502, wantType: api.ProblemPixieExecution,
		},
		{
			name: "a JSON run that Vizier cancels is a 502", env: canceled, path: letRun + "?expect=count()>0",
			wantStatus: 502, wantType: api.ProblemPixieExecution,
		},
		{
			name: "a held CSV timing out after rows is a 504 problem", env: slow, path: letRun + "?format=csv&expect=count()>0&timeout=200ms",
			wantStatus: 504, wantType: api.ProblemPixieTimeout,
			check: func(t *testing.T, s streamed) {
				// The rows held (the first batch's 4) are dropped.
				if bytes.Contains(s.body, []byte("latency_p99")) {
					t.Errorf("body: got rows in the problem\n%s", s.body)
				}
			},
		},
		{
			name: "an NDJSON stream timing out after rows ends with the timeout", env: slow, path: letRun + "?format=ndjson&timeout=200ms",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 4 || end.Error == nil || end.Error.Type != api.ProblemPixieTimeout || end.Verdict != nil {
					t.Errorf("got %d rows and end %+v, want 4 rows and a pixie-timeout", len(rows), end)
				}
				if got := s.trailer.Get(api.TrailerError); !strings.HasPrefix(got, api.ProblemPixieTimeout+" ") {
					t.Errorf("X-Pxgate-Error trailer: got %q", got)
				}
			},
		},
		{
			name: "a CSV stream timing out after rows says so in its trailers", env: slow, path: letRun + "?format=csv&timeout=200ms",
			wantStatus: 200, wantType: "text/csv; charset=utf-8", wantVerdict: "fail",
			check: func(t *testing.T, s streamed) {
				if got := s.trailer.Get(api.TrailerError); !strings.HasPrefix(got, api.ProblemPixieTimeout+" ") {
					t.Errorf("X-Pxgate-Error trailer: got %q", got)
				}
			},
		},
		{
			name: "a held CSV timing out before any row is a 504 problem", env: hung, path: letRun + "?format=csv&expect=count()>0&timeout=200ms",
			wantStatus: 504, wantType: api.ProblemPixieTimeout,
		},
		{
			name: "max_rows caps each table and says so", env: let, path: letRun + "?format=ndjson&max_rows=3&expect=count()==12",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "pass",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 5 || end.Tables[0].RowCount != 3 || end.Tables[0].TotalRows != 12 || !end.Tables[0].Truncated || end.Tables[1].Truncated {
					t.Errorf("got %d rows and tables %+v, want 3 + 2 rows, output truncated", len(rows), end.Tables)
				}
				if s.trailer.Get(api.TrailerTruncated) != "true" {
					t.Errorf("X-Pxgate-Truncated trailer: got %v", s.trailer)
				}
			},
		},
		{
			name: "table= keeps one table", env: let, path: letRun + "?format=ndjson&table=types",
			wantStatus: 200, wantType: api.ContentTypeNDJSON, wantVerdict: "pass",
			check: func(t *testing.T, s streamed) {
				rows, end := ndjsonLines(t, s.body)
				if len(rows) != 2 || len(end.Tables) != 1 || end.Tables[0].Name != "types" {
					t.Errorf("got %d rows and tables %+v, want the 2 rows of types", len(rows), end.Tables)
				}
			},
		},
		{
			name: "a CSV of the table named", env: let, path: letRun + "?format=csv&table=types",
			wantStatus: 200, wantType: "text/csv; charset=utf-8", wantVerdict: "pass",
			check: func(t *testing.T, s streamed) {
				want := "b,u,s,f,t\n" +
					"true,00000000-0000-0001-0000-000000000002,\"a,\"\"b\"\"\nc\",,2026-01-02T15:04:00.000000000Z\n" +
					"false,00000000-0000-0000-0000-000000000000,\ufffd,1.5,1970-01-01T00:00:00.000000000Z\n"
				if got := string(s.body); got != want {
					t.Errorf("body:\ngot  %q\nwant %q", got, want)
				}
			},
		},
		{
			name: "a CSV of a table the query did not produce is a 400", env: let, path: letRun + "?format=csv&table=nope",
			wantStatus: 400, wantType: api.ProblemUnknownTable,
		},
		{
			name: "a CSV of two tables is a 400", env: let, path: letRun + "?format=csv&tables=output,types",
			wantStatus: 400, wantType: api.ProblemInvalidRequest,
		},
		{
			name: "max_rows above the streaming limit is a 400", env: let, path: letRun + "?format=csv&max_rows=2000001",
			wantStatus: 400, wantType: api.ProblemInvalidRequest,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.env.get(t, tc.path, tc.accept)
			if s.status != tc.wantStatus {
				t.Fatalf("status: got %d, want %d\n%s", s.status, tc.wantStatus, s.body)
			}
			if strings.HasPrefix(tc.wantType, api.ProblemTypePrefix) {
				s.problem(t, tc.wantStatus, tc.wantType)
				return
			}
			if ct := s.header.Get("Content-Type"); ct != tc.wantType {
				t.Errorf("Content-Type: got %q, want %q", ct, tc.wantType)
			}
			if tc.wantVerdict != "" {
				if got := s.verdictOf(); got != tc.wantVerdict {
					t.Errorf("X-Pxgate-Verdict: got %q, want %q (headers %v, trailers %v)", got, tc.wantVerdict, s.header, s.trailer)
				}
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

func TestCSVChoosesItsTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(typesPlan()))
	// Two tables, one named output: that one.
	s := e.get(t, letRun+"?format=csv", "")
	records, err := csv.NewReader(bytes.NewReader(s.body)).ReadAll()
	if err != nil || s.status != http.StatusOK {
		t.Fatalf("got %d, %v\n%s", s.status, err, s.body)
	}
	if len(records) != 13 || records[0][0] != "time_" || records[1][3] != "100000000" || records[2][0] != "2026-01-02T15:04:10.000000000Z" {
		t.Errorf("records: got %d, first %v, %v", len(records), records[0], records[1])
	}

	// Two tables, none named output: the caller must choose.
	two := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("a", 2), letTable("b", 2)}}))
	p := two.get(t, letRun+"?format=csv", "").problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
	if !slices.Equal(p.AvailableTables, []string{"a", "b"}) {
		t.Errorf("available_tables: got %v", p.AvailableTables)
	}
	if s := two.get(t, letRun+"?format=csv&table=b", ""); s.status != http.StatusOK || bytes.Count(s.body, []byte("\n")) != 3 {
		t.Errorf("table=b: got %d %q", s.status, s.body)
	}
}

// TestCSVEscapesFormulas: text a spreadsheet would run (Pixie records what
// the traffic says) gets a leading apostrophe in CSV unless the caller keeps
// it; numbers and other columns stay as they are, and JSON is untouched.
func TestCSVEscapesFormulas(t *testing.T) {
	t.Parallel()
	paths := []string{"=HYPERLINK(\"http://x\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\tx", "-5", "+1.5e3", "-", "/ok", "-Inf"}
	n := make([]int64, len(paths))
	for i := range n {
		n[i] = int64(-i)
	}
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("output",
		fakevizier.StringCol("req_path", pixie.STNone, paths...),
		fakevizier.Int64Col("n", pixie.STNone, n...),
	)}}))
	column := func(query string) []string {
		t.Helper()
		s := e.get(t, letRun+query, "")
		records, err := csv.NewReader(bytes.NewReader(s.body)).ReadAll()
		if err != nil || s.status != http.StatusOK || len(records) != len(paths)+1 {
			t.Fatalf("%s: got %d, %v\n%s", query, s.status, err, s.body)
		}
		var out []string
		for i, r := range records[1:] {
			out = append(out, r[0])
			if want := strconv.Itoa(-i); r[1] != want {
				t.Errorf("%s: n = %q, want %q", query, r[1], want)
			}
		}
		return out
	}
	want := []string{"'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+cmd|' /C calc'!A0", "'-2+3", "'\tx", "-5", "+1.5e3", "-", "/ok", "'-Inf"}
	if got := column("?format=csv"); !slices.Equal(got, want) {
		t.Errorf("escaped:\n got %q\nwant %q", got, want)
	}
	if got := column("?format=csv&csv_formulas=keep"); !slices.Equal(got, paths) {
		t.Errorf("csv_formulas=keep:\n got %q\nwant %q", got, paths)
	}
	e.get(t, letRun+"?format=csv&csv_formulas=off", "").problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
	if s := e.get(t, letRun, ""); !bytes.Contains(s.body, []byte(`"=HYPERLINK(\"http://x\")"`)) {
		t.Errorf("JSON changed the text: %s", s.body)
	}
}

// TestStreamedPOST: POST bodies take ?format= too.
func TestStreamedPOST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	body := mustJSON(t, map[string]any{"script": letScript(t), "tolerances": []any{compatTolerance(300)}})
	resp := e.do(t, http.MethodPost, "/v1/run?format=ndjson", "application/json", bytes.NewReader(body))
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != api.ContentTypeNDJSON {
		t.Fatalf("got %d %s %s", resp.status, resp.header.Get("Content-Type"), resp.body)
	}
	rows, end := ndjsonLines(t, resp.body)
	if len(rows) != 12 || end.Verdict == nil || !end.Verdict.Passed {
		t.Errorf("got %d rows, verdict %+v", len(rows), end.Verdict)
	}
	resp = e.do(t, http.MethodPost, "/v1/scripts/service_let/run?format=csv", "application/json", strings.NewReader(`{"args": {"service": "default/consumer"}}`))
	if resp.status != http.StatusOK || bytes.Count(resp.body, []byte("\n")) != 13 {
		t.Errorf("got %d %q", resp.status, resp.body)
	}
}

// TestStreamStopsWhenTheCallerLeaves: a caller that stops reading ends the
// Pixie query rather than leaving it to run.
func TestStreamStopsWhenTheCallerLeaves(t *testing.T) {
	t.Parallel()
	// The stream hangs after its first row: only the caller leaving can
	// end it.
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 200)}, BatchRows: 1, HangAfter: 2}))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+letRun+"?format=ndjson", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadBytes('\n'); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := e.fake.WaitIdle(t.Context()); err != nil {
		t.Fatalf("the query still runs after the caller left: %v", err)
	}
	recs := e.fake.Requests()
	if len(recs) != 1 || !recs[0].Cancelled {
		t.Errorf("the fake's stream: got %+v, want it cancelled", recs)
	}
}

// TestStreamedUnavailable: Pixie down before any row is the usual 502.
func TestStreamedUnavailable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{GRPCError: status.Error(codes.Unavailable, "down")}))
	e.get(t, letRun+"?format=csv", "").problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
}

func mustJSONString(t testing.TB, v any) string { return string(mustJSON(t, v)) }

// A stream the caller leaves after its 200 went out is logged and counted
// as the 499 the history records, not as the 200 written.
func TestStreamCutIsLoggedAsItEnded(t *testing.T) {
	t.Parallel()
	// A stream that hangs after its first row (only the caller leaving
	// ends it), left after that row.
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 200)}, BatchRows: 1, HangAfter: 2}))
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+letRun+"?format=ndjson", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadBytes('\n'); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first line: %v, status %d", err, resp.StatusCode)
	}
	cancel()
	resp.Body.Close()
	e.srv.Close() // waits for the handler to end
	l := e.logLine(t, response{header: resp.Header})
	if l["status"] != float64(499) || l["written_status"] != float64(http.StatusOK) || l["problem_type"] != nil && l["problem_type"] != "canceled" {
		t.Errorf("log line %v, want status 499 written as 200", l)
	}
	route := map[string]string{"route": "/v1/scripts/*", "method": "GET"}
	if n200, n499 := e.counter(t, "pxgate_http_requests_total", route, "200"), e.counter(t, "pxgate_http_requests_total", route, "499"); n200 != 0 || n499 != 1 {
		t.Errorf("pxgate_http_requests_total: %v counted as 200, %v as 499; want the one request as 499", n200, n499)
	}
}

// counter is the value of the counter name whose labels include labels
// and whose code is code (0 when there is none), read from the registry.
func (e *env) counter(t testing.TB, name string, labels map[string]string, code string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			if have["code"] != code {
				continue
			}
			for k, v := range labels {
				if have[k] != v {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
