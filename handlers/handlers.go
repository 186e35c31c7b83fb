// Package handlers is pxgate's HTTP layer: the chi router, its middleware
// (request id, logging, panic recovery, metrics), admission (the query
// slots), the handlers of every route and the mapping of errors to problem
// answers. It turns requests into pixie.Requests and results into
// responses, through package render (JSON, CSV, NDJSON) and package probe
// (/probe's Prometheus answer); it knows nothing about gRPC.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/scripts"
)

// Defaults for zero Options fields.
const (
	DefaultMaxRows       = 10000
	DefaultMaxStreamRows = 1_000_000
	DefaultTimeout       = 30 * time.Second
	DefaultMaxTimeout    = 5 * time.Minute
	DefaultMaxBodyBytes  = 1 << 20
	DefaultQueueWait     = time.Second
	maxRequestIDLength   = 128
	requestIDHeader      = "X-Request-Id"
	headerContentType    = "Content-Type"
	contentTypeYAML      = "application/yaml"
)

// ErrShuttingDown is the cause to cancel the requests' base context with
// (context.WithCancelCause, http.Server.BaseContext) when the shutdown
// grace runs out: queries still running end with a 503 shutting-down
// answer (or a stream's error end), logged and recorded, instead of a
// connection closed without a word.
var ErrShuttingDown = errors.New("pxgate is shutting down")

// shuttingDown reports whether ctx ended because the gateway shuts down.
func shuttingDown(ctx context.Context) bool {
	return ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrShuttingDown)
}

// shutdownProblem is the 503 of a request the shutdown ended.
func shutdownProblem() error {
	pe := api.NewProblemError(api.ProblemShuttingDown, http.StatusServiceUnavailable,
		"the gateway shut down before the query finished (its shutdown grace ran out); retry: another replica answers")
	pe.RetryAfter = time.Second
	return pe
}

// Pixie is what the handlers need from Pixie. *vizier.Client implements it;
// implementations must be safe for concurrent use.
type Pixie interface {
	// Execute runs one query and streams its results into sink; see
	// vizier.Client.Execute for the error types.
	Execute(ctx context.Context, r pixie.Request, sink pixie.Sink) (pixie.Summary, error)
	// Clusters lists the clusters the credentials can query.
	Clusters(ctx context.Context) ([]pixie.Cluster, error)
}

