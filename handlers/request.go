package handlers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
)

// Every request passes through serveRequest first, which gives it one
// *request: its id, its note, the writer that keeps its status, its parsed
// query string and its route pattern, in one allocation that is also its
// context. A small request's answer costs a few tens of microseconds, so
// the per-request middleware (once six layers, each wrapping the writer or
// the context anew) is one layer here.

// request is what the gateway keeps about one request while serving it.
// It is the request's context (the one below it, plus the values it
// answers): one allocation instead of a context.WithValue, a note and a
// wrapped writer each.
type request struct {
	context.Context // the request's context before serveRequest
	id              string
	idValue         atomic.Value // id as an any, boxed on first use (Value)
	idHeader        [1]string    // the X-Request-Id value, without a slice of its own
	note            requestNote
	w               responseWriter
	// query is the parsed query string (strictQuery); nil when none was
	// parsed, or the request had none.
	query      url.Values
	remoteAddr string // the client's address (callerOf)
	// route is routePattern's answer once asked (the route is known only
	// after routing, and asked for by the log, the metrics and the history).
	route string
	// abort says the answer must not end as if complete (abortAnswer).
	abort bool
}

// abortAnswer has serveRequest abort r's connection once the request is
// logged and counted, instead of ending its answer as if complete: for a
// streamed answer whose end will not be written (its caller taken for
// gone), so that a caller still reading sees a broken body (no last
// chunk; an HTTP/2 stream reset), never a short one that looks whole.
func abortAnswer(r *http.Request) {
	if q := requestOf(r.Context()); q != nil {
		q.abort = true
	}
}

// Value answers the request id as chi's middleware.RequestID would (so
// middleware.GetReqID works) and the request itself for noteKey.
func (q *request) Value(key any) any {
	switch key {
	case noteKey{}:
		return q
	case middleware.RequestIDKey:
		// Boxed once, when first asked for: a cache hit never asks.
		// (Atomic: a context's values may be read from any goroutine.)
		v := q.idValue.Load()
		if v == nil {
			v = q.id
			q.idValue.Store(v)
		}
		return v
	}
	return q.Context.Value(key)
}

// requestOf returns the *request of ctx; nil when the request did not pass
// through serveRequest (tests of single handlers).
func requestOf(ctx context.Context) *request {
	q, _ := ctx.Value(noteKey{}).(*request)
	return q
}

// serveRequest is the gateway's outer middleware: the request id (the
// caller's X-Request-Id if it sent a usable one, else a generated one),
// echoed on the response; one log line per request (logRequest); panics
// turned into a logged 500 (if nothing was written yet), http.ErrAbortHandler
// passed on; a panic once the status went out aborts the connection (so
// that a streamed answer cut by it never reads as complete), logged as a
// 500; and the request metrics, a panicking request counted as a 500.
func (s *server) serveRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		q := &request{Context: r.Context()}
		q.id = r.Header.Get(requestIDHeader)
		if q.id != "" && !validRequestID(q.id) {
			// Harmless in logs and response headers, or replaced.
			r.Header.Del(requestIDHeader)
			q.id = ""
		}
		if q.id == "" {
			q.id = newRequestID()
		}
		q.idHeader[0] = q.id
		w.Header()[requestIDHeader] = q.idHeader[:]
		q.w.ResponseWriter, q.remoteAddr = w, r.RemoteAddr
		r = r.WithContext(q)
		done := false
		defer func() {
			status := q.w.status
			if !done {
				p := recover()
				s.metrics.observeRequest(r, http.StatusInternalServerError, start)
				abort := p == http.ErrAbortHandler //nolint:errorlint // sentinel compared as net/http does
				if p != nil && !abort {
					s.logPanic(r, p)
					if q.w.status == 0 {
						s.writeProblem(&q.w, r, internalProblem(r))
					} else {
						// The status went out (a streamed answer, with
						// rows): ending the body now would make what was
						// written look complete (a CSV a whole table, with
						// no trailer to say otherwise). The connection is
						// aborted instead, as net/http does with a panic,
						// so that every client sees a broken answer; the
						// log says the 500 it is.
						q.note.status = http.StatusInternalServerError
						q.note.problemType = strings.TrimPrefix(api.ProblemInternal, api.ProblemTypePrefix)
						abort = true
					}
					status = q.w.status
				}
				s.logRequest(r, status, &q.note, time.Since(start))
				if abort {
					panic(http.ErrAbortHandler)
				}
				return
			}
			counted := status
			if q.note.status != 0 {
				// As the log line and the history say: a stream its caller
				// left after the 200 went out is a 499.
				counted = q.note.status
			}
			s.metrics.observeRequest(r, counted, start)
			s.logRequest(r, status, &q.note, time.Since(start))
			if q.abort {
				panic(http.ErrAbortHandler) // net/http closes the connection without a word
			}
		}()
		next.ServeHTTP(&q.w, r)
		done = true
	})
}

