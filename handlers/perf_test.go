package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/internal/lettest"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/scripts"
)

// The benchmarks here measure the gateway's own work per request for a
// small result, without gRPC or a network: what bench/load's "added by
// pxgate beyond the HTTP hop" is made of.

// perfScript and perfBody are bench/load's script and request body.
const perfScript = "import px\npx.display(px.DataFrame('http_events'), 'output')\n"

const perfBody = `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')\n", "tolerances": [{"expect": "p99(latency_p99) < 300ms"}]}`

// letPixie answers every query with one pre-decoded LET table, at once.
type letPixie struct {
	meta  *pixie.TableMeta
	batch *pixie.Batch
}

func newLETPixie(tb testing.TB, rows int) *letPixie {
	tb.Helper()
	b := lettest.Batch(tb, rows)
	return &letPixie{meta: b.Table, batch: b}
}

func (p *letPixie) Execute(_ context.Context, _ pixie.Request, sink pixie.Sink) (pixie.Summary, error) {
	if err := sink.Table(p.meta); err != nil {
		return pixie.Summary{}, err
	}
	if err := sink.Batch(p.batch); err != nil {
		return pixie.Summary{}, err
	}
	return pixie.Summary{QueryID: "5b27f024-eccb-4d07-b28d-84ab8d88e6a3"}, nil
}

func (p *letPixie) Clusters(context.Context) ([]pixie.Cluster, error) { return nil, nil }

// discardWriter is a ResponseWriter that keeps only the status and length.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// BenchmarkServeRunLET100 is POST /v1/run through the whole handler chain
// (middleware, metrics, decoding, policy, tolerances, encoding) for a
// 100-row LET table from a Pixie that answers instantly.
func BenchmarkServeRunLET100(b *testing.B) {
	h := New(Options{Pixie: newLETPixie(b, 100)})
	body := []byte(perfBody)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/run", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkCachedGET is a cache hit of a GET run through the whole
// handler chain: what bench/load's cached GET adds to a bare net/http
// server sending the same bytes.
func BenchmarkCachedGET(b *testing.B) {
	h := New(Options{Pixie: newLETPixie(b, 100), Cache: cache.New(time.Hour, 10, 1<<20)})
	const path = "/v1/scripts/service_let/run?service=default/consumer&start_time=-5m"
	b.ReportAllocs()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

func BenchmarkDecodeRunRequest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := api.DecodeRunRequest(strings.NewReader(perfBody)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMutates(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if mutates(perfScript) {
			b.Fatal("mutates")
		}
	}
}

// TestMutatesPrecheck checks that mutates, with its substring pre-check,
// answers as the regexp alone does.
func TestMutatesPrecheck(t *testing.T) {
	t.Parallel()
	srcs := []string{
		"", perfScript,
		"import pxtrace\n", "  import  pxtrace as t\n", "from pxtrace import probe\n",
		"x = pxtrace.kprobe()\n", "pxtrace.UpsertTracepoint('t', 't', fn, pxtrace.kprobe(), '5m')\n",
		"UpsertTracepoint\n", "DeleteTracepoint('t')\n", "xUpsertTracepoint\n", "UpsertTracepoints\n",
		"Tracepoint\n", "import pxtracer\n", "import pxconfig\n", "from pxconfig import set_agent_config\n",
		"pxconfig.set_agent_config('pod', 'gprof', 'true', '5m')\n", "import pxconfigs\n", "# pxconfig\n", "# pxtrace\n", "mypxtrace.x\n", "PXTRACE.x\n", "import px # no pxtrace here\n",
	}
	c, _, err := scripts.Load(scripts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		srcs = append(srcs, sc.Source)
	}
	for _, src := range srcs {
		if got, want := mutates(src), mutationRe.MatchString(src); got != want {
			t.Errorf("mutates(%q) = %v, the regexp says %v", src, got, want)
		}
	}
}

// TestRunContentLength checks that a JSON answer that fits in the
// encoder's buffer, or is held for its verdict, is sent with a
// Content-Length, and a larger streamed one in chunks.
func TestRunContentLength(t *testing.T) {
	t.Parallel()
	streamed := `{"script": "import px\npx.display(px.DataFrame('http_events'), 'output')\n"}`
	for _, tc := range []struct {
		body    string
		rows    int
		chunked bool
	}{{perfBody, 100, false}, {perfBody, 1000, false}, {streamed, 100, false}, {streamed, 3000, true}} {
		srv := httptest.NewServer(New(Options{Pixie: newLETPixie(t, tc.rows)}))
		resp, err := srv.Client().Post(srv.URL+"/v1/run", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%d rows: status %d, %v", tc.rows, resp.StatusCode, err)
		}
		chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
		if chunked != tc.chunked {
			t.Errorf("%d rows: chunked %v, want %v", tc.rows, chunked, tc.chunked)
		}
		if !tc.chunked && resp.ContentLength != int64(len(body)) {
			t.Errorf("%d rows: Content-Length %d, body %d bytes", tc.rows, resp.ContentLength, len(body))
		}
	}
}
