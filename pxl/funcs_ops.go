package pxl

import (
	"fmt"
	"math"
)

// The operators of column expressions, and px.select.

// operator is the operator symbol taking n operands.
func operator(symbol string, n int, r resolver) *scalarFunc {
	return &scalarFunc{name: symbol, op: true, minArgs: n, maxArgs: n, resolve: r}
}

var (
	opAdd = operator("+", 2, resolveArith('+'))
	opSub = operator("-", 2, resolveArith('-'))
	opMul = operator("*", 2, resolveArith('*'))
	opDiv = operator("/", 2, resolveArith('/'))
	opMod = operator("%", 2, resolveArith('%'))
	opFlr = operator("//", 2, resolveArith('f'))

	opEq = operator("==", 2, resolveCompare("=="))
	opNe = operator("!=", 2, resolveCompare("!="))
	opLt = operator("<", 2, resolveCompare("<"))
	opLe = operator("<=", 2, resolveCompare("<="))
	opGt = operator(">", 2, resolveCompare(">"))
	opGe = operator(">=", 2, resolveCompare(">="))

	opAnd = operator("and", 2, resolveLogic(func(a, b bool) bool { return a && b }))
	opOr  = operator("or", 2, resolveLogic(func(a, b bool) bool { return a || b }))
	opNot = operator("not", 1, resolveNot)
	opNeg = operator("-", 1, resolveNeg)
)

// arithSem is the semantic type of an arithmetic result (see doc.go).
func arithSem(op byte, a, b *expr) SemanticType {
	sa, sb := normSem(a.sem), normSem(b.sem)
	switch op {
	case '+', '-':
		if a.typ == Time64 && b.typ == Time64 {
			return STDurationNS
		}
		if sa == sb || sb == STNone {
			return sa
		}
		if sa == STNone {
			return sb
		}
	case '*':
		if sb == STNone {
			return sa
		}
		if sa == STNone {
			return sb
		}
	case '/':
		switch {
		case sb == STDurationNS && (sa == STNone || sa == STThroughputPerNS):
			return STThroughputPerNS
		case sb == STDurationNS && sa == STBytes:
			return STThroughputBytes
		case sb == STNone:
			return sa
		}
	case '%', 'f':
		if sb == STNone {
			return sa
		}
	}
	return STNone
}

func resolveArith(op byte) resolver {
	return func(args []*expr) (DataType, SemanticType, evalFn, error) {
		a, b := args[0], args[1]
		sem := arithSem(op, a, b)
		ta, tb := a.typ, b.typ
		switch {
		case ta == String && tb == String && op == '+':
			return String, STNone, func(_ *evalCtx, v []value, n int) value {
				return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(x, y string) string {
					if len(x)+len(y) > maxStringValue {
						panic(&execError{fmt.Sprintf("string concatenation longer than %d bytes", maxStringValue)})
					}
					return x + y
				}))
			}, nil
		case ta == Time64 && tb == Time64 && op == '-':
			return Int64, STDurationNS, intArith(Int64, '-'), nil
		case ta == Time64 && tb == Int64 && (op == '+' || op == '-'):
			return Time64, normSem(a.sem), intArith(Time64, op), nil
		case ta == Int64 && tb == Time64 && op == '+':
			return Time64, normSem(b.sem), intArith(Time64, op), nil
		case ta == Int64 && tb == Int64:
			if op == '/' {
				return Float64, sem, floatArith(op), nil
			}
			return Int64, sem, intArith(Int64, op), nil
		case (ta == Int64 || ta == Float64) && (tb == Int64 || tb == Float64):
			return Float64, sem, floatArith(op), nil
		}
		name := string(op)
		if op == 'f' {
			name = "//"
		}
		return 0, 0, nil, fmt.Errorf("unsupported operand types for %s: %s and %s", name, typeName(ta), typeName(tb))
	}
}

func intArith(t DataType, op byte) evalFn {
	var f func(x, y int64) int64
	switch op {
	case '+':
		f = func(x, y int64) int64 { return x + y }
	case '-':
		f = func(x, y int64) int64 { return x - y }
	case '*':
		f = func(x, y int64) int64 { return x * y }
	case '%':
		f = func(x, y int64) int64 {
			if y == 0 {
				return 0
			}
			return x % y
		}
	case 'f':
		f = floorDiv
	}
	return func(_ *evalCtx, v []value, n int) value {
		return typedInts(t)(binaryOp(v[0].Ints, v[0].scalar, v[1].Ints, v[1].scalar, n, f))
	}
}

func floorDiv(x, y int64) int64 {
	if y == 0 {
		return 0
	}
	q := x / y
	if (x%y != 0) && ((x < 0) != (y < 0)) {
		q--
	}
	return q
}

func floatArith(op byte) evalFn {
	var f func(x, y float64) float64
	switch op {
	case '+':
		f = func(x, y float64) float64 { return x + y }
	case '-':
		f = func(x, y float64) float64 { return x - y }
	case '*':
		f = func(x, y float64) float64 { return x * y }
	case '/':
		f = func(x, y float64) float64 { return x / y }
	case '%':
		f = math.Mod
	case 'f':
		f = func(x, y float64) float64 { return math.Floor(x / y) }
	}
	return func(_ *evalCtx, v []value, n int) value {
		return floatsVal(binaryOp(v[0].floats(), v[0].scalar, v[1].floats(), v[1].scalar, n, f))
	}
}

