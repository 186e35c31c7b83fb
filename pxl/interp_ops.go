package pxl

import (
	"math"
	"strings"

	"github.com/go-python/gpython/ast"
)

// Operators on Python values, and on column expressions (which become
// calls of the operators of funcs_ops.go).

func (in *interp) call2(fn *scalarFunc, a, b any, pos srcPos) *expr {
	e, err := newCall(in.ec, pos, fn, []*expr{in.toExpr(a, pos), in.toExpr(b, pos)})
	return in.must(e, err, pos)
}

var opFuncs = map[ast.OperatorNumber]*scalarFunc{
	ast.Add: opAdd, ast.Sub: opSub, ast.Mult: opMul, ast.Div: opDiv, ast.Modulo: opMod, ast.FloorDiv: opFlr,
}

func (in *interp) binop(op ast.OperatorNumber, a, b any, pos srcPos) any {
	_, ea := a.(*expr)
	_, eb := b.(*expr)
	if ea || eb {
		fn, ok := opFuncs[op]
		if !ok {
			in.fail(pos, "operator %v is not supported on columns", op)
		}
		return in.call2(fn, a, b, pos)
	}
	if isPyNum(a) && isPyNum(b) {
		if (op == ast.Div || op == ast.FloorDiv || op == ast.Modulo) && pyFloat(b) == 0 {
			in.fail(pos, "division by zero")
		}
		ia, aInt := pyInt(a)
		ib, bInt := pyInt(b)
		if aInt && bInt {
			if v, ok := pyIntArith(op, ia, ib); ok {
				return v
			}
		} else if v, ok := pyFloatArith(op, pyFloat(a), pyFloat(b)); ok {
			return v
		}
	}
	if op == ast.Add {
		if sa, ok := a.(string); ok {
			if sb, ok := b.(string); ok {
				if len(sa)+len(sb) > maxPyString {
					in.fail(pos, "string longer than %d bytes", maxPyString)
				}
				return sa + sb
			}
		}
		if la, ok := a.(*pyList); ok {
			if lb, ok := b.(*pyList); ok && la.tuple == lb.tuple {
				if len(la.elts)+len(lb.elts) > maxPyList {
					in.fail(pos, "list longer than %d elements", maxPyList)
				}
				return &pyList{elts: append(append([]any(nil), la.elts...), lb.elts...), tuple: la.tuple}
			}
		}
	}
	in.fail(pos, "unsupported operand types for %s: %s and %s", opSymbol(op), typeDesc(a), typeDesc(b))
	return nil
}

// pyIntArith is ia op ib on Python ints (/ gives a float, ** a float when
// the int would overflow); false for an operator ints do not have. The
// divisor is not 0.
func pyIntArith(op ast.OperatorNumber, ia, ib int64) (any, bool) {
	switch op {
	case ast.Add:
		return ia + ib, true
	case ast.Sub:
		return ia - ib, true
	case ast.Mult:
		return ia * ib, true
	case ast.Div:
		return float64(ia) / float64(ib), true
	case ast.FloorDiv:
		return floorDiv(ia, ib), true
	case ast.Modulo:
		return ia - floorDiv(ia, ib)*ib, true
	case ast.Pow:
		if ib >= 0 {
			r := math.Pow(float64(ia), float64(ib))
			if math.Abs(r) < 1<<62 {
				return int64(r), true
			}
		}
		return math.Pow(float64(ia), float64(ib)), true
	}
	return nil, false
}

// pyFloatArith is fa op fb on Python floats (or a float and an int); false
// for an operator floats do not have. The divisor is not 0.
func pyFloatArith(op ast.OperatorNumber, fa, fb float64) (any, bool) {
	switch op {
	case ast.Add:
		return fa + fb, true
	case ast.Sub:
		return fa - fb, true
	case ast.Mult:
		return fa * fb, true
	case ast.Div:
		return fa / fb, true
	case ast.FloorDiv:
		return math.Floor(fa / fb), true
	case ast.Modulo:
		return fa - math.Floor(fa/fb)*fb, true
	case ast.Pow:
		return math.Pow(fa, fb), true
	}
	return nil, false
}

func opSymbol(op ast.OperatorNumber) string {
	switch op {
	case ast.Add:
		return "+"
	case ast.Sub:
		return "-"
	case ast.Mult:
		return "*"
	case ast.Div:
		return "/"
	case ast.FloorDiv:
		return "//"
	case ast.Modulo:
		return "%"
	case ast.Pow:
		return "**"
	}
	return op.String()
}

