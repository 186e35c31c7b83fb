package pxl

// timeFuncs are px.now, bin, time_to_int64 and int64_to_time.
var timeFuncs = []*scalarFunc{
	pxFunc("now", 0, func([]*expr) (DataType, SemanticType, evalFn, error) {
		return Time64, STNone, func(c *evalCtx, _ []value, _ int) value {
			return timeVal([]int64{c.now}, true)
		}, nil
	}),
	pxFunc("bin", 2, resolveBin),
	typed("time_to_int64", sig(Time64), Int64, STNone, func(_ *evalCtx, v []value, _ int) value {
		return intsVal(v[0].Ints, v[0].scalar)
	}),
	typed("int64_to_time", sig(Int64), Time64, STNone, func(_ *evalCtx, v []value, _ int) value {
		return timeVal(v[0].Ints, v[0].scalar)
	}),
}

// resolveBin types px.bin(x, size): x (INT64 or TIME64NS) rounded down to
// a multiple of size; a size <= 0 leaves x as it is.
func resolveBin(args []*expr) (DataType, SemanticType, evalFn, error) {
	t := args[0].typ
	if (t != Int64 && t != Time64) || args[1].typ != Int64 {
		return 0, 0, nil, noOverload("px.bin", args)
	}
	return t, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
		return typedInts(t)(binaryOp(v[0].Ints, v[0].scalar, v[1].Ints, v[1].scalar, n, func(x, size int64) int64 {
			if size <= 0 {
				return x
			}
			return floorDiv(x, size) * size
		}))
	}, nil
}
