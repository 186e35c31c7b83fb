package tolerance

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Evaluator evaluates a Set on one result, fed batch by batch. It keeps only
// what its checks need: per checked column a few running numbers, plus the
// column's values for percentile and median checks. It is not safe for
// concurrent use; use one per request.
type Evaluator struct {
	set    *Set
	tables []string // distinct table names given to Add, in order
	cols   map[colKey]*colAcc
	rows   map[rowKey]*rowAcc
	gen    int
	// base evaluated the baseline window's rows (SetBaseline).
	base       *Evaluator
	baseTables []TableSchema
}

type colKey struct {
	table, column string
	target        *target
}

type rowKey struct {
	check int
	table string
}

// NewEvaluator starts one evaluation (not safe for concurrent use; one per request).
func (s *Set) NewEvaluator() *Evaluator {
	return &Evaluator{
		set:  s,
		cols: make(map[colKey]*colAcc),
		rows: make(map[rowKey]*rowAcc),
	}
}

// reads reports whether check c reads the rows of table, given the tables
// seen so far. A check without a table reads the only table, or "output":
// once a second table shows up, only "output" can still be its table.
func (e *Evaluator) reads(c *check, table string) bool {
	if c.table != "" {
		return c.table == table
	}
	return len(e.tables) == 1 || table == defaultTable
}

// see records a table name; on the second distinct table it drops what
// table-less checks gathered from a table other than "output".
func (e *Evaluator) see(table string) {
	if slices.Contains(e.tables, table) {
		return
	}
	e.tables = append(e.tables, table)
	if len(e.tables) != 2 || e.tables[0] == defaultTable {
		return
	}
	first := e.tables[0]
	for k := range e.cols {
		if k.table == first && !e.explicitlyRead(k) {
			delete(e.cols, k)
		}
	}
	for k := range e.rows {
		if k.table == first && e.set.checks[k.check].table == "" {
			delete(e.rows, k)
		}
	}
}

// explicitlyRead reports whether a check naming k's table reads k.
func (e *Evaluator) explicitlyRead(k colKey) bool {
	for i := range e.set.checks {
		c := &e.set.checks[i]
		if c.rows == rowsOff && c.table == k.table && c.column == k.column && c.target == k.target {
			return true
		}
	}
	return false
}

// Add feeds rows of a table. Called any number of times, tables interleaved,
// possibly with empty or nil batches. It keeps no reference to b. Every table
// passed to Add must also be among the tables passed to Verdict.
func (e *Evaluator) Add(table string, b Batch) {
	e.see(table)
	if b == nil || b.Len() == 0 {
		return
	}
	e.gen++
	for i := range e.set.checks {
		c := &e.set.checks[i]
		if !e.reads(c, table) {
			continue
		}
		if c.rows != rowsOff {
			k := rowKey{i, table}
			r := e.rows[k]
			if r == nil {
				r = &rowAcc{}
				e.rows[k] = r
			}
			r.add(c, b)
			continue
		}
		k := colKey{table, c.column, c.target}
		a := e.cols[k]
		if a == nil {
			a = &colAcc{keep: e.keep(k)}
			e.cols[k] = a
		}
		if a.gen == e.gen {
			continue // another check already fed this batch to a
		}
		a.gen = e.gen
		a.add(b, c.column, c.target)
	}
}

// HeldBytes is the memory the values kept for percentile and median
// checks take: what grows with the rows, for a memory budget.
func (e *Evaluator) HeldBytes() int {
	n := 0
	for _, a := range e.cols {
		n += cap(a.values) * 8
	}
	return n
}

// keep reports whether a check reading k needs its values.
func (e *Evaluator) keep(k colKey) bool {
	for i := range e.set.checks {
		c := &e.set.checks[i]
		if c.wantsValues() && c.column == k.column && c.target == k.target && e.reads(c, k.table) {
			return true
		}
	}
	return false
}

// Verdict finishes: tables are all result tables with their columns (in output
// order). It may be called more than once; Add must not be called after it.
func (e *Evaluator) Verdict(tables []TableSchema) Verdict {
	v := Verdict{Passed: true, Checks: make([]Result, 0, len(e.set.checks))}
	for i := range e.set.checks {
		r := e.evaluate(i, tables)
		v.Passed = v.Passed && r.Passed
		v.Checks = append(v.Checks, r)
	}
	return v
}

