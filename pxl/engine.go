package pxl

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// NoDisplayMessage is Vizier's compiler error for a script that outputs
// nothing (no px.display call runs).
const NoDisplayMessage = "query does not output a result, please add a px.display() statement"

// DefaultMaxOutputRows caps each output table, like Vizier's default
// result limit.
const DefaultMaxOutputRows = 10000

// FuncCall is one exec_funcs entry: call the script's function Name with
// string arguments (parsed by each parameter's annotation) and name its
// output OutputPrefix (a list result: OutputPrefix[0], [1], ...).
type FuncCall struct {
	Name         string
	Args         []FuncArg
	OutputPrefix string
}

// FuncArg is one named argument value of a FuncCall.
type FuncArg struct {
	Name, Value string
}

// RunOptions configure one run of a Program.
type RunOptions struct {
	// Funcs, when set, are called instead of producing the script's own
	// px.display tables (Vizier's exec_funcs).
	Funcs []FuncCall
	// MaxOutputRows caps each output table: 0 means DefaultMaxOutputRows,
	// a negative value no cap.
	MaxOutputRows int
	// Mutation runs the script as Vizier's mutation: true does: its
	// pxtrace calls go to the source (a Tracer), and its tables are
	// computed only once the source reports the tracepoints ready.
	Mutation bool
}

// Stats describe one run.
type Stats struct {
	Compilation  time.Duration // parsing, checks and planning
	Execution    time.Duration
	RowsScanned  int64
	BytesScanned int64
}

// Result is what a script outputs: its tables in the order they were
// displayed (or returned by exec_funcs functions).
type Result struct {
	Tables []*Table
	Stats  Stats
	// Mutation is the state of the tracepoints a mutating script deploys
	// (nil for a script that mutates nothing). While not Ready, Tables is
	// empty: the script's queries did not run.
	Mutation *MutationResult
}

