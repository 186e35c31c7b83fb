package pixie

import (
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// DecodeBatch checks a row batch against its table's relation and exposes
// its columns as typed slices (aliasing the message, no per-value copy
// except for UINT128).
func DecodeBatch(meta *TableMeta, rb *vizierpb.RowBatchData) (*Batch, error) {
	cols := rb.GetCols()
	n := rb.GetNumRows()
	if n == 0 && len(cols) == 0 {
		// An empty batch (typically the eos marker) may omit its columns.
		return &Batch{Table: meta, Cols: emptyColumns(meta), EOS: rb.GetEos()}, nil
	}
	if len(cols) != len(meta.Columns) {
		return nil, errorf(KindProtocol, nil, "table %q: batch has %d columns, relation has %d", meta.Name, len(cols), len(meta.Columns))
	}
	b := &Batch{Table: meta, NumRows: int(n), Cols: make([]ColumnData, len(cols)), EOS: rb.GetEos()}
	for i, col := range cols {
		info := meta.Columns[i]
		d, ok := decodeColumn(col, info.Type)
		if !ok {
			return nil, errorf(KindProtocol, nil, "table %q: column %q is %s in the relation but carries other data", meta.Name, info.Name, info.Type)
		}
		if int64(d.Len()) != n {
			return nil, errorf(KindProtocol, nil, "table %q: column %q has %d values, batch says %d rows", meta.Name, info.Name, d.Len(), n)
		}
		b.Cols[i] = d
	}
	return b, nil
}

func decodeColumn(col *vizierpb.Column, typ vizierpb.DataType) (ColumnData, bool) {
	switch typ {
	case vizierpb.DataType_BOOLEAN:
		if c, ok := col.GetColData().(*vizierpb.Column_BooleanData); ok && c.BooleanData != nil {
			return ColumnData{Bool: nonNil(c.BooleanData.GetData())}, true
		}
	case vizierpb.DataType_INT64:
		if c, ok := col.GetColData().(*vizierpb.Column_Int64Data); ok && c.Int64Data != nil {
			return ColumnData{Int64: nonNil(c.Int64Data.GetData())}, true
		}
	case vizierpb.DataType_TIME64NS:
		if c, ok := col.GetColData().(*vizierpb.Column_Time64NsData); ok && c.Time64NsData != nil {
			return ColumnData{Int64: nonNil(c.Time64NsData.GetData())}, true
		}
	case vizierpb.DataType_FLOAT64:
		if c, ok := col.GetColData().(*vizierpb.Column_Float64Data); ok && c.Float64Data != nil {
			return ColumnData{Float64: nonNil(c.Float64Data.GetData())}, true
		}
	case vizierpb.DataType_STRING:
		if c, ok := col.GetColData().(*vizierpb.Column_StringData); ok && c.StringData != nil {
			return ColumnData{String: nonNil(c.StringData.GetData())}, true
		}
	case vizierpb.DataType_UINT128:
		c, ok := col.GetColData().(*vizierpb.Column_Uint128Data)
		if !ok || c.Uint128Data == nil {
			return ColumnData{}, false
		}
		src := c.Uint128Data.GetData()
		out := make([]UInt128, len(src))
		for i, v := range src {
			out[i] = UInt128{High: v.GetHigh(), Low: v.GetLow()}
		}
		return ColumnData{UInt128: out}, true
	}
	return ColumnData{}, false
}

// nonNil keeps the "which slice is set" invariant for empty columns.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func emptyColumns(meta *TableMeta) []ColumnData {
	out := make([]ColumnData, len(meta.Columns))
	for i, c := range meta.Columns {
		out[i] = emptyColumn(c.Type)
	}
	return out
}

// emptyColumn returns a zero-length column with the slice of typ set.
func emptyColumn(typ vizierpb.DataType) ColumnData {
	switch typ {
	case vizierpb.DataType_BOOLEAN:
		return ColumnData{Bool: []bool{}}
	case vizierpb.DataType_FLOAT64:
		return ColumnData{Float64: []float64{}}
	case vizierpb.DataType_STRING:
		return ColumnData{String: [][]byte{}}
	case vizierpb.DataType_UINT128:
		return ColumnData{UInt128: []UInt128{}}
	default:
		return ColumnData{Int64: []int64{}}
	}
}
