package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// Streamed answers (CSV, NDJSON) are pixie.Sinks teed with the verdict
// sink: each batch is encoded and flushed to the caller as it arrives and
// then dropped, so memory stays constant whatever the result's size (the
// tolerances keep only the columns they check).
//
// The status goes out with the first row, so it is 200 once rows flow; what
// is known only at the end (the verdict, an error after rows) goes into
// the X-Pxgate-Verdict and X-Pxgate-Error trailers and, for NDJSON, the
// final line. An answer with no row written yet keeps the usual statuses:
// a problem for an error, fail_status for a failed verdict.

// streamSink writes one streamed format.
type streamSink interface {
	pixie.Sink
	// started reports whether the status went out.
	started() bool
	// check is the sink's word once the query completed, before finish:
	// an error (a *problemError) means the answer cannot be given and
	// nothing was written.
	check() error
	// finish writes the end of the answer (the whole answer when nothing
	// was written yet, with e.status).
	finish(e *streamEnd) error
}

// streamEnd is what an answer's end says.
type streamEnd struct {
	api.StreamEnd
	// status is the answer's status when nothing was written yet.
	status int
	// truncated is set by the sink when max_rows cut rows.
	truncated bool
}

// verdictWord is the X-Pxgate-Verdict of an end: an error is a failure.
func (e *streamEnd) verdictWord() string {
	if e.Error == nil && e.Verdict != nil && e.Verdict.Passed {
		return "pass"
	}
	return "fail"
}

// errorWord is the X-Pxgate-Error of an end: "<problem type> <detail>",
// printable ASCII only, or "" without an error.
func (e *streamEnd) errorWord() string {
	if e.Error == nil {
		return ""
	}
	v := e.Error.Type + " " + e.Error.Detail
	if len(v) > 512 {
		v = v[:512]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return ' '
		}
		return r
	}, v)
}

// serveStream runs p with a streamed answer in out's format. held says w
// holds the whole answer until its end (serveHeldCSV), which then gets the
// status returned: the failure's or the verdict's, whatever was written;
// 0 when the query did not run (execute answered, or the caller left).
func (s *server) serveStream(w http.ResponseWriter, r *http.Request, p *runPlan, out output, held bool) (status int) {
	var sink streamSink
	if out.format == formatCSV {
		sink = newCSVSink(newStreamOut(w, api.ContentTypeCSV+"; charset=utf-8"), out, p.maxRows)
	} else {
		sink = newNDJSONSink(newStreamOut(w, api.ContentTypeNDJSON), p.req.Tables, p.maxRows)
	}
	feeder := newVerdictSink(p.set)
	ex, ok := s.execute(w, r, p, pixie.Tee(feeder, sink))
	if !ok {
		return 0
	}
	if ex.err == nil {
		ex.err = sink.check()
	}
	o := runOutcome{ex: ex, tables: feeder.counts()}
	end := &streamEnd{StreamEnd: api.StreamEnd{
		ClusterID:  p.query.ClusterID,
		QueryID:    ex.summary.QueryID,
		ScriptName: p.req.ScriptName,
		Demo:       s.opts.Demo,
		TimeoutMS:  p.timeout.Milliseconds(),
	}}
	switch {
	case ex.err != nil:
		f := s.logFailure(r, ex.err, p.timeout, p.secrets)
		o.problem, o.status = &f.problem, f.problem.Status
		if !sink.started() {
			s.record(r, p, o)
			s.answerFailure(w, r, f)
			return o.status
		}
		if f.canceled { // the 200 went out, and nobody reads the rest
			s.record(r, p, o)
			return o.status
		}
		prob := completeProblem(r, f.problem)
		end.Error = &prob
	default:
		if prob := missingTable(p.req, feeder.tableNames()); prob != nil {
			o.problem, o.status = prob, prob.Status
			if !sink.started() {
				s.record(r, p, o)
				s.writeProblem(w, r, *prob)
				return o.status
			}
			full := completeProblem(r, *prob)
			end.Error = &full
			break
		}
		verdict := s.verdict(p, feeder)
		st := stats(ex)
		end.Verdict, end.Stats, end.status = &verdict, &st, verdictStatus(p.req, verdict)
		o.verdict, o.status = &verdict, end.status
	}
	status = o.status
	if sink.started() && !held {
		o.status = http.StatusOK
	}
	s.record(r, p, o)
	if err := sink.finish(end); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing the end of a streamed answer",
			slog.String("request_id", middleware.GetReqID(r.Context())), slog.String("err", err.Error()))
	}
	return status
}

// streamOut writes a streamed answer: the status and headers go out with
// the first bytes, each flush pushes what was written to the caller, and
// the first write error sticks (as a *writeError, which stops the query).
type streamOut struct {
	w           http.ResponseWriter
	rc          *http.ResponseController
	contentType string
	wrote       bool
	err         error
}

func newStreamOut(w http.ResponseWriter, contentType string) *streamOut {
	return &streamOut{w: w, rc: http.NewResponseController(w), contentType: contentType}
}

// writeError is a failure to write to the caller.
type writeError struct{ err error }

func (e *writeError) Error() string { return "writing the answer: " + e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// start commits 200 with the streaming headers, announcing the trailers.
func (o *streamOut) start() {
	h := o.w.Header()
	h.Set(headerContentType, o.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Trailer", api.TrailerVerdict+", "+api.TrailerError+", "+api.TrailerTruncated)
	o.w.WriteHeader(http.StatusOK)
	o.wrote = true
}

// startWhole commits an answer that no row preceded: its own status, and
// the end's verdict and error as plain headers.
func (o *streamOut) startWhole(e *streamEnd) {
	h := o.w.Header()
	h.Set(headerContentType, o.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	o.trailers(e)
	o.w.WriteHeader(e.status)
	o.wrote = true
}

// trailers sets the end's trailers (headers, before WriteHeader).
func (o *streamOut) trailers(e *streamEnd) {
	h := o.w.Header()
	h.Set(api.TrailerVerdict, e.verdictWord())
	if v := e.errorWord(); v != "" {
		h.Set(api.TrailerError, v)
	}
	if e.truncated {
		h.Set(api.TrailerTruncated, "true")
	}
}

func (o *streamOut) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	if !o.wrote {
		o.start()
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = &writeError{err}
	}
	return n, o.err
}

// flush sends what was written to the caller.
func (o *streamOut) flush() error {
	if o.err == nil && o.wrote {
		if err := o.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			o.err = &writeError{err}
		}
	}
	return o.err
}

// tableSummary is one table of a StreamEnd.
func tableSummary(meta *pixie.TableMeta, written, total int, truncated bool) api.StreamTable {
	cols := make([]api.Column, len(meta.Columns))
	for i, c := range meta.Columns {
		cols[i] = api.Column{Name: c.Name, Type: c.Type.String(), SemanticType: c.SemanticType.String()}
	}
	return api.StreamTable{Name: meta.Name, Columns: cols, RowCount: written, TotalRows: total, Truncated: truncated}
}
