package tolerance

import (
	"math"
	"math/bits"
	"slices"
)

// colAcc accumulates one column of one table, after the target filter, for
// every aggregate check that reads it. Everything but the values themselves is
// accumulated incrementally; values are kept only when a check needs them
// (percentiles, median), as a []float64 in arrival order.
type colAcc struct {
	gen        int  // the Add call that last fed it, so a batch is fed once
	keep       bool // keep every value
	seen       int  // rows before the target filter
	n          int  // rows evaluated (after the filter)
	nonNumeric bool // the column is not numeric
	notText    bool // the target's key column is not text: Python's re.match raises
	nan        int  // NaN values among the n rows
	numeric    int  // non-NaN numeric values
	sum, comp  float64
	min, max   float64
	first      float64
	last       float64
	values     []float64 // non-NaN values, when keep
}

// add feeds the rows of b. column "" counts rows.
func (a *colAcc) add(b Batch, column string, t *target) {
	if column == "" {
		a.seen += b.Len()
		a.n += b.Len()
		return
	}
	var key Column
	if t != nil {
		if k, ok := b.Column(t.key); ok && k.Len() > 0 {
			if _, isNum := k.Number(0); isNum {
				a.notText = true
			}
			key = k
		}
	}
	col, ok := b.Column(column)
	if !ok {
		return // like the Python module: rows without the column are skipped
	}
	n := col.Len()
	a.seen += n
	if a.notText {
		return
	}
	if a.keep && !a.nonNumeric && cap(a.values)-len(a.values) < n {
		// Double rather than let append grow by 1.25x: far fewer copies of a
		// slice that can hold millions of values. (No floor: a small
		// result's first batch takes what it needs, not 8 KiB.)
		grown := make([]float64, len(a.values), max(2*cap(a.values), len(a.values)+n))
		copy(grown, a.values)
		a.values = grown
	}
	for i := 0; i < n; i++ {
		if key != nil && !t.re.MatchString(key.Text(i)) {
			continue
		}
		a.n++
		if a.nonNumeric {
			continue
		}
		v, ok := col.Number(i)
		if !ok {
			a.nonNumeric, a.values = true, nil
			continue
		}
		a.observe(v)
	}
}

// observe accumulates one numeric value; a.n already counts it.
func (a *colAcc) observe(v float64) {
	if a.n == 1 {
		a.first = v
	}
	a.last = v
	if math.IsNaN(v) {
		a.nan++
		return
	}
	if a.numeric == 0 {
		a.min, a.max = v, v
	} else {
		a.min, a.max = min(a.min, v), max(a.max, v)
	}
	a.numeric++
	// Neumaier's compensated sum keeps mean and sum accurate over millions of rows.
	t := a.sum + v
	if math.Abs(a.sum) >= math.Abs(v) {
		a.comp += (a.sum - t) + v
	} else {
		a.comp += (v - t) + a.sum
	}
	a.sum = t
	if a.keep {
		a.values = append(a.values, v)
	}
}

// total is the compensated sum; an infinite sum has no meaningful compensation.
func (a *colAcc) total() float64 {
	if math.IsInf(a.sum, 0) {
		return a.sum
	}
	return a.sum + a.comp
}

// rowAcc accumulates a row-wise check (rows: all|any|none) on one table.
type rowAcc struct {
	n          int // rows evaluated
	sat        int // rows satisfying the comparison
	nan        int
	nonNumeric bool
	has        bool    // worst and best are set
	worst      float64 // value, in the check's unit, least satisfying the comparison
	best       float64 // value most satisfying it
	worstBad   float64
	bestBad    float64
}

func (r *rowAcc) add(c *check, b Batch) {
	col, ok := b.Column(c.column)
	if !ok {
		return
	}
	n := col.Len()
	for i := 0; i < n; i++ {
		r.n++
		if r.nonNumeric {
			continue
		}
		v, ok := col.Number(i)
		if !ok {
			r.nonNumeric = true
			continue
		}
		v /= c.div
		if math.IsNaN(v) {
			r.nan++
			continue
		}
		if c.cmp.ok(v) {
			r.sat++
		}
		bad := c.cmp.badness(v)
		if !r.has || bad > r.worstBad {
			r.worst, r.worstBad = v, bad
		}
		if !r.has || bad < r.bestBad {
			r.best, r.bestBad = v, bad
		}
		r.has = true
	}
}

// The order statistics below reorder x (a permutation of the values) but need
// no sort: one selection is O(n). x holds no NaN. Values are converted to the
// unit one by one before interpolating, exactly as the Python module does.

// linearPercentile is numpy's default (method="linear") percentile p (0-100):
// virtual index h = (n-1)*(p/100), interpolated between its neighbours with
// numpy's two-sided lerp.
func linearPercentile(x []float64, p, div float64) float64 {
	h := float64(len(x)-1) * (p / 100)
	lo := int(math.Floor(h))
	t := h - float64(lo)
	a, b := orderPair(x, lo)
	a, b = a/div, b/div
	if t == 0 || a == b {
		return a
	}
	d := b - a
	if t >= 0.5 {
		return b - float64(d*(1-t))
	}
	return a + float64(d*t)
}

// exclusivePercentile is element p-1 of Python's statistics.quantiles(x, n=100)
// (method "exclusive"), p an integer 1..99, len(x) >= 2.
func exclusivePercentile(x []float64, p int, div float64) float64 {
	l := len(x)
	m := l + 1
	j := min(max(p*m/100, 1), l-1)
	delta := p*m - j*100
	a, b := orderPair(x, j-1)
	a, b = a/div, b/div
	// The conversions stop the compiler from fusing into FMA, which would round
	// differently from Python.
	return (float64(a*float64(100-delta)) + float64(b*float64(delta))) / 100
}

// median is Python's statistics.median: the middle value, or the mean of the
// two middle values for an even count.
func median(x []float64, div float64) float64 {
	n := len(x)
	if n%2 == 1 {
		selectK(x, n/2)
		return x[n/2] / div
	}
	a, b := orderPair(x, n/2-1)
	return (a/div + b/div) / 2
}

// orderPair returns the k-th and (k+1)-th smallest values (0-based) of x; the
// second is the first when k is the last index.
func orderPair(x []float64, k int) (float64, float64) {
	selectK(x, k)
	if k+1 >= len(x) {
		return x[k], x[k]
	}
	return x[k], slices.Min(x[k+1:])
}

// selectK reorders x so that x[k] is the k-th smallest value, with no larger
// value before it and no smaller one after it (quickselect, median-of-three
// pivot, falling back to a sort when the partitions go badly).
func selectK(x []float64, k int) {
	lo, hi := 0, len(x)-1
	budget := 2*bits.Len(uint(len(x))) + 8
	for hi > lo {
		if hi-lo < 16 || budget == 0 {
			slices.Sort(x[lo : hi+1])
			return
		}
		budget--
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		pivot := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < pivot {
				i++
			}
			for x[j] > pivot {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		// Now x[lo..j] <= pivot <= x[i..hi], and x[j+1..i-1] == pivot.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}
