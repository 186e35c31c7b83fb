package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

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
// in the format asked for, streamed (stream.go; serveOutput).
func (s *server) serveRun(w http.ResponseWriter, r *http.Request, req *api.RunRequest) {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = queryOf(r)
	}
	// A POST reads its request from the body: an expect= or fail_status=
	// in the URL, silently ignored, would pass a run the caller meant to
	// check.
	var buf [8]string
	for _, k := range sortedKeys(q, buf[:0]) {
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

// serveOutput is serveRun once the output is known. Every format streams
// (stream.go); JSON and CSV with tolerances are held until their verdict,
// so that their status says it (JSON by its sink, render.JSON.Whole).
func (s *server) serveOutput(w http.ResponseWriter, r *http.Request, req *api.RunRequest, out output) {
	p, err := s.prepare(r.Context(), req, out.format)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.budget.lease()
	defer l.release()
	if p.set.Len() > 0 && out.format == formatCSV {
		s.serveHeld(w, r, p, out, l)
		return
	}
	rec, recorded := w.(*recorder) // a JSON answer recorded for the cache
	if recorded {
		rec.hold = l.grow
	}
	s.serveStream(w, r, p, out, l, false)
	if recorded && l.refused != nil { // nothing went out: the refusal is the answer
		*rec = recorder{header: http.Header{}, status: http.StatusOK}
		s.fail(rec, r, l.refused)
	}
}

// serveHeld answers CSV with tolerances: a CSV body cannot carry a
// verdict, and `curl -f` reads only the status, so the answer is held
// until the verdict is known (at most MaxRows rows per table, each byte
// leased from the memory budget) and its status says the verdict, or the
// failure that ended the query after rows had come. NDJSON keeps
// streaming: its final line carries the verdict; JSON is held by its sink
// (render.JSON.Whole).
func (s *server) serveHeld(w http.ResponseWriter, r *http.Request, p *runPlan, out output, l *lease) {
	p.maxRows = min(p.maxRows, s.opts.MaxRows)
	buf := heldBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledHeld {
			heldBuffers.Put(buf)
		}
	}()
	rec := &recorder{header: http.Header{}, status: http.StatusOK, hold: l.grow, body: *bytes.NewBuffer((*buf)[:0])}
	defer func() { *buf = rec.body.Bytes()[:0] }()
	status := heldStatus(s.serveStream(rec, r, p, out, l, true), rec)
	if l.refused != nil { // nothing went out: the refusal is the answer
		s.fail(w, r, l.refused)
		return
	}
	h := w.Header()
	for k, v := range rec.header {
		if k != "Trailer" {
			h[k] = v
		}
	}
	h.Set("Content-Length", strconv.Itoa(rec.body.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(rec.body.Bytes())
}

// heldBuffers recycles the buffers of held answers: growing a new one is
// the largest cost of a small run's answer.
var heldBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// maxPooledHeld is the largest held buffer kept for reuse.
const maxPooledHeld = 1 << 20

// heldStatus is the status of a held answer that serveStream, returning
// status, wrote into rec. It fails closed: 200 only with a passing verdict.
func heldStatus(status int, rec *recorder) int {
	if status == 0 { // not run: rec holds the refusal serveStream answered, if any
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
