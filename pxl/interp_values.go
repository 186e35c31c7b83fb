package pxl

import (
	"fmt"

	"github.com/go-python/gpython/ast"
)

// Python-level values of the interpreter (Go types):
//
//	int64, float64, string, bool, nil (None)  Python scalars
//	*pyList      list or tuple
//	*pyDict      dict with string keys
//	*pyFunc      a def
//	*dataFrame   a DataFrame (a plan node)
//	*groupBy     the result of df.groupby(...)
//	*ctxObj      df.ctx
//	*expr        a column expression or typed constant
//	*pxModule, *builtinFn, *method, *pxType, *aggRef, *scalarRef

type pyList struct {
	elts  []any
	tuple bool
}

type pyDict struct {
	keys []string
	vals map[string]any
}

type pyFunc struct {
	def      *ast.FunctionDef
	closure  *scope
	defaults []any  // for the last len(defaults) parameters
	probe    string // @pxtrace.probe(symbol): the traced symbol
}

type dataFrame struct{ node *node }

type groupBy struct {
	node *node
	keys []string
}

type ctxObj struct{ df *dataFrame }

type pxModule struct{}

type builtinFn struct {
	name string
	fn   func(in *interp, ci *callInfo) any
}

type method struct {
	recv any
	name string
}

type pxType struct{ name string }

type aggRef struct{ fn *aggFunc }

type scalarRef struct{ fn *scalarFunc }

func typeDesc(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case bool:
		return "bool"
	case *pyList:
		if v.tuple {
			return "tuple"
		}
		return "list"
	case *pyDict:
		return "dict"
	case *pyFunc:
		return "function"
	case *dataFrame:
		return "DataFrame"
	case *groupBy:
		return "GroupBy"
	case *ctxObj:
		return "ctx"
	case *expr:
		if v.isLit() {
			return typeName(v.typ) + " constant"
		}
		return "column expression (" + typeName(v.typ) + ")"
	case *pxModule:
		return "module px"
	case *traceModule:
		return "module pxtrace"
	case *traceField:
		return "pxtrace field"
	case *probeDecorator:
		return "pxtrace.probe decorator"
	case *traceProgram:
		return "pxtrace.TraceProgram"
	case TraceTarget:
		return "tracepoint target"
	case *libModule:
		return "module " + v.name
	case *builtinFn:
		return "function " + v.name
	case *method:
		return "method " + v.name
	case *pxType:
		return "px." + v.name
	case *aggRef:
		return "aggregate px." + v.fn.name
	case *scalarRef:
		return "function px." + v.fn.name
	}
	return fmt.Sprintf("%T", v)
}

func (in *interp) truth(v any, pos srcPos) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case *pyList:
		return len(v.elts) > 0
	case *pyDict:
		return len(v.keys) > 0
	case *expr:
		if v.isLit() && v.typ == Boolean {
			return v.lit.Bools[0]
		}
		in.fail(pos, "a %s has no truth value at compile time: use it in a filter or px.select", typeDesc(v))
	case *dataFrame:
		in.fail(pos, "a DataFrame has no truth value")
	}
	return true
}

// toExpr converts a value used in a column expression.
func (in *interp) toExpr(v any, pos srcPos) *expr {
	switch v := v.(type) {
	case *expr:
		return v
	case int64:
		return intLit(pos, v, STNone)
	case float64:
		return floatLit(pos, v)
	case string:
		return strLit(pos, v)
	case bool:
		return boolLit(pos, v)
	}
	in.fail(pos, "expected a column expression or a constant, got %s", typeDesc(v))
	return nil
}

func isPyNum(v any) bool {
	switch v.(type) {
	case int64, float64, bool:
		return true
	}
	return false
}

func pyFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

func pyInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func pyEqual(a, b any) bool {
	if isPyNum(a) && isPyNum(b) {
		return pyFloat(a) == pyFloat(b)
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	case *pyList:
		y, ok := b.(*pyList)
		if !ok || len(x.elts) != len(y.elts) {
			return false
		}
		for i := range x.elts {
			if !pyEqual(x.elts[i], y.elts[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func (in *interp) stringList(v any, pos srcPos, what string) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case *pyList:
		out := make([]string, len(v.elts))
		for i, x := range v.elts {
			s, ok := x.(string)
			if !ok {
				in.fail(pos, "%s must hold strings, got %s", what, typeDesc(x))
			}
			out[i] = s
		}
		return out
	}
	in.fail(pos, "%s must be a string or a list of strings, got %s", what, typeDesc(v))
	return nil
}
