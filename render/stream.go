package render

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// Streamed answers (CSV, NDJSON) are pixie.Sinks, teed by the caller with
// whatever else reads the rows (the tolerances): each batch is encoded and
// flushed to the caller as it arrives and then dropped, so memory stays
// constant whatever the result's size.
//
// The status goes out with the first row, so it is 200 once rows flow; what
// is known only at the end (the verdict, an error after rows) goes into
// the X-Pxgate-Verdict and X-Pxgate-Error trailers and, for NDJSON, the
// final line. An answer with no row written yet keeps the usual statuses:
// the end's Status (a problem's, or the verdict's).

// StreamSink writes one streamed format (*CSV, *NDJSON).
type StreamSink interface {
	pixie.Sink
	// Drain writes the rows still being encoded on other cores, as they
	// would have been written had their batches been encoded as they
	// came: once the query ended, before Started is asked, so that what
	// went out does not depend on how fast the encoding was.
	Drain() error
	// Started reports whether the status went out.
	Started() bool
	// Check is the sink's word once the query completed, before Finish:
	// an error (an *api.ProblemError) means the answer cannot be given
	// and nothing was written.
	Check() error
	// Finish writes the end of the answer (the whole answer when nothing
	// was written yet, with e.Status).
	Finish(e *StreamEnd) error
}

// StreamEnd is what a streamed answer's end says.
type StreamEnd struct {
	api.StreamEnd
	// Status is the answer's status when nothing was written yet.
	Status int
	// truncated is set by the sink when max_rows cut rows.
	truncated bool
}

// verdictWord is the X-Pxgate-Verdict of an end: an error is a failure.
func (e *StreamEnd) verdictWord() string {
	if e.Error == nil && e.Verdict != nil && e.Verdict.Passed {
		return "pass"
	}
	return "fail"
}

// errorWord is the X-Pxgate-Error of an end: "<problem type> <detail>",
// printable ASCII only, or "" without an error.
func (e *StreamEnd) errorWord() string {
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

// streamOut writes a streamed answer: the status and headers go out with
// the first bytes, each flush pushes what was written to the caller, and
// the first write error sticks (as a *WriteError, which stops the query).
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

// WriteError is a failure to write a streamed answer to the caller; a
// sink returns it from Batch, which stops the query.
type WriteError struct{ err error }

func (e *WriteError) Error() string { return "writing the answer: " + e.err.Error() }

// Unwrap returns the writer's error.
func (e *WriteError) Unwrap() error { return e.err }

// start commits 200 with the streaming headers, announcing the trailers.
func (o *streamOut) start() {
	h := o.w.Header()
	h.Set("Content-Type", o.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Trailer", api.TrailerVerdict+", "+api.TrailerError+", "+api.TrailerTruncated)
	o.w.WriteHeader(http.StatusOK)
	o.wrote = true
}

// startWhole commits an answer that no row preceded: its own status, and
// the end's verdict and error as plain headers.
func (o *streamOut) startWhole(e *StreamEnd) {
	h := o.w.Header()
	h.Set("Content-Type", o.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	o.trailers(e)
	o.w.WriteHeader(e.Status)
	o.wrote = true
}

// trailers sets the end's trailers (headers, before WriteHeader).
func (o *streamOut) trailers(e *StreamEnd) {
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
		o.err = &WriteError{err}
	}
	return n, o.err
}

// flush sends what was written to the caller.
func (o *streamOut) flush() error {
	if o.err == nil && o.wrote {
		if err := o.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			o.err = &WriteError{err}
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

// rowCount counts one streamed table's rows against max_rows.
type rowCount struct {
	written, total int
	truncated      bool // max_rows cut rows
}

// take counts a batch of n rows and returns how many of them to write
// under maxRows (0: no cap); the caller adds them to written once written.
func (c *rowCount) take(n, maxRows int) int {
	c.total += n
	if maxRows > 0 && c.written+n > maxRows {
		n = max(0, maxRows-c.written)
		c.truncated = true
	}
	return n
}

// rowWriter holds the rows of a streamed answer (CSV, NDJSON) until they
// are written: encoded in place or by pipe's jobs into buf, which is
// written once it passes flushSize and flushed once per batch.
type rowWriter struct {
	out  *streamOut
	buf  []byte
	pipe pipeline
}

// init starts w writing to out.
func (w *rowWriter) init(out *streamOut) {
	w.out, w.buf = out, (*getBuffer())[:0]
	w.pipe.buf, w.pipe.spill = &w.buf, w.spill
}

// spill writes the rows once they pass flushSize.
func (w *rowWriter) spill() error {
	if len(w.buf) < flushSize {
		return nil
	}
	return w.write()
}

// flush writes and flushes the rows encoded.
func (w *rowWriter) flush() error {
	if len(w.buf) > 0 {
		if err := w.write(); err != nil {
			return err
		}
	}
	return w.out.flush() // (nothing, before the status went out)
}

func (w *rowWriter) write() error {
	_, err := w.out.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Drain implements StreamSink.
func (w *rowWriter) Drain() error {
	if err := w.pipe.drain(); err != nil {
		return err
	}
	return w.flush()
}
