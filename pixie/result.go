package pixie

import "time"

// ColumnInfo describes one column of a result table.
type ColumnInfo struct {
	Name         string
	Type         DataType
	SemanticType SemanticType
	Desc         string
}

// TableMeta describes one output table, announced before its rows.
// It is immutable once handed to a Sink.
type TableMeta struct {
	ID      string // Vizier's id for the table within this query
	Name    string // the name given to px.display, or the exec_funcs prefix
	Columns []ColumnInfo
}

// ColumnIndex returns the index of the named column, or -1.
func (m *TableMeta) ColumnIndex(name string) int {
	for i, c := range m.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// UInt128 is an unsigned 128-bit value such as a UPID.
type UInt128 struct {
	High, Low uint64
}

// ColumnData holds one column's values within a batch. Exactly the slice
// matching the column's type is set: Bool (BOOLEAN), Int64 (INT64 and
// TIME64NS, nanoseconds since the Unix epoch), Float64 (FLOAT64), String
// (STRING, raw bytes that may not be UTF-8) or UInt128 (UINT128).
// The slices may alias the decoded message: treat them as read-only.
type ColumnData struct {
	Bool    []bool
	Int64   []int64
	Float64 []float64
	String  [][]byte
	UInt128 []UInt128
}

// Len returns the number of values held.
func (d ColumnData) Len() int {
	switch {
	case d.Bool != nil:
		return len(d.Bool)
	case d.Int64 != nil:
		return len(d.Int64)
	case d.Float64 != nil:
		return len(d.Float64)
	case d.String != nil:
		return len(d.String)
	default:
		return len(d.UInt128)
	}
}

// Number returns value i of a column of type t as a number: INT64 and
// TIME64NS (nanoseconds) and FLOAT64 as they are, BOOLEAN as 0 or 1; ok is
// false for STRING and UINT128, which are not numbers.
func (d ColumnData) Number(t DataType, i int) (v float64, ok bool) {
	switch t {
	case TypeInt64, TypeTime64NS:
		return float64(d.Int64[i]), true
	case TypeFloat64:
		return d.Float64[i], true
	case TypeBoolean:
		if d.Bool[i] {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Batch is a decoded row batch of one table: one ColumnData per column of
// Table.Columns, in order, each with NumRows values.
type Batch struct {
	Table   *TableMeta
	NumRows int
	Cols    []ColumnData
	EOS     bool // the table's last batch
}

// Stats are the execution statistics Vizier reports once per query.
type Stats struct {
	Compilation      time.Duration
	Execution        time.Duration
	BytesProcessed   int64
	RecordsProcessed int64
	// MutationWait is how long a mutating script (pxtrace) waited for its
	// mutations to be ready: from the first attempt to the mutation_info
	// that said ready (0 for a script that mutates nothing).
	MutationWait time.Duration
	// MutationAttempts counts the times the script was sent (1 when its
	// mutations were ready at once; 0 for a script that mutates nothing).
	MutationAttempts int
}

// Summary is what Execute reports once the stream has ended.
type Summary struct {
	QueryID string
	Stats   Stats
}

// Sink receives a query's results as they arrive. Calls are sequential
// (never concurrent) and follow the stream: Table for each output table
// before any of its batches, then batches of all tables interleaved. A
// non-nil error from a Sink method stops the query (the stream is cancelled)
// and Execute returns that error unchanged. A Batch's memory stays valid
// and unchanged after Batch returns (a sink may read it later, as
// render's encoding jobs do): a Sink must not modify it, and Execute
// never reuses it.
type Sink interface {
	Table(meta *TableMeta) error
	Batch(b *Batch) error
}

// Tee returns a Sink that hands every call to each sink in order, stopping
// at the first error.
func Tee(sinks ...Sink) Sink { return tee(sinks) }

type tee []Sink

func (t tee) Table(m *TableMeta) error {
	for _, s := range t {
		if err := s.Table(m); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Batch(b *Batch) error {
	for _, s := range t {
		if err := s.Batch(b); err != nil {
			return err
		}
	}
	return nil
}

// EmptyColumns returns a zero-length column of the right type for each of
// meta's columns (a batch or table with no rows).
func EmptyColumns(meta *TableMeta) []ColumnData {
	out := make([]ColumnData, len(meta.Columns))
	for i, c := range meta.Columns {
		out[i] = emptyColumn(c.Type)
	}
	return out
}

// emptyColumn returns a zero-length column with the slice of typ set.
func emptyColumn(typ DataType) ColumnData {
	switch typ {
	case TypeBoolean:
		return ColumnData{Bool: []bool{}}
	case TypeFloat64:
		return ColumnData{Float64: []float64{}}
	case TypeString:
		return ColumnData{String: [][]byte{}}
	case TypeUInt128:
		return ColumnData{UInt128: []UInt128{}}
	default:
		return ColumnData{Int64: []int64{}}
	}
}
