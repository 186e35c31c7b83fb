package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/auth"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/testwait"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/scripts"
)

// withCatalog loads the embedded scripts plus a user directory holding
// files (name -> content).
func withCatalog(t *testing.T, files map[string]string) func(*handlers.Options) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, _, err := scripts.Load(scripts.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return func(o *handlers.Options) { o.Catalog = c }
}

const userScript = `import px

def errors_by_path(start_time: str, pod: px.Pod, limit: int = 10):
    ''' Errors of one pod by path.

    @pod: The pod, namespace/name.
    '''
    df = px.DataFrame(table='http_events', start_time=start_time)
    return df.head(limit)
`

func TestListScripts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, withCatalog(t, map[string]string{"errors_by_path.pxl": userScript, "broken.pxl": "def (\n"}))
	resp := e.do(t, http.MethodGet, "/v1/scripts", "", nil)
	if resp.status != http.StatusOK {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	var list api.ScriptList
	if err := json.Unmarshal(resp.body, &list); err != nil {
		t.Fatal(err)
	}
	byName := map[string]api.Script{}
	for _, s := range list.Scripts {
		byName[s.Name] = s
		if s.Source != "" {
			t.Errorf("%s: the list carries sources", s.Name)
		}
	}
	for _, name := range []string{"service_let", "http_endpoints", "pod_resources", "service_map"} {
		s, ok := byName[name]
		if !ok || s.Origin != "embedded" || len(s.Params) == 0 || s.Error != "" {
			t.Errorf("embedded %s: got %+v", name, s)
		}
	}
	user := byName["errors_by_path"]
	if user.Origin != "user" || user.Entry != "errors_by_path" || len(user.Params) != 3 {
		t.Fatalf("user script: got %+v", user)
	}
	if p := user.Params[1]; p.Name != "pod" || p.Type != "px.Pod" || !p.Required || p.Description != "The pod, namespace/name." {
		t.Errorf("pod param: got %+v", p)
	}
	if p := user.Params[2]; p.Type != "int" || p.Default == nil || *p.Default != "10" {
		t.Errorf("limit param: got %+v", p)
	}
	if b := byName["broken"]; b.Error == "" || !strings.Contains(b.Error, "line 1") {
		t.Errorf("broken script: got %+v, want listed with an error and its position", b)
	}

	one := e.do(t, http.MethodGet, "/v1/scripts/service_let", "", nil)
	var s api.Script
	if err := json.Unmarshal(one.body, &s); err != nil || one.status != http.StatusOK {
		t.Fatalf("got %d %s", one.status, one.body)
	}
	if !strings.Contains(s.Source, "def inbound_let_timeseries(start_time: str, service: px.Service):") {
		t.Errorf("source missing: %+v", s)
	}
	e.do(t, http.MethodGet, "/v1/scripts/nope", "", nil).problem(t, http.StatusNotFound, api.ProblemUnknownScript)
}

// TestRunNamedScriptByGET is the acceptance: the LET script by
// name with arguments and a compact tolerance in the query string.
func TestRunNamedScriptByGET(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	q := url.Values{"service": {"default/consumer"}, "start_time": {"-2m"}, "expect": {"p99(latency_p99)<300ms"}}
	resp := e.do(t, http.MethodGet, "/v1/scripts/service_let/run?"+q.Encode(), "", nil)
	got := resp.runResponse(t)
	if resp.status != http.StatusOK || !got.Verdict.Passed || got.ScriptName != "service_let" || len(got.Verdict.Checks) != 1 {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("the fake saw %d requests", len(reqs))
	}
	fns := reqs[0].Req.GetExecFuncs()
	if len(fns) != 1 || fns[0].GetFuncName() != "inbound_let_timeseries" || fns[0].GetOutputTablePrefix() != "output" {
		t.Fatalf("exec_funcs: got %v", fns)
	}
	args := map[string]string{}
	for _, a := range fns[0].GetArgValues() {
		args[a.GetName()] = a.GetValue()
	}
	if args["service"] != "default/consumer" || args["start_time"] != "-2m" || len(args) != 2 {
		t.Errorf("arg_values: got %v", args)
	}
	if !strings.Contains(reqs[0].Req.GetQueryStr(), "def inbound_let_timeseries") {
		t.Errorf("query_str is not the script's source")
	}

	// A threshold below the data: 417, same body shape.
	q.Set("expect", "p99(latency_p99) < 100ms")
	resp = e.do(t, http.MethodGet, "/v1/scripts/service_let/run?"+q.Encode(), "", nil)
	if resp.status != http.StatusExpectationFailed || resp.runResponse(t).Verdict.Passed {
		t.Errorf("got %d %s, want 417", resp.status, resp.body)
	}
}

