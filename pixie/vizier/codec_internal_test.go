package vizier

import (
	"testing"

	"google.golang.org/grpc/encoding"
	gproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// countingPool counts the buffers asked of it.
type countingPool struct {
	mem.BufferPool
	sizes []int
}

func (p *countingPool) Get(n int) *[]byte {
	p.sizes = append(p.sizes, n)
	return p.BufferPool.Get(n)
}

// TestReceiveCodecAssemblesInItsPool: a message that arrived in several
// frames is assembled in receiveBuffers (not gRPC's default pool) and
// decodes as gRPC's own codec decodes it.
func TestReceiveCodecAssemblesInItsPool(t *testing.T) {
	col := &vizierpb.Column{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: make([]int64, 10_000)}}}
	for i := range col.GetInt64Data().Data {
		col.GetInt64Data().Data[i] = int64(i) * 1_000_003
	}
	want := &vizierpb.ExecuteScriptResponse{QueryId: "q", Result: &vizierpb.ExecuteScriptResponse_Data{Data: &vizierpb.QueryData{
		Batch: &vizierpb.RowBatchData{TableId: "t", NumRows: 10_000, Cols: []*vizierpb.Column{col}}}}}
	wire, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var frames mem.BufferSlice // 16 KiB frames, as HTTP/2 delivers them
	for b := wire; len(b) > 0; b = b[min(len(b), 16<<10):] {
		frames = append(frames, mem.SliceBuffer(b[:min(len(b), 16<<10)]))
	}
	if len(frames) < 2 {
		t.Fatalf("the message fits one frame (%d bytes)", len(wire))
	}
	saved := receiveBuffers
	pool := &countingPool{BufferPool: saved}
	receiveBuffers = pool
	defer func() { receiveBuffers = saved }()

	got := &vizierpb.ExecuteScriptResponse{}
	if err := (receiveCodec{encoding.GetCodecV2(gproto.Name)}).Unmarshal(frames, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Error("the message decoded differently")
	}
	if len(pool.sizes) != 1 || pool.sizes[0] != len(wire) {
		t.Errorf("receiveBuffers gave %v, want one buffer of %d bytes", pool.sizes, len(wire))
	}
}
