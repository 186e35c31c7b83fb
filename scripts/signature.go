package scripts

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// signature is what the catalog reads from a PxL source.
type signature struct {
	doc       string          // module docstring
	funcs     []*funcSig      // top-level functions in source order
	called    map[string]bool // functions called by module-level statements
	callArgs  map[string]map[string]string
	displays  bool // the module itself calls px.display
	firstCall string
}

type funcSig struct {
	name   string
	line   int
	doc    string
	params []Param
	// unannotated lists parameters without a type annotation: Vizier
	// refuses to call such a function through exec_funcs.
	unannotated []string
}

// SyntaxError is a PxL source that does not parse, with its position.
type SyntaxError struct {
	Line, Column int
	Message      string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// parseSignature parses src and extracts functions, parameters and the
// module-level calls.
func parseSignature(src string) (sig *signature, err error) {
	defer func() {
		// gpython's parser panics on a few malformed inputs; a broken
		// script must not take the catalog down.
		if r := recover(); r != nil {
			sig, err = nil, &SyntaxError{Line: 1, Column: 1, Message: fmt.Sprint(r)}
		}
	}()
	mod, err := parser.Parse(strings.NewReader(src), "script.pxl", py.ExecMode)
	if err != nil {
		return nil, syntaxError(err)
	}
	m, ok := mod.(*ast.Module)
	if !ok {
		return nil, &SyntaxError{Line: 1, Column: 1, Message: "not a module"}
	}
	sig = &signature{called: map[string]bool{}, callArgs: map[string]map[string]string{}}
	sig.doc = docstring(m.Body)
	defs := map[string]*funcSig{}
	for _, st := range m.Body {
		if fd, ok := st.(*ast.FunctionDef); ok {
			f := functionSig(fd)
			sig.funcs = append(sig.funcs, f)
			defs[f.name] = f
		}
	}
	for _, st := range m.Body {
		if _, ok := st.(*ast.FunctionDef); ok {
			continue
		}
		ast.Walk(st, func(n ast.Ast) bool {
			call, ok := n.(*ast.Call)
			if !ok {
				return true
			}
			if isPxCall(call, "display") {
				sig.displays = true
			}
			if name, ok := call.Func.(*ast.Name); ok {
				if f := defs[string(name.Id)]; f != nil {
					sig.called[f.name] = true
					if sig.firstCall == "" {
						sig.firstCall = f.name
						sig.callArgs[f.name] = callConstants(f, call)
					}
				}
			}
			return true
		})
	}
	return sig, nil
}

func syntaxError(err error) *SyntaxError {
	se := &SyntaxError{Line: 1, Column: 1, Message: err.Error()}
	if ex, ok := err.(*py.Exception); ok {
		if l, ok := ex.Dict["lineno"].(py.Int); ok {
			se.Line = int(l)
		}
		if o, ok := ex.Dict["offset"].(py.Int); ok {
			se.Column = int(o) + 1
		}
		se.Message = strings.TrimSpace(fmt.Sprint(ex.Args))
		if t, ok := ex.Args.(py.Tuple); ok && len(t) > 0 {
			se.Message = fmt.Sprint(t[0])
		}
	}
	return se
}

func isPxCall(call *ast.Call, name string) bool {
	at, ok := call.Func.(*ast.Attribute)
	if !ok || string(at.Attr) != name {
		return false
	}
	mod, ok := at.Value.(*ast.Name)
	return ok && mod.Id == "px"
}

func docstring(body []ast.Stmt) string {
	if len(body) == 0 {
		return ""
	}
	if e, ok := body[0].(*ast.ExprStmt); ok {
		if s, ok := e.Value.(*ast.Str); ok {
			return string(s.S)
		}
	}
	return ""
}

func functionSig(fd *ast.FunctionDef) *funcSig {
	f := &funcSig{name: string(fd.Name), line: fd.Lineno, doc: docstring(fd.Body)}
	descs := paramDescriptions(f.doc)
	args := fd.Args.Args
	// Python aligns defaults with the last parameters.
	firstDefault := len(args) - len(fd.Args.Defaults)
	for i, a := range args {
		p := Param{Name: string(a.Arg), Description: descs[string(a.Arg)], Required: true}
		if a.Annotation == nil {
			f.unannotated = append(f.unannotated, p.Name)
		} else {
			p.Type = exprName(a.Annotation)
		}
		if i >= firstDefault {
			if v, ok := constant(fd.Args.Defaults[i-firstDefault]); ok {
				p.Default, p.Required = &v, false
			}
		}
		f.params = append(f.params, p)
	}
	return f
}

// paramDescriptions reads `@name: description` lines of a docstring.
func paramDescriptions(doc string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "@") {
			continue
		}
		name, desc, ok := strings.Cut(line[1:], ":")
		if ok {
			out[strings.TrimSpace(name)] = strings.TrimSpace(desc)
		}
	}
	return out
}

// sectionHeaders are docstring lines that only introduce the parameter
// lines (Google and Pixie docstring style); they are no description.
var sectionHeaders = map[string]bool{"args:": true, "arguments:": true, "params:": true, "parameters:": true, "returns:": true, "return:": true}

// summary is the docstring without its @param lines and section headers
// (Args:), as one paragraph.
func summary(doc string) string {
	var parts []string
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "@") || sectionHeaders[strings.ToLower(line)] {
			continue
		}
		parts = append(parts, line)
	}
	return strings.Join(parts, " ")
}

func exprName(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Name:
		return string(v.Id)
	case *ast.Attribute:
		return exprName(v.Value) + "." + string(v.Attr)
	case *ast.Str:
		return string(v.S)
	default:
		return fmt.Sprintf("%T", e)
	}
}

// constant renders a literal (string, number, bool, negative number) as the
// string an argument would carry.
func constant(e ast.Expr) (string, bool) {
	switch v := e.(type) {
	case *ast.Str:
		return string(v.S), true
	case *ast.Num:
		return fmt.Sprint(v.N), true
	case *ast.NameConstant:
		switch v.Value {
		case py.True:
			return "true", true
		case py.False:
			return "false", true
		}
	case *ast.UnaryOp:
		if v.Op == ast.USub {
			if s, ok := constant(v.Operand); ok {
				return "-" + s, true
			}
		}
	}
	return "", false
}

// callConstants maps the literal arguments of a module-level call of f to
// f's parameter names: the script's own "usual" values.
func callConstants(f *funcSig, call *ast.Call) map[string]string {
	out := map[string]string{}
	for i, a := range call.Args {
		if i < len(f.params) {
			if v, ok := constant(a); ok {
				out[f.params[i].Name] = v
			}
		}
	}
	for _, kw := range call.Keywords {
		if v, ok := constant(kw.Value); ok {
			out[string(kw.Arg)] = v
		}
	}
	return out
}
