package handlers_test

import (
	"bytes"
	"fmt"
	"github.com/pxgate/pxgate/pixie"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

// scrape is a parsed /probe answer.
type scrape map[string]*dto.MetricFamily

// probe GETs /probe?query and parses the answer as Prometheus text; the
// status must be 200 and the text must parse.
func (e *env) probe(t testing.TB, query string, header http.Header) scrape {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/probe?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp := e.send(t, req)
	if resp.status != http.StatusOK {
		t.Fatalf("status: got %d, want 200\n%s", resp.status, resp.body)
	}
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type: got %q, want Prometheus text", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(resp.body))
	if err != nil {
		t.Fatalf("the answer is not Prometheus text: %v\n%s", err, resp.body)
	}
	return mfs
}

// value returns the gauge name{labels}, which must exist.
func (s scrape) value(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	v, ok := s.lookup(name, labels)
	if !ok {
		t.Fatalf("no %s%v in the scrape:\n%s", name, labels, s)
	}
	return v
}

func (s scrape) lookup(name string, labels map[string]string) (float64, bool) {
	mf, ok := s[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

func (s scrape) String() string {
	var b strings.Builder
	for _, mf := range s {
		_, _ = expfmt.MetricFamilyToText(&b, mf)
	}
	return b.String()
}

func TestProbeReportsTheLastRowAndTheChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	s := e.probe(t, "script=service_let&service=default/consumer&expect=p99(latency_p99)%3C300ms&expect=max(error_rate)%3C%3D0.05", nil)

	if got := s.value(t, "pxgate_probe_success", nil); got != 1 {
		t.Errorf("pxgate_probe_success: got %v, want 1", got)
	}
	if got := s.value(t, "pxgate_probe_duration_seconds", nil); got <= 0 || got > 10 {
		t.Errorf("pxgate_probe_duration_seconds: got %v", got)
	}
	// The last of 12 rows: latency_p99 = 210 ms, in nanoseconds.
	if got := s.value(t, "pxgate_probe_value", map[string]string{"table": "output", "column": "latency_p99"}); got != 210e6 {
		t.Errorf("latency_p99: got %v, want 210e6", got)
	}
	if got := s.value(t, "pxgate_probe_value", map[string]string{"table": "output", "column": "error_rate"}); got != 0.01 {
		t.Errorf("error_rate: got %v, want 0.01", got)
	}
	if _, ok := s.lookup("pxgate_probe_value", map[string]string{"table": "output", "column": "time_"}); ok {
		t.Error("the time column is reported as a value")
	}
	if got := s.value(t, "pxgate_probe_rows", map[string]string{"table": "output"}); got != 12 {
		t.Errorf("pxgate_probe_rows: got %v, want 12", got)
	}
	check := map[string]string{"check": "p99(latency_p99)<300ms"}
	if got := s.value(t, "pxgate_probe_check_passed", check); got != 1 {
		t.Errorf("check passed: got %v, want 1", got)
	}
	if got := s.value(t, "pxgate_probe_check_value", check); got < 200 || got > 210 {
		t.Errorf("check value: got %v ms, want the p99 between 200 and 210", got)
	}
	if got := s.value(t, "pxgate_probe_check_passed", map[string]string{"check": "max(error_rate)<=0.05"}); got != 1 {
		t.Errorf("second check passed: got %v, want 1", got)
	}
	if _, ok := s["pxgate_probe_error"]; ok {
		t.Error("a passing probe reports an error")
	}
	// The arguments reached Pixie through the catalog script.
	reqs := e.fake.Requests()
	if len(reqs) != 1 || reqs[0].Req.GetExecFuncs()[0].GetArgValues()[1].GetValue() != "default/consumer" {
		t.Errorf("the fake saw %+v", reqs)
	}
	// The service's own metrics have no probe results.
	if m := e.do(t, http.MethodGet, "/metrics", "", nil); bytes.Contains(m.body, []byte("pxgate_probe_")) {
		t.Error("/metrics holds a probe's metrics")
	}
}

func TestProbeOutcomes(t *testing.T) {
	t.Parallel()
	let := newEnv(t, fakevizier.StaticHandler(letPlan()))
	down := newDownEnv(t)
	hang := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 1)}, Hang: true}))
	compile := newEnv(t, fakevizier.CompileErrorHandler(fakevizier.CompilerError(3, 1, "invalid syntax")))
	canceled := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2, AbortCode: codes.Canceled}))

	for _, tc := range []struct {
		name       string
		env        *env
		query      string
		header     http.Header
		wantErr    string // pxgate_probe_error's type; "" for none
		wantPassed float64
		// debugWants, when set, are lines the same probe's debug=true
		// explanation must hold.
		debugWants []string
	}{
		{name: "a failing tolerance is success 0 with status 200", env: let, query: "script=service_let&expect=p99(latency_p99)%3C100ms"},
		{name: "Pixie down is success 0 with the error type", env: down, query: "script=service_let", wantErr: "pixie-unavailable"},
		{name: "a compile error is success 0 with the error type", env: compile, query: "script=service_let", wantErr: "compile-error"},
		{name: "Vizier canceling the query is success 0", env: canceled, query: "script=service_let&expect=count()>0", wantErr: "pixie-execution"},
		{
			name: "Prometheus' scrape timeout caps the query", env: hang, query: "script=service_let&timeout=30s",
			header: http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"1.1"}}, wantErr: "pixie-timeout",
			// The query ran with the scrape timeout less the margin
			// (600ms), not the 30s asked for, and that is what ended it.
			// (The shortest scrape timeout with a whole margin: the probe
			// and its debug twin each wait for it to strike.)
			debugWants: []string{
				"timeout:    600ms (asked for 30s; Prometheus' scrape timeout 1.1s leaves 600ms; capped at 1m0s)",
				"error:      " + api.ProblemPixieTimeout + ": Pixie did not answer within the timeout of 600ms;",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.env.probe(t, tc.query, tc.header)
			if got := s.value(t, "pxgate_probe_success", nil); got != 0 {
				t.Errorf("pxgate_probe_success: got %v, want 0", got)
			}
			if tc.wantErr != "" {
				if got := s.value(t, "pxgate_probe_error", map[string]string{"type": tc.wantErr}); got != 1 {
					t.Errorf("pxgate_probe_error: got %v, want 1", got)
				}
			} else if got := s.value(t, "pxgate_probe_check_passed", map[string]string{"check": "p99(latency_p99)<100ms"}); got != 0 {
				t.Errorf("check passed: got %v, want 0", got)
			}
			if tc.debugWants != nil {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tc.env.srv.URL+"/probe?"+tc.query+"&debug=true", nil)
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range tc.header {
					req.Header[k] = v
				}
				text := string(tc.env.send(t, req).body)
				for _, want := range tc.debugWants {
					if !strings.Contains(text, want) {
						t.Errorf("the debug explanation lacks %q:\n%s", want, text)
					}
				}
			}
		})
	}
}

func TestProbeBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()))
	for _, tc := range []struct {
		name, query, wantType, wantField string
	}{
		{"no script", "expect=count()>0", api.ProblemInvalidRequest, "script"},
		{"an unknown script", "script=nope", api.ProblemUnknownScript, "script"},
		{"a bad argument", "script=service_let&service=consumer", api.ProblemInvalidRequest, "args.service"},
		{"an unknown argument", "script=service_let&servce=default/consumer", api.ProblemInvalidRequest, "args.servce"},
		{"a bad expect", "script=service_let&expect=p99(latency_p99)<300xs", api.ProblemInvalidTolerance, "expect[0]"},
		{"a bad rows", "script=service_let&rows=some", api.ProblemInvalidRequest, "rows"},
		{"a bad timeout", "script=service_let&timeout=soon", api.ProblemInvalidRequest, "timeout"},
		{"script twice", "script=service_let&script=service_let", api.ProblemInvalidRequest, "script"},
		{"a ; separator", "script=service_let&expect=count()>1000;x=1", api.ProblemInvalidRequest, "query"},
		{"a bad escape", "script=service_let&expect=count()>1000%zz", api.ProblemInvalidRequest, "query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := e.do(t, http.MethodGet, "/probe?"+tc.query, "", nil).problem(t, http.StatusBadRequest, tc.wantType)
			found := false
			for _, fe := range p.Errors {
				found = found || fe.Field == tc.wantField
			}
			if !found {
				t.Errorf("errors: got %+v, want one for %s", p.Errors, tc.wantField)
			}
		})
	}
	// Prometheus' scrape timeout header: a number of seconds that leaves
	// room for a query.
	for _, v := range []string{"NaN", "1e-300", "0", "-1", "soon", "1e7"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.srv.URL+"/probe?script=service_let", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", v)
		p := e.send(t, req).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != "X-Prometheus-Scrape-Timeout-Seconds" {
			t.Errorf("scrape timeout %q: errors %+v", v, p.Errors)
		}
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("bad probes reached Pixie %d times", n)
	}
}

// TestProbeMemoryBudget: the values a percentile check keeps are leased
// from the memory budget: a probe whose p99 needs more than the budget is
// answered 503 memory-budget (a busy gateway, not a failing system); a
// mean, which keeps no values, runs within the same budget.
func TestProbeMemoryBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 20_000)}, BatchRows: 1000}),
		func(o *handlers.Options) { o.AnswerMemory = 2<<20 + 88<<10 })
	resp := e.do(t, http.MethodGet, "/probe?script=service_let&expect=p99(latency_p99)<300ms", "", nil)
	resp.problem(t, http.StatusServiceUnavailable, api.ProblemMemoryBudget)
	if resp.header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	if resp := e.do(t, http.MethodGet, "/probe?script=service_let&expect=mean(latency_p99)<300ms", "", nil); resp.status != http.StatusOK ||
		!bytes.Contains(resp.body, []byte("pxgate_probe_success 1")) {
		t.Errorf("a mean within the budget: status %d: %.400s", resp.status, resp.body)
	}
}

