// Package tolerance evaluates checks ("tolerances") on the result tables of a
// PxL script and returns a verdict, for Chaos Toolkit steady-state probes,
// CI gates and dashboards.
//
// A check reads one column of one table: the table it names, else the only
// result table, else the table named "output". It is written in one of three
// forms, all of type Spec:
//
// Structured: an aggregate (percentile with percentile 0-100, p50, p90, p95,
// p99, mean, median, min, max, sum, count, first, last) or a row-wise mode
// (rows: all, any, none), then exactly one comparison (below <, above >,
// at_most <=, at_least >=, between [lo, hi] inclusive, equals ==):
//
//	{"column": "latency_p99", "aggregate": "p99", "unit": "ms", "below": 300}
//
// Percentiles use numpy's default linear interpolation unless method is
// "exclusive" (Python's statistics.quantiles default). unit (ns, us, ms, s, m)
// converts a nanosecond column before comparing, and the threshold is in that
// unit. on_empty says whether no rows passes or fails (the default).
//
// Compact, k6-threshold style (see ParseExpect):
//
//	{"expect": "p99(latency_p99) < 300ms"}
//	{"expect": "count() >= 1"}
//	{"expect": "all(error_rate) <= 0.05"}
//
// Compatibility with chaostoolkit-pixie's tolerances module, giving the same
// verdict as the Python extension on the same rows:
//
//	{"func": "percentile_should_be_below",
//	 "arguments": {"column": "latency_p99", "percentile": 99,
//	               "convert_from_nanoseconds": "milliseconds", "treshold": 300.0}}
//
// Compile validates a list of specs once into a Set, which is safe for
// concurrent use. Each evaluation takes an Evaluator from Set.NewEvaluator,
// is fed batches of rows as they stream in (Evaluator.Add) and finishes with
// Evaluator.Verdict. Checks fail closed: a missing table or column, a
// non-numeric column, a NaN value, an aggregate that is not finite (a sum
// that overflows, a max that is +Inf) and (by default) empty results fail
// the check with a message that says why, never pass it. An infinite value
// that does not decide the aggregate is compared as the number it is
// (min(v) < 10 passes on 1, +Inf, 2).
package tolerance
