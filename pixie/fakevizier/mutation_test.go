package fakevizier_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/fakevizier"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

const tracePxL = "import pxtrace\nimport px\npxtrace.UpsertTracepoint('t', 't_table', 'prog', pxtrace.kprobe(), '5m')\npx.display(px.DataFrame('t_table'))\n"

func mutationQuery() *vizierpb.ExecuteScriptRequest {
	req := query(tracePxL)
	req.Mutation = true
	return req
}

// TestMutationPendingEndsTheStream: a not-ready mutation_info is the only
// message, and the stream ends with its status as the gRPC error, as
// Vizier's query broker does.
func TestMutationPendingEndsTheStream(t *testing.T) {
	t.Parallel()
	plan := &fakevizier.Plan{
		Mutation: fakevizier.MutationPending(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_PENDING_STATE)),
		Tables:   []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, 1))},
	}
	s := start(t, fakevizier.Options{ClusterID: testCluster, Handler: fakevizier.StaticHandler(plan)})
	resps, err := execute(t.Context(), t, vizier(t, s), mutationQuery())
	wantCode(t, err, codes.Unavailable)
	if msg := status.Convert(err).Message(); msg != fakevizier.MutationPendingMessage {
		t.Errorf("got message %q, want %q", msg, fakevizier.MutationPendingMessage)
	}
	wantKinds(t, resps, "mutation:14")
	mi := resps[0].GetMutationInfo()
	if len(mi.GetStates()) != 1 || mi.GetStates()[0].GetName() != "t" || mi.GetStates()[0].GetState() != vizierpb.LifeCycleState_PENDING_STATE ||
		mi.GetStates()[0].GetId() != fakevizier.NameUUID("t") || resps[0].GetQueryId() == "" {
		t.Errorf("got %v (query id %q)", mi, resps[0].GetQueryId())
	}
}

// TestMutationReadyThenResults: a ready mutation_info comes first, then the
// plan's results on the same stream.
func TestMutationReadyThenResults(t *testing.T) {
	t.Parallel()
	plan := &fakevizier.Plan{
		Mutation: fakevizier.MutationReady(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_RUNNING_STATE)),
		Tables:   []*fakevizier.Table{fakevizier.NewTable("output", fakevizier.Int64Col("n", pixie.STNone, 1, 2))},
	}
	s := start(t, fakevizier.Options{ClusterID: testCluster, Handler: fakevizier.StaticHandler(plan)})
	resps, err := execute(t.Context(), t, vizier(t, s), mutationQuery())
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "mutation:0", "meta:output", "batch:output:2:eos", "stats")
}

// TestMutationOnlyForMutatingRequests: a request without mutation: true
// never gets a mutation_info, as from Vizier.
func TestMutationOnlyForMutatingRequests(t *testing.T) {
	t.Parallel()
	plan := &fakevizier.Plan{Mutation: fakevizier.MutationPending(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_PENDING_STATE))}
	s := start(t, fakevizier.Options{ClusterID: testCluster, Handler: fakevizier.StaticHandler(plan)})
	resps, err := execute(t.Context(), t, vizier(t, s), query(tracePxL))
	if err != nil {
		t.Fatal(err)
	}
	wantKinds(t, resps, "stats")
}

// TestSequenceAnswersAttemptsInOrder: the i-th request gets the i-th plan,
// later ones the last.
func TestSequenceAnswersAttemptsInOrder(t *testing.T) {
	t.Parallel()
	pending := &fakevizier.Plan{Mutation: fakevizier.MutationPending(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_PENDING_STATE))}
	schema := &fakevizier.Plan{Mutation: &vizierpb.MutationInfo{
		Status: &vizierpb.Status{Code: int32(codes.Unavailable), Message: fakevizier.SchemaPendingMessage},
		States: []*vizierpb.MutationInfo_MutationState{fakevizier.Tracepoint("t", vizierpb.LifeCycleState_RUNNING_STATE)},
	}}
	ready := &fakevizier.Plan{Mutation: fakevizier.MutationReady(fakevizier.Tracepoint("t", vizierpb.LifeCycleState_RUNNING_STATE))}
	s := start(t, fakevizier.Options{ClusterID: testCluster, Handler: fakevizier.Sequence(pending, schema, ready)})
	c := vizier(t, s)
	for i, want := range []struct {
		code codes.Code
		msg  string
	}{{codes.Unavailable, fakevizier.MutationPendingMessage}, {codes.Unavailable, fakevizier.SchemaPendingMessage}, {codes.OK, ""}, {codes.OK, ""}} {
		resps, err := execute(t.Context(), t, c, mutationQuery())
		if status.Code(err) != want.code || status.Convert(err).Message() != want.msg {
			t.Fatalf("attempt %d: got %v, want %v %q", i+1, err, want.code, want.msg)
		}
		if len(resps) == 0 || resps[0].GetMutationInfo().GetStatus().GetCode() != int32(want.code) {
			t.Fatalf("attempt %d: got %v", i+1, kinds(resps))
		}
	}
}
