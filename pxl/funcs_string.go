package pxl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// stringFuncs are the px.* functions on strings.
var stringFuncs = []*scalarFunc{
	strPred("contains", strings.Contains),
	pxFunc("regex_match", 2, resolveRegexMatch),
	pxFunc("replace", 3, resolveReplace),
	typed("split", sig(String, String), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, sep string) string {
			b, _ := json.Marshal(strings.Split(s, sep))
			return string(b)
		}))
	}),
	strMap("toupper", strings.ToUpper),
	strMap("tolower", strings.ToLower),
	strMap("trim", strings.TrimSpace),
	typed("length", sig(String), Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		return intsVal(unaryOp(v[0].Strs, v[0].scalar, n, func(s string) int64 { return int64(len(s)) }))
	}),
	typed("find", sig(String, String), Int64, STNone, func(_ *evalCtx, v []value, n int) value {
		return intsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, func(s, sub string) int64 { return int64(strings.Index(s, sub)) }))
	}),
	typed("substring", sig(String, Int64, Int64), String, STNone, func(_ *evalCtx, v []value, n int) value {
		return strsVal(ternaryOp(v[0].Strs, v[0].scalar, v[1].Ints, v[1].scalar, v[2].Ints, v[2].scalar, n, func(s string, pos, l int64) string {
			if pos < 0 || pos > int64(len(s)) || l < 0 {
				return ""
			}
			return s[pos:min(int64(len(s)), pos+l)]
		}))
	}),
}

// strPred is px.name(a, b): BOOLEAN f(a, b) of two STRINGs.
func strPred(name string, f func(a, b string) bool) *scalarFunc {
	return typed(name, sig(String, String), Boolean, STNone, func(_ *evalCtx, v []value, n int) value {
		return boolsVal(binaryOp(v[0].Strs, v[0].scalar, v[1].Strs, v[1].scalar, n, f))
	})
}

// strMap is px.name(s): the STRING f(s), keeping the semantic type of s.
func strMap(name string, f func(string) string) *scalarFunc {
	return pxFunc(name, 1, func(args []*expr) (DataType, SemanticType, evalFn, error) {
		if args[0].typ != String {
			return 0, 0, nil, noOverload("px."+name, args)
		}
		return String, normSem(args[0].sem), func(_ *evalCtx, v []value, n int) value {
			return strsVal(unaryOp(v[0].Strs, v[0].scalar, n, f))
		}, nil
	})
}

// resolveRegexMatch types px.regex_match(pattern, s): whether the whole of
// s matches; a constant pattern is checked at compile time.
func resolveRegexMatch(args []*expr) (DataType, SemanticType, evalFn, error) {
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
}

func compileAnchored(p string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + p + ")$")
}

// resolveReplace types px.replace(pattern, s, replacement); a constant
// pattern is checked at compile time, a bad one at run time leaves s as it
// is.
func resolveReplace(args []*expr) (DataType, SemanticType, evalFn, error) {
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
}
