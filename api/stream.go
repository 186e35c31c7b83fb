package api

import "github.com/pxgate/pxgate/tolerance"

// Media types of the streamed formats of the run routes (chosen by
// ?format= or Accept). CSV answers carry "; charset=utf-8".
const (
	ContentTypeCSV    = "text/csv"
	ContentTypeNDJSON = "application/x-ndjson"
)

// Trailers of the streamed formats. A streamed answer commits its status
// (200) with its first row, so what is known only at the end travels in
// HTTP trailers (and, for NDJSON, in the final line). When no row was
// written, the answer keeps the usual status (fail_status on a failed
// verdict, a problem on an error) and these are plain headers.
const (
	// TrailerVerdict is "pass" or "fail"; an error is "fail".
	TrailerVerdict = "X-Pxgate-Verdict"
	// TrailerError is "<problem type> <detail>" when the query failed after
	// rows were written; absent otherwise.
	TrailerError = "X-Pxgate-Error"
	// TrailerTruncated is "true" when max_rows cut a table's rows; absent
	// otherwise.
	TrailerTruncated = "X-Pxgate-Truncated"
)

// StreamRow is one row line of an NDJSON answer: the table's name and the
// row, keyed by column name in column order, with values as in Table.Rows.
// pxgate writes it by hand; this type documents the shape.
type StreamRow struct {
	Table string         `json:"table"`
	Row   map[string]any `json:"row"`
}

// StreamEnd is the final line of an NDJSON answer. It has Verdict and
// Stats when the query completed, Error when it did not (an error is never
// a passing verdict).
type StreamEnd struct {
	ClusterID  string             `json:"cluster_id"`
	QueryID    string             `json:"query_id"`
	ScriptName string             `json:"script_name,omitempty"`
	Demo       bool               `json:"demo,omitempty"`
	TimeoutMS  int64              `json:"timeout_ms"`
	Verdict    *tolerance.Verdict `json:"verdict,omitempty"`
	Stats      *Stats             `json:"stats,omitempty"`
	Error      *Problem           `json:"error,omitempty"`
	// Tables are the tables streamed, with the rows written of each.
	Tables []StreamTable `json:"tables"`
}

// StreamTable sums up one streamed table.
type StreamTable struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	// RowCount is the number of rows written.
	RowCount int `json:"row_count"`
	// TotalRows is the number of rows the query produced (so far, after
	// an error).
	TotalRows int `json:"total_rows"`
	// Truncated is true when max_rows cut the rows.
	Truncated bool `json:"truncated"`
}
