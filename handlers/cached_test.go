package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pxl/demo"
)

func withCache(o *handlers.Options) { o.Cache = cache.New(time.Minute, 100, 1<<20) }

// TestCachedGETRuns: identical GET runs within the TTL share one Pixie
// query and say so; POST runs and no-cache requests always run; errors are
// never kept.
func TestCachedGETRuns(t *testing.T) {
	t.Parallel()
	// The cache's clock is the test's: answers age when the test says so.
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC).UnixNano())
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), func(o *handlers.Options) {
		withCache(o)
		o.Cache.SetClock(func() time.Time { return time.Unix(0, clock.Load()) })
	})
	path := "/v1/scripts/service_let/run?service=default/consumer&start_time=-5m"
	first := e.do(t, http.MethodGet, path, "", nil)
	if first.status != http.StatusOK || first.header.Get("X-Pxgate-Cache") != "miss" {
		t.Fatalf("first: got %d %q", first.status, first.header.Get("X-Pxgate-Cache"))
	}
	// The same request with its parameters in another order is a hit.
	second := e.do(t, http.MethodGet, "/v1/scripts/service_let/run?start_time=-5m&service=default/consumer", "", nil)
	if second.status != http.StatusOK || second.header.Get("X-Pxgate-Cache") != "hit" || second.header.Get("Age") == "" {
		t.Errorf("second: got %d cache %q age %q", second.status, second.header.Get("X-Pxgate-Cache"), second.header.Get("Age"))
	}
	if string(second.body) != string(first.body) || second.header.Get("Content-Type") != api.ContentTypeJSON {
		t.Errorf("a hit answers a different body or type")
	}
	if got := second.header.Get("Content-Length"); got != strconv.Itoa(len(second.body)) {
		t.Errorf("a hit's Content-Length is %q for %d bytes", got, len(second.body))
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("the fake saw %d queries, want 1", n)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("Cache-Control", "no-cache")
	if resp := e.send(t, req); resp.header.Get("X-Pxgate-Cache") != "" {
		t.Errorf("no-cache: got cache state %q", resp.header.Get("X-Pxgate-Cache"))
	}
	e.run(t, letRequest(t, 300))
	e.run(t, letRequest(t, 300))
	if n := len(e.fake.Requests()); n != 4 {
		t.Errorf("the fake saw %d queries, want 4 (POST runs are not cached)", n)
	}
	// A steady-state check (expect=) runs fresh, unless it opts in.
	check := path + "&expect=p99(latency_p99)<300ms"
	for range 2 {
		if resp := e.do(t, http.MethodGet, check, "", nil); resp.header.Get("X-Pxgate-Cache") != "" {
			t.Errorf("a check was answered from the cache (%s)", resp.header.Get("X-Pxgate-Cache"))
		}
	}
	if n := len(e.fake.Requests()); n != 6 {
		t.Errorf("the fake saw %d queries, want 6", n)
	}
	for i, want := range []string{"miss", "hit"} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+check, nil)
		req.Header.Set("Cache-Control", "max-age=30")
		if got := e.send(t, req).header.Get("X-Pxgate-Cache"); got != want {
			t.Errorf("opted-in check %d: got %q, want %q", i, got, want)
		}
	}
	// max-age bounds the age of the answer taken; 0 or an unreadable one
	// means a fresh query.
	clock.Add(int64(1100 * time.Millisecond)) // Age counts whole seconds
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+check, nil)
	req.Header.Set("Cache-Control", "max-age=30")
	if got := e.send(t, req).header; got.Get("X-Pxgate-Cache") != "hit" || got.Get("Age") != "1" {
		t.Errorf("1.1 s later: got cache %q, Age %q; want a hit of Age 1", got.Get("X-Pxgate-Cache"), got.Get("Age"))
	}
	for _, tc := range []struct{ cc, want string }{
		{"max-age=30", "hit"}, {"max-age=1", "miss"}, {"public, max-age=50", "hit"},
		{"max-age=0", ""}, {"max-age=soon", ""}, {"no-store", ""},
		{"max-age=99999999999999999999", "hit"}, // RFC 9111: an overflow is 2^31 seconds
	} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+check, nil)
		req.Header.Set("Cache-Control", tc.cc)
		if got := e.send(t, req).header.Get("X-Pxgate-Cache"); got != tc.want {
			t.Errorf("Cache-Control %q: got %q, want %q", tc.cc, got, tc.want)
		}
	}

	// Concurrent identical requests: one query.
	e2 := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: letPlan().Tables, Delay: 20 * time.Millisecond}), withCache)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e2.do(t, http.MethodGet, path, "", nil); r.status != http.StatusOK {
				t.Errorf("got %d", r.status)
			}
		}()
	}
	wg.Wait()
	if n := len(e2.fake.Requests()); n != 1 {
		t.Errorf("6 concurrent identical requests ran %d queries, want 1", n)
	}
	metrics := string(e2.do(t, http.MethodGet, "/metrics", "", nil).body)
	if !strings.Contains(metrics, `pxgate_cache_requests_total{state="miss"} 1`) {
		t.Errorf("cache metrics missing:\n%s", grepLines(metrics, "pxgate_cache"))
	}
}

func TestCacheKeepsNoErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.CompileErrorHandler(fakevizier.CompilerError(1, 1, "bad")), withCache)
	for range 2 {
		e.do(t, http.MethodGet, "/v1/scripts/service_let/run", "", nil).problem(t, http.StatusBadRequest, api.ProblemCompileError)
	}
	if n := len(e.fake.Requests()); n != 2 {
		t.Errorf("the fake saw %d queries, want 2 (errors are not cached)", n)
	}
}

// TestCachedProbes: a probe answer is kept once and served to every
// scraper, whatever its Accept or Accept-Encoding (a protobuf or gzip body
// stored for one would not parse for the next, and the probe's alert would
// never fire); a probe Vizier ended is a failing result.
func TestCachedProbes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), withCache)
	gzip := http.Header{"Accept-Encoding": {"gzip"}}
	protobuf := http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}}
	for _, h := range []http.Header{protobuf, gzip, nil, gzip} {
		if got := e.probe(t, "script=service_let", h).value(t, "pxgate_probe_success", nil); got != 1 {
			t.Errorf("pxgate_probe_success: got %v, want 1", got)
		}
	}
	if n := len(e.fake.Requests()); n != 1 {
		t.Errorf("the fake saw %d queries, want 1", n)
	}
	canceled := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4, AbortAfter: 2, AbortCode: codes.Canceled}), withCache)
	for range 2 {
		if got := canceled.probe(t, "script=service_let", nil).value(t, "pxgate_probe_success", nil); got != 0 {
			t.Errorf("pxgate_probe_success: got %v, want 0", got)
		}
	}
}

