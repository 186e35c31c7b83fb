package fakevizier

import (
	"errors"
	"fmt"

	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/pixie/proto/vizierpb"
)

// Table is one output table of a programmed query: a name and typed,
// columnar data. The fake announces it with a QueryMetadata and then sends
// its rows in RowBatchData batches.
//
// A Table is read concurrently by every stream that sends it and must not be
// modified once it has been handed to the server (through a Plan).
type Table struct {
	// Name is the table name the client sees (what px.display names it).
	Name string
	// Columns are the table's columns, in relation order.
	Columns []Column
}

// NewTable returns a table with the given name and columns.
func NewTable(name string, cols ...Column) *Table {
	return &Table{Name: name, Columns: cols}
}

// NumRows returns the number of rows of t: the length of its first column,
// or 0 when it has no columns. Validate checks that every column agrees.
func (t *Table) NumRows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return t.Columns[0].Len()
}

// Validate reports whether t can be sent: it needs a name, and every column
// needs a name, a known data type, values only in the slice that matches its
// type, and the same number of rows as the other columns.
func (t *Table) Validate() error {
	if t == nil {
		return errors.New("nil table")
	}
	if t.Name == "" {
		return errors.New("table without a name")
	}
	rows := t.NumRows()
	for i := range t.Columns {
		c := &t.Columns[i]
		if err := c.validate(); err != nil {
			return fmt.Errorf("table %q: %w", t.Name, err)
		}
		if n := c.Len(); n != rows {
			return fmt.Errorf("table %q: column %q has %d rows, column %q has %d",
				t.Name, c.Name, n, t.Columns[0].Name, rows)
		}
	}
	return nil
}

// relation returns the schema announced in t's QueryMetadata.
func (t *Table) relation() *vizierpb.Relation {
	rel := &vizierpb.Relation{Columns: make([]*vizierpb.Relation_ColumnInfo, len(t.Columns))}
	for i := range t.Columns {
		c := &t.Columns[i]
		rel.Columns[i] = &vizierpb.Relation_ColumnInfo{
			ColumnName:         c.Name,
			ColumnType:         vizierpb.DataType(c.Type),
			ColumnDesc:         c.Desc,
			ColumnSemanticType: vizierpb.SemanticType(c.Semantic),
		}
	}
	return rel
}

// batch returns rows [lo, hi) of t as a RowBatchData for the table id. The
// column data shares t's backing arrays; nothing is copied.
func (t *Table) batch(id string, lo, hi int, eos bool) *vizierpb.RowBatchData {
	cols := make([]*vizierpb.Column, len(t.Columns))
	for i := range t.Columns {
		cols[i] = t.Columns[i].slice(lo, hi)
	}
	return &vizierpb.RowBatchData{TableId: id, Cols: cols, NumRows: int64(hi - lo), Eos: eos}
}

// byteSize estimates how many bytes a query engine would have processed to
// produce t, for the execution stats.
func (t *Table) byteSize() int64 {
	var n int64
	for i := range t.Columns {
		n += t.Columns[i].byteSize()
	}
	return n
}

// Column is one typed column. Type selects which value slice holds the data:
//
//	BOOLEAN             Bools
//	INT64, TIME64NS     Int64s (TIME64NS: nanoseconds since the Unix epoch)
//	FLOAT64             Float64s
//	STRING              Strings (raw bytes; need not be UTF-8)
//	UINT128             UInt128s
//
// The other slices must be empty. The constructors (BoolCol, Int64Col, ...)
// fill the right one.
type Column struct {
	Name     string
	Type     pixie.DataType
	Semantic pixie.SemanticType
	Desc     string

	Bools    []bool
	Int64s   []int64
	Float64s []float64
	Strings  [][]byte
	UInt128s []*vizierpb.UInt128
}

// BoolCol returns a BOOLEAN column.
func BoolCol(name string, sem pixie.SemanticType, vals ...bool) Column {
	return Column{Name: name, Type: pixie.TypeBoolean, Semantic: sem, Bools: vals}
}

// Int64Col returns an INT64 column.
func Int64Col(name string, sem pixie.SemanticType, vals ...int64) Column {
	return Column{Name: name, Type: pixie.TypeInt64, Semantic: sem, Int64s: vals}
}

// TimeCol returns a TIME64NS column; values are nanoseconds since the Unix
// epoch (time.Time.UnixNano).
func TimeCol(name string, sem pixie.SemanticType, ns ...int64) Column {
	return Column{Name: name, Type: pixie.TypeTime64NS, Semantic: sem, Int64s: ns}
}

// Float64Col returns a FLOAT64 column.
func Float64Col(name string, sem pixie.SemanticType, vals ...float64) Column {
	return Column{Name: name, Type: pixie.TypeFloat64, Semantic: sem, Float64s: vals}
}

// StringCol returns a STRING column from Go strings.
func StringCol(name string, sem pixie.SemanticType, vals ...string) Column {
	b := make([][]byte, len(vals))
	for i, v := range vals {
		b[i] = []byte(v)
	}
	return Column{Name: name, Type: pixie.TypeString, Semantic: sem, Strings: b}
}

