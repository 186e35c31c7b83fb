package probe

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/pxgate/pxgate/render"
)

// Debug is what the debug text says of the request, as the gateway
// understood it. Its strings are shown as they are: secrets must be masked
// already.
type Debug struct {
	// Script is the catalog name of the script probed.
	Script string
	// RequestID is the request's X-Request-Id.
	RequestID string
	// Args lists the arguments the script is called with ("name=value,
	// ..."; "none").
	Args string
	// ClusterID is the cluster queried ("": Pixie's default).
	ClusterID string
	// Timeout is the query's effective timeout; TimeoutReason says where
	// it comes from.
	Timeout       time.Duration
	TimeoutReason string
	// Checks is the number of checks (expect=).
	Checks int
	// QueryID is Pixie's id of the query ("": none).
	QueryID string
	// Redact hides secret argument values in the checks' messages, which
	// may quote them.
	Redact func(string) string
}

// WriteDebug answers /probe?debug=true: in plain text, the request as
// pxgate understood it, what happened, each check's message, the tables'
// row counts and first rows, and the metrics the probe would have
// answered. The error is the writer's.
func (res *Result) WriteDebug(w http.ResponseWriter, d Debug) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "pxgate probe of script %q, request id %s\n", d.Script, d.RequestID)
	fmt.Fprintf(&b, "\nRequest as understood:\n")
	fmt.Fprintf(&b, "  script:     %s\n", d.Script)
	fmt.Fprintf(&b, "  arguments:  %s\n", d.Args)
	fmt.Fprintf(&b, "  cluster_id: %s\n", orNone(d.ClusterID))
	rows := "last (the last row of each table)"
	if res.Sink.all {
		rows = fmt.Sprintf("all (one series per row, by the string columns; at most %d)", MaxSeries)
	}
	fmt.Fprintf(&b, "  rows:       %s\n", rows)
	fmt.Fprintf(&b, "  timeout:    %s (%s)\n", d.Timeout, d.TimeoutReason)
	fmt.Fprintf(&b, "  checks:     %d\n", d.Checks)

	fmt.Fprintf(&b, "\nOutcome:\n")
	fmt.Fprintf(&b, "  success:    %t\n", res.Success())
	fmt.Fprintf(&b, "  duration:   %s\n", res.Elapsed.Round(time.Microsecond))
	fmt.Fprintf(&b, "  query_id:   %s\n", orNone(d.QueryID))
	if res.Problem != nil {
		fmt.Fprintf(&b, "  error:      %s: %s\n", res.Problem.Type, res.Problem.Detail) // the caller hid the secrets
	}
	res.debugChecks(&b, d.Redact)
	res.debugTables(&b)

	fmt.Fprintf(&b, "\nMetrics:\n")
	mfs, err := res.Registry().Gather()
	if err != nil {
		fmt.Fprintf(&b, "# gathering: %v\n", err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			fmt.Fprintf(&b, "# encoding %s: %v\n", mf.GetName(), err)
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b.Bytes())
	return err
}

// debugChecks writes each check's message.
func (res *Result) debugChecks(b *bytes.Buffer, redact func(string) string) {
	if res.Verdict == nil {
		return
	}
	fmt.Fprintf(b, "\nChecks:\n")
	if len(res.Verdict.Checks) == 0 {
		fmt.Fprintf(b, "  none (give expect= to check the result)\n")
	}
	for _, c := range res.Verdict.Checks {
		word := "PASS"
		if !c.Passed {
			word = "FAIL"
		}
		msg := c.Message
		if redact != nil {
			msg = redact(msg)
		}
		fmt.Fprintf(b, "  %s %s: %s\n", word, c.Name, msg)
	}
}

// debugTables writes each table's row count, columns and first rows.
func (res *Result) debugTables(b *bytes.Buffer) {
	fmt.Fprintf(b, "\nTables:\n")
	if len(res.Sink.tables) == 0 {
		fmt.Fprintf(b, "  none\n")
	}
	for _, t := range res.Sink.tables {
		cols := make([]string, len(t.meta.Columns))
		for i, c := range t.meta.Columns {
			cols[i] = c.Name + " " + c.Type.String()
		}
		fmt.Fprintf(b, "  %s: %d rows; columns: %s\n", t.meta.Name, t.rows, strings.Join(cols, ", "))
		if first := res.Sink.first.Lookup(t.meta.Name); first != nil && first.NumRows > 0 {
			fmt.Fprintf(b, "    first rows:\n")
			enc := render.NewRowEncoding(t.meta)
			for i := range first.NumRows {
				fmt.Fprintf(b, "      %s\n", enc.AppendRow(nil, first.Cols, i))
			}
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
