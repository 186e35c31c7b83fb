package tolerance

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// compatFuncs are the tolerances of chaostoolkit-pixie (module chaospixie.tolerances).
var compatFuncs = map[string]struct {
	median bool
	op     op // "below" is <=, "above" is >=: both inclusive in the Python module
}{
	"percentile_should_be_below": {false, opAtMost},
	"percentile_should_be_above": {false, opAtLeast},
	"median_should_be_below":     {true, opAtMost},
	"median_should_be_above":     {true, opAtLeast},
}

const compatFuncList = "percentile_should_be_below, percentile_should_be_above, median_should_be_below, median_should_be_above"

// compatUnits are the values of convert_from_nanoseconds.
var compatUnits = map[string]string{"seconds": "s", "milliseconds": "ms", "microseconds": "us"}

// compileCompat compiles the compatibility form, which reproduces the verdict of
// chaostoolkit-pixie on the same rows: Python's statistics.quantiles(n=100)
// exclusive method or statistics.median, inclusive comparisons, the target row
// filter, and failure on an empty set of values.
func compileCompat(sp Spec) (check, error) {
	fn, ok := compatFuncs[sp.Func]
	if !ok {
		return check{}, fmt.Errorf("unknown func %q (want %s)", sp.Func, compatFuncList)
	}
	c := check{name: sp.Name, table: sp.Table, compat: sp.Func, div: 1, agg: aggMedian, exclusive: true}
	wrap := func(err error) error { return fmt.Errorf("func %q: %w", sp.Func, err) }

	allowed := []string{"column", "treshold", "threshold", "convert_from_nanoseconds", "target"}
	if !fn.median {
		allowed = append(allowed, "percentile")
	}
	var unknown []string
	for k := range sp.Arguments {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return c, wrap(fmt.Errorf("unknown argument %s (want %s)", quoteList(unknown), strings.Join(allowed, ", ")))
	}

	col, err := stringArg(sp.Arguments, "column")
	if err != nil {
		return c, wrap(err)
	}
	if col == "" {
		return c, wrap(fmt.Errorf(`argument "column" is required`))
	}
	c.column = col

	th, err := thresholdArg(sp.Arguments)
	if err != nil {
		return c, wrap(err)
	}
	c.cmp = comparison{op: fn.op, x: th}

	if !fn.median {
		c.agg, c.pct = aggPercentile, 99
		if v, ok := sp.Arguments["percentile"]; ok && v != nil {
			p, err := numberArg("percentile", v)
			if err != nil {
				return c, wrap(err)
			}
			if p != math.Trunc(p) || p < 1 || p > 99 {
				return c, wrap(fmt.Errorf(`argument "percentile" must be an integer from 1 to 99 (an index into statistics.quantiles(n=100)), got %s`, formatExact(p)))
			}
			c.pct = p
		}
		c.shorthand = "p" + formatExact(c.pct)
	}

	conv, err := stringArg(sp.Arguments, "convert_from_nanoseconds")
	if err != nil {
		return c, wrap(err)
	}
	if conv != "" {
		u, ok := compatUnits[conv]
		if !ok {
			return c, wrap(fmt.Errorf(`argument "convert_from_nanoseconds" is %q (want seconds, milliseconds, microseconds)`, conv))
		}
		c.unit, c.div = u, units[u]
	}

	if c.target, err = targetArg(sp.Arguments["target"]); err != nil {
		return c, wrap(err)
	}

	if c.name == "" {
		c.name = label(&c)
	}
	return c, nil
}

// thresholdArg reads "treshold" (the Python module's spelling) or "threshold".
func thresholdArg(args map[string]any) (float64, error) {
	v1, ok1 := args["treshold"]
	v2, ok2 := args["threshold"]
	switch {
	case ok1 && ok2:
		return 0, fmt.Errorf(`arguments "treshold" and "threshold" are the same; set one`)
	case ok1:
		return numberArg("treshold", v1)
	case ok2:
		return numberArg("threshold", v2)
	}
	return 0, fmt.Errorf(`argument "treshold" (or "threshold") is required`)
}

// numberArg accepts a JSON number, or a string holding one: Chaos Toolkit
// substitutes ${configuration} values into arguments as strings.
func numberArg(name string, v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, fmt.Errorf("argument %q: %q is not a number", name, x.String())
		}
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, fmt.Errorf("argument %q: %q is not a number", name, x)
		}
	case nil:
		return 0, fmt.Errorf("argument %q is required", name)
	default:
		return 0, fmt.Errorf("argument %q must be a number, got %T", name, v)
	}
	if !finite(f) {
		return 0, fmt.Errorf("argument %q must be a finite number, got %s", name, formatExact(f))
	}
	return f, nil
}

// stringArg returns a string argument; absent or null is "".
func stringArg(args map[string]any, name string) (string, error) {
	switch x := args[name].(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	default:
		return "", fmt.Errorf("argument %q must be a string, got %T", name, x)
	}
}

// targetArg reads [key, regex]. Like the Python module, null or an empty list
// means no filter, and so does an empty key (the regex is still validated).
func targetArg(v any) (*target, error) {
	var pair []string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []string:
		pair = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf(`argument "target" must be [key, regex] (two strings), got an element of type %T`, e)
			}
			pair = append(pair, s)
		}
	default:
		return nil, fmt.Errorf(`argument "target" must be [key, regex] (two strings), got %T`, v)
	}
	if len(pair) == 0 {
		return nil, nil
	}
	if len(pair) != 2 {
		return nil, fmt.Errorf(`argument "target" must be [key, regex] (two strings), got %d elements`, len(pair))
	}
	if _, err := regexp.Compile(pair[1]); err != nil {
		return nil, fmt.Errorf(`argument "target": invalid regular expression %q: %v`, pair[1], err)
	}
	// Python's re.match anchors at the start only.
	re, err := regexp.Compile(`^(?:` + pair[1] + `)`)
	if err != nil {
		return nil, fmt.Errorf(`argument "target": invalid regular expression %q: %v`, pair[1], err)
	}
	if pair[0] == "" {
		return nil, nil
	}
	return &target{key: pair[0], pattern: pair[1], re: re}, nil
}
