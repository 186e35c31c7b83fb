package pxl

import (
	"fmt"
	"regexp"
	"strings"
)

// exprKind says what an expression node is.
type exprKind uint8

const (
	eCol  exprKind = iota // a column of the frame the expression is applied to
	eLit                  // a constant (one value, broadcast)
	eCall                 // a scalar function (operators included)
)

// expr is a typed column expression: a tree of column references,
// constants and scalar functions. Expressions are immutable; bind returns a
// copy resolved against a relation.
type expr struct {
	kind exprKind
	pos  srcPos
	typ  DataType
	sem  SemanticType

	name string // eCol: the column name
	idx  int    // eCol: index in the bound relation (-1 unbound)

	lit Vector // eLit: exactly one value

	fn   *scalarFunc // eCall
	args []*expr
	impl evalFn
}

// value is an evaluated expression: a full column, or one value that
// stands for every row (scalar).
type value struct {
	Vector
	scalar bool
}

// evalFn computes a function over argument values for n rows.
type evalFn func(c *evalCtx, args []value, n int) value

// evalCtx carries per-query state to function implementations. It is used
// by one goroutine.
type evalCtx struct {
	now     int64
	meta    *Metadata
	regexps map[string]*regexp.Regexp
}

func (c *evalCtx) regexp(p string) (*regexp.Regexp, error) {
	if re, ok := c.regexps[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	if c.regexps == nil {
		c.regexps = make(map[string]*regexp.Regexp)
	}
	c.regexps[p] = re
	return re, nil
}

// colExpr returns a reference to a column of rel.
func colExpr(pos srcPos, c ColumnInfo) *expr {
	return &expr{kind: eCol, pos: pos, typ: c.Type, sem: c.Semantic, name: c.Name, idx: -1}
}

// litExpr returns a constant.
func litExpr(pos srcPos, v Vector, sem SemanticType) *expr {
	return &expr{kind: eLit, pos: pos, typ: v.Type, sem: sem, lit: v, idx: -1}
}

func intLit(pos srcPos, i int64, sem SemanticType) *expr {
	return litExpr(pos, Vector{Type: Int64, Ints: []int64{i}}, sem)
}
func floatLit(pos srcPos, f float64) *expr {
	return litExpr(pos, Vector{Type: Float64, Floats: []float64{f}}, STNone)
}
func strLit(pos srcPos, s string) *expr {
	return litExpr(pos, Vector{Type: String, Strs: []string{s}}, STNone)
}
func boolLit(pos srcPos, b bool) *expr {
	return litExpr(pos, Vector{Type: Boolean, Bools: []bool{b}}, STNone)
}

// isLit reports whether e is a constant.
func (e *expr) isLit() bool { return e.kind == eLit }

// strConst returns the value of a STRING constant.
func (e *expr) strConst() (string, bool) {
	if e.kind == eLit && e.typ == String {
		return e.lit.Strs[0], true
	}
	return "", false
}

// intConst returns the value of an INT64 or TIME64NS constant.
func (e *expr) intConst() (int64, bool) {
	if e.kind == eLit && (e.typ == Int64 || e.typ == Time64) {
		return e.lit.Ints[0], true
	}
	return 0, false
}

// typeError is an error at an expression's position, raised while typing.
type typeError struct {
	pos srcPos
	msg string
}

func (e *typeError) Error() string { return e.msg }

// newCall types a call of fn on args and, when every argument is a
// constant, folds it into a constant (ctx gives now and the metadata).
func newCall(c *evalCtx, pos srcPos, fn *scalarFunc, args []*expr) (*expr, error) {
	e := &expr{kind: eCall, pos: pos, fn: fn, args: args, idx: -1}
	if err := e.resolve(); err != nil {
		return nil, err
	}
	for _, a := range args {
		if !a.isLit() {
			return e, nil
		}
	}
	return foldExpr(c, e), nil
}

// resolve types a call node from its arguments' types.
func (e *expr) resolve() error {
	fn := e.fn
	if len(e.args) < fn.minArgs || len(e.args) > fn.maxArgs {
		want := fmt.Sprint(fn.minArgs)
		if fn.maxArgs != fn.minArgs {
			want = fmt.Sprintf("%d to %d", fn.minArgs, fn.maxArgs)
		}
		return &typeError{e.pos, fmt.Sprintf("%s takes %s argument(s), %d given", fn.display(), want, len(e.args))}
	}
	t, s, impl, err := fn.resolve(e.args)
	if err != nil {
		return &typeError{e.pos, err.Error()}
	}
	e.typ, e.sem, e.impl = t, s, impl
	return nil
}

func foldExpr(c *evalCtx, e *expr) *expr {
	vals := make([]value, len(e.args))
	for i, a := range e.args {
		vals[i] = value{Vector: a.lit, scalar: true}
	}
	v := e.impl(c, vals, 1)
	return litExpr(e.pos, v.slice(0, 1), e.sem)
}

// bind returns a copy of e with its column references resolved against
// rel (by name) and its calls re-typed for rel's column types.
func bind(e *expr, rel Relation) (*expr, error) {
	switch e.kind {
	case eLit:
		return e, nil
	case eCol:
		i := rel.Index(e.name)
		if i < 0 {
			return nil, &typeError{e.pos, fmt.Sprintf("column '%s' not found in the dataframe (columns: %s)", e.name, strings.Join(rel.Names(), ", "))}
		}
		b := *e
		b.idx, b.typ, b.sem = i, rel[i].Type, rel[i].Semantic
		return &b, nil
	}
	b := *e
	b.args = make([]*expr, len(e.args))
	for i, a := range e.args {
		ba, err := bind(a, rel)
		if err != nil {
			return nil, err
		}
		b.args[i] = ba
	}
	if err := b.resolve(); err != nil {
		return nil, err
	}
	return &b, nil
}

// eval computes a bound expression over a frame.
func (e *expr) eval(c *evalCtx, f *frame) value {
	switch e.kind {
	case eLit:
		return value{Vector: e.lit, scalar: true}
	case eCol:
		return value{Vector: *f.cols[e.idx]}
	}
	args := make([]value, len(e.args))
	for i, a := range e.args {
		args[i] = a.eval(c, f)
	}
	return e.impl(c, args, f.n)
}

// materialize returns v as a full column of n rows.
func (v value) materialize(n int) Vector {
	if !v.scalar {
		return v.Vector
	}
	out := Vector{Type: v.Type}
	switch v.Type {
	case Boolean:
		out.Bools = repeat(v.Bools[0], n)
	case Int64, Time64:
		out.Ints = repeat(v.Ints[0], n)
	case Float64:
		out.Floats = repeat(v.Floats[0], n)
	case String:
		out.Strs = repeat(v.Strs[0], n)
	case UInt128:
		out.U128s = repeat(v.U128s[0], n)
	}
	return out
}

func repeat[T any](x T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = x
	}
	return out
}

