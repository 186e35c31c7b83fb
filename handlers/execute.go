package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/history"
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
	// baseline is the query of the checks' baseline window; nil: none.
	baseline *baselinePlan
}

// prepare checks a validated request against the gateway's limits and
// policy and resolves it, in a fixed order (max_rows, tolerances, script
// and arguments, policy) so that the first mistake is the one reported.
// Nothing reaches Pixie before it succeeds.
func (s *server) prepare(ctx context.Context, req *api.RunRequest, format string) (*runPlan, error) {
	limit := s.opts.MaxRows
	if format == formatCSV || format == formatNDJSON {
		limit = s.opts.MaxStreamRows
	}
	maxRows := limit
	if req.MaxRows != nil {
		if *req.MaxRows > limit {
			return nil, invalid(fieldError("max_rows", "max_rows %d is above the gateway's limit of %d rows per table for format %s (tolerances see every row regardless)", *req.MaxRows, limit, format))
		}
		maxRows = *req.MaxRows
	}
	set, err := tolerance.Compile(req.Tolerances)
	if err != nil {
		pe := api.NewProblemError(api.ProblemInvalidTolerance, http.StatusBadRequest, err.Error())
		pe.Problem.Errors = []api.FieldError{{Field: toleranceField(err.Error()), Message: err.Error()}}
		return nil, pe
	}
	query, err := s.resolve(ctx, req)
	if err == nil {
		err = s.permit(req, &query)
	}
	var base *baselinePlan
	if err == nil {
		base, err = s.planBaseline(req, &query, set)
	}
	if err != nil {
		return nil, err
	}
	return &runPlan{req: req, query: query, set: set, maxRows: maxRows, timeout: s.timeout(req), format: format,
		secrets: secretValues(req.Args), baseline: base}, nil
}

// errQueryPanicked is the error a query that a panic ended is counted
// with (outcome other).
var errQueryPanicked = errors.New("the query ended in a panic")

// ran is how a query went.
type ran struct {
	// ok says the query ran (it may have failed); false: it was not
	// admitted, and nothing else is set.
	ok      bool
	summary pixie.Summary
	elapsed time.Duration
	// tables are every table's row count, in stream order.
	tables []history.TableCount
	// verdict is the tolerances' verdict; nil when the query failed.
	verdict *tolerance.Verdict
	// series and baseSeries are the checked columns over time, in the
	// run's rows and the baseline window's (nil: none), for the charts.
	series, baseSeries *seriesSink
}

// checker is a sink with a word once the query completed (a
// render.StreamSink): an error means the answer cannot be given.
type checker interface{ Check() error }

// runQuery is the end of every run's pipeline, after prepare: admit (a
// query slot), execute p's query into sink teed with the tolerances within
// p.timeout (time spent waiting for a slot included), then the verdict.
//
// A ran without ok means the query did not run: no slot freed up (a 429
// *api.ProblemError), the caller left while queued, or the baseline
// window's query (run first) failed or could not be windowed (a 400). A ran with ok and an
// error means it ran and failed: a *runError (Pixie's error, or one sink raised;
// KindCanceled when the caller went away, also when that made a sink's
// write fail), or the unknown-table problem when the request names a table
// the query did not produce. Without an error, ran.verdict is set.
func (s *server) runQuery(ctx context.Context, p *runPlan, sink pixie.Sink, l *lease) (ran, error) {
	qctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	release, err := s.admit(ctx, p.timeout)
	if err != nil {
		return ran{}, err
	}
	defer release()
	if err := l.start(); err != nil {
		return ran{}, err
	}

	feeder := newVerdictSink(p.set)
	// The values the checks keep grow the lease; once the answer started,
	// refusing them would cut it, so they are taken.
	started, _ := sink.(interface{ Started() bool })
	feeder.hold = func(n int) error { return l.hold(n, started != nil && started.Started()) }
	series := newSeriesSink(p.set)
	var baseSeries *seriesSink
	if p.baseline != nil {
		// First, so that a script that cannot be windowed is refused
		// before any row of the run is sent.
		var base *verdictSink
		base, baseSeries, err = s.runBaseline(qctx, p, l)
		if err != nil {
			return ran{}, err
		}
		feeder.ev.SetBaseline(base.ev, base.schemas)
	}
	sinks := []pixie.Sink{feeder, sink}
	if series != nil {
		sinks = append(sinks, series)
	}
	start := time.Now()
	s.metrics.running.Inc()
	summary, err := func() (pixie.Summary, error) {
		finished := false
		defer func() {
			s.metrics.running.Dec() // also when a sink panics
			if !finished {
				// A panic (a sink's, an encoding job's raised again)
				// ended the query: counted, as a failure of pxgate's own.
				s.metrics.observeQuery(errQueryPanicked, time.Since(start))
			}
		}()
		summary, err := s.opts.Pixie.Execute(qctx, p.query, pixie.Tee(sinks...))
		if d, ok := sink.(interface{ Drain() error }); ok {
			// The rows still encoding go out now, before what went out
			// decides the answer's status.
			if derr := d.Drain(); err == nil {
				err = derr
			}
		}
		finished = true
		return summary, err
	}()
	elapsed := time.Since(start)
	var we *render.WriteError
	switch {
	case err != nil && shuttingDown(ctx):
		err = shutdownProblem()
	case err != nil && ctx.Err() != nil:
		// The caller went away: whatever Pixie said, nobody is listening.
		err = &pixie.Error{Kind: pixie.KindCanceled, Message: "the caller went away", Err: err}
	case errors.As(err, &we) && !errors.As(err, new(*api.ProblemError)):
		// (A problem, such as the memory budget's, is no caller's leaving.)
		err = &pixie.Error{Kind: pixie.KindCanceled, Message: "writing the answer failed (the caller went away?)", Err: err}
	}
	s.metrics.observeQuery(err, elapsed)
	res := ran{ok: true, summary: summary, elapsed: elapsed, tables: feeder.counts(), series: series, baseSeries: baseSeries}
	if c, ok := sink.(checker); ok && err == nil {
		err = c.Check()
	}
	if err != nil {
		return res, &runError{err: err, timeout: p.timeout, secrets: p.secrets}
	}
	if prob := missingTable(p.req, feeder.tableNames()); prob != nil {
		return res, &api.ProblemError{Problem: *prob}
	}
	if err := feeder.missingColumns(); err != nil {
		return res, err
	}
	v := s.verdict(p, feeder)
	res.verdict = &v
	return res, nil
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
func (r *ran) stats() api.Stats {
	return api.Stats{
		CompilationMS:    milliseconds(r.summary.Stats.Compilation),
		ExecutionMS:      milliseconds(r.summary.Stats.Execution),
		RecordsProcessed: r.summary.Stats.RecordsProcessed,
		BytesProcessed:   r.summary.Stats.BytesProcessed,
		TotalMS:          milliseconds(r.elapsed),
		MutationWaitMS:   milliseconds(r.summary.Stats.MutationWait),
		MutationAttempts: r.summary.Stats.MutationAttempts,
	}
}