// BytesCol returns a STRING column from raw bytes, which need not be valid
// UTF-8 (Vizier's STRING data is bytes on the wire).
func BytesCol(name string, sem pixie.SemanticType, vals ...[]byte) Column {
	return Column{Name: name, Type: pixie.TypeString, Semantic: sem, Strings: vals}
}

// UInt128Col returns a UINT128 column (UPIDs, ...).
func UInt128Col(name string, sem pixie.SemanticType, vals ...*vizierpb.UInt128) Column {
	return Column{Name: name, Type: pixie.TypeUInt128, Semantic: sem, UInt128s: vals}
}

// Len returns the number of values in the slice selected by c.Type (0 for
// an unknown type).
func (c *Column) Len() int {
	switch c.Type {
	case pixie.TypeBoolean:
		return len(c.Bools)
	case pixie.TypeInt64, pixie.TypeTime64NS:
		return len(c.Int64s)
	case pixie.TypeFloat64:
		return len(c.Float64s)
	case pixie.TypeString:
		return len(c.Strings)
	case pixie.TypeUInt128:
		return len(c.UInt128s)
	}
	return 0
}

func (c *Column) validate() error {
	if c.Name == "" {
		return errors.New("column without a name")
	}
	// used[k] says whether slice k may hold values for c.Type.
	var used [5]bool
	switch c.Type {
	case pixie.TypeBoolean:
		used[0] = true
	case pixie.TypeInt64, pixie.TypeTime64NS:
		used[1] = true
	case pixie.TypeFloat64:
		used[2] = true
	case pixie.TypeString:
		used[3] = true
	case pixie.TypeUInt128:
		used[4] = true
		for i, v := range c.UInt128s {
			if v == nil {
				return fmt.Errorf("column %q: nil UInt128 at row %d", c.Name, i)
			}
		}
	default:
		return fmt.Errorf("column %q: unsupported data type %v", c.Name, c.Type)
	}
	lens := [5]int{len(c.Bools), len(c.Int64s), len(c.Float64s), len(c.Strings), len(c.UInt128s)}
	names := [5]string{"Bools", "Int64s", "Float64s", "Strings", "UInt128s"}
	for k := range lens {
		if !used[k] && lens[k] > 0 {
			return fmt.Errorf("column %q: type %v but %s is set", c.Name, c.Type, names[k])
		}
	}
	return nil
}

// slice returns rows [lo, hi) of c as a wire column sharing c's arrays.
func (c *Column) slice(lo, hi int) *vizierpb.Column {
	switch c.Type {
	case pixie.TypeBoolean:
		return &vizierpb.Column{ColData: &vizierpb.Column_BooleanData{
			BooleanData: &vizierpb.BooleanColumn{Data: c.Bools[lo:hi:hi]}}}
	case pixie.TypeInt64:
		return &vizierpb.Column{ColData: &vizierpb.Column_Int64Data{
			Int64Data: &vizierpb.Int64Column{Data: c.Int64s[lo:hi:hi]}}}
	case pixie.TypeTime64NS:
		return &vizierpb.Column{ColData: &vizierpb.Column_Time64NsData{
			Time64NsData: &vizierpb.Time64NSColumn{Data: c.Int64s[lo:hi:hi]}}}
	case pixie.TypeFloat64:
		return &vizierpb.Column{ColData: &vizierpb.Column_Float64Data{
			Float64Data: &vizierpb.Float64Column{Data: c.Float64s[lo:hi:hi]}}}
	case pixie.TypeString:
		return &vizierpb.Column{ColData: &vizierpb.Column_StringData{
			StringData: &vizierpb.StringColumn{Data: c.Strings[lo:hi:hi]}}}
	case pixie.TypeUInt128:
		return &vizierpb.Column{ColData: &vizierpb.Column_Uint128Data{
			Uint128Data: &vizierpb.UInt128Column{Data: c.UInt128s[lo:hi:hi]}}}
	}
	return &vizierpb.Column{}
}

// wrongTypeSlice returns n values of a type other than c.Type, for the
// WrongColumnType fault: STRING columns get INT64 zeros, every other type
// gets empty strings.
func (c *Column) wrongTypeSlice(n int) *vizierpb.Column {
	if c.Type == pixie.TypeString {
		return &vizierpb.Column{ColData: &vizierpb.Column_Int64Data{
			Int64Data: &vizierpb.Int64Column{Data: make([]int64, n)}}}
	}
	return &vizierpb.Column{ColData: &vizierpb.Column_StringData{
		StringData: &vizierpb.StringColumn{Data: make([][]byte, n)}}}
}

func (c *Column) byteSize() int64 {
	switch c.Type {
	case pixie.TypeBoolean:
		return int64(len(c.Bools))
	case pixie.TypeInt64, pixie.TypeTime64NS:
		return 8 * int64(len(c.Int64s))
	case pixie.TypeFloat64:
		return 8 * int64(len(c.Float64s))
	case pixie.TypeUInt128:
		return 16 * int64(len(c.UInt128s))
	case pixie.TypeString:
		var n int64
		for _, s := range c.Strings {
			n += int64(len(s))
		}
		return n
	}
	return 0
}
