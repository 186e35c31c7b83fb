package pxl

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/py"
)

// Python-level values of the interpreter (Go types):
//
//	int64, float64, string, bool, nil (None)  Python scalars
//	*pyList      list or tuple
//	*pyDict      dict with string keys
//	*pyFunc      a def
//	*dataFrame   a DataFrame (a plan node)
//	*groupBy     the result of df.groupby(...)
//	*ctxObj      df.ctx
//	*expr        a column expression or typed constant
//	*pxModule, *builtinFn, *method, *pxType, *aggRef, *scalarRef

type pyList struct {
	elts  []any
	tuple bool
}

type pyDict struct {
	keys []string
	vals map[string]any
}

type pyFunc struct {
	def      *ast.FunctionDef
	closure  *scope
	defaults []any // for the last len(defaults) parameters
}

type dataFrame struct{ node *node }

type groupBy struct {
	node *node
	keys []string
}

type ctxObj struct{ df *dataFrame }

type pxModule struct{}

type builtinFn struct {
	name string
	fn   func(in *interp, ci *callInfo) any
}

type method struct {
	recv any
	name string
}

type pxType struct{ name string }

type aggRef struct{ fn *aggFunc }

type scalarRef struct{ fn *scalarFunc }

type scope struct {
	vars   map[string]any
	parent *scope
}

func newScope(parent *scope) *scope { return &scope{vars: make(map[string]any), parent: parent} }

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

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

// sinkSpec is one output table.
type sinkSpec struct {
	name string
	node *node
}

// maxCallDepth bounds PxL function recursion.
const maxCallDepth = 64

// interp evaluates a module, building the plan.
type interp struct {
	prog    *Program
	src     Source
	ec      *evalCtx
	nodes   []*node
	sinks   []sinkSpec
	display bool // whether px.display produces tables
	depth   int
	steps   int // expressions evaluated, bounded by maxSteps
	globals *scope
}

// Limits on the Python-level evaluation of one script (it has no loops,
// but recursion and repeated doubling could still explode).
const (
	maxSteps    = 1_000_000
	maxPyString = 1 << 20
	maxPyList   = 1 << 16
)

func (in *interp) fail(pos srcPos, format string, args ...any) {
	panic(&posErr{pos: pos, msg: fmt.Sprintf(format, args...)})
}

// must turns an expression typing error into a compile error.
func (in *interp) must(e *expr, err error, pos srcPos) *expr {
	if err != nil {
		if te, ok := err.(*typeError); ok {
			in.fail(te.pos, "%s", te.msg)
		}
		in.fail(pos, "%s", err.Error())
	}
	return e
}

func (in *interp) newNode(kind nodeKind, rel Relation, inputs ...*node) *node {
	n := &node{id: len(in.nodes), kind: kind, rel: rel, inputs: inputs}
	in.nodes = append(in.nodes, n)
	return n
}

// ---- statements ----

type stmtResult struct {
	val      any
	returned bool
}

func (in *interp) execBlock(stmts []ast.Stmt, sc *scope) stmtResult {
	for _, s := range stmts {
		if r := in.exec(s, sc); r.returned {
			return r
		}
	}
	return stmtResult{}
}

