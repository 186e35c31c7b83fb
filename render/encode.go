// Package render encodes query results for pxgate's answers: JSON (one
// api.RunResponse document), CSV and NDJSON, each a pixie.Sink that writes
// the rows to the caller as batches arrive (JSON, CSV, NDJSON;
// StreamSink). The encoders write JSON by hand from the
// typed columns, without reflection or per-value allocation (appendFloat,
// dayCache, pooled buffers); they know nothing of routes or requests.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pxgate/pxgate/pixie"
)

// DefaultTable is the table an answer uses when the request names none and
// the query produced more than one: what px.display(df) calls its table.
const DefaultTable = "output"

// flushSize is how much an answer buffers before a write: large writes
// halve the system calls of a streamed answer (a chunk header and its
// data each cost one when the data is larger than net/http's buffer).
const flushSize = 256 << 10

// buffers recycles encoding buffers: one per response would otherwise be
// the largest allocation of a small query.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, flushSize+4096); return &b }}

func getBuffer() *[]byte { return buffers.Get().(*[]byte) }

// releaseBuffer returns the buffer b (from getBuffer) to the pool.
func releaseBuffer(b []byte) { putBuffer(&b) }

// putBuffer returns a buffer to the pool, unless it grew unusually large
// (one huge value) and would pin that memory.
func putBuffer(b *[]byte) {
	if cap(*b) <= 4*flushSize {
		*b = (*b)[:0]
		buffers.Put(b)
	}
}

// column kinds, resolved once per table rather than per value.
const (
	kindInt64 = iota
	kindFloat64
	kindBool
	kindString
	kindTime
	kindUInt128
)

func columnKind(t pixie.DataType) int {
	switch t {
	case pixie.TypeFloat64:
		return kindFloat64
	case pixie.TypeBoolean:
		return kindBool
	case pixie.TypeString:
		return kindString
	case pixie.TypeTime64NS:
		return kindTime
	case pixie.TypeUInt128:
		return kindUInt128
	}
	return kindInt64
}

// RowEncoding encodes the rows of one table as JSON objects, keys in
// column order; what can be is resolved once per table, not per value.
type RowEncoding struct {
	keys  [][]byte // what precedes column c's value in a row object
	kinds []int
	day   *dayCache // for TIME64NS values
}

// NewRowEncoding returns the RowEncoding of meta's rows.
func NewRowEncoding(meta *pixie.TableMeta) RowEncoding {
	re := RowEncoding{keys: make([][]byte, len(meta.Columns)), kinds: make([]int, len(meta.Columns)), day: &dayCache{}}
	// All keys in one allocation: "{"a":,"b":,"c":".
	n := 0
	for _, col := range meta.Columns {
		n += len(col.Name) + 4
	}
	all := make([]byte, 0, n)
	for c, col := range meta.Columns {
		start := len(all)
		if c == 0 {
			all = append(all, '{')
		} else {
			all = append(all, ',')
		}
		all = appendString(all, col.Name)
		all = append(all, ':')
		re.keys[c] = all[start:len(all):len(all)]
		re.kinds[c] = columnKind(col.Type)
	}
	return re
}

// AppendRow appends row i of cols (one per column) as a JSON object.
func (re RowEncoding) AppendRow(b []byte, cols []pixie.ColumnData, i int) []byte {
	return re.appendRow(b, cols, i, re.day)
}

// appendRow is AppendRow with the given dayCache: encoders of parts of a
// batch (encodeRows) each keep their own.
func (re RowEncoding) appendRow(b []byte, cols []pixie.ColumnData, i int, day *dayCache) []byte {
	if len(re.keys) == 0 {
		b = append(b, '{')
	}
	for c := range re.keys {
		b = append(b, re.keys[c]...)
		b = appendValue(b, &cols[c], re.kinds[c], i, day)
	}
	return append(b, '}')
}

// appendValue appends value i of column d, of the given kind, as JSON;
// times are formatted with day.
func appendValue(b []byte, d *pixie.ColumnData, kind, i int, day *dayCache) []byte {
	switch kind {
	case kindInt64:
		return strconv.AppendInt(b, d.Int64[i], 10)
	case kindFloat64:
		return appendFloat(b, d.Float64[i])
	case kindBool:
		return strconv.AppendBool(b, d.Bool[i])
	case kindString:
		return appendBytesString(b, d.String[i])
	case kindTime:
		b = append(b, '"')
		b = day.appendTime(b, d.Int64[i])
		return append(b, '"')
	default:
		b = append(b, '"')
		b = AppendUUID(b, d.UInt128[i])
		return append(b, '"')
	}
}

// appendFloat appends f as a JSON number: plain decimal notation for
// ordinary magnitudes, exponent notation for very small or large ones, and
// null for NaN and ±Inf, which JSON cannot represent.
//
// The digits are the shortest that parse back to f, as
// strconv.AppendFloat(b, f, 'f' or 'e', -1, 64) writes them, and the
// exponent has no leading zeros ("1.2e-7", "1e+21"); appendShortest
// (float.go) writes them about twice as fast as strconv.
func appendFloat(b []byte, f float64) []byte {
	if math.Float64bits(f)&expMask == expMask { // NaN or ±Inf
		return append(b, "null"...)
	}
	return appendShortest(b, f)
}

