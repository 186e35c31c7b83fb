package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/tolerance"
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
	"script": true, "expect": true, "cluster_id": true, "timeout": true, "rows": true, "debug": true,
}

const (
	// scrapeTimeoutHeader is Prometheus' scrape timeout, in seconds.
	scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"
	// scrapeTimeoutMargin is left of the scrape timeout for pxgate to
	// answer once the query has ended (blackbox's default offset).
	scrapeTimeoutMargin = 500 * time.Millisecond
)

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
	q := r.URL.Query()
	serve := func(w http.ResponseWriter, r *http.Request) { s.probe(w, r, q) }
	if q.Get("debug") != "" {
		serve(w, r)
		return
	}
	s.cached(w, r, q, serve)
}

// probe serves GET /probe with query q.
func (s *server) probe(w http.ResponseWriter, r *http.Request, q url.Values) {
	pr, ok := s.probeRequest(w, r, q)
	if !ok {
		return
	}
	p := pr.plan
	sink := newProbeSink(pr.all, pr.debug)
	feeder := newVerdictSink(p.set)
	ex, ok := s.execute(w, r, p, pixie.Tee(feeder, sink))
	if !ok {
		return
	}
	res := &probeResult{sink: sink, elapsed: ex.elapsed}
	o := runOutcome{ex: ex, tables: feeder.counts(), status: http.StatusOK}
	if ex.err != nil {
		f := s.logFailure(r, ex.err, p.timeout, p.secrets)
		o.problem = &f.problem
		if f.canceled {
			o.status = f.problem.Status
			s.record(r, p, o)
			s.answerFailure(w, r, f)
			return
		}
		res.problem = o.problem
	} else {
		v := s.verdict(p, feeder)
		res.verdict, o.verdict = &v, &v
	}
	s.record(r, p, o)
	reg := res.registry()
	if pr.debug {
		s.writeProbeDebug(w, r, pr, res, ex, reg)
		return
	}
	writeProbeText(w, reg)
}

// probeFormat is the one format /probe answers in, whatever the caller's
// Accept or Accept-Encoding: the answer may be cached and served to
// another caller (a protobuf or gzip body kept for one Prometheus would be
// unreadable to the next curl), and every scraper reads plain text.
var probeFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// writeProbeText writes reg's metrics in probeFormat.
func writeProbeText(w http.ResponseWriter, reg *prometheus.Registry) {
	mfs, err := reg.Gather() // a gathering error still leaves what was gathered
	w.Header().Set(headerContentType, string(probeFormat))
	enc := expfmt.NewEncoder(w, probeFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return // the caller went away
		}
	}
	if err != nil {
		_, _ = fmt.Fprintf(w, "# gathering: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

// probeRequest reads and checks a /probe request, in a fixed order
// (script, its options, arguments and expect, scrape timeout, then what
// every run checks), answering a problem itself when one fails.
func (s *server) probeRequest(w http.ResponseWriter, r *http.Request, q url.Values) (*probeRequest, bool) {
	for _, key := range []string{"script", "rows", "debug"} {
		if n := len(q[key]); n > 1 {
			s.invalidRequest(w, r, fieldError(key, "%s is given %d times; give it once", key, n))
			return nil, false
		}
	}
	name := q.Get("script")
	if name == "" {
		s.invalidRequest(w, r, fieldError("script", "script is required: the catalog name of the script to probe (GET /v1/scripts lists them)"))
		return nil, false
	}
	sc, ok := s.lookupScript(w, r, name, "script", http.StatusBadRequest)
	if !ok {
		return nil, false
	}
	pr := &probeRequest{}
	switch v := q.Get("rows"); v {
	case "", "last":
	case "all":
		pr.all = true
	default:
		s.invalidRequest(w, r, fieldError("rows", "rows must be last (the default: the last row of each table) or all; got %q", v))
		return nil, false
	}
	if v := q.Get("debug"); v != "" {
		var err error
		if pr.debug, err = strconv.ParseBool(v); err != nil {
			s.invalidRequest(w, r, fieldError("debug", "debug must be true or false; got %q", v))
			return nil, false
		}
	}
	req, err := runRequestFromQuery(sc.Name, q, probeReserved)
	if err != nil {
		s.queryError(w, r, err)
		return nil, false
	}
	if err := req.Validate(); err != nil {
		s.invalidRequest(w, r, err)
		return nil, false
	}
	if pr.scrape, err = scrapeTimeout(r); err != nil {
		s.invalidRequest(w, r, err)
		return nil, false
	}
	plan, ok := s.prepare(w, r, req, formatProm)
	if !ok {
		return nil, false
	}
	pr.plan = plan
	if pr.scrape > 0 {
		pr.plan.timeout = min(pr.plan.timeout, scrapeBudget(pr.scrape))
	}
	return pr, true
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

// probeResult is what a probe found, for its metrics and debug output.
type probeResult struct {
	sink    *probeSink
	elapsed time.Duration
	verdict *tolerance.Verdict // nil when the query failed
	problem *api.Problem       // why it failed
}

// success reports whether the probe passed: the query ran and every check
// passed.
func (res *probeResult) success() bool {
	return res.problem == nil && res.verdict != nil && res.verdict.Passed
}
