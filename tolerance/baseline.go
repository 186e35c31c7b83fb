package tolerance

import (
	"fmt"
	"math"
	"slices"
)

// BaselineSpec makes a check relative: its threshold is derived from the
// same aggregate of the same column computed over a baseline window (an
// earlier stretch of the same data, which the caller runs separately and
// hands over with Evaluator.SetBaseline) instead of being a fixed number.
//
// Exactly one of Factor, Plus and WithinPercent is set; Compare is required
// with Factor and Plus and not allowed with WithinPercent:
//
//	{"compare": "below", "factor": 1.5}   value <  1.5 × baseline
//	{"compare": "at_most", "plus": 0.02}  value <= baseline + 0.02 (in the check's unit)
//	{"within_percent": 20}                value within [0.8, 1.2] × baseline
type BaselineSpec struct {
	Compare       string   `json:"compare,omitempty"` // below|above|at_most|at_least
	Factor        *float64 `json:"factor,omitempty"`
	Plus          *float64 `json:"plus,omitempty"`
	WithinPercent *float64 `json:"within_percent,omitempty"`
}

// baselineRule is a compiled BaselineSpec.
type baselineRule struct {
	op      op      // opBelow, opAbove, opAtMost, opAtLeast or opBetween (within)
	factor  float64 // threshold = factor*b + plus (not within)
	plus    float64
	percent float64 // within: [b - |b|*percent/100, b + |b|*percent/100]
	kind    string  // "factor", "plus", "within"
}

var compareOps = map[string]op{"below": opBelow, "above": opAbove, "at_most": opAtMost, "at_least": opAtLeast}

