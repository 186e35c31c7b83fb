package tolerance

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// closeTo reports whether got is within 1e-9 relative (or absolute, near 0) of want.
func closeTo(got, want float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Max(math.Abs(got), math.Abs(want)))
}

// evalCase is one check on some tables and the result it must give.
type evalCase struct {
	name    string
	spec    Spec
	tables  []testTable
	passed  bool
	value   *float64 // nil: the result's value must be null
	rows    int      // rows_evaluated
	message string   // exact; "" skips the check
}

func (tc evalCase) check(t *testing.T, r Result) {
	t.Helper()
	if r.Passed != tc.passed {
		t.Errorf("passed: got %v, want %v (message %q)", r.Passed, tc.passed, r.Message)
	}
	switch {
	case tc.value == nil && r.Value != nil:
		t.Errorf("value: got %v, want null", *r.Value)
	case tc.value != nil && r.Value == nil:
		t.Errorf("value: got null, want %v (message %q)", *tc.value, r.Message)
	case tc.value != nil && !closeTo(*r.Value, *tc.value):
		t.Errorf("value: got %v, want %v", *r.Value, *tc.value)
	}
	if r.RowsEvaluated != tc.rows {
		t.Errorf("rows_evaluated: got %d, want %d", r.RowsEvaluated, tc.rows)
	}
	if tc.message != "" && r.Message != tc.message {
		t.Errorf("message:\ngot  %q\nwant %q", r.Message, tc.message)
	}
}

// runCases evaluates each case whole and cut into batches; every cut must give
// the same result as the whole table.
func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			whole := evaluate(t, []Spec{tc.spec}, tc.tables...)
			if len(whole.Checks) != 1 {
				t.Fatalf("checks: got %d, want 1", len(whole.Checks))
			}
			tc.check(t, whole.Checks[0])
			if whole.Passed != tc.passed {
				t.Errorf("verdict passed: got %v, want %v", whole.Passed, tc.passed)
			}
			for _, pieces := range []int{2, 3, 7, 40} {
				cut := evaluateSplit(t, []Spec{tc.spec}, pieces, tc.tables...)
				if !reflect.DeepEqual(cut, whole) {
					t.Errorf("in %d batches: got %+v, want %+v", pieces, cut.Checks[0], whole.Checks[0])
				}
			}
		})
	}
}

// v8 sorted is 1 1 2 3 4 5 6 9.
var v8 = tbl("output", num("v", 3, 1, 4, 1, 5, 9, 2, 6))

