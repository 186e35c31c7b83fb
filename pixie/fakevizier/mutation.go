package fakevizier

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync/atomic"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// Mutations: a request with mutation: true (a script that deploys
// tracepoints through pxtrace) is answered by Vizier with one mutation_info
// message before anything else. While the tracepoints deploy, or their
// tables' schema is not known yet, its status has code 14 (UNAVAILABLE)
// and the stream then ends with that gRPC error; clients run the script
// again until the status is OK, and then the query's results follow the
// mutation_info on the same stream.

// MutationPendingMessage is Vizier's status message while tracepoints deploy.
const MutationPendingMessage = "probe installation in progress"

// SchemaPendingMessage is Vizier's status message once every tracepoint
// runs but their output tables are not in its schema yet.
const SchemaPendingMessage = "Schema is not ready yet"

// MutationPending returns the mutation_info of tracepoints still deploying
// (or failed: a FAILED_STATE state keeps the status UNAVAILABLE, as Vizier
// reports any state other than running).
func MutationPending(states ...*vizierpb.MutationInfo_MutationState) *vizierpb.MutationInfo {
	return &vizierpb.MutationInfo{
		Status: &vizierpb.Status{Code: int32(codes.Unavailable), Message: MutationPendingMessage},
		States: states,
	}
}

// MutationReady returns the mutation_info of tracepoints that all run and
// whose tables are ready: status OK.
func MutationReady(states ...*vizierpb.MutationInfo_MutationState) *vizierpb.MutationInfo {
	return &vizierpb.MutationInfo{Status: &vizierpb.Status{}, States: states}
}

// Tracepoint returns the state of the tracepoint name, with an id derived
// from the name (so that every attempt reports the same id).
func Tracepoint(name string, state vizierpb.LifeCycleState) *vizierpb.MutationInfo_MutationState {
	return &vizierpb.MutationInfo_MutationState{Id: NameUUID(name), State: state, Name: name}
}

// NameUUID returns a UUID-shaped id derived from name.
func NameUUID(name string) string {
	b := sha256.Sum256([]byte(name))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Sequence returns a Handler that answers the first request with plans[0],
// the second with plans[1], and every later one with the last plan: the
// attempts of a client that re-runs a mutating script. It needs at least
// one plan.
func Sequence(plans ...*Plan) Handler {
	if len(plans) == 0 {
		panic("fakevizier.Sequence needs at least one plan")
	}
	var n atomic.Int64
	return func(context.Context, *vizierpb.ExecuteScriptRequest) *Plan {
		i := int(n.Add(1)) - 1
		return plans[min(i, len(plans)-1)]
	}
}

// sendMutation sends p's mutation_info when the request asked for a
// mutation. It reports whether the stream must end there, and the error
// that ends it (the status of mutations that are not ready).
func sendMutation(p *Plan, w *streamWriter, req *vizierpb.ExecuteScriptRequest) (done bool, err error) {
	mi := p.Mutation
	if mi == nil || !req.GetMutation() {
		return false, nil
	}
	if err := w.send(&vizierpb.ExecuteScriptResponse{MutationInfo: mi}); err != nil {
		return true, err
	}
	if code := mi.GetStatus().GetCode(); code != 0 {
		return true, status.Error(codes.Code(code), mi.GetStatus().GetMessage())
	}
	return false, nil
}
