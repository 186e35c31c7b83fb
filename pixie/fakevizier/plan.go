package fakevizier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// DefaultBatchRows is the number of rows per RowBatchData when
// Plan.BatchRows is not set.
const DefaultBatchRows = 1024

// CompileFailedMessage is the status message of a compile-error response.
const CompileFailedMessage = "Script compilation failed"

// NoDisplayMessage is the compiler error of a script that outputs nothing.
const NoDisplayMessage = "query does not output a result, please add a px.display() statement"

// Handler decides how the fake answers one ExecuteScript request. It runs on
// the stream's goroutine with the stream's context; handlers serving
// concurrent queries run concurrently. A nil *Plan is an empty successful
// result (execution stats only).
//
// The request must not be modified. The returned Plan (and its tables) is
// only read, so one Plan may be returned for many requests, but it must not
// be modified after it has been returned.
type Handler func(ctx context.Context, req *vizierpb.ExecuteScriptRequest) *Plan

// Plan describes what an ExecuteScript stream sends. Exactly one outcome
// applies, checked in this order: GRPCError, a Mutation that is not ready,
// CompileErrors, Status, tables.
//
// The zero Plan is a successful query without output tables: one
// execution_stats message, then a normal end of stream.
type Plan struct {
	// GRPCError, when set, is returned from the RPC before anything is sent
	// (use status.Error to choose the code the client sees).
	GRPCError error

	// Mutation, when set and the request has mutation: true (as Vizier
	// does; a request without it never gets one), is sent first as the
	// mutation_info message. When its status code is not 0 (see
	// MutationPending) the stream then ends with that gRPC code and
	// message, before any table; otherwise the rest of the plan follows.
	// Sequence gives successive attempts different states.
	Mutation *vizierpb.MutationInfo

	// CompileErrors, when set, produce one response whose status has code 3
	// (INVALID_ARGUMENT), message CompileFailedMessage and one
	// error_details.compiler_error per entry; then the stream ends normally.
	CompileErrors []*vizierpb.CompilerError

	// Status, when set, is sent in one response; then the stream ends
	// normally.
	Status *vizierpb.Status

	// Tables are the output tables. All their meta_data messages are sent
	// first, in order; then their batches, interleaved round-robin (one batch
	// of each unfinished table per round), each table's last batch marked
	// eos; then execution_stats.
	Tables []*Table

	// BatchRows is the number of rows per batch; 0 means DefaultBatchRows.
	BatchRows int

	// EmptyLastBatch sends each table's eos as an extra 0-row batch instead
	// of marking its last data batch. A table without rows always gets one
	// 0-row eos batch.
	EmptyLastBatch bool

	// Stats, when set, replaces the execution stats the fake computes
	// (elapsed time, rows and bytes of all tables).
	Stats *vizierpb.QueryExecutionStats

	// OmitStats leaves out the execution_stats message.
	OmitStats bool

	// Delay is waited before each message (a slow stream).
	Delay time.Duration

	// Hang blocks the stream after the meta_data messages until the client
	// cancels or the server closes; no data is sent.
	Hang bool

	// HangAfter, when positive, blocks the stream once that many messages
	// have been sent (e.g. 2: one table's meta_data and its first batch),
	// until the client cancels or the server closes: rows went out, and
	// nothing but the client (its deadline, its leaving) can end the query.
	// A stream with fewer messages ends normally.
	HangAfter int

	// AbortAfter, when positive, fails the stream with codes.Unavailable
	// ("stream reset", as after an RST_STREAM) once that many messages have
	// been sent. A stream with fewer messages ends normally.
	AbortAfter int

	// AbortCode is the code AbortAfter fails the stream with; the zero
	// value (codes.OK) means codes.Unavailable.
	AbortCode codes.Code

	// ResetAfter, when positive, breaks the stream once that many messages
	// have been sent the way a transport reset does (codes.Internal,
	// "RST_STREAM"), which Pixie's clients answer by resuming: the fake
	// keeps the query, and a resume request (its query_id, no query_str)
	// continues with the next message. It breaks each query once.
	ResetAfter int

	// Malformed injects protocol violations; they need at least one table
	// with at least one column.
	Malformed Malformed

	// Encryption makes the fake mishandle end-to-end encryption (see
	// EncryptionFault); the zero value encrypts correctly when asked to.
	Encryption EncryptionFault
}

