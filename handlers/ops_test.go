package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	promversion "github.com/prometheus/common/version"

	pxgate "github.com/pxgate/pxgate"
	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/version"
)

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name        string
		path        string
		status      int
		contentType string
		body        string
	}{
		{"healthz answers ok", "/healthz", http.StatusOK, "application/json", `{"status":"ok"}`},
		{"readyz answers ready", "/readyz", http.StatusOK, "application/json", `{"status":"ready"}`},
		{"openapi.yaml is the embedded contract", "/openapi.yaml", http.StatusOK, "application/yaml", string(pxgate.OpenAPI)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := e.do(t, http.MethodGet, tc.path, "", nil)
			if resp.status != tc.status || resp.header.Get("Content-Type") != tc.contentType || string(resp.body) != tc.body {
				t.Errorf("got %d %q %.80q, want %d %q %.80q", resp.status, resp.header.Get("Content-Type"), resp.body, tc.status, tc.contentType, tc.body)
			}
		})
	}
}

// TestReadyzFollowsReady: readiness is the Ready hook, whatever Pixie does.
func TestReadyzFollowsReady(t *testing.T) {
	t.Parallel()
	e := newDownEnv(t) // Pixie down does not make the gateway unready
	if resp := e.do(t, http.MethodGet, "/readyz", "", nil); resp.status != http.StatusOK {
		t.Errorf("ready with Pixie down: got %d, want %d", resp.status, http.StatusOK)
	}
	e.ready.Store(false)
	resp := e.do(t, http.MethodGet, "/readyz", "", nil)
	if resp.status != http.StatusServiceUnavailable || string(resp.body) != `{"status":"not ready"}` {
		t.Errorf("shutting down: got %d %s, want %d and not ready", resp.status, resp.body, http.StatusServiceUnavailable)
	}
	if resp := e.do(t, http.MethodGet, "/healthz", "", nil); resp.status != http.StatusOK {
		t.Errorf("healthz while not ready: got %d, want %d", resp.status, http.StatusOK)
	}
	head := e.do(t, http.MethodHead, "/readyz", "", nil)
	if head.status != http.StatusServiceUnavailable || len(head.body) != 0 {
		t.Errorf("HEAD /readyz while not ready: got %d %q", head.status, head.body)
	}
	if resp := e.do(t, http.MethodHead, "/healthz", "", nil); resp.status != http.StatusOK {
		t.Errorf("HEAD /healthz: got %d, want %d", resp.status, http.StatusOK)
	}
	// Not being ready is a state (starting, draining), not a fault.
	e.done(t, resp, head)
	if strings.Contains(e.logs.String(), `"level":"ERROR"`) {
		t.Errorf("a not-ready answer was logged as an error:\n%s", e.logs.String())
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	resp := e.do(t, http.MethodGet, "/version", "", nil)
	var got api.VersionInfo
	if err := json.Unmarshal(resp.body, &got); err != nil || resp.header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %q %s (%v), want JSON", resp.header.Get("Content-Type"), resp.body, err)
	}
	if want := version.Get(); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	e.done(t, e.do(t, http.MethodGet, "/healthz", "", nil), e.run(t, letRequest(t, 300)), e.run(t, letRequest(t, 200)),
		e.do(t, http.MethodGet, "/no/such/path", "", nil))
	resp := e.do(t, http.MethodGet, "/metrics", "", nil)
	body := string(resp.body)
	v := version.Get()
	for _, want := range []string{
		`pxgate_build_info{branch="` + promversion.Branch + `",goarch="` + promversion.GoArch + `",goos="` + promversion.GoOS +
			`",goversion="` + v.GoVersion + `",revision="` + v.Revision + `",tags="` + promversion.GetTags() + `",version="` + v.Version + `"} 1`,
		`pxgate_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`pxgate_http_requests_total{code="200",method="POST",route="/v1/run"} 1`,
		`pxgate_http_requests_total{code="417",method="POST",route="/v1/run"} 1`,
		`pxgate_http_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`pxgate_http_request_duration_seconds_bucket{method="POST",route="/v1/run",le="+Inf"} 2`,
		`pxgate_pixie_queries_total{outcome="ok"} 2`,
		`pxgate_pixie_queries_total{outcome="timeout"} 0`,
		`pxgate_pixie_query_duration_seconds_count{outcome="ok"} 2`,
		`pxgate_pixie_queries_in_flight 0`,
		`pxgate_verdicts_total{result="pass"} 1`,
		`pxgate_verdicts_total{result="fail"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics: want a line with %q", want)
		}
	}
	if strings.Contains(body, "/no/such/path") || strings.Contains(body, testClusterID) {
		t.Errorf("metrics: raw paths or cluster ids became labels")
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.do(t, http.MethodGet, "/v2/run", "", nil).problem(t, http.StatusNotFound, api.ProblemNotFound)
	resp := e.do(t, http.MethodGet, "/v1/run", "", nil)
	resp.problem(t, http.StatusMethodNotAllowed, api.ProblemMethodNotAllowed)
	if got := resp.header.Values("Allow"); !slices.Equal(got, []string{http.MethodPost}) {
		t.Errorf("Allow: got %v, want [POST]", got)
	}
	resp = e.do(t, http.MethodDelete, "/healthz", "", nil)
	resp.problem(t, http.StatusMethodNotAllowed, api.ProblemMethodNotAllowed)
}

// TestRequestID: a caller's X-Request-Id is kept and echoed; an unsafe one
// is replaced.
func TestRequestID(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name string
		id   string
		keep bool
	}{
		{"a plain id is kept", "ci-run-42/step:3", true},
		{"an id with spaces is replaced", "evil id", false},
		{"an overlong id is replaced", strings.Repeat("x", 200), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/nope", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Request-Id", tc.id)
			p := e.send(t, req).problem(t, http.StatusNotFound, api.ProblemNotFound)
			if got := p.RequestID == tc.id; got != tc.keep {
				t.Errorf("request id %q: got %q, want kept %v", tc.id, p.RequestID, tc.keep)
			}
		})
	}
}

func TestClusters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)

	resp := e.do(t, http.MethodGet, "/v1/clusters", "", nil)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q, want 200 JSON", resp.status, resp.header.Get("Content-Type"))
	}
	var list []api.Cluster
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != testClusterID || !list[0].Default || !list[0].Queryable || list[0].Status != "CS_HEALTHY" {
		t.Fatalf("clusters: got %+v, want the one healthy default cluster", list)
	}

	resp = e.do(t, http.MethodGet, "/v1/clusters/"+testClusterID, "", nil)
	var one api.Cluster
	if err := json.Unmarshal(resp.body, &one); err != nil || resp.status != http.StatusOK || one != list[0] {
		t.Errorf("one cluster: got %d %+v (%v), want %+v", resp.status, one, err, list[0])
	}
	e.do(t, http.MethodGet, "/v1/clusters/00000000-0000-0000-0000-000000000000", "", nil).
		problem(t, http.StatusNotFound, api.ProblemUnknownCluster)

	// An unhealthy Vizier is listed as such, not hidden.
	e.fake.SetHealth(&vizierpb.Status{Code: 14, Message: "no agents"})
	resp = e.do(t, http.MethodGet, "/v1/clusters", "", nil)
	list = nil
	if err := json.Unmarshal(resp.body, &list); err != nil || len(list) != 1 || list[0].Queryable {
		t.Errorf("unhealthy: got %d %s, want the cluster listed as not queryable", resp.status, resp.body)
	}
}

// logLine returns the "http request" log line of the request whose answer
// is resp, decoded, waiting for it: the line (and the request's metrics)
// is written once the handler has returned, and the caller may hold the
// whole answer before that (one larger than net/http's write buffer, or a
// flushed one, reaches it while the handler still runs). A test reads the
// log or the request metrics only after the line of every request they
// should reflect.
func (e *env) logLine(t *testing.T, resp response) map[string]any {
	t.Helper()
	id := resp.header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("the answer has no X-Request-Id: %d %s", resp.status, resp.body)
	}
	var line map[string]any
	testwait.Until(t, "the log line of request "+id, func() bool {
		for l := range strings.SplitSeq(e.logs.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "http request" && m["request_id"] == id {
				line = m
				return true
			}
		}
		return false
	})
	return line
}

// done waits until the requests whose answers are resps are over: their
// log lines written, their metrics counted (see logLine).
func (e *env) done(t *testing.T, resps ...response) {
	t.Helper()
	for _, r := range resps {
		e.logLine(t, r)
	}
}

// TestLogsExplainFailures: the client errors and failed verdicts a user
// debugging a failing experiment meets are logged at Info, the default
// level, with the problem type or the failed checks; secret argument
// values never appear.
func TestLogsExplainFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	for _, tc := range []struct {
		name    string
		resp    response
		status  int
		problem string
		checks  string
	}{
		{"a bad body", e.run(t, "{"), 400, "invalid-request", ""},
		{"not JSON", e.do(t, http.MethodPost, "/v1/run", "text/plain", strings.NewReader("x")), 415, "unsupported-media-type", ""},
		{"an unknown script", e.do(t, http.MethodGet, "/v1/scripts/nope/run", "", nil), 404, "unknown-script", ""},
		{"a misspelled column", e.do(t, http.MethodGet, letRun+"?service=default/consumer&expect=p99(latency_p999)<300ms", "", nil), 400, "invalid-tolerance", ""},
		{"a failed verdict", e.do(t, http.MethodGet, letRun+"?service=default/consumer&expect=p99(latency_p99)<1ms", "", nil), 417, "", "p99(latency_p99)<1ms: "},
		{"a failed verdict naming a secret argument", e.run(t, map[string]any{
			"script": "import px\ndef f(api_token: str):\n    return px.DataFrame('http_events')\n", "func": "f",
			"args":       map[string]string{"api_token": "s3cr3t-logged-check"},
			"tolerances": []any{map[string]any{"name": "p99 as s3cr3t-logged-check", "expect": "max(latency_p99) < 1ms"}},
		}), 417, "", "p99 as <masked>: "},
		{"a failed verdict with its own status", e.run(t, map[string]any{"script": letScript(t), "fail_status": 503, "tolerances": []any{map[string]any{"expect": "max(latency_p99) < 1ms"}}}), 503, "", "max(latency_p99) < 1ms: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.resp.status != tc.status {
				t.Fatalf("status %d, want %d: %s", tc.resp.status, tc.status, tc.resp.body)
			}
			l := e.logLine(t, tc.resp)
			if l["level"] != "INFO" || l["status"] != float64(tc.status) {
				t.Errorf("logged %v at %v, want %d at INFO", l["status"], l["level"], tc.status)
			}
			if got, _ := l["problem_type"].(string); got != tc.problem {
				t.Errorf("problem_type %q, want %q", got, tc.problem)
			}
			if got, _ := l["failed_checks"].(string); !strings.HasPrefix(got, tc.checks) || (tc.checks == "") != (got == "") {
				t.Errorf("failed_checks %q, want it to start with %q", got, tc.checks)
			}
		})
	}
	if strings.Contains(e.logs.String(), "s3cr3t-logged-check") {
		t.Error("a secret argument value reached the log")
	}
}