// Registry is where the handlers register their metrics and what GET
// /metrics serves; *prometheus.Registry implements it. Use a registry of
// your own, not the global default, so tests and embedders stay isolated.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Options configure New. Zero values get the documented defaults.
type Options struct {
	// Pixie runs queries and lists clusters. Required.
	Pixie Pixie
	// Logger receives one line per request and the server-side errors;
	// nil discards logs.
	Logger *slog.Logger
	// Registry gets pxgate's metrics plus the Go and process collectors,
	// and is served at /metrics; nil means a fresh prometheus.NewRegistry().
	// New registers on it, so one Registry serves one handler.
	Registry Registry
	// DefaultClusterID is the cluster of requests that name none (also
	// marked "default" in /v1/clusters). Empty leaves the choice to Pixie's
	// client configuration.
	DefaultClusterID string
	// MaxRows is the number of rows returned per table when a request sets
	// no max_rows, and the largest max_rows a request may ask for (more is a
	// 400). Tolerances always see every row. 0 means DefaultMaxRows.
	MaxRows int
	// MaxStreamRows is MaxRows for the streamed formats (CSV, NDJSON),
	// whose memory use does not grow with the rows: the rows returned per
	// table when a request sets no max_rows, and the most it may ask for.
	// 0 means DefaultMaxStreamRows.
	MaxStreamRows int
	// DefaultTimeout is the query timeout of requests that give none; 0
	// means DefaultTimeout (capped by MaxTimeout).
	DefaultTimeout time.Duration
	// MaxTimeout caps every query's timeout (requests asking for more are
	// capped, and the response reports the effective timeout); 0 means
	// DefaultMaxTimeout.
	MaxTimeout time.Duration
	// MaxBodyBytes is the largest request body; larger ones get a 413. 0
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Ready reports whether the gateway takes traffic (GET /readyz): false
	// during start-up and shutdown. It must not depend on Pixie, so that a
	// Pixie outage gives callers a clear 502 instead of emptying the
	// Service. nil means always ready.
	Ready func() bool
	// Demo is the embedded demo cluster when it serves the queries (*demo.Demo):
	// responses say "demo": true and GET /v1/demo, POST /v1/demo/load turn
	// its load knob. nil outside demo mode, where those routes answer 404.
	Demo DemoCluster
	// Authenticate, when set, guards every route (e.g. auth.Middleware for
	// caller tokens). It runs after the request id, logging and metrics
	// middleware, so refusals are logged and counted like any answer.
	Authenticate func(http.Handler) http.Handler
	// Cache shares identical GET runs and probes (PXGATE_CACHE_TTL); nil:
	// every request runs its query.
	Cache *cache.Cache
	// Catalog holds the named scripts (script_name, /v1/scripts); nil means
	// the embedded scripts only.
	Catalog *scripts.Catalog
	// NamedOnly refuses inline PxL with a 403, so callers can run only the
	// catalog's scripts (PXGATE_ALLOW_INLINE=false).
	NamedOnly bool
	// AllowMutations lets scripts that change the cluster (pxtrace
	// tracepoints) run; otherwise they are refused with 403
	// (PXGATE_ALLOW_MUTATIONS).
	AllowMutations bool
	// AllowedClusters, when non-empty, are the only cluster ids requests
	// may query (403 otherwise); /v1/clusters lists only those.
	AllowedClusters []string
	// MaxConcurrent caps the Pixie queries running at once; a request that
	// finds no slot within QueueWait gets a 429 with Retry-After. 0 means
	// no cap.
	MaxConcurrent int
	// MaxConcurrentPerCaller caps the queries one caller (its bearer token
	// when Authenticate is set, else its address) runs at once, within
	// MaxConcurrent; more wait like any request for a slot, then get a
	// 429. 0, or not below MaxConcurrent, means no per-caller cap.
	MaxConcurrentPerCaller int
	// QueueWait is how long a request waits for a query slot; 0 means
	// DefaultQueueWait.
	QueueWait time.Duration
	// AnswerMemory bounds the bytes all answers in flight hold at once
	// (PXGATE_ANSWER_MEMORY): each leases a base share, and answers held
	// until their verdict lease what they hold. A run the budget cannot
	// lease is a 503 with Retry-After, before any byte of it goes out. 0
	// means DefaultAnswerMemory.
	AnswerMemory int64
	// HistorySize is how many recent runs, and separately how many recent
	// failed runs, GET /v1/runs and the page at / show; 0 means
	// history.DefaultSize.
	HistorySize int
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxStreamRows <= 0 {
		o.MaxStreamRows = DefaultMaxStreamRows
	}
	if o.MaxTimeout <= 0 {
		o.MaxTimeout = DefaultMaxTimeout
	}
	if o.DefaultTimeout <= 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	o.DefaultTimeout = min(o.DefaultTimeout, o.MaxTimeout)
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Ready == nil {
		o.Ready = func() bool { return true }
	}
	if o.QueueWait <= 0 {
		o.QueueWait = DefaultQueueWait
	}
	if o.AnswerMemory <= 0 {
		o.AnswerMemory = DefaultAnswerMemory
	}
	if o.HistorySize <= 0 {
		o.HistorySize = history.DefaultSize
	}
	return o
}

// server holds the handlers' dependencies.
type server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	router  chi.Router
	catalog *scripts.Catalog
	slots   chan struct{} // one token per running query; nil: no cap
	budget  *budget       // the memory of the answers in flight
	shares  *callerShares // per-caller caps within slots; nil: none
	history *history.History
	cache   *cache.Cache
	index   *template.Template
	runPage *template.Template
}