// Element-wise helpers with broadcasting of scalar operands.

func unaryOp[A, R any](a []A, as bool, n int, f func(A) R) ([]R, bool) {
	if as {
		return []R{f(a[0])}, true
	}
	out := make([]R, n)
	for i := range out {
		out[i] = f(a[i])
	}
	return out, false
}

func binaryOp[A, B, R any](a []A, as bool, b []B, bs bool, n int, f func(A, B) R) ([]R, bool) {
	switch {
	case as && bs:
		return []R{f(a[0], b[0])}, true
	case as:
		x := a[0]
		out := make([]R, n)
		for i := range out {
			out[i] = f(x, b[i])
		}
		return out, false
	case bs:
		y := b[0]
		out := make([]R, n)
		for i := range out {
			out[i] = f(a[i], y)
		}
		return out, false
	}
	out := make([]R, n)
	a, b = a[:n], b[:n]
	for i := range out {
		out[i] = f(a[i], b[i])
	}
	return out, false
}

func ternaryOp[A, B, C, R any](a []A, as bool, b []B, bs bool, c []C, cs bool, n int, f func(A, B, C) R) ([]R, bool) {
	if as && bs && cs {
		return []R{f(a[0], b[0], c[0])}, true
	}
	at := func(s []A, sc bool, i int) A {
		if sc {
			return s[0]
		}
		return s[i]
	}
	bt := func(s []B, sc bool, i int) B {
		if sc {
			return s[0]
		}
		return s[i]
	}
	ct := func(s []C, sc bool, i int) C {
		if sc {
			return s[0]
		}
		return s[i]
	}
	out := make([]R, n)
	for i := range out {
		out[i] = f(at(a, as, i), bt(b, bs, i), ct(c, cs, i))
	}
	return out, false
}

func boolsVal(s []bool, sc bool) value {
	return value{Vector: Vector{Type: Boolean, Bools: s}, scalar: sc}
}
func intsVal(s []int64, sc bool) value {
	return value{Vector: Vector{Type: Int64, Ints: s}, scalar: sc}
}
func timeVal(s []int64, sc bool) value {
	return value{Vector: Vector{Type: Time64, Ints: s}, scalar: sc}
}
func typedInts(t DataType) func(s []int64, sc bool) value {
	return func(s []int64, sc bool) value {
		return value{Vector: Vector{Type: t, Ints: s}, scalar: sc}
	}
}
func floatsVal(s []float64, sc bool) value {
	return value{Vector: Vector{Type: Float64, Floats: s}, scalar: sc}
}
func strsVal(s []string, sc bool) value {
	return value{Vector: Vector{Type: String, Strs: s}, scalar: sc}
}

// floats returns v's values as FLOAT64 (converting INT64/TIME64NS).
func (v value) floats() []float64 {
	if v.Type == Float64 {
		return v.Floats
	}
	out := make([]float64, len(v.Ints))
	for i, x := range v.Ints {
		out[i] = float64(x)
	}
	return out
}

func isNumeric(t DataType) bool { return t == Int64 || t == Float64 || t == Time64 }
