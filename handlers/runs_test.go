package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"google.golang.org/grpc/codes"
)

// runList GETs /v1/runs with the query and decodes it strictly.
func (e *env) runList(t testing.TB, query string) []api.Run {
	t.Helper()
	resp := e.do(t, http.MethodGet, "/v1/runs"+query, "", nil)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != api.ContentTypeJSON {
		t.Fatalf("GET /v1/runs%s: got %d %q %s", query, resp.status, resp.header.Get("Content-Type"), resp.body)
	}
	var list api.RunList
	dec := json.NewDecoder(bytes.NewReader(resp.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatalf("decoding a RunList: %v\n%s", err, resp.body)
	}
	return list.Runs
}

// TestHistoryRecordsEveryRunPath: JSON, CSV, NDJSON and /probe runs are
// listed newest first, with their verdicts, and no PxL.
func TestHistoryRecordsEveryRunPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	if resp := e.run(t, letRequest(t, 200.0)); resp.status != http.StatusExpectationFailed {
		t.Fatalf("the failing run: got %d", resp.status)
	}
	e.get(t, letRun+"?format=csv&service=default/cart&expect=count()>0", "")
	e.get(t, letRun+"?format=ndjson&expect=count()>0", "")
	e.probe(t, "script=service_let&expect=p99(latency_p99)%3C300ms", nil)
	e.do(t, http.MethodGet, letRun+"?service=nope", "", nil) // invalid: never ran, not recorded

	runs := e.runList(t, "")
	if len(runs) != 4 {
		t.Fatalf("runs: got %d, want 4: %+v", len(runs), runs)
	}
	wantFormats := []string{"prometheus", "ndjson", "csv", "json"}
	wantRoutes := []string{"GET /probe", "GET /v1/scripts/{name}/run", "GET /v1/scripts/{name}/run", "POST /v1/run"}
	for i, r := range runs {
		if r.Format != wantFormats[i] || r.Route != wantRoutes[i] {
			t.Errorf("run %d: got %s %s, want %s %s", i, r.Route, r.Format, wantRoutes[i], wantFormats[i])
		}
		if r.ID == "" || r.Status == 0 || r.QueryID == "" || r.ClusterID != testClusterID || len(r.Tables) != 1 || r.Tables[0].Rows != 12 {
			t.Errorf("run %d lacks its id, status, query id, cluster or row counts: %+v", i, r)
		}
	}
	inline := runs[3]
	if inline.Script != "inline" || inline.ScriptBytes != len(letScript(t)) || len(inline.ScriptSHA256) != 12 {
		t.Errorf("inline run: got script %q, %d bytes, hash %q", inline.Script, inline.ScriptBytes, inline.ScriptSHA256)
	}
	if inline.Outcome != history.OutcomeFail || inline.Status != 417 || inline.Verdict == nil || inline.Verdict.Checks[0].Value == nil || *inline.Verdict.Checks[0].Value != 218.7 {
		t.Errorf("inline run: got %+v", inline)
	}
	if runs[2].Args["service"] != "default/cart" || runs[2].Script != "service_let" || runs[2].Outcome != history.OutcomePass {
		t.Errorf("csv run: got %+v", runs[2])
	}

	failed := e.runList(t, "?failed=true")
	if len(failed) != 1 || failed[0].ID != inline.ID {
		t.Errorf("failed=true: got %+v, want the inline run only", failed)
	}
	resp := e.do(t, http.MethodGet, "/v1/runs", "", nil)
	if bytes.Contains(resp.body, []byte("px.DataFrame")) || bytes.Contains(resp.body, []byte(testAPIKey)) {
		t.Errorf("/v1/runs shows PxL or the API key:\n%s", resp.body)
	}

	one := e.do(t, http.MethodGet, "/v1/runs/"+inline.ID, "", nil)
	var got api.Run
	if err := json.Unmarshal(one.body, &got); one.status != http.StatusOK || err != nil || got.ID != inline.ID {
		t.Errorf("GET /v1/runs/%s: got %d %s", inline.ID, one.status, one.body)
	}
	e.do(t, http.MethodGet, "/v1/runs/nope", "", nil).problem(t, http.StatusNotFound, api.ProblemUnknownRun)
	e.do(t, http.MethodGet, "/v1/runs?failed=maybe", "", nil).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
}

