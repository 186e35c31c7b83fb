package pxl

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-python/gpython/ast"
)

// The pxtrace module: scripts that deploy tracepoints. A script run as a
// mutation (RunOptions.Mutation, Vizier's mutation: true) hands its
// pxtrace.UpsertTracepoint and DeleteTracepoint calls to the source (a
// Tracer), and its DataFrames may read the tracepoints' tables once the
// source reports them ready. Run as a plain query the calls are checked and
// ignored, as Vizier's query compiler does: the tables must exist already.

// Tracepoint is a tracepoint a script deploys with pxtrace.UpsertTracepoint.
type Tracepoint struct {
	Name  string
	Table string
	// Relation is its table's: for a probe function upid and time_, then
	// its outputs (FunctionLatency ST_DURATION_NS, arguments and return
	// values INT64); for a bpftrace program the fields its printf names
	// ("name:%fmt": %s STRING, others INT64, time_ TIME64NS).
	Relation Relation
	// Program identifies what it runs: the bpftrace text, or the probed
	// symbol and its outputs. An upsert of an existing name with another
	// program fails.
	Program string
	Target  TraceTarget
	TTL     time.Duration
}

// TraceTarget is what a tracepoint traces.
type TraceTarget struct {
	// Kind is "kprobe" (every process, pxtrace.kprobe()), "pod"
	// (pxtrace.PodProcess: pods whose namespace/name starts with Pod),
	// "namespace" (pxtrace.LabelSelector: the pods of Namespace) or
	// "upid" (a UPID string or pxtrace.SharedObject: UPID).
	Kind      string
	Pod       string
	Namespace string
	UPID      string
}

// Mutations are what a script asks of the cluster.
type Mutations struct {
	Upserts []Tracepoint
	Deletes []string // tracepoint names
}

// Lifecycle states of a tracepoint (Vizier's LifeCycleState names).
const (
	StatePending    = "PENDING_STATE"
	StateRunning    = "RUNNING_STATE"
	StateFailed     = "FAILED_STATE"
	StateTerminated = "TERMINATED_STATE"
)

// MutationState is the state of one upserted tracepoint.
type MutationState struct {
	ID    string // UUID-shaped
	Name  string
	State string // StatePending, StateRunning, ...
}

// MutationResult is what a Tracer reports on a script's mutations.
type MutationResult struct {
	States []MutationState
	// Ready is true when every tracepoint runs and its table can be read;
	// until then the script's queries are not run.
	Ready bool
	// Message says why not ready (Vizier's status message).
	Message string
}

// Tracer is a Source that can deploy tracepoints.
type Tracer interface {
	// Mutate applies a script's mutations: deletes, then upserts (a new
	// name starts deploying, a known one has its TTL reset). An error is a
	// refused mutation (a name upserted with another program, a table
	// with another schema).
	Mutate(m Mutations) (*MutationResult, error)
}

// MutationRefused is a Tracer's refusal of a script's mutations (a name
// upserted with another program, a table with another schema, a bound of
// the source): the script asked for what the cluster will not do, not a
// failure of the cluster. Its message is the Tracer's.
type MutationRefused struct{ Err error }

func (e *MutationRefused) Error() string { return e.Err.Error() }
func (e *MutationRefused) Unwrap() error { return e.Err }

// traceModule is the value `import pxtrace` binds.
type traceModule struct{}

// traceField is pxtrace.ArgExpr, RetExpr or FunctionLatency: one output of
// a probe function.
type traceField struct {
	kind string // "arg", "ret", "latency"
	expr string
}

// probeDecorator is pxtrace.probe(symbol), applied to a def.
type probeDecorator struct{ symbol string }

// traceProgram is pxtrace.TraceProgram(program, ...).
type traceProgram struct{ text string }