func resolveCompare(op string) resolver {
	return func(args []*expr) (DataType, SemanticType, evalFn, error) {
		ta, tb := args[0].typ, args[1].typ
		eqOnly := op == "==" || op == "!="
		switch {
		case (ta == Int64 || ta == Time64) && (tb == Int64 || tb == Time64):
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].Ints, v[0].scalar, v[1].Ints, v[1].scalar, n, cmpFunc[int64](op)))
			}, nil
		case isNumeric(ta) && isNumeric(tb):
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].floats(), v[0].scalar, v[1].floats(), v[1].scalar, n, cmpFunc[float64](op)))
			}, nil
		case ta == String && tb == String:
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, cmpFunc[string](op)))
			}, nil
		case ta == Boolean && tb == Boolean && eqOnly:
			eq := op == "=="
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].Bools, v[0].scalar, v[1].Bools, v[1].scalar, n, func(x, y bool) bool { return (x == y) == eq }))
			}, nil
		case ta == UInt128 && tb == UInt128 && eqOnly:
			eq := op == "=="
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].U128s, v[0].scalar, v[1].U128s, v[1].scalar, n, func(x, y U128) bool { return (x == y) == eq }))
			}, nil
		}
		return 0, 0, nil, fmt.Errorf("cannot compare %s %s %s", typeName(ta), op, typeName(tb))
	}
}

type ordered interface {
	~int64 | ~float64 | ~string
}

func cmpFunc[T ordered](op string) func(x, y T) bool {
	switch op {
	case "==":
		return func(x, y T) bool { return x == y }
	case "!=":
		return func(x, y T) bool { return x != y }
	case "<":
		return func(x, y T) bool { return x < y }
	case "<=":
		return func(x, y T) bool { return x <= y }
	case ">":
		return func(x, y T) bool { return x > y }
	}
	return func(x, y T) bool { return x >= y }
}

func resolveLogic(f func(a, b bool) bool) resolver {
	return func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != Boolean || args[1].typ != Boolean {
			return 0, 0, nil, fmt.Errorf("'and'/'or' need BOOLEAN operands, got %s", argTypes(args))
		}
		return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
			return boolsVal(binaryOp(v[0].Bools, v[0].scalar, v[1].Bools, v[1].scalar, n, f))
		}, nil
	}
}

func resolveNot(args []*expr) (DataType, SemanticType, evalFn, error) {
	if args[0].typ != Boolean {
		return 0, 0, nil, fmt.Errorf("'not' needs a BOOLEAN operand, got %s", typeName(args[0].typ))
	}
	return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
		return boolsVal(unaryOp(v[0].Bools, v[0].scalar, n, func(x bool) bool { return !x }))
	}, nil
}

func resolveNeg(args []*expr) (DataType, SemanticType, evalFn, error) {
	switch args[0].typ {
	case Int64:
		return Int64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].Ints, v[0].scalar, n, func(x int64) int64 { return -x }))
		}, nil
	case Float64:
		return Float64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
			return floatsVal(unaryOp(v[0].Floats, v[0].scalar, n, func(x float64) float64 { return -x }))
		}, nil
	}
	return 0, 0, nil, fmt.Errorf("bad operand type for unary -: %s", typeName(args[0].typ))
}

// condFuncs is px.select(cond, a, b), the conditional expression.
var condFuncs = []*scalarFunc{
	pxFunc("select", 3, resolveSelect),
}

func resolveSelect(args []*expr) (DataType, SemanticType, evalFn, error) {
	c, a, b := args[0], args[1], args[2]
	if c.typ != Boolean {
		return 0, 0, nil, fmt.Errorf("px.select: the condition must be BOOLEAN, got %s", typeName(c.typ))
	}
	// A constant branch without a semantic type takes the other's.
	sem := normSem(a.sem)
	switch sb := normSem(b.sem); {
	case sb == sem:
	case a.isLit() && sem == STNone:
		sem = sb
	case b.isLit() && sb == STNone:
	default:
		sem = STNone
	}
	if a.typ != b.typ {
		if isNumeric(a.typ) && isNumeric(b.typ) && a.typ != Time64 && b.typ != Time64 {
			return Float64, sem, func(_ *evalCtx, v []value, n int) value {
				return floatsVal(ternaryOp(v[0].Bools, v[0].scalar, v[1].floats(), v[1].scalar, v[2].floats(), v[2].scalar, n, pick[float64]))
			}, nil
		}
		return 0, 0, nil, fmt.Errorf("px.select: both branches need the same type, got %s and %s", typeName(a.typ), typeName(b.typ))
	}
	return a.typ, sem, selectOf(a.typ), nil
}

// selectOf is px.select over branches of type t.
func selectOf(t DataType) evalFn {
	return func(_ *evalCtx, v []value, n int) value {
		c, x, y := v[0], v[1], v[2]
		out := value{Vector: Vector{Type: t}}
		switch t {
		case Boolean:
			out.Bools, out.scalar = ternaryOp(c.Bools, c.scalar, x.Bools, x.scalar, y.Bools, y.scalar, n, pick[bool])
		case Int64, Time64:
			out.Ints, out.scalar = ternaryOp(c.Bools, c.scalar, x.Ints, x.scalar, y.Ints, y.scalar, n, pick[int64])
		case Float64:
			out.Floats, out.scalar = ternaryOp(c.Bools, c.scalar, x.Floats, x.scalar, y.Floats, y.scalar, n, pick[float64])
		case String:
			out.Strs, out.scalar = ternaryOp(c.Bools, c.scalar, x.Strs, x.scalar, y.Strs, y.scalar, n, pick[string])
		case UInt128:
			out.U128s, out.scalar = ternaryOp(c.Bools, c.scalar, x.U128s, x.scalar, y.U128s, y.scalar, n, pick[U128])
		}
		return out
	}
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