func TestAggregates(t *testing.T) {
	t.Parallel()
	agg := func(a string, p *float64, method string) Spec {
		return Spec{Column: "v", Aggregate: a, Percentile: p, Method: method, AtLeast: f(-100)}
	}
	tables := []testTable{v8}
	runCases(t, []evalCase{
		{name: "mean", spec: agg("mean", nil, ""), tables: tables, passed: true, value: f(3.875), rows: 8,
			message: "mean of v is 3.875, at least -100: pass"},
		{name: "avg is mean", spec: agg("avg", nil, ""), tables: tables, passed: true, value: f(3.875), rows: 8},
		{name: "median of an even count is the mean of the middle two", spec: agg("median", nil, ""), tables: tables, passed: true, value: f(3.5), rows: 8,
			message: "median of v is 3.5, at least -100: pass"},
		{name: "min", spec: agg("min", nil, ""), tables: tables, passed: true, value: f(1), rows: 8},
		{name: "max", spec: agg("max", nil, ""), tables: tables, passed: true, value: f(9), rows: 8},
		{name: "sum", spec: agg("sum", nil, ""), tables: tables, passed: true, value: f(31), rows: 8},
		{name: "count of a column", spec: agg("count", nil, ""), tables: tables, passed: true, value: f(8), rows: 8,
			message: "count of v is 8, at least -100: pass"},
		{name: "count of rows", spec: Spec{Aggregate: "count", AtLeast: f(1)}, tables: tables, passed: true, value: f(8), rows: 8,
			message: "count of rows is 8, at least 1: pass"},
		{name: "first in arrival order", spec: agg("first", nil, ""), tables: tables, passed: true, value: f(3), rows: 8},
		{name: "last in arrival order", spec: agg("last", nil, ""), tables: tables, passed: true, value: f(6), rows: 8},
		{name: "p50 linear", spec: agg("p50", nil, ""), tables: tables, passed: true, value: f(3.5), rows: 8},
		{name: "p90 linear", spec: agg("p90", nil, ""), tables: tables, passed: true, value: f(6.9), rows: 8,
			message: "p90 of v is 6.9, at least -100: pass"},
		{name: "p95 linear", spec: agg("p95", nil, ""), tables: tables, passed: true, value: f(7.95), rows: 8},
		{name: "p99 linear", spec: agg("p99", nil, ""), tables: tables, passed: true, value: f(8.79), rows: 8},
		{name: "percentile 25 linear", spec: agg("percentile", f(25), ""), tables: tables, passed: true, value: f(1.75), rows: 8},
		{name: "percentile 0 is the min", spec: agg("percentile", f(0), "linear"), tables: tables, passed: true, value: f(1), rows: 8},
		{name: "percentile 100 is the max", spec: agg("percentile", f(100), ""), tables: tables, passed: true, value: f(9), rows: 8},
		{name: "percentile 99.9", spec: agg("percentile", f(99.9), ""), tables: tables, passed: true, value: f(8.979), rows: 8,
			message: "p99.9 of v is 8.979, at least -100: pass"},
		{name: "p99 exclusive extrapolates", spec: agg("p99", nil, "exclusive"), tables: tables, passed: true, value: f(11.73), rows: 8,
			message: "p99 (exclusive) of v is 11.73, at least -100: pass"},
		{name: "p50 exclusive", spec: agg("p50", nil, "exclusive"), tables: tables, passed: true, value: f(3.5), rows: 8},
		{name: "percentile 25 exclusive", spec: agg("percentile", f(25), "exclusive"), tables: tables, passed: true, value: f(1.25), rows: 8},
		{name: "percentile 1 exclusive", spec: agg("percentile", f(1), "exclusive"), tables: tables, passed: true, value: f(1), rows: 8},
		{name: "median exclusive is the median", spec: agg("median", nil, "exclusive"), tables: tables, passed: true, value: f(3.5), rows: 8},
		{name: "one value is every linear percentile", spec: agg("p99", nil, ""), tables: []testTable{tbl("output", num("v", 7))},
			passed: true, value: f(7), rows: 1},
		{name: "exclusive needs two values", spec: agg("p99", nil, "exclusive"), tables: []testTable{tbl("output", num("v", 7))},
			passed: false, rows: 1,
			message: "p99 (exclusive) of v needs at least 2 values, got 1 (Python's statistics.quantiles raises before 3.13, so chaostoolkit-pixie fails): fail"},
	})
}

