package pxl

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// pxSpecial are the px.* names that are not row-wise or aggregate
// functions: constructors, sinks, types and compile-time helpers.
var pxSpecial map[string]func(in *interp, ci *callInfo) any

func init() {
	pxSpecial = map[string]func(in *interp, ci *callInfo) any{
		"DataFrame":        (*interp).newDataFrame,
		"display":          (*interp).displayCall,
		"debug":            (*interp).displayCall,
		"parse_duration":   (*interp).parseDurationCall,
		"parse_time":       (*interp).parseTimeCall,
		"format_duration":  (*interp).formatDurationCall,
		"script_reference": (*interp).scriptReference,
		"nanoseconds":      durationFn(1),
		"microseconds":     durationFn(int64(time.Microsecond)),
		"milliseconds":     durationFn(int64(time.Millisecond)),
		"seconds":          durationFn(int64(time.Second)),
		"minutes":          durationFn(int64(time.Minute)),
		"hours":            durationFn(int64(time.Hour)),
		"days":             durationFn(24 * int64(time.Hour)),
	}
	for name, f := range udtfs {
		pxSpecial[name] = newUDTF(f)
	}
}

// pxTypes are the px.* types usable as parameter annotations.
var pxTypes = map[string]bool{"Service": true, "Pod": true, "Namespace": true, "Node": true, "Container": true}

// pxTypeCasts are the functions px.Service(x), px.Pod(x), ...: a STRING
// with the type's semantic type.
var pxTypeCasts = map[string]*scalarFunc{
	"Service":   semCast("Service", STServiceName, String),
	"Pod":       semCast("Pod", STPodName, String),
	"Namespace": semCast("Namespace", STNamespaceName, String),
	"Node":      semCast("Node", STNodeName, String),
	"Container": semCast("Container", STContainerName, String),
}

// pxKnown reports whether px.name exists in the engine.
func pxKnown(name string) bool {
	_, s := pxSpecial[name]
	_, f := pxScalars[name]
	_, a := pxAggs[name]
	return s || f || a || pxTypes[name]
}

func (in *interp) pxAttr(name string, pos srcPos) any {
	if f, ok := pxSpecial[name]; ok {
		return &builtinFn{name: "px." + name, fn: f}
	}
	if f, ok := pxScalars[name]; ok {
		return &scalarRef{fn: f}
	}
	if a, ok := pxAggs[name]; ok {
		return &aggRef{fn: a}
	}
	if pxTypes[name] {
		return &pxType{name: name}
	}
	in.fail(pos, "px.%s is not a function the demo PxL engine supports", name)
	return nil
}

// defaultEnd is the end of a DataFrame without end_time.
const defaultEnd = math.MaxInt64

func (in *interp) newDataFrame(ci *callInfo) any {
	a := in.bindArgs(ci, "px.DataFrame", []string{"table", "select", "start_time", "end_time"}, 1)
	table, ok := a[0].v.(string)
	if !ok {
		in.fail(a[0].pos, "px.DataFrame's table must be a string, got %s", typeDesc(a[0].v))
	}
	rel, ok := in.traceTables[table]
	if !ok {
		rel, ok = in.src.Schema(table)
	}
	if !ok {
		in.fail(a[0].pos, "Table '%s' not found.", table)
	}
	start, end := int64(math.MinInt64), int64(defaultEnd)
	if a[2].set && a[2].v != nil {
		start = in.timeArg(a[2].v, a[2].pos, "start_time")
	}
	if a[3].set && a[3].v != nil {
		end = in.timeArg(a[3].v, a[3].pos, "end_time")
	}
	if a[1].set && a[1].v != nil {
		names := in.stringList(a[1].v, a[1].pos, "select")
		var sel Relation
		seen := map[string]bool{}
		for _, name := range names {
			i := rel.Index(name)
			if i < 0 {
				in.fail(a[1].pos, "column '%s' not found in table '%s'", name, table)
			}
			if seen[name] {
				in.fail(a[1].pos, "column '%s' selected twice", name)
			}
			seen[name] = true
			sel = append(sel, rel[i])
		}
		rel = sel
	}
	n := in.newNode(nSource, rel)
	n.table, n.start, n.end = table, start, end
	return &dataFrame{node: n}
}