func (in *interp) exec(s ast.Stmt, sc *scope) stmtResult {
	switch s := s.(type) {
	case *ast.Import:
		for _, a := range s.Names {
			name := string(a.Name)
			if a.AsName != "" {
				name = string(a.AsName)
			}
			sc.vars[name] = &pxModule{}
		}
	case *ast.FunctionDef:
		f := &pyFunc{def: s, closure: sc}
		for _, d := range s.Args.Defaults {
			f.defaults = append(f.defaults, in.eval(d, sc))
		}
		sc.vars[string(s.Name)] = f
	case *ast.Assign:
		v := in.eval(s.Value, sc)
		for _, t := range s.Targets {
			in.assign(t, v, sc)
		}
	case *ast.AugAssign:
		cur := in.eval(s.Target, sc)
		v := in.binop(s.Op, cur, in.eval(s.Value, sc), startPos(s))
		in.assign(s.Target, v, sc)
	case *ast.ExprStmt:
		if _, ok := s.Value.(*ast.Str); ok {
			return stmtResult{} // docstring
		}
		in.eval(s.Value, sc)
	case *ast.Return:
		var v any
		if s.Value != nil {
			v = in.eval(s.Value, sc)
		}
		return stmtResult{val: v, returned: true}
	case *ast.If:
		test := in.eval(s.Test, sc)
		if in.truth(test, startPos(s.Test)) {
			return in.execBlock(s.Body, sc)
		}
		return in.execBlock(s.Orelse, sc)
	case *ast.Pass:
	default:
		in.fail(startPos(s), "%s statements are not supported in PxL", strings.TrimPrefix(fmt.Sprintf("%T", s), "*ast."))
	}
	return stmtResult{}
}

func (in *interp) assign(t ast.Expr, v any, sc *scope) {
	switch t := t.(type) {
	case *ast.Name:
		sc.vars[string(t.Id)] = v
	case *ast.Attribute:
		obj := in.eval(t.Value, sc)
		df, ok := obj.(*dataFrame)
		if !ok {
			in.fail(startPos(t), "cannot set attribute '%s' on %s", t.Attr, typeDesc(obj))
		}
		in.setColumn(df, string(t.Attr), v, startPos(t))
	case *ast.Subscript:
		obj := in.eval(t.Value, sc)
		df, ok := obj.(*dataFrame)
		if !ok {
			in.fail(startPos(t), "item assignment is only supported on a DataFrame, not on %s", typeDesc(obj))
		}
		idx, _ := t.Slice.(*ast.Index)
		key := in.eval(idx.Value, sc)
		name, ok := key.(string)
		if !ok {
			in.fail(startPos(idx.Value), "a DataFrame column name must be a string, got %s", typeDesc(key))
		}
		in.setColumn(df, name, v, startPos(t))
	case *ast.Tuple, *ast.List:
		var elts []ast.Expr
		if tt, ok := t.(*ast.Tuple); ok {
			elts = tt.Elts
		} else {
			elts = t.(*ast.List).Elts
		}
		l, ok := v.(*pyList)
		if !ok || len(l.elts) != len(elts) {
			in.fail(startPos(t), "cannot unpack %s into %d targets", typeDesc(v), len(elts))
		}
		for i, e := range elts {
			in.assign(e, l.elts[i], sc)
		}
	default:
		in.fail(startPos(t), "cannot assign to this expression")
	}
}

// ---- expressions ----