// logPanic logs a panic that a handler raised.
func (s *server) logPanic(r *http.Request, p any) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
		slog.String("route", routePattern(r)),
		slog.String("request_id", middleware.GetReqID(r.Context())),
		slog.String("panic", fmt.Sprint(p)),
		slog.String("stack", string(debug.Stack())),
	)
}

// responseWriter keeps the status a handler answered with. Like chi's
// middleware.WrapResponseWriter it passes on only the first WriteHeader
// (and 1xx informational ones), and a Write or Flush without one means 200.
type responseWriter struct {
	http.ResponseWriter
	status int // 0 until the header is written
}

func (w *responseWriter) WriteHeader(code int) {
	switch {
	case code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols:
		w.ResponseWriter.WriteHeader(code)
	case w.status == 0:
		w.status = code
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// FlushError flushes the underlying writer (http.ResponseController uses
// it), or says it cannot.
func (w *responseWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is http.Flusher's: FlushError without its error.
func (w *responseWriter) Flush() { _ = w.FlushError() }

// Unwrap gives http.ResponseController the writer below.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestIDPrefix starts the generated request ids: the host name and a
// random part, as chi's middleware.RequestID makes them
// ("host/abcdef1234-000001"), so that ids from replicas differ.
var requestIDPrefix = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if host == "" || err != nil {
		host = "localhost"
	}
	var b64 string
	for len(b64) < 10 {
		var buf [12]byte
		_, _ = rand.Read(buf[:])
		b64 = strings.NewReplacer("+", "", "/", "").Replace(base64.StdEncoding.EncodeToString(buf[:]))
	}
	return host + "/" + b64[:10] + "-"
})

// requestCount numbers the generated request ids.
var requestCount atomic.Uint64

// newRequestID returns the next generated request id: the prefix and a
// number of at least six digits.
func newRequestID() string {
	prefix := requestIDPrefix()
	var buf [128]byte
	b := append(buf[:0], prefix...)
	n := requestCount.Add(1)
	for d := uint64(100000); d > 1 && n < d; d /= 10 {
		b = append(b, '0')
	}
	return string(strconv.AppendUint(b, n, 10))
}

// queryOf returns r's query string parsed: the values strictQuery parsed,
// or parsed now (a handler tested alone). Callers must not change them.
func queryOf(r *http.Request) url.Values {
	if q := requestOf(r.Context()); q != nil && q.query != nil {
		return q.query
	}
	return r.URL.Query()
}

// routePattern returns the chi route that served r, or "unmatched" for
// requests no route took (404, 405): a bounded value for logs and labels,
// never the raw path. A request's route, once found, is kept: it is asked
// for by the history, the log line and the metrics (nothing asks before
// routing is done: the router is one level, no router mounted in it).
func routePattern(r *http.Request) string {
	q := requestOf(r.Context())
	if q != nil && q.route != "" {
		return q.route
	}
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); p != "" {
			if q != nil {
				q.route = p
			}
			return p
		}
	}
	return "unmatched"
}
