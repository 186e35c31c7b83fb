package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

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
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	queries       *prometheus.CounterVec
	queryDuration *prometheus.HistogramVec
	running       prometheus.Gauge
	rejected      prometheus.Counter
	cache         *prometheus.CounterVec
	verdicts      *prometheus.CounterVec
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
	for _, o := range queryOutcomes() {
		m.queries.WithLabelValues(o)
		m.queryDuration.WithLabelValues(o)
	}
	m.verdicts.WithLabelValues("pass")
	m.verdicts.WithLabelValues("fail")
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
	m.queries.WithLabelValues(o).Inc()
	m.queryDuration.WithLabelValues(o).Observe(d.Seconds())
}

// observeVerdict records the verdict of a query that had tolerances.
func (m *metrics) observeVerdict(passed bool) {
	if passed {
		m.verdicts.WithLabelValues("pass").Inc()
	} else {
		m.verdicts.WithLabelValues("fail").Inc()
	}
}

// instrument counts and times requests by route pattern. A request whose
// handler panics is counted as a 500 (the recoverer around it writes one).
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		done := false
		defer func() {
			code := ww.Status()
			switch {
			case !done:
				code = http.StatusInternalServerError
			case code == 0:
				code = http.StatusOK
			}
			route, method := routePattern(r), methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(ww, r)
		done = true
	})
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
