package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/pxgate/pxgate/pixie"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5"

	pxgate "github.com/pxgate/pxgate"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// registerDecoders teaches the validator pxgate's other media types: CSV
// is known already; HTML as text; NDJSON as the array of its lines, which
// is how openapi.yaml describes it, so that every line is validated.
var registerDecoders = sync.OnceFunc(func() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/svg+xml", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		var lines []any
		sc := bufio.NewScanner(body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var v any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				return nil, fmt.Errorf("line %d: %w", len(lines)+1, err)
			}
			lines = append(lines, v)
		}
		return lines, sc.Err()
	})
})

// loadContract loads and validates openapi.yaml and builds a router on it.
func loadContract(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	registerDecoders()
	doc, err := openapi3.NewLoader().LoadFromData(pxgate.OpenAPI)
	if err != nil {
		t.Fatalf("loading openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.yaml is invalid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing openapi.yaml: %v", err)
	}
	return doc, router
}

// checkContract validates a real request and its response against the
// contract. Undocumented statuses are errors.
func checkContract(t testing.TB, router routers.Router, reqBody []byte, resp response) {
	t.Helper()
	req := resp.req.Clone(t.Context())
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	// Library names hold a slash (px/service), which the contract's
	// {name} takes as it is but its router cannot match: route on the
	// name with its slashes replaced.
	if rest, ok := strings.CutPrefix(req.URL.Path, "/v1/scripts/"); ok {
		name, run := strings.CutSuffix(rest, "/run")
		req.URL.Path = "/v1/scripts/" + strings.ReplaceAll(name, "/", "_")
		if run {
			req.URL.Path += "/run"
		}
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not in openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.status,
		Header:                 resp.header,
		Body:                   io.NopCloser(bytes.NewReader(resp.body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s %s -> %d does not match openapi.yaml: %v\nbody: %.2000s", req.Method, req.URL.Path, resp.status, err, resp.body)
	}
}

// TestContractRealResponses checks real answers of every kind against
// openapi.yaml: successes, a failed verdict and each error class.
func TestContractRealResponses(t *testing.T) {
	t.Parallel()
	_, router := loadContract(t)

	let := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{
		letTable("output", 12),
		fakevizier.NewTable("types",
			fakevizier.BoolCol("b", pixie.STNone, true),
			fakevizier.UInt128Col("u", pixie.STUPID, &vizierpb.UInt128{High: 1, Low: 2}),
			fakevizier.BytesCol("s", pixie.STNone, []byte("\xff")),
			fakevizier.Float64Col("f", pixie.STNone, 0),
		),
	}}), func(o *handlers.Options) { o.MaxBodyBytes = 4096 })
	compile := newEnv(t, fakevizier.CompileErrorHandler(fakevizier.CompilerError(3, 1, "invalid syntax")))
	hang := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 1)}, Hang: true}))
	empty := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 0)}}))
	broken := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2}))
	// A JSON answer streams past 256 KiB: this one breaks after 1500 rows.
	brokenBig := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3000)}, BatchRows: 500, AbortAfter: 4}),
		func(o *handlers.Options) { o.MaxRows = 3000 })
	big := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3000)}, BatchRows: 500}),
		func(o *handlers.Options) { o.MaxRows = 3000 })
	noMemory := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) { o.AnswerMemory = 1 })
	namedOnly := newEnv(t, nil, func(o *handlers.Options) { o.NamedOnly = true })
	library := newLibraryEnv(t) // Pixie's library with live views
	down := newDownEnv(t)

	script := letScript(t)
	pass := mustJSON(t, map[string]any{"script": script, "tolerances": []any{compatTolerance(300)}})
	fail := mustJSON(t, map[string]any{"script": script, "tolerances": []any{compatTolerance(200), map[string]any{"expect": "count() == 0"}}})
	failStatus := mustJSON(t, map[string]any{"script": script, "fail_status": 503, "tolerances": []any{compatTolerance(200)}})
	timeout := mustJSON(t, map[string]any{"script": script, "timeout": "200ms"})

	for _, tc := range []struct {
		name        string
		env         *env
		method      string
		path        string
		contentType string
		body        []byte
		status      int
	}{
		{"a passing verdict", let, http.MethodPost, "/v1/run", "application/json", pass, 200},
		{"a failing verdict", let, http.MethodPost, "/v1/run", "application/json", fail, 417},
		{"a failing verdict with fail_status", let, http.MethodPost, "/v1/run", "application/json", failStatus, 503},
		{"a compile error", compile, http.MethodPost, "/v1/run", "application/json", pass, 400},
		{"an invalid request", let, http.MethodPost, "/v1/run", "application/json", []byte(`{"script": 1}`), 400},
		{"an invalid tolerance", let, http.MethodPost, "/v1/run", "application/json", []byte(`{"script": "x", "tolerances": [{"column": "x"}]}`), 400},
		{"an unknown table", let, http.MethodPost, "/v1/run", "application/json", []byte(`{"script": "x", "tables": ["nope"]}`), 400},
		{"an unknown script", let, http.MethodPost, "/v1/run", "application/json", []byte(`{"script_name": "nope"}`), 404},
		{"a body too large", let, http.MethodPost, "/v1/run", "application/json", []byte(`{"script": "` + strings.Repeat("x", 5000) + `"}`), 413},
		{"a form-encoded body", let, http.MethodPost, "/v1/run", "application/x-www-form-urlencoded", []byte(`script=x`), 415},
		{"Pixie down", down, http.MethodPost, "/v1/run", "application/json", pass, 502},
		{"Pixie too slow", hang, http.MethodPost, "/v1/run", "application/json", timeout, 504},
		{"the script catalog", let, http.MethodGet, "/v1/scripts", "", nil, 200},
		{"one script", let, http.MethodGet, "/v1/scripts/service_let", "", nil, 200},
		{"an unknown script by path", let, http.MethodGet, "/v1/scripts/nope", "", nil, 404},
		{"a named run by GET", let, http.MethodGet, "/v1/scripts/service_let/run?service=default/consumer&start_time=-2m&expect=p99(latency_p99)%3C300ms", "", nil, 200},
		{"a failing named run by GET", let, http.MethodGet, "/v1/scripts/service_let/run?expect=p99(latency_p99)%3C1ms", "", nil, 417},
		{"bad arguments by GET", let, http.MethodGet, "/v1/scripts/service_let/run?service=consumer", "", nil, 400},
		{"a named run by POST", let, http.MethodPost, "/v1/scripts/service_let/run", "application/json", []byte(`{"args": {"service": "default/consumer"}}`), 200},
		{"a catalog with Pixie's live views", library, http.MethodGet, "/v1/scripts", "", nil, 200},
		{"a live view script", library, http.MethodGet, "/v1/scripts/px/service", "", nil, 200},
		{"a live view run without func", library, http.MethodGet, "/v1/scripts/px/service/run?service=default/consumer", "", nil, 400},
		{"a live view function by GET", library, http.MethodGet, "/v1/scripts/px/service/run?func=inbound_let_timeseries&service=default/consumer", "", nil, 200},
		{"a live view function by POST", library, http.MethodPost, "/v1/run", "application/json", []byte(`{"script_name": "px/service", "func": "slowest_requests", "args": {"service": "default/consumer"}}`), 200},
		{"an unknown function", library, http.MethodPost, "/v1/scripts/px/service/run", "application/json", []byte(`{"func": "nope"}`), 400},
		{"a probe of a live view function", library, http.MethodGet, "/probe?script=px/service&func=pods_for_service&service=default/consumer", "", nil, 200},
		{"inline PxL refused by policy", namedOnly, http.MethodPost, "/v1/run", "application/json", pass, 403},
		{"the cluster list", let, http.MethodGet, "/v1/clusters", "", nil, 200},
		{"one cluster", let, http.MethodGet, "/v1/clusters/" + testClusterID, "", nil, 200},
		{"an unknown cluster", let, http.MethodGet, "/v1/clusters/nope", "", nil, 404},
		{"healthz", let, http.MethodGet, "/healthz", "", nil, 200},
		{"readyz", let, http.MethodGet, "/readyz", "", nil, 200},
		{"version", let, http.MethodGet, "/version", "", nil, 200},
		{"metrics", let, http.MethodGet, "/metrics", "", nil, 200},
		{"openapi.yaml", let, http.MethodGet, "/openapi.yaml", "", nil, 200},
		{"NDJSON rows and a passing end", let, http.MethodGet, letRun + "?format=ndjson&expect=count()>0", "", nil, 200},
		{"NDJSON rows and a failing end", let, http.MethodGet, letRun + "?format=ndjson&expect=count()==0", "", nil, 200},
		{"NDJSON without rows and a failing verdict", empty, http.MethodGet, letRun + "?format=ndjson&expect=count()>0", "", nil, 417},
		{"NDJSON rows and an error", broken, http.MethodGet, letRun + "?format=ndjson", "", nil, 200},
		{"JSON rows and an error", brokenBig, http.MethodGet, letRun, "", nil, 200},
		{"JSON streamed", big, http.MethodGet, letRun, "", nil, 200},
		{"the memory budget spent", noMemory, http.MethodPost, "/v1/run", "application/json", pass, 503},
		{"NDJSON of an inline run", let, http.MethodPost, "/v1/run?format=ndjson", "application/json", pass, 200},
		{"CSV of a named run", let, http.MethodGet, letRun + "?format=csv&table=types", "", nil, 200},
		{"CSV without rows and a failing verdict", empty, http.MethodGet, letRun + "?format=csv&expect=count()>0", "", nil, 417},
		{"CSV of a named run by POST", let, http.MethodPost, "/v1/scripts/service_let/run?format=csv", "application/json", []byte(`{}`), 200},
		{"CSV of two tables", let, http.MethodGet, letRun + "?format=csv&tables=output,types", "", nil, 400},
		{"an unknown format", let, http.MethodGet, letRun + "?format=xml", "", nil, 400},
		{"a passing probe", let, http.MethodGet, "/probe?script=service_let&expect=p99(latency_p99)%3C300ms", "", nil, 200},
		{"a failing probe", let, http.MethodGet, "/probe?script=service_let&expect=p99(latency_p99)%3C1ms", "", nil, 200},
		{"a probe with Pixie down", down, http.MethodGet, "/probe?script=service_let", "", nil, 200},
		{"a probe's debug output", let, http.MethodGet, "/probe?script=service_let&debug=true", "", nil, 200},
		{"a probe of an unknown script", let, http.MethodGet, "/probe?script=nope", "", nil, 400},
		{"a probe of a bad argument", let, http.MethodGet, "/probe?script=service_let&service=nope", "", nil, 400},
		{"the runs", let, http.MethodGet, "/v1/runs", "", nil, 200},
		{"the failed runs", let, http.MethodGet, "/v1/runs?failed=true", "", nil, 200},
		{"a bad failed filter", let, http.MethodGet, "/v1/runs?failed=maybe", "", nil, 400},
		{"an unknown run", let, http.MethodGet, "/v1/runs/nope", "", nil, 404},
		{"the page", let, http.MethodGet, "/", "", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := tc.env.do(t, tc.method, tc.path, tc.contentType, bytes.NewReader(tc.body))
			if resp.status != tc.status {
				t.Fatalf("status: got %d, want %d\n%s", resp.status, tc.status, resp.body)
			}
			checkContract(t, router, tc.body, resp)
		})
	}
}

