// Package probe is the Prometheus side of pxgate's /probe, in the manner of
// blackbox_exporter's prober: a pixie.Sink that keeps, in constant memory,
// what a probe reports of the result tables (Sink), the metrics of one
// probe in a registry of its own and their text exposition (Result), and
// the plain-text explanation of ?debug=true (Result.WriteDebug). Reading
// the request, running the query and answering problems are the HTTP
// layer's (package handlers).
package probe

import (
	"strings"
	"unicode/utf8"

	"github.com/pxgate/pxgate/pixie"
)

// MaxSeries caps the pxgate_probe_value series of rows=all: one probe
// must not flood Prometheus with a high-cardinality table.
const MaxSeries = 1000

// debugRows is how many first rows of each table ?debug=true shows.
const debugRows = 3

// Sink keeps what a probe reports of the result tables, in constant
// memory: each table's row count and the numeric columns of its last row,
// or, with rows=all, one series per distinct combination of the table's
// string columns (the last row of each wins) up to MaxSeries. In
// debug mode it also keeps the first rows of each table.
type Sink struct {
	all       bool
	tables    []*probeTable
	byID      map[string]*probeTable
	series    int
	truncated bool
	first     *pixie.Collector // debug only
}

type probeTable struct {
	meta    *pixie.TableMeta
	rows    int
	numeric []int // numeric columns: INT64, FLOAT64, BOOLEAN
	labels  []int // STRING columns (rows=all)
	// labelNames are the labels' Prometheus names, in labels' order.
	labelNames []string
	last       []float64 // the last row's numeric values
	hasLast    bool
	// rows=all: one entry per distinct label values.
	seen    map[string]int
	entries []probeEntry
}

type probeEntry struct {
	labels []string
	values []float64
}

// NewSink returns the sink of one probe: the last row of each table, or
// with all every row (rows=all); with debug it also keeps the first rows
// of each table for the debug text.
func NewSink(all, debug bool) *Sink {
	ps := &Sink{all: all, byID: make(map[string]*probeTable)}
	if debug {
		ps.first = &pixie.Collector{MaxRows: debugRows}
	}
	return ps
}

// Table implements pixie.Sink.
func (ps *Sink) Table(meta *pixie.TableMeta) error {
	t := &probeTable{meta: meta, seen: make(map[string]int)}
	taken := map[string]bool{"table": true, "column": true}
	for i, c := range meta.Columns {
		switch c.Type {
		case pixie.TypeInt64, pixie.TypeFloat64, pixie.TypeBoolean:
			t.numeric = append(t.numeric, i)
		case pixie.TypeString:
			t.labels = append(t.labels, i)
			name := labelName(c.Name, taken)
			taken[name] = true
			t.labelNames = append(t.labelNames, name)
		}
	}
	t.last = make([]float64, len(t.numeric))
	ps.tables = append(ps.tables, t)
	ps.byID[meta.ID] = t
	if ps.first != nil {
		return ps.first.Table(meta)
	}
	return nil
}

// Batch implements pixie.Sink.
func (ps *Sink) Batch(b *pixie.Batch) error {
	t, ok := ps.byID[b.Table.ID]
	if !ok || b.NumRows == 0 {
		return nil
	}
	t.rows += b.NumRows
	if ps.first != nil {
		if err := ps.first.Batch(b); err != nil {
			return err
		}
	}
	if !ps.all {
		t.hasLast = true
		for j, c := range t.numeric {
			t.last[j] = number(b, c, b.NumRows-1)
		}
		return nil
	}
	if len(t.numeric) == 0 || ps.truncated {
		return nil
	}
	var key []byte // reused: a lookup by string(key) does not allocate
	for i := range b.NumRows {
		key = key[:0]
		for _, c := range t.labels {
			key = append(key, b.Cols[c].String[i]...)
			key = append(key, 0xff) // not in valid UTF-8: separates values unambiguously
		}
		k, ok := t.seen[string(key)]
		if !ok {
			if ps.series+len(t.numeric) > MaxSeries {
				ps.truncated = true
				return nil
			}
			ps.series += len(t.numeric)
			e := probeEntry{labels: make([]string, len(t.labels)), values: make([]float64, len(t.numeric))}
			for j, c := range t.labels {
				e.labels[j] = strings.ToValidUTF8(string(b.Cols[c].String[i]), "\uFFFD")
			}
			k = len(t.entries)
			t.entries = append(t.entries, e)
			t.seen[string(key)] = k
		}
		for j, c := range t.numeric {
			t.entries[k].values[j] = number(b, c, i)
		}
	}
	return nil
}

// number is row i of numeric column c (INT64, FLOAT64 or BOOLEAN) as a
// float64, booleans 0 or 1.
func number(b *pixie.Batch, c, i int) float64 {
	v, _ := b.Cols[c].Number(b.Table.Columns[c].Type, i)
	return v
}

// labelName makes a column name a Prometheus label name
// ([a-zA-Z_][a-zA-Z0-9_]*, not reserved, not taken), so the exposition
// parses with any Prometheus.
func labelName(col string, taken map[string]bool) string {
	var b strings.Builder
	for i, r := range col {
		switch {
		case r < utf8.RuneSelf && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'):
			b.WriteRune(r)
		case '0' <= r && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	if name == "" || strings.HasPrefix(name, "__") {
		name = "label" + name
	}
	for taken[name] {
		name = "label_" + name
	}
	return name
}