func TestComparisons(t *testing.T) {
	t.Parallel()
	max := func(s Spec) Spec { s.Column, s.Aggregate = "v", "max"; return s }
	tables := []testTable{v8}
	runCases(t, []evalCase{
		{name: "below passes", spec: max(Spec{Below: f(10)}), tables: tables, passed: true, value: f(9), rows: 8,
			message: "max of v is 9, below 10: pass"},
		{name: "below is strict", spec: max(Spec{Below: f(9)}), tables: tables, passed: false, value: f(9), rows: 8,
			message: "max of v is 9, not below 9: fail"},
		{name: "above passes", spec: max(Spec{Above: f(8)}), tables: tables, passed: true, value: f(9), rows: 8},
		{name: "above is strict", spec: max(Spec{Above: f(9)}), tables: tables, passed: false, value: f(9), rows: 8,
			message: "max of v is 9, not above 9: fail"},
		{name: "at_most is inclusive", spec: max(Spec{AtMost: f(9)}), tables: tables, passed: true, value: f(9), rows: 8,
			message: "max of v is 9, at most 9: pass"},
		{name: "at_most fails", spec: max(Spec{AtMost: f(8.99)}), tables: tables, passed: false, value: f(9), rows: 8,
			message: "max of v is 9, not at most 8.99: fail"},
		{name: "at_least is inclusive", spec: max(Spec{AtLeast: f(9)}), tables: tables, passed: true, value: f(9), rows: 8,
			message: "max of v is 9, at least 9: pass"},
		{name: "at_least fails", spec: max(Spec{AtLeast: f(9.01)}), tables: tables, passed: false, value: f(9), rows: 8},
		{name: "between is inclusive", spec: max(Spec{Between: []float64{1, 9}}), tables: tables, passed: true, value: f(9), rows: 8,
			message: "max of v is 9, between 1 and 9: pass"},
		{name: "between a single point", spec: max(Spec{Between: []float64{9, 9}}), tables: tables, passed: true, value: f(9), rows: 8},
		{name: "between fails", spec: max(Spec{Between: []float64{10, 20}}), tables: tables, passed: false, value: f(9), rows: 8,
			message: "max of v is 9, not between 10 and 20: fail"},
		{name: "equals passes", spec: max(Spec{Equals: f(9)}), tables: tables, passed: true, value: f(9), rows: 8,
			message: "max of v is 9, equal to 9: pass"},
		{name: "equals fails", spec: max(Spec{Equals: f(8)}), tables: tables, passed: false, value: f(9), rows: 8,
			message: "max of v is 9, not equal to 8: fail"},
		{name: "a value that rounds to the threshold keeps its digits",
			spec:   Spec{Column: "v", Aggregate: "max", AtMost: f(300)},
			tables: []testTable{tbl("output", num("v", 300.00000000001))}, passed: false, value: f(300.00000000001), rows: 1,
			message: "max of v is 300.00000000001, not at most 300: fail"},
		{name: "float noise is rounded in messages",
			spec:   Spec{Column: "v", Aggregate: "sum", Below: f(1)},
			tables: []testTable{tbl("output", num("v", 0.1, 0.2))}, passed: true, value: f(0.3), rows: 2,
			message: "sum of v is 0.3, below 1: pass"},
	})
}

func TestUnits(t *testing.T) {
	t.Parallel()
	// Nanoseconds: 1.5 s, 0.5 s, 2 s.
	tables := []testTable{tbl("output", num("latency", 1.5e9, 0.5e9, 2e9))}
	maxIn := func(unit string, below float64) Spec {
		return Spec{Column: "latency", Aggregate: "max", Unit: unit, Below: f(below)}
	}
	runCases(t, []evalCase{
		{name: "ns", spec: maxIn("ns", 3e9), tables: tables, passed: true, value: f(2e9), rows: 3,
			message: "max of latency is 2000000000 ns, below 3000000000 ns: pass"},
		{name: "us", spec: maxIn("us", 2e6), tables: tables, passed: false, value: f(2e6), rows: 3,
			message: "max of latency is 2000000 µs, not below 2000000 µs: fail"},
		{name: "µs spelling", spec: maxIn("µs", 3e6), tables: tables, passed: true, value: f(2e6), rows: 3},
		{name: "ms", spec: maxIn("ms", 2001), tables: tables, passed: true, value: f(2000), rows: 3,
			message: "max of latency is 2000 ms, below 2001 ms: pass"},
		{name: "s", spec: maxIn("s", 2), tables: tables, passed: false, value: f(2), rows: 3,
			message: "max of latency is 2 s, not below 2 s: fail"},
		{name: "m", spec: maxIn("m", 0.05), tables: tables, passed: true, value: f(2.0 / 60), rows: 3,
			message: "max of latency is 0.03333333333 min, below 0.05 min: pass"},
		{name: "p50 in ms", spec: Spec{Column: "latency", Aggregate: "p50", Unit: "ms", AtMost: f(1500)}, tables: tables,
			passed: true, value: f(1500), rows: 3, message: "p50 of latency is 1500 ms, at most 1500 ms: pass"},
		{name: "mean in s", spec: Spec{Column: "latency", Aggregate: "mean", Unit: "s", AtMost: f(1.25)}, tables: tables,
			passed: false, value: f(4.0 / 3), rows: 3, message: "mean of latency is 1.333333333 s, not at most 1.25 s: fail"},
		{name: "rows in s", spec: Spec{Column: "latency", Rows: "all", Unit: "s", Below: f(2.5)}, tables: tables,
			passed: true, value: f(2), rows: 3, message: "3 of 3 rows of latency are below 2.5 s; all must be (worst 2 s): pass"},
	})
}