// TestContractRecordedRuns: the runs of every kind, as /v1/runs and
// /v1/runs/{id} show them, match the contract.
func TestContractRecordedRuns(t *testing.T) {
	t.Parallel()
	_, router := loadContract(t)
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	down := newEnvWithFake(t, e.fake, "wrong-key")
	e.run(t, letRequest(t, 200.0))
	e.get(t, letRun+"?format=csv&expect=count()>0", "")
	e.get(t, letRun+"?format=ndjson", "")
	e.probe(t, "script=service_let", nil)
	down.get(t, letRun+"?format=ndjson", "")
	for _, env := range []*env{e, down} {
		list := env.do(t, http.MethodGet, "/v1/runs", "", nil)
		checkContract(t, router, nil, list)
		for _, r := range env.runList(t, "") {
			one := env.do(t, http.MethodGet, "/v1/runs/"+r.ID, "", nil)
			if one.status != http.StatusOK {
				t.Fatalf("GET /v1/runs/%s: got %d", r.ID, one.status)
			}
			checkContract(t, router, nil, one)
		}
	}
	if runs := down.runList(t, ""); len(runs) != 1 || runs[0].Error == nil || runs[0].Error.Type != "urn:pxgate:problem:pixie-auth" {
		t.Errorf("the failed run: got %+v", runs)
	}
}