// timeArg reads a start_time/end_time: a relative duration string ("-2m",
// "-1h30m"), an absolute time string (RFC 3339), an int (ns since the epoch;
// negative: relative to now) or a TIME64NS constant such as
// px.now() - px.minutes(5).
func (in *interp) timeArg(v any, pos srcPos, what string) int64 {
	now := in.ec.now
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if d, ok := parseDuration(s); ok {
			return now + d
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UnixNano()
			}
		}
		in.fail(pos, "cannot parse %s %q: use a relative time like '-5m' or an RFC 3339 time", what, x)
	case int64:
		if x < 0 {
			return now + x
		}
		return x
	case *expr:
		if x.isLit() {
			switch x.typ {
			case Time64:
				return x.lit.Ints[0]
			case Int64:
				if i := x.lit.Ints[0]; i < 0 {
					return now + i
				} else {
					return i
				}
			}
		}
	}
	in.fail(pos, "%s must be a time string, an int or a time constant, got %s", what, typeDesc(v))
	return 0
}

// parseDuration parses a signed duration such as "-5m", "-1h30m", "-30s",
// "2d", "-1.5h" (units ns, us, µs, ms, s, m, h, d).
func parseDuration(s string) (int64, bool) {
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, false
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, false
		}
		s = strings.TrimLeft(s[i:], " ")
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == ' ') {
			j++
		}
		var unit float64
		switch s[:j] {
		case "ns":
			unit = 1
		case "us", "µs":
			unit = 1e3
		case "ms":
			unit = 1e6
		case "s":
			unit = 1e9
		case "m":
			unit = 60e9
		case "h":
			unit = 3600e9
		case "d":
			unit = 86400e9
		default:
			return 0, false
		}
		total += num * unit
		s = strings.TrimLeft(s[j:], " ")
	}
	if total > 1e18 {
		return 0, false
	}
	if neg {
		total = -total
	}
	return int64(total), true
}

func (in *interp) displayCall(ci *callInfo) any {
	a := in.bindArgs(ci, "px.display", []string{"out", "name", "cols"}, 1)
	df, ok := a[0].v.(*dataFrame)
	if !ok {
		in.fail(a[0].pos, "px.display needs a DataFrame, got %s", typeDesc(a[0].v))
	}
	name := "output"
	if a[1].set {
		s, ok := a[1].v.(string)
		if !ok || s == "" {
			in.fail(a[1].pos, "px.display's name must be a non-empty string")
		}
		name = s
	}
	if a[2].set {
		in.fail(a[2].pos, "px.display's cols argument is not supported: project the columns with df[[...]]")
	}
	if in.display {
		in.addSink(name, df.node, ci.pos)
	}
	return nil
}

func (in *interp) addSink(name string, n *node, pos srcPos) {
	for _, s := range in.sinks {
		if s.name == name {
			in.fail(pos, "two output tables named '%s'", name)
		}
	}
	in.sinks = append(in.sinks, sinkSpec{name: name, node: n})
}

func (in *interp) parseDurationCall(ci *callInfo) any {
	a := in.bindArgs(ci, "px.parse_duration", []string{"duration"}, 1)
	s, ok := a[0].v.(string)
	if !ok {
		in.fail(a[0].pos, "px.parse_duration needs a string, got %s", typeDesc(a[0].v))
	}
	d, ok := parseDuration(strings.TrimSpace(s))
	if !ok {
		in.fail(a[0].pos, "cannot parse duration %q", s)
	}
	return intLit(ci.pos, d, STDurationNS)
}

// parseTimeCall is px.parse_time(s): the TIME64NS constant a start_time
// string means (relative like '-5m', or absolute).
func (in *interp) parseTimeCall(ci *callInfo) any {
	a := in.bindArgs(ci, "px.parse_time", []string{"time"}, 1)
	t := in.timeArg(a[0].v, a[0].pos, "time")
	return litExpr(ci.pos, Vector{Type: Time64, Ints: []int64{t}}, STNone)
}

// formatDurationCall is px.format_duration(ns): a constant duration as the
// string px.parse_duration reads back ('-10m', '1h30m', '250ms').
func (in *interp) formatDurationCall(ci *callInfo) any {
	a := in.bindArgs(ci, "px.format_duration", []string{"duration"}, 1)
	var ns int64
	switch x := a[0].v.(type) {
	case int64:
		ns = x
	case *expr:
		i, ok := x.intConst()
		if !ok {
			in.fail(a[0].pos, "px.format_duration needs a constant duration, got %s", typeDesc(x))
		}
		ns = i
	default:
		in.fail(a[0].pos, "px.format_duration needs a duration, got %s", typeDesc(x))
	}
	return formatDuration(ns)
}

