package tolerance

import (
	"encoding/json"
	"math"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"an unknown aggregate", Spec{Column: "v", Aggregate: "p999", Below: f(1)},
			`tolerances[1]: unknown aggregate "p999" (want one of percentile, p50, p90, p95, p99, mean, median, min, max, sum, count, first, last)`},
		{"neither aggregate nor rows", Spec{Column: "v", Below: f(1)},
			`tolerances[1]: set aggregate (e.g. "p99") or rows ("all", "any", "none"), or use expect`},
		{"both aggregate and rows", Spec{Column: "v", Aggregate: "p99", Rows: "all", Below: f(1)},
			`tolerances[1]: aggregate and rows are exclusive: aggregate computes one value, rows checks each row; set one`},
		{"an unknown row mode", Spec{Column: "v", Rows: "some", Below: f(1)},
			`tolerances[1]: unknown rows "some" (want all, any, none)`},
		{"no comparison", Spec{Column: "v", Aggregate: "p99"},
			`tolerances[1]: no comparison (set one of below, above, at_most, at_least, between, equals)`},
		{"two comparisons", Spec{Column: "v", Aggregate: "p99", Below: f(1), AtMost: f(2)},
			`tolerances[1]: more than one comparison ("below", "at_most"); set exactly one`},
		{"percentile without its number", Spec{Column: "v", Aggregate: "percentile", Below: f(1)},
			`tolerances[1]: aggregate "percentile" needs percentile (0-100)`},
		{"percentile above 100", Spec{Column: "v", Aggregate: "percentile", Percentile: f(101), Below: f(1)},
			`tolerances[1]: percentile 101 out of range (want 0-100)`},
		{"percentile below 0", Spec{Column: "v", Aggregate: "percentile", Percentile: f(-1), Below: f(1)},
			`tolerances[1]: percentile -1 out of range (want 0-100)`},
		{"percentile NaN", Spec{Column: "v", Aggregate: "percentile", Percentile: f(math.NaN()), Below: f(1)},
			`tolerances[1]: percentile NaN out of range (want 0-100)`},
		{"percentile with a shorthand", Spec{Column: "v", Aggregate: "p99", Percentile: f(99), Below: f(1)},
			`tolerances[1]: percentile is only used with aggregate "percentile" ("p99" already names one)`},
		{"percentile with mean", Spec{Column: "v", Aggregate: "mean", Percentile: f(99), Below: f(1)},
			`tolerances[1]: percentile is only used with aggregate "percentile"`},
		{"exclusive with a fractional percentile", Spec{Column: "v", Aggregate: "percentile", Percentile: f(99.9), Method: "exclusive", Below: f(1)},
			`tolerances[1]: method "exclusive" needs an integer percentile from 1 to 99 (Python statistics.quantiles(n=100)), got 99.9`},
		{"exclusive with percentile 0", Spec{Column: "v", Aggregate: "percentile", Percentile: f(0), Method: "exclusive", Below: f(1)},
			`tolerances[1]: method "exclusive" needs an integer percentile from 1 to 99 (Python statistics.quantiles(n=100)), got 0`},
		{"method with mean", Spec{Column: "v", Aggregate: "mean", Method: "exclusive", Below: f(1)},
			`tolerances[1]: method is only used with percentile aggregates and median, not "mean"`},
		{"linear method with max", Spec{Column: "v", Aggregate: "max", Method: "linear", Below: f(1)},
			`tolerances[1]: method is only used with percentile aggregates and median, not "max"`},
		{"an unknown method", Spec{Column: "v", Aggregate: "p99", Method: "nearest", Below: f(1)},
			`tolerances[1]: unknown method "nearest" (want linear, exclusive)`},
		{"method with rows", Spec{Column: "v", Rows: "all", Method: "linear", Below: f(1)},
			`tolerances[1]: method is only used with percentile aggregates, not rows`},
		{"percentile with rows", Spec{Column: "v", Rows: "all", Percentile: f(1), Below: f(1)},
			`tolerances[1]: percentile is only used with aggregate "percentile"`},
		{"rows without a column", Spec{Rows: "all", Below: f(1)},
			`tolerances[1]: column is required with rows "all"`},
		{"an aggregate without a column", Spec{Aggregate: "p99", Below: f(1)},
			`tolerances[1]: column is required with aggregate "p99"`},
		{"between with one bound", Spec{Column: "v", Aggregate: "max", Between: []float64{1}},
			`tolerances[1]: between needs [lo, hi], got 1 numbers`},
		{"between reversed", Spec{Column: "v", Aggregate: "max", Between: []float64{3, 1}},
			`tolerances[1]: between [3, 1]: lo must be <= hi`},
		{"an infinite threshold", Spec{Column: "v", Aggregate: "max", AtMost: f(math.Inf(1))},
			`tolerances[1]: at_most must be a finite number`},
		{"an unknown unit", Spec{Column: "v", Aggregate: "max", Below: f(1), Unit: "xs"},
			`tolerances[1]: unknown unit "xs" (want ns, us, ms, s, m)`},
		{"a unit on count", Spec{Aggregate: "count", Below: f(1), Unit: "ms"},
			`tolerances[1]: unit has no meaning with aggregate "count" (it counts rows)`},
		{"an unknown on_empty", Spec{Column: "v", Aggregate: "max", Below: f(1), OnEmpty: "skip"},
			`tolerances[1]: unknown on_empty "skip" (want fail, pass)`},
		{"expect mixed with structured fields", Spec{Expect: "p99(v) < 1", Column: "v", Unit: "ms"},
			`tolerances[1]: expect cannot be combined with "column", "unit" (allowed alongside: name, table, on_empty)`},
		{"expect and func", Spec{Expect: "p99(v) < 1", Func: "median_should_be_below"},
			`tolerances[1]: expect and func are exclusive; set one`},
		{"expect that does not parse", Spec{Expect: "p99(latency_p99) < 300xs"},
			`tolerances[1]: expect "p99(latency_p99) < 300xs": unknown unit "xs" at offset 22 (want ns, us, ms, s, m)`},
		{"an unknown func", Spec{Func: "p99", Arguments: map[string]any{}},
			`tolerances[1]: unknown func "p99" (want percentile_should_be_below, percentile_should_be_above, median_should_be_below, median_should_be_above)`},
		{"func mixed with structured fields", Spec{Column: "v", Aggregate: "max", Below: f(1), Func: "median_should_be_below", Arguments: map[string]any{"column": "x", "treshold": 1}},
			`tolerances[1]: func cannot be combined with "column", "aggregate", "below" (allowed alongside: name, table, arguments)`},
		{"arguments without func", Spec{Column: "v", Aggregate: "max", Below: f(1), Arguments: map[string]any{"x": 1}},
			`tolerances[1]: arguments are only used with func`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := Compile([]Spec{{Expect: "count() > 0"}, tc.spec})
			if err == nil {
				t.Fatalf("got a Set of %d checks, want error %q", set.Len(), tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestCompileLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"a shorthand with a unit", Spec{Column: "latency_p99", Aggregate: "p99", Unit: "ms", Below: f(300)}, "p99(latency_p99) < 300ms"},
		{"a percentile", Spec{Column: "latency", Aggregate: "percentile", Percentile: f(99.9), AtMost: f(1)}, "percentile(latency, 99.9) <= 1"},
		{"exclusive", Spec{Column: "latency", Aggregate: "p95", Method: "exclusive", AtMost: f(1)}, "p95(latency) <= 1 (exclusive)"},
		{"count of rows", Spec{Aggregate: "count", AtLeast: f(1)}, "count() >= 1"},
		{"avg reads mean", Spec{Column: "x", Aggregate: "avg", Above: f(0.5)}, "mean(x) > 0.5"},
		{"rows", Spec{Column: "x", Rows: "none", Equals: f(0)}, "none(x) == 0"},
		{"between", Spec{Column: "x", Aggregate: "min", Unit: "s", Between: []float64{1, 2.5}}, "min(x) in [1s, 2.5s]"},
		{"a table", Spec{Table: "http", Column: "x", Aggregate: "max", Below: f(1e6)}, `max(x) < 1000000 in table "http"`},
		{"a name wins", Spec{Name: "fast enough", Column: "x", Aggregate: "max", Below: f(1)}, "fast enough"},
		{"expect keeps its text", Spec{Expect: "  avg( x )<1ms "}, "avg( x )<1ms"},
		{"expect with a name", Spec{Name: "n", Expect: "avg(x) < 1"}, "n"},
		{"compat", Spec{Func: "percentile_should_be_below", Arguments: map[string]any{"column": "latency_p99", "percentile": 99.0, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}},
			"percentile_should_be_below: p99(latency_p99) <= 300ms"},
		{"compat median with a target", Spec{Func: "median_should_be_above", Arguments: map[string]any{"column": "l", "threshold": 3, "target": []any{"pod", "/consumer.*"}}},
			`median_should_be_above: median(l) >= 3 where pod matches "/consumer.*"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set, err := Compile([]Spec{tc.spec})
			if err != nil {
				t.Fatal(err)
			}
			if got := set.checks[0].name; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLabelsParse: a generated label of a structured check is itself a valid
// expect that compiles to the same check.
func TestLabelsParse(t *testing.T) {
	t.Parallel()
	specs := []Spec{
		{Column: "latency_p99", Aggregate: "p99", Unit: "ms", Below: f(300)},
		{Column: "latency", Aggregate: "percentile", Percentile: f(99.9), AtMost: f(1)},
		{Aggregate: "count", AtLeast: f(1)},
		{Column: "x", Aggregate: "count", Above: f(1)},
		{Column: "x", Aggregate: "mean", Above: f(-0.5)},
		{Column: "x", Rows: "all", Unit: "us", Equals: f(0)},
		{Column: "x", Rows: "any", Unit: "m", AtLeast: f(2)},
		{Column: "x", Aggregate: "min", Unit: "s", Between: []float64{1, 2.5}},
		{Column: "x", Aggregate: "sum", Below: f(1e-7)},
		{Column: "x", Aggregate: "first", Below: f(1e22)},
	}
	for _, sp := range specs {
		set, err := Compile([]Spec{sp})
		if err != nil {
			t.Fatal(err)
		}
		want := set.checks[0]
		parsed, err := ParseExpect(want.name)
		if err != nil {
			t.Errorf("%s: %v", want.name, err)
			continue
		}
		parsed.Name = ""
		again, err := Compile([]Spec{parsed})
		if err != nil {
			t.Fatal(err)
		}
		if got := again.checks[0]; got != want {
			t.Errorf("%s: got %+v, want %+v", want.name, got, want)
		}
	}
}

// TestSpecJSON decodes specs as the HTTP layer does.
func TestSpecJSON(t *testing.T) {
	t.Parallel()
	const body = `[
		{"column": "latency_p99", "aggregate": "p99", "unit": "ms", "below": 300},
		{"column": "latency_p99", "aggregate": "percentile", "percentile": 99.9, "method": "linear", "between": [1, 2]},
		{"name": "errors", "table": "output", "expect": "mean(error_rate) <= 0.05", "on_empty": "pass"},
		{"func": "percentile_should_be_below", "arguments": {"column": "latency_p99", "percentile": 99, "convert_from_nanoseconds": "milliseconds", "treshold": 300.0, "target": ["service", "default/.*"]}}
	]`
	var specs []Spec
	if err := json.Unmarshal([]byte(body), &specs); err != nil {
		t.Fatal(err)
	}
	set, err := Compile(specs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.Len(), 4; got != want {
		t.Errorf("Len: got %d, want %d", got, want)
	}
}
