package vizier

import (
	"testing"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// TestResultsWhileNotReadyAreRefused: a Vizier that sends a table after a
// not-ready mutation_info breaks the protocol; nothing reaches the sink.
func TestResultsWhileNotReadyAreRefused(t *testing.T) {
	var col pixie.Collector
	rd := newStreamReader(&col)
	pending := &vizierpb.ExecuteScriptResponse{QueryId: "q", MutationInfo: &vizierpb.MutationInfo{
		Status: &vizierpb.Status{Code: 14, Message: "probe installation in progress"},
	}}
	if err := rd.handle(pending); err != nil {
		t.Fatal(err)
	}
	meta := &vizierpb.ExecuteScriptResponse{QueryId: "q", Result: &vizierpb.ExecuteScriptResponse_MetaData{
		MetaData: &vizierpb.QueryMetadata{Name: "output", Id: "1"},
	}}
	if err := rd.handle(meta); pixie.KindOf(err) != pixie.KindProtocol {
		t.Fatalf("got %v, want a protocol error", err)
	}
	if len(col.Tables) != 0 {
		t.Errorf("the sink got %+v", col.Tables)
	}
	ready := &vizierpb.ExecuteScriptResponse{QueryId: "q", MutationInfo: &vizierpb.MutationInfo{Status: &vizierpb.Status{}}}
	if err := rd.handle(ready); err != nil {
		t.Fatal(err)
	}
	if err := rd.handle(meta); err != nil || len(col.Tables) != 1 || rd.readyAt.IsZero() {
		t.Fatalf("after ready: %v, %d tables, ready at %v", err, len(col.Tables), rd.readyAt)
	}
}
