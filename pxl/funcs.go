package pxl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// scalarFunc is a row-wise function: an operator or a px.* function.
type scalarFunc struct {
	name             string
	op               bool // an operator: name is its symbol
	minArgs, maxArgs int
	// resolve types a call from its (typed) arguments and returns the
	// implementation for those types.
	resolve func(args []*expr) (DataType, SemanticType, evalFn, error)
}

func (f *scalarFunc) display() string {
	if f.op {
		return "operator '" + f.name + "'"
	}
	return "px." + f.name
}

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

// ---- operators ----

var (
	opAdd = &scalarFunc{name: "+", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('+')}
	opSub = &scalarFunc{name: "-", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('-')}
	opMul = &scalarFunc{name: "*", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('*')}
	opDiv = &scalarFunc{name: "/", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('/')}
	opMod = &scalarFunc{name: "%", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('%')}
	opFlr = &scalarFunc{name: "//", op: true, minArgs: 2, maxArgs: 2, resolve: resolveArith('f')}

	opEq = &scalarFunc{name: "==", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare("==")}
	opNe = &scalarFunc{name: "!=", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare("!=")}
	opLt = &scalarFunc{name: "<", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare("<")}
	opLe = &scalarFunc{name: "<=", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare("<=")}
	opGt = &scalarFunc{name: ">", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare(">")}
	opGe = &scalarFunc{name: ">=", op: true, minArgs: 2, maxArgs: 2, resolve: resolveCompare(">=")}

	opAnd = &scalarFunc{name: "and", op: true, minArgs: 2, maxArgs: 2, resolve: resolveLogic(func(a, b bool) bool { return a && b })}
	opOr  = &scalarFunc{name: "or", op: true, minArgs: 2, maxArgs: 2, resolve: resolveLogic(func(a, b bool) bool { return a || b })}
	opNot = &scalarFunc{name: "not", op: true, minArgs: 1, maxArgs: 1, resolve: resolveNot}
	opNeg = &scalarFunc{name: "-", op: true, minArgs: 1, maxArgs: 1, resolve: resolveNeg}
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

func normSem(s SemanticType) SemanticType {
	if s == stUnspecifiedSemType {
		return STNone
	}
	return s
}

func resolveArith(op byte) func(args []*expr) (DataType, SemanticType, evalFn, error) {
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

func resolveCompare(op string) func(args []*expr) (DataType, SemanticType, evalFn, error) {
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

func resolveLogic(f func(a, b bool) bool) func(args []*expr) (DataType, SemanticType, evalFn, error) {
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

// ---- px.* scalar functions ----

// pxScalars are the px.* row-wise functions, by name.
var pxScalars = map[string]*scalarFunc{}

func init() {
	reg := func(name string, minArgs, maxArgs int, r func(args []*expr) (DataType, SemanticType, evalFn, error)) {
		pxScalars[name] = &scalarFunc{name: name, minArgs: minArgs, maxArgs: maxArgs, resolve: r}
	}
	semWrap := func(name string, sem SemanticType) {
		reg(name, 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			if t := args[0].typ; t != Int64 && t != Float64 {
				return 0, 0, nil, noOverload("px."+name, args)
			}
			return args[0].typ, sem, func(_ *evalCtx, v []value, _ int) value { return v[0] }, nil
		})
	}
	semWrap("DurationNanos", STDurationNS)
	semWrap("Percent", STPercent)
	semWrap("Bytes", STBytes)

	reg("bin", 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
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
	})
	rounding := func(name string, f func(float64) float64) {
		reg(name, 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			switch args[0].typ {
			case Int64:
				return Int64, normSem(args[0].sem), func(_ *evalCtx, v []value, _ int) value { return v[0] }, nil
			case Float64:
				return Int64, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
					return intsVal(unaryOp(v[0].Floats, v[0].scalar, n, func(x float64) int64 { return int64(f(x)) }))
				}, nil
			}
			return 0, 0, nil, noOverload("px."+name, args)
		})
	}
	rounding("floor", math.Floor)
	rounding("ceil", math.Ceil)
	rounding("round", math.Round)
	reg("abs", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
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
	})

	reg("pluck", 2, 2, pluckResolver("pluck", String))
	reg("pluck_float64", 2, 2, pluckResolver("pluck_float64", Float64))
	reg("pluck_int64", 2, 2, pluckResolver("pluck_int64", Int64))

	strPred := func(name string, f func(a, b string) bool) {
		reg(name, 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			if args[0].typ != String || args[1].typ != String {
				return 0, 0, nil, noOverload("px."+name, args)
			}
			return Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
				return boolsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, f))
			}, nil
		})
	}
	strPred("contains", strings.Contains)
	strPred("has_service_name", hasServiceName)
	strPred("has_value", hasServiceName)
	reg("regex_match", 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != String {
			return 0, 0, nil, noOverload("px.regex_match", args)
		}
		if p, ok := args[0].strConst(); ok {
			if _, err := compileAnchored(p); err != nil {
				return 0, 0, nil, fmt.Errorf("px.regex_match: bad pattern %q: %v", p, err)
			}
		}
		return Boolean, STNone, func(c *evalCtx, v []value, n int) value {
			return boolsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(p, s string) bool {
				re, err := c.regexp("^(?:" + p + ")$")
				return err == nil && re.MatchString(s)
			}))
		}, nil
	})
	strMap := func(name string, f func(string) string) {
		reg(name, 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			if args[0].typ != String {
				return 0, 0, nil, noOverload("px."+name, args)
			}
			return String, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
				return strsVal(unaryOp(v[0].Strs, v[0].scalar, n, f))
			}, nil
		})
	}
	reg("replace", 3, 3, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != String || args[2].typ != String {
			return 0, 0, nil, noOverload("px.replace", args)
		}
		if p, ok := args[0].strConst(); ok {
			if _, err := regexp.Compile(p); err != nil {
				return 0, 0, nil, fmt.Errorf("px.replace: bad pattern %q: %v", p, err)
			}
		}
		return String, STNone, func(c *evalCtx, v []value, n int) value {
			return strsVal(ternaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, v[2].Strs, v[2].scalar, n, func(p, s, r string) string {
				re, err := c.regexp(p)
				if err != nil {
					return s
				}
				out := re.ReplaceAllString(s, r)
				if len(out) > maxStringValue {
					panic(&execError{fmt.Sprintf("px.replace: result longer than %d bytes", maxStringValue)})
				}
				return out
			}))
		}, nil
	})
	reg("split", 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != String {
			return 0, 0, nil, noOverload("px.split", args)
		}
		return String, STNone, func(_ *evalCtx, v []value, n int) value {
			return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, sep string) string {
				b, _ := json.Marshal(strings.Split(s, sep))
				return string(b)
			}))
		}, nil
	})
	reg("pluck_array", 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != Int64 {
			return 0, 0, nil, noOverload("px.pluck_array", args)
		}
		return String, STNone, func(_ *evalCtx, v []value, n int) value {
			return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Ints, v[1].scalar, n, func(s string, i int64) string {
				var arr []json.RawMessage
				if json.Unmarshal([]byte(s), &arr) != nil || i < 0 || i >= int64(len(arr)) {
					return ""
				}
				var str string
				if json.Unmarshal(arr[i], &str) == nil {
					return str
				}
				return string(arr[i])
			}))
		}, nil
	})
	strMap("toupper", strings.ToUpper)
	strMap("tolower", strings.ToLower)
	strMap("trim", strings.TrimSpace)
	reg("length", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String {
			return 0, 0, nil, noOverload("px.length", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].Strs, v[0].scalar, n, func(s string) int64 { return int64(len(s)) }))
		}, nil
	})
	reg("find", 2, 2, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != String {
			return 0, 0, nil, noOverload("px.find", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
			return intsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, sub string) int64 { return int64(strings.Index(s, sub)) }))
		}, nil
	})
	reg("substring", 3, 3, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != Int64 || args[2].typ != Int64 {
			return 0, 0, nil, noOverload("px.substring", args)
		}
		return String, STNone, func(_ *evalCtx, v []value, n int) value {
			return strsVal(ternaryOp(v[0].Strs, v[0].scalar, v[1].Ints, v[1].scalar, v[2].Ints, v[2].scalar, n, func(s string, pos, l int64) string {
				if pos < 0 || pos > int64(len(s)) || l < 0 {
					return ""
				}
				return s[pos:min(int64(len(s)), pos+l)]
			}))
		}, nil
	})
	reg("atoi", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String {
			return 0, 0, nil, noOverload("px.atoi", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].Strs, v[0].scalar, n, func(s string) int64 {
				i, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
				return i
			}))
		}, nil
	})
	reg("itoa", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != Int64 {
			return 0, 0, nil, noOverload("px.itoa", args)
		}
		return String, STNone, func(_ *evalCtx, v []value, n int) value {
			return strsVal(unaryOp(v[0].Ints, v[0].scalar, n, func(i int64) string { return strconv.FormatInt(i, 10) }))
		}, nil
	})
	reg("select", 3, 3, func(args []*expr) (DataType, SemanticType, evalFn, error) {
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
		t := a.typ
		return t, sem, func(_ *evalCtx, v []value, n int) value {
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
		}, nil
	})
	reg("now", 0, 0, func([]*expr) (DataType, SemanticType, evalFn, error) {
		return Time64, STNone, func(c *evalCtx, _ []value, _ int) value {
			return timeVal([]int64{c.now}, true)
		}, nil
	})
	reg("time_to_int64", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != Time64 {
			return 0, 0, nil, noOverload("px.time_to_int64", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, _ int) value {
			return intsVal(v[0].Ints, v[0].scalar)
		}, nil
	})
	reg("int64_to_time", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != Int64 {
			return 0, 0, nil, noOverload("px.int64_to_time", args)
		}
		return Time64, STNone, func(_ *evalCtx, v []value, _ int) value {
			return timeVal(v[0].Ints, v[0].scalar)
		}, nil
	})

	// Metadata: from a UPID.
	upidStr := func(name string, sem SemanticType, f func(m *Metadata, u U128) string) {
		reg(name, 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			if args[0].typ != UInt128 {
				return 0, 0, nil, noOverload("px."+name, args)
			}
			return String, sem, func(c *evalCtx, v []value, n int) value {
				cache := make(map[U128]string)
				return strsVal(unaryOp(v[0].U128s, v[0].scalar, n, func(u U128) string {
					s, ok := cache[u]
					if !ok {
						s = f(c.meta, u)
						cache[u] = s
					}
					return s
				}))
			}, nil
		})
	}
	podOf := func(get func(p *Pod) string) func(m *Metadata, u U128) string {
		return func(m *Metadata, u U128) string {
			if p := m.podOfUPID(u); p != nil {
				return get(p)
			}
			return ""
		}
	}
	procOf := func(get func(p *Process) string) func(m *Metadata, u U128) string {
		return func(m *Metadata, u U128) string {
			if p := m.Process(u); p != nil {
				return get(p)
			}
			return ""
		}
	}
	upidStr("upid_to_pod_name", STPodName, podOf((*Pod).QualifiedName))
	upidStr("upid_to_pod_id", STNone, podOf(func(p *Pod) string { return p.ID }))
	upidStr("upid_to_service_name", STServiceName, podOf((*Pod).ServiceName))
	upidStr("upid_to_namespace", STNamespaceName, podOf(func(p *Pod) string { return p.Namespace }))
	upidStr("upid_to_node_name", STNodeName, podOf(func(p *Pod) string { return p.Node }))
	upidStr("upid_to_hostname", STNone, podOf(func(p *Pod) string { return p.Name }))
	upidStr("upid_to_container_name", STContainerName, procOf(func(p *Process) string { return p.ContainerName }))
	upidStr("upid_to_container_id", STNone, procOf(func(p *Process) string { return p.ContainerID }))
	upidStr("upid_to_cmdline", STNone, procOf(func(p *Process) string { return p.Cmdline }))
	upidStr("upid_to_string", STNone, func(_ *Metadata, u U128) string { return u.String() })
	reg("upid_to_pid", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != UInt128 {
			return 0, 0, nil, noOverload("px.upid_to_pid", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].U128s, v[0].scalar, n, U128.PID))
		}, nil
	})
	reg("upid_to_asid", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != UInt128 {
			return 0, 0, nil, noOverload("px.upid_to_asid", args)
		}
		return Int64, STNone, func(_ *evalCtx, v []value, n int) value {
			return intsVal(unaryOp(v[0].U128s, v[0].scalar, n, func(u U128) int64 { return int64(u.High >> 32) }))
		}, nil
	})

	// Metadata: from strings (pod ids, pod names, IPs).
	strStr := func(name string, sem SemanticType, f func(m *Metadata, s string) string) {
		reg(name, 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
			if args[0].typ != String {
				return 0, 0, nil, noOverload("px."+name, args)
			}
			return String, sem, func(c *evalCtx, v []value, n int) value {
				cache := make(map[string]string)
				return strsVal(unaryOp(v[0].Strs, v[0].scalar, n, func(k string) string {
					s, ok := cache[k]
					if !ok {
						s = f(c.meta, k)
						cache[k] = s
					}
					return s
				}))
			}, nil
		})
	}
	byID := func(get func(p *Pod) string) func(m *Metadata, s string) string {
		return func(m *Metadata, s string) string {
			if p := m.Pod(s); p != nil {
				return get(p)
			}
			return ""
		}
	}
	byName := func(get func(p *Pod) string) func(m *Metadata, s string) string {
		return func(m *Metadata, s string) string {
			if p := m.PodByName(s); p != nil {
				return get(p)
			}
			return ""
		}
	}
	strStr("pod_id_to_pod_name", STPodName, byID((*Pod).QualifiedName))
	strStr("pod_id_to_service_name", STServiceName, byID((*Pod).ServiceName))
	strStr("pod_id_to_namespace", STNamespaceName, byID(func(p *Pod) string { return p.Namespace }))
	strStr("pod_id_to_node_name", STNodeName, byID(func(p *Pod) string { return p.Node }))
	strStr("pod_id_to_pod_ip", STIPAddress, byID(func(p *Pod) string { return p.IP }))
	strStr("pod_name_to_pod_id", STNone, byName(func(p *Pod) string { return p.ID }))
	strStr("pod_name_to_namespace", STNamespaceName, byName(func(p *Pod) string { return p.Namespace }))
	strStr("pod_name_to_service_name", STServiceName, byName((*Pod).ServiceName))
	strStr("pod_name_to_node_name", STNodeName, byName(func(p *Pod) string { return p.Node }))
	strStr("pod_name_to_pod_ip", STIPAddress, byName(func(p *Pod) string { return p.IP }))
	strStr("pod_name_to_status", STNone, byName(func(*Pod) string {
		return `{"phase":"Running","message":"","reason":"","ready":true}`
	}))
	strStr("container_id_to_status", STNone, func(m *Metadata, id string) string {
		if id == "" {
			return ""
		}
		return `{"state":"Running","message":"","reason":""}`
	})
	strStr("ip_to_service_id", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil && len(p.Services) > 0 {
			return ServiceID(p.Namespace + "/" + p.Services[0])
		}
		return ""
	})
	strStr("service_id_to_service_name", STServiceName, (*Metadata).ServiceName)
	strStr("nslookup", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil {
			return strings.ReplaceAll(ip, ".", "-") + "." + p.Namespace + ".pod.cluster.local"
		}
		return ip
	})
	strStr("ip_to_pod_id", STNone, func(m *Metadata, ip string) string {
		if p := m.PodByIP(ip); p != nil {
			return p.ID
		}
		return ""
	})
	reg("pod_name_to_start_time", 1, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String {
			return 0, 0, nil, noOverload("px.pod_name_to_start_time", args)
		}
		return Time64, STNone, func(c *evalCtx, v []value, n int) value {
			return timeVal(unaryOp(v[0].Strs, v[0].scalar, n, func(s string) int64 {
				if p := c.meta.PodByName(s); p != nil {
					return p.StartTime
				}
				return 0
			}))
		}, nil
	})
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