func TestRowModes(t *testing.T) {
	t.Parallel()
	tables := []testTable{tbl("output", num("error_rate", 0.01, 0.02, 0.09))}
	rows := func(mode string, s Spec) Spec { s.Column, s.Rows = "error_rate", mode; return s }
	runCases(t, []evalCase{
		{name: "all pass", spec: rows("all", Spec{Below: f(0.1)}), tables: tables, passed: true, value: f(0.09), rows: 3,
			message: "3 of 3 rows of error_rate are below 0.1; all must be (worst 0.09): pass"},
		{name: "all fail", spec: rows("all", Spec{Below: f(0.05)}), tables: tables, passed: false, value: f(0.09), rows: 3,
			message: "2 of 3 rows of error_rate are below 0.05; all must be (worst 0.09): fail"},
		{name: "all at_least reports the smallest", spec: rows("all", Spec{AtLeast: f(0.01)}), tables: tables, passed: true, value: f(0.01), rows: 3},
		{name: "all between reports the farthest out", spec: rows("all", Spec{Between: []float64{0, 0.05}}), tables: tables, passed: false, value: f(0.09), rows: 3},
		{name: "any pass", spec: rows("any", Spec{Above: f(0.05)}), tables: tables, passed: true, value: f(0.09), rows: 3,
			message: "1 of 3 rows of error_rate is above 0.05; at least one must be (best 0.09): pass"},
		{name: "any fail", spec: rows("any", Spec{Above: f(0.1)}), tables: tables, passed: false, value: f(0.09), rows: 3,
			message: "0 of 3 rows of error_rate are above 0.1; at least one must be (best 0.09): fail"},
		{name: "any equals", spec: rows("any", Spec{Equals: f(0.02)}), tables: tables, passed: true, value: f(0.02), rows: 3},
		{name: "none fail", spec: rows("none", Spec{Above: f(0.05)}), tables: tables, passed: false, value: f(0.09), rows: 3,
			message: "1 of 3 rows of error_rate is above 0.05; none may be (closest 0.09): fail"},
		{name: "none pass", spec: rows("none", Spec{Above: f(0.1)}), tables: tables, passed: true, value: f(0.09), rows: 3,
			message: "0 of 3 rows of error_rate are above 0.1; none may be (closest 0.09): pass"},
		{name: "none below reports the smallest", spec: rows("none", Spec{Below: f(0.015)}), tables: tables, passed: false, value: f(0.01), rows: 3},
		{name: "rows need numbers", spec: Spec{Column: "pod", Rows: "all", Below: f(1)}, tables: []testTable{tbl("output", text("pod", "a"))},
			passed: false, rows: 1, message: `column "pod" of table "output" is not numeric; rows "all" needs numbers: fail`},
	})
}

