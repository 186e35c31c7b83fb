package tolerance

import (
	"math"
	"strconv"
	"strings"
)

// formatExact formats v in the shortest form that reads back as v, without an
// exponent for everyday magnitudes: 300, 0.05, 1500000, 1e-07.
func formatExact(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if a := math.Abs(v); a == 0 || (a >= 1e-4 && a < 1e21) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// formatValue formats a computed value for a message: ten significant digits,
// so float noise such as 212.39999999999998 reads 212.4. When rounding would
// make the value look equal to a bound it differs from, it keeps every digit,
// so a message never says "300 ms, not at most 300 ms".
func formatValue(v float64, c comparison) string {
	if !finite(v) {
		return formatExact(v)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 10, 64), 64)
	for _, b := range []float64{c.x, c.lo, c.hi} {
		if r == b && v != b {
			return formatExact(v)
		}
	}
	return formatExact(r)
}

// unitWord is how a unit reads in a message.
func unitWord(u string) string {
	switch u {
	case "us":
		return "µs"
	case "m":
		return "min"
	}
	return u
}

// withUnit appends the unit to a formatted number: "212.4 ms".
func withUnit(s, unit string) string {
	if unit == "" {
		return s
	}
	return s + " " + unitWord(unit)
}

// aggWord names what a check computes, for messages: "p99", "p99.9 (exclusive)", "median".
func aggWord(c *check) string {
	switch c.agg {
	case aggPercentile:
		w := "p" + formatExact(c.pct)
		if c.exclusive {
			w += " (exclusive)"
		}
		return w
	case aggMedian:
		return "median"
	case aggMean:
		return "mean"
	case aggMin:
		return "min"
	case aggMax:
		return "max"
	case aggSum:
		return "sum"
	case aggCount:
		return "count"
	case aggFirst:
		return "first"
	case aggLast:
		return "last"
	}
	return ""
}

// subject is the expression's left-hand side: "p99(latency)", "percentile(latency, 99.9)", "count()".
func subject(c *check) string {
	var fn string
	switch {
	case c.rows != rowsOff:
		fn = rowsWord(c.rows)
	case c.agg == aggPercentile && c.shorthand != "":
		fn = c.shorthand
	case c.agg == aggPercentile:
		return "percentile(" + c.column + ", " + formatExact(c.pct) + ")"
	default:
		fn = aggWord(c)
	}
	return fn + "(" + c.column + ")"
}

// label is the generated name of a check without one, in the compact grammar
// where it can be: `p99(latency_p99) < 300ms`.
func label(c *check) string {
	var b strings.Builder
	if c.compat != "" {
		b.WriteString(c.compat + ": ")
	}
	b.WriteString(subject(c))
	b.WriteString(" ")
	if c.base != nil {
		b.WriteString(c.base.expr(c.unit))
	} else {
		b.WriteString(c.cmp.expr(c.unit))
	}
	if c.exclusive && c.compat == "" {
		b.WriteString(" (exclusive)")
	}
	if c.target != nil && c.target.key != "" {
		b.WriteString(" where " + c.target.key + " matches " + strconv.Quote(c.target.pattern))
	}
	if c.table != "" {
		b.WriteString(" in table " + strconv.Quote(c.table))
	}
	return b.String()
}

// rowsWord is the name of a row mode: "all", "any", "none".
func rowsWord(m rowMode) string {
	switch m {
	case rowsAll:
		return "all"
	case rowsAny:
		return "any"
	case rowsNone:
		return "none"
	}
	return ""
}
