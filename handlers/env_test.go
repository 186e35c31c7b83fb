package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/internal/testlog"
	"github.com/pxgate/pxgate/internal/testnet"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/vizier"
)

const (
	testAPIKey    = "px-api-s3cr3t-5f1e0c"
	testClusterID = "5b27f024-eccb-4d07-b28d-84ab8d88e6a3"
)

// env is one gateway under test: a fake Vizier on loopback gRPC, the real
// Pixie client dialling it, and the handlers behind an httptest.Server.
type env struct {
	fake   *fakevizier.Server
	client *vizier.Client
	srv    *httptest.Server
	reg    *prometheus.Registry
	ready  *atomic.Bool
	logs   *testlog.Buffer
}

// newEnv starts an env whose fake answers with handler (nil: the fake's
// DefaultHandler). mods adjust the handler options before New.
func newEnv(t testing.TB, handler fakevizier.Handler, mods ...func(*handlers.Options)) *env {
	t.Helper()
	fake, err := fakevizier.Start(fakevizier.Options{APIKey: testAPIKey, ClusterID: testClusterID, Handler: handler})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return newEnvWithFake(t, fake, testAPIKey, mods...)
}

// newEnvWithFake points a gateway at an existing fake with the given key.
func newEnvWithFake(t testing.TB, fake *fakevizier.Server, apiKey string, mods ...func(*handlers.Options)) *env {
	t.Helper()
	e := newEnvAt(t, fake.Addr(), apiKey, mods...)
	e.fake = fake
	return e
}

// newDownEnv is a gateway whose Vizier is down: connecting to it is
// refused, for the whole test (testnet.RefusedAddr; e.fake is nil).
func newDownEnv(t testing.TB, mods ...func(*handlers.Options)) *env {
	t.Helper()
	return newEnvAt(t, testnet.RefusedAddr(t), testAPIKey, mods...)
}

// newEnvAt points a gateway at a Vizier address (e.fake is nil).
func newEnvAt(t testing.TB, addr, apiKey string, mods ...func(*handlers.Options)) *env {
	t.Helper()
	client, err := vizier.New(vizier.Config{DirectAddr: addr, Plaintext: true, APIKey: apiKey, ClusterID: testClusterID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return newEnvFor(t, client, testClusterID, mods...)
}

// newEnvFor serves a gateway whose Pixie client is client, with
// clusterID its default cluster (e.fake is nil).
func newEnvFor(t testing.TB, client *vizier.Client, clusterID string, mods ...func(*handlers.Options)) *env {
	t.Helper()
	e := &env{client: client, reg: prometheus.NewRegistry(), ready: new(atomic.Bool), logs: new(testlog.Buffer)}
	// The gateway's whole log goes to the test log, which CI searches for
	// the test secrets (.ci/run).
	t.Cleanup(func() { t.Logf("gateway log:\n%s", e.logs.String()) })
	e.ready.Store(true)
	opts := handlers.Options{
		Pixie:            client,
		Logger:           slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registry:         e.reg,
		DefaultClusterID: clusterID,
		MaxRows:          1000,
		DefaultTimeout:   10 * time.Second,
		MaxTimeout:       time.Minute,
		MaxBodyBytes:     256 << 10,
		Ready:            e.ready.Load,
	}
	for _, m := range mods {
		m(&opts)
	}
	e.srv = httptest.NewServer(handlers.New(opts))
	t.Cleanup(e.srv.Close) // runs first: waits for requests in flight
	return e
}

// response is an HTTP answer, read completely.
type response struct {
	status int
	header http.Header
	body   []byte
	req    *http.Request
}

// do sends a request to the gateway and reads the whole answer.
func (e *env) do(t testing.TB, method, path, contentType string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return e.send(t, req)
}

func (e *env) send(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b, req: req}
}

// run POSTs v (a string is sent as it is, anything else as JSON) to /v1/run.
func (e *env) run(t testing.TB, v any) response {
	t.Helper()
	var body []byte
	switch b := v.(type) {
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	return e.do(t, http.MethodPost, "/v1/run", "application/json", bytes.NewReader(body))
}

// runResponse decodes a RunResponse strictly: an unexpected field fails.
func (r response) runResponse(t testing.TB) api.RunResponse {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type: got %q, want %q exactly (status %d, body %s)", ct, "application/json", r.status, r.body)
	}
	var out api.RunResponse
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decoding a RunResponse: %v\n%s", err, r.body)
	}
	return out
}