func compileAnchored(p string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + p + ")$")
}

// hasServiceName reports whether a ctx['service'] value (one
// "namespace/name" or a JSON list of them) contains name.
func hasServiceName(val, name string) bool {
	if val == name {
		return true
	}
	if !strings.HasPrefix(val, "[") || !strings.Contains(val, name) {
		return false
	}
	var names []string
	if json.Unmarshal([]byte(val), &names) != nil {
		return false
	}
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

func pluckResolver(name string, t DataType) func(args []*expr) (DataType, SemanticType, evalFn, error) {
	return func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String || args[1].typ != String {
			return 0, 0, nil, noOverload("px."+name, args)
		}
		return t, STNone, func(_ *evalCtx, v []value, n int) value {
			switch t {
			case Float64:
				return floatsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, k string) float64 {
					raw, ok := jsonLookup(s, k)
					if !ok {
						return 0
					}
					f, err := strconv.ParseFloat(raw, 64)
					if err != nil {
						return 0
					}
					return f
				}))
			case Int64:
				return intsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, k string) int64 {
					raw, ok := jsonLookup(s, k)
					if !ok {
						return 0
					}
					if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
						return i
					}
					f, err := strconv.ParseFloat(raw, 64)
					if err != nil {
						return 0
					}
					return int64(f)
				}))
			}
			return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, k string) string {
				raw, ok := jsonLookup(s, k)
				if !ok {
					return ""
				}
				if strings.HasPrefix(raw, `"`) {
					var str string
					if json.Unmarshal([]byte(raw), &str) == nil {
						return str
					}
				}
				return raw
			}))
		}, nil
	}
}

