package pxl

import (
	"cmp"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// Pos is one compile error at a position of the script: 1-based line and
// column, as Vizier reports them (0, 0 when the error has no position).
type Pos struct {
	Line, Column int
	Message      string
}

// CompileError reports why a script cannot run: every error found, in
// source order. The engine never runs a script that has one.
type CompileError struct {
	Errors []Pos
}

func (e *CompileError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, p := range e.Errors {
		if p.Line == 0 {
			parts[i] = p.Message
		} else {
			parts[i] = fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message)
		}
	}
	return "pxl: compile error: " + strings.Join(parts, "; ")
}

// srcPos is a position in the parsed text: 1-based line, 0-based column
// (gpython's coordinates), before mapping back over inserted commas.
type srcPos struct {
	line, col int
}

// posErr is a compile error raised (by panic) during evaluation.
type posErr struct {
	pos srcPos
	msg string
}

func (e *posErr) Error() string { return e.msg }

// insertion is a comma the parser front end inserted between keyword
// arguments (Pixie's parser tolerates the missing comma; Python's does not).
type insertion struct {
	line, col int // where the comma is in the repaired text (0-based col)
}

// Program is a parsed PxL script that passed the static checks. It is
// immutable and may be run many times, concurrently.
type Program struct {
	src   string
	mod   *ast.Module
	fixes []insertion
}

// maxCommaRepairs bounds the missing-comma repairs of one script.
const maxCommaRepairs = 64

// Compile parses a PxL script and checks what can be checked without data:
// Python syntax, the supported subset of statements and expressions, and
// the names of px.* functions. Errors are *CompileError. Checks that need
// table schemas (columns, types) happen when the program runs, before any
// data is read.
func Compile(src string) (*Program, error) {
	p := &Program{src: src}
	text := src
	for {
		mod, err := parser.Parse(strings.NewReader(text), "<pxl>", py.ExecMode)
		if err == nil {
			m, ok := mod.(*ast.Module)
			if !ok {
				return nil, &CompileError{Errors: []Pos{{Message: "not a module"}}}
			}
			p.mod = m
			break
		}
		line, col, msg := syntaxError(err, text)
		if len(p.fixes) < maxCommaRepairs {
			if fixed, ins, ok := repairMissingComma(text, line, col); ok {
				text = fixed
				p.fixes = append(p.fixes, ins)
				continue
			}
		}
		return nil, p.errorAt(srcPos{line, col}, msg)
	}
	if errs := p.check(); len(errs) > 0 {
		return nil, p.compileError(errs)
	}
	return p, nil
}

// syntaxError extracts the line, 0-based column of the offending token's
// start and the message of a gpython syntax error.
func syntaxError(err error, text string) (line, col int, msg string) {
	var e *py.Exception
	if !errors.As(err, &e) {
		return 0, 0, err.Error()
	}
	msg = "invalid syntax"
	if t, ok := e.Args.(py.Tuple); ok && len(t) > 0 {
		if s, ok := t[0].(py.String); ok {
			msg = string(s)
		}
	}
	if e.Base != nil && e.Base != py.SyntaxError {
		msg = e.Base.Name + ": " + msg
	}
	l, _ := e.Dict["lineno"].(py.Int)
	off, _ := e.Dict["offset"].(py.Int)
	line = int(l)
	// gpython's offset is the column just after the offending token; step
	// back to its start when it is an identifier or number.
	col = int(off) - 1
	lines := strings.Split(text, "\n")
	if line >= 1 && line <= len(lines) {
		s := lines[line-1]
		if col > len(s) {
			col = len(s)
		}
		for col > 0 && col <= len(s) && isIdentChar(s[col-1]) && (col == len(s) || isIdentChar(s[col])) {
			col--
		}
	}
	if col < 0 {
		col = 0
	}
	return line, col, msg
}

func isIdentChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// repairMissingComma handles Pixie's tolerance of a missing comma between
// keyword arguments: when the syntax error is at an identifier followed by
// '=' (not '==') and preceded by the end of an expression, it inserts a
// comma right after that expression.
func repairMissingComma(text string, line, col int) (string, insertion, bool) {
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) {
		return "", insertion{}, false
	}
	s := lines[line-1]
	if col >= len(s) || !isIdentChar(s[col]) || (s[col] >= '0' && s[col] <= '9') {
		return "", insertion{}, false
	}
	end := col
	for end < len(s) && isIdentChar(s[end]) {
		end++
	}
	rest := strings.TrimLeft(s[end:], " \t")
	if !strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, "==") {
		return "", insertion{}, false
	}
	if !insideBrackets(lines, line, col) {
		return "", insertion{}, false
	}
	// The previous significant character, on this line or an earlier one.
	l, c := line-1, col
	for {
		code := stripComment(lines[l])
		if c > len(code) {
			c = len(code)
		}
		prefix := strings.TrimRight(code[:c], " \t\r")
		if prefix != "" {
			last := prefix[len(prefix)-1]
			if !(isIdentChar(last) || strings.IndexByte(")]}'\"", last) >= 0) {
				return "", insertion{}, false
			}
			at := len(prefix)
			lines[l] = lines[l][:at] + "," + lines[l][at:]
			return strings.Join(lines, "\n"), insertion{line: l + 1, col: at}, true
		}
		if l == 0 {
			return "", insertion{}, false
		}
		l--
		c = len(lines[l])
	}
}

// insideBrackets reports whether the position (1-based line, 0-based
// column) is inside an open parenthesis, bracket or brace; strings
// (triple-quoted ones too) and comments are skipped.
func insideBrackets(lines []string, line, col int) bool {
	depth := 0
	quote := "" // the open string's delimiter
	for l := 0; l < line; l++ {
		s := lines[l]
		if l == line-1 {
			s = s[:col]
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case quote != "":
				if c == '\\' {
					i++
				} else if strings.HasPrefix(s[i:], quote) {
					i += len(quote) - 1
					quote = ""
				}
			case c == '\'' || c == '"':
				quote = string(c)
				if strings.HasPrefix(s[i:], strings.Repeat(quote, 3)) {
					quote = strings.Repeat(quote, 3)
					i += 2
				}
			case c == '#':
				i = len(s)
			case c == '(' || c == '[' || c == '{':
				depth++
			case c == ')' || c == ']' || c == '}':
				depth--
			}
		}
		if len(quote) == 1 {
			quote = "" // a one-quote string ends with its line
		}
	}
	return depth > 0
}

// stripComment returns a line without its # comment (quotes are honoured).
func stripComment(s string) string {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#':
			return s[:i]
		}
	}
	return s
}

// userPos maps a position of the repaired text to the user's script:
// 1-based line and column.
func (p *Program) userPos(sp srcPos) (int, int) {
	if sp.line <= 0 {
		return 0, 0
	}
	col := sp.col
	for i := len(p.fixes) - 1; i >= 0; i-- {
		f := p.fixes[i]
		if f.line == sp.line && col > f.col {
			col--
		}
	}
	return sp.line, col + 1
}

func (p *Program) errorAt(sp srcPos, msg string) *CompileError {
	return p.compileError([]*posErr{{pos: sp, msg: msg}})
}

