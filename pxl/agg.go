package pxl

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// aggFunc is an aggregate (px.count, px.sum, ...).
type aggFunc struct {
	name    string
	resolve func(in ColumnInfo) (DataType, SemanticType, error)
	// run aggregates in over groups: gids[i] is row i's group, first[g]
	// the first row of group g, ng the number of groups.
	run func(in *Vector, gids []int32, first []int32, ng int) Vector
}

var pxAggs = map[string]*aggFunc{}

func init() {
	for _, f := range []*aggFunc{
		{name: "count", resolve: func(ColumnInfo) (DataType, SemanticType, error) { return Int64, STNone, nil }, run: aggCount},
		{name: "sum", resolve: resolveSum, run: aggSum},
		{name: "mean", resolve: resolveMean, run: aggMean},
		{name: "min", resolve: resolveMinMax("min"), run: aggMinMax(false)},
		{name: "max", resolve: resolveMinMax("max"), run: aggMinMax(true)},
		{name: "quantiles", resolve: resolveQuantiles, run: aggQuantiles},
		{name: "any", resolve: func(c ColumnInfo) (DataType, SemanticType, error) { return c.Type, normSem(c.Semantic), nil }, run: aggAny},
	} {
		pxAggs[f.name] = f
	}
}

func badAggType(name string, c ColumnInfo) error {
	return fmt.Errorf("px.%s cannot aggregate column '%s' of type %s", name, c.Name, typeName(c.Type))
}

func resolveSum(c ColumnInfo) (DataType, SemanticType, error) {
	switch c.Type {
	case Int64, Float64:
		return c.Type, normSem(c.Semantic), nil
	case Boolean:
		return Int64, STNone, nil
	}
	return 0, 0, badAggType("sum", c)
}

func resolveMean(c ColumnInfo) (DataType, SemanticType, error) {
	switch c.Type {
	case Int64, Float64:
		return Float64, normSem(c.Semantic), nil
	case Boolean:
		return Float64, STNone, nil
	}
	return 0, 0, badAggType("mean", c)
}

func resolveMinMax(name string) func(c ColumnInfo) (DataType, SemanticType, error) {
	return func(c ColumnInfo) (DataType, SemanticType, error) {
		switch c.Type {
		case Int64, Float64, Time64, String:
			return c.Type, normSem(c.Semantic), nil
		}
		return 0, 0, badAggType(name, c)
	}
}

func resolveQuantiles(c ColumnInfo) (DataType, SemanticType, error) {
	switch c.Type {
	case Int64, Float64:
		if c.Semantic == STDurationNS {
			return String, STDurationQuantiles, nil
		}
		return String, STQuantiles, nil
	}
	return 0, 0, badAggType("quantiles", c)
}

func aggCount(_ *Vector, gids []int32, _ []int32, ng int) Vector {
	out := make([]int64, ng)
	for _, g := range gids {
		out[g]++
	}
	return Vector{Type: Int64, Ints: out}
}

func aggSum(in *Vector, gids []int32, _ []int32, ng int) Vector {
	switch in.Type {
	case Float64:
		out := make([]float64, ng)
		for i, g := range gids {
			out[g] += in.Floats[i]
		}
		return Vector{Type: Float64, Floats: out}
	case Boolean:
		out := make([]int64, ng)
		for i, g := range gids {
			if in.Bools[i] {
				out[g]++
			}
		}
		return Vector{Type: Int64, Ints: out}
	}
	out := make([]int64, ng)
	for i, g := range gids {
		out[g] += in.Ints[i]
	}
	return Vector{Type: Int64, Ints: out}
}

func aggMean(in *Vector, gids []int32, _ []int32, ng int) Vector {
	sum := make([]float64, ng)
	cnt := make([]int64, ng)
	switch in.Type {
	case Float64:
		for i, g := range gids {
			sum[g] += in.Floats[i]
			cnt[g]++
		}
	case Boolean:
		for i, g := range gids {
			if in.Bools[i] {
				sum[g]++
			}
			cnt[g]++
		}
	default:
		for i, g := range gids {
			sum[g] += float64(in.Ints[i])
			cnt[g]++
		}
	}
	for g := range sum {
		if cnt[g] > 0 {
			sum[g] /= float64(cnt[g])
		}
	}
	return Vector{Type: Float64, Floats: sum}
}

func minMax[T ordered](in []T, gids []int32, first []int32, ng int, isMax bool) []T {
	out := make([]T, ng)
	for g, r := range first {
		if r >= 0 {
			out[g] = in[r]
		}
	}
	for i, g := range gids {
		v := in[i]
		if isMax {
			if v > out[g] {
				out[g] = v
			}
		} else if v < out[g] {
			out[g] = v
		}
	}
	return out
}

