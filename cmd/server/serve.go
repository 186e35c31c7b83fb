package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pxgate/pxgate/auth"
	"github.com/pxgate/pxgate/cache"
	"github.com/pxgate/pxgate/config"
	"github.com/pxgate/pxgate/demo"
	"github.com/pxgate/pxgate/handlers"
	"github.com/pxgate/pxgate/pixie/vizier"
	"github.com/pxgate/pxgate/scripts"
	"github.com/pxgate/pxgate/tlscert"
	"github.com/pxgate/pxgate/version"
)

// Hooks connect Serve to its process: where logs go, who learns the bound
// address, and the reload signal (SIGHUP in main; signals stay in main).
type Hooks struct {
	LogOut  io.Writer
	Started func(addr string) // told the bound address once serving (tests listen on :0)
	Reload  <-chan os.Signal  // re-read caller tokens
}

// Serve wires configuration -> Pixie client -> handlers -> http.Server and
// serves until ctx is cancelled, then drains: /readyz fails first and the
// server keeps answering for cfg.ShutdownDelay, with keep-alives off (so load
// balancers and Kubernetes endpoints stop sending, and clients stop reusing
// connections, before the port closes), then the
// listener closes, in-flight requests get cfg.ShutdownGrace to finish, and
// the Pixie connection closes last.
func Serve(ctx context.Context, cfg *config.Config, hooks Hooks) error {
	logger := newLogger(cfg, hooks.LogOut)
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}
	target, err := connect(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer target.close()

	catalog, err := loadCatalog(cfg, target.client, logger)
	if err != nil {
		return err
	}
	guard, err := loadCallerGuard(ctx, cfg, logger, hooks.Reload)
	if err != nil {
		return err
	}
	var results *cache.Cache
	if cfg.CacheTTL > 0 {
		results = cache.New(cfg.CacheTTL, cfg.CacheMaxEntries, cfg.CacheMaxBytes)
	}
	var ready atomic.Bool
	h := handlers.New(handlers.Options{
		Pixie:                  target.client,
		Logger:                 logger,
		Registry:               prometheus.NewRegistry(),
		DefaultClusterID:       target.pcfg.ClusterID,
		MaxRows:                cfg.MaxRows,
		DefaultTimeout:         cfg.DefaultTimeout,
		MaxTimeout:             cfg.QueryTimeout,
		MaxBodyBytes:           cfg.MaxBodyBytes,
		Ready:                  ready.Load,
		Catalog:                catalog,
		NamedOnly:              !cfg.AllowInline,
		AllowMutations:         cfg.AllowMutations,
		AllowedClusters:        cfg.AllowedClusters,
		MaxConcurrent:          cfg.MaxConcurrent,
		MaxConcurrentPerCaller: cfg.PerCallerQueries(),
		MaxStreamRows:          cfg.MaxStreamRows,
		AnswerMemory:           cfg.AnswerMemory,
		HistorySize:            cfg.HistorySize,
		Cache:                  results,
		Demo:                   target.demoKnob(),
		Authenticate:           guard.authenticate,
	})

	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("listen on PXGATE_LISTEN_ADDR %s: %w", cfg.ListenAddr, err)
	}
	srv := newHTTPServer(cfg, h, logger)
	base, cancelBase := context.WithCancelCause(context.Background())
	defer cancelBase(nil)
	srv.BaseContext = func(net.Listener) context.Context { return base }
	errc := make(chan error, 1)
	scheme := "http"
	if guard.certs != nil {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: guard.certs.GetCertificate}
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	ready.Store(true)
	v := version.Get()
	logger.Info("pxgate serving", "addr", ln.Addr().String(), "scheme", scheme, "pixie", target.describe(cfg),
		"version", v.Version, "revision", v.Revision)
	if hooks.Started != nil {
		hooks.Started(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	// When the grace is over, the queries still running end now, with a
	// 503 each (logged and recorded like any answer), before their
	// connections close.
	return drain(cfg, srv, &ready, errc, logger, func() { cancelBase(handlers.ErrShuttingDown) })
}

// lastWords bounds how long requests canceled at the end of the shutdown
// grace get to answer, log and record before their connections close.
const lastWords = 5 * time.Second

// target is where queries go: the Pixie client, and the embedded demo
// cluster when it serves them.
type target struct {
	client *vizier.Client
	pcfg   vizier.Config
	demo   *demo.Demo // nil unless the demo serves queries
}

// connect starts the demo cluster when the configuration asks for it and
// opens the Pixie client (to the demo's Vizier, or the configured Pixie).
func connect(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*target, error) {
	t := &target{pcfg: pixieConfig(cfg)}
	if cfg.DemoOn {
		d, err := demo.Start(ctx, demo.Options{VizierAddr: cfg.DemoVizierAddr})
		if err != nil {
			return nil, fmt.Errorf("PXGATE_DEMO_VIZIER_ADDR: %w", err)
		}
		logger.Info("no Pixie credentials: serving the embedded demo cluster (synthetic telemetry)",
			"vizier_addr", d.VizierAddr(), "cluster_id", d.ClusterID(), "services", d.Services())
		t.demo = d
		t.pcfg = vizier.Config{DirectAddr: d.VizierAddr(), Plaintext: true, ClusterID: d.ClusterID()}
	}
	client, err := vizier.New(t.pcfg)
	if err != nil {
		t.close()
		return nil, err
	}
	t.client = client
	return t, nil
}

// close closes the client first, then stops the demo's Vizier.
func (t *target) close() {
	if t.client != nil {
		_ = t.client.Close()
	}
	if t.demo != nil {
		t.demo.Close()
	}
}

// demoKnob is the demo's load knob for POST /v1/demo/load; nil (the
// routes answer 404) outside demo mode.
func (t *target) demoKnob() handlers.DemoCluster {
	if t.demo == nil {
		return nil
	}
	return t.demo
}

// describe names where queries go, without credentials.
func (t *target) describe(cfg *config.Config) string {
	switch {
	case t.demo != nil:
		return "demo cluster (vizier " + t.pcfg.DirectAddr + ")"
	case cfg.DirectAddr != "" && cfg.DirectPlain:
		return "vizier " + cfg.DirectAddr + " (plaintext)"
	case cfg.DirectAddr != "":
		return "vizier " + cfg.DirectAddr
	}
	return "cloud " + cfg.CloudOrDefault() + " cluster " + cfg.ClusterID
}

// callerGuard is what guards pxgate's own port: caller tokens and the
// serving certificate, each optional.
type callerGuard struct {
	authenticate func(http.Handler) http.Handler
	tokens       *auth.Tokens
	certs        *tlscert.Reloader
}

// loadCallerGuard loads the caller tokens and the serving certificate, and
// re-reads both on every reload signal until ctx ends (both also notice
// changes by themselves).
func loadCallerGuard(ctx context.Context, cfg *config.Config, logger *slog.Logger, reload <-chan os.Signal) (*callerGuard, error) {
	g := &callerGuard{}
	var err error
	if cfg.AuthTokensFile != "" {
		if g.tokens, err = auth.Load(cfg.AuthTokensFile, logger); err != nil {
			return nil, err
		}
		g.authenticate = auth.Middleware(g.tokens, cfg.AuthOpenPaths)
		logger.Info("caller tokens required", "tokens", g.tokens.Len(), "open_paths", cfg.AuthOpenPaths)
	}
	if cfg.TLSCertFile != "" {
		if g.certs, err = tlscert.Load(cfg.TLSCertFile, cfg.TLSKeyFile, logger); err != nil {
			return nil, err
		}
	} else if g.tokens != nil {
		logger.Warn("caller tokens travel in plaintext: set PXGATE_TLS_CERT_FILE and PXGATE_TLS_KEY_FILE, or put TLS in front of pxgate")
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-reload:
				if g.tokens != nil {
					_ = g.tokens.Reload() // logs its own outcome
				}
				if g.certs != nil {
					g.certs.Reload()
				}
			}
		}
	}()
	return g, nil
}

