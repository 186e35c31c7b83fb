package pxl

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/py"
)

// Expressions: Python-level evaluation, building column expressions and
// plan nodes as it goes.

func (in *interp) eval(e ast.Expr, sc *scope) any {
	pos := startPos(e)
	if in.steps++; in.steps > maxSteps {
		in.fail(pos, "the script is too complex to evaluate (more than %d steps)", maxSteps)
	}
	switch e := e.(type) {
	case *ast.Num:
		switch n := e.N.(type) {
		case py.Int:
			return int64(n)
		case py.Float:
			return float64(n)
		}
		in.fail(pos, "number %v is not supported (out of the int64 range, or complex)", e.N)
	case *ast.Str:
		return string(e.S)
	case *ast.NameConstant:
		switch e.Value {
		case py.True:
			return true
		case py.False:
			return false
		}
		return nil
	case *ast.Name:
		name := string(e.Id)
		if v, ok := sc.lookup(name); ok {
			return v
		}
		if b, ok := builtins[name]; ok {
			return b
		}
		in.fail(pos, "name '%s' is not defined", name)
	case *ast.Attribute:
		return in.getattr(in.eval(e.Value, sc), string(e.Attr), pos)
	case *ast.Subscript:
		obj := in.eval(e.Value, sc)
		idx, ok := e.Slice.(*ast.Index)
		if !ok {
			in.fail(pos, "slices are not supported in PxL")
		}
		return in.getitem(obj, in.eval(idx.Value, sc), pos, startPos(idx.Value))
	case *ast.Call:
		return in.evalCall(e, sc, pos)
	case *ast.BinOp:
		return in.binop(e.Op, in.eval(e.Left, sc), in.eval(e.Right, sc), pos)
	case *ast.UnaryOp:
		return in.unop(e.Op, in.eval(e.Operand, sc), pos)
	case *ast.BoolOp:
		return in.boolop(e, sc)
	case *ast.Compare:
		return in.compare(e, sc)
	case *ast.List:
		return in.evalList(e.Elts, false, sc)
	case *ast.Tuple:
		return in.evalList(e.Elts, true, sc)
	case *ast.Dict:
		return in.evalDict(e, sc)
	case *ast.IfExp:
		if in.truth(in.eval(e.Test, sc), startPos(e.Test)) {
			return in.eval(e.Body, sc)
		}
		return in.eval(e.Orelse, sc)
	default:
		in.fail(pos, "%s expressions are not supported in PxL", strings.TrimPrefix(fmt.Sprintf("%T", e), "*ast."))
	}
	return nil
}

// evalCall evaluates the function and the arguments of a call, then
// calls.
func (in *interp) evalCall(e *ast.Call, sc *scope, pos srcPos) any {
	fn := in.eval(e.Func, sc)
	ci := &callInfo{pos: pos}
	for _, a := range e.Args {
		ci.args = append(ci.args, in.eval(a, sc))
		ci.argPos = append(ci.argPos, startPos(a))
	}
	for _, k := range e.Keywords {
		ci.kws = append(ci.kws, kwarg{name: string(k.Arg), val: in.eval(k.Value, sc), pos: srcPos{k.Lineno, k.ColOffset}})
	}
	return in.call(fn, ci)
}

// evalList evaluates a list or tuple display.
func (in *interp) evalList(elts []ast.Expr, tuple bool, sc *scope) *pyList {
	l := &pyList{tuple: tuple}
	for _, x := range elts {
		l.elts = append(l.elts, in.eval(x, sc))
	}
	return l
}

// evalDict evaluates a dict display: string keys only, the last value of
// a repeated key wins (at the key's first place).
func (in *interp) evalDict(e *ast.Dict, sc *scope) *pyDict {
	d := &pyDict{vals: make(map[string]any)}
	for i, k := range e.Keys {
		kv, ok := in.eval(k, sc).(string)
		if !ok {
			in.fail(startPos(k), "dict keys must be strings in PxL")
		}
		if _, dup := d.vals[kv]; !dup {
			d.keys = append(d.keys, kv)
		}
		d.vals[kv] = in.eval(e.Values[i], sc)
	}
	return d
}