func TestOnEmpty(t *testing.T) {
	t.Parallel()
	empty := []testTable{{name: "output", cols: []namedColumn{num("v")}}}
	runCases(t, []evalCase{
		{name: "fails by default", spec: Spec{Column: "v", Aggregate: "p99", Below: f(1)}, tables: empty, passed: false,
			message: `no rows to evaluate in table "output"; on_empty is fail: fail`},
		{name: "fail explicitly", spec: Spec{Column: "v", Aggregate: "mean", Below: f(1), OnEmpty: "fail"}, tables: empty, passed: false},
		{name: "pass", spec: Spec{Column: "v", Aggregate: "max", Below: f(1), OnEmpty: "pass"}, tables: empty, passed: true,
			message: `no rows to evaluate in table "output"; on_empty is pass: pass`},
		{name: "rows all on empty fails rather than passing vacuously", spec: Spec{Column: "v", Rows: "all", Below: f(1)}, tables: empty, passed: false,
			message: `no rows to evaluate in table "output"; on_empty is fail: fail`},
		{name: "rows none on empty with pass", spec: Spec{Column: "v", Rows: "none", Below: f(1), OnEmpty: "pass"}, tables: empty, passed: true},
		{name: "count of nothing is 0", spec: Spec{Aggregate: "count", Equals: f(0)}, tables: empty, passed: true, value: f(0),
			message: "count of rows is 0, equal to 0: pass"},
		{name: "count ignores on_empty", spec: Spec{Aggregate: "count", AtLeast: f(1), OnEmpty: "pass"}, tables: empty, passed: false, value: f(0),
			message: "count of rows is 0, not at least 1: fail"},
		{name: "a table known only from metadata", spec: Spec{Column: "v", Aggregate: "min", Below: f(1)},
			tables: []testTable{{name: "output", extra: []string{"v"}}}, passed: false,
			message: `no rows to evaluate in table "output"; on_empty is fail: fail`},
	})
}

func TestTableSelection(t *testing.T) {
	t.Parallel()
	a := tbl("a", num("v", 1, 2))
	b := tbl("b", num("v", 10, 20, 30))
	out := tbl("output", num("v", 100))
	maxV := Spec{Column: "v", Aggregate: "max", AtLeast: f(0)}
	named := func(table string) Spec { s := maxV; s.Table = table; return s }
	runCases(t, []evalCase{
		{name: "the only table whatever its name", spec: maxV, tables: []testTable{b}, passed: true, value: f(30), rows: 3},
		{name: "output among several", spec: maxV, tables: []testTable{a, out, b}, passed: true, value: f(100), rows: 1},
		{name: "output first among several", spec: maxV, tables: []testTable{out, a}, passed: true, value: f(100), rows: 1},
		{name: "several without output", spec: maxV, tables: []testTable{a, b}, passed: false,
			message: `2 result tables (a, b) and none is named "output": set "table" to choose one: fail`},
		{name: "no tables", spec: maxV, tables: nil, passed: false, message: "the script returned no tables: fail"},
		{name: "a named table", spec: named("b"), tables: []testTable{a, b, out}, passed: true, value: f(30), rows: 3},
		{name: "a named table read before another appears", spec: named("a"), tables: []testTable{a, b}, passed: true, value: f(2), rows: 2},
		{name: "a named table that is absent", spec: named("c"), tables: []testTable{a, b}, passed: false,
			message: `table "c" not found (tables: a, b): fail`},
		{name: "a named table with no tables", spec: named("c"), tables: nil, passed: false,
			message: `table "c" not found: the script returned no tables: fail`},
		{name: "a column that is absent", spec: Spec{Column: "w", Aggregate: "p99", Below: f(1)}, tables: []testTable{a}, passed: false,
			message: `column "w" not found in table "a" (columns: v): fail`},
		{name: "a column absent from a table without rows", spec: Spec{Column: "w", Aggregate: "count", Below: f(1)},
			tables: []testTable{{name: "output", extra: []string{"v"}}}, passed: false,
			message: `column "w" not found in table "output" (columns: v): fail`},
		{name: "a non-numeric column", spec: Spec{Column: "pod", Aggregate: "mean", Below: f(1)},
			tables: []testTable{tbl("output", text("pod", "a", "b"))}, passed: false, rows: 2,
			message: `column "pod" of table "output" is not numeric; mean needs numbers: fail`},
		{name: "count works on any column", spec: Spec{Column: "pod", Aggregate: "count", Equals: f(2)},
			tables: []testTable{tbl("output", text("pod", "a", "b"))}, passed: true, value: f(2), rows: 2,
			message: "count of pod is 2, equal to 2: pass"},
	})

	t.Run("unknown columns in the schema are not checked", func(t *testing.T) {
		t.Parallel()
		set, err := Compile([]Spec{maxV})
		if err != nil {
			t.Fatal(err)
		}
		e := set.NewEvaluator()
		e.Add("output", a.split(1)[0])
		got := e.Verdict([]TableSchema{{Name: "output"}})
		if !got.Passed || got.Checks[0].Value == nil || *got.Checks[0].Value != 2 {
			t.Errorf("got %+v, want a pass with value 2", got.Checks[0])
		}
	})

	t.Run("a unit on a column known not to hold durations", func(t *testing.T) {
		t.Parallel()
		withUnit := Spec{Column: "v", Aggregate: "max", Below: f(5), Unit: "ms"}
		set, err := Compile([]Spec{withUnit, {Column: "v", Aggregate: "max", Below: f(5)}})
		if err != nil {
			t.Fatal(err)
		}
		e := set.NewEvaluator()
		e.Add("a", a.split(1)[0])
		schema := a.schema()
		schema.NotDurations = map[string]string{"v": "ST_PERCENT"}
		got := e.Verdict([]TableSchema{schema})
		want := `column "v" of table "a" holds ST_PERCENT values, not nanosecond durations, so the unit "ms" cannot apply; give the threshold without a unit, in the column's own terms: fail`
		if got.Passed || got.Checks[0].Message != want || !got.Checks[1].Passed {
			t.Errorf("got %+v, want the check with a unit to fail with %q and the other to pass", got.Checks, want)
		}
	})

	t.Run("rows of a table missing from the verdict's tables", func(t *testing.T) {
		t.Parallel()
		set, err := Compile([]Spec{maxV})
		if err != nil {
			t.Fatal(err)
		}
		e := set.NewEvaluator()
		e.Add("a", a.split(1)[0])
		e.Add("b", b.split(1)[0])
		got := e.Verdict([]TableSchema{a.schema()})
		want := `table "a" was chosen as the only result table, but rows of 2 tables were added: pass every added table to Verdict: fail`
		if got.Passed || got.Checks[0].Message != want {
			t.Errorf("got %q, want %q", got.Checks[0].Message, want)
		}
	})
}

