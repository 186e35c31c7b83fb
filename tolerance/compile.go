package tolerance

import (
	"fmt"
	"math"
	"regexp"
	"strings"
)

// defaultTable is the table a check reads when it names none and the result has several.
const defaultTable = "output"

type aggKind int

const (
	aggNone aggKind = iota
	aggPercentile
	aggMedian
	aggMean
	aggMin
	aggMax
	aggSum
	aggCount
	aggFirst
	aggLast
)

// aggregates maps the names a caller may write to their kind and, for the
// shorthands, the percentile they stand for.
var aggregates = map[string]struct {
	kind aggKind
	pct  float64
}{
	"percentile": {aggPercentile, -1},
	"p50":        {aggPercentile, 50},
	"p90":        {aggPercentile, 90},
	"p95":        {aggPercentile, 95},
	"p99":        {aggPercentile, 99},
	"mean":       {aggMean, 0},
	"avg":        {aggMean, 0},
	"median":     {aggMedian, 0},
	"min":        {aggMin, 0},
	"max":        {aggMax, 0},
	"sum":        {aggSum, 0},
	"count":      {aggCount, 0},
	"first":      {aggFirst, 0},
	"last":       {aggLast, 0},
}

const aggregateList = "percentile, p50, p90, p95, p99, mean, median, min, max, sum, count, first, last"

type rowMode int

const (
	rowsOff rowMode = iota
	rowsAll
	rowsAny
	rowsNone
)

var rowModes = map[string]rowMode{"all": rowsAll, "any": rowsAny, "none": rowsNone}