func (p *Program) compileError(errs []*posErr) *CompileError {
	ce := &CompileError{}
	for _, e := range errs {
		l, c := p.userPos(e.pos)
		ce.Errors = append(ce.Errors, Pos{Line: l, Column: c, Message: e.msg})
	}
	sort.SliceStable(ce.Errors, func(i, j int) bool {
		a, b := ce.Errors[i], ce.Errors[j]
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return ce
}

// startPos is where an expression or statement begins in the source
// (gpython places some nodes at their operator, and calls at 0:0).
func startPos(n ast.Ast) srcPos {
	switch e := n.(type) {
	case *ast.Attribute:
		return startPos(e.Value)
	case *ast.Subscript:
		return startPos(e.Value)
	case *ast.Call:
		return startPos(e.Func)
	case *ast.BinOp:
		return startPos(e.Left)
	case *ast.BoolOp:
		if len(e.Values) > 0 {
			return startPos(e.Values[0])
		}
	case *ast.Compare:
		return startPos(e.Left)
	case *ast.IfExp:
		return startPos(e.Body)
	case *ast.ExprStmt:
		return startPos(e.Value)
	case *ast.Assign:
		if len(e.Targets) > 0 {
			return startPos(e.Targets[0])
		}
	case *ast.AugAssign:
		return startPos(e.Target)
	}
	return srcPos{n.GetLineno(), n.GetColOffset()}
}

// check walks the whole module (function bodies included, called or not)
// and reports the constructs the engine does not support.
func (p *Program) check() []*posErr {
	var errs []*posErr
	add := func(n ast.Ast, format string, args ...any) {
		errs = append(errs, &posErr{pos: startPos(n), msg: fmt.Sprintf(format, args...)})
	}
	pxNames, traceNames := map[string]bool{}, map[string]bool{}
	ast.Walk(p.mod, func(n ast.Ast) bool {
		switch n := n.(type) {
		case *ast.Import:
			for _, a := range n.Names {
				bound := string(cmp.Or(a.AsName, a.Name))
				_, lib := libModules[string(a.Name)]
				switch {
				case a.Name == "px":
					pxNames[bound] = true
				case a.Name == "pxtrace":
					traceNames[bound] = true
				case !lib:
					add(n, "import of '%s' is not supported: only 'import px', 'import pxtrace' and 'import pxviews' are", a.Name)
				}
			}
		case *ast.ImportFrom:
			add(n, "'from ... import' is not supported: use 'import px'")
		case *ast.ClassDef:
			add(n, "class definitions are not supported in PxL")
			return false
		case *ast.For, *ast.While:
			add(n, "loops are not supported in PxL")
			return false
		case *ast.ListComp, *ast.SetComp, *ast.DictComp, *ast.GeneratorExp:
			add(n, "comprehensions are not supported in PxL")
			return false
		case *ast.Lambda:
			add(n, "lambda expressions are not supported in PxL")
			return false
		case *ast.With, *ast.Try, *ast.Raise, *ast.Assert, *ast.Global, *ast.Nonlocal, *ast.Delete,
			*ast.Yield, *ast.YieldFrom, *ast.Starred, *ast.Set, *ast.Ellipsis, *ast.Bytes, *ast.Break, *ast.Continue:
			add(n, "%s is not supported in PxL", nodeName(n))
			return false
		case *ast.FunctionDef:
			if len(n.DecoratorList) > 1 || len(n.DecoratorList) == 1 && !isProbeDecorator(n.DecoratorList[0], traceNames) {
				add(n, "decorators are not supported in PxL, except one @pxtrace.probe('<symbol>')")
			}
			if a := n.Args; a != nil && (a.Vararg != nil || a.Kwarg != nil || len(a.Kwonlyargs) > 0) {
				add(n, "*args, **kwargs and keyword-only parameters are not supported in PxL")
			}
		case *ast.Call:
			if n.Starargs != nil || n.Kwargs != nil {
				add(n, "*args and **kwargs in calls are not supported in PxL")
			}
		case *ast.Subscript:
			if _, ok := n.Slice.(*ast.Index); !ok {
				add(n, "slices are not supported in PxL")
			}
		case *ast.Attribute:
			if name, ok := n.Value.(*ast.Name); ok && pxNames[string(name.Id)] {
				if !pxKnown(string(n.Attr)) {
					add(n, "px.%s is not a function the demo PxL engine supports", n.Attr)
				}
			}
		}
		return true
	})
	return errs
}

func nodeName(n ast.Ast) string {
	switch n.(type) {
	case *ast.With:
		return "'with'"
	case *ast.Try:
		return "'try'"
	case *ast.Raise:
		return "'raise'"
	case *ast.Assert:
		return "'assert'"
	case *ast.Global:
		return "'global'"
	case *ast.Nonlocal:
		return "'nonlocal'"
	case *ast.Delete:
		return "'del'"
	case *ast.Yield, *ast.YieldFrom:
		return "'yield'"
	case *ast.Starred:
		return "unpacking with '*'"
	case *ast.Set:
		return "a set literal"
	case *ast.Ellipsis:
		return "'...'"
	case *ast.Bytes:
		return "a bytes literal"
	case *ast.Break:
		return "'break'"
	case *ast.Continue:
		return "'continue'"
	}
	return fmt.Sprintf("%T", n)
}

// isProbeDecorator reports whether d is pxtrace.probe(...), pxtrace being
// one of the names the module is imported as.
func isProbeDecorator(d ast.Expr, traceNames map[string]bool) bool {
	c, ok := d.(*ast.Call)
	if !ok {
		return false
	}
	f, ok := decoratorFunc(c.Func).(*ast.Attribute)
	if !ok {
		return false
	}
	m, ok := f.Value.(*ast.Name)
	return ok && f.Attr == "probe" && traceNames[string(m.Id)]
}

// decoratorFunc is the function a decorator calls: gpython parses a
// decorator's dotted name (pxtrace.probe) as one Name, made here the
// module attribute it means (at the Name's position).
func decoratorFunc(fn ast.Expr) ast.Expr {
	if n, ok := fn.(*ast.Name); ok {
		if mod, attr, dotted := strings.Cut(string(n.Id), "."); dotted {
			return &ast.Attribute{ExprBase: n.ExprBase, Value: &ast.Name{ExprBase: n.ExprBase, Id: ast.Identifier(mod)}, Attr: ast.Identifier(attr)}
		}
	}
	return fn
}