func TestRunNamedScriptDefaultsAndPOST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	// No arguments at all: the script's own values apply.
	resp := e.do(t, http.MethodGet, "/v1/scripts/service_let/run", "", nil)
	if resp.status != http.StatusOK {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	body := `{"args": {"service": "default/producer"}, "tolerances": [{"expect": "p99(latency_p99) < 300ms"}], "max_rows": 2}`
	resp = e.do(t, http.MethodPost, "/v1/scripts/service_let/run", "application/json", strings.NewReader(body))
	got := resp.runResponse(t)
	if resp.status != http.StatusOK || got.Tables[0].RowCount != 2 {
		t.Fatalf("got %d %s", resp.status, resp.body)
	}
	// script_name in POST /v1/run reaches the same catalog.
	resp = e.run(t, `{"script_name": "service_let", "args": {"service": "default/cart", "start_time": "-5m"}}`)
	if resp.status != http.StatusOK {
		t.Fatalf("script_name: got %d %s", resp.status, resp.body)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("the fake saw %d requests, want 3", len(reqs))
	}
	last := reqs[2].Req.GetExecFuncs()[0].GetArgValues()
	if last[0].GetValue() != "-5m" || last[1].GetValue() != "default/cart" {
		t.Errorf("args: got %v", last)
	}
	first := reqs[0].Req.GetExecFuncs()[0].GetArgValues()
	if first[0].GetValue() != "-2m" || first[1].GetValue() != "default/consumer" {
		t.Errorf("defaults: got %v", first)
	}
	e.do(t, http.MethodPost, "/v1/scripts/service_let/run", "application/json", strings.NewReader(`{"script": "x"}`)).
		problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
	e.do(t, http.MethodPost, "/v1/scripts/service_let", "application/json", strings.NewReader(`{}`)).
		problem(t, http.StatusMethodNotAllowed, api.ProblemMethodNotAllowed)
}

// TestRunNamedScriptBadArguments: each mistake is a 400 naming the
// argument, and nothing reaches Pixie.
func TestRunNamedScriptBadArguments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), withCatalog(t, map[string]string{"errors_by_path.pxl": userScript}))
	for _, tc := range []struct {
		name, path, wantType, wantField string
	}{
		{"a service without namespace", "/v1/scripts/service_let/run?service=consumer", api.ProblemInvalidRequest, "args.service"},
		{"a start time that is not one", "/v1/scripts/service_let/run?start_time=yesterday", api.ProblemInvalidRequest, "args.start_time"},
		{"an unknown argument", "/v1/scripts/service_let/run?servce=default/consumer", api.ProblemInvalidRequest, "args.servce"},
		{"a missing required argument", "/v1/scripts/errors_by_path/run?start_time=-5m", api.ProblemInvalidRequest, "args.pod"},
		{"an integer that is not one", "/v1/scripts/errors_by_path/run?start_time=-5m&pod=default/a&limit=ten", api.ProblemInvalidRequest, "args.limit"},
		{"an argument given twice", "/v1/scripts/service_let/run?service=default/a&service=default/b", api.ProblemInvalidRequest, "args.service"},
		{"a bad expect", "/v1/scripts/service_let/run?expect=p99(latency_p99)<300xs", api.ProblemInvalidTolerance, "expect[0]"},
		{"a bad max_rows", "/v1/scripts/service_let/run?max_rows=many", api.ProblemInvalidRequest, "max_rows"},
		// url.URL.Query would drop expect here, and the run would pass unchecked.
		{"a ; separator", "/v1/scripts/service_let/run?expect=count()>1000;rows=all", api.ProblemInvalidRequest, "query"},
		{"a bad escape", "/v1/scripts/service_let/run?expect=count()>1000%zz", api.ProblemInvalidRequest, "query"},
		// Past Go's limit on parameters, url.URL.Query returns none at all.
		{"too many parameters", "/v1/scripts/service_let/run?expect=count()>1000" + strings.Repeat("&x=1", 10000), api.ProblemInvalidRequest, "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := e.do(t, http.MethodGet, tc.path, "", nil).problem(t, http.StatusBadRequest, tc.wantType)
			found := false
			for _, fe := range p.Errors {
				found = found || fe.Field == tc.wantField
			}
			if !found {
				t.Errorf("errors: got %+v, want one for %s", p.Errors, tc.wantField)
			}
		})
	}
	e.do(t, http.MethodGet, "/v1/scripts/nope/run", "", nil).problem(t, http.StatusNotFound, api.ProblemUnknownScript)
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want 0", n)
	}
}