// units maps a unit to the number of nanoseconds in it.
var units = map[string]float64{"ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9}

const unitList = "ns, us, ms, s, m"

// canonicalUnit folds the micro sign spellings into "us".
func canonicalUnit(u string) string {
	if u == "µs" || u == "μs" {
		return "us"
	}
	return u
}

// target is the row filter of the compatibility form: rows whose key column
// does not match re (anchored at the start, like Python's re.match) are skipped.
type target struct {
	key     string
	pattern string
	re      *regexp.Regexp
}

// check is one compiled Spec. It is never modified after Compile.
type check struct {
	name        string
	table       string
	column      string // "" only for count of rows
	agg         aggKind
	pct         float64 // with aggPercentile
	shorthand   string  // "p99" when the caller wrote a shorthand
	exclusive   bool    // Python statistics.quantiles exclusive method
	rows        rowMode
	cmp         comparison
	unit        string  // canonical unit, "" for none
	div         float64 // nanoseconds per unit; 1 without a unit
	onEmptyPass bool
	target      *target       // compatibility form only
	compat      string        // compatibility func name, "" otherwise
	base        *baselineRule // the threshold comes from a baseline window; cmp is unused
}

// wantsValues reports whether the check needs every value of its column kept.
func (c *check) wantsValues() bool {
	return c.rows == rowsOff && (c.agg == aggPercentile || c.agg == aggMedian)
}

// Set is a compiled, validated list of checks. It is immutable and safe for
// concurrent use; each evaluation gets its own Evaluator from NewEvaluator.
// The zero value is a Set with no checks.
type Set struct {
	checks []check
}

// Compile validates specs and returns a reusable, concurrency-safe Set.
//
// Errors name the check by index and the field, e.g.
// `tolerances[1]: unknown aggregate "p999" (want one of ...)`; they are meant
// to be shown to the caller as they are (an HTTP 400). nil or empty specs give
// an empty Set, whose verdict always passes.
func Compile(specs []Spec) (*Set, error) {
	s := &Set{checks: make([]check, 0, len(specs))}
	for i, sp := range specs {
		c, err := compileSpec(sp)
		if err != nil {
			return nil, fmt.Errorf("tolerances[%d]: %w", i, err)
		}
		s.checks = append(s.checks, c)
	}
	return s, nil
}

// Len returns the number of checks in the Set.
func (s *Set) Len() int { return len(s.checks) }

// compileSpec picks the form of sp and compiles it.
func compileSpec(sp Spec) (check, error) {
	switch {
	case sp.Expect != "" && sp.Func != "":
		return check{}, fmt.Errorf("expect and func are exclusive; set one")
	case sp.Expect != "":
		if f := setFields(sp, "name", "table", "on_empty", "expect"); len(f) > 0 {
			return check{}, fmt.Errorf("expect cannot be combined with %s (allowed alongside: name, table, on_empty)", quoteList(f))
		}
		parsed, err := ParseExpect(sp.Expect)
		if err != nil {
			return check{}, err
		}
		if sp.Name != "" {
			parsed.Name = sp.Name
		}
		parsed.Table, parsed.OnEmpty = sp.Table, sp.OnEmpty
		return compileStructured(parsed)
	case sp.Func != "":
		if f := setFields(sp, "name", "table", "func", "arguments"); len(f) > 0 {
			return check{}, fmt.Errorf("func cannot be combined with %s (allowed alongside: name, table, arguments)", quoteList(f))
		}
		return compileCompat(sp)
	case sp.Arguments != nil:
		return check{}, fmt.Errorf("arguments are only used with func")
	}
	return compileStructured(sp)
}

// setFields lists the JSON names of sp's fields that are set, except those in allowed.
func setFields(sp Spec, allowed ...string) []string {
	fields := []struct {
		name string
		set  bool
	}{
		{"name", sp.Name != ""},
		{"table", sp.Table != ""},
		{"column", sp.Column != ""},
		{"aggregate", sp.Aggregate != ""},
		{"percentile", sp.Percentile != nil},
		{"method", sp.Method != ""},
		{"rows", sp.Rows != ""},
		{"below", sp.Below != nil},
		{"above", sp.Above != nil},
		{"at_most", sp.AtMost != nil},
		{"at_least", sp.AtLeast != nil},
		{"between", sp.Between != nil},
		{"equals", sp.Equals != nil},
		{"unit", sp.Unit != ""},
		{"on_empty", sp.OnEmpty != ""},
		{"expect", sp.Expect != ""},
		{"func", sp.Func != ""},
		{"arguments", sp.Arguments != nil},
		{"baseline", sp.Baseline != nil},
	}
	var out []string
next:
	for _, f := range fields {
		if !f.set {
			continue
		}
		for _, a := range allowed {
			if a == f.name {
				continue next
			}
		}
		out = append(out, f.name)
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// compileStructured validates the structured form. Checks go in the order a
// reader of the spec would: what is computed, on what, compared how, in which unit.
func compileStructured(sp Spec) (check, error) {
	c := check{name: sp.Name, table: sp.Table, column: sp.Column, div: 1}

	switch {
	case sp.Aggregate != "" && sp.Rows != "":
		return c, fmt.Errorf("aggregate and rows are exclusive: aggregate computes one value, rows checks each row; set one")
	case sp.Aggregate == "" && sp.Rows == "":
		return c, fmt.Errorf(`set aggregate (e.g. "p99") or rows ("all", "any", "none"), or use expect`)
	case sp.Rows != "":
		m, ok := rowModes[sp.Rows]
		if !ok {
			return c, fmt.Errorf(`unknown rows %q (want all, any, none)`, sp.Rows)
		}
		c.rows = m
		if sp.Percentile != nil {
			return c, fmt.Errorf(`percentile is only used with aggregate "percentile"`)
		}
		if sp.Method != "" {
			return c, fmt.Errorf(`method is only used with percentile aggregates, not rows`)
		}
		if sp.Column == "" {
			return c, fmt.Errorf(`column is required with rows %q`, sp.Rows)
		}
	default:
		a, ok := aggregates[sp.Aggregate]
		if !ok {
			return c, fmt.Errorf("unknown aggregate %q (want one of %s)", sp.Aggregate, aggregateList)
		}
		c.agg = a.kind
		if err := compilePercentile(&c, sp, a.pct); err != nil {
			return c, err
		}
		if sp.Column == "" && c.agg != aggCount {
			return c, fmt.Errorf("column is required with aggregate %q", sp.Aggregate)
		}
	}

	if sp.Baseline != nil {
		base, err := compileBaseline(sp.Baseline, sp)
		if err != nil {
			return c, err
		}
		c.base = base
	} else {
		cmp, err := compileComparison(sp)
		if err != nil {
			return c, err
		}
		c.cmp = cmp
	}

	if sp.Unit != "" {
		d, ok := units[sp.Unit]
		if !ok {
			return c, fmt.Errorf("unknown unit %q (want %s)", sp.Unit, unitList)
		}
		if c.agg == aggCount {
			return c, fmt.Errorf(`unit has no meaning with aggregate "count" (it counts rows)`)
		}
		c.unit, c.div = canonicalUnit(sp.Unit), d
	}

	switch sp.OnEmpty {
	case "", "fail":
	case "pass":
		c.onEmptyPass = true
	default:
		return c, fmt.Errorf("unknown on_empty %q (want fail, pass)", sp.OnEmpty)
	}

	if c.name == "" {
		c.name = label(&c)
	}
	return c, nil
}

// compilePercentile fills the percentile and method of c; short is the
// percentile a shorthand aggregate stands for, -1 for "percentile", 0 for the others.
func compilePercentile(c *check, sp Spec, short float64) error {
	switch {
	case short > 0:
		if sp.Percentile != nil {
			return fmt.Errorf(`percentile is only used with aggregate "percentile" (%q already names one)`, sp.Aggregate)
		}
		c.pct, c.shorthand = short, sp.Aggregate
	case short < 0:
		if sp.Percentile == nil {
			return fmt.Errorf(`aggregate "percentile" needs percentile (0-100)`)
		}
		p := *sp.Percentile
		if !(p >= 0 && p <= 100) {
			return fmt.Errorf("percentile %s out of range (want 0-100)", formatExact(p))
		}
		c.pct = p
	default:
		if sp.Percentile != nil {
			return fmt.Errorf(`percentile is only used with aggregate "percentile"`)
		}
	}
	if sp.Method != "" && c.agg != aggPercentile && c.agg != aggMedian {
		return fmt.Errorf("method is only used with percentile aggregates and median, not %q", sp.Aggregate)
	}
	switch sp.Method {
	case "", "linear":
	case "exclusive":
		// Python's exclusive p50 is statistics.median, so median needs no change.
		if c.agg == aggPercentile && (c.pct != math.Trunc(c.pct) || c.pct < 1 || c.pct > 99) {
			return fmt.Errorf(`method "exclusive" needs an integer percentile from 1 to 99 (Python statistics.quantiles(n=100)), got %s`, formatExact(c.pct))
		}
		c.exclusive = true
	default:
		return fmt.Errorf("unknown method %q (want linear, exclusive)", sp.Method)
	}
	return nil
}
