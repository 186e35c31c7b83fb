package render

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// JSON streams a run as one api.RunResponse document, rows written as
// batches arrive. What is known only at the end (the query id, the
// verdict, the stats) comes after the tables:
//
//	{"tables":[{"name":"output","columns":[...],"rows":[...],"row_count":2,"total_rows":2,"truncated":false}],
//	 "cluster_id":"...","query_id":"...","timeout_ms":30000,"verdict":{...},"stats":{...}}
//
// The answer is buffered until it passes flushSize (always, when Whole):
// a smaller one goes out whole at Finish with a Content-Length and its own
// status (a problem instead, when the query failed), like any JSON answer. A larger one
// commits 200 and streams; a failure after that ends the document with
// "error" (a problem) instead of "verdict" and "stats", and the
// X-Pxgate-Verdict trailer says fail, with X-Pxgate-Error.
//
// A JSON table is contiguous, and Pixie interleaves the batches of its
// tables: one table's rows stream; the rows of any other that arrive
// meanwhile are held (encoded, charged to Hold) until that table's last
// batch, and then written.
type JSON struct {
	out     *streamOut
	keep    []string // tables to write; empty: all
	maxRows int      // per table; 0: no cap
	// Hold, when set, is told how many bytes of rows are held for a table
	// waiting its turn (a memory budget), and whether the answer started
	// (its status went out). An error refuses them and stops the query;
	// once the answer started, that would cut it, and Hold should take
	// them.
	Hold func(n int, started bool) error
	// Whole holds the whole answer until Finish, which sends it with the
	// end's status (the verdict's; a failure is the caller's problem
	// answer, since nothing went out): for answers whose status must say
	// the verdict. What it holds beyond flushSize is leased from Hold.
	Whole bool

	leased  int          // bytes of buf leased from Hold (Whole): by spill, or as held rows
	tables  []*jsonTable // kept, in announcement order
	byID    map[string]*jsonTable
	cur     *jsonTable // the table whose rows go out now; nil: none
	written int        // tables written, closed or current
	buf     []byte
	pipe    pipeline // encodes the current table's large batches
}

type jsonTable struct {
	meta *pixie.TableMeta
	rows RowEncoding
	rowCount
	held []byte // encoded rows waiting for their turn, comma-separated
	eos  bool   // the last batch arrived
	done bool   // written and closed
}

// NewJSON returns the JSON sink of an answer written to w: the tables
// named (none: all), at most maxRows rows each (0: all).
func NewJSON(w http.ResponseWriter, tables []string, maxRows int) *JSON {
	buf := getBuffer()
	j := &JSON{out: newStreamOut(w, api.ContentTypeJSON), keep: tables, maxRows: maxRows,
		byID: make(map[string]*jsonTable), buf: append((*buf)[:0], `{"tables":[`...)}
	j.pipe.buf, j.pipe.spill = &j.buf, j.spill
	return j
}

// Table implements pixie.Sink.
func (j *JSON) Table(meta *pixie.TableMeta) error {
	if len(j.keep) > 0 && !slices.Contains(j.keep, meta.Name) {
		return nil
	}
	t := &jsonTable{meta: meta, rows: NewRowEncoding(meta)}
	j.tables = append(j.tables, t)
	j.byID[meta.ID] = t
	return nil
}

// Batch implements pixie.Sink: the current table's rows go out, another
// table's are held until the current one ends.
func (j *JSON) Batch(b *pixie.Batch) error {
	t, ok := j.byID[b.Table.ID]
	if !ok || t.done {
		return nil
	}
	if j.cur == nil {
		j.open(t)
	}
	rows := t.take(b.NumRows, j.maxRows)
	if t == j.cur {
		if err := encodeRows(&j.pipe, b, rows, func(from, to int) rowEncoder { return j.encoder(t, b, from, to) }); err != nil {
			return err
		}
	} else if err := j.hold(t, b, rows); err != nil {
		return err
	}
	t.written += rows
	if b.EOS {
		t.eos = true
		return j.next()
	}
	return nil
}

// hold encodes rows of b for t, which waits for its turn.
func (j *JSON) hold(t *jsonTable, b *pixie.Batch, rows int) error {
	if rows == 0 {
		return nil
	}
	before := len(t.held)
	t.held = j.encoder(t, b, 0, rows)(t.held, &j.pipe.state)
	if j.Hold != nil {
		if err := j.Hold(len(t.held)-before, j.out.wrote); err != nil {
			t.held = t.held[:before]
			return err
		}
	}
	return nil
}