func TestNaNAndInf(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	withNaN := []testTable{tbl("output", num("v", 1, nan, 3, 4))}
	runCases(t, []evalCase{
		{name: "p99 with a NaN fails", spec: Spec{Column: "v", Aggregate: "p99", Below: f(100)}, tables: withNaN, passed: false, rows: 4,
			message: "p99 of v is NaN (1 of 4 rows are NaN): fail"},
		{name: "exclusive with a NaN fails", spec: Spec{Column: "v", Aggregate: "p99", Method: "exclusive", Below: f(100)}, tables: withNaN, passed: false, rows: 4},
		{name: "mean with a NaN fails", spec: Spec{Column: "v", Aggregate: "mean", Below: f(100)}, tables: withNaN, passed: false, rows: 4},
		{name: "max with a NaN fails", spec: Spec{Column: "v", Aggregate: "max", Below: f(100)}, tables: withNaN, passed: false, rows: 4},
		{name: "median with a NaN fails", spec: Spec{Column: "v", Aggregate: "median", Below: f(100)}, tables: withNaN, passed: false, rows: 4},
		{name: "last is not NaN", spec: Spec{Column: "v", Aggregate: "last", Below: f(100)}, tables: withNaN, passed: true, value: f(4), rows: 4},
		{name: "count counts NaN rows", spec: Spec{Column: "v", Aggregate: "count", Equals: f(4)}, tables: withNaN, passed: true, value: f(4), rows: 4},
		{name: "first is NaN", spec: Spec{Column: "v", Aggregate: "first", Below: f(100)},
			tables: []testTable{tbl("output", num("v", nan, 1))}, passed: false, rows: 2, message: "first of v is NaN: fail"},
		{name: "none with a NaN row fails closed", spec: Spec{Column: "v", Rows: "none", Above: f(100)}, tables: withNaN, passed: false, rows: 4,
			message: "1 of 4 rows of v are NaN: fail"},
		{name: "max +Inf fails", spec: Spec{Column: "v", Aggregate: "max", Above: f(0)},
			tables: []testTable{tbl("output", num("v", 1, inf))}, passed: false, rows: 2,
			message: "max of v is +Inf, not a finite number: fail"},
		{name: "sum with +Inf is +Inf and fails", spec: Spec{Column: "v", Aggregate: "sum", Above: f(0)},
			tables: []testTable{tbl("output", num("v", 1, inf, 2))}, passed: false, rows: 3,
			message: "sum of v is +Inf, not a finite number: fail"},
		{name: "mean of +Inf and -Inf fails", spec: Spec{Column: "v", Aggregate: "mean", Below: f(1)},
			tables: []testTable{tbl("output", num("v", inf, -inf))}, passed: false, rows: 2},
		{name: "p50 between a number and +Inf fails", spec: Spec{Column: "v", Aggregate: "p50", Above: f(0)},
			tables: []testTable{tbl("output", num("v", 1, inf))}, passed: false, rows: 2},
		{name: "rows all with +Inf fails and reports no value", spec: Spec{Column: "v", Rows: "all", Below: f(10)},
			tables: []testTable{tbl("output", num("v", 1, inf))}, passed: false, rows: 2,
			message: "1 of 2 rows of v is below 10; all must be (worst +Inf): fail"},
	})
}