// evaluate computes the result of check i.
func (e *Evaluator) evaluate(i int, tables []TableSchema) Result {
	c := &e.set.checks[i]
	res, v, ok := e.value(i, tables)
	switch {
	case !ok:
		return res
	case c.base != nil:
		return e.compareBaseline(i, c, res, v)
	}
	return decide(c, c.cmp, res, v, "")
}

// value computes check i's aggregate v. ok=false: res is the check's
// final result (a failure, an empty result per on_empty, a row-wise
// check's or a count's verdict).
func (e *Evaluator) value(i int, tables []TableSchema) (res Result, v float64, ok bool) {
	c := &e.set.checks[i]
	res = Result{Name: c.name, Threshold: c.cmp.threshold(), Unit: c.unit}
	if c.base != nil {
		res.Threshold = nil
	}
	fail := func(format string, args ...any) (Result, float64, bool) {
		res.Passed, res.Value = false, nil
		res.Message = fmt.Sprintf(format, args...) + ": fail"
		return res, 0, false
	}

	t, msg := selectTable(c.table, tables)
	if msg != "" {
		return fail("%s", msg)
	}
	if c.table == "" && len(e.tables) > 1 && t.Name != defaultTable {
		return fail("table %q was chosen as the only result table, but rows of %d tables were added: pass every added table to Verdict", t.Name, len(e.tables))
	}
	if c.column != "" && len(t.Columns) > 0 && !slices.Contains(t.Columns, c.column) {
		return fail("column %q not found in table %q (columns: %s)", c.column, t.Name, strings.Join(t.Columns, ", "))
	}
	if what, ok := t.NotDurations[c.column]; ok && c.unit != "" && c.column != "" {
		return fail("column %q of table %q holds %s values, not nanosecond durations, so the unit %q cannot apply; give the threshold without a unit, in the column's own terms", c.column, t.Name, what, c.unit)
	}

	if c.rows != rowsOff {
		return e.evaluateRows(c, e.rows[rowKey{i, t.Name}], t.Name, res), 0, false
	}
	a := e.cols[colKey{t.Name, c.column, c.target}]
	if a == nil {
		a = &colAcc{}
	}
	res.RowsEvaluated = a.n

	if a.notText {
		return fail("target column %q of table %q is not text; chaostoolkit-pixie's re.match needs strings", c.target.key, t.Name)
	}
	if c.agg == aggCount {
		// Zero rows is a count of 0, so on_empty does not apply.
		return res, float64(a.n), true
	}
	if a.n == 0 {
		return e.empty(c, res, t.Name, a.seen), 0, false
	}
	if a.nonNumeric {
		return fail("column %q of table %q is not numeric; %s needs numbers", c.column, t.Name, aggWord(c))
	}

	switch c.agg {
	case aggFirst:
		v = a.first / c.div
	case aggLast:
		v = a.last / c.div
	default:
		if a.nan > 0 {
			return fail("%s of %s is NaN (%d of %d rows are NaN)", aggWord(c), c.column, a.nan, a.n)
		}
		switch c.agg {
		case aggMin:
			v = a.min / c.div
		case aggMax:
			v = a.max / c.div
		case aggSum:
			v = a.total() / c.div
		case aggMean:
			v = a.total() / float64(a.numeric) / c.div
		case aggMedian:
			v = median(a.values, c.div)
		case aggPercentile:
			if !c.exclusive {
				v = linearPercentile(a.values, c.pct, c.div)
				break
			}
			if len(a.values) < 2 {
				return fail("%s of %s needs at least 2 values, got %d (Python's statistics.quantiles raises before 3.13, so chaostoolkit-pixie fails)", aggWord(c), c.column, len(a.values))
			}
			v = exclusivePercentile(a.values, int(c.pct), c.div)
		}
	}
	return res, v, true
}

