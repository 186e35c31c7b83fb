package api

import (
	"github.com/pxgate/pxgate/tolerance"
	"github.com/pxgate/pxgate/version"
)

// ContentTypeJSON is the Content-Type of every JSON response, without
// parameters: Chaos Toolkit's HTTP provider parses a body as JSON only when
// the header is exactly this value.
const ContentTypeJSON = "application/json"

// ContentTypeProblem is the Content-Type of error responses (RFC 9457).
const ContentTypeProblem = "application/problem+json"

// DefaultFailStatus is the status of a failed verdict when the request sets
// no fail_status: 417 Expectation Failed.
const DefaultFailStatus = 417

// RunResponse is the body of a POST /v1/run answer, the same whether the
// verdict passed (200) or failed (fail_status, default 417).
//
// pxgate writes it with a streaming encoder rather than encoding/json (see
// package handlers); this type documents the shape and lets Go clients and
// tests decode it.
type RunResponse struct {
	ClusterID string `json:"cluster_id"`
	QueryID   string `json:"query_id"`
	// ScriptName is the catalog script that ran; empty for inline PxL.
	ScriptName string `json:"script_name,omitempty"`
	// Demo is true when the answer comes from pxgate's built-in demo
	// cluster rather than a real Pixie.
	Demo bool `json:"demo,omitempty"`
	// TimeoutMS is the effective query timeout in milliseconds (the
	// request's, or the default, capped by configuration).
	TimeoutMS int64             `json:"timeout_ms"`
	Tables    []Table           `json:"tables"`
	Verdict   tolerance.Verdict `json:"verdict"`
	Stats     Stats             `json:"stats"`
	// Error is set, and Verdict and Stats absent, only in an answer that
	// failed after its status (200) and rows went out: a JSON answer
	// streams once it passes 256 KiB (RunCutShort in openapi.yaml).
	Error *Problem `json:"error,omitempty"`
}

// Table is one output table of a query.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	// Rows are JSON objects keyed by column name, keys in column order.
	// Values: INT64 and FLOAT64 as numbers (NaN and ±Inf as null), BOOLEAN
	// as booleans, STRING as strings (invalid UTF-8 replaced by U+FFFD),
	// TIME64NS as RFC 3339 UTC strings with nanoseconds, UINT128 as
	// UUID-style strings (high 64 bits first).
	Rows []map[string]any `json:"rows"`
	// RowCount is the number of rows returned.
	RowCount int `json:"row_count"`
	// TotalRows is the number of rows the query produced.
	TotalRows int `json:"total_rows"`
	// Truncated is true when rows were cut by max_rows.
	Truncated bool `json:"truncated"`
}

// Column describes one column of a table.
type Column struct {
	Name string `json:"name"`
	// Type is Vizier's data type: BOOLEAN, INT64, UINT128, FLOAT64, STRING
	// or TIME64NS.
	Type string `json:"type"`
	// SemanticType is Vizier's semantic type, such as ST_DURATION_NS
	// (nanoseconds) or ST_PERCENT.
	SemanticType string `json:"semantic_type"`
}

// Stats are a query's execution statistics.
type Stats struct {
	// CompilationMS and ExecutionMS are Vizier's own timings.
	CompilationMS    float64 `json:"compilation_ms"`
	ExecutionMS      float64 `json:"execution_ms"`
	RecordsProcessed int64   `json:"records_processed"`
	BytesProcessed   int64   `json:"bytes_processed"`
	// TotalMS is the time pxgate spent on the query, end to end.
	TotalMS float64 `json:"total_ms"`
	// MutationWaitMS is how long a mutating script (pxtrace) waited for its
	// tracepoints to deploy before its results, and MutationAttempts how
	// often it was sent; both absent for a script that mutates nothing.
	MutationWaitMS   float64 `json:"mutation_wait_ms,omitempty"`
	MutationAttempts int     `json:"mutation_attempts,omitempty"`
}

// Cluster is a Pixie cluster reachable with pxgate's credentials
// (GET /v1/clusters).
type Cluster struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PrettyName string `json:"pretty_name,omitempty"`
	// Status is Pixie's cluster status, such as CS_HEALTHY.
	Status        string `json:"status"`
	StatusMessage string `json:"status_message,omitempty"`
	// Queryable is true when queries can run on the cluster now.
	Queryable     bool   `json:"queryable"`
	VizierVersion string `json:"vizier_version,omitempty"`
	// NumNodes and NumInstrumentedNodes are reported in cloud mode only.
	NumNodes             int32 `json:"num_nodes"`
	NumInstrumentedNodes int32 `json:"num_instrumented_nodes"`
	// LastHeartbeatMS is the age of the cluster's last heartbeat, when known.
	LastHeartbeatMS int64 `json:"last_heartbeat_ms,omitempty"`
	// Default is true for the cluster requests use when they name none.
	Default bool `json:"default"`
}

// VersionInfo is the body of GET /version.
type VersionInfo = version.Info

// Status is the body of GET /healthz and GET /readyz.
type Status struct {
	// Status is "ok", "ready" or "not ready".
	Status string `json:"status"`
}