var errJSON = errors.New("bad json")

// jsonLookup returns the raw text of the value of key in a JSON object
// (top level only).
func jsonLookup(s, key string) (string, bool) {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return "", false
	}
	i++
	for {
		i = skipWS(s, i)
		if i >= len(s) || s[i] == '}' {
			return "", false
		}
		kEnd, err := skipValue(s, i)
		if err != nil || s[i] != '"' {
			return "", false
		}
		k := s[i+1 : kEnd-1]
		if strings.IndexByte(k, '\\') >= 0 {
			var dec string
			if json.Unmarshal([]byte(s[i:kEnd]), &dec) != nil {
				return "", false
			}
			k = dec
		}
		i = skipWS(s, kEnd)
		if i >= len(s) || s[i] != ':' {
			return "", false
		}
		i = skipWS(s, i+1)
		vEnd, err := skipValue(s, i)
		if err != nil {
			return "", false
		}
		if k == key {
			return s[i:vEnd], true
		}
		i = skipWS(s, vEnd)
		if i < len(s) && s[i] == ',' {
			i++
		}
	}
}

func skipWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(s string, i int) (int, error) {
	if i >= len(s) {
		return 0, errJSON
	}
	switch s[i] {
	case '"':
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errJSON
	case '{', '[':
		depth := 0
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '"':
				e, err := skipValue(s, j)
				if err != nil {
					return 0, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errJSON
	}
	j := i
	for j < len(s) && s[j] != ',' && s[j] != '}' && s[j] != ']' && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' && s[j] != '\r' {
		j++
	}
	if j == i {
		return 0, errJSON
	}
	return j, nil
}