// New returns pxgate's HTTP handler. It registers metrics on
// opts.Registry and panics if that fails (a programming error, such as
// registering twice), like promauto. It panics if opts.Pixie is nil.
//
// Routes:
//
//	GET  /                   an HTML page: the catalog and recent verdicts, failures first
//	POST /v1/run             run inline PxL or a named script, evaluate tolerances
//	GET  /v1/scripts         the named-script catalog
//	GET  /v1/scripts/{name}  one script, with its source
//	GET  /v1/scripts/{name}/run   run it, arguments and expect= in the query string
//	POST /v1/scripts/{name}/run   run it, a RunRequest body without script/script_name
//	GET  /v1/clusters        clusters reachable with pxgate's credentials
//	GET  /v1/clusters/{id}   one of them
//	GET  /v1/runs            recent runs, newest first (?failed=true: failures only)
//	GET  /v1/runs/{id}       one of them (an HTML page with its charts when asked for)
//	GET  /v1/runs/{id}/checks/{n}.svg  check n's chart
//	GET  /probe              blackbox-exporter style: run a named script, answer Prometheus text
//	GET  /healthz            the process is up
//	GET  /readyz             the gateway takes traffic (Options.Ready)
//	GET  /metrics            Prometheus metrics of Options.Registry
//	GET  /version            build information
//	GET  /openapi.yaml       the API contract
//
// The run routes answer JSON, CSV or NDJSON (?format=, or Accept), each
// streamed as batches arrive (see stream.go and package render).
func New(opts Options) http.Handler {
	return newServer(opts).router
}

// newServer builds the server of New, routes included.
func newServer(opts Options) *server {
	if opts.Pixie == nil {
		panic("handlers.New: Options.Pixie is nil")
	}
	opts = opts.withDefaults()
	s := &server{opts: opts, log: opts.Logger, metrics: newMetrics(opts.Registry), catalog: opts.Catalog,
		history: history.New(opts.HistorySize), index: indexTemplate(), runPage: runTemplate(), cache: opts.Cache,
		budget: &budget{limit: opts.AnswerMemory}}
	if s.catalog == nil {
		c, problems, err := scripts.Load(scripts.Options{})
		if err != nil || len(problems) > 0 {
			panic(fmt.Sprintf("handlers.New: embedded scripts: %v %v", err, problems))
		}
		s.catalog = c
	}
	if opts.MaxConcurrent > 0 {
		s.slots = make(chan struct{}, opts.MaxConcurrent)
		if opts.MaxConcurrentPerCaller > 0 && opts.MaxConcurrentPerCaller < opts.MaxConcurrent {
			s.shares = newCallerShares(opts.MaxConcurrentPerCaller)
		}
	}
	s.routes()
	return s
}

// routes builds s.router.
func (s *server) routes() {
	opts := s.opts
	r := chi.NewRouter()
	s.router = r
	r.Use(s.serveRequest) // request id, log line, panics, metrics (request.go)
	if opts.Authenticate != nil {
		r.Use(opts.Authenticate)
	}
	r.Use(s.strictQuery)
	r.NotFound(s.notFound)
	r.MethodNotAllowed(s.methodNotAllowed)

	// One level, no router mounted at /v1: a mounted router routes each
	// request twice and joins its route pattern anew.
	r.Post("/v1/run", s.run)                            // POST /v1/run
	r.Get("/v1/scripts", s.listScripts)                 // GET /v1/scripts
	r.Get("/v1/scripts/*", s.scriptGet)                 // GET /v1/scripts/{name}, GET /v1/scripts/{name}/run
	r.Post("/v1/scripts/*", s.scriptPost)               // POST /v1/scripts/{name}/run
	r.Get("/v1/clusters", s.listClusters)               // GET /v1/clusters
	r.Get("/v1/clusters/{id}", s.getCluster)            // GET /v1/clusters/{id}
	r.Get("/v1/runs", s.listRuns)                       // GET /v1/runs
	r.Get("/v1/runs/{id}", s.getRun)                    // GET /v1/runs/{id}
	r.Get("/v1/runs/{id}/checks/{n}.svg", s.checkChart) // GET /v1/runs/{id}/checks/{n}.svg
	r.Get("/v1/demo", s.demoInfo)                       // GET /v1/demo
	r.Post("/v1/demo/load", s.demoLoad)                 // POST /v1/demo/load
	r.Get("/", s.indexPage)                             // GET /
	r.Get("/probe", s.probeCached)                      // GET /probe
	metricsHandler := promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{})
	r.Get("/healthz", s.healthz)                         // GET /healthz
	r.Head("/healthz", s.healthz)                        // HEAD /healthz (load balancers)
	r.Get("/readyz", s.readyz)                           // GET /readyz
	r.Head("/readyz", s.readyz)                          // HEAD /readyz
	r.Get("/version", s.version)                         // GET /version
	r.Get("/openapi.yaml", s.openapi)                    // GET /openapi.yaml
	r.Method(http.MethodGet, "/metrics", metricsHandler) // GET /metrics
}
