package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/testlog"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// The run pipeline without HTTP: decodeRun -> validate -> prepare
// (max_rows, tolerances, resolve, permit) -> runQuery (admit, execute,
// verdict), against a fake Vizier on loopback through the real client.

const (
	pipelineKey     = "px-api-pipeline-4b1d"
	pipelineCluster = "0f6c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5"
)

// pipelineFake answers a script containing "broken" with a compile error
// and any other (that displays a table) with three rows of latency.
func pipelineFake(_ context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
	if p := fakevizier.CheckDisplay(req); p != nil {
		return p
	}
	if strings.Contains(req.GetQueryStr(), "broken") {
		return &fakevizier.Plan{CompileErrors: []*vizierpb.CompilerError{fakevizier.CompilerError(2, 5, "name 'brokn' is not defined")}}
	}
	base := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC).UnixNano()
	return &fakevizier.Plan{Tables: []*fakevizier.Table{fakevizier.NewTable("output",
		fakevizier.TimeCol("time_", pixie.STTimeNS, base, base+1e9, base+2e9),
		fakevizier.Int64Col("latency", pixie.STDurationNS, 100e6, 200e6, 250e6),
	)}}
}

// newPipelineServer is a server whose Pixie is the real client of a fake
// Vizier answering with pipelineFake.
func newPipelineServer(t *testing.T, mod func(*Options)) *server {
	t.Helper()
	fake, err := fakevizier.Start(fakevizier.Options{APIKey: pipelineKey, ClusterID: pipelineCluster, Handler: pipelineFake})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := vizier.New(vizier.Config{DirectAddr: fake.Addr(), Plaintext: true, APIKey: pipelineKey, ClusterID: pipelineCluster})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	logs := new(testlog.Buffer)
	t.Cleanup(func() { t.Logf("gateway log:\n%s", logs.String()) })
	opts := Options{
		Pixie:            client,
		Logger:           slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		DefaultClusterID: pipelineCluster,
		MaxRows:          100,
		DefaultTimeout:   10 * time.Second,
		MaxTimeout:       time.Minute,
		MaxBodyBytes:     4 << 10,
	}
	if mod != nil {
		mod(&opts)
	}
	return newServer(opts)
}

// runPipeline runs a POST body through every step, as POST /v1/run does
// for a JSON answer, rows going into col.
func (s *server) runPipeline(ctx context.Context, ct string, body io.Reader, col *pixie.Collector) (ran, error) {
	req, err := decodeRun(ct, http.MaxBytesReader(nil, io.NopCloser(body), s.opts.MaxBodyBytes))
	if err == nil {
		err = validate(req)
	}
	if err != nil {
		return ran{}, err
	}
	p, err := s.prepare(ctx, req, formatJSON)
	if err != nil {
		return ran{}, err
	}
	l := s.budget.lease()
	defer l.release()
	return s.runQuery(ctx, p, col, l)
}

const (
	pipelineScript = `import px\ndf = px.DataFrame(table='http_events')\npx.display(df, 'output')`
	pipelineBody   = `{"script": "` + pipelineScript + `", "tolerances": [{"expect": "max(latency) < 300ms"}]}`
)

