package render

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/pixie"
)

// CSV streams one table as CSV (RFC 4180 quoting, as encoding/csv quotes;
// records end in LF, so that line breaks inside values stay as they are):
// a header row of column names, then one record per row
// as batches arrive, each batch flushed to the caller. Values are as in
// JSON answers without JSON's quoting: TIME64NS as RFC 3339 with
// nanoseconds, UINT128 UUID-style, booleans true/false, NaN and ±Inf
// empty, invalid UTF-8 replaced by U+FFFD.
//
// Text that a spreadsheet would run as a formula gets a leading
// apostrophe (see escapeFormula) unless the caller asks to keep it: Pixie
// records what the traffic says (paths, headers, bodies), so anyone who can
// send a request to a traced service controls those cells.
//
// The table is the one named (table=), else the only table, else the one
// named output; it is chosen when the first rows arrive (Pixie announces
// every table before sending rows). Other tables are read by the
// tolerances only. The verdict comes in the X-Pxgate-Verdict trailer.
type CSV struct {
	want    string // the table asked for; "": choose
	maxRows int    // 0: no cap
	escape  bool   // escape formula-like text

	announced []*pixie.TableMeta
	decided   bool
	chosen    *pixie.TableMeta // nil: none (yet)
	kinds     []int

	rowCount // of the chosen table

	rowWriter
}

// NewCSV returns the CSV sink of an answer written to w: the named table
// ("": choose, see CSV), at most maxRows rows of it (0: all), with
// formula-like text escaped unless keepFormulas.
func NewCSV(w http.ResponseWriter, table string, keepFormulas bool, maxRows int) *CSV {
	c := &CSV{want: table, maxRows: maxRows, decided: table != "", escape: !keepFormulas}
	c.init(newStreamOut(w, api.ContentTypeCSV+"; charset=utf-8"))
	return c
}

// Table implements pixie.Sink.
func (c *CSV) Table(meta *pixie.TableMeta) error {
	c.announced = append(c.announced, meta)
	if c.want != "" && meta.Name == c.want && c.chosen == nil {
		c.choose(meta)
	}
	return nil
}

func (c *CSV) choose(meta *pixie.TableMeta) {
	c.chosen = meta
	c.kinds = make([]int, len(meta.Columns))
	for i, col := range meta.Columns {
		c.kinds[i] = columnKind(col.Type)
	}
}

// decide chooses the table when none was named: the only one, else
// output. More than one without output is the caller's to resolve.
func (c *CSV) decide() error {
	if c.decided {
		return nil
	}
	c.decided = true
	switch {
	case len(c.announced) == 1:
		c.choose(c.announced[0])
		return nil
	case len(c.announced) == 0:
		return nil
	}
	names := make([]string, len(c.announced))
	for i, m := range c.announced {
		if m.Name == DefaultTable {
			c.choose(m)
			return nil
		}
		names[i] = m.Name
	}
	pe := api.NewProblemError(api.ProblemInvalidRequest, http.StatusBadRequest,
		fmt.Sprintf("a CSV answer holds one table and the query produced %d (%s), none named %q; choose one with table=", len(names), QuoteNames(names), DefaultTable))
	pe.Problem.AvailableTables = names
	pe.Problem.Errors = []api.FieldError{{Field: "table", Message: pe.Problem.Detail}}
	return pe
}

// Batch implements pixie.Sink: it writes and flushes the chosen table's
// rows.
func (c *CSV) Batch(b *pixie.Batch) error {
	if err := c.decide(); err != nil {
		return err
	}
	if c.chosen == nil || b.Table.ID != c.chosen.ID {
		return nil
	}
	rows := c.take(b.NumRows, c.maxRows)
	if rows == 0 {
		return nil
	}
	if !c.out.wrote {
		c.out.start()
		c.header()
	}
	if err := encodeRows(&c.pipe, b, rows, func(from, to int) rowEncoder {
		return func(out []byte, st *rowState) []byte {
			for i := from; i < to; i++ {
				out = c.appendRow(out, b.Cols, i, st)
			}
			return out
		}
	}); err != nil {
		return err
	}
	c.written += rows
	return c.flush()
}

