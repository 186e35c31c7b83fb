package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/probe"
)

// /probe answers in the manner of Prometheus' blackbox_exporter: a probe
// that ran is a 200 scrape whatever its outcome, with pxgate_probe_success
// saying whether it passed (a failed check, or Pixie failing, is a result);
// only a request that cannot be a probe (no or unknown script, bad
// arguments or expect, policy) is a problem status, so that a broken
// scrape configuration shows up as a failing target rather than as a
// probe that failed.

// probeReserved are /probe's own query parameters; every other one is an
// argument of the script.
var probeReserved = map[string]bool{
	"script": true, "func": true, "expect": true, "cluster_id": true, "timeout": true, "rows": true, "debug": true,
	"baseline": true,
}

const (
	// scrapeTimeoutHeader is Prometheus' scrape timeout, in seconds.
	scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"
	// scrapeTimeoutMargin is left of the scrape timeout for pxgate to
	// answer once the query has ended (blackbox's default offset).
	scrapeTimeoutMargin = 500 * time.Millisecond
)

// gatewayRefusal reports whether a problem found while a query ran is the
// gateway refusing the request rather than the query failing: a check on
// a column the table lacks (a broken scrape configuration), the memory
// budget, a shutdown. A probe answers those with their status instead of
// scraping them as a failing system.
func gatewayRefusal(problemType string) bool {
	switch problemType {
	case api.ProblemInvalidTolerance, api.ProblemMemoryBudget, api.ProblemShuttingDown:
		return true
	}
	return false
}

// probeRequest is a /probe request as understood.
type probeRequest struct {
	plan  *runPlan
	all   bool // rows=all
	debug bool
	// scrape is the scrape timeout Prometheus announced; 0: none.
	scrape time.Duration
}

// probeCached serves GET /probe through the result cache, except debug
// answers.
func (s *server) probeCached(w http.ResponseWriter, r *http.Request) {
	q := queryOf(r)
	serve := func(w http.ResponseWriter, r *http.Request) { s.probe(w, r, q) }
	if q.Get("debug") != "" {
		serve(w, r)
		return
	}
	s.cached(w, r, q, serve)
}

// probe serves GET /probe with query q.
func (s *server) probe(w http.ResponseWriter, r *http.Request, q url.Values) {
	pr, err := s.probeRequest(r, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := pr.plan
	sink := probe.NewSink(pr.all, pr.debug)
	l := s.budget.lease()
	defer l.release()
	ran, err := s.runQuery(r.Context(), p, sink, l)
	if !ran.ok {
		s.fail(w, r, err)
		return
	}
	res := &probe.Result{Sink: sink, Elapsed: ran.elapsed, Verdict: ran.verdict}
	o := runOutcome{ran: ran, status: http.StatusOK}
	if err != nil {
		// A probe that ran reports its failure as metrics (a 200 scrape),
		// unless nobody is left to read them, or the gateway refused the
		// request (gatewayRefusal).
		f := s.failure(r, err)
		o.problem = &f.problem
		if f.canceled || gatewayRefusal(f.problem.Type) {
			o.status = f.problem.Status
			s.record(r, p, o)
			s.answerFailure(w, r, f)
			return
		}
		res.Problem = o.problem
	}
	s.record(r, p, o)
	if !pr.debug {
		res.WriteText(w)
		return
	}
	err = res.WriteDebug(w, probe.Debug{
		Script:        p.req.ScriptName,
		RequestID:     middleware.GetReqID(r.Context()),
		Args:          probeArgs(p),
		ClusterID:     p.query.ClusterID,
		Timeout:       p.timeout,
		TimeoutReason: s.timeoutReason(pr),
		Checks:        p.set.Len(),
		QueryID:       ran.summary.QueryID,
		Redact:        func(msg string) string { return redact(msg, p.secrets) },
	})
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing probe debug output", slog.String("err", err.Error()))
	}
}

// probeRequest reads and checks a /probe request, in a fixed order
// (script, its options, arguments and expect, scrape timeout, then what
// every run checks).
func (s *server) probeRequest(r *http.Request, q url.Values) (*probeRequest, error) {
	for _, key := range []string{"script", "rows", "debug"} {
		if n := len(q[key]); n > 1 {
			return nil, fieldError(key, "%s is given %d times; give it once", key, n)
		}
	}
	name := q.Get("script")
	if name == "" {
		return nil, fieldError("script", "script is required: the catalog name of the script to probe (GET /v1/scripts lists them)")
	}
	sc, err := s.lookupScript(r.Context(), name, "script", http.StatusBadRequest)
	if err != nil {
		return nil, err
	}
	pr := &probeRequest{}
	switch v := q.Get("rows"); v {
	case "", "last":
	case "all":
		pr.all = true
	default:
		return nil, fieldError("rows", "rows must be last (the default: the last row of each table) or all; got %q", v)
	}
	if v := q.Get("debug"); v != "" {
		if pr.debug, err = strconv.ParseBool(v); err != nil {
			return nil, fieldError("debug", "debug must be true or false; got %q", v)
		}
	}
	req, err := runRequestFromQuery(sc.Name, q, probeReserved)
	if err == nil {
		err = validate(req)
	}
	if err == nil {
		pr.scrape, err = scrapeTimeout(r)
	}
	if err == nil {
		pr.plan, err = s.prepare(r.Context(), req, formatProm)
	}
	if err != nil {
		return nil, err
	}
	if pr.scrape > 0 {
		pr.plan.timeout = min(pr.plan.timeout, scrapeBudget(pr.scrape))
	}
	return pr, nil
}

// scrapeTimeout reads Prometheus' scrape timeout header; 0 without one.
func scrapeTimeout(r *http.Request) (time.Duration, error) {
	v := r.Header.Get(scrapeTimeoutHeader)
	if v == "" {
		return 0, nil
	}
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	// !(secs >= 0.001) also refuses NaN; below a millisecond no query fits.
	if err != nil || !(secs >= 0.001) || secs > 1e6 {
		return 0, fieldError(scrapeTimeoutHeader, "header %s must be a number of seconds from 0.001 to 1000000; got %q", scrapeTimeoutHeader, v)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// scrapeBudget is the query time a scrape timeout leaves: the timeout less
// the margin, or half of it when it is too short for a margin.
func scrapeBudget(scrape time.Duration) time.Duration {
	if scrape > 2*scrapeTimeoutMargin {
		return scrape - scrapeTimeoutMargin
	}
	return scrape / 2
}

// probeArgs lists the arguments the script is called with (defaults
// applied), secret-looking values masked.
func probeArgs(p *runPlan) string {
	args := map[string]string{}
	if p.query.Func != nil {
		for _, a := range p.query.Func.Args {
			args[a.Name] = a.Value
		}
	}
	args = maskArgs(args)
	if len(args) == 0 {
		return "none"
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + args[k]
	}
	return strings.Join(parts, ", ")
}

// timeoutReason says where a probe's timeout comes from.
func (s *server) timeoutReason(pr *probeRequest) string {
	var parts []string
	if pr.plan.req.Timeout != "" {
		parts = append(parts, "asked for "+pr.plan.req.Timeout)
	} else {
		parts = append(parts, "the gateway's default "+s.opts.DefaultTimeout.String())
	}
	if pr.scrape > 0 {
		parts = append(parts, fmt.Sprintf("Prometheus' scrape timeout %s leaves %s", pr.scrape, scrapeBudget(pr.scrape)))
	}
	parts = append(parts, "capped at "+s.opts.MaxTimeout.String())
	return strings.Join(parts, "; ")
}
