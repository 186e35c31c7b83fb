package fakevizier

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// vizierService implements px.api.vizierpb.VizierService.
// GenerateOTelScript is left Unimplemented.
type vizierService struct {
	vizierpb.UnimplementedVizierServiceServer
	s *Server
}

// ExecuteScript records the request, applies the checks a real Vizier
// makes, asks the handler for a Plan and streams it.
func (v *vizierService) ExecuteScript(req *vizierpb.ExecuteScriptRequest, stream grpc.ServerStreamingServer[vizierpb.ExecuteScriptResponse]) error {
	s := v.s
	ctx := stream.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	i := s.record(req, md)
	s.streamStarted()
	defer s.streamEnded()
	err := s.execute(ctx, req, stream)
	s.finish(i, err, ctx.Err() != nil || isClosed(s.closing))
	return err
}

func (s *Server) execute(ctx context.Context, req *vizierpb.ExecuteScriptRequest, stream grpc.ServerStreamingServer[vizierpb.ExecuteScriptResponse]) error {
	start := time.Now()
	if err := s.checkCluster(req.GetClusterId()); err != nil {
		return err
	}
	if req.GetQueryStr() == "" && req.GetQueryId() == "" {
		return status.Error(codes.InvalidArgument, "query_str is required")
	}
	w := &streamWriter{ctx: ctx, stream: stream, closing: s.closing, queryID: req.GetQueryId()}
	if req.GetQueryStr() == "" {
		if rs := s.takeResumable(req.GetQueryId()); rs != nil {
			// Go on where the reset stopped: replay the same plan with the
			// same table ids, skipping what was delivered.
			w.skip, w.ids = rs.sent, rs.ids
			if o := rs.req.GetEncryptionOptions(); o != nil {
				enc, err := newBatchEncrypter(o)
				if err != nil {
					return err
				}
				w.enc = enc
			}
			w.delay, w.fault = rs.plan.Delay, rs.plan.Encryption
			return s.run(rs.plan, w, rs.req, start)
		}
	}
	if o := req.GetEncryptionOptions(); o != nil {
		enc, err := newBatchEncrypter(o)
		if err != nil {
			return err
		}
		w.enc = enc
	}
	if w.queryID == "" {
		w.queryID = newUUID()
	}
	for _, f := range req.GetExecFuncs() {
		if f.GetOutputTablePrefix() == "" {
			return w.send(&vizierpb.ExecuteScriptResponse{Status: &vizierpb.Status{
				Code:    int32(codes.InvalidArgument),
				Message: fmt.Sprintf("output_table_prefix required for function %q", f.GetFuncName()),
			}})
		}
	}

	p := s.currentHandler()(ctx, req)
	if p == nil {
		p = &Plan{}
	}
	if err := p.Validate(); err != nil {
		return status.Errorf(codes.Internal, "fakevizier: invalid plan: %v", err)
	}
	w.delay, w.abortAfter, w.abortCode, w.fault = p.Delay, p.AbortAfter, p.AbortCode, p.Encryption
	w.hangAfter = p.HangAfter
	if w.abortCode == codes.OK {
		w.abortCode = codes.Unavailable
	}
	if p.ResetAfter > 0 {
		w.resetAfter = p.ResetAfter
		w.onReset = func(sent int) { s.keepResumable(w.queryID, &resumable{plan: p, req: req, ids: w.ids, sent: sent}) }
	}
	return s.run(p, w, req, start)
}

// run streams p through w.
func (s *Server) run(p *Plan, w *streamWriter, req *vizierpb.ExecuteScriptRequest, start time.Time) error {
	if p.GRPCError != nil {
		return p.GRPCError
	}
	if done, err := sendMutation(p, w, req); done {
		return err
	}
	switch {
	case len(p.CompileErrors) > 0:
		st := &vizierpb.Status{Code: int32(codes.InvalidArgument), Message: CompileFailedMessage}
		for _, ce := range p.CompileErrors {
			st.ErrorDetails = append(st.ErrorDetails, &vizierpb.ErrorDetails{
				Error: &vizierpb.ErrorDetails_CompilerError{CompilerError: ce},
			})
		}
		return w.send(&vizierpb.ExecuteScriptResponse{Status: st})
	case p.Status != nil:
		return w.send(&vizierpb.ExecuteScriptResponse{Status: p.Status})
	}

	// All meta_data first.
	if err := sendMetadata(p, w); err != nil {
		return err
	}
	if p.Hang {
		return w.hang()
	}

	// Then the batches, then the stats.
	if err := sendBatches(p, w); err != nil {
		return err
	}
	if p.OmitStats {
		return nil
	}
	stats := p.Stats
	if stats == nil {
		stats = defaultStats(p, req, start)
	}
	return w.send(&vizierpb.ExecuteScriptResponse{Result: &vizierpb.ExecuteScriptResponse_Data{
		Data: &vizierpb.QueryData{ExecutionStats: stats},
	}})
}