func TestVerdict(t *testing.T) {
	t.Parallel()

	t.Run("zero checks pass and encode an empty list", func(t *testing.T) {
		t.Parallel()
		for _, specs := range [][]Spec{nil, {}} {
			set, err := Compile(specs)
			if err != nil {
				t.Fatal(err)
			}
			if set.Len() != 0 {
				t.Errorf("Len: got %d, want 0", set.Len())
			}
			v := set.NewEvaluator().Verdict(nil)
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), `{"passed":true,"checks":[]}`; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		}
	})

	t.Run("one failure fails the verdict and results keep the spec order", func(t *testing.T) {
		t.Parallel()
		specs := []Spec{
			{Name: "enough rows", Expect: "count() >= 1"},
			{Expect: "max(v) < 5"},
			{Column: "v", Aggregate: "min", AtLeast: f(1)},
		}
		v := evaluate(t, specs, v8)
		if v.Passed {
			t.Errorf("passed: got true, want false")
		}
		var names []string
		for _, c := range v.Checks {
			names = append(names, fmt.Sprintf("%s=%v", c.Name, c.Passed))
		}
		got := strings.Join(names, "; ")
		want := "enough rows=true; max(v) < 5=false; min(v) >= 1=true"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})

	t.Run("result JSON", func(t *testing.T) {
		t.Parallel()
		specs := []Spec{
			{Expect: "p99(latency) < 300ms"},
			{Column: "v", Aggregate: "max", Between: []float64{1, 2}, Table: "nope"},
		}
		v := evaluate(t, specs, tbl("output", num("latency", 212.4e6)))
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want := `{"passed":false,"checks":[` +
			`{"name":"p99(latency) \u003c 300ms","passed":true,"value":212.4,"threshold":300,"unit":"ms","rows_evaluated":1,"message":"p99 of latency is 212.4 ms, below 300 ms: pass"},` +
			`{"name":"max(v) in [1, 2] in table \"nope\"","passed":false,"value":null,"threshold":[1,2],"rows_evaluated":0,"message":"table \"nope\" not found (tables: output): fail"}]}`
		if string(b) != want {
			t.Errorf("got  %s\nwant %s", b, want)
		}
	})

	t.Run("verdict can be asked twice", func(t *testing.T) {
		t.Parallel()
		set, err := Compile([]Spec{{Expect: "p99(v) < 10"}, {Expect: "median(v) < 10"}, {Expect: "p(10)(v) < 10"}})
		if err != nil {
			t.Fatal(err)
		}
		e := set.NewEvaluator()
		e.Add("output", v8.split(1)[0])
		first := e.Verdict([]TableSchema{v8.schema()})
		second := e.Verdict([]TableSchema{v8.schema()})
		if !reflect.DeepEqual(first, second) {
			t.Errorf("got %+v, want %+v", second, first)
		}
	})
}