// decide compares an aggregate's value with cmp (the check's threshold,
// or the one derived from its baseline); why, if not empty, follows the
// comparison in the message (" (1.5x the baseline 150 ms)").
func decide(c *check, cmp comparison, res Result, v float64, why string) Result {
	what := aggWord(c) + " of " + c.column
	if c.column == "" {
		what = "count of rows"
	}
	if math.IsNaN(v) {
		res.Message = what + " is NaN: fail"
		return res
	}
	if math.IsInf(v, 0) {
		res.Message = what + " is " + formatExact(v) + ", not a finite number: fail"
		return res
	}
	val := v
	res.Value = &val
	res.Passed = cmp.ok(v)
	words := cmp.words(c.unit)
	if !res.Passed {
		words = "not " + words
	}
	res.Message = what + " is " + withUnit(formatValue(v, cmp), c.unit) + ", " + words + why + verdictWord(res.Passed)
	return res
}

func verdictWord(passed bool) string {
	if passed {
		return ": pass"
	}
	return ": fail"
}

// empty is the result of a check that evaluated no rows.
func (e *Evaluator) empty(c *check, res Result, table string, seen int) Result {
	var b strings.Builder
	if c.target != nil && seen > 0 {
		fmt.Fprintf(&b, "none of the %d rows of table %q have %s matching %s", seen, table, c.target.key, strconv.Quote(c.target.pattern))
	} else {
		fmt.Fprintf(&b, "no rows to evaluate in table %q", table)
	}
	switch {
	case c.compat != "":
		b.WriteString("; chaostoolkit-pixie fails on an empty set of values")
	case c.onEmptyPass:
		res.Passed = true
		b.WriteString("; on_empty is pass")
	default:
		b.WriteString("; on_empty is fail")
	}
	b.WriteString(verdictWord(res.Passed))
	res.Message = b.String()
	return res
}

// evaluateRows is the result of a row-wise check.
func (e *Evaluator) evaluateRows(c *check, r *rowAcc, table string, res Result) Result {
	if r == nil {
		r = &rowAcc{}
	}
	res.RowsEvaluated = r.n
	switch {
	case r.n == 0:
		return e.empty(c, res, table, 0)
	case r.nonNumeric:
		res.Message = fmt.Sprintf("column %q of table %q is not numeric; rows %q needs numbers: fail", c.column, table, rowsWord(c.rows))
		return res
	case r.nan > 0:
		res.Message = fmt.Sprintf("%d of %d rows of %s are NaN: fail", r.nan, r.n, c.column)
		return res
	}

	var decisive float64
	var rule, which string
	switch c.rows {
	case rowsAll:
		res.Passed = r.sat == r.n
		decisive, rule, which = r.worst, "all must be", "worst"
	case rowsAny:
		res.Passed = r.sat > 0
		decisive, rule, which = r.best, "at least one must be", "best"
	case rowsNone:
		res.Passed = r.sat == 0
		decisive, rule, which = r.best, "none may be", "closest"
	}
	if finite(decisive) {
		d := decisive
		res.Value = &d
	}
	verb := "are"
	if r.sat == 1 {
		verb = "is"
	}
	res.Message = fmt.Sprintf("%d of %d rows of %s %s %s; %s (%s %s)%s",
		r.sat, r.n, c.column, verb, c.cmp.words(c.unit), rule, which,
		withUnit(formatValue(decisive, c.cmp), c.unit), verdictWord(res.Passed))
	return res
}

// selectTable picks the table a check reads: the named one; else the only
// one; else "output". msg explains why none could be picked.
func selectTable(name string, tables []TableSchema) (t TableSchema, msg string) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Name
	}
	find := func(n string) (TableSchema, bool) {
		for _, t := range tables {
			if t.Name == n {
				return t, true
			}
		}
		return TableSchema{}, false
	}
	switch {
	case name != "":
		if t, ok := find(name); ok {
			return t, ""
		}
		if len(tables) == 0 {
			return t, fmt.Sprintf("table %q not found: the script returned no tables", name)
		}
		return t, fmt.Sprintf("table %q not found (tables: %s)", name, strings.Join(names, ", "))
	case len(tables) == 0:
		return t, "the script returned no tables"
	case len(tables) == 1:
		return tables[0], ""
	}
	if t, ok := find(defaultTable); ok {
		return t, ""
	}
	return t, fmt.Sprintf("%d result tables (%s) and none is named %q: set \"table\" to choose one", len(tables), strings.Join(names, ", "), defaultTable)
}
