package pxl

import (
	"fmt"
	"strings"
)

// The row-wise functions of PxL: the operators (funcs_ops.go) and the px.*
// functions, declared as one table per family: math, time, conversions,
// strings, JSON and Kubernetes metadata (funcs_<family>.go).

// scalarFunc is a row-wise function: an operator or a px.* function.
type scalarFunc struct {
	name             string
	op               bool // an operator: name is its symbol
	minArgs, maxArgs int
	// resolve types a call from its (typed) arguments and returns the
	// implementation for those types.
	resolve resolver
}

// resolver types a call of a scalarFunc from its arguments: the result's
// data and semantic types and the implementation, or why no overload fits.
type resolver func(args []*expr) (DataType, SemanticType, evalFn, error)

func (f *scalarFunc) display() string {
	if f.op {
		return "operator '" + f.name + "'"
	}
	return "px." + f.name
}

// pxScalars are the px.* row-wise functions, by name.
var pxScalars = scalarIndex(mathFuncs, timeFuncs, conversionFuncs, condFuncs, stringFuncs, jsonFuncs, metadataFuncs, protocolFuncs, execFuncs)

// scalarIndex indexes the family tables by name.
func scalarIndex(families ...[]*scalarFunc) map[string]*scalarFunc {
	m := map[string]*scalarFunc{}
	for _, family := range families {
		for _, f := range family {
			if m[f.name] != nil {
				panic("pxl: px." + f.name + " is declared twice")
			}
			m[f.name] = f
		}
	}
	return m
}

// pxFunc is the px.* function name taking n arguments, typed by r.
func pxFunc(name string, n int, r resolver) *scalarFunc {
	return &scalarFunc{name: name, minArgs: n, maxArgs: n, resolve: r}
}

// typed is the px.* function name with a single signature: arguments of
// the types in, a result of type out with semantic type sem, computed by
// eval.
func typed(name string, in []DataType, out DataType, sem SemanticType, eval evalFn) *scalarFunc {
	return pxFunc(name, len(in), func(args []*expr) (DataType, SemanticType, evalFn, error) {
		for i, t := range in {
			if args[i].typ != t {
				return 0, 0, nil, noOverload("px."+name, args)
			}
		}
		return out, sem, eval, nil
	})
}

// sig lists argument types, for typed.
func sig(in ...DataType) []DataType { return in }

// identity is the implementation of a function that only changes its
// argument's semantic type.
func identity(_ *evalCtx, v []value, _ int) value { return v[0] }

func argTypes(args []*expr) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = typeName(a.typ)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func noOverload(name string, args []*expr) error {
	return fmt.Errorf("no overload of %s for argument types %s", name, argTypes(args))
}

// maxStringValue bounds one string a function builds.
const maxStringValue = 1 << 20

func normSem(s SemanticType) SemanticType {
	if s == stUnspecifiedSemType {
		return STNone
	}
	return s
}
