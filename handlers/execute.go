package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/render"
	"github.com/pxgate/pxgate/tolerance"
)

// runPlan is a checked request resolved into a Pixie query: what every run
// route (JSON, CSV, NDJSON and /probe) executes.
type runPlan struct {
	req     *api.RunRequest
	query   pixie.Request
	set     *tolerance.Set
	maxRows int
	timeout time.Duration
	format  string
	// secrets are the values of the request's secret-looking arguments,
	// hidden from logs and the history.
	secrets []string
}

// prepare checks a validated request against the gateway's limits and
// policy and resolves it, in a fixed order (max_rows, tolerances, script
// and arguments, policy) so that the first mistake is the one reported.
// Nothing reaches Pixie before it succeeds. It answers the request itself
// when a check fails.
func (s *server) prepare(w http.ResponseWriter, r *http.Request, req *api.RunRequest, format string) (*runPlan, bool) {
	limit := s.opts.MaxRows
	if format == formatCSV || format == formatNDJSON {
		limit = s.opts.MaxStreamRows
	}
	maxRows := limit
	if req.MaxRows != nil {
		if *req.MaxRows > limit {
			s.invalidRequest(w, r, fieldError("max_rows", "max_rows %d is above the gateway's limit of %d rows per table for format %s (tolerances see every row regardless)", *req.MaxRows, limit, format))
			return nil, false
		}
		maxRows = *req.MaxRows
	}
	set, err := tolerance.Compile(req.Tolerances)
	if err != nil {
		p := api.NewProblem(api.ProblemInvalidTolerance, http.StatusBadRequest, err.Error())
		p.Errors = []api.FieldError{{Field: toleranceField(err.Error()), Message: err.Error()}}
		s.writeProblem(w, r, p)
		return nil, false
	}
	query, ok := s.resolve(w, r, req)
	if !ok || !s.permitted(w, r, req, &query) {
		return nil, false
	}
	return &runPlan{req: req, query: query, set: set, maxRows: maxRows, timeout: s.timeout(req), format: format,
		secrets: secretValues(req.Args)}, true
}

// execution is how a query went.
type execution struct {
	summary pixie.Summary
	// err is nil, a *pixie.CompileError, a *pixie.Error (KindCanceled when
	// the caller went away, also when that made a sink's write fail), or an
	// error a sink raised (*api.ProblemError).
	err     error
	elapsed time.Duration
}

// execute runs p's query into sink within p.timeout (time spent waiting
// for a query slot included), holding one of the gateway's query slots. It
// returns false when it could not run: no slot freed up (it answered 429)
// or the caller left while queued.
func (s *server) execute(w http.ResponseWriter, r *http.Request, p *runPlan, sink pixie.Sink) (execution, bool) {
	ctx, cancel := context.WithTimeout(r.Context(), p.timeout)
	defer cancel()
	release, ok := s.admit(ctx, w, r)
	if !ok {
		return execution{}, false
	}
	defer release()

	start := time.Now()
	s.metrics.running.Inc()
	summary, err := func() (pixie.Summary, error) {
		defer s.metrics.running.Dec() // also when a sink panics
		return s.opts.Pixie.Execute(ctx, p.query, sink)
	}()
	elapsed := time.Since(start)
	var we *render.WriteError
	switch {
	case err != nil && r.Context().Err() != nil:
		// The caller went away: whatever Pixie said, nobody is listening.
		err = &pixie.Error{Kind: pixie.KindCanceled, Message: "the caller went away", Err: err}
	case errors.As(err, &we):
		err = &pixie.Error{Kind: pixie.KindCanceled, Message: "writing the answer failed (the caller went away?)", Err: err}
	}
	s.metrics.observeQuery(err, elapsed)
	return execution{summary: summary, err: err, elapsed: elapsed}, true
}

// missingTable returns the unknown-table problem when the request names a
// table the query did not produce: it must not look like an empty success.
func missingTable(req *api.RunRequest, produced []string) *api.Problem {
	for _, name := range req.Tables {
		if slices.Contains(produced, name) {
			continue
		}
		p := api.NewProblem(api.ProblemUnknownTable, http.StatusBadRequest,
			fmt.Sprintf("the query produced no table %q (it produced: %s)", name, render.QuoteNames(produced)))
		p.AvailableTables = produced
		if p.AvailableTables == nil {
			p.AvailableTables = []string{}
		}
		p.Errors = []api.FieldError{{Field: "tables", Message: p.Detail}}
		return &p
	}
	return nil
}

// verdict evaluates the tolerances and counts the verdict of a request
// that had some.
func (s *server) verdict(p *runPlan, feeder *verdictSink) tolerance.Verdict {
	v := feeder.verdict()
	if p.set.Len() > 0 {
		s.metrics.observeVerdict(v.Passed)
	}
	return v
}

// verdictStatus is the status of an answer with verdict v.
func verdictStatus(req *api.RunRequest, v tolerance.Verdict) int {
	switch {
	case v.Passed:
		return http.StatusOK
	case req.FailStatus != nil:
		return *req.FailStatus
	}
	return api.DefaultFailStatus
}

// stats are the execution statistics of an answer.
func stats(ex execution) api.Stats {
	return api.Stats{
		CompilationMS:    milliseconds(ex.summary.Stats.Compilation),
		ExecutionMS:      milliseconds(ex.summary.Stats.Execution),
		RecordsProcessed: ex.summary.Stats.RecordsProcessed,
		BytesProcessed:   ex.summary.Stats.BytesProcessed,
		TotalMS:          milliseconds(ex.elapsed),
	}
}