// header appends the header record: the column names.
func (c *CSV) header() {
	for i, col := range c.chosen.Columns {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendField(c.buf, []byte(col.Name))
	}
	c.buf = append(c.buf, '\n')
}

// appendRow appends row i as a record, using part's state. Only text can
// need quotes: numbers, times, UUIDs and booleans are appended as they are.
func (c *CSV) appendRow(b []byte, cols []pixie.ColumnData, i int, part *rowState) []byte {
	for k := range cols {
		if k > 0 {
			b = append(b, ',')
		}
		if c.kinds[k] == kindString {
			part.scratch = c.appendValue(part.scratch[:0], &cols[k], kindString, i, &part.day)
			b = appendField(b, part.scratch)
			continue
		}
		b = c.appendValue(b, &cols[k], c.kinds[k], i, &part.day)
	}
	return append(b, '\n')
}

// appendField appends one CSV field, quoted as encoding/csv quotes it
// (RFC 4180): when it holds a comma, a quote, CR or LF, begins with a
// space, or is \. (which would end a PostgreSQL COPY); quotes inside are
// doubled.
func appendField(b, f []byte) []byte {
	if !fieldNeedsQuotes(f) {
		return append(b, f...)
	}
	b = append(b, '"')
	for {
		i := bytes.IndexByte(f, '"')
		if i < 0 {
			break
		}
		b = append(b, f[:i+1]...)
		b = append(b, '"')
		f = f[i+1:]
	}
	b = append(b, f...)
	return append(b, '"')
}

// fieldNeedsQuotes is encoding/csv's rule with a comma separator.
func fieldNeedsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if string(f) == `\.` {
		return true
	}
	for _, ch := range f {
		if ch == ',' || ch == '"' || ch == '\r' || ch == '\n' {
			return true
		}
	}
	r, _ := utf8.DecodeRune(f)
	return unicode.IsSpace(r)
}

// appendValue appends value i of column d as CSV field text (unquoted;
// encoding/csv quotes), escaping formula-like text unless the caller keeps
// formulas.
func (c *CSV) appendValue(b []byte, d *pixie.ColumnData, kind, i int, day *dayCache) []byte {
	switch kind {
	case kindFloat64:
		f := d.Float64[i]
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return b
		}
		return appendFloat(b, f)
	case kindString:
		s := d.String[i]
		if c.escape && formulaLike(s) {
			b = append(b, '\'')
		}
		if utf8.Valid(s) {
			return append(b, s...)
		}
		return append(b, bytes.ToValidUTF8(s, []byte("\uFFFD"))...)
	case kindTime:
		return day.appendTime(b, d.Int64[i])
	case kindUInt128:
		return AppendUUID(b, d.UInt128[i])
	}
	return appendValue(b, d, kind, i, day) // INT64, BOOLEAN: as in JSON
}

// formulaLike reports whether a spreadsheet would read text as a formula
// (OWASP's CSV injection list: a leading =, +, -, @, tab or carriage
// return). Text that is a plain number ("-5", "+1.5e3") or a lone sign
// stays as it is: spreadsheets read those as data.
func formulaLike(s []byte) bool {
	if len(s) == 0 {
		return false
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		if len(s) == 1 {
			return false
		}
		for _, c := range s[1:] {
			if !strings.ContainsRune("0123456789.eE+-", rune(c)) {
				return true // "-Inf", "+A1", "-cmd|..."
			}
		}
		_, err := strconv.ParseFloat(string(s), 64)
		return err != nil
	}
	return false
}

// Started implements StreamSink.
func (c *CSV) Started() bool { return c.out.wrote }

// Check implements StreamSink: it chooses the table of an answer without
// rows.
func (c *CSV) Check() error { return c.decide() }

// Finish implements StreamSink: it ends the answer: the trailers after rows, or the whole answer
// (the chosen table's header row) when there were none.
func (c *CSV) Finish(e *StreamEnd) error {
	defer func() { releaseBuffer(c.buf); c.buf = nil }()
	if err := c.Drain(); err != nil { // (the caller drained already)
		return err
	}
	e.truncated = c.truncated
	if c.out.wrote {
		c.out.trailers(e)
		return nil
	}
	c.out.startWhole(e)
	if c.chosen != nil {
		c.header()
		if err := c.write(); err != nil {
			return err
		}
	}
	return c.out.flush()
}