// problem decodes a problem response and checks its content type and status.
func (r response) problem(t testing.TB, wantStatus int, wantType string) api.Problem {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("status: got %d, want %d (body %s)", r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type: got %q, want %q", ct, "application/problem+json")
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decoding a problem: %v\n%s", err, r.body)
	}
	if p.Type != wantType {
		t.Fatalf("problem type: got %q, want %q (detail %q)", p.Type, wantType, p.Detail)
	}
	if p.Status != wantStatus {
		t.Errorf("problem status: got %d, want %d", p.Status, wantStatus)
	}
	if p.Title == "" || p.Detail == "" || p.RequestID == "" || p.Instance == "" {
		t.Errorf("problem lacks title, detail, request_id or instance: %+v", p)
	}
	if got := r.header.Get("X-Request-Id"); got != p.RequestID {
		t.Errorf("request_id: got %q in the body, %q in X-Request-Id", p.RequestID, got)
	}
	return p
}

// letScript is the seed's LET script, made runnable.
func letScript(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/let.pxl")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "px.display(df, 'output')\n"
}

// letBase is the start of the LET fixture's time column.
var letBase = time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)

// letTable is the seed's LET output over n 10-second windows: latency_p99
// rises from 100 ms by 10 ms per window, so with 12 rows the exclusive p99
// (chaostoolkit-pixie's) is 218.7 ms.
func letTable(name string, n int) *fakevizier.Table {
	times := make([]int64, n)
	p50, p90, p99 := make([]int64, n), make([]int64, n), make([]int64, n)
	thr, errs, rate, bytesPer := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		times[i] = letBase.Add(time.Duration(i) * 10 * time.Second).UnixNano()
		p99[i] = int64(100+10*(i%12)) * int64(time.Millisecond)
		p90[i] = p99[i] * 8 / 10
		p50[i] = p99[i] / 2
		thr[i] = float64(100+i%7) / 10e9
		rate[i] = float64(i%5) / 100
		errs[i] = rate[i] * thr[i]
		bytesPer[i] = float64(2048*(100+i%7)) / 10e9
	}
	return fakevizier.NewTable(name,
		fakevizier.TimeCol("time_", pixie.STTimeNS, times...),
		fakevizier.Int64Col("latency_p50", pixie.STDurationNS, p50...),
		fakevizier.Int64Col("latency_p90", pixie.STDurationNS, p90...),
		fakevizier.Int64Col("latency_p99", pixie.STDurationNS, p99...),
		fakevizier.Float64Col("request_throughput", pixie.STThroughputPerNS, thr...),
		fakevizier.Float64Col("errors_per_ns", pixie.STThroughputPerNS, errs...),
		fakevizier.Float64Col("error_rate", pixie.STPercent, rate...),
		fakevizier.Float64Col("bytes_per_ns", pixie.STThroughputBytesPerNS, bytesPer...),
	)
}

// letPlan answers the LET table named output, with 12 rows.
func letPlan() *fakevizier.Plan {
	return &fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}}
}

// compatTolerance is the seed's tolerance in compatibility form.
func compatTolerance(threshold float64) map[string]any {
	return map[string]any{
		"func": "percentile_should_be_below",
		"arguments": map[string]any{
			"column":                   "latency_p99",
			"percentile":               99,
			"convert_from_nanoseconds": "milliseconds",
			"treshold":                 threshold,
		},
	}
}

// letRequest is the seed's experiment as a /v1/run body.
func letRequest(t testing.TB, threshold float64) map[string]any {
	return map[string]any{
		"script":     letScript(t),
		"tolerances": []any{compatTolerance(threshold)},
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