// TestIndexPageShowsFailuresFirst: after a passing and a failing run, the
// page at / shows the failing one first, with its value and message, and
// escapes what callers sent.
func TestIndexPageShowsFailuresFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	e.get(t, letRun+"?expect=p99(latency_p99)%3C300ms", "")
	failing := map[string]any{
		"script":     letScript(t),
		"tolerances": []any{map[string]any{"name": "<img src=x onerror=alert(1)>", "expect": "p99(latency_p99) < 150ms"}},
	}
	if resp := e.run(t, failing); resp.status != http.StatusExpectationFailed {
		t.Fatalf("the failing run: got %d %s", resp.status, resp.body)
	}
	e.get(t, letRun+"?expect=count()>0", "")

	resp := e.do(t, http.MethodGet, "/", "", nil)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: got %d %q", resp.status, resp.header.Get("Content-Type"))
	}
	page := string(resp.body)
	failedAt := strings.Index(page, "p99 of latency_p99 is 208.9 ms, not below 150 ms: fail")
	valueAt := strings.Index(page, "value 208.9, threshold 150 ms")
	passedAt := strings.Index(page, "p99 of latency_p99 is 208.9 ms, below 300 ms: pass")
	switch {
	case failedAt < 0 || valueAt < 0:
		t.Errorf("the page lacks the failed check's message or value:\n%s", page)
	case passedAt < 0:
		t.Errorf("the page lacks the passing run:\n%s", page)
	case failedAt > passedAt:
		t.Errorf("the failed run comes after the passing one (at %d, %d)", failedAt, passedAt)
	}
	if strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the check name is not escaped:\n%s", page)
	}
	for _, absent := range []string{"px.DataFrame", testAPIKey} {
		if strings.Contains(page, absent) {
			t.Errorf("the page shows %q", absent)
		}
	}
	// The catalog, with a curl line using the script's defaults.
	if !strings.Contains(page, "<code>service_let</code>") ||
		!strings.Contains(page, "curl -fsS &#39;http://"+strings.TrimPrefix(e.srv.URL, "http://")+"/v1/scripts/service_let/run?start_time=-2m&amp;service=default%2Fconsumer&#39;") {
		t.Errorf("the page lacks the catalog or its curl line:\n%s", page)
	}
}