// compileBaseline validates b; sp is the whole check, which may set no
// other comparison.
func compileBaseline(b *BaselineSpec, sp Spec) (*baselineRule, error) {
	if f := setFields(sp, "name", "table", "column", "aggregate", "percentile", "method", "unit", "on_empty", "rows", "baseline"); len(f) > 0 {
		return nil, fmt.Errorf("baseline derives the threshold, so it cannot be combined with %s", quoteList(f))
	}
	if sp.Rows != "" {
		return nil, fmt.Errorf(`baseline compares an aggregate of two windows; rows %q checks each row: use an aggregate`, sp.Rows)
	}
	n := 0
	for _, p := range []*float64{b.Factor, b.Plus, b.WithinPercent} {
		if p != nil {
			n++
			if !finite(*p) {
				return nil, fmt.Errorf("baseline: factor, plus and within_percent must be finite numbers")
			}
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("baseline needs exactly one of factor, plus, within_percent (got %d)", n)
	}
	r := &baselineRule{factor: 1}
	if b.WithinPercent != nil {
		if b.Compare != "" {
			return nil, fmt.Errorf("baseline: within_percent is a range of its own; leave compare out")
		}
		if *b.WithinPercent < 0 {
			return nil, fmt.Errorf("baseline: within_percent must be at least 0, got %s", formatExact(*b.WithinPercent))
		}
		r.op, r.percent, r.kind = opBetween, *b.WithinPercent, "within"
		return r, nil
	}
	o, ok := compareOps[b.Compare]
	if !ok {
		return nil, fmt.Errorf("baseline: compare %q unknown (want below, above, at_most, at_least)", b.Compare)
	}
	r.op = o
	if b.Factor != nil {
		if *b.Factor <= 0 {
			return nil, fmt.Errorf("baseline: factor must be positive, got %s", formatExact(*b.Factor))
		}
		r.factor, r.kind = *b.Factor, "factor"
	} else {
		r.plus, r.kind = *b.Plus, "plus"
	}
	return r, nil
}

// derive is the comparison against baseline value b.
func (r *baselineRule) derive(b float64) comparison {
	if r.op == opBetween {
		d := math.Abs(b) * r.percent / 100
		return comparison{op: opBetween, lo: b - d, hi: b + d, derived: true}
	}
	return comparison{op: r.op, x: r.factor*b + r.plus, derived: true}
}

// expr renders the rule in the compact grammar: "< 1.5x baseline",
// "<= baseline + 50ms", "within 20% of baseline".
func (r *baselineRule) expr(unit string) string {
	if r.op == opBetween {
		return "within " + formatExact(r.percent) + "% of baseline"
	}
	sym := opSymbols[r.op]
	switch {
	case r.kind == "factor":
		return sym + " " + formatExact(r.factor) + "x baseline"
	case r.plus < 0:
		return sym + " baseline - " + formatExact(-r.plus) + unit
	case r.plus == 0:
		return sym + " baseline"
	}
	return sym + " baseline + " + formatExact(r.plus) + unit
}

// words explains the derived threshold for messages: "1.5x the baseline 150 ms".
func (r *baselineRule) words(b float64, unit string) string {
	bw := withUnit(formatValue(b, comparison{}), unit)
	switch r.kind {
	case "within":
		return formatExact(r.percent) + "% around the baseline " + bw
	case "factor":
		return formatExact(r.factor) + "x the baseline " + bw
	}
	if r.plus == 0 {
		return "the baseline " + bw
	}
	sign := "+"
	if r.plus < 0 {
		sign = "-"
	}
	return "the baseline " + bw + " " + sign + " " + withUnit(formatExact(math.Abs(r.plus)), unit)
}

// HasBaseline reports whether a check of the Set compares with a baseline
// window: its evaluation then needs Evaluator.SetBaseline.
func (s *Set) HasBaseline() bool {
	for i := range s.checks {
		if s.checks[i].base != nil {
			return true
		}
	}
	return false
}

// SetBaseline gives e the evaluator that was fed the baseline window's
// rows (an evaluator of the same Set) and that window's tables. Checks
// with a baseline derive their threshold from the same aggregate computed
// by b; without SetBaseline they fail. Call it before Verdict.
func (e *Evaluator) SetBaseline(b *Evaluator, tables []TableSchema) {
	e.base, e.baseTables = b, tables
}

// compareBaseline finishes baseline check c, whose current value is v.
func (e *Evaluator) compareBaseline(i int, c *check, res Result, v float64) Result {
	if e.base == nil {
		res.Value, res.Passed = nil, false
		res.Message = "the check compares with a baseline, but no baseline window was given: fail"
		return res
	}
	bres, b, ok := e.base.value(i, e.baseTables)
	rows := bres.RowsEvaluated
	res.BaselineRows = &rows
	if !ok {
		res.Passed = bres.Passed
		res.Message = "baseline window: " + bres.Message
		return res
	}
	if !finite(b) {
		res.Passed = false
		res.Message = "baseline window: " + aggWord(c) + " of " + c.column + " is " + formatExact(b) + ": fail"
		return res
	}
	bv := b
	res.Baseline = &bv
	if b != 0 && finite(v/b) {
		ratio := v / b
		res.Ratio = &ratio
	}
	cmp := c.base.derive(b)
	if !finite(cmp.x) || !finite(cmp.lo) || !finite(cmp.hi) {
		res.Passed, res.Threshold = false, nil // JSON has no infinities
		res.Message = "the threshold derived from the baseline is not a finite number: fail"
		return res
	}
	res.Threshold = cmp.threshold()
	return decide(c, cmp, res, v, " ("+c.base.words(b, c.unit)+")")
}

// Target is what check i of a Set reads and how it compares, for drawing
// it: the table ("" means the only table, or "output"), the column (""
// for a count of rows or a compatibility check with a row filter), the
// divisor that turns the column's values into the check's unit, and the
// comparison ("below", "above", "at_most", "at_least", "between",
// "equals"; for a row-wise check, its per-row comparison).
type Target struct {
	Table, Column string
	Div           float64
	Compare       string
}

// Target describes check i (0 <= i < Len()).
func (s *Set) Target(i int) Target {
	c := &s.checks[i]
	t := Target{Table: c.table, Column: c.column, Div: c.div}
	if c.target != nil {
		t.Column = "" // a row filter: the column's rows are not the check's
	}
	o := c.cmp.op
	if c.base != nil {
		o = c.base.op
	}
	t.Compare = opNames[o]
	return t
}

// Holds reports whether v satisfies comparison compare against threshold
// (a number, or [lo, hi] for between), as a Result reports them: for
// marking the points of a series that break a check's threshold. An
// unknown comparison or threshold holds nothing.
func Holds(compare string, threshold any, v float64) bool {
	var c comparison
	switch th := threshold.(type) {
	case float64:
		c.x = th
	case []float64:
		if len(th) != 2 {
			return false
		}
		c.lo, c.hi = th[0], th[1]
	default:
		return false
	}
	c.op = op(slices.Index(opNames[:], compare))
	if c.op <= 0 {
		return false // unknown (or "", opNames[0])
	}
	return c.ok(v)
}
