package handlers

import (
	"testing"

	"github.com/pxgate/pxgate/pixie"
)

// TestColumnView: what the tolerances see of each column type.
func TestColumnView(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		typ      pixie.DataType
		data     pixie.ColumnData
		wantNum  float64
		wantOK   bool
		wantText string
	}{
		{"INT64 is numeric", pixie.TypeInt64, pixie.ColumnData{Int64: []int64{-7}}, -7, true, "-7"},
		{"TIME64NS is numeric", pixie.TypeTime64NS, pixie.ColumnData{Int64: []int64{1e9}}, 1e9, true, "1970-01-01T00:00:01.000000000Z"},
		{"FLOAT64 is numeric", pixie.TypeFloat64, pixie.ColumnData{Float64: []float64{0.25}}, 0.25, true, "0.25"},
		{"BOOLEAN is 0 or 1", pixie.TypeBoolean, pixie.ColumnData{Bool: []bool{true}}, 1, true, "true"},
		{"STRING is not numeric", pixie.TypeString, pixie.ColumnData{String: [][]byte{[]byte("12")}}, 0, false, "12"},
		{"UINT128 is not numeric", pixie.TypeUInt128, pixie.ColumnData{UInt128: []pixie.UInt128{{High: 1, Low: 2}}}, 0, false, "00000000-0000-0001-0000-000000000002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := columnView{data: &tc.data, typ: tc.typ}
			n, ok := c.Number(0)
			if n != tc.wantNum || ok != tc.wantOK {
				t.Errorf("Number: got %v, %v, want %v, %v", n, ok, tc.wantNum, tc.wantOK)
			}
			if got := c.Text(0); got != tc.wantText {
				t.Errorf("Text: got %q, want %q", got, tc.wantText)
			}
			if c.Len() != 1 {
				t.Errorf("Len: got %d, want 1", c.Len())
			}
		})
	}
}
