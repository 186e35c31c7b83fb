package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
)

// validRequestID says whether a caller's X-Request-Id is kept: not too
// long, and only letters, digits and ".-_:/", so that what ends up in logs
// and response headers is harmless.
func validRequestID(id string) bool {
	if len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '-', c == '_', c == ':', c == '/':
		default:
			return false
		}
	}
	return true
}

// quietRoutes are polled by machines; their successes are logged at Debug.
// (A /probe whose query failed is logged as the failure it is, and one
// whose verdict failed with its checks.)
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/probe": true}

// requestNote is what a request's log line says beyond its status, filled
// in by the handlers: the problem type of a failure, the failed checks of
// a verdict, and the status the run history recorded when it is not the
// one written (a stream cut after its 200 went out).
type requestNote struct {
	problemType string
	checks      string
	status      int
}

// noteKey is the context key of the *request (request.go).
type noteKey struct{}

// noteOf returns r's note; one that logs nowhere when r did not pass
// through serveRequest (tests of single handlers).
func noteOf(r *http.Request) *requestNote {
	if q := requestOf(r.Context()); q != nil {
		return &q.note
	}
	return &requestNote{}
}

// logRequest writes a request's log line once it is done (serveRequest):
// method, route pattern, status, duration and request id, and for a
// failure its problem type, for a failed verdict its failed checks. Server
// errors are logged at Error; client errors and failed verdicts at Info, so
// that a user debugging a failing experiment finds them at the default
// level; polled routes' successes at Debug. Bodies, headers and query
// strings are never logged: they may hold PxL or secrets (check summaries
// hide secret argument values).
func (s *server) logRequest(r *http.Request, written int, note *requestNote, elapsed time.Duration) {
	if written == 0 {
		written = http.StatusOK // nothing written: net/http sends 200
	}
	status := written
	if note.status != 0 {
		status = note.status // the real outcome, e.g. 499 for a stream cut after its 200
	}
	route := routePattern(r)
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable && route == "/readyz":
		level = slog.LevelDebug // not ready (starting, shutting down) is a state, not a fault
	case note.checks != "":
		// A failed verdict, whatever its fail_status: the system deviated,
		// the gateway did not fail.
	case status >= 500:
		level = slog.LevelError
	case status < 400 && quietRoutes[route]:
		level = slog.LevelDebug
	}
	if !s.log.Enabled(r.Context(), level) {
		return // (the attributes below cost more than the check)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Float64("duration_seconds", elapsed.Seconds()),
		slog.String("request_id", middleware.GetReqID(r.Context())),
	}
	if status != written {
		attrs = append(attrs, slog.Int("written_status", written))
	}
	if note.problemType != "" {
		attrs = append(attrs, slog.String("problem_type", note.problemType))
	}
	if note.checks != "" {
		attrs = append(attrs, slog.String("failed_checks", note.checks))
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}

// strictQuery answers 400 to a query string that does not parse.
// url.URL.Query drops what it cannot read (a ";" separator, a bad %-escape)
// without a word, so "?expect=p99(x)<5;rows=all" would run with no
// tolerance at all and answer a pass: every route refuses it instead.
func (s *server) strictQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			// Parsed in full, not pre-screened: what ParseQuery refuses
			// depends on more than the bytes (GODEBUG=urlmaxqueryparams).
			query, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				s.fail(w, r, fieldError("query",
					"the query string is malformed (%v): separate parameters with & and percent-encode ;, %% and other reserved characters in values", err))
				return
			}
			if q := requestOf(r.Context()); q != nil {
				q.query = query // the handlers read it (queryOf), not a second parse
			}
		}
		next.ServeHTTP(w, r)
	})
}

// notFound answers requests no route matches.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, api.NewProblemError(api.ProblemNotFound, http.StatusNotFound,
		fmt.Sprintf("no route %s %s; see GET /openapi.yaml for the API", r.Method, r.URL.Path)))
}

// allowMethods are tried to fill the Allow header of a 405.
var allowMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// methodNotAllowed answers a route requested with the wrong method, with an
// Allow header listing the methods it takes.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range allowMethods {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allowed = append(allowed, m)
		}
	}
	s.notAllowed(w, r, allowed...)
}

// notAllowed answers 405 naming the methods the path takes.
func (s *server) notAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	s.fail(w, r, api.NewProblemError(api.ProblemMethodNotAllowed, http.StatusMethodNotAllowed,
		fmt.Sprintf("%s does not take %s (allowed: %s)", r.URL.Path, r.Method, strings.Join(allowed, ", "))))
}
