package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/render"
	"github.com/pxgate/pxgate/scripts"
)

// jsonHint tells callers how to send JSON, in the terms of the tools that
// most often get it wrong.
const jsonHint = `send the body as JSON with the header "Content-Type: application/json" ` +
	`(Chaos Toolkit: add "headers": {"Content-Type": "application/json"} to the provider; ` +
	`curl: -H 'Content-Type: application/json')`

// checkContentType accepts a JSON body: no Content-Type (curl -d without
// -H, scripts), application/json with or without parameters, or any
// +json type. Anything else is a 415 whose detail says which header to send.
func checkContentType(r *http.Request) (api.Problem, bool) {
	ct := r.Header.Get(headerContentType)
	if strings.TrimSpace(ct) == "" {
		return api.Problem{}, true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == api.ContentTypeJSON || strings.HasSuffix(mt, "+json")) {
		return api.Problem{}, true
	}
	var detail string
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		detail = fmt.Sprintf("the body arrived as a form (%s), which is what Chaos Toolkit's HTTP provider sends unless its headers say JSON; %s", mt, jsonHint)
	default:
		detail = fmt.Sprintf("Content-Type %q is not JSON; %s", ct, jsonHint)
	}
	return api.NewProblem(api.ProblemUnsupportedMediaType, http.StatusUnsupportedMediaType, detail), false
}

// run serves POST /v1/run: it checks the request completely before
// anything reaches Pixie, runs the query with a timeout, feeds every row to
// the tolerances while keeping what the response returns, and answers 200
// when the verdict passes, fail_status (417) when it does not, with the
// same body.
func (s *server) run(w http.ResponseWriter, r *http.Request) {
	req, ok := s.decodeRun(w, r)
	if !ok {
		return
	}
	if err := req.Validate(); err != nil {
		s.invalidRequest(w, r, err)
		return
	}
	s.serveRun(w, r, req)
}

// decodeRun reads a JSON RunRequest body, answering 415, 413 or 400 itself
// when it cannot.
func (s *server) decodeRun(w http.ResponseWriter, r *http.Request) (*api.RunRequest, bool) {
	if p, ok := checkContentType(r); !ok {
		s.writeProblem(w, r, p)
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	req, err := api.DecodeRunRequest(r.Body)
	if err != nil {
		if !s.tooLarge(w, r, err) {
			s.invalidRequest(w, r, err)
		}
		return nil, false
	}
	return req, true
}

// serveRun runs a validated request (from any run route) and answers it
// in the format asked for: JSON collects the tables and answers at the
// end; CSV and NDJSON stream (stream.go).
func (s *server) serveRun(w http.ResponseWriter, r *http.Request, req *api.RunRequest) {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	// A POST reads its request from the body: an expect= or fail_status=
	// in the URL, silently ignored, would pass a run the caller meant to
	// check.
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(outputParams, k) {
			s.invalidRequest(w, r, fieldError(k, "query parameter %q is not read by a POST run: send it in the JSON body (expect= goes in \"tolerances\": [{\"expect\": ...}]); the query string takes only format, table and csv_formulas", k))
			return
		}
	}
	out, err := outputOf(r, q, req)
	if err != nil {
		s.invalidRequest(w, r, err)
		return
	}
	s.serveOutput(w, r, req, out)
}

// serveOutput is serveRun once the output is known.
func (s *server) serveOutput(w http.ResponseWriter, r *http.Request, req *api.RunRequest, out output) {
	p, ok := s.prepare(w, r, req, out.format)
	if !ok {
		return
	}
	switch {
	case out.format == formatCSV && p.set.Len() > 0:
		s.serveHeldCSV(w, r, p, out)
	case out.streamed():
		s.serveStream(w, r, p, out, false)
	default:
		s.serveJSON(w, r, p)
	}
}

