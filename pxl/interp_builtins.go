package pxl

import (
	"math"
	"strconv"
	"strings"
)

// The Python builtins PxL scripts may use.

// builtins are the Python builtins a script may call, by name.
var builtins = map[string]*builtinFn{
	"str":   unaryBuiltin("str", pyStr),
	"int":   unaryBuiltin("int", pyIntOf),
	"float": unaryBuiltin("float", pyFloatOf),
	"bool":  unaryBuiltin("bool", pyBool),
	"len":   unaryBuiltin("len", pyLen),
	"abs":   unaryBuiltin("abs", pyAbs),
	"min":   {name: "min", fn: pyMinMax("min")},
	"max":   {name: "max", fn: pyMinMax("max")},
}

// unaryBuiltin is the builtin name of one positional argument, computed
// by f; f returns false for an argument it does not accept.
func unaryBuiltin(name string, f func(in *interp, v any, pos srcPos) (any, bool)) *builtinFn {
	return &builtinFn{name: name, fn: func(in *interp, ci *callInfo) any {
		noKeywords(in, name, ci)
		if len(ci.args) != 1 {
			in.fail(ci.pos, "%s takes exactly one argument", name)
		}
		v, pos := ci.args[0], ci.argPos[0]
		r, ok := f(in, v, pos)
		if !ok {
			in.fail(pos, "%s() does not accept %s", name, typeDesc(v))
		}
		return r
	}}
}

func noKeywords(in *interp, name string, ci *callInfo) {
	if len(ci.kws) > 0 {
		in.fail(ci.kws[0].pos, "%s takes no keyword arguments", name)
	}
}

// pyMinMax is min or max of numbers: of the arguments, or of the elements
// of a single list argument.
func pyMinMax(name string) func(in *interp, ci *callInfo) any {
	return func(in *interp, ci *callInfo) any {
		noKeywords(in, name, ci)
		if len(ci.args) == 0 {
			in.fail(ci.pos, "%s needs arguments", name)
		}
		args := ci.args
		if l, ok := args[0].(*pyList); ok && len(args) == 1 {
			args = l.elts
		}
		best := args[0]
		for _, x := range args[1:] {
			if !isPyNum(x) || !isPyNum(best) {
				in.fail(ci.pos, "%s works on numbers only here", name)
			}
			if (name == "min") == (pyFloat(x) < pyFloat(best)) && pyFloat(x) != pyFloat(best) {
				best = x
			}
		}
		return best
	}
}

func pyStr(_ *interp, v any, _ srcPos) (any, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	}
	return nil, false
}

func pyIntOf(in *interp, v any, pos srcPos) (any, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case float64:
		return int64(x), true
	case bool:
		i, _ := pyInt(x)
		return i, true
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			in.fail(pos, "invalid literal for int(): '%s'", x)
		}
		return i, true
	}
	return nil, false
}

func pyFloatOf(in *interp, v any, pos srcPos) (any, bool) {
	switch x := v.(type) {
	case int64, float64, bool:
		return pyFloat(x), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			in.fail(pos, "could not convert string to float: '%s'", x)
		}
		return f, true
	}
	return nil, false
}

// pyBool is bool() of a Python value; a column expression has no truth
// value at compile time.
func pyBool(in *interp, v any, pos srcPos) (any, bool) {
	if _, ok := v.(*expr); ok {
		return nil, false
	}
	return in.truth(v, pos), true
}

func pyLen(_ *interp, v any, _ srcPos) (any, bool) {
	switch x := v.(type) {
	case string:
		return int64(len(x)), true
	case *pyList:
		return int64(len(x.elts)), true
	case *pyDict:
		return int64(len(x.keys)), true
	}
	return nil, false
}

func pyAbs(_ *interp, v any, _ srcPos) (any, bool) {
	switch x := v.(type) {
	case int64:
		return max(x, -x), true
	case float64:
		return math.Abs(x), true
	}
	return nil, false
}
