package api

import "time"

// Problem is an error response (RFC 9457 problem details), sent as
// application/problem+json. Type is a stable URI (one of the ProblemType
// constants) that callers can switch on; Title is the same for every
// problem of a Type; Detail says what happened this time.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`

	// RequestID is the request's X-Request-Id, to find it in the logs.
	RequestID string `json:"request_id,omitempty"`
	// Errors name the request fields at fault (invalid-request,
	// invalid-tolerance).
	Errors []FieldError `json:"errors,omitempty"`
	// CompileErrors are Vizier's compiler errors (compile-error).
	CompileErrors []CompileError `json:"compile_errors,omitempty"`
	// Hint suggests a fix, when pxgate knows one.
	Hint string `json:"hint,omitempty"`
	// AvailableTables lists the tables the query produced (unknown-table).
	AvailableTables []string `json:"available_tables,omitempty"`
	// AvailableColumns lists the columns of the table a check named a
	// missing column of (invalid-tolerance).
	AvailableColumns []string `json:"available_columns,omitempty"`
	// TimeoutMS is the effective timeout that expired (pixie-timeout).
	TimeoutMS int64 `json:"timeout_ms,omitempty"`
}

// CompileError is one PxL compiler error. Line and Column are 1-based; 0
// means Vizier gave no position.
type CompileError struct {
	Line    uint64 `json:"line"`
	Column  uint64 `json:"column"`
	Message string `json:"message"`
}

// ProblemTypePrefix starts every problem type URI.
const ProblemTypePrefix = "urn:pxgate:problem:"

// Problem types. They are part of the API contract: add new ones, never
// rename or reuse one.
const (
	// 400: the body is not a valid RunRequest (Problem.Errors names fields).
	ProblemInvalidRequest = ProblemTypePrefix + "invalid-request"
	// 400: a tolerance does not compile (Problem.Errors names it).
	ProblemInvalidTolerance = ProblemTypePrefix + "invalid-tolerance"
	// 400: Vizier could not compile the PxL (Problem.CompileErrors).
	ProblemCompileError = ProblemTypePrefix + "compile-error"
	// 400: Vizier rejected the request, e.g. an argument of the wrong type.
	ProblemInvalidArgument = ProblemTypePrefix + "invalid-argument"
	// 400: the request's tables names a table the query did not produce.
	ProblemUnknownTable = ProblemTypePrefix + "unknown-table"
	// 404: script_name is not in the catalog (400 from /probe, where the
	// script is a query parameter).
	ProblemUnknownScript = ProblemTypePrefix + "unknown-script"
	// 404: the cluster does not exist for pxgate's credentials.
	ProblemUnknownCluster = ProblemTypePrefix + "unknown-cluster"
	// 404: the run is not (or no longer) in the gateway's history.
	ProblemUnknownRun = ProblemTypePrefix + "unknown-run"
	// 404: no such route.
	ProblemNotFound = ProblemTypePrefix + "not-found"
	// 405: the route exists for other methods (see the Allow header).
	ProblemMethodNotAllowed = ProblemTypePrefix + "method-not-allowed"
	// 413: the body is larger than the configured limit.
	ProblemBodyTooLarge = ProblemTypePrefix + "body-too-large"
	// 415: the body is not JSON (typically form-encoded).
	ProblemUnsupportedMediaType = ProblemTypePrefix + "unsupported-media-type"
	// 502: Pixie could not be reached.
	ProblemPixieUnavailable = ProblemTypePrefix + "pixie-unavailable"
	// 502: Pixie refused pxgate's credentials (a gateway configuration
	// problem, not the caller's).
	ProblemPixieAuth = ProblemTypePrefix + "pixie-auth"
	// 502: the script compiled but failed while running.
	ProblemPixieExecution = ProblemTypePrefix + "pixie-execution"
	// 502: Pixie's answer broke the protocol.
	ProblemPixieProtocol = ProblemTypePrefix + "pixie-protocol"
	// 502: Pixie does not support the operation in this connection mode.
	ProblemPixieUnsupported = ProblemTypePrefix + "pixie-unsupported"
	// 504: Pixie did not answer within the effective timeout.
	ProblemPixieTimeout = ProblemTypePrefix + "pixie-timeout"
	// 500: a fault in pxgate; details are in its log under the request id.
	ProblemInternal = ProblemTypePrefix + "internal"
	// 500: the named script is in the catalog but cannot run (its source
	// or sidecar is broken; the detail says why). The operator must fix it.
	ProblemBrokenScript = ProblemTypePrefix + "broken-script"
	// 403: the gateway only runs named scripts (PXGATE_ALLOW_INLINE=false).
	ProblemInlineForbidden = ProblemTypePrefix + "inline-forbidden"
	// 403: the script changes the cluster (pxtrace tracepoints) and the
	// gateway runs read-only scripts (PXGATE_ALLOW_MUTATIONS=false).
	ProblemMutationForbidden = ProblemTypePrefix + "mutation-forbidden"
	// 403: the cluster is not in the gateway's allow-list
	// (PXGATE_ALLOWED_CLUSTERS).
	ProblemClusterForbidden = ProblemTypePrefix + "cluster-forbidden"
	// 429: the gateway runs its maximum of concurrent queries; retry after
	// the Retry-After header's seconds.
	ProblemTooManyQueries = ProblemTypePrefix + "too-many-queries"
	// 503: the answers in flight hold the gateway's memory budget
	// (PXGATE_ANSWER_MEMORY); retry after the Retry-After header's seconds.
	ProblemMemoryBudget = ProblemTypePrefix + "memory-budget"
	// 429: the demo cluster has no room for more load on that service now
	// (POST /v1/demo/load).
	ProblemDemoLoadLimit = ProblemTypePrefix + "demo-load-limit"
	// 503: the gateway shut down before the query finished (its shutdown
	// grace ran out); retry, another replica answers.
	ProblemShuttingDown = ProblemTypePrefix + "shutting-down"
)

