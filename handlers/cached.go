package handlers

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
)

// Headers of cacheable answers.
const (
	headerCache = "X-Pxgate-Cache" // miss, hit or shared
	headerAge   = "Age"            // seconds since the answer was made (RFC 9111)
)

// cached serves a GET through the result cache when one is configured:
// identical requests (same path and query, order aside) within the TTL
// share one Pixie query and its answer. Callers opt out with
// Cache-Control: no-cache, no-store or max-age=0, and max-age=N takes only
// an answer younger than N seconds; requests with expect= tolerances run
// fresh unless they opt in with max-age. Only complete answers of a query
// that ran (JSON runs with their verdict, probe scrapes) are kept, never
// errors. The query runs detached from the first caller's connection, so
// that its leaving does not fail the callers sharing the query.
//
// q is r's query, parsed once by the caller.
func (s *server) cached(w http.ResponseWriter, r *http.Request, q url.Values, serve http.HandlerFunc) {
	if s.cache == nil || r.Method != http.MethodGet {
		serve(w, r)
		return
	}
	maxAge, fresh := cacheControl(r, q)
	if fresh {
		serve(w, r)
		return
	}
	key := cacheKey(r, q)
	state := cache.Hit
	e := s.cache.Lookup(key, maxAge)
	if e == nil {
		e, state = s.fill(r, key, maxAge, serve)
	}
	s.metrics.observeCache(state)
	// One allocation for the four values instead of one each (Header.Set);
	// the keys are canonical already.
	vals := new([4]string)
	vals[0], vals[1] = e.ContentType, string(state)
	vals[2] = strconv.Itoa(int(s.cache.Now().Sub(e.Created) / time.Second))
	vals[3] = strconv.Itoa(len(e.Body)) // one write, no chunk framing
	h := w.Header()
	h[headerContentType], h[headerCache], h[headerAge], h["Content-Length"] = vals[0:1:1], vals[1:2:2], vals[2:3:3], vals[3:4:4]
	for k, v := range e.Header {
		h[k] = v
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.Body)
}

// fill answers a request that found no answer in the cache: it runs the
// query (serve), or joins an identical one in flight.
func (s *server) fill(r *http.Request, key string, maxAge time.Duration, serve http.HandlerFunc) (*cache.Entry, cache.State) {
	e, state, _ := s.cache.DoFresh(key, maxAge, func() (*cache.Entry, bool, error) {
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		// Detached from the first caller, but bounded: the catalog lookup
		// and the query must end even if nobody waits any more.
		ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
		defer cancel(nil)
		ctx, cancelTimeout := context.WithTimeout(ctx, s.opts.MaxTimeout+5*time.Second)
		defer cancelTimeout()
		// ...but not from the gateway's shutdown: its callers get the 503.
		stop := context.AfterFunc(r.Context(), func() {
			if shuttingDown(r.Context()) {
				cancel(ErrShuttingDown)
			}
		})
		defer stop()
		serve(rec, r.WithContext(ctx))
		e := &cache.Entry{Status: rec.status, ContentType: rec.header.Get(headerContentType), Header: replayed(rec.header),
			Body: rec.body.Bytes(), Created: s.cache.Now()}
		return e, cacheable(e), nil
	})
	return e, state
}

// replayedHeaders are the headers of an answer, beside its Content-Type,
// that the cache keeps and replays with it (the answer's own word on its
// verdict, its truncation; when to retry a refusal, which is never kept
// but is what the callers sharing its query get): without them, the
// answer that went through the cache, the miss as well as the hits, would
// say less than the one that did not.
var replayedHeaders = []string{api.TrailerVerdict, api.TrailerError, api.TrailerTruncated, "X-Content-Type-Options", "Retry-After"}

// replayed copies the replayedHeaders h has; nil when it has none.
func replayed(h http.Header) http.Header {
	var out http.Header
	for _, k := range replayedHeaders {
		if v := h.Values(k); len(v) > 0 {
			if out == nil {
				out = make(http.Header, len(replayedHeaders))
			}
			out[k] = slices.Clone(v)
		}
	}
	return out
}

