package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/version"
)

const namespace = "pxgate"

// Help strings.
const (
	helpHTTPRequests   = "HTTP requests served, by route pattern, method and status code."
	helpHTTPDuration   = "Time to serve an HTTP request, by route pattern and method."
	helpQueries        = "Pixie queries run, by outcome: ok, compile_error, or the failure kind (unavailable, timeout, canceled, ...)."
	helpQueryDuration  = "Time from sending a Pixie query to the end of its result stream, by outcome."
	helpQueriesRunning = "Pixie queries running now."
	helpRejected       = "Queries refused with 429 because the concurrency limit was reached."
	helpCache          = "GET runs and probes by cache state: miss (ran the query), hit, shared (joined an identical query in flight)."
	helpVerdicts       = "Verdicts of queries with tolerances, by result (pass, fail)."
)

// Query outcomes that are not a pixie.Kind.
const (
	outcomeOK           = "ok"
	outcomeCompileError = "compile_error"
	outcomeOther        = "other"
)

// metrics are the handlers' own collectors. Labels are bounded: route
// patterns, methods, status codes, fixed outcome names; never script text,
// cluster ids or raw paths.
//
// The children of known label values are resolved once (outcomes,
// verdicts, cache states), and the request metrics' per route, method and
// status on first use: a vector's WithLabelValues hashes the values and
// takes a lock on every call.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	queries       *prometheus.CounterVec
	queryDuration *prometheus.HistogramVec
	running       prometheus.Gauge
	rejected      prometheus.Counter
	cache         *prometheus.CounterVec
	verdicts      *prometheus.CounterVec

	byRequest  resolved[requestLabels, requestMetrics]
	byOutcome  map[string]queryMetrics
	pass, fail prometheus.Counter
	byCache    resolved[cache.State, prometheus.Counter]
}

// resolved maps label values to what they resolved to, once. (A sync.Map
// would box each key in an interface, an allocation per lookup.)
type resolved[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// get returns k's value, resolving it with resolve the first time.
func (r *resolved[K, V]) get(k K, resolve func(K) V) V {
	r.mu.RLock()
	v, ok := r.m[k]
	r.mu.RUnlock()
	if ok {
		return v
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; ok {
		return v
	}
	if r.m == nil {
		r.m = make(map[K]V)
	}
	v = resolve(k)
	r.m[k] = v
	return v
}

// requestLabels are the labels of the request metrics.
type requestLabels struct {
	route, method string
	code          int
}

// requestMetrics are the request metrics' children of one requestLabels.
type requestMetrics struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// queryMetrics are the query metrics' children of one outcome.
type queryMetrics struct {
	queries  prometheus.Counter
	duration prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total", Help: helpHTTPRequests,
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds", Help: helpHTTPDuration,
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "pixie", Name: "queries_total", Help: helpQueries,
		}, []string{"outcome"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "pixie", Name: "query_duration_seconds", Help: helpQueryDuration,
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"outcome"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "pixie", Name: "queries_in_flight", Help: helpQueriesRunning,
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "pixie", Name: "queries_rejected_total", Help: helpRejected,
		}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "cache_requests_total", Help: helpCache,
		}, []string{"state"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verdicts_total", Help: helpVerdicts,
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.duration, m.queries, m.queryDuration, m.running, m.rejected, m.cache, m.verdicts,
		version.NewCollector(), // pxgate_build_info
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	// Known label values exist from the start, so rates work from zero.
	m.byOutcome = make(map[string]queryMetrics)
	for _, o := range queryOutcomes() {
		m.byOutcome[o] = queryMetrics{m.queries.WithLabelValues(o), m.queryDuration.WithLabelValues(o)}
	}
	m.pass, m.fail = m.verdicts.WithLabelValues("pass"), m.verdicts.WithLabelValues("fail")
	return m
}

// queryOutcomes lists every value of the outcome label.
func queryOutcomes() []string {
	out := []string{outcomeOK, outcomeCompileError, outcomeOther}
	for k := pixie.KindUnavailable; k <= pixie.KindUnsupported; k++ {
		out = append(out, k.String())
	}
	return out
}

// outcome names a query's result for the outcome label.
func outcome(err error) string {
	switch {
	case err == nil:
		return outcomeOK
	case isCompileError(err):
		return outcomeCompileError
	}
	if k := pixie.KindOf(err); k != 0 {
		return k.String()
	}
	return outcomeOther
}

// observeQuery records one finished query.
func (m *metrics) observeQuery(err error, d time.Duration) {
	o := outcome(err)
	qm, ok := m.byOutcome[o]
	if !ok { // (outcome names only queryOutcomes)
		qm = queryMetrics{m.queries.WithLabelValues(o), m.queryDuration.WithLabelValues(o)}
	}
	qm.queries.Inc()
	qm.duration.Observe(d.Seconds())
}

// observeVerdict records the verdict of a query that had tolerances.
func (m *metrics) observeVerdict(passed bool) {
	if passed {
		m.pass.Inc()
	} else {
		m.fail.Inc()
	}
}

// observeRequest counts and times a request that began at start and
// answered status (serveRequest: the status the log line and the history
// say, 499 for a stream its caller left after its 200; a panicking request
// counts as a 500; 0, nothing written, as the 200 net/http sends), by
// route pattern.
func (m *metrics) observeRequest(r *http.Request, status int, start time.Time) {
	if status == 0 {
		status = http.StatusOK
	}
	rm := m.byRequest.get(requestLabels{route: routePattern(r), method: methodLabel(r.Method), code: status}, m.resolveRequest)
	rm.requests.Inc()
	rm.duration.Observe(time.Since(start).Seconds())
}

// resolveRequest resolves the request metrics of l.
func (m *metrics) resolveRequest(l requestLabels) requestMetrics {
	return requestMetrics{
		requests: m.requests.WithLabelValues(l.route, l.method, strconv.Itoa(l.code)),
		duration: m.duration.WithLabelValues(l.route, l.method),
	}
}

// observeCache counts a GET run or probe by its cache state.
func (m *metrics) observeCache(state cache.State) {
	m.byCache.get(state, m.resolveCache).Inc()
}

// resolveCache resolves the cache metric of state.
func (m *metrics) resolveCache(state cache.State) prometheus.Counter {
	return m.cache.WithLabelValues(string(state))
}

// methodLabel bounds the method label: callers can send any token.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}
