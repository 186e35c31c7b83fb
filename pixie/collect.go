package pixie

// Table is a whole result table gathered by a Collector.
type Table struct {
	Meta *TableMeta
	// Cols holds the kept rows, one ColumnData per column of Meta.Columns.
	Cols []ColumnData
	// NumRows is the number of rows kept in Cols.
	NumRows int
	// TotalRows counts every row Vizier sent, kept or not.
	TotalRows int
	// Truncated is true when rows were dropped because of MaxRows.
	Truncated bool
}

// Collector is a Sink that keeps tables in memory, in the order Vizier
// announced them. Not safe for concurrent use (nor need it be: a Sink is
// called sequentially).
type Collector struct {
	// MaxRows caps the rows kept per table; 0 keeps all. Rows past the cap
	// are counted in TotalRows and mark the table Truncated.
	MaxRows int
	// Keep, when non-nil, decides which tables are kept (by name); others
	// are dropped without copying.
	Keep func(name string) bool

	Tables []*Table
	byID   map[string]*Table
}

// Table implements Sink.
func (c *Collector) Table(meta *TableMeta) error {
	if c.byID == nil {
		c.byID = make(map[string]*Table)
	}
	if c.Keep != nil && !c.Keep(meta.Name) {
		return nil
	}
	t := &Table{Meta: meta, Cols: EmptyColumns(meta)}
	c.byID[meta.ID] = t
	c.Tables = append(c.Tables, t)
	return nil
}

// Batch implements Sink.
func (c *Collector) Batch(b *Batch) error {
	t, ok := c.byID[b.Table.ID]
	if !ok {
		return nil // not kept
	}
	t.TotalRows += b.NumRows
	n := b.NumRows
	if c.MaxRows > 0 && t.NumRows+n > c.MaxRows {
		n = c.MaxRows - t.NumRows
		t.Truncated = true
	}
	if n <= 0 {
		return nil
	}
	for i := range t.Cols {
		t.Cols[i] = appendColumn(t.Cols[i], b.Cols[i], n)
	}
	t.NumRows += n
	return nil
}

// appendColumn appends the first n values of src to dst (copying, since
// src aliases a message that is about to be dropped).
func appendColumn(dst, src ColumnData, n int) ColumnData {
	switch {
	case src.Bool != nil:
		dst.Bool = appendDoubling(dst.Bool, src.Bool[:n])
	case src.Int64 != nil:
		dst.Int64 = appendDoubling(dst.Int64, src.Int64[:n])
	case src.Float64 != nil:
		dst.Float64 = appendDoubling(dst.Float64, src.Float64[:n])
	case src.String != nil:
		dst.String = appendDoubling(dst.String, src.String[:n])
	case src.UInt128 != nil:
		dst.UInt128 = appendDoubling(dst.UInt128, src.UInt128[:n])
	}
	return dst
}

// appendDoubling appends like append, but grows large slices by doubling:
// append's 1.25x growth for big slices copies a large result many times.
func appendDoubling[T any](dst, src []T) []T {
	if need := len(dst) + len(src); need > cap(dst) {
		grown := make([]T, len(dst), max(need, 2*cap(dst)))
		copy(grown, dst)
		dst = grown
	}
	return append(dst, src...)
}

// Lookup returns the kept table with the given name, or nil.
func (c *Collector) Lookup(name string) *Table {
	for _, t := range c.Tables {
		if t.Meta.Name == name {
			return t
		}
	}
	return nil
}
