package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/internal/testlog"
	"github.com/pxgate/pxgate/pixie"
)

// TestAppendQueryEscape: the cache key escapes as url.QueryEscape does,
// every byte and some strings.
func TestAppendQueryEscape(t *testing.T) {
	t.Parallel()
	ins := []string{"", "default/consumer", "-5m", "p99(latency) < 300ms", "a b+c&d=e;f%g", "ünïcode", "~._-AZaz09"}
	for c := range 256 {
		ins = append(ins, string([]byte{byte(c)}))
	}
	for _, s := range ins {
		if got, want := string(appendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Errorf("appendQueryEscape(%q) = %q, url.QueryEscape says %q", s, got, want)
		}
	}
}

// TestCanonicalQuery: the same query spelled in another order has one
// key, the form of the key is unchanged (name=value&, sorted), and the
// request's own values are not reordered.
func TestCanonicalQuery(t *testing.T) {
	t.Parallel()
	key := func(raw string) (string, url.Values) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/probe?"+raw, nil)
		return cacheKey(r, q), q
	}
	a, _ := key("service=default/consumer&start_time=-5m&expect=b&expect=a")
	b, q := key("expect=b&start_time=-5m&expect=a&service=default%2Fconsumer")
	if a != b {
		t.Errorf("keys differ: %q and %q", a, b)
	}
	if want := "/probe?expect=a&expect=b&service=default%2Fconsumer&start_time=-5m&|"; a != want {
		t.Errorf("key %q, want %q", a, want)
	}
	if !slices.Equal(q["expect"], []string{"b", "a"}) {
		t.Errorf("the request's values were reordered: %q", q["expect"])
	}
	long := strings.Repeat("x", 300) // past the key's stack buffer
	if k, _ := key("a=" + long); k != "/probe?a="+long+"&|" {
		t.Errorf("long key %q", k)
	}
}

// TestRequestContext: the request's context answers its id (as chi's
// middleware.GetReqID reads it) and its note, passes every other key on,
// and cancels as the context below it does.
func TestRequestContext(t *testing.T) {
	t.Parallel()
	type other struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), other{}, "v"))
	q := &request{Context: parent, id: "id-1"}
	var ctx context.Context = q
	if requestOf(ctx) != q || requestOf(context.WithoutCancel(ctx)) != q {
		t.Error("requestOf does not find the request")
	}
	if got := ctx.Value(other{}); got != "v" {
		t.Errorf("other key: got %v", got)
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done() // (a child of the request's context ends with the connection's)
	if requestOf(context.Background()) != nil {
		t.Error("a request found in a bare context")
	}
}

// TestNewRequestID: generated ids are chi's form, host/random-000001.
func TestNewRequestID(t *testing.T) {
	t.Parallel()
	a, b := newRequestID(), newRequestID()
	if a == b || !strings.HasPrefix(a, requestIDPrefix()) || !validRequestID(a) {
		t.Errorf("ids %q, %q", a, b)
	}
	n := strings.TrimPrefix(a, requestIDPrefix())
	if len(n) < 6 || strings.Trim(n, "0123456789") != "" {
		t.Errorf("id %q: number %q, want at least six digits", a, n)
	}
}

// panicPixie panics with its value in every query.
type panicPixie struct {
	nopPixie
	value any
}

func (p panicPixie) Execute(context.Context, pixie.Request, pixie.Sink) (pixie.Summary, error) {
	panic(p.value)
}

// TestPanics: a handler's panic is a logged 500 problem, counted as a 500
// and logged as one; http.ErrAbortHandler is passed on to net/http,
// counted as a 500 and logged with what was written.
func TestPanics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		value  any
		status int
		passed bool
	}{{"boom", http.StatusInternalServerError, false}, {http.ErrAbortHandler, http.StatusOK, true}} {
		logs := new(testlog.Buffer)
		reg := prometheus.NewRegistry()
		s := newServer(Options{Pixie: panicPixie{value: tc.value}, Registry: reg,
			Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/run", strings.NewReader(`{"script": "import px"}`))
		passed := func() (passed bool) {
			defer func() { passed = recover() == http.ErrAbortHandler }()
			s.router.ServeHTTP(w, req)
			return false
		}()
		if passed != tc.passed {
			t.Errorf("%v: passed on %v, want %v", tc.value, passed, tc.passed)
		}
		if !tc.passed {
			var p api.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusInternalServerError || p.Type != api.ProblemInternal || p.RequestID == "" || w.Header().Get("X-Request-Id") != p.RequestID {
				t.Errorf("%v: got %d %s (%v), want the internal problem", tc.value, w.Code, w.Body, err)
			}
			if !strings.Contains(logs.String(), `"msg":"panic serving request"`) {
				t.Errorf("%v: the panic is not logged:\n%s", tc.value, logs)
			}
		}
		if want := fmt.Sprintf(`"msg":"http request","method":"POST","route":"/v1/run","status":%d`, tc.status); !strings.Contains(logs.String(), want) {
			t.Errorf("%v: no log line %s in\n%s", tc.value, want, logs)
		}
		m := httptest.NewRecorder()
		s.router.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if want := `pxgate_http_requests_total{code="500",method="POST",route="/v1/run"} 1`; !strings.Contains(m.Body.String(), want) {
			t.Errorf("%v: no %s in the metrics", tc.value, want)
		}
	}
}

// TestUnmatchedRoute: requests no route takes are labelled "unmatched",
// under /v1 as anywhere (a bounded label, never the raw path).
func TestUnmatchedRoute(t *testing.T) {
	t.Parallel()
	s := newServer(Options{Pixie: nopPixie{}})
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/v1/no/such/path", nil),
		httptest.NewRequest(http.MethodDelete, "/v1/scripts", nil),
		httptest.NewRequest(http.MethodGet, "/nope", nil),
	} {
		s.router.ServeHTTP(httptest.NewRecorder(), req)
	}
	m := httptest.NewRecorder()
	s.router.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`pxgate_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`pxgate_http_requests_total{code="405",method="DELETE",route="unmatched"} 1`,
	} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("no %s in the metrics", want)
		}
	}
}
