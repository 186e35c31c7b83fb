package pxl

import "fmt"

// The interpreter runs a script's module at compile time, Python-level,
// building the plan: interp_stmt.go runs statements, interp_eval.go and
// interp_ops.go evaluate expressions, interp_access.go reads attributes and
// items, interp_calls.go makes calls, interp_dataframe.go adds the plan
// nodes of DataFrame operations, interp_builtins.go has the Python
// builtins and interp_values.go the values they all handle.

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
	libs    map[string]*libModule // imported library modules
	pxAttrs map[string]any        // px attributes the script set

	mutation    bool                // run as a mutation: pxtrace calls count
	mutations   Mutations           // the script's pxtrace calls
	traceTables map[string]Relation // tables of the tracepoints upserted
}

// maxCallDepth bounds PxL function recursion.
const maxCallDepth = 64

// Limits on the Python-level evaluation of one script (it has no loops,
// but recursion and repeated doubling could still explode).
const (
	maxSteps    = 1_000_000
	maxPyString = 1 << 20
	maxPyList   = 1 << 16
)

// sinkSpec is one output table.
type sinkSpec struct {
	name string
	node *node
}

// scope holds the variables of the module or of one function call.
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