func TestDemoLoadKnob(t *testing.T) {
	t.Parallel()
	// The demo's clock stands still: a load's time left is what it was
	// given, however long the requests take.
	clock := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	cluster := demo.New(demo.Options{Clock: func() time.Time { return clock }})
	e := newEnv(t, nil, func(o *handlers.Options) { o.Demo = cluster })
	resp := e.do(t, http.MethodPost, "/v1/demo/load", "application/json", strings.NewReader(`{"service": "default/consumer", "rps": 100, "duration": "60s"}`))
	if resp.status != http.StatusAccepted || !strings.Contains(string(resp.body), `"until":"2026-01-02T15:05:05Z"`) {
		t.Fatalf("got %d %s, want 202 until a minute after the demo's now", resp.status, resp.body)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"service": "default/nope", "rps": 1, "duration": "1s"}`, "service"},
		{`{"service": "default/consumer", "rps": -1, "duration": "1s"}`, "rps"},
		{`{"service": "default/consumer", "rps": 5000, "duration": "1s"}`, "rps"},
		{`{"service": "default/consumer", "rps": 1, "duration": "forever"}`, "duration"},
		{`{"service": "default/consumer", "rps": 1, "duration": "2h"}`, "duration"},
		{`{"svc": "x"}`, "svc"},
		{`{"service": "consumer", "rps": 1, "duration": "1s"}`, "service"}, // namespace/name, as scripts take it
		{`{"service": "default/consumer", "rps": 1, "duration": "1s"} {"rps": 1900}`, ""},
	} {
		p := e.do(t, http.MethodPost, "/v1/demo/load", "application/json", strings.NewReader(tc.body)).problem(t, http.StatusBadRequest, api.ProblemInvalidRequest)
		if len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: errors %+v, want one about %q", tc.body, p.Errors, tc.field)
		}
	}
	// Loads stack up to the demo's limit per service; past it, 429 until
	// the load in the way ends.
	resp = e.do(t, http.MethodPost, "/v1/demo/load", "application/json", strings.NewReader(`{"service": "default/consumer", "rps": 1950, "duration": "60s"}`))
	if p := resp.problem(t, http.StatusTooManyRequests, api.ProblemDemoLoadLimit); !strings.Contains(p.Detail, "already carries up to 100 extra requests per second") {
		t.Errorf("429 detail: %q", p.Detail)
	}
	if got := resp.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After: got %q, want the 60 s of the first load", resp.header.Get("Retry-After"))
	}
	if resp := e.do(t, http.MethodPost, "/v1/demo/load", "application/json", strings.NewReader(`{"service": "default/frontend", "rps": 1900, "duration": "60s"}`)); resp.status != http.StatusAccepted {
		t.Errorf("another service has its own limit: got %d %s", resp.status, resp.body)
	}
	// GET /v1/demo shows the load running, so an experiment can check it.
	info := e.do(t, http.MethodGet, "/v1/demo", "", nil)
	var got api.DemoInfo
	if err := json.Unmarshal(info.body, &got); err != nil || info.status != http.StatusOK {
		t.Fatalf("GET /v1/demo: %d %s", info.status, info.body)
	}
	if l := got.Load["default/consumer"]; l.ExtraRPS != 100 || l.Until == "" || got.Load["default/frontend"].ExtraRPS != 1900 || len(got.Load) != 2 {
		t.Errorf("GET /v1/demo load: %+v, want consumer 100 and frontend 1900 extra rps", got.Load)
	}
	off := newEnv(t, nil)
	off.do(t, http.MethodPost, "/v1/demo/load", "application/json", strings.NewReader(`{"service": "default/consumer", "rps": 1, "duration": "1s"}`)).
		problem(t, http.StatusNotFound, api.ProblemNotFound)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A cached GET run whose stream breaks after more rows than one write
// holds is answered as the failure it is, and not kept: recorded for the
// cache, a JSON answer is held whole, so it never becomes a 200 cut short
// whose trailers (what say it failed) a replay would lose.
func TestCachedCutStreamIsNoSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 3000)}, BatchRows: 500, AbortAfter: 5}),
		withCache, func(o *handlers.Options) { o.MaxRows = 5000 })
	for i := range 2 {
		resp := e.do(t, http.MethodGet, letRun+"?service=default/consumer", "", nil)
		p := resp.problem(t, http.StatusBadGateway, api.ProblemPixieUnavailable)
		if !strings.Contains(p.Detail, "broke after") || resp.header.Get("X-Pxgate-Cache") == "hit" {
			t.Errorf("try %d: %q (cache %q), want the broken stream, never a cached answer", i, p.Detail, resp.header.Get("X-Pxgate-Cache"))
		}
	}
}

// TestCachedAnswersKeepTheirHeaders: an answer that goes through the
// cache, as its miss and as its hits, carries the headers that say what it
// is (X-Pxgate-Verdict, X-Pxgate-Truncated) as the same answer does
// without a cache: the cache kept the body and the status only, so with
// the cache on (the default) GET runs never said their verdict in
// X-Pxgate-Verdict, nor that max_rows cut them.
func TestCachedAnswersKeepTheirHeaders(t *testing.T) {
	t.Parallel()
	cached := newEnv(t, fakevizier.StaticHandler(letPlan()), withCache)
	plain := newEnv(t, fakevizier.StaticHandler(letPlan()))
	for _, tc := range []struct {
		path, verdict string
		status        int
	}{
		{letRun + "?max_rows=1", "pass", http.StatusOK},
		{letRun + "?max_rows=1&expect=p99(latency_p99)<1ms", "fail", http.StatusExpectationFailed},
	} {
		want := plain.get(t, tc.path, "")
		if want.status != tc.status || want.header.Get(api.TrailerVerdict) != tc.verdict || want.header.Get(api.TrailerTruncated) != "true" {
			t.Fatalf("%s without a cache: got %d %v, want %d with verdict %s, truncated", tc.path, want.status, want.header, tc.status, tc.verdict)
		}
		for _, state := range []string{"miss", "hit"} {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, cached.srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Cache-Control", "max-age=60") // checks (expect=) opt in
			got := cached.send(t, req)
			if got.header.Get("X-Pxgate-Cache") != state || got.status != tc.status {
				t.Fatalf("%s: got %d, cache %q, want %d, %s", tc.path, got.status, got.header.Get("X-Pxgate-Cache"), tc.status, state)
			}
			for _, h := range []string{api.TrailerVerdict, api.TrailerTruncated, api.TrailerError, "X-Content-Type-Options"} {
				if g, w := got.header.Values(h), want.header.Values(h); !slices.Equal(g, w) {
					t.Errorf("%s, %s: %s is %q, %q without a cache", tc.path, state, h, g, w)
				}
			}
		}
	}
}

// TestCachedRefusalsSayWhenToRetry: a GET run or a probe refused through
// the cache (the memory budget spent: 503) carries its Retry-After, as
// openapi.yaml says it does; the cache answered the refusal's status and
// body without it.
func TestCachedRefusalsSayWhenToRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fakevizier.StaticHandler(letPlan()), withCache, func(o *handlers.Options) { o.AnswerMemory = 1 })
	for _, path := range []string{letRun, "/probe?script=service_let"} {
		resp := e.get(t, path, "")
		resp.problem(t, http.StatusServiceUnavailable, api.ProblemMemoryBudget)
		if resp.header.Get("X-Pxgate-Cache") != "miss" || resp.header.Get("Retry-After") != "1" {
			t.Errorf("%s: cache %q, Retry-After %q, want a miss with Retry-After 1", path, resp.header.Get("X-Pxgate-Cache"), resp.header.Get("Retry-After"))
		}
	}
}
