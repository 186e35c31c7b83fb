package handlers_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/gatewaytest"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	pxldemo "github.com/pxgate/pxgate/pxl/demo"
)

// demoAt runs pxgate on the embedded demo cluster whose clock the test
// moves: no test depends on the wall clock.
func demoAt(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano())
	telemetry := pxldemo.New(pxldemo.Options{Seed: 7, Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	cluster, client := gatewaytest.DemoClient(t, telemetry, 0)
	// A baseline reads minutes of generated telemetry: under -race on a
	// busy machine that outlasted the 30 s default (a 504). No test here is
	// about timeouts, so the runs get as long as they need.
	srv := httptest.NewServer(handlers.New(handlers.Options{Pixie: client, DefaultClusterID: cluster.ClusterID(), Demo: cluster,
		DefaultTimeout: 10 * time.Minute, MaxTimeout: 10 * time.Minute}))
	t.Cleanup(srv.Close)
	return srv, &now
}

// baselineCheck is the part of a check's result these tests read.
type baselineCheck struct {
	Name         string   `json:"name"`
	Passed       bool     `json:"passed"`
	Value        *float64 `json:"value"`
	Baseline     *float64 `json:"baseline"`
	Ratio        *float64 `json:"ratio"`
	Threshold    any      `json:"threshold"`
	BaselineRows *int     `json:"baseline_rows"`
	Message      string   `json:"message"`
}

// getJSON GETs u and decodes the answer into v; it returns the status.
func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %d %s: %v", u, resp.StatusCode, body, err)
	}
	return resp.StatusCode
}

