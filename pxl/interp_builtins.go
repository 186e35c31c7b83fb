package pxl

import (
	"math"
	"strconv"
	"strings"
)

// The Python builtins PxL scripts may use.

// builtins are the Python builtins a script may call, by name.
var builtins = map[string]*builtinFn{}

func init() {
	for _, name := range []string{"str", "int", "float", "bool", "len", "abs", "min", "max"} {
		builtins[name] = &builtinFn{name: name, fn: func(in *interp, ci *callInfo) any { return pyBuiltin(in, name, ci) }}
	}
}

func pyBuiltin(in *interp, name string, ci *callInfo) any {
	if len(ci.kws) > 0 {
		in.fail(ci.kws[0].pos, "%s takes no keyword arguments", name)
	}
	if name == "min" || name == "max" {
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
	if len(ci.args) != 1 {
		in.fail(ci.pos, "%s takes exactly one argument", name)
	}
	v := ci.args[0]
	pos := ci.argPos[0]
	switch name {
	case "str":
		switch x := v.(type) {
		case string:
			return x
		case int64:
			return strconv.FormatInt(x, 10)
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64)
		case bool:
			if x {
				return "True"
			}
			return "False"
		}
	case "int":
		switch x := v.(type) {
		case int64:
			return x
		case float64:
			return int64(x)
		case bool:
			i, _ := pyInt(x)
			return i
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				in.fail(pos, "invalid literal for int(): '%s'", x)
			}
			return i
		}
	case "float":
		switch x := v.(type) {
		case int64, float64, bool:
			return pyFloat(x)
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				in.fail(pos, "could not convert string to float: '%s'", x)
			}
			return f
		}
	case "bool":
		if _, ok := v.(*expr); !ok {
			return in.truth(v, pos)
		}
	case "len":
		switch x := v.(type) {
		case string:
			return int64(len(x))
		case *pyList:
			return int64(len(x.elts))
		case *pyDict:
			return int64(len(x.keys))
		}
	case "abs":
		switch x := v.(type) {
		case int64:
			return max(x, -x)
		case float64:
			return math.Abs(x)
		}
	}
	in.fail(pos, "%s() does not accept %s", name, typeDesc(v))
	return nil
}
