package tolerance

import "slices"

// MissingColumn is a check that reads a column its table does not have: a
// mistake in the request (a misspelled name), not a deviation, since the
// table's schema is known even when it has no rows.
type MissingColumn struct {
	Check   int    // index of the check in the Set
	Name    string // the check's name
	Table   string
	Column  string
	Columns []string // the columns the table has
}

// MissingColumns lists the checks that read table t but name a column it
// lacks. only says that t is known to be the query's only table, so checks
// that name no table read it even when it is not called "output"; before
// the end of the stream that is not known yet.
func (s *Set) MissingColumns(t TableSchema, only bool) []MissingColumn {
	var out []MissingColumn
	for i := range s.checks {
		c := &s.checks[i]
		if c.table != t.Name && (c.table != "" || !only && t.Name != defaultTable) {
			continue
		}
		for _, col := range []string{c.column, c.targetColumn()} {
			if col != "" && !slices.Contains(t.Columns, col) {
				out = append(out, MissingColumn{Check: i, Name: c.name, Table: t.Name, Column: col, Columns: t.Columns})
				break
			}
		}
	}
	return out
}

// targetColumn is the compatibility form's target column, if any.
func (c *check) targetColumn() string {
	if c.target == nil {
		return ""
	}
	return c.target.key
}