// problemTitles holds the one title of each problem type.
var problemTitles = map[string]string{
	ProblemInvalidRequest:       "Invalid request",
	ProblemInvalidTolerance:     "Invalid tolerance",
	ProblemCompileError:         "PxL compilation failed",
	ProblemInvalidArgument:      "Pixie rejected the request",
	ProblemUnknownTable:         "Unknown table",
	ProblemUnknownScript:        "Unknown script",
	ProblemUnknownCluster:       "Unknown cluster",
	ProblemUnknownRun:           "Unknown run",
	ProblemNotFound:             "Not found",
	ProblemMethodNotAllowed:     "Method not allowed",
	ProblemBodyTooLarge:         "Request body too large",
	ProblemUnsupportedMediaType: "Unsupported media type",
	ProblemPixieUnavailable:     "Pixie unavailable",
	ProblemPixieAuth:            "Pixie refused the gateway's credentials",
	ProblemPixieExecution:       "Script failed on Pixie",
	ProblemPixieProtocol:        "Invalid answer from Pixie",
	ProblemPixieUnsupported:     "Not supported by Pixie",
	ProblemPixieTimeout:         "Pixie timed out",
	ProblemInternal:             "Internal error",
	ProblemBrokenScript:         "Broken script",
	ProblemInlineForbidden:      "Inline PxL not allowed",
	ProblemClusterForbidden:     "Cluster not allowed",
	ProblemMutationForbidden:    "Cluster mutation not allowed",
	ProblemTooManyQueries:       "Too many queries",
	ProblemDemoLoadLimit:        "The demo has no room for this load",
	ProblemMemoryBudget:         "The gateway's memory budget is spent",
	ProblemShuttingDown:         "The gateway is shutting down",
}

// ProblemTitle is the one title of problems of type typ ("" for a type
// that has none).
func ProblemTitle(typ string) string { return problemTitles[typ] }

// NewProblem returns a problem of type typ with its title.
func NewProblem(typ string, status int, detail string) Problem {
	return Problem{Type: typ, Title: problemTitles[typ], Status: status, Detail: detail}
}

// ProblemError is a Problem as a Go error: what a step of answering a
// request returns when the answer is that problem (a refused request, a
// full gateway, a sink that cannot give the answer asked for). The HTTP
// layer sends the problem as it is.
type ProblemError struct {
	Problem Problem
	// RetryAfter, when positive, is sent as the Retry-After header, in
	// whole seconds (rounded up, at least 1).
	RetryAfter time.Duration
}

// Error returns the problem's detail.
func (e *ProblemError) Error() string { return e.Problem.Detail }

// NewProblemError returns the ProblemError of NewProblem(typ, status, detail).
func NewProblemError(typ string, status int, detail string) *ProblemError {
	return &ProblemError{Problem: NewProblem(typ, status, detail)}
}
