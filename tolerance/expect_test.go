package tolerance

import (
	"fmt"
	"reflect"
	"testing"
)

func TestParseExpect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Spec
	}{
		{"the seed's check", "p99(latency_p99) < 300ms",
			Spec{Column: "latency_p99", Aggregate: "p99", Below: f(300), Unit: "ms"}},
		{"whitespace anywhere", "  p99 ( latency_p99 )<300 ms ",
			Spec{Column: "latency_p99", Aggregate: "p99", Below: f(300), Unit: "ms"}},
		{"no whitespace", "mean(error_rate)<=0.05",
			Spec{Column: "error_rate", Aggregate: "mean", AtMost: f(0.05)}},
		{"avg", "avg(error_rate) <= 0.05",
			Spec{Column: "error_rate", Aggregate: "mean", AtMost: f(0.05)}},
		{"count of rows", "count() >= 1", Spec{Aggregate: "count", AtLeast: f(1)}},
		{"count of a column", "count(pod) > 0", Spec{Column: "pod", Aggregate: "count", Above: f(0)}},
		{"all", "all(latency_p99) < 1s", Spec{Column: "latency_p99", Rows: "all", Below: f(1), Unit: "s"}},
		{"any", "any(x) == 3", Spec{Column: "x", Rows: "any", Equals: f(3)}},
		{"none", "none(x) > 0.5", Spec{Column: "x", Rows: "none", Above: f(0.5)}},
		{"max", "max(request_throughput) > 0", Spec{Column: "request_throughput", Aggregate: "max", Above: f(0)}},
		{"p(N)", "p(99.9)(latency) < 1.5s", Spec{Column: "latency", Aggregate: "percentile", Percentile: f(99.9), Below: f(1.5), Unit: "s"}},
		{"percentile(column, N)", "percentile(latency, 75) <= 20us",
			Spec{Column: "latency", Aggregate: "percentile", Percentile: f(75), AtMost: f(20), Unit: "us"}},
		{"µs", "p50(latency) < 20µs", Spec{Column: "latency", Aggregate: "p50", Below: f(20), Unit: "us"}},
		{"minutes and nanoseconds", "max(d) < 2m", Spec{Column: "d", Aggregate: "max", Below: f(2), Unit: "m"}},
		{"nanoseconds", "min(d) >= 100ns", Spec{Column: "d", Aggregate: "min", AtLeast: f(100), Unit: "ns"}},
		{"aggregate names ignore case", "P95(d) < 1", Spec{Column: "d", Aggregate: "p95", Below: f(1)}},
		{"median, first, last", "median(d) < 1", Spec{Column: "d", Aggregate: "median", Below: f(1)}},
		{"a negative number", "min(d) > -1.5", Spec{Column: "d", Aggregate: "min", Above: f(-1.5)}},
		{"an exponent", "sum(d) < 1e6", Spec{Column: "d", Aggregate: "sum", Below: f(1e6)}},
		{"a leading dot", "sum(d) < .5", Spec{Column: "d", Aggregate: "sum", Below: f(0.5)}},
		{"between", "mean(d) in [1ms, 2ms]", Spec{Column: "d", Aggregate: "mean", Between: []float64{1, 2}, Unit: "ms"}},
		{"between with one unit after", "first(d) in [1, 2] s", Spec{Column: "d", Aggregate: "first", Between: []float64{1, 2}, Unit: "s"}},
		{"between with a unit on one bound", "last(d) IN [1, 2s]", Spec{Column: "d", Aggregate: "last", Between: []float64{1, 2}, Unit: "s"}},
		{"a dotted column", "max(a.b_c) < 1", Spec{Column: "a.b_c", Aggregate: "max", Below: f(1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpect(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Name = got.Name
			if got.Name == "" {
				t.Errorf("name: got empty, want the expression")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s, want %s", dump(got), dump(tc.want))
			}
		})
	}
}

func TestParseExpectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"p99(latency_p99) < 300xs", `expect "p99(latency_p99) < 300xs": unknown unit "xs" at offset 22 (want ns, us, ms, s, m)`},
		{"p999(x) < 3", `expect "p999(x) < 3": unknown aggregate "p999" at offset 0 (want p50, p90, p95, p99, p(N), percentile, mean, avg, median, min, max, sum, count, first, last, all, any, none)`},
		{"", `expect "": empty expression (want e.g. "p99(latency_p99) < 300ms")`},
		{"   ", `expect "   ": empty expression (want e.g. "p99(latency_p99) < 300ms")`},
		{"< 3", `expect "< 3": unexpected "<" at offset 0 (want an aggregate: p50, p90, p95, p99, p(N), percentile, mean, avg, median, min, max, sum, count, first, last, all, any, none)`},
		{"p99 x", `expect "p99 x": unexpected "x" at offset 4 (want "(")`},
		{"p99(x", `expect "p99(x": unexpected end at offset 5 (want ")")`},
		{"p99() < 3", `expect "p99() < 3": unexpected ")" at offset 4 (want a column name)`},
		{"p99(x)", `expect "p99(x)": unexpected end at offset 6 (want a comparison: <, <=, >, >=, ==, in [lo, hi])`},
		{"p99(x) = 3", `expect "p99(x) = 3": unexpected "=" at offset 7 (want a comparison: <, <=, >, >=, ==, in [lo, hi])`},
		{"p99(x) <", `expect "p99(x) <": unexpected end at offset 8 (want a number)`},
		{"p99(x) < abc", `expect "p99(x) < abc": unexpected "abc" at offset 9 (want a number)`},
		{"p99(x) < 1e", `expect "p99(x) < 1e": malformed exponent in "1e" at offset 10 (want digits after e)`},
		{"p99(x) < 3 )", `expect "p99(x) < 3 )": unexpected ")" at offset 11 (want end of expression)`},
		{"p99(x) < 3ms and", `expect "p99(x) < 3ms and": unexpected "and" at offset 13 (want end of expression)`},
		{"p99(x) < 3 and", `expect "p99(x) < 3 and": unknown unit "and" at offset 11 (want ns, us, ms, s, m)`},
		{"p(101)(x) < 3", `expect "p(101)(x) < 3": percentile 101 at offset 2 out of range (want 0-100)`},
		{"p(x)(y) < 3", `expect "p(x)(y) < 3": unexpected "x" at offset 2 (want a number)`},
		{"percentile(x) < 3", `expect "percentile(x) < 3": unexpected ")" at offset 12 (want ",")`},
		{"percentile(x, 200) < 3", `expect "percentile(x, 200) < 3": percentile 200 at offset 14 out of range (want 0-100)`},
		{"count() > 1ms", `expect "count() > 1ms": unit has no meaning with aggregate "count" (it counts rows)`},
		{"mean(x) in [1ms, 2s]", `expect "mean(x) in [1ms, 2s]": unit "s" at offset 18 differs from "ms" (want one unit for both bounds)`},
		{"mean(x) in [1ms, 2ms] s", `expect "mean(x) in [1ms, 2ms] s": unit "s" at offset 22 differs from "ms" (want one unit for both bounds)`},
		{"mean(x) in [2, 1]", `expect "mean(x) in [2, 1]": between [2, 1]: lo must be <= hi`},
		{"mean(x) in 1", `expect "mean(x) in 1": unexpected "1" at offset 11 (want "[")`},
		{"all() < 1", `expect "all() < 1": unexpected ")" at offset 4 (want a column name)`},
		{"sum(x) < 1e999", `expect "sum(x) < 1e999": number "1e999" at offset 9 is out of range`},
		{"p99(x) < 1.5 baseline", `expect "p99(x) < 1.5 baseline": unexpected "baseline" at offset 13 (want "x" after the factor, as in 1.5x baseline)`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseExpect(tc.in)
			if err == nil {
				t.Fatalf("got %s, want error %q", dump(got), tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

// dump prints a Spec with its pointers followed.
func dump(s Spec) string {
	p := func(v *float64) any {
		if v == nil {
			return nil
		}
		return *v
	}
	return fmt.Sprint(map[string]any{
		"name": s.Name, "table": s.Table, "column": s.Column, "aggregate": s.Aggregate,
		"percentile": p(s.Percentile), "rows": s.Rows, "below": p(s.Below), "above": p(s.Above),
		"at_most": p(s.AtMost), "at_least": p(s.AtLeast), "between": s.Between, "equals": p(s.Equals),
		"unit": s.Unit, "on_empty": s.OnEmpty,
	})
}