func TestRunBrokenScript(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), withCatalog(t, map[string]string{"silent.pxl": "import px\ndf = px.DataFrame('http_events')\n"}))
	p := e.do(t, http.MethodGet, "/v1/scripts/silent/run", "", nil).problem(t, http.StatusInternalServerError, api.ProblemBrokenScript)
	if !strings.Contains(p.Detail, "px.display") {
		t.Errorf("detail: got %q", p.Detail)
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	other := "00000000-0000-4000-8000-000000000099"
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) {
		o.NamedOnly = true
		o.AllowedClusters = []string{testClusterID}
	})
	e.run(t, letRequest(t, 300)).problem(t, http.StatusForbidden, api.ProblemInlineForbidden)
	e.run(t, `{"script_name": "service_let", "cluster_id": "`+other+`"}`).problem(t, http.StatusForbidden, api.ProblemClusterForbidden)
	if resp := e.run(t, `{"script_name": "service_let"}`); resp.status != http.StatusOK {
		t.Errorf("a named script on the allowed cluster: got %d %s", resp.status, resp.body)
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("the fake saw %d requests, want 1 (refused ones never reach Pixie)", n)
	}
}

// TestConcurrencyLimit: with one slot busy on a hung query, the next
// request waits QueueWait and gets a 429 with Retry-After; the slot frees
// up when the first query ends. The memory budget holds one answer: a
// queued request holds none of it (a 429, never a 503 memory-budget).
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	hung := &fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 1)}, Hang: true}
	// The hung query's timeout takes effect only once the second request
	// has been refused: the slot is busy all along, however short the
	// timeout (shorter than the queue wait here) and however slow the
	// machine.
	refused := make(chan struct{})
	e := newEnv(t, fakevizier.StaticHandler(hung), gateOn(refused), func(o *handlers.Options) {
		o.MaxConcurrent = 1
		o.QueueWait = 100 * time.Millisecond
		o.AnswerMemory = 2<<20 + 88<<10 // one answer's start (2 MiB) and a little
	})
	done := make(chan response, 1)
	go func() { done <- e.run(t, `{"script": "import px\npx.display(px.DataFrame('t'))", "timeout": "10ms"}`) }()
	testwait.Until(t, "the first query to hold the slot", func() bool { return e.fake.ActiveStreams() > 0 })
	resp := e.run(t, `{"script": "import px\npx.display(px.DataFrame('t'))", "timeout": "1s"}`)
	close(refused)
	resp.problem(t, http.StatusTooManyRequests, api.ProblemTooManyQueries)
	if resp.header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	if first := <-done; first.status != http.StatusGatewayTimeout {
		t.Errorf("the hung query: got %d, want 504", first.status)
	}
	e.fake.SetHandler(fakevizier.StaticHandler(letPlan()))
	if resp := e.run(t, letRequest(t, 300)); resp.status != http.StatusOK {
		t.Errorf("after the slot freed: got %d %s", resp.status, resp.body)
	}
	metrics := e.do(t, http.MethodGet, "/metrics", "", nil)
	if !strings.Contains(string(metrics.body), "pxgate_pixie_queries_rejected_total 1") {
		t.Errorf("rejections not counted")
	}
}

