package pxl

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
)

// Statements: the module body and function bodies.

// stmtResult is how a statement ended: by a return, with its value, or
// not.
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
			sc.vars[name] = in.importModule(string(a.Name))
		}
	case *ast.FunctionDef:
		f := &pyFunc{def: s, closure: sc}
		for _, d := range s.Args.Defaults {
			f.defaults = append(f.defaults, in.eval(d, sc))
		}
		for _, d := range s.DecoratorList { // compile.go allows @pxtrace.probe only
			f.probe = in.probeSymbol(d, sc)
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
		if _, ok := obj.(*pxModule); ok {
			in.setPxAttr(string(t.Attr), v)
			return
		}
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