func TestRunPipeline(t *testing.T) {
	t.Parallel()
	type want struct {
		ran        bool   // the query ran
		passed     bool   // the verdict passed (no error)
		rows       int    // rows collected
		status     int    // the failure's status (0: none)
		typ        string // the failure's problem type
		field      string // the field the problem names
		detail     string // part of the detail
		retryAfter time.Duration
		canceled   bool
	}
	for _, tc := range []struct {
		name     string
		mod      func(*Options)
		ct, body string
		ctx      func(context.Context) context.Context
		hold     bool // all query slots are taken
		want     want
	}{
		{name: "a passing run collects its rows and its verdict", body: pipelineBody,
			want: want{ran: true, passed: true, rows: 3}},
		{name: "a failing check is a verdict, not an error", body: strings.Replace(pipelineBody, "300ms", "200ms", 1),
			want: want{ran: true, passed: false, rows: 3}},
		{name: "a form body is a 415", ct: "application/x-www-form-urlencoded", body: pipelineBody,
			want: want{status: 415, typ: api.ProblemUnsupportedMediaType, detail: "Content-Type: application/json"}},
		{name: "a body over the limit is a 413", body: `{"script": "` + strings.Repeat("x", 5<<10) + `"}`,
			want: want{status: 413, typ: api.ProblemBodyTooLarge, detail: "4096 bytes"}},
		{name: "broken JSON is a 400", body: `{"script": `,
			want: want{status: 400, typ: api.ProblemInvalidRequest}},
		{name: "no script is a 400 naming it", body: `{"tolerances": []}`,
			want: want{status: 400, typ: api.ProblemInvalidRequest, field: "script"}},
		{name: "max_rows above the limit is a 400 naming it", body: `{"script": "` + pipelineScript + `", "max_rows": 101}`,
			want: want{status: 400, typ: api.ProblemInvalidRequest, field: "max_rows", detail: "limit of 100 rows"}},
		{name: "a tolerance that does not compile is a 400", body: `{"script": "` + pipelineScript + `", "tolerances": [{"expect": "max(latency) <"}]}`,
			want: want{status: 400, typ: api.ProblemInvalidTolerance, field: "tolerances[0]"}},
		{name: "an unknown script_name is a 404", body: `{"script_name": "no_such_script"}`,
			want: want{status: 404, typ: api.ProblemUnknownScript, field: "script_name"}},
		{name: "inline PxL on a named-only gateway is a 403", body: pipelineBody, mod: func(o *Options) { o.NamedOnly = true },
			want: want{status: 403, typ: api.ProblemInlineForbidden}},
		{name: "a cluster off the allow-list is a 403", body: pipelineBody, mod: func(o *Options) { o.AllowedClusters = []string{"another"} },
			want: want{status: 403, typ: api.ProblemClusterForbidden, field: "cluster_id"}},
		{name: "a mutation is a 403", body: `{"script": "import pxtrace\nimport px\npx.display(px.DataFrame('t'), 'output')"}`,
			want: want{status: 403, typ: api.ProblemMutationForbidden}},
		{name: "no free query slot is a 429 with Retry-After", body: pipelineBody, hold: true,
			mod:  func(o *Options) { o.MaxConcurrent, o.QueueWait = 1, time.Millisecond },
			want: want{status: 429, typ: api.ProblemTooManyQueries, retryAfter: time.Second}},
		{name: "a caller gone while queued is nobody's answer", body: pipelineBody, hold: true,
			mod: func(o *Options) { o.MaxConcurrent, o.QueueWait = 1, time.Hour },
			ctx: func(ctx context.Context) context.Context {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return ctx
			},
			want: want{status: statusClientClosedRequest, canceled: true}},
		{name: "a compile error ran and is a 400 with its position", body: strings.Replace(pipelineBody, "import px", "import px\\nbroken", 1),
			want: want{ran: true, status: 400, typ: api.ProblemCompileError, detail: "line 2, column 5"}},
		{name: "a table the query did not produce is a 400", body: `{"script": "` + pipelineScript + `", "tables": ["missing"]}`,
			want: want{ran: true, status: 400, typ: api.ProblemUnknownTable, field: "tables", detail: `"missing"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newPipelineServer(t, tc.mod)
			if tc.hold {
				s.slots <- struct{}{} // taken by a query that never ends
			}
			ctx := t.Context()
			if tc.ctx != nil {
				ctx = tc.ctx(ctx)
			}
			ct := tc.ct
			if ct == "" {
				ct = api.ContentTypeJSON
			}
			col := &pixie.Collector{}
			res, err := s.runPipeline(ctx, ct, strings.NewReader(tc.body), col)
			if res.ok != tc.want.ran {
				t.Fatalf("ran: got %v, want %v (err %v)", res.ok, tc.want.ran, err)
			}
			if tc.want.status == 0 {
				if err != nil {
					t.Fatalf("err: %v", err)
				}
				if res.verdict == nil || res.verdict.Passed != tc.want.passed {
					t.Errorf("verdict: got %+v, want passed=%v", res.verdict, tc.want.passed)
				}
				if got := col.Lookup("output"); got == nil || got.NumRows != tc.want.rows {
					t.Errorf("rows: got %+v, want %d", got, tc.want.rows)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want a %d", tc.want.status)
			}
			f := s.failure(httptest.NewRequest(http.MethodPost, "/v1/run", nil), err)
			p := f.problem
			if p.Status != tc.want.status || p.Type != tc.want.typ || f.canceled != tc.want.canceled {
				t.Fatalf("got %d %q canceled=%v (%s), want %d %q canceled=%v", p.Status, p.Type, f.canceled, p.Detail, tc.want.status, tc.want.typ, tc.want.canceled)
			}
			if f.retryAfter != tc.want.retryAfter {
				t.Errorf("retry after: got %s, want %s", f.retryAfter, tc.want.retryAfter)
			}
			if !tc.want.canceled && (p.Title == "" || p.Detail == "") {
				t.Errorf("problem lacks a title or detail: %+v", p)
			}
			if !strings.Contains(p.Detail, tc.want.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.want.detail)
			}
			if tc.want.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.want.field) {
				t.Errorf("errors: got %+v, want field %q", p.Errors, tc.want.field)
			}
		})
	}
}

// TestFailWritesRetryAfter: fail sends a problem error's Retry-After, in
// whole seconds rounded up, with the problem.
func TestFailWritesRetryAfter(t *testing.T) {
	t.Parallel()
	s := newServer(Options{Pixie: nopPixie{}})
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{{0, ""}, {time.Millisecond, "1"}, {2 * time.Second, "2"}, {2500 * time.Millisecond, "3"}} {
		pe := api.NewProblemError(api.ProblemTooManyQueries, http.StatusTooManyRequests, "full")
		pe.RetryAfter = tc.after
		w := httptest.NewRecorder()
		s.fail(w, httptest.NewRequest(http.MethodGet, "/v1/runs", nil), pe)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != tc.want {
			t.Errorf("%s: got %d Retry-After %q, want 429 %q", tc.after, w.Code, w.Header().Get("Retry-After"), tc.want)
		}
		if ct := w.Header().Get(headerContentType); ct != api.ContentTypeProblem || !strings.Contains(w.Body.String(), `"detail":"full"`) {
			t.Errorf("%s: got %s %s, want the problem", tc.after, ct, w.Body.String())
		}
	}
}

// nopPixie is a Pixie for tests that never query it.
type nopPixie struct{}

func (nopPixie) Execute(context.Context, pixie.Request, pixie.Sink) (pixie.Summary, error) {
	return pixie.Summary{}, &pixie.Error{Kind: pixie.KindUnavailable, Message: "not in this test"}
}

func (nopPixie) Clusters(context.Context) ([]pixie.Cluster, error) { return nil, nil }