// TestProbeAllRows: rows=all labels each row by the table's string
// columns, and stops at the series cap.
func TestProbeAllRows(t *testing.T) {
	t.Parallel()
	const n = 1500
	services, pods, lat := make([]string, n), make([]string, n), make([]int64, n)
	for i := range n {
		services[i], pods[i], lat[i] = fmt.Sprintf("default/svc%d", i%3), fmt.Sprintf("pod-%d", i), int64(i)
	}
	small := fakevizier.NewTable("output",
		fakevizier.StringCol("service", pixie.STServiceName, services[:6]...),
		fakevizier.StringCol("table", pixie.STNone, "a", "a", "a", "a", "a", "b"),
		fakevizier.Int64Col("latency", pixie.STDurationNS, lat[:6]...),
	)
	big := fakevizier.NewTable("pods",
		fakevizier.StringCol("pod", pixie.STPodName, pods...),
		fakevizier.Int64Col("latency", pixie.STDurationNS, lat...),
	)
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{small, big}}))

	s := e.probe(t, "script=service_let&rows=all", nil)
	// Rows 0-5 of output: svc0..2 with table a, then svc2 with b; the last
	// row of each label set wins.
	for _, tc := range []struct {
		service, label string
		want           float64
	}{{"default/svc0", "a", 3}, {"default/svc1", "a", 4}, {"default/svc2", "a", 2}, {"default/svc2", "b", 5}} {
		labels := map[string]string{"table": "output", "column": "latency", "service": tc.service, "label_table": tc.label}
		if got := s.value(t, "pxgate_probe_value", labels); got != tc.want {
			t.Errorf("%v: got %v, want %v", labels, got, tc.want)
		}
	}
	if got := len(s["pxgate_probe_value"].GetMetric()); got != 1000 {
		t.Errorf("value series: got %d, want the cap of 1000", got)
	}
	if got := s.value(t, "pxgate_probe_series_truncated", nil); got != 1 {
		t.Errorf("pxgate_probe_series_truncated: got %v, want 1", got)
	}
	if got := s.value(t, "pxgate_probe_rows", map[string]string{"table": "pods"}); got != n {
		t.Errorf("rows of pods: got %v, want %d (counted past the cap)", got, n)
	}
}

const secretScript = `import px

def errors_with_token(start_time: str, api_token: str = 'none'):
    ''' A script with a secret-looking parameter. '''
    df = px.DataFrame(table='http_events', start_time=start_time)
    return df
`

// TestProbeDebug: ?debug=true explains the probe in text and never shows
// a secret.
func TestProbeDebug(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), withCatalog(t, map[string]string{"errors_with_token.pxl": secretScript}))
	resp := e.do(t, http.MethodGet, "/probe?script=service_let&service=default/consumer&expect=p99(latency_p99)%3C100ms&expect=count()%3E0&debug=true", "", nil)
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("got %d %q", resp.status, resp.header.Get("Content-Type"))
	}
	text := string(resp.body)
	for _, want := range []string{
		"Request as understood:",
		"script:     service_let",
		"service=default/consumer, start_time=-2m",
		"cluster_id: " + testClusterID,
		"timeout:    10s",
		"success:    false",
		"FAIL p99(latency_p99)<100ms: p99 of latency_p99 is",
		"PASS count()>0:",
		"output: 12 rows; columns: time_ TIME64NS",
		`{"time_":"2026-01-02T15:04:00.000000000Z","latency_p50":50000000`,
		"pxgate_probe_success 0",
		`pxgate_probe_value{column="latency_p99",table="output"} 2.1e+08`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the debug text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, testAPIKey) {
		t.Errorf("the debug text shows the API key:\n%s", text)
	}

	const secret = "s3cr3t-probe-token"
	resp = e.do(t, http.MethodGet, "/probe?script=errors_with_token&start_time=-5m&api_token="+secret+"&debug=true", "", nil)
	if !bytes.Contains(resp.body, []byte("api_token=<masked>")) || bytes.Contains(resp.body, []byte(secret)) {
		t.Error("a secret-looking argument is not masked in the debug output")
	}
	for _, path := range []string{"/v1/runs", "/"} {
		resp = e.do(t, http.MethodGet, path, "", nil)
		if bytes.Contains(resp.body, []byte(secret)) || !bytes.Contains(resp.body, []byte("<masked>")) && !bytes.Contains(resp.body, []byte("&lt;masked&gt;")) {
			t.Errorf("GET %s: a secret-looking argument is not masked", path)
		}
	}
}