// traceFns are pxtrace's functions.
var traceFns = map[string]func(in *interp, ci *callInfo) any{
	"ArgExpr": func(in *interp, ci *callInfo) any {
		return &traceField{"arg", in.traceStr(ci, "pxtrace.ArgExpr", "expr")}
	},
	"RetExpr": func(in *interp, ci *callInfo) any {
		return &traceField{"ret", in.traceStr(ci, "pxtrace.RetExpr", "expr")}
	},
	"FunctionLatency": func(in *interp, ci *callInfo) any {
		in.bindArgs(ci, "pxtrace.FunctionLatency", nil, 0)
		return &traceField{kind: "latency"}
	},
	"probe": func(in *interp, ci *callInfo) any {
		return &probeDecorator{in.traceStr(ci, "pxtrace.probe", "trace_fn")}
	},
	"kprobe": func(in *interp, ci *callInfo) any {
		in.bindArgs(ci, "pxtrace.kprobe", nil, 0)
		return TraceTarget{Kind: "kprobe"}
	},
	"TraceProgram":     traceProgramFn,
	"PodProcess":       podProcessFn,
	"LabelSelector":    labelSelectorFn,
	"SharedObject":     sharedObjectFn,
	"DeleteTracepoint": deleteTracepointFn,
}

func init() { traceFns["UpsertTracepoint"] = upsertTracepointFn } // it calls back into the interpreter

// traceAttr is pxtrace.name.
func (in *interp) traceAttr(name string, pos srcPos) any {
	f, ok := traceFns[name]
	if !ok {
		in.fail(pos, "pxtrace.%s is not a function the demo PxL engine supports", name)
	}
	return &builtinFn{name: "pxtrace." + name, fn: f}
}

// traceStr binds a call of one required string argument.
func (in *interp) traceStr(ci *callInfo, fname, param string) string {
	a := in.bindArgs(ci, fname, []string{param}, 1)
	return in.strArg(a[0], fname, param)
}

func (in *interp) strArg(a argVal, fname, param string) string {
	s, ok := a.v.(string)
	if !ok {
		in.fail(a.pos, "%s's %s must be a string, got %s", fname, param, typeDesc(a.v))
	}
	return s
}

func traceProgramFn(in *interp, ci *callInfo) any {
	a := in.bindArgs(ci, "pxtrace.TraceProgram", []string{"program", "min_kernel", "max_kernel", "host_name"}, 1)
	return &traceProgram{text: in.strArg(a[0], "pxtrace.TraceProgram", "program")}
}

func podProcessFn(in *interp, ci *callInfo) any {
	a := in.bindArgs(ci, "pxtrace.PodProcess", []string{"pod_name", "container_name", "process_name"}, 1)
	pod := in.strArg(a[0], "pxtrace.PodProcess", "pod_name")
	if !strings.Contains(pod, "/") {
		in.fail(a[0].pos, "pxtrace.PodProcess's pod_name must be <namespace>/<pod>, got %q", pod)
	}
	return TraceTarget{Kind: "pod", Pod: pod}
}

func labelSelectorFn(in *interp, ci *callInfo) any {
	a := in.bindArgs(ci, "pxtrace.LabelSelector", []string{"labels", "namespace", "container_name", "process_name"}, 2)
	if _, ok := a[0].v.(*pyDict); !ok {
		in.fail(a[0].pos, "pxtrace.LabelSelector's labels must be a dict, got %s", typeDesc(a[0].v))
	}
	return TraceTarget{Kind: "namespace", Namespace: in.strArg(a[1], "pxtrace.LabelSelector", "namespace")}
}

func sharedObjectFn(in *interp, ci *callInfo) any {
	a := in.bindArgs(ci, "pxtrace.SharedObject", []string{"name", "upid"}, 2)
	in.strArg(a[0], "pxtrace.SharedObject", "name")
	return TraceTarget{Kind: "upid", UPID: in.upidTarget(a[1])}
}

