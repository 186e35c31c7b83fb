// Package lettest holds the tests' and benchmarks' LET table: the seed's
// latency/error/throughput relation and rows of it as Vizier sends them.
// Only tests import it.
package lettest

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
	"github.com/pxgate/pxgate/pixie/vizier"
)

// Meta is the relation of the seed's LET table.
func Meta() *pixie.TableMeta {
	col := func(name string, typ pixie.DataType, sem pixie.SemanticType) pixie.ColumnInfo {
		return pixie.ColumnInfo{Name: name, Type: typ, SemanticType: sem}
	}
	return &pixie.TableMeta{ID: "t1", Name: "output", Columns: []pixie.ColumnInfo{
		col("time_", pixie.TypeTime64NS, pixie.STTimeNS),
		col("latency_p50", pixie.TypeInt64, pixie.STDurationNS),
		col("latency_p90", pixie.TypeInt64, pixie.STDurationNS),
		col("latency_p99", pixie.TypeInt64, pixie.STDurationNS),
		col("request_throughput", pixie.TypeFloat64, pixie.STThroughputPerNS),
		col("errors_per_ns", pixie.TypeFloat64, pixie.STThroughputPerNS),
		col("error_rate", pixie.TypeFloat64, pixie.STPercent),
		col("bytes_per_ns", pixie.TypeFloat64, pixie.STThroughputBytesPerNS),
	}}
}

// WireBatches returns rows of the LET table as serialized RowBatchData
// messages of batchRows rows each, as they arrive from Vizier.
func WireBatches(tb testing.TB, rows, batchRows int) [][]byte {
	tb.Helper()
	base := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC).UnixNano()
	var out [][]byte
	for lo := 0; lo < rows; lo += batchRows {
		n := min(batchRows, rows-lo)
		times, p50, p90, p99 := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		thr, errs, rate, bps := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			r := lo + i
			times[i] = base + int64(r)*10_000_000_000
			p99[i] = int64(80_000_000 + (r*7919)%250_000_000)
			p90[i] = p99[i] * 8 / 10
			p50[i] = p99[i] / 2
			thr[i] = float64(100+r%97) / 1e10
			rate[i] = float64(r%13) / 100
			errs[i] = rate[i] * thr[i]
			bps[i] = thr[i] * 2048.5
		}
		rb := &vizierpb.RowBatchData{
			TableId: "t1",
			NumRows: int64(n),
			Eos:     lo+n >= rows,
			Cols: []*vizierpb.Column{
				{ColData: &vizierpb.Column_Time64NsData{Time64NsData: &vizierpb.Time64NSColumn{Data: times}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p50}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p90}}},
				{ColData: &vizierpb.Column_Int64Data{Int64Data: &vizierpb.Int64Column{Data: p99}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: thr}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: errs}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: rate}}},
				{ColData: &vizierpb.Column_Float64Data{Float64Data: &vizierpb.Float64Column{Data: bps}}},
			},
		}
		b, err := proto.Marshal(rb)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// Decode feeds wire batches of meta's table to sink as the client does:
// the table, then each batch unmarshalled and decoded.
func Decode(tb testing.TB, sink pixie.Sink, meta *pixie.TableMeta, wire [][]byte) {
	tb.Helper()
	if err := sink.Table(meta); err != nil {
		tb.Fatal(err)
	}
	for _, b := range wire {
		var rb vizierpb.RowBatchData
		if err := proto.Unmarshal(b, &rb); err != nil {
			tb.Fatal(err)
		}
		batch, err := vizier.DecodeBatch(meta, &rb)
		if err != nil {
			tb.Fatal(err)
		}
		if err := sink.Batch(batch); err != nil {
			tb.Fatal(err)
		}
	}
}

// Batch returns rows rows of the LET table as one decoded batch (its
// Table is Meta()).
func Batch(tb testing.TB, rows int) *pixie.Batch {
	tb.Helper()
	var last batchSink
	Decode(tb, &last, Meta(), WireBatches(tb, rows, rows))
	return last.b
}

// batchSink keeps the last batch.
type batchSink struct{ b *pixie.Batch }

func (*batchSink) Table(*pixie.TableMeta) error { return nil }

func (s *batchSink) Batch(b *pixie.Batch) error { s.b = b; return nil }