// formatDuration writes ns in units from days down to nanoseconds.
func formatDuration(ns int64) string {
	if ns == 0 {
		return "0s"
	}
	var b strings.Builder
	if ns < 0 {
		b.WriteByte('-')
		ns = -ns
	}
	units := []struct {
		name string
		ns   int64
	}{{"d", 24 * int64(time.Hour)}, {"h", int64(time.Hour)}, {"m", int64(time.Minute)}, {"s", int64(time.Second)},
		{"ms", int64(time.Millisecond)}, {"us", int64(time.Microsecond)}, {"ns", 1}}
	for _, u := range units {
		if ns >= u.ns {
			b.WriteString(strconv.FormatInt(ns/u.ns, 10) + u.name)
			ns %= u.ns
		}
	}
	return b.String()
}

// durationFn is px.seconds(n) and friends: a constant INT64 duration.
func durationFn(unit int64) func(in *interp, ci *callInfo) any {
	return func(in *interp, ci *callInfo) any {
		a := in.bindArgs(ci, "duration", []string{"n"}, 1)
		var ns int64
		switch x := a[0].v.(type) {
		case int64:
			ns = x * unit
		case float64:
			ns = int64(x * float64(unit))
		case *expr:
			i, ok := x.intConst()
			if !ok || x.typ != Int64 {
				in.fail(a[0].pos, "needs a constant number, got %s", typeDesc(x))
			}
			ns = i * unit
		default:
			in.fail(a[0].pos, "needs a number, got %s", typeDesc(a[0].v))
		}
		return intLit(ci.pos, ns, STDurationNS)
	}
}

// scriptReference is px.script_reference(label, script, args): a STRING
// (ST_SCRIPT_REFERENCE) holding {"label":...,"script":...,"args":{...}}.
func (in *interp) scriptReference(ci *callInfo) any {
	a := in.bindArgs(ci, "px.script_reference", []string{"label", "script", "args"}, 2)
	args := []*expr{in.toExpr(a[0].v, a[0].pos), in.toExpr(a[1].v, a[1].pos)}
	var keys []string
	if a[2].set {
		d, ok := a[2].v.(*pyDict)
		if !ok {
			in.fail(a[2].pos, "px.script_reference's args must be a dict")
		}
		for _, k := range d.keys {
			keys = append(keys, k)
			args = append(args, in.toExpr(d.vals[k], a[2].pos))
		}
	}
	fn := &scalarFunc{name: "script_reference", minArgs: len(args), maxArgs: len(args),
		resolve: func(args []*expr) (DataType, SemanticType, evalFn, error) {
			for _, x := range args {
				if x.typ == UInt128 {
					return 0, 0, nil, noOverload("px.script_reference", args)
				}
			}
			return String, STScriptReference, func(_ *evalCtx, v []value, n int) value {
				rows := n
				scalar := true
				for _, x := range v {
					scalar = scalar && x.scalar
				}
				if scalar {
					rows = 1
				}
				out := make([]string, rows)
				for r := range out {
					m := map[string]any{"label": cellString(v[0], r), "script": cellString(v[1], r)}
					am := map[string]string{}
					for k, key := range keys {
						am[key] = cellString(v[k+2], r)
					}
					m["args"] = am
					b, _ := json.Marshal(m)
					out[r] = string(b)
				}
				return strsVal(out, scalar)
			}, nil
		}}
	e, err := newCall(in.ec, ci.pos, fn, args)
	return in.must(e, err, ci.pos)
}

// cellString formats one value of v as a string.
func cellString(v value, r int) string {
	if v.scalar {
		r = 0
	}
	switch v.Type {
	case String:
		return v.Strs[r]
	case Int64, Time64:
		return strconv.FormatInt(v.Ints[r], 10)
	case Float64:
		return strconv.FormatFloat(v.Floats[r], 'g', -1, 64)
	case Boolean:
		return strconv.FormatBool(v.Bools[r])
	case UInt128:
		return v.U128s[r].String()
	}
	return fmt.Sprint(v)
}
