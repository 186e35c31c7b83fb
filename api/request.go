// Package api holds pxgate's HTTP contract as Go types: request and response
// bodies, problem details and their validation. It mirrors openapi.yaml at
// the module root (the handler tests check real responses against it) and
// does no I/O beyond decoding a request body.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/pxgate/pxgate/tolerance"
)

// RunRequest is the body of POST /v1/run.
//
// Exactly one of Script and ScriptName is set. Optional pointer fields are
// nil when absent, so that "not given" and a zero value stay distinct.
type RunRequest struct {
	// Script is inline PxL.
	Script string `json:"script,omitempty"`
	// ScriptName names a script of pxgate's catalog instead.
	ScriptName string `json:"script_name,omitempty"`
	// Func calls this function of the script (Vizier exec_funcs) with Args
	// instead of running its own px.display calls. With ScriptName it picks
	// one of the catalog script's functions (GET /v1/scripts lists them);
	// a catalog script that neither displays nor has a default function
	// needs it.
	Func string `json:"func,omitempty"`
	// Args are the function's or the named script's arguments, as strings;
	// Vizier (or the catalog) types them by the parameters' annotations.
	Args map[string]string `json:"args,omitempty"`
	// ClusterID selects the cluster; empty means the configured default.
	ClusterID string `json:"cluster_id,omitempty"`
	// Tables lists the output tables to return; empty returns all. The
	// verdict always sees every table.
	Tables []string `json:"tables,omitempty"`
	// MaxRows caps the rows returned per table (default and maximum from
	// configuration). The verdict always sees every row.
	MaxRows *int `json:"max_rows,omitempty"`
	// Timeout is a Go duration ("30s"); capped by configuration.
	Timeout string `json:"timeout,omitempty"`
	// Tolerances are the checks that make the verdict.
	Tolerances []tolerance.Spec `json:"tolerances,omitempty"`
	// FailStatus is the HTTP status of a failed verdict (default 417).
	FailStatus *int `json:"fail_status,omitempty"`
	// Baseline is the window that checks written relative to a baseline
	// ("p99(latency_p99) < 1.5x baseline") compare with.
	Baseline *Window `json:"baseline,omitempty"`
}

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	// Field is the JSON path of the field at fault ("max_rows",
	// "tables[2]", "tolerances[0]"), or "" for the body as a whole.
	Field string `json:"field"`
	// Message is a sentence meant for the caller; it names the field.
	Message string `json:"message"`
}

// RequestError is a caller's mistake in a request body: it cannot be
// decoded or fails validation. Its message is meant to be shown to the
// caller as it is.
type RequestError struct {
	FieldError
	// Err is the underlying cause, if any (for example an
	// *http.MaxBytesError when the body was cut at the size limit).
	Err error
}

// Error returns Message, a sentence that names the field itself.
func (e *RequestError) Error() string { return e.Message }

// Unwrap returns the underlying cause.
func (e *RequestError) Unwrap() error { return e.Err }

func fieldErrorf(field, format string, args ...any) *RequestError {
	return &RequestError{FieldError: FieldError{Field: field, Message: fmt.Sprintf(format, args...)}}
}

// durationSyntax is what time.ParseDuration reads: a value it refuses
// although it matches overflows int64 nanoseconds.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// DecodeRunRequest reads one JSON object from r into a RunRequest. Unknown
// fields (at any depth), values of the wrong type and anything after the
// object are errors. Every error is a *RequestError naming the field at fault
// ("tolerances[1].below"); a read error (such as *http.MaxBytesError) is kept
// as its cause, so callers can tell a body that was too large from a
// malformed one with errors.As.
func DecodeRunRequest(r io.Reader) (*RunRequest, error) {
	// Tolerances are decoded one by one afterwards, so that an error inside
	// one can name its index (encoding/json reports no index, nor any path
	// for unknown fields).
	var wire struct {
		RunRequest
		Tolerances []json.RawMessage `json:"tolerances,omitempty"`
	}
	if err := decodeObject(r, &wire); err != nil {
		return nil, err
	}
	req := wire.RunRequest
	if wire.Tolerances != nil {
		req.Tolerances = make([]tolerance.Spec, len(wire.Tolerances))
	}
	for i, raw := range wire.Tolerances {
		td := json.NewDecoder(bytes.NewReader(raw))
		td.DisallowUnknownFields()
		if err := td.Decode(&req.Tolerances[i]); err != nil {
			return nil, decodeError(fmt.Sprintf("tolerances[%d]", i), err)
		}
	}
	return &req, nil
}

func isSyntaxError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// decodeError turns an encoding/json error into a RequestError that names
// the field at fault in the request's own terms; prefix is the path of the
// value being decoded ("" for the body).
// decodeObject decodes exactly one JSON object from r into v, refusing
// unknown fields and anything after the object.
func decodeObject(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError("", err)
	}
	// One object only: the next token must be the end of input.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil && !isSyntaxError(err) {
			return decodeError("", err)
		}
		return fieldErrorf("", "unexpected data after the JSON object; send exactly one object")
	}
	return nil
}