// upidTarget reads a UPID target: a string or a px.uint128 constant.
func (in *interp) upidTarget(a argVal) string {
	switch v := a.v.(type) {
	case string:
		return v
	case *expr:
		if v.isLit() && v.typ == UInt128 {
			return v.lit.U128s[0].String()
		}
	}
	in.fail(a.pos, "a tracepoint target must be a UPID, pxtrace.kprobe(), pxtrace.PodProcess(...), pxtrace.LabelSelector(...) or pxtrace.SharedObject(...), got %s", typeDesc(a.v))
	return ""
}

func deleteTracepointFn(in *interp, ci *callInfo) any {
	name := in.traceStr(ci, "pxtrace.DeleteTracepoint", "name")
	in.mutations.Deletes = append(in.mutations.Deletes, name)
	return nil
}

func upsertTracepointFn(in *interp, ci *callInfo) any {
	const fname = "pxtrace.UpsertTracepoint"
	a := in.bindArgs(ci, fname, []string{"name", "table_name", "probe_fn", "target", "ttl"}, 5)
	tp := Tracepoint{Name: in.strArg(a[0], fname, "name"), Table: in.strArg(a[1], fname, "table_name")}
	if tp.Name == "" || tp.Table == "" {
		in.fail(ci.pos, "%s needs a tracepoint name and a table name", fname)
	}
	tp.Relation, tp.Program = in.traceOutputs(a[2])
	if t, ok := a[3].v.(TraceTarget); ok {
		tp.Target = t
	} else {
		tp.Target = TraceTarget{Kind: "upid", UPID: in.upidTarget(a[3])}
	}
	ttl, ok := parseDuration(strings.TrimSpace(in.strArg(a[4], fname, "ttl")))
	if !ok || ttl <= 0 {
		in.fail(a[4].pos, "%s's ttl must be a positive duration such as '5m', got %q", fname, a[4].v)
	}
	tp.TTL = time.Duration(ttl)
	in.mutations.Upserts = append(in.mutations.Upserts, tp)
	if in.mutation {
		if in.traceTables == nil {
			in.traceTables = map[string]Relation{}
		}
		in.traceTables[tp.Table] = tp.Relation
	}
	return nil
}

// traceOutputs is the relation and program of a probe_fn argument: a
// pxtrace.probe function, a bpftrace program string, a TraceProgram or a
// list of them (which must print the same fields).
func (in *interp) traceOutputs(a argVal) (Relation, string) {
	switch v := a.v.(type) {
	case *pyFunc:
		if v.probe == "" {
			in.fail(a.pos, "function '%s' is not a probe: decorate it with @pxtrace.probe('<symbol>')", v.def.Name)
		}
		return in.probeOutputs(v, a.pos)
	case string:
		return in.bpftraceOutputs(v, a.pos), v
	case *traceProgram:
		return in.bpftraceOutputs(v.text, a.pos), v.text
	case *pyList:
		if len(v.elts) == 0 {
			in.fail(a.pos, "the list of trace programs is empty")
		}
		var rel Relation
		var texts []string
		for _, x := range v.elts {
			p, ok := x.(*traceProgram)
			if !ok {
				in.fail(a.pos, "a list of programs must hold pxtrace.TraceProgram values, not %s", typeDesc(x))
			}
			r := in.bpftraceOutputs(p.text, a.pos)
			if rel != nil && !rel.SameColumns(r) {
				in.fail(a.pos, "the trace programs print different fields")
			}
			rel = r
			texts = append(texts, p.text)
		}
		return rel, strings.Join(texts, "\x00")
	}
	in.fail(a.pos, "pxtrace.UpsertTracepoint's probe_fn must be a @pxtrace.probe function, a bpftrace program or pxtrace.TraceProgram(s), got %s", typeDesc(a.v))
	return nil, ""
}