// Malformed lists protocol violations a Plan can inject, so that tests can
// check that the client rejects them. Each one concerns the first table.
type Malformed struct {
	// BadTableID sends the first table's first batch with a table_id that
	// was never announced.
	BadTableID bool
	// ColumnCountMismatch drops the last column from the first table's first
	// batch.
	ColumnCountMismatch bool
	// WrongColumnType sends the first column of the first table's first
	// batch with a data type other than the relation's (INT64 for a STRING
	// column, STRING otherwise), with the right number of values.
	WrongColumnType bool
	// DuplicateMetadata sends the first table's meta_data twice in a row.
	DuplicateMetadata bool
	// DataAfterEOS repeats the first table's eos batch, without eos, right
	// after it.
	DataAfterEOS bool
}

func (m Malformed) anySet() bool {
	return m.BadTableID || m.ColumnCountMismatch || m.WrongColumnType || m.DuplicateMetadata || m.DataAfterEOS
}

// Validate reports whether p can be sent: its tables must be valid, and
// table names unique; the Malformed faults need a first table with a column.
func (p *Plan) Validate() error {
	if p.BatchRows < 0 {
		return fmt.Errorf("BatchRows %d is negative", p.BatchRows)
	}
	if p.AbortAfter < 0 {
		return fmt.Errorf("AbortAfter %d is negative", p.AbortAfter)
	}
	if p.HangAfter < 0 {
		return fmt.Errorf("HangAfter %d is negative", p.HangAfter)
	}
	if !p.Encryption.valid() {
		return fmt.Errorf("unknown Encryption fault %d", p.Encryption)
	}
	names := make(map[string]bool, len(p.Tables))
	for _, t := range p.Tables {
		if err := t.Validate(); err != nil {
			return err
		}
		if names[t.Name] {
			return fmt.Errorf("two tables named %q", t.Name)
		}
		names[t.Name] = true
	}
	if p.Malformed.anySet() && (len(p.Tables) == 0 || len(p.Tables[0].Columns) == 0) {
		return errors.New("the Malformed faults need a first table with at least one column")
	}
	return nil
}

func (p *Plan) batchRows() int {
	if p.BatchRows > 0 {
		return p.BatchRows
	}
	return DefaultBatchRows
}

// StaticHandler returns a Handler that answers every request with p.
func StaticHandler(p *Plan) Handler {
	return func(context.Context, *vizierpb.ExecuteScriptRequest) *Plan { return p }
}

// CompileErrorHandler returns a Handler that fails every request with the
// given compiler errors.
func CompileErrorHandler(errs ...*vizierpb.CompilerError) Handler {
	p := &Plan{CompileErrors: errs}
	return StaticHandler(p)
}

// CompilerError returns a compiler error at line and column (1-based, as
// Vizier reports them).
func CompilerError(line, column uint64, message string) *vizierpb.CompilerError {
	return &vizierpb.CompilerError{Line: line, Column: column, Message: message}
}

// CheckDisplay returns the compile-error Plan a real Vizier answers for a
// script that outputs nothing: no exec_funcs and no "px.display" in
// query_str (a plain text search; comments are not understood). It returns
// nil when the script does output something, so handlers can compose it:
//
//	if p := fakevizier.CheckDisplay(req); p != nil {
//		return p
//	}
func CheckDisplay(req *vizierpb.ExecuteScriptRequest) *Plan {
	if len(req.GetExecFuncs()) > 0 || strings.Contains(req.GetQueryStr(), "px.display") {
		return nil
	}
	return &Plan{CompileErrors: []*vizierpb.CompilerError{{Message: NoDisplayMessage}}}
}

// DefaultHandler is the behaviour of a server without a programmed Handler:
// a resume request (query_id without query_str) for a query the fake did
// not keep (see Plan.ResetAfter) fails with NotFound; a script without output fails to
// compile (CheckDisplay); anything else succeeds without tables.
func DefaultHandler(_ context.Context, req *vizierpb.ExecuteScriptRequest) *Plan {
	if req.GetQueryStr() == "" && req.GetQueryId() != "" {
		return &Plan{GRPCError: status.Errorf(codes.NotFound,
			"query %s not found (fakevizier resumes only queries it broke with Plan.ResetAfter)", req.GetQueryId())}
	}
	if p := CheckDisplay(req); p != nil {
		return p
	}
	return &Plan{}
}