// consumerRun is GET service_let's run for the consumer with these parameters.
func consumerRun(base string, params ...string) string {
	q := url.Values{"service": {"default/consumer"}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	return base + "/v1/scripts/service_let/run?" + q.Encode()
}

// runVerdict is the part of a run's answer these tests read.
type runVerdict struct {
	Verdict struct {
		Passed bool            `json:"passed"`
		Checks []baselineCheck `json:"checks"`
	} `json:"verdict"`
	Tables []struct {
		Name string           `json:"name"`
		Rows []map[string]any `json:"rows"`
	} `json:"tables"`
}

// TestBaselineDemo: a steady state relative to a baseline holds at rest
// on the demo cluster and deviates within 15 s (of the demo's clock) of
// added load; /probe says the same and exposes the baseline.
func TestBaselineDemo(t *testing.T) {
	t.Parallel()
	srv, now := demoAt(t)
	u := consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m",
		"expect", "p99(latency_p99) < 1.5x baseline", "expect", "mean(error_rate) <= baseline + 0.02")
	var rest runVerdict
	if st := getJSON(t, u, &rest); st != http.StatusOK || !rest.Verdict.Passed {
		t.Fatalf("at rest: %d %+v, want 200 and a pass", st, rest.Verdict)
	}
	for _, c := range rest.Verdict.Checks {
		if c.Value == nil || c.Baseline == nil || c.Ratio == nil || c.Threshold == nil || c.BaselineRows == nil || *c.BaselineRows == 0 {
			t.Errorf("check %s reports %+v: want value, baseline, ratio, threshold and baseline rows", c.Name, c)
		}
	}
	resp, err := http.Post(srv.URL+"/v1/demo/load", "application/json", strings.NewReader(`{"service":"default/consumer","rps":100,"duration":"90s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	now.Add(int64(15 * time.Second))
	var loaded runVerdict
	if st := getJSON(t, u, &loaded); st != http.StatusExpectationFailed || loaded.Verdict.Passed {
		t.Fatalf("15 s into the load: %d %+v, want 417 and a failure", st, loaded.Verdict)
	}
	p99 := loaded.Verdict.Checks[0]
	if p99.Passed || *p99.Ratio < 1.5 {
		t.Errorf("under load: %+v, want the p99 over 1.5x its baseline", p99)
	}

	// /probe runs the same checks and shows the baseline as a metric.
	q := url.Values{"script": {"service_let"}, "service": {"default/consumer"}, "start_time": {"-1m"},
		"baseline": {"-10m..-1m"}, "expect": {"p99(latency_p99) < 1.5x baseline"}}
	resp, err = http.Get(srv.URL + "/probe?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"pxgate_probe_success 0", "pxgate_probe_check_baseline{check=\"p99(latency_p99) < 1.5x baseline\"}"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/probe under load lacks %q:\n%s", want, body)
		}
	}
}

// linear is numpy's default percentile of vs.
func linear(vs []float64, p float64) float64 {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	r := p / 100 * float64(len(vs)-1)
	lo := math.Floor(r)
	hi := math.Min(lo+1, float64(len(vs)-1))
	return vs[int(lo)] + (vs[int(hi)]-vs[int(lo)])*(r-lo)
}

// The baseline value is the check's aggregate over the rows of the
// baseline window, as computed by hand from the same script's rows.
func TestBaselineValueByHand(t *testing.T) {
	t.Parallel()
	srv, now := demoAt(t)
	var rows runVerdict
	if st := getJSON(t, consumerRun(srv.URL, "start_time", "-10m"), &rows); st != http.StatusOK || len(rows.Tables) != 1 {
		t.Fatalf("rows: %d, %d tables", st, len(rows.Tables))
	}
	at := time.Unix(0, now.Load())
	var p99s, errs []float64
	for _, r := range rows.Tables[0].Rows {
		ts, err := time.Parse(time.RFC3339Nano, r["time_"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if !ts.Before(at.Add(-10*time.Minute)) && ts.Before(at.Add(-time.Minute)) {
			p99s = append(p99s, r["latency_p99"].(float64))
			errs = append(errs, r["error_rate"].(float64))
		}
	}
	if len(p99s) < 50 {
		t.Fatalf("%d rows in the baseline window", len(p99s))
	}
	var out runVerdict
	getJSON(t, consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m",
		"expect", "p99(latency_p99) < 1.5x baseline", "expect", "max(error_rate) <= baseline + 0.02"), &out)
	wantP99, wantMax := linear(p99s, 99), slices.Max(errs)
	if c := out.Verdict.Checks[0]; c.Baseline == nil || math.Abs(*c.Baseline-wantP99) > 1e-6*wantP99 || *c.BaselineRows != len(p99s) {
		t.Errorf("p99 baseline %+v, want %v over %d rows", c, wantP99, len(p99s))
	}
	if c := out.Verdict.Checks[1]; c.Baseline == nil || *c.Baseline != wantMax {
		t.Errorf("max baseline %+v, want %v", c, wantMax)
	}
	// Absolute RFC 3339 bounds name the same window.
	abs := at.Add(-10*time.Minute).Format(time.RFC3339) + ".." + at.Add(-time.Minute).Format(time.RFC3339)
	var same runVerdict
	getJSON(t, consumerRun(srv.URL, "start_time", "-1m", "baseline", abs, "expect", "p99(latency_p99) < 1.5x baseline"), &same)
	if c := same.Verdict.Checks[0]; c.Baseline == nil || *c.Baseline != *out.Verdict.Checks[0].Baseline {
		t.Errorf("absolute bounds: %+v, want the baseline %v", c, *out.Verdict.Checks[0].Baseline)
	}
}

// problemOf is the part of a problem answer these tests read.
type problemOf struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field string `json:"field"`
	} `json:"errors"`
}

// Each bad baseline is a 400 naming the field at fault, and saying why.
func TestBaselineBadInput(t *testing.T) {
	t.Parallel()
	srv, _ := demoAt(t)
	const check = "p99(latency_p99) < 1.5x baseline"
	cases := []struct {
		name, url, field, says string
	}{
		{"an empty window", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-5m..-5m", "expect", check), "baseline", "is empty"},
		{"a reversed window", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-1m..-10m", "expect", check), "baseline", "is reversed"},
		{"a window in the future", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..+1m", "expect", check), "baseline.end", "in the future"},
		{"a window overlapping the run's", consumerRun(srv.URL, "start_time", "-2m", "baseline", "-10m..-1m", "expect", check), "baseline.end", "overlaps the run's own window"},
		{"a window older than the demo keeps", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-20m..-2m", "expect", check), "baseline.start", "the demo cluster keeps 15m0s"},
		{"a bound that is no time", consumerRun(srv.URL, "start_time", "-1m", "baseline", "yesterday..-1m", "expect", check), "baseline.start", "neither a time relative to now"},
		{"no range", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m", "expect", check), "baseline", "START..END"},
		{"a baseline check without a window", consumerRun(srv.URL, "start_time", "-1m", "expect", check), "baseline", "no baseline window is given"},
		{"a window without a baseline check", consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m", "expect", "p99(latency_p99) < 300ms"), "baseline", "no check compares with it"},
		{"a run window that is not relative", consumerRun(srv.URL, "start_time", "2026-11-25T11:59:00Z", "baseline", "-10m..-2m", "expect", check), "args.start_time", "relative to now"},
		{"a probe with an empty window", srv.URL + "/probe?" + url.Values{"script": {"service_let"}, "baseline": {"-5m..-5m"}, "expect": {check}}.Encode(), "baseline", "is empty"},
	}
	for _, tc := range cases {
		var p problemOf
		if st := getJSON(t, tc.url, &p); st != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != tc.field || !strings.Contains(p.Detail, tc.says) {
			t.Errorf("%s: %d %+v, want 400 naming %s and saying %q", tc.name, st, p, tc.field, tc.says)
		}
	}
}

// Inline PxL is windowed through func and args.start_time; without them
// it cannot be, and the 400 says how to make it so.
func TestBaselineInline(t *testing.T) {
	t.Parallel()
	srv, _ := demoAt(t)
	const src = "import px\ndef let(start_time: str):\n    df = px.DataFrame(table='http_events', start_time=start_time)\n    df.timestamp = px.bin(df.time_, px.DurationNanos(10 * 1000 * 1000 * 1000))\n    df = df.groupby(['timestamp']).agg(n=('latency', px.count))\n    df.time_ = df.timestamp\n    return df[['time_', 'n']]\n"
	quoted, _ := json.Marshal(src)
	fn := string(quoted[1 : len(quoted)-1])
	post := func(body string, v any) int {
		t.Helper()
		resp, err := http.Post(srv.URL+"/v1/run", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	var out runVerdict
	st := post(`{"script": "`+fn+`", "func": "let", "args": {"start_time": "-1m"}, "baseline": {"start": "-10m", "end": "-1m"},
		"tolerances": [{"column": "n", "aggregate": "mean", "baseline": {"within_percent": 50}}]}`, &out)
	if c := out.Verdict.Checks; st != http.StatusOK || len(c) != 1 || c[0].Baseline == nil || *c[0].BaselineRows != 54 {
		t.Errorf("inline func at rest: %d %+v, want 200 with a baseline over 54 windows of 10 s", st, out.Verdict)
	}
	var p problemOf
	st = post(`{"script": "import px\npx.display(px.DataFrame(table='http_events', start_time='-1m'))", "baseline": {"start": "-10m", "end": "-1m"}, "tolerances": [{"expect": "count() < 2x baseline"}]}`, &p)
	if st != http.StatusBadRequest || !strings.Contains(p.Detail, "cannot be windowed") {
		t.Errorf("inline without func: %d %+v, want a 400 saying it cannot be windowed", st, p)
	}
	st = post(`{"script": "`+fn+`", "func": "let", "args": {"start_time": "-1m"}, "baseline": {"start": "-10m", "end": "-1m"}, "tolerances": [{"expect": "count() < 2x baseline", "table": "nope"}]}`, &p)
	if st != http.StatusExpectationFailed {
		t.Errorf("a check on a table the run lacks: %d, want 417 (the check fails)", st)
	}
}

// A catalog script run through func is windowed by that function's
// start_time (given or its default), not the entry's: a script shaped as
// Pixie's live views, with no entry, is windowed by the function asked
// for, and an overlap names the start_time the run passes.
func TestBaselineCatalogFunc(t *testing.T) {
	t.Parallel()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano())
	telemetry := pxldemo.New(pxldemo.Options{Seed: 7, Clock: func() time.Time { return time.Unix(0, now.Load()) }})
	cluster, client := gatewaytest.DemoClient(t, telemetry, 0)
	const fn = "    df = px.DataFrame(table='http_events', start_time=start_time)\n" +
		"    df.timestamp = px.bin(df.time_, px.DurationNanos(10 * 1000 * 1000 * 1000))\n" +
		"    df = df.groupby(['timestamp']).agg(n=('latency', px.count))\n" +
		"    df.time_ = df.timestamp\n" +
		"    return df[['time_', 'n']]\n"
	opts := handlers.Options{Pixie: client, DefaultClusterID: cluster.ClusterID(), Demo: cluster,
		DefaultTimeout: 10 * time.Minute, MaxTimeout: 10 * time.Minute} // as demoAt: no test here is about timeouts
	withCatalog(t, map[string]string{"windows.pxl": "import px\n\ndef recent(start_time: str = '-1m'):\n" + fn +
		"\ndef wide(start_time: str = '-5m'):\n" + fn})(&opts)
	srv := httptest.NewServer(handlers.New(opts))
	t.Cleanup(srv.Close)
	run := func(v any, params ...string) int {
		q := url.Values{"func": {params[0]}, "baseline": {"-10m..-2m"}, "expect": {"mean(n) < 2x baseline"}}
		for i := 1; i+1 < len(params); i += 2 {
			q.Set(params[i], params[i+1])
		}
		return getJSON(t, srv.URL+"/v1/scripts/windows/run?"+q.Encode(), v)
	}
	var out runVerdict
	if st := run(&out, "recent"); st != http.StatusOK || len(out.Verdict.Checks) != 1 || out.Verdict.Checks[0].Baseline == nil {
		t.Errorf("func recent (start_time -1m by default): %d %+v, want 200 with a baseline", st, out.Verdict)
	}
	var p problemOf
	if st := run(&p, "wide"); st != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "baseline.end" || !strings.Contains(p.Detail, "start_time=-5m") {
		t.Errorf("func wide (start_time -5m by default): %d %+v, want a 400 saying the baseline overlaps start_time=-5m", st, p)
	}
	if st := run(&out, "wide", "start_time", "-1m"); st != http.StatusOK {
		t.Errorf("func wide with start_time -1m: %d %+v, want 200", st, out.Verdict)
	}
}

// A baseline window with no rows follows the check's on_empty: a failure
// by default, never a pass; the run's page at /v1/runs/{id} keeps the
// check's baseline detail.
func TestBaselineEmptyWindowFails(t *testing.T) {
	t.Parallel()
	// The fake's rows are of 2025: none lies in a window before now.
	table := fakevizier.LETTable("output", 12, time.Date(2025, 11, 24, 16, 0, 0, 0, time.UTC), func(i int) time.Duration { return 200 * time.Millisecond })
	srv, _ := gatewaytest.Start(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{table}}), handlers.Options{})
	var out runVerdict
	st := getJSON(t, consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m", "expect", "p99(latency_p99) < 1.5x baseline"), &out)
	if c := out.Verdict.Checks; st != http.StatusExpectationFailed || len(c) != 1 || c[0].Passed || !strings.Contains(c[0].Message, "baseline window: no rows") || *c[0].BaselineRows != 0 {
		t.Errorf("empty baseline: %d %+v, want 417 and the check failing on no rows", st, out.Verdict)
	}
	st = getJSON(t, consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m", "expect", "p99(latency_p99) < 1.5x baseline", "fail_status", "503"), &out)
	if st != http.StatusServiceUnavailable {
		t.Errorf("fail_status: %d", st)
	}
	var runs struct {
		Runs []struct {
			ID      string `json:"id"`
			Verdict struct {
				Checks []baselineCheck `json:"checks"`
			} `json:"verdict"`
		} `json:"runs"`
	}
	getJSON(t, srv.URL+"/v1/runs", &runs)
	if len(runs.Runs) == 0 || len(runs.Runs[0].Verdict.Checks) != 1 || runs.Runs[0].Verdict.Checks[0].BaselineRows == nil {
		t.Errorf("history: %+v, want the check with its baseline rows", runs)
	}
}

// The answers of baseline runs match openapi.yaml: passing and failing
// verdicts with baseline detail, by GET, POST and /probe, the 400s, and
// the recorded run.
func TestContractBaseline(t *testing.T) {
	t.Parallel()
	_, router := loadContract(t)
	srv, _ := demoAt(t)
	e := &env{srv: srv}
	body := []byte(`{"script_name": "service_let", "args": {"service": "default/consumer", "start_time": "-1m"},
		"baseline": {"start": "-10m", "end": "-1m"}, "tolerances": [{"column": "latency_p99", "aggregate": "p99", "unit": "ms", "baseline": {"compare": "at_most", "plus": 50}}]}`)
	q := "service=default/consumer&start_time=-1m&baseline=-10m..-1m&expect="
	for _, tc := range []struct {
		method, path string
		body         []byte
		status       int
	}{
		{http.MethodGet, "/v1/scripts/service_let/run?" + q + url.QueryEscape("p99(latency_p99) < 1.5x baseline"), nil, 200},
		{http.MethodGet, "/v1/scripts/service_let/run?" + q + url.QueryEscape("p99(latency_p99) < 0.1x baseline"), nil, 417},
		{http.MethodGet, "/v1/scripts/service_let/run?" + q + url.QueryEscape("p50(latency_p50) within 20% of baseline"), nil, 200},
		{http.MethodGet, "/v1/scripts/service_let/run?service=default/consumer&baseline=-1m..-10m&expect=" + url.QueryEscape("p99(latency_p99) < 1.5x baseline"), nil, 400},
		{http.MethodPost, "/v1/run", body, 200},
		{http.MethodGet, "/probe?script=service_let&" + q + url.QueryEscape("p99(latency_p99) < 1.5x baseline"), nil, 200},
		{http.MethodGet, "/v1/runs", nil, 200},
		{http.MethodGet, "/v1/runs/nope/checks/0.svg", nil, 404},
	} {
		resp := e.do(t, tc.method, tc.path, "application/json", bytes.NewReader(tc.body))
		if resp.status != tc.status {
			t.Fatalf("%s %s: %d, want %d\n%s", tc.method, tc.path, resp.status, tc.status, resp.body)
		}
		checkContract(t, router, tc.body, resp)
	}
	var runs struct {
		Runs []struct{ ID string } `json:"runs"`
	}
	getJSON(t, srv.URL+"/v1/runs", &runs)
	for _, path := range []string{"/v1/runs/" + runs.Runs[0].ID + "/checks/0.svg", "/v1/runs/" + runs.Runs[0].ID} {
		// As a browser asks (the run's page), and as a client does.
		page := e.get(t, path, "text/html").response
		checkContract(t, router, nil, page)
		resp := e.do(t, http.MethodGet, path, "", nil)
		checkContract(t, router, nil, resp)
	}
}

// A run's checks are charts: GET /v1/runs/{id}/checks/{n}.svg answers
// image/svg+xml that parses as XML, with the series, the threshold, the
// baseline band and the failing points; the run's page (asked for as
// HTML) shows each chart inline; unknown checks are 404s.
func TestCheckCharts(t *testing.T) {
	t.Parallel()
	srv, now := demoAt(t)
	resp, err := http.Post(srv.URL+"/v1/demo/load", "application/json", strings.NewReader(`{"service":"default/consumer","rps":100,"duration":"90s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	now.Add(int64(15 * time.Second))
	var out runVerdict
	getJSON(t, consumerRun(srv.URL, "start_time", "-1m", "baseline", "-10m..-1m", "expect", "p99(latency_p99) < 1.5x baseline", "expect", "count() > 0"), &out)
	var runs struct {
		Runs []struct{ ID string } `json:"runs"`
	}
	getJSON(t, srv.URL+"/v1/runs", &runs)
	id := runs.Runs[0].ID
	get := func(path, accept string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	st, ct, svg := get("/v1/runs/"+id+"/checks/0.svg", "*/*")
	if st != 200 || ct != "image/svg+xml" {
		t.Fatalf("chart: %d %s", st, ct)
	}
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("the chart is not XML: %v", err)
	}
	for _, class := range []string{`class="series"`, `class="baseline-series"`, `class="threshold"`, `class="baseline-band"`, `class="fail"`, "latency_p99 (ms)", "FAIL"} {
		if !strings.Contains(svg, class) {
			t.Errorf("the chart of a failing baseline check lacks %s", class)
		}
	}
	st, ct, page := get("/v1/runs/"+id, "text/html,application/xhtml+xml")
	if st != 200 || !strings.HasPrefix(ct, "text/html") || strings.Count(page, "<svg") != 2 || !strings.Contains(page, "/checks/1.svg") {
		t.Errorf("the run's page: %d %s with %d charts", st, ct, strings.Count(page, "<svg"))
	}
	if st, ct, _ := get("/v1/runs/"+id, "application/json"); st != 200 || ct != "application/json" {
		t.Errorf("the run as JSON: %d %s", st, ct)
	}
	for _, path := range []string{"/v1/runs/" + id + "/checks/2.svg", "/v1/runs/" + id + "/checks/x.svg", "/v1/runs/nope/checks/0.svg"} {
		if st, _, _ := get(path, "*/*"); st != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, st)
		}
	}
}
