package handlers_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
)

// panicking wraps the gateway's Pixie client so that a query's sink
// panics on its nth batch with rows, once the batches before it went into
// the answer (as a bug in the encoding, or an encoding job's panic raised
// again on the request's goroutine, would).
type panicking struct {
	handlers.Pixie
	n int
}

func panicOnBatch(n int) func(*handlers.Options) {
	return func(o *handlers.Options) { o.Pixie = panicking{Pixie: o.Pixie, n: n} }
}

func (p panicking) Execute(ctx context.Context, r pixie.Request, sink pixie.Sink) (pixie.Summary, error) {
	return p.Pixie.Execute(ctx, r, &panicSink{Sink: sink, n: p.n})
}

type panicSink struct {
	pixie.Sink
	n int
}

func (s *panicSink) Batch(b *pixie.Batch) error {
	if b.NumRows > 0 {
		if s.n--; s.n == 0 {
			panic("test: a sink panics")
		}
	}
	return s.Sink.Batch(b)
}

// TestPanicAfterRowsBreaksTheAnswer: a panic once a streamed answer's 200
// and rows went out must not end the body as if complete (a CSV would
// then read as a whole table, an NDJSON or JSON answer as merely short):
// the connection is aborted, so that curl (exit 18), Python requests
// (ChunkedEncodingError) and Go (unexpected EOF) see a broken answer; the
// run is logged, counted and recorded as the 500 it is.
func TestPanicAfterRowsBreaksTheAnswer(t *testing.T) {
	t.Parallel()
	small := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 4}), panicOnBatch(2))
	big := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", bigRows)}, BatchRows: 500}),
		bigOptions, panicOnBatch(6))
	for _, tc := range []struct {
		name string
		env  *env
		path string
	}{
		{"ndjson", small, letRun + "?format=ndjson"},
		{"csv", small, letRun + "?format=csv"},
		{"json", big, letRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tc.env.srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := tc.env.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.ContentLength != -1 {
				t.Fatalf("status %d, Content-Length %d: want a streamed 200 (the panic must come after it)", resp.StatusCode, resp.ContentLength)
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: got %v (%d bytes, trailers %v), want it broken (unexpected EOF)", err, len(body), resp.Trailer)
			}
			if len(body) == 0 {
				t.Errorf("no rows before the panic")
			}
			if v := resp.Trailer.Get(api.TrailerVerdict); v == "pass" {
				t.Errorf("X-Pxgate-Verdict trailer: pass")
			}
			l := tc.env.logLine(t, response{header: resp.Header})
			if l["status"] != float64(http.StatusInternalServerError) || l["written_status"] != float64(http.StatusOK) {
				t.Errorf("log line %v, want status 500 written as 200", l)
			}
			if logs := tc.env.logs.String(); !strings.Contains(logs, `"msg":"panic serving request"`) || !strings.Contains(logs, "panicSink).Batch") {
				t.Errorf("the panic is not logged with the stack where it began")
			}
			var run *api.Run
			for _, r := range tc.env.runList(t, "") {
				if r.RequestID == resp.Header.Get("X-Request-Id") {
					run = &r
				}
			}
			if run == nil || run.Status != http.StatusInternalServerError || run.Error == nil || run.Error.Type != api.ProblemInternal || run.Outcome != "error" {
				t.Errorf("history: got %+v, want the run recorded as a 500 internal error", run)
			}
		})
	}
	for e, n := range map[*env]string{small: "2", big: "1"} {
		m := e.do(t, http.MethodGet, "/metrics", "", nil)
		for _, want := range []string{
			`pxgate_http_requests_total{code="500",method="GET",route="/v1/scripts/*"} ` + n,
			// The queries the panics ended are counted, as failed.
			`pxgate_pixie_queries_total{outcome="other"} ` + n,
			`pxgate_pixie_queries_in_flight 0`,
		} {
			if !strings.Contains(string(m.body), want) {
				t.Errorf("no %s in the metrics", want)
			}
		}
	}
}

// TestStreamEndedForALeftCallerIsNotComplete: a streamed answer that the
// gateway ends because it took its caller for gone (the request's context
// ended: here the client half-closed its side after the first row, which
// net/http reads as leaving, while it still reads) must not end the body
// as if complete: no last chunk, so a client still reading sees a broken
// answer rather than a whole CSV without trailers.
func TestStreamEndedForALeftCallerIsNotComplete(t *testing.T) {
	t.Parallel()
	// One row per batch; the stream hangs after the first: only the
	// caller leaving ends it.
	e := newEnv(t, fakevizier.StaticHandler(&fakevizier.Plan{Tables: []*fakevizier.Table{letTable("output", 12)}, BatchRows: 1, HangAfter: 2}))
	for _, format := range []string{"csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := fmt.Fprintf(conn, "GET %s?format=%s HTTP/1.1\r\nHost: pxgate\r\n\r\n", letRun, format); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			first := make([]byte, 1)
			if _, err := io.ReadFull(resp.Body, first); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, first byte: %v", resp.StatusCode, err)
			}
			if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the rest: got %v (%q, trailers %v), want a broken body", err, body, resp.Trailer)
			}
			if err := e.fake.WaitIdle(t.Context()); err != nil {
				t.Fatalf("the query still runs: %v", err)
			}
		})
	}
}
