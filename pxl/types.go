package pxl

import (
	"fmt"
	"slices"

	"github.com/pxgate/pxgate/pixie"
)

// DataType is a column's data type, Vizier's enum.
type DataType = pixie.DataType

// SemanticType is a column's semantic type, Vizier's enum.
type SemanticType = pixie.SemanticType

// The data types columns can have.
const (
	Boolean = pixie.TypeBoolean
	Int64   = pixie.TypeInt64
	UInt128 = pixie.TypeUInt128
	Float64 = pixie.TypeFloat64
	String  = pixie.TypeString
	Time64  = pixie.TypeTime64NS
)

// Semantic types used by the engine (shorter names for Vizier's enum).
const (
	STNone               = pixie.STNone
	STUPID               = pixie.STUPID
	STServiceName        = pixie.STServiceName
	STPodName            = pixie.STPodName
	STNodeName           = pixie.STNodeName
	STContainerName      = pixie.STContainerName
	STNamespaceName      = pixie.STNamespaceName
	STBytes              = pixie.STBytes
	STPercent            = pixie.STPercent
	STDurationNS         = pixie.STDurationNS
	STThroughputPerNS    = pixie.STThroughputPerNS
	STThroughputBytes    = pixie.STThroughputBytesPerNS
	STQuantiles          = pixie.STQuantiles
	STDurationQuantiles  = pixie.STDurationNSQuantiles
	STIPAddress          = pixie.STIPAddress
	STPort               = pixie.STPort
	STHTTPReqMethod      = pixie.STHTTPReqMethod
	STHTTPRespStatus     = pixie.STHTTPRespStatus
	STHTTPRespMessage    = pixie.STHTTPRespMessage
	STScriptReference    = pixie.STScriptReference
	stUnspecifiedSemType = pixie.STUnspecified
)

// U128 is an unsigned 128-bit value (UPIDs). Pixie packs a UPID as
// High = ASID<<32 | PID and Low = the process start time in clock ticks.
type U128 struct {
	High, Low uint64
}

// PID returns the process id packed in a UPID.
func (u U128) PID() int64 { return int64(u.High & 0xffffffff) }

// String formats u as Pixie prints a UPID: asid:pid:start_ticks.
func (u U128) String() string {
	return fmt.Sprintf("%d:%d:%d", u.High>>32, u.High&0xffffffff, u.Low)
}

// Vector is a typed column of values. Type selects the slice holding them:
// Bools (BOOLEAN), Ints (INT64 and TIME64NS, nanoseconds since the epoch),
// Floats (FLOAT64), Strs (STRING) or U128s (UINT128). The other slices are
// nil. Vectors are treated as immutable once built: operators share them.
type Vector struct {
	Type   DataType
	Bools  []bool
	Ints   []int64
	Floats []float64
	Strs   []string
	U128s  []U128
}

// Len returns the number of values.
func (v *Vector) Len() int {
	switch v.Type {
	case Boolean:
		return len(v.Bools)
	case Int64, Time64:
		return len(v.Ints)
	case Float64:
		return len(v.Floats)
	case String:
		return len(v.Strs)
	case UInt128:
		return len(v.U128s)
	}
	return 0
}

// slice returns rows [lo, hi) sharing v's arrays.
func (v *Vector) slice(lo, hi int) Vector {
	out := Vector{Type: v.Type}
	switch v.Type {
	case Boolean:
		out.Bools = v.Bools[lo:hi:hi]
	case Int64, Time64:
		out.Ints = v.Ints[lo:hi:hi]
	case Float64:
		out.Floats = v.Floats[lo:hi:hi]
	case String:
		out.Strs = v.Strs[lo:hi:hi]
	case UInt128:
		out.U128s = v.U128s[lo:hi:hi]
	}
	return out
}