// Table returns the named output table, or nil.
func (r *Result) Table(name string) *Table {
	for _, t := range r.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Run evaluates the program against src: it builds the plan (reporting any
// compile error, with position, before reading data), then executes it.
// Errors are *CompileError, the context's error, or source/internal errors.
func (p *Program) Run(ctx context.Context, src Source, opts RunOptions) (res *Result, err error) {
	start := time.Now()
	in := &interp{
		prog:     p,
		src:      src,
		ec:       &evalCtx{now: src.Now().UnixNano(), meta: src.Metadata()},
		display:  len(opts.Funcs) == 0,
		globals:  newScope(nil),
		mutation: opts.Mutation,
	}
	defer func() {
		if r := recover(); r != nil {
			res = nil
			if pe, ok := r.(*posErr); ok {
				err = p.compileError([]*posErr{pe})
				return
			}
			if ee, ok := r.(*execError); ok {
				err = ee
				return
			}
			err = fmt.Errorf("pxl: internal error: %v (at %s)", r, panicSite())
		}
	}()
	in.execBlock(p.mod.Body, in.globals)
	for _, f := range opts.Funcs {
		in.execFunc(f)
	}
	if len(in.sinks) == 0 && len(opts.Funcs) == 0 {
		return nil, &CompileError{Errors: []Pos{{Message: NoDisplayMessage}}}
	}
	res = &Result{}
	if m := in.mutations; opts.Mutation && len(m.Upserts)+len(m.Deletes) > 0 {
		tr, ok := src.(Tracer)
		if !ok {
			return nil, fmt.Errorf("pxl: this source cannot deploy tracepoints")
		}
		if res.Mutation, err = tr.Mutate(m); err != nil {
			return nil, &MutationRefused{Err: err}
		}
		if !res.Mutation.Ready {
			res.Stats.Compilation = time.Since(start)
			return res, nil
		}
	}
	res.Stats.Compilation = time.Since(start)
	execStart := time.Now()

	sinkNodes := make([]*node, len(in.sinks))
	for i, s := range in.sinks {
		sinkNodes[i] = s.node
	}
	prune(in.nodes, sinkNodes)
	x := &executor{ctx: ctx, src: src, ec: in.ec}
	maxRows := opts.MaxOutputRows
	if maxRows == 0 {
		maxRows = DefaultMaxOutputRows
	}
	for _, s := range in.sinks {
		f, err := x.run(s.node)
		if err != nil {
			return nil, err
		}
		rows := f.n
		if maxRows > 0 && rows > maxRows {
			rows = maxRows
		}
		t := &Table{Name: s.name, Columns: make([]Column, len(s.node.rel))}
		for j, c := range s.node.rel {
			t.Columns[j] = NewColumn(c, f.cols[j].slice(0, rows))
		}
		res.Tables = append(res.Tables, t)
	}
	res.Stats.Execution = time.Since(execStart)
	res.Stats.RowsScanned, res.Stats.BytesScanned = x.scanned, x.bytes
	return res, nil
}

// panicSite names the engine function where a panic happened.
func panicSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "/pxl.") && !strings.Contains(f.Function, "Run.func") {
			return fmt.Sprintf("%s:%d", f.Function, f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}

// execFunc calls one exec_funcs function and names its output.
func (in *interp) execFunc(fc FuncCall) {
	v, _ := in.globals.vars[fc.Name]
	f, ok := v.(*pyFunc)
	if !ok {
		in.fail(srcPos{}, "function '%s' not found in the script", fc.Name)
	}
	if fc.OutputPrefix == "" {
		in.fail(srcPos{}, "output_table_prefix required for function '%s'", fc.Name)
	}
	given := make(map[string]string, len(fc.Args))
	for _, a := range fc.Args {
		if _, dup := given[a.Name]; dup {
			in.fail(startPos(f.def), "argument '%s' given twice for function '%s'", a.Name, fc.Name)
		}
		given[a.Name] = a.Value
	}
	ci := &callInfo{pos: startPos(f.def)}
	known := map[string]bool{}
	for _, p := range f.def.Args.Args {
		name := string(p.Arg)
		known[name] = true
		pos := srcPos{p.Lineno, p.ColOffset}
		if p.Annotation == nil {
			in.fail(pos, "Arg type annotation required")
		}
		raw, ok := given[name]
		if !ok {
			continue // a default applies, or the call reports the missing argument
		}
		ci.kws = append(ci.kws, kwarg{name: name, val: in.parseArg(in.eval(p.Annotation, in.globals), raw, name, pos), pos: pos})
	}
	for _, a := range fc.Args {
		if !known[a.Name] {
			in.fail(startPos(f.def), "function '%s' has no parameter '%s'", fc.Name, a.Name)
		}
	}
	switch r := in.callFunc(f, ci).(type) {
	case *dataFrame:
		in.addSink(fc.OutputPrefix, r.node, ci.pos)
	case *pyList:
		for i, x := range r.elts {
			df, ok := x.(*dataFrame)
			if !ok {
				in.fail(ci.pos, "function '%s' returned a list holding %s: only DataFrames can be output", fc.Name, typeDesc(x))
			}
			in.addSink(fmt.Sprintf("%s[%d]", fc.OutputPrefix, i), df.node, ci.pos)
		}
	default:
		in.fail(ci.pos, "function '%s' must return a DataFrame or a list of DataFrames to be output, it returned %s", fc.Name, typeDesc(r))
	}
}

// parseArg converts an exec_funcs string argument by its annotation.
func (in *interp) parseArg(ann any, raw, name string, pos srcPos) any {
	switch a := ann.(type) {
	case *pxType:
		return raw
	case *builtinFn:
		switch a.name {
		case "str":
			return raw
		case "int":
			i, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
			if err != nil {
				in.fail(pos, "argument '%s': cannot parse %q as int", name, raw)
			}
			return i
		case "float":
			f, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
			if err != nil {
				in.fail(pos, "argument '%s': cannot parse %q as float", name, raw)
			}
			return f
		case "bool":
			b, err := strconv.ParseBool(strings.TrimSpace(raw))
			if err != nil {
				in.fail(pos, "argument '%s': cannot parse %q as bool", name, raw)
			}
			return b
		}
	}
	in.fail(pos, "argument '%s': unsupported type annotation %s (use str, int, float, bool, px.Service, px.Pod, px.Namespace or px.Node)", name, typeDesc(ann))
	return nil
}

// Engine runs PxL scripts against a Source.
type Engine struct {
	src           Source
	maxOutputRows int
}

// NewEngine returns an engine reading src.
func NewEngine(src Source) *Engine { return &Engine{src: src} }

// SetMaxOutputRows changes the per-table row cap (0: DefaultMaxOutputRows,
// negative: none). Call it before using the engine.
func (e *Engine) SetMaxOutputRows(n int) { e.maxOutputRows = n }

// Source returns the engine's source.
func (e *Engine) Source() Source { return e.src }

// Execute compiles and runs a script.
func (e *Engine) Execute(ctx context.Context, script string, funcs []FuncCall) (*Result, error) {
	return e.Run(ctx, script, RunOptions{Funcs: funcs})
}

// Run compiles and runs a script with options; MaxOutputRows 0 means the
// engine's (SetMaxOutputRows).
func (e *Engine) Run(ctx context.Context, script string, opts RunOptions) (*Result, error) {
	start := time.Now()
	p, err := Compile(script)
	if err != nil {
		return nil, err
	}
	parse := time.Since(start)
	if opts.MaxOutputRows == 0 {
		opts.MaxOutputRows = e.maxOutputRows
	}
	res, err := p.Run(ctx, e.src, opts)
	if err != nil {
		return nil, err
	}
	res.Stats.Compilation += parse
	return res, nil
}