// TestMutationsAreRefused: a script deploying tracepoints changes the
// cluster; it is refused unless the gateway allows mutations, and then
// Vizier is told it is a mutation.
func TestMutationsAreRefused(t *testing.T) {
	t.Parallel()
	const tracepoint = "import px\nimport pxtrace\npxtrace.UpsertTracepoint('t', 't', fn, pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t'))\n"
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	e.run(t, map[string]any{"script": tracepoint}).problem(t, http.StatusForbidden, api.ProblemMutationForbidden)
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("the fake saw %d requests, want 0", n)
	}
	allowed := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.AllowMutations = true })
	if resp := allowed.run(t, map[string]any{"script": tracepoint}); resp.status != http.StatusOK {
		t.Fatalf("allowed: got %d %s", resp.status, resp.body)
	}
	if !allowed.fake.Requests()[0].Req.GetMutation() {
		t.Error("the request did not say mutation: true")
	}
	if resp := allowed.run(t, letRequest(t, 300)); resp.status != http.StatusOK || allowed.fake.Requests()[1].Req.GetMutation() {
		t.Errorf("a read-only script was marked as a mutation")
	}
	// pxconfig changes the agents' configuration: a mutation too.
	const agentConfig = "import px\nimport pxconfig\npxconfig.set_agent_config('pl/vizier-pem-x', 'gprof', 'true', '5m')\npx.display(px.DataFrame('t'))\n"
	e.run(t, map[string]any{"script": agentConfig}).problem(t, http.StatusForbidden, api.ProblemMutationForbidden)
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("pxconfig: the fake saw %d requests, want 0", n)
	}
	if resp := allowed.run(t, map[string]any{"script": agentConfig}); resp.status != http.StatusOK || !allowed.fake.Requests()[2].Req.GetMutation() {
		t.Errorf("pxconfig allowed: got %d, mutation flag not sent", resp.status)
	}
}

// TestAuthenticateIsLoggedAndCounted: refusals by the Authenticate
// middleware carry a request id and show in the logs and metrics.
func TestAuthenticateIsLoggedAndCounted(t *testing.T) {
	t.Parallel()
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("caller-s3cr3t-handlers\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := auth.Load(tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) {
		o.Authenticate = auth.Middleware(set, auth.DefaultOpenPaths)
	})
	resp := e.run(t, letRequest(t, 300))
	if resp.status != http.StatusUnauthorized || resp.header.Get("X-Request-Id") == "" {
		t.Fatalf("no token: got %d, request id %q", resp.status, resp.header.Get("X-Request-Id"))
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/run", strings.NewReader(string(mustJSON(t, letRequest(t, 300)))))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer caller-s3cr3t-handlers")
	if got := e.send(t, req); got.status != http.StatusOK {
		t.Fatalf("with the token: got %d %s", got.status, got.body)
	}
	e.done(t, resp)
	metrics := string(e.do(t, http.MethodGet, "/metrics", "", nil).body)
	if !strings.Contains(metrics, `code="401"`) {
		t.Errorf("the 401 is not counted:\n%s", grepLines(metrics, "pxgate_http_requests_total"))
	}
	if !strings.Contains(e.logs.String(), `"status":401`) {
		t.Errorf("the 401 is not logged")
	}
}

// TestQueryParametersNobodyReads: a check or argument put where the route
// does not read it is refused, never silently dropped (the run would pass
// unchecked).
func TestQueryParametersNobodyReads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	body := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')\n"}`
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{http.MethodPost, "/v1/run?expect=count()>1000", body, "expect"},
		{http.MethodPost, "/v1/run?format=csv&fail_status=503", body, "fail_status"},
		{http.MethodPost, "/v1/scripts/service_let/run?expect=count()>1000", `{}`, "expect"},
		{http.MethodGet, "/v1/scripts/service_let?service=default/consumer&expect=count()>1000", "", "query"},
	} {
		var rd io.Reader
		if tc.body != "" {
			rd = strings.NewReader(tc.body)
		}
		p := e.do(t, tc.method, tc.path, "application/json", rd).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s %s: errors %+v, want one about %s", tc.method, tc.path, p.Errors, tc.field)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d queries, want 0", n)
	}
	// What a POST does read from the query string still works.
	if resp := e.do(t, http.MethodPost, "/v1/run?format=ndjson", "application/json", strings.NewReader(body)); resp.status != http.StatusOK {
		t.Errorf("POST ?format=ndjson: got %d %s", resp.status, resp.body)
	}
}

