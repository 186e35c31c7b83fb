package vizier

import (
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// DecodeBatch checks a row batch against its table's relation and exposes
// its columns as typed slices (aliasing the message, no per-value copy
// except for UINT128).
func DecodeBatch(meta *pixie.TableMeta, rb *vizierpb.RowBatchData) (*pixie.Batch, error) {
	cols := rb.GetCols()
	n := rb.GetNumRows()
	if n == 0 && len(cols) == 0 {
		// An empty batch (typically the eos marker) may omit its columns.
		return &pixie.Batch{Table: meta, Cols: pixie.EmptyColumns(meta), EOS: rb.GetEos()}, nil
	}
	if len(cols) != len(meta.Columns) {
		return nil, errorf(pixie.KindProtocol, nil, "table %q: batch has %d columns, relation has %d", meta.Name, len(cols), len(meta.Columns))
	}
	b := &pixie.Batch{Table: meta, NumRows: int(n), Cols: make([]pixie.ColumnData, len(cols)), EOS: rb.GetEos()}
	for i, col := range cols {
		info := meta.Columns[i]
		d, ok := decodeColumn(col, info.Type)
		if !ok {
			return nil, errorf(pixie.KindProtocol, nil, "table %q: column %q is %s in the relation but carries other data", meta.Name, info.Name, info.Type)
		}
		if int64(d.Len()) != n {
			return nil, errorf(pixie.KindProtocol, nil, "table %q: column %q has %d values, batch says %d rows", meta.Name, info.Name, d.Len(), n)
		}
		b.Cols[i] = d
	}
	return b, nil
}

func decodeColumn(col *vizierpb.Column, typ pixie.DataType) (pixie.ColumnData, bool) {
	switch typ {
	case pixie.TypeBoolean:
		if c, ok := col.GetColData().(*vizierpb.Column_BooleanData); ok && c.BooleanData != nil {
			return pixie.ColumnData{Bool: nonNil(c.BooleanData.GetData())}, true
		}
	case pixie.TypeInt64:
		if c, ok := col.GetColData().(*vizierpb.Column_Int64Data); ok && c.Int64Data != nil {
			return pixie.ColumnData{Int64: nonNil(c.Int64Data.GetData())}, true
		}
	case pixie.TypeTime64NS:
		if c, ok := col.GetColData().(*vizierpb.Column_Time64NsData); ok && c.Time64NsData != nil {
			return pixie.ColumnData{Int64: nonNil(c.Time64NsData.GetData())}, true
		}
	case pixie.TypeFloat64:
		if c, ok := col.GetColData().(*vizierpb.Column_Float64Data); ok && c.Float64Data != nil {
			return pixie.ColumnData{Float64: nonNil(c.Float64Data.GetData())}, true
		}
	case pixie.TypeString:
		if c, ok := col.GetColData().(*vizierpb.Column_StringData); ok && c.StringData != nil {
			return pixie.ColumnData{String: nonNil(c.StringData.GetData())}, true
		}
	case pixie.TypeUInt128:
		c, ok := col.GetColData().(*vizierpb.Column_Uint128Data)
		if !ok || c.Uint128Data == nil {
			return pixie.ColumnData{}, false
		}
		src := c.Uint128Data.GetData()
		out := make([]pixie.UInt128, len(src))
		for i, v := range src {
			out[i] = pixie.UInt128{High: v.GetHigh(), Low: v.GetLow()}
		}
		return pixie.ColumnData{UInt128: out}, true
	}
	return pixie.ColumnData{}, false
}

// nonNil keeps the "which slice is set" invariant for empty columns.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
