package tolerance

import (
	"encoding/json"
	"testing"
)

func TestCompatCompileErrors(t *testing.T) {
	t.Parallel()
	const below = "percentile_should_be_below"
	tests := []struct {
		name string
		fn   string
		args map[string]any
		want string
	}{
		{"no column", below, map[string]any{"treshold": 1.0},
			`tolerances[0]: func "percentile_should_be_below": argument "column" is required`},
		{"an empty column", below, map[string]any{"column": "", "treshold": 1.0},
			`tolerances[0]: func "percentile_should_be_below": argument "column" is required`},
		{"a column that is not a string", below, map[string]any{"column": 3.0, "treshold": 1.0},
			`tolerances[0]: func "percentile_should_be_below": argument "column" must be a string, got float64`},
		{"no threshold", below, map[string]any{"column": "l"},
			`tolerances[0]: func "percentile_should_be_below": argument "treshold" (or "threshold") is required`},
		{"a null threshold", below, map[string]any{"column": "l", "threshold": nil},
			`tolerances[0]: func "percentile_should_be_below": argument "threshold" is required`},
		{"both spellings", below, map[string]any{"column": "l", "treshold": 1.0, "threshold": 1.0},
			`tolerances[0]: func "percentile_should_be_below": arguments "treshold" and "threshold" are the same; set one`},
		{"a threshold that is not a number", below, map[string]any{"column": "l", "treshold": "${p99_max}"},
			`tolerances[0]: func "percentile_should_be_below": argument "treshold": "${p99_max}" is not a number`},
		{"a NaN threshold", below, map[string]any{"column": "l", "treshold": "NaN"},
			`tolerances[0]: func "percentile_should_be_below": argument "treshold" must be a finite number, got NaN`},
		{"a boolean threshold", below, map[string]any{"column": "l", "treshold": true},
			`tolerances[0]: func "percentile_should_be_below": argument "treshold" must be a number, got bool`},
		{"a fractional percentile", below, map[string]any{"column": "l", "treshold": 1, "percentile": 99.5},
			`tolerances[0]: func "percentile_should_be_below": argument "percentile" must be an integer from 1 to 99 (an index into statistics.quantiles(n=100)), got 99.5`},
		{"percentile 100", below, map[string]any{"column": "l", "treshold": 1, "percentile": 100},
			`tolerances[0]: func "percentile_should_be_below": argument "percentile" must be an integer from 1 to 99 (an index into statistics.quantiles(n=100)), got 100`},
		{"percentile 0", below, map[string]any{"column": "l", "treshold": 1, "percentile": "0"},
			`tolerances[0]: func "percentile_should_be_below": argument "percentile" must be an integer from 1 to 99 (an index into statistics.quantiles(n=100)), got 0`},
		{"unknown arguments", below, map[string]any{"column": "l", "treshold": 1, "percentil": 99, "value": 3},
			`tolerances[0]: func "percentile_should_be_below": unknown argument "percentil", "value" (want column, treshold, threshold, convert_from_nanoseconds, target, percentile)`},
		{"percentile for a median", "median_should_be_below", map[string]any{"column": "l", "treshold": 1, "percentile": 50},
			`tolerances[0]: func "median_should_be_below": unknown argument "percentile" (want column, treshold, threshold, convert_from_nanoseconds, target)`},
		{"an unknown conversion", below, map[string]any{"column": "l", "treshold": 1, "convert_from_nanoseconds": "ms"},
			`tolerances[0]: func "percentile_should_be_below": argument "convert_from_nanoseconds" is "ms" (want seconds, milliseconds, microseconds)`},
		{"an invalid regex", below, map[string]any{"column": "l", "treshold": 1, "target": []any{"pod", "(consumer"}},
			"tolerances[0]: func \"percentile_should_be_below\": argument \"target\": invalid regular expression \"(consumer\": error parsing regexp: missing closing ): `(consumer`"},
		{"a regex Go does not support", below, map[string]any{"column": "l", "treshold": 1, "target": []any{"pod", "(?=x)"}},
			"tolerances[0]: func \"percentile_should_be_below\": argument \"target\": invalid regular expression \"(?=x)\": error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
		{"a target of one element", below, map[string]any{"column": "l", "treshold": 1, "target": []any{"pod"}},
			`tolerances[0]: func "percentile_should_be_below": argument "target" must be [key, regex] (two strings), got 1 elements`},
		{"a target that is a string", below, map[string]any{"column": "l", "treshold": 1, "target": "pod"},
			`tolerances[0]: func "percentile_should_be_below": argument "target" must be [key, regex] (two strings), got string`},
		{"a target with a number", below, map[string]any{"column": "l", "treshold": 1, "target": []any{"pod", 3.0}},
			`tolerances[0]: func "percentile_should_be_below": argument "target" must be [key, regex] (two strings), got an element of type float64`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile([]Spec{{Func: tc.fn, Arguments: tc.args}})
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}

	t.Run("on_empty cannot change the Python verdict", func(t *testing.T) {
		t.Parallel()
		_, err := Compile([]Spec{{Func: below, OnEmpty: "pass", Arguments: map[string]any{"column": "l", "treshold": 1}}})
		want := `tolerances[0]: func cannot be combined with "on_empty" (allowed alongside: name, table, arguments)`
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %q", err, want)
		}
	})
}

func TestCompat(t *testing.T) {
	t.Parallel()
	seed := []testTable{tbl("output", num("latency", 0.5, 0.8, 0.9))}
	ns := []testTable{tbl("output",
		num("latency_p99", 120e6, 212.4e6, 90e6, 310e6, 150e6),
		text("pod", "/consumer/1", "/consumer/2", "/producer/1", "/producer/2", "/consumer/3"),
		num("status", 200, 200, 500, 200, 200))}
	compat := func(fn string, args map[string]any) Spec { return Spec{Func: fn, Arguments: args} }
	runCases(t, []evalCase{
		{name: "the seed's p99 below", spec: compat("percentile_should_be_below", map[string]any{"column": "latency", "treshold": 1.0, "percentile": 99.0}),
			tables: seed, passed: true, value: f(0.996), rows: 3,
			message: "p99 (exclusive) of latency is 0.996, at most 1: pass"},
		{name: "the seed's p99 above", spec: compat("percentile_should_be_above", map[string]any{"column": "latency", "treshold": 1.0}),
			tables: seed, passed: false, value: f(0.996), rows: 3,
			message: "p99 (exclusive) of latency is 0.996, not at least 1: fail"},
		{name: "the seed's median below", spec: compat("median_should_be_below", map[string]any{"column": "latency", "treshold": 1.0}),
			tables: seed, passed: true, value: f(0.8), rows: 3, message: "median of latency is 0.8, at most 1: pass"},
		{name: "the seed's median above", spec: compat("median_should_be_above", map[string]any{"column": "latency", "threshold": 1}),
			tables: seed, passed: false, value: f(0.8), rows: 3},
		{name: "above is inclusive", spec: compat("median_should_be_above", map[string]any{"column": "latency", "threshold": 0.8}),
			tables: seed, passed: true, value: f(0.8), rows: 3},
		{name: "strings for numbers", spec: compat("percentile_should_be_below", map[string]any{"column": "latency_p99", "treshold": " 450.0 ", "percentile": "50", "convert_from_nanoseconds": "milliseconds"}),
			tables: ns, passed: true, value: f(150), rows: 5, message: "p50 (exclusive) of latency_p99 is 150 ms, at most 450 ms: pass"},
		{name: "a json.Number", spec: compat("percentile_should_be_below", map[string]any{"column": "latency_p99", "treshold": json.Number("0.3"), "convert_from_nanoseconds": "seconds"}),
			tables: ns, passed: false, value: f(0.401744), rows: 5},
		{name: "microseconds", spec: compat("median_should_be_below", map[string]any{"column": "latency_p99", "treshold": 150000, "convert_from_nanoseconds": "microseconds"}),
			tables: ns, passed: true, value: f(150000), rows: 5, message: "median of latency_p99 is 150000 µs, at most 150000 µs: pass"},
		{name: "a null conversion and target", spec: compat("median_should_be_below", map[string]any{"column": "latency_p99", "treshold": 2e8, "convert_from_nanoseconds": nil, "target": nil}),
			tables: ns, passed: true, value: f(150e6), rows: 5},
		{name: "target keeps matching rows", spec: compat("percentile_should_be_below", map[string]any{"column": "latency_p99", "treshold": 300, "convert_from_nanoseconds": "milliseconds", "target": []any{"pod", "/consumer/"}}),
			tables: ns, passed: true, value: f(272.304), rows: 3},
		{name: "target as []string", spec: compat("median_should_be_above", map[string]any{"column": "latency_p99", "treshold": 200, "convert_from_nanoseconds": "milliseconds", "target": []string{"pod", "/producer"}}),
			tables: ns, passed: true, value: f(200), rows: 2},
		{name: "target that matches nothing fails", spec: compat("median_should_be_above", map[string]any{"column": "latency_p99", "treshold": 0, "target": []any{"pod", "consumer"}}),
			tables: ns, passed: false, rows: 0,
			message: `none of the 5 rows of table "output" have pod matching "consumer"; chaostoolkit-pixie fails on an empty set of values: fail`},
		{name: "target on a column that is absent filters nothing", spec: compat("median_should_be_above", map[string]any{"column": "latency_p99", "treshold": 0, "target": []any{"node", "x"}}),
			tables: ns, passed: true, value: f(150e6), rows: 5},
		{name: "target on a numeric column fails like re.match", spec: compat("median_should_be_above", map[string]any{"column": "latency_p99", "treshold": 0, "target": []any{"status", "200"}}),
			tables: ns, passed: false, rows: 0,
			message: `target column "status" of table "output" is not text; chaostoolkit-pixie's re.match needs strings: fail`},
		{name: "a single value has no exclusive percentile", spec: compat("percentile_should_be_below", map[string]any{"column": "latency", "treshold": 1}),
			tables: []testTable{tbl("output", num("latency", 0.5))}, passed: false, rows: 1},
		{name: "a single value is its own median", spec: compat("median_should_be_below", map[string]any{"column": "latency", "treshold": 1}),
			tables: []testTable{tbl("output", num("latency", 0.5))}, passed: true, value: f(0.5), rows: 1},
		{name: "no rows fails", spec: compat("median_should_be_below", map[string]any{"column": "latency", "treshold": 1}),
			tables: []testTable{tbl("output", num("latency"))}, passed: false, rows: 0,
			message: `no rows to evaluate in table "output"; chaostoolkit-pixie fails on an empty set of values: fail`},
		{name: "a column that is absent fails", spec: compat("median_should_be_below", map[string]any{"column": "latency_p50", "treshold": 1}),
			tables: ns, passed: false, rows: 0,
			message: `column "latency_p50" not found in table "output" (columns: latency_p99, pod, status): fail`},
		{name: "a named table", spec: Spec{Table: "other", Func: "median_should_be_below", Arguments: map[string]any{"column": "latency", "treshold": 1}},
			tables: append([]testTable{tbl("other", num("latency", 0.5, 2))}, ns...), passed: false, value: f(1.25), rows: 2},
	})
}