func (in *interp) eval(e ast.Expr, sc *scope) any {
	pos := startPos(e)
	if in.steps++; in.steps > maxSteps {
		in.fail(pos, "the script is too complex to evaluate (more than %d steps)", maxSteps)
	}
	switch e := e.(type) {
	case *ast.Num:
		switch n := e.N.(type) {
		case py.Int:
			return int64(n)
		case py.Float:
			return float64(n)
		}
		in.fail(pos, "number %v is not supported (out of the int64 range, or complex)", e.N)
	case *ast.Str:
		return string(e.S)
	case *ast.NameConstant:
		switch e.Value {
		case py.True:
			return true
		case py.False:
			return false
		}
		return nil
	case *ast.Name:
		name := string(e.Id)
		if v, ok := sc.lookup(name); ok {
			return v
		}
		if b, ok := builtins[name]; ok {
			return b
		}
		in.fail(pos, "name '%s' is not defined", name)
	case *ast.Attribute:
		return in.getattr(in.eval(e.Value, sc), string(e.Attr), pos)
	case *ast.Subscript:
		obj := in.eval(e.Value, sc)
		idx, ok := e.Slice.(*ast.Index)
		if !ok {
			in.fail(pos, "slices are not supported in PxL")
		}
		return in.getitem(obj, in.eval(idx.Value, sc), pos, startPos(idx.Value))
	case *ast.Call:
		fn := in.eval(e.Func, sc)
		ci := &callInfo{pos: pos}
		for _, a := range e.Args {
			ci.args = append(ci.args, in.eval(a, sc))
			ci.argPos = append(ci.argPos, startPos(a))
		}
		for _, k := range e.Keywords {
			ci.kws = append(ci.kws, kwarg{name: string(k.Arg), val: in.eval(k.Value, sc), pos: srcPos{k.Lineno, k.ColOffset}})
		}
		return in.call(fn, ci)
	case *ast.BinOp:
		return in.binop(e.Op, in.eval(e.Left, sc), in.eval(e.Right, sc), pos)
	case *ast.UnaryOp:
		return in.unop(e.Op, in.eval(e.Operand, sc), pos)
	case *ast.BoolOp:
		return in.boolop(e, sc)
	case *ast.Compare:
		return in.compare(e, sc)
	case *ast.List:
		l := &pyList{}
		for _, x := range e.Elts {
			l.elts = append(l.elts, in.eval(x, sc))
		}
		return l
	case *ast.Tuple:
		l := &pyList{tuple: true}
		for _, x := range e.Elts {
			l.elts = append(l.elts, in.eval(x, sc))
		}
		return l
	case *ast.Dict:
		d := &pyDict{vals: make(map[string]any)}
		for i, k := range e.Keys {
			kv, ok := in.eval(k, sc).(string)
			if !ok {
				in.fail(startPos(k), "dict keys must be strings in PxL")
			}
			if _, dup := d.vals[kv]; !dup {
				d.keys = append(d.keys, kv)
			}
			d.vals[kv] = in.eval(e.Values[i], sc)
		}
		return d
	case *ast.IfExp:
		if in.truth(in.eval(e.Test, sc), startPos(e.Test)) {
			return in.eval(e.Body, sc)
		}
		return in.eval(e.Orelse, sc)
	default:
		in.fail(pos, "%s expressions are not supported in PxL", strings.TrimPrefix(fmt.Sprintf("%T", e), "*ast."))
	}
	return nil
}

func typeDesc(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case bool:
		return "bool"
	case *pyList:
		if v.tuple {
			return "tuple"
		}
		return "list"
	case *pyDict:
		return "dict"
	case *pyFunc:
		return "function"
	case *dataFrame:
		return "DataFrame"
	case *groupBy:
		return "GroupBy"
	case *ctxObj:
		return "ctx"
	case *expr:
		if v.isLit() {
			return typeName(v.typ) + " constant"
		}
		return "column expression (" + typeName(v.typ) + ")"
	case *pxModule:
		return "module px"
	case *builtinFn:
		return "function " + v.name
	case *method:
		return "method " + v.name
	case *pxType:
		return "px." + v.name
	case *aggRef:
		return "aggregate px." + v.fn.name
	case *scalarRef:
		return "function px." + v.fn.name
	}
	return fmt.Sprintf("%T", v)
}

func (in *interp) truth(v any, pos srcPos) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case *pyList:
		return len(v.elts) > 0
	case *pyDict:
		return len(v.keys) > 0
	case *expr:
		if v.isLit() && v.typ == Boolean {
			return v.lit.Bools[0]
		}
		in.fail(pos, "a %s has no truth value at compile time: use it in a filter or px.select", typeDesc(v))
	case *dataFrame:
		in.fail(pos, "a DataFrame has no truth value")
	}
	return true
}

// toExpr converts a value used in a column expression.
func (in *interp) toExpr(v any, pos srcPos) *expr {
	switch v := v.(type) {
	case *expr:
		return v
	case int64:
		return intLit(pos, v, STNone)
	case float64:
		return floatLit(pos, v)
	case string:
		return strLit(pos, v)
	case bool:
		return boolLit(pos, v)
	}
	in.fail(pos, "expected a column expression or a constant, got %s", typeDesc(v))
	return nil
}

