package tolerance

import (
	"fmt"
	"math"
)

type op int

const (
	opBelow op = iota + 1
	opAbove
	opAtMost
	opAtLeast
	opBetween
	opEquals
)

// opNames are the comparisons' names, as a Spec's fields and a Target
// give them; opSymbols their operators in the compact grammar.
var (
	opNames   = [...]string{opBelow: "below", opAbove: "above", opAtMost: "at_most", opAtLeast: "at_least", opBetween: "between", opEquals: "equals"}
	opSymbols = [...]string{opBelow: "<", opAbove: ">", opAtMost: "<=", opAtLeast: ">=", opBetween: "in", opEquals: "=="}
)

// comparison is the test a value (or each row) must pass.
type comparison struct {
	op     op
	x      float64 // all but between
	lo, hi float64 // between
	// derived thresholds (from a baseline) read rounded in messages.
	derived bool
}

// compileComparison requires exactly one comparison field of sp.
func compileComparison(sp Spec) (comparison, error) {
	var found []string
	var c comparison
	one := func(name string, p *float64, o op) {
		if p != nil {
			found = append(found, name)
			c = comparison{op: o, x: *p}
		}
	}
	one("below", sp.Below, opBelow)
	one("above", sp.Above, opAbove)
	one("at_most", sp.AtMost, opAtMost)
	one("at_least", sp.AtLeast, opAtLeast)
	if sp.Between != nil {
		found = append(found, "between")
		if len(sp.Between) != 2 {
			return c, fmt.Errorf("between needs [lo, hi], got %d numbers", len(sp.Between))
		}
		c = comparison{op: opBetween, lo: sp.Between[0], hi: sp.Between[1]}
	}
	one("equals", sp.Equals, opEquals)
	switch len(found) {
	case 0:
		return c, fmt.Errorf("no comparison (set one of below, above, at_most, at_least, between, equals)")
	case 1:
	default:
		return c, fmt.Errorf("more than one comparison (%s); set exactly one", quoteList(found))
	}
	if c.op == opBetween {
		if !finite(c.lo) || !finite(c.hi) {
			return c, fmt.Errorf("between bounds must be finite numbers")
		}
		if c.lo > c.hi {
			return c, fmt.Errorf("between [%s, %s]: lo must be <= hi", formatExact(c.lo), formatExact(c.hi))
		}
	} else if !finite(c.x) {
		return c, fmt.Errorf("%s must be a finite number", found[0])
	}
	return c, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ok reports whether v passes the comparison. NaN never passes.
func (c comparison) ok(v float64) bool {
	switch c.op {
	case opBelow:
		return v < c.x
	case opAbove:
		return v > c.x
	case opAtMost:
		return v <= c.x
	case opAtLeast:
		return v >= c.x
	case opBetween:
		return v >= c.lo && v <= c.hi
	case opEquals:
		return v == c.x
	}
	return false
}

// badness orders values from most to least satisfying the comparison: the
// lower, the better. Row-wise checks report the row with the highest (all,
// none... see rowAcc) or lowest badness.
func (c comparison) badness(v float64) float64 {
	switch c.op {
	case opBelow, opAtMost:
		return v
	case opAbove, opAtLeast:
		return -v
	case opBetween:
		return math.Max(c.lo-v, v-c.hi)
	default: // opEquals
		return math.Abs(v - c.x)
	}
}

// threshold is the comparison's bound as reported in Result.Threshold.
func (c comparison) threshold() any {
	if c.op == opBetween {
		return []float64{c.lo, c.hi}
	}
	return c.x
}

// words describes the comparison for messages: "at most 300 ms".
func (c comparison) words(unit string) string {
	formatExact := formatExact
	if c.derived {
		formatExact = func(v float64) string { return formatValue(v, comparison{}) }
	}
	u := ""
	if unit != "" {
		u = " " + unitWord(unit)
	}
	switch c.op {
	case opBelow:
		return "below " + formatExact(c.x) + u
	case opAbove:
		return "above " + formatExact(c.x) + u
	case opAtMost:
		return "at most " + formatExact(c.x) + u
	case opAtLeast:
		return "at least " + formatExact(c.x) + u
	case opBetween:
		return "between " + formatExact(c.lo) + " and " + formatExact(c.hi) + u
	default:
		return "equal to " + formatExact(c.x) + u
	}
}

// expr renders the comparison in the compact grammar: "< 300ms", "in [1s, 2s]".
func (c comparison) expr(unit string) string {
	n := func(v float64) string { return formatExact(v) + unit }
	if c.op == opBetween {
		return "in [" + n(c.lo) + ", " + n(c.hi) + "]"
	}
	return opSymbols[c.op] + " " + n(c.x)
}