func aggMinMax(isMax bool) func(in *Vector, gids []int32, first []int32, ng int) Vector {
	return func(in *Vector, gids []int32, first []int32, ng int) Vector {
		out := Vector{Type: in.Type}
		switch in.Type {
		case Float64:
			out.Floats = minMax(in.Floats, gids, first, ng, isMax)
		case String:
			out.Strs = minMax(in.Strs, gids, first, ng, isMax)
		default:
			out.Ints = minMax(in.Ints, gids, first, ng, isMax)
		}
		return out
	}
}

func aggAny(in *Vector, _ []int32, first []int32, _ int) Vector {
	return in.gather(first)
}

// quantileKeys are the keys of px.quantiles' JSON, with their fractions.
var quantileKeys = []struct {
	key string
	q   float64
}{{"p01", 0.01}, {"p10", 0.10}, {"p25", 0.25}, {"p50", 0.50}, {"p75", 0.75}, {"p90", 0.90}, {"p99", 0.99}}

// aggQuantiles computes exact quantiles (linear interpolation between the
// closest ranks) of each group, as the JSON Pixie's t-digest estimates
// fill: {"p01":...,"p10":...,"p25":...,"p50":...,"p75":...,"p90":...,"p99":...}.
func aggQuantiles(in *Vector, gids []int32, _ []int32, ng int) Vector {
	off := make([]int, ng+1)
	for _, g := range gids {
		off[g+1]++
	}
	for g := 1; g <= ng; g++ {
		off[g] += off[g-1]
	}
	buf := make([]float64, len(gids))
	pos := slices.Clone(off[:ng])
	if in.Type == Float64 {
		for i, g := range gids {
			buf[pos[g]] = in.Floats[i]
			pos[g]++
		}
	} else {
		for i, g := range gids {
			buf[pos[g]] = float64(in.Ints[i])
			pos[g]++
		}
	}
	out := make([]string, ng)
	var b []byte
	for g := range ng {
		seg := buf[off[g]:off[g+1]]
		slices.Sort(seg)
		b = append(b[:0], '{')
		for k, qk := range quantileKeys {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, qk.key...)
			b = append(b, '"', ':')
			b = appendJSONFloat(b, quantile(seg, qk.q))
		}
		b = append(b, '}')
		out[g] = string(b)
	}
	return Vector{Type: String, Strs: out}
}

// quantile of sorted values, interpolating linearly between closest ranks.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	h := q * float64(n-1)
	lo := int(h)
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// appendJSONFloat formats f as JSON does (NaN and infinities as 0).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// groupIDs assigns each of n rows a dense group id by the values of keys,
// numbering groups in order of first appearance; first[g] is the first
// row of group g. With no keys every row is in group 0 and there is
// always one group.
func groupIDs(keys []*Vector, n int) (gids []int32, first []int32) {
	if len(keys) == 0 {
		gids = make([]int32, n)
		first = []int32{-1}
		if n > 0 {
			first[0] = 0
		}
		return gids, first
	}
	gids, first = denseCodes(keys[0], n)
	for _, k := range keys[1:] {
		codes, _ := denseCodes(k, n)
		m := make(map[uint64]int32, len(first))
		first = first[:0]
		for i := range gids {
			key := uint64(gids[i])<<32 | uint64(uint32(codes[i]))
			id, ok := m[key]
			if !ok {
				id = int32(len(m))
				m[key] = id
				first = append(first, int32(i))
			}
			gids[i] = id
		}
	}
	return gids, first
}

// denseCodes numbers the distinct values of v in order of first appearance.
func denseCodes(v *Vector, n int) (codes []int32, first []int32) {
	codes = make([]int32, n)
	switch v.Type {
	case Int64, Time64:
		first = codesOf(v.Ints, codes)
	case Float64:
		bits := make([]uint64, n)
		for i, f := range v.Floats {
			bits[i] = math.Float64bits(f)
		}
		first = codesOf(bits, codes)
	case String:
		first = codesOf(v.Strs, codes)
	case UInt128:
		first = codesOf(v.U128s, codes)
	case Boolean:
		first = codesOf(v.Bools, codes)
	}
	return codes, first
}

func codesOf[T comparable](vals []T, codes []int32) []int32 {
	m := make(map[T]int32)
	var first []int32
	var last T
	lastID := int32(-1)
	for i, x := range vals {
		if lastID >= 0 && x == last {
			codes[i] = lastID
			continue
		}
		id, ok := m[x]
		if !ok {
			id = int32(len(m))
			m[x] = id
			first = append(first, int32(i))
		}
		codes[i] = id
		last, lastID = x, id
	}
	return first
}