func (in *interp) call2(fn *scalarFunc, a, b any, pos srcPos) *expr {
	e, err := newCall(in.ec, pos, fn, []*expr{in.toExpr(a, pos), in.toExpr(b, pos)})
	return in.must(e, err, pos)
}

func isPyNum(v any) bool {
	switch v.(type) {
	case int64, float64, bool:
		return true
	}
	return false
}

func pyFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

func pyInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
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
		ia, aInt := pyInt(a)
		ib, bInt := pyInt(b)
		if aInt && bInt {
			switch op {
			case ast.Add:
				return ia + ib
			case ast.Sub:
				return ia - ib
			case ast.Mult:
				return ia * ib
			case ast.Div:
				if ib == 0 {
					in.fail(pos, "division by zero")
				}
				return float64(ia) / float64(ib)
			case ast.FloorDiv:
				if ib == 0 {
					in.fail(pos, "division by zero")
				}
				return floorDiv(ia, ib)
			case ast.Modulo:
				if ib == 0 {
					in.fail(pos, "division by zero")
				}
				return ia - floorDiv(ia, ib)*ib
			case ast.Pow:
				if ib >= 0 {
					r := math.Pow(float64(ia), float64(ib))
					if math.Abs(r) < 1<<62 {
						return int64(r)
					}
				}
				return math.Pow(float64(ia), float64(ib))
			}
		} else {
			fa, fb := pyFloat(a), pyFloat(b)
			switch op {
			case ast.Add:
				return fa + fb
			case ast.Sub:
				return fa - fb
			case ast.Mult:
				return fa * fb
			case ast.Div:
				if fb == 0 {
					in.fail(pos, "division by zero")
				}
				return fa / fb
			case ast.FloorDiv:
				if fb == 0 {
					in.fail(pos, "division by zero")
				}
				return math.Floor(fa / fb)
			case ast.Modulo:
				if fb == 0 {
					in.fail(pos, "division by zero")
				}
				return fa - math.Floor(fa/fb)*fb
			case ast.Pow:
				return math.Pow(fa, fb)
			}
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

func pyEqual(a, b any) bool {
	if isPyNum(a) && isPyNum(b) {
		return pyFloat(a) == pyFloat(b)
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case nil:
		return b == nil
	case *pyList:
		y, ok := b.(*pyList)
		if !ok || len(x.elts) != len(y.elts) {
			return false
		}
		for i := range x.elts {
			if !pyEqual(x.elts[i], y.elts[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// ---- attributes and items ----

func (in *interp) getattr(obj any, name string, pos srcPos) any {
	switch o := obj.(type) {
	case *pxModule:
		return in.pxAttr(name, pos)
	case *dataFrame:
		if dfMethods[name] {
			return &method{recv: o, name: name}
		}
		if name == "ctx" {
			return &ctxObj{df: o}
		}
		i := o.node.rel.Index(name)
		if i < 0 {
			in.fail(pos, "column '%s' not found in the dataframe (columns: %s)", name, strings.Join(o.node.rel.Names(), ", "))
		}
		return colExpr(pos, o.node.rel[i])
	case *groupBy:
		if name == "agg" {
			return &method{recv: o, name: name}
		}
	}
	in.fail(pos, "%s has no attribute '%s'", typeDesc(obj), name)
	return nil
}

var dfMethods = map[string]bool{
	"groupby": true, "agg": true, "merge": true, "drop": true, "head": true, "append": true,
}

func (in *interp) getitem(obj, key any, pos, keyPos srcPos) any {
	switch o := obj.(type) {
	case *dataFrame:
		switch k := key.(type) {
		case string:
			i := o.node.rel.Index(k)
			if i < 0 {
				in.fail(keyPos, "column '%s' not found in the dataframe (columns: %s)", k, strings.Join(o.node.rel.Names(), ", "))
			}
			return colExpr(pos, o.node.rel[i])
		case *pyList:
			names := in.stringList(k, keyPos, "a column list")
			return in.project(o, names, keyPos)
		case *expr:
			return in.filterDF(o, k, keyPos)
		case bool:
			// df[True or cond] short-circuits to df[True], as Python does;
			// Pixie keeps every row for it.
			return in.filterDF(o, boolLit(keyPos, k), keyPos)
		}
		in.fail(keyPos, "a DataFrame is indexed by a column name, a list of column names or a BOOLEAN expression, not %s", typeDesc(key))
	case *ctxObj:
		k, ok := key.(string)
		if !ok {
			in.fail(keyPos, "ctx keys are strings, not %s", typeDesc(key))
		}
		return in.ctxLookup(o.df, k, pos, keyPos)
	case *pyList:
		i, ok := pyInt(key)
		if !ok {
			in.fail(keyPos, "list indices must be integers, not %s", typeDesc(key))
		}
		if i < 0 {
			i += int64(len(o.elts))
		}
		if i < 0 || i >= int64(len(o.elts)) {
			in.fail(keyPos, "index out of range")
		}
		return o.elts[i]
	case *pyDict:
		k, ok := key.(string)
		if !ok {
			in.fail(keyPos, "dict keys are strings, not %s", typeDesc(key))
		}
		v, ok := o.vals[k]
		if !ok {
			in.fail(keyPos, "key '%s' not found", k)
		}
		return v
	}
	in.fail(pos, "%s is not subscriptable", typeDesc(obj))
	return nil
}

func (in *interp) stringList(v any, pos srcPos, what string) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case *pyList:
		out := make([]string, len(v.elts))
		for i, x := range v.elts {
			s, ok := x.(string)
			if !ok {
				in.fail(pos, "%s must hold strings, got %s", what, typeDesc(x))
			}
			out[i] = s
		}
		return out
	}
	in.fail(pos, "%s must be a string or a list of strings, got %s", what, typeDesc(v))
	return nil
}

// ctxUPID maps ctx keys to the px functions deriving them from a UPID;
// ctxPodID from a pod id.
var (
	ctxUPID = map[string]string{
		"service": "upid_to_service_name", "service_name": "upid_to_service_name",
		"pod": "upid_to_pod_name", "pod_name": "upid_to_pod_name", "pod_id": "upid_to_pod_id",
		"namespace": "upid_to_namespace", "node": "upid_to_node_name", "node_name": "upid_to_node_name",
		"container": "upid_to_container_name", "container_name": "upid_to_container_name",
		"container_id": "upid_to_container_id", "pid": "upid_to_pid", "cmdline": "upid_to_cmdline",
		"cmd": "upid_to_cmdline", "hostname": "upid_to_hostname", "asid": "upid_to_asid",
	}
	ctxPodID = map[string]string{
		"service": "pod_id_to_service_name", "service_name": "pod_id_to_service_name",
		"pod": "pod_id_to_pod_name", "pod_name": "pod_id_to_pod_name",
		"namespace": "pod_id_to_namespace", "node": "pod_id_to_node_name", "node_name": "pod_id_to_node_name",
	}
)

func (in *interp) ctxLookup(df *dataFrame, key string, pos, keyPos srcPos) *expr {
	rel := df.node.rel
	var fn string
	var col int
	if i := rel.Index("upid"); i >= 0 && rel[i].Type == UInt128 {
		fn, col = ctxUPID[key], i
	} else if i := rel.Index("pod_id"); i >= 0 && rel[i].Type == String {
		fn, col = ctxPodID[key], i
	} else {
		in.fail(pos, "ctx['%s'] needs a 'upid' (or 'pod_id') column to derive metadata from", key)
	}
	if fn == "" {
		in.fail(keyPos, "ctx key '%s' is not supported for this dataframe", key)
	}
	e, err := newCall(in.ec, pos, pxScalars[fn], []*expr{colExpr(pos, rel[col])})
	return in.must(e, err, pos)
}

// ---- DataFrame operations ----

// boundCol is a bound reference to column i of rel.
func boundCol(i int, c ColumnInfo) *expr {
	return &expr{kind: eCol, typ: c.Type, sem: c.Semantic, name: c.Name, idx: i}
}

func (in *interp) bindExpr(e *expr, rel Relation, pos srcPos) *expr {
	b, err := bind(e, rel)
	return in.must(b, err, pos)
}

func (in *interp) setColumn(df *dataFrame, name string, v any, pos srcPos) {
	if dfMethods[name] || name == "ctx" {
		in.fail(pos, "'%s' is a DataFrame method; use df['%s'] = ... to name a column so", name, name)
	}
	old := df.node
	be := in.bindExpr(in.toExpr(v, pos), old.rel, pos)
	exprs := make([]*expr, 0, len(old.rel)+1)
	rel := make(Relation, 0, len(old.rel)+1)
	info := ColumnInfo{Name: name, Type: be.typ, Semantic: normSem(be.sem)}
	replaced := false
	for i, c := range old.rel {
		if c.Name == name {
			exprs, rel, replaced = append(exprs, be), append(rel, info), true
			continue
		}
		exprs, rel = append(exprs, boundCol(i, c)), append(rel, c)
	}
	if !replaced {
		exprs, rel = append(exprs, be), append(rel, info)
	}
	n := in.newNode(nMap, rel, old)
	n.exprs = exprs
	df.node = n
}

func (in *interp) filterDF(df *dataFrame, cond *expr, pos srcPos) *dataFrame {
	be := in.bindExpr(cond, df.node.rel, pos)
	if be.typ != Boolean {
		in.fail(pos, "a filter needs a BOOLEAN expression, got %s", typeName(be.typ))
	}
	n := in.newNode(nFilter, df.node.rel, df.node)
	n.cond = be
	return &dataFrame{node: n}
}

func (in *interp) project(df *dataFrame, names []string, pos srcPos) *dataFrame {
	rel := df.node.rel
	seen := map[string]bool{}
	n := in.newNode(nMap, nil, df.node)
	for _, name := range names {
		i := rel.Index(name)
		if i < 0 {
			in.fail(pos, "column '%s' not found in the dataframe (columns: %s)", name, strings.Join(rel.Names(), ", "))
		}
		if seen[name] {
			in.fail(pos, "column '%s' selected twice", name)
		}
		seen[name] = true
		n.rel = append(n.rel, rel[i])
		n.exprs = append(n.exprs, boundCol(i, rel[i]))
	}
	return &dataFrame{node: n}
}

func (in *interp) drop(df *dataFrame, names []string, pos srcPos) *dataFrame {
	rel := df.node.rel
	drop := map[string]bool{}
	for _, name := range names {
		if rel.Index(name) < 0 {
			in.fail(pos, "cannot drop column '%s': not in the dataframe (columns: %s)", name, strings.Join(rel.Names(), ", "))
		}
		drop[name] = true
	}
	var keep []string
	for _, c := range rel {
		if !drop[c.Name] {
			keep = append(keep, c.Name)
		}
	}
	return in.project(df, keep, pos)
}

func (in *interp) aggregate(input *node, keys []string, ci *callInfo) *dataFrame {
	if len(ci.args) > 0 {
		in.fail(ci.argPos[0], "agg takes keyword arguments only: name=('column', px.fn)")
	}
	rel := input.rel
	n := in.newNode(nAgg, nil, input)
	seen := map[string]bool{}
	for _, k := range keys {
		i := rel.Index(k)
		n.groups = append(n.groups, i)
		n.rel = append(n.rel, rel[i])
		seen[k] = true
	}
	if len(ci.kws) == 0 && len(keys) == 0 {
		in.fail(ci.pos, "agg needs at least one aggregate: name=('column', px.fn)")
	}
	for _, kw := range ci.kws {
		if seen[kw.name] {
			in.fail(kw.pos, "duplicate output column '%s' in agg", kw.name)
		}
		seen[kw.name] = true
		t, ok := kw.val.(*pyList)
		if !ok || len(t.elts) != 2 {
			in.fail(kw.pos, "an aggregate is a pair ('column', px.fn), got %s", typeDesc(kw.val))
		}
		col, ok := t.elts[0].(string)
		if !ok {
			in.fail(kw.pos, "an aggregate's first element is a column name, got %s", typeDesc(t.elts[0]))
		}
		ar, ok := t.elts[1].(*aggRef)
		if !ok {
			in.fail(kw.pos, "an aggregate's second element is an aggregate function such as px.count, got %s", typeDesc(t.elts[1]))
		}
		i := rel.Index(col)
		if i < 0 {
			in.fail(kw.pos, "column '%s' not found in the dataframe (columns: %s)", col, strings.Join(rel.Names(), ", "))
		}
		typ, sem, err := ar.fn.resolve(rel[i])
		if err != nil {
			in.fail(kw.pos, "%s", err.Error())
		}
		n.aggs = append(n.aggs, aggSpec{fn: ar.fn, col: i})
		n.rel = append(n.rel, ColumnInfo{Name: kw.name, Type: typ, Semantic: sem})
	}
	return &dataFrame{node: n}
}

func (in *interp) merge(left *dataFrame, ci *callInfo) *dataFrame {
	a := in.bindArgs(ci, "merge", []string{"right", "how", "left_on", "right_on", "suffixes"}, 1)
	right, ok := a[0].v.(*dataFrame)
	if !ok {
		in.fail(a[0].pos, "merge needs a DataFrame to merge with, got %s", typeDesc(a[0].v))
	}
	how := "inner"
	if a[1].set {
		s, ok := a[1].v.(string)
		if !ok || (s != "inner" && s != "left" && s != "right" && s != "outer") {
			in.fail(a[1].pos, "how must be 'inner', 'left', 'right' or 'outer'")
		}
		how = s
	}
	if !a[2].set || !a[3].set {
		in.fail(ci.pos, "merge needs left_on and right_on")
	}
	// No key columns (left_on=[], right_on=[]) is a cross join.
	lk := in.stringList(a[2].v, a[2].pos, "left_on")
	rk := in.stringList(a[3].v, a[3].pos, "right_on")
	if len(lk) != len(rk) {
		in.fail(a[2].pos, "left_on and right_on need the same number of columns")
	}
	suffixes := []string{"_x", "_y"}
	if a[4].set {
		suffixes = in.stringList(a[4].v, a[4].pos, "suffixes")
		if len(suffixes) != 2 {
			in.fail(a[4].pos, "suffixes needs two strings")
		}
	}
	lrel, rrel := left.node.rel, right.node.rel
	n := in.newNode(nJoin, nil, left.node, right.node)
	n.how = how
	for k := range lk {
		li, ri := lrel.Index(lk[k]), rrel.Index(rk[k])
		if li < 0 {
			in.fail(a[2].pos, "column '%s' not found in the left dataframe (columns: %s)", lk[k], strings.Join(lrel.Names(), ", "))
		}
		if ri < 0 {
			in.fail(a[3].pos, "column '%s' not found in the right dataframe (columns: %s)", rk[k], strings.Join(rrel.Names(), ", "))
		}
		if lrel[li].Type != rrel[ri].Type {
			in.fail(a[2].pos, "cannot join column '%s' (%s) with column '%s' (%s)", lk[k], typeName(lrel[li].Type), rk[k], typeName(rrel[ri].Type))
		}
		n.leftKeys, n.rightKeys = append(n.leftKeys, li), append(n.rightKeys, ri)
	}
	names := map[string]bool{}
	add := func(c ColumnInfo, right bool, i int, other Relation, suffix string) {
		if other.Index(c.Name) >= 0 {
			c.Name += suffix
		}
		if names[c.Name] {
			in.fail(ci.pos, "merge produces two columns named '%s': choose other suffixes", c.Name)
		}
		names[c.Name] = true
		n.rel = append(n.rel, c)
		n.joinCols = append(n.joinCols, joinCol{right: right, col: i})
	}
	for i, c := range lrel {
		add(c, false, i, rrel, suffixes[0])
	}
	for i, c := range rrel {
		add(c, true, i, lrel, suffixes[1])
	}
	return &dataFrame{node: n}
}

func (in *interp) appendDF(df *dataFrame, ci *callInfo) *dataFrame {
	a := in.bindArgs(ci, "append", []string{"objs"}, 1)
	var others []*dataFrame
	switch v := a[0].v.(type) {
	case *dataFrame:
		others = []*dataFrame{v}
	case *pyList:
		for _, x := range v.elts {
			d, ok := x.(*dataFrame)
			if !ok {
				in.fail(a[0].pos, "append takes DataFrames, got %s", typeDesc(x))
			}
			others = append(others, d)
		}
	default:
		in.fail(a[0].pos, "append takes a DataFrame or a list of DataFrames, got %s", typeDesc(a[0].v))
	}
	rel := df.node.rel
	n := in.newNode(nUnion, rel, df.node)
	ident := make([]int, len(rel))
	for i := range ident {
		ident[i] = i
	}
	n.unionMap = [][]int{ident}
	for _, o := range others {
		orel := o.node.rel
		if len(orel) != len(rel) {
			in.fail(a[0].pos, "append needs dataframes with the same columns: %s vs %s", strings.Join(rel.Names(), ", "), strings.Join(orel.Names(), ", "))
		}
		m := make([]int, len(rel))
		for j, c := range rel {
			k := orel.Index(c.Name)
			if k < 0 || orel[k].Type != c.Type {
				in.fail(a[0].pos, "append needs dataframes with the same columns and types: column '%s' differs", c.Name)
			}
			m[j] = k
		}
		n.inputs = append(n.inputs, o.node)
		n.unionMap = append(n.unionMap, m)
	}
	return &dataFrame{node: n}
}

// ---- calls ----

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

func (in *interp) callMethod(m *method, ci *callInfo) any {
	if g, ok := m.recv.(*groupBy); ok {
		return in.aggregate(g.node, g.keys, ci)
	}
	df := m.recv.(*dataFrame)
	switch m.name {
	case "groupby":
		a := in.bindArgs(ci, "groupby", []string{"by"}, 1)
		keys := in.stringList(a[0].v, a[0].pos, "groupby's columns")
		seen := map[string]bool{}
		for _, k := range keys {
			if df.node.rel.Index(k) < 0 {
				in.fail(a[0].pos, "column '%s' not found in the dataframe (columns: %s)", k, strings.Join(df.node.rel.Names(), ", "))
			}
			if seen[k] {
				in.fail(a[0].pos, "column '%s' grouped twice", k)
			}
			seen[k] = true
		}
		if len(keys) == 0 {
			in.fail(a[0].pos, "groupby needs at least one column")
		}
		return &groupBy{node: df.node, keys: keys}
	case "agg":
		return in.aggregate(df.node, nil, ci)
	case "merge":
		return in.merge(df, ci)
	case "drop":
		a := in.bindArgs(ci, "drop", []string{"columns"}, 1)
		return in.drop(df, in.stringList(a[0].v, a[0].pos, "drop's columns"), a[0].pos)
	case "head":
		a := in.bindArgs(ci, "head", []string{"n"}, 0)
		limit := int64(5)
		if a[0].set {
			v, ok := a[0].v.(int64)
			if !ok || v < 0 {
				in.fail(a[0].pos, "head needs a non-negative int, got %s", typeDesc(a[0].v))
			}
			limit = v
		}
		n := in.newNode(nLimit, df.node.rel, df.node)
		n.limit = int(min(limit, math.MaxInt32))
		return &dataFrame{node: n}
	case "append":
		return in.appendDF(df, ci)
	}
	in.fail(ci.pos, "DataFrame.%s is not supported", m.name)
	return nil
}

// ---- builtins ----

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