// encoder encodes rows [from, to) of b, a batch of table t, each after a
// comma but the table's first.
func (j *JSON) encoder(t *jsonTable, b *pixie.Batch, from, to int) rowEncoder {
	written := t.written // now: it moves on before a job runs
	return func(out []byte, st *rowState) []byte {
		for i := from; i < to; i++ {
			if written+i > 0 {
				out = append(out, ',')
			}
			out = t.rows.appendRow(out, b.Cols, i, &st.day)
		}
		return out
	}
}

// open starts writing t: its name, columns, and the rows held for it.
func (j *JSON) open(t *jsonTable) {
	if j.written > 0 {
		j.buf = append(j.buf, ',')
	}
	j.written++
	j.cur = t
	j.buf = appendTableHead(j.buf, t.meta)
	j.buf = append(j.buf, t.held...)
	j.leased += len(t.held) // hold leased them: spill need not again
	t.held = nil
}

// next closes the current table once its last batch arrived, and writes
// each table held meanwhile whose last batch arrived too; the first one
// still open becomes current.
func (j *JSON) next() error {
	if err := j.pipe.drain(); err != nil { // the rows before the table's end
		return err
	}
	for j.cur != nil && j.cur.eos {
		j.close()
		for _, t := range j.tables {
			if !t.done && t.held != nil {
				j.open(t)
				break
			}
		}
		if err := j.spill(); err != nil {
			return err
		}
	}
	return nil
}

// holdStep is how much more a Whole answer leases at a time.
const holdStep = 64 << 10

// spill writes the buffer once it passes flushSize; a Whole answer keeps
// it and leases what it holds beyond flushSize instead.
func (j *JSON) spill() error {
	switch {
	case len(j.buf) < flushSize:
		return nil
	case !j.Whole:
		return j.write()
	}
	if over := len(j.buf) - flushSize - j.leased; over > 0 && j.Hold != nil {
		n := max(over, holdStep)
		if err := j.Hold(n, false); err != nil {
			return err
		}
		j.leased += n
	}
	return nil
}

// close ends the current table.
func (j *JSON) close() {
	t := j.cur
	j.buf = appendTableTail(j.buf, t.written, t.total, t.truncated)
	t.done, j.cur = true, nil
}

func (j *JSON) write() error {
	_, err := j.out.Write(j.buf)
	j.buf = j.buf[:0]
	return err
}

// Drain implements StreamSink.
func (j *JSON) Drain() error { return j.pipe.drain() }

// Started implements StreamSink.
func (j *JSON) Started() bool { return j.out.wrote }

// Check implements StreamSink: a JSON answer can always be given.
func (j *JSON) Check() error { return nil }

// Finish implements StreamSink: it writes the tables not written yet and
// the end of the document: the verdict and stats, or the error.
func (j *JSON) Finish(e *StreamEnd) error {
	defer func() { releaseBuffer(j.buf); j.buf = nil }()
	if err := j.pipe.drain(); err != nil {
		return err
	}
	for {
		if j.cur != nil {
			j.close()
		}
		i := slices.IndexFunc(j.tables, func(t *jsonTable) bool { return !t.done })
		if i < 0 {
			break
		}
		j.open(j.tables[i])
	}
	for _, t := range j.tables {
		e.truncated = e.truncated || t.truncated
	}
	end, err := MarshalJSON(e.StreamEnd)
	if err != nil {
		return err
	}
	// end is {"cluster_id":...,"tables":null}: its fields but the
	// tables end the document.
	fields, ok := bytes.CutSuffix(end, []byte(`,"tables":null}`))
	if !ok {
		return fmt.Errorf("render: the end of a JSON answer is not an api.StreamEnd without tables: %.80s", end)
	}
	j.buf = append(j.buf, "],"...)
	j.buf = append(j.buf, fields[1:]...)
	j.buf = append(j.buf, "}\n"...)
	if j.out.wrote {
		j.out.trailers(e)
	} else {
		j.out.w.Header().Set("Content-Length", strconv.Itoa(len(j.buf)))
		j.out.startWhole(e)
	}
	return j.write()
}

// appendTableHead appends an api.Table's start, up to its first row.
func appendTableHead(b []byte, meta *pixie.TableMeta) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, meta.Name)
	b = append(b, `,"columns":[`...)
	for c, col := range meta.Columns {
		if c > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, col.Name)
		b = append(b, `,"type":`...)
		b = appendString(b, col.Type.String())
		b = append(b, `,"semantic_type":`...)
		b = appendString(b, col.SemanticType.String())
		b = append(b, '}')
	}
	return append(b, `],"rows":[`...)
}

// appendTableTail appends an api.Table's end, after its last row.
func appendTableTail(b []byte, rows, total int, truncated bool) []byte {
	b = append(b, `],"row_count":`...)
	b = strconv.AppendInt(b, int64(rows), 10)
	b = append(b, `,"total_rows":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, truncated)
	return append(b, '}')
}