// serveHeldCSV answers CSV with tolerances: a CSV body cannot carry a
// verdict, and `curl -f` reads only the status, so the answer is held
// until the verdict is known (at most MaxRows rows per table, like JSON)
// and its status says the verdict, or the failure that ended the query
// after rows had come. NDJSON keeps streaming: its final line carries the
// verdict.
func (s *server) serveHeldCSV(w http.ResponseWriter, r *http.Request, p *runPlan, out output) {
	p.maxRows = min(p.maxRows, s.opts.MaxRows)
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	status := heldStatus(s.serveStream(rec, r, p, out, true), rec)
	h := w.Header()
	for k, v := range rec.header {
		if k != "Trailer" {
			h[k] = v
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(rec.body.Bytes())
}

// heldStatus is the status of a held answer that serveStream, returning
// status, wrote into rec. It fails closed: 200 only with a passing verdict.
func heldStatus(status int, rec *recorder) int {
	if status == 0 { // not run: rec holds execute's answer (429), if any
		status = rec.status
		if !rec.wrote {
			status = statusClientClosedRequest
		}
	}
	if status == http.StatusOK && rec.header.Get(api.TrailerVerdict) != "pass" {
		return http.StatusInternalServerError
	}
	return status
}

// serveJSON runs p, feeding every row to the tolerances while keeping
// what the response returns, and answers 200 when the verdict passes,
// fail_status (417) when it does not, with the same body.
func (s *server) serveJSON(w http.ResponseWriter, r *http.Request, p *runPlan) {
	keep := func(string) bool { return true }
	if len(p.req.Tables) > 0 {
		keep = func(name string) bool { return slices.Contains(p.req.Tables, name) }
	}
	collector := &pixie.Collector{MaxRows: p.maxRows, Keep: keep}
	feeder := newVerdictSink(p.set)
	ex, ok := s.execute(w, r, p, pixie.Tee(collector, feeder))
	if !ok {
		return
	}
	o := runOutcome{ex: ex, tables: feeder.counts()}
	if ex.err != nil {
		f := s.logFailure(r, ex.err, p.timeout, p.secrets)
		o.problem, o.status = &f.problem, f.problem.Status
		s.record(r, p, o)
		s.answerFailure(w, r, f)
		return
	}
	if prob := missingTable(p.req, feeder.tableNames()); prob != nil {
		o.problem, o.status = prob, prob.Status
		s.record(r, p, o)
		s.writeProblem(w, r, *prob)
		return
	}
	verdict := s.verdict(p, feeder)
	o.verdict, o.status = &verdict, verdictStatus(p.req, verdict)
	s.record(r, p, o)
	res := &render.Run{
		ClusterID:  p.query.ClusterID,
		QueryID:    ex.summary.QueryID,
		ScriptName: p.req.ScriptName,
		Demo:       s.opts.Demo,
		Timeout:    p.timeout,
		Verdict:    verdict,
		Stats:      stats(ex),
		Tables:     collector.Tables,
	}
	s.writeRun(w, r, o.status, res)
}

// writeRun sends a RunResponse with the given status.
func (s *server) writeRun(w http.ResponseWriter, r *http.Request, status int, res *render.Run) {
	h := w.Header()
	h.Set(headerContentType, api.ContentTypeJSON)
	sw := &statusWriter{w: w, status: status}
	if err := render.EncodeRun(sw, res); err != nil {
		if !sw.wrote {
			// Nothing sent yet: the failure can still be a clean 500.
			h.Del(headerContentType)
			s.log.LogAttrs(r.Context(), slog.LevelError, "encoding a run response",
				slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
			s.writeProblem(w, r, internalProblem(r))
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing a run response",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
		return
	}
	if !sw.wrote {
		w.WriteHeader(status)
	}
}

// statusWriter sends the status with the first body bytes, so that an
// encoding failure before them can still change it.
type statusWriter struct {
	w      http.ResponseWriter
	status int
	wrote  bool
}

// SetLength implements render.LengthSetter: it sets the Content-Length of
// a response written in one Write.
func (s *statusWriter) SetLength(n int) {
	if !s.wrote {
		s.w.Header().Set("Content-Length", strconv.Itoa(n))
	}
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if !s.wrote {
		s.wrote = true
		s.w.WriteHeader(s.status)
	}
	return s.w.Write(p)
}

// resolve turns the request into a Pixie query: inline PxL as it is
// (optionally calling func through exec_funcs), a script_name through the
// catalog. It answers the request itself when that fails.
func (s *server) resolve(w http.ResponseWriter, r *http.Request, req *api.RunRequest) (pixie.Request, bool) {
	var q pixie.Request
	switch {
	case req.ScriptName != "":
		sc, ok := s.lookupScript(w, r, req.ScriptName, "script_name", http.StatusNotFound)
		switch {
		case !ok:
			return q, false
		case !sc.Runnable():
			s.writeProblem(w, r, api.NewProblem(api.ProblemBrokenScript, http.StatusInternalServerError,
				fmt.Sprintf("script %q is in the catalog but cannot run: %s", sc.Name, sc.Error)))
			return q, false
		}
		fn, err := sc.Bind(req.Args)
		if err != nil {
			// The messages quote values; secret ones stay hidden even here
			// (Chaos Toolkit journals keep answers).
			secrets := secretValues(req.Args)
			p := api.NewProblem(api.ProblemInvalidRequest, http.StatusBadRequest, redact(err.Error(), secrets))
			var ae *scripts.ArgError
			if errors.As(err, &ae) {
				for _, ap := range ae.Problems {
					p.Errors = append(p.Errors, api.FieldError{Field: "args." + ap.Arg, Message: redact(ap.Arg+": "+ap.Message, secrets)})
				}
			}
			s.writeProblem(w, r, p)
			return q, false
		}
		q.Script, q.Func, q.QueryName = sc.Source, fn, sc.Name
	default:
		q.Script = req.Script
		if req.Func != "" {
			f := &pixie.Func{Name: req.Func, OutputPrefix: render.DefaultTable}
			names := make([]string, 0, len(req.Args))
			for name := range req.Args {
				names = append(names, name)
			}
			slices.Sort(names)
			for _, name := range names {
				f.Args = append(f.Args, pixie.Arg{Name: name, Value: req.Args[name]})
			}
			q.Func = f
		}
	}
	q.ClusterID = req.ClusterID
	if q.ClusterID == "" {
		q.ClusterID = s.opts.DefaultClusterID
	}
	return q, true
}

// invalidRequest answers a 400 for a *api.RequestError (or any error, shown
// as it is).
func (s *server) invalidRequest(w http.ResponseWriter, r *http.Request, err error) {
	p := api.NewProblem(api.ProblemInvalidRequest, http.StatusBadRequest, err.Error())
	var re *api.RequestError
	if errors.As(err, &re) {
		p.Errors = []api.FieldError{re.FieldError}
	}
	s.writeProblem(w, r, p)
}

// timeout is the request's timeout, or the default, capped by MaxTimeout.
func (s *server) timeout(req *api.RunRequest) time.Duration {
	d := req.TimeoutDuration()
	if d <= 0 {
		d = s.opts.DefaultTimeout
	}
	return min(d, s.opts.MaxTimeout)
}

// toleranceField extracts "tolerances[i]" from a tolerance.Compile error.
func toleranceField(msg string) string {
	if head, _, ok := strings.Cut(msg, ":"); ok && strings.HasPrefix(head, "tolerances[") {
		return head
	}
	return "tolerances"
}

// milliseconds converts d to fractional milliseconds, to the microsecond.
func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