// TestIncremental feeds a larger table to many checks at once, in batches of
// every size, with other tables interleaved, and requires the verdict of the
// whole table.
func TestIncremental(t *testing.T) {
	t.Parallel()
	const n = 997
	lat := make([]float64, n)
	pods := make([]string, n)
	for i := range lat {
		lat[i] = float64((i*7919)%1000+1) * 1e6
		pods[i] = fmt.Sprintf("/consumer/%d", i%3)
	}
	out := tbl("output", num("latency", lat...), text("pod", pods...))
	other := tbl("other", num("latency", 1, 2, 3), text("pod", "a", "b", "c"))
	specs := []Spec{
		{Expect: "p99(latency) < 1s"}, {Expect: "p50(latency) < 1s"}, {Expect: "p(99.9)(latency) <= 1000ms"},
		{Expect: "mean(latency) < 600ms"}, {Expect: "median(latency) > 1ms"}, {Expect: "min(latency) >= 1ms"},
		{Expect: "max(latency) <= 1s"}, {Expect: "sum(latency) > 0"}, {Expect: "count() == 997"},
		{Expect: "count(pod) == 997"}, {Expect: "first(latency) == 1ms"}, {Expect: "last(latency) > 0"},
		{Expect: "all(latency) < 1s"}, {Expect: "any(latency) >= 1s"}, {Expect: "none(latency) > 1s"},
		{Column: "latency", Aggregate: "p95", Method: "exclusive", Unit: "ms", AtMost: f(960)},
		{Table: "other", Expect: "p99(latency) < 3"},
		{Func: "percentile_should_be_below", Arguments: map[string]any{"column": "latency", "treshold": 990, "convert_from_nanoseconds": "milliseconds", "target": []any{"pod", "/consumer/[12]"}}},
		{Func: "median_should_be_above", Arguments: map[string]any{"column": "latency", "threshold": "500", "convert_from_nanoseconds": "milliseconds"}},
	}
	whole := evaluate(t, specs, out, other)
	for _, c := range whole.Checks {
		if c.Value == nil {
			t.Errorf("%s: no value (%s)", c.Name, c.Message)
		}
	}
	for _, pieces := range []int{2, 3, 10, 64, n, n + 5} {
		got := evaluateSplit(t, specs, pieces, out, other)
		if !reflect.DeepEqual(got, whole) {
			for i := range got.Checks {
				if !reflect.DeepEqual(got.Checks[i], whole.Checks[i]) {
					t.Errorf("%d batches, %s: got %+v, want %+v", pieces, specs[i].Expect, got.Checks[i], whole.Checks[i])
				}
			}
		}
		gotRev := evaluateSplit(t, specs, pieces, other, out)
		if !reflect.DeepEqual(gotRev, whole) {
			t.Errorf("%d batches, other table first: verdict differs", pieces)
		}
	}
}

// TestConcurrentEvaluators shares one Set between goroutines (run with -race).
func TestConcurrentEvaluators(t *testing.T) {
	t.Parallel()
	set, err := Compile([]Spec{{Expect: "p99(v) < 10"}, {Expect: "mean(v) < 10"}, {Expect: "all(v) > 0"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]Verdict, 8)
	for i := range results {
		wg.Go(func() {
			e := set.NewEvaluator()
			for _, b := range v8.split(i + 1) {
				e.Add("output", b)
			}
			results[i] = e.Verdict([]TableSchema{v8.schema()})
		})
	}
	wg.Wait()
	for i := 1; i < len(results); i++ {
		if !reflect.DeepEqual(results[i], results[0]) {
			t.Errorf("evaluator %d: got %+v, want %+v", i, results[i], results[0])
		}
	}
}
