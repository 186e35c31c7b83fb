package vizier

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

func (c *Client) request(r pixie.Request) *vizierpb.ExecuteScriptRequest {
	req := &vizierpb.ExecuteScriptRequest{
		QueryStr:  r.Script,
		ClusterId: c.clusterID(r.ClusterID),
		QueryName: r.QueryName,
		Mutation:  r.Mutation,
	}
	if f := r.Func; f != nil {
		fn := &vizierpb.ExecuteScriptRequest_FuncToExecute{FuncName: f.Name, OutputTablePrefix: f.OutputPrefix}
		for _, a := range f.Args {
			fn.ArgValues = append(fn.ArgValues, &vizierpb.ExecuteScriptRequest_FuncToExecute_ArgValue{Name: a.Name, Value: a.Value})
		}
		req.ExecFuncs = []*vizierpb.ExecuteScriptRequest_FuncToExecute{fn}
	}
	return req
}

// Execute runs a query and streams its results into sink as they arrive.
// Cancelling ctx cancels the Vizier stream. On success the Summary carries
// the query id and execution statistics; errors are *CompileError, *Error,
// or an error returned by sink. A mutating request (r.Mutation) is sent
// again while Vizier reports its mutations not ready (mutation.go).
func (c *Client) Execute(ctx context.Context, r pixie.Request, sink pixie.Sink) (pixie.Summary, error) {
	if err := c.checkCluster(r.ClusterID); err != nil {
		return pixie.Summary{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the server stream on every early return
	req := c.request(r)
	var dec *batchDecrypter
	if c.keys != nil { // Config.Encrypt: ask for encrypted batches (encrypt.go)
		opts, d, err := c.keys.wait(ctx)
		if err != nil {
			return pixie.Summary{}, err
		}
		req.EncryptionOptions, dec = opts, d
	}
	if r.Mutation {
		return c.executeMutation(ctx, req, dec, sink)
	}
	rd, err := c.attempt(ctx, req, dec, sink)
	return rd.summary, err
}

// attempt runs req once: one stream (resumed after transport resets).
func (c *Client) attempt(ctx context.Context, req *vizierpb.ExecuteScriptRequest, dec *batchDecrypter, sink pixie.Sink) (*streamReader, error) {
	ctx, cancel := context.WithCancel(ctx)
	rd := newStreamReader(sink)
	rd.dec = dec
	stream, err := c.vizier.ExecuteScript(ctx, req)
	if err != nil {
		err = fromRPC(ctx, "execute script", err) // before cancel: ctx says whether the caller left
		cancel()
		return rd, err
	}
	resumes := 0
	var next *receiver // prefetching, once the result proves large
	defer func() {
		cancel()
		if next != nil {
			next.stop() // no receiver outlives the call
		}
	}()
	for received := 0; ; received++ {
		if next == nil && received == prefetchAfter {
			next = prefetch(ctx, stream)
		}
		resp, err := recv(stream, next)
		if errors.Is(err, io.EOF) {
			return rd, rd.finish()
		}
		if err != nil && transient(err) && rd.summary.QueryID != "" && resumes < maxResumes && ctx.Err() == nil {
			// Like Pixie's own clients: ask Vizier to go on with the same
			// query from where the broken stream stopped.
			resumes++
			stream, err = c.vizier.ExecuteScript(ctx, &vizierpb.ExecuteScriptRequest{
				ClusterId: req.GetClusterId(), QueryId: rd.summary.QueryID, EncryptionOptions: req.GetEncryptionOptions(),
			})
			if err == nil {
				if next != nil {
					next.stop() // it ended with the error
				}
				next, received = nil, 0
				continue
			}
		}
		if err != nil {
			return rd, streamError(ctx, err, rd, resumes > 0)
		}
		if err := rd.handle(resp); err != nil {
			return rd, err
		}
	}
}

// streamError classifies an error that ended the stream. Once the query
// has started, NotFound and InvalidArgument say nothing of the caller's
// cluster or arguments (a resume of a query Vizier forgot answers
// NotFound): they are failures of the execution, not a 404 or a 400. A
// stream that breaks after rows arrived says so: Pixie was reached.
func streamError(ctx context.Context, err error, rd *streamReader, resumed bool) error {
	e := fromRPC(ctx, "execute script", err)
	queryID := rd.summary.QueryID
	k := pixie.KindOf(e)
	switch {
	case queryID == "":
		return e
	case rd.rows > 0 && (k == pixie.KindUnavailable || transient(err)):
		broken := errorf(pixie.KindUnavailable, err, "execute script: the result stream of query %s broke after %d rows: %s", queryID, rd.rows, status.Convert(err).Message())
		broken.RowsReceived = rd.rows
		return broken
	case k != pixie.KindNotFound && k != pixie.KindInvalidArgument:
		return e
	}
	what := "query " + queryID + " ended after it had started"
	if resumed {
		what = "resuming query " + queryID + " failed"
	}
	return errorf(pixie.KindExecution, err, "execute script: %s: %s", what, status.Convert(err).Message())
}

// maxResumes bounds how often one query's stream is resumed.
const maxResumes = 3

// transient reports a stream broken by the transport rather than by Vizier:
// what Pixie's clients resume (an HTTP/2 RST_STREAM, or a stream closed
// without trailers, which gRPC reports as Internal).
func transient(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Internal {
		return false
	}
	msg := st.Message()
	return strings.Contains(msg, "RST_STREAM") || strings.Contains(msg, "server closed the stream without sending trailers")
}

// streamReader enforces the stream's protocol and decodes batches.
type streamReader struct {
	sink     pixie.Sink
	mutation *vizierpb.MutationInfo // the last mutation_info, if any
	readyAt  time.Time              // when a ready mutation_info arrived
	dec      *batchDecrypter        // non-nil when encryption was requested
	tables   map[string]*tableState
	order    []*tableState
	summary  pixie.Summary
	rows     int64 // rows received, all tables
}

type tableState struct {
	meta *pixie.TableMeta
	eos  bool
}

func newStreamReader(sink pixie.Sink) *streamReader {
	return &streamReader{sink: sink, tables: make(map[string]*tableState)}
}

func (rd *streamReader) handle(resp *vizierpb.ExecuteScriptResponse) error {
	if id := resp.GetQueryId(); id != "" && rd.summary.QueryID == "" {
		rd.summary.QueryID = id
	}
	if st := resp.GetStatus(); st.GetCode() != 0 {
		return statusError(st)
	}
	if mi := resp.GetMutationInfo(); mi != nil {
		rd.mutation = mi
		if mutationReady(mi) {
			rd.readyAt = time.Now()
		}
	}
	if resp.GetResult() != nil && rd.mutation != nil && !mutationReady(rd.mutation) {
		// Fail closed: results of a script whose tracepoints are not
		// ready would be read from tables that do not exist yet.
		return errorf(pixie.KindProtocol, nil, "vizier sent results although it reported the script's mutations not ready (%s)", rd.mutation.GetStatus().GetMessage())
	}
	if md := resp.GetMetaData(); md != nil {
		return rd.metadata(md)
	}
	data := resp.GetData()
	switch {
	case data == nil:
		return nil // mutation_info only
	case data.GetBatch() != nil:
		if rd.dec != nil { // fail closed: never accept plaintext once encryption was asked for
			return errorf(pixie.KindProtocol, nil, "vizier sent an unencrypted batch although encryption was requested: this Vizier (or a proxy on the way) does not encrypt results. "+
				"Set PIXIE_E2E_ENCRYPTION=off to accept them unencrypted; Pixie Cloud and anything between it and the Vizier can then read the results")
		}
		return rd.batch(data.GetBatch())
	case len(data.GetEncryptedBatch()) > 0:
		if rd.dec == nil {
			return errorf(pixie.KindProtocol, nil, "received an encrypted batch, but encryption was not requested")
		}
		rb, err := rd.dec.decrypt(data.GetEncryptedBatch())
		if err != nil {
			return err
		}
		return rd.batch(rb)
	case data.GetExecutionStats() != nil:
		es := data.GetExecutionStats()
		rd.summary.Stats = pixie.Stats{
			Compilation:      time.Duration(es.GetTiming().GetCompilationTimeNs()),
			Execution:        time.Duration(es.GetTiming().GetExecutionTimeNs()),
			BytesProcessed:   es.GetBytesProcessed(),
			RecordsProcessed: es.GetRecordsProcessed(),
		}
	}
	return nil
}

func statusError(st *vizierpb.Status) error {
	var ce pixie.CompileError
	for _, d := range st.GetErrorDetails() {
		if e := d.GetCompilerError(); e != nil {
			ce.Errors = append(ce.Errors, pixie.CompilerError{Line: e.GetLine(), Column: e.GetColumn(), Message: e.GetMessage()})
		}
	}
	if len(ce.Errors) > 0 {
		ce.Message = st.GetMessage()
		return &ce
	}
	if st.GetCode() == 3 { // INVALID_ARGUMENT
		return errorf(pixie.KindInvalidArgument, nil, "vizier rejected the script: %s", st.GetMessage())
	}
	return errorf(pixie.KindExecution, nil, "vizier: %s (code %d)", st.GetMessage(), st.GetCode())
}

func (rd *streamReader) metadata(md *vizierpb.QueryMetadata) error {
	id := md.GetId()
	if _, dup := rd.tables[id]; dup {
		return errorf(pixie.KindProtocol, nil, "table %q (id %s) announced twice", md.GetName(), id)
	}
	meta := &pixie.TableMeta{ID: id, Name: md.GetName()}
	for _, c := range md.GetRelation().GetColumns() {
		meta.Columns = append(meta.Columns, pixie.ColumnInfo{
			Name:         c.GetColumnName(),
			Type:         pixie.DataType(c.GetColumnType()),
			SemanticType: pixie.SemanticType(c.GetColumnSemanticType()),
			Desc:         c.GetColumnDesc(),
		})
	}
	ts := &tableState{meta: meta}
	rd.tables[id] = ts
	rd.order = append(rd.order, ts)
	return rd.sink.Table(meta)
}

func (rd *streamReader) batch(rb *vizierpb.RowBatchData) error {
	ts, ok := rd.tables[rb.GetTableId()]
	if !ok {
		return errorf(pixie.KindProtocol, nil, "row batch for unknown table id %q", rb.GetTableId())
	}
	if ts.eos {
		return errorf(pixie.KindProtocol, nil, "row batch for table %q after its end of stream", ts.meta.Name)
	}
	b, err := DecodeBatch(ts.meta, rb)
	if err != nil {
		return err
	}
	ts.eos = rb.GetEos()
	rd.rows += int64(b.NumRows)
	return rd.sink.Batch(b)
}

// finish checks, at the end of the stream, that every table was complete.
func (rd *streamReader) finish() error {
	for _, ts := range rd.order {
		if !ts.eos {
			return errorf(pixie.KindProtocol, nil, "stream ended before table %q was complete", ts.meta.Name)
		}
	}
	return nil
}

// prefetchAfter is the number of messages received directly before a
// receiver takes over: a small result (metadata, a batch, the stats) is
// not worth a goroutine's hand-offs.
const prefetchAfter = 4

// recv is the stream's next message, from r when it is receiving.
func recv(stream vizierpb.VizierService_ExecuteScriptClient, r *receiver) (*vizierpb.ExecuteScriptResponse, error) {
	if r == nil {
		return stream.Recv()
	}
	return r.recv()
}

// prefetchDepth is how many messages a receiver holds ahead of the
// decoding: enough to keep both busy, a few hundred KiB at most.
const prefetchDepth = 2

// received is one Recv's result.
type received struct {
	resp *vizierpb.ExecuteScriptResponse
	err  error
}

// receiver receives a stream's messages on a goroutine of its own, ahead
// of the caller, so that receiving and unmarshalling the next message
// overlap with decoding and writing this one.
type receiver struct {
	ctx  context.Context
	ch   chan received
	done chan struct{}
	last received // after the last message: its error, again
}

// prefetch starts receiving from stream until it fails (io.EOF at its
// end) or ctx ends.
func prefetch(ctx context.Context, stream vizierpb.VizierService_ExecuteScriptClient) *receiver {
	r := &receiver{ctx: ctx, ch: make(chan received, prefetchDepth), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer close(r.ch)
		for {
			resp, err := stream.Recv()
			select {
			case r.ch <- received{resp, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return r
}

// recv is the next message, as stream.Recv would return it.
func (r *receiver) recv() (*vizierpb.ExecuteScriptResponse, error) {
	m, ok := <-r.ch
	if !ok { // ctx ended first: the error a Recv gives then
		if r.last.err == nil {
			r.last.err = status.FromContextError(r.ctx.Err()).Err()
		}
		return nil, r.last.err
	}
	if m.err != nil {
		r.last = m
	}
	return m.resp, m.err
}

// stop waits for the receiving goroutine to end (the caller cancelled the
// stream's context first).
func (r *receiver) stop() { <-r.done }