func newHTTPServer(cfg *config.Config, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A response can only be written once its query is done.
		WriteTimeout: cfg.QueryTimeout + 30*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// drain shuts srv down once Serve's context has ended; errc carries the
// serve loop's result. graceOver runs when the shutdown grace ends with
// requests still running, before their connections are closed.
func drain(cfg *config.Config, srv *http.Server, ready *atomic.Bool, errc <-chan error, logger *slog.Logger, graceOver func()) error {
	// From now on every response says Connection: close (and idle
	// keep-alive connections are closed), so clients open new connections,
	// which the load balancer sends elsewhere, instead of reusing one to
	// this pod until the port closes under a request (a POST on a reused
	// connection that closes is not retried). Before readiness fails: a
	// caller that sees /readyz fail sees Connection: close too.
	srv.SetKeepAlivesEnabled(false)
	ready.Store(false)
	if cfg.ShutdownDelay > 0 {
		logger.Info("not ready; serving on before draining", "delay_seconds", cfg.ShutdownDelay.Seconds())
		select {
		case err := <-errc:
			return fmt.Errorf("http server: %w", err)
		case <-time.After(cfg.ShutdownDelay):
		}
	}
	logger.Info("shutting down", "grace_seconds", cfg.ShutdownGrace.Seconds())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("grace period over: ending the requests still running, then closing their connections", "err", err)
		graceOver()
		// Shutdown again: it returns once every answer is written out and
		// its connection idle (a handler that returned has not flushed yet).
		lctx, cancel := context.WithTimeout(context.Background(), lastWords)
		_ = srv.Shutdown(lctx)
		cancel()
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// loadCatalog loads the named scripts; broken script files are logged and
// listed, not fatal. Pixie's library joins the catalog in cloud mode.
func loadCatalog(cfg *config.Config, client *vizier.Client, logger *slog.Logger) (*scripts.Catalog, error) {
	opts := scripts.Options{Dir: cfg.ScriptsDir}
	if !client.Config().Direct() {
		opts.Library = client
	}
	catalog, problems, err := scripts.Load(opts)
	if err != nil {
		return nil, err
	}
	for _, p := range problems {
		logger.Warn("script not runnable", "err", p.Error())
	}
	return catalog, nil
}

func pixieConfig(cfg *config.Config) vizier.Config {
	return vizier.Config{
		CloudAddr:    cfg.CloudOrDefault(),
		DirectAddr:   cfg.DirectAddr,
		Plaintext:    cfg.DirectPlain,
		APIKey:       cfg.APIKey,
		CAFile:       cfg.TLSCAFile,
		SkipVerify:   cfg.TLSSkipVerify,
		ClusterID:    cfg.ClusterID,
		MaxRecvBytes: cfg.MaxRecvMiB << 20,
		Encrypt:      cfg.Encrypt(),
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.LogFormat, "text") {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
