package render

import (
	"net/http"
	"slices"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// NDJSON streams rows as NDJSON, one line per row as batches arrive:
//
//	{"table":"output","row":{"time_":"2026-01-02T15:04:00.000000000Z","latency_p99":100000000,...}}
//
// values encoded as in JSON answers, then one final line, an
// api.StreamEnd: the verdict and stats, or the error. Every batch is
// flushed to the caller once encoded. Only the tables asked for (all by
// default) are written, at most maxRows rows each.
type NDJSON struct {
	keep    []string // tables to write; empty: all
	maxRows int      // per table; 0: no cap
	tables  []*ndjsonTable
	byID    map[string]*ndjsonTable
	rowWriter
}

type ndjsonTable struct {
	meta   *pixie.TableMeta
	prefix []byte // {"table":"name","row":
	rows   RowEncoding
	rowCount
}

// NewNDJSON returns the NDJSON sink of an answer written to w: the tables
// named (none: all), at most maxRows rows each (0: all).
func NewNDJSON(w http.ResponseWriter, tables []string, maxRows int) *NDJSON {
	n := &NDJSON{keep: tables, maxRows: maxRows, byID: make(map[string]*ndjsonTable)}
	n.init(newStreamOut(w, api.ContentTypeNDJSON))
	return n
}

// Table implements pixie.Sink.
func (n *NDJSON) Table(meta *pixie.TableMeta) error {
	if len(n.keep) > 0 && !slices.Contains(n.keep, meta.Name) {
		return nil
	}
	prefix := appendString([]byte(`{"table":`), meta.Name)
	t := &ndjsonTable{meta: meta, prefix: append(prefix, `,"row":`...), rows: NewRowEncoding(meta)}
	n.tables = append(n.tables, t)
	n.byID[meta.ID] = t
	return nil
}

// Batch implements pixie.Sink: it writes and flushes the batch's rows.
func (n *NDJSON) Batch(b *pixie.Batch) error {
	t, ok := n.byID[b.Table.ID]
	if !ok {
		return nil
	}
	rows := t.take(b.NumRows, n.maxRows)
	if rows == 0 {
		return nil
	}
	if err := encodeRows(&n.pipe, b, rows, func(from, to int) rowEncoder {
		return func(out []byte, st *rowState) []byte {
			for i := from; i < to; i++ {
				out = append(out, t.prefix...)
				out = t.rows.appendRow(out, b.Cols, i, &st.day)
				out = append(out, '}', '\n')
			}
			return out
		}
	}); err != nil {
		return err
	}
	t.written += rows
	return n.flush()
}

// Started implements StreamSink.
func (n *NDJSON) Started() bool { return n.out.wrote }

// Check implements StreamSink: an NDJSON answer can always be given.
func (n *NDJSON) Check() error { return nil }

// Finish implements StreamSink: it writes the final line.
func (n *NDJSON) Finish(e *StreamEnd) error {
	defer func() { releaseBuffer(n.buf); n.buf = nil }()
	if err := n.Drain(); err != nil { // (the caller drained already)
		return err
	}
	e.Tables = make([]api.StreamTable, len(n.tables))
	for i, t := range n.tables {
		e.Tables[i] = tableSummary(t.meta, t.written, t.total, t.truncated)
		e.truncated = e.truncated || t.truncated
	}
	line, err := MarshalJSON(e.StreamEnd)
	if err != nil {
		return err
	}
	if n.out.wrote {
		n.out.trailers(e)
	} else {
		n.out.startWhole(e)
	}
	n.buf = append(append(n.buf[:0], line...), '\n')
	if err := n.write(); err != nil {
		return err
	}
	return n.out.flush()
}
