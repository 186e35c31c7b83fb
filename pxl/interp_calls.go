package pxl

// Calls: argument binding, PxL functions, px.* functions and methods.

// callInfo is one call's arguments.
type callInfo struct {
	pos    srcPos
	args   []any
	argPos []srcPos
	kws    []kwarg
}

type kwarg struct {
	name string
	val  any
	pos  srcPos
}

// argVal is a bound parameter.
type argVal struct {
	v   any
	pos srcPos
	set bool
}

// bindArgs binds a call's arguments to parameter names; the first
// required ones must be given.
func (in *interp) bindArgs(ci *callInfo, fname string, params []string, required int) []argVal {
	out := make([]argVal, len(params))
	if len(ci.args) > len(params) {
		in.fail(ci.argPos[len(params)], "%s takes at most %d positional argument(s)", fname, len(params))
	}
	for i, v := range ci.args {
		out[i] = argVal{v: v, pos: ci.argPos[i], set: true}
	}
	for _, kw := range ci.kws {
		found := false
		for i, p := range params {
			if p == kw.name {
				if out[i].set {
					in.fail(kw.pos, "%s got multiple values for argument '%s'", fname, p)
				}
				out[i] = argVal{v: kw.val, pos: kw.pos, set: true}
				found = true
			}
		}
		if !found {
			in.fail(kw.pos, "%s got an unexpected keyword argument '%s'", fname, kw.name)
		}
	}
	for i := 0; i < required; i++ {
		if !out[i].set {
			in.fail(ci.pos, "%s is missing its argument '%s'", fname, params[i])
		}
	}
	return out
}

func (in *interp) call(fn any, ci *callInfo) any {
	switch f := fn.(type) {
	case *pyFunc:
		return in.callFunc(f, ci)
	case *builtinFn:
		return f.fn(in, ci)
	case *method:
		return in.callMethod(f, ci)
	case *scalarRef:
		if len(ci.kws) > 0 {
			in.fail(ci.kws[0].pos, "px.%s takes positional arguments only", f.fn.name)
		}
		args := make([]*expr, len(ci.args))
		for i, a := range ci.args {
			args[i] = in.toExpr(a, ci.argPos[i])
		}
		e, err := newCall(in.ec, ci.pos, f.fn, args)
		return in.must(e, err, ci.pos)
	case *aggRef:
		in.fail(ci.pos, "px.%s is an aggregate: use it in agg(name=('column', px.%s))", f.fn.name, f.fn.name)
	case *pxType:
		// px.Service(x) and friends give a STRING its semantic type.
		if len(ci.args) != 1 || len(ci.kws) > 0 {
			in.fail(ci.pos, "px.%s takes one argument", f.name)
		}
		e, err := newCall(in.ec, ci.pos, pxTypeCasts[f.name], []*expr{in.toExpr(ci.args[0], ci.argPos[0])})
		return in.must(e, err, ci.pos)
	}
	in.fail(ci.pos, "%s is not callable", typeDesc(fn))
	return nil
}

func (in *interp) callFunc(f *pyFunc, ci *callInfo) any {
	if in.depth >= maxCallDepth {
		in.fail(ci.pos, "maximum function call depth (%d) exceeded", maxCallDepth)
	}
	params := f.def.Args.Args
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = string(p.Arg)
	}
	required := len(params) - len(f.defaults)
	vals := in.bindArgs(ci, string(f.def.Name), names, required)
	sc := newScope(f.closure)
	for i, v := range vals {
		if v.set {
			sc.vars[names[i]] = v.v
		} else {
			sc.vars[names[i]] = f.defaults[i-required]
		}
	}
	in.depth++
	defer func() { in.depth-- }()
	return in.execBlock(f.def.Body, sc).val
}