func (in *interp) unop(op ast.UnaryOpNumber, v any, pos srcPos) any {
	if e, ok := v.(*expr); ok {
		switch op {
		case ast.Not:
			r, err := newCall(in.ec, pos, opNot, []*expr{e})
			return in.must(r, err, pos)
		case ast.USub:
			r, err := newCall(in.ec, pos, opNeg, []*expr{e})
			return in.must(r, err, pos)
		case ast.UAdd:
			return e
		}
		in.fail(pos, "operator ~ is not supported on columns")
	}
	switch op {
	case ast.Not:
		return !in.truth(v, pos)
	case ast.USub:
		switch x := v.(type) {
		case int64:
			return -x
		case float64:
			return -x
		case bool:
			i, _ := pyInt(x)
			return -i
		}
	case ast.UAdd:
		if isPyNum(v) {
			return v
		}
	case ast.Invert:
		if i, ok := pyInt(v); ok {
			return ^i
		}
	}
	in.fail(pos, "bad operand type for unary operator: %s", typeDesc(v))
	return nil
}

// boolop evaluates and/or: Python semantics on Python values, element-wise
// logic once a column expression is involved (constants are folded).
func (in *interp) boolop(e *ast.BoolOp, sc *scope) any {
	isAnd := e.Op == ast.And
	acc := in.eval(e.Values[0], sc)
	for _, x := range e.Values[1:] {
		pos := startPos(x)
		if ae, ok := acc.(*expr); ok {
			b := in.eval(x, sc)
			if bv, ok := b.(bool); ok {
				if ae.typ != Boolean {
					in.fail(startPos(e), "'and'/'or' need BOOLEAN operands, got %s", typeName(ae.typ))
				}
				// x and True == x; x and False == False; x or False == x; x or True == True.
				if bv != isAnd {
					acc = boolLit(pos, bv)
				}
				continue
			}
			if _, ok := b.(*expr); !ok {
				in.fail(pos, "cannot combine a column expression with %s in 'and'/'or'", typeDesc(b))
			}
			fn := opOr
			if isAnd {
				fn = opAnd
			}
			acc = in.call2(fn, acc, b, startPos(e))
			continue
		}
		// acc is a Python value: short-circuit.
		if in.truth(acc, pos) != isAnd {
			return acc
		}
		acc = in.eval(x, sc)
	}
	return acc
}

var cmpFuncs = map[ast.CmpOp]*scalarFunc{
	ast.Eq: opEq, ast.NotEq: opNe, ast.Lt: opLt, ast.LtE: opLe, ast.Gt: opGt, ast.GtE: opGe,
}

func (in *interp) compare(e *ast.Compare, sc *scope) any {
	left := in.eval(e.Left, sc)
	var acc any
	for i, op := range e.Ops {
		right := in.eval(e.Comparators[i], sc)
		pos := startPos(e)
		var r any
		_, el := left.(*expr)
		_, er := right.(*expr)
		if el || er {
			fn, ok := cmpFuncs[op]
			if !ok {
				in.fail(pos, "operator %v is not supported on columns", op)
			}
			r = in.call2(fn, left, right, pos)
		} else {
			r = in.pyCompare(op, left, right, pos)
		}
		if acc == nil {
			acc = r
		} else {
			acc = in.andValues(acc, r, pos)
		}
		left = right
	}
	return acc
}

func (in *interp) andValues(a, b any, pos srcPos) any {
	if ab, ok := a.(bool); ok {
		if !ab {
			return false
		}
		return b
	}
	if bb, ok := b.(bool); ok {
		if bb {
			return a
		}
		return false
	}
	return in.call2(opAnd, a, b, pos)
}

func (in *interp) pyCompare(op ast.CmpOp, a, b any, pos srcPos) bool {
	switch op {
	case ast.Is, ast.IsNot:
		same := a == nil && b == nil
		if a != nil && b != nil {
			same = pyEqual(a, b)
		}
		return same == (op == ast.Is)
	case ast.In, ast.NotIn:
		found := false
		switch c := b.(type) {
		case *pyList:
			for _, x := range c.elts {
				if pyEqual(a, x) {
					found = true
				}
			}
		case *pyDict:
			if k, ok := a.(string); ok {
				_, found = c.vals[k]
			}
		case string:
			s, ok := a.(string)
			if !ok {
				in.fail(pos, "'in <string>' requires a string on the left, not %s", typeDesc(a))
			}
			found = strings.Contains(c, s)
		default:
			in.fail(pos, "argument of type %s is not iterable", typeDesc(b))
		}
		return found == (op == ast.In)
	case ast.Eq:
		return pyEqual(a, b)
	case ast.NotEq:
		return !pyEqual(a, b)
	}
	var c int
	switch {
	case isPyNum(a) && isPyNum(b):
		fa, fb := pyFloat(a), pyFloat(b)
		switch {
		case fa < fb:
			c = -1
		case fa > fb:
			c = 1
		}
	default:
		sa, oka := a.(string)
		sb, okb := b.(string)
		if !oka || !okb {
			in.fail(pos, "cannot order %s and %s", typeDesc(a), typeDesc(b))
		}
		c = strings.Compare(sa, sb)
	}
	switch op {
	case ast.Lt:
		return c < 0
	case ast.LtE:
		return c <= 0
	case ast.Gt:
		return c > 0
	}
	return c >= 0
}