// gather returns the rows at idx; an index of -1 gives the zero value.
func (v *Vector) gather(idx []int32) Vector {
	out := Vector{Type: v.Type}
	switch v.Type {
	case Boolean:
		out.Bools = gatherSlice(v.Bools, idx)
	case Int64, Time64:
		out.Ints = gatherSlice(v.Ints, idx)
	case Float64:
		out.Floats = gatherSlice(v.Floats, idx)
	case String:
		out.Strs = gatherSlice(v.Strs, idx)
	case UInt128:
		out.U128s = gatherSlice(v.U128s, idx)
	}
	return out
}

func gatherSlice[T any](s []T, idx []int32) []T {
	out := make([]T, len(idx))
	for i, j := range idx {
		if j >= 0 {
			out[i] = s[j]
		}
	}
	return out
}

// appendVectors concatenates vectors of one type.
func appendVectors(t DataType, vs []*Vector) Vector {
	out := Vector{Type: t}
	n := 0
	for _, v := range vs {
		n += v.Len()
	}
	switch t {
	case Boolean:
		out.Bools = make([]bool, 0, n)
		for _, v := range vs {
			out.Bools = append(out.Bools, v.Bools...)
		}
	case Int64, Time64:
		out.Ints = make([]int64, 0, n)
		for _, v := range vs {
			out.Ints = append(out.Ints, v.Ints...)
		}
	case Float64:
		out.Floats = make([]float64, 0, n)
		for _, v := range vs {
			out.Floats = append(out.Floats, v.Floats...)
		}
	case String:
		out.Strs = make([]string, 0, n)
		for _, v := range vs {
			out.Strs = append(out.Strs, v.Strs...)
		}
	case UInt128:
		out.U128s = make([]U128, 0, n)
		for _, v := range vs {
			out.U128s = append(out.U128s, v.U128s...)
		}
	}
	return out
}

// ColumnInfo describes one column of a relation.
type ColumnInfo struct {
	Name     string
	Type     DataType
	Semantic SemanticType
	Desc     string
}

// Relation is a table's schema: its columns in order.
type Relation []ColumnInfo

// Index returns the position of the named column, or -1.
func (r Relation) Index(name string) int {
	for i, c := range r {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (r Relation) Names() []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = c.Name
	}
	return out
}

// SameColumns reports whether r and o have the same column names and data
// types in the same order (semantic types and descriptions aside).
func (r Relation) SameColumns(o Relation) bool {
	return slices.EqualFunc(r, o, func(a, b ColumnInfo) bool { return a.Name == b.Name && a.Type == b.Type })
}

// Column is one named, typed column of a Table (Vector.Type is its data
// type).
type Column struct {
	Name     string
	Semantic SemanticType
	Desc     string
	Vector
}

// Info returns the column's description.
func (c *Column) Info() ColumnInfo {
	return ColumnInfo{Name: c.Name, Type: c.Type, Semantic: c.Semantic, Desc: c.Desc}
}

// NewColumn returns a column described by info holding v (v.Type is set
// from info).
func NewColumn(info ColumnInfo, v Vector) Column {
	v.Type = info.Type
	return Column{Name: info.Name, Semantic: info.Semantic, Desc: info.Desc, Vector: v}
}

// Table is a named table of typed columns, all of the same length: a
// source's scan result or an output table of a script.
type Table struct {
	Name    string
	Columns []Column
}

// NumRows returns the number of rows (the first column's length).
func (t *Table) NumRows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].Len()
}

// Relation returns the table's schema.
func (t *Table) Relation() Relation {
	r := make(Relation, len(t.Columns))
	for i := range t.Columns {
		r[i] = t.Columns[i].Info()
	}
	return r
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// typeName is how error messages spell a data type.
func typeName(t DataType) string {
	switch t {
	case Boolean:
		return "BOOLEAN"
	case Int64:
		return "INT64"
	case UInt128:
		return "UINT128"
	case Float64:
		return "FLOAT64"
	case String:
		return "STRING"
	case Time64:
		return "TIME64NS"
	}
	return t.String()
}
