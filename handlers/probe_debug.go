package handlers

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/pxgate/pxgate/render"
)

// writeProbeDebug answers /probe?debug=true: in plain text, the request as
// pxgate understood it, what happened, each check's message, the tables'
// row counts and first rows, and the metrics the probe would have
// answered. Argument values whose names suggest a secret are masked, also
// where messages quote them; pxgate's own credentials are never part of a
// request.
func (s *server) writeProbeDebug(w http.ResponseWriter, r *http.Request, pr *probeRequest, res *probeResult, ex execution, reg *prometheus.Registry) {
	p := pr.plan
	var b bytes.Buffer
	fmt.Fprintf(&b, "pxgate probe of script %q, request id %s\n", p.req.ScriptName, middleware.GetReqID(r.Context()))
	fmt.Fprintf(&b, "\nRequest as understood:\n")
	fmt.Fprintf(&b, "  script:     %s\n", p.req.ScriptName)
	fmt.Fprintf(&b, "  arguments:  %s\n", probeArgs(p))
	fmt.Fprintf(&b, "  cluster_id: %s\n", orNone(p.query.ClusterID))
	rows := "last (the last row of each table)"
	if pr.all {
		rows = fmt.Sprintf("all (one series per row, by the string columns; at most %d)", maxProbeSeries)
	}
	fmt.Fprintf(&b, "  rows:       %s\n", rows)
	fmt.Fprintf(&b, "  timeout:    %s (%s)\n", p.timeout, s.timeoutReason(pr))
	fmt.Fprintf(&b, "  checks:     %d\n", p.set.Len())

	fmt.Fprintf(&b, "\nOutcome:\n")
	fmt.Fprintf(&b, "  success:    %t\n", res.success())
	fmt.Fprintf(&b, "  duration:   %s\n", res.elapsed.Round(time.Microsecond))
	fmt.Fprintf(&b, "  query_id:   %s\n", orNone(ex.summary.QueryID))
	if res.problem != nil {
		fmt.Fprintf(&b, "  error:      %s: %s\n", res.problem.Type, res.problem.Detail) // logFailure hid the secrets
	}

	if res.verdict != nil {
		fmt.Fprintf(&b, "\nChecks:\n")
		if len(res.verdict.Checks) == 0 {
			fmt.Fprintf(&b, "  none (give expect= to check the result)\n")
		}
		for _, c := range res.verdict.Checks {
			word := "PASS"
			if !c.Passed {
				word = "FAIL"
			}
			fmt.Fprintf(&b, "  %s %s: %s\n", word, c.Name, redact(c.Message, p.secrets))
		}
	}

	fmt.Fprintf(&b, "\nTables:\n")
	if len(res.sink.tables) == 0 {
		fmt.Fprintf(&b, "  none\n")
	}
	for _, t := range res.sink.tables {
		cols := make([]string, len(t.meta.Columns))
		for i, c := range t.meta.Columns {
			cols[i] = c.Name + " " + c.Type.String()
		}
		fmt.Fprintf(&b, "  %s: %d rows; columns: %s\n", t.meta.Name, t.rows, strings.Join(cols, ", "))
		if first := res.sink.first.Lookup(t.meta.Name); first != nil && first.NumRows > 0 {
			fmt.Fprintf(&b, "    first rows:\n")
			enc := render.NewRowEncoding(t.meta)
			for i := range first.NumRows {
				fmt.Fprintf(&b, "      %s\n", enc.AppendRow(nil, first.Cols, i))
			}
		}
	}

	fmt.Fprintf(&b, "\nMetrics:\n")
	mfs, err := reg.Gather()
	if err != nil {
		fmt.Fprintf(&b, "# gathering: %v\n", err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			fmt.Fprintf(&b, "# encoding %s: %v\n", mf.GetName(), err)
		}
	}
	w.Header().Set(headerContentType, "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(b.Bytes()); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing probe debug output", slog.String("err", err.Error()))
	}
}

// probeArgs lists the arguments the script is called with (defaults
// applied), secret-looking values masked.
func probeArgs(p *runPlan) string {
	args := map[string]string{}
	if p.query.Func != nil {
		for _, a := range p.query.Func.Args {
			args[a.Name] = a.Value
		}
	}
	args = maskArgs(args)
	if len(args) == 0 {
		return "none"
	}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = k + "=" + args[k]
	}
	return strings.Join(parts, ", ")
}

// timeoutReason says where a probe's timeout comes from.
func (s *server) timeoutReason(pr *probeRequest) string {
	var parts []string
	if pr.plan.req.Timeout != "" {
		parts = append(parts, "asked for "+pr.plan.req.Timeout)
	} else {
		parts = append(parts, "the gateway's default "+s.opts.DefaultTimeout.String())
	}
	if pr.scrape > 0 {
		parts = append(parts, fmt.Sprintf("Prometheus' scrape timeout %s leaves %s", pr.scrape, scrapeBudget(pr.scrape)))
	}
	parts = append(parts, "capped at "+s.opts.MaxTimeout.String())
	return strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
