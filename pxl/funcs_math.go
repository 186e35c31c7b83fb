package pxl

import "math"

// mathFuncs are px.floor, ceil, round and abs.
var mathFuncs = []*scalarFunc{
	rounding("floor", math.Floor),
	rounding("ceil", math.Ceil),
	rounding("round", math.Round),
	pxFunc("abs", 1, resolveAbs),
}

// rounding is px.name: INT64 from a FLOAT64 rounded by f (an INT64 stays
// as it is).
func rounding(name string, f func(float64) float64) *scalarFunc {
	return pxFunc(name, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		switch args[0].typ {
		case Int64:
			return Int64, normSem(args[0].sem), identity, nil
		case Float64:
			return Int64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
				return intsVal(unaryOp(v[0].Floats, v[0].scalar, n, func(x float64) int64 { return int64(f(x)) }))
			}, nil
		}
		return 0, 0, nil, noOverload("px."+name, args)
	})
}

func resolveAbs(args []*expr) (DataType, SemanticType, evalFn, error) {
	switch args[0].typ {
	case Int64:
		return Int64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].Ints, v[0].scalar, n, func(x int64) int64 { return max(x, -x) }))
		}, nil
	case Float64:
		return Float64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
			return floatsVal(unaryOp(v[0].Floats, v[0].scalar, n, math.Abs))
		}, nil
	}
	return 0, 0, nil, noOverload("px.abs", args)
}