// probeOutputs calls a probe function: it returns a list of one-entry
// dicts {column: pxtrace field}.
func (in *interp) probeOutputs(f *pyFunc, pos srcPos) (Relation, string) {
	out, ok := in.callFunc(f, &callInfo{pos: pos}).(*pyList)
	if !ok || len(out.elts) == 0 {
		in.fail(pos, "probe function '%s' must return a list of {column: pxtrace field} dicts", f.def.Name)
	}
	rel := Relation{{Name: "upid", Type: UInt128, Semantic: STNone}, {Name: "time_", Type: Time64, Semantic: STNone}}
	prog := []string{f.probe}
	for _, e := range out.elts {
		d, ok := e.(*pyDict)
		if !ok {
			in.fail(pos, "probe function '%s' returned %s in its list: want {column: pxtrace field} dicts", f.def.Name, typeDesc(e))
		}
		for _, k := range d.keys {
			fld, ok := d.vals[k].(*traceField)
			if !ok {
				in.fail(pos, "output '%s' of probe '%s' must be pxtrace.ArgExpr, RetExpr or FunctionLatency, got %s", k, f.def.Name, typeDesc(d.vals[k]))
			}
			if rel.Index(k) >= 0 {
				in.fail(pos, "probe '%s' outputs column '%s' twice", f.def.Name, k)
			}
			c := ColumnInfo{Name: k, Type: Int64, Semantic: STNone}
			if fld.kind == "latency" {
				c.Semantic = STDurationNS
			}
			rel = append(rel, c)
			prog = append(prog, fmt.Sprintf("%s=%s(%s)", k, fld.kind, fld.expr))
		}
	}
	return rel, strings.Join(prog, " ")
}

// bpftraceOutputs reads the fields of a bpftrace program's first printf:
// "name:%fmt" pairs separated by spaces (a pair without a name becomes
// Column_<i>), as Stirling names them.
func (in *interp) bpftraceOutputs(prog string, pos srcPos) Relation {
	i := strings.Index(prog, "printf(")
	if i < 0 {
		in.fail(pos, "the bpftrace program has no printf: its table would have no columns")
	}
	s := prog[i+len("printf("):]
	q := strings.IndexByte(s, '"')
	if q < 0 {
		in.fail(pos, "the bpftrace program's printf has no format string")
	}
	s = s[q+1:]
	end := 0
	for end < len(s) && (s[end] != '"' || end > 0 && s[end-1] == '\\') {
		end++
	}
	var rel Relation
	for _, tok := range strings.Fields(strings.ReplaceAll(s[:end], `\"`, "")) {
		if !strings.Contains(tok, "%") {
			continue
		}
		name, spec, ok := strings.Cut(tok, ":")
		if !ok {
			name, spec = "", tok
		}
		if name == "" {
			name = fmt.Sprintf("Column_%d", len(rel))
		}
		c := ColumnInfo{Name: name, Type: Int64, Semantic: STNone}
		switch {
		case name == "time_":
			c.Type = Time64
		case strings.HasSuffix(spec, "s"):
			c.Type = String
		}
		if rel.Index(name) >= 0 {
			in.fail(pos, "the bpftrace program prints field '%s' twice", name)
		}
		rel = append(rel, c)
	}
	if len(rel) == 0 {
		in.fail(pos, "the bpftrace program's printf names no fields (want name:%%fmt pairs)")
	}
	return rel
}

// probeSymbol evaluates a @pxtrace.probe(symbol) decorator.
func (in *interp) probeSymbol(d ast.Expr, sc *scope) string {
	c, ok := d.(*ast.Call)
	if !ok {
		in.fail(startPos(d), "only @pxtrace.probe('<symbol>') may decorate a function")
	}
	call := *c
	call.Func = decoratorFunc(c.Func)
	pd, ok := in.evalCall(&call, sc, startPos(c)).(*probeDecorator)
	if !ok {
		in.fail(startPos(c), "only @pxtrace.probe('<symbol>') may decorate a function")
	}
	return pd.symbol
}