// TestCallerShare: one caller holding its share of the query slots with
// queries that hang gets 429s for more, while another caller still runs.
func TestCallerShare(t *testing.T) {
	t.Parallel()
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("greedy-s3cr3t-share\nother-s3cr3t-share\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := auth.Load(tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	hang := fakevizier.StaticHandler(&fakevizier.Plan{Hang: true, Tables: []*fakevizier.Table{letTable("output", 1)}})
	e := newEnv(t, func(ctx context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
		if req.GetQueryName() == "" && strings.Contains(req.GetQueryStr(), "hang") {
			return hang(ctx, req)
		}
		return letPlan()
	}, func(o *handlers.Options) {
		o.Authenticate = auth.Middleware(set, auth.DefaultOpenPaths)
		o.MaxConcurrent, o.MaxConcurrentPerCaller, o.QueueWait = 3, 2, time.Millisecond
	})
	post := func(ctx context.Context, token, script string) response {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/run",
			strings.NewReader(string(mustJSON(t, map[string]any{"script": script}))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return e.send(t, req)
	}
	// The greedy caller's two hanging queries hold its whole share.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/run",
				strings.NewReader(`{"script": "import px\n# hang\npx.display(px.DataFrame('t'), 'output')"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer greedy-s3cr3t-share")
			if resp, err := e.srv.Client().Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer func() { cancel(); <-done; <-done }()
	testwait.Until(t, "two hanging queries", func() bool { return e.fake.ActiveStreams() >= 2 })
	p := post(t.Context(), "greedy-s3cr3t-share", letScript(t)).problem(t, http.StatusTooManyRequests, api.ProblemTooManyQueries)
	if !strings.Contains(p.Detail, "this caller already runs its share of 2") {
		t.Errorf("429 detail %q", p.Detail)
	}
	// The gateway still has a slot, and it is the other caller's.
	if resp := post(t.Context(), "other-s3cr3t-share", letScript(t)); resp.status != http.StatusOK {
		t.Errorf("another caller: got %d %s, want 200", resp.status, resp.body)
	}
}

// A made-up token on an open path is not checked, so it names nobody: the
// request counts against its address's share, and changing tokens buys no
// more slots.
func TestCallerShareIgnoresUncheckedTokens(t *testing.T) {
	t.Parallel()
	tokens := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("real-s3cr3t-share\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := auth.Load(tokens, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Hang: true, Tables: []*fakevizier.Table{letTable("output", 1)}}), func(o *handlers.Options) {
		o.Authenticate = auth.Middleware(set, append([]string{"/probe"}, auth.DefaultOpenPaths...))
		o.MaxConcurrent, o.MaxConcurrentPerCaller, o.QueueWait = 4, 2, time.Millisecond
	})
	scrape := func(ctx context.Context, token string) response {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/probe?script=service_let&service=default/consumer", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Cache-Control", "no-cache")
		return e.send(t, req)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{}, 2)
	for i := range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/probe?script=service_let&service=default/consumer", nil)
			req.Header.Set("Authorization", fmt.Sprintf("Bearer made-up-%d", i))
			req.Header.Set("Cache-Control", "no-cache")
			if resp, err := e.srv.Client().Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer func() { cancel(); <-done; <-done }()
	testwait.Until(t, "two hanging queries", func() bool { return e.fake.ActiveStreams() >= 2 })
	p := scrape(t.Context(), "made-up-3").problem(t, http.StatusTooManyRequests, api.ProblemTooManyQueries)
	if !strings.Contains(p.Detail, "this caller already runs its share") {
		t.Errorf("a third made-up token got a slot of its own: %q", p.Detail)
	}
}
