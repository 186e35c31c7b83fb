package tolerance

// Column is one column of a batch of rows, as a check reads it.
//
// Implementations decode a column once into a typed slice and answer by index;
// the evaluator calls Number (and, for the `target` filter, Text) once per row.
type Column interface {
	// Len returns the number of rows in the column.
	Len() int
	// Number returns row i as float64; ok=false when the column is not numeric (STRING columns).
	// BOOLEAN is 0/1, INT64/TIME64NS/FLOAT64 are their value.
	Number(i int) (v float64, ok bool)
	// Text returns row i as text (used by the `target` row filter of the compatibility form).
	Text(i int) string
}

// Batch is some rows of one table. Batches of a table arrive in order.
//
// The evaluator reads a batch only during Evaluator.Add and keeps no reference to it
// or to its columns afterwards, so a caller may reuse the memory behind a batch.
type Batch interface {
	// Len returns the number of rows in the batch.
	Len() int
	// Column returns the named column, or ok=false when the batch has no such column.
	Column(name string) (Column, bool)
}

// TableSchema names a result table and its columns (known from metadata even when it has no rows).
//
// An empty Columns means "unknown": checks then skip the column-exists test and rely on the rows.
type TableSchema struct {
	Name    string
	Columns []string
	// NotDurations maps the columns known not to hold nanosecond
	// durations to the type they have (for the message, e.g. ST_PERCENT):
	// a check with a unit on one fails rather than compare, say, a
	// percentage divided by 1e6 with milliseconds. Columns not in it may
	// take a unit.
	NotDurations map[string]string
}

// Spec is one check as a caller writes it in JSON (the `tolerances` list of a request).
//
// A Spec takes one of three forms:
//   - structured: Column, Aggregate or Rows, exactly one comparison (Below, Above, AtMost,
//     AtLeast, Between, Equals), and optionally Percentile, Method, Unit, OnEmpty;
//   - compact: Expect holds an expression such as "p99(latency_p99) < 300ms" (see ParseExpect);
//     Name, Table and OnEmpty may be set alongside;
//   - compatibility: Func and Arguments as in chaostoolkit-pixie's tolerances module;
//     Name and Table may be set alongside.
//
// Compile validates a Spec; the zero value is not a valid check.
type Spec struct {
	Name       string         `json:"name,omitempty"`
	Table      string         `json:"table,omitempty"`
	Column     string         `json:"column,omitempty"`
	Aggregate  string         `json:"aggregate,omitempty"`  // percentile|p50|p90|p95|p99|mean|median|min|max|sum|count|first|last
	Percentile *float64       `json:"percentile,omitempty"` // 0-100, with aggregate=percentile
	Method     string         `json:"method,omitempty"`     // "linear" (default; numpy-style (n-1)*p interpolation) | "exclusive" (Python statistics.quantiles default)
	Rows       string         `json:"rows,omitempty"`       // all|any|none: row-wise instead of aggregate
	Below      *float64       `json:"below,omitempty"`      // value <  x
	Above      *float64       `json:"above,omitempty"`      // value >  x
	AtMost     *float64       `json:"at_most,omitempty"`    // value <= x
	AtLeast    *float64       `json:"at_least,omitempty"`   // value >= x
	Between    []float64      `json:"between,omitempty"`    // [lo, hi] inclusive
	Equals     *float64       `json:"equals,omitempty"`
	Unit       string         `json:"unit,omitempty"`      // ns|us|ms|s|m : column holds nanoseconds, convert before comparing; threshold is in this unit
	OnEmpty    string         `json:"on_empty,omitempty"`  // fail (default) | pass
	Expect     string         `json:"expect,omitempty"`    // compact form, see ParseExpect
	Func       string         `json:"func,omitempty"`      // compatibility form: a chaostoolkit-pixie tolerance function
	Arguments  map[string]any `json:"arguments,omitempty"` // compatibility form arguments
	// Baseline, instead of a comparison, derives the threshold from the
	// same aggregate over a baseline window (see BaselineSpec).
	Baseline *BaselineSpec `json:"baseline,omitempty"`
}

// Verdict is the outcome of every check of a Set on one result.
type Verdict struct {
	Passed bool     `json:"passed"` // true iff every check passed (true with zero checks)
	Checks []Result `json:"checks"` // never nil (encode [] not null)
}

// Result is the outcome of one check.
type Result struct {
	Name          string   `json:"name"` // Spec.Name, or a generated readable label like "p99(latency_p99) < 300ms"
	Passed        bool     `json:"passed"`
	Value         *float64 `json:"value"`     // computed value in the check's unit; null when none (empty, error, NaN, ±Inf)
	Threshold     any      `json:"threshold"` // float64, or [lo, hi] ([]float64) for between
	Unit          string   `json:"unit,omitempty"`
	RowsEvaluated int      `json:"rows_evaluated"`
	Message       string   `json:"message"` // human sentence: "p99 of latency_p99 is 212.4 ms, at most 300 ms: pass" / why it failed
	// Baseline is the same aggregate over the baseline window (checks with
	// a baseline only; null when that window gave none).
	Baseline *float64 `json:"baseline,omitempty"`
	// Ratio is Value / Baseline (null when either is missing or Baseline is 0).
	Ratio *float64 `json:"ratio,omitempty"`
	// BaselineRows is the number of baseline rows evaluated (checks with a baseline only).
	BaselineRows *int `json:"baseline_rows,omitempty"`
}