// TestContractExamplesAreValid: the request examples of openapi.yaml pass
// its own request validation, and the seed's LET example really runs.
func TestContractExamplesAreValid(t *testing.T) {
	t.Parallel()
	doc, router := loadContract(t)
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	examples := doc.Paths.Value("/v1/run").Post.RequestBody.Value.Content.Get("application/json").Examples
	if len(examples) == 0 {
		t.Fatal("openapi.yaml has no /v1/run request examples")
	}
	for name, ex := range examples {
		body := mustJSON(t, ex.Value.Value)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/v1/run", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatal(err)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}
		if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
			t.Errorf("example %s: %v", name, err)
		}
	}
	let := mustJSON(t, examples["let"].Value.Value)
	resp := e.run(t, string(let))
	if resp.status != http.StatusOK || !resp.runResponse(t).Verdict.Passed {
		t.Errorf("the let example: got %d %s, want a passing run", resp.status, resp.body)
	}
	if got := e.fake.Requests()[0].Req.GetQueryStr(); got != letScript(t) {
		t.Errorf("the let example's script differs from testdata/let.pxl + px.display:\n%s", got)
	}
}

// TestContractCoversEveryRoute: the router and openapi.yaml list the same
// routes.
func TestContractCoversEveryRoute(t *testing.T) {
	t.Parallel()
	doc, _ := loadContract(t)
	var inSpec []string
	for path, item := range doc.Paths.Map() {
		// The router matches /v1/scripts/* because script names may hold
		// slashes (px/service_let); the spec spells the two shapes out.
		if rest, ok := strings.CutPrefix(path, "/v1/scripts/{name}"); ok && (rest == "" || rest == "/run") {
			path = "/v1/scripts/*"
		}
		for method := range item.Operations() {
			inSpec = append(inSpec, method+" "+path)
		}
	}
	e := newEnv(t, nil)
	h := handlers.New(handlers.Options{Pixie: e.client})
	routes, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("handlers.New returned %T, want a chi router", h)
	}
	var inRouter []string
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		inRouter = append(inRouter, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(inSpec)
	inSpec = slices.Compact(inSpec)
	slices.Sort(inRouter)
	if !slices.Equal(inSpec, inRouter) {
		t.Errorf("routes differ:\nrouter:       %v\nopenapi.yaml: %v", inRouter, inSpec)
	}
}
