package pxl

import (
	"strconv"
	"strings"
)

// execFuncs are px.equal, negate, atoi (with an optional default) and the
// functions describing the host a query runs on (_exec_hostname,
// _exec_host_num_cpus: the demo runs every query on its first node, a
// 4-CPU machine).
var execFuncs = []*scalarFunc{
	pxFunc("equal", 2, resolveCompare("==")),
	pxFunc("negate", 1, resolveNeg),
	{name: "atoi", minArgs: 1, maxArgs: 2, resolve: resolveAtoi},
	pxFunc("_exec_hostname", 0, func([]*expr) (DataType, SemanticType, evalFn, error) {
		return String, STNone, func(c *evalCtx, _ []value, _ int) value {
			return strsVal([]string{c.meta.execHost()}, true)
		}, nil
	}),
	pxFunc("_exec_host_num_cpus", 0, func([]*expr) (DataType, SemanticType, evalFn, error) {
		return Int64, STNone, func(*evalCtx, []value, int) value {
			return intsVal([]int64{execHostCPUs}, true)
		}, nil
	}),
}

// execHostCPUs is the number of CPUs of the host a demo query runs on.
const execHostCPUs = 4

// execHost is the node queries run on: the first pod's node.
func (m *Metadata) execHost() string {
	if pods := m.Pods(); len(pods) > 0 {
		return pods[0].Node
	}
	return ""
}

// resolveAtoi types px.atoi(s) and px.atoi(s, default): the INT64 in s,
// or the default (0 without one) when s is not an integer.
func resolveAtoi(args []*expr) (DataType, SemanticType, evalFn, error) {
	if args[0].typ != String || len(args) == 2 && args[1].typ != Int64 {
		return 0, 0, nil, noOverload("px.atoi", args)
	}
	return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		def, defScalar := []int64{0}, true
		if len(v) == 2 {
			def, defScalar = v[1].Ints, v[1].scalar
		}
		return intsVal(binaryOp(v[0].Strs, v[0].scalar, def, defScalar, n, func(s string, d int64) int64 {
			i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return d
			}
			return i
		}))
	}, nil
}
