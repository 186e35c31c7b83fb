package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/pxgate/pxgate/api"
	"github.com/pxgate/pxgate/history"
	"github.com/pxgate/pxgate/pixie"
	"github.com/pxgate/pxgate/render"
	"github.com/pxgate/pxgate/tolerance"
)

// verdictSink is the pixie.Sink that feeds every row of every table to the
// tolerance evaluator, whatever the response keeps (max_rows, tables), and
// records each table's schema for the verdict and the unknown-table check.
type verdictSink struct {
	set     *tolerance.Set
	ev      *tolerance.Evaluator // nil: no tolerances, only schemas are kept
	schemas []tolerance.TableSchema
	rows    []int          // rows per table, as schemas
	index   map[string]int // table id -> index in schemas
	// hold, when set, leases the bytes the evaluator's kept values grow
	// by (a memory budget); an error stops the query.
	hold func(n int) error
	held int // bytes leased through hold
}

func newVerdictSink(set *tolerance.Set) *verdictSink {
	v := &verdictSink{set: set, index: make(map[string]int)}
	if set != nil && set.Len() > 0 {
		v.ev = set.NewEvaluator()
	}
	return v
}

// Table implements pixie.Sink.
func (v *verdictSink) Table(meta *pixie.TableMeta) error {
	schema := tolerance.TableSchema{Name: meta.Name, Columns: make([]string, len(meta.Columns))}
	for i, c := range meta.Columns {
		schema.Columns[i] = c.Name
		if v.ev == nil {
			continue // no checks: the names are enough
		}
		if what := notDuration(c); what != "" {
			if schema.NotDurations == nil {
				schema.NotDurations = map[string]string{}
			}
			schema.NotDurations[c.Name] = what
		}
	}
	if v.ev != nil {
		// The schema comes before any row: a check naming a column the
		// table lacks is refused before anything is sent.
		if missing := v.set.MissingColumns(schema, false); len(missing) > 0 {
			return missingColumn(missing[0])
		}
	}
	v.index[meta.ID] = len(v.schemas)
	v.schemas = append(v.schemas, schema)
	v.rows = append(v.rows, 0)
	if v.ev != nil {
		v.ev.Add(meta.Name, nil) // announce the table in stream order
	}
	return nil
}

// Batch implements pixie.Sink.
func (v *verdictSink) Batch(b *pixie.Batch) error {
	if i, ok := v.index[b.Table.ID]; ok {
		v.rows[i] += b.NumRows
	}
	if v.ev != nil && b.NumRows > 0 {
		v.ev.Add(b.Table.Name, batchView{b})
		if more := v.ev.HeldBytes() - v.held; more > 0 && v.hold != nil {
			if err := v.hold(more); err != nil {
				return err
			}
			v.held += more
		}
	}
	return nil
}

// verdict evaluates the tolerances on everything seen. Without tolerances
// it passes with no checks.
func (v *verdictSink) verdict() tolerance.Verdict {
	if v.ev == nil {
		return tolerance.Verdict{Passed: true, Checks: []tolerance.Result{}}
	}
	return v.ev.Verdict(v.schemas)
}

// missingColumns is the problem of a check reading a column the query's
// only table lacks, known once the stream has ended (before, a check that
// names no table may read another one); nil when there is none.
func (v *verdictSink) missingColumns() error {
	if v.ev == nil || len(v.schemas) != 1 {
		return nil
	}
	if missing := v.set.MissingColumns(v.schemas[0], true); len(missing) > 0 {
		return missingColumn(missing[0])
	}
	return nil
}

// missingColumn is the 400 of a check that names a column its table does
// not have: the schema is known even without rows, so a misspelled column
// is a mistake in the request, never a deviation (417).
func missingColumn(m tolerance.MissingColumn) error {
	detail := fmt.Sprintf("check %q reads column %q, which table %q does not have (its columns: %s)",
		m.Name, m.Column, m.Table, render.QuoteNames(m.Columns))
	pe := api.NewProblemError(api.ProblemInvalidTolerance, http.StatusBadRequest, detail)
	pe.Problem.AvailableColumns = append([]string{}, m.Columns...)
	pe.Problem.Errors = []api.FieldError{{Field: fmt.Sprintf("tolerances[%d]", m.Check), Message: detail}}
	return pe
}

// tableNames lists the tables the query produced, in stream order.
func (v *verdictSink) tableNames() []string {
	out := make([]string, len(v.schemas))
	for i, s := range v.schemas {
		out[i] = s.Name
	}
	return out
}

// counts returns every table's row count, in stream order.
func (v *verdictSink) counts() []history.TableCount {
	out := make([]history.TableCount, len(v.schemas))
	for i, s := range v.schemas {
		out[i] = history.TableCount{Name: s.Name, Rows: v.rows[i]}
	}
	return out
}

// batchView shows a pixie.Batch as a tolerance.Batch, without copying.
type batchView struct{ b *pixie.Batch }

func (v batchView) Len() int { return v.b.NumRows }

func (v batchView) Column(name string) (tolerance.Column, bool) {
	i := v.b.Table.ColumnIndex(name)
	if i < 0 {
		return nil, false
	}
	return columnView{data: &v.b.Cols[i], typ: v.b.Table.Columns[i].Type}, true
}

// columnView shows one pixie.ColumnData as a tolerance.Column: INT64,
// TIME64NS and FLOAT64 are numbers, BOOLEAN is 0 or 1, STRING and UINT128
// are not numeric. Text is the value as the JSON encoder would show it,
// without quotes.
type columnView struct {
	data *pixie.ColumnData
	typ  pixie.DataType
}

func (c columnView) Len() int { return c.data.Len() }

func (c columnView) Number(i int) (float64, bool) { return c.data.Number(c.typ, i) }

func (c columnView) Text(i int) string {
	switch c.typ {
	case pixie.TypeString:
		return string(c.data.String[i])
	case pixie.TypeInt64:
		return strconv.FormatInt(c.data.Int64[i], 10)
	case pixie.TypeTime64NS:
		return string(render.AppendTime(nil, c.data.Int64[i]))
	case pixie.TypeFloat64:
		return strconv.FormatFloat(c.data.Float64[i], 'g', -1, 64)
	case pixie.TypeBoolean:
		return strconv.FormatBool(c.data.Bool[i])
	case pixie.TypeUInt128:
		return string(render.AppendUUID(nil, c.data.UInt128[i]))
	}
	return ""
}

// notDuration names the type of a column that Pixie's types show is not a
// nanosecond duration (a unit cannot apply to it), "" when it is one or may
// be: numbers typed as durations, or without a semantic type.
func notDuration(c pixie.ColumnInfo) string {
	switch c.Type {
	case pixie.TypeInt64, pixie.TypeFloat64:
	default:
		return c.Type.String()
	}
	switch c.SemanticType {
	case pixie.STUnspecified, pixie.STNone,
		pixie.STDurationNS, pixie.STDurationNSQuantiles:
		return ""
	}
	return c.SemanticType.String()
}
