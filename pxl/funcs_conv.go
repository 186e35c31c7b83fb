package pxl

import (
	"strconv"
)

// conversionFuncs are the semantic-type casts px.DurationNanos, Percent
// and Bytes, and px.itoa (px.atoi is in funcs_exec.go).
var conversionFuncs = []*scalarFunc{
	semCast("DurationNanos", STDurationNS, Int64, Float64),
	semCast("Percent", STPercent, Int64, Float64),
	semCast("Bytes", STBytes, Int64, Float64),
	typed("itoa", sig(Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(unaryOp(v[0].Ints, v[0].scalar, n, func(i int64) string { return strconv.FormatInt(i, 10) }))
	}),
}

// semCast is px.name: its argument, of one of the types in, unchanged but
// for the semantic type sem.
func semCast(name string, sem SemanticType, in ...DataType) *scalarFunc {
	return pxFunc(name, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		for _, t := range in {
			if args[0].typ == t {
				return t, sem, identity, nil
			}
		}
		return 0, 0, nil, noOverload("px."+name, args)
	})
}