// TestSecretValuesHiddenInErrors: when Vizier's error quotes a secret
// argument's value, the log and the history hide it; the caller, who sent
// it, still gets Vizier's message as it is.
func TestSecretValuesHiddenInErrors(t *testing.T) {
	t.Parallel()
	echo := func(_ context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
		var quoted []string
		for _, f := range req.GetExecFuncs() {
			for _, a := range f.GetArgValues() {
				quoted = append(quoted, a.GetName()+"="+a.GetValue())
			}
		}
		return &fakevizier.Plan{Status: &vizierpb.Status{Code: int32(codes.InvalidArgument),
			Message: "refusing arguments " + strings.Join(quoted, ", ")}}
	}
	typed := "import px\n\ndef typed(start_time: str, auth_level: int):\n    return px.DataFrame(table='http_events', start_time=start_time)\n"
	e := newEnv(t, echo, withCatalog(t, map[string]string{"errors_with_token.pxl": secretScript, "typed.pxl": typed}))
	// An argument the gateway itself refuses is not quoted back either.
	bad := e.run(t, map[string]any{"script_name": "typed", "args": map[string]string{"start_time": "-5m", "auth_level": "s3cr3t-not-a-number"}})
	if p := bad.problem(t, http.StatusBadRequest, api.ProblemInvalidRequest); bytes.Contains(bad.body, []byte("s3cr3t-not-a-number")) || len(p.Errors) != 1 {
		t.Errorf("a refused secret argument: %s", bad.body)
	}
	const secret = "s3cr3t-quoted-by-vizier"
	resp := e.run(t, map[string]any{"script_name": "errors_with_token", "args": map[string]string{"start_time": "-5m", "api_token": secret}})
	// The answer quotes Vizier's message, with the value hidden: answers
	// end up in Chaos Toolkit journals and proxy logs.
	if resp.status < 400 || !bytes.Contains(resp.body, []byte("api_token=<masked>")) || bytes.Contains(resp.body, []byte(secret)) {
		t.Fatalf("got %d %s; want a failure quoting Vizier's message without the secret", resp.status, resp.body)
	}
	e.done(t, bad, resp)
	if !strings.Contains(e.logs.String(), "api_token=<masked>") || strings.Contains(e.logs.String(), secret) {
		t.Errorf("the log does not hide the secret value:\n%s", e.logs.String())
	}
	runs := e.runList(t, "")
	if len(runs) != 1 || runs[0].Error == nil || !strings.Contains(runs[0].Error.Detail, "api_token=<masked>") {
		t.Fatalf("history: %+v", runs)
	}
	if list := e.do(t, http.MethodGet, "/v1/runs", "", nil); bytes.Contains(list.body, []byte(secret)) {
		t.Errorf("/v1/runs shows the secret value: %s", list.body)
	}
	// Compiler messages quote the values the PxL computed from arguments.
	const quoted = "s3cr3t-table-name"
	ce := newEnv(t, fakevizier.CompileErrorHandler(fakevizier.CompilerError(2, 5, "Table '"+quoted+"' not found.")),
		withCatalog(t, map[string]string{"errors_with_token.pxl": secretScript}))
	cresp := ce.run(t, map[string]any{"script_name": "errors_with_token", "args": map[string]string{"start_time": "-5m", "api_token": quoted}})
	if p := cresp.problem(t, http.StatusBadRequest, api.ProblemCompileError); bytes.Contains(cresp.body, []byte(quoted)) || len(p.CompileErrors) != 1 || p.CompileErrors[0].Line != 2 {
		t.Errorf("a compile error quoting a secret argument: %s", cresp.body)
	}
	// /probe?debug=true masks secret-looking arguments, also where the
	// error quotes them.
	debug := e.do(t, http.MethodGet, "/probe?script=errors_with_token&start_time=-5m&api_token="+secret+"&debug=true", "", nil)
	if !bytes.Contains(debug.body, []byte("refusing arguments")) || bytes.Contains(debug.body, []byte(secret)) {
		t.Errorf("the probe's debug text shows the secret value or no error:\n%s", debug.body)
	}
}

// TestCheckChartOfARunWithoutChecks: a chart asked of a run that has no
// checks (no tolerances, or a failed query) is a 404 that says so, not
// one naming checks "from 0 to -1".
func TestCheckChartOfARunWithoutChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	if resp := e.run(t, map[string]any{"script": letScript(t)}); resp.status != http.StatusOK {
		t.Fatalf("a run without tolerances: got %d %s", resp.status, resp.body)
	}
	runs := e.runList(t, "")
	if len(runs) != 1 {
		t.Fatalf("runs: %+v", runs)
	}
	p := e.do(t, http.MethodGet, "/v1/runs/"+runs[0].ID+"/checks/0.svg", "", nil).problem(t, http.StatusNotFound, api.ProblemNotFound)
	if !strings.Contains(p.Detail, "has no checks") || strings.Contains(p.Detail, "to -1") {
		t.Errorf("detail %q, want one saying the run has no checks", p.Detail)
	}
}
