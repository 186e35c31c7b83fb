package tolerance

import (
	"strconv"
	"testing"
)

// fakeColumn is a column of numbers, or of strings when texts is set. It
// models Pixie's typed columns as the gateway decodes them; it does not model
// BOOLEAN or TIME64NS separately (both are numbers to a check).
type fakeColumn struct {
	nums  []float64
	texts []string
}

func (c fakeColumn) Len() int {
	if c.texts != nil {
		return len(c.texts)
	}
	return len(c.nums)
}

func (c fakeColumn) Number(i int) (float64, bool) {
	if c.texts != nil {
		return 0, false
	}
	return c.nums[i], true
}

func (c fakeColumn) Text(i int) string {
	if c.texts != nil {
		return c.texts[i]
	}
	return strconv.FormatFloat(c.nums[i], 'g', -1, 64)
}

func (c fakeColumn) slice(lo, hi int) fakeColumn {
	if c.texts != nil {
		return fakeColumn{texts: c.texts[lo:hi:hi]}
	}
	return fakeColumn{nums: c.nums[lo:hi:hi]}
}

// fakeBatch is some rows of a table; every column has n rows.
type fakeBatch struct {
	n    int
	cols map[string]fakeColumn
}

func (b fakeBatch) Len() int { return b.n }

func (b fakeBatch) Column(name string) (Column, bool) {
	c, ok := b.cols[name]
	return c, ok
}

// namedColumn is one column of a test table.
type namedColumn struct {
	name string
	col  fakeColumn
}

func num(name string, v ...float64) namedColumn {
	if v == nil {
		v = []float64{}
	}
	return namedColumn{name, fakeColumn{nums: v}}
}

func text(name string, v ...string) namedColumn {
	if v == nil {
		v = []string{}
	}
	return namedColumn{name, fakeColumn{texts: v}}
}

// testTable is a whole result table.
type testTable struct {
	name  string
	cols  []namedColumn
	extra []string // columns in the schema only (for "no rows" tables)
}

func tbl(name string, cols ...namedColumn) testTable { return testTable{name: name, cols: cols} }

func (t testTable) rows() int {
	if len(t.cols) == 0 {
		return 0
	}
	return t.cols[0].col.Len()
}

func (t testTable) schema() TableSchema {
	s := TableSchema{Name: t.name}
	for _, c := range t.cols {
		s.Columns = append(s.Columns, c.name)
	}
	s.Columns = append(s.Columns, t.extra...)
	return s
}

// split cuts t into pieces batches of nearly equal size (some empty when
// pieces exceeds the rows).
func (t testTable) split(pieces int) []fakeBatch {
	n := t.rows()
	var out []fakeBatch
	for p := 0; p < pieces; p++ {
		lo, hi := n*p/pieces, n*(p+1)/pieces
		b := fakeBatch{n: hi - lo, cols: map[string]fakeColumn{}}
		for _, c := range t.cols {
			b.cols[c.name] = c.col.slice(lo, hi)
		}
		out = append(out, b)
	}
	return out
}

// evaluate runs specs on tables fed whole, one batch per table.
func evaluate(t *testing.T, specs []Spec, tables ...testTable) Verdict {
	t.Helper()
	return evaluateSplit(t, specs, 1, tables...)
}

// evaluateSplit runs specs on tables cut into pieces batches each, the tables'
// batches interleaved, with an empty batch before each table's rows.
func evaluateSplit(t *testing.T, specs []Spec, pieces int, tables ...testTable) Verdict {
	t.Helper()
	set, err := Compile(specs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	e := set.NewEvaluator()
	split := make([][]fakeBatch, len(tables))
	schemas := make([]TableSchema, len(tables))
	for i, tb := range tables {
		e.Add(tb.name, fakeBatch{cols: map[string]fakeColumn{}})
		split[i] = tb.split(pieces)
		schemas[i] = tb.schema()
	}
	for p := 0; p < pieces; p++ {
		for i, tb := range tables {
			e.Add(tb.name, split[i][p])
		}
	}
	return e.Verdict(schemas)
}

func f(v float64) *float64 { return &v }