// defaultStats makes up the execution stats of a plan that gives none.
func defaultStats(p *Plan, req *vizierpb.ExecuteScriptRequest, start time.Time) *vizierpb.QueryExecutionStats {
	stats := &vizierpb.QueryExecutionStats{Timing: &vizierpb.QueryTimingInfo{
		// A plausible compile time: a fixed cost plus a little per byte.
		CompilationTimeNs: 2_000_000 + 1_000*int64(len(req.GetQueryStr())),
		ExecutionTimeNs:   max(time.Since(start).Nanoseconds(), 1),
	}}
	for _, t := range p.Tables {
		stats.RecordsProcessed += int64(t.NumRows())
		stats.BytesProcessed += t.byteSize()
	}
	return stats
}

// sendMetadata sends the meta_data of every table of p first, allotting
// table ids unless a resumed stream already has them.
func sendMetadata(p *Plan, w *streamWriter) error {
	ids := w.ids
	if ids == nil {
		ids = make([]string, len(p.Tables))
		for i := range ids {
			ids[i] = newUUID()
		}
		w.ids = ids
	}
	for i, t := range p.Tables {
		meta := &vizierpb.ExecuteScriptResponse{Result: &vizierpb.ExecuteScriptResponse_MetaData{
			MetaData: &vizierpb.QueryMetadata{Name: t.Name, Id: ids[i], Relation: t.relation()},
		}}
		if err := w.send(meta); err != nil {
			return err
		}
		if i == 0 && p.Malformed.DuplicateMetadata {
			if err := w.send(meta); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendBatches sends the row batches of p, one of each unfinished table
// per round.
func sendBatches(p *Plan, w *streamWriter) error {
	ids := w.ids
	rows := p.batchRows()
	nb := make([]int, len(p.Tables)) // batches per table
	dataBatches := make([]int, len(p.Tables))
	maxBatches := 0
	for i, t := range p.Tables {
		n := t.NumRows()
		dataBatches[i] = (n + rows - 1) / rows
		nb[i] = dataBatches[i]
		if n == 0 || p.EmptyLastBatch {
			nb[i]++
		}
		maxBatches = max(maxBatches, nb[i])
	}
	for k := range maxBatches {
		for i, t := range p.Tables {
			if k >= nb[i] {
				continue
			}
			eos := k == nb[i]-1
			var b *vizierpb.RowBatchData
			if k < dataBatches[i] {
				b = t.batch(ids[i], k*rows, min((k+1)*rows, t.NumRows()), eos)
			} else {
				b = t.batch(ids[i], 0, 0, eos)
			}
			if i == 0 && k == 0 {
				p.Malformed.apply(b, t)
			}
			if err := w.sendBatch(b); err != nil {
				return err
			}
			if i == 0 && eos && p.Malformed.DataAfterEOS {
				again := &vizierpb.RowBatchData{TableId: b.TableId, Cols: b.Cols, NumRows: b.NumRows}
				if err := w.sendBatch(again); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// apply injects the protocol violations of m into b, the first batch of t.
func (m Malformed) apply(b *vizierpb.RowBatchData, t *Table) {
	if m.BadTableID {
		b.TableId = newUUID() // never announced
	}
	if m.WrongColumnType {
		b.Cols[0] = t.Columns[0].wrongTypeSlice(int(b.NumRows))
	}
	if m.ColumnCountMismatch {
		b.Cols = b.Cols[:len(b.Cols)-1]
	}
}

// streamWriter sends the responses of one ExecuteScript stream, applying a
// Plan's Delay, AbortAfter and Encryption fault, encrypting batches when
// the request asked for it, and stamping the query id.
type streamWriter struct {
	ctx        context.Context
	stream     grpc.ServerStreamingServer[vizierpb.ExecuteScriptResponse]
	closing    <-chan struct{}
	queryID    string
	enc        *batchEncrypter // nil: no encryption_options
	fault      EncryptionFault
	delay      time.Duration
	abortAfter int
	abortCode  codes.Code
	hangAfter  int // Plan.HangAfter
	sent       int

	ids        []string       // table ids of this query (kept for a resume)
	skip       int            // messages a resumed stream already delivered
	resetAfter int            // Plan.ResetAfter
	onReset    func(sent int) // keeps the query for a resume
}

// sendBatch sends one row batch: plain, or as encrypted_batch when the
// request carried encryption_options (or as the Plan's fault says).
func (w *streamWriter) sendBatch(b *vizierpb.RowBatchData) error {
	data := &vizierpb.QueryData{}
	switch {
	case w.fault == EncryptionGarbage:
		data.EncryptedBatch = garbageBatch()
	case w.enc == nil || w.fault == EncryptionIgnored:
		data.Batch = b
	default:
		jwe, err := w.enc.encrypt(b, w.fault == EncryptionTampered)
		if err != nil {
			return status.Errorf(codes.Internal, "fakevizier: encrypting a batch: %v", err)
		}
		data.EncryptedBatch = jwe
	}
	return w.send(&vizierpb.ExecuteScriptResponse{Result: &vizierpb.ExecuteScriptResponse_Data{Data: data}})
}

func (w *streamWriter) send(resp *vizierpb.ExecuteScriptResponse) error {
	if w.skip > 0 { // delivered before the reset
		w.skip--
		return nil
	}
	if w.resetAfter > 0 && w.sent >= w.resetAfter {
		w.onReset(w.sent)
		return status.Error(codes.Internal, "stream terminated by RST_STREAM with error code: INTERNAL_ERROR")
	}
	if w.hangAfter > 0 && w.sent >= w.hangAfter {
		return w.hang()
	}
	if w.abortAfter > 0 && w.sent >= w.abortAfter {
		return status.Errorf(w.abortCode,
			"fakevizier: stream aborted after %d messages", w.sent)
	}
	if w.delay > 0 {
		t := time.NewTimer(w.delay)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return waitErr(w.ctx)
		case <-w.closing:
			t.Stop()
			return waitErr(w.ctx)
		}
	}
	if err := w.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	resp.QueryId = w.queryID
	if err := w.stream.Send(resp); err != nil {
		return err
	}
	w.sent++
	return nil
}

// hang blocks until the client cancels or the server closes, and returns
// the error that then ends the stream.
func (w *streamWriter) hang() error {
	select {
	case <-w.ctx.Done():
	case <-w.closing:
	}
	return waitErr(w.ctx)
}

// HealthCheck sends one response with the programmed health status, then
// keeps the stream open, as a real Vizier does (which re-sends the status
// periodically; the fake sends it once), until the client cancels or the
// server closes.
func (v *vizierService) HealthCheck(req *vizierpb.HealthCheckRequest, stream grpc.ServerStreamingServer[vizierpb.HealthCheckResponse]) error {
	s := v.s
	if err := s.checkCluster(req.GetClusterId()); err != nil {
		return err
	}
	if err := stream.Send(&vizierpb.HealthCheckResponse{Status: s.currentHealth()}); err != nil {
		return err
	}
	ctx := stream.Context()
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
	return waitErr(ctx)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// newUUID returns a random (version 4) UUID in its dashed string form, as
// Vizier uses for query and table ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand.Read documents so)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// resumable is a query broken by Plan.ResetAfter, kept for its resume.
type resumable struct {
	plan *Plan
	req  *vizierpb.ExecuteScriptRequest
	ids  []string
	sent int
}

func (s *Server) keepResumable(queryID string, r *resumable) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resumables == nil {
		s.resumables = map[string]*resumable{}
	}
	s.resumables[queryID] = r
}

// takeResumable returns and forgets the kept query, or nil.
func (s *Server) takeResumable(queryID string) *resumable {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.resumables[queryID]
	delete(s.resumables, queryID)
	return r
}