const hexDigits = "0123456789abcdef"

// AppendUUID appends v as 8-4-4-4-12 lower-case hex digits, high 64 bits
// first (how Pixie shows UPIDs and other 128-bit ids).
func AppendUUID(b []byte, v pixie.UInt128) []byte {
	var out [36]byte
	j := 0
	put := func(x uint64, from, to int) { // nibbles from..to-1 of x, most significant first
		for n := from; n < to; n++ {
			out[j] = hexDigits[(x>>(60-4*uint(n)))&0xf]
			j++
		}
	}
	put(v.High, 0, 8)
	out[j] = '-'
	j++
	put(v.High, 8, 12)
	out[j] = '-'
	j++
	put(v.High, 12, 16)
	out[j] = '-'
	j++
	put(v.Low, 0, 4)
	out[j] = '-'
	j++
	put(v.Low, 4, 16)
	return append(b, out[:]...)
}

// AppendTime appends ns (nanoseconds since the Unix epoch) as RFC 3339 in
// UTC with all nine fractional digits: 2006-01-02T15:04:05.000000000Z.
// Encoders of many values keep a dayCache instead.
func AppendTime(b []byte, ns int64) []byte {
	var c dayCache
	return c.appendTime(b, ns)
}

// dayCache formats times as AppendTime does, computing the date only when
// the day changes: the times of a result are mostly within a day or two,
// and the calendar arithmetic of time.Time.Date is most of the work.
type dayCache struct {
	day  int64    // days since the Unix epoch of date; valid when ok
	date [11]byte // "2006-01-02T"
	ok   bool
}

const nsPerDay = 24 * int64(time.Hour)

// appendTime appends ns as RFC 3339 (see AppendTime).
func (c *dayCache) appendTime(b []byte, ns int64) []byte {
	day, rem := ns/nsPerDay, ns%nsPerDay
	if rem < 0 {
		day, rem = day-1, rem+nsPerDay
	}
	if !c.ok || day != c.day {
		t := time.Unix(0, ns).UTC()
		year, month, d := t.Date()
		if year < 0 || year > 9999 {
			return t.AppendFormat(b, time.RFC3339Nano) // outside RFC 3339; never from Pixie
		}
		date := appendDigits(c.date[:0], year, 4)
		date = append(date, '-')
		date = appendDigits(date, int(month), 2)
		date = append(date, '-')
		date = appendDigits(date, d, 2)
		_ = append(date, 'T')
		c.day, c.ok = day, true
	}
	b = append(b, c.date[:]...)
	// The clock is written in place over a template, two digits per
	// division in 32 bits: a time column is an eighth of a large answer's
	// values, and appending digit by digit was a tenth of its encoding.
	b = append(b, "00:00:00.000000000Z"...)
	t := b[len(b)-19:]
	sec, frac := uint32(rem/int64(time.Second)), uint32(rem%int64(time.Second))
	put2(t[0:2], sec/3600)
	put2(t[3:5], sec/60%60)
	put2(t[6:8], sec%60)
	for i := 16; i > 9; i -= 2 {
		q := frac / 100
		put2(t[i:i+2], frac-q*100)
		frac = q
	}
	t[9] = byte('0' + frac)
	return b
}

// put2 writes v (below 100) as two digits into d.
func put2(d []byte, v uint32) {
	d[0], d[1] = digitPairs[2*v], digitPairs[2*v+1]
}

// digitPairs holds "00" to "99", to format two digits per division.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendDigits appends v (0 <= v < 10^width) in decimal, zero-padded to
// width (at most 9) digits.
func appendDigits(b []byte, v, width int) []byte {
	var tmp [9]byte
	i := width
	for ; i >= 2; i -= 2 {
		q := v / 100
		r := (v - q*100) * 2
		tmp[i-2], tmp[i-1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if i == 1 {
		tmp[0] = byte('0' + v%10)
	}
	return append(b, tmp[:width]...)
}

// appendString appends s as a JSON string (names and ids). Printable
// ASCII without quotes or backslashes, what names and ids are, is copied
// as it is; anything else goes through appendBytesString.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendBytesString(b, []byte(s))
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendBytesString appends s as a quoted JSON string: quotes, backslashes
// and control characters escaped, U+2028 and U+2029 escaped (they end lines
// in JavaScript), and each invalid UTF-8 byte replaced by U+FFFD, since
// Pixie's STRING data is bytes that need not be UTF-8.
func appendBytesString(b []byte, s []byte) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending, to be copied as is
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// MarshalJSON is json.Marshal without HTML escaping: "<=" in a check's
// name stays readable in curl's output.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// QuoteNames lists table names for a message: quoted, comma-separated,
// "no tables" when there are none.
func QuoteNames(names []string) string {
	if len(names) == 0 {
		return "no tables"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
