package demo

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pxl"
)

// Handler returns a fakevizier.Handler that runs each ExecuteScript
// request on e, so that fakevizier serves the engine over the
// real Vizier gRPC API: output tables, or compile errors (line, column,
// message) as Vizier reports them; mutations the cluster refuses are
// INVALID_ARGUMENT. A request with mutation: true deploys
// its tracepoints (pxtrace) and is answered with mutation_info first: not
// ready (the stream ends there) while they deploy, then ready with the
// results.
func Handler(e *pxl.Engine) fakevizier.Handler {
	return func(ctx context.Context, req *vizierpb.ExecuteScriptRequest) *fakevizier.Plan {
		if req.GetQueryStr() == "" {
			return &fakevizier.Plan{GRPCError: status.Errorf(codes.NotFound,
				"query %s not found (the demo engine does not resume queries)", req.GetQueryId())}
		}
		var funcs []pxl.FuncCall
		for _, f := range req.GetExecFuncs() {
			fc := pxl.FuncCall{Name: f.GetFuncName(), OutputPrefix: f.GetOutputTablePrefix()}
			for _, a := range f.GetArgValues() {
				fc.Args = append(fc.Args, pxl.FuncArg{Name: a.GetName(), Value: a.GetValue()})
			}
			funcs = append(funcs, fc)
		}
		res, err := e.Run(ctx, req.GetQueryStr(), pxl.RunOptions{Funcs: funcs, Mutation: req.GetMutation()})
		if err != nil {
			var ce *pxl.CompileError
			var refused *pxl.MutationRefused
			switch {
			case errors.As(err, &ce):
				p := &fakevizier.Plan{}
				for _, pe := range ce.Errors {
					p.CompileErrors = append(p.CompileErrors, fakevizier.CompilerError(uint64(pe.Line), uint64(pe.Column), pe.Message))
				}
				return p
			case errors.As(err, &refused):
				// The script's fault, not the cluster's: a client error.
				return &fakevizier.Plan{Status: &vizierpb.Status{Code: int32(codes.InvalidArgument), Message: err.Error()}}
			case ctx.Err() != nil:
				return &fakevizier.Plan{GRPCError: status.FromContextError(ctx.Err()).Err()}
			}
			return &fakevizier.Plan{Status: &vizierpb.Status{Code: int32(codes.Internal), Message: err.Error()}}
		}
		p := &fakevizier.Plan{Stats: &vizierpb.QueryExecutionStats{
			Timing: &vizierpb.QueryTimingInfo{
				CompilationTimeNs: max(res.Stats.Compilation.Nanoseconds(), 1),
				ExecutionTimeNs:   max(res.Stats.Execution.Nanoseconds(), 1),
			},
			BytesProcessed:   res.Stats.BytesScanned,
			RecordsProcessed: res.Stats.RowsScanned,
		}}
		if res.Mutation != nil {
			p.Mutation = mutationInfo(res.Mutation)
			if !res.Mutation.Ready {
				return &fakevizier.Plan{Mutation: p.Mutation}
			}
		}
		for _, t := range res.Tables {
			p.Tables = append(p.Tables, fakeTable(t))
		}
		return p
	}
}

// fakeTable converts an output table to the fakevizier form.
func fakeTable(t *pxl.Table) *fakevizier.Table {
	ft := &fakevizier.Table{Name: t.Name, Columns: make([]fakevizier.Column, len(t.Columns))}
	for i := range t.Columns {
		c := &t.Columns[i]
		fc := fakevizier.Column{Name: c.Name, Type: c.Type, Semantic: c.Semantic, Desc: c.Desc}
		switch c.Type {
		case pxl.Boolean:
			fc.Bools = nonNil(c.Bools)
		case pxl.Int64, pxl.Time64:
			fc.Int64s = nonNil(c.Ints)
		case pxl.Float64:
			fc.Float64s = nonNil(c.Floats)
		case pxl.String:
			fc.Strings = make([][]byte, len(c.Strs))
			for j, s := range c.Strs {
				fc.Strings[j] = []byte(s)
			}
		case pxl.UInt128:
			vals := make([]vizierpb.UInt128, len(c.U128s))
			fc.UInt128s = make([]*vizierpb.UInt128, len(c.U128s))
			for j, u := range c.U128s {
				vals[j].High, vals[j].Low = u.High, u.Low
				fc.UInt128s[j] = &vals[j]
			}
		}
		ft.Columns[i] = fc
	}
	return ft
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// mutationInfo is Vizier's mutation_info for the engine's report: status
// UNAVAILABLE while not ready.
func mutationInfo(m *pxl.MutationResult) *vizierpb.MutationInfo {
	mi := &vizierpb.MutationInfo{Status: &vizierpb.Status{}}
	if !m.Ready {
		mi.Status = &vizierpb.Status{Code: int32(codes.Unavailable), Message: m.Message}
	}
	for _, st := range m.States {
		mi.States = append(mi.States, &vizierpb.MutationInfo_MutationState{
			Id: st.ID, Name: st.Name, State: vizierpb.LifeCycleState(vizierpb.LifeCycleState_value[st.State]),
		})
	}
	return mi
}
