package pixie

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a failure to run a query, so the HTTP layer can pick a
// status without parsing messages. The set is closed.
type Kind int

const (
	// KindUnavailable: Vizier or the cloud could not be reached (502).
	KindUnavailable Kind = iota + 1
	// KindUnauthenticated: Pixie refused the credentials (502: the gateway's, not the caller's).
	KindUnauthenticated
	// KindTimeout: the query did not finish before its deadline (504).
	KindTimeout
	// KindCanceled: the caller went away.
	KindCanceled
	// KindInvalidArgument: Pixie rejected the request itself, e.g. a bad argument value (400).
	KindInvalidArgument
	// KindNotFound: the cluster (or library script) does not exist for these credentials (404).
	KindNotFound
	// KindExecution: the script compiled but failed while running (502).
	KindExecution
	// KindProtocol: the stream broke the protocol, e.g. rows for an unknown table (502).
	KindProtocol
	// KindUnsupported: the operation needs another connection mode (e.g. cluster listing needs the cloud).
	KindUnsupported
)

var kindNames = map[Kind]string{
	KindUnavailable:     "unavailable",
	KindUnauthenticated: "unauthenticated",
	KindTimeout:         "timeout",
	KindCanceled:        "canceled",
	KindInvalidArgument: "invalid_argument",
	KindNotFound:        "not_found",
	KindExecution:       "execution",
	KindProtocol:        "protocol",
	KindUnsupported:     "unsupported",
}

// String returns a stable lower_snake name, usable as a metric label.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "unknown"
}

// Error is a failure to talk to Pixie or to run a query, other than a
// compilation error. Message never contains credentials.
type Error struct {
	Kind    Kind
	Message string
	Err     error // underlying cause, if any
	// RowsReceived is how many rows arrived before a stream broke: Pixie
	// was reached and the failure came mid-way (0 otherwise).
	RowsReceived int64
}

func (e *Error) Error() string { return "pixie: " + e.Kind.String() + ": " + e.Message }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err if it is (or wraps) an *Error, else 0.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return 0
}

// CompilerError is one PxL compilation error at a position in the script
// (1-based line and column, as Vizier reports them).
type CompilerError struct {
	Line    uint64
	Column  uint64
	Message string
}

// CompileError reports that Vizier could not compile the script.
type CompileError struct {
	Message string
	Errors  []CompilerError
}

func (e *CompileError) Error() string {
	if len(e.Errors) == 0 {
		return "pxl compilation failed: " + e.Message
	}
	parts := make([]string, len(e.Errors))
	for i, ce := range e.Errors {
		parts[i] = fmt.Sprintf("%d:%d: %s", ce.Line, ce.Column, ce.Message)
	}
	return "pxl compilation failed: " + strings.Join(parts, "; ")
}
