package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
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
func checkContentType(ct string) error {
	if strings.TrimSpace(ct) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == api.ContentTypeJSON || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	var detail string
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data":
		detail = fmt.Sprintf("the body arrived as a form (%s), which is what Chaos Toolkit's HTTP provider sends unless its headers say JSON; %s", mt, jsonHint)
	default:
		detail = fmt.Sprintf("Content-Type %q is not JSON; %s", ct, jsonHint)
	}
	return api.NewProblemError(api.ProblemUnsupportedMediaType, http.StatusUnsupportedMediaType, detail)
}

// run serves POST /v1/run: it checks the request completely before
// anything reaches Pixie, runs the query with a timeout, feeds every row to
// the tolerances while keeping what the response returns, and answers 200
// when the verdict passes, fail_status (417) when it does not, with the
// same body.
func (s *server) run(w http.ResponseWriter, r *http.Request) {
	req, err := decodeRun(r.Header.Get(headerContentType), s.limitBody(w, r))
	if err == nil {
		err = validate(req)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveRun(w, r, req)
}

// limitBody caps r's body at MaxBodyBytes (more is a 413).
func (s *server) limitBody(w http.ResponseWriter, r *http.Request) io.Reader {
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	return r.Body
}

// decodeRun reads a JSON RunRequest body of Content-Type ct: a 415, 413 or
// 400 problem error when it cannot.
func decodeRun(ct string, body io.Reader) (*api.RunRequest, error) {
	if err := checkContentType(ct); err != nil {
		return nil, err
	}
	req, err := api.DecodeRunRequest(body)
	if err != nil {
		return nil, invalid(err)
	}
	return req, nil
}

// validate checks a request on its own (api.RunRequest.Validate): a 400
// problem error naming the field at fault.
func validate(req *api.RunRequest) error {
	if err := req.Validate(); err != nil {
		return invalid(err)
	}
	return nil
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
			s.fail(w, r, fieldError(k, "query parameter %q is not read by a POST run: send it in the JSON body (expect= goes in \"tolerances\": [{\"expect\": ...}]); the query string takes only format, table and csv_formulas", k))
			return
		}
	}
	out, err := outputOf(r, q, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveOutput(w, r, req, out)
}

// serveOutput is serveRun once the output is known.
func (s *server) serveOutput(w http.ResponseWriter, r *http.Request, req *api.RunRequest, out output) {
	p, err := s.prepare(r.Context(), req, out.format)
	if err != nil {
		s.fail(w, r, err)
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
	ran, err := s.runQuery(r.Context(), p, collector)
	if !ran.ok {
		s.fail(w, r, err)
		return
	}
	o := runOutcome{ran: ran, status: http.StatusOK}
	if err != nil {
		f := s.failure(r, err)
		o.problem, o.status = &f.problem, f.problem.Status
		s.record(r, p, o)
		s.answerFailure(w, r, f)
		return
	}
	o.status = verdictStatus(p.req, *ran.verdict)
	s.record(r, p, o)
	res := &render.Run{
		ClusterID:  p.query.ClusterID,
		QueryID:    ran.summary.QueryID,
		ScriptName: p.req.ScriptName,
		Demo:       s.opts.Demo != nil,
		Timeout:    p.timeout,
		Verdict:    *ran.verdict,
		Stats:      ran.stats(),
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
// catalog.
func (s *server) resolve(ctx context.Context, req *api.RunRequest) (pixie.Request, error) {
	var q pixie.Request
	switch {
	case req.ScriptName != "":
		sc, err := s.lookupScript(ctx, req.ScriptName, "script_name", http.StatusNotFound)
		switch {
		case err != nil:
			return q, err
		case !sc.Runnable():
			return q, api.NewProblemError(api.ProblemBrokenScript, http.StatusInternalServerError,
				fmt.Sprintf("script %q is in the catalog but cannot run: %s", sc.Name, sc.Error))
		}
		fn, err := sc.Bind(req.Func, req.Args)
		if err != nil {
			return q, bindProblem(err, req.Args)
		}
		q.Script, q.Func, q.QueryName = sc.Source, fn, sc.Name
	default:
		q.Script = req.Script
		if req.Func != "" {
			f := &pixie.Func{Name: req.Func, OutputPrefix: render.DefaultTable}
			for _, name := range slices.Sorted(maps.Keys(req.Args)) {
				f.Args = append(f.Args, pixie.Arg{Name: name, Value: req.Args[name]})
			}
			q.Func = f
		}
	}
	q.ClusterID = req.ClusterID
	if q.ClusterID == "" {
		q.ClusterID = s.opts.DefaultClusterID
	}
	return q, nil
}

// bindProblem is the 400 of a function or arguments a catalog script does
// not take. The messages quote values; secret ones stay hidden even here (Chaos Toolkit
// journals keep answers).
func bindProblem(err error, args map[string]string) error {
	secrets := secretValues(args)
	pe := api.NewProblemError(api.ProblemInvalidRequest, http.StatusBadRequest, redact(err.Error(), secrets))
	if fe := (*scripts.FuncError)(nil); errors.As(err, &fe) {
		// The script needs func, or func names none of its functions: the
		// message lists them with their parameters.
		pe.Problem.Errors = []api.FieldError{{Field: "func", Message: pe.Problem.Detail}}
		return pe
	}
	var ae *scripts.ArgError
	if errors.As(err, &ae) {
		for _, ap := range ae.Problems {
			pe.Problem.Errors = append(pe.Problem.Errors, api.FieldError{Field: "args." + ap.Arg, Message: redact(ap.Arg+": "+ap.Message, secrets)})
		}
	}
	return pe
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
