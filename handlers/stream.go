package handlers

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/render"
)

// Streamed answers (JSON, CSV, NDJSON; render.StreamSink) are pixie.Sinks teed
// with the verdict sink: each batch is encoded and flushed to the caller as it arrives and
// then dropped, so memory stays constant whatever the result's size (the
// tolerances keep only the columns they check).
//
// The status goes out with the first row (JSON: the first 256 KiB), so it
// is 200 once rows flow; what is known only at the end (the verdict, an
// error after rows) goes into the X-Pxgate-Verdict and X-Pxgate-Error
// trailers and, for NDJSON, the final line (for JSON, the document's end:
// "error" instead of "verdict" and "stats"). An answer with no row written yet keeps the usual statuses:
// a problem for an error, fail_status for a failed verdict.

// serveStream runs p with a streamed answer in out's format, whose held
// rows (render.JSON.Hold) are leased from l. held says w
// holds the whole answer until its end (serveHeld), which then gets the
// status returned: the failure's or the verdict's, whatever was written;
// 0 when the query did not run (its refusal was answered, or the caller
// left).
func (s *server) serveStream(w http.ResponseWriter, r *http.Request, p *runPlan, out output, l *lease, held bool) (status int) {
	start, finished := time.Now(), false
	defer func() {
		if finished {
			return
		}
		// A panic (the query's, a sink's, an encoding job's raised again):
		// serveRequest answers it, a 500 problem, or an aborted connection
		// once the status went out; the history records the 500 too (not
		// for http.ErrAbortHandler, a deliberate abort). Raised again as
		// it was: the stack serveRequest logs still has its origin.
		v := recover()
		if v == nil {
			return // runtime.Goexit
		}
		if v != http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
			prob := internalProblem(r)
			s.record(r, p, runOutcome{ran: ran{elapsed: time.Since(start)}, problem: &prob, status: prob.Status})
		}
		panic(v)
	}()
	status = s.stream(w, r, p, out, l, held)
	finished = true
	return status
}

// newStreamSink is the sink writing p's answer to w in out's format.
func newStreamSink(w http.ResponseWriter, p *runPlan, out output, l *lease) render.StreamSink {
	switch out.format {
	case formatCSV:
		return render.NewCSV(w, out.table, out.keepFormulas, p.maxRows)
	case formatNDJSON:
		return render.NewNDJSON(w, p.req.Tables, p.maxRows)
	}
	j := render.NewJSON(w, p.req.Tables, p.maxRows)
	// With tolerances the status says the verdict; an answer recorded for
	// the cache is held anyway, and held its failure is a problem, which is
	// never cached (a cut 200 would be replayed without its trailers, which
	// are what say it failed).
	_, recorded := w.(*recorder)
	j.Hold, j.Whole = l.hold, p.set.Len() > 0 || recorded
	return j
}

// stream is serveStream but for a panic.
func (s *server) stream(w http.ResponseWriter, r *http.Request, p *runPlan, out output, l *lease, held bool) (status int) {
	sink := newStreamSink(w, p, out, l)
	ran, err := s.runQuery(r.Context(), p, sink, l)
	if !ran.ok {
		s.fail(w, r, err)
		return 0
	}
	o := runOutcome{ran: ran}
	end := &render.StreamEnd{StreamEnd: api.StreamEnd{
		ClusterID:  p.query.ClusterID,
		QueryID:    ran.summary.QueryID,
		ScriptName: p.req.ScriptName,
		Demo:       s.opts.Demo != nil,
		TimeoutMS:  p.timeout.Milliseconds(),
	}}
	if err != nil {
		f := s.failure(r, err)
		o.problem, o.status = &f.problem, f.problem.Status
		if !sink.Started() || held {
			// Nothing went out: the failure is a problem answer, as any
			// other (the rows a CSV held for its verdict are dropped, as
			// a held JSON's are).
			if rec, recorded := w.(*recorder); recorded {
				// The problem is no held answer: it is written without a
				// lease, as any other problem is, so that a budget the
				// rows used up cannot turn it into a refusal (serveHeld
				// and serveOutput answer l.refused) while the history
				// says this failure. The rows a CSV held are dropped and
				// give their lease back.
				if held {
					l.shrink(rec.body.Len())
					rec.reset()
				}
				rec.hold = nil
			}
			s.record(r, p, o)
			s.answerFailure(w, r, f)
			return o.status
		}
		if f.canceled { // the 200 went out, and nobody reads the rest
			s.record(r, p, o)
			if _, recorded := w.(*recorder); !recorded {
				// Without its end: should the caller still read (net/http
				// takes a half-closed connection for a caller that left),
				// the body must not end as if complete.
				abortAnswer(r)
			}
			return o.status
		}
		prob := completeProblem(r, f.problem)
		end.Error = &prob
		// The request's log line, whose status is the 200 that went
		// out, names the problem that cut the answer short.
		noteOf(r).problemType = strings.TrimPrefix(prob.Type, api.ProblemTypePrefix)
	} else {
		st := ran.stats()
		end.Verdict, end.Stats, end.Status = ran.verdict, &st, verdictStatus(p.req, *ran.verdict)
		o.status = end.Status
	}
	status = o.status
	if sink.Started() && !held {
		o.status = http.StatusOK
	}
	if err := sink.Finish(end); err != nil {
		if _, recorded := w.(*recorder); recorded && l.refused != nil {
			// A recorder (an answer held for its verdict, or recorded for
			// the cache) the budget refused the end: nothing went out,
			// and the refusal is the answer (the caller sends it), which
			// the history records instead of the verdict's status.
			f := s.failure(r, l.refused)
			o.ran.verdict, o.problem, o.status = nil, &f.problem, f.problem.Status
			s.record(r, p, o)
			return o.status
		}
		if !sink.Started() {
			// Nothing went out (an answer held for its verdict, or a small
			// one), and its end did not encode: a 500, never an empty 200
			// that curl -f and Chaos Toolkit would read as a pass.
			s.log.LogAttrs(r.Context(), slog.LevelError, "encoding the end of an answer",
				slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
			f := failure{problem: internalProblem(r), level: slog.LevelError}
			o.problem, o.status = &f.problem, f.problem.Status
			s.record(r, p, o)
			s.answerFailure(w, r, f)
			return o.status
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing the end of a streamed answer",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
	}
	s.record(r, p, o)
	return status
}