func decodeError(prefix string, err error) *RequestError {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	join := func(field string) string {
		switch {
		case prefix == "":
			return field
		case field == "":
			return prefix
		}
		return prefix + "." + field
	}
	switch {
	case errors.Is(err, io.EOF):
		return fieldErrorf("", "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fieldErrorf("", "the JSON body ends early (truncated?)")
	case errors.As(err, &se):
		return fieldErrorf("", "malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &te):
		// The body is decoded through a wrapper that embeds RunRequest.
		field := join(strings.TrimPrefix(te.Field, "RunRequest."))
		if field == "" {
			return fieldErrorf("", "the body must be a JSON object, not %s", te.Value)
		}
		return fieldErrorf(field, "wrong type at field %q: got %s, want %s", field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if prefix == "" {
			return fieldErrorf(name, "unknown field %q", name)
		}
		return fieldErrorf(join(name), "unknown field %q in %s", name, prefix)
	}
	// A read error (size limit, connection) rather than a JSON one.
	return &RequestError{FieldError: FieldError{Message: "reading the request body: " + strings.TrimPrefix(msg, "json: ")}, Err: err}
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a value"
	}
	return kind
}

// Status bounds of FailStatus: a failed verdict must look like a failure.
const (
	MinFailStatus = 400
	MaxFailStatus = 599
)

// StatusClientClosedRequest (499, nginx's) is pxgate's status for a caller
// that went away; a failed verdict may not use it.
const StatusClientClosedRequest = 499

// Validate checks the request's own consistency, in a fixed order, and
// returns the first problem as a *RequestError naming the field. Limits that
// depend on configuration (the maximum of max_rows, the timeout cap) and the
// tolerances' own rules (tolerance.Compile) are checked by the handler.
func (r *RunRequest) Validate() error {
	// What to run: one inline script or one catalog name, never both,
	// because the two would disagree about which PxL runs.
	switch {
	case r.Script == "" && r.ScriptName == "":
		return fieldErrorf("script", "script (inline PxL) or script_name (a catalog script) is required")
	case r.Script != "" && r.ScriptName != "":
		return fieldErrorf("script_name", "script and script_name are exclusive; set one")
	case r.ScriptName == "" && strings.TrimSpace(r.Script) == "":
		return fieldErrorf("script", "script is blank")
	}
	// Arguments need something that takes parameters: an inline script's
	// own top level has none.
	if len(r.Args) > 0 && r.Func == "" && r.ScriptName == "" {
		return fieldErrorf("args", "args are passed to func or to a script_name script; set func to call a function of the inline script")
	}
	for name := range r.Args {
		if name == "" {
			return fieldErrorf("args", "args has an empty argument name")
		}
	}
	if r.Timeout != "" {
		d, err := time.ParseDuration(r.Timeout)
		switch {
		case err != nil && durationSyntax.MatchString(r.Timeout):
			return fieldErrorf("timeout", "timeout %q is too large (the longest duration is about 2562047h; the gateway caps every query at its PXGATE_QUERY_TIMEOUT anyway)", r.Timeout)
		case err != nil:
			return fieldErrorf("timeout", "timeout %q is not a duration (use Go syntax such as \"30s\", \"1m30s\", \"500ms\")", r.Timeout)
		}
		if d <= 0 {
			return fieldErrorf("timeout", "timeout must be positive, got %q", r.Timeout)
		}
	}
	if r.MaxRows != nil && *r.MaxRows < 1 {
		return fieldErrorf("max_rows", "max_rows must be at least 1, got %d (omit it for the default)", *r.MaxRows)
	}
	// A failed verdict with a 2xx or 3xx status would pass Chaos Toolkit's
	// and curl -f's status checks.
	if r.FailStatus != nil && (*r.FailStatus < MinFailStatus || *r.FailStatus > MaxFailStatus) {
		return fieldErrorf("fail_status", "fail_status must be an HTTP error status from %d to %d, got %d", MinFailStatus, MaxFailStatus, *r.FailStatus)
	}
	if r.FailStatus != nil && *r.FailStatus == StatusClientClosedRequest {
		return fieldErrorf("fail_status", "fail_status %d is the gateway's status for a caller that went away; choose another (default %d)", StatusClientClosedRequest, DefaultFailStatus)
	}
	if r.Baseline != nil {
		if err := r.Baseline.validate("baseline"); err != nil {
			return err
		}
	}
	for i, t := range r.Tables {
		if t == "" {
			field := fmt.Sprintf("tables[%d]", i)
			return fieldErrorf(field, "%s is an empty table name", field)
		}
	}
	return nil
}

// TimeoutDuration returns the parsed Timeout, or 0 when it is not set (or
// invalid: call Validate first).
func (r *RunRequest) TimeoutDuration() time.Duration {
	if r.Timeout == "" {
		return 0
	}
	d, err := time.ParseDuration(r.Timeout)
	if err != nil {
		return 0
	}
	return d
}