// cacheable keeps answers that carry a result: a verdict (pass or fail) or
// a probe scrape; problems, and answers without a body, are answered fresh
// every time.
//
// An answer that says it failed in a trailer (a stream cut after its 200;
// its Header keeps the trailer, replayedHeaders) is not kept either; a
// recorded JSON answer is held whole so that it never is one.
func cacheable(e *cache.Entry) bool {
	return e.ContentType != "" && !strings.HasPrefix(e.ContentType, "application/problem") &&
		e.Status < http.StatusInternalServerError && e.Status != statusClientClosedRequest &&
		e.Header.Get(api.TrailerError) == ""
}

// cacheControl reads the request's Cache-Control (RFC 9111): fresh says r
// must run its own query (no-cache, no-store, max-age=0, or tolerances
// (expect=) without a max-age, since a steady-state check after a fault
// must never see the answer from before it); otherwise maxAge bounds the
// age of an answer it takes (no bound when it gave none).
func cacheControl(r *http.Request, q url.Values) (maxAge time.Duration, fresh bool) {
	maxAge, given := time.Duration(math.MaxInt64), false
	for _, header := range r.Header.Values("Cache-Control") {
		for d := range strings.SplitSeq(header, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return 0, true
			case "max-age":
				n, err := strconv.ParseUint(strings.Trim(value, `"`), 10, 32)
				if errors.Is(err, strconv.ErrRange) {
					n, err = 1<<31, nil // RFC 9111 1.2.2: too large a delta is 2^31
				}
				if err != nil {
					return 0, true // unreadable: the safe reading
				}
				maxAge, given = min(maxAge, time.Duration(n)*time.Second), true
			}
		}
	}
	if maxAge == 0 || q.Has("expect") && !given {
		return 0, true
	}
	return maxAge, false
}

// cacheKey is r's key in the cache: its path, its query in canonical
// form (parameters and their values ordered, so that the same request
// spelled in another order shares the entry) and the scrape timeout
// Prometheus announced.
func cacheKey(r *http.Request, q url.Values) string {
	var buf [256]byte
	b := append(buf[:0], r.URL.Path...)
	b = append(b, '?')
	b = appendCanonicalQuery(b, q)
	b = append(b, '|')
	b = append(b, r.Header.Get(scrapeTimeoutHeader)...)
	return string(b)
}

// appendCanonicalQuery appends q with its parameters and their values
// ordered, each as "name=value&", escaped as url.QueryEscape does.
func appendCanonicalQuery(b []byte, q url.Values) []byte {
	var buf [16]string
	for _, k := range sortedKeys(q, buf[:0]) {
		vals := q[k]
		if !slices.IsSorted(vals) { // (q is shared: sort a copy)
			vals = slices.Sorted(slices.Values(vals))
		}
		for _, v := range vals {
			b = appendQueryEscape(b, k)
			b = append(b, '=')
			b = appendQueryEscape(b, v)
			b = append(b, '&')
		}
	}
	return b
}

// appendQueryEscape appends s escaped as url.QueryEscape would: letters,
// digits and "-_.~" as they are, a space as "+", any other byte as %XX.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// recorder is the http.ResponseWriter that captures an answer, for the
// cache and for answers held until their verdict is known.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
	// hold, when set, leases the bytes written from the memory budget
	// before they are kept; its error fails the write.
	hold func(n int) error
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if !rec.wrote {
		rec.status, rec.wrote = status, true
	}
}

// reset drops what was written: the recorder is as new, but for hold.
func (rec *recorder) reset() {
	rec.header, rec.status, rec.wrote = http.Header{}, http.StatusOK, false
	rec.body.Reset()
}

// Flush is a no-op: the recorder holds everything until it is replayed.
func (rec *recorder) Flush() {}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.hold != nil {
		if err := rec.hold(len(p)); err != nil {
			return 0, err
		}
	}
	rec.wrote = true
	return rec.body.Write(p)
}
